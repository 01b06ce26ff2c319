/*
 * sessionlog.h - what the monitor records about its session: the
 * scoreboard record read by ftpwho, and xferlog lines.
 *
 * Monitor only.  The xferlog file is opened once by main (before any
 * fork), so chrooted processes never open logs.
 */
#ifndef FTPD_SESSIONLOG_H
#define FTPD_SESSIONLOG_H

#include <stdint.h>

/* main, and the master on SIGHUP (after log rotation): open
 * cfg->xferlog for appending, if set.  0, or -1 (logged; an xferlog
 * already open stays in use). */
int	xferlog_open(void);
/* A session's front or user process: drop the xferlog descriptor. */
void	xferlog_close(void);
/* One classic xferlog line.  direction 'i'/'o', complete 'c'/'i'. */
void	xferlog_write(const char *peer_ip, const char *path, uint64_t bytes,
	    uint64_t ms, char type, char direction, int anonymous,
	    const char *user, char complete);

/* The transfer ftpwho shows: bytes moved, its size (size_known 0: not
 * known, an upload), its rate in bytes/s. */
struct scoreboard_xfer {
	uint64_t	bytes, size, rate;
	int		size_known;
};

/* Scoreboard record RUN_DIR/<pid>.sess: (re)write it; x is the transfer
 * under way, or NULL.  Failures are ignored (ftpwho is informational). */
void	scoreboard_update(const char *peer_ip, const char *user,
	    const char *state, const char *cmd, uint64_t bytes,
	    const struct scoreboard_xfer *x);
void	scoreboard_remove(void);

#endif
