/*
 * test_digest.c - known answers for digest.c (SHA-256, SHA-1, MD5, SHA-512
 * of memory and of file ranges, across chunk boundaries) and the RANG
 * argument parser's edge cases.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "user/digest.h"

#define ABC_SHA256 \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA1	"a9993e364706816aba3e25717850c26c9cd0d89d"
#define ABC_MD5		"900150983cd24fb0d6963f7d28e17f72"
#define ABC_SHA512 \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A temp file holding n bytes of p; unlinked at once. */
static int
tmpfile_with(const void *p, size_t n)
{
	char name[] = "/tmp/test_digest.XXXXXX";
	int fd;

	fd = mkstemp(name);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(name), 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	return fd;
}

START_TEST(t_names)
{
	ck_assert_str_eq(digest_name(DIGEST_SHA256), "SHA-256");
	ck_assert_str_eq(digest_name(0), "SHA-256");
	ck_assert_ptr_null(digest_name(DIGEST_NALGO));
	ck_assert_ptr_null(digest_name(-1));
	ck_assert_int_eq(digest_lookup("sha-1"), DIGEST_SHA1);
	ck_assert_int_eq(digest_lookup("MD5"), DIGEST_MD5);
	ck_assert_int_eq(digest_lookup("SHA-512"), DIGEST_SHA512);
	ck_assert_int_eq(digest_lookup("SHA256"), -1);
	ck_assert_int_eq(digest_lookup("CRC32"), -1);
	ck_assert_int_eq(digest_lookup(""), -1);
	ck_assert_int_eq(digest_lookup(NULL), -1);
}
END_TEST

START_TEST(t_mem_abc)
{
	char hex[DIGEST_HEX_MAX];

	ck_assert_int_eq(digest_mem(DIGEST_SHA256, "abc", 3, hex,
	    sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_SHA256);
	ck_assert_int_eq(digest_mem(DIGEST_SHA1, "abc", 3, hex,
	    sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_SHA1);
	ck_assert_int_eq(digest_mem(DIGEST_MD5, "abc", 3, hex,
	    sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_MD5);
	ck_assert_int_eq(digest_mem(DIGEST_SHA512, "abc", 3, hex,
	    sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_SHA512);
	ck_assert_int_eq(digest_mem(DIGEST_SHA256, "", 0, hex,
	    sizeof(hex)), 0);
	ck_assert_str_eq(hex, EMPTY_SHA256);
	/* Output too small, bad algorithm. */
	ck_assert_int_eq(digest_mem(DIGEST_SHA256, "abc", 3, hex, 64), -1);
	ck_assert_int_eq(digest_mem(DIGEST_NALGO, "abc", 3, hex,
	    sizeof(hex)), -1);
}
END_TEST

START_TEST(t_file_range)
{
	char hex[DIGEST_HEX_MAX];
	int fd = tmpfile_with("xxabcyy", 7);

	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA256, 2, 4, NULL, NULL,
	    hex, sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_SHA256);
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA1, 2, 4, NULL, NULL,
	    hex, sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_SHA1);
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_MD5, 2, 4, NULL, NULL,
	    hex, sizeof(hex)), 0);
	ck_assert_str_eq(hex, ABC_MD5);
	/* end < start: nothing (an empty file). */
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA256, 0, -1, NULL, NULL,
	    hex, sizeof(hex)), 0);
	ck_assert_str_eq(hex, EMPTY_SHA256);
	/* Past the end of the file. */
	errno = 0;
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA256, 2, 7, NULL, NULL,
	    hex, sizeof(hex)), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA256, -1, 4, NULL, NULL,
	    hex, sizeof(hex)), -1);
	/* The file offset is neither used nor moved. */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 7);
	(void)close(fd);
}
END_TEST

static int
count_calls(void *arg, off_t done)
{
	int *calls = arg;

	(void)done;
	return ++*calls >= 2;
}

/* Several chunks: same as hashing the memory; progress can cancel. */
START_TEST(t_file_chunks)
{
	char hex[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX];
	size_t i, n = 2 * DIGEST_CHUNK + 12345;
	unsigned char *p = malloc(n);
	int fd, calls = 0;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + (i >> 11));
	fd = tmpfile_with(p, n);
	ck_assert_int_eq(digest_mem(DIGEST_SHA512, p, n, want,
	    sizeof(want)), 0);
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA512, 0, (off_t)n - 1,
	    NULL, NULL, hex, sizeof(hex)), 0);
	ck_assert_str_eq(hex, want);
	/* A range straddling the first chunk boundary. */
	ck_assert_int_eq(digest_mem(DIGEST_SHA256, p + 100, DIGEST_CHUNK,
	    want, sizeof(want)), 0);
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA256, 100,
	    100 + DIGEST_CHUNK - 1, NULL, NULL, hex, sizeof(hex)), 0);
	ck_assert_str_eq(hex, want);
	errno = 0;
	ck_assert_int_eq(digest_fd_range(fd, DIGEST_SHA256, 0, (off_t)n - 1,
	    count_calls, &calls, hex, sizeof(hex)), -1);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert_int_eq(calls, 2);
	(void)close(fd);
	free(p);
}
END_TEST

START_TEST(t_parse_range)
{
	off_t a = 7, b = 7;

	ck_assert_int_eq(digest_parse_range("0 1023", &a, &b), 1);
	ck_assert_int_eq(a, 0);
	ck_assert_int_eq(b, 1023);
	ck_assert_int_eq(digest_parse_range("5 5", &a, &b), 1);
	ck_assert_int_eq(a, 5);
	ck_assert_int_eq(b, 5);
	ck_assert_int_eq(digest_parse_range("0 9223372036854775807", &a,
	    &b), 1);
	ck_assert_int_eq(b, 9223372036854775807LL);
	a = b = 7;
	ck_assert_int_eq(digest_parse_range("1 0", &a, &b), 0);
	ck_assert_int_eq(a, 7);
	ck_assert_int_eq(digest_parse_range("2 1", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("0 9223372036854775808", &a,
	    &b), -1);
	ck_assert_int_eq(digest_parse_range("0", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range(" 0 1", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("0  1", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("0 1 ", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("0 1 2", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("-1 5", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("+1 5", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("0x10 20", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range("a b", &a, &b), -1);
	ck_assert_int_eq(digest_parse_range(NULL, &a, &b), -1);
	ck_assert_int_eq(a, 7);
	ck_assert_int_eq(b, 7);
}
END_TEST

static Suite *
digest_suite(void)
{
	Suite *su = suite_create("digest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_mem_abc);
	tcase_add_test(tc, t_file_range);
	tcase_add_test(tc, t_file_chunks);
	tcase_add_test(tc, t_parse_range);
	suite_add_tcase(su, tc);
	return su;
}

UNIT_SUITE(digest_suite)
