/*
 * confine.c - the event runner's seccomp list.
 *
 * Runs in the runner, already event_user with no new privileges
 * (priv/evspawn.c).  It must fork and exec the hooks, and the hooks are
 * the administrator's programs, so an allow-list is out of the question;
 * instead the calls no hook needs and an attacker would want fail with
 * EPERM: tracing and reading other processes, mounts and namespaces,
 * modules, kexec, BPF, keyrings, userfaultfd, io_uring, swap, reboot.
 * The filter is inherited across fork and exec by every hook.
 */
#include <errno.h>
#include <stdio.h>

#include <seccomp.h>

#include "common/log.h"
#include "config.h"
#include "events/events.h"
#include "sandbox.h"

static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"pidfd_getfd", "mount", "umount2", "pivot_root", "chroot", "unshare",
	"setns", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
	"fspick", "mount_setattr", "init_module", "finit_module",
	"delete_module", "kexec_load", "kexec_file_load", "bpf",
	"perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "swapon",
	"swapoff", "reboot", "acct", "quotactl", "iopl", "ioperm",
	"lookup_dcookie",
};

int
events_confine(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, rc;

	if (!cfg->seccomp || sandbox_sanitized())
		return 0;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		log_msg(LOG_ERR, "events: seccomp_init failed");
		return -1;
	}
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (rc < 0) {
			log_msg(LOG_ERR, "events: seccomp rule %s: %d",
			    denied[i], rc);
			seccomp_release(ctx);
			return -1;
		}
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		log_msg(LOG_ERR, "events: seccomp_load: %d", rc);
		return -1;
	}
	return 0;
}
