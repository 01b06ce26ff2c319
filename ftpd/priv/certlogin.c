/*
 * certlogin.c - the monitor's judgement of a TLS client certificate at
 * login (DESIGN.md, "TLS per host and client certificates").
 *
 * OpenSSL verified the certificate in the front (chain to tls_client_ca,
 * dates, tls_crl); the front reports only whether it verified and the
 * one name it carries (tls_client_user: CN or the subjectAltName
 * e-mail), as a bounded string.  The monitor decides: the name must be
 * the USER name exactly, or the login is refused (530); a certificate
 * that names the user may stand in for the password for an account with
 * tls_client_auth_only (checked by the caller against the account's
 * plan); tls_client_cert = required refuses a login without one.
 * Anonymous logins never involve certificates.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "priv/auth.h"
#include "priv/certlogin.h"

enum cert_say
certlogin_judge(const char *user, const struct vhost *vh, int verified,
    const char *name, char *refusal, size_t refusallen, char *why,
    size_t whylen)
{
	if (cfg->tls_client_cert == TLS_CLIENT_OFF ||
	    auth_is_anonymous(user, vh))
		return CERT_NONE;
	if (!verified) {
		if (cfg->tls_client_cert != TLS_CLIENT_REQUIRED)
			return CERT_NONE;
		snprintf(why, whylen, "no verified TLS client certificate "
		    "(tls_client_cert = required)");
		snprintf(refusal, refusallen, "A TLS client certificate is "
		    "required.");
		return CERT_REFUSES;
	}
	if (cfg->tls_client_user == TLS_USER_NONE)
		return CERT_NONE;
	if (name[0] == '\0' || strcmp(name, user) != 0) {
		snprintf(why, whylen, "the client certificate names %s%s%s, "
		    "not the user (tls_client_user)", name[0] != '\0' ?
		    "\"" : "", name[0] != '\0' ? name : "no account",
		    name[0] != '\0' ? "\"" : "");
		snprintf(refusal, refusallen, "The TLS client certificate "
		    "does not name this user.");
		return CERT_REFUSES;
	}
	return CERT_VOUCHES;
}
