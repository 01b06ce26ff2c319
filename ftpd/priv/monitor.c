/*
 * monitor.c - the privileged half of one session.
 *
 * Forked by the master for each control connection.  Keeps the privileges
 * ftpd started with, never reads client bytes, and serves a small table of
 * requests from its unprivileged children: MON_PROXY from the front first
 * of all with proxy_protocol; MON_LOGIN from the front only before login
 * (a successful one of an account is put to the master for max_sessions);
 * MON_PORT20, MON_XFER, MON_BUSY, MON_PROGRESS, MON_EVENT and, with a
 * quota, MON_QUOTA from the user process only after, and MON_REIN,
 * which hands the connection back for a fresh front (DESIGN.md "REIN");
 * MON_LOG and, with metrics, MON_METRIC from either (monproto.h,
 * DESIGN.md).  Anything else, or a malformed message, is fatal.
 *
 * It starts each role (roles.h) in a fork of itself, confines it
 * (privdrop.c) and only then calls the role's entry: none of the parsing
 * code of the roles is included here, and none runs with root.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xmalloc.h"
#include "bounce.h"
#include "config.h"
#include "monproto.h"
#include "priv/acct_plan.h"
#include "priv/askproto.h"
#include "priv/auth.h"
#include "priv/auth_child.h"
#include "priv/certlogin.h"
#include "priv/evsend.h"
#include "priv/metrics_page.h"
#include "priv/monitor.h"
#include "priv/privdrop.h"
#include "priv/ratepool.h"
#include "priv/quota.h"
#include "priv/sessionlog.h"
#include "roles.h"
#include "tls/tls.h"
#include "tls/tls_identity.h"

#define PASS_MAX	(MON_LINE_MAX + 1)	/* any PASS line the front takes */
#define FRONT_FLUSH_MS	2000	/* a front ending on its own has this long */
#define FRONT_EXIT_MS	5000	/* a front told to go has this long */
#define ANON_IDENT_MAX	64	/* the anonymous password xferlog shows */
#define ASK_MASTER_MS	10000	/* the master answers at once; a stuck one
				 * refuses the session */

/* What the monitor knows of its session. */
struct monitor {
	int			 client_fd;
	struct sockaddr_storage	 peer, local;
	struct sockaddr_storage	 via;		/* the proxy, if any */
	int			 ask;		/* channel to the master
						 * (askproto.h), or -1 */
	char			 ip[NET_ADDRSTRLEN];
	int			 implicit_tls;
	pid_t			 front_pid, user_pid;
	int			 front_ipc, user_ipc;
	unsigned		 failures;
	struct auth_result	 auth;
	struct plan		*plan;		/* the account's, at login (a
						 * session that never logs in
						 * never pays for it) */
	char			 user[MON_USER_MAX];
	char			 anon_ident[ANON_IDENT_MAX];	/* e-mail */
	uint32_t		 tls, pbsz, prot, vhost;
	struct buf		 leftover;
	uint64_t		 bytes;
	struct mon_quota	 quota;		/* the account's tally */
	/* The transfer ftpwho shows (MON_BUSY), and its progress
	 * (MON_PROGRESS): the rate is measured here, between reports. */
	char			 busy[256];	/* "" when none */
	struct scoreboard_xfer	 xf;
	long long		 xf_ms;		/* last report, 0: none yet */
	ino_t			 client_ino;	/* the control socket, so */
	dev_t			 client_dev;	/* MON_REIN is checked */
	int			 rein_fd;	/* MON_REIN: the control
						 * connection given back, or
						 * -1 */
	int			 counted;	/* the master counts this
						 * session for the account */
};

static void	reap_child(pid_t, const char *);
static void	reap_within(pid_t, const char *, int);

/*
 * The exit status tells the master how many logins failed, so it can ban
 * an address that keeps guessing across connections (no extra channel).
 */
static int
exit_code(const struct monitor *m)
{
	return m->failures > 100 ? 100 : (int)m->failures;
}

/*
 * Events (DESIGN.md, "Events"): the session's facts come from here, never
 * from a role process: the name logged in with, the client, the RFC 7151
 * host, the session (this monitor's pid).  vpath and vpath2 (NULL for
 * none) are placed beneath the session's root on the server's file
 * system; an event whose path does not fit is dropped and counted.
 */
static void
mon_event(struct monitor *m, enum ev_type t, uint64_t bytes,
    const char *vpath, const char *vpath2)
{
	static struct ev_rec r;
	const struct vhost *vh = config_vhost_at((int)m->vhost - 1);
	const char *root = privdrop_whole_fs_home(&m->auth) != NULL ? "/" :
	    m->auth.home;

	memset(&r, 0, sizeof(r));
	r.type = t;
	r.bytes = bytes;
	r.session = (uint32_t)getpid();
	(void)snprintf(r.user, sizeof(r.user), "%s", m->user);
	(void)snprintf(r.client, sizeof(r.client), "%s", m->ip);
	if (vh != NULL)
		(void)snprintf(r.host, sizeof(r.host), "%s", vh->name);
	if ((vpath != NULL && (snprintf(r.vpath, sizeof(r.vpath), "%s",
	    vpath) >= (int)sizeof(r.vpath) || evsend_path(root, vpath, r.path,
	    sizeof(r.path)) == -1)) || (vpath2 != NULL &&
	    (snprintf(r.vpath2, sizeof(r.vpath2), "%s", vpath2) >=
	    (int)sizeof(r.vpath2) || evsend_path(root, vpath2, r.path2,
	    sizeof(r.path2)) == -1)))
		r.type = 0;	/* ev_encode refuses it: dropped, counted */
	evsend(&r);
}

/*
 * MON_EVENT: what the user process did that the monitor does not see
 * (DELE, RNFR/RNTO, MKD, RMD, SITE CHMOD), reported after it succeeded.
 * Bounded like every message; the paths are the session's view, absolute.
 */
static void
handle_event(struct monitor *m, const struct buf *p)
{
	static char vpath[EV_PATH_MAX], vpath2[EV_PATH_MAX];
	size_t off = 0;
	uint32_t op;

	if (ipc_get_u32(p, &off, &op) == -1 ||
	    ipc_get_str(p, &off, vpath, sizeof(vpath)) == -1 ||
	    ipc_get_str(p, &off, vpath2, sizeof(vpath2)) == -1 ||
	    off != p->len || (op != EV_DELETE && op != EV_RENAME &&
	    op != EV_MKDIR && op != EV_RMDIR && op != EV_CHMOD) ||
	    vpath[0] != '/' || (op == EV_RENAME) != (vpath2[0] == '/') ||
	    (op != EV_RENAME && vpath2[0] != '\0'))
		fatal("monitor: malformed MON_EVENT");
	if (evsend_wanted((enum ev_type)op))
		mon_event(m, (enum ev_type)op, 0, vpath, op == EV_RENAME ?
		    vpath2 : NULL);
}

