/*
 * tally.c - ACCT_TALLY: a change to an SQL account's quota tally, made of
 * the store's three statements (tally.h).
 *
 * Runs in a worker of the account service, unprivileged.  The request
 * comes from a monitor (root, checked by SO_PEERCRED) and was bounded by
 * acct_get_tally; the row's values come from the database and are taken
 * as they are.  A reservation is one conditional UPDATE, so two nodes
 * reserving at once never both pass the quota; when the whole request
 * does not fit, what fits is computed from the row (tally_reserve, the
 * same rule as the file tallies) and reserved by the same conditional
 * statement, tried again a few times if another node got there first.
 */
#include <stdio.h>
#include <string.h>

#include "common/tally.h"
#include "accounts/tally.h"

#define RESERVE_TRIES	4	/* then another node keeps winning: 0 */

static int
read_row(const struct acct_tally_ops *ops, void *h, const char *name,
    int deadline_ms, struct acct_tally_ans *a)
{
	return ops->read(h, name, deadline_ms, &a->used_bytes, &a->used_files,
	    a->why, sizeof(a->why));
}

/* RESERVE: 1 done (grant in a), 0 no row, -1 error. */
static int
reserve(const struct acct_tally_ops *ops, void *h,
    const struct acct_tally_req *rq, int deadline_ms,
    struct acct_tally_ans *a)
{
	uint64_t want_b = (uint64_t)rq->bytes, want_f = (uint64_t)rq->files;
	unsigned long long got_b, got_f;
	struct tally t;
	int i, r;

	for (i = 0; i < RESERVE_TRIES; i++) {
		/* Only the counters asked for are held to their limit. */
		r = ops->add(h, rq->name, (long long)want_b, (long long)want_f,
		    want_b > 0 ? rq->max_bytes : 0,
		    want_f > 0 ? rq->max_files : 0, deadline_ms, a->why,
		    sizeof(a->why));
		if (r == -1)
			return -1;
		if (r == 1) {
			a->got_bytes = want_b;
			a->got_files = want_f;
			return 1;
		}
		if ((r = read_row(ops, h, rq->name, deadline_ms, a)) != 1)
			return r;
		t.bytes = a->used_bytes;
		t.files = a->used_files;
		tally_reserve(&t, rq->bytes, rq->files, rq->max_bytes,
		    rq->max_files, &got_b, &got_f);
		if (got_b == 0 && got_f == 0)
			return 1;	/* nothing fits: a grant of 0 */
		want_b = got_b;
		want_f = got_f;
	}
	return 1;
}

void
tally_serve(const struct acct_tally_ops *ops, void *h,
    const struct acct_tally_req *rq, int deadline_ms,
    struct acct_tally_ans *a)
{
	int r = 1;

	memset(a, 0, sizeof(*a));
	switch (rq->op) {
	case ACCT_TALLY_READ:
		break;
	case ACCT_TALLY_INIT:
		r = ops->insert(h, rq->name, (uint64_t)rq->bytes,
		    (uint64_t)rq->files, deadline_ms, a->why, sizeof(a->why))
		    == -1 ? -1 : 1;
		break;
	case ACCT_TALLY_RESERVE:
		r = reserve(ops, h, rq, deadline_ms, a);
		break;
	case ACCT_TALLY_ADJUST:
		r = ops->add(h, rq->name, rq->bytes, rq->files, 0, 0,
		    deadline_ms, a->why, sizeof(a->why));
		break;
	}
	/* The row as it is now, for the answer (and AVBL). */
	if (r == 1)
		r = read_row(ops, h, rq->name, deadline_ms, a);
	if (r == -1) {
		a->status = ACCT_UNAVAILABLE;
		a->got_bytes = a->got_files = 0;
		return;
	}
	if (r == 0) {
		a->status = ACCT_UNKNOWN;
		a->got_bytes = a->got_files = 0;
		snprintf(a->why, sizeof(a->why), "no tally row for %s",
		    rq->name);
		return;
	}
	a->status = ACCT_FOUND;
}
