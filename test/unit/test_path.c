/*
 * test_path.c - unit tests for common/path.c: lexical resolution that can
 * never climb above "/", bounds, basename and dirname.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/buf.h"
#include "common/path.h"

static void
check(const char *cwd, const char *arg, const char *want)
{
	struct buf b;

	buf_init(&b, PATH_MAXLEN + 1);
	if (path_resolve(cwd, arg, &b) != 0)
		ck_abort_msg("resolve(%s, %s) failed", cwd, arg);
	if (strcmp(buf_cstr(&b), want) != 0)
		ck_abort_msg("resolve(%s, %s) = %s, want %s", cwd, arg,
		    buf_cstr(&b), want);
	buf_free(&b);
}

START_TEST(path_basic)
{
	check("/", "", "/");
	check("/", ".", "/");
	check("/", "a", "/a");
	check("/home", "a/b", "/home/a/b");
	check("/home", "/etc/passwd", "/etc/passwd");
	check("/a/b", "..", "/a");
	check("/a/b", "../..", "/");
	check("/a/b", "./c/./d/", "/a/b/c/d");
	check("/a", "b//c///d", "/a/b/c/d");
	check("/", "//x//", "/x");
	check("/a/b", "c/../d", "/a/b/d");
	check("/a", "...", "/a/...");
	check("/a", "..x/.x", "/a/..x/.x");
	check("/a", "b/", "/a/b");
	check("/a", "/", "/");
	check("/a", NULL, "/a");
}
END_TEST

START_TEST(path_root_escape)
{
	check("/", "..", "/");
	check("/", "../../etc", "/etc");
	check("/pub", "../../../../etc/passwd", "/etc/passwd");
	check("/pub", "/../..//../etc", "/etc");
	check("/a/b", "../../../..", "/");
	check("/", "a/../../b", "/b");
	check("/", "./../.", "/");
}
END_TEST

START_TEST(path_limits)
{
	struct buf b;
	char *big;
	size_t i;

	buf_init(&b, PATH_MAXLEN + 1);
	/* Exactly PATH_MAXLEN is fine; one more is not. */
	big = malloc(PATH_MAXLEN + 2);
	ck_assert_ptr_nonnull(big);
	big[0] = '/';
	memset(big + 1, 'x', PATH_MAXLEN - 1);
	big[PATH_MAXLEN] = '\0';
	ck_assert_int_eq(path_resolve("/", big, &b), 0);
	ck_assert_uint_eq(b.len, PATH_MAXLEN);
	big[PATH_MAXLEN] = 'x';
	big[PATH_MAXLEN + 1] = '\0';
	ck_assert_int_eq(path_resolve("/", big, &b), -1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(path_resolve(big, "a", &b), -1);
	free(big);

	/* 8 KiB of "a/.." collapses to "/" and needs no room. */
	big = malloc(8192 + 1);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i + 5 <= 8192; i += 5)
		memcpy(big + i, "a/../", 5);
	big[i] = '\0';
	ck_assert_int_eq(path_resolve("/", big, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "/");
	/* 8 KiB of slashes. */
	memset(big, '/', 8192);
	big[8192] = '\0';
	ck_assert_int_eq(path_resolve("/x", big, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "/");
	free(big);
	buf_free(&b);

	/* out's own max is honoured too. */
	buf_init(&b, 4);
	ck_assert_int_eq(path_resolve("/", "abc", &b), 0);
	ck_assert_int_eq(path_resolve("/", "abcd", &b), -1);
	buf_free(&b);
}
END_TEST

START_TEST(path_base_dir)
{
	struct buf b;

	ck_assert_str_eq(path_basename("/"), "");
	ck_assert_str_eq(path_basename("/a"), "a");
	ck_assert_str_eq(path_basename("/a/b.txt"), "b.txt");
	buf_init(&b, 64);
	ck_assert_int_eq(path_dirname("/", &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "/");
	ck_assert_int_eq(path_dirname("/x", &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "/");
	ck_assert_int_eq(path_dirname("/a/b/c", &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "/a/b");
	buf_free(&b);
}
END_TEST

static Suite *
path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, path_basic);
	tcase_add_test(tc, path_root_escape);
	tcase_add_test(tc, path_limits);
	tcase_add_test(tc, path_base_dir);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(path_suite)
