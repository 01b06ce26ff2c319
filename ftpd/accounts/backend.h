/*
 * backend.h - what the account service asks of each account store.
 *
 * One backend per store (SQLite, PostgreSQL, MariaDB/MySQL, LDAP).  Each
 * runs only inside a worker of the account service (accounts/service.c):
 * unprivileged, sandboxed, never in a process that holds root.  Every
 * value a store returns is hostile until acct_col_set (columns.c) or the
 * backend's own parsing has bounded and typed it.
 */
#ifndef FTPD_ACCOUNTS_BACKEND_H
#define FTPD_ACCOUNTS_BACKEND_H

#include <stddef.h>

#include "formats/acctproto.h"

/* One question, as the authentication child asked it. */
struct acct_query {
	const char	*user;
	const char	*host;		/* RFC 7151 HOST, "" if none */
	const char	*client;	/* the client's address */
	const char	*password;	/* ldap_auth = bind only, else "" */
	int		 deadline_ms;	/* what this query may take */
};

struct acct_backend {
	const char	*name;		/* for log lines: "postgresql" */
	/*
	 * Connect (or open) the store, read once the secret the service
	 * was given (password may be NULL).  0, or -1 with err set; the
	 * service retries with backoff.
	 */
	int		(*connect)(void **h, const char *password,
			    char *err, size_t errlen);
	/*
	 * Look q->user up.  Returns an enum acct_status: ACCT_FOUND with
	 * *r filled, ACCT_UNKNOWN, ACCT_REFUSED (err names the field or
	 * the reason), or ACCT_UNAVAILABLE (err names the step and the
	 * error; the service then disconnects and reconnects later).
	 */
	int		(*lookup)(void *h, const struct acct_query *q,
			    struct acct_record *r, char *err, size_t errlen);
	void		(*disconnect)(void *h);
};

extern const struct acct_backend acct_sqlite;
extern const struct acct_backend acct_postgresql;
extern const struct acct_backend acct_mysql;
extern const struct acct_backend acct_ldap;

/*
 * Columns (SQL) and attributes (LDAP) into a record.  acct_col_begin
 * starts a record for name with enabled = 1.  acct_col_set takes one
 * column by its name and its text value (NULL for SQL NULL): the
 * required ones (password, uid, gid, home) and enabled are parsed, the
 * policy columns (quota_bytes ... start_dir) accepted and ignored for
 * now, any other column ignored.  -1 with err naming the column when a
 * value is bad (negative, not a number, NULL where one is required,
 * too long).  acct_col_end: -1 unless every required column was seen
 * (password is not required of a record the source verified itself);
 * for SQL that is the query's fault, answered ACCT_UNAVAILABLE (421),
 * not the account's.
 */
struct acct_cols {
	unsigned	seen;
};
void	acct_col_begin(struct acct_cols *c, struct acct_record *r,
	    const char *name);
int	acct_col_set(struct acct_cols *c, struct acct_record *r,
	    const char *col, const char *val, char *err, size_t errlen);
int	acct_col_end(const struct acct_cols *c, const struct acct_record *r,
	    char *err, size_t errlen);

#endif
