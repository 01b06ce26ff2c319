/*
 * acctproto.c - the account service's messages, shared by the service
 * and the root side that asks it (the authentication child, the
 * monitor's quota tally).  Decoding checks lengths and ranges only; what
 * the values mean is judged by whoever reads them.
 */
#include <string.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "formats/acctproto.h"

static int
put_plan(struct buf *b, const struct acct_record *r)
{
	int k;

	if (ipc_put_u32(b, r->plan_set) == -1)
		return -1;
	for (k = 0; k < PLAN_NKEYS; k++)
		if ((r->plan_set & (1u << k)) != 0 &&
		    ipc_put_str(b, r->plan[k]) == -1)
			return -1;
	return 0;
}

static int
get_plan(const struct buf *b, size_t *off, struct acct_record *r)
{
	int k;

	if (ipc_get_u32(b, off, &r->plan_set) == -1 ||
	    (r->plan_set >> PLAN_NKEYS) != 0)
		return -1;
	for (k = 0; k < PLAN_NKEYS; k++)
		if ((r->plan_set & (1u << k)) != 0 &&
		    ipc_get_str(b, off, r->plan[k], sizeof(r->plan[k])) == -1)
			return -1;
	return 0;
}

int
acct_put_answer(struct buf *b, enum acct_status st, const char *why,
    const struct acct_record *r)
{
	if (ipc_put_u32(b, (uint32_t)st) == -1 || ipc_put_str(b, why) == -1)
		return -1;
	if (st != ACCT_FOUND)
		return 0;
	return ipc_put_str(b, r->name) == -1 ||
	    ipc_put_str(b, r->hash) == -1 ||
	    ipc_put_u64(b, r->uid) == -1 || ipc_put_u64(b, r->gid) == -1 ||
	    ipc_put_str(b, r->home) == -1 ||
	    ipc_put_u32(b, r->enabled) == -1 ||
	    ipc_put_u32(b, r->verified) == -1 ||
	    ipc_put_str(b, r->uid_name) == -1 ||
	    ipc_put_str(b, r->gid_name) == -1 || put_plan(b, r) == -1 ? -1 : 0;
}

int
acct_get_answer(const struct buf *b, enum acct_status *st, char *why,
    size_t whylen, struct acct_record *r)
{
	uint32_t v;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	if (ipc_get_u32(b, &off, &v) == -1 || v > ACCT_UNAVAILABLE ||
	    ipc_get_str(b, &off, why, whylen) == -1)
		return -1;
	*st = (enum acct_status)v;
	if (*st != ACCT_FOUND)
		return off == b->len ? 0 : -1;
	if (ipc_get_str(b, &off, r->name, sizeof(r->name)) == -1 ||
	    ipc_get_str(b, &off, r->hash, sizeof(r->hash)) == -1 ||
	    ipc_get_u64(b, &off, &r->uid) == -1 ||
	    ipc_get_u64(b, &off, &r->gid) == -1 ||
	    ipc_get_str(b, &off, r->home, sizeof(r->home)) == -1 ||
	    ipc_get_u32(b, &off, &r->enabled) == -1 ||
	    ipc_get_u32(b, &off, &r->verified) == -1 ||
	    ipc_get_str(b, &off, r->uid_name, sizeof(r->uid_name)) == -1 ||
	    ipc_get_str(b, &off, r->gid_name, sizeof(r->gid_name)) == -1 ||
	    get_plan(b, &off, r) == -1 || off != b->len)
		return -1;
	return 0;
}

/* A signed count as a sign bit and a magnitude: no implementation-defined
 * conversion of a large unsigned value to a signed one. */
