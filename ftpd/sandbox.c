/*
 * sandbox.c - seccomp allow-lists for the front and user processes.
 *
 * Runs in the freshly dropped front (nopriv_user, chroot empty_dir) and
 * user (account, chroot home) processes, called from privdrop.c once root
 * is gone.  It reads nothing from the client; its input is the config.
 *
 * Each role gets an allow-list; any other system call kills the whole
 * process (SECCOMP_RET_KILL_PROCESS, or KILL_THREAD on kernels before
 * 4.14, where a listing's helper thread, which only stats, could die
 * alone and the listing fail) and, with the LOG filter flag,
 * the kernel audits the offending call ("type=SECCOMP ... syscall=N").
 * The monitor sees its child die of SIGSYS and ends the session.
 *
 * The lists come from strace -f of real sessions (curl, lftp, ftplib;
 * plain, explicit and implicit TLS 1.2/1.3; PASV, EPSV, PORT; RETR, STOR,
 * APPE, REST, LIST, NLST, MLSD, MLST, SIZE, MDTM, MFMT, HASH, MKD, RMD,
 * DELE, RNFR/RNTO, SITE CHMOD, ABOR, timeouts), then checked by
 * test/integration/test_hardening.py with the filter on.
 *
 * Both roles: read write readv writev pread64 pwrite64 close poll ppoll
 *   recvmsg sendmsg recvfrom sendto shutdown getsockopt setsockopt
 *   getsockname getpeername fstat newfstatat statx lseek getrandom
 *   clock_gettime clock_nanosleep nanosleep gettimeofday time getpid
 *   gettid getuid geteuid getgid getegid getgroups uname brk munmap
 *   mremap madvise futex rt_sigaction rt_sigprocmask rt_sigreturn
 *   restart_syscall exit exit_group;
 *   mmap and mprotect only without PROT_EXEC;
 *   fcntl only F_GETFD F_SETFD F_GETFL F_SETFL F_GETPIPE_SZ F_SETPIPE_SZ;
 *   sched_setaffinity only for the caller itself (pid 0, cpupin.c).
 * Front adds: socketpair(AF_UNIX) (TLS data relay); openat fails with
 *   EACCES instead of killing (the chroot is empty anyway; a lazy load in
 *   OpenSSL then fails cleanly).
 * User adds: socket(AF_INET or AF_INET6 only) bind listen accept accept4
 *   connect openat openat2 getdents64 mkdirat unlinkat renameat renameat2
 *   readlinkat fchmod fchmodat fchmodat2 utimensat ftruncate fsync
 *   fdatasync fstatfs statfs sendfile splice pipe2; for the listing
 *   helper thread (list_stat.c) clone with CLONE_THREAD only (clone3
 *   fails with ENOSYS, so glibc uses clone), set_robust_list, rseq.
 * Metrics (its own short list, nothing of the above unless named): read
 *   write close poll ppoll accept accept4 recvfrom sendto shutdown getpid
 *   clock_gettime gettimeofday brk rt_sigaction rt_sigprocmask
 *   rt_sigreturn restart_syscall exit exit_group, fcntl as above; no
 *   mmap, mprotect or munmap at all, so its read-only view of the
 *   counters (priv/metrics_page.c) stays read-only.
 * Never: fork (a clone without CLONE_THREAD), execve, ptrace, kill,
 *   setuid and friends, chroot, mount, bpf, io_uring, socket families
 *   other than the above.
 *
 * A binary built with AddressSanitizer/UBSan (make check-asan) skips the
 * filter: the sanitizer runtimes need sigaltstack, /proc reads, extra
 * mmap flags and more, only on paths that are already failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "config.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANDBOX_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZED	1
#endif
#endif
#ifndef SANDBOX_SANITIZED
#define SANDBOX_SANITIZED	0
#endif

/* fchmodat2 (Linux 6.6) has the same number on every architecture but
 * alpha; older headers and libseccomp do not know it, glibc may use it. */
#ifndef __NR_fchmodat2
#ifndef __alpha__
#define __NR_fchmodat2	452
#endif
#endif

/* Bound on one compiled program (ours are a few hundred bytes). */
#define SANDBOX_BPF_MAX	(64 * 1024)

#define R_FRONT	0x1
#define R_USER	0x2
#define R_BOTH	(R_FRONT | R_USER)
#define R_METRICS	0x4
#define R_ALL	(R_BOTH | R_METRICS)

struct sc_rule {
	const char	*name;
	unsigned	 roles;
};

