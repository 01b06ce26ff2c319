/*
 * ratebucket.h - a token bucket kept as one time stamp (GCRA).
 *
 * A bucket of rate bytes per second is the instant at which it was last
 * empty (tat, "theoretical arrival time", ns on CLOCK_MONOTONIC): at now
 * it holds (now - tat) * rate bytes, at most depth_ns worth.  Taking g
 * bytes moves tat forward by what g costs.  One number is what makes the
 * shared form lock-free: one compare-and-swap takes bytes, with no refill
 * step to race with.  Pure arithmetic but for rb_now_ns; knows nothing of
 * FTP.
 */
#ifndef COMMON_RATEBUCKET_H
#define COMMON_RATEBUCKET_H

#include <stdatomic.h>
#include <stdint.h>

#define RB_NS		1000000000ULL	/* ns per second */
#define RB_DEPTH_NS	(RB_NS / 8)	/* the most a bucket holds: 125 ms
					 * of its rate */
#define RB_QUANTUM_DIV	32		/* wait for 1/32 s of rate ... */
#define RB_QUANTUM_MAX	(256 * 1024)	/* ... but no more than this */
#define RB_FUTURE_NS	RB_NS		/* a shared tat this far ahead of
					 * now was written by no honest
					 * taker (see rb_take_shared) */

/* A bucket's constants.  Each process keeps its own copy: never in the
 * shared page, so a process that writes the page cannot change them. */
struct rb_params {
	uint64_t	rate;		/* bytes per second, > 0 */
	uint64_t	quantum;	/* the least worth waking for */
	uint64_t	depth_ns;	/* the most it holds, as time */
};

/* The state several processes share (rate_total): lives in a
 * MAP_SHARED page.  Lock-free on every platform we build for. */
struct rb_shared {
	_Atomic unsigned long long tat;
};

/* CLOCK_MONOTONIC in ns (0 if it cannot be read, which Linux never does
 * for this clock). */
uint64_t	rb_now_ns(void);
/* The constants of a bucket of rate bytes/s (rate > 0). */
void	rb_params_init(struct rb_params *p, uint64_t rate);
/* ns that bytes cost at p's rate, rounded up (saturating). */
uint64_t	rb_cost_ns(const struct rb_params *p, uint64_t bytes);
/*
 * Bytes a bucket last empty at tat holds at now (capped by depth_ns);
 * *base gets the stamp to spend them from (rb_spend).  Nothing changes.
 */
uint64_t	rb_avail(const struct rb_params *p, uint64_t tat, uint64_t now,
		    uint64_t *base);
/* The new tat after spending g bytes (g at most what rb_avail said)
 * from base: never later than now. */
uint64_t	rb_spend(const struct rb_params *p, uint64_t base, uint64_t g);
/* ns from now until a bucket last empty at tat holds q bytes (q at most
 * p->quantum, which always fits in depth_ns); 0 if it does. */
uint64_t	rb_wait_ns(const struct rb_params *p, uint64_t tat, uint64_t now,
		    uint64_t q);
/* A shared bucket that is empty at now (no burst to start with). */
void	rb_shared_init(struct rb_shared *b, uint64_t now);
/*
 * Take up to want bytes (want > 0) from a shared bucket: the bytes taken,
 * never more than it holds; 0 when it holds less than min(want, quantum),
 * with *wait_ns how long until it should.  Lock-free: one
 * compare-and-swap per attempt.  It only ever takes: a tat found more
 * than RB_FUTURE_NS ahead (a page someone scribbled on) is reset to now,
 * which makes the bucket empty, never fuller; one far behind is worth
 * one depth, as after an idle spell.
 */
uint64_t	rb_take_shared(struct rb_shared *b, const struct rb_params *p,
		    uint64_t want, uint64_t now, uint64_t *wait_ns);

#endif
