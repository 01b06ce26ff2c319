/*
 * acctproto.c - ACCT_ANSWER encoding, shared by the account service and
 * the authentication child that reads it.
 */
#include <string.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "formats/acctproto.h"

static int
put_plan(struct buf *b, const struct acct_record *r)
{
	int k;

	if (ipc_put_u32(b, r->plan_set) == -1)
		return -1;
	for (k = 0; k < PLAN_NKEYS; k++)
		if ((r->plan_set & (1u << k)) != 0 &&
		    ipc_put_str(b, r->plan[k]) == -1)
			return -1;
	return 0;
}

static int
get_plan(const struct buf *b, size_t *off, struct acct_record *r)
{
	int k;

	if (ipc_get_u32(b, off, &r->plan_set) == -1 ||
	    (r->plan_set >> PLAN_NKEYS) != 0)
		return -1;
	for (k = 0; k < PLAN_NKEYS; k++)
		if ((r->plan_set & (1u << k)) != 0 &&
		    ipc_get_str(b, off, r->plan[k], sizeof(r->plan[k])) == -1)
			return -1;
	return 0;
}

int
acct_put_answer(struct buf *b, enum acct_status st, const char *why,
    const struct acct_record *r)
{
	if (ipc_put_u32(b, (uint32_t)st) == -1 || ipc_put_str(b, why) == -1)
		return -1;
	if (st != ACCT_FOUND)
		return 0;
	return ipc_put_str(b, r->name) == -1 ||
	    ipc_put_str(b, r->hash) == -1 ||
	    ipc_put_u64(b, r->uid) == -1 || ipc_put_u64(b, r->gid) == -1 ||
	    ipc_put_str(b, r->home) == -1 ||
	    ipc_put_u32(b, r->enabled) == -1 ||
	    ipc_put_u32(b, r->verified) == -1 ||
	    ipc_put_str(b, r->uid_name) == -1 ||
	    ipc_put_str(b, r->gid_name) == -1 || put_plan(b, r) == -1 ? -1 : 0;
}

int
acct_get_answer(const struct buf *b, enum acct_status *st, char *why,
    size_t whylen, struct acct_record *r)
{
	uint32_t v;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	if (ipc_get_u32(b, &off, &v) == -1 || v > ACCT_UNAVAILABLE ||
	    ipc_get_str(b, &off, why, whylen) == -1)
		return -1;
	*st = (enum acct_status)v;
	if (*st != ACCT_FOUND)
		return off == b->len ? 0 : -1;
	if (ipc_get_str(b, &off, r->name, sizeof(r->name)) == -1 ||
	    ipc_get_str(b, &off, r->hash, sizeof(r->hash)) == -1 ||
	    ipc_get_u64(b, &off, &r->uid) == -1 ||
	    ipc_get_u64(b, &off, &r->gid) == -1 ||
	    ipc_get_str(b, &off, r->home, sizeof(r->home)) == -1 ||
	    ipc_get_u32(b, &off, &r->enabled) == -1 ||
	    ipc_get_u32(b, &off, &r->verified) == -1 ||
	    ipc_get_str(b, &off, r->uid_name, sizeof(r->uid_name)) == -1 ||
	    ipc_get_str(b, &off, r->gid_name, sizeof(r->gid_name)) == -1 ||
	    get_plan(b, &off, r) == -1 || off != b->len)
		return -1;
	return 0;
}
