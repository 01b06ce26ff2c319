/*
 * master.c - listeners, the accept loop, session limits, reaping.
 *
 * Runs as whoever started ftpd.  It never reads client bytes: a refused
 * connection gets one fixed 421 line and is closed.  Children are
 * monitors; the table of live ones is what max_clients, max_per_ip and
 * max_sessions count.  A monitor asks over a channel of its own
 * (askproto.h): with proxy_protocol, whether the client the PROXY header
 * names may have one more session (proxy_answer); with session limits,
 * whether the account that just logged in may (login_answer), and after
 * a REIN that it no longer counts (release_answer).  SIGHUP reads the
 * configuration again between two polls (priv/reload.c); the tables
 * here follow it (master_configure).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "common/netmask.h"
#include "common/xmalloc.h"
#include "priv/acct_service.h"
#include "priv/askproto.h"
#include "priv/bans.h"
#include "priv/evsend.h"
#include "priv/evspawn.h"
#include "priv/bans_shared.h"
#include "config.h"
#include "priv/master.h"
#include "priv/metrics_page.h"
#include "priv/metrics_spawn.h"
#include "priv/monitor.h"
#include "priv/ratepool.h"
#include "priv/reload.h"
#include "tls/tls.h"

#define MAX_LISTENERS	32
#define BACKLOG		1024

struct listener {
	int	fd;
	int	implicit_tls;
};

/* What a monitor's channel expects next (askproto.h); once closed, -1. */
enum ask_turn { ASK_PROXY, ASK_LOGIN, ASK_RELEASE };

struct child {
	pid_t			pid;
	struct sockaddr_storage	peer;	/* the client, once known */
	int			ask;	/* channel, or -1 */
	enum ask_turn		turn;
	char			*account;	/* counted for max_sessions,
						 * once logged in, or NULL */
	int			metrics_slot;	/* its gauge slot, or -1 */
};

static struct listener listeners[MAX_LISTENERS];
static size_t nlisteners;
static struct child *children;
static size_t nchildren;
static struct pollfd *pfds;	/* listeners, then open ask channels */
static size_t *chan_of;		/* pfds[nlisteners + i] is children[chan_of[i]] */
static size_t capacity;		/* rows of children and chan_of */
static int use_ask;		/* proxy_protocol or session limits */
/* Channels may be open: use_ask now, or at any time since start (a
 * reload that turns it off leaves the sessions forked before with
 * their channels).  Never set: no scan of the sessions per wake. */
static int scan_asks;

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_chld;
static volatile sig_atomic_t got_hup;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void
on_chld(int sig)
{
	(void)sig;
	got_chld = 1;
}

static int
listen_list(const char *list, int implicit_tls)
{
	struct sockaddr_storage addrs[MAX_LISTENERS];
	socklen_t lens[MAX_LISTENERS];
	char name[NET_ADDRSTRLEN];
	size_t n, i;
	int fd;

	if (list[0] == '\0')
		return 0;
	if (net_parse_addrlist(list, addrs, lens, MAX_LISTENERS - nlisteners,
	    &n) == -1) {
		log_msg(LOG_ERR, "bad listen list: %s", list);
		return -1;
	}
	for (i = 0; i < n; i++) {
		net_format_addr((struct sockaddr *)&addrs[i], name,
		    sizeof(name));
		fd = net_listen((struct sockaddr *)&addrs[i], lens[i], BACKLOG);
		if (fd == -1) {
			log_msg(LOG_ERR, "listen on %s: %s", name,
			    strerror(errno));
			return -1;
		}
		listeners[nlisteners].fd = fd;
		listeners[nlisteners].implicit_tls = implicit_tls;
		nlisteners++;
		log_msg(LOG_NOTICE, "listening on %s%s", name,
		    implicit_tls ? " (implicit TLS)" : "");
	}
	return 0;
}

int
master_listen(void)
{
	if (listen_list(cfg->listen, 0) == -1 ||
	    listen_list(cfg->implicit_tls_listen, 1) == -1 ||
	    metrics_spawn_listen() == -1)
		return -1;
	return 0;
}

