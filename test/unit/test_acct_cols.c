/*
 * test_acct_cols.c - unit tests for accounts/columns.c: a store's row into
 * an account record, here what the name column may say.
 */
#include <string.h>

#include "unit.h"
#include "accounts/backend.h"

/* A record for asked from one row (cols[i] = vals[i]); the status of
 * acct_col_set/acct_col_end, err filled on -1. */
static int
row(const char *asked, const char *const *cols, const char *const *vals,
    size_t n, struct acct_record *r, char *err, size_t errlen)
{
	struct acct_cols c;
	size_t i;

	acct_col_begin(&c, r, asked);
	for (i = 0; i < n; i++)
		if (acct_col_set(&c, r, cols[i], vals[i], err, errlen) == -1)
			return -1;
	return acct_col_end(&c, r, err, errlen);
}

static const char *const cols[] = { "name", "password", "uid", "gid",
	"home", "enabled" };

START_TEST(acct_cols_name_exact)
{
	const char *const vals[] = { "alice", "$6$x$y", "47001", "47002",
		"/srv/alice", "0" };
	struct acct_record r;
	char err[256];

	ck_assert_int_eq(row("alice", cols, vals, 6, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r.name, "alice");
	ck_assert_str_eq(r.hash, "$6$x$y");
	ck_assert_uint_eq(r.uid, 47001);
	ck_assert_uint_eq(r.gid, 47002);
	ck_assert_str_eq(r.home, "/srv/alice");
	ck_assert_uint_eq(r.enabled, 0);
	/* Without a name column nothing is compared. */
	ck_assert_int_eq(row("ALICE", cols + 1, vals + 1, 5, &r, err,
	    sizeof(err)), 0);
}
END_TEST

/* What a case- or pad-blind collation returns for another spelling. */
START_TEST(acct_cols_name_alias_refused)
{
	static const char *const asked[] = { "ALICE", "alice ", "Alice",
		"alic", "" };
	const char *vals[] = { "alice", "$6$x$y", "47001", "47001",
		"/srv/alice", "1" };
	struct acct_record r;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(row(asked[i], cols, vals, 6, &r, err,
		    sizeof(err)), -1);
		ck_assert_msg(strstr(err, "column name") != NULL, "%s", err);
	}
	vals[0] = NULL;
	ck_assert_int_eq(row("alice", cols, vals, 6, &r, err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "column name") != NULL, "%s", err);
}
END_TEST

static Suite *
acct_cols_suite(void)
{
	Suite *s = suite_create("acct_cols");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, acct_cols_name_exact);
	tcase_add_test(tc, acct_cols_name_alias_refused);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(acct_cols_suite)
