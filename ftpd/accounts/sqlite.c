/*
 * sqlite.c - accounts in an SQLite database file (sql_driver = sqlite).
 *
 * The embedded choice: no server to run, the same schema and queries as
 * the others.  sql_dsn is the file's path; it is opened read-write (the
 * quota tallies write ftp_quota_tally) but never created: a missing file
 * is a configuration error, not an empty account list.  The file must be
 * readable by account_user, which the service runs as; with quotas it
 * and its directory (SQLite's journal) must be writable too.  Several
 * servers may share the file: SQLite's locks order their writes, each
 * tally change being one statement.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "config.h"
#include "accounts/backend.h"
#include "accounts/sqlparams.h"
#include "accounts/tally.h"

struct lite {
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct sql_text	 q;
	long long	 deadline;	/* clock_ms() a statement must end by */
};

/* Stops a statement that runs past its deadline (every 1000 steps). */
static int
past_deadline(void *arg)
{
	const struct lite *l = arg;

	return clock_ms() > l->deadline;
}

static void
lite_disconnect(void *h)
{
	struct lite *l = h;

	if (l == NULL)
		return;
	(void)sqlite3_finalize(l->st);
	(void)sqlite3_close_v2(l->db);
	sqlite3_free(l);
}

static int
lite_connect(void **h, const char *password, char *err, size_t errlen)
{
	struct lite *l;
	int rc;

	(void)password;		/* a file's permissions guard it */
	*h = NULL;
	l = sqlite3_malloc(sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "connect: out of memory");
		return -1;
	}
	memset(l, 0, sizeof(*l));
	if (sql_translate(cfg->sql_user_query, SQLP_NAMED, &l->q, err,
	    errlen) == -1) {
		sqlite3_free(l);
		return -1;
	}
	rc = sqlite3_open_v2(cfg->sql_dsn, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(l->db,
		    (int)cfg->accounts_timeout * 1000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(l->db, l->q.text, -1,
		    SQLITE_PREPARE_PERSISTENT, &l->st, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "connect: %s: %s", cfg->sql_dsn,
		    l->db != NULL ? sqlite3_errmsg(l->db) :
		    sqlite3_errstr(rc));
		lite_disconnect(l);
		return -1;
	}
	sqlite3_progress_handler(l->db, 1000, past_deadline, l);
	*h = l;
	return 0;
}

/* SQLite binds by name: each of :user, :host, :client the query uses. */
static int
bind_params(struct lite *l, const struct acct_query *q, char *err,
    size_t errlen)
{
	static const char *const names[] = { ":user", ":host", ":client" };
	static const enum sql_param which[] = { SQLP_USER, SQLP_HOST,
	    SQLP_CLIENT };
	size_t i;
	int idx, rc;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		idx = sqlite3_bind_parameter_index(l->st, names[i]);
		if (idx == 0)
			continue;
		rc = sqlite3_bind_text(l->st, idx, sql_param_value(which[i],
		    q->user, q->host, q->client), -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "bind: %s", sqlite3_errstr(rc));
			return -1;
		}
	}
	return 0;
}

/* One row's columns into r.  ACCT_FOUND or ACCT_REFUSED. */
static int
take_row(sqlite3_stmt *st, const char *user, struct acct_record *r,
    char *err, size_t errlen)
{
	struct acct_cols c;
	int i, n = sqlite3_column_count(st);

	acct_col_begin(&c, r, user);
	for (i = 0; i < n; i++) {
		const char *v = sqlite3_column_type(st, i) == SQLITE_NULL ?
		    NULL : (const char *)sqlite3_column_text(st, i);

		/* text with an embedded NUL would be cut short silently */
		if (v != NULL && (size_t)sqlite3_column_bytes(st, i) !=
		    strlen(v)) {
			snprintf(err, errlen, "column %s: holds a NUL",
			    sqlite3_column_name(st, i));
			return ACCT_REFUSED;
		}
		if (acct_col_set(&c, r, sqlite3_column_name(st, i), v, err,
		    errlen) == -1)
			return ACCT_REFUSED;
	}
	/* A column the query does not return is missing from every row:
	 * the administrator's query, not this account, is at fault. */
	return acct_col_end(&c, r, err, errlen) == -1 ? ACCT_UNAVAILABLE :
	    ACCT_FOUND;
}

static int
lite_lookup(void *h, const struct acct_query *q, struct acct_record *r,
    char *err, size_t errlen)
{
	struct lite *l = h;
	int rc, st = ACCT_UNKNOWN;

	l->deadline = clock_ms() + q->deadline_ms;
	(void)sqlite3_reset(l->st);
	(void)sqlite3_clear_bindings(l->st);
	if (bind_params(l, q, err, errlen) == -1)
		return ACCT_UNAVAILABLE;
	rc = sqlite3_step(l->st);
	if (rc == SQLITE_ROW) {
		st = take_row(l->st, q->user, r, err, errlen);
		rc = sqlite3_step(l->st);
		if (rc == SQLITE_ROW) {
			snprintf(err, errlen, "query: more than one row for "
			    "%s", q->user);
			st = ACCT_REFUSED;
			rc = SQLITE_DONE;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "query: %s", rc == SQLITE_INTERRUPT ?
		    "deadline passed" : sqlite3_errmsg(l->db));
		st = ACCT_UNAVAILABLE;
	} else if (st == ACCT_UNKNOWN)
		snprintf(err, errlen, "no row for %s", q->user);
	(void)sqlite3_reset(l->st);
	(void)sqlite3_clear_bindings(l->st);
	if (st != ACCT_FOUND)
		explicit_bzero(r, sizeof(*r));
	return st;
}

