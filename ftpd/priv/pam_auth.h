/*
 * pam_auth.h - the pam source of the accounts chain.
 *
 * Runs only in the throwaway authentication child (auth_child.c), as
 * root, never in the monitor itself: PAM modules load code and read
 * secrets whose memory must leave with the child.
 */
#ifndef FTPD_PAM_AUTH_H
#define FTPD_PAM_AUTH_H

#include <stddef.h>

struct auth_result;

/* Source results shared by the chain (auth.c). */
#define SRC_MATCH	1	/* this account, password right: *r filled */
#define SRC_NONE	0	/* no such account here: ask the next */
#define SRC_REFUSED	(-1)	/* wrong password or refused: 530, stop */
#define SRC_DOWN	(-2)	/* the store is unreachable: 421, stop */

/*
 * Authenticate user with pass through the pam_service stack
 * (pam_authenticate, then pam_acct_mgmt), the account's ids and home
 * from getpwnam.  A user PAM does not know (and no passwd entry) is
 * SRC_NONE; why says why for the log.
 */
int	pam_check(const char *user, const char *pass, const char *client,
	    struct auth_result *r, char *why, size_t whylen);

/* The service names a stack file of its own (not PAM's "other"): 0, or
 * -1 with why.  ftpd -t and the pam source both ask. */
int	pam_service_ok(const char *service, char *why, size_t whylen);

#endif
