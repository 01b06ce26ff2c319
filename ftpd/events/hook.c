/*
 * hook.c - run event_exec for one event, and bound what it may do.
 *
 * Runs in the event runner (event_user, no new privileges).  The program
 * gets argv from event_exec (no shell), a fixed PATH and the event in
 * FTPD_* variables, nothing else of any environment; stdin is /dev/null,
 * stdout and stderr a pipe the runner drains all the time (the first
 * HOOK_OUT_KEEP bytes are logged, the rest counted and discarded), so a
 * hook that prints megabytes never blocks on it nor fills the runner's
 * memory.  Each hook leads a process group of its own: at
 * event_timeout, or when the hook itself exits, the group is killed, so
 * nothing a hook left running outlives it (a program that must go on
 * detaches with setsid(1) on purpose).  A fork bomb meets RLIMIT_NPROC,
 * set for event_user by the master (priv/evspawn.c).
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "config.h"
#include "events/events.h"

#define ENV_N		13
#define ENV_LEN		(EV_PATH_MAX + 16)
#define DRAIN_READS	16	/* reads per wake, so one hook cannot
				 * starve the others */

static char envbuf[ENV_N][ENV_LEN];

static void
env_set(size_t i, const char *name, const char *val)
{
	(void)snprintf(envbuf[i], sizeof(envbuf[i]), "%s=%s", name, val);
}

/* The environment, made in the runner before the fork. */
static void
make_env(const struct ev_rec *r, char **envp)
{
	char num[32];
	size_t i;

	env_set(0, "PATH", "/usr/local/bin:/usr/bin:/bin");
	env_set(1, "FTPD_EVENT", ev_type_name(r->type));
	env_set(2, "FTPD_USER", r->user);
	env_set(3, "FTPD_PATH", r->path);
	env_set(4, "FTPD_VPATH", r->vpath);
	(void)snprintf(num, sizeof(num), "%llu", (unsigned long long)r->bytes);
	env_set(5, "FTPD_BYTES", num);
	env_set(6, "FTPD_CLIENT", r->client);
	env_set(7, "FTPD_HOST", r->host);
	(void)snprintf(num, sizeof(num), "%lu", (unsigned long)r->session);
	env_set(8, "FTPD_SESSION", num);
	(void)snprintf(num, sizeof(num), "%lld", (long long)r->time);
	env_set(9, "FTPD_TIME", num);
	env_set(10, "FTPD_PATH2", r->path2);
	env_set(11, "FTPD_VPATH2", r->vpath2);
	for (i = 0; i < ENV_N - 1; i++)
		envp[i] = envbuf[i];
	envp[ENV_N - 1] = NULL;
}

static void __attribute__((noreturn))
child(int out, char **envp)
{
	static const char msg[] = "event_exec: cannot run the program\n";
	sigset_t none;
	int fd, sig;

	(void)setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd == -1 || dup2(fd, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(out, 2) == -1)
		_exit(126);
	(void)close_range(3, ~0U, 0);
	execve(cfg->event_argv[0], cfg->event_argv, envp);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

int
hook_start(struct hook *h, const struct ev_rec *r)
{
	char *envp[ENV_N];
	int p[2];
	pid_t pid;

	make_env(r, envp);
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_msg(LOG_ERR, "events: pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		(void)close(p[0]);
		child(p[1], envp);
	}
	(void)close(p[1]);
	if (pid == -1) {
		log_msg(LOG_ERR, "events: hook for %s not started: fork: %s",
		    ev_type_name(r->type), strerror(errno));
		(void)close(p[0]);
		return -1;
	}
	/* Also here: a kill at the deadline must find the group even if
	 * the child has not run yet. */
	(void)setpgid(pid, pid);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->out = p[0];
	h->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	h->deadline = clock_ms() + (long long)cfg->event_timeout * 1000;
	h->type = r->type;
	return 0;
}

void
hook_drain(struct hook *h)
{
	char chunk[65536];
	ssize_t n;
	size_t room, take;
	int i;

	for (i = 0; h->out != -1 && i < DRAIN_READS; i++) {
		n = read(h->out, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				(void)close(h->out);
				h->out = -1;
			}
			return;
		}
		room = sizeof(h->kept) - h->nkept;
		take = (size_t)n < room ? (size_t)n : room;
		memcpy(h->kept + h->nkept, chunk, take);
		h->nkept += take;
		h->discarded += (unsigned long long)((size_t)n - take);
	}
}

/* Its output, one log line per line of it (a long one in pieces: the
 * log cuts a line at about a kilobyte). */
#define LOG_PIECE	900

static void
log_output(const struct hook *h)
{
	const char *p = h->kept, *end = h->kept + h->nkept, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p) > LOG_PIECE ? LOG_PIECE : (size_t)(nl - p);
		if (n > 0)
			log_msg(LOG_INFO, "events: hook %ld (%s): %.*s",
			    (long)h->pid, ev_type_name(h->type), (int)n, p);
		p = p + n < nl ? p + n : nl + 1;
	}
	if (h->discarded > 0)
		log_msg(LOG_WARNING, "events: hook %ld (%s): %llu more bytes "
		    "of output discarded", (long)h->pid,
		    ev_type_name(h->type), h->discarded);
}

static void
finish(struct hook *h, int status)
{
	hook_drain(h);
	log_output(h);
	if (h->timed_out)
		log_msg(LOG_WARNING, "events: hook %ld (%s) timed out after "
		    "%llu s: its process group was killed", (long)h->pid,
		    ev_type_name(h->type), cfg->event_timeout);
	else if (WIFSIGNALED(status))
		log_msg(LOG_WARNING, "events: hook %ld (%s) killed by signal "
		    "%d", (long)h->pid, ev_type_name(h->type),
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_msg(LOG_WARNING, "events: hook %ld (%s) exited with "
		    "status %d", (long)h->pid, ev_type_name(h->type),
		    WEXITSTATUS(status));
	else
		log_msg(LOG_DEBUG, "events: hook %ld (%s) done",
		    (long)h->pid, ev_type_name(h->type));
	if (h->out != -1)
		(void)close(h->out);
	if (h->pidfd != -1)
		(void)close(h->pidfd);
	h->out = h->pidfd = -1;
	h->pid = 0;
}

int
hook_check(struct hook *h, long long now)
{
	siginfo_t si;
	int status = 0, rc;

	if (h->pid == 0)
		return 1;
	/* Ended?  Not reaped yet (WNOWAIT): while it is a zombie its group
	 * id stays its own, so the kill below cannot reach a stranger's
	 * group.  Whatever it left in its group goes with it. */
	memset(&si, 0, sizeof(si));
	rc = waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	if (rc == 0 && si.si_pid == h->pid) {
		(void)kill(-h->pid, SIGKILL);
		(void)waitpid(h->pid, &status, 0);
		finish(h, status);
		return 1;
	}
	if (rc == -1 && errno == ECHILD) {	/* cannot happen: say so */
		finish(h, 0);
		return 1;
	}
	if (!h->timed_out && now >= h->deadline) {
		h->timed_out = 1;
		(void)kill(-h->pid, SIGKILL);
		(void)kill(h->pid, SIGKILL);
	}
	return 0;
}

void
hook_kill(struct hook *h)
{
	int status = 0;

	if (h->pid == 0)
		return;
	(void)kill(-h->pid, SIGKILL);
	(void)kill(h->pid, SIGKILL);
	(void)waitpid(h->pid, &status, 0);
	h->timed_out = 0;
	finish(h, status);
}
