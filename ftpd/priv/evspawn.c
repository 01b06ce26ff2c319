/*
 * evspawn.c - start, restart and stop the event runner.
 *
 * Runs in the master, as root.  The runner is forked, not executed: it
 * needs nothing but the configuration it is started with (a reload
 * starts a new one from the new configuration), and before it runs any
 * of its code the fork gives up everything else here: every descriptor
 * but its channel, event_socket and the log, then root for good
 * (event_user: no groups, no new privileges, not dumpable, no core
 * files, RLIMIT_NPROC for its hooks, nice 10).  The master's memory holds no
 * secret a runner could use: the TLS key is a sealed file the master
 * never parses, and the account service's passwords live in that
 * program.
 *
 * The channel is an AF_UNIX SOCK_SEQPACKET socketpair made before the
 * first session: the master keeps both ends, so a runner that dies and
 * is started again reads on at the same end, and the events sent
 * meanwhile wait in the socket until it is full (then they are dropped
 * and counted by the senders, evsend.c).  A runner that dies is started
 * again at once if it ran for a while, else after a pause that doubles
 * up to 30 s, as the account service is (acct_spawn.c).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "priv/evsend.h"
#include "priv/evspawn.h"
#include "priv/respawn.h"
#include "roles.h"

#define CHAN_BUF	(4 * 1024 * 1024)	/* bytes the channel holds */
#define NPROC_PER_HOOK	16	/* processes one hook may have at once */
#define EVENTS_NICE	10	/* the runner's and its hooks' niceness */

static int recv_fd = -1;	/* the runner's end, kept for restarts */
static int sock_fd = -1;	/* event_socket, listening */
static char *sock_path;		/* what was bound, for the unlink */
static pid_t runner_pid = -1;
static struct respawn again;	/* when a dead runner starts again */

/* event_socket: a Unix socket owned by event_user, mode 0660 (its group
 * may connect too); a stale socket of the same name is replaced, any
 * other file is not. */
static int
bind_socket(void)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int rc;

	if (strlen(cfg->event_socket) >= sizeof(sa.sun_path)) {
		log_msg(LOG_ERR, "events: event_socket: path too long");
		return -1;
	}
	if (lstat(cfg->event_socket, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_msg(LOG_ERR, "events: event_socket: %s exists "
			    "and is not a socket", cfg->event_socket);
			return -1;
		}
		(void)unlink(cfg->event_socket);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, cfg->event_socket, strlen(cfg->event_socket));
	sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (sock_fd == -1) {
		log_msg(LOG_ERR, "events: socket: %s", strerror(errno));
		return -1;
	}
	/* Made 0660 by bind itself, and its owner set without following
	 * a symbolic link: whoever may write the directory could swap the
	 * new socket for a link to a file root would then give away. */
	old = umask(0117);
	rc = bind(sock_fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old);
	if (rc == -1 || listen(sock_fd, 16) == -1 ||
	    (!cfg->unprivileged && lchown(cfg->event_socket, cfg->event_uid,
	    cfg->event_gid) == -1)) {
		log_msg(LOG_ERR, "events: event_socket %s: %s",
		    cfg->event_socket, strerror(errno));
		(void)close(sock_fd);
		sock_fd = -1;
		return -1;
	}
	sock_path = strdup(cfg->event_socket);
	return 0;
}

static int
make_channel(void)
{
	int sv[2], size = CHAN_BUF;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_msg(LOG_ERR, "events: socketpair: %s", strerror(errno));
		return -1;
	}
	/* Room for a burst while the runner is busy or restarting; root
	 * may go past net.core.wmem_max. */
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
	recv_fd = sv[0];
	evsend_fd = sv[1];
	return 0;
}

