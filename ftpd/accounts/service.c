/*
 * service.c - ftpd-accounts, the account service: main and the pool.
 *
 * Started by ftpd's master (priv/acct_spawn.c) with the same -f and -o
 * arguments, and the listening socket of the service as descriptor 3.
 * As root it reads the configuration and the backends' password files,
 * then gives up root for account_user for good (confine.c) and forks
 * accounts_pool workers (worker.c), each of which installs the seccomp
 * filter before it talks to any database or directory.  This process
 * only keeps the pool full: a worker that dies is replaced, at most one
 * replacement per slot and second, so a worker killed on every lookup
 * cannot spin the machine.  The master, in turn, restarts this process.
 *
 * No database or directory library runs as root: the drop comes before
 * the first connection.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "accounts/service.h"

#define LISTEN_FD	3
#define MAX_OVERRIDES	256
#define POOL_MAX	64

static volatile sig_atomic_t got_term;
static pid_t pool[POOL_MAX];
static time_t started_at[POOL_MAX];

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int
load_config(int argc, char **argv)
{
	char *overrides[MAX_OVERRIDES], err[1024];
	const char *path = "/etc/ftpd.conf";
	size_t nover = 0;
	int explicit = 0, c;

	while ((c = getopt(argc, argv, "f:o:")) != -1) {
		if (c == 'f') {
			path = optarg;
			explicit = 1;
		} else if (c == 'o' && nover < MAX_OVERRIDES)
			overrides[nover++] = optarg;
		else
			return -1;
	}
	if (config_load(path, explicit, overrides, nover, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "ftpd-accounts: %s\n", err);
		return -1;
	}
	return 0;
}

static int
read_secrets(struct acct_secrets *sec, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cfg->acct_nchain; i++) {
		if ((cfg->acct_chain[i] == SRC_SQL &&
		    secret_read("sql_password_file", cfg->sql_password_file,
		    sec->sql, sizeof(sec->sql), err, errlen) == -1) ||
		    (cfg->acct_chain[i] == SRC_LDAP &&
		    secret_read("ldap_bind_password_file",
		    cfg->ldap_bind_password_file, sec->ldap,
		    sizeof(sec->ldap), err, errlen) == -1))
			return -1;
	}
	return 0;
}

static pid_t
start_worker(unsigned peer_uid, const struct acct_secrets *sec)
{
	char err[512];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	(void)signal(SIGTERM, SIG_DFL);
	/* Ends with the pool's keeper, whatever killed it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	if (confine_filter(err, sizeof(err)) == -1) {
		log_msg(LOG_ERR, "accounts: %s", err);
		_exit(1);
	}
	worker_run(LISTEN_FD, peer_uid, sec);
}

static void
keep_pool(unsigned peer_uid, const struct acct_secrets *sec)
{
	size_t n = (size_t)cfg->accounts_pool, i;
	int status;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pool[i] = start_worker(peer_uid, sec);
		started_at[i] = time(NULL);
	}
	while (!got_term) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			if (errno == ECHILD)
				(void)sleep(1);
			continue;
		}
		for (i = 0; i < n && pool[i] != pid; i++)
			;
		if (i == n)
			continue;
		if (WIFSIGNALED(status))
			log_msg(LOG_ERR, "accounts: worker %ld killed by signal "
			    "%d%s", (long)pid, WTERMSIG(status),
			    WTERMSIG(status) == SIGSYS ? " (a system call "
			    "outside the seccomp allow-list)" : "");
		if (time(NULL) - started_at[i] < 1)
			(void)sleep(1);
		pool[i] = got_term ? -1 : start_worker(peer_uid, sec);
		started_at[i] = time(NULL);
	}
	for (i = 0; i < n; i++)
		if (pool[i] > 0)
			(void)kill(pool[i], SIGTERM);
}

int
main(int argc, char **argv)
{
	static struct acct_secrets sec;
	struct sigaction sa;
	char err[512];
	unsigned peer_uid = (unsigned)geteuid();
	int type = 0;
	socklen_t len = sizeof(type);

	err[0] = '\0';
	log_std_prepare();
	if (load_config(argc, argv) == -1)
		return 1;
	if (log_open(cfg->log, "ftpd-accounts") == -1) {
		fprintf(stderr, "ftpd-accounts: log %s: %s\n", cfg->log,
		    strerror(errno));
		return 1;
	}
	log_set_level((int)(LOG_ERR + cfg->log_level));
	log_set_json(cfg->log_format == 1);
	if (getsockopt(LISTEN_FD, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET) {
		log_msg(LOG_ERR, "accounts: descriptor %d is not the service's "
		    "socket (ftpd starts ftpd-accounts itself)", LISTEN_FD);
		return 1;
	}
	/* listen(2) after the drop: clients read these ids (SO_PEERCRED)
	 * to know they talk to the service (acct_spawn.c). */
	if (read_secrets(&sec, err, sizeof(err)) == -1 || confine_drop(err, sizeof(err)) == -1 ||
	    listen(LISTEN_FD, 4096) == -1) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "listen: %s",
			    strerror(errno));
		log_msg(LOG_ERR, "accounts: %s", err);
		explicit_bzero(&sec, sizeof(sec));
		return 1;
	}
	/* The drop cleared it: ends with the master, whatever killed it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	log_msg(LOG_INFO, "accounts: serving with %llu worker(s) as uid %u",
	    cfg->accounts_pool, (unsigned)getuid());
	keep_pool(peer_uid, &sec);
	explicit_bzero(&sec, sizeof(sec));
	return 0;
}
