/*
 * worker.c - one worker of the account service's pool.
 *
 * Each worker holds at most one connection per source (SQL, LDAP) and
 * serves one question at a time: accept, one ACCT_LOOKUP from an
 * authentication child (or one ACCT_TALLY from a monitor, on the SQL
 * connection: tally.c), one answer, close.  The pool size bounds the connections the
 * database sees however many logins arrive at once; the rest wait in
 * the listen queue, within the child's deadline.
 *
 * A backend that fails is disconnected; the next lookup reconnects, and
 * while reconnecting keeps failing the attempts are spaced out (backoff
 * up to BACKOFF_MAX_MS), answering ACCT_UNAVAILABLE at once in between,
 * so that a dead database costs a login one quick 421, not a timeout.
 */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ipc.h"
#include "common/log.h"
#include "config.h"
#include "accounts/service.h"
#include "accounts/banstore.h"
#include "accounts/tally.h"

#define BACKOFF_FIRST_MS	500
#define BACKOFF_MAX_MS		8000
#define REQ_HOST_MAX		256
#define REQ_CLIENT_MAX		64
#define REQ_USER_MAX		256

struct conn {
	const struct acct_backend *be;
	void		*h;
	int		 up;
	long long	 next_try;	/* clock_ms() of the next connect */
	int		 delay_ms;
	const char	*secret;
};

struct request {
	uint32_t	source;
	char		user[REQ_USER_MAX];
	char		host[REQ_HOST_MAX];
	char		client[REQ_CLIENT_MAX];
	char		password[ACCT_PASS_MAX];
};

static struct conn conns[ACCT_SOURCES_MAX];

static void
conn_fail(struct conn *c)
{
	if (c->up)
		c->be->disconnect(c->h);
	c->up = 0;
	c->h = NULL;
}

/* 0 when c is connected, -1 (why set) when not, now or not yet. */
static int
conn_ready(struct conn *c, char *why, size_t whylen)
{
	char err[ACCT_WHY_MAX];
	long long now = clock_ms();

	if (c->up)
		return 0;
	if (now < c->next_try) {
		snprintf(why, whylen, "%s: down, next connection attempt in "
		    "%lld ms", c->be->name, c->next_try - now);
		return -1;
	}
	err[0] = '\0';
	if (c->be->connect(&c->h, c->secret, err, sizeof(err)) == 0) {
		if (c->delay_ms > 0)
			log_msg(LOG_NOTICE, "accounts: %s: connected again",
			    c->be->name);
		c->up = 1;
		c->delay_ms = 0;
		return 0;
	}
	c->delay_ms = c->delay_ms == 0 ? BACKOFF_FIRST_MS :
	    c->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->delay_ms * 2;
	c->next_try = now + c->delay_ms;
	snprintf(why, whylen, "%.32s: %.440s", c->be->name, err);
	log_msg(LOG_ERR, "accounts: %s (retrying in %d ms)", why, c->delay_ms);
	return -1;
}

static enum acct_status
serve(const struct request *rq, long long started, struct acct_record *r,
    char *why, size_t whylen)
{
	struct acct_query q;
	struct conn *c;
	char err[ACCT_WHY_MAX];
	int st;

	if (rq->source >= ACCT_SOURCES_MAX || conns[rq->source].be == NULL) {
		snprintf(why, whylen, "source %u is not served here",
		    rq->source);
		return ACCT_UNAVAILABLE;
	}
	c = &conns[rq->source];
	if (conn_ready(c, why, whylen) == -1)
		return ACCT_UNAVAILABLE;
	q.user = rq->user;
	q.host = rq->host;
	q.client = rq->client;
	q.password = rq->password;
	q.deadline_ms = (int)(cfg->accounts_timeout * 1000 -
	    (unsigned long long)(clock_ms() - started));
	if (q.deadline_ms < 100)
		q.deadline_ms = 100;
	err[0] = '\0';
	st = c->be->lookup(c->h, &q, r, err, sizeof(err));
	if (st < ACCT_FOUND || st > ACCT_UNAVAILABLE)
		st = ACCT_UNAVAILABLE;
	snprintf(why, whylen, "%.32s: %.440s", c->be->name, err);
	if (st == ACCT_UNAVAILABLE) {
		log_msg(LOG_ERR, "accounts: %s (user %s)", why, rq->user);
		conn_fail(c);
	}
	return (enum acct_status)st;
}

