/*
 * certlogin.h - what a TLS client certificate says about a login
 * (tls_client_cert, tls_client_user).  Monitor only.
 */
#ifndef FTPD_CERTLOGIN_H
#define FTPD_CERTLOGIN_H

#include <stddef.h>

struct vhost;

enum cert_say {
	CERT_NONE,	/* no say: the password decides */
	CERT_VOUCHES,	/* a verified certificate names this user */
	CERT_REFUSES	/* 530: refusal for the client, why for the log */
};

/*
 * user logs in on host vh; the front reports verified (the client's
 * certificate verified in the handshake) and name, the account name it
 * carries ("" for none).  Both came from the unprivileged front: name is
 * a bounded string the monitor only compares.
 */
enum cert_say certlogin_judge(const char *user, const struct vhost *vh,
	    int verified, const char *name, char *refusal, size_t refusallen,
	    char *why, size_t whylen);

#endif
