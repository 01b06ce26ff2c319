/*
 * quota_sql.c - the quota tally of an account from SQL: its row of
 * ftp_quota_tally, changed by the account service.
 *
 * Runs in the monitor, as root, which never links a database client:
 * each change is one ACCT_TALLY question to the service (acct_client.c),
 * which runs it as one conditional statement, so the monitors of every
 * node that shares the database reserve from one tally.  A row that
 * does not exist yet is counted from the home here (the service has no
 * access to homes) and made with ACCT_TALLY_INIT, which keeps a row
 * another node made meanwhile.  The answers are the service's, checked
 * for their format only: a broken service can make the tally wrong for
 * the account asked about, nothing more.
 */
#include <stdio.h>
#include <string.h>

#include "common/tally.h"
#include "formats/acctproto.h"
#include "priv/acct_service.h"
#include "priv/quota_store.h"

static unsigned long long
at_most(unsigned long long v, unsigned long long max)
{
	return v < max ? v : max;
}

static int
ask(const struct acct_tally_req *rq, struct acct_tally_ans *a, char *why,
    size_t whylen)
{
	acct_tally_ask(rq, a);
	if (a->status == ACCT_UNAVAILABLE || a->status == ACCT_REFUSED) {
		snprintf(why, whylen, "%s", a->why);
		return -1;
	}
	return 0;
}

/* The row exists (counted from the home if it did not).  0 or -1. */
static int
make_ready(const struct quota_acct *a, struct acct_tally_req *rq,
    char *why, size_t whylen)
{
	struct acct_tally_ans ans;
	struct tally t;

	rq->op = ACCT_TALLY_READ;
	if (ask(rq, &ans, why, whylen) == -1)
		return -1;
	if (ans.status == ACCT_FOUND)
		return 0;
	if (quota_count_home(a, &t, why, whylen) == -1)
		return -1;
	rq->op = ACCT_TALLY_INIT;
	rq->bytes = (long long)(t.bytes > ACCT_TALLY_MAX ? ACCT_TALLY_MAX :
	    t.bytes);
	rq->files = (long long)(t.files > ACCT_TALLY_MAX ? ACCT_TALLY_MAX :
	    t.files);
	if (ask(rq, &ans, why, whylen) == -1)
		return -1;
	if (ans.status != ACCT_FOUND) {
		snprintf(why, whylen, "the tally row was not made: %s",
		    ans.why);
		return -1;
	}
	return 0;
}

int
quota_sql_apply(int *ready, const struct quota_acct *a,
    const struct quota_req *rq, struct quota_ans *out, char *why,
    size_t whylen)
{
	struct acct_tally_req q;
	struct acct_tally_ans ans;

	memset(out, 0, sizeof(*out));
	memset(&q, 0, sizeof(q));
	if (snprintf(q.name, sizeof(q.name), "%s", a->name) >=
	    (int)sizeof(q.name)) {
		snprintf(why, whylen, "account name too long for the tally");
		return -1;
	}
	q.max_bytes = rq->max_bytes;
	q.max_files = rq->max_files;
	if (!*ready && make_ready(a, &q, why, whylen) == -1)
		return -1;
	*ready = 1;
	switch (rq->op) {
	case QUOTA_READ:
		q.op = ACCT_TALLY_READ;
		q.bytes = q.files = 0;
		break;
	case QUOTA_RESERVE:
		q.op = ACCT_TALLY_RESERVE;
		q.bytes = (long long)rq->want_bytes;
		q.files = (long long)rq->want_files;
		break;
	case QUOTA_ADJUST:
		q.op = ACCT_TALLY_ADJUST;
		q.bytes = rq->dbytes;
		q.files = rq->dfiles;
		break;
	}
	if (ask(&q, &ans, why, whylen) == -1)
		return -1;
	/* Deleted meanwhile (an administrator's recount): count again. */
	if (ans.status != ACCT_FOUND) {
		*ready = 0;
		snprintf(why, whylen, "the tally row is gone: %s", ans.why);
		return -1;
	}
	/* Never more than was asked, whatever the service says. */
	if (rq->op == QUOTA_RESERVE) {
		out->got_bytes = at_most(ans.got_bytes, rq->want_bytes);
		out->got_files = at_most(ans.got_files, rq->want_files);
	}
	out->used.bytes = ans.used_bytes;
	out->used.files = ans.used_files;
	return 0;
}
