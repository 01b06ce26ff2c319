/*
 * evsend.h - report an event to the event runner (DESIGN.md, "Events").
 *
 * Runs in the master (bans) and in each monitor (everything else), as
 * root.  The sending end of the runner's channel is made by the master
 * before the first session (evspawn.c) and inherited by every monitor;
 * each role process closes it before it runs client code.  A send never
 * waits: a full channel or a runner that is down drops the event, counts
 * it and says so in the log at most once every few seconds.  With events
 * off there is no channel and evsend_wanted is false at once.
 */
#ifndef FTPD_PRIV_EVSEND_H
#define FTPD_PRIV_EVSEND_H

#include <stddef.h>

#include "config.h"
#include "formats/event_rec.h"

/* The sending end, or -1 (events off, or a role process). */
extern int evsend_fd;

/* Whether an event of type t is sent at all (checked before any work). */
static inline int
evsend_wanted(enum ev_type t)
{
	return evsend_fd != -1 && (cfg->ev_send_mask & EV_BIT(t)) != 0;
}

/* Stamp r with the time and send it.  Never blocks, never fails the
 * caller: a dropped event is counted and logged (rate-limited). */
void	evsend(struct ev_rec *r);
/* Events dropped by this process so far. */
unsigned long long evsend_dropped(void);
/* A role process, before it runs client code: no channel. */
void	evsend_close(void);
/* FTPD_PATH: vpath (absolute, in the session's view) beneath root (the
 * session root on the server's file system; "/" for the whole file
 * system) into out.  0, or -1 when it does not fit or has a "." or
 * ".." component (it would leave root). */
int	evsend_path(const char *root, const char *vpath, char *out,
	    size_t outlen);

#endif
