/*
 * mon_client.h - requests from the unprivileged processes to the monitor.
 *
 * Each call is one IPC round trip on s->mon_fd.  The monitor validates
 * every request against the session's state; these only format them.
 */
#ifndef FTPD_MON_CLIENT_H
#define FTPD_MON_CLIENT_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "formats/event_rec.h"
#include "config.h"
#include "formats/metrics_page.h"
#include "monproto.h"

struct session;
struct buf;


/*
 * front: ask the monitor to log in user/pass.  leftover holds control bytes
 * already read after PASS (pipelined commands) for the user process.
 * The password is wiped by the caller.  On MON_LOGIN_OK with TLS active,
 * *relay_fd gets the socketpair end to relay control lines over, and
 * *data_fd the ipc end the user process sends data sockets on, and
 * tls_keys (MON_TLS_BIND_LEN bytes) the account's ticket keys; else -1.
 * msg receives a text for the 530/421 reply.
 */
enum mon_login_result mon_login(struct session *s, const char *user,
	    const char *pass, const struct buf *leftover, int *relay_fd,
	    int *data_fd, unsigned char *tls_keys, char *msg, size_t msglen);
/*
 * front, with proxy_protocol: tell the monitor the client the PROXY
 * header names (local: the header names none; keep the connection's
 * own).  0 when the session may go on, -1 when refused; msg receives the
 * reason for a 421.
 */
int	mon_proxy(struct session *s, int local,
	    const struct sockaddr_storage *client, char *msg, size_t msglen);
/*
 * user: a data connection to dst from the control connection's address,
 * port L-1, which the monitor makes and checks.  The connected fd, or -1
 * with errno and *stage MON_PORT20_BIND (no socket from L-1: connect
 * from any port instead) or MON_PORT20_CONNECT (the connection failed).
 */
int	mon_connect_port20(struct session *s,
	    const struct sockaddr_storage *dst, int *stage);
/* Record a finished transfer (xferlog, scoreboard).  direction 'i' / 'o';
 * complete 'c' or incomplete 'i'. */
void	mon_xferlog(struct session *s, const char *vpath, off_t bytes,
	    double seconds, char direction, char complete);
/* Events: report a DELE, rename, MKD, RMD or SITE CHMOD that succeeded
 * (op EV_*, formats/event_rec.h; vpath2 the new name of a rename, else
 * NULL).  Nothing is sent unless the configuration wants op; no reply:
 * the session never waits for it.  A path too long for the record is
 * not sent. */
void	mon_event(struct session *s, enum ev_type op, const char *vpath,
	    const char *vpath2);
/* Show a long transfer in ftpwho ("RETR /path"), or none (NULL). */
void	mon_busy(struct session *s, const char *what);
/* The shown transfer's bytes so far and its size (-1: not known), for
 * ftpwho's progress; no reply.  The caller bounds the rate
 * (MON_PROGRESS_MS). */
void	mon_progress(struct session *s, off_t bytes, off_t size);

/*
 * front, user: one counter event for /metrics (MON_METRIC, MON_MET_*),
 * sent only when metrics are on: off, it is one test of the key.
 */
#define mon_metric(fd, ev, a, b, n) do {				\
	if (__builtin_expect(cfg->metrics_listen[0] != '\0', 0))	\
		mon_metric_send((fd), (ev), (a), (b), (n));		\
} while (0)
void	mon_metric_send(int mon_fd, unsigned ev, unsigned a, unsigned b,
	    unsigned long long n);

/*
 * user, REIN on a plain control connection: hand the control connection
 * and the bytes read past the REIN line back to the monitor, which
 * starts a fresh front on it once this process has exited.  0 when
 * sent (the caller must then end without writing to the client), -1
 * when not (the session goes on).
 */
int	mon_rein(struct session *s);

/* The monitor's answer to MON_QUOTA. */
struct mon_quota_answer {
	int			ok;	/* 0: the tally is unavailable */
	uint64_t		got_bytes, got_files;	/* RESERVE */
	uint64_t		used_bytes, used_files;	/* the tally now */
	uint64_t		max_bytes, max_files;	/* the quota */
};
/*
 * user, with a quota in the plan only: one MON_QUOTA round trip (op
 * MON_QUOTA_*; bytes and files wanted for RESERVE, signed changes for
 * ADJUST, 0 for QUERY; frees: what a RESERVE's upload frees once
 * complete).  The answer comes once the tally is written.
 * 0 with *a, or -1 when the monitor did not answer.
 */
int	mon_quota(struct session *s, unsigned op, long long bytes,
	    long long files, unsigned long long frees,
	    struct mon_quota_answer *a);

#endif
