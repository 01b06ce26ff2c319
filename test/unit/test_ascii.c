/*
 * test_ascii.c - unit tests for common/ascii.c: LF <-> CRLF, a CR split
 * across chunks, lone CRs, flush and wire length.
 */
#include <string.h>

#include "unit.h"
#include "common/ascii.h"

#define U(s)	((const unsigned char *)(s))

START_TEST(ascii_crlf)
{
	unsigned char out[64];
	size_t n;

	n = ascii_to_crlf(U("a\nb\n\n"), 5, out);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(memcmp(out, "a\r\nb\r\n\r\n", 8), 0);
	ck_assert_uint_eq(ascii_to_crlf(U(""), 0, out), 0);
	/* Already-CRLF input gains another CR: disk files are LF. */
	n = ascii_to_crlf(U("x\r\n"), 3, out);
	ck_assert_int_eq(memcmp(out, "x\r\r\n", 4), 0);
	ck_assert_uint_eq(ascii_wire_len(U("a\nb\n\n"), 5), 8);
	ck_assert_uint_eq(ascii_wire_len(U("abc"), 3), 3);
	ck_assert_uint_eq(ascii_wire_len(U(""), 0), 0);
}
END_TEST

START_TEST(ascii_lf_simple)
{
	struct ascii_state st = { 0 };
	unsigned char out[64];
	size_t n;

	n = ascii_to_lf(&st, U("a\r\nb\r\n"), 6, out);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(out, "a\nb\n", 4), 0);
	ck_assert_int_eq(st.pending_cr, 0);
	/* Lone CR and bare LF are kept. */
	n = ascii_to_lf(&st, U("a\rb\nc"), 5, out);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(out, "a\rb\nc", 5), 0);
	/* CR CR LF: first CR kept, second joins the LF. */
	n = ascii_to_lf(&st, U("\r\r\n"), 3, out);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(out, "\r\n", 2), 0);
	ck_assert_uint_eq(ascii_flush(&st, out), 0);
}
END_TEST

START_TEST(ascii_split_cr)
{
	struct ascii_state st = { 0 };
	unsigned char out[64];
	size_t n;

	n = ascii_to_lf(&st, U("abc\r"), 4, out);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(st.pending_cr, 1);
	n = ascii_to_lf(&st, U("\ndef"), 4, out);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(out, "\ndef", 4), 0);
	/* Held CR followed by something else is emitted as a CR. */
	n = ascii_to_lf(&st, U("\r"), 1, out);
	ck_assert_uint_eq(n, 0);
	n = ascii_to_lf(&st, U("x"), 1, out);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(out, "\rx", 2), 0);
	/* Held CR then another CR: one emitted, one held. */
	n = ascii_to_lf(&st, U("\r"), 1, out);
	n = ascii_to_lf(&st, U("\r"), 1, out);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(out[0], '\r');
	ck_assert_int_eq(st.pending_cr, 1);
	/* An empty chunk keeps the state. */
	ck_assert_uint_eq(ascii_to_lf(&st, U(""), 0, out), 0);
	ck_assert_int_eq(st.pending_cr, 1);
	/* End of stream emits the held CR once. */
	ck_assert_uint_eq(ascii_flush(&st, out), 1);
	ck_assert_int_eq(out[0], '\r');
	ck_assert_uint_eq(ascii_flush(&st, out), 0);
}
END_TEST

START_TEST(ascii_bytewise_equals_whole)
{
	static const char in[] = "l1\r\nl2\rx\r\r\n\n\rend\r";
	struct ascii_state a = { 0 }, b = { 0 };
	unsigned char whole[64], pieces[64];
	size_t nw, np = 0, i, len = sizeof(in) - 1;

	nw = ascii_to_lf(&a, U(in), len, whole);
	nw += ascii_flush(&a, whole + nw);
	for (i = 0; i < len; i++)
		np += ascii_to_lf(&b, U(in) + i, 1, pieces + np);
	np += ascii_flush(&b, pieces + np);
	ck_assert_uint_eq(nw, np);
	ck_assert_int_eq(memcmp(whole, pieces, nw), 0);
	ck_assert_int_eq(memcmp(whole, "l1\nl2\rx\r\n\n\rend\r", nw), 0);
}
END_TEST

START_TEST(ascii_output_bound)
{
	struct ascii_state st = { 1 };
	unsigned char out[4];

	/* Worst case for to_lf is n + 1 (held CR plus n plain bytes). */
	ck_assert_uint_eq(ascii_to_lf(&st, U("abc"), 3, out), 4);
	ck_assert_int_eq(memcmp(out, "\rabc", 4), 0);
}
END_TEST

static Suite *
ascii_suite(void)
{
	Suite *s = suite_create("ascii");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ascii_crlf);
	tcase_add_test(tc, ascii_lf_simple);
	tcase_add_test(tc, ascii_split_cr);
	tcase_add_test(tc, ascii_bytewise_equals_whole);
	tcase_add_test(tc, ascii_output_bound);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(ascii_suite)