static int
read_request(const struct buf *p, struct request *rq)
{
	size_t off = 0;

	return ipc_get_u32(p, &off, &rq->source) == -1 ||
	    ipc_get_str(p, &off, rq->user, sizeof(rq->user)) == -1 ||
	    ipc_get_str(p, &off, rq->host, sizeof(rq->host)) == -1 ||
	    ipc_get_str(p, &off, rq->client, sizeof(rq->client)) == -1 ||
	    ipc_get_str(p, &off, rq->password, sizeof(rq->password)) == -1 ||
	    off != p->len ? -1 : 0;
}

/* The deadline left of what started at started, at least 100 ms. */
static int
deadline_left(long long started)
{
	long long ms = (long long)cfg->accounts_timeout * 1000 -
	    (clock_ms() - started);

	return ms < 100 ? 100 : (int)ms;
}

/* ACCT_TALLY: a monitor changes an SQL account's quota tally. */
static void
answer_tally(int fd, const struct buf *p, long long started)
{
	const struct acct_tally_ops *ops = tally_ops_for(SRC_SQL);
	struct conn *c = &conns[SRC_SQL];
	struct acct_tally_req rq;
	struct acct_tally_ans a;
	struct buf out;

	memset(&a, 0, sizeof(a));
	if (acct_get_tally(p, &rq) == -1) {
		log_msg(LOG_WARNING, "accounts: a malformed tally request");
		return;
	}
	if (ops == NULL || c->be == NULL) {
		a.status = ACCT_UNAVAILABLE;
		snprintf(a.why, sizeof(a.why), "this sql_driver keeps no quota "
		    "tally");
	} else if (conn_ready(c, a.why, sizeof(a.why)) == -1)
		a.status = ACCT_UNAVAILABLE;
	else {
		tally_serve(ops, c->h, &rq, deadline_left(started), &a);
		if (a.status == ACCT_UNAVAILABLE) {
			log_msg(LOG_ERR, "accounts: %s: quota tally of %s: %s",
			    c->be->name, rq.name, a.why);
			conn_fail(c);
		}
	}
	buf_init(&out, 1024);
	if (acct_put_tally_answer(&out, &a) == -1 ||
	    ipc_send(fd, ACCT_TALLY_ANSWER, out.data, out.len, -1) == -1)
		log_msg(LOG_WARNING, "accounts: cannot answer a tally request "
		    "for %s: %s", rq.name, strerror(errno));
	buf_free(&out);
}

/*
 * ACCT_BAN_ADD or ACCT_BAN_LIST (bans_shared): the master records a ban
 * or asks for the bans in force; either way the answer is the list.
 */
