/*
 * sandbox.h - seccomp allow-lists for the unprivileged processes.
 *
 * Called by privdrop.c as the last step of become_nopriv() (front) and
 * become_user() (user), after the ids are dropped and before the process
 * reads any client byte in its new role.
 */
#ifndef FTPD_SANDBOX_H
#define FTPD_SANDBOX_H

enum sandbox_role {
	SANDBOX_FRONT,	/* pre-login parser and TLS endpoint */
	SANDBOX_USER,	/* logged-in command loop and transfers */
	SANDBOX_METRICS,	/* the /metrics server (metrics/) */
};

/*
 * Compile both filters (master, once at startup).  0, or -1 logged.
 * Without it sandbox_enter compiles on first use.
 */
int	sandbox_prepare(void);
/*
 * Install the seccomp filter of role when cfg->seccomp is set, the kernel
 * supports seccomp filters and the binary was not built with a sanitizer.
 * Returns 0 when installed or deliberately skipped (logged), -1 when the
 * filter could not be built or loaded (logged; the caller ends the
 * session).
 */
int	sandbox_enter(enum sandbox_role role);

/* 1 when sandbox_enter will install a filter (prepared, cfg->seccomp,
 * kernel support, no sanitizer): the user filter then allows threads and
 * forbids new processes by itself. */
int	sandbox_filters(void);

/* 1 when built with ASan/UBSan (which need huge address space and more
 * system calls): seccomp and the address-space limit are then skipped. */
int	sandbox_sanitized(void);

#endif
