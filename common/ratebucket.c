/*
 * ratebucket.c - a token bucket kept as one time stamp (ratebucket.h).
 *
 * Runs in the user process (a transfer's own bucket, the shared one of
 * rate_total) and in the master (which makes the shared one empty).  The
 * inputs are the administrator's rates and the clock; the shared stamp
 * is also written by other sessions, so it is judged, never trusted
 * (rb_take_shared).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "ratebucket.h"

/* One compare-and-swap on a plain word: a page shared by processes
 * needs an atomic that takes no lock (a lock would live in one process). */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "rate_total needs lock-free 64-bit atomics");
_Static_assert(sizeof(unsigned long long) == sizeof(uint64_t),
    "the shared stamp is 64 bits");

/* a * b / c rounded down (up with up), saturating at UINT64_MAX: the
 * product of a second's worth of ns and a rate of up to 2^62 needs 128
 * bits. */
static uint64_t
muldiv(uint64_t a, uint64_t b, uint64_t c, int up)
{
	__extension__ typedef unsigned __int128 u128;
	u128 q, m = (u128)a * b;

	q = m / c;
	if (up && m % c != 0)
		q++;
	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t
rb_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * RB_NS + (uint64_t)ts.tv_nsec;
}

uint64_t
rb_cost_ns(const struct rb_params *p, uint64_t bytes)
{
	return muldiv(bytes, RB_NS, p->rate, 1);
}

void
rb_params_init(struct rb_params *p, uint64_t rate)
{
	uint64_t cost;

	p->rate = rate > 0 ? rate : 1;
	/*
	 * Wake for a 32nd of a second's bytes: small chunks keep the
	 * stream smooth (a client's progress, a router's queue), while a
	 * fast rate is not spent on wake-ups; 256 KiB is the loops' own
	 * chunk, so a faster rate costs no extra calls.
	 */
	p->quantum = p->rate / RB_QUANTUM_DIV;
	if (p->quantum == 0)
		p->quantum = 1;
	if (p->quantum > RB_QUANTUM_MAX)
		p->quantum = RB_QUANTUM_MAX;
	/* Deep enough for one quantum, or a rate under 32 bytes/s would
	 * never fill it. */
	cost = rb_cost_ns(p, p->quantum);
	p->depth_ns = cost > RB_DEPTH_NS ? cost : RB_DEPTH_NS;
}

uint64_t
rb_avail(const struct rb_params *p, uint64_t tat, uint64_t now,
    uint64_t *base)
{
	uint64_t b = tat;

	/* Idle time beyond depth_ns is not saved up: at most one depth's
	 * burst after a pause. */
	if (now > p->depth_ns && b < now - p->depth_ns)
		b = now - p->depth_ns;
	*base = b;
	if (b >= now)
		return 0;
	return muldiv(now - b, p->rate, RB_NS, 0);
}

uint64_t
rb_spend(const struct rb_params *p, uint64_t base, uint64_t g)
{
	/* g <= (now - base) * rate / 1e9, so the rounded-up cost still
	 * lands at or before now: a bucket never owes. */
	return add_sat(base, rb_cost_ns(p, g));
}

uint64_t
rb_wait_ns(const struct rb_params *p, uint64_t tat, uint64_t now,
    uint64_t q)
{
	/* q costs at most depth_ns (rb_params_init), so the cap of
	 * rb_avail never keeps it from being reached by tat + cost. */
	uint64_t at = add_sat(tat, rb_cost_ns(p, q));

	return at > now ? at - now : 0;
}

void
rb_shared_init(struct rb_shared *b, uint64_t now)
{
	atomic_init(&b->tat, now);
}

uint64_t
rb_take_shared(struct rb_shared *b, const struct rb_params *p, uint64_t want,
    uint64_t now, uint64_t *wait_ns)
{
	unsigned long long old, next;
	uint64_t avail, base, need, g;

	need = want < p->quantum ? want : p->quantum;
	/* Only this word is shared; nothing else is published with it,
	 * so relaxed ordering is enough. */
	old = atomic_load_explicit(&b->tat, memory_order_relaxed);
	for (;;) {
		/*
		 * An honest taker never writes a stamp later than its own
		 * now: one far ahead was scribbled.  Reset it to now, an
		 * empty bucket, rather than wait for it.  A stamp less far
		 * ahead may be another session's newer now and is
		 * honoured, so a scribbler holds the others back by at
		 * most RB_FUTURE_NS per write: no more than it could by
		 * spending the budget itself.
		 */
		if (old > now && old - now > RB_FUTURE_NS) {
			if (atomic_compare_exchange_weak_explicit(&b->tat,
			    &old, now, memory_order_relaxed,
			    memory_order_relaxed))
				old = now;
			continue;
		}
		avail = rb_avail(p, old, now, &base);
		if (avail < need) {
			*wait_ns = rb_wait_ns(p, old, now, need);
			if (*wait_ns == 0)
				*wait_ns = 1;
			return 0;
		}
		g = want < avail ? want : avail;
		next = rb_spend(p, base, g);
		if (atomic_compare_exchange_weak_explicit(&b->tat, &old, next,
		    memory_order_relaxed, memory_order_relaxed))
			return g;
		/* Another session took first: old is its stamp now. */
	}
}
