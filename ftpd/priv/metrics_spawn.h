/*
 * metrics_spawn.h - the metrics process as the master sees it: its
 * listening socket, bound as root, and the process, started and
 * restarted by the master (metrics_spawn.c).
 */
#ifndef FTPD_METRICS_SPAWN_H
#define FTPD_METRICS_SPAWN_H

#include <sys/types.h>

/* Master, with the other listeners: bind metrics_listen (nothing when
 * off).  0, or -1 logged. */
int	metrics_spawn_listen(void);
/* Master, after the page is made: start the process; close_others, in
 * the fork, closes what the master holds that the process must not (its
 * listeners, the sessions' channels).  0 (a failed fork is retried
 * later). */
int	metrics_spawn_start(void (*close_others)(void));
/* Master, for each reaped child: 1 if it was the metrics process (to be
 * restarted by metrics_spawn_tick), 0 otherwise. */
int	metrics_spawn_reaped(pid_t pid, int status);
/* Master, on each wake: restart a process whose pause has passed. */
void	metrics_spawn_tick(void);
/* A session forked by the master: it must not hold the socket. */
void	metrics_spawn_child_close(void);
/* Master, at shutdown: stop the process, remove a Unix socket. */
void	metrics_spawn_stop(void);

#endif
