/*
 * tlsrelay.c - entry of the TLS relay: the TLS endpoint after login.
 *
 *   started by   the front itself (front_handoff, called by PASS when the
 *                monitor answered MON_LOGIN_OK on a TLS control
 *                connection): the same process, not a new one
 *   runs as      nopriv_user, the "front" seccomp filter (as the front)
 *   root         empty_dir (chroot)
 *   may ask      MON_LOG only (the monitor refuses MON_LOGIN after login)
 *   parses       TLS records (OpenSSL, tls/); in the client's decrypted
 *                control stream, only whether a line is ABOR (scan_abor);
 *                messages of the user process (type, length, fd)
 *
 * tlsrelay_run runs in the front (nopriv_user, chrooted into empty_dir) for
 * the rest of a TLS session: it relays the control stream between the
 * client's TLS connection and a plain socketpair to the user process, and
 * for each PROT P data connection receives the raw socket from the user
 * process, does the handshake (session reuse checked), and relays
 * plaintext through a fresh socketpair, or, for a download or upload that
 * needs no conversion, moves the bytes between the file the user process
 * passes (TR_DATA_FILE) and TLS itself: two copies and a process hop less
 * per byte.  That fd is one file the front would relay anyway, and the
 * front closes it before it reports the transfer done.  On CCC it ends
 * TLS on the control connection and relays it in clear text from then
 * on, data connections still in TLS.  The user process's side is
 * tlsrelay_user.c.
 *
 * Trust: the client's decrypted bytes are copied between bounded buffers
 * and not interpreted, with one exception: while a PROT P transfer runs,
 * scan_abor watches the control stream for a line that is exactly ABOR
 * (a byte-at-a-time match that keeps no more than a counter), so that the
 * relay stops moving the file at once.  The line itself still goes to the
 * user process, which parses it.  Messages from the other process are
 * checked for type, length and descriptor, and a violation ends the
 * session.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xmalloc.h"
#include "config.h"
#include "cpupin.h"
#include "session.h"
#include "tls/tls.h"
#include "front/tlsrelay.h"

#define TR_CTL_BUF	(64 * 1024)
#define TR_DATA_BUF	(256 * 1024)
#define TR_IO_MAX	(256 * 1024)	/* most bytes per read/write call */
#define TR_FLUSH_MS	5000		/* flushing control output at exit */
#define TR_CLOSE_MS	1000		/* close_notify exchange */
#define TR_PAIR_BUF	(1024 * 1024)	/* socketpair buffers: fewer wakeups */
#define TR_ERR_MAX	200
#define TR_HEAP_KEEP	(4 * 1024 * 1024)	/* freed heap kept, not trimmed */

/* The monitor sends SIGTERM when the user process has ended; the relay
 * then still owes the client the last reply (221). */
static volatile sig_atomic_t tr_terminate;

/*
 * A byte queue of opaque bytes that are only copied, never interpreted.
 * Not a struct buf: consuming from the front must not move 256 KiB per
 * TLS record.
 */
struct rbuf {
	unsigned char	*p;
	size_t		 start, end, cap;
};

/* One side of a relay: a TLS connection or a plain fd. */
struct side {
	int		 fd;
	struct tls_conn	*tls;		/* NULL: plain */
	int		 eof;		/* no more input from this side */
	int		 rd_wants_out;	/* SSL_read needs POLLOUT */
	int		 wr_wants_in;	/* SSL_write needs POLLIN */
	int		 unflushed;	/* TLS records gathered, not sent */
	int		 more;		/* last fill stopped before EAGAIN */
	int		 is_file;	/* a regular file: write(2), not send */
};

struct data_relay {
	int		 active;
	struct side	 net;		/* client, TLS */
	struct side	 plain;		/* socketpair to the user process */
	struct rbuf	 up;		/* client -> user */
	struct rbuf	 down;		/* user -> client */
	int		 up_shut;	/* SHUT_WR sent to the user side */
	int		 aborted;	/* ABOR seen: drop, don't flush */
	long long	 last_progress;
	/* TR_MODE_FILE: hold until TR_DATA_FILE, then file <-> net. */
	int		 hold;
	struct side	 file;		/* fd -1 when no file transfer runs */
	int		 file_dir;	/* 'o' file->client, 'i' client->file */
	unsigned long long file_left;	/* bytes still allowed ('o') */
	unsigned long long file_bytes;	/* bytes moved */
};