/* Events: the master alone knows of a ban (client: the address; bytes:
 * the ban's seconds; session: the monitor whose failures ended it). */
static void
send_ban(const struct child *c, const char *ip)
{
	static struct ev_rec r;

	memset(&r, 0, sizeof(r));
	r.type = EV_BAN;
	r.bytes = cfg->ban_seconds;
	r.session = (uint32_t)c->pid;
	(void)snprintf(r.client, sizeof(r.client), "%s", ip);
	evsend(&r);
}

/* The tables hold max_clients sessions; a reload may raise it (a lower
 * one refuses new sessions until enough of the running ones end). */
static void
tables_fit(void)
{
	size_t want = (size_t)cfg->max_clients;

	if (want <= capacity)
		return;
	children = xreallocarray(children, want, sizeof(*children));
	chan_of = xreallocarray(chan_of, want, sizeof(*chan_of));
	/* The last row is bans_shared's question (poll_bans). */
	pfds = xreallocarray(pfds, MAX_LISTENERS + want + 1, sizeof(*pfds));
	capacity = want;
}

/* A monitor's exit status is its count of failed logins. */
static void
note_failures(const struct child *c, int status)
{
	char ip[NET_ADDRSTRLEN];
	time_t now = time(NULL);

	/* No client known (proxy_protocol, before or without a header that
	 * names one): nobody to ban; never the proxy itself. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 0 ||
	    c->peer.ss_family == AF_UNSPEC)
		return;
	if (bans_record(&c->peer, (unsigned)WEXITSTATUS(status),
	    (unsigned)cfg->ban_after, (time_t)cfg->ban_seconds,
	    now) == 2) {
		MET_ADD(bans_total, 1);
		net_format_ip((const struct sockaddr *)&c->peer, ip,
		    sizeof(ip));
		log_event(LOG_WARNING, "ban", ip, NULL, "banned %s for %llu "
		    "s: too many failed logins", ip, cfg->ban_seconds);
		if (evsend_wanted(EV_BAN))
			send_ban(c, ip);
		if (cfg->bans_shared)
			bans_shared_add(&c->peer, now +
			    (time_t)cfg->ban_seconds);
	}
}

/* Banned here, or (bans_shared) by any node of the cluster. */
static int
banned(const struct sockaddr_storage *addr)
{
	time_t now = time(NULL);

	return bans_check(addr, now) ||
	    (cfg->bans_shared && bans_shared_check(addr, now));
}

static void
reap(void)
{
	pid_t pid;
	int status;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (acct_spawn_reaped(pid, status) ||
		    evspawn_reaped(pid, status) ||
		    metrics_spawn_reaped(pid, status))
			continue;
		if (WIFSIGNALED(status))
			log_msg(LOG_WARNING, "session %ld killed by signal %d",
			    (long)pid, WTERMSIG(status));
		for (i = 0; i < nchildren; i++) {
			if (children[i].pid == pid) {
				note_failures(&children[i], status);
				/* The account's count drops with it. */
				if (children[i].ask != -1)
					(void)close(children[i].ask);
				free(children[i].account);
				metrics_slot_free(children[i].metrics_slot);
				children[i] = children[--nchildren];
				break;
			}
		}
	}
}

static size_t
count_peer(const struct sockaddr_storage *peer)
{
	size_t i, n = 0;

	for (i = 0; i < nchildren; i++)
		if (net_same_host((const struct sockaddr *)&children[i].peer,
		    (const struct sockaddr *)peer))
			n++;
	return n;
}

/* Refuse politely without reading anything from the client. */
static void
refuse(int fd, const char *ip, const char *why)
{
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "421 %s\r\n", why);
	/* One attempt, never a wait: a refused client must not stall the
	 * accept loop (a fresh socket's buffer always has room for it). */
	(void)send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	/* The address in the client= place (log.c); behind proxies the
	 * connection is a proxy's (or a stranger's), never a client's. */
	if (cfg->proxy_protocol || strcmp(ip, "-") == 0)
		log_event(LOG_NOTICE, "refused", "", NULL, "refused %s: %s",
		    ip, why);
	else
		log_event(LOG_NOTICE, "refused", ip, NULL, "refused %s: %s",
		    ip, why);
	MET_ADD(refused_total, 1);
	(void)close(fd);
}

