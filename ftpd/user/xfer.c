/*
 * xfer.c - moving bytes between files and data connections.
 *
 * Runs in the user process, as the account.  The data peer is untrusted:
 * it may stall (data_timeout, reset whenever bytes move), vanish, or send
 * anything on an upload; bytes are never interpreted except for the TYPE A
 * line-ending conversion.  The data fd is non-blocking, so poll() is only
 * called when a transfer would block; while data flows the control fd is
 * checked without blocking every XFER_CHECK_MS or XFER_CHECK_BYTES, so
 * ABOR and STAT are answered even on a saturated loopback.
 *
 * Which loop runs is the route's choice (route.c), made once when the
 * transfer started: TYPE E, FORM C, STRU R and MODE B/C/Z go through
 * repr.c in a separate read/encode/write loop (xfer_repr_out,
 * xfer_repr_in); the sendfile and splice fast paths are untouched.
 *
 * Rates (ratelimit.c): with one set, each loop asks before every chunk
 * how many bytes may move and moves no more (a sendfile or splice count
 * is capped to it), and waits in xfer_throttle, which watches control.
 * With none set the loops test one flag and read no clock.
 */
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ascii.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xmalloc.h"
#include "config.h"
#include "cmd/ctl.h"
#include "mon_client.h"
#include "user/ratelimit.h"
#include "user/quota.h"
#include "user/repr.h"
#include "user/route.h"
#include "session.h"
#include "shutdown.h"
#include "front/tlsrelay.h"
#include "user/xfer.h"

#define XFER_BUF		(256 * 1024)	/* read/write chunk */
#define XFER_ABUF		(128 * 1024)	/* TYPE A disk chunk */
#define XFER_SENDFILE_MAX	(16 * 1024 * 1024)
#define XFER_CHECK_MS		250	/* control check interval */
#define XFER_MARKS_MAX	1000	/* 110 replies per upload: markers are
				 * the client's to send, replies ours */
#define XFER_CHECK_BYTES	(64LL * 1024 * 1024)
#define XFER_QUIET_MS		100	/* control idle after non-ABOR */
#define XFER_SEEK_BUF		(64 * 1024)
#define XFER_PIPE_SZ		(1024 * 1024) /* splice pipe size */
#define XFER_RBUF		(64 * 1024)	/* repr.c file chunk */
#define XFER_MARK_EVERY		(1024 * 1024)	/* MODE B/C restart marker */
#define XFER_CORK_MIN		(1024 * 1024)	/* smaller: not worth 2 calls */
#define XFER_TICK_MS		500	/* progress check, front transfers */
#define XFER_BUSY_MS		1000	/* shown by ftpwho after this long */
#define XFER_MARK_LEN		32
#define XFER_THROTTLE_MAX_NS	(250 * 1000000ULL) /* one throttled
				 * sleep at most (then look again) */
#define XFER_DRAIN_MAX		(8 * 1024 * 1024) /* after a quota cut */
#define XFER_DRAIN_MS		2000

struct xfer_ctx {
	struct session	*s;
	const struct xfer_route *r;	/* decided when the transfer began */
	int		 datafd;
	int		 waitfd;	/* what xfer_wait watches: datafd,
					 * or the front's ipc */
	int		 tick_ms;	/* xfer_wait returns after this long
					 * even if not ready (0: never) */
	int		 ready;		/* xfer_wait: waitfd was ready */
	long long	 last;		/* ms: last progress */
	long long	 next_check;	/* ms: next control check */
	long long	 quiet_until;	/* ms: ignore control until */
	long long	 since_check;	/* bytes since the last check */
	long long	 timeout;	/* data_timeout in ms */
	long long	 busy_at;	/* ms: tell the monitor (0: never) */
	int		 busy_sent;	/* ftpwho shows this transfer */
	long long	 progress_at;	/* ms: next MON_PROGRESS, once shown */
	unsigned	 marks;		/* restart markers received */
	struct ratelimit rl;		/* rates; rl.on 0: none */
	struct quota_up	*q;		/* uploads with a quota, or NULL */
};

static long long
xfer_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == -1 &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A peer that closes mid-transfer must give EPIPE, not kill the session:
 * sendfile(2) has no MSG_NOSIGNAL, so make sure SIGPIPE is ignored.
 */
static void
xfer_ignore_sigpipe(void)
{
	static int checked;	/* once per process, not per transfer */
	struct sigaction sa;

	if (checked)
		return;
	checked = 1;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		(void)sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGPIPE, &sa, NULL);
	}
}

static int
xfer_begin(struct xfer_ctx *x, struct session *s, const struct xfer_route *r,
    int datafd)
{
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->r = r;
	x->datafd = x->waitfd = datafd;
	x->timeout = (long long)cfg->data_timeout * 1000;
	x->last = xfer_now_ms();
	x->next_check = x->last + XFER_CHECK_MS;
	s->in_xfer = 1;
	s->xfer_done = 0;
	ratelimit_begin(&x->rl, s, r);
	xfer_ignore_sigpipe();
	return net_set_nonblock(datafd, 1);
}

