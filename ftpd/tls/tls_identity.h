/*
 * tls_identity.h - the server's certificate and private key, parsed only
 * by the process that does handshakes (the front).
 *
 * Part of the tls module: only tls.c calls these, but for
 * tls_identity_forget, which the monitor calls.  The master parses the
 * certificates, which are public, and keeps the key file as a sealed
 * memory file that it never parses: every process forked from the master inherits its
 * heap, and parsing a key leaves copies of it in freed memory that OpenSSL
 * does not wipe, so a parse in the master would hand the key to the
 * logged-in account's process.  The key is checked in a child that exits,
 * and each front parses the one key its client chose (TLS per host).
 */
#ifndef FTPD_TLS_IDENTITY_H
#define FTPD_TLS_IDENTITY_H

#include <stddef.h>

struct ssl_ctx_st;

/* Put the last queued OpenSSL error (or fallback) after prefix in err. */
void	tls_errtext(char *err, size_t errlen, const char *prefix,
	    const char *fallback);
/* Set up a new context with these tls_ciphers (tls.c).  0 or -1. */
typedef int tls_ctx_setup_fn(struct ssl_ctx_st *c, const char *ciphers,
	    char *err, size_t errlen);
/*
 * Master, at start and on SIGHUP (from tls_init): build an identity for
 * the main settings (cfg->tls_cert, tls_key) and for each [host NAME]
 * section with a certificate of its own: a context from setup with the
 * certificates, the key copied and checked in a child.  The main one
 * failing is -1 with the reason in err, and nothing changes.  At start a
 * host failing is -1 too; on a reload it is logged ("tls: [host NAME]
 * tls_key: FILE: reason") and the host keeps its previous identity (or,
 * new, gets the main one).  0 otherwise.
 */
int	tls_identity_prepare(tls_ctx_setup_fn *setup, char *err,
	    size_t errlen);
/* tls = off: forget every identity. */
void	tls_identity_clear(void);
/*
 * Front, in a handshake's servername callback: the connection gets the
 * identity of section host (-1: main): the key is parsed the first time
 * (and the copy closed), the context and its ciphers switched to.  0, or
 * -1 with the reason in err.
 */
struct ssl_st;
int	tls_identity_use(struct ssl_st *ssl, int host, char *err,
	    size_t errlen);
/* Close the key copies: the monitor once its front is forked, so the
 * user process never inherits them. */
void	tls_identity_forget(void);

#endif
