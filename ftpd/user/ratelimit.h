/*
 * ratelimit.h - rate_up, rate_down, anon_rate and rate_total in the
 * transfer loops (ratelimit.c).
 *
 * A transfer asks ratelimit_grant how many bytes it may move before each
 * chunk and reports what it moved with ratelimit_used; with no rate set
 * (on == 0) the loops call neither and never read the clock.  Runs in the
 * user process.
 */
#ifndef FTPD_RATELIMIT_H
#define FTPD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ratebucket.h"

struct session;
struct xfer_route;

struct ratelimit {
	int		 on;		/* some rate applies to this transfer */
	uint64_t	 credit;	/* granted, not moved yet */
	int		 own_on;	/* the session's rate applies */
	struct rb_params own;
	uint64_t	 tat;		/* the session's bucket: this
					 * transfer's alone, starts empty */
	struct rb_shared *pool;		/* rate_total's bucket, or NULL */
	struct rb_params pool_p;	/* from our configuration, never
					 * from the shared page */
	int		 mon_fd;	/* for the one MON_MET_RATE_WAIT */
	int		 waited;	/* this transfer has waited */
};

/* At login: the session's rates (the plan's, or anon_rate for an
 * anonymous session) and the node's shared bucket (NULL: none). */
void	ratelimit_login(struct session *s, struct rb_shared *pool);
/* A transfer on route r starts (r->rate, r->pooled): empty buckets. */
void	ratelimit_begin(struct ratelimit *rl, const struct session *s,
	    const struct xfer_route *r);
/*
 * How many of want bytes (want > 0) may move now: 1..want, or 0 when
 * none may, with *wait_ns how long until some should.  Bytes granted
 * and not moved stay granted for the next call.
 */
size_t	ratelimit_grant(struct ratelimit *rl, size_t want, uint64_t *wait_ns);
/* n bytes of a grant moved. */
void	ratelimit_used(struct ratelimit *rl, size_t n);

#endif
