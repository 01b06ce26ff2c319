/*
 * metrics_page.h - the shared counters (formats/metrics_page.h), from the
 * privileged side: made by the master, added to by the master, the
 * monitors and the password-check children.
 *
 * With metrics off there is no page: metrics_shared is NULL and every
 * MET_ADD is one test of it, predicted not taken.
 */
#ifndef FTPD_PRIV_METRICS_PAGE_H
#define FTPD_PRIV_METRICS_PAGE_H

#include <stddef.h>

#include "formats/metrics_page.h"

/* Set once before the first fork (like cfg), then only read. */
extern struct metrics_page *metrics_shared;

#define MET_ADD(field, n) do {						\
	struct metrics_page *met_p_ = metrics_shared;			\
	if (__builtin_expect(met_p_ != NULL, 0))			\
		atomic_fetch_add_explicit(&met_p_->field,		\
		    (uint64_t)(n), memory_order_relaxed);		\
} while (0)

/*
 * Master, before it forks anything, with metrics_listen set: map the page
 * with one slot per possible session (max_clients).  0 (also when metrics
 * are off), or -1 logged.
 */
int	metrics_page_create(void);
/* Its size, for the metrics process's mprotect. */
size_t	metrics_page_size(void);
/* A process that must not hold it (the front, the user process): unmap.
 * metrics_shared is NULL afterwards. */
void	metrics_page_forget(void);

/* Master: a free slot for the monitor about to be forked (marked
 * pre-login), or -1 (metrics off, or none free). */
int	metrics_slot_take(void);
/* Master, when it reaps the monitor of slot i (-1: none). */
void	metrics_slot_free(int i);
/* In the forked monitor: slot i is this session's. */
void	metrics_slot_adopt(int i);
/* Monitor: its session's state (MET_SLOT_*). */
void	metrics_slot_set(unsigned state);
/* ftpd_account_lookup_seconds: one password check that took us. */
void	metrics_lookup_observe(unsigned long long us);

#endif
