/*
 * auth_child.c - check a password in a throwaway child of the monitor.
 *
 * Runs in the monitor (root).  Checking a password reads /etc/shadow
 * (through NSS) and users_file through stdio, whose freed buffers still
 * hold other accounts' hashes, and the user process is forked from the
 * monitor: those pages would reach the account's own process, readable
 * by anyone who takes it over.  So the check runs in a child that exits
 * afterwards and takes that memory with it; the monitor keeps only the
 * verdict and the account's ids.  The NSS churn (and the heap it dirties)
 * goes with the child too, which keeps the monitor and the user process
 * small.  The child is our own code running as root, as trusted as the
 * monitor; its one message is length-checked all the same.
 * Anonymous logins read no secret and are checked in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config.h"
#include "priv/auth.h"
#include "priv/auth_child.h"
#include "cpupin.h"

#define AUTH_RESULT	1
/* A hash with a huge cost field is the administrator's choice; a child
 * stuck in NSS (an unreachable directory) is not: give up after this. */
#define AUTH_TIMEOUT_MS	(120 * 1000)
/* Supplementary groups that fit one IPC message with the rest. */
#define AUTH_GROUPS_MAX	((IPC_MAX - 2 * PATH_MAX - 1024) / sizeof(gid_t))

/* The row's plan values: u32 mask, then each set value. */
static int
put_plan_row(struct buf *out, const struct auth_result *r)
{
	uint32_t set = 0;
	int k;

	for (k = 0; r != NULL && k < PLAN_NKEYS; k++)
		if (r->plan_row[k] != NULL)
			set |= 1u << k;
	if (ipc_put_u32(out, set) == -1)
		return -1;
	for (k = 0; k < PLAN_NKEYS; k++)
		if ((set & (1u << k)) != 0 &&
		    ipc_put_str(out, r->plan_row[k]) == -1)
			return -1;
	return 0;
}

static int
get_plan_row(const struct buf *p, size_t *off, struct auth_result *r)
{
	char text[PLAN_TEXT_MAX];
	uint32_t set;
	int k;

	if (ipc_get_u32(p, off, &set) == -1 || (set >> PLAN_NKEYS) != 0)
		return -1;
	for (k = 0; k < PLAN_NKEYS; k++) {
		if ((set & (1u << k)) == 0)
			continue;
		if (ipc_get_str(p, off, text, sizeof(text)) == -1)
			return -1;
		r->plan_row[k] = xstrdup(text);
	}
	return 0;
}

/* Child: check, send {rc, why, result}, exit. */
static void __attribute__((noreturn))
auth_child(int fd, void *arg)
{
	struct auth_result r;
	struct buf out;
	char why[512];
	int rc;

	/* crypt(3) is the CPU-heavy part of a login: let concurrent
	 * logins hash on every CPU, not only the one sessions start on. */
	const struct auth_login *l = arg;

	cpupin_leave();
	memset(&r, 0, sizeof(r));
	rc = auth_check(l, &r, why, sizeof(why));
	if (rc == AUTH_OK && (size_t)r.ngroups > AUTH_GROUPS_MAX) {
		rc = AUTH_REFUSED;
		snprintf(why, sizeof(why), "%s has more than %zu supplementary "
		    "groups", r.name, AUTH_GROUPS_MAX);
	}
	buf_init(&out, IPC_MAX);
	if (ipc_put_u32(&out, (uint32_t)-rc) == -1 ||
	    ipc_put_str(&out, why) == -1 ||
	    ipc_put_str(&out, r.name) == -1 ||
	    ipc_put_u32(&out, (uint32_t)r.uid) == -1 ||
	    ipc_put_u32(&out, (uint32_t)r.gid) == -1 ||
	    ipc_put_str(&out, r.home) == -1 ||
	    ipc_put_u32(&out, (uint32_t)r.anonymous) == -1 ||
	    ipc_put_u32(&out, (uint32_t)r.virtual_user) == -1 ||
	    ipc_put_u32(&out, (uint32_t)r.source) == -1 ||
	    ipc_put_bytes(&out, r.groups, rc == AUTH_OK ?
	    (size_t)r.ngroups * sizeof(gid_t) : 0) == -1 ||
	    put_plan_row(&out, rc == AUTH_OK ? &r : NULL) == -1 ||
	    ipc_send(fd, AUTH_RESULT, out.data, out.len, -1) == -1)
		_exit(1);
	_exit(0);
}

/* Parent: read the child's message into *r.  AUTH_OK, or AUTH_REFUSED /
 * AUTH_UNAVAILABLE (why set). */
static int
auth_read(const struct buf *p, struct auth_result *r, char *why,
    size_t whylen)
{
	struct buf groups;
	uint32_t rc, uid, gid, anon, virt, source;
	size_t off = 0;

	buf_init(&groups, IPC_MAX);
	if (ipc_get_u32(p, &off, &rc) == -1 ||
	    ipc_get_str(p, &off, why, whylen) == -1 ||
	    ipc_get_str(p, &off, r->name, sizeof(r->name)) == -1 ||
	    ipc_get_u32(p, &off, &uid) == -1 ||
	    ipc_get_u32(p, &off, &gid) == -1 ||
	    ipc_get_str(p, &off, r->home, sizeof(r->home)) == -1 ||
	    ipc_get_u32(p, &off, &anon) == -1 ||
	    ipc_get_u32(p, &off, &virt) == -1 ||
	    ipc_get_u32(p, &off, &source) == -1 || source > SRC_LDAP ||
	    ipc_get_bytes(p, &off, &groups) == -1 ||
	    groups.len % sizeof(gid_t) != 0 ||
	    get_plan_row(p, &off, r) == -1 || off != p->len) {
		buf_free(&groups);
		snprintf(why, whylen, "malformed answer from the check");
		return AUTH_REFUSED;
	}
	r->uid = (uid_t)uid;
	r->gid = (gid_t)gid;
	r->anonymous = anon != 0;
	r->virtual_user = virt != 0;
	r->source = (int)source;
	r->ngroups = (int)(groups.len / sizeof(gid_t));
	if (r->ngroups > 0) {
		r->groups = xcalloc((size_t)r->ngroups, sizeof(gid_t));
		memcpy(r->groups, groups.data, groups.len);
	}
	buf_free(&groups);
	return rc == 0 ? AUTH_OK : rc == (uint32_t)-AUTH_UNAVAILABLE ?
	    AUTH_UNAVAILABLE : AUTH_REFUSED;
}

int
auth_check_isolated(const struct auth_login *l, struct auth_result *r,
    char *why, size_t whylen)
{
	struct buf p;
	uint32_t type;
	int rc;

	if (auth_is_anonymous(l->user, l->vh))
		return auth_check(l, r, why, whylen);
	auth_result_clear(r);	/* from an earlier attempt of this session */
	snprintf(why, whylen, "password check failed to run");
	buf_init(&p, IPC_MAX);
	rc = ipc_call_child(auth_child, (void *)(uintptr_t)l, &type, &p,
	    AUTH_TIMEOUT_MS);
	if (rc == 0 && type == AUTH_RESULT)
		rc = auth_read(&p, r, why, whylen);
	else {
		log_msg(LOG_ERR, "password check: %s", rc == -1 && errno != 0 ?
		    strerror(errno) : "no answer");
		rc = -1;
	}
	buf_free(&p);
	if (rc != AUTH_OK)
		auth_result_clear(r);
	return rc;
}
