/*
 * mon_client.c - typed requests from the front and user processes to the
 * monitor (monproto.h lists the messages).
 *
 * Runs unprivileged.  Trusts the monitor's replies only as far as their
 * framing: lengths and codes are still checked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "common/log.h"
#include "config.h"
#include "mon_client.h"
#include "monproto.h"
#include "session.h"
#include "tls/tls.h"

#define REPLY_TIMEOUT_MS	60000

static int
recv_fd_msg(struct session *s, int *fd)
{
	struct buf p;
	uint32_t type;
	int rc;

	buf_init(&p, 64);
	rc = ipc_recv_timeout(s->mon_fd, &type, &p, fd, REPLY_TIMEOUT_MS);
	buf_free(&p);
	if (rc == -1 || type != MON_FD || *fd == -1)
		return -1;
	return 0;
}

enum mon_login_result
mon_login(struct session *s, const char *user, const char *pass,
    const struct buf *leftover, int *relay_fd, int *data_fd,
    unsigned char *tls_keys, char *msg, size_t msglen)
{
	struct buf out, keys;
	uint32_t type, res = MON_LOGIN_ERROR;
	char cert_name[MON_USER_MAX];
	size_t off = 0;
	int ok, cert_ok;

	*relay_fd = *data_fd = -1;
	snprintf(msg, msglen, "Login failed: internal error.");
	buf_init(&out, IPC_MAX);
	/* The client's certificate, as the front's OpenSSL verified it:
	 * the monitor judges what it says (priv/certlogin.c). */
	cert_ok = s->ctl_tls != NULL && tls_peer_name(s->ctl_tls, cert_name,
	    sizeof(cert_name));
	ok = ipc_put_str(&out, user) == 0 && ipc_put_str(&out, pass) == 0 &&
	    ipc_put_bytes(&out, leftover->data, leftover->len) == 0 &&
	    ipc_put_u32(&out, (uint32_t)s->tls_active) == 0 &&
	    ipc_put_u32(&out, (uint32_t)s->pbsz_done) == 0 &&
	    ipc_put_u32(&out, (uint32_t)s->prot_p) == 0 &&
	    ipc_put_u32(&out, (uint32_t)(s->vhost + 1)) == 0 &&
	    ipc_put_u32(&out, (uint32_t)cert_ok) == 0 &&
	    ipc_put_str(&out, cert_name) == 0 &&
	    ipc_send(s->mon_fd, MON_LOGIN, out.data, out.len, -1) == 0;
	buf_free(&out);	/* zeroes the password copy */
	if (!ok)
		return MON_LOGIN_ERROR;
	buf_init(&out, 4096);
	buf_init(&keys, MON_TLS_BIND_LEN);
	/* The monitor delays failures on purpose: no short timeout here. */
	if (ipc_recv(s->mon_fd, &type, &out, NULL) == -1 ||
	    type != MON_LOGIN_REPLY || ipc_get_u32(&out, &off, &res) == -1 ||
	    ipc_get_str(&out, &off, msg, msglen) == -1 ||
	    res > MON_LOGIN_FAIL_LAST || (res == MON_LOGIN_OK && s->tls_active &&
	    (ipc_get_bytes(&out, &off, &keys) == -1 ||
	    keys.len != MON_TLS_BIND_LEN))) {
		buf_free(&keys);
		buf_free(&out);
		return MON_LOGIN_ERROR;
	}
	if (keys.len == MON_TLS_BIND_LEN)
		memcpy(tls_keys, keys.data, MON_TLS_BIND_LEN);
	buf_free(&keys);
	buf_free(&out);
	if (res == MON_LOGIN_OK && s->tls_active &&
	    (recv_fd_msg(s, relay_fd) == -1 || recv_fd_msg(s, data_fd) == -1))
		return MON_LOGIN_ERROR;
	return (enum mon_login_result)res;
}

int
mon_proxy(struct session *s, int local, const struct sockaddr_storage *client,
    char *msg, size_t msglen)
{
	struct buf out;
	uint32_t type, admitted = 0;
	size_t off = 0;
	int ok;

	buf_init(&out, 512);
	ok = ipc_put_u32(&out, (uint32_t)(local != 0)) == 0 &&
	    ipc_put_bytes(&out, client, sizeof(*client)) == 0 &&
	    ipc_send(s->mon_fd, MON_PROXY, out.data, out.len, -1) == 0;
	buf_reset(&out);
	ok = ok && ipc_recv_timeout(s->mon_fd, &type, &out, NULL,
	    REPLY_TIMEOUT_MS) == 0 && type == MON_PROXY_REPLY &&
	    ipc_get_u32(&out, &off, &admitted) == 0 &&
	    ipc_get_str(&out, &off, msg, msglen) == 0;
	buf_free(&out);
	if (!ok)
		snprintf(msg, msglen, "Service not available.");
	return ok && admitted == 1 ? 0 : -1;
}

