/*
 * shutdown.c - what a session's front or user process does when the
 * server stops.
 *
 * The master sends SIGTERM to every monitor, which passes it on to the
 * process serving the client (monitor.c).  Here the signal only sets a
 * flag that the command loop and the transfer loops check (ctl.c,
 * xfer.c): the client then gets 426 for a cut transfer and 421 for the
 * session instead of a bare close, and the monitor removes the session's
 * scoreboard record and logs its end.  One thing cannot wait for the
 * loops, because the master kills what is left after a few seconds: an
 * upload's temporary file (atomic_uploads) is unlinked in the handler
 * itself, so a stopped server leaves no ".ftpd-upload.*" behind.  A
 * resume works on the user's own file, moved aside to its partial name
 * ".ftpd-partial.<name>": that one is renamed back, never unlinked (it
 * is the user's data), and is registered before the rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shutdown.h"

volatile sig_atomic_t shutdown_requested;
volatile sig_atomic_t shutdown_killed;

/* The temporary file: name and dirfd are written before temp_live is set
 * (a signal fence keeps the compiler from reordering that) and read by
 * the handler only while it is.  temp_removed: the handler unlinked it,
 * so the upload must not unlink that name again (it may be another
 * session's file by then). */
static volatile sig_atomic_t temp_live;
static volatile sig_atomic_t temp_removed;
static int temp_dirfd = -1;
static char temp_name[256];	/* NAME_MAX + 1 */
/* Restore mode: rename to temp_home if free, else to temp_fallback. */
static volatile sig_atomic_t temp_restore;
static char temp_home[256];
static char temp_fallback[256];

/* Async-signal-safe: renameat2 and renameat are bare system calls. */
static int
temp_put_back(void)
{
	if (renameat2(temp_dirfd, temp_name, temp_dirfd, temp_home,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (temp_fallback[0] != '\0' && renameat(temp_dirfd, temp_name,
	    temp_dirfd, temp_fallback) == 0)
		return 0;
	return -1;
}

static void
on_term(int sig)
{
	/* The interrupted code may be about to read errno. */
	int saved = errno;

	(void)sig;
	shutdown_requested = 1;
	if (temp_live) {
		temp_live = 0;
		if (temp_restore ? temp_put_back() == 0 :
		    unlinkat(temp_dirfd, temp_name, 0) == 0)
			temp_removed = 1;
	}
	errno = saved;
}

/*
 * An administrator ends the session (ftpwho -k, through the monitor):
 * the loops end it as they do on SIGTERM, but the session is not being
 * stopped with the server, so nothing is removed here: the upload's own
 * code sees a cut (XFER_NET_ERROR) and keeps or removes what arrived by
 * the rules for a lost connection.
 */
static void
on_kill(int sig)
{
	(void)sig;
	shutdown_killed = 1;
	shutdown_requested = 1;
}

void
shutdown_install(void)
{
	struct sigaction sa;
	sigset_t term;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaddset(&sa.sa_mask, SIGUSR1);
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_kill;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
	/* The monitor forks with both blocked (monitor.c): one that came
	 * since is delivered now, to these handlers. */
	(void)sigemptyset(&term);
	(void)sigaddset(&term, SIGTERM);
	(void)sigaddset(&term, SIGUSR1);
	(void)sigprocmask(SIG_UNBLOCK, &term, NULL);
}

void
shutdown_temp_set(int dirfd, const char *name)
{
	shutdown_temp_restore(dirfd, name, NULL, NULL);
}

void
shutdown_temp_restore(int dirfd, const char *name, const char *home,
    const char *fallback)
{
	temp_live = 0;
	temp_removed = 0;
	if (snprintf(temp_name, sizeof(temp_name), "%s", name) >=
	    (int)sizeof(temp_name) ||
	    snprintf(temp_home, sizeof(temp_home), "%s",
	    home != NULL ? home : "") >= (int)sizeof(temp_home) ||
	    snprintf(temp_fallback, sizeof(temp_fallback), "%s",
	    fallback != NULL ? fallback : "") >= (int)sizeof(temp_fallback))
		return;		/* longer than NAME_MAX: not a name */
	temp_dirfd = dirfd;
	temp_restore = home != NULL;
	atomic_signal_fence(memory_order_seq_cst);
	temp_live = 1;
}

int
shutdown_temp_clear(void)
{
	temp_live = 0;
	atomic_signal_fence(memory_order_seq_cst);
	return temp_removed;
}