int
xfer_close(struct session *s, const struct xfer_route *r, int fd)
{
	int rc = 0;

	if (fd == -1)
		return 0;
	if (r->tls) {
		/* The front sends close_notify when it sees our EOF. */
		if (shutdown(fd, SHUT_WR) == -1 && errno != ENOTCONN)
			log_msg(LOG_DEBUG, "data shutdown: %s",
			    strerror(errno));
		if (tlsrelay_finish_data(s, fd) == -1) {
			log_msg(LOG_INFO, "TLS data connection did not close "
			    "cleanly");
			rc = -1;
		}
	}
	(void)close(fd);
	return rc;
}

/* ABOR arrived: close the data connection first, then 426 and 226. */
static enum xfer_result
xfer_aborted(struct xfer_ctx *x)
{
	(void)xfer_close(x->s, x->r, x->datafd);
	x->datafd = -1;
	reply(x->s, 426, "Connection closed; transfer aborted.");
	reply(x->s, 226, "ABOR successful.");
	return XFER_ABORTED;
}

/* Control bytes are waiting: let ctl.c read them (ABOR, STAT). */
static enum xfer_result
xfer_ctl(struct xfer_ctx *x)
{
	switch (ctl_check_abort(x->s)) {
	case 1:
		return xfer_aborted(x);
	case 0:
		/* Something else (STAT, pipelined commands): don't spin. */
		x->quiet_until = xfer_now_ms() + XFER_QUIET_MS;
		return XFER_OK;
	default:
		return XFER_CTL_GONE;
	}
}

/*
 * A file transfer that has run for XFER_BUSY_MS is shown by ftpwho: one
 * message to the monitor, which rewrites the scoreboard record, then its
 * progress (MON_PROGRESS) a few times a second, and one more at the end.
 * Shorter ones (a mirror's many small files) cost no message at all.
 */
static void
xfer_busy_start(struct xfer_ctx *x)
{
	x->busy_at = x->last + XFER_BUSY_MS;
}

static void
xfer_busy_check(struct xfer_ctx *x, long long now)
{
	if (x->busy_sent) {
		/* Its progress, at most every MON_PROGRESS_MS: the callers
		 * come here only at their control checks (XFER_CHECK_MS,
		 * with a clock they read anyway) or while they wait, so the
		 * moving loops gain no call and no clock read. */
		if (now < x->progress_at)
			return;
		x->progress_at = now + MON_PROGRESS_MS;
		mon_progress(x->s, x->s->xfer_done, x->s->xfer_total);
		return;
	}
	if (x->busy_at == 0 || now < x->busy_at)
		return;
	x->busy_at = 0;
	x->busy_sent = 1;
	mon_busy(x->s, x->s->xfer_what);
	x->progress_at = now + MON_PROGRESS_MS;
	mon_progress(x->s, x->s->xfer_done, x->s->xfer_total);
}

/* A file transfer is over: no longer in_xfer, and ftpwho shows it no
 * more if it was shown. */
static void
xfer_file_end(struct xfer_ctx *x)
{
	x->s->in_xfer = 0;
	if (x->busy_sent)
		mon_busy(x->s, NULL);
}

/* Bytes moved: reset the stall deadline; check control now and then. */
static enum xfer_result
xfer_moved(struct xfer_ctx *x, size_t n)
{
	struct pollfd pfd;

	x->last = xfer_now_ms();
	x->since_check += (long long)n;
	if (shutdown_requested)
		return XFER_NET_ERROR;	/* 426, then 421 (shutdown.c) */
	if (x->since_check < XFER_CHECK_BYTES && x->last < x->next_check)
		return XFER_OK;
	x->since_check = 0;
	x->next_check = x->last + XFER_CHECK_MS;
	xfer_busy_check(x, x->last);
	if (x->last < x->quiet_until)
		return XFER_OK;
	pfd.fd = x->s->ctl_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1)
		return xfer_ctl(x);
	return XFER_OK;
}

/* Wait until waitfd is ready for events (or tick_ms passed), watching
 * control too. */
