/*
 * confine.c - what the account service may do once it has started.
 *
 * confine_drop, as root, once: the ids of account_user (their own, so
 * no front, anonymous session or account can trace the service and read
 * the database password), no supplementary groups, no new privileges,
 * not dumpable, no core files.  There is no chroot: libpq, the MariaDB
 * connector and libldap read their own configuration, the resolver's
 * files and CA certificates when they (re)connect, at times of their
 * choosing; a chroot would have to copy those in and would break a
 * database reached by host name.  The seccomp list below is what keeps
 * the service from running programs, tracing or signalling others,
 * or changing ids.
 *
 * confine_filter, in each worker: the allow-list.  It comes from strace
 * of the workers serving SQLite, PostgreSQL (TCP and Unix socket),
 * MariaDB and OpenLDAP (ldap://, ldapi://, StartTLS) through connect,
 * lookup, bind, backend restarts and timeouts.  Anything else kills the
 * worker (SIGSYS, logged by the pool keeper), which is then replaced.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <sched.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "config.h"
#include "accounts/service.h"

int
confine_drop(char *err, size_t errlen)
{
	struct rlimit none = { 0, 0 };
	uid_t u = (uid_t)cfg->acct_uid;
	gid_t g = (gid_t)cfg->acct_gid;

	if (setrlimit(RLIMIT_CORE, &none) == -1) {
		snprintf(err, errlen, "setrlimit: %s", strerror(errno));
		return -1;
	}
	if (geteuid() == 0) {
		if (setgroups(0, NULL) == -1 || setresgid(g, g, g) == -1 ||
		    setresuid(u, u, u) == -1) {
			snprintf(err, errlen, "cannot become account_user "
			    "%u:%u: %s", (unsigned)u, (unsigned)g,
			    strerror(errno));
			return -1;
		}
		if (setuid(0) != -1 || geteuid() == 0) {
			snprintf(err, errlen, "root could be regained");
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl: %s", strerror(errno));
		return -1;
	}
	if (chdir("/") == -1) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Allowed without argument checks. */
static const char *const allowed[] = {
	/* I/O on sockets and the SQLite file */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close",
	"poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "recvmsg", "sendmsg", "recvfrom",
	"sendto", "recvmmsg", "sendmmsg", "shutdown", "getsockopt",
	"setsockopt", "getsockname", "getpeername", "socket", "connect",
	"bind", "accept", "accept4", "fcntl", "ioctl", "dup", "dup2", "dup3",
	"pipe2", "socketpair",
	/* files: SQLite, configuration, CA certificates, resolver */
	"openat", "open", "fstat", "newfstatat", "statx", "stat", "lstat",
	"lseek", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "getdents64", "fsync", "fdatasync", "ftruncate",
	"unlink", "unlinkat", "fchown", "fchmod", "flock", "statfs", "fstatfs",
	"getcwd", "umask",
	/* memory, time, identity, signals, threads */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "futex",
	"getrandom", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep", "getpid", "getppid", "gettid",
	"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid",
	"getresgid", "uname", "sysinfo", "getrlimit", "prlimit64",
	"sched_getaffinity", "sched_yield", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "sigaltstack", "restart_syscall", "set_robust_list",
	"rseq", "set_tid_address", "exit", "exit_group",
	"membarrier", "getpriority", "alarm", "setitimer",
};

int
confine_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, rc;

	if (!cfg->seccomp)
		return 0;
#if defined(__SANITIZE_ADDRESS__)
	return 0;	/* the sanitizer's runtime needs more */
#endif
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0) {
			snprintf(err, errlen, "seccomp rule %s: %s", allowed[i],
			    strerror(-rc));
			seccomp_release(ctx);
			return -1;
		}
	}
	/* Threads (a library's resolver) yes, new processes no; clone3
	 * cannot be inspected, so glibc is told it is missing. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) < 0) {
		snprintf(err, errlen, "seccomp rule clone");
		seccomp_release(ctx);
		return -1;
	}
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
