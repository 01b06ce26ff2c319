/*
 * listeners.c - event_socket: the readers a panel's daemon connects.
 *
 * Runs in the event runner.  Each reader gets every event as one JSON
 * line.  What a reader sends is read and thrown away (it has nothing to
 * say); the end of its stream closes it.  Writes never wait: each reader
 * has a buffer of LISTENER_BUF bytes.  While a reader's buffer is more
 * than half full the runner reads no more events (listeners_busy), so
 * a burst reaches a slow reader at its pace, waiting in the channel
 * (where the senders drop what does not fit, never waiting); a reader
 * that makes no progress for READER_STALL_MS, or whose buffer a line
 * would overflow, is dropped (and logged), so a stuck reader costs the
 * others and the sessions at most that pause.  At most LISTENERS_MAX
 * readers at once; one more is closed at once.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "events/events.h"

struct reader {
	int		fd;	/* -1: slot free */
	struct buf	out;	/* lines not written yet */
	long long	moved;	/* clock_ms() of its last progress */
};

static int lsock = -1;
static struct reader readers[LISTENERS_MAX];

void
listeners_init(int sock)
{
	size_t i;

	lsock = sock;
	for (i = 0; i < LISTENERS_MAX; i++) {
		readers[i].fd = -1;
		buf_init(&readers[i].out, LISTENER_BUF);
	}
}

static void
drop(struct reader *r, const char *why)
{
	log_msg(LOG_NOTICE, "events: event_socket reader dropped: %s", why);
	(void)close(r->fd);
	r->fd = -1;
	buf_free(&r->out);
	buf_init(&r->out, LISTENER_BUF);
}

size_t
listeners_poll(struct pollfd *pfd)
{
	size_t i, n = 0;

	if (lsock == -1)
		return 0;
	pfd[n].fd = lsock;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	for (i = 0; i < LISTENERS_MAX; i++) {
		/* A free slot polls nothing (a negative fd is skipped), so
		 * entry 1 + i is always reader i. */
		pfd[n].fd = readers[i].fd;
		pfd[n].events = (short)(POLLIN | (readers[i].out.len > 0 ?
		    POLLOUT : 0));
		pfd[n++].revents = 0;
	}
	return n;
}

static void
accept_one(void)
{
	int fd, size = LISTENER_SNDBUF;
	size_t i;

	fd = accept4(lsock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	/* What a stuck reader may hold is this plus LISTENER_BUF. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	for (i = 0; i < LISTENERS_MAX; i++)
		if (readers[i].fd == -1) {
			readers[i].fd = fd;
			log_msg(LOG_INFO, "events: event_socket reader "
			    "connected");
			return;
		}
	log_msg(LOG_WARNING, "events: event_socket: %d readers already, "
	    "one more refused", LISTENERS_MAX);
	(void)close(fd);
}

static void
flush(struct reader *r)
{
	ssize_t n;

	while (r->out.len > 0) {
		n = send(r->fd, r->out.data, r->out.len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(&r->out, (size_t)n);
			r->moved = clock_ms();
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		drop(r, "write failed");
		return;
	}
}

static void
discard_input(struct reader *r)
{
	char junk[4096];
	ssize_t n;
	int i;

	for (i = 0; i < 16; i++) {
		n = recv(r->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		drop(r, n == 0 ? "it closed" : "read failed");
		return;
	}
}

void
listeners_serve(const struct pollfd *pfd, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if (pfd[0].revents & POLLIN)
		accept_one();
	for (i = 0; i < LISTENERS_MAX && 1 + i < n; i++) {
		if (readers[i].fd == -1 || pfd[1 + i].fd != readers[i].fd ||
		    pfd[1 + i].revents == 0)
			continue;
		if (pfd[1 + i].revents & (POLLIN | POLLHUP | POLLERR))
			discard_input(&readers[i]);
		if (readers[i].fd != -1 && (pfd[1 + i].revents & POLLOUT))
			flush(&readers[i]);
	}
}

void
listeners_send(const struct buf *line)
{
	size_t i;

	for (i = 0; i < LISTENERS_MAX; i++) {
		if (readers[i].fd == -1)
			continue;
		/* Its wait starts with the first line it has not taken. */
		if (readers[i].out.len == 0)
			readers[i].moved = clock_ms();
		if (buf_append(&readers[i].out, line->data, line->len) == -1) {
			drop(&readers[i], "it stopped reading (its buffer is "
			    "full)");
			continue;
		}
		flush(&readers[i]);
	}
}

int
listeners_busy(long long now)
{
	size_t i;
	int busy = 0;

	for (i = 0; i < LISTENERS_MAX; i++) {
		if (readers[i].fd == -1 ||
		    readers[i].out.len <= LISTENER_BUF / 2)
			continue;
		if (now - readers[i].moved > READER_STALL_MS)
			drop(&readers[i], "it stopped reading");
		else
			busy = 1;
	}
	return busy;
}
