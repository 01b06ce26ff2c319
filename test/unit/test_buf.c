/*
 * test_buf.c - unit tests for common/buf.c: bounds, growth, cstr, consume.
 */
#include <string.h>

#include "unit.h"
#include "common/buf.h"

START_TEST(buf_append_and_max)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_append(&b, "abcd", 4), 0);
	ck_assert_int_eq(buf_puts(&b, "efgh"), 0);
	ck_assert_uint_eq(b.len, 8);
	/* Full: one more byte fails and leaves the buffer unchanged. */
	ck_assert_int_eq(buf_putc(&b, 'x'), -1);
	ck_assert_int_eq(buf_append(&b, "x", 1), -1);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(buf_cstr(&b), "abcdefgh");
	ck_assert_uint_gt(b.cap, b.len);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(buf_cstr_empty_and_nul)
{
	struct buf b;

	buf_init(&b, 100);
	ck_assert_str_eq(buf_cstr(&b), "");
	ck_assert_int_eq(buf_append(&b, "a\0b", 3), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "a\0b", 4), 0);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
}
END_TEST

START_TEST(buf_appendf_bounds)
{
	struct buf b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_appendf(&b, "%d-%s", 42, "ab"), 0);
	ck_assert_str_eq(buf_cstr(&b), "42-ab");
	ck_assert_int_eq(buf_appendf(&b, "%s", "123456"), -1);
	ck_assert_str_eq(buf_cstr(&b), "42-ab");
	ck_assert_int_eq(buf_appendf(&b, "%s", "12345"), 0);
	ck_assert_str_eq(buf_cstr(&b), "42-ab12345");
	buf_free(&b);
}
END_TEST

START_TEST(buf_consume_truncate_set)
{
	struct buf b;

	buf_init(&b, 64);
	ck_assert_int_eq(buf_set(&b, "hello world"), 0);
	buf_consume(&b, 6);
	ck_assert_str_eq(buf_cstr(&b), "world");
	buf_truncate(&b, 3);
	ck_assert_str_eq(buf_cstr(&b), "wor");
	buf_truncate(&b, 10);
	ck_assert_str_eq(buf_cstr(&b), "wor");
	buf_consume(&b, 100);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	ck_assert_int_eq(buf_set(&b, "x"), 0);
	buf_free(&b);

	buf_init(&b, 3);
	ck_assert_int_eq(buf_set(&b, "ab"), 0);
	ck_assert_int_eq(buf_set(&b, "abcd"), -1);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(buf_reserve_commit)
{
	struct buf b;
	unsigned char *p;

	buf_init(&b, 16);
	ck_assert_int_eq(buf_puts(&b, "ab"), 0);
	p = buf_reserve(&b, 10);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "cdef", 4);
	buf_commit(&b, 4);
	ck_assert_str_eq(buf_cstr(&b), "abcdef");
	ck_assert_ptr_null(buf_reserve(&b, 11));
	ck_assert_ptr_nonnull(buf_reserve(&b, 10));
	buf_commit(&b, 0);
	ck_assert_uint_eq(b.len, 6);
	buf_free(&b);
}
END_TEST

START_TEST(buf_growth_large)
{
	struct buf b;
	size_t i;

	buf_init(&b, 100000);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(buf_putc(&b, 'a' + (int)(i % 26)), 0);
	ck_assert_int_eq(buf_putc(&b, 'x'), -1);
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_uint_le(b.cap, 100001);
	ck_assert_int_eq(b.data[99999], 'a' + 99999 % 26);
	ck_assert_int_eq(b.data[100000], 0);
	buf_free(&b);
	/* Reusable after free + init. */
	buf_init(&b, 0);
	ck_assert_int_eq(buf_putc(&b, 'x'), -1);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
}
END_TEST

START_TEST(buf_overflow_size)
{
	struct buf b;

	buf_init(&b, 16);
	ck_assert_int_eq(buf_puts(&b, "abc"), 0);
	ck_assert_int_eq(buf_append(&b, "x", (size_t)-1), -1);
	ck_assert_ptr_null(buf_reserve(&b, (size_t)-2));
	ck_assert_str_eq(buf_cstr(&b), "abc");
	buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, buf_append_and_max);
	tcase_add_test(tc, buf_cstr_empty_and_nul);
	tcase_add_test(tc, buf_appendf_bounds);
	tcase_add_test(tc, buf_consume_truncate_set);
	tcase_add_test(tc, buf_reserve_commit);
	tcase_add_test(tc, buf_growth_large);
	tcase_add_test(tc, buf_overflow_size);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(buf_suite)
