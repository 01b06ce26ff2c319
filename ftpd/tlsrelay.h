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

struct session;

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

#endif
