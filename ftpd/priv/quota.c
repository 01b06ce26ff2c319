/*
 * quota.c - MON_QUOTA: an account's quota tally, kept by the monitor.
 *
 * Runs in the monitor, as root.  The user process is the account's and
 * may be broken into, so every number it sends is bounded here (monproto.h)
 * and the account, its home and its limits come from the login, never
 * from a message.  What such a process can still do: write past the
 * quota without asking (it holds the files' descriptors and the account's
 * uid; only the kernel's quotas stop that), and report deletes that never
 * happened, which lowers its own account's tally.  It can neither read
 * nor change another account's tally, nor raise its own limits; ftpquota
 * counts a tally again from disk.  DESIGN.md, "Quotas", has the rest.
 *
 * A store that cannot be reached (the account service, quota_dir) makes
 * RESERVE fail, which refuses the upload; an ADJUST it could not take is
 * kept and sent before the next request, and once more when the session
 * ends, so an outage delays what a delete gives back rather than losing
 * it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/tally.h"
#include "config.h"
#include "monproto.h"
#include "plan/plan.h"
#include "priv/quota.h"
#include "priv/quota_store.h"

void
mon_quota_start(struct mon_quota *q, const struct auth_result *a,
    const struct plan *p)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (a->anonymous)
		return;
	q->on = p->quota_bytes != 0 || p->quota_files != 0;
	q->sql = a->source == SRC_SQL;
	if (!q->on) {
		/* SQL rows are the provider's to drop (DESIGN.md): a
		 * database round trip at every login is not worth it. */
		if (!q->sql)
			quota_file_forget(a->name);
		return;
	}
	(void)snprintf(q->name, sizeof(q->name), "%s", a->name);
	(void)snprintf(q->home, sizeof(q->home), "%s", a->home);
	q->max_bytes = p->quota_bytes;
	q->max_files = p->quota_files;
}

static int
store(struct mon_quota *q, const struct quota_req *rq, struct quota_ans *a,
    char *why, size_t whylen)
{
	struct quota_acct acct = { q->name, q->home };

	if (q->sql)
		return quota_sql_apply(&q->ready, &acct, rq, a, why, whylen);
	return quota_file_apply(&q->fd, &acct, rq, a, why, whylen);
}

/* Add d to a pending sum, which stays within what one ADJUST may say. */
static long long
pend_add(long long sum, long long d)
{
	long long lim = (long long)MON_QUOTA_ADJUST_MAX;

	sum += d;	/* both within +-2^62: no overflow */
	return sum > lim ? lim : sum < -lim ? -lim : sum;
}

/* The ADJUSTs still pending go first.  0, or -1 (still pending). */
static int
flush_pending(struct mon_quota *q, struct quota_ans *a, char *why,
    size_t whylen)
{
	struct quota_req rq;

	if (q->pend_bytes == 0 && q->pend_files == 0)
		return 0;
	memset(&rq, 0, sizeof(rq));
	rq.op = QUOTA_ADJUST;
	rq.dbytes = q->pend_bytes;
	rq.dfiles = q->pend_files;
	rq.max_bytes = q->max_bytes;
	rq.max_files = q->max_files;
	if (store(q, &rq, a, why, whylen) == -1)
		return -1;
	q->pend_bytes = q->pend_files = 0;
	return 0;
}

static long long
signed_of(uint64_t v, int negative)
{
	return negative ? -(long long)v : (long long)v;
}

