/*
 * mysql.c - accounts in MariaDB or MySQL (sql_driver = mysql), through
 * MariaDB Connector/C.
 *
 * Runs only in a worker of the account service, unprivileged and
 * sandboxed.  One connection per worker, with sql_user_query prepared
 * once on it; each lookup binds :user, :host and :client as string
 * parameters (never pasted into the SQL text) and reads the row back as
 * strings into fixed buffers, so a value too long is refused, never cut
 * short into something else.
 *
 * Every error of the server or the connection is ACCT_UNAVAILABLE: the
 * client gets 421 and may retry, no failed login is counted, and the
 * service reconnects.  So is an error in the query itself: that is the
 * administrator's to fix (the log line says which step failed), not the
 * client's to be punished for.
 *
 * The quota tallies' statements (tally.h) run on the same connection,
 * each prepared for its one use with bound parameters; the connection
 * reports the rows an UPDATE matched (CLIENT_FOUND_ROWS), not only those
 * it changed, so "the row did not fit" never reads as "no row".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysql.h>

#include "common/clock.h"
#include "config.h"
#include "accounts/backend.h"
#include "accounts/dsn.h"
#include "accounts/sqlparams.h"
#include "accounts/tally.h"

/* Columns of one result row; the schema has 15, a query may add its own. */
#define MY_COLS_MAX	32
/* The longest value of any column, with its NUL: acct_col_set takes no
 * longer text (home), so anything longer is refused here already. */
#define MY_VALUE_MAX	ACCT_HOME_MAX
/* How much of the user name an error message repeats. */
#define NAME_SHOW	128

struct my_col {
	const char	*name;		/* in meta, alive with the statement */
	char		 buf[MY_VALUE_MAX];
	unsigned long	 len;
	my_bool		 null;
	my_bool		 trunc;
};

struct my_conn {
	MYSQL		*db;
	MYSQL_STMT	*st;
	MYSQL_RES	*meta;		/* the prepared query's columns */
	enum sql_param	 order[SQLP_MAX];	/* value of each '?' */
	size_t		 nparams;
	unsigned	 ncols;
	MYSQL_BIND	 out[MY_COLS_MAX];
	struct my_col	 col[MY_COLS_MAX];
};

static void
my_disconnect(void *h)
{
	struct my_conn *c = h;

	if (c == NULL)
		return;
	if (c->meta != NULL)
		mysql_free_result(c->meta);
	/* Closing can fail only to tell the server, which drops the
	 * statement with the connection anyway. */
	if (c->st != NULL)
		(void)mysql_stmt_close(c->st);
	if (c->db != NULL)
		mysql_close(c->db);
	free(c);
}

/*
 * The options that hold for every connection.  The three timeouts give
 * each step (connect, each read, each write) accounts_timeout: a server
 * that hangs costs a login 421 after that long, not a hung worker.
 */
