/*
 * postgresql.c - accounts in PostgreSQL (sql_driver = postgresql), with
 * libpq.
 *
 * sql_dsn is a libpq connection string (host=... dbname=... user=...);
 * the password comes from sql_password_file, never from the string.
 * The query is prepared once per connection and run asynchronously, so
 * that a statement still running at the deadline is cancelled on the
 * server instead of holding the worker.  The quota tallies' statements
 * (tally.h) run the same way, on the same connection, each one
 * statement so that the server orders the nodes' changes.
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/clock.h"
#include "common/parse.h"
#include "config.h"
#include "accounts/backend.h"
#include "accounts/sqlparams.h"
#include "accounts/banstore.h"
#include "accounts/tally.h"

#define STMT_NAME	"ftpd_user"

struct pg {
	PGconn		*conn;
	struct sql_text	 q;
};

/* libpq's messages end with a newline; a log line must not. */
static void
pg_error(char *err, size_t errlen, const char *step, const char *msg)
{
	size_t n;

	snprintf(err, errlen, "%s: %s", step, msg);
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r'))
		err[--n] = '\0';
}

static void
pg_disconnect(void *h)
{
	struct pg *p = h;

	if (p == NULL)
		return;
	PQfinish(p->conn);
	explicit_bzero(p, sizeof(*p));
	free(p);
}

static int
pg_connect(void **h, const char *password, char *err, size_t errlen)
{
	const char *keys[] = { "dbname", "password", "connect_timeout",
	    "application_name", NULL };
	const char *vals[5];
	char timeout[24];
	struct pg *p;
	PGresult *res;

	*h = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "connect: out of memory");
		return -1;
	}
	if (sql_translate(cfg->sql_user_query, SQLP_DOLLAR, &p->q, err,
	    errlen) == -1) {
		free(p);
		return -1;
	}
	(void)snprintf(timeout, sizeof(timeout), "%llu",
	    cfg->accounts_timeout);
	vals[0] = cfg->sql_dsn;		/* expanded: the later keys win */
	vals[1] = password != NULL && password[0] != '\0' ? password : NULL;
	vals[2] = timeout;
	vals[3] = "ftpd";
	vals[4] = NULL;
	if (vals[1] == NULL) {
		keys[1] = "connect_timeout";	/* keep the list dense */
		vals[1] = timeout;
	}
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		pg_error(err, errlen, "connect", p->conn != NULL ?
		    PQerrorMessage(p->conn) : "out of memory");
		pg_disconnect(p);
		return -1;
	}
	res = PQprepare(p->conn, STMT_NAME, p->q.text, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_error(err, errlen, "prepare", PQerrorMessage(p->conn));
		PQclear(res);
		pg_disconnect(p);
		return -1;
	}
	PQclear(res);
	*h = p;
	return 0;
}

/* Wait for the whole result until the deadline: 0, or -1 (err set, the
 * statement cancelled). */
static int
await_result(struct pg *p, long long deadline, char *err, size_t errlen)
{
	struct pollfd pfd = { PQsocket(p->conn), POLLIN, 0 };
	char cerr[256];
	PGcancel *c;
	long long left;
	int r;

	while (PQisBusy(p->conn)) {
		left = deadline - clock_ms();
		if (left <= 0) {
			snprintf(err, errlen, "query: no answer within the "
			    "deadline (accounts_timeout)");
			c = PQgetCancel(p->conn);
			if (c != NULL) {
				(void)PQcancel(c, cerr, sizeof(cerr));
				PQfreeCancel(c);
			}
			return -1;
		}
		r = poll(&pfd, 1, (int)left);
		if (r == -1 && errno != EINTR) {
			snprintf(err, errlen, "query: poll: %s",
			    strerror(errno));
			return -1;
		}
		if (r > 0 && !PQconsumeInput(p->conn)) {
			pg_error(err, errlen, "query", PQerrorMessage(p->conn));
			return -1;
		}
	}
	return 0;
}

static int
take_row(const PGresult *res, const char *user, struct acct_record *r,
    char *err, size_t errlen)
{
	struct acct_cols c;
	int i, n = PQnfields(res);

	acct_col_begin(&c, r, user);
	for (i = 0; i < n; i++)
		if (acct_col_set(&c, r, PQfname(res, i), PQgetisnull(res, 0, i) ?
		    NULL : PQgetvalue(res, 0, i), err, errlen) == -1)
			return ACCT_REFUSED;
	/* A column the query does not return is missing from every row:
	 * the administrator's query, not this account, is at fault. */
	return acct_col_end(&c, r, err, errlen) == -1 ? ACCT_UNAVAILABLE :
	    ACCT_FOUND;
}

