/*
 * test_conf.c - unit tests for common/conf.c: every type, comments, errors
 * with FILE:LINE: KEY, defaults, -o overrides and the dump.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/buf.h"
#include "common/conf.h"

struct tconf {
	int			 flag;
	unsigned long long	 count;
	unsigned long long	 timeout;
	unsigned long long	 mask;
	char			*name;
	char			*root;
	char			*listen;
	unsigned long long	 mode;
	char			*ports;
};

static const char *const modes[] = { "off", "on", "required", NULL };

static const struct conf_key keys[] = {
	{ "flag", CONF_BOOL, "no", 0, 1, NULL, offsetof(struct tconf, flag) },
	{ "count", CONF_UINT, "10", 1, 100, NULL,
	    offsetof(struct tconf, count) },
	{ "timeout", CONF_DURATION, "300", 1, 86400, NULL,
	    offsetof(struct tconf, timeout) },
	{ "mask", CONF_OCTAL, "022", 0, 0777, NULL,
	    offsetof(struct tconf, mask) },
	{ "name", CONF_STRING, "ftp", 0, 0, NULL,
	    offsetof(struct tconf, name) },
	{ "root", CONF_PATH, "/srv/ftp", 0, 0, NULL,
	    offsetof(struct tconf, root) },
	{ "listen", CONF_ADDRLIST, "0.0.0.0:21, [::]:21", 0, 0, NULL,
	    offsetof(struct tconf, listen) },
	{ "mode", CONF_ENUM, "on", 0, 0, modes,
	    offsetof(struct tconf, mode) },
	{ "ports", CONF_PORTRANGE, "", 0, 0, NULL,
	    offsetof(struct tconf, ports) },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Write text to a fresh temporary file; the name goes into path. */
static void
write_tmp(char *path, size_t len, const char *text)
{
	int fd;

	ck_assert_int_lt(snprintf(path, len, "/tmp/test_conf.XXXXXX"),
	    (int)len);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	ck_assert_int_eq(close(fd), 0);
}

/* Load text as a file into c (after defaults); returns conf_load_file's
 * result and leaves "PATH:" stripped from err so tests can compare. */
static int
load_text(struct tconf *c, const char *text, char *err, size_t errlen)
{
	char path[64], full[512];
	size_t plen;
	int r;

	ck_assert_int_eq(conf_defaults(keys, NKEYS, c, full, sizeof(full)), 0);
	write_tmp(path, sizeof(path), text);
	r = conf_load_file(keys, NKEYS, c, path, full, sizeof(full));
	(void)unlink(path);
	err[0] = '\0';
	if (r == -1) {
		plen = strlen(path);
		ck_assert_int_eq(strncmp(full, path, plen), 0);
		ck_assert_int_eq(full[plen], ':');
		(void)snprintf(err, errlen, "%s", full + plen);
	}
	return r;
}

