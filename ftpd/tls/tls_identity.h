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
 * and each front parses it at its first handshake.
 */
#ifndef FTPD_TLS_IDENTITY_H
#define FTPD_TLS_IDENTITY_H

#include <stddef.h>

struct ssl_ctx_st;

/* Put the last queued OpenSSL error (or fallback) after prefix in err. */
void	tls_errtext(char *err, size_t errlen, const char *prefix,
	    const char *fallback);
/*
 * Master: load cfg->tls_cert into c, copy cfg->tls_key, check in a child
 * that it loads and matches, and make it the key that later sessions
 * load.  On failure the previous key stays.  0, or -1 with the reason in err.
 */
int	tls_identity_prepare(struct ssl_ctx_st *c, char *err, size_t errlen);
/* Front, before its first handshake on c (a no-op after the first time). */
int	tls_identity_load(struct ssl_ctx_st *c, char *err, size_t errlen);
/* Close the certificate and key copies: the monitor once its front is
 * forked, so the user process never inherits them. */
void	tls_identity_forget(void);

#endif
