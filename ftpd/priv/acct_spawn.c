/*
 * acct_spawn.c - start and restart the account service (ftpd-accounts).
 *
 * Runs in the master.  The service is a program of its own, executed
 * rather than forked: the database and directory libraries are then
 * never mapped into the master, so the sessions it forks carry none of
 * them, and the service starts from a clean address space with nothing
 * of the master's memory.
 *
 * Its listening socket is an abstract Unix socket made here, named with
 * the master's pid and random bytes: no file to leave behind or to
 * guard, and taken before any other process could claim the name.  The
 * service accepts only connections from ftpd's own uid (SO_PEERCRED);
 * the authentication child checks the service is account_user in turn.
 * Until the service listens, a login finds the door shut (421).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "priv/acct_service.h"
#include "priv/respawn.h"

#define SERVICE_FD	3	/* where ftpd-accounts finds its socket */
#define ARGV_MAX	(2 * 256 + 8)
#define RETIRE_WAIT	2	/* seconds a retired service may take to go */

/* The abstract name the authentication child connects to (inherited
 * through fork); see acct_client.c. */
char acct_sock_name[ACCT_SOCK_NAME_MAX];

static const char *conf_path;
static int conf_explicit;
static char *const *conf_over;
static size_t conf_nover;
static int listen_fd = -1;
static pid_t service_pid = -1;
static struct respawn again;	/* when a dead service starts again */
/* A service a reload told to stop; its successor starts once it is
 * reaped (or RETIRE_WAIT seconds later), not beside it. */
static pid_t retired_pid = -1;
static time_t retired_at;
static char helper[PATH_MAX];

void
acct_spawn_args(const char *path, int explicit, char *const *overrides,
    size_t noverrides)
{
	conf_path = path;
	conf_explicit = explicit;
	conf_over = overrides;
	conf_nover = noverrides;
}

/* ftpd-accounts lives next to ftpd (both installed in sbin). */
static int
find_helper(void)
{
	ssize_t n = readlink("/proc/self/exe", helper, sizeof(helper) - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= sizeof(helper) - 16)
		return -1;
	helper[n] = '\0';
	slash = strrchr(helper, '/');
	if (slash == NULL)
		return -1;
	(void)snprintf(slash + 1, sizeof(helper) - (size_t)(slash + 1 -
	    helper), "ftpd-accounts");
	return access(helper, X_OK);
}

static int
make_socket(void)
{
	struct sockaddr_un sa;
	unsigned char rnd[8];
	socklen_t len;
	size_t i, n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	n = (size_t)snprintf(acct_sock_name, sizeof(acct_sock_name),
	    "ftpd-accounts-%ld-", (long)getpid());
	for (i = 0; i < sizeof(rnd) && n + 2 < sizeof(acct_sock_name); i++)
		n += (size_t)snprintf(acct_sock_name + n,
		    sizeof(acct_sock_name) - n, "%02x", rnd[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, acct_sock_name, n);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (listen_fd == -1)
		return -1;
	/* Bound here, to hold the name; listen(2) is the service's, after
	 * it dropped root: the credentials a connecting client reads with
	 * SO_PEERCRED are the listener's at that moment, account_user's. */
	if (bind(listen_fd, (struct sockaddr *)&sa, len) == -1) {
		(void)close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	return 0;
}

static void __attribute__((noreturn))
exec_helper(void)
{
	char *argv[ARGV_MAX];
	size_t n = 0, i;

	argv[n++] = helper;
	/* Without -f, the service looks for the same default file ftpd
	 * did, and does without it the same way. */
	if (conf_explicit && conf_path != NULL) {
		argv[n++] = (char *)"-f";
		argv[n++] = (char *)conf_path;
	}
	for (i = 0; i < conf_nover && n + 3 < ARGV_MAX; i++) {
		argv[n++] = (char *)"-o";
		argv[n++] = conf_over[i];
	}
	argv[n] = NULL;
	/* dup2 onto itself would keep close-on-exec: clear it then. */
	if (listen_fd == SERVICE_FD ? fcntl(listen_fd, F_SETFD, 0) == -1 :
	    dup2(listen_fd, SERVICE_FD) == -1)
		_exit(127);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGHUP, SIG_DFL);
	(void)signal(SIGPIPE, SIG_DFL);
	execv(helper, argv);
	log_msg(LOG_ERR, "accounts: exec %s: %s", helper, strerror(errno));
	_exit(127);
}

static void
start(void)
{
	sigset_t all, old;
	pid_t pid;

	/* Signals stay held until the handlers are reset in the child. */
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		exec_helper();
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		log_msg(LOG_ERR, "accounts: fork: %s", strerror(errno));
		return;
	}
	service_pid = pid;
	respawn_started(&again);
}

