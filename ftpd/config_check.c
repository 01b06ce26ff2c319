/*
 * config_check.c - check what the configuration names on this system:
 * accounts, directories and log files.
 *
 * Runs in main (as started, before any socket is opened), for ftpd -t and
 * for a real start alike.  config.c checks what a value says; this file
 * checks that it resolves here.  Without it a missing nopriv_user, an
 * unsafe empty_dir or a missing anon_root passed ftpd -t, and the server
 * started, listened and answered every session with 421.  The session
 * processes still check again (privdrop.c, auth.c): the system may change
 * while the server runs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_check.h"
#include "priv/pam_auth.h"

/* "key: path: reason" unless path is an existing directory. */
static int
need_dir(const char *key, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (path[0] == '\0') {
		snprintf(err, errlen, "%s: not set", key);
		return -1;
	}
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s: not a directory", key, path);
		return -1;
	}
	return 0;
}

/* path must be an existing regular file (SQLite's database: the
 * service opens it, never creates it). */
static int
need_file(const char *key, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s: not a regular file", key, path);
		return -1;
	}
	return 0;
}

/* The directory a file would be created in must exist. */
static int
need_parent(const char *key, const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return 0;	/* not a path (config.c said which are) */
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", key);
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return need_dir(key, dir, err, errlen);
}

static int
need_user(const char *key, const char *name, char *err, size_t errlen)
{
	errno = 0;
	if (getpwnam(name) != NULL)
		return 0;
	snprintf(err, errlen, "%s: no such user \"%s\"%s%s", key, name,
	    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	return -1;
}

/* empty_dir is made (0555, root) at startup when missing; if it exists
 * it must be root's and writable by nobody else (privdrop.c chroots the
 * front into it). */
static int
check_empty_dir(char *err, size_t errlen)
{
	struct stat st;

	if (cfg->empty_dir[0] == '\0') {
		snprintf(err, errlen, "empty_dir: not set");
		return -1;
	}
	if (stat(cfg->empty_dir, &st) == -1) {
		if (errno == ENOENT)
			return need_parent("empty_dir", cfg->empty_dir, err,
			    errlen);
		snprintf(err, errlen, "empty_dir: %s: %s", cfg->empty_dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "empty_dir: %s: must be a root-owned "
		    "directory not writable by group or others",
		    cfg->empty_dir);
		return -1;
	}
	return 0;
}

/* The account service's, the event runner's and the metrics process's
 * ids are their own: a front (nopriv_user) or an anonymous session that
 * shared them could trace the service and read the database password
 * out of its memory, signal the runner's hooks or take the metrics
 * socket; the three do not share theirs either. */
static int
check_own_ids(const char *key, unsigned uid, unsigned gid, char *err,
    size_t errlen)
{
	const char *who[] = { cfg->nopriv_user, cfg->anon_user };
	const struct {
		const char	*key;
		int		 on;
		unsigned	 uid, gid;
	} own[] = {
		{ "account_user", cfg->acct_service, cfg->acct_uid,
		  cfg->acct_gid },
		{ "event_user", cfg->events, cfg->event_uid, cfg->event_gid },
		{ "metrics_user", cfg->metrics_listen[0] != '\0',
		  cfg->metrics_uid, cfg->metrics_gid },
	};
	struct passwd *pw;
	size_t i;

	for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		pw = getpwnam(who[i]);
		if (pw != NULL && (pw->pw_uid == uid || pw->pw_gid == gid)) {
			snprintf(err, errlen, "%s: shares its ids with %s "
			    "(give it ids of its own)", key, who[i]);
			return -1;
		}
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i].on && strcmp(own[i].key, key) != 0 &&
		    (own[i].uid == uid || own[i].gid == gid)) {
			snprintf(err, errlen, "%s: shares its ids with %s "
			    "(give it ids of its own)", key, own[i].key);
			return -1;
		}
	return 0;
}

int
config_check_system(char *err, size_t errlen)
{
	size_t i;
	int anon = cfg->anonymous;

	if (cfg->anonymous && need_dir("anon_root", cfg->anon_root, err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < cfg->nvhosts; i++) {
		const struct vhost *v = &cfg->vhosts[i];

		char key[600];

		anon |= v->anonymous;
		/* Not the top-level key's line: the section's. */
		(void)snprintf(key, sizeof(key), "%.300s: [host %.200s] "
		    "anon_root", v->where, v->name);
		if (v->anonymous && need_dir(key, v->anon_root, err,
		    errlen) == -1)
			return -1;
	}
	if (cfg->log[0] == '/' && need_parent("log", cfg->log, err,
	    errlen) == -1)
		return -1;
	if (cfg->xferlog[0] != '\0' && need_parent("xferlog", cfg->xferlog,
	    err, errlen) == -1)
		return -1;
	if (cfg->event_socket[0] != '\0' && need_parent("event_socket",
	    cfg->event_socket, err, errlen) == -1)
		return -1;
	if (cfg->event_argc > 0 && access(cfg->event_argv[0], X_OK) == -1) {
		snprintf(err, errlen, "event_exec: %s: %s", cfg->event_argv[0],
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->acct_nchain; i++) {
		if (cfg->acct_chain[i] == SRC_PAM && !cfg->unprivileged &&
		    pam_service_ok(cfg->pam_service, err, errlen) == -1)
			return -1;
		if (cfg->acct_chain[i] == SRC_SQL &&
		    cfg->sql_driver == SQL_SQLITE &&
		    need_file("sql_dsn", cfg->sql_dsn, err, errlen) == -1)
			return -1;
	}
	if (cfg->unprivileged)
		return 0;	/* sessions run as this user: no switch */
	if (need_user("nopriv_user", cfg->nopriv_user, err, errlen) == -1 ||
	    check_empty_dir(err, errlen) == -1 ||
	    (cfg->acct_service && check_own_ids("account_user",
	    cfg->acct_uid, cfg->acct_gid, err, errlen) == -1) ||
	    (cfg->events && check_own_ids("event_user", cfg->event_uid,
	    cfg->event_gid, err, errlen) == -1) ||
	    (cfg->metrics_listen[0] != '\0' && check_own_ids("metrics_user",
	    cfg->metrics_uid, cfg->metrics_gid, err, errlen) == -1))
		return -1;
	if (anon && need_user("anon_user", cfg->anon_user, err,
	    errlen) == -1)
		return -1;
	return 0;
}
