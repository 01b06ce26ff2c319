/*
 * auth_child.h - auth_check run in a child that exits, so that the
 * secrets it reads never stay in the monitor (see auth_child.c).
 */
#ifndef FTPD_AUTH_CHILD_H
#define FTPD_AUTH_CHILD_H

#include <stddef.h>

struct auth_login;
struct auth_result;

/*
 * As auth_check (auth.h): AUTH_OK and *r filled, or AUTH_REFUSED /
 * AUTH_UNAVAILABLE with the reason in why.  Anonymous logins are checked
 * in place; any other in a forked child.  Frees the groups an earlier
 * call left in *r.
 */
int	auth_check_isolated(const struct auth_login *l, struct auth_result *r,
	    char *why, size_t whylen);

#endif
