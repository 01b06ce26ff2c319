/*
 * idcache.h - user and group names for directory listings.
 *
 * After chroot() no NSS lookup works, so the master loads the whole
 * passwd and group maps once at startup, before it forks anything: call
 * idcache_load() from main after the configuration is read and before
 * master_run() (or the -i session).  Every later process inherits the
 * read-only tables through fork.  Names added to the system afterwards show
 * as numbers until the daemon is restarted.
 */
#ifndef FTPD_IDCACHE_H
#define FTPD_IDCACHE_H

#include <sys/types.h>

/* Most entries kept per map; the rest show as numbers. */
#define IDCACHE_MAX	65536
/* Longest name kept; longer names show as numbers. */
#define IDCACHE_NAMEMAX	64

/*
 * Read every user (getpwent) and group (getgrent) into sorted tables,
 * replacing any previous tables.  Names that are too long or contain
 * spaces, control characters or ';' (which would break listing formats)
 * are skipped.  For an id with several names the first one wins.
 * Returns the number of users + groups loaded (0 is not an error).
 */
size_t	idcache_load(void);
/* Free the tables (names then show as numbers). */
void	idcache_free(void);
/* Name for uid / gid, or NULL when unknown (print the number).  The string
 * belongs to the cache and lives until idcache_load/idcache_free. */
const char *idcache_user(uid_t uid);
const char *idcache_group(gid_t gid);
/* Add one entry by hand (unit tests); 0, or -1 if full or a bad name.
 * Tables stay sorted. */
int	idcache_add_user(uid_t uid, const char *name);
int	idcache_add_group(gid_t gid, const char *name);

#endif