/* Watching the client's control bytes for ABOR during a transfer. */
struct abor_scan {
	int		 bol;		/* at the start of a line */
	int		 iac;		/* previous byte was IAC */
	size_t		 matched;	/* letters of "ABOR" seen */
};

struct relay {
	struct session	*s;
	struct tls_conn	*ctl_tls;	/* control connection's TLS: kept
					 * after CCC for the reuse check */
	struct side	 client;	/* control connection: TLS, or
					 * plain (tls NULL) after CCC */
	struct side	 user;		/* relay_fd */
	struct rbuf	 c2u, u2c;
	int		 ipc_fd;
	struct data_relay d;
	struct abor_scan scan;
};

static void	relay_exit(struct relay *r, int status)
		    __attribute__((noreturn));

static void
rb_init(struct rbuf *b, size_t cap)
{
	b->p = xmalloc(cap);
	b->start = b->end = 0;
	b->cap = cap;
}

static void
rb_free(struct rbuf *b)
{
	freezero(b->p, b->cap);
	b->p = NULL;
	b->start = b->end = b->cap = 0;
}

static size_t
rb_len(const struct rbuf *b)
{
	return b->end - b->start;
}

/* Free room at the end, compacting first when that gains room. */
static size_t
rb_room(struct rbuf *b)
{
	if (b->start == b->end)
		b->start = b->end = 0;
	else if (b->start > 0 && b->cap - b->end < b->cap / 4) {
		memmove(b->p, b->p + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	return b->cap - b->end;
}

static void
rb_consume(struct rbuf *b, size_t n)
{
	b->start += n;
	if (b->start == b->end)
		b->start = b->end = 0;
}

/* Read from a side into b until it would block, b is full or EOF.
 * Returns bytes moved, or -1 on error. */
static ssize_t
side_fill(struct side *sd, struct rbuf *b)
{
	size_t room, total = 0;
	ssize_t n;
	int i;

	sd->rd_wants_out = 0;
	sd->more = 1;
	for (i = 0; i < 64 && !sd->eof && (room = rb_room(b)) > 0; i++) {
		if (room > TR_IO_MAX)
			room = TR_IO_MAX;
		if (sd->tls != NULL)
			n = tls_read(sd->tls, b->p + b->end, room);
		else
			n = read(sd->fd, b->p + b->end, room);
		if (n > 0) {
			b->end += (size_t)n;
			total += (size_t)n;
		} else if (n == 0)
			sd->eof = 1;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* A TLS read may need to write (post-handshake). */
			if (sd->tls != NULL)
				sd->rd_wants_out = tls_wants_write(sd->tls);
			sd->more = 0;
			break;
		} else if (errno != EINTR)
			return -1;
	}
	return (ssize_t)total;
}

/* Write b to a side until it would block or b is empty.  Bytes or -1. */
static ssize_t
side_drain(struct side *sd, struct rbuf *b)
{
	size_t len, total = 0;
	ssize_t n;
	int i;

	sd->wr_wants_in = 0;
	for (i = 0; i < 64 && (len = rb_len(b)) > 0; i++) {
		if (len > TR_IO_MAX)
			len = TR_IO_MAX;
		if (sd->tls != NULL)
			n = tls_write(sd->tls, b->p + b->start, len);
		else if (sd->is_file)
			n = write(sd->fd, b->p + b->start, len);
		else
			n = send(sd->fd, b->p + b->start, len, MSG_NOSIGNAL);
		if (n > 0) {
			rb_consume(b, (size_t)n);
			total += (size_t)n;
		} else if (n == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK)) {
			if (sd->tls != NULL)
				sd->wr_wants_in = !tls_wants_write(sd->tls);
			break;
		} else if (n == -1 && errno == EINTR)
			continue;
		else
			return -1;
	}
	if (sd->tls != NULL) {
		switch (tls_flush(sd->tls)) {
		case -1:
			return -1;
		case 0:
			sd->unflushed = 1;
			break;
		default:
			sd->unflushed = 0;
			break;
		}
	}
	return (ssize_t)total;
}

