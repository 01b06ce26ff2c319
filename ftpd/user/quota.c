/*
 * quota.c - one upload's books against the account's quota (quota.h).
 *
 * Runs in the user process, as the account.  The monitor keeps the
 * tally and grants room; this asks before a byte past the file's end is
 * written, never after, so two sessions of one account uploading at
 * once cannot both pass the quota: what one holds the other cannot get.
 * Room is asked in growing chunks (CHUNK_FIRST, doubling up to a share
 * of the quota), so a large upload costs a message per tens of MiB, a
 * small one two messages in all; what an upload holds and did not use
 * goes back when it ends.  Numbers come from our own counts and from
 * fstat/lseek of our own descriptors, never from the client.
 */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "mon_client.h"
#include "monproto.h"
#include "plan/plan.h"
#include "session.h"
#include "user/quota.h"

#define CHUNK_FIRST	(1ULL << 20)	/* the first reservation */
#define CHUNK_MAX	(64ULL << 20)	/* the largest */
/* No chunk beyond this share of the quota: room another session of the
 * account could use is not held back for long. */
#define CHUNK_SHARE	8

int
quota_on(const struct session *s)
{
	return s->plan != NULL && !s->anonymous &&
	    (s->plan->quota_bytes != 0 || s->plan->quota_files != 0);
}

void
quota_up_init(struct session *s, struct quota_up *q)
{
	struct mon_quota_answer a;

	memset(q, 0, sizeof(*q));
	q->on = quota_on(s);
	/* A tally counted from disk once this upload has made its file
	 * would count the file, and its reservation again. */
	if (q->on && !s->quota_counted && mon_quota(s, MON_QUOTA_QUERY, 0, 0,
	    0, &a) == 0 && a.ok)
		s->quota_counted = 1;
}

static unsigned long long
chunk_cap(const struct session *s)
{
	unsigned long long cap = s->plan->quota_bytes / CHUNK_SHARE;

	if (cap < CHUNK_FIRST)
		cap = CHUNK_FIRST;
	return cap > CHUNK_MAX ? CHUNK_MAX : cap;
}

/* One RESERVE; files are granted whole or the whole request is not. */
static void
reserve(struct session *s, struct quota_up *q, unsigned long long bytes,
    unsigned long long files)
{
	struct mon_quota_answer a;

	if (bytes > MON_QUOTA_RESERVE_MAX)
		bytes = MON_QUOTA_RESERVE_MAX;
	if (mon_quota(s, MON_QUOTA_RESERVE, (long long)bytes,
	    (long long)files, q->frees, &a) == -1 || !a.ok) {
		q->full = 1;
		q->err = EAGAIN;
		return;
	}
	/* Never more than asked, whatever the answer says. */
	q->granted += a.got_bytes < bytes ? a.got_bytes : bytes;
	q->files += a.got_files < files ? a.got_files : files;
	if (a.got_bytes < bytes || a.got_files < files) {
		q->full = 1;
		q->err = EDQUOT;
	}
}

int
quota_up_begin(struct session *s, struct quota_up *q, int fd, off_t start,
    int created, int new_name, int append, off_t frees)
{
	struct stat st;

	if (!q->on)
		return 0;
	q->begun = 1;
	q->frees = frees > 0 && (unsigned long long)frees <=
	    MON_QUOTA_ADJUST_MAX ? (unsigned long long)frees : 0;
	q->created = created;
	q->append = append;
	if (fstat(fd, &st) == -1)
		st.st_size = 0;
	q->end = st.st_size;
	q->start = start < 0 ? q->end : start;
	q->pos = append ? q->end : lseek(fd, 0, SEEK_CUR);
	if (q->pos < 0)
		q->pos = q->end;
	q->chunk = CHUNK_FIRST;
	reserve(s, q, q->chunk, new_name ? 1 : 0);
	if (q->err == EAGAIN)
		return EAGAIN;
	if (new_name && q->files == 0)
		return EDQUOT;
	/* Not one byte fits where this upload writes its first. */
	if (q->granted == 0 && q->pos >= q->start && q->full)
		return EDQUOT;
	q->chunk = q->chunk * 2 > chunk_cap(s) ? chunk_cap(s) : q->chunk * 2;
	return 0;
}

void
quota_up_truncated(struct quota_up *q, off_t off)
{
	if (!q->on)
		return;
	q->end = off;
	if (q->pos > off || q->append)
		q->pos = off;
}

size_t
quota_room(struct session *s, struct quota_up *q, size_t n)
{
	unsigned long long end, need, limit, want;

	if (!q->on || n == 0)
		return n;
	if (q->append)
		q->pos = q->end;
	end = (unsigned long long)q->pos + n;
	if (end < (unsigned long long)q->end)
		end = (unsigned long long)q->end;
	need = end > (unsigned long long)q->start ? end -
	    (unsigned long long)q->start : 0;
	if (need > q->granted && !q->full) {
		want = need - q->granted;
		reserve(s, q, want > q->chunk ? want : q->chunk, 0);
		if (q->chunk * 2 <= chunk_cap(s))
			q->chunk *= 2;
	}
	if (need <= q->granted)
		return n;
	if (q->err == 0)
		q->err = EDQUOT;
	/* What fits: up to start + granted. */
	limit = (unsigned long long)q->start + q->granted;
	if (limit <= (unsigned long long)q->pos)
		return 0;
	return limit - (unsigned long long)q->pos < n ?
	    (size_t)(limit - (unsigned long long)q->pos) : n;
}

void
quota_wrote(struct quota_up *q, size_t n)
{
	if (!q->on)
		return;
	q->pos += (off_t)n;
	if (q->pos > q->end)
		q->end = q->pos;
}

void
quota_up_freed(struct quota_up *q, const struct stat *st)
{
	if (!q->on || !S_ISREG(st->st_mode))
		return;
	q->freed_bytes += st->st_size;
	q->freed_files++;
}

/* Tell the monitor a change; a refusal only means it is kept pending
 * there (priv/quota.c). */
static void
adjust(struct session *s, long long bytes, long long files)
{
	struct mon_quota_answer a;

	if (bytes == 0 && files == 0)
		return;
	if (mon_quota(s, MON_QUOTA_ADJUST, bytes, files, 0, &a) == -1)
		log_msg(LOG_WARNING, "quota: no answer from the monitor to a "
		    "change of %lld bytes, %lld files", bytes, files);
}

void
quota_up_end(struct session *s, struct quota_up *q, int kept)
{
	long long bytes = -q->freed_bytes, files = -q->freed_files;

	if (!q->on)
		return;
	if (q->begun) {
		/* What the file holds now against what was counted for it
		 * and reserved meanwhile. */
		bytes += (kept ? (long long)q->end : 0) - (long long)q->start -
		    (long long)q->granted;
		files += (kept ? 1 : 0) - (q->created ? 0 : 1) -
		    (long long)q->files;
	}
	adjust(s, bytes, files);
	q->on = 0;	/* told once */
}

void
quota_removed(struct session *s, const struct stat *st)
{
	if (!quota_on(s) || !S_ISREG(st->st_mode))
		return;
	adjust(s, -(long long)st->st_size, -1);
}

int
quota_left(struct session *s, unsigned long long *left)
{
	struct mon_quota_answer a;

	if (!quota_on(s) || s->plan->quota_bytes == 0)
		return -1;
	if (mon_quota(s, MON_QUOTA_QUERY, 0, 0, 0, &a) == -1 || !a.ok)
		return -1;
	*left = a.used_bytes >= a.max_bytes ? 0 : a.max_bytes - a.used_bytes;
	return 0;
}
