/*
 * banstore.c - ACCT_BAN_ADD and ACCT_BAN_LIST: shared bans in ftp_bans,
 * made of the store's two statements (banstore.h).
 *
 * Runs in a worker of the account service, unprivileged.  The request
 * comes from the master (root, checked by SO_PEERCRED) and was bounded
 * by acct_get_ban; the rows come from the database: an address that
 * does not parse, or an until that is not a number in range, is skipped,
 * never guessed at.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/parse.h"
#include "accounts/banstore.h"

#define ADDR_TEXT_MAX	64	/* INET6_ADDRSTRLEN and more */

static void
take_row(void *arg, const char *address, const char *until)
{
	struct acct_ban_list *l = arg;
	struct acct_ban *b;
	unsigned long long u;

	if (l->n >= ACCT_BANS_MAX || address == NULL || until == NULL ||
	    parse_uint(until, 0, ACCT_BAN_UNTIL_MAX, &u) == -1)
		return;
	b = &l->bans[l->n];
	memset(b, 0, sizeof(*b));
	if (inet_pton(AF_INET, address, b->addr) == 1)
		b->family = AF_INET;
	else if (inet_pton(AF_INET6, address, b->addr) == 1)
		b->family = AF_INET6;
	else
		return;
	b->until = u;
	l->n++;
}

void
ban_serve(const struct acct_ban_ops *ops, void *h, const struct acct_ban *add,
    unsigned long long now, int deadline_ms, struct acct_ban_list *l)
{
	char text[ADDR_TEXT_MAX], node[256];
	int r = 0;

	l->status = ACCT_FOUND;
	l->why[0] = '\0';
	l->n = 0;
	if (add != NULL) {
		if (inet_ntop((int)add->family, add->addr, text,
		    sizeof(text)) == NULL) {
			l->status = ACCT_REFUSED;
			snprintf(l->why, sizeof(l->why), "a ban of no address");
			return;
		}
		/* The node's name, for whoever reads the table. */
		if (gethostname(node, sizeof(node)) == -1)
			node[0] = '\0';
		node[sizeof(node) - 1] = '\0';
		r = ops->add(h, text, (unsigned long long)add->until, node,
		    "too many failed logins", deadline_ms, l->why,
		    sizeof(l->why));
	}
	if (r == 0)
		r = ops->list(h, now, ACCT_BANS_MAX, take_row, l, deadline_ms,
		    l->why, sizeof(l->why));
	if (r == -1) {
		l->status = ACCT_UNAVAILABLE;
		l->n = 0;
	}
}
