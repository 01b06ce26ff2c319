/*
 * plan_show.c - ftpd -t -u NAME: the effective plan of one account and
 * where each value came from.
 *
 * Runs in main, as whoever ran ftpd -t (root in production), with no
 * client anywhere: NAME comes from the administrator's command line.
 * The account is found as a login would find it, down the accounts
 * chain but without a password: users_file and the passwd database are
 * read here; an sql or ldap account is asked of the account service,
 * started for the occasion and stopped at once.  The plan is then
 * resolved by the monitor's own code (acct_plan_resolve), so what is
 * printed is what a login would get.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "formats/users_file.h"
#include "priv/acct_plan.h"
#include "priv/acct_service.h"
#include "priv/auth.h"
#include "priv/plan_show.h"
#include "priv/privdrop.h"
#include "priv/sysacct.h"

#define NOTE_MAX	1024

/* Where the account was found, for the header and the notes. */
struct found {
	char	origin[NOTE_MAX];
	char	note[NOTE_MAX];	/* "" or what the output cannot show */
	int	partial;	/* ids unknown: [group] sections not applied */
};

/* users_file's line for name, without a password: 1 found (*a filled),
 * 0 not there, -1 a bad line (why). */
static int
from_users_file(const char *file, const char *name, struct auth_result *a,
    char *why, size_t whylen)
{
	char line[USERS_FILE_LINE_MAX];
	const char *hash;
	FILE *f;
	int rc, res = 0, c;

	if (file[0] == '\0')
		return 0;
	if ((f = fopen(file, "re")) == NULL) {
		/* A login would go on to the next source too. */
		fprintf(stderr, "ftpd: users_file %s: %s\n", file,
		    strerror(errno));
		return 0;
	}
	while (res == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			do	/* an overlong line is skipped, as at login */
				c = getc(f);
			while (c != EOF && c != '\n');
			continue;
		}
		if (line[0] == USERS_FILE_COMMENT)
			continue;
		rc = auth_users_parse(line, name, &hash, a);
		if (rc == 0)
			res = 1;
		else if (rc == -2) {
			snprintf(why, whylen, "bad users_file line for %s",
			    name);
			res = -1;
		}
	}
	explicit_bzero(line, sizeof(line));	/* it held a hash */
	(void)fclose(f);
	return res;
}

/* The passwd database (system and pam sources): 1 found, 0 not. */
static int
from_passwd(const char *name, struct auth_result *a)
{
	struct passwd *pw;

	if (cfg->unprivileged || (pw = getpwnam(name)) == NULL)
		return 0;
	if (sysacct_fill(pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir,
	    a) == -1)
		return 0;
	if (sysacct_groups(a) == -1)
		a->ngroups = 0;		/* the primary group still counts */
	return 1;
}

/*
 * sql or ldap: ask the account service (started once, on the first
 * such source).  1 found (*a filled with the row's values), 0 not
 * there, -1 refused or unreachable (why), 2 the record exists but is
 * only given with the account's password (ldap_auth = bind).
 */
static int
from_service(enum acct_source src, const char *name, int *started,
    struct auth_result *a, char *why, size_t whylen)
{
	struct acct_record rec;
	enum acct_status st;
	int rc = -1;

	if (!*started) {
		if (acct_spawn_start() == -1) {
			snprintf(why, whylen, "the account service could not "
			    "be started (see above)");
			return -1;
		}
		*started = 1;
	}
	st = acct_ask((unsigned)src, name, "", "", "", &rec, why, whylen);
	if (st == ACCT_UNKNOWN)
		rc = 0;
	else if (st == ACCT_FOUND)
		rc = acct_check(name, &rec, a, why, whylen) == 0 ? 1 : -1;
	else if (st == ACCT_REFUSED && src == SRC_LDAP &&
	    cfg->ldap_auth == LDAP_AUTH_BIND)
		rc = 2;
	explicit_bzero(&rec, sizeof(rec));
	return rc;
}

static const char *
source_name(enum acct_source src)
{
	static const char *const names[] = { "file", "system", "pam", "sql",
	    "ldap" };

	return names[src];
}

/*
 * Walk the chain as a login would.  0 found (*a, *fd), 1 no source
 * knows name, -1 a source refused or failed (message printed).
 */