int
mon_connect_port20(struct session *s, const struct sockaddr_storage *dst,
    int *stage)
{
	static uint32_t next_id;
	struct buf p;
	uint32_t type, err = EIO, st = MON_PORT20_BIND, id = ++next_id, got;
	size_t off;
	int fd = -1, i;

	*stage = MON_PORT20_BIND;
	buf_init(&p, 2 * sizeof(*dst));
	if (ipc_put_u32(&p, id) == -1 ||
	    ipc_put_bytes(&p, dst, sizeof(*dst)) == -1 ||
	    ipc_send(s->mon_fd, MON_PORT20, p.data, p.len, -1) == -1) {
		buf_free(&p);
		return -1;
	}
	/* A late answer to an earlier request we gave up on is skipped. */
	for (i = 0; i < 4; i++) {
		buf_reset(&p);
		off = 0;
		fd = -1;
		if (ipc_recv_timeout(s->mon_fd, &type, &p, &fd,
		    MON_PORT20_CONNECT_MS + 5000) == -1 ||
		    type != MON_PORT20 || ipc_get_u32(&p, &off, &got) == -1 ||
		    ipc_get_u32(&p, &off, &err) == -1 ||
		    ipc_get_u32(&p, &off, &st) == -1) {
			buf_free(&p);
			if (fd != -1)
				(void)close(fd);
			errno = EIO;
			return -1;
		}
		if (got == id)
			break;
		if (fd != -1)
			(void)close(fd);
		fd = -1;
	}
	buf_free(&p);
	if (i == 4) {
		errno = EIO;
		return -1;
	}
	*stage = st == MON_PORT20_CONNECT ? MON_PORT20_CONNECT :
	    MON_PORT20_BIND;
	if (fd == -1)
		errno = err != 0 ? (int)err : EIO;
	return fd;
}

/*
 * Without an xferlog, the monitor only adds the bytes to the scoreboard
 * that ftpwho reads, so transfers are reported at most once a second
 * (the rest ride along with the next report): a mirror client fetching
 * thousands of small files does not wake the monitor for each one.
 */
#define MON_XFER_INTERVAL	1.0	/* seconds */
#define XFER_EVENTS	(EV_BIT(EV_UPLOAD) | EV_BIT(EV_UPLOAD_ABORTED) | \
			 EV_BIT(EV_DOWNLOAD) | EV_BIT(EV_LOGOUT))

void
mon_xferlog(struct session *s, const char *vpath, off_t bytes,
    double seconds, char direction, char complete)
{
	static uint64_t pending;
	static double last;
	struct timespec ts;
	struct buf out;
	double now;

	pending += (uint64_t)(bytes < 0 ? 0 : bytes);
	/* Events report each transfer with its own bytes: not coalesced. */
	if (cfg->xferlog[0] == '\0' && (cfg->ev_send_mask & XFER_EVENTS) == 0) {
		if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == -1)
			now = last + MON_XFER_INTERVAL;
		else
			now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if (now - last < MON_XFER_INTERVAL)
			return;
		last = now;
	}
	bytes = (off_t)pending;
	pending = 0;
	buf_init(&out, 8192);
	if (ipc_put_str(&out, vpath) == 0 &&
	    ipc_put_u64(&out, (uint64_t)(bytes < 0 ? 0 : bytes)) == 0 &&
	    ipc_put_u64(&out, (uint64_t)(seconds * 1000.0)) == 0 &&
	    ipc_put_u32(&out, (uint32_t)(unsigned char)direction) == 0 &&
	    ipc_put_u32(&out, (uint32_t)(unsigned char)complete) == 0 &&
	    ipc_put_u32(&out, (uint32_t)(unsigned char)s->type) == 0)
		(void)ipc_send(s->mon_fd, MON_XFER, out.data, out.len, -1);
	buf_free(&out);
}

