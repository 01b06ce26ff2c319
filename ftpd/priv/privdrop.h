/*
 * privdrop.h - giving up privileges for good.
 *
 * Called in the freshly forked front and user processes, before they touch
 * client data (front) or the account's files (user).  When ftpd was not
 * started as root these only open the root directory: confinement is then
 * the path resolver's alone.
 */
#ifndef FTPD_PRIVDROP_H
#define FTPD_PRIVDROP_H

struct auth_result;

/* Front: chroot into empty_dir, become nopriv_user, no new privileges.
 * 0, or -1 after logging the step, call and errno. */
int	become_nopriv(void);
/* The metrics process: chroot into empty_dir, become metrics_user, no new
 * privileges, not dumpable, killed with the master (no seccomp yet).  0, or
 * -1 logged. */
int	become_metrics(void);
/* Master, at startup: look nopriv_user up once for every session. */
void	privdrop_prepare(void);
/* User: chroot (cfg->chroot) into r->home, become the account.  Returns an
 * O_PATH directory fd of the session root, or -1 after logging. */
int	become_user(const struct auth_result *r);
/* The home a system account starts in when become_user left it the whole
 * file system (chroot = no), or NULL: it starts at / of its root. */
const char *privdrop_whole_fs_home(const struct auth_result *r);

#endif
