/*
 * sysacct.c - an account of the system's databases into an auth_result:
 * shared by the system source (auth.c) and the pam source (pam_auth.c),
 * which both run in the password-check child.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "config.h"
#include "priv/sysacct.h"

int
sysacct_shell_ok(const char *shell)
{
	const char *s;
	int ok = 0;

	if (!cfg->check_shell)
		return 1;
	setusershell();
	while (!ok && (s = getusershell()) != NULL)
		ok = strcmp(s, shell) == 0;
	endusershell();
	return ok;
}

int
sysacct_fill(const char *name, uid_t uid, gid_t gid, const char *home,
    struct auth_result *r)
{
	if (snprintf(r->name, sizeof(r->name), "%s", name) >=
	    (int)sizeof(r->name) ||
	    snprintf(r->home, sizeof(r->home), "%s", home) >=
	    (int)sizeof(r->home))
		return -1;
	r->uid = uid;
	r->gid = gid;
	return 0;
}

/*
 * The supplementary groups of a system user, looked up here in the
 * monitor rather than by initgroups(3) in the user process: the user
 * process is forked from the monitor and inherits the list, and the
 * name-service work (and the heap it dirties) is not done twice.
 */
int
sysacct_groups(struct auth_result *r)
{
	int n = 32, i;

	for (i = 0; i < 12; i++) {
		r->groups = xreallocarray(r->groups, (size_t)n,
		    sizeof(*r->groups));
		r->ngroups = n;
		if (getgrouplist(r->name, r->gid, r->groups, &r->ngroups) !=
		    -1)
			return 0;
		if (r->ngroups <= n)
			break;		/* failed, and not for room */
		n = r->ngroups;
	}
	free(r->groups);
	r->groups = NULL;
	r->ngroups = 0;
	return -1;
}

