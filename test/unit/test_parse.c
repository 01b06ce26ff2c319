/*
 * test_parse.c - unit tests for common/parse.c: strict decimal and octal.
 */
#include <string.h>

#include "unit.h"
#include "common/parse.h"

START_TEST(parse_uint_valid)
{
	unsigned long long v = 0;

	ck_assert_int_eq(parse_uint("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_uint("65535", 0, 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(parse_uint("007", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(parse_uint("18446744073709551615", 0,
	    18446744073709551615ULL, &v), 0);
	ck_assert_uint_eq(v, 18446744073709551615ULL);
}
END_TEST

START_TEST(parse_uint_invalid)
{
	unsigned long long v = 77;

	ck_assert_int_eq(parse_uint("", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint(NULL, 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("-1", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("+1", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint(" 1", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("1 ", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("0x10", 0, 100, &v), -1);
	ck_assert_int_eq(parse_uint("1a", 0, 100, &v), -1);
	ck_assert_int_eq(parse_uint("11", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("4", 5, 10, &v), -1);
	ck_assert_int_eq(parse_uint("18446744073709551616", 0,
	    18446744073709551615ULL, &v), -1);
	ck_assert_int_eq(parse_uint("99999999999999999999999", 0,
	    18446744073709551615ULL, &v), -1);
	ck_assert_uint_eq(v, 77);
}
END_TEST

START_TEST(parse_uint_n_cases)
{
	unsigned long long v = 0;

	ck_assert_int_eq(parse_uint_n("1234xyz", 4, 0, 9999, &v), 0);
	ck_assert_uint_eq(v, 1234);
	ck_assert_int_eq(parse_uint_n("1234", 0, 0, 9999, &v), -1);
	ck_assert_int_eq(parse_uint_n("12 4", 4, 0, 9999, &v), -1);
}
END_TEST

START_TEST(parse_octal_cases)
{
	unsigned long v = 0;

	ck_assert_int_eq(parse_octal("022", 0777, &v), 0);
	ck_assert_uint_eq(v, 022);
	ck_assert_int_eq(parse_octal("0755", 0777, &v), 0);
	ck_assert_uint_eq(v, 0755);
	ck_assert_int_eq(parse_octal("0", 0777, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_octal("1000", 0777, &v), -1);
	ck_assert_int_eq(parse_octal("8", 0777, &v), -1);
	ck_assert_int_eq(parse_octal("", 0777, &v), -1);
	ck_assert_int_eq(parse_octal("-1", 0777, &v), -1);
	ck_assert_int_eq(parse_octal("0o22", 0777, &v), -1);
	ck_assert_int_eq(parse_octal("7777777777777777777777777", 0777, &v),
	    -1);
}
END_TEST

/* Words of a list: separators skipped, lengths right, 0 at the end. */
START_TEST(parse_word_cases)
{
	const char *p = " ,a, bb\tccc,,";
	size_t n;

	n = parse_word(&p, ", \t");
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(p[0], 'a');
	p += n;
	n = parse_word(&p, ", \t");
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(strncmp(p, "bb", 2), 0);
	p += n;
	n = parse_word(&p, ", \t");
	ck_assert_uint_eq(n, 3);
	p += n;
	ck_assert_uint_eq(parse_word(&p, ", \t"), 0);
	ck_assert_int_eq(p[0], '\0');
	p = "";
	ck_assert_uint_eq(parse_word(&p, ","), 0);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_uint_valid);
	tcase_add_test(tc, parse_uint_invalid);
	tcase_add_test(tc, parse_uint_n_cases);
	tcase_add_test(tc, parse_octal_cases);
	tcase_add_test(tc, parse_word_cases);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(parse_suite)
