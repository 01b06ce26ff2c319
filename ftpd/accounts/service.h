/*
 * service.h - the parts of the account service (ftpd-accounts) that
 * service.c's main ties together.
 */
#ifndef FTPD_ACCOUNTS_SERVICE_H
#define FTPD_ACCOUNTS_SERVICE_H

#include <stddef.h>

#include "accounts/backend.h"

/* The secrets the service reads once, as root, before dropping. */
struct acct_secrets {
	char	sql[1024];	/* sql_password_file, "" if none */
	char	ldap[1024];	/* ldap_bind_password_file */
};

/* secret.c: read path (root-only file, one trailing newline dropped)
 * into out.  0, or -1 with err. */
int	secret_read(const char *key, const char *path, char *out,
	    size_t outlen, char *err, size_t errlen);

/* confine.c: give up root for account_user (ids, groups, no new
 * privileges, limits), then, in each worker, the seccomp allow-list.
 * 0, or -1 with err. */
int	confine_drop(char *err, size_t errlen);
int	confine_filter(char *err, size_t errlen);

/* backends.c: the backend serving source (SRC_SQL: by sql_driver), or
 * NULL. */
const struct acct_backend *backend_for(unsigned source);

/* worker.c: one pool worker's life: accept a connection from the
 * authentication child (root, or the same uid when ftpd runs
 * unprivileged), answer its one lookup, and on again.  Never returns. */
void	worker_run(int listen_fd, unsigned peer_uid,
	    const struct acct_secrets *sec) __attribute__((noreturn));

#endif
