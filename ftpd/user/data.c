/*
 * data.c - data connections: passive listeners and active connects.
 *
 * Runs in the user process, as the account.  The addresses it uses come
 * from PORT/EPRT (already parsed and checked against the control peer by
 * cmd_data.c) and from the kernel.  Whoever connects to a passive listener
 * is untrusted until proven to be the control peer: anyone else is closed
 * and logged, and the real client may still connect before the deadline.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "config.h"
#include "cpupin.h"
#include "cmd/ctl.h"
#include "user/data.h"
#include "mon_client.h"
#include "monproto.h"
#include "front/proxy_peek.h"
#include "session.h"
#include "front/tlsrelay.h"
#include "user/route.h"

#define DATA_RANDOM_TRIES	32	/* random ports before a scan */
#define DATA_BACKLOG		4	/* a thief and the client */
#define DATA_HEADER_MS		3000	/* proxy_protocol_data: header wait */

/* Set once the monitor has refused port 20, so the log says it once. */
static volatile sig_atomic_t data_port20_warned;

static int
data_timeout_ms(void)
{
	unsigned long long t = cfg->data_timeout;

	return t > 86400 ? 86400 * 1000 : (int)t * 1000;
}

static int
data_try_port(const struct sockaddr_storage *local, unsigned port)
{
	struct sockaddr_storage ss = *local;

	net_set_port((struct sockaddr *)&ss, (uint16_t)port);
	return net_listen((struct sockaddr *)&ss,
	    net_sa_len((struct sockaddr *)&ss), DATA_BACKLOG);
}

/* One random number from the session's pool, refilled from the kernel
 * when empty: one getrandom(2) per 64 ports, not one per PASV. */
static int
data_random(struct session *s, uint32_t *out)
{
	if (s->port_rand_left == 0) {
		if (getrandom(s->port_rand, sizeof(s->port_rand), 0) !=
		    (ssize_t)sizeof(s->port_rand))
			return -1;
		s->port_rand_left = sizeof(s->port_rand) /
		    sizeof(s->port_rand[0]);
	}
	*out = s->port_rand[--s->port_rand_left];
	return 0;
}

/*
 * Bind inside [lo, hi]: random ports first, so the next port is not
 * guessable, then one scan of the whole range from a random start so a
 * nearly full range is still found.  fd (its port in *port) or -1.
 */
static int
data_bind_range(struct session *s, const struct sockaddr_storage *local,
    unsigned lo, unsigned hi, unsigned *port)
{
	unsigned span = hi - lo + 1, i;
	uint32_t r;
	int fd;

	for (i = 0; i < DATA_RANDOM_TRIES && i < span; i++) {
		if (data_random(s, &r) == -1)
			return -1;
		*port = lo + r % span;
		if ((fd = data_try_port(local, *port)) != -1)
			return fd;
	}
	if (data_random(s, &r) == -1)
		return -1;
	for (i = 0; i < span; i++) {
		*port = lo + (r + i) % span;
		if ((fd = data_try_port(local, *port)) != -1)
			return fd;
	}
	return -1;
}

int
data_listen(struct session *s)
{
	struct sockaddr_storage local = s->local, bound;
	socklen_t blen = sizeof(bound);
	unsigned port = 0;
	int fd, saved;

	data_reset(s);
	/* Our v6 listeners are V6ONLY: a mapped address binds as plain v4. */
	net_unmap_v4(&local);
	if (cfg->pasv_lo == 0)
		fd = data_try_port(&local, 0);
	else
		fd = data_bind_range(s, &local, cfg->pasv_lo, cfg->pasv_hi,
		    &port);
	/* Only a kernel-chosen port has to be asked for. */
	if (fd != -1 && port == 0) {
		if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
			port = net_get_port((struct sockaddr *)&bound);
		else {
			saved = errno;
			(void)close(fd);
			fd = -1;
			errno = saved;
		}
	}
	if (fd == -1) {
		log_msg(LOG_WARNING, "passive listener: %s", strerror(errno));
		reply(s, 425, "Cannot open passive connection.");
		return -1;
	}
	s->pasv_fd = fd;
	return (int)port;
}

/*
 * proxy_protocol_data: the proxy forwards the passive ports and puts a
 * PROXY header on each data connection as well.  The header is taken
 * off (it belongs neither in an upload nor, left unread, before a
 * close that would then reset a download) and must name this session's
 * client: other clients of the same proxy come from the same address.
 */
static int
data_proxy_header(struct session *s, int fd, long long deadline)
{
	long long soon = clock_ms() + DATA_HEADER_MS;
	struct proxyhdr h;

	/* A proxy sends it at once; a connection that stays silent must
	 * not hold the listener until the transfer's own deadline. */
	if (proxy_peek_take(fd, soon < deadline ? soon : deadline, &h) != 1)
		return -1;
	if (h.local)
		return -1;
	net_unmap_v4(&h.src);
	return net_same_host((struct sockaddr *)&h.src,
	    (struct sockaddr *)&s->peer) ? 0 : -1;
}

/* Accept on the passive listener until the control peer connects.  Behind
 * a PROXY-protocol proxy that forwards the passive ports, the proxy
 * speaks for the client on the data connection too. */
