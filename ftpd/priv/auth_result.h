/*
 * auth_result.h - the account a login resolved to, as every source of the
 * accounts chain fills it (auth.c, pam_auth.c) and the monitor forks the
 * session with it.  A header of its own, holding the type only, so that a
 * source in a file of its own need not include auth.h, whose auth.c
 * includes that source's header in turn.
 */
#ifndef FTPD_AUTH_RESULT_H
#define FTPD_AUTH_RESULT_H

#include <limits.h>
#include <sys/types.h>

#include "plan/plan.h"

struct auth_result {
	char	name[256];	/* account name (anon_user for anonymous) */
	uid_t	uid;
	gid_t	gid;
	char	home[PATH_MAX];	/* the session root */
	int	anonymous;
	int	virtual_user;	/* from users_file: no supplementary groups */
	int	source;		/* the source that knew it (enum acct_source
				 * of config.h); where its quota tally is */
	gid_t	*groups;	/* system users: supplementary groups, */
	int	 ngroups;	/* looked up by the monitor (NULL, 0 else) */
	/* The account row's own plan values (sql), malloc'd text, NULL
	 * where the row sets none; resolved by acct_plan.c. */
	char	*plan_row[PLAN_NKEYS];
};

/* Free what r holds (groups, plan values) and zero it. */
void	auth_result_clear(struct auth_result *r);

#endif
