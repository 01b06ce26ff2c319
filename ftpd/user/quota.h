/*
 * quota.h - the user process's side of the account's quota: room asked
 * of the monitor before an upload writes, what changed on disk told
 * after it, space given back by deletes, and what AVBL reports.
 *
 * The tally itself is the monitor's (priv/quota.c, MON_QUOTA); this only
 * keeps the books of one upload.  Growth is what counts: a byte written
 * over bytes the file already had costs nothing, one written past the
 * end costs one, whatever the offset or mode.  Without a quota in the
 * plan every call here returns at once and no message is sent, so an
 * account without a quota pays nothing.  Runs in the user process.
 */
#ifndef FTPD_USER_QUOTA_H
#define FTPD_USER_QUOTA_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct session;

/* One upload's share of the tally. */
struct quota_up {
	int			on;	/* the plan has a quota */
	int			begun;	/* quota_up_begin was called */
	int			append;	/* O_APPEND: each byte grows the file */
	int			created;	/* the file is this upload's */
	int			full;	/* asked in vain: no more room */
	int			err;	/* why room ran out: EDQUOT, or
					 * EAGAIN (the tally is unavailable) */
	off_t			start;	/* the file's size as counted before */
	off_t			pos;	/* where the next byte goes */
	off_t			end;	/* its end as this upload left it */
	unsigned long long	granted;	/* bytes reserved for growth */
	unsigned long long	frees;		/* what completing frees (the
					 * file an atomic upload replaces) */
	unsigned long long	files;		/* files reserved: a new name */
	unsigned long long	chunk;		/* the next reservation */
	long long		freed_bytes, freed_files;	/* other files
					 * this upload removed or replaced */
};

/* 1 if the session's plan has a quota (bytes or files). */
int	quota_on(const struct session *s);
/*
 * Before anything of an upload is touched: q->on, and at the session's
 * first upload the tally made sure of (counted from the home if there
 * is none yet, which must not see this upload's own new file).
 */
void	quota_up_init(struct session *s, struct quota_up *q);
/*
 * The upload is about to write fd (its offset, or its end with append):
 * start is the file's size as the tally counts it (the size before an
 * O_TRUNC; -1: its size now), created says this upload made the file,
 * new_name that a complete upload adds a name, frees what completing it
 * frees (the size of the file an atomic upload replaces: room it may
 * use meanwhile).  The new name and some room are reserved now.  0, or an errno for the reply (EDQUOT: over
 * the quota, 552; EAGAIN: the tally is unavailable, 451).
 */
int	quota_up_begin(struct session *s, struct quota_up *q, int fd,
	    off_t start, int created, int new_name, int append,
	    off_t frees);
/* The file was cut at off before the data came (a resume). */
void	quota_up_truncated(struct quota_up *q, off_t off);
/* How many of the next n bytes may be written now: n, or fewer (0 at
 * the limit) with q->err set.  May ask the monitor for more room. */
size_t	quota_room(struct session *s, struct quota_up *q, size_t n);
/* n bytes were written at q->pos. */
void	quota_wrote(struct quota_up *q, size_t n);
/* The upload removed or replaced another file, of this stat (lstat;
 * only regular files count). */
void	quota_up_freed(struct quota_up *q, const struct stat *st);
/*
 * The upload is over and its file kept (1) or gone (0): the tally moves
 * by what changed on disk beyond the reservations.  Waits for the
 * monitor, so a reply sent afterwards never claims more than the tally
 * holds.
 */
void	quota_up_end(struct session *s, struct quota_up *q, int kept);
/* DELE or RNTO removed (or replaced) a file of this stat. */
void	quota_removed(struct session *s, const struct stat *st);
/* AVBL: bytes left of the byte quota in *left.  0, or -1 when the plan
 * has no byte quota or the tally is unavailable. */
int	quota_left(struct session *s, unsigned long long *left);

#endif