/* Calls allowed without argument checks. */
static const struct sc_rule plain_rules[] = {
	{ "read", R_ALL }, { "write", R_ALL }, { "readv", R_BOTH },
	{ "writev", R_BOTH }, { "pread64", R_BOTH }, { "pwrite64", R_BOTH },
	{ "close", R_ALL }, { "poll", R_ALL }, { "ppoll", R_ALL },
	{ "recvmsg", R_BOTH }, { "sendmsg", R_BOTH }, { "recvfrom", R_ALL },
	{ "sendto", R_ALL }, { "shutdown", R_ALL },
	{ "getsockopt", R_BOTH }, { "setsockopt", R_BOTH },
	{ "getsockname", R_BOTH }, { "getpeername", R_BOTH },
	{ "fstat", R_BOTH }, { "newfstatat", R_BOTH }, { "statx", R_BOTH },
	{ "lseek", R_BOTH }, { "getrandom", R_BOTH },
	{ "clock_gettime", R_ALL }, { "clock_nanosleep", R_BOTH },
	{ "nanosleep", R_BOTH }, { "gettimeofday", R_ALL },
	{ "time", R_BOTH }, { "getpid", R_ALL }, { "gettid", R_BOTH },
	{ "getuid", R_BOTH }, { "geteuid", R_BOTH }, { "getgid", R_BOTH },
	{ "getegid", R_BOTH }, { "getgroups", R_BOTH }, { "uname", R_BOTH },
	{ "brk", R_ALL }, { "munmap", R_BOTH }, { "mremap", R_BOTH },
	{ "madvise", R_BOTH }, { "futex", R_BOTH },
	{ "rt_sigaction", R_ALL }, { "rt_sigprocmask", R_ALL },
	{ "rt_sigreturn", R_ALL }, { "restart_syscall", R_ALL },
	{ "exit", R_ALL }, { "exit_group", R_ALL },
	{ "bind", R_USER }, { "listen", R_USER },
	{ "accept", R_USER | R_METRICS },
	{ "accept4", R_USER | R_METRICS }, { "connect", R_USER }, { "openat", R_USER },
	{ "openat2", R_USER }, { "getdents64", R_USER },
	{ "mkdirat", R_USER }, { "unlinkat", R_USER },
	{ "renameat", R_USER }, { "renameat2", R_USER },
	{ "readlinkat", R_USER }, { "fchmod", R_USER },
	{ "fchmodat", R_USER }, { "utimensat", R_USER },
	{ "ftruncate", R_USER }, { "fsync", R_USER },
	{ "fdatasync", R_USER }, { "fstatfs", R_USER },
	{ "statfs", R_USER }, { "sendfile", R_USER }, { "splice", R_USER },
	{ "pipe2", R_USER }, { "set_robust_list", R_USER },
	{ "rseq", R_USER },
};

static const int fcntl_cmds[] = {
	F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETPIPE_SZ, F_SETPIPE_SZ,
};

static int
add_plain(scmp_filter_ctx ctx, unsigned role)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < sizeof(plain_rules) / sizeof(plain_rules[0]); i++) {
		if ((plain_rules[i].roles & role) == 0)
			continue;
		nr = seccomp_syscall_resolve_name(plain_rules[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a call on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0) {
			log_msg(LOG_ERR, "seccomp: allow %s: %s",
			    plain_rules[i].name, strerror(-rc));
			return -1;
		}
	}
#ifdef __NR_fchmodat2
	if ((role & R_USER) != 0 &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_fchmodat2,
	    0)) < 0) {
		log_msg(LOG_ERR, "seccomp: allow fchmodat2: %s",
		    strerror(-rc));
		return -1;
	}
#endif
	return 0;
}

/* Calls allowed only with some arguments. */
static int
add_checked(scmp_filter_ctx ctx, unsigned role)
{
	size_t i;
	int rc = 0;

	/* No executable memory: nothing after chroot loads code.  The
	 * metrics process gets no mapping calls at all. */
	if (role & R_BOTH) {
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
		    1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		/* Its own CPU affinity only (cpupin.c), no other
		 * process's. */
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(sched_setaffinity), 1,
		    SCMP_A0(SCMP_CMP_EQ, 0, 0));
	}
	for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i], 0));
	if (role & R_FRONT) {
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(openat), 0);
	}
	if (role & R_USER) {
		/*
		 * Threads only (list_stat.c's helper): CLONE_THREAD implies
		 * CLONE_VM and CLONE_SIGHAND, so no new process can come of
		 * it, and a thread runs under this same filter.  clone3
		 * hides its flags in memory: refused with ENOSYS, so that
		 * glibc falls back to clone.
		 */
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		    SCMP_SYS(clone3), 0);
		/* Data connections only: PASV listeners, PORT connects. */
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET, 0));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0));
	}
	if (rc != 0) {
		log_msg(LOG_ERR, "seccomp: argument rules rejected");
		return -1;
	}
	return 0;
}

/* 1 when this kernel filters system calls with seccomp, else 0. */
static int
kernel_supports(void)
{
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == -1 && errno == EINVAL)
		return 0;
	return seccomp_api_get() >= 1;
}

