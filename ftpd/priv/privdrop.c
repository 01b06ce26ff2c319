/*
 * privdrop.c - chroot, groups, gid, uid, and a check that root is gone.
 *
 * Runs in the forked front and user processes while still root.  Name
 * lookups are done before: nopriv_user by the master at startup (looked
 * up again here, before chroot, only if that failed) and a system user's
 * groups by the monitor at login (auth.c); NSS would not work after
 * chroot.  A failure is logged with the step, the call and errno; the
 * caller then closes the session with a short 421.
 * The last step of both drops is the seccomp filter (sandbox.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "priv/auth.h"
#include "config.h"
#include "priv/privdrop.h"
#include "sandbox.h"

static int
fail(const char *step, const char *call)
{
	log_msg(LOG_ERR, "privdrop: %s: %s: %s", step, call, strerror(errno));
	return -1;
}

/* Address space of a session process: buffers are bounded (256 KiB I/O,
 * 64 KiB listings, zlib), so 1 GiB is generous and stops runaway growth. */
#define PRIVDROP_MAX_AS	(1024UL * 1024 * 1024)

/*
 * Limits for a process that handles client data: no core dumps (they
 * could hold passwords or keys), no new processes (nothing after login
 * needs fork or exec), a bounded number of descriptors.
 */
static int
set_limits(const char *step, int threads)
{
	struct rlimit zero = { 0, 0 }, files = { 256, 256 };
	struct rlimit space = { PRIVDROP_MAX_AS, PRIVDROP_MAX_AS };

	if (setrlimit(RLIMIT_CORE, &zero) == -1)
		return fail(step, "setrlimit(CORE)");
	/* Under the user filter a thread is allowed and a process is not;
	 * RLIMIT_NPROC would refuse the thread too. */
	if (!(threads && sandbox_filters()) &&
	    setrlimit(RLIMIT_NPROC, &zero) == -1)
		return fail(step, "setrlimit(NPROC)");
	if (setrlimit(RLIMIT_NOFILE, &files) == -1)
		return fail(step, "setrlimit(NOFILE)");
	if (!sandbox_sanitized() && setrlimit(RLIMIT_AS, &space) == -1)
		return fail(step, "setrlimit(AS)");
	return 0;
}

/* Switch ids and prove that root cannot come back. */
static int
set_ids(uid_t uid, gid_t gid, const char *step, int threads)
{
	if (setresgid(gid, gid, gid) == -1)
		return fail(step, "setresgid");
	if (setresuid(uid, uid, uid) == -1)
		return fail(step, "setresuid");
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return fail(step, "root still reachable after setuid");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail(step, "prctl(NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return fail(step, "prctl(DUMPABLE)");
	return set_limits(step, threads);
}

/*
 * A front or user process must not outlive its monitor: without it
 * nothing logs, and a master told to stop (SIGTERM to each monitor) would
 * leave logged-in sessions serving on.  Set after the id change, which
 * clears the setting; parent is the monitor's pid read before, so a
 * monitor that died in between is noticed too.
 */
static int
die_with_monitor(const char *step, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		return fail(step, "prctl(PDEATHSIG)");
	if (getppid() != parent) {
		errno = ESRCH;
		return fail(step, "monitor gone");
	}
	return 0;
}

/* empty_dir must exist, be owned by root and not be writable by others;
 * create it when missing. */
static int
check_empty_dir(void)
{
	struct stat st;

	if (mkdir(cfg->empty_dir, 0555) == -1 && errno != EEXIST)
		return fail("empty_dir", "mkdir");
	if (stat(cfg->empty_dir, &st) == -1)
		return fail("empty_dir", "stat");
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		errno = EPERM;
		return fail("empty_dir", "must be a root-owned directory "
		    "not writable by group or others");
	}
	return 0;
}

/* nopriv_user as looked up by the master at startup (privdrop_prepare),
 * so each session skips an NSS lookup; found is 0 until then.  Likewise
 * empty_dir, checked (and made if missing) once: empty_ok. */
static struct {
	int	found;
	uid_t	uid;
	gid_t	gid;
	int	empty_ok;
} nopriv;

