/*
 * user.c - entry of the logged-in account's process.
 *
 *   started by   the monitor (priv/monitor.c start_user), after a
 *                successful MON_LOGIN, in a fresh fork of itself
 *   runs as      the account (anon_user for anonymous logins), no
 *                supplementary groups for virtual and anonymous users,
 *                no new privileges, the "user" seccomp filter
 *   root         chroot = yes: the home (anon_root); chroot = no: the
 *                real root, or the home for virtual and anonymous users,
 *                enforced by the path resolver (RESOLVE_IN_ROOT)
 *   may ask      MON_LOG, MON_PORT20, MON_XFER, MON_BUSY, MON_QUOTA (with a
 *                quota), MON_EVENT (with events), MON_METRIC (with
 *                metrics), and nothing else
 *                (see DESIGN.md, "The monitor's messages")
 *   parses       every command after login (cmd/), paths (user/policy.c);
 *                with TLS the client's bytes reach it decrypted by the
 *                front over a socketpair
 *
 * Everything that needed root (groups, chroot, ids) was done by the
 * monitor before user_main was called.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/path.h"
#include "cmd/cmd.h"
#include "cmd/ctl.h"
#include "config.h"
#include "plan/plan.h"
#include "roles.h"
#include "session.h"
#include "shutdown.h"
#include "user/dirs.h"
#include "user/policy.h"
#include "user/ratelimit.h"
#include "user/repr.h"

/*
 * The first working directory: / of the session root, or for a system
 * account that sees the whole file system (chroot = no) its home, which
 * must then be a directory, as chroot(2) would have demanded.
 */
static int
start_dir(struct session *s, const char *name, const char *home)
{
	int fd;

	if (home == NULL)
		return buf_set(&s->cwd, "/");
	if (path_resolve("/", home, &s->cwd) == -1) {
		log_msg(LOG_ERR, "home of %s: not a usable path", name);
		return -1;
	}
	fd = fs_open(s, buf_cstr(&s->cwd), O_PATH | O_DIRECTORY | O_CLOEXEC,
	    0);
	if (fd == -1) {
		log_msg(LOG_ERR, "home %s of %s: %s", home, name,
		    strerror(errno));
		return -1;
	}
	(void)close(fd);
	return 0;
}

/*
 * The plan's start_dir, inside the root: a directory the account keeps
 * its web site in, say.  One that is missing is logged and the session
 * starts where it would have; the login itself is not refused.
 */
static void
plan_start_dir(struct session *s)
{
	struct buf want;
	int fd;

	if (s->plan == NULL || s->plan->start_dir[0] == '\0')
		return;
	buf_init(&want, PATH_MAX);
	if (path_resolve(buf_cstr(&s->cwd), s->plan->start_dir, &want) == 0 &&
	    (fd = fs_open(s, buf_cstr(&want), O_PATH | O_DIRECTORY |
	    O_CLOEXEC, 0)) != -1) {
		(void)close(fd);
		(void)buf_set(&s->cwd, buf_cstr(&want));
	} else
		log_msg(LOG_WARNING, "start_dir %s of %s: not a directory in "
		    "its root (%s); starting at %s", s->plan->start_dir,
		    s->user, strerror(errno), buf_cstr(&s->cwd));
	buf_free(&want);
}

void
user_main(const struct role_conn *c, const struct role_login *l)
{
	struct session s;

	session_start(&s, c);
	s.front_fd = l->front_fd;
	s.root_fd = l->root_fd;
	s.state = ST_LOGGED_IN;
	s.anonymous = l->anonymous;
	s.tls_active = l->tls;
	s.pbsz_done = l->pbsz;
	s.prot_p = l->prot;
	s.login_time = time(NULL);
	s.vhost = l->vhost;
	snprintf(s.user, sizeof(s.user), "%s", l->user);
	if (buf_append(&s.ctl_in, l->leftover, l->leftover_len) == -1)
		buf_reset(&s.ctl_in);
	s.plan = l->plan;
	ratelimit_login(&s, l->ratepool);
	if (start_dir(&s, l->user, l->home) == -1) {
		reply(&s, 421, "Cannot set up your session (see server log).");
		_exit(1);
	}
	plan_start_dir(&s);
	/* The session's root on the server: "/" when the account sees the
	 * whole file system (l->home set), else its home or anon_root. */
	dirs_setup(&s, l->home != NULL ? "/" : l->account_home,
	    l->account_home);
	shutdown_install();	/* a stopping server: 426/421, no debris */
	reply(&s, 230, "Login successful.");
	/* Hand back the login's freed heap: an idle session keeps only
	 * the pages it uses (see monitor_run). */
	(void)malloc_trim(0);
	cmd_loop(&s);
	repr_zkeep_free(s.zkeep);
	dirs_free(&s);
	session_free(&s);
	_exit(0);
}
