/*
 * tls_client.c - TLS client certificates.
 *
 * The master sets each context up (tls_client_setup): the CAs of
 * tls_client_ca to verify against and to name in the CertificateRequest,
 * the CRLs of tls_crl (the leaf certificate is checked against its
 * issuer's CRL), and whether a certificate is asked for (optional) or
 * demanded (required).  OpenSSL verifies the chain in the front, during
 * the handshake: a certificate that does not verify (unknown CA,
 * expired, revoked) ends the handshake with the matching alert, and so
 * does no certificate when one is required; the client hears why in TLS,
 * since after the 234 of AUTH there is no FTP reply to give (RFC 4217).
 *
 * After the handshake the front reads the name the certificate gives
 * (tls_client_name: the subject's CN or the one rfc822Name of the
 * subjectAltName) as a bounded, printable string, and hands it to the
 * monitor with the login, which decides (priv/monitor.c): the front never
 * does.  The certificate is the client's bytes, parsed here by OpenSSL in
 * the unprivileged front only.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "tls/tls_client.h"
#include "tls/tls_identity.h"

/* The CRLs of tls_crl into c's store, checked for every leaf. */
static int
load_crl(SSL_CTX *c, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(c);
	X509_LOOKUP *lu;
	char prefix[512];

	snprintf(prefix, sizeof(prefix), "tls_crl: %s", cfg->tls_crl);
	if (st == NULL || (lu = X509_STORE_add_lookup(st,
	    X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(lu, cfg->tls_crl, X509_FILETYPE_PEM) <= 0) {
		tls_errtext(err, errlen, prefix, "cannot load the CRL");
		return -1;
	}
	if (X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK) != 1) {
		tls_errtext(err, errlen, prefix, "cannot check CRLs");
		return -1;
	}
	return 0;
}

int
tls_client_setup(SSL_CTX *c, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	char prefix[512];
	int mode;

	if (cfg->tls_client_cert == TLS_CLIENT_OFF)
		return 0;
	snprintf(prefix, sizeof(prefix), "tls_client_ca: %s",
	    cfg->tls_client_ca);
	if (SSL_CTX_load_verify_locations(c, cfg->tls_client_ca,
	    NULL) != 1) {
		tls_errtext(err, errlen, prefix, "cannot load the CAs");
		return -1;
	}
	if ((names = SSL_load_client_CA_file(cfg->tls_client_ca)) == NULL) {
		tls_errtext(err, errlen, prefix, "no CA certificate");
		return -1;
	}
	SSL_CTX_set_client_CA_list(c, names);
	if (cfg->tls_crl[0] != '\0' && load_crl(c, err, errlen) == -1)
		return -1;
	mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
	if (cfg->tls_client_cert == TLS_CLIENT_REQUIRED)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(c, mode, NULL);
	/* A chain longer than this is no client's. */
	SSL_CTX_set_verify_depth(c, 8);
	return 0;
}

void
tls_client_why(SSL *ssl, char *err, size_t errlen)
{
	long v;
	size_t n = strlen(err);

	if (cfg->tls_client_cert == TLS_CLIENT_OFF ||
	    (v = SSL_get_verify_result(ssl)) == X509_V_OK || n >= errlen)
		return;
	snprintf(err + n, errlen - n, " (client certificate: %s)",
	    X509_verify_cert_error_string(v));
}

/* s as text into out if it is printable ASCII without spaces and fits:
 * an account name, not a display name.  0 or -1. */
static int
name_text(const ASN1_STRING *s, char *out, size_t outlen)
{
	unsigned char *u = NULL;
	int n, i, rc = -1;

	if ((n = ASN1_STRING_to_UTF8(&u, s)) <= 0 || (size_t)n >= outlen)
		goto out;
	for (i = 0; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f)
			goto out;
	memcpy(out, u, (size_t)n);
	out[n] = '\0';
	rc = 0;
out:
	OPENSSL_free(u);
	return rc;
}

/* The subject's one commonName. */
static int
name_cn(X509 *x, char *out, size_t outlen)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	int i;

	if (subj == NULL || (i = X509_NAME_get_index_by_NID(subj,
	    NID_commonName, -1)) < 0 ||
	    X509_NAME_get_index_by_NID(subj, NID_commonName, i) >= 0)
		return -1;	/* none, or which one? */
	return name_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj,
	    i)), out, outlen);
}

/* The subjectAltName's one rfc822Name. */
static int
name_email(X509 *x, char *out, size_t outlen)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g, *email = NULL;
	int i, n, rc = -1;

	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return -1;
	n = sk_GENERAL_NAME_num(gens);
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_EMAIL)
			continue;
		if (email != NULL) {
			email = NULL;	/* two: which one? */
			break;
		}
		email = g;
	}
	if (email != NULL)
		rc = name_text(email->d.rfc822Name, out, outlen);
	GENERAL_NAMES_free(gens);
	return rc;
}

int
tls_client_name(SSL *ssl, char *out, size_t outlen)
{
	X509 *x;
	int rc;

	if (outlen > 0)
		out[0] = '\0';
	if ((x = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK)
		return 0;
	switch (cfg->tls_client_user) {
	case TLS_USER_CN:
		rc = name_cn(x, out, outlen);
		break;
	case TLS_USER_SAN_EMAIL:
		rc = name_email(x, out, outlen);
		break;
	default:
		rc = 0;
		break;
	}
	if (rc == -1 && outlen > 0)
		out[0] = '\0';
	ERR_clear_error();
	return 1;
}