/*
 * The filters are compiled once, in the master at startup: libseccomp's
 * probing and BPF generation cost a few ms, and every session would
 * otherwise pay them twice (front and user).  Each session process then
 * installs the ready program with one seccomp(2) call.
 */
enum { PREP_NONE, PREP_OFF, PREP_UNSUPPORTED, PREP_READY };

static int prep_state = PREP_NONE;
static unsigned prep_flags;		/* SECCOMP_FILTER_FLAG_LOG or 0 */
static struct sock_fprog prep_prog[3];	/* by enum sandbox_role */

/* Generate role's BPF into *prog through a pipe (libseccomp 2.5 exports
 * only to a file descriptor).  0 or -1 (logged). */
static int
compile(unsigned role, const char *what, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx;
	unsigned char bpf[SANDBOX_BPF_MAX];
	size_t have = 0;
	ssize_t n;
	int p[2], rc;

	/* API level 3 means KILL_PROCESS and the LOG flag are available. */
	ctx = seccomp_init(seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS :
	    SCMP_ACT_KILL);
	if (ctx == NULL) {
		log_msg(LOG_ERR, "seccomp: %s: seccomp_init failed", what);
		return -1;
	}
	if (add_plain(ctx, role) == -1 || add_checked(ctx, role) == -1) {
		seccomp_release(ctx);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_msg(LOG_ERR, "seccomp: pipe: %s", strerror(errno));
		seccomp_release(ctx);
		return -1;
	}
	rc = seccomp_export_bpf(ctx, p[1]);
	seccomp_release(ctx);
	(void)close(p[1]);
	while (rc == 0 && have < sizeof(bpf)) {
		n = read(p[0], bpf + have, sizeof(bpf) - have);
		if (n == 0)
			break;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			break;
		}
		have += (size_t)n;
	}
	(void)close(p[0]);
	if (rc < 0 || have == sizeof(bpf) || have == 0 ||
	    have % sizeof(struct sock_filter) != 0) {
		log_msg(LOG_ERR, "seccomp: %s: export failed (%s)", what,
		    rc < 0 ? strerror(-rc) : "bad size");
		return -1;
	}
	prog->len = (unsigned short)(have / sizeof(struct sock_filter));
	prog->filter = xmalloc(have);
	memcpy(prog->filter, bpf, have);
	return 0;
}

int
sandbox_prepare(void)
{
	if (prep_state != PREP_NONE)
		return prep_state == PREP_READY || prep_state == PREP_OFF ||
		    prep_state == PREP_UNSUPPORTED ? 0 : -1;
	if (!cfg->seccomp || SANDBOX_SANITIZED) {
		prep_state = PREP_OFF;
		return 0;
	}
	if (!kernel_supports()) {
		prep_state = PREP_UNSUPPORTED;
		return 0;
	}
	if (compile(R_FRONT, "front", &prep_prog[SANDBOX_FRONT]) == -1 ||
	    compile(R_USER, "user", &prep_prog[SANDBOX_USER]) == -1 ||
	    compile(R_METRICS, "metrics", &prep_prog[SANDBOX_METRICS]) == -1)
		return -1;
	prep_flags = seccomp_api_get() >= 3 ? SECCOMP_FILTER_FLAG_LOG : 0;
	prep_state = PREP_READY;
	return 0;
}

int
sandbox_enter(enum sandbox_role role)
{
	const char *what = role == SANDBOX_FRONT ? "front" :
	    role == SANDBOX_USER ? "user" : "metrics";
	struct sock_fprog *prog = &prep_prog[role];

	/* -i (inetd) has no master: compile here, once per session. */
	if (prep_state == PREP_NONE && sandbox_prepare() == -1)
		return -1;
	if (prep_state == PREP_OFF) {
		if (cfg->seccomp)
			log_msg(LOG_DEBUG, "seccomp: %s: skipped in a "
			    "sanitizer build", what);
		return 0;
	}
	if (prep_state == PREP_UNSUPPORTED) {
		log_msg(LOG_NOTICE, "seccomp: %s: not supported by the kernel; "
		    "running without a system call filter", what);
		return 0;
	}
	/* Also set by privdrop, but not on the unprivileged path. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prep_flags,
	    prog) == -1) {
		log_msg(LOG_ERR, "seccomp: %s: load: %s", what,
		    strerror(errno));
		return -1;
	}
	log_msg(LOG_DEBUG, "seccomp: %s filter installed", what);
	return 0;
}

int
sandbox_filters(void)
{
	if (prep_state == PREP_NONE && sandbox_prepare() == -1)
		return 0;
	return prep_state == PREP_READY;
}

int
sandbox_sanitized(void)
{
	return SANDBOX_SANITIZED;
}
