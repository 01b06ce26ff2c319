/*
 * tlsrelay.h - TLS after login, across the privilege separation.
 *
 * When the control connection is TLS at login, the front (nopriv_user,
 * chrooted into empty_dir) stays alive as the TLS endpoint for the rest of
 * the session: it relays control lines between the client's TLS stream and
 * a plain socketpair to the user process, and does every data-connection
 * handshake.  The user process never sees TLS or the private key.
 */
#ifndef FTPD_TLSRELAY_H
#define FTPD_TLSRELAY_H

#include <stddef.h>

struct session;

/* Messages on the data ipc socket between the user process
 * (tlsrelay_user.c) and the front (tlsrelay.c); SOCK_SEQPACKET, ipc.h. */
enum tlsrelay_msg {
	TR_DATA_OPEN = 0x54520001,	/* user->front: fd = raw data socket */
	TR_DATA_REPLY,			/* front->user: u32 ok, str error;
					 * fd = plaintext end when ok */
	TR_DATA_CLOSED,			/* front->user: u32 clean */
	TR_CCC,				/* user->front: the reply to CCC
					 * (formatted lines) */
	TR_CCC_DONE,			/* front->user: u32 ok, str error */
};
#define TR_MSG_MAX	1024		/* longest message either way */

/*
 * front, after a successful login with TLS active: relay until either side
 * closes, then exit.  relay_fd carries control plaintext to/from the user
 * process (SOCK_STREAM); data_ipc_fd carries data sockets from it
 * (SOCK_SEQPACKET, ipc.h).  Never returns.
 */
void	tlsrelay_run(struct session *s, int relay_fd, int data_ipc_fd)
	    __attribute__((noreturn));
/*
 * user process, PROT P: hand the connected data socket fd to the front,
 * which handshakes (reuse checked) and relays.  Returns a plaintext fd to
 * use instead (fd itself is closed here), or -1 with a reason in err.
 */
int	tlsrelay_wrap_data(struct session *s, int fd, char *err, size_t errlen);
/* user process: finish a wrapped data connection: close_notify is sent by
 * the front when the plaintext fd reaches EOF; this waits (bounded) until
 * the front reports the data connection closed.  0 or -1. */
int	tlsrelay_finish_data(struct session *s, int plainfd);
/*
 * user process, CCC: the front sends reply (formatted reply lines, at most
 * TR_MSG_MAX bytes) in TLS after everything written before it, ends TLS on
 * the control connection (close_notify both ways, tls_unwrap) and relays
 * it in clear text from then on; PROT P data connections stay TLS.
 * Returns 0, or -1 (reason in err) when it failed: the front then ends
 * the session, since the control stream is in no known state.
 */
int	tlsrelay_ccc(struct session *s, const void *reply, size_t len,
	    char *err, size_t errlen);

#endif
