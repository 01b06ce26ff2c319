/*
 * reload.c - SIGHUP: read the whole configuration again, for new
 * sessions.
 *
 * Runs in the master, from its loop (the signal handler only sets a
 * flag), as root, on the administrator's files: the same -f file and -o
 * values ftpd was started with.  Nothing here reads a client byte.
 *
 * A reload is all or nothing.  The new configuration is read into an
 * object of its own beside the one in use (config_read), then checked as
 * a start would check it (config_check_system, then the TLS context,
 * which is built last because a good build replaces the old one).  Any
 * error leaves the old configuration, and everything built from it, in
 * place, and logs FILE:LINE and the reason.  Keys that cannot change
 * without a restart (config_restart.def) keep their old values and are
 * named in one log line.  Only then does cfg point at the new object,
 * and reload_apply brings every subsystem that runs a process or holds
 * state built from the configuration up to date; the old object is
 * freed last.  Sessions forked before carry their own copy of the old
 * configuration (fork copied it), so nothing they use changes under them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "config_check.h"
#include "priv/acct_service.h"
#include "priv/auth.h"
#include "priv/privdrop.h"
#include "priv/ratepool.h"
#include "priv/reload.h"
#include "priv/sessionlog.h"
#include "tls/tls.h"

static const char *conf_path;
static int conf_explicit;
static char *const *conf_over;
static size_t conf_nover;

void
reload_args(const char *path, int explicit, char *const *overrides,
    size_t noverrides)
{
	conf_path = path;
	/* A default file that was there at start must be there at a
	 * reload: gone, it is an error, not a switch to the defaults. */
	conf_explicit = explicit || (path != NULL && access(path, F_OK) == 0);
	conf_over = overrides;
	conf_nover = noverrides;
}

/*
 * The log files, on every SIGHUP: opened again by name, so that after
 * logrotate moved them new sessions write to fresh files (sessions
 * already running keep the file they started with), or under their new
 * names when the keys changed (old: the configuration before, or NULL).
 */
static void
reload_logs(const struct ftpd_config *old)
{
	int moved = old != NULL && strcmp(old->log, cfg->log) != 0;

	if ((cfg->log[0] == '/' || moved) && log_open(cfg->log, "ftpd") == -1)
		log_msg(LOG_ERR, "SIGHUP: cannot open log %s, keeping the "
		    "open one: %s", cfg->log, strerror(errno));
	log_set_level((int)(LOG_ERR + cfg->log_level));
	log_set_json(cfg->log_format == 1);
	if (cfg->xferlog[0] == '\0')
		xferlog_close();
	else
		(void)xferlog_open();
}

/*
 * The TLS context, certificates and keys: rebuilt on every SIGHUP
 * (renewed certificates under the same names).  A failed build keeps
 * the previous context and refuses the whole configuration; a good one
 * replaces it at once, which is why it is the last check.
 */
static int
reload_tls(char *err, size_t errlen)
{
	char why[768];

	if (tls_init(why, sizeof(why)) == 0) {
		if (tls_available())
			log_msg(LOG_NOTICE, "SIGHUP: TLS certificate and key "
			    "reloaded");
		return 0;
	}
	config_locate_error(why, sizeof(why));
	(void)snprintf(err, errlen, "TLS reload failed, keeping the "
	    "previous certificate: %s", why);
	return -1;
}

/* What may still refuse the new configuration (cfg), in order. */
static int
reload_check(char *err, size_t errlen)
{
	if (config_check_system(err, errlen) == -1) {
		config_locate_error(err, errlen);
		return -1;
	}
	return reload_tls(err, errlen);
}

/*
 * The hook: cfg is the new configuration, old the one before; each
 * subsystem that runs a process or holds state built from the
 * configuration has one line here and rebuilds or restarts only when a
 * key it uses changed (see DESIGN.md, "Reload", for how to join).  None
 * of them may fail the reload any more: each logs its own trouble.  The
 * master's own tables (max_clients, the ask channels) follow in
 * master.c once this returns.
 */
static void
reload_apply(const struct ftpd_config *old)
{
	reload_logs(old);
	if (strcmp(old->run_dir, cfg->run_dir) != 0 &&
	    mkdir(cfg->run_dir, 0755) == -1 && errno != EEXIST)
		log_msg(LOG_WARNING, "run_dir %s: %s (ftpwho will see "
		    "nothing)", cfg->run_dir, strerror(errno));
	auth_prepare();			/* anon_user's ids */
	privdrop_prepare();		/* nopriv_user's ids, empty_dir */
	(void)ratepool_reload(old);	/* rate_total's page */
	(void)acct_spawn_reload(old);	/* the account service */
}

int
reload_run(void)
{
	char err[1024], kept[512];
	struct ftpd_config *nc, *old;

	nc = config_read(conf_path, conf_explicit, conf_over, conf_nover, cfg,
	    kept, sizeof(kept), err, sizeof(err));
	if (nc != NULL) {
		old = config_install(nc);
		if (reload_check(err, sizeof(err)) == 0) {
			if (kept[0] != '\0')
				log_msg(LOG_WARNING, "SIGHUP: changed but "
				    "applied only by a restart, the old values "
				    "stay: %s", kept);
			reload_apply(old);
			config_free(old);
			log_msg(LOG_NOTICE, "SIGHUP: configuration reloaded "
			    "from %s: new sessions use it", conf_path != NULL ?
			    conf_path : "the defaults");
			return 1;
		}
		(void)config_install(old);
		config_free(nc);
	}
	log_msg(LOG_ERR, "SIGHUP: configuration not reloaded, the old one "
	    "stays: %s", err);
	reload_logs(NULL);
	return 0;
}
