/*
 * test_sqlparams.c - unit tests for ftpd/accounts/sqlparams.c: the
 * rewriting of sql_user_query's :user, :host and :client for each
 * driver's placeholder style (SQLite's names, PostgreSQL's $N,
 * MariaDB's ?), what is left alone (quotes, comments, :: casts) and
 * what is refused (unknown names, unterminated runs, too many
 * placeholders, a result too long).
 */
#include <string.h>

#include "unit.h"
#include "accounts/sqlparams.h"
#include "formats/scoreboard.h"	/* run_dir's default */

/* The shipped default of sql_user_query, as config_keys.def has it. */
static const struct {
	const char	*name;
	const char	*def;
} key_defaults[] = {
#define X(name, type, ctype, def, min, max, enums) { #name, def },
#include "config_keys.def"
#undef X
};

static const char *
default_of(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(key_defaults) / sizeof(key_defaults[0]); i++)
		if (strcmp(key_defaults[i].name, key) == 0)
			return key_defaults[i].def;
	return NULL;
}

/* query translates in style to want, with n placeholders. */
static void
expect(const char *query, enum sql_style style, const char *want, size_t n)
{
	struct sql_text t;
	char err[256] = "";

	ck_assert_msg(sql_translate(query, style, &t, err, sizeof(err)) == 0,
	    "style %d refused \"%s\": %s", (int)style, query, err);
	ck_assert_str_eq(t.text, want);
	ck_assert_uint_eq(t.n, n);
}

/* query refused in every style, err containing what. */
static void
expect_refused(const char *query, const char *what)
{
	static const enum sql_style styles[] = { SQLP_NAMED, SQLP_DOLLAR,
	    SQLP_QUESTION };
	struct sql_text t;
	char err[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		err[0] = '\0';
		ck_assert_msg(sql_translate(query, styles[i], &t, err,
		    sizeof(err)) == -1, "style %d accepted \"%s\"",
		    (int)styles[i], query);
		ck_assert_msg(strstr(err, what) != NULL,
		    "\"%s\": err \"%s\" lacks \"%s\"", query, err, what);
	}
}

START_TEST(default_query)
{
	const char *q = default_of("sql_user_query");
	struct sql_text t;
	char err[256];

	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, "SELECT name, password, uid, gid, home, enabled "
	    "FROM ftp_accounts WHERE name = :user");
	expect(q, SQLP_NAMED, q, 1);
	expect(q, SQLP_DOLLAR, "SELECT name, password, uid, gid, home, "
	    "enabled FROM ftp_accounts WHERE name = $1", 1);
	expect(q, SQLP_QUESTION, "SELECT name, password, uid, gid, home, "
	    "enabled FROM ftp_accounts WHERE name = ?", 1);
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_int_eq(t.order[0], SQLP_USER);
}
END_TEST

