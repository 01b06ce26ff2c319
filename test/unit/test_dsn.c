/*
 * test_dsn.c - unit tests for accounts/dsn.c: sql_dsn "key=value" strings.
 */
#include <string.h>

#include "unit.h"
#include "accounts/dsn.h"

static char a[16], b[16];
static const struct dsn_key keys[] = {
	{ "alpha", a, sizeof(a) },
	{ "beta", b, sizeof(b) },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

START_TEST(dsn_parse_valid)
{
	char err[128];

	ck_assert_int_eq(dsn_parse("alpha=1 beta=two", keys, NKEYS, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(a, "1");
	ck_assert_str_eq(b, "two");
	/* Any run of spaces and tabs separates; missing keys are "". */
	ck_assert_int_eq(dsn_parse("  \tbeta=x=y\t ", keys, NKEYS, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(a, "");
	ck_assert_str_eq(b, "x=y");
	ck_assert_int_eq(dsn_parse("", keys, NKEYS, err, sizeof(err)), 0);
	ck_assert_str_eq(a, "");
	ck_assert_str_eq(b, "");
	/* 15 bytes fit a 16-byte buffer. */
	ck_assert_int_eq(dsn_parse("alpha=123456789012345", keys, NKEYS,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(a, "123456789012345");
}
END_TEST

/* dsn_parse fails and its message contains want. */
static void
refused(const char *dsn, const char *want)
{
	char err[128] = "";

	ck_assert_msg(dsn_parse(dsn, keys, NKEYS, err, sizeof(err)) == -1,
	    "accepted: %s", dsn);
	ck_assert_msg(strstr(err, want) != NULL, "%s: error \"%s\" lacks "
	    "\"%s\"", dsn, err, want);
}

START_TEST(dsn_parse_invalid)
{
	refused("gamma=1", "unknown key \"gamma\"");
	refused("alpha=1 Alpha=2", "unknown key \"Alpha\"");
	refused("alpha", "\"alpha\" is not key=value");
	refused("=1", "\"=1\" is not key=value");
	refused("alpha=1 alpha=2", "key alpha given twice");
	refused("alpha=", "key alpha has no value");
	refused("alpha=1234567890123456", "key alpha: longer than 15 bytes");
	refused("beta=1 junk", "\"junk\" is not key=value");
}
END_TEST

START_TEST(dsn_parse_no_secret_in_errors)
{
	char err[128] = "";

	ck_assert_int_eq(dsn_parse("password=hunter2", keys, NKEYS, err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	ck_assert_ptr_nonnull(strstr(err, "password"));
}
END_TEST

START_TEST(dsn_mysql_valid)
{
	struct dsn_mysql d;
	char err[256];

	ck_assert_int_eq(dsn_mysql_parse("socket=/run/mysqld/mysqld.sock "
	    "database=ftp user=ftpd", &d, err, sizeof(err)), 0);
	ck_assert_str_eq(d.socket, "/run/mysqld/mysqld.sock");
	ck_assert_str_eq(d.database, "ftp");
	ck_assert_str_eq(d.user, "ftpd");
	ck_assert_str_eq(d.host, "");
	ck_assert_uint_eq(d.port, 0);
	ck_assert_int_eq(dsn_mysql_parse("host=db.example.org port=3307 "
	    "database=ftp user=ftpd", &d, err, sizeof(err)), 0);
	ck_assert_str_eq(d.host, "db.example.org");
	ck_assert_str_eq(d.socket, "");
	ck_assert_uint_eq(d.port, 3307);
	ck_assert_int_eq(dsn_mysql_parse("port=65535", &d, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(d.port, 65535);
	ck_assert_int_eq(dsn_mysql_parse("", &d, err, sizeof(err)), 0);
}
END_TEST

/* dsn_mysql_parse fails and its message contains want. */
static void
mysql_refused(const char *dsn, const char *want)
{
	struct dsn_mysql d;
	char err[256] = "";

	ck_assert_msg(dsn_mysql_parse(dsn, &d, err, sizeof(err)) == -1,
	    "accepted: %s", dsn);
	ck_assert_msg(strncmp(err, "sql_dsn: ", 9) == 0, "%s", err);
	ck_assert_msg(strstr(err, want) != NULL, "%s: error \"%s\" lacks "
	    "\"%s\"", dsn, err, want);
}

START_TEST(dsn_mysql_invalid)
{
	char longsock[200];

	mysql_refused("port=0", "port: not a number from 1 to 65535");
	mysql_refused("port=65536", "port: not a number from 1 to 65535");
	mysql_refused("port=-1", "port: not a number");
	mysql_refused("port=33o6", "port: not a number");
	mysql_refused("port=+3306", "port: not a number");
	mysql_refused("dbname=ftp", "unknown key \"dbname\"");
	mysql_refused("user=a password=secret", "sql_password_file");
	mysql_refused("host=a host=b", "key host given twice");
	memset(longsock, 'x', sizeof(longsock));
	memcpy(longsock, "socket=/", 8);
	longsock[sizeof(longsock) - 1] = '\0';
	mysql_refused(longsock, "key socket: longer than 107 bytes");
}
END_TEST

static Suite *
dsn_suite(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, dsn_parse_valid);
	tcase_add_test(tc, dsn_parse_invalid);
	tcase_add_test(tc, dsn_parse_no_secret_in_errors);
	tcase_add_test(tc, dsn_mysql_valid);
	tcase_add_test(tc, dsn_mysql_invalid);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(dsn_suite)
