/*
 * evspawn.h - the master starts, restarts and stops the event runner
 * (ftpd/events/, DESIGN.md "Events").
 *
 * Runs in the master.  With events off (no event_exec, no
 * event_socket) every call does nothing and no channel exists.
 */
#ifndef FTPD_PRIV_EVSPAWN_H
#define FTPD_PRIV_EVSPAWN_H

#include <sys/types.h>

/* Before the first session: the channel (its sending end becomes
 * evsend_fd), event_socket bound, the runner forked.  0, or -1 logged. */
int	evspawn_start(void);
/* From the master's reaper: 1 when pid was the runner (a restart is then
 * scheduled with a growing pause), else 0. */
int	evspawn_reaped(pid_t pid, int status);
/* Each turn of the master's loop: restart the runner when it is due. */
void	evspawn_tick(void);
/* In a freshly forked monitor: close what only the runner may hold (the
 * receiving end, event_socket); the sending end stays. */
void	evspawn_child_close(void);
/* The master stops: end the runner, remove event_socket. */
void	evspawn_stop(void);
/* After a reload swapped cfg: the runner is stopped and started again
 * from the new configuration (and the channel made or closed as events
 * were turned on or off).  Sessions already running keep their sending
 * end.  0, or -1 logged (events then off until the next reload). */
int	evspawn_reload(void);

#endif