START_TEST(order_and_repeats)
{
	static const enum sql_param want[] = { SQLP_USER, SQLP_HOST,
	    SQLP_CLIENT, SQLP_HOST, SQLP_USER, SQLP_CLIENT };
	const char *q = "SELECT * FROM a WHERE n = :user AND h = :host AND "
	    "c = :client OR (h2 = :host AND n2 = :user AND :client <> '')";
	struct sql_text t;
	char err[256];
	size_t i;

	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_str_eq(t.text, "SELECT * FROM a WHERE n = $1 AND h = $2 "
	    "AND c = $3 OR (h2 = $4 AND n2 = $5 AND $6 <> '')");
	ck_assert_uint_eq(t.n, 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(t.order[i], want[i]);
	ck_assert_int_eq(sql_translate(q, SQLP_QUESTION, &t, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(t.text, "SELECT * FROM a WHERE n = ? AND h = ? "
	    "AND c = ? OR (h2 = ? AND n2 = ? AND ? <> '')");
	ck_assert_uint_eq(t.n, 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(t.order[i], want[i]);
	/* Named: the text as written, the order recorded all the same. */
	ck_assert_int_eq(sql_translate(q, SQLP_NAMED, &t, err, sizeof(err)),
	    0);
	ck_assert_str_eq(t.text, q);
	ck_assert_uint_eq(t.n, 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(t.order[i], want[i]);

	/* Numbered by occurrence, whatever the name. */
	expect(":client:host:user", SQLP_DOLLAR, "$1$2$3", 3);
	ck_assert_int_eq(sql_translate(":client,:client", SQLP_DOLLAR, &t,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(t.text, "$1,$2");
	ck_assert_int_eq(t.order[0], SQLP_CLIENT);
	ck_assert_int_eq(t.order[1], SQLP_CLIENT);
	/* No placeholder at all. */
	expect("SELECT 1", SQLP_DOLLAR, "SELECT 1", 0);
	expect("", SQLP_QUESTION, "", 0);
	expect("", SQLP_NAMED, "", 0);
}
END_TEST

START_TEST(param_value)
{
	ck_assert_str_eq(sql_param_value(SQLP_USER, "u", "h", "c"), "u");
	ck_assert_str_eq(sql_param_value(SQLP_HOST, "u", "h", "c"), "h");
	ck_assert_str_eq(sql_param_value(SQLP_CLIENT, "u", "h", "c"), "c");
}
END_TEST

START_TEST(quotes_left_alone)
{
	const char *q = "SELECT ':user', \":host\", `:client` FROM t "
	    "WHERE n = :user";
	struct sql_text t;
	char err[256];

	expect(q, SQLP_DOLLAR, "SELECT ':user', \":host\", `:client` FROM t "
	    "WHERE n = $1", 1);
	expect(q, SQLP_QUESTION, "SELECT ':user', \":host\", `:client` FROM "
	    "t WHERE n = ?", 1);
	expect(q, SQLP_NAMED, q, 1);
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_int_eq(t.order[0], SQLP_USER);
	/* One kind of quote inside another. */
	expect("'\":user\"' = :host", SQLP_DOLLAR, "'\":user\"' = $1", 1);
	expect("\"':user'\" = :host", SQLP_DOLLAR, "\"':user'\" = $1", 1);
	expect("`':user'` = :host", SQLP_DOLLAR, "`':user'` = $1", 1);
	expect("'\"' || :user || \"'\"", SQLP_QUESTION, "'\"' || ? || \"'\"",
	    1);
	/* A placeholder right against a quote. */
	expect("':user':user':user'", SQLP_DOLLAR, "':user'$1':user'", 1);
	/* Comment markers inside a string are text. */
	expect("'-- :user' = :host", SQLP_DOLLAR, "'-- :user' = $1", 1);
	expect("'/* :user' = :host '*/'", SQLP_DOLLAR,
	    "'/* :user' = $1 '*/'", 1);
}
END_TEST

START_TEST(doubled_quotes)
{
	/* 'it''s :user' is one string. */
	expect("SELECT 'it''s :user'", SQLP_DOLLAR, "SELECT 'it''s :user'", 0);
	expect("SELECT 'it''s :user' WHERE n = :user", SQLP_DOLLAR,
	    "SELECT 'it''s :user' WHERE n = $1", 1);
	expect("'it''s' || :user", SQLP_QUESTION, "'it''s' || ?", 1);
	/* The empty string, and one holding only a quote. */
	expect("'' = :user", SQLP_DOLLAR, "'' = $1", 1);
	expect("'''' = :user", SQLP_DOLLAR, "'''' = $1", 1);
	expect("''''':user'", SQLP_DOLLAR, "''''':user'", 0);
	expect("'a''' :host", SQLP_DOLLAR, "'a''' $1", 1);
	/* The same for identifiers. */
	expect("\"a\"\":user\" = :user", SQLP_DOLLAR, "\"a\"\":user\" = $1", 1);
	expect("`a``:host` = :host", SQLP_QUESTION, "`a``:host` = ?", 1);
}
END_TEST

START_TEST(comments_left_alone)
{
	expect("SELECT 1 -- :user\nWHERE n = :user", SQLP_DOLLAR,
	    "SELECT 1 -- :user\nWHERE n = $1", 1);
	expect("SELECT 1 WHERE n = :user -- and :host", SQLP_DOLLAR,
	    "SELECT 1 WHERE n = $1 -- and :host", 1);
	expect("SELECT /* :user\n:host */ 1 WHERE n = :client", SQLP_QUESTION,
	    "SELECT /* :user\n:host */ 1 WHERE n = ?", 1);
	expect("/**/:user/* ' */:host", SQLP_DOLLAR, "/**/$1/* ' */$2", 2);
	/* A quote inside a comment opens nothing. */
	expect("-- it's\n:user", SQLP_DOLLAR, "-- it's\n$1", 1);
	expect("/* it's */ :user", SQLP_DOLLAR, "/* it's */ $1", 1);
	/* A lone '-' or '/' is an operator. */
	expect(":user-:host/:client", SQLP_DOLLAR, "$1-$2/$3", 3);
	expect("1 - 1 / 2 -", SQLP_DOLLAR, "1 - 1 / 2 -", 0);
	expect("a/", SQLP_DOLLAR, "a/", 0);
}
END_TEST

START_TEST(casts)
{
	struct sql_text t;
	char err[256];

	expect("SELECT x::text FROM t", SQLP_DOLLAR, "SELECT x::text FROM t",
	    0);
	expect("WHERE n = :user::text", SQLP_DOLLAR, "WHERE n = $1::text", 1);
	expect("WHERE n = :user::text", SQLP_QUESTION, "WHERE n = ?::text",
	    1);
	expect("WHERE n = :user::text", SQLP_NAMED, "WHERE n = :user::text",
	    1);
	expect("x::user", SQLP_DOLLAR, "x::user", 0);
	expect("x::host AND y = :host::inet", SQLP_DOLLAR,
	    "x::host AND y = $1::inet", 1);
	ck_assert_int_eq(sql_translate("x::host AND y = :host::inet",
	    SQLP_DOLLAR, &t, err, sizeof(err)), 0);
	ck_assert_int_eq(t.order[0], SQLP_HOST);
	/* A cast of an unknown type name is not a parameter. */
	expect("x::nosuchname", SQLP_DOLLAR, "x::nosuchname", 0);
}
END_TEST

START_TEST(colons_not_placeholders)
{
	/* A colon at the end, or before what cannot start a name. */
	expect("SELECT a:", SQLP_DOLLAR, "SELECT a:", 0);
	expect(":", SQLP_DOLLAR, ":", 0);
	expect("::", SQLP_DOLLAR, "::", 0);
	expect(": user", SQLP_DOLLAR, ": user", 0);
	expect(":)", SQLP_QUESTION, ":)", 0);
	expect(":-", SQLP_QUESTION, ":-", 0);
	expect(":'x'", SQLP_DOLLAR, ":'x'", 0);
	expect(":\t:\n:", SQLP_DOLLAR, ":\t:\n:", 0);
	expect(":\xc3\xa9", SQLP_DOLLAR, ":\xc3\xa9", 0);
	expect("a = :user:", SQLP_DOLLAR, "a = $1:", 1);
	expect(":user:host", SQLP_DOLLAR, "$1$2", 2);
}
END_TEST

START_TEST(unknown_name)
{
	struct sql_text t;
	char err[256];
	char lng[200];

	expect_refused("SELECT * WHERE n = :usr", ":usr");
	expect_refused("SELECT * WHERE n = :user AND p = :password",
	    ":password");
	/* Whole names only: not a prefix, not another case. */
	expect_refused(":username", ":username");
	expect_refused(":user1", ":user1");
	expect_refused(":host_name", ":host_name");
	expect_refused(":User", ":User");
	expect_refused(":HOST", ":HOST");
	expect_refused(":1", ":1");
	expect_refused(":_", ":_");
	/* Named style too: SQLite would bind nothing to it. */
	ck_assert_int_eq(sql_translate(":clients", SQLP_NAMED, &t, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown"));
	/* A long name is quoted in part, err stays bounded. */
	memset(lng, 'a', sizeof(lng) - 1);
	lng[0] = ':';
	lng[sizeof(lng) - 1] = '\0';
	ck_assert_int_eq(sql_translate(lng, SQLP_DOLLAR, &t, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":aaaaaaaa"));
	ck_assert_uint_lt(strlen(err), sizeof(err) - 1);
	/* A tiny err buffer is still terminated. */
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(sql_translate(":nope", SQLP_DOLLAR, &t, err, 8), -1);
	ck_assert_uint_eq(strlen(err), 7);
}
END_TEST

START_TEST(unterminated)
{
	static const char *const bad[] = {
		"SELECT 'abc", "SELECT \"abc", "SELECT `abc",
		"SELECT 'it''s", "'", "\"", "`", "''''' :user",
		"SELECT /* :user", "/*", "/*/", "/* * /", ":user /* */ /*",
		"'a' 'b", "-- ok\n'",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bad[i], "unterminated");
	/* A -- comment ends with the text: nothing unterminated there. */
	expect("SELECT 1 -- ' /* \"", SQLP_DOLLAR, "SELECT 1 -- ' /* \"", 0);
}
END_TEST

START_TEST(too_many)
{
	char q[SQLP_MAX * 8 + 16];
	struct sql_text t;
	char err[256];
	size_t i;

	q[0] = '\0';
	for (i = 0; i < SQLP_MAX; i++)
		strcat(q, i % 3 == 0 ? ":user " : i % 3 == 1 ? ":host " :
		    ":client ");
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(t.n, SQLP_MAX);
	ck_assert_ptr_nonnull(strstr(t.text, "$1 $2 $3 "));
	ck_assert_ptr_nonnull(strstr(t.text, " $16 "));
	ck_assert_ptr_null(strstr(t.text, "$17"));
	for (i = 0; i < SQLP_MAX; i++)
		ck_assert_int_eq(t.order[i], (enum sql_param)(i % 3));
	/* One more is refused, in every style. */
	strcat(q, ":host");
	expect_refused(q, "more than 16");
	/* Placeholders in quotes do not count. */
	q[0] = '\0';
	for (i = 0; i < SQLP_MAX; i++)
		strcat(q, ":user ");
	strcat(q, "':host'");
	expect(q, SQLP_QUESTION, "? ? ? ? ? ? ? ? ? ? ? ? ? ? ? ? ':host'",
	    SQLP_MAX);
}
END_TEST

START_TEST(too_long)
{
	static char q[SQLP_TEXT_MAX + 64];
	struct sql_text t;
	char err[256];
	size_t n;

	/* The longest text that fits: SQLP_TEXT_MAX - 1 bytes. */
	memset(q, 'x', SQLP_TEXT_MAX - 1);
	q[SQLP_TEXT_MAX - 1] = '\0';
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(strlen(t.text), SQLP_TEXT_MAX - 1);
	/* One more byte is refused, never cut. */
	q[SQLP_TEXT_MAX - 1] = 'x';
	q[SQLP_TEXT_MAX] = '\0';
	expect_refused(q, "longer than 8191 bytes");
	/* The same when the last run is a quoted string or a comment. */
	memset(q, 'x', SQLP_TEXT_MAX - 8);
	strcpy(q + SQLP_TEXT_MAX - 8, "'abcdefgh'");
	expect_refused(q, "longer than");
	strcpy(q + SQLP_TEXT_MAX - 8, "-- abcdefgh");
	expect_refused(q, "longer than");
	strcpy(q + SQLP_TEXT_MAX - 8, "/* abc */");
	expect_refused(q, "longer than");
	/* A placeholder at the limit: its rewritten length is what
	 * counts.  8189 bytes and :user: $1 fits (8191), ? fits (8190),
	 * :user itself (8194) does not. */
	n = SQLP_TEXT_MAX - 3;
	memset(q, 'x', n);
	q[n - 1] = ' ';
	strcpy(q + n, ":user");
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(strlen(t.text), SQLP_TEXT_MAX - 1);
	ck_assert_str_eq(t.text + n, "$1");
	ck_assert_uint_eq(t.n, 1);
	ck_assert_int_eq(sql_translate(q, SQLP_QUESTION, &t, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(strlen(t.text), SQLP_TEXT_MAX - 2);
	ck_assert_int_eq(sql_translate(q, SQLP_NAMED, &t, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	/* $10 and above take three bytes. */
	n = SQLP_TEXT_MAX - 1 - (9 * 3 + 3);	/* "$1 ".."$9 " then "$10" */
	memset(q, 'x', n);
	strcpy(q + n, ":user :user :user :user :user :user :user :user "
	    ":user :user");
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(strlen(t.text), SQLP_TEXT_MAX - 1);
	ck_assert_str_eq(t.text + n, "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10");
	/* One byte more before them and the last one no longer fits. */
	memmove(q + n + 1, q + n, strlen(q + n) + 1);
	q[n] = 'x';
	ck_assert_int_eq(sql_translate(q, SQLP_DOLLAR, &t, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
}
END_TEST

static Suite *
sqlparams_suite(void)
{
	Suite *s = suite_create("sqlparams");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, default_query);
	tcase_add_test(tc, order_and_repeats);
	tcase_add_test(tc, param_value);
	tcase_add_test(tc, quotes_left_alone);
	tcase_add_test(tc, doubled_quotes);
	tcase_add_test(tc, comments_left_alone);
	tcase_add_test(tc, casts);
	tcase_add_test(tc, colons_not_placeholders);
	tcase_add_test(tc, unknown_name);
	tcase_add_test(tc, unterminated);
	tcase_add_test(tc, too_many);
	tcase_add_test(tc, too_long);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(sqlparams_suite)
