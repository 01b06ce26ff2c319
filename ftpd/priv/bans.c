/*
 * bans.c - the master's table of failed logins per address.
 *
 * Runs in the master; its input is the exit status of monitors (a count
 * of failures) and the peer address accept() gave, both trusted.
 */
#include <string.h>

#include "common/net.h"
#include "priv/bans.h"

struct ban {
	struct sockaddr_storage	addr;
	unsigned		failures;
	time_t			first;		/* start of the window */
	time_t			until;		/* banned until, or 0 */
	int			used;
};

/*
 * Entries in use are packed at the front, [0, nused): an accept() scans
 * only those, and pages of the table no address has reached stay
 * untouched (neither dirty in the master nor copied at each fork).
 */
static struct ban table[BANS_MAX];
static size_t nused;

static struct ban *
find(const struct sockaddr_storage *addr)
{
	size_t i;

	for (i = 0; i < nused; i++)
		if (table[i].used && net_same_host(
		    (const struct sockaddr *)&table[i].addr,
		    (const struct sockaddr *)addr))
			return &table[i];
	return NULL;
}

/* A free slot, or the one whose window started longest ago. */
static struct ban *
slot(void)
{
	struct ban *old = &table[0];
	size_t i;

	if (nused < BANS_MAX)
		return &table[nused++];
	/* Full: reuse the oldest entry that is not a ban in force. */
	for (i = 0; i < BANS_MAX; i++) {
		if (table[i].until == 0 && (old->until != 0 ||
		    table[i].first < old->first))
			old = &table[i];
	}
	return old;
}

int
bans_record(const struct sockaddr_storage *addr, unsigned failures,
    unsigned ban_after, time_t ban_seconds, time_t now)
{
	struct ban *b;

	if (ban_after == 0 || failures == 0)
		return 0;
	b = find(addr);
	if (b == NULL) {
		b = slot();
		memset(b, 0, sizeof(*b));
		b->used = 1;
		b->addr = *addr;
		b->first = now;
	}
	if (b->until != 0 && now >= b->until) {
		b->until = 0;
		b->failures = 0;
		b->first = now;
	}
	if (now - b->first > ban_seconds) {
		b->failures = 0;
		b->first = now;
	}
	b->failures += failures;
	if (b->failures >= ban_after && b->until == 0) {
		b->until = now + ban_seconds;
		return 2;
	}
	return b->until != 0;
}

int
bans_check(const struct sockaddr_storage *addr, time_t now)
{
	struct ban *b = find(addr);

	return b != NULL && b->until != 0 && now < b->until;
}

size_t
bans_active(time_t now)
{
	size_t i, n = 0;

	for (i = 0; i < nused; i++)
		if (table[i].until != 0 && now < table[i].until)
			n++;
	return n;
}

void
bans_clear(void)
{
	memset(table, 0, nused * sizeof(table[0]));
	nused = 0;
}
