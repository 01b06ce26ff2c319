/*
 * acct_check.c - judge an account record from the account service.
 *
 * Runs in the authentication child, as root, on what an unprivileged
 * process parsed out of a database or directory: every field that
 * decides who the session runs as, and where, is checked here before it
 * is trusted.  A record that fails is a refused login, and the log line
 * names the field.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "config.h"
#include "priv/acct_service.h"
#include "priv/auth.h"

/* path lies at or beneath root (both absolute, root without a trailing
 * slash unless it is "/"). */
static int
beneath(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1)
		return 1;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/');
}

static int
has_dotdot(const char *p)
{
	const char *s;

	for (s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return 1;
	return 0;
}

/* uid and gid given by name: the system's databases give the numbers
 * (NSS in the password-check child, where the system source runs it
 * too). */
static int
resolve_ids(const char *user, const struct acct_record *r, uint64_t *uid,
    uint64_t *gid, char *why, size_t whylen)
{
	struct passwd *pw;
	struct group *gr;

	*uid = r->uid;
	*gid = r->gid;
	if (r->uid_name[0] != '\0') {
		if ((pw = getpwnam(r->uid_name)) == NULL) {
			snprintf(why, whylen, "%s: uid %s: no such user", user,
			    r->uid_name);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (r->gid_name[0] != '\0') {
		if ((gr = getgrnam(r->gid_name)) == NULL) {
			snprintf(why, whylen, "%s: gid %s: no such group", user,
			    r->gid_name);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
acct_check(const char *user, const struct acct_record *r,
    struct auth_result *a, char *why, size_t whylen)
{
	uint64_t uid, gid;
	const char *helper;
	int k;

	if (strcmp(r->name, user) != 0) {
		snprintf(why, whylen, "record names %.64s, not %s", r->name,
		    user);
		return -1;
	}
	if (!r->enabled) {
		snprintf(why, whylen, "account %s is disabled (enabled)", user);
		return -1;
	}
	if (resolve_ids(user, r, &uid, &gid, why, whylen) == -1)
		return -1;
	if (uid == 0 || gid == 0) {
		snprintf(why, whylen, "%s: %s 0 may not log in", user,
		    uid == 0 ? "uid" : "gid");
		return -1;
	}
	if (uid > 4294967294ULL || gid > 4294967294ULL) {
		snprintf(why, whylen, "%s: uid or gid out of range", user);
		return -1;
	}
	if (!cfg->unprivileged && uid < cfg->min_uid) {
		snprintf(why, whylen, "%s: uid %llu below min_uid %llu", user,
		    (unsigned long long)uid, cfg->min_uid);
		return -1;
	}
	if ((helper = config_helper_uid((unsigned)uid)) != NULL) {
		snprintf(why, whylen, "%s: uid %llu is %s's", user,
		    (unsigned long long)uid, helper);
		return -1;
	}
	if (r->home[0] != '/' || has_dotdot(r->home)) {
		snprintf(why, whylen, "%s: home \"%.200s\" is not an absolute "
		    "path without ..", user, r->home);
		return -1;
	}
	if (cfg->accounts_home_root[0] != '\0' &&
	    !beneath(r->home, cfg->accounts_home_root)) {
		snprintf(why, whylen, "%s: home %.200s is not beneath "
		    "accounts_home_root %.200s", user, r->home,
		    cfg->accounts_home_root);
		return -1;
	}
	if (snprintf(a->name, sizeof(a->name), "%s", r->name) >=
	    (int)sizeof(a->name) || snprintf(a->home, sizeof(a->home), "%s",
	    r->home) >= (int)sizeof(a->home)) {
		snprintf(why, whylen, "%s: name or home too long", user);
		return -1;
	}
	a->uid = cfg->unprivileged ? getuid() : (uid_t)uid;
	a->gid = cfg->unprivileged ? getgid() : (gid_t)gid;
	a->virtual_user = 1;
	for (k = 0; k < PLAN_NKEYS; k++)
		if ((r->plan_set & (1u << k)) != 0)
			a->plan_row[k] = xstrdup(r->plan[k]);
	return 0;
}