static int
data_accept(struct session *s)
{
	long long deadline = clock_ms() + data_timeout_ms();
	struct sockaddr_storage peer;
	char ip[NET_ADDRSTRLEN];
	long long left;
	int fd;

	for (;;) {
		left = deadline - clock_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		fd = net_accept(s->pasv_fd, (int)left, &peer, NULL,
		    SOCK_NONBLOCK);
		if (fd == -1)
			return -1;
		net_format_ip((struct sockaddr *)&peer, ip, sizeof(ip));
		if (net_same_host((struct sockaddr *)&peer,
		    (struct sockaddr *)&s->peer) ||
		    (s->via.ss_family != 0 && net_same_host((struct sockaddr *)
		    &peer, (struct sockaddr *)&s->via))) {
			if (!cfg->proxy_protocol_data ||
			    data_proxy_header(s, fd, deadline) == 0)
				return fd;
			log_msg(LOG_WARNING, "refused passive connection from "
			    "%s: no PROXY header naming this client", ip);
			(void)close(fd);
			continue;
		}
		log_msg(LOG_WARNING, "refused passive connection from %s", ip);
		(void)close(fd);
	}
}

/* An active data connection: from port L-1 if configured (the monitor
 * connects it), else from any port. */
static int
data_connect(struct session *s)
{
	struct sockaddr_storage dst = s->port_addr;
	int fd, saved, stage;

	net_unmap_v4(&dst);
	if (cfg->active_from_port_20) {
		if ((fd = mon_connect_port20(s, &dst, &stage)) != -1 ||
		    stage == MON_PORT20_CONNECT)
			return fd;
		if (!data_port20_warned) {
			data_port20_warned = 1;
			log_msg(LOG_NOTICE, "no socket from port L-1 (%s); "
			    "active connections use any port",
			    strerror(errno));
		}
	}
	if ((fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (net_connect(fd, (struct sockaddr *)&dst,
	    net_sa_len((struct sockaddr *)&dst), data_timeout_ms()) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
data_open(struct session *s, const char *what, const struct xfer_route *r)
{
	char err[256];
	int fd, plain, hold, passive;

	if (s->pasv_fd == -1 && !s->port_set) {
		reply(s, 425, "Use PORT or PASV first.");
		return -1;
	}
	/* tls = required: an account's files never cross in clear text. */
	if (config_tls_mode(s->vhost) == TLS_REQUIRED && !s->anonymous &&
	    !r->tls) {
		data_reset(s);
		reply(s, 521, "Data connections must be protected: use PBSZ 0 "
		    "and PROT P.");
		return -1;
	}
	cpupin_leave();
	passive = s->pasv_fd != -1;
	fd = passive ? data_accept(s) : data_connect(s);
	data_reset(s);
	if (fd == -1) {
		mon_metric(s->mon_fd, MON_MET_DATA_FAIL, passive ?
		    MET_DATA_PASSIVE : MET_DATA_ACTIVE, 0, 0);
		log_msg(LOG_INFO, "data connection: %s", strerror(errno));
		reply(s, 425, "Can't open data connection.");
		return -1;
	}
	/*
	 * A small download's 150 goes out with its 226: one write, and a
	 * mirror fetching small files wakes once per file instead of twice.
	 * Only a file of known, small size: the wait is one read of it.
	 * xfer_wait sends it first if the data connection would block, so a
	 * client that reads the data only after the 150 cannot deadlock.
	 * Not under PROT P: there the client starts TLS after the 150.
	 */
	hold = !r->tls && r->op == XFER_OP_RETR && s->xfer_total >= 0 &&
	    s->xfer_total <= DATA_HOLD_MAX;
	ctl_hold(s, hold);
	reply(s, 150, "%s", what);
	ctl_hold(s, 0);
	if (!r->tls)
		return fd;
	err[0] = '\0';
	if ((plain = tlsrelay_wrap_data(s, fd, r->path == XFER_PATH_FRONT ?
	    TR_MODE_FILE : TR_MODE_RELAY, r->op == XFER_OP_STOR, err,
	    sizeof(err))) < 0) {
		mon_metric(s->mon_fd, MON_MET_TLS, MET_TLS_DATA, plain == -2 ?
		    MET_TLS_REUSE_REFUSED : MET_TLS_FAILED, 0);
		/* 522 only for the reuse policy (RFC 4217 leaves the code
		 * to the server); a failed handshake is 425 (RFC 959). */
		if (plain == -2)
			reply(s, 522, "Data connection must reuse the "
			    "control connection's TLS session "
			    "(tls_reuse_required): %s; use a client that "
			    "resumes it, or tls_reuse_required = no.", err);
		else
			reply(s, 425, "Can't open data connection: %s.",
			    err[0] != '\0' ? err : "TLS handshake failed");
		return -1;
	}
	mon_metric(s->mon_fd, MON_MET_TLS, MET_TLS_DATA, MET_TLS_OK, 0);
	return plain;
}

void
data_reset(struct session *s)
{
	if (s->pasv_fd != -1) {
		(void)close(s->pasv_fd);
		s->pasv_fd = -1;
	}
	s->port_set = 0;
}