static enum xfer_result
xfer_wait(struct xfer_ctx *x, short events)
{
	struct pollfd pfd[2];
	long long now, left;
	nfds_t n;
	int r;

	for (;;) {
		now = xfer_now_ms();
		if ((left = x->last + x->timeout - now) <= 0)
			return XFER_TIMEOUT;
		xfer_busy_check(x, now);
		if (x->busy_at != 0 && x->busy_at - now < left)
			left = x->busy_at - now;	/* a stall shows too */
		/* and, once shown, its rate falling */
		if (x->busy_sent && x->progress_at - now < left)
			left = x->progress_at > now ? x->progress_at - now : 0;
		pfd[0].fd = x->waitfd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		n = 1;
		if (now >= x->quiet_until) {
			pfd[1].fd = x->s->ctl_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		} else if (x->quiet_until - now < left)
			left = x->quiet_until - now;
		if (x->tick_ms > 0 && left > x->tick_ms)
			left = x->tick_ms;
		/* The client may wait for the 150 before it reads. */
		if (ctl_flush(x->s) == -1)
			return XFER_CTL_GONE;
		r = poll(pfd, n, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (r == -1 && errno != EINTR)
			return XFER_NET_ERROR;
		if (shutdown_requested)
			return XFER_NET_ERROR;	/* 426, then 421 */
		if (r == 0 && x->tick_ms > 0) {
			x->ready = 0;
			return XFER_OK;
		}
		if (r <= 0)
			continue;
		if (n == 2 && pfd[1].revents != 0) {
			enum xfer_result res = xfer_ctl(x);

			if (res != XFER_OK)
				return res;
		}
		if (pfd[0].revents & POLLNVAL)
			return XFER_NET_ERROR;
		if (pfd[0].revents != 0) {
			x->ready = 1;
			return XFER_OK;
		}
	}
}

/*
 * A rate applies (x->rl.on): lower *want to the bytes that may move now,
 * first waiting until some may.  The wait is a ppoll on the control
 * connection, so ABOR and STAT are answered and a closed control ends
 * it; SIGTERM interrupts it.  A held 150 goes out first: a slow small
 * download must not keep it from a client that waits for it.  Time spent
 * here is ours, not the peer's stall, so it does not count toward
 * data_timeout.
 */
static enum xfer_result
xfer_throttle(struct xfer_ctx *x, size_t *want)
{
	enum xfer_result res;
	struct timespec ts;
	struct pollfd pfd;
	uint64_t wait_ns;
	long long now;
	size_t g;
	int r;

	for (;;) {
		if ((g = ratelimit_grant(&x->rl, *want, &wait_ns)) > 0) {
			*want = g;
			return XFER_OK;
		}
		if (wait_ns > XFER_THROTTLE_MAX_NS)
			wait_ns = XFER_THROTTLE_MAX_NS;
		ts.tv_sec = (time_t)(wait_ns / 1000000000ULL);
		ts.tv_nsec = (long)(wait_ns % 1000000000ULL);
		if (ctl_flush(x->s) == -1)
			return XFER_CTL_GONE;
		now = xfer_now_ms();
		xfer_busy_check(x, now);
		/* After a STAT or a pipelined command, control is left
		 * alone for a while (a negative fd is skipped). */
		pfd.fd = now >= x->quiet_until ? x->s->ctl_fd : -1;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = ppoll(&pfd, 1, &ts, NULL);
		if (r == -1 && errno != EINTR)
			return XFER_NET_ERROR;
		if (shutdown_requested)
			return XFER_NET_ERROR;	/* 426, then 421 */
		if (r > 0 && pfd.revents != 0 &&
		    (res = xfer_ctl(x)) != XFER_OK)
			return res;
		x->last = xfer_now_ms();
	}
}

/*
 * One read from the data connection of at most cap bytes, within the
 * rate: read(2)'s result, or -2 when waiting for the rate ended the
 * transfer (*res says how).
 */
static ssize_t
xfer_read_rated(struct xfer_ctx *x, void *buf, size_t cap,
    enum xfer_result *res)
{
	size_t want = cap;
	ssize_t n;

	if (x->rl.on && (*res = xfer_throttle(x, &want)) != XFER_OK)
		return -2;
	n = read(x->datafd, buf, want);
	if (n > 0 && x->rl.on)
		ratelimit_used(&x->rl, (size_t)n);
	return n;
}

/* read(2) from the file, retrying EINTR: bytes, 0 at EOF, or -1 with
 * *err set. */
static ssize_t
xfer_read_file(int fd, unsigned char *p, size_t n, int *err)
{
	ssize_t r;

	do {
		r = read(fd, p, n);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		*err = errno;
	return r;
}

/* Write all of p to the data connection. */
static enum xfer_result
xfer_write_all(struct xfer_ctx *x, const unsigned char *p, size_t n)
{
	enum xfer_result res;
	ssize_t w;

	while (n > 0) {
		w = send(x->datafd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == ENOTSOCK)
			w = write(x->datafd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			x->last = xfer_now_ms();
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return XFER_NET_ERROR;
		if ((res = xfer_wait(x, POLLOUT)) != XFER_OK)
			return res;
	}
	return XFER_OK;
}

/* Write all of p to the file; *err gets errno on failure. */
static enum xfer_result
xfer_write_file(int fd, const unsigned char *p, size_t n, int *err)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w == 0) {
			*err = ENOSPC;
			return XFER_DISK_ERROR;
		} else if (errno != EINTR) {
			*err = errno;
			return XFER_DISK_ERROR;
		}
	}
	return XFER_OK;
}

/* The most file bytes to move next: chunk, or what is left of
 * xfer_total (a RANG, or all that stat said was there: a file growing
 * meanwhile is sent as it was when RETR began). */
static size_t
xfer_next_chunk(const struct xfer_ctx *x, off_t done, size_t chunk)
{
	off_t left = x->s->xfer_total - done;

	if (x->s->xfer_total < 0 || left >= (off_t)chunk)
		return chunk;
	return left > 0 ? (size_t)left : 0;
}

/* File -> network with read/write; TYPE A converts LF to CRLF, the first
 * one without its CR after a REST between the two (skip_cr). */
