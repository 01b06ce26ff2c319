/*
 * reload.h - SIGHUP: the whole configuration again, for new sessions.
 *
 * Runs in the master, in its loop (the handler only sets a flag), never
 * in a session.  DESIGN.md, "Reload", has the rules.
 */
#ifndef FTPD_RELOAD_H
#define FTPD_RELOAD_H

#include <stddef.h>

struct ftpd_config;

/* main: the -f and -o arguments ftpd got, read again on each reload
 * (the strings must live as long as the process). */
void	reload_args(const char *path, int explicit, char *const *overrides,
	    size_t noverrides);
/*
 * Master, on SIGHUP: read and check the whole configuration; if it is
 * good, make it cfg (for the sessions forked from now on), rebuild what
 * depends on it (reload_apply) and free the old one; if not, keep the
 * old one and log why (FILE:LINE).  Either way the log files are opened
 * again (logrotate).  1 if the configuration changed, 0 if it stayed.
 */
int	reload_run(void);

#endif