void
privdrop_prepare(void)
{
	struct passwd *pw;

	/* Again on a reload: nopriv_user may name someone else now. */
	nopriv.found = 0;
	if (cfg->unprivileged)
		return;
	/* Logged now if wrong; each session then checks again and logs. */
	nopriv.empty_ok = check_empty_dir() == 0;
	if ((pw = getpwnam(cfg->nopriv_user)) == NULL)
		return;		/* the session looks again and logs */
	nopriv.uid = pw->pw_uid;
	nopriv.gid = pw->pw_gid;
	nopriv.found = 1;
}

int
become_nopriv(void)
{
	pid_t parent = getppid();

	if (cfg->unprivileged)
		return die_with_monitor("front", parent) == -1 ? -1 :
		    sandbox_enter(SANDBOX_FRONT);
	if (!nopriv.found)
		privdrop_prepare();
	if (!nopriv.found) {
		errno = ENOENT;
		return fail("nopriv_user", "getpwnam");
	}
	if (!nopriv.empty_ok && check_empty_dir() == -1)
		return -1;
	if (setgroups(0, NULL) == -1)
		return fail("front", "setgroups");
	if (chroot(cfg->empty_dir) == -1)
		return fail("front", "chroot(empty_dir)");
	if (chdir("/") == -1)
		return fail("front", "chdir");
	if (set_ids(nopriv.uid, nopriv.gid, "front", 0) == -1 ||
	    die_with_monitor("front", parent) == -1)
		return -1;
	return sandbox_enter(SANDBOX_FRONT);
}

/*
 * The metrics process: chroot into empty_dir, metrics_user's ids (its
 * own: nothing else may trace it), no groups, no new privileges, not
 * dumpable, killed with the master.  The caller installs the seccomp
 * filter once it has made the counters read-only.
 */
int
become_metrics(void)
{
	pid_t parent = getppid();

	if (cfg->unprivileged)
		return die_with_monitor("metrics", parent);
	if (check_empty_dir() == -1)
		return -1;
	if (setgroups(0, NULL) == -1)
		return fail("metrics", "setgroups");
	if (chroot(cfg->empty_dir) == -1)
		return fail("metrics", "chroot(empty_dir)");
	if (chdir("/") == -1)
		return fail("metrics", "chdir");
	if (set_ids((uid_t)cfg->metrics_uid, (gid_t)cfg->metrics_gid,
	    "metrics", 0) == -1)
		return -1;
	return die_with_monitor("metrics", parent);
}

static int
open_root(const char *dir, const char *step)
{
	int fd;

	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		(void)fail(step, "open(session root)");
	return fd;
}

int
become_user(const struct auth_result *r)
{
	pid_t parent = getppid();
	int fd;

	if (cfg->unprivileged) {
		fd = open_root(r->home, "user");
		if (fd != -1 && (die_with_monitor("user", parent) == -1 ||
		    sandbox_enter(SANDBOX_USER) == -1)) {
			(void)close(fd);
			return -1;
		}
		return fd;
	}
	if (r->virtual_user || r->anonymous) {
		if (setgroups(0, NULL) == -1)
			return fail("user", "setgroups");
	} else if (setgroups((size_t)r->ngroups, r->groups) == -1)
		return fail("user", "setgroups");
	/*
	 * chroot = yes: the home becomes / for the kernel and the path
	 * resolver alike.  chroot = no: a system account sees the whole
	 * file system with its own permissions (privdrop_whole_fs_home
	 * decides it, and user_main starts it in its home).  Anonymous and
	 * virtual users stay confined to their home by the resolver:
	 * virtual users often share one uid, and would otherwise reach each
	 * other's homes.
	 */
	if (cfg->chroot) {
		if (chroot(r->home) == -1)
			return fail("user", "chroot(home)");
		if (chdir("/") == -1)
			return fail("user", "chdir");
		fd = open_root("/", "user");
	} else
		fd = open_root(privdrop_whole_fs_home(r) != NULL ? "/" :
		    r->home, "user");
	if (fd == -1)
		return -1;
	if (set_ids(r->uid, r->gid, "user", 1) == -1 ||
	    die_with_monitor("user", parent) == -1 ||
	    sandbox_enter(SANDBOX_USER) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

const char *
privdrop_whole_fs_home(const struct auth_result *r)
{
	if (cfg->chroot || r->anonymous || r->virtual_user ||
	    cfg->unprivileged)
		return NULL;
	return r->home;
}