static int
set_options(MYSQL *db, const struct dsn_mysql *d, char *err, size_t errlen)
{
	unsigned int secs = (unsigned int)cfg->accounts_timeout;
	unsigned int no_infile = 0;
	unsigned int proto;
	my_bool yes = 1, no = 0;
	int bad = 0;

	bad |= mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	bad |= mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &secs);
	bad |= mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	/* LOAD DATA LOCAL lets the server ask the client for any file it
	 * can read: a hostile or hijacked server must get nothing. */
	bad |= mysql_options(db, MYSQL_OPT_LOCAL_INFILE, &no_infile);
	/* A silent reconnect would lose the prepared statement; the
	 * service reconnects and prepares again. */
	bad |= mysql_options(db, MYSQL_OPT_RECONNECT, &no);
	/* Makes mysql_stmt_fetch say MYSQL_DATA_TRUNCATED, never cut. */
	bad |= mysql_options(db, MYSQL_REPORT_DATA_TRUNCATION, &yes);
	/* Names compare as the same characters the client sent. */
	bad |= mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Say which transport: the library would otherwise take host
	 * "localhost" to mean its own compiled-in socket. */
	if (d->socket[0] != '\0' || d->host[0] != '\0') {
		proto = d->socket[0] != '\0' ? MYSQL_PROTOCOL_SOCKET :
		    MYSQL_PROTOCOL_TCP;
		bad |= mysql_options(db, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (bad != 0) {
		snprintf(err, errlen, "connect: setting an option: %s",
		    mysql_error(db));
		return -1;
	}
	return 0;
}

/* Bind each result column as a string into its own buffer. */
static int
bind_columns(struct my_conn *c, char *err, size_t errlen)
{
	MYSQL_FIELD *f = mysql_fetch_fields(c->meta);
	unsigned i;

	memset(c->out, 0, sizeof(c->out));
	for (i = 0; i < c->ncols; i++) {
		c->col[i].name = f[i].name;
		c->out[i].buffer_type = MYSQL_TYPE_STRING;
		c->out[i].buffer = c->col[i].buf;
		/* One byte kept for the NUL added after the fetch. */
		c->out[i].buffer_length = sizeof(c->col[i].buf) - 1;
		c->out[i].length = &c->col[i].len;
		c->out[i].is_null = &c->col[i].null;
		c->out[i].error = &c->col[i].trunc;
	}
	if (mysql_stmt_bind_result(c->st, c->out) != 0) {
		snprintf(err, errlen, "query: binding the columns: %s",
		    mysql_stmt_error(c->st));
		return -1;
	}
	return 0;
}

/* sql_user_query with '?' for its parameters, prepared on c->db. */
static int
prepare(struct my_conn *c, char *err, size_t errlen)
{
	struct sql_text t;
	char why[256];
	unsigned long n;

	if (sql_translate(cfg->sql_user_query, SQLP_QUESTION, &t, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "prepare: %s", why);
		return -1;
	}
	memcpy(c->order, t.order, sizeof(c->order));
	c->nparams = t.n;
	c->st = mysql_stmt_init(c->db);
	if (c->st == NULL) {
		snprintf(err, errlen, "prepare: %s", mysql_error(c->db));
		return -1;
	}
	if (mysql_stmt_prepare(c->st, t.text, strlen(t.text)) != 0) {
		snprintf(err, errlen, "prepare: %s", mysql_stmt_error(c->st));
		return -1;
	}
	/* A '?' the administrator wrote outside quotes would take a value
	 * nobody binds: refuse the query rather than guess. */
	n = mysql_stmt_param_count(c->st);
	if (n != c->nparams) {
		snprintf(err, errlen, "prepare: sql_user_query has %lu "
		    "placeholders, expected %zu (:user, :host, :client; no ?)",
		    n, c->nparams);
		return -1;
	}
	c->ncols = mysql_stmt_field_count(c->st);
	if (c->ncols == 0 || c->ncols > MY_COLS_MAX) {
		snprintf(err, errlen, "prepare: sql_user_query returns %u "
		    "columns (a SELECT of 1 to %d)", c->ncols, MY_COLS_MAX);
		return -1;
	}
	c->meta = mysql_stmt_result_metadata(c->st);
	if (c->meta == NULL) {
		snprintf(err, errlen, "prepare: the columns: %s",
		    mysql_stmt_error(c->st));
		return -1;
	}
	return 0;
}

static int
my_connect(void **h, const char *password, char *err, size_t errlen)
{
	struct dsn_mysql d;
	struct my_conn *c;
	char why[256];

	*h = NULL;
	if (dsn_mysql_parse(cfg->sql_dsn, &d, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "connect: %s", why);
		return -1;
	}
	if (d.host[0] != '\0' && d.socket[0] != '\0') {
		snprintf(err, errlen, "connect: sql_dsn: host and socket "
		    "both given (one or the other)");
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->db = mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "connect: out of memory");
		free(c);
		return -1;
	}
	if (set_options(c->db, &d, err, errlen) == -1)
		goto fail;
	/* No CLIENT_MULTI_STATEMENTS: one statement per query, always. */
	if (mysql_real_connect(c->db, d.host[0] != '\0' ? d.host : NULL,
	    d.user[0] != '\0' ? d.user : NULL,
	    password != NULL && password[0] != '\0' ? password : NULL,
	    d.database[0] != '\0' ? d.database : NULL, d.port,
	    d.socket[0] != '\0' ? d.socket : NULL, CLIENT_FOUND_ROWS) ==
	    NULL) {
		snprintf(err, errlen, "connect: %s", mysql_error(c->db));
		goto fail;
	}
	if (prepare(c, err, errlen) == -1)
		goto fail;
	*h = c;
	return 0;
fail:
	my_disconnect(c);
	return -1;
}

