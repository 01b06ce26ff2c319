/*
 * events.h - the parts of the event runner (DESIGN.md, "Events").
 *
 * The runner is a process of its own, forked by the master and dropped
 * to event_user before events_main (runner.c) runs: it reads event
 * records from its channel, keeps a bounded queue for event_exec and
 * runs at most event_max_running hooks at once (hook.c), and writes one
 * JSON line per event to each event_socket listener (listeners.c,
 * evjson.c).  It trusts no record it reads (ev_decode checks each) and
 * runs no code of a session.
 */
#ifndef FTPD_EVENTS_EVENTS_H
#define FTPD_EVENTS_EVENTS_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#include "formats/event_rec.h"

struct buf;

/* evjson.c: r as one JSON object and a newline, appended to out.  0, or
 * -1 (out unchanged) when it does not fit. */
int	evjson_line(const struct ev_rec *r, struct buf *out);

/* hook.c: one running event_exec program. */
#define HOOK_OUT_KEEP	4096	/* bytes of its output logged */

struct hook {
	pid_t		pid;		/* 0: slot free */
	int		out;		/* its stdout and stderr, or -1 */
	int		pidfd;		/* readable at its exit, or -1 */
	long long	deadline;	/* clock_ms() at event_timeout */
	int		timed_out;
	enum ev_type	type;
	char		kept[HOOK_OUT_KEEP];
	size_t		nkept;
	unsigned long long discarded;	/* output bytes past the cap */
};

/* Start event_exec for r in h.  0, or -1 logged. */
int	hook_start(struct hook *h, const struct ev_rec *r);
/* Read what h printed so far (kept up to the cap, the rest counted). */
void	hook_drain(struct hook *h);
/* Reap h if it ended (logging how, and its output), kill its process
 * group at its deadline.  1 when h is over and its slot free again. */
int	hook_check(struct hook *h, long long now);
/* The runner stops: kill h's process group and reap it. */
void	hook_kill(struct hook *h);

/* listeners.c: event_socket's connected readers. */
#define LISTENERS_MAX	16	/* connected at once; more are refused */
#define LISTENER_BUF	(128 * 1024)	/* unread bytes before a drop */
#define LISTENER_SNDBUF	(32 * 1024)	/* the kernel's share of it */
#define READER_STALL_MS	1000	/* no progress this long: dropped */

void	listeners_init(int sock);
/* Poll entries: the listening socket and each reader.  Returns how many
 * were added at pfd (room for 1 + LISTENERS_MAX). */
size_t	listeners_poll(struct pollfd *pfd);
/* After poll: accept, read and discard, write, drop. */
void	listeners_serve(const struct pollfd *pfd, size_t n);
/* Queue line for every reader; a reader whose buffer is full is
 * dropped. */
void	listeners_send(const struct buf *line);
/* 1 while a reader's buffer is over half full and it still moves: read
 * no more events for now.  Drops the readers stalled too long. */
int	listeners_busy(long long now);

/* confine.c: the runner's seccomp list, inherited by its hooks. */
int	events_confine(void);

#endif
