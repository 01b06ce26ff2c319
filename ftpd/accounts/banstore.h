/*
 * banstore.h - shared bans (bans_shared = yes) as the account service
 * keeps them: one row per address in ftp_bans, read by every node.
 *
 * Each SQL store that keeps bans gives two statements on the handle its
 * lookups use; banstore.c answers ACCT_BAN_ADD and ACCT_BAN_LIST with
 * them, turning the master's binary addresses into the table's text and
 * the table's text back into binary entries the master only range-checks.
 */
#ifndef FTPD_ACCOUNTS_BANSTORE_H
#define FTPD_ACCOUNTS_BANSTORE_H

#include <stddef.h>

#include "formats/acctproto.h"

/* One row as the store returns it, text still hostile: 0 to go on. */
typedef void (*ban_row_fn)(void *arg, const char *address,
    const char *until);

struct acct_ban_ops {
	/* Ban address (text) until (seconds since 1970), or keep the later
	 * of two bans of one address; node and reason describe it.  Rows
	 * long expired are deleted on the way.  0, or -1 with err. */
	int	(*add)(void *h, const char *address, unsigned long long until,
		    const char *node, const char *reason, int deadline_ms,
		    char *err, size_t errlen);
	/* Each row whose until is after now, the latest first, at most
	 * max of them, through row.  0, or -1 with err. */
	int	(*list)(void *h, unsigned long long now, size_t max,
		    ban_row_fn row, void *arg, int deadline_ms, char *err,
		    size_t errlen);
};

extern const struct acct_ban_ops acct_postgresql_bans;

/* backends.c: the ban statements of source's store, or NULL. */
const struct acct_ban_ops *ban_ops_for(unsigned source);

/* Answer ACCT_BAN_ADD (add != NULL) or ACCT_BAN_LIST at time now on a
 * connected store h: l->status ACCT_FOUND with the list of bans in
 * force, or ACCT_UNAVAILABLE with l->why (the connection is then
 * dropped). */
void	ban_serve(const struct acct_ban_ops *ops, void *h,
	    const struct acct_ban *add, unsigned long long now,
	    int deadline_ms, struct acct_ban_list *l);

#endif