/*
 * err for a failed step of a lookup begun at t0.  The library reports a
 * read that timed out as a lost connection; the administrator should
 * read that the query was too slow, not that the server fell over.
 */
static void
query_error(struct my_conn *c, long long t0, char *err, size_t errlen)
{
	long long limit = (long long)cfg->accounts_timeout * 1000;

	if (mysql_stmt_errno(c->st) == CR_SERVER_LOST &&
	    clock_ms() - t0 >= limit - limit / 10)
		snprintf(err, errlen, "query: no answer within the deadline "
		    "(accounts_timeout = %llus): %s", cfg->accounts_timeout,
		    mysql_stmt_error(c->st));
	else
		snprintf(err, errlen, "query: %s", mysql_stmt_error(c->st));
}

/* Run the statement with this query's values.  0, or -1 with err. */
static int
execute(struct my_conn *c, const struct acct_query *q, long long t0,
    char *err, size_t errlen)
{
	MYSQL_BIND in[SQLP_MAX];
	unsigned long len[SQLP_MAX];
	const char *v;
	size_t i;

	memset(in, 0, sizeof(in));
	for (i = 0; i < c->nparams; i++) {
		v = sql_param_value(c->order[i], q->user, q->host, q->client);
		len[i] = (unsigned long)strlen(v);
		in[i].buffer_type = MYSQL_TYPE_STRING;
		/* The library only reads an input buffer; the cast is
		 * its API's, not a licence to write. */
		in[i].buffer = (void *)v;
		in[i].buffer_length = len[i];
		in[i].length = &len[i];
	}
	if (c->nparams > 0 && mysql_stmt_bind_param(c->st, in) != 0) {
		snprintf(err, errlen, "query: binding the parameters: %s",
		    mysql_stmt_error(c->st));
		return -1;
	}
	if (mysql_stmt_execute(c->st) != 0) {
		query_error(c, t0, err, errlen);
		return -1;
	}
	/* The server prepares again after an ALTER TABLE, and a SELECT *
	 * then brings other columns.  The library says so itself
	 * (CR_NEW_STMT_METADATA, above); this keeps the buffers safe
	 * should a version not. */
	if (mysql_stmt_field_count(c->st) != c->ncols) {
		snprintf(err, errlen, "query: the result's columns changed "
		    "since it was prepared");
		return -1;
	}
	return bind_columns(c, err, errlen);
}

/* One column's value, checked for what C strings cannot hold, made a
 * string in its buffer.  0, or -1 with err. */
static int
col_text(struct my_col *col, char *err, size_t errlen)
{
	if (col->null)
		return 0;
	if (col->trunc || col->len >= sizeof(col->buf)) {
		snprintf(err, errlen, "column %s: longer than %zu bytes",
		    col->name, sizeof(col->buf) - 1);
		return -1;
	}
	/* A NUL inside would make C read a shorter value than the
	 * database holds. */
	if (memchr(col->buf, '\0', col->len) != NULL) {
		snprintf(err, errlen, "column %s: holds a NUL byte",
		    col->name);
		return -1;
	}
	col->buf[col->len] = '\0';
	return 0;
}

/* The fetched row into r.  ACCT_FOUND, ACCT_REFUSED with err, or
 * ACCT_UNAVAILABLE when the query lacks a required column. */
static int
take_row(struct my_conn *c, struct acct_cols *cols,
    struct acct_record *r, char *err, size_t errlen)
{
	struct my_col *col;
	unsigned i;

