/*
 * quota_store.h - where the monitor keeps an account's quota tally.
 *
 * Two stores, one request: a file per account under quota_dir, shared by
 * the monitors of this node under flock (quota_file.c), or, for accounts
 * from SQL, the ftp_quota_tally row that every node of a cluster shares,
 * changed by the account service (quota_sql.c), since the monitor never
 * talks to a database itself.  A tally that does not exist yet is
 * counted from the account's home first.  Runs in the monitor, as root.
 */
#ifndef FTPD_QUOTA_STORE_H
#define FTPD_QUOTA_STORE_H

#include <stddef.h>

#include "common/tally.h"

enum quota_op { QUOTA_READ, QUOTA_RESERVE, QUOTA_ADJUST };

struct quota_req {
	enum quota_op		op;
	unsigned long long	want_bytes, want_files;	/* RESERVE */
	unsigned long long	frees;		/* RESERVE: bytes the upload
						 * frees once complete, which
						 * it may use meanwhile */
	long long		dbytes, dfiles;		/* ADJUST: signed */
	unsigned long long	max_bytes, max_files;	/* the plan's quota,
							 * 0: none */
};

struct quota_ans {
	unsigned long long	got_bytes, got_files;	/* RESERVE: granted */
	struct tally		used;			/* after the change */
};

/* The account whose tally it is. */
struct quota_acct {
	const char	*name;
	const char	*home;
};

/*
 * The file store: *fd is the account's tally file, opened (and counted
 * from the home when new) by the first call; -1 before.  0, or -1 with
 * why (the tally is unavailable: the request did nothing).
 */
int	quota_file_apply(int *fd, const struct quota_acct *a,
	    const struct quota_req *rq, struct quota_ans *ans, char *why,
	    size_t whylen);
/* An account without a quota keeps no tally: drop its file, so that a
 * quota given later counts from disk again instead of trusting a tally
 * nobody kept meanwhile. */
void	quota_file_forget(const char *name);
/*
 * The SQL store (the account service): *ready is set once the row is
 * known to exist (counted from the home when it did not).  0, or -1 with
 * why.
 */
int	quota_sql_apply(int *ready, const struct quota_acct *a,
	    const struct quota_req *rq, struct quota_ans *ans, char *why,
	    size_t whylen);
/* Count a's home into *t (treesum), logging what could not be read.
 * 0, or -1 with why. */
int	quota_count_home(const struct quota_acct *a, struct tally *t,
	    char *why, size_t whylen);

#endif