const struct acct_backend acct_sqlite = {
	"sqlite", lite_connect, lite_lookup, lite_disconnect
};

/* ---- quota tallies (tally.h) ---------------------------------------- */

/* Prepare sql (one of ours, constant) on l's database, its deadline set. */
static sqlite3_stmt *
tally_prepare(struct lite *l, const char *sql, int deadline_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;

	l->deadline = clock_ms() + deadline_ms;
	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "tally: %s", sqlite3_errmsg(l->db));
		return NULL;
	}
	return st;
}

/* Step st to its end; its last row's two columns into v (if any).
 * SQLITE_ROW seen: 1, none: 0, -1 on error (st finalized either way). */
static int
tally_step(struct lite *l, sqlite3_stmt *st, uint64_t v[2], char *err,
    size_t errlen)
{
	int rc, row = 0;
	sqlite3_int64 x;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = 1;
		x = sqlite3_column_int64(st, 0);
		v[0] = x > 0 ? (uint64_t)x : 0;
		x = sqlite3_column_int64(st, 1);
		v[1] = x > 0 ? (uint64_t)x : 0;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "tally: %s", rc == SQLITE_INTERRUPT ?
		    "deadline passed" : sqlite3_errmsg(l->db));
		(void)sqlite3_finalize(st);
		return -1;
	}
	(void)sqlite3_finalize(st);
	return row;
}

static int
tally_bind(struct lite *l, sqlite3_stmt *st, const char *name,
    const long long *v, int nv, char *err, size_t errlen)
{
	int i;

	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK)
		goto fail;
	for (i = 0; i < nv; i++)
		if (sqlite3_bind_int64(st, i + 2, v[i]) != SQLITE_OK)
			goto fail;
	return 0;
fail:
	snprintf(err, errlen, "tally: bind: %s", sqlite3_errmsg(l->db));
	(void)sqlite3_finalize(st);
	return -1;
}

static int
lite_tally_read(void *h, const char *name, int deadline_ms, uint64_t *bytes,
    uint64_t *files, char *err, size_t errlen)
{
	struct lite *l = h;
	sqlite3_stmt *st;
	uint64_t v[2] = { 0, 0 };
	int r;

	if ((st = tally_prepare(l, "SELECT bytes_used, files_used FROM "
	    "ftp_quota_tally WHERE name = ?1", deadline_ms, err, errlen)) ==
	    NULL || tally_bind(l, st, name, NULL, 0, err, errlen) == -1)
		return -1;
	if ((r = tally_step(l, st, v, err, errlen)) == 1) {
		*bytes = v[0];
		*files = v[1];
	}
	return r;
}

static int
lite_tally_insert(void *h, const char *name, uint64_t bytes, uint64_t files,
    int deadline_ms, char *err, size_t errlen)
{
	struct lite *l = h;
	long long v[2] = { (long long)bytes, (long long)files };
	sqlite3_stmt *st;
	uint64_t none[2];

	if ((st = tally_prepare(l, "INSERT OR IGNORE INTO ftp_quota_tally "
	    "(name, bytes_used, files_used) VALUES (?1, ?2, ?3)",
	    deadline_ms, err, errlen)) == NULL ||
	    tally_bind(l, st, name, v, 2, err, errlen) == -1)
		return -1;
	return tally_step(l, st, none, err, errlen) == -1 ? -1 : 0;
}

static int
lite_tally_add(void *h, const char *name, long long db, long long df,
    uint64_t max_bytes, uint64_t max_files, int deadline_ms, char *err,
    size_t errlen)
{
	struct lite *l = h;
	long long v[4] = { db, df, (long long)max_bytes, (long long)max_files };
	sqlite3_stmt *st;
	uint64_t none[2];

	if ((st = tally_prepare(l, "UPDATE ftp_quota_tally SET "
	    "bytes_used = MAX(0, bytes_used + ?2), "
	    "files_used = MAX(0, files_used + ?3) WHERE name = ?1 "
	    "AND (?4 = 0 OR bytes_used + ?2 <= ?4) "
	    "AND (?5 = 0 OR files_used + ?3 <= ?5)", deadline_ms, err,
	    errlen)) == NULL || tally_bind(l, st, name, v, 4, err,
	    errlen) == -1)
		return -1;
	if (tally_step(l, st, none, err, errlen) == -1)
		return -1;
	return sqlite3_changes(l->db) == 1;
}

const struct acct_tally_ops acct_sqlite_tally = {
	lite_tally_read, lite_tally_insert, lite_tally_add
};