/*
 * MON_METRIC: a counter event only an unprivileged process sees.  The
 * event must be one its sender may report (from_user: the user process,
 * else the front) and every number within its range, or the session
 * ends; a lie can only inflate counts.  Without the page (metrics off,
 * -i) it is dropped.
 */
static void
handle_metric(const struct buf *p, int from_user)
{
	uint32_t ev, a, b;
	uint64_t n;
	size_t off = 0;
	int ok;

	if (ipc_get_u32(p, &off, &ev) == -1 || ipc_get_u32(p, &off, &a) == -1 ||
	    ipc_get_u32(p, &off, &b) == -1 || ipc_get_u64(p, &off, &n) == -1)
		fatal("monitor: malformed MON_METRIC");
	switch (ev) {
	case MON_MET_XFER:
		ok = from_user && a < MET_XFER_CMDS && b < MET_XFER_RESULTS &&
		    n <= MON_MET_BYTES_MAX;
		break;
	case MON_MET_DATA_FAIL:
		ok = from_user && a < MET_DATA_MODES;
		break;
	case MON_MET_TLS:
		ok = a == (from_user ? MET_TLS_DATA : MET_TLS_CONTROL) &&
		    b < MET_TLS_RESULTS;
		break;
	case MON_MET_RATE_WAIT:
	case MON_MET_QUOTA:
		ok = from_user;
		break;
	default:
		ok = 0;
	}
	if (!ok)
		fatal("monitor: MON_METRIC %u (%u, %u) out of range", ev, a, b);
	switch (ev) {
	case MON_MET_XFER:
		MET_ADD(transfers[a][b], 1);
		/* Downloads are RETR; listings carry no file bytes. */
		if (a == MET_CMD_RETR)
			MET_ADD(bytes[1], n);
		else if (a == MET_CMD_STOR || a == MET_CMD_APPE ||
		    a == MET_CMD_STOU)
			MET_ADD(bytes[0], n);
		break;
	case MON_MET_DATA_FAIL:
		MET_ADD(data_failures[a], 1);
		break;
	case MON_MET_TLS:
		MET_ADD(tls[a][b], 1);
		break;
	case MON_MET_RATE_WAIT:
		MET_ADD(rate_waits, 1);
		break;
	case MON_MET_QUOTA:
		MET_ADD(quota_refusals, 1);
		break;
	}
}

static void
handle_log(struct monitor *m, const struct buf *p)
{
	char line[4096];
	uint32_t level;
	size_t off = 0;

	(void)m;
	if (ipc_get_u32(p, &off, &level) == -1 ||
	    ipc_get_str(p, &off, line, sizeof(line)) == -1 || level > LOG_DEBUG)
		fatal("monitor: malformed MON_LOG");
	log_line((int)level, line);
}

/*
 * In a new child, while it still has root: its log lines go to the monitor
 * from now on (so a failed drop is logged too), the log files stay out of
 * its reach, and rc describes its connection for the role's entry.
 */
static int child_mon_fd = -1;

static void
child_prepare(struct monitor *m, struct role_conn *rc, int ctl_fd, int ipc)
{
	child_mon_fd = ipc;
	/* The runner's channel is for root's reports only. */
	evsend_close();
	log_set_forward(mon_forward_log, &child_mon_fd);
	log_detach();
	xferlog_close();
	memset(rc, 0, sizeof(*rc));
	rc->ctl_fd = ctl_fd;
	rc->mon_fd = ipc;
	rc->peer = m->peer;
	rc->via = m->via;
	rc->local = m->local;
	rc->peer_ip = m->ip;
	rc->implicit_tls = m->implicit_tls;
}

/* The master's channel is the monitor's alone: no role holds it. */
static void
child_drop_ask(struct monitor *m)
{
	if (m->ask != -1)
		(void)close(m->ask);
	m->ask = -1;
}

/*
 * A child whose confinement failed says so with a fixed reply, written
 * here as plain bytes: no role code runs before the drop succeeded.
 * (Before the front there is no TLS yet; the user process's control is
 * then the plaintext relay to the front, or the plain socket.)
 */
static void __attribute__((noreturn))
child_refuse(int fd, const char *line)
{
	(void)net_write_all(fd, line, strlen(line), 5000);
	_exit(1);
}

/*
 * Stopping the server: the master sends SIGTERM to each monitor, which
 * passes it on to the process serving the client (the front before login,
 * the user process after), so the client hears 421 and the monitor ends
 * the session as usual: log line, scoreboard record removed
 * (shutdown.c).  The handler is inherited by the children until they set
 * their own; the pid check keeps a child from passing it on.
 */
static pid_t mon_self;
static volatile sig_atomic_t mon_term_target;	/* pid, or 0 */
static volatile sig_atomic_t mon_stopping;
static volatile sig_atomic_t mon_killed;

static void
mon_on_term(int sig)
{
	(void)sig;
	if (getpid() != mon_self)
		return;
	mon_stopping = 1;
	if (mon_term_target > 0)
		(void)kill((pid_t)mon_term_target, SIGTERM);
}

/*
 * ftpwho -k: an administrator (only root can signal the monitor) ends
 * this session.  SIGUSR1 goes on to the process serving the client,
 * whose loops end the session as on a stop but name the administrator
 * in the 421 and leave an upload as a cut connection would
 * (shutdown.c); the monitor ends the session as usual and logs it as
 * killed.  Under TLS the 421 goes out through the relay like every
 * reply.
 */
static void
mon_on_kill(int sig)
{
	(void)sig;
	if (getpid() != mon_self)
		return;
	mon_killed = 1;
	if (mon_term_target > 0)
		(void)kill((pid_t)mon_term_target, SIGUSR1);
}

/*
 * Around each fork of a front or user process SIGTERM stays blocked, so
 * that one passed on to the new child before it has its own handler
 * (shutdown_install, which unblocks it) waits instead of meeting the
 * inherited one above and being lost.
 */
static void
mon_hold_term(sigset_t *old)
{
	sigset_t term;

	(void)sigemptyset(&term);
	(void)sigaddset(&term, SIGTERM);
	(void)sigaddset(&term, SIGUSR1);
	(void)sigprocmask(SIG_BLOCK, &term, old);
}

/* After the fork, in the monitor: pid is the process that should hear a
 * SIGTERM now, told at once if one came; then SIGTERM is let in. */
