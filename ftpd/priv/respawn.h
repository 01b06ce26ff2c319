/*
 * respawn.h - when the master starts again a helper process that ended
 * (the account service, the event runner, the metrics process).
 *
 * One that dies soon after it started (a bad password file, a crash at
 * start) is started again ever more slowly, 1 s doubling up to
 * RESPAWN_PAUSE_MAX, so a broken helper does not spin the master; one
 * that ran for RESPAWN_STABLE seconds is started again at once.
 */
#ifndef FTPD_PRIV_RESPAWN_H
#define FTPD_PRIV_RESPAWN_H

#include <time.h>

#define RESPAWN_PAUSE_MAX	30	/* seconds between starts, at most */
#define RESPAWN_STABLE		10	/* ran this long: again at once */

struct respawn {
	time_t		last_start;	/* 0: never started */
	time_t		restart_at;	/* not before; 0: at once */
	unsigned	pause;		/* the last pause, seconds */
};

/* A start happened now. */
void	respawn_started(struct respawn *r);
/* The process (what: "accounts: the account service") ended with
 * status: the next pause, logged with the status. */
void	respawn_died(struct respawn *r, const char *what, int status);
/* A start may happen now. */
int	respawn_due(const struct respawn *r);
/* Forget the pauses (a deliberate stop or a new configuration). */
void	respawn_reset(struct respawn *r);

#endif