START_TEST(conf_defaults_all)
{
	struct tconf c;
	char err[256];

	memset(&c, 0xa5, sizeof(c));	/* garbage must not be freed */
	ck_assert_int_eq(conf_defaults(keys, NKEYS, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.flag, 0);
	ck_assert_uint_eq(c.count, 10);
	ck_assert_uint_eq(c.timeout, 300);
	ck_assert_uint_eq(c.mask, 022);
	ck_assert_str_eq(c.name, "ftp");
	ck_assert_str_eq(c.root, "/srv/ftp");
	ck_assert_str_eq(c.listen, "0.0.0.0:21, [::]:21");
	ck_assert_uint_eq(c.mode, 1);
	ck_assert_str_eq(c.ports, "");
	conf_free(keys, NKEYS, &c);
	ck_assert_ptr_null(c.name);
}
END_TEST

START_TEST(conf_file_every_type)
{
	struct tconf c;
	char err[256];

	ck_assert_int_eq(load_text(&c,
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "flag = yes\n"
	    "  count=42  \n"
	    "timeout\t=\t60 # trailing comment\n"
	    "mask = 0027\n"
	    "name = anonymous ftp#not-a-comment\n"
	    "root = /var/ftp\n"
	    "listen = 127.0.0.1:2121 ,[::1]:2121\n"
	    "mode = required\n"
	    "ports = 50000-50100\n"
	    "   # indented comment\n", err, sizeof(err)), 0);
	ck_assert_int_eq(c.flag, 1);
	ck_assert_uint_eq(c.count, 42);
	ck_assert_uint_eq(c.timeout, 60);
	ck_assert_uint_eq(c.mask, 027);
	ck_assert_str_eq(c.name, "anonymous ftp#not-a-comment");
	ck_assert_str_eq(c.root, "/var/ftp");
	ck_assert_str_eq(c.listen, "127.0.0.1:2121 ,[::1]:2121");
	ck_assert_uint_eq(c.mode, 2);
	ck_assert_str_eq(c.ports, "50000-50100");
	conf_free(keys, NKEYS, &c);
}
END_TEST

START_TEST(conf_file_empty_values)
{
	struct tconf c;
	char err[256];

	ck_assert_int_eq(load_text(&c,
	    "listen =\nroot = \nname = # nothing\nports =\nflag = NO\n",
	    err, sizeof(err)), 0);
	ck_assert_str_eq(c.listen, "");
	ck_assert_str_eq(c.root, "");
	ck_assert_str_eq(c.name, "");
	ck_assert_str_eq(c.ports, "");
	ck_assert_int_eq(c.flag, 0);
	conf_free(keys, NKEYS, &c);
}
END_TEST

START_TEST(conf_file_no_trailing_newline)
{
	struct tconf c;
	char err[256];

	ck_assert_int_eq(load_text(&c, "count = 7", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.count, 7);
	conf_free(keys, NKEYS, &c);
}
END_TEST

/* Each bad line must fail with ":LINE: KEY: " right after the file name. */
static void
expect_error(const char *text, const char *prefix)
{
	struct tconf c;
	char err[512];

	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		ck_abort_msg("error \"%s\" does not start with \"%s\"", err,
		    prefix);
	conf_free(keys, NKEYS, &c);
}

START_TEST(conf_file_errors)
{
	expect_error("flag = yes\nbogus = 1\n", ":2: bogus: unknown key");
	expect_error("flag = maybe\n", ":1: flag: ");
	expect_error("flag = 1\n", ":1: flag: ");
	expect_error("\n\ncount = 0\n", ":3: count: ");
	expect_error("count = 101\n", ":1: count: ");
	expect_error("count = -1\n", ":1: count: ");
	expect_error("count = 1x\n", ":1: count: ");
	expect_error("count = \n", ":1: count: ");
	expect_error("timeout = 86401\n", ":1: timeout: ");
	expect_error("mask = 0800\n", ":1: mask: ");
	expect_error("mask = 1000\n", ":1: mask: ");
	expect_error("root = relative/path\n", ":1: root: ");
	expect_error("listen = 1.2.3.4\n", ":1: listen: ");
	expect_error("listen = 1.2.3.4:21,\n", ":1: listen: ");
	expect_error("listen = ::1:21\n", ":1: listen: ");
	expect_error("mode = sometimes\n", ":1: mode: ");
	expect_error("mode = ON\n", ":1: mode: ");
	expect_error("ports = 100\n", ":1: ports: ");
	expect_error("ports = 200-100\n", ":1: ports: ");
	expect_error("ports = 0-100\n", ":1: ports: ");
	expect_error("ports = 1-65536\n", ":1: ports: ");
	expect_error("# ok\nflag yes\n", ":2: flag: ");
	expect_error("= yes\n", ":1: ");
}
END_TEST

START_TEST(conf_error_texts)
{
	struct tconf c;
	char err[256];

	ck_assert_int_eq(load_text(&c, "a\n\nmode = x\n", err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, ":1: a: expected KEY = VALUE");
	conf_free(keys, NKEYS, &c);
	ck_assert_int_eq(load_text(&c, "\n\nmode = x\n", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "off, on, required"));
	conf_free(keys, NKEYS, &c);
}
END_TEST

START_TEST(conf_missing_file)
{
	struct tconf c;
	char err[256];

	ck_assert_int_eq(conf_defaults(keys, NKEYS, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_load_file(keys, NKEYS, &c,
	    "/nonexistent/ftpd.conf", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/ftpd.conf: No such file or "
	    "directory");
	conf_free(keys, NKEYS, &c);
}
END_TEST

START_TEST(conf_kv_overrides)
{
	struct tconf c;
	char err[256];

	ck_assert_int_eq(conf_defaults(keys, NKEYS, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "count=99", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(c.count, 99);
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, " name = a # b ", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(c.name, "a # b");
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "listen=", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(c.listen, "");
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "nope=1", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "-o: nope: unknown key");
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "count=1000", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "-o: count: ", 11), 0);
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "count", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "-o: count: ", 11), 0);
	ck_assert_uint_eq(c.count, 99);
	ck_assert_int_eq(conf_set(keys, NKEYS, &c, "flag", "yes", "x.conf:9",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(c.flag, 1);
	ck_assert_int_eq(conf_set(keys, NKEYS, &c, "flag", "on", "x.conf:9",
	    err, sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "x.conf:9: flag: ", 16), 0);
	conf_free(keys, NKEYS, &c);
}
END_TEST

START_TEST(conf_dump_format)
{
	struct tconf c;
	struct buf b;
	char err[256];

	ck_assert_int_eq(conf_defaults(keys, NKEYS, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "flag=yes", err,
	    sizeof(err)), 0);
	buf_init(&b, 4096);
	ck_assert_int_eq(conf_dump(keys, NKEYS, &c, &b), 0);
	ck_assert_str_eq(buf_cstr(&b),
	    "flag = yes\n"
	    "count = 10\n"
	    "timeout = 300\n"
	    "mask = 0022\n"
	    "name = ftp\n"
	    "root = /srv/ftp\n"
	    "listen = 0.0.0.0:21, [::]:21\n"
	    "mode = on\n"
	    "ports =\n");
	buf_free(&b);
	buf_init(&b, 10);
	ck_assert_int_eq(conf_dump(keys, NKEYS, &c, &b), -1);
	buf_free(&b);
	conf_free(keys, NKEYS, &c);
}
END_TEST

START_TEST(conf_tracks_where_keys_were_set)
{
	static char where[NKEYS][CONF_WHERE_MAX];
	char path[64], err[512], line[96];
	struct tconf c;

	write_tmp(path, sizeof(path), "# c\ncount = 5\n\nname = x\n"
	    "count = 6\n");
	conf_track(keys, where, NKEYS);
	ck_assert_int_eq(conf_defaults(keys, NKEYS, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_load_file(keys, NKEYS, &c, path, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set_kv(keys, NKEYS, &c, "mode=off", err,
	    sizeof(err)), 0);
	/* The last setting counts; keys left at their default have none. */
	snprintf(line, sizeof(line), "%s:5", path);
	ck_assert_str_eq(where[1], line);
	snprintf(line, sizeof(line), "%s:4", path);
	ck_assert_str_eq(where[4], line);
	ck_assert_str_eq(where[7], "-o");
	ck_assert_str_eq(where[0], "");
	ck_assert_str_eq(where[5], "");
	conf_track(NULL, NULL, 0);
	conf_free(keys, NKEYS, &c);
	(void)unlink(path);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, conf_defaults_all);
	tcase_add_test(tc, conf_tracks_where_keys_were_set);
	tcase_add_test(tc, conf_file_every_type);
	tcase_add_test(tc, conf_file_empty_values);
	tcase_add_test(tc, conf_file_no_trailing_newline);
	tcase_add_test(tc, conf_file_errors);
	tcase_add_test(tc, conf_error_texts);
	tcase_add_test(tc, conf_missing_file);
	tcase_add_test(tc, conf_kv_overrides);
	tcase_add_test(tc, conf_dump_format);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(conf_suite)