static enum xfer_result
xfer_copy_out(struct xfer_ctx *x, int filefd, off_t *bytes, int *err,
    int skip_cr)
{
	int ascii = x->r->ascii;
	size_t chunk = ascii ? XFER_ABUF : XFER_BUF, want, k;
	unsigned char *in, *out = NULL;
	enum xfer_result res = XFER_OK;
	ssize_t n;

	in = xmalloc(chunk);
	if (ascii)
		out = xmalloc(2 * chunk);
	while (res == XFER_OK) {
		/* Stop at the end without the read that only sees EOF. */
		if ((want = xfer_next_chunk(x, *bytes, chunk)) == 0)
			break;
		if (x->rl.on && (res = xfer_throttle(x, &want)) != XFER_OK)
			break;
		if ((n = xfer_read_file(filefd, in, want, err)) <= 0) {
			res = n == 0 ? XFER_OK : XFER_DISK_ERROR;
			break;
		}
		if (ascii) {
			k = ascii_to_crlf(in, (size_t)n, out);
			res = skip_cr && out[0] == '\r' ?
			    xfer_write_all(x, out + 1, k - 1) :
			    xfer_write_all(x, out, k);
			skip_cr = 0;
		} else
			res = xfer_write_all(x, in, (size_t)n);
		if (res != XFER_OK)
			break;
		if (x->rl.on)
			ratelimit_used(&x->rl, (size_t)n);
		*bytes += n;
		x->s->xfer_done += n;
		res = xfer_moved(x, (size_t)n);
	}
	free(in);
	free(out);
	return res;
}

/*
 * File -> network with sendfile(2) from the file's offset.  *fallback is
 * set when the kernel cannot sendfile between these fds before any byte
 * moved, so the caller can copy instead.
 */
static enum xfer_result
xfer_sendfile(struct xfer_ctx *x, int filefd, off_t *bytes, int *err,
    int *fallback)
{
	enum xfer_result res;
	ssize_t n;

	size_t want;

	for (;;) {
		if ((want = xfer_next_chunk(x, *bytes, XFER_SENDFILE_MAX)) == 0)
			return XFER_OK;
		if (x->rl.on && (res = xfer_throttle(x, &want)) != XFER_OK)
			return res;
		n = sendfile(x->datafd, filefd, NULL, want);
		if (n > 0) {
			if (x->rl.on)
				ratelimit_used(&x->rl, (size_t)n);
			*bytes += n;
			x->s->xfer_done += n;
			if ((res = xfer_moved(x, (size_t)n)) != XFER_OK)
				return res;
			continue;
		}
		if (n == 0)
			return XFER_OK;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((res = xfer_wait(x, POLLOUT)) != XFER_OK)
				return res;
			continue;
		}
		if ((errno == EINVAL || errno == ENOSYS) && *bytes == 0) {
			*fallback = 1;
			return XFER_OK;
		}
		*err = errno;
		return errno == EIO || errno == ENOMEM ? XFER_DISK_ERROR :
		    XFER_NET_ERROR;
	}
}


/* ---- TYPE E, FORM C, STRU R, MODE B/C/Z (repr.c) ------------------- */

/* Send and forget what the encoder produced. */
static enum xfer_result
xfer_repr_flush(struct xfer_ctx *x, struct buf *out)
{
	enum xfer_result res;

	res = xfer_write_all(x, out->data, out->len);
	buf_reset(out);
	return res;
}

/*
 * MODE B/C: every XFER_MARK_EVERY file bytes a restart marker holding the
 * file offset reached, which is what REST takes back in those modes.
 */
static int
xfer_repr_mark(struct repr_enc *e, off_t pos, off_t *since, struct buf *out)
{
	char m[XFER_MARK_LEN];

	if (*since < XFER_MARK_EVERY || pos < 0)
		return 0;
	*since = 0;
	(void)snprintf(m, sizeof(m), "%lld", (long long)pos);
	return repr_enc_mark(e, m, out);
}

static enum xfer_result
xfer_repr_out(struct xfer_ctx *x, int filefd, off_t *bytes, int *err,
    int skip_cr)
{
	struct repr_enc *e;
	struct buf out;
	enum xfer_result res = XFER_OK;
	unsigned char *in;
	off_t pos, since = 0;
	size_t want;
	ssize_t n;

	if ((e = repr_enc_new(&x->r->repr)) == NULL) {
		*err = ENOMEM;
		return XFER_DISK_ERROR;
	}
	if (skip_cr)
		repr_enc_skip_cr(e);
	pos = lseek(filefd, 0, SEEK_CUR);
	in = xmalloc(XFER_RBUF);
	buf_init(&out, REPR_ENC_BOUND(XFER_RBUF) + REPR_OUT_SLACK);
	while (res == XFER_OK) {
		want = XFER_RBUF;
		if (x->rl.on && (res = xfer_throttle(x, &want)) != XFER_OK)
			break;
		if ((n = xfer_read_file(filefd, in, want, err)) <= 0) {
			res = n == 0 ? XFER_OK : XFER_DISK_ERROR;
			break;
		}
		since += n;
		pos = pos < 0 ? pos : pos + n;
		if (repr_enc_data(e, in, (size_t)n, &out) == -1 ||
		    xfer_repr_mark(e, pos, &since, &out) == -1) {
			*err = ENOMEM;
			res = XFER_DISK_ERROR;
			break;
		}
		if ((res = xfer_repr_flush(x, &out)) != XFER_OK)
			break;
		if (x->rl.on)
			ratelimit_used(&x->rl, (size_t)n);
		*bytes += n;
		x->s->xfer_done += n;
		res = xfer_moved(x, (size_t)n);
	}
	if (res == XFER_OK && repr_enc_finish(e, &out) == -1) {
		*err = ENOMEM;
		res = XFER_DISK_ERROR;
	}
	if (res == XFER_OK)
		res = xfer_repr_flush(x, &out);
	repr_enc_free(e);
	buf_free(&out);
	free(in);
	return res;
}

