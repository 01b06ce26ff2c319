/*
 * plan_show.h - ftpd -t -u NAME (plan_show.c).
 */
#ifndef FTPD_PLAN_SHOW_H
#define FTPD_PLAN_SHOW_H

/*
 * Print the effective plan of account name on stdout, one line per key
 * ("key = value    (from: ...)"), after "#" lines saying where the
 * account was found.  Found down the accounts chain without a password;
 * sql and ldap accounts are asked of the account service, started and
 * stopped here (acct_spawn_args must have been called).  The exit
 * status: 0, or 1 when no source knows name, a source refused it or
 * could not be asked, or its values do not resolve (said on stderr).
 */
int	plan_show(const char *name);

#endif