/* Decode and bound one request; a broken user process ends the session. */
static void
decode(const struct buf *p, struct quota_req *rq)
{
	uint32_t op, signs;
	uint64_t bytes, files, frees;
	size_t off = 0;

	if (ipc_get_u32(p, &off, &op) == -1 ||
	    ipc_get_u32(p, &off, &signs) == -1 ||
	    ipc_get_u64(p, &off, &bytes) == -1 ||
	    ipc_get_u64(p, &off, &files) == -1 ||
	    ipc_get_u64(p, &off, &frees) == -1 || off != p->len)
		fatal("monitor: malformed MON_QUOTA");
	if (frees != 0 && (op != MON_QUOTA_RESERVE ||
	    frees > MON_QUOTA_ADJUST_MAX))
		fatal("monitor: MON_QUOTA frees out of bounds");
	memset(rq, 0, sizeof(*rq));
	switch (op) {
	case MON_QUOTA_RESERVE:
		if (signs != 0 || bytes > MON_QUOTA_RESERVE_MAX || files > 1)
			fatal("monitor: MON_QUOTA reserve out of bounds");
		rq->op = QUOTA_RESERVE;
		rq->want_bytes = bytes;
		rq->want_files = files;
		rq->frees = frees;
		break;
	case MON_QUOTA_ADJUST:
		if ((signs & ~(MON_QUOTA_NEG_BYTES | MON_QUOTA_NEG_FILES)) !=
		    0 || bytes > MON_QUOTA_ADJUST_MAX ||
		    files > MON_QUOTA_FILES_MAX)
			fatal("monitor: MON_QUOTA adjust out of bounds");
		rq->op = QUOTA_ADJUST;
		rq->dbytes = signed_of(bytes, (signs & MON_QUOTA_NEG_BYTES) !=
		    0);
		rq->dfiles = signed_of(files, (signs & MON_QUOTA_NEG_FILES) !=
		    0);
		break;
	case MON_QUOTA_QUERY:
		if (signs != 0 || bytes != 0 || files != 0)
			fatal("monitor: MON_QUOTA query with values");
		rq->op = QUOTA_READ;
		break;
	default:
		fatal("monitor: MON_QUOTA op %u", op);
	}
}

int
mon_quota_serve(struct mon_quota *q, const struct buf *p, int reply_fd)
{
	struct quota_req rq;
	struct quota_ans a;
	struct buf out;
	char why[1024];
	int rc;

	/* No quota, no tally: an honest user process never asks. */
	if (!q->on)
		fatal("monitor: MON_QUOTA without a quota");
	decode(p, &rq);
	rq.max_bytes = q->max_bytes;
	rq.max_files = q->max_files;
	/* An overwrite may hold what the file it replaces frees at its
	 * end: the account never ends above its quota for it. */
	if (rq.max_bytes != 0 && rq.frees != 0)
		rq.max_bytes = rq.max_bytes + rq.frees;	/* both <= 2^62 */
	memset(&a, 0, sizeof(a));
	why[0] = '\0';
	if (rq.op == QUOTA_ADJUST) {
		q->pend_bytes = pend_add(q->pend_bytes, rq.dbytes);
		q->pend_files = pend_add(q->pend_files, rq.dfiles);
		rc = flush_pending(q, &a, why, sizeof(why));
	} else {
		rc = flush_pending(q, &a, why, sizeof(why));
		if (rc == 0)
			rc = store(q, &rq, &a, why, sizeof(why));
	}
	if (rc == -1) {
		log_msg(q->warned ? LOG_DEBUG : LOG_ERR, "quota: %s: the tally "
		    "is unavailable, uploads are refused: %s", q->name, why);
		q->warned = 1;
		memset(&a, 0, sizeof(a));
	} else if (q->warned) {
		log_msg(LOG_NOTICE, "quota: %s: the tally is available again",
		    q->name);
		q->warned = 0;
	}
	buf_init(&out, 64);
	if (ipc_put_u32(&out, rc == 0 ? MON_QUOTA_OK :
	    MON_QUOTA_UNAVAILABLE) == -1 ||
	    ipc_put_u64(&out, a.got_bytes) == -1 ||
	    ipc_put_u64(&out, a.got_files) == -1 ||
	    ipc_put_u64(&out, a.used.bytes) == -1 ||
	    ipc_put_u64(&out, a.used.files) == -1 ||
	    ipc_put_u64(&out, q->max_bytes) == -1 ||
	    ipc_put_u64(&out, q->max_files) == -1 ||
	    ipc_send(reply_fd, MON_QUOTA, out.data, out.len, -1) == -1)
		fatal("monitor: quota reply: %s", strerror(errno));
	buf_free(&out);
	/* Refused: less than asked, which ends the upload at the limit
	 * (user/quota.c); the tally unavailable refuses it too. */
	return rq.op == QUOTA_RESERVE && (rc == -1 ||
	    rq.want_files > a.got_files || rq.want_bytes > a.got_bytes);
}

void
mon_quota_end(struct mon_quota *q)
{
	struct quota_ans a;
	char why[1024];

	if (!q->on)
		return;
	why[0] = '\0';
	if (flush_pending(q, &a, why, sizeof(why)) == -1)
		log_msg(LOG_ERR, "quota: %s: a change of %lld bytes and %lld "
		    "files is not in the tally (%s); ftpquota counts it again",
		    q->name, q->pend_bytes, q->pend_files, why);
	if (q->fd != -1)
		(void)close(q->fd);
	q->fd = -1;
}
