/*
 * auth.h - deciding who may log in.  Monitor only (it reads /etc/shadow and
 * users_file, as root).
 */
#ifndef FTPD_AUTH_H
#define FTPD_AUTH_H

#include <limits.h>
#include <sys/types.h>

#include "priv/auth_result.h"

struct vhost;

/* One login attempt as the monitor received it. */
struct auth_login {
	const char		*user;
	const char		*pass;
	const struct vhost	*vh;	/* the HOST section chosen, or NULL */
	const char		*client;	/* the client's address */
	/* A verified TLS client certificate names this user: the account
	 * is looked up and judged, its password is not checked (the
	 * monitor then demands tls_client_auth_only; DESIGN.md, TLS per
	 * host).  pam and ldap_auth = bind, which check passwords
	 * themselves, refuse such a login. */
	int			 vouched;
};

#define AUTH_OK			0
#define AUTH_REFUSED		(-1)	/* 530 */
#define AUTH_UNAVAILABLE	(-2)	/* an account store is down: 421 */

/*
 * Check l through the accounts chain.  AUTH_OK and *r filled, or
 * AUTH_REFUSED / AUTH_UNAVAILABLE with the reason (for the log, never
 * for the client) in why.  *r must start zeroed; each call frees the
 * groups a previous call left in it.
 */
int	auth_check(const struct auth_login *l, struct auth_result *r,
	    char *why, size_t whylen);
/*
 * One users_file line "name:hash:uid:gid:gecos:home:shell" (modified in
 * place; see formats/users_file.h) checked for user/pass: 0 match (*r
 * filled), -1 other user, -2 malformed line, -3 wrong password.
 */
int	auth_users_line(char *line, const char *user, const char *pass,
	    struct auth_result *r);
/*
 * The parsing half of auth_users_line: on 0, *r is filled and *hash
 * points into line; the password is not checked.  Split out so the
 * fuzzer can cover the parser without running crypt(3) on hostile
 * settings (a yescrypt or bcrypt cost field can ask for gigabytes or
 * hours, which is the admin's business, not a parser bug).
 */
int	auth_users_parse(char *line, const char *user, const char **hash,
	    struct auth_result *r);
/* 1 if deny_file lists user, or cannot be read (fail closed). */
int	auth_in_deny_file(const char *user);
/* Master, at startup: look anon_user up once for every session. */
void	auth_prepare(void);
/* 1 if name is anonymous ("anonymous" or "ftp") and anonymous is on. */
int	auth_is_anonymous(const char *user, const struct vhost *vh);

#endif