static uint64_t
magnitude(long long v)
{
	return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

int
acct_put_tally(struct buf *b, const struct acct_tally_req *rq)
{
	uint32_t signs = (rq->bytes < 0 ? 1u : 0) | (rq->files < 0 ? 2u : 0);

	return ipc_put_u32(b, rq->op) == -1 ||
	    ipc_put_str(b, rq->name) == -1 || ipc_put_u32(b, signs) == -1 ||
	    ipc_put_u64(b, magnitude(rq->bytes)) == -1 ||
	    ipc_put_u64(b, magnitude(rq->files)) == -1 ||
	    ipc_put_u64(b, rq->max_bytes) == -1 ||
	    ipc_put_u64(b, rq->max_files) == -1 ? -1 : 0;
}

int
acct_get_tally(const struct buf *b, struct acct_tally_req *rq)
{
	uint64_t bytes, files;
	uint32_t signs;
	size_t off = 0;

	memset(rq, 0, sizeof(*rq));
	if (ipc_get_u32(b, &off, &rq->op) == -1 ||
	    rq->op > ACCT_TALLY_ADJUST ||
	    ipc_get_str(b, &off, rq->name, sizeof(rq->name)) == -1 ||
	    ipc_get_u32(b, &off, &signs) == -1 || signs > 3 ||
	    ipc_get_u64(b, &off, &bytes) == -1 || bytes > ACCT_TALLY_MAX ||
	    ipc_get_u64(b, &off, &files) == -1 || files > ACCT_TALLY_MAX ||
	    ipc_get_u64(b, &off, &rq->max_bytes) == -1 ||
	    ipc_get_u64(b, &off, &rq->max_files) == -1 || off != b->len ||
	    (signs != 0 && rq->op != ACCT_TALLY_ADJUST))
		return -1;
	/* Past any disk: no limit the statements could overflow with. */
	if (rq->max_bytes > ACCT_TALLY_MAX)
		rq->max_bytes = ACCT_TALLY_MAX;
	if (rq->max_files > ACCT_TALLY_MAX)
		rq->max_files = ACCT_TALLY_MAX;
	rq->bytes = (signs & 1u) ? -(long long)bytes : (long long)bytes;
	rq->files = (signs & 2u) ? -(long long)files : (long long)files;
	return 0;
}

int
acct_put_tally_answer(struct buf *b, const struct acct_tally_ans *a)
{
	return ipc_put_u32(b, (uint32_t)a->status) == -1 ||
	    ipc_put_str(b, a->why) == -1 ||
	    ipc_put_u64(b, a->got_bytes) == -1 ||
	    ipc_put_u64(b, a->got_files) == -1 ||
	    ipc_put_u64(b, a->used_bytes) == -1 ||
	    ipc_put_u64(b, a->used_files) == -1 ? -1 : 0;
}

int
acct_get_tally_answer(const struct buf *b, struct acct_tally_ans *a)
{
	uint32_t st;
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	if (ipc_get_u32(b, &off, &st) == -1 || st > ACCT_UNAVAILABLE ||
	    ipc_get_str(b, &off, a->why, sizeof(a->why)) == -1 ||
	    ipc_get_u64(b, &off, &a->got_bytes) == -1 ||
	    ipc_get_u64(b, &off, &a->got_files) == -1 ||
	    ipc_get_u64(b, &off, &a->used_bytes) == -1 ||
	    ipc_get_u64(b, &off, &a->used_files) == -1 || off != b->len)
		return -1;
	a->status = (enum acct_status)st;
	return 0;
}

/* ---- shared bans ---------------------------------------------------- */

static int
put_ban(struct buf *b, const struct acct_ban *ban)
{
	uint64_t hi, lo;

	memcpy(&hi, ban->addr, 8);
	memcpy(&lo, ban->addr + 8, 8);
	return ipc_put_u32(b, ban->family) == -1 || ipc_put_u64(b, hi) == -1 ||
	    ipc_put_u64(b, lo) == -1 || ipc_put_u64(b, ban->until) == -1 ?
	    -1 : 0;
}

static int
get_ban(const struct buf *b, size_t *off, struct acct_ban *ban)
{
	uint64_t hi, lo;

	memset(ban, 0, sizeof(*ban));
	if (ipc_get_u32(b, off, &ban->family) == -1 ||
	    ipc_get_u64(b, off, &hi) == -1 || ipc_get_u64(b, off, &lo) == -1 ||
	    ipc_get_u64(b, off, &ban->until) == -1 ||
	    (ban->family != AF_INET && ban->family != AF_INET6) ||
	    ban->until > ACCT_BAN_UNTIL_MAX)
		return -1;
	memcpy(ban->addr, &hi, 8);
	memcpy(ban->addr + 8, &lo, 8);
	/* One spelling per address: an IPv4 one has nothing after its 4. */
	if (ban->family == AF_INET && (lo != 0 ||
	    memcmp(ban->addr + 4, "\0\0\0\0", 4) != 0))
		return -1;
	return 0;
}

int
acct_put_ban(struct buf *b, const struct acct_ban *ban)
{
	return put_ban(b, ban);
}

int
acct_get_ban(const struct buf *b, struct acct_ban *ban)
{
	size_t off = 0;

	return get_ban(b, &off, ban) == -1 || off != b->len ? -1 : 0;
}

int
acct_put_ban_list(struct buf *b, const struct acct_ban_list *l)
{
	uint32_t i;

	if (l->n > ACCT_BANS_MAX || ipc_put_u32(b, (uint32_t)l->status) == -1 ||
	    ipc_put_str(b, l->why) == -1 || ipc_put_u32(b, l->n) == -1)
		return -1;
	for (i = 0; i < l->n; i++)
		if (put_ban(b, &l->bans[i]) == -1)
			return -1;
	return 0;
}

int
acct_get_ban_list(const struct buf *b, struct acct_ban_list *l)
{
	uint32_t st, i;
	size_t off = 0;

	l->n = 0;
	if (ipc_get_u32(b, &off, &st) == -1 || st > ACCT_UNAVAILABLE ||
	    ipc_get_str(b, &off, l->why, sizeof(l->why)) == -1 ||
	    ipc_get_u32(b, &off, &l->n) == -1 || l->n > ACCT_BANS_MAX) {
		l->n = 0;
		return -1;
	}
	for (i = 0; i < l->n; i++)
		if (get_ban(b, &off, &l->bans[i]) == -1) {
			l->n = 0;
			return -1;
		}
	if (off != b->len) {
		l->n = 0;
		return -1;
	}
	l->status = (enum acct_status)st;
	return 0;
}