/* In the runner's fork: every descriptor but keep[] closed. */
static void
close_all_but(int *keep, size_t n)
{
	unsigned lo = 3;
	size_t i, j;
	int t;

	/* Sorted, so the gaps between them can be closed in ranges. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (i = 0; i < n; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < lo)
			continue;
		if ((unsigned)keep[i] > lo)
			(void)close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	(void)close_range(lo, ~0U, 0);
}

/* In the runner's fork, as root: give it all up for good. */
static int
drop(pid_t master)
{
	struct rlimit none = { 0, 0 };
	struct rlimit nproc;
	rlim_t n = (rlim_t)cfg->event_max_running * NPROC_PER_HOOK + 4;
	uid_t u = (uid_t)cfg->event_uid;
	gid_t g = (gid_t)cfg->event_gid;

	nproc.rlim_cur = nproc.rlim_max = n;
	if (setrlimit(RLIMIT_CORE, &none) == -1)
		return -1;
	/* Hooks yield the CPU to sessions: a program per upload on a busy
	 * server must not slow the transfers it reports (inherited). */
	if (setpriority(PRIO_PROCESS, 0, EVENTS_NICE) == -1)
		return -1;
	if (!cfg->unprivileged) {
		if (setgroups(0, NULL) == -1 || setresgid(g, g, g) == -1 ||
		    setresuid(u, u, u) == -1)
			return -1;
		if (setuid(0) != -1 || geteuid() == 0)
			return -1;
		/* Counted per uid: the hooks, their children and the
		 * runner itself; event_user is no one else's. */
		if (setrlimit(RLIMIT_NPROC, &nproc) == -1)
			return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 ||
	    getppid() != master || chdir("/") == -1)
		return -1;
	return 0;
}

static void
start(void)
{
	sigset_t all, old;
	pid_t pid, master = getpid();
	int keep[3];

	(void)sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGCHLD, SIG_DFL);
		(void)signal(SIGHUP, SIG_IGN);
		(void)signal(SIGPIPE, SIG_IGN);
		/* The syslog socket goes with the rest; closed the proper
		 * way, so that syslog(3) connects again instead of writing
		 * to whatever takes the number next. */
		closelog();
		keep[0] = recv_fd;
		keep[1] = sock_fd;
		keep[2] = log_fd();
		close_all_but(keep, 3);
		evsend_fd = -1;
		if (drop(master) == -1) {
			log_msg(LOG_ERR, "events: cannot become event_user "
			    "%u:%u: %s", cfg->event_uid, cfg->event_gid,
			    strerror(errno));
			_exit(1);
		}
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		events_main(recv_fd, sock_fd);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		log_msg(LOG_ERR, "events: fork: %s", strerror(errno));
		again.restart_at = time(NULL) + 1;
		return;
	}
	runner_pid = pid;
	respawn_started(&again);
}

int
evspawn_start(void)
{
	if (!cfg->events)
		return 0;
	if (recv_fd == -1 && make_channel() == -1)
		return -1;
	if (cfg->event_socket[0] != '\0' && bind_socket() == -1)
		return -1;
	start();
	return runner_pid == -1 ? -1 : 0;
}

int
evspawn_reaped(pid_t pid, int status)
{
	if (pid != runner_pid || pid <= 0)
		return 0;
	runner_pid = -1;
	respawn_died(&again, "events: the event runner", status);
	evspawn_tick();
	return 1;
}

void
evspawn_tick(void)
{
	if (recv_fd != -1 && runner_pid == -1 && respawn_due(&again))
		start();
}

void
evspawn_child_close(void)
{
	if (recv_fd != -1)
		(void)close(recv_fd);
	if (sock_fd != -1)
		(void)close(sock_fd);
	recv_fd = sock_fd = -1;
}

static void
stop_runner(void)
{
	int i;

	if (runner_pid <= 0)
		return;
	(void)kill(runner_pid, SIGTERM);
	for (i = 0; i < 30; i++) {
		if (waitpid(runner_pid, NULL, WNOHANG) == runner_pid)
			break;
		(void)usleep(100000);
	}
	if (i == 30) {
		(void)kill(runner_pid, SIGKILL);
		(void)waitpid(runner_pid, NULL, 0);
	}
	runner_pid = -1;
}

static void
close_socket(void)
{
	if (sock_fd != -1)
		(void)close(sock_fd);
	sock_fd = -1;
	if (sock_path != NULL)
		(void)unlink(sock_path);
	free(sock_path);
	sock_path = NULL;
}

void
evspawn_stop(void)
{
	stop_runner();
	close_socket();
}

int
evspawn_reload(void)
{
	stop_runner();
	close_socket();
	respawn_reset(&again);
	if (!cfg->events) {
		if (recv_fd != -1)
			(void)close(recv_fd);
		recv_fd = -1;
		evsend_close();
		return 0;
	}
	return evspawn_start();
}