	for (i = 0; i < c->ncols; i++) {
		col = &c->col[i];
		if (col_text(col, err, errlen) == -1)
			return ACCT_REFUSED;
		if (acct_col_set(cols, r, col->name, col->null ? NULL :
		    col->buf, err, errlen) == -1)
			return ACCT_REFUSED;
	}
	/* A column the query does not return is missing from every row:
	 * the administrator's query, not this account, is at fault. */
	return acct_col_end(cols, r, err, errlen) == -1 ? ACCT_UNAVAILABLE :
	    ACCT_FOUND;
}

/* The first row, then proof there is no second.  An enum acct_status. */
static int
read_rows(struct my_conn *c, const struct acct_query *q, long long t0,
    struct acct_record *r, char *err, size_t errlen)
{
	struct acct_cols cols;
	int rc, st;

	acct_col_begin(&cols, r, q->user);
	rc = mysql_stmt_fetch(c->st);
	if (rc == MYSQL_NO_DATA) {
		snprintf(err, errlen, "no row for %.*s", NAME_SHOW, q->user);
		return ACCT_UNKNOWN;
	}
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		query_error(c, t0, err, errlen);
		return ACCT_UNAVAILABLE;
	}
	/* Judged now, before the second fetch overwrites the buffers;
	 * reported only if there is no second row, the worse fault. */
	st = take_row(c, &cols, r, err, errlen);
	rc = mysql_stmt_fetch(c->st);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		snprintf(err, errlen, "two rows for %.*s", NAME_SHOW,
		    q->user);
		return ACCT_REFUSED;
	}
	if (rc != MYSQL_NO_DATA) {
		query_error(c, t0, err, errlen);
		return ACCT_UNAVAILABLE;
	}
	return st;
}

static int
my_lookup(void *h, const struct acct_query *q, struct acct_record *r,
    char *err, size_t errlen)
{
	struct my_conn *c = h;
	long long t0 = clock_ms();
	int st;

	if (execute(c, q, t0, err, errlen) == -1)
		return ACCT_UNAVAILABLE;
	st = read_rows(c, q, t0, r, err, errlen);
	/* Reads and drops any rows left (a third, a fourth...), so the
	 * connection is ready for the next lookup. */
	if (mysql_stmt_free_result(c->st) != 0 && st != ACCT_UNAVAILABLE) {
		snprintf(err, errlen, "query: %s", mysql_stmt_error(c->st));
		st = ACCT_UNAVAILABLE;
	}
	if (st != ACCT_FOUND)
		explicit_bzero(r, sizeof(*r));
	return st;
}

const struct acct_backend acct_mysql = {
	.name = "mysql",
	.connect = my_connect,
	.lookup = my_lookup,
	.disconnect = my_disconnect,
};

/* ---- quota tallies (tally.h) ---------------------------------------- */

#define TALLY_PARAMS	9	/* the most one of our statements takes */

/* A parameter of a tally statement: the name, or a number. */
struct tally_param {
	const char	*name;		/* NULL: v */
	long long	 v;
};

/*
 * Run sql (ours, constant) with params.  A SELECT's last row's two
 * columns go into out, and 1 is returned if there was a row; otherwise
 * the rows matched.  -1 with err.  The statement is prepared for this
 * one use and closed: tallies are rare next to lookups.
 */
