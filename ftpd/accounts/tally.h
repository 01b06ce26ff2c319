/*
 * tally.h - the quota tallies of SQL accounts, as the account service
 * keeps them: one row per account in ftp_quota_tally, shared by every
 * node that uses the database.
 *
 * Each store that keeps tallies gives three statements on the handle its
 * lookups use (struct acct_backend's); tally.c builds the answers to
 * ACCT_TALLY out of them (SQLite, PostgreSQL, MariaDB/MySQL).  LDAP keeps
 * no tallies: its accounts' are files of quota_dir, kept by the
 * monitors.
 */
#ifndef FTPD_ACCOUNTS_TALLY_H
#define FTPD_ACCOUNTS_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "formats/acctproto.h"

struct acct_tally_ops {
	/* name's row: 1 with *bytes and *files, 0 when there is none, -1
	 * with err. */
	int	(*read)(void *h, const char *name, int deadline_ms,
		    uint64_t *bytes, uint64_t *files, char *err,
		    size_t errlen);
	/* Make name's row with bytes and files unless it exists (another
	 * node may have made it meanwhile: that one stays).  0, or -1. */
	int	(*insert)(void *h, const char *name, uint64_t bytes,
		    uint64_t files, int deadline_ms, char *err,
		    size_t errlen);
	/*
	 * Add db and df to name's row in one statement, each counter kept
	 * at 0 or more, only if the result stays within max_bytes and
	 * max_files (0: not checked).  1 changed, 0 not (no row, or it
	 * would not fit), -1 with err.
	 */
	int	(*add)(void *h, const char *name, long long db, long long df,
		    uint64_t max_bytes, uint64_t max_files, int deadline_ms,
		    char *err, size_t errlen);
};

extern const struct acct_tally_ops acct_sqlite_tally;
extern const struct acct_tally_ops acct_postgresql_tally;
extern const struct acct_tally_ops acct_mysql_tally;

/* backends.c: the tally statements of source's store, or NULL. */
const struct acct_tally_ops *tally_ops_for(unsigned source);

/* Answer one ACCT_TALLY on a connected store (h).  a->status:
 * ACCT_FOUND, ACCT_UNKNOWN (no row: the monitor counts and INITs), or
 * ACCT_UNAVAILABLE with a->why (the connection is then dropped). */
void	tally_serve(const struct acct_tally_ops *ops, void *h,
	    const struct acct_tally_req *rq, int deadline_ms,
	    struct acct_tally_ans *a);

#endif
