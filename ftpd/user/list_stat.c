/*
 * list_stat.c - fstatat the entries of a listing batch, optionally shared
 * with one helper thread.
 *
 * Runs in the user process (as the account, chrooted, sandboxed).  The
 * names come from getdents64 of a directory the caller opened through
 * policy.c; they are hostile bytes but are only passed back to the kernel
 * relative to that directory fd, with AT_SYMLINK_NOFOLLOW, so they cannot
 * reach outside it.
 *
 * Sharing: the batch is cut into chunks of LS_CHUNK entries, claimed
 * under a mutex by the caller and the helper alike.  The caller never
 * waits for the helper to wake up: if the helper is slow to be scheduled
 * the caller simply claims every chunk itself, and waits only for the
 * chunks the helper did claim.  All shared state is under the mutex; the
 * entries a thread claimed are written by that thread alone, and read by
 * the caller only after the mutex says they are finished.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "user/list_stat.h"

/* Entries claimed at once: a few microseconds of work each. */
#define LS_CHUNK	32
/* A batch smaller than this is not worth waking the helper for. */
#define LS_MIN_SHARED	(2 * LS_CHUNK)
/* The helper needs little stack: fstatat and a loop. */
#define LS_STACK	(64 * 1024)

enum ls_helper {
	LS_OFF,		/* not wanted, or could not start */
	LS_WANTED,	/* may be started when a batch is big enough */
	LS_RUNNING,
};

struct list_stat {
	int		 dfd;
	int		 locks;		/* mu, work, idle initialised */
	enum ls_helper	 helper;
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* helper: a batch or quit */
	pthread_cond_t	 idle;		/* caller: claimed chunks finished */
	/* Under mu: */
	struct list_ent	*e;		/* current batch */
	size_t		 n;
	size_t		 next;		/* first entry not yet claimed */
	size_t		 inflight;	/* chunks claimed, not yet done */
	int		 quit;
};

static void
ls_lock(struct list_stat *ls)
{
	if (pthread_mutex_lock(&ls->mu) != 0)
		fatal("list_stat: mutex lock");
}

static void
ls_unlock(struct list_stat *ls)
{
	if (pthread_mutex_unlock(&ls->mu) != 0)
		fatal("list_stat: mutex unlock");
}

static void
stat_range(int dfd, struct list_ent *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		e[i].err = fstatat(dfd, e[i].name, &e[i].st,
		    AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

/* Under mu: claim the next chunk; its size (0: none left), *start. */
static size_t
claim(struct list_stat *ls, size_t *start)
{
	size_t k;

	if (ls->next >= ls->n)
		return 0;
	k = ls->n - ls->next < LS_CHUNK ? ls->n - ls->next : LS_CHUNK;
	*start = ls->next;
	ls->next += k;
	ls->inflight++;
	return k;
}

/* Under mu: a claimed chunk is done. */
static void
finished(struct list_stat *ls)
{
	if (--ls->inflight == 0 && ls->next >= ls->n)
		(void)pthread_cond_signal(&ls->idle);
}

static void *
helper_main(void *arg)
{
	struct list_stat *ls = arg;
	struct list_ent *e;
	size_t start = 0, k;

	ls_lock(ls);
	/* Bounded: each pass either waits for the caller or claims a chunk
	 * of a finite batch; quit ends it. */
	for (;;) {
		while (!ls->quit && ls->next >= ls->n)
			(void)pthread_cond_wait(&ls->work, &ls->mu);
		if (ls->quit)
			break;
		k = claim(ls, &start);
		e = ls->e;
		ls_unlock(ls);
		stat_range(ls->dfd, e + start, k);
		ls_lock(ls);
		finished(ls);
	}
	ls_unlock(ls);
	return NULL;
}

/* Start the helper with every signal blocked (they are the caller's). */
static void
helper_start(struct list_stat *ls)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int rc;

	ls->helper = LS_OFF;
	if (pthread_attr_init(&attr) != 0)
		return;
	(void)pthread_attr_setstacksize(&attr, LS_STACK);
	(void)sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0) {
		(void)pthread_attr_destroy(&attr);
		return;
	}
	rc = pthread_create(&ls->th, &attr, helper_main, ls);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)pthread_attr_destroy(&attr);
	if (rc == 0)
		ls->helper = LS_RUNNING;
	else
		log_msg(LOG_DEBUG, "list: no helper thread: %s", strerror(rc));
}

struct list_stat *
list_stat_new(int dfd, int helper)
{
	struct list_stat *ls = xcalloc(1, sizeof(*ls));

	ls->dfd = dfd;
	ls->helper = helper ? LS_WANTED : LS_OFF;
	if (ls->helper == LS_OFF)
		return ls;
	if (pthread_mutex_init(&ls->mu, NULL) != 0 ||
	    pthread_cond_init(&ls->work, NULL) != 0 ||
	    pthread_cond_init(&ls->idle, NULL) != 0)
		fatal("list_stat: cannot initialise locks");
	ls->locks = 1;
	return ls;
}

void
list_stat_start(struct list_stat *ls, struct list_ent *e, size_t n)
{
	if (ls->helper == LS_WANTED && n >= LS_MIN_SHARED)
		helper_start(ls);
	if (ls->helper != LS_RUNNING) {
		ls->e = e;
		ls->n = n;
		ls->next = 0;
		return;
	}
	ls_lock(ls);
	if (ls->next < ls->n || ls->inflight > 0)
		fatal("list_stat: batch started before the last finished");
	ls->e = e;
	ls->n = n;
	/* A batch too small to share is all ours, done right here. */
	ls->next = n >= LS_MIN_SHARED ? 0 : n;
	if (n >= LS_MIN_SHARED)
		(void)pthread_cond_signal(&ls->work);
	ls_unlock(ls);
	if (n < LS_MIN_SHARED)
		stat_range(ls->dfd, e, n);
}

void
list_stat_finish(struct list_stat *ls)
{
	size_t start = 0, k;

	if (ls->helper != LS_RUNNING) {
		stat_range(ls->dfd, ls->e, ls->n);
		ls->e = NULL;
		ls->n = ls->next = 0;
		return;
	}
	ls_lock(ls);
	while ((k = claim(ls, &start)) > 0) {
		ls_unlock(ls);
		stat_range(ls->dfd, ls->e + start, k);
		ls_lock(ls);
		finished(ls);
	}
	while (ls->inflight > 0)
		(void)pthread_cond_wait(&ls->idle, &ls->mu);
	ls->e = NULL;
	ls->n = ls->next = 0;
	ls_unlock(ls);
}

void
list_stat_run(struct list_stat *ls, struct list_ent *e, size_t n)
{
	list_stat_start(ls, e, n);
	list_stat_finish(ls);
}

int
list_stat_helper_running(const struct list_stat *ls)
{
	return ls->helper == LS_RUNNING;
}

void
list_stat_free(struct list_stat *ls)
{
	if (ls == NULL)
		return;
	if (ls->helper == LS_RUNNING) {
		ls_lock(ls);
		ls->quit = 1;
		(void)pthread_cond_signal(&ls->work);
		ls_unlock(ls);
		if (pthread_join(ls->th, NULL) != 0)
			fatal("list_stat: cannot join the helper");
	}
	if (ls->locks) {
		(void)pthread_cond_destroy(&ls->idle);
		(void)pthread_cond_destroy(&ls->work);
		(void)pthread_mutex_destroy(&ls->mu);
	}
	free(ls);
}
