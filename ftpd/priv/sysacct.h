/*
 * sysacct.h - what the system and pam sources share: the login shell
 * check and an account's ids, home and supplementary groups.
 */
#ifndef FTPD_SYSACCT_H
#define FTPD_SYSACCT_H

#include <sys/types.h>

#include "priv/auth_result.h"

/* 1 if shell is in /etc/shells, or check_shell is off. */
int	sysacct_shell_ok(const char *shell);
/* Name, ids and home into *r.  0, or -1 when a string does not fit. */
int	sysacct_fill(const char *name, uid_t uid, gid_t gid, const char *home,
	    struct auth_result *r);
/* r->name's supplementary groups into r->groups.  0, or -1. */
int	sysacct_groups(struct auth_result *r);

#endif
