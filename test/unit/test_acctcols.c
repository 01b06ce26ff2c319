/*
 * test_acctcols.c - unit tests for ftpd/accounts/columns.c (a store's
 * columns into a struct acct_record: required columns, NULLs, ids as
 * numbers or names, truth values, lengths) and ftpd/formats/acctproto.c (the ACCT_ANSWER
 * payload the root side decodes: round trips, truncation, trailing
 * bytes, statuses out of range).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "unit.h"
#include "common/buf.h"
#include "common/ipc.h"
#include "accounts/backend.h"
#include "formats/acctproto.h"

/* A record begun for "alice" with every required column set. */
static void
full_row(struct acct_cols *c, struct acct_record *r)
{
	char err[256];

	acct_col_begin(c, r, "alice");
	ck_assert_int_eq(acct_col_set(c, r, "password", "$y$j9T$abc$def",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(c, r, "uid", "1000", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(c, r, "gid", "1001", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(c, r, "home", "/srv/ftp/alice", err,
	    sizeof(err)), 0);
}

START_TEST(cols_complete)
{
	struct acct_record r;
	struct acct_cols c;
	char err[256] = "";

	memset(&r, 0xa5, sizeof(r));
	full_row(&c, &r);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r.name, "alice");
	ck_assert_str_eq(r.hash, "$y$j9T$abc$def");
	ck_assert_uint_eq(r.uid, 1000);
	ck_assert_uint_eq(r.gid, 1001);
	ck_assert_str_eq(r.home, "/srv/ftp/alice");
	ck_assert_uint_eq(r.enabled, 1);	/* begin's default */
	ck_assert_uint_eq(r.verified, 0);
	/* The extremes of an id. */
	ck_assert_int_eq(acct_col_set(&c, &r, "uid", "0", err, sizeof(err)),
	    0);
	ck_assert_uint_eq(r.uid, 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "gid", "4294967294", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(r.gid, 4294967294ULL);
	ck_assert_int_eq(acct_col_set(&c, &r, "uid", "0004294967294", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(r.uid, 4294967294ULL);
	/* An empty password and home are values: acct_check and the hash
	 * check judge them. */
	ck_assert_int_eq(acct_col_set(&c, &r, "password", "", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(r.hash, "");
}
END_TEST

START_TEST(cols_begin_resets)
{
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	char lng[ACCT_NAME_MAX + 10];

	full_row(&c, &r);
	r.verified = 1;
	acct_col_begin(&c, &r, "bob");
	ck_assert_str_eq(r.name, "bob");
	ck_assert_str_eq(r.hash, "");
	ck_assert_str_eq(r.home, "");
	ck_assert_uint_eq(r.uid, 0);
	ck_assert_uint_eq(r.gid, 0);
	ck_assert_uint_eq(r.enabled, 1);
	ck_assert_uint_eq(r.verified, 0);
	ck_assert_uint_eq(c.seen, 0);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), -1);
	/* A name too long for the record is cut there, terminated: it no
	 * longer matches the user asked for, and acct_check refuses it. */
	memset(lng, 'n', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	acct_col_begin(&c, &r, lng);
	ck_assert_uint_eq(strlen(r.name), ACCT_NAME_MAX - 1);
}
END_TEST

START_TEST(cols_required)
{
	static const char *const cols[] = { "password", "uid", "gid", "home" };
	static const char *const vals[] = { "$1$x$y", "10", "20", "/h" };
	struct acct_record r;
	struct acct_cols c;
	char err[256], want[64];
	size_t miss, i;

	for (miss = 0; miss < 4; miss++) {
		acct_col_begin(&c, &r, "alice");
		for (i = 0; i < 4; i++)
			if (i != miss)
				ck_assert_int_eq(acct_col_set(&c, &r, cols[i],
				    vals[i], err, sizeof(err)), 0);
		/* enabled is not required */
		err[0] = '\0';
		ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "column %s: missing", cols[miss]);
		ck_assert_msg(strstr(err, want) != NULL, "err \"%s\"", err);
	}
	/* Nothing at all: the first missing one is named. */
	acct_col_begin(&c, &r, "alice");
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "password"));
}
END_TEST

START_TEST(cols_case_insensitive)
{
	struct acct_record r;
	struct acct_cols c;
	char err[256];

	acct_col_begin(&c, &r, "alice");
	ck_assert_int_eq(acct_col_set(&c, &r, "PASSWORD", "$1$a$b", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "Uid", "7", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(&c, &r, "GID", "8", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(&c, &r, "hOmE", "/x", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(&c, &r, "Enabled", "no", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r.hash, "$1$a$b");
	ck_assert_uint_eq(r.uid, 7);
	ck_assert_uint_eq(r.gid, 8);
	ck_assert_str_eq(r.home, "/x");
	ck_assert_uint_eq(r.enabled, 0);
	/* Case matters in a value, not in a name. */
	ck_assert_int_eq(acct_col_set(&c, &r, "HOME", "/X", err, sizeof(err)),
	    0);
	ck_assert_str_eq(r.home, "/X");
}
END_TEST

START_TEST(cols_null)
{
	static const char *const cols[] = { "password", "uid", "gid", "home",
	    "enabled", "PassWord", "ENABLED" };
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		full_row(&c, &r);
		err[0] = '\0';
		ck_assert_msg(acct_col_set(&c, &r, cols[i], NULL, err,
		    sizeof(err)) == -1, "NULL %s accepted", cols[i]);
		ck_assert_msg(strcasestr(err, cols[i]) != NULL &&
		    strstr(err, "NULL") != NULL, "err \"%s\"", err);
	}
	/* NULL where nothing is required is no error. */
	full_row(&c, &r);
	ck_assert_int_eq(acct_col_set(&c, &r, "quota_bytes", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "shell", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), 0);
}
END_TEST

START_TEST(cols_bad_ids)
{
	static const char *const bad[] = {
		"-1", "-0", "", " ", "12a", " 1", "1 ", "+1", "0x10", "1e3",
		"1.0", "1,000", "10\n", "-web", "a b", "a/b", "a:b", "a\tb",
		"www-data ", "caf\xc3\xa9", "$web", "a\\b",
		"abcdefghijklmnopqrstuvwxyz0123456",	/* 33: too long */
		"4294967295", "4294967296", "9999999999",
		"18446744073709551615", "18446744073709551616",
		"99999999999999999999999999999999",
	};
	static const char *const cols[] = { "uid", "gid", "UID" };
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	size_t i, j;

	for (j = 0; j < sizeof(cols) / sizeof(cols[0]); j++)
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			full_row(&c, &r);
			err[0] = '\0';
			ck_assert_msg(acct_col_set(&c, &r, cols[j], bad[i],
			    err, sizeof(err)) == -1, "%s \"%s\" accepted",
			    cols[j], bad[i]);
			ck_assert_msg(strstr(err, cols[j]) != NULL &&
			    strstr(err, "4294967294") != NULL,
			    "err \"%s\"", err);
			/* the earlier value stands */
			ck_assert_uint_eq(r.uid, 1000);
			ck_assert_uint_eq(r.gid, 1001);
		}
}
END_TEST

START_TEST(cols_id_names)
{
	static const char *const good[] = {
		"www-data", "web1", "_apt", "a", "A.B_c-d", "nobody",
		"abcdefghijklmnopqrstuvwxyz012345",	/* 32 */
	};
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	size_t i;

	/* A name for the root side to look up: the number left 0. */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		full_row(&c, &r);
		ck_assert_msg(acct_col_set(&c, &r, "uid", good[i], err,
		    sizeof(err)) == 0, "uid \"%s\" refused: %s", good[i], err);
		ck_assert_uint_eq(r.uid, 0);
		ck_assert_str_eq(r.uid_name, good[i]);
		ck_assert_uint_eq(r.gid, 1001);
		ck_assert_str_eq(r.gid_name, "");
		ck_assert_msg(acct_col_set(&c, &r, "GID", good[i], err,
		    sizeof(err)) == 0, "gid \"%s\" refused: %s", good[i], err);
		ck_assert_uint_eq(r.gid, 0);
		ck_assert_str_eq(r.gid_name, good[i]);
		ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), 0);
	}
	/* A number after a name is the number alone. */
	ck_assert_int_eq(acct_col_set(&c, &r, "uid", "1234", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(r.uid, 1234);
	ck_assert_str_eq(r.uid_name, "");
	ck_assert_str_eq(r.gid_name, good[i - 1]);
	/* Numbers stay numbers, leading zeros and all. */
	ck_assert_int_eq(acct_col_set(&c, &r, "gid", "007", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(r.gid, 7);
	ck_assert_str_eq(r.gid_name, "");
}
END_TEST

START_TEST(cols_enabled)
{
	static const struct {
		const char	*v;
		uint32_t	 want;
	} good[] = {
		{ "1", 1 }, { "0", 0 }, { "t", 1 }, { "f", 0 },
		{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
		{ "on", 1 }, { "off", 0 }, { "T", 1 }, { "F", 0 },
		{ "TRUE", 1 }, { "False", 0 }, { "YeS", 1 }, { "NO", 0 },
		{ "On", 1 }, { "OFF", 0 }, { "y", 1 }, { "N", 0 },
	};
	static const char *const bad[] = {
		"", " ", "2", "-1", "01", "00", "10", "tru", "truee", "yess",
		"of", "onn", " true", "true ", "1 ", "enabled", "oui", "1.0",
		"t\n", "nope", "disabled",
	};
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		full_row(&c, &r);
		r.enabled = 7;
		ck_assert_msg(acct_col_set(&c, &r, "enabled", good[i].v, err,
		    sizeof(err)) == 0, "\"%s\" refused: %s", good[i].v, err);
		ck_assert_msg(r.enabled == good[i].want, "\"%s\" gave %u",
		    good[i].v, (unsigned)r.enabled);
		ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		full_row(&c, &r);
		err[0] = '\0';
		ck_assert_msg(acct_col_set(&c, &r, "enabled", bad[i], err,
		    sizeof(err)) == -1, "\"%s\" accepted", bad[i]);
		ck_assert_msg(strstr(err, "enabled") != NULL &&
		    strstr(err, "truth value") != NULL, "err \"%s\"", err);
		ck_assert_uint_eq(r.enabled, 1);
	}
}
END_TEST

/* The plan's columns are parsed as the configuration's keys would be:
 * a good value is kept as text, a bad one refused naming the column,
 * NULL leaves the server's setting. */
START_TEST(cols_plan)
{
	static const struct { const char *col, *val; int ok; } cases[] = {
		{ "quota_bytes", "10G", 1 }, { "QUOTA_BYTES", "1048576", 1 },
		{ "quota_bytes", "-1", 0 }, { "quota_bytes", "lots", 0 },
		{ "quota_files", "1000", 1 }, { "quota_files", "1K", 0 },
		{ "rate_up", "512K", 1 }, { "rate_down", "0", 1 },
		{ "max_sessions", "3", 1 }, { "max_sessions", "x", 0 },
		{ "allow_from", "10.0.0.0/8, 192.0.2.7", 1 },
		{ "allow_from", "10.0.0.1/8", 0 },
		{ "permissions", "read list", 1 },
		{ "Permissions", "read fly", 0 },
		{ "tls_required", "yes", 1 }, { "tls_required", "maybe", 0 },
		{ "start_dir", "www", 1 }, { "start_dir", "../etc", 0 },
	};
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		full_row(&c, &r);
		ck_assert_int_eq(acct_col_set(&c, &r, cases[i].col,
		    cases[i].val, err, sizeof(err)), cases[i].ok ? 0 : -1);
		k = -1;
		for (size_t j = 0; j < PLAN_NKEYS; j++)
			if (strcasecmp(plan_key_name((enum plan_key)j),
			    cases[i].col) == 0)
				k = (int)j;
		ck_assert_int_ge(k, 0);
		if (cases[i].ok) {
			ck_assert(r.plan_set & (1u << k));
			ck_assert_str_eq(r.plan[k], cases[i].val);
		} else {
			ck_assert(strstr(err, cases[i].col) != NULL);
		}
		full_row(&c, &r);
		ck_assert_int_eq(acct_col_set(&c, &r, cases[i].col, NULL, err,
		    sizeof(err)), 0);
		ck_assert_uint_eq(r.plan_set, 0);
	}
}
END_TEST

/* A name column must be the name asked, byte for byte (collations that
 * ignore case or trailing spaces would alias accounts). */
START_TEST(cols_name)
{
	static const char *const bad[] = { "ALICE", "alice ", "Alice", "",
	    "bob", NULL };
	struct acct_record r;
	struct acct_cols c;
	char err[256];
	size_t i;

	full_row(&c, &r);
	ck_assert_int_eq(acct_col_set(&c, &r, "name", "alice", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "NAME", "alice", err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		full_row(&c, &r);
		ck_assert_int_eq(acct_col_set(&c, &r, "name", bad[i], err,
		    sizeof(err)), -1);
		ck_assert(strstr(err, "column name") != NULL);
	}
}
END_TEST

START_TEST(cols_ignored)
{
	static const char *const other[] = {
		"shell", "id", "user", "passwd", "homedir", "uid2", "", " uid",
		"uid ", "password_hash", "enable", "verified",
	};
	static const char *const vals[] = { NULL, "", "-1", "garbage",
	    "4294967295" };
	struct acct_record r, before;
	struct acct_cols c;
	char err[256];
	size_t i, j;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		for (j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			full_row(&c, &r);
			before = r;
			ck_assert_msg(acct_col_set(&c, &r, other[i], vals[j],
			    err, sizeof(err)) == 0, "\"%s\" refused: %s",
			    other[i], err);
			ck_assert(memcmp(&r, &before, sizeof(r)) == 0);
		}
	/* An ignored column counts for nothing required. */
	acct_col_begin(&c, &r, "alice");
	ck_assert_int_eq(acct_col_set(&c, &r, "passwd", "$1$a$b", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "uid", "1", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(&c, &r, "gid", "1", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_set(&c, &r, "home", "/", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "password"));
	/* The name column never renames the record: another name is
	 * refused. */
	full_row(&c, &r);
	ck_assert_int_eq(acct_col_set(&c, &r, "name", "root", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(r.name, "alice");
}
END_TEST

/* A value of len bytes for col: refused at the record's size, not cut. */
static void
check_too_long(const char *col, size_t size, const char *(*field)(
    const struct acct_record *))
{
	static char v[ACCT_HOME_MAX + 16];
	struct acct_record r;
	struct acct_cols c;
	char err[256], want[64];

	full_row(&c, &r);
	memset(v, 'p', size - 1);
	v[0] = '/';
	v[size - 1] = '\0';
	ck_assert_int_eq(acct_col_set(&c, &r, col, v, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(field(&r)), size - 1);
	ck_assert_str_eq(field(&r), v);

	full_row(&c, &r);
	v[size - 1] = 'p';
	v[size] = '\0';
	err[0] = '\0';
	ck_assert_int_eq(acct_col_set(&c, &r, col, v, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "column %s: longer than %zu bytes", col,
	    size - 1);
	ck_assert_msg(strstr(err, want) != NULL, "err \"%s\"", err);
	/* the field is what it was, not a prefix of v */
	ck_assert_ptr_null(strstr(field(&r), "pppp"));
	memset(v, 'p', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	ck_assert_int_eq(acct_col_set(&c, &r, col, v, err, sizeof(err)), -1);
}

static const char *
hash_of(const struct acct_record *r)
{
	return r->hash;
}

static const char *
home_of(const struct acct_record *r)
{
	return r->home;
}

START_TEST(cols_too_long)
{
	check_too_long("password", ACCT_HASH_MAX, hash_of);
	check_too_long("home", ACCT_HOME_MAX, home_of);
}
END_TEST

START_TEST(cols_verified)
{
	struct acct_record r;
	struct acct_cols c;
	char err[256];

	/* A bind-verified record needs no password column... */
	acct_col_begin(&c, &r, "alice");
	ck_assert_int_eq(acct_col_set(&c, &r, "uid", "1000", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "gid", "1000", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "home", "/h", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "password"));
	r.verified = 1;
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), 0);
	/* ...but every other required one. */
	acct_col_begin(&c, &r, "alice");
	r.verified = 1;
	ck_assert_int_eq(acct_col_set(&c, &r, "uid", "1000", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(acct_col_set(&c, &r, "home", "/h", err, sizeof(err)),
	    0);
	ck_assert_int_eq(acct_col_end(&c, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "gid"));
}
END_TEST

/* ---- ACCT_ANSWER ---- */

static void
sample(struct acct_record *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->name, "alice");
	strcpy(r->hash, "$y$j9T$salt$hash");
	r->uid = 1000;
	r->gid = 4294967294ULL;
	strcpy(r->home, "/srv/ftp/alice");
	r->enabled = 1;
	r->verified = 0;
	strcpy(r->gid_name, "www-data");
}

START_TEST(answer_found)
{
	struct acct_record in, out;
	enum acct_status st = ACCT_UNAVAILABLE;
	char why[ACCT_WHY_MAX];
	struct buf b;

	sample(&in);
	buf_init(&b, IPC_MAX);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_FOUND, "", &in), 0);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_int_eq(st, ACCT_FOUND);
	ck_assert_str_eq(why, "");
	ck_assert_str_eq(out.name, "alice");
	ck_assert_str_eq(out.hash, "$y$j9T$salt$hash");
	ck_assert_uint_eq(out.uid, 1000);
	ck_assert_uint_eq(out.gid, 4294967294ULL);
	ck_assert_str_eq(out.home, "/srv/ftp/alice");
	ck_assert_uint_eq(out.enabled, 1);
	ck_assert_uint_eq(out.verified, 0);
	ck_assert_str_eq(out.uid_name, "");
	ck_assert_str_eq(out.gid_name, "www-data");

	/* Every field at its largest, the u32 and u64 carried as they
	 * are (acct_check judges them, not the decoder). */
	memset(&in, 0, sizeof(in));
	memset(in.name, 'n', sizeof(in.name) - 1);
	memset(in.hash, 'h', sizeof(in.hash) - 1);
	memset(in.home, 'd', sizeof(in.home) - 1);
	memset(in.uid_name, 'u', sizeof(in.uid_name) - 1);
	memset(in.gid_name, 'g', sizeof(in.gid_name) - 1);
	in.uid = UINT64_MAX;
	in.gid = 0;
	in.enabled = 0;
	in.verified = UINT32_MAX;
	memset(why, 'w', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	buf_reset(&b);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_FOUND, why, &in), 0);
	memset(&out, 0x5a, sizeof(out));
	memset(why, 0, sizeof(why));
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_uint_eq(strlen(why), ACCT_WHY_MAX - 1);
	ck_assert(memcmp(&in, &out, sizeof(in)) == 0);
	buf_free(&b);
}
END_TEST

START_TEST(answer_other_statuses)
{
	static const enum acct_status sts[] = { ACCT_UNKNOWN, ACCT_REFUSED,
	    ACCT_UNAVAILABLE };
	static const char *const whys[] = { "no such account",
	    "column uid: not a number", "connect: refused" };
	struct acct_record in, out;
	enum acct_status st;
	char why[ACCT_WHY_MAX];
	struct buf b;
	size_t i;

	buf_init(&b, IPC_MAX);
	sample(&in);
	for (i = 0; i < 3; i++) {
		/* status and why only: the record is not sent */
		buf_reset(&b);
		ck_assert_int_eq(acct_put_answer(&b, sts[i], whys[i], &in), 0);
		ck_assert_uint_eq(b.len, 4 + 4 + strlen(whys[i]));
		memset(&out, 0x5a, sizeof(out));
		st = ACCT_FOUND;
		ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why),
		    &out), 0);
		ck_assert_int_eq(st, sts[i]);
		ck_assert_str_eq(why, whys[i]);
		/* no record comes with them: out is cleared */
		ck_assert_str_eq(out.name, "");
		ck_assert_str_eq(out.hash, "");
		ck_assert_str_eq(out.home, "");
		ck_assert_uint_eq(out.uid, 0);
		ck_assert_uint_eq(out.enabled, 0);
		ck_assert_uint_eq(out.verified, 0);
		ck_assert_str_eq(out.gid_name, "");
	}
	buf_free(&b);
}
END_TEST

START_TEST(answer_truncated_trailing)
{
	static const enum acct_status sts[] = { ACCT_FOUND, ACCT_UNKNOWN,
	    ACCT_REFUSED, ACCT_UNAVAILABLE };
	struct acct_record in, out;
	enum acct_status st;
	char why[ACCT_WHY_MAX];
	struct buf b, cut;
	size_t i, len;
	uint32_t v;

	sample(&in);
	buf_init(&b, IPC_MAX);
	for (i = 0; i < 4; i++) {
		buf_reset(&b);
		ck_assert_int_eq(acct_put_answer(&b, sts[i], "why", &in), 0);
		/* every strict prefix is refused */
		for (len = 0; len < b.len; len++) {
			cut = b;
			cut.len = len;
			ck_assert_msg(acct_get_answer(&cut, &st, why,
			    sizeof(why), &out) == -1,
			    "status %d: %zu of %zu bytes accepted",
			    (int)sts[i], len, b.len);
		}
		cut = b;
		ck_assert_int_eq(acct_get_answer(&cut, &st, why, sizeof(why),
		    &out), 0);
		/* a byte more, or a whole field more, is refused */
		ck_assert_int_eq(buf_putc(&b, 0), 0);
		ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why),
		    &out), -1);
		ck_assert_int_eq(ipc_put_str(&b, "more"), 0);
		ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why),
		    &out), -1);
	}
	/* A non-FOUND answer followed by a record is refused too. */
	buf_reset(&b);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_FOUND, "x", &in), 0);
	v = ACCT_UNKNOWN;
	memcpy(b.data, &v, 4);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out),
	    -1);
	/* An empty payload. */
	buf_reset(&b);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out),
	    -1);
	buf_free(&b);
}
END_TEST