/*
 * PROT P, binary, no conversion: the front, which is the TLS endpoint,
 * moves the bytes between the file and TLS itself (tlsrelay.c): two
 * copies and a trip through the socketpair less per byte.  Meanwhile we
 * answer the control connection (ABOR, STAT) and follow the progress in
 * the file offset, which the front's descriptor shares with ours.
 */
static enum xfer_result
xfer_via_front(struct xfer_ctx *x, int filefd, int dir, off_t *bytes,
    int *err)
{
	struct session *s = x->s;
	unsigned long long limit = ~0ULL, moved;
	enum tlsrelay_where where;
	enum xfer_result res;
	off_t start, pos;
	int fl;

	if (dir == 'o' && s->xfer_total >= 0)
		limit = (unsigned long long)s->xfer_total;
	/* Progress is how far the front moves the offset; an O_APPEND
	 * file (APPE) has its offset at 0 until the first write. */
	fl = dir == 'i' ? fcntl(filefd, F_GETFL) : 0;
	start = lseek(filefd, 0, fl != -1 && (fl & O_APPEND) ? SEEK_END :
	    SEEK_CUR);
	if (tlsrelay_file_start(s, filefd, dir, limit) == -1) {
		*err = errno;
		return XFER_NET_ERROR;
	}
	x->waitfd = s->front_fd;
	x->tick_ms = XFER_TICK_MS;
	/* Bounded by data_timeout: x->last moves only with the offset. */
	for (;;) {
		res = xfer_wait(x, POLLIN);
		if (res == XFER_OK && x->ready)
			break;		/* the front's report has the count */
		/* The front moves the file offset we share: progress. */
		if (start != -1 && (pos = lseek(filefd, 0, SEEK_CUR)) != -1 &&
		    pos - start > s->xfer_done) {
			s->xfer_done = pos - start;
			x->last = xfer_now_ms();
		}
		if (res != XFER_OK) {
			/* Cut short (ABOR, timeout): that offset is the best
			 * count left for the logs. */
			*bytes = s->xfer_done;
			return res;	/* the caller's close stops the front */
		}
	}
	if (tlsrelay_file_result(s, &moved, &where, err) == -1) {
		*err = EPROTO;
		return XFER_NET_ERROR;
	}
	*bytes = (off_t)moved;
	s->xfer_done = (off_t)moved;
	if (where == TR_DONE_FILE)
		return XFER_DISK_ERROR;
	return where == TR_DONE_OK ? XFER_OK : XFER_NET_ERROR;
}

enum xfer_result
xfer_send_file(struct session *s, const struct xfer_route *r, int filefd,
    int datafd, int skip_cr, off_t *bytes, int *err)
{
	struct xfer_ctx x;
	enum xfer_result res = XFER_OK;
	int fallback = 0, corked = 0;

	*bytes = 0;
	*err = 0;
	if (xfer_begin(&x, s, r, datafd) == -1) {
		*err = errno;
		s->in_xfer = 0;
		return XFER_NET_ERROR;
	}
	xfer_busy_start(&x);
	/*
	 * TCP_CORK for a big download: only full segments leave, so a
	 * loopback or LAN peer gets 64 KiB segments instead of one short
	 * one per write; measured 1.7 -> 3+ GB/s on loopback (test/bench).
	 * Under PROT P datafd is the socketpair to the front, which corks
	 * the TCP socket itself.  Not when throttled: a short chunk would
	 * wait for the next one, and speed is not the point then.
	 */
	if (!r->tls && !x.rl.on && (s->xfer_total < 0 ||
	    s->xfer_total >= XFER_CORK_MIN))
		corked = net_set_cork(datafd, 1) == 0;
	switch (r->path) {
	case XFER_PATH_FRONT:
		res = xfer_via_front(&x, filefd, 'o', bytes, err);
		break;
	case XFER_PATH_CODEC:
		res = xfer_repr_out(&x, filefd, bytes, err, skip_cr);
		break;
	case XFER_PATH_SENDFILE:
		res = xfer_sendfile(&x, filefd, bytes, err, &fallback);
		break;
	default:
		fallback = 1;
		break;
	}
	if (fallback)
		res = xfer_copy_out(&x, filefd, bytes, err, skip_cr);
	/* Push the last partial segment now rather than at close. */
	if (corked && x.datafd != -1)
		(void)net_set_cork(x.datafd, 0);
	xfer_file_end(&x);
	return res;
}

