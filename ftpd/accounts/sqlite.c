/*
 * sqlite.c - accounts in an SQLite database file (sql_driver = sqlite).
 *
 * The embedded choice: no server to run, the same schema and queries as
 * the others.  sql_dsn is the file's path; it is opened read-write (the
 * quota tallies will write) but never created: a missing file is a
 * configuration error, not an empty account list.  The file must be
 * readable by account_user, which the service runs as.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "config.h"
#include "accounts/backend.h"
#include "accounts/sqlparams.h"

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
