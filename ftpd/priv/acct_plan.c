/*
 * acct_plan.c - resolve an account's plan and apply what must happen
 * before its session starts.
 *
 * Runs in the monitor, as root, after a successful password check.  The
 * row values came from the account service through the password-check
 * child; they are parsed here again (plan_resolve), never trusted as
 * they were checked by the unprivileged side.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "priv/acct_plan.h"

/* layers: one per global key set, groups, user, row */
#define LAYERS_MAX	(PLAN_NKEYS + 64 + 2)

static int
in_groups(unsigned gid, const struct auth_result *a)
{
	int i;

	if (gid == (unsigned)a->gid)
		return 1;
	for (i = 0; i < a->ngroups; i++)
		if (gid == (unsigned)a->groups[i])
			return 1;
	return 0;
}

/*
 * The global values: only those the administrator set (a default keeps
 * "default" as its origin), one layer per key so that each names its
 * own line ("/etc/ftpd.conf:12", "-o").  Returns the layers used.
 */
static size_t
global_layers(struct plan_layer *l)
{
	struct plan_layer g;
	const char *where;
	size_t n = 0;
	int k;

	config_plan_global(&g);
	for (k = 0; k < PLAN_NKEYS; k++) {
		where = config_key_where(plan_key_name((enum plan_key)k));
		if (strcmp(where, "default") == 0)
			continue;
		l[n].val[k] = g.val[k];
		l[n].where = where;
		n++;
	}
	return n;
}

/* A [group] or [user] section as a layer, named for `from`. */
static void
section_layer(const struct plan_section *ps, struct plan_layer *l,
    char name[PLAN_WHERE_MAX])
{
	int k;

	for (k = 0; k < PLAN_NKEYS; k++)
		l->val[k] = ps->val[k];
	snprintf(name, PLAN_WHERE_MAX, "[%s %.30s] %.50s", ps->is_group ?
	    "group" : "user", ps->name, ps->where);
	l->where = name;
}

int
acct_plan_resolve(const struct auth_result *a, struct plan *p, char *why,
    size_t whylen)
{
	static char names[LAYERS_MAX][PLAN_WHERE_MAX];
	struct plan_layer layers[LAYERS_MAX];
	size_t n = 0, i;
	int k;

	memset(layers, 0, sizeof(layers));
	if (!a->anonymous) {
		n = global_layers(layers);
		for (i = 0; i < cfg->nplan_sections && n < LAYERS_MAX - 2;
		    i++) {
			if (!cfg->plan_sections[i].is_group ||
			    !in_groups(cfg->plan_sections[i].gid, a))
				continue;
			section_layer(&cfg->plan_sections[i], &layers[n],
			    names[n]);
			n++;
		}
		for (i = 0; i < cfg->nplan_sections; i++)
			if (!cfg->plan_sections[i].is_group &&
			    strcmp(cfg->plan_sections[i].name, a->name) == 0) {
				section_layer(&cfg->plan_sections[i],
				    &layers[n], names[n]);
				n++;
				break;
			}
		for (k = 0; k < PLAN_NKEYS; k++)
			layers[n].val[k] = a->plan_row[k];
		layers[n].where = a->source == SRC_LDAP ?
		    "the account's LDAP entry" : "the account's row";
		n++;
	}
	return plan_resolve(layers, n, p, why, whylen);
}

/* create_home: the home itself (its parent must exist), owned by the
 * account; an existing one is left as it is. */
static int
make_home(const struct auth_result *a, char *why, size_t whylen)
{
	int made = mkdir(a->home, 0750) == 0;

	if (!made && errno != EEXIST) {
		snprintf(why, whylen, "%s: create_home %s: %s", a->name,
		    a->home, strerror(errno));
		return -1;
	}
	if (made && !cfg->unprivileged &&
	    chown(a->home, a->uid, a->gid) == -1) {
		snprintf(why, whylen, "%s: create_home %s: chown: %s", a->name,
		    a->home, strerror(errno));
		(void)rmdir(a->home);
		return -1;
	}
	return 0;
}

int
acct_plan_admit(const struct plan *p, const struct auth_result *a,
    const struct sockaddr *peer, int tls, char *msg, size_t msglen,
    char *why, size_t whylen)
{
	struct stat st;

	if (!plan_address_ok(p, peer)) {
		snprintf(msg, msglen, "Login not allowed from your address.");
		snprintf(why, whylen, "%s: address refused by allow_from/"
		    "deny_from (%s)", a->name, p->ndeny > 0 &&
		    netmask_match(p->deny, p->ndeny, peer) ?
		    p->from[PLAN_deny_from] : p->from[PLAN_allow_from]);
		return -1;
	}
	if (p->tls_required && !tls) {
		snprintf(msg, msglen, "This account must use TLS (AUTH TLS) "
		    "first.");
		snprintf(why, whylen, "%s: tls_required (%s) but the control "
		    "connection is plain", a->name, p->from[PLAN_tls_required]);
		return -1;
	}
	if (a->anonymous)
		return 0;
	errno = 0;
	if (stat(a->home, &st) == -1 && errno == ENOENT && p->create_home &&
	    make_home(a, why, whylen) == -1) {
		snprintf(msg, msglen, "Cannot set up your home directory.");
		return -1;
	}
	errno = 0;
	if (stat(a->home, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(msg, msglen, "Login incorrect.");
		snprintf(why, whylen, "%s: home %s: %s", a->name, a->home,
		    errno != 0 ? strerror(errno) : "not a directory");
		return -1;
	}
	return 0;
}
