/*
 * test_page.c - unit tests for ftpd/user/page.c (STRU P): the encoder's
 * pages for known sizes, the decoder fed pages out of order one byte at
 * a time, and every malformed header it must refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/buf.h"
#include "user/page.h"

/* Decode wire in pieces of step bytes into a file image; PAGE_EOF,
 * PAGE_ERR, or PAGE_NEED if the input ended first. */
static enum page_dec_result
decode(const unsigned char *wire, size_t n, size_t step,
    unsigned char *file, size_t *end)
{
	struct page_dec d;
	struct buf out;
	enum page_dec_result r = PAGE_NEED;
	uint64_t at = 0;
	size_t pos = 0, used, k;

	memset(&d, 0, sizeof(d));
	buf_init(&out, 1024);
	*end = 0;
	while (pos < n) {
		k = n - pos < step ? n - pos : step;
		r = page_dec_data(&d, wire + pos, k, &used, &out, &at);
		ck_assert(used <= k);
		pos += used;
		if (r == PAGE_DATA) {
			ck_assert(at + out.len <= PAGE_FILE_MAX);
			memcpy(file + at, out.data, out.len);
			if (at + out.len > *end)
				*end = (size_t)(at + out.len);
			buf_reset(&out);
			r = PAGE_NEED;
			continue;
		}
		if (r == PAGE_EOF && pos < n)
			/* Nothing may follow the last page. */
			r = page_dec_data(&d, wire + pos, n - pos, &used, &out,
			    &at);
		if (r != PAGE_NEED)
			break;
	}
	buf_free(&out);
	return r;
}

START_TEST(encode_known)
{
	unsigned char in[PAGE_SIZE + 10];
	struct page_enc e;
	struct buf out;

	memset(in, 'a', sizeof(in));
	memset(&e, 0, sizeof(e));
	buf_init(&out, 4096);
	ck_assert_int_eq(page_enc_data(&e, in, 100, &out), 0);
	ck_assert_uint_eq(out.len, 0);	/* a page goes out when full */
	ck_assert_int_eq(page_enc_data(&e, in + 100, sizeof(in) - 100,
	    &out), 0);
	ck_assert_int_eq(page_enc_finish(&e, &out), 0);
	ck_assert_uint_eq(out.len, 4 + PAGE_SIZE + 4 + 10 + 4);
	ck_assert_int_eq(memcmp(out.data, "\x04\x00\xff\x01", 4), 0);
	ck_assert_int_eq(memcmp(out.data + 4 + PAGE_SIZE, "\x04\x01\x0a\x01",
	    4), 0);
	ck_assert_int_eq(memcmp(out.data + out.len - 4, "\x04\x00\x00\x00",
	    4), 0);
	buf_free(&out);
}
END_TEST

START_TEST(encode_limit)
{
	static unsigned char in[PAGE_FILE_MAX + 1];
	struct page_enc e;
	struct buf out;

	memset(&e, 0, sizeof(e));
	buf_init(&out, 2 * PAGE_FILE_MAX);
	ck_assert_int_eq(page_enc_data(&e, in, PAGE_FILE_MAX, &out), 0);
	ck_assert_int_eq(page_enc_data(&e, in, 1, &out), 0);
	ck_assert_int_eq(page_enc_finish(&e, &out), -1);
	ck_assert_int_eq(e.over, 1);
	buf_free(&out);
}
END_TEST

START_TEST(decode_out_of_order)
{
	static unsigned char file[PAGE_FILE_MAX], want[3 * PAGE_SIZE];
	unsigned char wire[4096];
	size_t n = 0, end, i, step;
	static const unsigned order[] = { 2, 0, 1 };

	for (i = 0; i < sizeof(want); i++)
		want[i] = (unsigned char)(i * 7 + 3);
	/* A descriptor page first: read, not written. */
	memcpy(wire + n, "\x04\x00\x03\x02xyz", 7);
	n += 7;
	for (i = 0; i < 3; i++) {
		size_t len = order[i] == 2 ? 50 : PAGE_SIZE;
		wire[n++] = order[i] == 1 ? 5 : 4;
		wire[n++] = (unsigned char)order[i];
		wire[n++] = (unsigned char)len;
		wire[n++] = order[i] == 1 ? 3 : 1;
		if (order[i] == 1)
			wire[n++] = 0x77;	/* access control */
		memcpy(wire + n, want + order[i] * PAGE_SIZE, len);
		n += len;
	}
	memcpy(wire + n, "\x04\x00\x00\x00", 4);
	n += 4;
	for (step = 1; step <= n; step += step < 8 ? 1 : 97) {
		memset(file, 0, sizeof(file));
		ck_assert_int_eq(decode(wire, n, step, file, &end), PAGE_EOF);
		ck_assert_uint_eq(end, 2 * PAGE_SIZE + 50);
		ck_assert_int_eq(memcmp(file, want, end), 0);
	}
}
END_TEST

START_TEST(decode_malformed)
{
	static unsigned char file[PAGE_FILE_MAX];
	static const struct {
		const char *wire;
		size_t n;
	} bad[] = {
		{ "\x03\x00\x00\x01", 4 },		/* header too short */
		{ "\x06\x00\x00\x01\x00\x00", 6 },	/* too long */
		{ "\x04\x00\x00\x09", 4 },		/* unknown type */
		{ "\x05\x00\x00\x01\x00", 5 },		/* simple, length 5 */
		{ "\x04\x00\x00\x03", 4 },		/* access, length 4 */
		{ "\x05\x00\x00\x00\x00", 5 },		/* last, length 5 */
		{ "\x04\x00\x01\x00z", 5 },		/* last with data */
		{ "\x04\x00\x00\x00\x04", 5 },		/* after the last */
	};
	size_t i, end;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(decode((const unsigned char *)bad[i].wire,
		    bad[i].n, 1, file, &end), PAGE_ERR);
	/* Cut short: never the end. */
	ck_assert_int_eq(decode((const unsigned char *)"\x04\x00\x05\x01" "ab",
	    6, 1, file, &end), PAGE_NEED);
}
END_TEST

static Suite *
page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, encode_known);
	tcase_add_test(tc, encode_limit);
	tcase_add_test(tc, decode_out_of_order);
	tcase_add_test(tc, decode_malformed);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(page_suite)
