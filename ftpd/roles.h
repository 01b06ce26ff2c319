/*
 * roles.h - where each unprivileged role of a session starts.
 *
 * The monitor (priv/monitor.c) forks one child per role.  In the child it
 * does all that needs root itself: it closes what the role must not hold,
 * detaches the log files, installs the log forwarder, and confines the
 * process (priv/privdrop.c: chroot, ids, seccomp).  Only then does it call
 * the role's entry below, passing plain values; no code of a role runs
 * with privileges, and priv/ includes nothing of the roles but this file.
 *
 *   role        entry        file            runs as        root (chroot)
 *   front       front_main   front/front.c   nopriv_user    empty_dir
 *   TLS relay   (the front after login: front/tlsrelay.c)
 *   user        user_main    user/user.c     the account    home or anon_root
 *
 * One more role is the master's, not a session's: the event runner
 * (events_main, events/runner.c), forked by priv/evspawn.c and dropped
 * to event_user there before its entry is called.
 *
 * ftpd/DESIGN.md has the whole table: what each role may ask the monitor,
 * and in which state.
 */
#ifndef FTPD_ROLES_H
#define FTPD_ROLES_H

#include <stddef.h>
#include <sys/socket.h>

/* What every role knows of its connection. */
struct role_conn {
	int			 ctl_fd;	/* client socket, or the relay */
	int			 mon_fd;	/* ipc to the monitor */
	struct sockaddr_storage	 peer;		/* the client */
	struct sockaddr_storage	 via;		/* proxy_protocol: the proxy */
	struct sockaddr_storage	 local;		/* our control address */
	const char		*peer_ip;
	int			 implicit_tls;	/* came on implicit_tls_listen */
	int			 rein;		/* front: after a REIN (no
						 * PROXY header, no TLS) */
	const void		*leftover;	/* front after REIN: bytes the
						 * user process read past it */
	size_t			 leftover_len;
};

/* What the monitor decided at login, for the user process. */
struct plan;
struct rb_shared;

struct role_login {
	const char		*user;
	int			 anonymous;
	int			 tls;		/* control is TLS: the front
						 * relays it */
	int			 pbsz, prot;	/* PBSZ 0 and PROT P were sent */
	int			 vhost;		/* HOST section index, -1 main */
	const void		*leftover;	/* bytes the front read after
						 * PASS (pipelined commands) */
	size_t			 leftover_len;
	int			 front_fd;	/* TLS: ipc to the front, or -1 */
	int			 root_fd;	/* O_PATH fd of the session root
						 * (privdrop's become_user) */
	const char		*home;		/* the first directory when the
						 * account sees the whole file
						 * system (chroot = no), else
						 * NULL: "/" of its root */
	const struct plan	*plan;		/* the account's plan, resolved
						 * by the monitor at login */
	const char		*account_home;	/* its home on the server's
						 * file system (anon_root for
						 * anonymous): the session
						 * root, unless home is set;
						 * "~" of [dir] sections */
	struct rb_shared	*ratepool;	/* rate_total's shared bucket,
						 * or NULL (priv/ratepool.c) */
};

/* The front: greeting, AUTH TLS, USER, PASS; then, with TLS, the relay.
 * Called as nopriv_user in empty_dir.  Never returns. */
void	front_main(const struct role_conn *c) __attribute__((noreturn));
/* The logged-in account's process: 230, then the command loop.  Called as
 * the account, confined to root_fd.  Never returns. */
void	user_main(const struct role_conn *c, const struct role_login *l)
	    __attribute__((noreturn));
/* The /metrics server (metrics/metrics.c): answers scrapes on listen_fd
 * from the read-only counters page (formats/metrics_page.h).  Called as
 * metrics_user, chrooted, its seccomp filter installed.  Never returns. */
struct metrics_page;
void	metrics_main(int listen_fd, const struct metrics_page *page)
	    __attribute__((noreturn));

/* The event runner: reads event records on chan, runs event_exec and
 * writes event_socket's lines (listening on sock, or -1).  Called as
 * event_user with nothing else open but the log.  Never returns. */
void	events_main(int chan, int sock) __attribute__((noreturn));

#endif