static int
tally_run(struct my_conn *c, const char *sql, const struct tally_param *p,
    size_t np, uint64_t out[2], char *err, size_t errlen)
{
	MYSQL_BIND in[TALLY_PARAMS], res[2];
	unsigned long nlen[TALLY_PARAMS];
	long long v[TALLY_PARAMS], col[2] = { 0, 0 };
	my_bool null[2] = { 0, 0 };
	MYSQL_STMT *st;
	size_t i;
	int rc, r = -1;

	if ((st = mysql_stmt_init(c->db)) == NULL) {
		snprintf(err, errlen, "tally: %s", mysql_error(c->db));
		return -1;
	}
	memset(in, 0, sizeof(in));
	for (i = 0; i < np && i < TALLY_PARAMS; i++) {
		if (p[i].name != NULL) {
			nlen[i] = (unsigned long)strlen(p[i].name);
			in[i].buffer_type = MYSQL_TYPE_STRING;
			/* Only read by the library: its API's cast. */
			in[i].buffer = (void *)p[i].name;
			in[i].buffer_length = nlen[i];
			in[i].length = &nlen[i];
		} else {
			v[i] = p[i].v;
			in[i].buffer_type = MYSQL_TYPE_LONGLONG;
			in[i].buffer = &v[i];
		}
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_param_count(st) != np ||
	    mysql_stmt_bind_param(st, in) != 0 ||
	    mysql_stmt_execute(st) != 0)
		goto fail;
	if (mysql_stmt_field_count(st) == 0) {
		r = (int)(mysql_stmt_affected_rows(st) > 0);
		goto done;
	}
	memset(res, 0, sizeof(res));
	for (i = 0; i < 2; i++) {
		res[i].buffer_type = MYSQL_TYPE_LONGLONG;
		res[i].buffer = &col[i];
		res[i].is_null = &null[i];
	}
	if (mysql_stmt_field_count(st) != 2 ||
	    mysql_stmt_bind_result(st, res) != 0)
		goto fail;
	r = 0;
	while ((rc = mysql_stmt_fetch(st)) == 0) {
		r = 1;
		/* A hand-edited negative or NULL counts as 0. */
		out[0] = null[0] || col[0] < 0 ? 0 : (uint64_t)col[0];
		out[1] = null[1] || col[1] < 0 ? 0 : (uint64_t)col[1];
	}
	if (rc != MYSQL_NO_DATA)
		goto fail;
	goto done;
fail:
	snprintf(err, errlen, "tally: %s", mysql_stmt_error(st));
	r = -1;
done:
	(void)mysql_stmt_close(st);
	return r;
}

/* The connection's timeouts (accounts_timeout) bound each statement; a
 * deadline of its own is not needed. */
static int
my_tally_read(void *h, const char *name, int deadline_ms, uint64_t *bytes,
    uint64_t *files, char *err, size_t errlen)
{
	struct tally_param p[1] = { { name, 0 } };
	uint64_t out[2] = { 0, 0 };
	int r;

	(void)deadline_ms;
	r = tally_run(h, "SELECT bytes_used, files_used FROM ftp_quota_tally "
	    "WHERE name = ?", p, 1, out, err, errlen);
	if (r == 1) {
		*bytes = out[0];
		*files = out[1];
	}
	return r;
}

static int
my_tally_insert(void *h, const char *name, uint64_t bytes, uint64_t files,
    int deadline_ms, char *err, size_t errlen)
{
	struct tally_param p[3] = { { name, 0 }, { NULL, (long long)bytes },
	    { NULL, (long long)files } };
	uint64_t out[2];

	(void)deadline_ms;
	return tally_run(h, "INSERT IGNORE INTO ftp_quota_tally (name, "
	    "bytes_used, files_used) VALUES (?, ?, ?)", p, 3, out, err,
	    errlen) == -1 ? -1 : 0;
}

static int
my_tally_add(void *h, const char *name, long long db, long long df,
    uint64_t max_bytes, uint64_t max_files, int deadline_ms, char *err,
    size_t errlen)
{
	long long mb = (long long)max_bytes, mf = (long long)max_files;
	struct tally_param p[9] = { { NULL, db }, { NULL, df }, { name, 0 },
	    { NULL, mb }, { NULL, db }, { NULL, mb }, { NULL, mf },
	    { NULL, df }, { NULL, mf } };
	uint64_t out[2];

	(void)deadline_ms;
	return tally_run(h, "UPDATE ftp_quota_tally SET "
	    "bytes_used = GREATEST(0, bytes_used + ?), "
	    "files_used = GREATEST(0, files_used + ?) WHERE name = ? "
	    "AND (? = 0 OR bytes_used + ? <= ?) "
	    "AND (? = 0 OR files_used + ? <= ?)", p, 9, out, err, errlen);
}

const struct acct_tally_ops acct_mysql_tally = {
	my_tally_read, my_tally_insert, my_tally_add
};