/*
 * n upload bytes into the file, within the quota when there is one: what
 * does not fit is not written, and the upload stops there (552: cut at
 * the limit, or 451 when the tally is unavailable).
 */
static enum xfer_result
xfer_write_quota(struct xfer_ctx *x, int filefd, const unsigned char *p,
    size_t n, off_t *bytes, int *err)
{
	enum xfer_result res = XFER_OK;
	size_t room = n;

	if (x->q != NULL)
		room = quota_room(x->s, x->q, n);
	if (room > 0)
		res = xfer_write_file(filefd, p, room, err);
	if (res != XFER_OK)
		return res;
	if (x->q != NULL)
		quota_wrote(x->q, room);
	*bytes += (off_t)room;
	x->s->xfer_done += (off_t)room;
	if (room < n) {
		*err = x->q->err;
		return XFER_DISK_ERROR;
	}
	return XFER_OK;
}

/* One chunk off the wire into the file. */
static enum xfer_result
xfer_store(struct xfer_ctx *x, struct ascii_state *st, unsigned char *in,
    size_t n, unsigned char *out, int filefd, off_t *bytes, int *err)
{
	if (out != NULL)
		n = ascii_to_lf(st, in, n, out);
	return xfer_write_quota(x, filefd, out != NULL ? out : in, n, bytes,
	    err);
}

/*
 * Move n bytes from the pipe into the file.  If the file cannot take
 * splice(2) (some file systems), copy them through user space instead and
 * set *nosplice so the caller stops splicing.
 */
static enum xfer_result
xfer_drain_pipe(int pipefd, int filefd, size_t n, int *err, int *nosplice)
{
	unsigned char b[4096];
	enum xfer_result res;
	ssize_t m;

	while (n > 0) {
		m = *nosplice ? read(pipefd, b, n < sizeof(b) ? n : sizeof(b)) :
		    splice(pipefd, NULL, filefd, NULL, n, SPLICE_F_MOVE);
		if (m > 0 && *nosplice &&
		    (res = xfer_write_file(filefd, b, (size_t)m, err)) !=
		    XFER_OK)
			return res;
		if (m > 0) {
			n -= (size_t)m;
			continue;
		}
		if (m == -1 && errno == EINTR)
			continue;
		if (m == -1 && errno == EINVAL && !*nosplice) {
			*nosplice = 1;
			continue;
		}
		*err = m == 0 ? EIO : errno;
		return XFER_DISK_ERROR;
	}
	return XFER_OK;
}

/*
 * TYPE I upload with splice(2): socket -> pipe -> file, no copy through
 * user space (measured faster than read/write on loopback).  *fallback is
 * set when the socket cannot be spliced before any byte arrived.
 */
static enum xfer_result
xfer_splice_in(struct xfer_ctx *x, int filefd, off_t *bytes, int *err,
    int *fallback)
{
	enum xfer_result res = XFER_OK;
	int *p = x->s->splice_pipe, nosplice = 0;
	size_t want;
	ssize_t n;

	/* One pipe per session, not per upload: four calls less per file. */
	if (p[0] == -1) {
		if (pipe2(p, O_CLOEXEC) == -1) {
			p[0] = p[1] = -1;
			*fallback = 1;
			return XFER_OK;
		}
		/* Larger pipes mean fewer calls; the default 64 KiB works. */
		(void)fcntl(p[1], F_SETPIPE_SZ, XFER_PIPE_SZ);
	}
	while (res == XFER_OK) {
		/* With a quota, only what may be written leaves the socket:
		 * bytes in the pipe must go to the file. */
		want = XFER_PIPE_SZ;
		if (x->q != NULL && (want = quota_room(x->s, x->q, want)) ==
		    0) {
			*err = x->q->err;
			res = XFER_DISK_ERROR;
			break;
		}
		if (x->rl.on && (res = xfer_throttle(x, &want)) != XFER_OK)
			break;
		n = splice(x->datafd, NULL, p[1], NULL, want,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			if (x->rl.on)
				ratelimit_used(&x->rl, (size_t)n);
			res = xfer_drain_pipe(p[0], filefd, (size_t)n, err,
			    &nosplice);
			if (res != XFER_OK)
				break;
			if (x->q != NULL)
				quota_wrote(x->q, (size_t)n);
			*bytes += n;
			x->s->xfer_done += n;
			res = xfer_moved(x, (size_t)n);
		} else if (n == 0)
			break;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			res = xfer_wait(x, POLLIN);
		else if (errno == EINVAL && *bytes == 0) {
			*fallback = 1;
			break;
		} else if (errno != EINTR) {
			*err = errno;
			res = XFER_NET_ERROR;
		}
	}
	/* After an error bytes may be left in it: the next upload gets a
	 * new one. */
	if (res != XFER_OK) {
		(void)close(p[0]);
		(void)close(p[1]);
		p[0] = p[1] = -1;
	}
	return res;
}

