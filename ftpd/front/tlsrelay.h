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
	TR_DATA_OPEN = 0x54520001,	/* user->front: u32 mode (tlsrelay_
					 * mode, | TR_MODE_UPLOAD); fd = raw
					 * data socket */
	TR_DATA_REPLY,			/* front->user: u32 tlsrelay_open,
					 * str error; fd = plaintext end
					 * when TR_OPEN_OK */
	TR_DATA_CLOSED,			/* front->user: u32 clean */
	TR_CCC,				/* user->front: the reply to CCC
					 * (formatted lines) */
	TR_CCC_DONE,			/* front->user: u32 ok, str error */
	TR_DATA_FILE,			/* user->front, after a TR_DATA_REPLY
					 * for TR_MODE_FILE: u32 direction
					 * ('o' file->client, 'i' client->
					 * file), u64 most bytes; fd = the
					 * file, at the offset to start */
	TR_FILE_DONE,			/* front->user, once per TR_DATA_FILE
					 * and before its TR_DATA_CLOSED:
					 * u64 bytes, u32 where (tlsrelay_
					 * where), u32 errno */
};

/* What the front does with a data connection once it is TLS. */
enum tlsrelay_mode {
	TR_MODE_RELAY = 0,	/* relay plaintext through the socketpair */
	TR_MODE_FILE,		/* move nothing until TR_DATA_FILE: then
				 * between the file and TLS directly */
};
/* TR_DATA_REPLY: how the data connection's handshake went. */
enum tlsrelay_open {
	TR_OPEN_FAILED = 0,	/* no TLS connection (425) */
	TR_OPEN_OK,
	TR_OPEN_REFUSED,	/* TLS, but it resumed no session of this
				 * control connection or account (522) */
};

/* Or'ed into TR_DATA_OPEN's mode: the client sends (an upload), so its
 * end of data must come with close_notify. */
#define TR_MODE_UPLOAD	0x100

/* Where a file transfer through the front stopped. */
enum tlsrelay_where {
	TR_DONE_OK = 0,
	TR_DONE_FILE,		/* reading or writing the file failed */
	TR_DONE_NET,		/* the data connection failed or stalled */
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
 * use instead (fd itself is closed here), or with a reason in err -1 (no
 * TLS connection: 425) or -2 (the reuse check refused it: 522).
 */
int	tlsrelay_wrap_data(struct session *s, int fd, enum tlsrelay_mode mode,
	    int upload, char *err, size_t errlen);
/*
 * user process, after tlsrelay_wrap_data(TR_MODE_FILE): let the front
 * move up to limit bytes between filefd (from its current offset) and
 * the TLS data connection, dir 'o' (download) or 'i' (upload).  The
 * front answers with TR_FILE_DONE on s->front_fd (read it with
 * tlsrelay_file_result).  0 or -1.
 */
int	tlsrelay_file_start(struct session *s, int filefd, int dir,
	    unsigned long long limit);
/* user process: read the TR_FILE_DONE once s->front_fd is readable.
 * 0 with *bytes, *where and *err set, or -1 (the front is gone or
 * answered out of turn). */
int	tlsrelay_file_result(struct session *s, unsigned long long *bytes,
	    enum tlsrelay_where *where, int *err);
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