/*
 * In a fork of the master (a monitor, the metrics process): close what is
 * the master's alone.  Other sessions' channels and accounts are not this
 * process's business (and a session's front and user process would
 * inherit them).
 */
static void
close_master(void)
{
	size_t i;

	for (i = 0; i < nlisteners; i++)
		(void)close(listeners[i].fd);
	for (i = 0; i < nchildren; i++) {
		if (children[i].ask != -1)
			(void)close(children[i].ask);
		if (children[i].account != NULL)
			explicit_bzero(children[i].account,
			    strlen(children[i].account));
	}
	acct_spawn_child_close();
	metrics_spawn_child_close();
	/* The runner's end and event_socket are the runner's; the sending
	 * end stays, for a monitor's events. */
	evspawn_child_close();
}

/* The metrics process sends no events either: no sending end, so that
 * a subverted one cannot make hooks run. */
static void
close_for_metrics(void)
{
	close_master();
	evsend_close();
}

static void
spawn(int fd, const struct sockaddr_storage *peer, int implicit_tls)
{
	int ask[2] = { -1, -1 };
	int slot;
	pid_t pid;

	if (use_ask && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0, ask) == -1) {
		log_msg(LOG_ERR, "socketpair: %s", strerror(errno));
		refuse(fd, "-", "Server busy, try later.");
		return;
	}
	tls_rotate();
	slot = metrics_slot_take();
	pid = fork();
	if (pid == -1) {
		metrics_slot_free(slot);
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
		refuse(fd, "-", "Server busy, try later.");
		if (ask[0] != -1) {
			(void)close(ask[0]);
			(void)close(ask[1]);
		}
		return;
	}
	if (pid == 0) {
		close_master();
		if (ask[0] != -1)
			(void)close(ask[0]);
		metrics_slot_adopt(slot);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGCHLD, SIG_DFL);
		/* SIGHUP is for the master (reload); a session that gets one
		 * too (kill -HUP of the whole unit) goes on. */
		(void)signal(SIGHUP, SIG_IGN);
		monitor_run(fd, peer, implicit_tls, ask[1]);
	}
	if (ask[1] != -1)
		(void)close(ask[1]);
	children[nchildren].pid = pid;
	/* Behind a proxy the client is unknown until its header is read
	 * (proxy_answer): a zero peer counts for nobody. */
	memset(&children[nchildren].peer, 0, sizeof(children[nchildren].peer));
	if (!cfg->proxy_protocol)
		children[nchildren].peer = *peer;
	children[nchildren].ask = ask[0];
	children[nchildren].turn = cfg->proxy_protocol ? ASK_PROXY : ASK_LOGIN;
	children[nchildren].account = NULL;
	children[nchildren].metrics_slot = slot;
	nchildren++;
	MET_ADD(sessions_total, 1);
	(void)close(fd);
}

static void
accept_one(const struct listener *l)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char ip[NET_ADDRSTRLEN];
	int fd;

	fd = net_accept(l->fd, 0, &peer, &len, 0);
	if (fd == -1) {
		if (errno != EAGAIN && errno != ETIMEDOUT && errno != EINTR &&
		    errno != ECONNABORTED)
			log_msg(LOG_WARNING, "accept: %s", strerror(errno));
		return;
	}
	net_unmap_v4(&peer);
	net_format_ip((struct sockaddr *)&peer, ip, sizeof(ip));
	/* Behind a proxy, bans and max_per_ip wait for the client's name
	 * (proxy_answer); only the proxies may connect at all. */
	if (cfg->proxy_protocol && cfg->proxy_from_n > 0 &&
	    !netmask_match(cfg->proxy_from_list, cfg->proxy_from_n,
	    (struct sockaddr *)&peer))
		refuse(fd, ip, "Service not available.");
	else if (!cfg->proxy_protocol && banned(&peer))
		refuse(fd, ip, "Too many failed logins from your address; "
		    "try again later.");
	else if (nchildren >= cfg->max_clients)
		refuse(fd, ip, "Too many users, try later.");
	else if (!cfg->proxy_protocol && count_peer(&peer) >= cfg->max_per_ip)
		refuse(fd, ip, "Too many connections from your address.");
	else
		spawn(fd, &peer, l->implicit_tls);
}