/* poll events for a side: read when there is room (in) and write when
 * there is something queued (out). */
static short
side_events(const struct side *sd, struct rbuf *in, const struct rbuf *out)
{
	short ev = 0;

	if ((!sd->eof && rb_room(in) > 0) || sd->wr_wants_in)
		ev |= POLLIN;
	if (rb_len(out) > 0 || sd->rd_wants_out || sd->unflushed)
		ev |= POLLOUT;
	return ev;
}

/* Worth trying to read: poll said so, or OpenSSL holds bytes. */
static int
side_readable(const struct side *sd, short revents)
{
	if (sd->tls != NULL && sd->more && !sd->eof)
		return 1;
	if (sd->tls != NULL && (sd->rd_wants_out || sd->wr_wants_in))
		return revents != 0;
	return (revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/*
 * Input OpenSSL may hold that poll cannot see (decrypted or read ahead),
 * and room to take it.  Only after a fill that stopped before EAGAIN: a
 * fill that hit EAGAIN leaves at most part of a record behind.
 */
static int
side_has_pending(const struct side *sd, struct rbuf *in)
{
	return sd->tls != NULL && !sd->eof && sd->more && rb_room(in) > 0;
}

static void
reply_to_user(struct relay *r, uint32_t type, int ok, const char *msg,
    int fd)
{
	struct buf b;

	buf_init(&b, TR_MSG_MAX);
	if (ipc_put_u32(&b, (uint32_t)ok) == -1 ||
	    (msg != NULL && ipc_put_str(&b, msg) == -1) ||
	    ipc_send(r->ipc_fd, type, b.data, b.len, fd) == -1) {
		buf_free(&b);
		fatal("tlsrelay: cannot reply to user process: %s",
		    strerror(errno));
	}
	buf_free(&b);
}

/* Tell the user process how a file transfer ended, and let go of the
 * file before that. */
static void
file_done(struct relay *r, enum tlsrelay_where where, int err)
{
	struct data_relay *d = &r->d;
	struct buf b;

	if (d->file.fd == -1)
		return;
	(void)close(d->file.fd);
	d->file.fd = -1;
	buf_init(&b, 32);
	if (ipc_put_u64(&b, d->file_bytes) == -1 ||
	    ipc_put_u32(&b, (uint32_t)where) == -1 ||
	    ipc_put_u32(&b, (uint32_t)err) == -1 ||
	    ipc_send(r->ipc_fd, TR_FILE_DONE, b.data, b.len, -1) == -1) {
		buf_free(&b);
		fatal("tlsrelay: cannot report to user process: %s",
		    strerror(errno));
	}
	buf_free(&b);
}

/* End the data connection; clean: send close_notify first. */
static void
data_end(struct relay *r, int clean)
{
	struct data_relay *d = &r->d;
	int one = 1;

	/* A file transfer cut short: its report comes before the close. */
	file_done(r, TR_DONE_NET, ECONNABORTED);

	/*
	 * Uncork so the last records leave now, and no Nagle: close_notify
	 * is a second small write, which would otherwise wait for the ACK
	 * of the first (a delayed ACK: 40 ms per transfer).
	 */
	(void)setsockopt(d->net.fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	(void)net_set_cork(d->net.fd, 0);
	if (clean)
		tls_close(d->net.tls, TR_CLOSE_MS);
	else
		tls_free(d->net.tls);
	d->net.tls = NULL;
	(void)close(d->net.fd);
	(void)close(d->plain.fd);
	rb_free(&d->up);
	rb_free(&d->down);
	d->active = 0;
	reply_to_user(r, TR_DATA_CLOSED, clean, NULL, -1);
}

/*
 * Push pending control output (for instance the 150 reply queued just
 * before the user process sent a data socket) to the client before a
 * blocking handshake, so a client that waits for it is not deadlocked.
 */
static int
flush_control(struct relay *r, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	int i;

	for (i = 0; i < 10000; i++) {
		if (!r->user.eof && side_fill(&r->user, &r->u2c) == -1)
			return -1;
		if (side_drain(&r->client, &r->u2c) == -1)
			return -1;
		if (rb_len(&r->u2c) == 0)
			return 0;
		if (deadline - clock_ms() <= 0 ||
		    net_wait(r->client.fd, r->client.wr_wants_in ? POLLIN :
		    POLLOUT, (int)(deadline - clock_ms())) != 1)
			return -1;
	}
	return -1;
}

/* Bigger socketpair buffers mean bigger reads and writes on each side;
 * failure only costs speed. */
static void
pair_bufsize(int sv[2])
{
	int sz = TR_PAIR_BUF, i;

	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
}

/* Handshake a data socket from the user process; reply with the
 * plaintext end, or an error. */
static void
data_begin(struct relay *r, int fd, uint32_t mode)
{
	struct data_relay *d = &r->d;
	struct tls_conn *t;
	char err[TR_ERR_MAX];
	int sv[2];

	if (flush_control(r, TR_FLUSH_MS) == -1)
		log_msg(LOG_INFO, "tlsrelay: control output not flushed");
	err[0] = '\0';
	t = tls_accept(fd, r->ctl_tls, -1, (int)cfg->data_timeout * 1000,
	    err, sizeof(err));
	/* A fresh ticket for the next one, whatever became of this one:
	 * a client may offer each ticket only once (curl). */
	if (r->client.tls != NULL && tls_issue_ticket(r->client.tls) == -1)
		log_msg(LOG_DEBUG, "tlsrelay: no session ticket issued");
	if (t == NULL) {
		log_msg(LOG_NOTICE, "data connection failed: %s", err);
		(void)close(fd);
		reply_to_user(r, TR_DATA_REPLY, TR_OPEN_FAILED, err, -1);
		return;
	}
	if (cfg->tls_reuse_required &&
	    tls_check_reuse(t, r->ctl_tls, err, sizeof(err)) == -1) {
		log_msg(LOG_NOTICE, "data connection refused: %s", err);
		/* The handshake is done: close cleanly, so the client's
		 * read ends and it turns to the 522 on the control
		 * connection rather than reporting a reset. */
		(void)net_set_nonblock(fd, 1);
		tls_close(t, TR_CLOSE_MS);
		(void)close(fd);
		reply_to_user(r, TR_DATA_REPLY, TR_OPEN_REFUSED, err, -1);
		return;
	}
	if (!(mode & TR_MODE_UPLOAD))
		tls_allow_unclean_eof(t);
	mode &= ~(uint32_t)TR_MODE_UPLOAD;
	sv[0] = sv[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    net_set_nonblock(sv[0], 1) == -1 || net_set_nonblock(fd, 1) == -1) {
		snprintf(err, sizeof(err), "socketpair: %s", strerror(errno));
		if (sv[0] != -1) {
			(void)close(sv[0]);
			(void)close(sv[1]);
		}
		tls_free(t);
		(void)close(fd);
		reply_to_user(r, TR_DATA_REPLY, TR_OPEN_FAILED, err, -1);
		return;
	}
	pair_bufsize(sv);
	log_msg(LOG_DEBUG, "data connection: %s", tls_describe(t));
	memset(d, 0, sizeof(*d));
	d->file.fd = -1;
	d->file.is_file = 1;
	d->hold = mode == TR_MODE_FILE;
	r->scan.bol = 1;
	r->scan.iac = 0;
	r->scan.matched = 0;
	d->active = 1;
	d->net.fd = fd;
	d->net.tls = t;
	d->net.more = 1;	/* records may have come with the handshake */
	if (tls_bulk(t) == -1)
		log_msg(LOG_DEBUG, "data connection: unbuffered writes");
	/* Full segments only while the transfer runs (see xfer.c). */
	(void)net_set_cork(fd, 1);
	d->plain.fd = sv[0];
	rb_init(&d->up, TR_DATA_BUF);
	rb_init(&d->down, TR_DATA_BUF);
	d->last_progress = clock_ms();
	reply_to_user(r, TR_DATA_REPLY, TR_OPEN_OK, "", sv[1]);
	(void)close(sv[1]);
}

/*
 * CCC: the reply goes out in TLS after everything the user process wrote
 * before it, then TLS ends both ways (tls_unwrap) and the control
 * connection is relayed in clear text.  Protected bytes the client sent
 * before its close_notify are commands too: they go to the user process
 * first.  On failure the stream is in no known state: the session ends.
 */
static void
relay_ccc(struct relay *r, const struct buf *reply)
{
	char err[TR_ERR_MAX];
	size_t room, got = 0;
	int rc = -1;

	snprintf(err, sizeof(err), "control output not flushed");
	/* The user process waits for our answer: it writes nothing now. */
	if (flush_control(r, TR_FLUSH_MS) == 0 &&
	    rb_room(&r->u2c) >= reply->len) {
		memcpy(r->u2c.p + r->u2c.end, reply->data, reply->len);
		r->u2c.end += reply->len;
		if (flush_control(r, TR_FLUSH_MS) == 0 &&
		    (room = rb_room(&r->c2u)) > 0)
			rc = tls_unwrap(r->client.tls,
			    (int)cfg->idle_timeout * 1000,
			    r->c2u.p + r->c2u.end, room, &got, err,
			    sizeof(err));
	}
	if (rc == -1) {
		log_msg(LOG_NOTICE, "CCC failed: %s", err);
		reply_to_user(r, TR_CCC_DONE, 0, err, -1);
		r->client.eof = 1;	/* no more TLS to or from it */
		relay_exit(r, 0);
	}
	r->c2u.end += got;
	r->client.tls = NULL;
	r->client.more = r->client.rd_wants_out = 0;
	r->client.wr_wants_in = r->client.unflushed = 0;
	log_msg(LOG_INFO, "CCC: control connection in clear text from now "
	    "on%s", rc == 1 ? " (the client sent no close_notify)" : "");
	reply_to_user(r, TR_CCC_DONE, 1, "", -1);
}

/*
 * TR_DATA_FILE for the held data connection: the file to move from or
 * to.  0, or -1 when the message is malformed (fd left to the caller).
 */
static int
file_begin(struct relay *r, const struct buf *msg, int fd)
{
	struct data_relay *d = &r->d;
	uint32_t dir;
	uint64_t limit;
	size_t off = 0;

	if (ipc_get_u32(msg, &off, &dir) == -1 ||
	    ipc_get_u64(msg, &off, &limit) == -1 ||
	    (dir != 'o' && dir != 'i'))
		return -1;
	d->hold = 0;
	d->file.fd = fd;
	d->file.eof = 0;
	d->file_dir = (int)dir;
	d->file_left = limit;
	d->file_bytes = 0;
	d->last_progress = clock_ms();
	return 0;
}

/* A message from the user process: TR_DATA_OPEN with an fd when no data
 * connection is relayed, TR_DATA_FILE for one held for it, or TR_CCC
 * while TLS is on. */
static int
serve_ipc(struct relay *r)
{
	struct buf msg;
	uint32_t type, mode;
	size_t off = 0;
	int fd = -1;

	buf_init(&msg, TR_MSG_MAX);
	if (ipc_recv(r->ipc_fd, &type, &msg, &fd) == -1) {
		buf_free(&msg);
		return -1;	/* EOF: the user process is gone */
	}
	if (type == TR_CCC && fd == -1 && !r->d.active &&
	    r->client.tls != NULL) {
		relay_ccc(r, &msg);
		buf_free(&msg);
		return 0;
	}
	if (type == TR_DATA_FILE && fd != -1 && r->d.active && r->d.hold &&
	    file_begin(r, &msg, fd) == 0) {
		buf_free(&msg);
		return 0;
	}
	if (type != TR_DATA_OPEN || fd == -1 || r->d.active ||
	    ipc_get_u32(&msg, &off, &mode) == -1 ||
	    ((mode & ~(uint32_t)TR_MODE_UPLOAD) != TR_MODE_RELAY &&
	    (mode & ~(uint32_t)TR_MODE_UPLOAD) != TR_MODE_FILE)) {
		if (fd != -1)
			(void)close(fd);
		fatal("tlsrelay: unexpected message %u from user process",
		    type);
	}
	buf_free(&msg);
	cpupin_leave();
	data_begin(r, fd, mode);
	return 0;
}

/* Download through the front: file -> d->down, up to the byte limit.
 * 0, or -1 with errno when reading the file failed. */
static int
file_fill(struct data_relay *d)
{
	size_t room;
	ssize_t n;

	while (!d->file.eof && (room = rb_room(&d->down)) > 0) {
		if (d->file_left == 0) {
			d->file.eof = 1;
			break;
		}
		if (room > TR_IO_MAX)
			room = TR_IO_MAX;
		if (room > d->file_left)
			room = (size_t)d->file_left;
		n = read(d->file.fd, d->down.p + d->down.end, room);
		if (n > 0) {
			d->down.end += (size_t)n;
			d->file_left -= (unsigned long long)n;
			d->file_bytes += (unsigned long long)n;
		} else if (n == 0)
			d->file.eof = 1;
		else if (errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * A file transfer is complete once every byte is in the file ('i') or
 * handed to the kernel for the client ('o').  The data connection carried
 * only the file, so it ends at once, and both reports go out together:
 * the user process, which closes it next anyway, finds TR_DATA_CLOSED
 * waiting and answers 226 without another round trip through us (a
 * small file's transfer is mostly such round trips).  1 if it ended.
 */
static int
file_check_done(struct relay *r)
{
	struct data_relay *d = &r->d;

	if (d->file.fd == -1)
		return 0;
	if ((d->file_dir == 'i' && d->net.eof && rb_len(&d->up) == 0) ||
	    (d->file_dir == 'o' && d->file.eof && rb_len(&d->down) == 0 &&
	    !d->net.unflushed)) {
		file_done(r, TR_DONE_OK, 0);
		data_end(r, 1);
		return 1;
	}
	return 0;
}

/* Move data-connection bytes both ways; finish or abort when done. */
static void
pump_data(struct relay *r, short net_ev, short plain_ev)
{
	struct data_relay *d = &r->d;
	int up_file = d->file.fd != -1 && d->file_dir == 'i';
	int down_file = d->file.fd != -1 && d->file_dir == 'o';
	ssize_t a = 0, b = 0, c = 0, e = 0;

	/* Waiting for, or moving, a file: the user process writes nothing
	 * on plain meanwhile, so anything there (EOF) means it gave up. */
	if ((d->hold || d->file.fd != -1) &&
	    (plain_ev & (POLLIN | POLLHUP | POLLERR))) {
		data_end(r, 0);
		return;
	}
	if (!d->hold) {
		if (side_readable(&d->net, net_ev))
			a = side_fill(&d->net, &d->up);
		if (a != -1 && rb_len(&d->up) > 0 &&
		    (b = side_drain(up_file ? &d->file : &d->plain,
		    &d->up)) == -1 && up_file) {
			file_done(r, TR_DONE_FILE, errno);
			data_end(r, 0);
			return;
		}
		if (up_file && b > 0)
			d->file_bytes += (unsigned long long)b;
		if (a != -1 && b != -1 && down_file && !d->aborted &&
		    file_fill(d) == -1) {
			file_done(r, TR_DONE_FILE, errno);
			data_end(r, 0);
			return;
		}
		if (a != -1 && b != -1 && !down_file &&
		    side_readable(&d->plain, plain_ev))
			c = side_fill(&d->plain, &d->down);
	}
	if (d->aborted)
		d->down.start = d->down.end = 0;	/* unwanted now */
	else if (a != -1 && b != -1 && c != -1 &&
	    (rb_len(&d->down) > 0 || d->net.unflushed))
		e = side_drain(&d->net, &d->down);
	if (a == -1 || b == -1 || c == -1 || e == -1) {
		log_msg(LOG_INFO, "TLS data connection: %s", strerror(errno));
		data_end(r, 0);
		return;
	}
	if (a > 0 || b > 0 || c > 0 || e > 0)
		d->last_progress = clock_ms();
	if (file_check_done(r))
		return;
	if (d->net.eof && rb_len(&d->up) == 0 && !d->up_shut && !up_file) {
		/* Upload complete: the user process reads EOF. */
		if (shutdown(d->plain.fd, SHUT_WR) == -1 && errno != ENOTCONN) {
			data_end(r, 0);
			return;
		}
		d->up_shut = 1;
	}
	if (d->plain.eof && (d->aborted || (rb_len(&d->down) == 0 &&
	    !d->net.unflushed))) {
		/* After ABOR the client wants no close_notify exchange. */
		data_end(r, !d->aborted);
		return;
	}
	if (clock_ms() - d->last_progress > (long long)cfg->data_timeout *
	    1000) {
		log_msg(LOG_INFO, "TLS data connection stalled");
		data_end(r, 0);
	}
}

/* Leave: flush what the user process said last, say goodbye. */
static void __attribute__((noreturn))
relay_exit(struct relay *r, int status)
{
	if (r->d.active)
		data_end(r, 0);
	if (!r->client.eof && (rb_len(&r->u2c) > 0 || !r->user.eof))
		(void)flush_control(r, TR_FLUSH_MS);
	/* After CCC (client.tls NULL) there is no TLS left to close. */
	if (!r->client.eof && r->client.tls != NULL)
		tls_close(r->ctl_tls, TR_CLOSE_MS);
	else
		tls_free(r->ctl_tls);
	r->ctl_tls = r->client.tls = NULL;
	r->s->ctl_tls = NULL;
	_exit(status);
}

/* Fill the poll set: client, user, ipc, net, plain (fd -1 when absent). */
static void
build_poll(struct relay *r, struct pollfd *pfd, int *timeout)
{
	struct data_relay *d = &r->d;
	int i;

	for (i = 0; i < 5; i++) {
		pfd[i].fd = -1;
		pfd[i].events = pfd[i].revents = 0;
	}
	*timeout = 1000;
	pfd[0].fd = r->client.fd;
	pfd[0].events = side_events(&r->client, &r->c2u, &r->u2c);
	pfd[1].fd = r->user.fd;
	pfd[1].events = side_events(&r->user, &r->u2c, &r->c2u);
	/* One data connection at a time; a held one waits for its file. */
	if (!d->active || d->hold) {
		pfd[2].fd = r->ipc_fd;
		pfd[2].events = POLLIN;
	}
	if (side_has_pending(&r->client, &r->c2u))
		*timeout = 0;
	if (!d->active)
		return;
	pfd[4].fd = d->plain.fd;
	if (d->hold || d->file.fd != -1)
		pfd[4].events = POLLIN;		/* only to see it close */
	else
		pfd[4].events = side_events(&d->plain, &d->down, &d->up);
	if (d->hold)
		return;				/* the client waits too */
	pfd[3].fd = d->net.fd;
	pfd[3].events = side_events(&d->net, &d->up, &d->down);
	if (side_has_pending(&d->net, &d->up))
		*timeout = 0;
	/* A file is always readable: no need to poll for it. */
	if (d->file.fd != -1 && d->file_dir == 'o' && !d->file.eof &&
	    !d->aborted && rb_room(&d->down) > 0)
		*timeout = 0;
}

/*
 * Look for a line starting with ABOR (Telnet IAC sequences skipped) in
 * the client's bytes p[0..n).  The user process acts on the command; the
 * front only learns that the rest of the download may be dropped instead
 * of flushed to a client that has stopped reading.  Returns 1 if seen.
 */
static int
scan_abor(struct abor_scan *sc, const unsigned char *p, size_t n)
{
	static const char word[] = "ABOR";
	size_t i;
	int c, seen = 0;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (sc->iac || c == 0xff) {
			sc->iac = !sc->iac && c == 0xff;
			continue;
		}
		if (c == '\n' || c == '\r') {
			/* "ABOR" and nothing else on the line. */
			if (sc->bol && sc->matched == sizeof(word) - 1)
				seen = 1;
			sc->bol = c == '\n';
			sc->matched = 0;
			continue;
		}
		if (!sc->bol)
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (sc->matched < sizeof(word) - 1 && c == word[sc->matched])
			sc->matched++;
		else
			sc->bol = 0;
	}
	return seen;
}

static void
pump_control(struct relay *r, short client_ev, short user_ev)
{
	size_t before = rb_len(&r->c2u), after;

	if (side_readable(&r->client, client_ev) &&
	    side_fill(&r->client, &r->c2u) == -1) {
		log_msg(LOG_INFO, "control connection: %s", strerror(errno));
		r->client.eof = 1;
		relay_exit(r, 0);
	}
	/* side_fill only appends: the new bytes are the last ones. */
	after = rb_len(&r->c2u);
	if (r->d.active && after > before &&
	    scan_abor(&r->scan, r->c2u.p + r->c2u.end - (after - before),
	    after - before))
		r->d.aborted = 1;
	if (rb_len(&r->c2u) > 0 && side_drain(&r->user, &r->c2u) == -1)
		relay_exit(r, 0);
	if (side_readable(&r->user, user_ev) &&
	    side_fill(&r->user, &r->u2c) == -1)
		r->user.eof = 1;
	if (rb_len(&r->u2c) > 0 && side_drain(&r->client, &r->u2c) == -1) {
		r->client.eof = 1;
		relay_exit(r, 0);
	}
	if (r->client.eof && rb_len(&r->c2u) == 0)
		relay_exit(r, 0);	/* client gone: user reads EOF */
	if (r->user.eof)
		relay_exit(r, 0);
}

static void
tr_on_term(int sig)
{
	(void)sig;
	tr_terminate = 1;
}

static void
relay_setup(struct relay *r, struct session *s, int relay_fd,
    int data_ipc_fd)
{
	struct sigaction sa;

	/*
	 * Each data connection takes about 1 MiB of buffers (OpenSSL's read
	 * ahead and write gathering, the two queues) and frees it at its
	 * end.  glibc would hand that back to the kernel and fault it in
	 * again for the next one, a cost that dominates small transfers:
	 * keep it in the heap.  Only sessions that transfer over TLS hold it.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, TR_HEAP_KEEP / 2);
	(void)mallopt(M_TRIM_THRESHOLD, TR_HEAP_KEEP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tr_on_term;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		fatal("tlsrelay: sigaction: %s", strerror(errno));
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->client.fd = s->ctl_fd;
	r->client.tls = r->ctl_tls = s->ctl_tls;
	r->client.more = 1;	/* OpenSSL may hold what ctl.c left */
	r->user.fd = relay_fd;
	r->ipc_fd = data_ipc_fd;
	r->d.file.fd = -1;
	rb_init(&r->c2u, TR_CTL_BUF);
	rb_init(&r->u2c, TR_CTL_BUF);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    net_set_nonblock(r->client.fd, 1) == -1 ||
	    net_set_nonblock(r->user.fd, 1) == -1)
		fatal("tlsrelay: setup: %s", strerror(errno));
}

void
tlsrelay_run(struct session *s, int relay_fd, int data_ipc_fd)
{
	struct relay r;
	struct pollfd pfd[5];
	int timeout;

	if (s->ctl_tls == NULL)
		fatal("tlsrelay: control connection is not TLS");
	relay_setup(&r, s, relay_fd, data_ipc_fd);
	/* The control handshake issued no tickets (no account yet); this
	 * one, under the account's keys, goes out before the 230. */
	if (tls_issue_ticket(r.client.tls) == -1)
		log_msg(LOG_DEBUG, "tlsrelay: no session ticket issued");
	/* Ends when either side of the control connection closes; the user
	 * process enforces idle_timeout, the data side data_timeout. */
	for (;;) {
		if (tr_terminate)
			relay_exit(&r, 0);	/* flushes the last replies */
		build_poll(&r, pfd, &timeout);
		if (poll(pfd, 5, timeout) == -1) {
			if (errno != EINTR)
				fatal("tlsrelay: poll: %s", strerror(errno));
			continue;
		}
		pump_control(&r, pfd[0].revents, pfd[1].revents);
		if (r.d.active)
			pump_data(&r, pfd[3].revents, pfd[4].revents);
		if ((pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    serve_ipc(&r) == -1)
			relay_exit(&r, 0);
	}
}
