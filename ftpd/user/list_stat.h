/*
 * list_stat.h - fstatat a batch of directory entries for a listing, on
 * this thread alone or shared with one helper thread.
 *
 * A listing of a big directory spends almost all of its time in one
 * fstatat per entry (name lookup and getattr in the kernel); formatting
 * is a few percent.  On a machine with a spare core a helper thread that
 * takes half of the calls nearly halves the listing time.  The helper
 * only ever calls fstatat on names the caller handed over, relative to
 * the directory fd the caller opened; it blocks every signal and touches
 * no other state.  Whether a helper may be started at all is the
 * caller's decision (the seccomp filter and RLIMIT_NPROC must allow a
 * thread: see list_stat_new).
 */
#ifndef FTPD_LIST_STAT_H
#define FTPD_LIST_STAT_H

#include <sys/stat.h>

#include <stddef.h>

/* One directory entry of a batch. */
struct list_ent {
	const char	*name;	/* NUL-terminated, owned by the caller */
	int		 err;	/* once finished: 0, or errno */
	struct stat	 st;	/* once finished, when err == 0 */
};

struct list_stat;

/*
 * A stat context for entries of the directory dfd (which must stay open
 * until list_stat_free).  With helper set, a helper thread is started the
 * first time a batch is big enough to be worth sharing; if it cannot be
 * started, everything runs on the calling thread.  Only set helper when
 * the process may create a thread: under a seccomp filter without
 * clone/clone3 the attempt would kill the process.  Never NULL; free with
 * list_stat_free.
 */
struct list_stat *list_stat_new(int dfd, int helper);
/*
 * Hand over a batch: fstatat(dfd, e[i].name, AT_SYMLINK_NOFOLLOW) for
 * every i < n fills e[i].st and e[i].err.  The helper (if any) starts on
 * it at once; the caller may do other work (read the next batch, send the
 * last one) and must then call list_stat_finish before it reads e or
 * starts another batch.  e must stay valid until then.
 */
void	list_stat_start(struct list_stat *ls, struct list_ent *e, size_t n);
/* Do what is left of the batch on this thread and wait for the helper's
 * part.  Every entry is then filled in. */
void	list_stat_finish(struct list_stat *ls);
/* list_stat_start + list_stat_finish. */
void	list_stat_run(struct list_stat *ls, struct list_ent *e, size_t n);
/* 1 when a helper thread is running (tests). */
int	list_stat_helper_running(const struct list_stat *ls);
/* Stop the helper (if any; it finishes the entries it is on and leaves
 * a started batch unfinished) and free ls.  NULL is fine. */
void	list_stat_free(struct list_stat *ls);

#endif
