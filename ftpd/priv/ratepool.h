/*
 * ratepool.h - rate_total: the one budget every running transfer of the
 * node spends from (ratepool.c).
 */
#ifndef FTPD_RATEPOOL_H
#define FTPD_RATEPOOL_H

struct rb_shared;

/*
 * With rate_total set, map the shared bucket (empty) before the first
 * fork, so every session inherits it.  0 (also when rate_total is 0),
 * or -1 after logging why: the administrator asked for a limit the
 * server cannot keep.
 */
int	ratepool_create(void);
/*
 * Master, after a reload (priv/reload.c) whose rate_total differs from
 * old's: new sessions get a new page (empty, or none for 0).  The master
 * unmaps the old one; the sessions forked before keep it, so until they
 * end the node may move up to the old and the new budget together.
 * 0, or -1 after logging (new sessions then run without rate_total).
 */
struct ftpd_config;
int	ratepool_reload(const struct ftpd_config *old);
/* The shared bucket for a user process (role_login), or NULL. */
struct rb_shared *ratepool_get(void);
/* Unmap it in a process that never transfers a file (the front, which
 * parses a stranger's bytes before login). */
void	ratepool_forget(void);

#endif