static int
find_account(const char *name, struct auth_result *a, struct found *fd)
{
	char why[512];
	size_t i;
	int started = 0, rc = 0, res = 1;

	for (i = 0; res == 1 && i < cfg->acct_nchain; i++) {
		enum acct_source src = cfg->acct_chain[i];

		why[0] = '\0';
		auth_result_clear(a);
		a->source = (int)src;
		switch (src) {
		case SRC_FILE:
			rc = from_users_file(cfg->users_file, name, a, why,
			    sizeof(why));
			snprintf(fd->origin, sizeof(fd->origin), "users_file "
			    "%s", cfg->users_file);
			break;
		case SRC_SYSTEM:
		case SRC_PAM:
			rc = from_passwd(name, a);
			snprintf(fd->origin, sizeof(fd->origin), "%s source "
			    "(passwd)", source_name(src));
			break;
		case SRC_SQL:
		case SRC_LDAP:
			rc = from_service(src, name, &started, a, why,
			    sizeof(why));
			snprintf(fd->origin, sizeof(fd->origin), "%s source "
			    "(asked of the account service)",
			    source_name(src));
			break;
		}
		if (rc == 1)
			res = 0;
		else if (rc == 2) {
			/* Shown without its row and its ids. */
			snprintf(a->name, sizeof(a->name), "%s", name);
			a->uid = (uid_t)-1;
			a->gid = (gid_t)-1;
			fd->partial = 1;
			snprintf(fd->note, sizeof(fd->note), "ldap_auth = bind: "
			    "the directory gives the entry only with the "
			    "account's password (%s); its attributes and the "
			    "[group] sections of its groups may change these "
			    "values at login", why);
			res = 0;
		} else if (rc == -1) {
			fprintf(stderr, "ftpd: %s: %s: %s\n", name,
			    source_name(src), why);
			res = -1;
		}
	}
	if (started)
		acct_spawn_stop();
	return res;
}

static void
print_plan(const struct plan *p)
{
	char val[PLAN_TEXT_MAX + 64];
	int k;

	for (k = 0; k < PLAN_NKEYS; k++) {
		plan_format(p, (enum plan_key)k, val, sizeof(val));
		printf("%s = %s    (from: %s)\n",
		    plan_key_name((enum plan_key)k), val, p->from[k]);
	}
}

/* One value of a [dir] section, or what it is when unset. */
static const char *
dir_value(const char *v)
{
	return v != NULL ? v : "(not set)";
}

/*
 * The [dir PATH] sections that reach into the session's root, as
 * user/dirs.c will lay them over it at login: where each applies in the
 * session's view and what it sets.  A section outside the root cannot
 * touch the account and is left out.  The path is shown as the session
 * names it; a symbolic link on it is resolved only at login.
 */
static void
print_dirs(const struct auth_result *a)
{
	char view[PATH_MAX], above[PATH_MAX];
	const struct dir_section *ds;
	const char *home = a->anonymous ? cfg->anon_root : a->home;
	const char *root;
	size_t i, shown = 0;
	int rc;

	if (cfg->ndir_sections == 0 || home[0] == '\0')
		return;
	root = privdrop_whole_fs_home(a) != NULL ? "/" : home;
	for (i = 0; i < cfg->ndir_sections; i++) {
		ds = &cfg->dir_sections[i];
		rc = dirrule_view(ds->tree, root, home, view, sizeof(view),
		    above, sizeof(above));
		if (rc != 1)
			continue;
		printf("[dir %s]    (%s) applies at %s%s%s\n", ds->path,
		    ds->where, view[0] == '\0' ? "/" : view,
		    above[0] != '\0' ? ", holding the whole root" : "",
		    root[0] == '/' && root[1] == '\0' ? "" : " of the root");
		printf("    permissions = %s\n    hide = %s\n    deny = %s\n",
		    dir_value(ds->permissions), dir_value(ds->hide),
		    dir_value(ds->deny));
		shown++;
	}
	if (shown == 0)
		printf("# no [dir] section lies inside %s\n", root);
}

int
plan_show(const char *name)
{
	static struct plan p;
	struct auth_result a;
	struct found fd;
	char why[512];
	int rc, i;

	memset(&a, 0, sizeof(a));
	memset(&fd, 0, sizeof(fd));
	if (auth_is_anonymous(name, NULL)) {
		a.anonymous = 1;
		snprintf(fd.origin, sizeof(fd.origin), "anonymous: the "
		    "defaults (anonymous sessions are limited by the "
		    "anon_* keys)");
	} else if ((rc = find_account(name, &a, &fd)) != 0) {
		if (rc == 1)
			fprintf(stderr, "ftpd: %s: no such account (accounts "
			    "chain: %zu source(s), none knows it)\n", name,
			    cfg->acct_nchain);
		auth_result_clear(&a);
		return 1;
	}
	if (acct_plan_resolve(&a, &p, why, sizeof(why)) == -1) {
		fprintf(stderr, "ftpd: %s: %s (a login would be refused)\n",
		    name, why);
		auth_result_clear(&a);
		return 1;
	}
	printf("# plan of %s: %s\n", name, fd.origin);
	if (!a.anonymous && !fd.partial) {
		printf("# uid %u, gid %u, groups", (unsigned)a.uid,
		    (unsigned)a.gid);
		for (i = 0; i < a.ngroups; i++)
			printf(" %u", (unsigned)a.groups[i]);
		printf("%s, home %s\n", a.ngroups == 0 ? " none" : "",
		    a.home);
	}
	if (fd.note[0] != '\0')
		printf("# note: %s\n", fd.note);
	if (!a.anonymous && auth_in_deny_file(name))
		printf("# note: %s is listed in deny_file %s: it cannot log "
		    "in\n", name, cfg->deny_file);
	print_plan(&p);
	if (!fd.partial)
		print_dirs(&a);
	auth_result_clear(&a);
	return 0;
}
