/*
 * test_ratebucket.c - unit tests for common/ratebucket.c (the token
 * bucket as one time stamp) and ftpd/user/ratelimit.c (a transfer's
 * grants): the constants, what a bucket holds and costs, no burst at
 * the start, the depth cap, arithmetic at extreme rates, the shared
 * bucket under contention from two processes, and a scribbled shared
 * stamp.  Clocks are simulated except where processes race.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/ratebucket.h"
#include "config.h"
#include "session.h"
#include "user/ratelimit.h"
#include "user/route.h"

#define MS	1000000ULL		/* ns */
#define T0	(1000 * RB_NS)		/* a clock that has run a while */
#define MIB	(1024ULL * 1024)

START_TEST(params)
{
	struct rb_params p;

	rb_params_init(&p, MIB);
	ck_assert_uint_eq(p.rate, MIB);
	ck_assert_uint_eq(p.quantum, MIB / RB_QUANTUM_DIV);
	ck_assert_uint_eq(p.depth_ns, RB_DEPTH_NS);
	/* Fast: the quantum stops at the loops' chunk. */
	rb_params_init(&p, 10ULL << 30);
	ck_assert_uint_eq(p.quantum, RB_QUANTUM_MAX);
	/* Slow: at least a byte, and deep enough to hold it. */
	rb_params_init(&p, 1);
	ck_assert_uint_eq(p.quantum, 1);
	ck_assert_uint_eq(p.depth_ns, RB_NS);
	rb_params_init(&p, 10);
	ck_assert_uint_eq(p.quantum, 1);
	ck_assert_uint_eq(p.depth_ns, RB_DEPTH_NS);
	ck_assert_uint_ge(p.depth_ns, rb_cost_ns(&p, p.quantum));
	rb_params_init(&p, 0);			/* never asked, but safe */
	ck_assert_uint_eq(p.rate, 1);
}
END_TEST

START_TEST(cost_and_avail)
{
	struct rb_params p;
	uint64_t base;

	rb_params_init(&p, MIB);
	ck_assert_uint_eq(rb_cost_ns(&p, MIB), RB_NS);
	ck_assert_uint_eq(rb_cost_ns(&p, 0), 0);
	/* Rounded up: a byte at 1 MiB/s is 953.67 ns. */
	ck_assert_uint_eq(rb_cost_ns(&p, 1), 954);
	/* Empty at T0: nothing at T0, 10 ms worth 10 ms later. */
	ck_assert_uint_eq(rb_avail(&p, T0, T0, &base), 0);
	ck_assert_uint_eq(base, T0);
	ck_assert_uint_eq(rb_avail(&p, T0, T0 + 10 * MS, &base),
	    MIB / 100);
	/* Idle for a minute: one depth (125 ms) saved up, no more. */
	ck_assert_uint_eq(rb_avail(&p, T0, T0 + 60 * RB_NS, &base), MIB / 8);
	ck_assert_uint_eq(base, T0 + 60 * RB_NS - RB_DEPTH_NS);
	/* A stamp ahead of now (another process's newer now): empty. */
	ck_assert_uint_eq(rb_avail(&p, T0 + 5, T0, &base), 0);
	/* Spending all that is there lands at most at now. */
	ck_assert_uint_le(rb_spend(&p, T0, MIB / 100), T0 + 10 * MS);
}
END_TEST

/* Spending what rb_avail offers never puts the stamp past now, for any
 * rate and gap (a bucket never owes). */
START_TEST(never_owes)
{
	static const uint64_t rates[] = { 1, 3, 7, 1000, 999983, MIB,
	    123456789, 10ULL << 30, 1ULL << 62 };
	struct rb_params p;
	uint64_t now, tat, base, b2, a, seed = 88172645463325252ULL;
	size_t i, k;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		rb_params_init(&p, rates[i]);
		tat = now = T0;
		for (k = 0; k < 2000; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			now += seed % (300 * MS);
			a = rb_avail(&p, tat, now, &base);
			/* Never more than a full bucket. */
			ck_assert_uint_le(a, rb_avail(&p, 0, now, &b2));
			if (a == 0)
				continue;
			/* Spend all of it, or about half. */
			if (seed % 2)
				a = a / 2 + 1;
			tat = rb_spend(&p, base, a);
			ck_assert_uint_le(tat, now);
		}
	}
}
END_TEST

