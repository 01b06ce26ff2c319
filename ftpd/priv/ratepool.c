/*
 * ratepool.c - rate_total: the node's shared bucket (common/ratebucket.h).
 *
 * Runs in the master, once, before it forks anything (or in the one
 * session of -i).  The bucket is one atomic word in a MAP_SHARED
 * anonymous page: every monitor and user process forked afterwards sees
 * the same page, and no name on the file system lets anything else map
 * it.  The page holds only the stamp: the rate and depth every session
 * spends it by come from its own copy of the configuration, so a session
 * can consume from the page but not declare a larger budget in it (see
 * rb_take_shared for what a session that writes the page can and cannot
 * do).  The monitor passes the pointer down in role_login; the front
 * unmaps it (ratepool_forget).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "common/log.h"
#include "common/ratebucket.h"
#include "config.h"
#include "plan/plan.h"
#include "priv/ratepool.h"

/* Set before the first fork, then only read (and inherited): the same
 * rule as the configuration, which a reload replaces between forks too
 * (ratepool_reload). */
static struct rb_shared *pool;

int
ratepool_create(void)
{
	unsigned long long rate;
	void *p;

	if (pool != NULL)
		return 0;
	/* Checked at load (config.c), so this cannot fail here. */
	if (plan_bytes(cfg->rate_total, &rate) == -1) {
		log_msg(LOG_ERR, "rate_total: not a size: %s", cfg->rate_total);
		return -1;
	}
	if (rate == 0)
		return 0;
	p = mmap(NULL, sizeof(*pool), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_msg(LOG_ERR, "rate_total: mmap: %s", strerror(errno));
		return -1;
	}
	pool = p;
	/* Empty at start: the first second is as slow as the rest. */
	rb_shared_init(pool, rb_now_ns());
	if (!atomic_is_lock_free(&pool->tat)) {
		log_msg(LOG_ERR, "rate_total: no lock-free atomics here");
		ratepool_forget();
		return -1;
	}
	return 0;
}

int
ratepool_reload(const struct ftpd_config *old)
{
	unsigned long long was, now;

	/* Both were checked at load: a failure means "changed". */
	if (plan_bytes(old->rate_total, &was) == 0 &&
	    plan_bytes(cfg->rate_total, &now) == 0 && was == now)
		return 0;
	ratepool_forget();
	log_msg(LOG_NOTICE, "reload: rate_total is now %s: new sessions "
	    "share a new budget, running ones keep the old", cfg->rate_total);
	return ratepool_create();
}

struct rb_shared *
ratepool_get(void)
{
	return pool;
}

void
ratepool_forget(void)
{
	if (pool == NULL)
		return;
	if (munmap(pool, sizeof(*pool)) == -1)
		log_msg(LOG_WARNING, "rate_total: munmap: %s",
		    strerror(errno));
	pool = NULL;
}
