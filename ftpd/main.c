/*
 * main.c - command line, configuration, then the master (or one inetd
 * session).
 *
 * Runs as whoever started ftpd.  Every configuration error is reported as
 * one line naming the file, line and key, with exit status 1, before any
 * socket is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "priv/acct_service.h"
#include "priv/auth.h"
#include "config.h"
#include "config_check.h"
#include "cpupin.h"
#include "user/idcache.h"
#include "priv/master.h"
#include "priv/monitor.h"
#include "priv/plan_show.h"
#include "priv/privdrop.h"
#include "priv/ratepool.h"
#include "priv/reload.h"
#include "sandbox.h"
#include "priv/sessionlog.h"
#include "tls/tls.h"
#include "version.h"

#define MAX_OVERRIDES	256

static void
usage(FILE *f)
{
	fprintf(f, "usage: ftpd [-f FILE] [-o KEY=VALUE]... [-i] "
	    "[-t [-u NAME]] [-D] [-V] [-h]\n"
	    "  -f FILE       configuration file (default /etc/ftpd.conf)\n"
	    "  -o KEY=VALUE  set one key, overriding the file (repeatable)\n"
	    "  -i            inetd mode: one session on stdin/stdout\n"
	    "  -t            check the configuration, print it, exit\n"
	    "  -t -u NAME    check it, print the plan of account NAME and "
	    "where\n"
	    "                each value comes from, exit\n"
	    "  -D            detach into the background\n"
	    "  -V            print the version\n");
}

/* Work every session would otherwise repeat, done once before forking:
 * time zone, owner/group names, syslog connection. */
static void
prepare_once(void)
{
	tzset();
	idcache_load();
	(void)xferlog_open();
	if (mkdir(cfg->run_dir, 0755) == -1 && errno != EEXIST)
		log_msg(LOG_WARNING, "run_dir %s: %s (ftpwho will see nothing)",
		    cfg->run_dir, strerror(errno));
}

static int
run_inetd(void)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	memset(&peer, 0, sizeof(peer));
	if (getpeername(0, (struct sockaddr *)&peer, &len) == -1) {
		log_msg(LOG_ERR, "-i: stdin is not a socket: getpeername: %s",
		    strerror(errno));
		return 1;
	}
	/* One connection is the whole server here: rate_total limits
	 * it alone. */
	if (ratepool_create() == -1)
		return 1;
	monitor_run(0, &peer, 0, -1);
}

static int
detach(void)
{
	if (daemon(0, 0) == -1) {
		log_msg(LOG_ERR, "daemon: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char *overrides[MAX_OVERRIDES];
	size_t nover = 0;
	const char *path = "/etc/ftpd.conf", *show_user = NULL;
	int explicit = 0, inetd = 0, test = 0, bg = 0, c;
	char err[1024], abspath[PATH_MAX];

	log_std_prepare();
	while ((c = getopt(argc, argv, "f:o:itu:DVh")) != -1) {
		switch (c) {
		case 'f': path = optarg; explicit = 1; break;
		case 'o':
			if (nover == MAX_OVERRIDES) {
				fprintf(stderr, "ftpd: too many -o options\n");
				return 1;
			}
			overrides[nover++] = optarg;
			break;
		case 'i': inetd = 1; break;
		case 't': test = 1; break;
		case 'u': show_user = optarg; break;
		case 'D': bg = 1; break;
		case 'V': printf("ftpd %s\n", FTPD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ftpd: unexpected argument: %s\n", argv[optind]);
		return 1;
	}
	if (show_user != NULL && !test) {
		fprintf(stderr, "ftpd: -u NAME goes with -t\n");
		return 1;
	}
	if (config_load(path, explicit, overrides, nover, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "ftpd: %s\n", err);
		return 1;
	}
	if (tls_init(err, sizeof(err)) == -1 ||
	    config_check_system(err, sizeof(err)) == -1) {
		config_locate_error(err, sizeof(err));
		fprintf(stderr, "ftpd: %s\n", err);
		return 1;
	}
	/* -D moves to "/", and the reload and the account service read the
	 * file again later: by its absolute name. */
	if (path[0] != '/' && realpath(path, abspath) != NULL)
		path = abspath;
	/* The account service gets the same -f and -o (-t -u starts it to
	 * ask about an sql or ldap account). */
	acct_spawn_args(path, explicit, overrides, nover);
	reload_args(path, explicit, overrides, nover);
	if (test && show_user != NULL)
		return plan_show(show_user);
	if (test) {
		config_dump();
		return 0;
	}
	if (log_open(cfg->log, "ftpd") == -1) {
		fprintf(stderr, "ftpd: log %s: %s\n", cfg->log, strerror(errno));
		return 1;
	}
	log_set_level((int)(LOG_ERR + cfg->log_level));
	log_set_json(cfg->log_format == 1);
	prepare_once();
	auth_prepare();
	privdrop_prepare();
	if (sandbox_prepare() == -1) {
		fprintf(stderr, "ftpd: cannot build the seccomp filters (see "
		    "the log); seccomp = no turns them off\n");
		return 1;
	}
	if (inetd && cfg->acct_service) {
		log_msg(LOG_ERR, "-i: accounts sql and ldap need the standalone "
		    "server (its master runs the account service)");
		return 1;
	}
	/* The counters live in the master: -i has none to keep. */
	if (inetd && cfg->metrics_listen[0] != '\0')
		log_msg(LOG_WARNING, "-i: metrics_listen is ignored (metrics "
		    "need the standalone server's master)");
	if (inetd)
		return run_inetd();
	cpupin_init();
	if (cfg->unprivileged)
		log_msg(LOG_NOTICE, "running unprivileged (uid %u): sessions "
		    "run as this user, confinement by the path resolver only, "
		    "system users off, virtual users map to this user",
		    (unsigned)getuid());
	if (master_listen() == -1)
		return 1;
	if (bg && detach() == -1)
		return 1;
	return master_run();
}
