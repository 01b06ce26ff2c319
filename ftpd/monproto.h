/*
 * monproto.h - the messages between the monitor and its unprivileged
 * children (the front, the TLS relay and the user process).
 *
 * The one place both sides of the privilege boundary agree on: the monitor
 * (priv/monitor.c) decodes these, mon_client.c encodes them.  Each message
 * is allowed only in the states ftpd/DESIGN.md lists ("The monitor's
 * messages"); anything else ends the session.
 */
#ifndef FTPD_MONPROTO_H
#define FTPD_MONPROTO_H

enum mon_msg {
	MON_LOG = 1,		/* u32 level, str line; no reply */
	MON_LOGIN,		/* str user, str pass, bytes leftover, u32 tls,
				 * u32 pbsz, u32 prot, u32 vhost+1, u32 a
				 * verified client certificate, str the
				 * account name it carries (priv/certlogin.c) */
	MON_LOGIN_REPLY,	/* u32 result, str msg; with TLS and OK
				 * also bytes ticket keys (MON_TLS_BIND_LEN),
				 * then two MON_FD messages (relay, data
				 * ipc) */
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
	MON_QUOTA,		/* user, only with a quota in the plan:
				 * request u32 op (MON_QUOTA_*), u32 signs
				 * (MON_QUOTA_NEG_*), u64 bytes, u64 files,
				 * u64 frees;
				 * reply u32 status, u64 granted bytes,
				 * u64 granted files, u64 used bytes, u64
				 * used files, u64 quota bytes, u64 quota
				 * files */
	MON_PROGRESS,		/* user, after login, while ftpwho shows a
				 * transfer: u64 bytes moved, u64 size
				 * (MON_PROGRESS_UNKNOWN: none); no reply;
				 * at most every MON_PROGRESS_MS */
	MON_EVENT,		/* user, only with events on: u32 op
				 * (EV_DELETE, EV_RENAME, EV_MKDIR, EV_RMDIR
				 * or EV_CHMOD, formats/event_rec.h), str
				 * vpath, str vpath2 (the new name of a
				 * rename, else ""); no reply */
	MON_METRIC,		/* front (before login) or user (after), only
				 * with metrics_listen: u32 event
				 * (MON_MET_*), u32 a, u32 b, u64 n; no
				 * reply (see DESIGN.md, "Metrics") */
	MON_REIN,		/* user, after login on a plain control
				 * connection: bytes leftover (pipelined
				 * lines after REIN) + the control fd; no
				 * reply: the user process exits, the
				 * monitor starts a fresh front on it */
};

/*
 * MON_METRIC events: facts only an unprivileged process sees, for the
 * counters (formats/metrics_page.h gives a's and b's ranges).  The
 * monitor checks the event against the sender and every number against
 * its range; a lie can only inflate counts.
 */
#define MON_MET_XFER		1	/* user: a command, b result,
					 * n file bytes */
#define MON_MET_DATA_FAIL	2	/* user: a mode */
#define MON_MET_TLS		3	/* front: a MET_TLS_CONTROL; user: a
					 * MET_TLS_DATA; b result */
#define MON_MET_RATE_WAIT	4	/* user: a transfer waited for a rate */
#define MON_MET_QUOTA		5	/* user: an upload refused for quota
					 * (552) */
#define MON_MET_BYTES_MAX	(1ULL << 62)	/* n of one MON_MET_XFER */

/* Sizes both sides size their buffers by (session.h uses them too). */
#define MON_USER_MAX		256	/* longest user name accepted */
#define MON_LINE_MAX		4096	/* longest command line: a PASS
					 * argument is shorter */

/* The account's TLS ticket keys in MON_LOGIN_REPLY (TLS_BIND_LEN). */
#define MON_TLS_BIND_LEN	64

/* MON_PROGRESS: how often the transfer loops may send it, the size of
 * a transfer whose end is not known (an upload), and the bound on both
 * numbers (the monitor ends a session that sends more). */
#define MON_PROGRESS_MS		250
#define MON_PROGRESS_UNKNOWN	(~0ULL)
#define MON_PROGRESS_MAX	(1ULL << 62)

/* MON_LOGIN_REPLY results. */
enum mon_login_result {
	MON_LOGIN_OK = 0,	/* front: hand over and exit/relay */
	MON_LOGIN_FAIL,		/* wrong user or password: 530 */
	MON_LOGIN_CLOSE,	/* no more logins (max_sessions): 421, close */
	MON_LOGIN_ERROR,	/* server-side failure: 421 */
	MON_LOGIN_FAIL_LAST,	/* the last wrong guess of login_attempts:
				 * 530 (the client was wrong, the service
				 * is not down), then close */
};

/* MON_PORT20 reply stages: where it failed. */
#define MON_PORT20_BIND		0	/* no socket from L-1: use any port */
#define MON_PORT20_CONNECT	1	/* the connection itself failed */
/* The monitor's connect from L-1 gives up after this long (the user
 * process waits a little longer for the answer). */
#define MON_PORT20_CONNECT_MS	30000

/*
 * MON_QUOTA: the account's tally of bytes and files stored, kept by the
 * monitor (priv/quota.c) where the account's processes cannot write it.
 * RESERVE asks room for an upload before its bytes are written: files
 * (0 or 1, a new name) whole or not at all, bytes as many as fit; an
 * upload that replaces a file when it completes (an atomic overwrite)
 * may use the bytes it frees then (frees) before, so that replacing a
 * file by one of the same size never needs room for both.
 * ADJUST reports what changed on disk beyond the reservations (a deleted
 * or replaced file, reserved room left unused), signed.  QUERY only
 * reads.  The monitor bounds every number and never lets the tally go
 * below zero; the reply comes after the tally is written.
 */
#define MON_QUOTA_RESERVE	1
#define MON_QUOTA_ADJUST	2
#define MON_QUOTA_QUERY		3
#define MON_QUOTA_NEG_BYTES	1u	/* signs: bytes is negative */
#define MON_QUOTA_NEG_FILES	2u	/* files is negative */
#define MON_QUOTA_RESERVE_MAX	(1ULL << 30)	/* bytes in one RESERVE */
#define MON_QUOTA_ADJUST_MAX	(1ULL << 62)	/* bytes in one ADJUST */
#define MON_QUOTA_FILES_MAX	16	/* files in one ADJUST */
#define MON_QUOTA_OK		0	/* status: done */
#define MON_QUOTA_UNAVAILABLE	1	/* the tally cannot be read or
					 * written now: refuse the upload */

/*
 * The log forwarder of every child of the monitor (log_set_forward): sends
 * the line as MON_LOG on the channel *(const int *)mon_fd.  Installed by the
 * monitor in each child before it drops privileges, so even a failed drop
 * is logged, and kept by the roles.
 */
void	mon_forward_log(int level, const char *line, void *mon_fd);

#endif
