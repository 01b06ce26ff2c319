/*
 * tls.h - the only module that includes OpenSSL.
 *
 * The master builds the contexts before forking (tls_init): one every
 * handshake starts in, and one per certificate (the main settings' and
 * each [host] section's own) holding the certificate chain; it keeps a
 * sealed copy of the keys, of which the front parses the one its client
 * chose, at its first handshake (tls_identity.c).  The front does every
 * handshake.  Data connections must resume the control session when
 * tls_reuse_required: same session, proved by a per-session token in the
 * ticket's application data or the session id (TLS 1.2), or a ticket
 * under the keys of the same account at the same address (tls_bind_*).
 */
#ifndef FTPD_TLS_H
#define FTPD_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls_conn;

/* Master, at startup and on SIGHUP (the one entry of a TLS reload): load
 * the certificates and keys of the main settings and of every [host]
 * section with its own, build the contexts (a failed reload of the main
 * one keeps everything as it was; a failing host keeps its previous
 * certificate, logged: tls_identity.h).  0, or -1 with a one-line reason
 * in err.  With tls = off it frees everything and returns 0. */
int	tls_init(char *err, size_t errlen);
/* 1 if tls_init built a context (AUTH TLS can be offered). */
int	tls_available(void);
/* Master, before forking each monitor: a new ticket secret every
 * 12 hours, the previous one kept (tickets of either resume). */
void	tls_rotate(void);
/* Monitor, once per session before forking front: fresh ticket keys and
 * a random session token for the tickets of the control handshake. */
void	tls_session_prepare(void);
/* Bytes of an account's ticket keys (tls_bind_derive) */
#define TLS_BIND_LEN	64
/*
 * Monitor, at a login on TLS: the ticket keys of this account (name and
 * session root: the same name in two HOST sections is two accounts) at
 * this client address, derived from the master's ticket secret (current and
 * previous); the front installs them (tls_bind_install) and encrypts every
 * later ticket with them, so a data connection of any control connection
 * of the same account from the same address can resume them, and nobody
 * else's.  0, or -1 (no secret).
 */
int	tls_bind_derive(const char *account, const char *root,
	    const char *ip, unsigned char out[TLS_BIND_LEN]);
int	tls_bind_install(const unsigned char in[TLS_BIND_LEN]);
/*
 * Forget the master's ticket secret (the front at once, the monitor after
 * the login); all also forgets this session's keys and token (the monitor
 * before forking the user process, which must not be able to make
 * tickets).
 */
void	tls_secret_forget(int all);
/*
 * Server handshake on fd within timeout_ms (the fd's O_NONBLOCK flag is
 * restored afterwards).  control is NULL for the
 * control connection; for a data connection it is the control connection
 * (whether it was resumed is tls_check_reuse's to say).  Returns the
 * connection, or NULL with a reason in err.
 */
struct tls_conn *tls_accept(int fd, struct tls_conn *control, int host,
	    int timeout_ms, char *err, size_t errlen);
/*
 * TLS per host.  host (above) is the [host] section HOST chose before
 * the handshake (-1: none); the client's server name (SNI) may choose
 * one instead, and must agree with it (tls.c, tls_servername_cb).
 * tls_sni_host: the section the connection was served for in *host (-1:
 * the main settings); 1 if the client sent a server name, else 0.
 */
int	tls_sni_host(const struct tls_conn *c, int *host);
/*
 * The client's certificate (tls_client_cert): 1 if the client sent one
 * that verified, with the account name it carries (tls_client_user; ""
 * for none, or none usable: not exactly one, or not printable ASCII
 * that fits) in out; 0 if no verified certificate.
 */
int	tls_peer_name(struct tls_conn *c, char *out, size_t outlen);
/*
 * A data connection must have resumed a session of this control
 * connection, or one of the account's keys (tls_bind_derive).  0, or -1
 * with the reason in err.
 */
int	tls_check_reuse(struct tls_conn *c, struct tls_conn *control,
	    char *err, size_t errlen);
/* TLS 1.3: send the client a fresh ticket on this (control) connection,
 * for its next data connection.  0 (also: TLS 1.2, nothing to do) or -1. */
int	tls_issue_ticket(struct tls_conn *c);
/* A data connection's end of input without close_notify counts as EOF
 * (a download, where the client's half-close is harmless); by default it
 * is an error, so a forged FIN cannot cut an upload short. */
void	tls_allow_unclean_eof(struct tls_conn *c);
/* Like read(2)/write(2): >0 bytes, 0 clean EOF, -1 error (errno EAGAIN when
 * the non-blocking fd would block). */
ssize_t	tls_read(struct tls_conn *c, void *p, size_t n);
ssize_t	tls_write(struct tls_conn *c, const void *p, size_t n);
/* After tls_read/tls_write failed with EAGAIN: 1 if the connection waits
 * to write (poll POLLOUT), 0 if it waits to read (POLLIN). */
int	tls_wants_write(struct tls_conn *c);
/*
 * Tune for bulk data: read ahead, and gather outgoing records in a buffer
 * so that many records leave in one system call.  Afterwards every write
 * must be followed by tls_flush until it returns 1.  0 or -1.
 */
int	tls_bulk(struct tls_conn *c);
/* Send gathered records: 1 all sent (or not buffering), 0 would block
 * (poll POLLOUT), -1 error. */
int	tls_flush(struct tls_conn *c);
/* Bytes already decrypted and buffered inside OpenSSL (with tls_bulk,
 * read-ahead records may wait too: read until EAGAIN before polling). */
int	tls_pending(struct tls_conn *c);
/* Send close_notify (bounded by timeout_ms), free; the fd is not closed. */
void	tls_close(struct tls_conn *c, int timeout_ms);
/*
 * CCC: end TLS on the control connection but keep the TCP connection.
 * Sends close_notify, then waits up to timeout_ms for the client's, while
 * protected data the client sent before it is kept in buf (at most cap
 * bytes, *got of them).  Only whole records are given to OpenSSL, so the
 * clear text that follows the client's close_notify stays in the socket;
 * a client that goes on in clear text without a close_notify (curl's
 * passive CCC mode) is recognised by the first byte, which cannot start a
 * TLS record.  Returns 0 (close_notify received), 1 (clear text follows
 * without it) or -1 (error, EOF, timeout or signal; reason in err).  c is
 * not freed: it may still be tls_accept's control argument (session
 * reuse), but is not for I/O any more; free it with tls_free.
 */
int	tls_unwrap(struct tls_conn *c, int timeout_ms, void *buf, size_t cap,
	    size_t *got, char *err, size_t errlen);
/* Free without close_notify (after errors, in the forked child). */
void	tls_free(struct tls_conn *c);
/* Negotiated protocol and cipher, e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256". */
const char *tls_describe(struct tls_conn *c);

#endif