static void
answer_bans(int fd, uint32_t type, const struct buf *p, long long started)
{
	static struct acct_ban_list l;
	const struct acct_ban_ops *ops = ban_ops_for(SRC_SQL);
	struct conn *c = &conns[SRC_SQL];
	struct acct_ban ban;
	struct buf out;
	uint64_t now = 0;
	size_t off = 0;

	memset(&l, 0, sizeof(l));
	if ((type == ACCT_BAN_ADD && acct_get_ban(p, &ban) == -1) ||
	    (type == ACCT_BAN_LIST && (ipc_get_u64(p, &off, &now) == -1 ||
	    off != p->len))) {
		log_msg(LOG_WARNING, "accounts: a malformed ban request");
		return;
	}
	/* The master's clock says what is in force; an add asks at its
	 * own time. */
	if (type == ACCT_BAN_ADD)
		now = (uint64_t)time(NULL);
	if (ops == NULL || c->be == NULL) {
		l.status = ACCT_UNAVAILABLE;
		snprintf(l.why, sizeof(l.why), "this sql_driver keeps no "
		    "shared bans");
	} else if (conn_ready(c, l.why, sizeof(l.why)) == -1)
		l.status = ACCT_UNAVAILABLE;
	else {
		ban_serve(ops, c->h, type == ACCT_BAN_ADD ? &ban : NULL,
		    (unsigned long long)now, deadline_left(started), &l);
		if (l.status == ACCT_UNAVAILABLE) {
			log_msg(LOG_ERR, "accounts: %s: shared bans: %s",
			    c->be->name, l.why);
			conn_fail(c);
		}
	}
	buf_init(&out, IPC_MAX);
	if (acct_put_ban_list(&out, &l) == -1 ||
	    ipc_send(fd, ACCT_BAN_LIST_ANSWER, out.data, out.len, -1) == -1)
		log_msg(LOG_WARNING, "accounts: cannot answer a ban request: "
		    "%s", strerror(errno));
	buf_free(&out);
}

/* Only ftpd's own uid (root) may ask: the authentication child, the
 * monitors. */
static int
peer_allowed(int fd, unsigned peer_uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return 0;
	if (cr.uid == peer_uid)
		return 1;
	log_msg(LOG_WARNING, "accounts: refused a connection from uid %u "
	    "(pid %ld)", (unsigned)cr.uid, (long)cr.pid);
	return 0;
}

static void
answer_one(int fd, struct buf *p, struct request *rq)
{
	struct acct_record r;
	struct buf out;
	char why[ACCT_WHY_MAX];
	enum acct_status st;
	uint32_t type;
	long long started = clock_ms();
	int rc;

	rc = ipc_recv_timeout(fd, &type, p, NULL,
	    (int)cfg->accounts_timeout * 1000);
	if (rc == 0 && type == ACCT_TALLY) {
		answer_tally(fd, p, started);
		return;
	}
	if (rc == 0 && (type == ACCT_BAN_ADD || type == ACCT_BAN_LIST)) {
		answer_bans(fd, type, p, started);
		return;
	}
	if (rc == -1 || type != ACCT_LOOKUP || read_request(p, rq) == -1) {
		log_msg(LOG_WARNING, "accounts: a malformed or late request");
		return;
	}
	memset(&r, 0, sizeof(r));
	st = serve(rq, started, &r, why, sizeof(why));
	explicit_bzero(rq->password, sizeof(rq->password));
	buf_init(&out, IPC_MAX);
	if (acct_put_answer(&out, st, why, &r) == -1 ||
	    ipc_send(fd, ACCT_ANSWER, out.data, out.len, -1) == -1)
		log_msg(LOG_WARNING, "accounts: cannot answer for %s: %s",
		    rq->user, strerror(errno));
	explicit_bzero(&r, sizeof(r));
	buf_free(&out);
}

void
worker_run(int listen_fd, unsigned peer_uid, const struct acct_secrets *sec)
{
	static struct request rq;
	struct buf p;
	size_t i;
	int fd;

	for (i = 0; i < cfg->acct_nchain; i++) {
		unsigned s = cfg->acct_chain[i];

		conns[s].be = backend_for(s);
		conns[s].secret = s == SRC_SQL ? sec->sql : sec->ldap;
	}
	buf_init(&p, IPC_MAX);
	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EINTR && errno != ECONNABORTED) {
				log_msg(LOG_ERR, "accounts: accept: %s",
				    strerror(errno));
				(void)sleep(1);
			}
			continue;
		}
		if (peer_allowed(fd, peer_uid))
			answer_one(fd, &p, &rq);
		(void)close(fd);
		buf_free(&p);		/* wiped: it held a password */
		buf_init(&p, IPC_MAX);
	}
}
