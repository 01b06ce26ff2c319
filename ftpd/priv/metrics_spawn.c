/*
 * metrics_spawn.c - starts the metrics process (metrics/metrics.c).
 *
 * Runs in the master.  The socket of metrics_listen is bound here, as
 * root (a port below 1024, a socket path in a root-owned directory),
 * before the first fork.  The process is forked from the master after the
 * counters page is made; in the child, still root, everything else is
 * closed, the page is made read-only, the ids are dropped
 * (become_metrics) and the seccomp filter installed; only then does the
 * role's code run (roles.h).  A process that dies is restarted after a
 * pause (priv/respawn.c).
 * Nothing in the master waits for it: it is one more child to reap.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "config.h"
#include "priv/metrics_page.h"
#include "priv/metrics_spawn.h"
#include "priv/respawn.h"
#include "priv/privdrop.h"
#include "roles.h"
#include "sandbox.h"
#include "tls/tls.h"
#include "tls/tls_identity.h"

#define METRICS_BACKLOG		64

static int listen_fd = -1;
static pid_t pid = -1;
static struct respawn again;	/* when a dead process starts again */
static int dead;		/* ended, not started again yet */
static int in_child;	/* this is the metrics process: keep the socket */

static int
listen_unix(const char *path)
{
	struct sockaddr_un un;
	struct stat st;
	int fd;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	/* Checked at load: it fits. */
	(void)snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	/* A socket left by an earlier run is replaced; anything else at the
	 * path is not ours to remove. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    unlink(path) == -1) {
		log_msg(LOG_ERR, "metrics_listen: unlink %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) == -1 ||
	    listen(fd, METRICS_BACKLOG) == -1) {
		log_msg(LOG_ERR, "metrics_listen: %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	/* Who may scrape is the directory's permissions' business. */
	if (chmod(path, 0666) == -1)
		log_msg(LOG_WARNING, "metrics_listen: chmod %s: %s", path,
		    strerror(errno));
	return fd;
}

int
metrics_spawn_listen(void)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (cfg->metrics_listen[0] == '\0')
		return 0;
	if (cfg->metrics_listen[0] == '/')
		listen_fd = listen_unix(cfg->metrics_listen);
	else if (net_parse_addr(cfg->metrics_listen, &ss, &len) == 0) {
		listen_fd = net_listen((struct sockaddr *)&ss, len,
		    METRICS_BACKLOG);
		if (listen_fd == -1)
			log_msg(LOG_ERR, "metrics_listen %s: %s",
			    cfg->metrics_listen, strerror(errno));
	}
	if (listen_fd == -1)
		return -1;
	log_msg(LOG_NOTICE, "metrics on %s", cfg->metrics_listen);
	return 0;
}

/* In the fork: confine, then serve.  Never returns. */
static void __attribute__((noreturn))
child(void (*close_others)(void))
{
	struct metrics_page *page = metrics_shared;

	/* Nothing of the master's but the socket and the page: not the
	 * FTP listeners, the sessions' channels and names, the account
	 * service's socket, the TLS ticket secret or the key's copy. */
	in_child = 1;
	close_others();
	tls_secret_forget(1);
	tls_identity_forget();

	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGPIPE, SIG_IGN);
	if (mprotect(page, metrics_page_size(), PROT_READ) == -1) {
		log_msg(LOG_ERR, "metrics: mprotect: %s", strerror(errno));
		_exit(1);
	}
	if (net_set_nonblock(listen_fd, 1) == -1 || become_metrics() == -1 ||
	    sandbox_enter(SANDBOX_METRICS) == -1)
		_exit(1);
	metrics_main(listen_fd, page);
}

static void (*close_master)(void);

int
metrics_spawn_start(void (*close_others)(void))
{
	if (listen_fd == -1 || metrics_shared == NULL)
		return 0;
	pid = fork();
	if (pid == -1) {
		log_msg(LOG_ERR, "metrics: fork: %s", strerror(errno));
		again.restart_at = time(NULL) + 1;
		dead = 1;
		return 0;
	}
	close_master = close_others;
	if (pid == 0)
		child(close_others);
	respawn_started(&again);
	dead = 0;
	return 0;
}

int
metrics_spawn_reaped(pid_t p, int status)
{
	if (pid <= 0 || p != pid)
		return 0;
	pid = -1;
	respawn_died(&again, "metrics: the metrics process", status);
	dead = 1;
	return 1;
}

void
metrics_spawn_tick(void)
{
	if (pid == -1 && listen_fd != -1 && dead && respawn_due(&again))
		(void)metrics_spawn_start(close_master);
}

void
metrics_spawn_child_close(void)
{
	if (in_child)
		return;
	if (listen_fd != -1)
		(void)close(listen_fd);
	listen_fd = -1;
}

void
metrics_spawn_stop(void)
{
	int status;

	if (pid > 0) {
		(void)kill(pid, SIGTERM);
		(void)waitpid(pid, &status, 0);
		pid = -1;
	}
	if (listen_fd != -1) {
		(void)close(listen_fd);
		listen_fd = -1;
		if (cfg->metrics_listen[0] == '/')
			(void)unlink(cfg->metrics_listen);
	}
}
