/*
 * ratelimit.c - the rates of a transfer: the session's own (rate_down,
 * rate_up from the plan, or anon_rate) and the node's (rate_total).
 *
 * Runs in the user process.  The rates are the administrator's, parsed
 * at load (config.c) or by the monitor (the plan); the shared bucket is
 * written by every session, so only its one stamp is shared and it is
 * judged on every use (common/ratebucket.c).  Each transfer's own bucket
 * starts empty: no burst lets the first second of a download run
 * unthrottled.  Bytes are counted where they cross this process: read
 * from the file on a download, read from the data connection on an
 * upload (the same bytes for TYPE I in stream mode).
 */
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "common/ratebucket.h"
#include "config.h"
#include "plan/plan.h"
#include "mon_client.h"
#include "session.h"
#include "user/ratelimit.h"
#include "user/route.h"

/* A size key of the configuration: checked at load, so 0 only if the
 * text changed under us, which it cannot. */
static unsigned long long
conf_rate(const char *key, const char *text)
{
	unsigned long long v;

	if (plan_bytes(text, &v) == -1) {
		log_msg(LOG_ERR, "%s: not a size: %s", key, text);
		return 0;
	}
	return v;
}

void
ratelimit_login(struct session *s, struct rb_shared *pool)
{
	/* Anonymous sessions share one account: anon_rate is theirs, not
	 * whatever a plan says. */
	if (s->anonymous)
		s->rate_up = s->rate_down = conf_rate("anon_rate",
		    cfg->anon_rate);
	else if (s->plan != NULL) {
		s->rate_up = s->plan->rate_up;
		s->rate_down = s->plan->rate_down;
	}
	s->rate_total = conf_rate("rate_total", cfg->rate_total);
	s->rate_pool = s->rate_total != 0 ? pool : NULL;
}

void
ratelimit_begin(struct ratelimit *rl, const struct session *s,
    const struct xfer_route *r)
{
	rl->on = rl->own_on = 0;
	rl->credit = 0;
	rl->pool = NULL;
	rl->mon_fd = s->mon_fd;
	rl->waited = 0;
	if (r->rate == 0 && !r->pooled)
		return;		/* no clock read, now or in the loops */
	rl->on = 1;
	if (r->rate != 0) {
		rl->own_on = 1;
		rb_params_init(&rl->own, r->rate);
		rl->tat = rb_now_ns();
	}
	if (r->pooled && s->rate_pool != NULL && s->rate_total != 0) {
		rl->pool = s->rate_pool;
		rb_params_init(&rl->pool_p, s->rate_total);
	}
	if (!rl->own_on && rl->pool == NULL)
		rl->on = 0;
}

/* The transfer must wait: counted once per transfer for /metrics. */
static size_t
must_wait(struct ratelimit *rl)
{
	if (!rl->waited) {
		rl->waited = 1;
		mon_metric(rl->mon_fd, MON_MET_RATE_WAIT, 0, 0, 0);
	}
	return 0;
}

size_t
ratelimit_grant(struct ratelimit *rl, size_t want, uint64_t *wait_ns)
{
	uint64_t now, avail, base = 0, need, g = want;

	*wait_ns = 0;
	if (rl->credit > 0)
		return rl->credit < want ? (size_t)rl->credit : want;
	now = rb_now_ns();
	/* The session's bucket is only looked at first: spent only once
	 * the shared one has given its part too. */
	if (rl->own_on) {
		avail = rb_avail(&rl->own, rl->tat, now, &base);
		need = want < rl->own.quantum ? want : rl->own.quantum;
		if (avail < need) {
			*wait_ns = rb_wait_ns(&rl->own, rl->tat, now, need);
			if (*wait_ns == 0)
				*wait_ns = 1;
			return must_wait(rl);
		}
		if (avail < g)
			g = avail;
	}
	if (rl->pool != NULL) {
		/* A quantum at a time: sessions that wake together share
		 * what has built up instead of the first taking it all. */
		if (g > rl->pool_p.quantum)
			g = rl->pool_p.quantum;
		if ((g = rb_take_shared(rl->pool, &rl->pool_p, g, now,
		    wait_ns)) == 0)
			return must_wait(rl);
	}
	if (rl->own_on)
		rl->tat = rb_spend(&rl->own, base, g);
	rl->credit = g;
	return (size_t)g;
}

void
ratelimit_used(struct ratelimit *rl, size_t n)
{
	rl->credit = n < rl->credit ? rl->credit - n : 0;
}
