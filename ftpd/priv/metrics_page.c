/*
 * metrics_page.c - the shared counters behind /metrics (DESIGN.md,
 * "Metrics").
 *
 * Runs in the master (create, slots), the monitors and their
 * password-check children (adds): all root, none of them reading client
 * bytes.  The page is a MAP_SHARED anonymous mapping made before the first
 * fork, so no name on the file system lets anything else map it; the
 * front and the user process unmap it before their role runs, and the
 * metrics process makes it read-only before its seccomp filter, which
 * then forbids mprotect and mmap.
 */
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "priv/metrics_page.h"

struct metrics_page *metrics_shared;
static size_t page_len;
static int my_slot = -1;	/* a monitor's own slot */
static uint32_t next_slot;	/* master: where the search starts */

static const unsigned long long lookup_bounds[MET_LOOKUP_NB] =
    MET_LOOKUP_BOUNDS;

int
metrics_page_create(void)
{
	size_t len, slots = (size_t)cfg->max_clients;
	void *p;

	if (metrics_shared != NULL || cfg->metrics_listen[0] == '\0')
		return 0;
	/* A reload may raise max_clients but cannot grow the page every
	 * process mapped: room for that, a byte a session. */
	if (slots < METRICS_SLOTS_MIN)
		slots = METRICS_SLOTS_MIN;
	len = sizeof(struct metrics_page) + slots;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_msg(LOG_ERR, "metrics: mmap: %s", strerror(errno));
		return -1;
	}
	metrics_shared = p;
	page_len = len;
	metrics_shared->nslots = (uint32_t)slots;
	if (!atomic_is_lock_free(&metrics_shared->sessions_total)) {
		log_msg(LOG_ERR, "metrics: no lock-free 64-bit atomics here");
		metrics_page_forget();
		return -1;
	}
	return 0;
}

size_t
metrics_page_size(void)
{
	return page_len;
}

void
metrics_page_forget(void)
{
	if (metrics_shared == NULL)
		return;
	if (munmap(metrics_shared, page_len) == -1)
		log_msg(LOG_WARNING, "metrics: munmap: %s", strerror(errno));
	metrics_shared = NULL;
	my_slot = -1;
}

int
metrics_slot_take(void)
{
	uint32_t i, n, at;

	if (metrics_shared == NULL)
		return -1;
	n = metrics_shared->nslots;
	/* The master admits at most max_clients sessions, so a free slot
	 * exists; starting after the last one taken keeps this short. */
	for (i = 0; i < n; i++) {
		at = (next_slot + i) % n;
		if (atomic_load_explicit(&metrics_shared->slots[at],
		    memory_order_relaxed) == MET_SLOT_FREE) {
			atomic_store_explicit(&metrics_shared->slots[at],
			    MET_SLOT_PRELOGIN, memory_order_relaxed);
			next_slot = (at + 1) % n;
			return (int)at;
		}
	}
	return -1;
}

void
metrics_slot_free(int i)
{
	if (metrics_shared == NULL || i < 0 ||
	    (uint32_t)i >= metrics_shared->nslots)
		return;
	atomic_store_explicit(&metrics_shared->slots[i], MET_SLOT_FREE,
	    memory_order_relaxed);
}

void
metrics_slot_adopt(int i)
{
	my_slot = i;
}

void
metrics_slot_set(unsigned state)
{
	if (metrics_shared == NULL || my_slot < 0)
		return;
	atomic_store_explicit(&metrics_shared->slots[my_slot],
	    (uint8_t)state, memory_order_relaxed);
}

void
metrics_lookup_observe(unsigned long long us)
{
	size_t b;

	if (metrics_shared == NULL)
		return;
	for (b = 0; b < MET_LOOKUP_NB && us > lookup_bounds[b]; b++)
		;
	MET_ADD(lookup[b], 1);
	MET_ADD(lookup_sum_us, us);
}