/* The figure, on a simulated clock: 4 MiB at 1 MiB/s from an
 * empty bucket takes 4 s (less a last quantum), never under 3.9 s. */
START_TEST(no_initial_burst)
{
	struct rb_params p;
	uint64_t now = T0, tat = T0, base, a, w, left = 4 * MIB;
	unsigned wakeups = 0;

	rb_params_init(&p, MIB);
	while (left > 0) {
		a = rb_avail(&p, tat, now, &base);
		w = left < p.quantum ? left : p.quantum;
		if (a < w) {
			now += rb_wait_ns(&p, tat, now, w);
			wakeups++;
			continue;
		}
		if (a > left)
			a = left;
		tat = rb_spend(&p, base, a);
		left -= a;
	}
	ck_assert_uint_ge(now - T0, 39 * RB_NS / 10);
	ck_assert_uint_le(now - T0, 4 * RB_NS);
	/* Waits of a quantum, not of a byte: about 128 of them. */
	ck_assert_uint_ge(wakeups, 100);
	ck_assert_uint_le(wakeups, 140);
}
END_TEST

START_TEST(wait_reaches_quantum)
{
	struct rb_params p;
	uint64_t base, w;

	rb_params_init(&p, 1000);
	w = rb_wait_ns(&p, T0, T0, p.quantum);
	ck_assert_uint_eq(w, rb_cost_ns(&p, p.quantum));
	ck_assert_uint_ge(rb_avail(&p, T0, T0 + w, &base), p.quantum);
	ck_assert_uint_lt(rb_avail(&p, T0, T0 + w - 1, &base), p.quantum);
	ck_assert_uint_eq(rb_wait_ns(&p, T0, T0 + w, p.quantum), 0);
}
END_TEST

/* Rates near the top of what plan_bytes accepts (2^62): no overflow. */
START_TEST(extreme_rates)
{
	struct rb_params p;
	uint64_t base;

	rb_params_init(&p, 1ULL << 62);
	ck_assert_uint_eq(rb_avail(&p, T0, T0 + RB_DEPTH_NS, &base),
	    (1ULL << 62) / 8);
	ck_assert_uint_eq(rb_cost_ns(&p, 1ULL << 62), RB_NS);
	ck_assert_uint_eq(rb_cost_ns(&p, 1), 1);
	rb_params_init(&p, 1);
	/* A cost beyond 2^64 ns saturates instead of wrapping. */
	ck_assert_uint_eq(rb_cost_ns(&p, UINT64_MAX), UINT64_MAX);
	ck_assert_uint_eq(rb_spend(&p, T0, UINT64_MAX), UINT64_MAX);
	ck_assert_uint_eq(rb_wait_ns(&p, UINT64_MAX - 5, T0, 1),
	    UINT64_MAX - T0);
}
END_TEST

START_TEST(shared_basic)
{
	struct rb_shared b;
	struct rb_params p;
	uint64_t w = 0, g;

	rb_params_init(&p, MIB);
	rb_shared_init(&b, T0);
	/* Empty at start: no burst. */
	ck_assert_uint_eq(rb_take_shared(&b, &p, 4096, T0, &w), 0);
	ck_assert_uint_eq(w, rb_cost_ns(&p, 4096));
	/* 40 ms later: 40 ms worth (more than a quantum), whatever more
	 * is asked. */
	g = rb_take_shared(&b, &p, MIB, T0 + 40 * MS, &w);
	ck_assert_uint_eq(g, 40 * MIB / 1000);
	ck_assert_uint_eq(rb_take_shared(&b, &p, MIB, T0 + 40 * MS, &w), 0);
	ck_assert_uint_gt(w, 0);
	/* Less than a quantum there: wait for one rather than trickle. */
	ck_assert_uint_eq(rb_take_shared(&b, &p, MIB, T0 + 41 * MS, &w), 0);
	ck_assert_uint_le(w, rb_cost_ns(&p, p.quantum));
	/* Unless less is all that is asked. */
	ck_assert_uint_eq(rb_take_shared(&b, &p, 100, T0 + 41 * MS, &w), 100);
}
END_TEST