static int
pg_lookup(void *h, const struct acct_query *q, struct acct_record *r,
    char *err, size_t errlen)
{
	struct pg *p = h;
	const char *vals[SQLP_MAX];
	PGresult *res, *extra;
	size_t i;
	int st;

	for (i = 0; i < p->q.n; i++)
		vals[i] = sql_param_value(p->q.order[i], q->user, q->host,
		    q->client);
	if (!PQsendQueryPrepared(p->conn, STMT_NAME, (int)p->q.n, vals, NULL,
	    NULL, 0)) {
		pg_error(err, errlen, "query", PQerrorMessage(p->conn));
		return ACCT_UNAVAILABLE;
	}
	if (await_result(p, clock_ms() + q->deadline_ms, err, errlen) == -1)
		return ACCT_UNAVAILABLE;
	res = PQgetResult(p->conn);
	while ((extra = PQgetResult(p->conn)) != NULL)
		PQclear(extra);		/* one statement: nothing should come */
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(err, errlen, "query", res != NULL ?
		    PQresultErrorMessage(res) : PQerrorMessage(p->conn));
		st = ACCT_UNAVAILABLE;
	} else if (PQntuples(res) == 0) {
		snprintf(err, errlen, "no row for %s", q->user);
		st = ACCT_UNKNOWN;
	} else if (PQntuples(res) > 1) {
		snprintf(err, errlen, "query: %d rows for %s", PQntuples(res),
		    q->user);
		st = ACCT_REFUSED;
	} else
		st = take_row(res, q->user, r, err, errlen);
	PQclear(res);
	if (st != ACCT_FOUND)
		explicit_bzero(r, sizeof(*r));
	return st;
}

const struct acct_backend acct_postgresql = {
	"postgresql", pg_connect, pg_lookup, pg_disconnect
};

/* ---- quota tallies (tally.h) ---------------------------------------- */

#define TALLY_TEXT	25	/* the types of the parameters, by OID */
#define TALLY_INT8	20

/*
 * Run sql with n parameters as text (types NULL: the server infers them)
 * within the deadline.  The result (PGRES_TUPLES_OK or PGRES_COMMAND_OK),
 * or NULL with err naming step.
 */