static void
mon_serving(pid_t pid, const sigset_t *old)
{
	mon_term_target = (sig_atomic_t)pid;
	if (mon_stopping)
		(void)kill(pid, SIGTERM);
	if (mon_killed)
		(void)kill(pid, SIGUSR1);
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

/* Before reaping the process SIGTERM goes to: once reaped, its pid may
 * be another process's, which root must not signal. */
static void
mon_not_serving(void)
{
	mon_term_target = 0;
}

/*
 * Fork the process of a role with a new channel to it, SIGTERM held (see
 * mon_hold_term).  Returns the pid; *ipc is the child's end in the child
 * and the monitor's in the monitor, where the caller then calls
 * mon_serving(pid, old).
 */
static pid_t
fork_role(const char *what, int *ipc, sigset_t *old)
{
	pid_t pid;
	int sv[2];

	if (ipc_pair(sv) == -1)
		fatal("monitor: socketpair: %s", strerror(errno));
	mon_hold_term(old);
	pid = fork();
	if (pid == -1)
		fatal("monitor: fork %s: %s", what, strerror(errno));
	(void)close(sv[pid == 0 ? 0 : 1]);
	*ipc = sv[pid == 0 ? 1 : 0];
	return pid;
}

static void
start_front(struct monitor *m)
{
	struct role_conn rc;
	sigset_t old;
	int ipc;

	m->front_pid = fork_role("front", &ipc, &old);
	if (m->front_pid == 0) {
		/* The front gets the account's ticket keys at login, never
		 * the secret that makes every account's. */
		tls_secret_forget(0);
		/* It never moves a file, and it parses a stranger's bytes:
		 * rate_total's page is no business of it. */
		ratepool_forget();
		/* The counters are root's: no role holds them. */
		metrics_page_forget();
		child_drop_ask(m);
		child_prepare(m, &rc, m->client_fd, ipc);
		if (m->rein_fd != -1) {
			/* A front after REIN: what the user process read
			 * past the REIN line is the front's to read. */
			rc.rein = 1;
			rc.leftover = m->leftover.data;
			rc.leftover_len = m->leftover.len;
		}
		if (become_nopriv() == -1)
			child_refuse(m->client_fd, "421 Service not available "
			    "(server configuration error).\r\n");
		front_main(&rc);
	}
	m->front_ipc = ipc;
	mon_serving(m->front_pid, &old);
}

/*
 * Put question q (askproto.h) to the master and wait for its one-byte
 * verdict; -1 without one (the channel closed, a stuck master).
 */
static int
ask_master(struct monitor *m, const void *q, size_t len)
{
	long long deadline = clock_ms() + ASK_MASTER_MS, left;
	struct pollfd pfd;
	unsigned char verdict;
	int r;

	if (send(m->ask, q, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	pfd.fd = m->ask;
	pfd.events = POLLIN;
	do {
		left = deadline - clock_ms();
		r = poll(&pfd, 1, left > 0 ? (int)left : 0);
	} while (r == -1 && errno == EINTR && !mon_stopping);
	if (r != 1 || recv(m->ask, &verdict, 1, MSG_DONTWAIT) != 1)
		return -1;
	return verdict;
}

static void
ask_done(struct monitor *m)
{
	if (m->ask != -1)
		(void)close(m->ask);
	m->ask = -1;
}

/*
 * max_sessions: only the master sees every session, so it counts the
 * account's live ones, across addresses, and answers at once.  Every
 * account login is counted while the channel exists (a limit of 0
 * included), so a limit a row gains later finds the sessions already
 * running.  Asked once: the channel is closed after it, and the user
 * process never holds it.  0, or -1 with the 421 text in msg.
 */
static int
admit_session(struct monitor *m, char *msg, size_t msglen)
{
	struct ask_login q;
	size_t n = strlen(m->auth.name);
	int verdict;

	if (m->ask == -1 || m->auth.anonymous) {
		/* -i has no master: nothing counts sessions there. */
		if (m->plan->max_sessions > 0 && !m->auth.anonymous)
			log_msg(LOG_WARNING, "user %s: max_sessions %llu (%s) "
			    "is not enforced without the master (ftpd -i)",
			    m->auth.name, m->plan->max_sessions,
			    m->plan->from[PLAN_max_sessions]);
		/* The channel stays: after a REIN an account may log in
		 * (askproto.h). */
		return 0;
	}
	memset(&q, 0, sizeof(q));
	q.magic = ASK_LOGIN_MAGIC;
	q.namelen = (uint32_t)n;
	q.limit = m->plan->max_sessions;
	memcpy(q.name, m->auth.name, n < ASK_NAME_MAX ? n : ASK_NAME_MAX);
	verdict = n > 0 && n <= ASK_NAME_MAX ? ask_master(m, &q,
	    sizeof(q)) : -1;
	if (verdict == ASK_LOGIN_OK) {
		/* Counted until the monitor ends or a REIN releases it;
		 * the channel stays open for that (askproto.h). */
		m->counted = 1;
		return 0;
	}
	ask_done(m);
	if (verdict == ASK_LOGIN_TOO_MANY) {
		log_event(LOG_NOTICE, "login_refused", NULL, m->auth.name,
		    "login refused: user %s from %s: max_sessions %llu "
		    "reached (%s)", m->auth.name, m->ip,
		    m->plan->max_sessions, m->plan->from[PLAN_max_sessions]);
		snprintf(msg, msglen, "Too many sessions for this account "
		    "(limit %llu).", m->plan->max_sessions);
		return -1;
	}
	/* No answer: with nothing to enforce the session goes on, not
	 * counted; with a limit, it cannot be judged. */
	log_msg(q.limit > 0 ? LOG_ERR : LOG_WARNING, "user %s: the master "
	    "did not answer the max_sessions question%s", m->auth.name,
	    q.limit > 0 ? "; session refused" : "; session not counted");
	if (q.limit == 0)
		return 0;
	snprintf(msg, msglen, "Service not available, try again later.");
	return -1;
}

/*
 * REIN: the account's session has ended, so the master stops counting it
 * and expects a login question again.  Without an answer the channel is
 * closed: the session stays counted until the monitor ends (never
 * counted too little), and a later login is not counted.
 */
static void
release_session(struct monitor *m)
{
	uint32_t q = ASK_RELEASE_MAGIC;

	if (!m->counted || m->ask == -1)
		return;
	m->counted = 0;
	if (ask_master(m, &q, sizeof(q)) != ASK_RELEASE_OK) {
		log_msg(LOG_ERR, "user %s: the master did not release the "
		    "session at REIN", m->auth.name);
		ask_done(m);
	}
}

/* Read and check MON_LOGIN; returns the reply code to send. */
static enum mon_login_result
do_login(struct monitor *m, const struct buf *p, char *msg, size_t msglen)
{
	char pass[PASS_MAX], why[512], refusal[128], cert_name[MON_USER_MAX];
	struct auth_login l;
	enum cert_say cert;
	uint32_t cert_ok;
	long long t0;
	size_t off = 0;
	int rc, ok, timed, src;

	buf_reset(&m->leftover);
	if (ipc_get_str(p, &off, m->user, sizeof(m->user)) == -1 ||
	    ipc_get_str(p, &off, pass, sizeof(pass)) == -1 ||
	    ipc_get_bytes(p, &off, &m->leftover) == -1 ||
	    ipc_get_u32(p, &off, &m->tls) == -1 ||
	    ipc_get_u32(p, &off, &m->pbsz) == -1 ||
	    ipc_get_u32(p, &off, &m->prot) == -1 ||
	    ipc_get_u32(p, &off, &m->vhost) == -1 ||
	    ipc_get_u32(p, &off, &cert_ok) == -1 ||
	    ipc_get_str(p, &off, cert_name, sizeof(cert_name)) == -1)
		fatal("monitor: malformed MON_LOGIN");
	/* vhost is sent as index + 1, 0 the main host; past the sections
	 * it is no front of ours (and (int) of it could overflow). */
	if (m->vhost > cfg->nvhosts)
		fatal("monitor: MON_LOGIN names no [host] section");
	l.user = m->user;
	l.pass = pass;
	l.vh = config_vhost_at((int)m->vhost - 1);
	l.client = m->ip;
	/* A TLS client certificate may refuse the login or vouch for the
	 * user (priv/certlogin.c). */
	snprintf(refusal, sizeof(refusal), "Login incorrect.");
	cert = certlogin_judge(m->user, l.vh, m->tls && cert_ok, cert_name,
	    refusal, sizeof(refusal), why, sizeof(why));
	l.vouched = cert == CERT_VOUCHES;
	/* With metrics, the password check's time (not for anonymous
	 * logins, which look nothing up). */
	timed = metrics_shared != NULL && !auth_is_anonymous(l.user, l.vh);
	t0 = timed ? clock_us() : 0;
	rc = cert == CERT_REFUSES ? AUTH_REFUSED :
	    auth_check_isolated(&l, &m->auth, why, sizeof(why));
	if (timed)
		metrics_lookup_observe((unsigned long long)(clock_us() - t0));
	ok = rc == AUTH_OK;
	/* Who knew the account, for ftpd_logins_total (cleared with the
	 * result on a failure: no source vouched for anything then). */
	src = !ok ? MET_SRC_UNKNOWN : m->auth.anonymous ? MET_SRC_ANONYMOUS :
	    m->auth.source >= 0 && m->auth.source < MET_SRC_ANONYMOUS ?
	    m->auth.source : MET_SRC_UNKNOWN;
	/* xferlog(5) names an anonymous user by the identification given
	 * as the password (by custom an e-mail address); never a real
	 * password: this is kept only for anonymous logins. */
	if (ok && m->auth.anonymous) {
		const char *id = pass[0] != '\0' ? pass : m->user;
		size_t n = strnlen(id, sizeof(m->anon_ident) - 1);

		memcpy(m->anon_ident, id, n);	/* cut at 63 bytes */
		m->anon_ident[n] = '\0';
	}
	if (ok && !m->auth.anonymous && m->auth.uid == 0 &&
	    !cfg->unprivileged) {
		ok = 0;
		snprintf(why, sizeof(why), "uid 0 may not log in");
	}
	/* The account's plan: resolved once, enforced here for what must
	 * hold before any file is touched, inherited by the user process
	 * for the rest. */
	if (ok && m->plan == NULL)
		m->plan = xmalloc(sizeof(*m->plan));
	if (ok && (acct_plan_resolve(&m->auth, m->plan, why,
	    sizeof(why)) == -1 || acct_plan_admit(m->plan, &m->auth,
	    (const struct sockaddr *)&m->peer, m->tls != 0, refusal,
	    sizeof(refusal), why, sizeof(why)) == -1))
		ok = 0;
	/* The certificate alone admits only a tls_client_auth_only
	 * account; any other needs its password as well. */
	if (ok && l.vouched && !m->plan->tls_client_auth_only) {
		l.vouched = 0;
		rc = auth_check_isolated(&l, &m->auth, why, sizeof(why));
		ok = rc == AUTH_OK;
	}
	explicit_bzero(pass, sizeof(pass));
	/* The account store, not the client, failed: no guess is counted
	 * and the client may come back at once (RFC 959's 421). */
	if (rc == AUTH_UNAVAILABLE) {
		log_event(LOG_ERR, "login_unavailable", NULL, m->user,
		    "login unavailable: user %s from %s: %s", m->user, m->ip,
		    why);
		snprintf(msg, msglen, "Service not available, account "
		    "lookup failed; try again later.");
		MET_ADD(logins[MET_LOGIN_UNAVAILABLE][MET_SRC_UNKNOWN], 1);
		return MON_LOGIN_ERROR;
	}
	/* Last, once all else admitted the login: max_sessions.  No guess
	 * was wrong, so nothing is counted toward bans; the session ends
	 * (CLOSE: the front may not try again, the question is spent). */
	if (ok && admit_session(m, msg, msglen) == -1) {
		MET_ADD(logins[MET_LOGIN_REFUSED][src], 1);
		return MON_LOGIN_CLOSE;
	}
	if (ok) {
		MET_ADD(logins[MET_LOGIN_OK][src], 1);
		log_set_user(m->user);
		log_event(LOG_NOTICE, "login", NULL, NULL,
		    "login ok: user %s from %s%s%s", m->user,
		    m->ip, m->auth.anonymous ? " (anonymous)" : "",
		    m->tls ? " (TLS)" : "");
		snprintf(msg, msglen, "Login successful.");
		if (evsend_wanted(EV_LOGIN))
			mon_event(m, EV_LOGIN, 0, NULL, NULL);
		return MON_LOGIN_OK;
	}
	/* A right password the account's rules refused (uid 0, the plan)
	 * is "refused"; anything else a wrong guess. */
	MET_ADD(logins[rc == AUTH_OK ? MET_LOGIN_REFUSED :
	    MET_LOGIN_FAILED][src], 1);
	m->failures++;
	/* Even a fatal() from here on must report the failures so far. */
	log_set_fatal_status(exit_code(m));
	/* fail2ban's filter (etc/fail2ban) reads this line: the client is
	 * in its fixed place before the message (client=, log.c), never
	 * taken from the text after it, which holds the client's words. */
	log_event(LOG_WARNING, "login_failed", NULL, m->user,
	    "login failed: user %s from %s: %s (%u of %llu)",
	    m->user, m->ip, why, m->failures, cfg->login_attempts);
	if (evsend_wanted(EV_LOGIN_FAILED))
		mon_event(m, EV_LOGIN_FAILED, 0, NULL, NULL);
	/* A delay that grows with each failure slows guessing down. */
	(void)sleep(m->failures > 5 ? 5 : m->failures);
	if (m->failures >= cfg->login_attempts) {
		/* 530, not 421: the password was wrong, the service is
		 * not down, and clients retry on 421 (FileZilla). */
		snprintf(msg, msglen, "%s", refusal);
		return MON_LOGIN_FAIL_LAST;
	}
	snprintf(msg, msglen, "%s", refusal);
	return MON_LOGIN_FAIL;
}

/*
 * With TLS and OK the reply carries the ticket keys of this account at
 * this address (tls_bind_derive): the front holds them for the rest of
 * the session, the monitor forgets them and the master's secret with
 * them, before the user process is forked.
 */
static void
send_login_reply(struct monitor *m, enum mon_login_result r, const char *msg)
{
	unsigned char bind[TLS_BIND_LEN];
	struct buf out;
	int with_keys = r == MON_LOGIN_OK && m->tls;

	if (with_keys && tls_bind_derive(m->auth.name, m->auth.home, m->ip,
	    bind) == -1)
		fatal("monitor: no TLS ticket keys for the session");
	buf_init(&out, 4096);
	if (ipc_put_u32(&out, (uint32_t)r) == -1 ||
	    ipc_put_str(&out, msg) == -1 ||
	    (with_keys && ipc_put_bytes(&out, bind, sizeof(bind)) == -1) ||
	    ipc_send(m->front_ipc, MON_LOGIN_REPLY, out.data, out.len,
	    -1) == -1)
		fatal("monitor: send login reply: %s", strerror(errno));
	explicit_bzero(bind, sizeof(bind));
	buf_free(&out);
}

/* The front's next message other than a log line; the front ending ends
 * the session. */
static uint32_t
front_message(struct monitor *m, struct buf *p)
{
	uint32_t type;

	for (;;) {
		if (ipc_recv(m->front_ipc, &type, p, NULL) == -1) {
			mon_not_serving();
			reap_child(m->front_pid, "front");
			_exit(exit_code(m));
		}
		if (type == MON_METRIC)
			handle_metric(p, 0);
		else if (type != MON_LOG)
			return type;
		else
			handle_log(m, p);
	}
}

/*
 * proxy_protocol: the front has read the PROXY header (the monitor never
 * does) and names the client.  Once the master has judged that client by
 * the limits accept(2) could only apply to the proxy, it becomes this
 * session's peer: for logs, bans, PORT/EPRT and passive connections.  The
 * proxy itself stays known (m->via) because passive data connections may
 * come through it too.
 */
static void
proxy_admit(struct monitor *m)
{
	struct sockaddr_storage who;
	char msg[NET_ADDRSTRLEN + 64];
	struct buf p, sa, out;
	uint32_t local;
	size_t off = 0;
	int verdict;

	buf_init(&p, IPC_MAX);
	buf_init(&sa, sizeof(who));
	if (front_message(m, &p) != MON_PROXY ||
	    ipc_get_u32(&p, &off, &local) == -1 ||
	    ipc_get_bytes(&p, &off, &sa) == -1 || sa.len != sizeof(who))
		fatal("monitor: expected MON_PROXY");
	memcpy(&who, sa.data, sizeof(who));
	buf_free(&sa);
	buf_free(&p);
	if (local)
		memset(&who, 0, sizeof(who));	/* no client named */
	else if (who.ss_family != AF_INET && who.ss_family != AF_INET6)
		fatal("monitor: MON_PROXY for address family %u",
		    (unsigned)who.ss_family);
	net_unmap_v4(&who);
	/* -i: no master, no limits */
	verdict = m->ask == -1 ? PROXY_VERDICT_OK : ask_master(m, &who,
	    sizeof(who));
	m->via = m->peer;
	if (!local) {
		/* From now on the log names the real client in the client=
		 * place and the proxy after it. */
		m->peer = who;
		net_format_ip((const struct sockaddr *)&who, m->ip,
		    sizeof(m->ip));
		log_set_client(m->ip);
	}
	if (verdict == PROXY_VERDICT_OK) {
		net_format_ip((const struct sockaddr *)&m->via, msg,
		    sizeof(msg));
		/* check-send-proxy: the balancer's health check, at
		 * debug only, as its connection line. */
		if (local)
			log_msg(LOG_DEBUG, "PROXY header names no client: the "
			    "proxy speaks for itself (a health check)");
		else
			log_msg(LOG_INFO, "client %s via proxy %s", m->ip,
			    msg);
		snprintf(msg, sizeof(msg), "%s", m->ip);
	} else {
		snprintf(msg, sizeof(msg), "%s", verdict ==
		    PROXY_VERDICT_BANNED ? "Too many failed logins from "
		    "your address; try again later." : verdict ==
		    PROXY_VERDICT_TOO_MANY ? "Too many connections from "
		    "your address." : "Service not available.");
		log_event(LOG_NOTICE, "refused", NULL, NULL, "refused: %s",
		    msg);
	}
	buf_init(&out, 256);
	if (ipc_put_u32(&out, verdict == PROXY_VERDICT_OK) == -1 ||
	    ipc_put_str(&out, msg) == -1 ||
	    ipc_send(m->front_ipc, MON_PROXY_REPLY, out.data, out.len,
	    -1) == -1)
		fatal("monitor: send proxy reply: %s", strerror(errno));
	buf_free(&out);
	/* The channel's next question is the login's (askproto.h). */
	if (verdict != PROXY_VERDICT_OK || !cfg->session_limits)
		ask_done(m);
	if (verdict == PROXY_VERDICT_OK)
		return;
	/* Refused: the front says 421 and ends; nothing else is served. */
	buf_init(&p, IPC_MAX);
	(void)front_message(m, &p);
	fatal("monitor: front went on after a refusal");
}

/* Serve the front until a login succeeds.  Exits when the front ends. */
static void
serve_front(struct monitor *m)
{
	struct buf p;
	uint32_t type;
	char msg[256];
	enum mon_login_result r = MON_LOGIN_FAIL;

	buf_init(&p, IPC_MAX);
	for (;;) {
		type = front_message(m, &p);
		if (type != MON_LOGIN)
			fatal("monitor: unexpected message %u before login",
			    type);
		/* The limit is ours to keep, not the front's. */
		if (r == MON_LOGIN_CLOSE || r == MON_LOGIN_FAIL_LAST)
			fatal("monitor: login attempt after the last one");
		r = do_login(m, &p, msg, sizeof(msg));
		send_login_reply(m, r, msg);
		if (r == MON_LOGIN_OK) {
			metrics_slot_set((m->auth.anonymous ?
			    MET_SLOT_ANONYMOUS : MET_SLOT_ACCOUNT) |
			    (m->tls ? MET_SLOT_TLS : 0));
			break;
		}
	}
	buf_free(&p);
}

/* In the user process's fork: confine it to the account, then start the
 * role (user/user.c). */
static void __attribute__((noreturn))
run_user(struct monitor *m, int ctl_fd, int ipc, int front_data)
{
	struct role_conn rc;
	struct role_login rl;
	const struct vhost *vh = config_vhost_at((int)m->vhost - 1);

	child_prepare(m, &rc, ctl_fd, ipc);
	/* The counters are root's: no role holds them. */
	metrics_page_forget();
	memset(&rl, 0, sizeof(rl));
	rl.root_fd = become_user(&m->auth);
	if (rl.root_fd == -1)
		child_refuse(ctl_fd, "421 Cannot set up your session (see "
		    "server log).\r\n");
	rl.user = m->user;
	rl.anonymous = m->auth.anonymous;
	rl.tls = m->tls != 0;
	rl.pbsz = m->pbsz != 0;
	rl.prot = m->prot != 0;
	/* vhost is sent as index + 1; out of range means the main host */
	rl.vhost = vh != NULL ? (int)m->vhost - 1 : -1;
	rl.leftover = m->leftover.data;
	rl.leftover_len = m->leftover.len;
	rl.front_fd = front_data;
	rl.home = privdrop_whole_fs_home(&m->auth);
	rl.plan = m->plan;
	rl.account_home = m->auth.home;
	rl.ratepool = ratepool_get();
	user_main(&rc, &rl);
}

/* After MON_LOGIN_OK: give the front its relay ends (TLS) and fork the
 * user process on the control connection or the relay. */
static void
start_user(struct monitor *m)
{
	int relay[2] = { -1, -1 }, data[2] = { -1, -1 }, ipc, ctl;
	sigset_t old;

	if (m->tls) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		    relay) == -1 || ipc_pair(data) == -1)
			fatal("monitor: socketpair: %s", strerror(errno));
		if (ipc_send(m->front_ipc, MON_FD, NULL, 0, relay[0]) == -1 ||
		    ipc_send(m->front_ipc, MON_FD, NULL, 0, data[0]) == -1)
			fatal("monitor: pass relay: %s", strerror(errno));
		(void)close(relay[0]);
		(void)close(data[0]);
		ctl = relay[1];
	} else {
		/* The front exits on OK; the socket is the user's now, and
		 * a front that stays is not let to share it. */
		mon_not_serving();
		reap_within(m->front_pid, "front", FRONT_EXIT_MS);
		m->front_pid = -1;
		(void)close(m->front_ipc);
		m->front_ipc = -1;
		ctl = m->client_fd;
	}
	m->user_pid = fork_role("user", &ipc, &old);
	if (m->user_pid == 0) {
		child_drop_ask(m);
		if (m->front_ipc != -1)
			(void)close(m->front_ipc);
		if (ctl != m->client_fd)
			(void)close(m->client_fd);
		run_user(m, ctl, ipc, data[1]);
	}
	if (relay[1] != -1)
		(void)close(relay[1]);
	if (data[1] != -1)
		(void)close(data[1]);
	(void)close(m->client_fd);
	m->client_fd = -1;
	m->user_ipc = ipc;
	mon_serving(m->user_pid, &old);
}