/* Data connection -> file with read/write; TYPE A converts CRLF to LF. */
static enum xfer_result
xfer_copy_in(struct xfer_ctx *x, int filefd, off_t *bytes, int *err)
{
	struct ascii_state st = { 0 };
	enum xfer_result res = XFER_OK;
	unsigned char *in, *out = NULL;
	ssize_t n;

	in = xmalloc(XFER_BUF);
	if (x->r->ascii)
		out = xmalloc(XFER_BUF + 1);
	while (res == XFER_OK) {
		if ((n = xfer_read_rated(x, in, XFER_BUF, &res)) == -2)
			break;
		if (n > 0) {
			res = xfer_store(x, &st, in, (size_t)n, out, filefd,
			    bytes, err);
			if (res == XFER_OK)
				res = xfer_moved(x, (size_t)n);
		} else if (n == 0) {
			if (out != NULL && ascii_flush(&st, out) == 1)
				res = xfer_store(x, &st, out, 1, NULL,
				    filefd, bytes, err);
			break;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK)
			res = xfer_wait(x, POLLIN);
		else if (errno != EINTR) {
			*err = errno;
			res = XFER_NET_ERROR;
		}
	}
	free(in);
	free(out);
	return res;
}


/* Write decoded bytes to the file and count them. */
static enum xfer_result
xfer_repr_store(struct xfer_ctx *x, struct buf *out, int filefd,
    off_t *bytes, int *err)
{
	enum xfer_result res;
	size_t n = out->len;

	if (n == 0)
		return XFER_OK;
	res = xfer_write_quota(x, filefd, out->data, n, bytes, err);
	buf_reset(out);
	if (res != XFER_OK)
		return res;
	return xfer_moved(x, n);
}

/*
 * A restart marker from the client (RFC 959 4.2, reply 110): the data
 * before it is on disk; our marker is the file offset, which REST takes.
 */
static void
xfer_repr_marked(struct xfer_ctx *x, struct repr_dec *d, int filefd)
{
	off_t pos;

	/* Tiny blocks of markers would make the control connection carry
	 * ten times what the client sends: only the first are answered. */
	if (++x->marks > XFER_MARKS_MAX) {
		if (x->marks == XFER_MARKS_MAX + 1)
			log_msg(LOG_NOTICE, "more than %d restart markers in "
			    "one upload: the rest are not answered",
			    XFER_MARKS_MAX);
		return;
	}
	pos = lseek(filefd, 0, SEEK_CUR);
	reply(x->s, 110, "MARK %s = %lld", repr_dec_mark(d),
	    (long long)(pos < 0 ? 0 : pos));
}

/* Decode one chunk off the wire.  *eof is set at the sender's EOF. */
static enum xfer_result
xfer_repr_feed(struct xfer_ctx *x, struct repr_dec *d, const unsigned char *in,
    size_t n, struct buf *out, int filefd, off_t *bytes, int *err, int *eof)
{
	enum xfer_result res;
	enum repr_status st;
	size_t pos = 0, used;

	do {
		st = repr_dec_data(d, in + pos, n - pos, &used, out);
		pos += used;
		/* STRU P: a page's data goes at its index (page.h). */
		if (st == REPR_SEEK && lseek(filefd,
		    (off_t)repr_dec_offset(d), SEEK_SET) == -1) {
			*err = errno;
			return XFER_DISK_ERROR;
		}
		if ((res = xfer_repr_store(x, out, filefd, bytes, err)) !=
		    XFER_OK)
			return res;
		if (st == REPR_MARK)
			xfer_repr_marked(x, d, filefd);
	} while (st == REPR_MORE || st == REPR_MARK || st == REPR_SEEK);
	if (st == REPR_ERR) {
		log_msg(LOG_NOTICE, "malformed MODE %c data from the client",
		    x->s->mode);
		return XFER_NET_ERROR;
	}
	*eof = st == REPR_EOF;
	return XFER_OK;
}

static enum xfer_result
xfer_repr_in(struct xfer_ctx *x, int filefd, off_t *bytes, int *err)
{
	struct repr_dec *d;
	struct buf out;
	enum xfer_result res = XFER_OK;
	unsigned char *in;
	ssize_t n;
	int eof = 0;

	if ((d = repr_dec_new(&x->r->repr)) == NULL) {
		*err = ENOMEM;
		return XFER_DISK_ERROR;
	}
	in = xmalloc(XFER_BUF);
	buf_init(&out, REPR_OUT_SOFT + REPR_OUT_SLACK);
	while (res == XFER_OK && !eof) {
		if ((n = xfer_read_rated(x, in, XFER_BUF, &res)) == -2)
			break;
		if (n > 0) {
			res = xfer_repr_feed(x, d, in, (size_t)n, &out, filefd,
			    bytes, err, &eof);
		} else if (n == 0)
			break;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			res = xfer_wait(x, POLLIN);
		else if (errno != EINTR) {
			*err = errno;
			res = XFER_NET_ERROR;
		}
	}
	/* B, C and Z say where the file ends; a bare close is a failure. */
	if (res == XFER_OK && repr_dec_finish(d, &out) == -1)
		res = XFER_NET_ERROR;
	if (res == XFER_OK)
		res = xfer_repr_store(x, &out, filefd, bytes, err);
	repr_dec_free(d);
	buf_free(&out);
	free(in);
	return res;
}

