/*
 * bans_shared.c - the master's view of the cluster's bans (bans_shared.h).
 *
 * Runs in the master, as root.  It never talks to the database: it asks
 * the account service, whose answers are binary entries bounded by
 * acct_get_ban_list (a family, 16 address bytes, an until in range).  A
 * compromised service could ban or unban addresses, which is all the
 * table is for; it cannot make the master read past a buffer or wait.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ipc.h"
#include "common/log.h"
#include "config.h"
#include "priv/acct_service.h"
#include "priv/bans_shared.h"

#define REFRESH_MS	1000	/* a ban reaches every node within 2 s */
#define QUEUE_MAX	64	/* bans waiting to be sent */

static struct acct_ban_list view;	/* the last list the service gave */
static struct acct_ban_list incoming;
static struct acct_ban queue[QUEUE_MAX];
static size_t nqueue;
static int fd = -1;
static int sent_add;			/* the question in flight is an add */
static long long deadline;		/* of the question in flight */
static long long next_ask;		/* clock_ms() of the next list */
static int down;			/* an outage already logged */

/* addr as an entry: family and the address bytes. */
static int
to_ban(const struct sockaddr_storage *addr, struct acct_ban *b)
{
	memset(b, 0, sizeof(*b));
	if (addr->ss_family == AF_INET) {
		b->family = AF_INET;
		memcpy(b->addr, &((const struct sockaddr_in *)addr)->sin_addr,
		    4);
		return 0;
	}
	if (addr->ss_family == AF_INET6) {
		b->family = AF_INET6;
		memcpy(b->addr, &((const struct sockaddr_in6 *)addr)->
		    sin6_addr, 16);
		return 0;
	}
	return -1;
}

void
bans_shared_add(const struct sockaddr_storage *addr, time_t until)
{
	struct acct_ban b;

	if (to_ban(addr, &b) == -1 || until <= 0)
		return;
	b.until = (uint64_t)until;
	if (nqueue == QUEUE_MAX) {
		/* A flood of bans: this node still refuses them itself. */
		memmove(queue, queue + 1, sizeof(queue[0]) * (QUEUE_MAX - 1));
		nqueue--;
	}
	queue[nqueue++] = b;
	next_ask = 0;		/* now, not at the next second */
}

int
bans_shared_check(const struct sockaddr_storage *addr, time_t now)
{
	struct acct_ban b;
	uint32_t i;

	if (view.n == 0 || to_ban(addr, &b) == -1)
		return 0;
	for (i = 0; i < view.n; i++)
		if (view.bans[i].until > (uint64_t)now &&
		    view.bans[i].family == b.family &&
		    memcmp(view.bans[i].addr, b.addr, 16) == 0)
			return 1;
	return 0;
}

int
bans_shared_fd(void)
{
	return fd;
}

int
bans_shared_wait_ms(void)
{
	long long now = clock_ms(), t = fd != -1 ? deadline : next_ask;

	return t <= now ? 0 : t - now > REFRESH_MS ? REFRESH_MS : (int)(t - now);
}

static void
finish(void)
{
	(void)close(fd);
	fd = -1;
	next_ask = clock_ms() + REFRESH_MS;
}

static void
outage(const char *why)
{
	if (!down)
		log_msg(LOG_WARNING, "shared bans: %s; keeping the %u ban(s) "
		    "known until each expires", why, (unsigned)view.n);
	down = 1;
}

static void
ask(void)
{
	char why[ACCT_WHY_MAX];
	struct buf out;
	uint64_t now = (uint64_t)time(NULL);
	int r;

	if ((fd = acct_dial_now(why, sizeof(why))) == -1) {
		outage(why);
		next_ask = clock_ms() + REFRESH_MS;
		return;
	}
	/* Bans that ended while the database was away need no row. */
	while (nqueue > 0 && queue[0].until <= now) {
		memmove(queue, queue + 1, sizeof(queue[0]) * (nqueue - 1));
		nqueue--;
	}
	buf_init(&out, 128);
	sent_add = nqueue > 0;
	r = sent_add ? acct_put_ban(&out, &queue[0]) :
	    ipc_put_u64(&out, now);
	/* A fresh socket has room for one small message. */
	if (r == -1 || ipc_send(fd, sent_add ? ACCT_BAN_ADD : ACCT_BAN_LIST,
	    out.data, out.len, -1) == -1) {
		outage("cannot send to the account service");
		finish();
	} else
		deadline = clock_ms() + (long long)cfg->accounts_timeout *
		    1000 + 500;
	buf_free(&out);
}

void
bans_shared_tick(void)
{
	if (fd != -1 && clock_ms() >= deadline) {
		outage("no answer from the account service within "
		    "accounts_timeout");
		finish();
	}
	if (fd == -1 && clock_ms() >= next_ask)
		ask();
}

void
bans_shared_ready(void)
{
	struct buf in;
	uint32_t type;

	buf_init(&in, IPC_MAX);
	if (ipc_recv(fd, &type, &in, NULL) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			outage("the account service closed without an answer");
			finish();
		}
		buf_free(&in);
		return;
	}
	if (type != ACCT_BAN_LIST_ANSWER ||
	    acct_get_ban_list(&in, &incoming) == -1)
		outage("a malformed answer from the account service");
	else if (incoming.status != ACCT_FOUND)
		outage(incoming.why);
	else {
		if (down)
			log_msg(LOG_NOTICE, "shared bans: the database "
			    "answers again (%u ban(s) in force)",
			    (unsigned)incoming.n);
		down = 0;
		/* Sent and stored: the next one, if any. */
		if (sent_add && nqueue > 0)
			memmove(queue, queue + 1, sizeof(queue[0]) * --nqueue);
		view.n = incoming.n;
		memcpy(view.bans, incoming.bans, sizeof(view.bans[0]) *
		    incoming.n);
		buf_free(&in);
		finish();
		/* More bans to send: at once, the database answers. */
		if (nqueue > 0)
			next_ask = 0;
		return;
	}
	/* Not stored: tried again at the next second, not in a loop. */
	buf_free(&in);
	finish();
}

void
bans_shared_stop(void)
{
	if (fd != -1)
		finish();
}
