/*
 * test_hostname.c - unit tests for common/hostname.c: which names a
 * client may send (TLS SNI, HOST) and how they match [host NAME]
 * sections, exactly or by one leading wildcard label.
 */
#include <string.h>

#include "unit.h"
#include "common/hostname.h"

START_TEST(test_valid)
{
	char longname[300], label[70];

	ck_assert(hostname_valid("a.example.com"));
	ck_assert(hostname_valid("localhost"));
	ck_assert(hostname_valid("x-1.Example.COM"));
	ck_assert(hostname_valid("_ftp.example.com"));
	ck_assert(!hostname_valid(NULL));
	ck_assert(!hostname_valid(""));
	ck_assert(!hostname_valid("."));
	ck_assert(!hostname_valid("example.com."));
	ck_assert(!hostname_valid(".example.com"));
	ck_assert(!hostname_valid("a..example.com"));
	ck_assert(!hostname_valid("-a.example.com"));
	ck_assert(!hostname_valid("a-.example.com"));
	ck_assert(!hostname_valid("a.example.com-"));
	ck_assert(!hostname_valid("a b.example.com"));
	ck_assert(!hostname_valid("a.example.com\n"));
	ck_assert(!hostname_valid("*.example.com"));
	ck_assert(!hostname_valid("bad_name!.example.com"));
	ck_assert(!hostname_valid("\xc3\xa9.example.com"));
	/* Labels up to 63 bytes, names up to 253. */
	memset(label, 'a', 63);
	label[63] = '\0';
	ck_assert(hostname_valid(label));
	label[63] = 'a';
	label[64] = '\0';
	ck_assert(!hostname_valid(label));
	memset(longname, 'a', sizeof(longname));
	for (size_t i = 50; i < sizeof(longname); i += 51)
		longname[i] = '.';
	longname[253] = '\0';
	ck_assert(hostname_valid(longname));
	longname[253] = 'a';
	longname[254] = '\0';
	ck_assert(!hostname_valid(longname));
}
END_TEST

START_TEST(test_match)
{
	ck_assert(hostname_match("a.example.com", "a.example.com"));
	ck_assert(hostname_match("a.example.com", "A.Example.COM"));
	ck_assert(!hostname_match("a.example.com", "b.example.com"));
	ck_assert(hostname_match("*.example.com", "a.example.com"));
	ck_assert(hostname_match("*.Example.com", "WWW.example.COM"));
	ck_assert(!hostname_match("*.example.com", "example.com"));
	ck_assert(!hostname_match("*.example.com", "a.b.example.com"));
	ck_assert(!hostname_match("*.example.com", ".example.com"));
	ck_assert(!hostname_match("*.example.com", "aexample.com"));
	ck_assert(!hostname_match("*.", "a."));
	ck_assert(!hostname_match("a*.example.com", "ab.example.com"));
	ck_assert(!hostname_match(NULL, "a"));
	ck_assert(!hostname_match("a", NULL));
}
END_TEST

static Suite *
hostname_suite(void)
{
	Suite *s = suite_create("hostname");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_match);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(hostname_suite)