/*
 * An upload stopped at the quota: read and drop what the client still
 * sends, up to XFER_DRAIN_MAX bytes or XFER_DRAIN_MS, so that a client
 * somewhat over its quota reaches the end of its data and reads the
 * 552.  Closing with unread bytes would reset the connection, and most
 * clients then report the reset, not the reply.  Nothing more is
 * written; a client far over the quota is reset after the bound.
 */
static void
xfer_drain(struct xfer_ctx *x)
{
	long long deadline = xfer_now_ms() + XFER_DRAIN_MS, left;
	unsigned char *b = xmalloc(XFER_RBUF);
	struct pollfd pfd;
	size_t total = 0;
	ssize_t n;

	while (total < XFER_DRAIN_MAX) {
		n = read(x->datafd, b, XFER_RBUF);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			break;
		if (errno == EINTR)
			continue;
		if ((left = deadline - xfer_now_ms()) <= 0)
			break;
		pfd.fd = x->datafd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) == 0)
			break;
	}
	free(b);
}

enum xfer_result
xfer_recv_file(struct session *s, const struct xfer_route *r, int datafd,
    int filefd, struct quota_up *q, off_t *bytes, int *err)
{
	struct xfer_ctx x;
	enum xfer_result res = XFER_OK;
	int fallback = 0;

	*bytes = 0;
	*err = 0;
	if (xfer_begin(&x, s, r, datafd) == -1) {
		*err = errno;
		s->in_xfer = 0;
		return XFER_NET_ERROR;
	}
	xfer_busy_start(&x);
	x.q = q != NULL && q->on ? q : NULL;
	switch (r->path) {
	case XFER_PATH_FRONT:
		res = xfer_via_front(&x, filefd, 'i', bytes, err);
		break;
	case XFER_PATH_CODEC:
		res = xfer_repr_in(&x, filefd, bytes, err);
		break;
	/* splice(2) refuses O_APPEND targets (APPE) with EINVAL, and
	 * xfer_drain_pipe then copies: no fcntl per upload to ask. */
	case XFER_PATH_SPLICE:
		res = xfer_splice_in(&x, filefd, bytes, err, &fallback);
		break;
	default:
		fallback = 1;
		break;
	}
	if (fallback)
		res = xfer_copy_in(&x, filefd, bytes, err);
	if (res == XFER_DISK_ERROR && x.q != NULL && x.q->full &&
	    (*err == EDQUOT || *err == EAGAIN))
		xfer_drain(&x);
	xfer_file_end(&x);
	return res;
}

enum xfer_result
xfer_send_mem(struct session *s, const struct xfer_route *r,
    struct repr_enc *enc, int datafd, const void *p, size_t n)
{
	const unsigned char *c = p;
	struct xfer_ctx x;
	enum xfer_result res = XFER_OK;
	struct buf eb;
	size_t k;

	if (xfer_begin(&x, s, r, datafd) == -1) {
		s->in_xfer = 0;
		return XFER_NET_ERROR;
	}
	/* A listing in TYPE E or MODE B/C/Z: cmd_list.c set up an encoder
	 * that lives across calls, and sends its end itself. */
	buf_init(&eb, enc == NULL ? 0 :
	    REPR_ENC_BOUND(XFER_RBUF) + REPR_OUT_SLACK);
	while (n > 0 && res == XFER_OK) {
		k = n < XFER_BUF ? n : XFER_BUF;
		if (enc != NULL) {
			k = n < XFER_RBUF ? n : XFER_RBUF;
			if (repr_enc_data(enc, c, k, &eb) == -1)
				res = XFER_DISK_ERROR;
			else
				res = xfer_repr_flush(&x, &eb);
		} else
			res = xfer_write_all(&x, c, k);
		if (res != XFER_OK)
			break;
		c += k;
		n -= k;
		s->xfer_done += (off_t)k;
		res = xfer_moved(&x, k);
	}
	buf_free(&eb);
	s->in_xfer = 0;
	return res;
}

int
xfer_seek_ascii(int filefd, off_t wire_off)
{
	unsigned char *b;
	off_t file_off = 0, wire = 0;
	ssize_t n = 0, i;
	int saved;

	if (wire_off < 0 || lseek(filefd, 0, SEEK_SET) == -1)
		return -1;
	b = xmalloc(XFER_SEEK_BUF);
	while (wire < wire_off) {
		n = read(filefd, b, XFER_SEEK_BUF);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Each LF is two bytes on the wire, CR LF. */
		for (i = 0; i < n && wire < wire_off; i++) {
			wire += b[i] == '\n' ? 2 : 1;
			file_off++;
		}
	}
	saved = n == -1 ? errno : EINVAL;
	free(b);
	if (wire < wire_off) {
		errno = saved;
		return -1;
	}
	/* Landed between the CR and LF of a converted LF: back to it. */
	if (wire > wire_off)
		file_off--;
	if (lseek(filefd, file_off, SEEK_SET) == -1)
		return -1;
	return wire > wire_off;
}
