/*
 * quota.h - the monitor's side of quotas: the MON_QUOTA messages of one
 * session, against the account's tally.
 *
 * The user process asks for room before it writes (RESERVE), reports what
 * changed on disk (ADJUST) and reads the tally for AVBL (QUERY).  The
 * monitor takes the account's name, home and limits from its own login
 * state, never from a message, so a user process broken into can only
 * move its own account's tally (DESIGN.md, "Quotas").
 */
#ifndef FTPD_PRIV_QUOTA_H
#define FTPD_PRIV_QUOTA_H

#include "priv/auth_result.h"

struct buf;
struct plan;

struct mon_quota {
	int			 on;		/* the plan has a quota */
	int			 sql;		/* the tally is the SQL row */
	char			 name[256];	/* the account's */
	char			 home[PATH_MAX];
	unsigned long long	 max_bytes, max_files;
	int			 fd;		/* file store, -1 until used */
	int			 ready;		/* SQL store: the row exists */
	long long		 pend_bytes, pend_files;	/* ADJUSTs the
						 * store could not take yet */
	int			 warned;	/* an outage was logged */
};

/* At login: the quota of account a under plan p (no quota: the file
 * tally is dropped, quota_file_forget).  q->on tells whether MON_QUOTA
 * may come at all. */
void	mon_quota_start(struct mon_quota *q, const struct auth_result *a,
	    const struct plan *p);
/* One MON_QUOTA payload from the user process: checked (fatal when
 * malformed or out of bounds), applied, answered on reply_fd.  1 when
 * it was a RESERVE the quota refused (the quota event), else 0. */
int	mon_quota_serve(struct mon_quota *q, const struct buf *p,
	    int reply_fd);
/* At the end of the session: one last try for what is still pending. */
void	mon_quota_end(struct mon_quota *q);

#endif
