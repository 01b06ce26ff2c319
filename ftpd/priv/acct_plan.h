/*
 * acct_plan.h - an account's plan at login, and what the monitor does
 * with it before the session starts.
 */
#ifndef FTPD_ACCT_PLAN_H
#define FTPD_ACCT_PLAN_H

#include <stddef.h>
#include <sys/socket.h>

#include "plan/plan.h"
#include "priv/auth_result.h"

/*
 * The plan of the account a: the global values, then each [group]
 * section of its primary or supplementary groups (in file order), then
 * its [user] section, then its own row (sql).  Anonymous sessions get
 * the defaults.  0, or -1 with why (a bad row value names its column).
 */
int	acct_plan_resolve(const struct auth_result *a, struct plan *p,
	    char *why, size_t whylen);
/*
 * What the plan asks of a login before any file is touched, in the
 * monitor (root): the client's address (allow_from, deny_from), TLS
 * (tls_required), the home (create_home makes it, owned by the account,
 * mode 0750; otherwise it must exist).  0, or -1 with the client's text
 * in msg and the reason in why.
 */
int	acct_plan_admit(const struct plan *p, const struct auth_result *a,
	    const struct sockaddr *peer, int tls, char *msg, size_t msglen,
	    char *why, size_t whylen);

#endif