static PGresult *
exec_params(struct pg *p, const char *step, const char *sql, int n,
    const Oid *types, const char *const *vals, int deadline_ms, char *err,
    size_t errlen)
{
	PGresult *res, *extra;
	ExecStatusType st;

	if (!PQsendQueryParams(p->conn, sql, n, types, vals, NULL, NULL, 0)) {
		pg_error(err, errlen, step, PQerrorMessage(p->conn));
		return NULL;
	}
	if (await_result(p, clock_ms() + deadline_ms, err, errlen) == -1)
		return NULL;
	res = PQgetResult(p->conn);
	while ((extra = PQgetResult(p->conn)) != NULL)
		PQclear(extra);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		pg_error(err, errlen, step, res != NULL ?
		    PQresultErrorMessage(res) : PQerrorMessage(p->conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Run sql with name and up to four numbers as parameters. */
static PGresult *
tally_exec(struct pg *p, const char *sql, const char *name,
    const long long *v, int nv, int deadline_ms, char *err, size_t errlen)
{
	static const Oid types[5] = { TALLY_TEXT, TALLY_INT8, TALLY_INT8,
	    TALLY_INT8, TALLY_INT8 };
	char num[4][24];
	const char *vals[5];
	int i;

	vals[0] = name;
	for (i = 0; i < nv && i < 4; i++) {
		(void)snprintf(num[i], sizeof(num[i]), "%lld", v[i]);
		vals[i + 1] = num[i];
	}
	return exec_params(p, "tally", sql, 1 + nv, types, vals, deadline_ms,
	    err, errlen);
}

/* A bigint column as text, at 0 or more. */
static uint64_t
tally_value(const PGresult *res, int col)
{
	const char *t = PQgetvalue(res, 0, col);
	unsigned long long v;

	/* "-5" or garbage from a hand-edited row counts as 0. */
	if (PQgetisnull(res, 0, col) || parse_uint(t, 0, ACCT_TALLY_MAX,
	    &v) == -1)
		return 0;
	return v;
}

static int
pg_tally_read(void *h, const char *name, int deadline_ms, uint64_t *bytes,
    uint64_t *files, char *err, size_t errlen)
{
	PGresult *res;
	int r;

	if ((res = tally_exec(h, "SELECT bytes_used, files_used FROM "
	    "ftp_quota_tally WHERE name = $1", name, NULL, 0, deadline_ms,
	    err, errlen)) == NULL)
		return -1;
	r = PQntuples(res) > 0 && PQnfields(res) == 2;
	if (r) {
		*bytes = tally_value(res, 0);
		*files = tally_value(res, 1);
	}
	PQclear(res);
	return r;
}

static int
pg_tally_insert(void *h, const char *name, uint64_t bytes, uint64_t files,
    int deadline_ms, char *err, size_t errlen)
{
	long long v[2] = { (long long)bytes, (long long)files };
	PGresult *res;

	if ((res = tally_exec(h, "INSERT INTO ftp_quota_tally (name, "
	    "bytes_used, files_used) VALUES ($1, $2, $3) "
	    "ON CONFLICT (name) DO NOTHING", name, v, 2, deadline_ms, err,
	    errlen)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
pg_tally_add(void *h, const char *name, long long db, long long df,
    uint64_t max_bytes, uint64_t max_files, int deadline_ms, char *err,
    size_t errlen)
{
	long long v[4] = { db, df, (long long)max_bytes, (long long)max_files };
	PGresult *res;
	int r;

	if ((res = tally_exec(h, "UPDATE ftp_quota_tally SET "
	    "bytes_used = GREATEST(0, bytes_used + $2), "
	    "files_used = GREATEST(0, files_used + $3) WHERE name = $1 "
	    "AND ($4 = 0 OR bytes_used + $2 <= $4) "
	    "AND ($5 = 0 OR files_used + $3 <= $5)", name, v, 4, deadline_ms,
	    err, errlen)) == NULL)
		return -1;
	r = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return r;
}

const struct acct_tally_ops acct_postgresql_tally = {
	pg_tally_read, pg_tally_insert, pg_tally_add
};

/* ---- shared bans (banstore.h) --------------------------------------- */

#define BANS_KEEP_EXPIRED	86400	/* rows kept a day after, then gone */

static int
pg_ban_add(void *h, const char *address, unsigned long long until,
    const char *node, const char *reason, int deadline_ms, char *err,
    size_t errlen)
{
	static const Oid types[4] = { TALLY_TEXT, TALLY_INT8, TALLY_TEXT,
	    TALLY_TEXT };
	char num[24], old[24];
	const char *vals[4] = { address, num, node, reason };
	const char *oldv[1] = { old };
	PGresult *res;

	(void)snprintf(num, sizeof(num), "%llu", until);
	/* Two nodes banning one address at once: the later until wins. */
	if ((res = exec_params(h, "ban", "INSERT INTO ftp_bans (address, "
	    "expires, node, reason) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (address) DO UPDATE SET "
	    "expires = GREATEST(ftp_bans.expires, EXCLUDED.expires), "
	    "node = EXCLUDED.node, reason = EXCLUDED.reason", 4, types, vals,
	    deadline_ms, err, errlen)) == NULL)
		return -1;
	PQclear(res);
	(void)snprintf(old, sizeof(old), "%llu", until > BANS_KEEP_EXPIRED ?
	    until - BANS_KEEP_EXPIRED : 0);
	if ((res = exec_params(h, "ban", "DELETE FROM ftp_bans WHERE "
	    "expires < $1", 1, types + 1, oldv, deadline_ms, err, errlen)) ==
	    NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
pg_ban_list(void *h, unsigned long long now, size_t max, ban_row_fn row,
    void *arg, int deadline_ms, char *err, size_t errlen)
{
	static const Oid types[2] = { TALLY_INT8, TALLY_INT8 };
	char num[24], lim[24];
	const char *vals[2] = { num, lim };
	PGresult *res;
	int i, n;

	(void)snprintf(num, sizeof(num), "%llu", now);
	(void)snprintf(lim, sizeof(lim), "%zu", max);
	if ((res = exec_params(h, "bans", "SELECT address, expires FROM "
	    "ftp_bans WHERE expires > $1 ORDER BY expires DESC LIMIT $2", 2,
	    types, vals, deadline_ms, err, errlen)) == NULL)
		return -1;
	n = PQnfields(res) == 2 ? PQntuples(res) : 0;
	for (i = 0; i < n; i++)
		row(arg, PQgetisnull(res, i, 0) ? NULL : PQgetvalue(res, i, 0),
		    PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1));
	PQclear(res);
	return 0;
}

const struct acct_ban_ops acct_postgresql_bans = {
	pg_ban_add, pg_ban_list
};