static void
ask_close(struct child *c)
{
	(void)close(c->ask);
	c->ask = -1;
}

/*
 * proxy_protocol: a monitor names the client its PROXY header gave
 * (a struct sockaddr_storage; AF_UNSPEC when the header names none, as
 * for the proxy's own health checks) and hears one byte back, a
 * PROXY_VERDICT_*.  The same limits as at accept(2) apply, now to the
 * real client: bans and max_per_ip.  One question per session: the
 * channel then expects the login question (session limits) or is
 * closed, so a monitor cannot change its mind.
 */
static void
proxy_answer(struct child *c)
{
	struct sockaddr_storage who;
	unsigned char verdict = PROXY_VERDICT_OK;
	ssize_t n;

	memset(&who, 0, sizeof(who));
	/* MSG_TRUNC: the true length, so a longer message is no match. */
	n = recv(c->ask, &who, sizeof(who), MSG_DONTWAIT | MSG_TRUNC);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == (ssize_t)sizeof(who) && (who.ss_family == AF_UNSPEC ||
	    who.ss_family == AF_INET || who.ss_family == AF_INET6)) {
		/* AF_UNSPEC: no client to count or ban; the peer stays
		 * unknown. */
		if (who.ss_family != AF_UNSPEC) {
			net_unmap_v4(&who);
			if (banned(&who))
				verdict = PROXY_VERDICT_BANNED;
			else if (count_peer(&who) >= cfg->max_per_ip)
				verdict = PROXY_VERDICT_TOO_MANY;
			else
				c->peer = who;
		}
		if (send(c->ask, &verdict, 1, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    1 && verdict == PROXY_VERDICT_OK && cfg->session_limits) {
			c->turn = ASK_LOGIN;
			return;
		}
	}
	/* Anything else (end of file, a malformed question): the monitor
	 * reads the close as a refusal. */
	ask_close(c);
}

/* Live sessions counted for account name. */
static unsigned long long
count_account(const char *name)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i].account != NULL &&
		    strcmp(children[i].account, name) == 0)
			n++;
	return n;
}

/* The question is exactly what askproto.h says, NULs and all. */
static int
login_question_ok(const struct ask_login *q)
{
	size_t i;

	if (q->magic != ASK_LOGIN_MAGIC || q->namelen == 0 ||
	    q->namelen > ASK_NAME_MAX ||
	    memchr(q->name, '\0', q->namelen) != NULL)
		return 0;
	for (i = q->namelen; i < sizeof(q->name); i++)
		if (q->name[i] != '\0')
			return 0;
	return 1;
}

/*
 * Session limits: a monitor whose account just logged in names it and
 * its max_sessions, and hears one byte back, an ASK_LOGIN_*.  Counted
 * here, at answer time: two logins of one account at its limit - 1
 * arrive one after the other, and only the first passes.  The session
 * counts until the monitor is reaped.  The last question: the channel
 * is closed after it.
 */
static void
login_answer(struct child *c)
{
	struct ask_login q;
	unsigned char verdict = ASK_LOGIN_OK;
	ssize_t n;

	memset(&q, 0, sizeof(q));
	/* MSG_TRUNC: the true length, so a longer message is no match. */
	n = recv(c->ask, &q, sizeof(q), MSG_DONTWAIT | MSG_TRUNC);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == (ssize_t)sizeof(q) && login_question_ok(&q)) {
		if (q.limit > 0 && count_account(q.name) >= q.limit)
			verdict = ASK_LOGIN_TOO_MANY;
		if (send(c->ask, &verdict, 1, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    1 && verdict == ASK_LOGIN_OK) {
			c->account = xstrdup(q.name);
			/* The channel stays for a REIN's release. */
			c->turn = ASK_RELEASE;
			return;
		}
	}
	ask_close(c);
}