/*
 * A session that scribbles on the shared page: a stamp far ahead would
 * stall everyone, and is reset to now (an empty bucket); a stamp far
 * behind gives one depth, as after an idle spell, never more.
 */
START_TEST(shared_scribbled)
{
	struct rb_shared b;
	struct rb_params p;
	uint64_t w = 0;

	rb_params_init(&p, MIB);
	rb_shared_init(&b, T0);
	atomic_store(&b.tat, (unsigned long long)UINT64_MAX);
	ck_assert_uint_eq(rb_take_shared(&b, &p, 4096, T0, &w), 0);
	ck_assert_uint_eq(atomic_load(&b.tat), T0);
	ck_assert_uint_le(w, rb_cost_ns(&p, 4096));
	atomic_store(&b.tat, 0ULL);
	ck_assert_uint_eq(rb_take_shared(&b, &p, 64 * MIB, T0, &w), MIB / 8);
	ck_assert_uint_eq(rb_take_shared(&b, &p, 64 * MIB, T0, &w), 0);
	/* A little ahead is another session's newer now: honoured. */
	atomic_store(&b.tat, (unsigned long long)(T0 + MS));
	ck_assert_uint_eq(rb_take_shared(&b, &p, 4096, T0, &w), 0);
	ck_assert_uint_eq(atomic_load(&b.tat), T0 + MS);
	ck_assert_uint_eq(w, MS + rb_cost_ns(&p, 4096));
}
END_TEST

/*
 * Two processes take from one MAP_SHARED bucket on the real clock as
 * fast as they can for 300 ms: together they get no more than the rate
 * allows (plus the rounding of one grant each), and each gets a share.
 */