/* An ACCT_FOUND payload by hand (name given with its length, so that it
 * may hold a NUL). */
static void
put_found(struct buf *b, const char *name, size_t namelen, const char *home,
    const char *uid_name, const char *gid_name)
{
	buf_reset(b);
	ck_assert_int_eq(ipc_put_u32(b, ACCT_FOUND), 0);
	ck_assert_int_eq(ipc_put_str(b, ""), 0);
	ck_assert_int_eq(ipc_put_bytes(b, name, namelen), 0);
	ck_assert_int_eq(ipc_put_str(b, "$1$a$b"), 0);
	ck_assert_int_eq(ipc_put_u64(b, 1000), 0);
	ck_assert_int_eq(ipc_put_u64(b, 1000), 0);
	ck_assert_int_eq(ipc_put_str(b, home), 0);
	ck_assert_int_eq(ipc_put_u32(b, 1), 0);
	ck_assert_int_eq(ipc_put_u32(b, 0), 0);
	ck_assert_int_eq(ipc_put_str(b, uid_name), 0);
	ck_assert_int_eq(ipc_put_str(b, gid_name), 0);
	ck_assert_int_eq(ipc_put_u32(b, 0), 0);		/* no plan values */
}

START_TEST(answer_bad_fields)
{
	static const uint32_t bad_st[] = { ACCT_UNAVAILABLE + 1, 4, 5, 255,
	    0x80000000u, UINT32_MAX };
	struct acct_record in, out;
	enum acct_status st;
	char why[ACCT_WHY_MAX], lng[ACCT_HOME_MAX + 2];
	struct buf b;
	uint32_t v;
	size_t i;

	sample(&in);
	buf_init(&b, IPC_MAX);
	/* status out of range, with and without a record after it */
	for (i = 0; i < sizeof(bad_st) / sizeof(bad_st[0]); i++) {
		buf_reset(&b);
		ck_assert_int_eq(acct_put_answer(&b, ACCT_UNKNOWN, "x", &in),
		    0);
		memcpy(b.data, &bad_st[i], 4);
		ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why),
		    &out), -1);
		buf_reset(&b);
		ck_assert_int_eq(acct_put_answer(&b, ACCT_FOUND, "x", &in), 0);
		memcpy(b.data, &bad_st[i], 4);
		ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why),
		    &out), -1);
	}
	/* the last valid status is accepted */
	buf_reset(&b);
	v = ACCT_UNAVAILABLE;
	ck_assert_int_eq(ipc_put_u32(&b, v), 0);
	ck_assert_int_eq(ipc_put_str(&b, ""), 0);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_int_eq(st, ACCT_UNAVAILABLE);

	/* why too long for the caller's buffer */
	buf_reset(&b);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_UNKNOWN, "0123456789",
	    &in), 0);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, 10, &out), -1);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, 11, &out), 0);
	ck_assert_str_eq(why, "0123456789");

	/* each string field at its largest, and one byte more */
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	put_found(&b, lng, ACCT_NAME_MAX - 1, "/", "", "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_uint_eq(strlen(out.name), ACCT_NAME_MAX - 1);
	put_found(&b, lng, ACCT_NAME_MAX, "/", "", "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), -1);
	lng[ACCT_HOME_MAX - 1] = '\0';
	put_found(&b, "alice", 5, lng, "", "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_uint_eq(strlen(out.home), ACCT_HOME_MAX - 1);
	lng[ACCT_HOME_MAX - 1] = 'x';
	lng[ACCT_HOME_MAX] = '\0';
	put_found(&b, "alice", 5, lng, "", "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), -1);
	lng[ACCT_IDNAME_MAX - 1] = '\0';
	put_found(&b, "alice", 5, "/", lng, lng);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_uint_eq(strlen(out.uid_name), ACCT_IDNAME_MAX - 1);
	ck_assert_uint_eq(strlen(out.gid_name), ACCT_IDNAME_MAX - 1);
	lng[ACCT_IDNAME_MAX - 1] = 'x';
	lng[ACCT_IDNAME_MAX] = '\0';
	put_found(&b, "alice", 5, "/", lng, "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), -1);
	put_found(&b, "alice", 5, "/", "", lng);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), -1);

	/* a NUL inside a string field: "alice\0root" is not "alice" */
	put_found(&b, "alice\0root", 10, "/", "", "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), -1);
	put_found(&b, "alice", 5, "/", "", "");
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), 0);
	ck_assert_str_eq(out.name, "alice");

	/* a length prefix beyond the payload */
	buf_reset(&b);
	ck_assert_int_eq(ipc_put_u32(&b, ACCT_UNKNOWN), 0);
	ck_assert_int_eq(ipc_put_u32(&b, UINT32_MAX), 0);
	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	ck_assert_int_eq(acct_get_answer(&b, &st, why, sizeof(why), &out), -1);
	buf_free(&b);
}
END_TEST

START_TEST(answer_put_limits)
{
	struct acct_record in;
	struct buf b;

	sample(&in);
	/* a payload that does not fit the buffer fails, not cut */
	buf_init(&b, 16);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_FOUND, "", &in), -1);
	buf_free(&b);
	buf_init(&b, 7);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_UNKNOWN, "", &in), -1);
	buf_free(&b);
	buf_init(&b, 8);
	ck_assert_int_eq(acct_put_answer(&b, ACCT_UNKNOWN, "", &in), 0);
	buf_free(&b);
}
END_TEST

static Suite *
acctcols_suite(void)
{
	Suite *s = suite_create("acctcols");
	TCase *tc = tcase_create("columns");
	TCase *ta = tcase_create("answer");

	tcase_add_test(tc, cols_complete);
	tcase_add_test(tc, cols_begin_resets);
	tcase_add_test(tc, cols_required);
	tcase_add_test(tc, cols_case_insensitive);
	tcase_add_test(tc, cols_null);
	tcase_add_test(tc, cols_bad_ids);
	tcase_add_test(tc, cols_id_names);
	tcase_add_test(tc, cols_enabled);
	tcase_add_test(tc, cols_ignored);
	tcase_add_test(tc, cols_plan);
	tcase_add_test(tc, cols_name);
	tcase_add_test(tc, cols_too_long);
	tcase_add_test(tc, cols_verified);
	tcase_add_test(ta, answer_found);
	tcase_add_test(ta, answer_other_statuses);
	tcase_add_test(ta, answer_truncated_trailing);
	tcase_add_test(ta, answer_bad_fields);
	tcase_add_test(ta, answer_put_limits);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, ta);
	return s;
}
UNIT_SUITE(acctcols_suite)