void
mon_event(struct session *s, enum ev_type op, const char *vpath,
    const char *vpath2)
{
	struct buf out;

	if ((cfg->ev_send_mask & EV_BIT(op)) == 0)
		return;
	buf_init(&out, 2 * EV_PATH_MAX + 64);
	if (ipc_put_u32(&out, (uint32_t)op) == 0 &&
	    ipc_put_str(&out, vpath) == 0 &&
	    ipc_put_str(&out, vpath2 != NULL ? vpath2 : "") == 0)
		(void)ipc_send(s->mon_fd, MON_EVENT, out.data, out.len, -1);
	buf_free(&out);
}

void
mon_metric_send(int mon_fd, unsigned ev, unsigned a, unsigned b,
    unsigned long long n)
{
	struct buf out;

	buf_init(&out, 32);
	if (ipc_put_u32(&out, ev) == 0 && ipc_put_u32(&out, a) == 0 &&
	    ipc_put_u32(&out, b) == 0 && ipc_put_u64(&out, n) == 0)
		(void)ipc_send(mon_fd, MON_METRIC, out.data, out.len, -1);
	buf_free(&out);
}

void
mon_busy(struct session *s, const char *what)
{
	struct buf out;

	buf_init(&out, 512);
	if (ipc_put_str(&out, what != NULL ? what : "") == 0)
		(void)ipc_send(s->mon_fd, MON_BUSY, out.data, out.len, -1);
	buf_free(&out);
}

void
mon_progress(struct session *s, off_t bytes, off_t size)
{
	struct buf out;

	buf_init(&out, 16);
	if (ipc_put_u64(&out, (uint64_t)(bytes < 0 ? 0 : bytes)) == 0 &&
	    ipc_put_u64(&out, size < 0 ? MON_PROGRESS_UNKNOWN :
	    (uint64_t)size) == 0)
		(void)ipc_send(s->mon_fd, MON_PROGRESS, out.data, out.len, -1);
	buf_free(&out);
}

int
mon_rein(struct session *s)
{
	struct buf out;
	int rc;

	buf_init(&out, s->ctl_in.len + 64);
	rc = ipc_put_bytes(&out, s->ctl_in.data, s->ctl_in.len);
	if (rc == 0)
		rc = ipc_send(s->mon_fd, MON_REIN, out.data, out.len,
		    s->ctl_fd);
	buf_free(&out);
	return rc;
}

/* A signed count as MON_QUOTA carries it: a sign bit and a magnitude. */
static uint64_t
quota_magnitude(long long v)
{
	return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

int
mon_quota(struct session *s, unsigned op, long long bytes, long long files,
    unsigned long long frees, struct mon_quota_answer *a)
{
	uint32_t type = 0, status, signs;
	struct buf p;
	size_t off = 0;
	int ok, fd, i;

	memset(a, 0, sizeof(*a));
	signs = (bytes < 0 ? MON_QUOTA_NEG_BYTES : 0) |
	    (files < 0 ? MON_QUOTA_NEG_FILES : 0);
	buf_init(&p, 128);
	ok = ipc_put_u32(&p, op) == 0 && ipc_put_u32(&p, signs) == 0 &&
	    ipc_put_u64(&p, quota_magnitude(bytes)) == 0 &&
	    ipc_put_u64(&p, quota_magnitude(files)) == 0 &&
	    ipc_put_u64(&p, frees) == 0 &&
	    ipc_send(s->mon_fd, MON_QUOTA, p.data, p.len, -1) == 0;
	buf_reset(&p);
	/* No deadline of our own: the monitor answers within the account
	 * service's (accounts_timeout), and a late answer must never be
	 * taken for the reply to a later request. */
	/* A late MON_PORT20 answer that mon_connect_port20 gave up on
	 * may come first: skipped, its socket closed. */
	for (i = 0; ok && i < 4; i++) {
		fd = -1;
		ok = ipc_recv(s->mon_fd, &type, &p, &fd) == 0;
		if (fd != -1)
			(void)close(fd);
		if (!ok || type != MON_PORT20)
			break;
	}
	ok = ok && type == MON_QUOTA && ipc_get_u32(&p, &off, &status) == 0 &&
	    ipc_get_u64(&p, &off, &a->got_bytes) == 0 &&
	    ipc_get_u64(&p, &off, &a->got_files) == 0 &&
	    ipc_get_u64(&p, &off, &a->used_bytes) == 0 &&
	    ipc_get_u64(&p, &off, &a->used_files) == 0 &&
	    ipc_get_u64(&p, &off, &a->max_bytes) == 0 &&
	    ipc_get_u64(&p, &off, &a->max_files) == 0 && off == p.len;
	buf_free(&p);
	if (!ok) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	a->ok = status == MON_QUOTA_OK;
	return 0;
}
