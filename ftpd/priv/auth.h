/*
 * auth.h - deciding who may log in.  Monitor only (it reads /etc/shadow and
 * users_file, as root).
 */
#ifndef FTPD_AUTH_H
#define FTPD_AUTH_H

#include <limits.h>
#include <sys/types.h>

struct auth_result {
	char	name[256];	/* account name (anon_user for anonymous) */
	uid_t	uid;
	gid_t	gid;
	char	home[PATH_MAX];	/* the session root */
	int	anonymous;
	int	virtual_user;	/* from users_file: no supplementary groups */
	gid_t	*groups;	/* system users: supplementary groups, */
	int	 ngroups;	/* looked up by the monitor (NULL, 0 else) */
};

/*
 * Check user/pass.  0 and *r filled on success; -1 on failure with the
 * reason (for the log, never for the client) in why.
 */
struct vhost;
/* vh: the HOST section chosen by the client, or NULL.  *r must start
 * zeroed; each call frees the groups a previous call left in it. */
int	auth_check(const char *user, const char *pass, const struct vhost *vh,
	    struct auth_result *r, char *why, size_t whylen);
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
/* Master, at startup: look anon_user up once for every session. */
void	auth_prepare(void);
/* 1 if name is anonymous ("anonymous" or "ftp") and anonymous is on. */
int	auth_is_anonymous(const char *user, const struct vhost *vh);

#endif
