/*
 * session.h - the state of one FTP session, passed explicitly everywhere.
 *
 * The same structure is used by the front process (before login) and by the
 * user process (after login); fields that belong to one side only say so.
 * Everything in here that came from the client has been parsed already.
 */
#ifndef FTPD_SESSION_H
#define FTPD_SESSION_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"
#include "common/net.h"
#include "monproto.h"

#define SESSION_USER_MAX	MON_USER_MAX	/* longest user name */
#define CTL_LINE_MAX		MON_LINE_MAX	/* longest command line */
#define CTL_HELD_MAX		(64 * 1024) /* a held reply and the next */

struct tls_conn;
struct repr_zkeep;

enum session_state {
	ST_FRESH,	/* nothing yet: expect USER (or AUTH) */
	ST_USER,	/* USER given, expect PASS */
	ST_LOGGED_IN,	/* user process */
};

struct plan;
struct dirrule_set;
struct rb_shared;

struct session {
	int			 vhost;		/* HOST section index, -1 main */
	const struct plan	*plan;		/* the account's (plan/plan.h),
						 * NULL before login */
	struct dirrule_set	*dirs;		/* [dir] sections in this
						 * session's view (user/dirs.c),
						 * NULL when none applies */
	/* Control connection. */
	int			 ctl_fd;	/* client socket, or relay to front */
	struct tls_conn		*ctl_tls;	/* front only: TLS on ctl_fd */
	struct buf		 ctl_in;	/* bytes read, not yet a command */
	struct buf		 ctl_held;	/* a 150 not sent yet (ctl_hold) */
	int			 ctl_hold;	/* hold replies as written */
	struct sockaddr_storage	 peer;		/* client's control address */
	struct sockaddr_storage	 via;		/* proxy_protocol: the proxy
						 * the control came through
						 * (family 0: none) */
	struct sockaddr_storage	 local;		/* our control address */
	char			 peer_ip[NET_ADDRSTRLEN];
	int			 mon_fd;	/* ipc to the monitor */
	int			 front_fd;	/* user: ipc to the TLS front, or -1 */
	int			 quit;		/* leave the command loop */
	int			 implicit_tls;	/* arrived on implicit_tls_listen */
	int			 after_rein;	/* front started by REIN: no
						 * TLS key to offer AUTH with */

	/* Login. */
	enum session_state	 state;
	char			 user[SESSION_USER_MAX];
	int			 anonymous;
	int			 tls_active;	/* control channel is TLS */
	int			 ccc_done;	/* CCC ended control TLS (then
						 * tls_active is 0); PBSZ,
						 * PROT and data TLS stay */
	int			 pbsz_done;	/* PBSZ 0 seen after AUTH */
	int			 prot_p;	/* data channel protected */
	int			 login_failures;

	/* File system (user process). */
	int			 root_fd;	/* O_PATH dirfd of the session root */
	struct buf		 cwd;		/* virtual absolute path, "/"... */
	mode_t			 umask;
	int			 may_write;	/* write commands allowed at all */

	/* Transfer parameters. */
	char			 type;		/* 'A', 'E' or 'I' */
	char			 form;		/* 'N', 'T' or 'C' */
	char			 stru;		/* 'F' or 'R' */
	char			 mode;		/* 'S', 'B', 'C' or 'Z' */
	off_t			 rest;		/* REST offset for the next transfer */
	struct buf		 rnfr;		/* RNFR source path; len 0 = none */
	int			 pasv_fd;	/* listening passive socket or -1 */
	uint32_t		 port_rand[64];	/* random draws for passive
						 * ports, used from the end */
	unsigned		 port_rand_left; /* (data.c) */
	int			 port_set;	/* PORT/EPRT target valid */
	struct sockaddr_storage	 port_addr;
	int			 epsv_all;	/* EPSV ALL seen */
	int			 utf8;		/* OPTS UTF8 ON */
	unsigned		 mlst_facts;	/* bit set of enabled MLST facts */

	/* Progress of the transfer in flight, for STAT (ctl.c reads it).
	 * How its bytes move, its route (route.h), is not session state:
	 * the command running it holds it. */
	int			 in_xfer;
	int			 splice_pipe[2]; /* kept empty between
						  * uploads, or -1 (xfer.c) */
	off_t			 xfer_done;
	off_t			 xfer_total;	/* -1 unknown, else the most
						   file bytes to send */
	char			 xfer_what[128];

	/* Rates in bytes/s, 0: none; set at login (user/ratelimit.c) and
	 * kept by the transfer loops (xfer.c). */
	unsigned long long	 rate_up, rate_down;	/* the plan's, or
							 * anon_rate */
	unsigned long long	 rate_total;	/* the node's (rate_total) */
	struct rb_shared	*rate_pool;	/* its shared bucket, or NULL:
						 * no node-wide limit */
	int			 quota_counted;	/* the monitor has the
						 * account's tally (quota.c) */

	/* Counters for STAT and the session log. */
	time_t			 login_time;
	unsigned long long	 bytes_in, bytes_out, files_in, files_out;

	/* HASH and RANG (cmd_ext.c); zero = SHA-256, no range. */
	int			 hash_algo;	/* enum digest_algo */
	off_t			 rang_start, rang_end;	/* inclusive */
	int			 rang_set;	/* RANG given for next HASH */

	/* Command loop bookkeeping (ctl.c, cmd.c). */
	int			 ctl_discard;	/* dropping the rest of a long line */
	int			 last_was_rnfr;	/* previous command set s->rnfr */
	unsigned		 idle_secs;	/* SITE IDLE; 0 = cfg->idle_timeout */

	/* Data representation (cmd_data.c, repr.c); type 'E' is TYPE E,
	 * form 'T'/'C', stru 'R', mode 'B'/'C'/'Z' need repr.c. */
	int			 zlevel;	/* OPTS MODE Z LEVEL n as n + 1;
						 * 0: the default */
	struct repr_zkeep	*zkeep;		/* deflate state kept between
						 * MODE Z transfers, or NULL */
};

/* Set defaults for a new session; fds -1, buffers initialised. */
void	session_init(struct session *s);
struct role_conn;
/* A role's session on the connection the monitor gave it (roles.h), its
 * log lines forwarded to the monitor. */
void	session_start(struct session *s, const struct role_conn *c);
/* Release buffers and close fds owned by the session. */
void	session_free(struct session *s);

#endif
