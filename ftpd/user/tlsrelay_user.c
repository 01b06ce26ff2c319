/*
 * tlsrelay_user.c - the user process's side of the TLS front (tlsrelay.c).
 *
 * Runs in the user process (the account's ids, chrooted, seccomp) of a
 * session whose control connection was TLS at login.  It never sees TLS or
 * the key: PROT P data sockets are passed to the front, which handshakes
 * and relays plaintext through a socketpair; CCC asks the front to end
 * TLS on the control connection.  Replies from the front are checked for
 * type, length and descriptor, and a violation ends the session.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ipc.h"
#include "common/log.h"
#include "config.h"
#include "session.h"
#include "front/tlsrelay.h"

#define TR_FLUSH_SLACK_MS	15000	/* two flushes, then the wait */

static int
tr_user_timeout_ms(void)
{
	/* The front gives up after data_timeout; allow it to say so. */
	return (int)cfg->data_timeout * 1000 + 5000;
}

/*
 * The front's answer to a request: skip stale close reports from an
 * earlier, unfinished data connection.  0, or -1 with a reason in err.
 */
static int
tr_recv_reply(struct session *s, uint32_t *type, struct buf *msg, int *fd,
    int timeout_ms, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < 4; i++) {
		*fd = -1;
		if (ipc_recv_timeout(s->front_fd, type, msg, fd,
		    timeout_ms) == -1) {
			snprintf(err, errlen, "TLS front: %s", errno == 0 ?
			    "gone" : strerror(errno));
			return -1;
		}
		if (*type != TR_DATA_CLOSED && *type != TR_FILE_DONE)
			return 0;
		if (*fd != -1)
			(void)close(*fd);
	}
	*fd = -1;
	snprintf(err, errlen, "TLS front: no answer");
	return -1;
}

