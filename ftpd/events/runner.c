/*
 * runner.c - the event runner (events_main), one per server.
 *
 *   role     entry        started by             runs as      root (chroot)
 *   runner   events_main  master (priv/evspawn.c) event_user   / (none)
 *
 * It reads the event records the monitors and the master send on its
 * channel (formats/event_rec.h; each one checked by ev_decode, a bad one
 * logged and skipped), writes each to the event_socket readers as a
 * JSON line, and queues the ones event_on names for event_exec: at most
 * event_queue waiting (one more is dropped and logged) and
 * event_max_running running.  While an event_socket reader is behind,
 * no more records are read (listeners.c).  Nothing here waits on
 * anything but poll:
 * hooks, their output and the readers are all served from one loop, so
 * a stuck hook or reader holds up nothing else, and the senders never
 * wait for the runner at all (they send with MSG_DONTWAIT).
 * SIGTERM (the master stops or reloads) kills the running hooks'
 * process groups and ends the runner; the queue is lost with it.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config.h"
#include "events/events.h"
#include "roles.h"

#define RECV_PER_WAKE	256	/* records read before the others' turn */
#define DROP_LOG_EVERY	10	/* seconds between two "dropped" lines */
#define TICK_MS		1000
#define BUSY_TICK_MS	100	/* a reader behind is looked at this often */

struct queued {
	unsigned char	*wire;
	size_t		 len;
};

static volatile sig_atomic_t stopping;
static struct queued *queue;	/* a ring of cfg->event_queue */
static size_t qhead, qcount;
static struct hook *hooks;	/* cfg->event_max_running slots */
static unsigned long long dropped, dropped_logged;
static time_t last_drop_log;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
note_drop(void)
{
	time_t now = time(NULL);

	dropped++;
	if (last_drop_log != 0 && now - last_drop_log < DROP_LOG_EVERY)
		return;
	last_drop_log = now;
	log_msg(LOG_WARNING, "events: queue full (event_queue %llu): %llu "
	    "event(s) dropped (%llu in all)", cfg->event_queue,
	    dropped - dropped_logged, dropped);
	dropped_logged = dropped;
}

static void
enqueue(const unsigned char *wire, size_t len)
{
	struct queued *q;

	if (qcount == cfg->event_queue) {
		note_drop();
		return;
	}
	q = &queue[(qhead + qcount) % cfg->event_queue];
	q->wire = xmalloc(len);
	memcpy(q->wire, wire, len);
	q->len = len;
	qcount++;
}

/* Start queued hooks while there is room to run them. */
static void
start_hooks(void)
{
	static struct ev_rec r;
	struct queued *q;
	size_t i;

	for (i = 0; i < cfg->event_max_running && qcount > 0; i++) {
		if (hooks[i].pid != 0)
			continue;
		q = &queue[qhead];
		qhead = (qhead + 1) % cfg->event_queue;
		qcount--;
		if (ev_decode(q->wire, q->len, &r) == 0)
			(void)hook_start(&hooks[i], &r);
		free(q->wire);
		q->wire = NULL;
	}
}

/* One record from the channel. */
static void
deliver(const unsigned char *wire, size_t len, struct buf *line)
{
	static struct ev_rec r;

	if (ev_decode(wire, len, &r) == -1) {
		log_msg(LOG_ERR, "events: malformed event record (%zu bytes) "
		    "skipped", len);
		return;
	}
	buf_reset(line);
	if (cfg->event_socket[0] != '\0' && evjson_line(&r, line) == 0)
		listeners_send(line);
	if (cfg->event_argc > 0 && (cfg->event_mask & EV_BIT(r.type)))
		enqueue(wire, len);
}

/* Read what the channel holds, up to RECV_PER_WAKE records.  -1 when
 * the master is gone. */
static int
read_channel(int chan, struct buf *line)
{
	static unsigned char wire[EV_WIRE_MAX + 1];
	ssize_t n;
	int i;

	/* Up to a reader's half-full buffer: the rest waits. */
	for (i = 0; i < RECV_PER_WAKE && !listeners_busy(clock_ms()); i++) {
		/* MSG_TRUNC: the true length, so an oversized record is
		 * seen as such, not cut to fit. */
		n = recv(chan, wire, sizeof(wire), MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
		deliver(wire, (size_t)n > sizeof(wire) ? sizeof(wire) :
		    (size_t)n, line);
	}
	return 0;
}

static int
poll_timeout(long long now)
{
	long long t = TICK_MS, left;
	size_t i;

	for (i = 0; i < cfg->event_max_running; i++) {
		if (hooks[i].pid == 0 || hooks[i].timed_out)
			continue;
		left = hooks[i].deadline - now;
		if (left < t)
			t = left < 0 ? 0 : left;
	}
	return (int)t;
}

void
events_main(int chan, int sock)
{
	struct sigaction sa;
	struct pollfd *pfd;
	struct buf line;
	size_t i, nl, nh, base;
	long long now;
	int busy, timeout;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	if (events_confine() == -1)
		_exit(1);
	queue = xcalloc(cfg->event_queue, sizeof(*queue));
	hooks = xcalloc(cfg->event_max_running, sizeof(*hooks));
	pfd = xcalloc(1 + (1 + LISTENERS_MAX) + 2 * cfg->event_max_running,
	    sizeof(*pfd));
	/* The longest record, every byte escaped as \u00XX. */
	buf_init(&line, EV_WIRE_MAX * 6 + 1024);
	listeners_init(sock);
	log_msg(LOG_INFO, "events: event runner started%s%s",
	    cfg->event_argc > 0 ? " (event_exec)" : "",
	    cfg->event_socket[0] != '\0' ? " (event_socket)" : "");
	while (!stopping) {
		/* A reader behind: the events wait in the channel. */
		busy = listeners_busy(clock_ms());
		pfd[0].fd = busy ? -1 : chan;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		nl = listeners_poll(pfd + 1);
		base = 1 + nl;
		for (i = 0, nh = 0; i < cfg->event_max_running; i++) {
			pfd[base + 2 * i].fd = hooks[i].pid ? hooks[i].out : -1;
			pfd[base + 2 * i + 1].fd = hooks[i].pid ?
			    hooks[i].pidfd : -1;
			pfd[base + 2 * i].events = POLLIN;
			pfd[base + 2 * i + 1].events = POLLIN;
			pfd[base + 2 * i].revents = 0;
			pfd[base + 2 * i + 1].revents = 0;
			nh += 2;
		}
		timeout = poll_timeout(clock_ms());
		if (busy && timeout > BUSY_TICK_MS)
			timeout = BUSY_TICK_MS;
		if (poll(pfd, base + nh, timeout) == -1 &&
		    errno != EINTR) {
			log_msg(LOG_ERR, "events: poll: %s", strerror(errno));
			break;
		}
		if (!busy && pfd[0].revents != 0 &&
		    read_channel(chan, &line) == -1)
			break;
		listeners_serve(pfd + 1, nl);
		now = clock_ms();
		for (i = 0; i < cfg->event_max_running; i++) {
			if (hooks[i].pid == 0)
				continue;
			if (pfd[base + 2 * i].revents != 0)
				hook_drain(&hooks[i]);
			(void)hook_check(&hooks[i], now);
		}
		start_hooks();
	}
	for (i = 0; i < cfg->event_max_running; i++)
		hook_kill(&hooks[i]);
	log_msg(LOG_INFO, "events: event runner stopping (%zu event(s) "
	    "still queued, %llu dropped in all)", qcount, dropped);
	_exit(0);
}
