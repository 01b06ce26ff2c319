/*
 * monitor.h - the privileged half of one session.
 *
 * One monitor per control connection, forked by the master; it keeps root
 * (when started as root), never parses client bytes, and answers a few
 * typed requests from the unprivileged processes: log in, bind port L-1,
 * write log and xferlog lines.  The message types are shared with
 * mon_client.c.
 */
#ifndef FTPD_MONITOR_H
#define FTPD_MONITOR_H

/* MON_PORT20 reply stages: where it failed. */
#define MON_PORT20_BIND		0	/* no socket from L-1: use any port */
#define MON_PORT20_CONNECT	1	/* the connection itself failed */
/* The monitor's connect from L-1 gives up after this long (the user
 * process waits a little longer for the answer). */
#define MON_PORT20_CONNECT_MS	30000

#include <sys/socket.h>

enum mon_msg {
	MON_LOG = 1,		/* u32 level, str line; no reply */
	MON_LOGIN,		/* str user, str pass, bytes leftover, u32 tls,
				 * u32 pbsz, u32 prot, u32 vhost+1 */
	MON_LOGIN_REPLY,	/* u32 result, str msg; then with TLS two
				 * MON_FD messages (relay, data ipc) */
	MON_FD,			/* carries one fd */
	MON_PORT20,		/* request: u32 id, bytes sockaddr_storage
				 * target; reply u32 id, u32 errno, u32
				 * stage + the fd, connected from L-1 */
	MON_XFER,		/* str path, u64 bytes, u64 ms, u32 dir,
				 * u32 complete; no reply */
	MON_BUSY,		/* str command of a transfer running for a
				 * while, "" when it ended; no reply */
	MON_PROXY,		/* front, first of all with proxy_protocol:
				 * u32 local, bytes sockaddr_storage client */
	MON_PROXY_REPLY,	/* u32 admitted, str client ip or refusal */
};

/* proxy_protocol: the master's answer to "may this client come in?" */
#define PROXY_VERDICT_OK	0
#define PROXY_VERDICT_BANNED	1	/* too many failed logins */
#define PROXY_VERDICT_TOO_MANY	2	/* max_per_ip reached */

/*
 * Serve one session on the connected client socket fd.  implicit_tls: the
 * connection arrived on implicit_tls_listen.  ask: with proxy_protocol,
 * the channel on which the master judges the client the PROXY header
 * names (-1: no master, as with -i).  Never returns.
 */
void	monitor_run(int fd, const struct sockaddr_storage *peer,
	    int implicit_tls, int ask) __attribute__((noreturn));

#endif