int
tlsrelay_wrap_data(struct session *s, int fd, enum tlsrelay_mode mode,
    int upload, char *err, size_t errlen)
{
	struct buf msg;
	uint32_t type, ok, m = (uint32_t)mode | (upload ? TR_MODE_UPLOAD : 0);
	size_t off = 0;
	int pfd = -1;

	if (s->front_fd == -1) {
		snprintf(err, errlen, "no TLS front process");
		(void)close(fd);
		return -1;
	}
	if (ipc_send(s->front_fd, TR_DATA_OPEN, &m, sizeof(m), fd) == -1) {
		snprintf(err, errlen, "TLS front: %s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	buf_init(&msg, TR_MSG_MAX);
	if (tr_recv_reply(s, &type, &msg, &pfd, tr_user_timeout_ms(), err,
	    errlen) == -1) {
		buf_free(&msg);
		return -1;
	}
	if (type != TR_DATA_REPLY || ipc_get_u32(&msg, &off, &ok) == -1 ||
	    ipc_get_str(&msg, &off, err, errlen) == -1 ||
	    ok > TR_OPEN_REFUSED || (ok == TR_OPEN_OK && pfd == -1)) {
		if (pfd != -1)
			(void)close(pfd);
		buf_free(&msg);
		fatal("tlsrelay: bad reply from TLS front");
	}
	buf_free(&msg);
	if (ok != TR_OPEN_OK) {
		if (pfd != -1)
			(void)close(pfd);
		return ok == TR_OPEN_REFUSED ? -2 : -1;
	}
	return pfd;
}

/* Discard what the front still sends on plainfd, so it is never stuck
 * writing to us while we wait for its report.  0, or -1 when drained
 * (EOF or error). */
static int
tr_discard(int plainfd)
{
	unsigned char junk[16384];
	ssize_t n;

	n = recv(plainfd, junk, sizeof(junk), MSG_DONTWAIT);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	return -1;
}

int
tlsrelay_finish_data(struct session *s, int plainfd)
{
	struct pollfd pfd[2];
	struct buf msg;
	long long deadline = clock_ms() + tr_user_timeout_ms(), left;
	uint32_t type, clean;
	size_t off = 0;
	int draining = plainfd != -1, i;

	if (s->front_fd == -1)
		return -1;
	for (i = 0; i < 1000000; i++) {
		if ((left = deadline - clock_ms()) <= 0)
			return -1;
		pfd[0].fd = s->front_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = draining ? plainfd : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, left > 60000 ? 60000 : (int)left) == -1 &&
		    errno != EINTR)
			return -1;
		if (draining && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			draining = tr_discard(plainfd) == 0;
		if (pfd[0].revents != 0)
			break;
	}
	buf_init(&msg, TR_MSG_MAX);
	/* A file transfer we gave up on may still report first. */
	for (i = 0; i < 2; i++)
		if (ipc_recv(s->front_fd, &type, &msg, NULL) == -1 ||
		    type != TR_FILE_DONE)
			break;
	if (i == 2 || type != TR_DATA_CLOSED ||
	    ipc_get_u32(&msg, &off, &clean) == -1) {
		buf_free(&msg);
		return -1;
	}
	buf_free(&msg);
	return clean ? 0 : -1;
}

int
tlsrelay_file_start(struct session *s, int filefd, int dir,
    unsigned long long limit)
{
	struct buf msg;
	int rc;

	if (s->front_fd == -1) {
		errno = EBADF;
		return -1;
	}
	buf_init(&msg, 16);
	rc = ipc_put_u32(&msg, (uint32_t)dir) == -1 ||
	    ipc_put_u64(&msg, limit) == -1 ||
	    ipc_send(s->front_fd, TR_DATA_FILE, msg.data, msg.len,
	    filefd) == -1 ? -1 : 0;
	buf_free(&msg);
	return rc;
}

int
tlsrelay_file_result(struct session *s, unsigned long long *bytes,
    enum tlsrelay_where *where, int *err)
{
	struct buf msg;
	uint32_t type, w, e;
	uint64_t n;
	size_t off = 0;

	buf_init(&msg, TR_MSG_MAX);
	if (ipc_recv(s->front_fd, &type, &msg, NULL) == -1 ||
	    type != TR_FILE_DONE || ipc_get_u64(&msg, &off, &n) == -1 ||
	    ipc_get_u32(&msg, &off, &w) == -1 ||
	    ipc_get_u32(&msg, &off, &e) == -1 || w > TR_DONE_NET) {
		buf_free(&msg);
		return -1;
	}
	buf_free(&msg);
	*bytes = n;
	*where = (enum tlsrelay_where)w;
	*err = (int)e;
	return 0;
}

int
tlsrelay_ccc(struct session *s, const void *reply, size_t len, char *err,
    size_t errlen)
{
	struct buf msg;
	uint32_t type, ok;
	size_t off = 0;
	int fd = -1;

	if (s->front_fd == -1 || len > TR_MSG_MAX) {
		snprintf(err, errlen, "no TLS front process");
		return -1;
	}
	if (ipc_send(s->front_fd, TR_CCC, reply, len, -1) == -1) {
		snprintf(err, errlen, "TLS front: %s", strerror(errno));
		return -1;
	}
	buf_init(&msg, TR_MSG_MAX);
	/* The front may wait idle_timeout for the client's close_notify. */
	if (tr_recv_reply(s, &type, &msg, &fd, (int)cfg->idle_timeout * 1000 +
	    TR_FLUSH_SLACK_MS, err, errlen) == -1) {
		buf_free(&msg);
		return -1;
	}
	if (type != TR_CCC_DONE || fd != -1 ||
	    ipc_get_u32(&msg, &off, &ok) == -1 ||
	    ipc_get_str(&msg, &off, err, errlen) == -1) {
		if (fd != -1)
			(void)close(fd);
		buf_free(&msg);
		fatal("tlsrelay: bad reply to CCC from TLS front");
	}
	buf_free(&msg);
	return ok ? 0 : -1;
}