int
acct_spawn_start(void)
{
	if (!cfg->acct_service)
		return 0;
	if (find_helper() == -1) {
		log_msg(LOG_ERR, "accounts: %s not found or not executable "
		    "(it is installed next to ftpd)", helper);
		return -1;
	}
	if (make_socket() == -1) {
		log_msg(LOG_ERR, "accounts: socket: %s", strerror(errno));
		return -1;
	}
	start();
	return service_pid == -1 ? -1 : 0;
}

int
acct_spawn_reaped(pid_t pid, int status)
{
	if (pid == retired_pid && pid > 0) {
		retired_pid = -1;
		log_msg(LOG_INFO, "accounts: the account service of the "
		    "previous configuration ended (status %d)", status);
		acct_spawn_tick();
		return 1;
	}
	if (pid != service_pid || pid <= 0)
		return 0;
	service_pid = -1;
	respawn_died(&again, "accounts: the account service", status);
	acct_spawn_tick();
	return 1;
}

void
acct_spawn_tick(void)
{
	if (listen_fd != -1 && service_pid == -1 && respawn_due(&again) &&
	    (retired_pid == -1 || time(NULL) >= retired_at + RETIRE_WAIT))
		start();
}

/*
 * The keys ftpd-accounts reads (accounts/): a reload that changes one of
 * them restarts it, since it reads its configuration only at start.  A
 * new key the service reads belongs here; families go by prefix, so
 * that a key added to one (ldap_attr_plan) restarts it too.
 */
static const char *const service_keys[] = {
	"account*", "sql_*", "ldap_*", "log", "log_level", "log_format",
	"seccomp",
};

static void
retire(void)
{
	if (service_pid <= 0)
		return;
	(void)kill(service_pid, SIGTERM);
	retired_pid = service_pid;
	retired_at = time(NULL);
	service_pid = -1;
}

int
acct_spawn_reload(const struct ftpd_config *old)
{
	size_t i;
	int changed = 0;

	if (!old->acct_service && !cfg->acct_service)
		return 0;
	for (i = 0; i < sizeof(service_keys) / sizeof(service_keys[0]); i++)
		changed |= config_key_changed(old, cfg, service_keys[i]);
	if (old->acct_service && cfg->acct_service && !changed)
		return 0;	/* the running service serves as it is */
	retire();
	if (!cfg->acct_service) {
		acct_spawn_child_close();
		log_msg(LOG_NOTICE, "accounts: the account service stops "
		    "(no sql or ldap in accounts any more)");
		return 0;
	}
	if (listen_fd == -1)
		return acct_spawn_start();
	/* Same socket: sessions forked before still find a service.  The
	 * new one listens again, as the new account_user. */
	respawn_reset(&again);
	log_msg(LOG_NOTICE, "accounts: restarting the account service for "
	    "the new configuration");
	acct_spawn_tick();
	return 0;
}

void
acct_spawn_child_close(void)
{
	if (listen_fd != -1)
		(void)close(listen_fd);
	listen_fd = -1;
}

void
acct_spawn_stop(void)
{
	int i;

	if (retired_pid > 0)
		(void)kill(retired_pid, SIGKILL);
	if (service_pid <= 0)
		return;
	(void)kill(service_pid, SIGTERM);
	for (i = 0; i < 30; i++) {
		if (waitpid(service_pid, NULL, WNOHANG) == service_pid)
			break;
		(void)usleep(100000);
	}
	if (i == 30) {
		(void)kill(service_pid, SIGKILL);
		(void)waitpid(service_pid, NULL, 0);
	}
	service_pid = -1;
}