/*
 * REIN after a counted login: the account's session is over, the
 * connection is not.  Stop counting it and expect a login again.
 */
static void
release_answer(struct child *c)
{
	unsigned char verdict = ASK_RELEASE_OK;
	uint32_t q = 0;
	ssize_t n;

	n = recv(c->ask, &q, sizeof(q), MSG_DONTWAIT | MSG_TRUNC);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == (ssize_t)sizeof(q) && q == ASK_RELEASE_MAGIC &&
	    c->account != NULL) {
		free(c->account);
		c->account = NULL;
		if (send(c->ask, &verdict, 1, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    1) {
			c->turn = ASK_LOGIN;
			return;
		}
	}
	/* End of file (the session ended) or garbage: still counted until
	 * the monitor is reaped. */
	ask_close(c);
}

static void
answer(struct child *c)
{
	if (c->turn == ASK_PROXY)
		proxy_answer(c);
	else if (c->turn == ASK_LOGIN)
		login_answer(c);
	else
		release_answer(c);
}

/* The poll set: listeners first, then the channels still open. */
static nfds_t
poll_set(void)
{
	nfds_t n = 0;
	size_t i;

	for (i = 0; i < nlisteners; i++, n++) {
		pfds[n].fd = listeners[i].fd;
		pfds[n].events = POLLIN;
		pfds[n].revents = 0;
	}
	/* Without proxy_protocol or session limits there are no channels:
	 * no scan per wake. */
	for (i = 0; scan_asks && i < nchildren; i++) {
		if (children[i].ask == -1)
			continue;
		chan_of[n - nlisteners] = i;
		pfds[n].fd = children[i].ask;
		pfds[n].events = POLLIN;
		pfds[n].revents = 0;
		n++;
	}
	return n;
}

/* bans_shared: the question to the account service in flight, last in
 * the set (after every channel); its index, or 0 when none. */
static nfds_t
poll_bans(nfds_t *n)
{
	if (!cfg->bans_shared || bans_shared_fd() == -1)
		return 0;
	pfds[*n].fd = bans_shared_fd();
	pfds[*n].events = POLLIN;
	pfds[*n].revents = 0;
	return (*n)++;
}

/* The channels that poll found ready, pfds[nlisteners, nchan). */
static void
answer_channels(nfds_t nchan)
{
	nfds_t i;

	for (i = nlisteners; i < nchan; i++)
		if (pfds[i].revents != 0 &&
		    chan_of[i - nlisteners] < nchildren &&
		    children[chan_of[i - nlisteners]].ask == pfds[i].fd)
			answer(&children[chan_of[i - nlisteners]]);
}

/*
 * shutdown_grace: the listeners are closed, so the balancer's health
 * checks fail and it sends new clients to other nodes; the sessions
 * running go on (their logins, session limits and quota tallies still
 * answered) until they end or the grace is over.  A second SIGTERM ends
 * the grace at once.  shutdown_children then stops what is left.
 */
static void
drain(void)
{
	long long end = clock_ms() + (long long)cfg->shutdown_grace * 1000;
	nfds_t npfd;

	log_msg(LOG_NOTICE, "SIGTERM: no new sessions; waiting up to %llu s "
	    "for %zu session(s) to end", cfg->shutdown_grace, nchildren);
	got_term = 0;
	while (nchildren > 0 && !got_term && clock_ms() < end) {
		npfd = poll_set();
		if (poll(pfds, npfd, 200) > 0)
			answer_channels(npfd);
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		acct_spawn_tick();
	}
}