/* A socket bound to port L-1 of the control connection's address in
 * dst's family, or -1 with errno. */
static int
port20_socket(const struct monitor *m, const struct sockaddr_storage *dst)
{
	struct sockaddr_storage a = m->local;
	uint16_t port;
	int fd, one = 1, saved;

	net_unmap_v4(&a);
	port = net_get_port((struct sockaddr *)&a);
	if (port <= 1 || a.ss_family != dst->ss_family) {
		errno = port <= 1 ? EINVAL : EAFNOSUPPORT;
		return -1;
	}
	net_set_port((struct sockaddr *)&a, (uint16_t)(port - 1));
	if ((fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, (struct sockaddr *)&a,
	    net_sa_len((struct sockaddr *)&a)) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * An active data connection from port L-1, which only root may bind: the
 * monitor connects it itself, to a target it checks by the same rule as
 * PORT/EPRT, and passes only the connected socket.  A bound socket in
 * the user process could listen on port 20 or reach any host from it.
 */
static void
handle_port20(struct monitor *m, const struct buf *p)
{
	struct sockaddr_storage dst;
	struct buf out, sa;
	size_t off = 0;
	uint32_t stage = MON_PORT20_BIND, id;
	int fd = -1, err = 0, ms;

	buf_init(&sa, sizeof(dst));
	if (ipc_get_u32(p, &off, &id) == -1 ||
	    ipc_get_bytes(p, &off, &sa) == -1 || sa.len != sizeof(dst))
		fatal("monitor: malformed MON_PORT20");
	memcpy(&dst, sa.data, sizeof(dst));
	buf_free(&sa);
	if (dst.ss_family != AF_INET && dst.ss_family != AF_INET6)
		fatal("monitor: MON_PORT20 for address family %u",
		    (unsigned)dst.ss_family);
	net_unmap_v4(&dst);
	if (!cfg->active_from_port_20)
		err = EPERM;
	else if (!active_target_ok((struct sockaddr *)&dst,
	    (struct sockaddr *)&m->peer, cfg->allow_fxp)) {
		log_msg(LOG_WARNING, "user process asked for a connection to "
		    "a host or port PORT/EPRT refuse");
		err = EACCES;
		stage = MON_PORT20_CONNECT;
	} else if ((fd = port20_socket(m, &dst)) == -1)
		err = errno;
	else {
		stage = MON_PORT20_CONNECT;
		ms = cfg->data_timeout * 1000 < MON_PORT20_CONNECT_MS ?
		    (int)cfg->data_timeout * 1000 : MON_PORT20_CONNECT_MS;
		if (net_connect(fd, (struct sockaddr *)&dst,
		    net_sa_len((struct sockaddr *)&dst), ms) == -1) {
			err = errno;
			(void)close(fd);
			fd = -1;
		}
	}
	buf_init(&out, 16);
	(void)ipc_put_u32(&out, id);
	(void)ipc_put_u32(&out, (uint32_t)err);
	(void)ipc_put_u32(&out, stage);
	if (ipc_send(m->user_ipc, MON_PORT20, out.data, out.len, fd) == -1)
		fatal("monitor: port20 reply: %s", strerror(errno));
	buf_free(&out);
	if (fd != -1)
		(void)close(fd);
}

static void
handle_xfer(struct monitor *m, const struct buf *p)
{
	char path[4096];
	uint64_t bytes, ms;
	uint32_t dir, complete, type;
	enum ev_type t;
	size_t off = 0;

	if (ipc_get_str(p, &off, path, sizeof(path)) == -1 ||
	    ipc_get_u64(p, &off, &bytes) == -1 ||
	    ipc_get_u64(p, &off, &ms) == -1 ||
	    ipc_get_u32(p, &off, &dir) == -1 ||
	    ipc_get_u32(p, &off, &complete) == -1 ||
	    ipc_get_u32(p, &off, &type) == -1 ||
	    (dir != 'i' && dir != 'o') || (complete != 'c' && complete != 'i'))
		fatal("monitor: malformed MON_XFER");
	m->bytes += bytes;
	t = dir == 'o' ? (complete == 'c' ? EV_DOWNLOAD : 0) :
	    complete == 'c' ? EV_UPLOAD : EV_UPLOAD_ABORTED;
	if (t != 0 && evsend_wanted(t) && path[0] == '/')
		mon_event(m, t, bytes, path, NULL);
	xferlog_write(m->ip, path, bytes, ms, (char)type, (char)dir,
	    m->auth.anonymous, m->auth.anonymous ? m->anon_ident :
	    m->auth.name, (char)complete);
	m->busy[0] = '\0';
	scoreboard_update(m->ip, m->user, "idle", "", m->bytes, NULL);
}

/* A transfer that runs for a while (or its end): what ftpwho shows. */
static void
handle_busy(struct monitor *m, const struct buf *p)
{
	size_t off = 0;

	if (ipc_get_str(p, &off, m->busy, sizeof(m->busy)) == -1)
		fatal("monitor: malformed MON_BUSY");
	memset(&m->xf, 0, sizeof(m->xf));
	m->xf_ms = 0;
	scoreboard_update(m->ip, m->user, m->busy[0] != '\0' ? "transfer" :
	    "idle", m->busy, m->bytes, NULL);
}

/*
 * The shown transfer's progress: bytes moved and its size.  The numbers
 * are the user process's word and only shown, so they are bounded, not
 * believed; the rate is the monitor's own measure, smoothed over the
 * reports (a quarter of each new interval's).  One pwrite of the record
 * per report, and the session sends at most four a second.
 */
static void
handle_progress(struct monitor *m, const struct buf *p)
{
	uint64_t bytes, size, inst, delta, ms;
	long long now = clock_ms();
	size_t off = 0;

	if (ipc_get_u64(p, &off, &bytes) == -1 ||
	    ipc_get_u64(p, &off, &size) == -1 || off != p->len ||
	    bytes > MON_PROGRESS_MAX ||
	    (size != MON_PROGRESS_UNKNOWN && size > MON_PROGRESS_MAX))
		fatal("monitor: malformed MON_PROGRESS");
	if (m->busy[0] == '\0')
		return;		/* the transfer ended meanwhile */
	if (m->xf_ms != 0 && now > m->xf_ms && bytes >= m->xf.bytes) {
		delta = bytes - m->xf.bytes;
		ms = (uint64_t)(now - m->xf_ms);
		inst = delta <= UINT64_MAX / 1000 ? delta * 1000 / ms :
		    delta / ms * 1000;
		m->xf.rate = m->xf.rate == 0 ? inst :
		    (m->xf.rate / 4) * 3 + inst / 4;
	}
	if (m->xf_ms == 0 || now > m->xf_ms)
		m->xf_ms = now;
	m->xf.bytes = bytes;
	m->xf.size_known = size != MON_PROGRESS_UNKNOWN;
	m->xf.size = m->xf.size_known ? size : 0;
	scoreboard_update(m->ip, m->user, "transfer", m->busy, m->bytes,
	    &m->xf);
}

/*
 * MON_REIN: the user process gives the control connection back, with
 * what it read past the REIN line; it exits next.  Only on a plain
 * control connection (under TLS the front holds it and the user process
 * refuses REIN), once, and only the session's own socket.
 */
static void
handle_rein(struct monitor *m, const struct buf *p, int fd)
{
	struct stat st;
	size_t off = 0;

	if (m->tls || m->rein_fd != -1 || fd == -1 ||
	    fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_ino != m->client_ino || st.st_dev != m->client_dev)
		fatal("monitor: MON_REIN out of place or not the session's "
		    "control connection");
	buf_reset(&m->leftover);
	if (ipc_get_bytes(p, &off, &m->leftover) == -1 || off != p->len)
		fatal("monitor: malformed MON_REIN");
	m->rein_fd = fd;
	log_msg(LOG_INFO, "REIN: user %s logs out; a new login may follow",
	    m->user);
}

/* One message from the user process.  0, or -1 when it has gone. */
static int
serve_user_msg(struct monitor *m, struct buf *p)
{
	uint32_t type;
	int fd;

	if (ipc_recv(m->user_ipc, &type, p, &fd) == -1)
		return -1;
	if (type == MON_REIN) {
		handle_rein(m, p, fd);
		return 0;
	}
	if (fd != -1)
		fatal("monitor: a descriptor with message %u", type);
	switch (type) {
	case MON_LOG: handle_log(m, p); break;
	case MON_PORT20: handle_port20(m, p); break;
	case MON_XFER: handle_xfer(m, p); break;
	case MON_BUSY: handle_busy(m, p); break;
	case MON_PROGRESS: handle_progress(m, p); break;
	case MON_QUOTA:
		if (mon_quota_serve(&m->quota, p, m->user_ipc) &&
		    evsend_wanted(EV_QUOTA))
			mon_event(m, EV_QUOTA, 0, NULL, NULL);
		break;
	case MON_EVENT: handle_event(m, p); break;
	case MON_METRIC: handle_metric(p, 1); break;
	default: fatal("monitor: unexpected message %u after login", type);
	}
	return 0;
}

/* After login: serve the user process, and the front's log lines while it
 * relays TLS, until the user process ends. */
static void
serve_user(struct monitor *m)
{
	struct pollfd pfd[2];
	struct buf p;
	uint32_t type;

	buf_init(&p, IPC_MAX);
	for (;;) {
		pfd[0].fd = m->user_ipc;
		pfd[0].events = POLLIN;
		pfd[1].fd = m->front_ipc;
		pfd[1].events = POLLIN;
		if (poll(pfd, m->front_ipc != -1 ? 2 : 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("monitor: poll: %s", strerror(errno));
		}
		if (pfd[0].revents != 0 && serve_user_msg(m, &p) == -1)
			break;
		if (m->front_ipc != -1 && pfd[1].revents != 0) {
			if (ipc_recv(m->front_ipc, &type, &p, NULL) == -1 ||
			    type != MON_LOG) {
				(void)close(m->front_ipc);
				m->front_ipc = -1;
			} else
				handle_log(m, &p);
		}
	}
	buf_free(&p);
}

/* Wait for a child; say so in the log if a signal (e.g. a seccomp
 * SIGSYS) killed it, since nothing else would tell the administrator. */
static void
reap_child(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
		log_msg(LOG_ERR, "%s process %ld killed by signal %d%s", what,
		    (long)pid, WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    " (system call outside the seccomp filter)" : "");
}

/*
 * Wait up to ms for child pid to exit, without reaping it: 1 if it did,
 * 0 if not, -1 if it cannot be watched (no pidfd_open(2), Linux < 5.3).
 * A pidfd turns readable at exit: no polling loop, no added delay.
 */
static int
wait_exit(pid_t pid, int ms)
{
	long long deadline = clock_ms() + ms, left;
	struct pollfd p;
	int r;

	if ((p.fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return -1;
	p.events = POLLIN;
	do {
		p.revents = 0;
		left = deadline - clock_ms();
		r = poll(&p, 1, left > 0 ? (int)left : 0);
	} while (r == -1 && errno == EINTR && left > 0);
	(void)close(p.fd);
	return r > 0;
}

/* Reap child pid, killing it if it has not exited within ms. */
static void
reap_within(pid_t pid, const char *what, int ms)
{
	if (wait_exit(pid, ms) == 0) {
		log_msg(LOG_ERR, "%s process %ld did not exit: killed", what,
		    (long)pid);
		(void)kill(pid, SIGKILL);
	}
	reap_child(pid, what);
}

/*
 * The TLS front still has to flush the last reply (221) and send
 * close_notify after the user process ends: give it a moment to finish on
 * its own before it is told to stop.
 */
static void
stop_front(pid_t pid)
{
	if (wait_exit(pid, FRONT_FLUSH_MS) != 1)
		(void)kill(pid, SIGTERM);
	reap_within(pid, "front", FRONT_EXIT_MS);
}

/*
 * After MON_REIN and the user process's end: settle what the login
 * held (quota books, the master's count, the scoreboard record) and
 * forget the account, so the session is as right after the greeting.
 * Failed logins keep counting: REIN is no way around login_attempts.
 */
static void
rein_reset(struct monitor *m)
{
	mon_not_serving();
	reap_within(m->user_pid, "user", FRONT_EXIT_MS);
	m->user_pid = -1;
	(void)close(m->user_ipc);
	m->user_ipc = -1;
	mon_quota_end(&m->quota);
	m->quota.on = 0;	/* settled: finish() has nothing left */
	/* The account's session ends here as at a QUIT: its logout event
	 * (while the account is still known), its gauge back to pre-login,
	 * no transfer left on ftpwho, no user on the log lines. */
	if (evsend_wanted(EV_LOGOUT))
		mon_event(m, EV_LOGOUT, m->bytes, NULL, NULL);
	metrics_slot_set(MET_SLOT_PRELOGIN);
	m->busy[0] = '\0';
	memset(&m->xf, 0, sizeof(m->xf));
	m->xf_ms = 0;
	log_set_user(NULL);
	release_session(m);
	scoreboard_remove();
	memset(&m->auth, 0, sizeof(m->auth));
	m->user[0] = '\0';
	m->anon_ident[0] = '\0';
	m->tls = m->pbsz = m->prot = m->vhost = 0;
	m->bytes = 0;
	m->client_fd = m->rein_fd;
}

static void __attribute__((noreturn))
finish(struct monitor *m)
{
	mon_not_serving();
	if (m->user_pid > 0)
		reap_child(m->user_pid, "user");
	if (m->front_pid > 0)
		stop_front(m->front_pid);
	mon_quota_end(&m->quota);
	if (m->user_pid > 0 && evsend_wanted(EV_LOGOUT))
		mon_event(m, EV_LOGOUT, m->bytes, NULL, NULL);
	scoreboard_remove();
	if (mon_killed)
		log_event(LOG_NOTICE, "killed", NULL, NULL, "session killed "
		    "by the administrator: user %s", m->user[0] != '\0' ?
		    m->user : "-");
	log_msg(LOG_INFO, "session closed: %s", m->ip);
	_exit(exit_code(m));
}

void
monitor_run(int fd, const struct sockaddr_storage *peer, int implicit_tls,
    int ask)
{
	/* Static, not on the stack: the user process is forked from deep
	 * inside this frame and would carry those pages for the session. */
	static struct monitor m;
	socklen_t len = sizeof(m.local);
	struct sigaction sa;
	char prefix[128];
	int one = 1;

	memset(&m, 0, sizeof(m));
	m.client_fd = fd;
	m.peer = *peer;
	m.implicit_tls = implicit_tls;
	m.ask = ask;
	m.front_ipc = m.user_ipc = -1;
	m.rein_fd = -1;
	buf_init(&m.leftover, 2 * MON_LINE_MAX + 65536);
	net_format_ip((const struct sockaddr *)peer, m.ip, sizeof(m.ip));
	/* Every line of the session names its client in one place
	 * (client=, log.c).  Behind a PROXY header the connection's peer is
	 * the proxy, named as such until the header names the client, so
	 * that nothing (fail2ban) ever takes the proxy for a client. */
	log_set_session((long)getpid());
	if (cfg->proxy_protocol) {
		snprintf(prefix, sizeof(prefix), "proxy=%s", m.ip);
		log_set_prefix(prefix);
	} else
		log_set_client(m.ip);
	if (getsockname(fd, (struct sockaddr *)&m.local, &len) == -1)
		fatal("monitor: getsockname: %s", strerror(errno));
	net_unmap_v4(&m.local);
	(void)setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* Replies are small and each waits for the client's next command:
	 * without this, Nagle and delayed ACKs add ~40 ms per transfer. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)signal(SIGPIPE, SIG_IGN);
	mon_self = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mon_on_term;
	sa.sa_flags = SA_RESTART;	/* the monitor's own waits go on */
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = mon_on_kill;
	(void)sigaction(SIGUSR1, &sa, NULL);
	/* Behind a proxy the line that names the client is proxy_admit's;
	 * this one would name the balancer for every health check. */
	log_msg(cfg->proxy_protocol ? LOG_DEBUG : LOG_INFO,
	    "connection from %s", m.ip);
	{
		struct stat st;

		/* MON_REIN must give back this very socket. */
		if (fstat(fd, &st) == -1)
			fatal("monitor: fstat: %s", strerror(errno));
		m.client_ino = st.st_ino;
		m.client_dev = st.st_dev;
	}
	tls_session_prepare();
	start_front(&m);
	/* Only the front parses the TLS key; the user process, forked from
	 * here, must not even inherit the copies. */
	tls_identity_forget();
	if (cfg->proxy_protocol)
		proxy_admit(&m);
	for (;;) {
		serve_front(&m);
		mon_quota_start(&m.quota, &m.auth, m.plan);
		/* The user process must not be able to make tickets. */
		tls_secret_forget(1);
		start_user(&m);
		scoreboard_update(m.ip, m.user, "idle", "", 0, NULL);
		/*
		 * Login is over: the password hash, the front's messages
		 * and the name-service lookups left freed heap behind,
		 * dirty pages that a thousand idle sessions would each
		 * keep.  Return them.
		 */
		(void)malloc_trim(0);
		serve_user(&m);
		if (m.rein_fd == -1)
			break;
		/* REIN: back to the state after the greeting, on a fresh
		 * front (DESIGN.md "REIN"). */
		rein_reset(&m);
		/* A SIGTERM meanwhile reaches the new front at once
		 * (mon_serving), which says 421. */
		start_front(&m);
		m.rein_fd = -1;
		buf_reset(&m.leftover);
	}
	finish(&m);
}
