/*
 * metrics.c - the metrics process: answers GET /metrics.
 *
 * role        metrics (started by the master, priv/metrics_spawn.c)
 * runs as     metrics_user, chroot empty_dir, no new privileges, not
 *             dumpable, seccomp "metrics" (no mmap, mprotect, munmap)
 * input       any scraper's bytes (http.c bounds and judges them)
 * holds       the listening socket, the counters page read-only
 * may ask     nothing: it sends nothing to the master or the monitors
 *
 * One thread, one poll loop, no allocation after start: at most
 * METRICS_CONNS connections at once, each with a fixed request and
 * answer buffer and one deadline (METRICS_TIMEOUT_MS from its accept) by
 * which it is answered and closed, whatever the client does.  A
 * connection beyond the limit is closed as soon as it is accepted.  Every
 * answer says Connection: close; once it is written the sending side is
 * shut and what the client still sends (the rest of an over-long
 * request) is read and dropped until its end, at most DRAIN_MAX bytes and
 * within the same deadline, so that the close does not reset the
 * connection before the client has read the answer.  Sessions never wait for this process: the counters are
 * written by the master and the monitors whether or not anyone reads
 * them.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "metrics/expo.h"
#include "metrics/http.h"
#include "roles.h"
#include "version.h"

#define METRICS_CONNS		16
#define METRICS_TIMEOUT_MS	5000
#define ANSWER_HEAD_MAX		256
#define DRAIN_MAX		(256 * 1024)

struct conn {
	int		 fd;		/* -1: free */
	long long	 deadline;
	size_t		 in_len;
	char		 in[HTTP_REQ_MAX];
	size_t		 out_len, out_off;	/* out_len 0: still reading */
	size_t		 drained;	/* answered: bytes dropped since */
	int		 draining;
	char		 out[ANSWER_HEAD_MAX + EXPO_MAX];
};

static struct conn conns[METRICS_CONNS];
static char body[EXPO_MAX];

static void
conn_close(struct conn *c)
{
	(void)close(c->fd);
	c->fd = -1;
}

/* The whole answer for verdict v into c->out. */
static void
answer(struct conn *c, const struct metrics_page *page, enum http_verdict v)
{
	const char *reason, *type = "text/plain; charset=utf-8";
	size_t blen;
	int code, n;

	code = http_status(v, &reason);
	if (code == 200) {
		blen = metrics_expo(page, FTPD_VERSION, body, sizeof(body));
		if (blen == 0) {
			code = 500;
			reason = "Internal Server Error";
		} else
			type = "text/plain; version=0.0.4; charset=utf-8";
	}
	if (code != 200) {
		n = snprintf(body, sizeof(body), "%d %s\n", code, reason);
		blen = n > 0 ? (size_t)n : 0;
	}
	n = snprintf(c->out, ANSWER_HEAD_MAX, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s"
	    "Connection: close\r\n\r\n", code, reason, type, blen,
	    code == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n <= 0 || n >= ANSWER_HEAD_MAX) {
		conn_close(c);
		return;
	}
	c->out_len = (size_t)n;
	if (v != HTTP_HEAD) {
		memcpy(c->out + c->out_len, body, blen);
		c->out_len += blen;
	}
	c->out_off = 0;
}

static void
conn_read(struct conn *c, const struct metrics_page *page)
{
	enum http_verdict v;
	ssize_t n;
	int eof = 0;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		conn_close(c);
		return;
	}
	if (n == 0)
		eof = 1;
	c->in_len += (size_t)n;
	v = http_judge(c->in, c->in_len, eof);
	if (v != HTTP_MORE)
		answer(c, page, v);
}

static void
conn_write(struct conn *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		c->draining = 1;
		if (shutdown(c->fd, SHUT_WR) == -1)
			conn_close(c);
	}
}

/* After the answer: drop what the client still sends until it closes. */
static void
conn_drain(struct conn *c)
{
	ssize_t n;

	n = recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->drained += (size_t)n) > DRAIN_MAX)
		conn_close(c);
}

/* Take every waiting connection: into a free slot, or closed at once. */
static void
accept_all(int lfd, long long now)
{
	struct conn *c;
	size_t i;
	int fd, round;

	for (round = 0; round < 4 * METRICS_CONNS; round++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			return;
		c = NULL;
		for (i = 0; i < METRICS_CONNS && c == NULL; i++)
			if (conns[i].fd == -1)
				c = &conns[i];
		if (c == NULL) {
			(void)close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline = now + METRICS_TIMEOUT_MS;
		c->in_len = c->out_len = c->out_off = c->drained = 0;
		c->draining = 0;
	}
}

void
metrics_main(int lfd, const struct metrics_page *page)
{
	struct pollfd pfd[1 + METRICS_CONNS];
	size_t slot[1 + METRICS_CONNS];
	long long now, wait;
	nfds_t n, k;
	size_t i;

	for (i = 0; i < METRICS_CONNS; i++)
		conns[i].fd = -1;
	for (;;) {
		now = clock_ms();
		wait = -1;
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = 1;
		for (i = 0; i < METRICS_CONNS; i++) {
			if (conns[i].fd == -1)
				continue;
			if (conns[i].deadline <= now) {
				conn_close(&conns[i]);
				continue;
			}
			if (wait == -1 || conns[i].deadline - now < wait)
				wait = conns[i].deadline - now;
			pfd[n].fd = conns[i].fd;
			pfd[n].events = conns[i].out_len == 0 ||
			    conns[i].draining ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			slot[n] = i;
			n++;
		}
		if (poll(pfd, n, (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		now = clock_ms();
		for (k = 1; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if (conns[slot[k]].draining) {
				conn_drain(&conns[slot[k]]);
				continue;
			}
			if (conns[slot[k]].out_len == 0)
				conn_read(&conns[slot[k]], page);
			if (conns[slot[k]].fd != -1 &&
			    conns[slot[k]].out_len != 0)
				conn_write(&conns[slot[k]]);
		}
		if (pfd[0].revents & POLLIN)
			accept_all(lfd, now);
	}
}
