/*
 * tls_client.h - TLS client certificates (tls_client_cert, tls_client_ca,
 * tls_crl, tls_client_user).  Part of the tls module; only tls.c calls
 * these.
 */
#ifndef FTPD_TLS_CLIENT_H
#define FTPD_TLS_CLIENT_H

#include <stddef.h>

struct ssl_ctx_st;
struct ssl_st;

/* Master: ask for and verify client certificates on c as configured
 * (nothing with tls_client_cert = off).  0, or -1 with the reason. */
int	tls_client_setup(struct ssl_ctx_st *c, char *err, size_t errlen);
/* Front, after a failed handshake: why the client's certificate did not
 * verify, if that was it, appended to err ("... (client certificate:
 * certificate has expired)"). */
void	tls_client_why(struct ssl_st *ssl, char *err, size_t errlen);
/* Front, after a handshake: 1 and the account name the verified
 * certificate carries (or "") in out, or 0 without one. */
int	tls_client_name(struct ssl_st *ssl, char *out, size_t outlen);

#endif