START_TEST(shared_two_processes)
{
	struct page {
		struct rb_shared	b;
		uint64_t		got[2];
	} *pg;
	const uint64_t rate = 8 * MIB, run_ns = 300 * MS;
	struct rb_params p;
	uint64_t start, end, w, g, total;
	pid_t pid[2];
	int i, st;

	pg = mmap(NULL, sizeof(*pg), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(pg != MAP_FAILED);
	memset(pg, 0, sizeof(*pg));
	rb_params_init(&p, rate);
	start = rb_now_ns();
	rb_shared_init(&pg->b, start);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ck_assert_int_ne(pid[i], -1);
		if (pid[i] == 0) {
			uint64_t now;

			while ((now = rb_now_ns()) < start + run_ns) {
				g = rb_take_shared(&pg->b, &p, 16384, now,
				    &w);
				pg->got[i] += g;
			}
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	end = rb_now_ns();
	total = pg->got[0] + pg->got[1];
	ck_assert_uint_le(total, (end - start) * rate / RB_NS + 2);
	/* Both ran on a possibly busy machine: at least half the budget
	 * was handed out, and neither starved. */
	ck_assert_uint_ge(total, run_ns * rate / RB_NS / 2);
	ck_assert_uint_gt(pg->got[0], 0);
	ck_assert_uint_gt(pg->got[1], 0);
	ck_assert_int_eq(munmap(pg, sizeof(*pg)), 0);
}
END_TEST

/* ratelimit.c: no rate, nothing on; a rate starts empty; grants not
 * moved stay granted (a short sendfile); the shared bucket limits too. */
START_TEST(ratelimit_grants)
{
	/* A transfer that waits tells the monitor (MON_MET_RATE_WAIT) only
	 * with metrics on: off here, so no channel is needed. */
	static struct ftpd_config tcfg = { .metrics_listen = "" };
	const struct ftpd_config *saved = cfg;
	struct rb_shared *pool;
	struct ratelimit rl;
	struct xfer_route r;
	struct session s;
	uint64_t w;
	size_t g;

	cfg = &tcfg;
	session_init(&s);
	memset(&r, 0, sizeof(r));
	r.op = XFER_OP_RETR;
	ratelimit_begin(&rl, &s, &r);
	ck_assert_int_eq(rl.on, 0);

	r.rate = 64 * 1024;
	ratelimit_begin(&rl, &s, &r);
	ck_assert_int_eq(rl.on, 1);
	ck_assert_uint_eq(ratelimit_grant(&rl, 65536, &w), 0);
	ck_assert_uint_gt(w, 0);
	ck_assert_uint_le(w, rb_cost_ns(&rl.own, rl.own.quantum));
	ck_assert_int_eq(usleep((useconds_t)(w / 1000 + 1000)), 0);
	g = ratelimit_grant(&rl, 65536, &w);
	ck_assert_uint_ge(g, rl.own.quantum);
	ck_assert_uint_lt(g, 65536 / 4);
	ratelimit_used(&rl, 10);
	ck_assert_uint_eq(ratelimit_grant(&rl, 65536, &w), g - 10);
	ck_assert_uint_eq(ratelimit_grant(&rl, 5, &w), 5);
	ratelimit_used(&rl, g - 10);
	ck_assert_uint_eq(ratelimit_grant(&rl, 65536, &w), 0);

	/* rate_total alone: the shared bucket decides, empty too. */
	pool = mmap(NULL, sizeof(*pool), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(pool != MAP_FAILED);
	rb_shared_init(pool, rb_now_ns());
	s.rate_pool = pool;
	s.rate_total = 1024 * 1024;
	r.rate = 0;
	r.pooled = 1;
	ratelimit_begin(&rl, &s, &r);
	ck_assert_int_eq(rl.on, 1);
	ck_assert_int_eq(rl.own_on, 0);
	ck_assert_uint_eq(ratelimit_grant(&rl, 1 << 20, &w), 0);
	ck_assert_int_eq(usleep((useconds_t)(w / 1000 + 1000)), 0);
	g = ratelimit_grant(&rl, 1 << 20, &w);
	ck_assert_uint_gt(g, 0);
	/* At most a quantum of the pool per grant. */
	ck_assert_uint_le(g, rl.pool_p.quantum);
	/* The tighter of the two wins. */
	r.rate = 1000;
	ratelimit_begin(&rl, &s, &r);
	ck_assert_int_eq(usleep(100000), 0);
	g = ratelimit_grant(&rl, 1 << 20, &w);
	ck_assert_uint_ge(g, 1);
	ck_assert_uint_le(g, 125);		/* 125 ms at 1000 B/s */
	/* Pooled without a pool (rate_total = 0): nothing on. */
	s.rate_pool = NULL;
	r.rate = 0;
	ratelimit_begin(&rl, &s, &r);
	ck_assert_int_eq(rl.on, 0);
	ck_assert_int_eq(munmap(pool, sizeof(*pool)), 0);
	session_free(&s);
	cfg = saved;
}
END_TEST

static Suite *
ratebucket_suite(void)
{
	Suite *s = suite_create("ratebucket");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, params);
	tcase_add_test(tc, cost_and_avail);
	tcase_add_test(tc, never_owes);
	tcase_add_test(tc, no_initial_burst);
	tcase_add_test(tc, wait_reaches_quantum);
	tcase_add_test(tc, extreme_rates);
	tcase_add_test(tc, shared_basic);
	tcase_add_test(tc, shared_scribbled);
	tcase_add_test(tc, shared_two_processes);
	tcase_add_test(tc, ratelimit_grants);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(ratebucket_suite)
