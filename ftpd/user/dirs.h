/*
 * dirs.h - the [dir PATH] sections in one session: translated into the
 * session's view once at login, then judged for each command on the path
 * the kernel resolved (DESIGN.md, "Directory rules").
 *
 * A session whose configuration has no [dir] section that meets its
 * root has s->dirs == NULL, and every call below costs one test.
 * policy_allow() (the account's permissions, write_enable, anonymous)
 * stays the caller's: these only narrow further.  Runs in the user
 * process, as the account.
 */
#ifndef FTPD_DIRS_H
#define FTPD_DIRS_H

#include <stddef.h>

#include "user/policy.h"

struct session;
struct buf;
struct dirrule;

/*
 * Login: the sections that meet this session's root, as paths beneath
 * it, each resolved as the kernel resolves it now (so a tree named
 * through a symbolic link is judged where it really is).  root is the
 * server path of the session root, home the account's ("~").
 */
void	dirs_setup(struct session *s, const char *root, const char *home);
void	dirs_free(struct session *s);

/*
 * May the session do op on vpath, opened as fd (the object itself, a
 * link followed)?  Judged on vpath as named and on the physical path
 * that fs_realpath finds for the same inode.  0; or -1 after replying
 * as reply_errno(ENOENT, what, vpath) does for a missing name when a
 * name on either path is denied (or, with entry, hidden: a listing
 * command naming one entry), else 550 "Permission denied." when the
 * sections do not give op.  real: NULL, or gets the physical path.
 */
int	dirs_check_fd(struct session *s, enum policy_op op, const char *vpath,
	    int fd, const char *what, int entry, struct buf *real);
/*
 * The same for the entry base itself (never what a link there leads
 * to) of the directory pfd, which fs_open_parent opened for vpath.
 * OP_RENAME also refuses a directory that holds a section's tree: moved,
 * the tree would leave its rules behind.
 */
int	dirs_check_at(struct session *s, enum policy_op op, const char *vpath,
	    int pfd, const char *base, const char *what, int entry);

/* The PERM_* bits the sections give that entry, without replying:
 * every bit when none applies, none when its path cannot be found. */
unsigned dirs_perms_at(struct session *s, const char *vpath, int pfd,
	    const char *base);

/*
 * 1 if the object fd, opened for vpath, may be described in a listing
 * (what a link in it leads to): no denied or hidden name on its path and
 * list allowed there; 0 otherwise.  Does not reply.
 */
int	dirs_visible_fd(struct session *s, const char *vpath, int fd);

/* What a listing of one directory applies to its entries. */
struct dirs_list {
	const struct dirrule **sel;	/* rules with names to drop */
	size_t		 nsel;
	unsigned	 perms;		/* PERM_* of the sections there */
};

/*
 * A listing of directory vpath, opened as dirfd: judged as
 * dirs_check_fd(OP_LIST) (0, or -1 replied), then the rules whose hide
 * and deny apply to its entries in *l (storage owned by s->dirs, valid
 * until the next call), and its physical path in real, for LIST -R.
 */
int	dirs_list_dir(struct session *s, const char *vpath, int dirfd,
	    struct buf *real, struct dirs_list *l);
/*
 * LIST -R reaching subdirectory real (physical: the walk never follows
 * a link), named lex: 1 with *l set when it may be listed; 0 when a
 * name on its path is denied or the sections refuse list there.
 */
int	dirs_list_sub(struct session *s, const char *real, const char *lex,
	    struct dirs_list *l);
/* 1 if a listing drops entry name (hide or deny of l's rules). */
int	dirs_list_hides(const struct dirs_list *l, const char *name);

#endif