static void
shutdown_children(void)
{
	size_t i;
	int tries;

	for (i = 0; i < nchildren; i++)
		(void)kill(children[i].pid, SIGTERM);
	for (tries = 0; tries < 50 && nchildren > 0; tries++) {
		reap();
		if (nchildren > 0)
			(void)usleep(100000);
	}
	for (i = 0; i < nchildren; i++)
		(void)kill(children[i].pid, SIGKILL);
	reap();
}

/*
 * Each session holds its channel here until it logs in, so up to
 * max_clients of them may be open at once: more than the usual soft
 * limit of 1024 files.  Raise it toward the hard limit, once.
 */
static void
files_for_channels(void)
{
	rlim_t want = (rlim_t)cfg->max_clients + MAX_LISTENERS + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_msg(LOG_WARNING, "getrlimit(NOFILE): %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < want ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_msg(LOG_WARNING, "setrlimit(NOFILE): %s",
			    strerror(errno));
		else if (rl.rlim_cur < want)
			log_msg(LOG_WARNING, "open files limited to %llu: "
			    "fewer than max_clients sessions can wait for "
			    "their login at once", (unsigned long long)
			    rl.rlim_cur);
	}
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
}

/* What the master itself keeps from the configuration: at start, and
 * after a reload changed it (priv/reload.c did the rest). */
static void
master_configure(void)
{
	tables_fit();
	use_ask = cfg->proxy_protocol || cfg->session_limits;
	scan_asks |= use_ask;
	if (use_ask)
		files_for_channels();
}

int
master_run(void)
{
	nfds_t npfd, nchan, bans_at;
	size_t i;
	int n;

	install_signals();
	master_configure();
	/* Before the first monitor: each inherits the pages. */
	if (ratepool_create() == -1 || metrics_page_create() == -1 ||
	    metrics_spawn_start(close_for_metrics) == -1)
		return 1;
	/* After -D's fork: the service's parent must be the master that
	 * stays (it ends with its parent). */
	if (acct_spawn_start() == -1)
		return 1;
	/* Before the first monitor: each inherits the sending end. */
	if (evspawn_start() == -1) {
		acct_spawn_stop();
		return 1;
	}
	for (i = 0; i < nlisteners; i++)
		(void)net_set_nonblock(listeners[i].fd, 1);
	while (!got_term) {
		/* Here, between two polls, so no poll result is read
		 * against tables a reload resized.  Connections that
		 * arrive meanwhile wait in the listen queue. */
		if (got_hup) {
			got_hup = 0;
			if (reload_run() == 1)
				master_configure();
			/* Every SIGHUP, taken or refused: the runner writes
			 * the log too, and a fresh one opens the reopened
			 * file and reads cfg as it is now. */
			(void)evspawn_reload();
		}
		npfd = poll_set();
		nchan = npfd;
		bans_at = poll_bans(&npfd);
		n = poll(pfds, npfd, cfg->bans_shared ? bans_shared_wait_ms() :
		    1000);
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		acct_spawn_tick();
		evspawn_tick();
		if (metrics_shared != NULL) {
			metrics_spawn_tick();
			atomic_store_explicit(&metrics_shared->bans_active,
			    bans_active(time(NULL)), memory_order_relaxed);
		}
		if (bans_at != 0 && n > 0 && pfds[bans_at].revents != 0)
			bans_shared_ready();
		if (cfg->bans_shared)
			bans_shared_tick();
		if (n <= 0)
			continue;
		/* Channels before accepts: accept_one and reap reorder the
		 * table that chan_of indexes. */
		answer_channels(nchan);
		for (i = 0; i < nlisteners; i++)
			if (pfds[i].revents & POLLIN)
				accept_one(&listeners[i]);
	}
	for (i = 0; i < nlisteners; i++)
		(void)close(listeners[i].fd);
	nlisteners = 0;
	if (cfg->shutdown_grace > 0 && nchildren > 0)
		drain();
	log_msg(LOG_NOTICE, "shutting down: %zu session(s) signalled",
	    nchildren);
	bans_shared_stop();
	acct_spawn_stop();
	evspawn_stop();
	metrics_spawn_stop();
	shutdown_children();
	return 0;
}
