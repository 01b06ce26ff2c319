/*
 * policy.h - client paths to files beneath the session root, and who may
 * do what with them.
 *
 * Every path a client names goes through here.  The virtual path is made
 * lexically clean by path_resolve(); the kernel then resolves it beneath
 * s->root_fd with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
 * "..", absolute symlinks and races cannot reach outside the root, with or
 * without chroot.  Where openat2 is missing (ENOSYS) a component-by-component
 * walk with O_NOFOLLOW gives the same confinement: symlinks are read and
 * their targets resolved again beneath the root (at most 40 of them).
 * Runs in the user process, as the account.
 */
#ifndef FTPD_POLICY_H
#define FTPD_POLICY_H

#include <sys/stat.h>
#include <sys/types.h>

#include "formats/upload_names.h"

struct session;
struct buf;

/* Symlinks followed in one resolution before ELOOP (as the kernel). */
#define POLICY_MAXLINKS	40

/*
 * Join arg to the session's cwd into vpath (absolute, normalised).  vpath
 * must have been buf_init()ed by the caller, max >= PATH_MAXLEN for full
 * lengths.  0, or -1 after replying 553 (name too long), 501 (arg NULL)
 * or 550 "No such file or directory" (a name a [dir] section denies, as
 * named: user/dirs.h judges what it resolves to).
 */
int	policy_path(struct session *s, const char *arg, struct buf *vpath);
/*
 * open(2) of a virtual path beneath the root; O_CLOEXEC is added.  Symlinks
 * are followed (inside the root) unless flags has O_NOFOLLOW.  Like
 * openat2, flags must make sense: O_PATH combines only with O_DIRECTORY and
 * O_NOFOLLOW (else EINVAL).  fd or -1 (errno).
 */
int	fs_open(struct session *s, const char *vpath, int flags, mode_t mode);
/*
 * Open the parent directory of vpath (O_PATH|O_DIRECTORY) and point *base at
 * the final component (inside vpath).  Fails with EINVAL for "/".  fd or -1.
 */
int	fs_open_parent(struct session *s, const char *vpath, const char **base);
/*
 * The physical path of vpath beneath the root: each symlink replaced by
 * what it leads to and ".." taken after it, as the kernel resolves it
 * ("/a/self" is "/a" for a link self -> ".").  fd is vpath already opened
 * with fs_open: the answer must name the same file, else (the tree
 * changed meanwhile) -1 with ESTALE.  0 with real set, or -1 (errno).
 */
int	fs_realpath(struct session *s, const char *vpath, int fd,
	    struct buf *real);
/* stat(2) (follow = 1) or lstat(2) (follow = 0) of a virtual path. 0/-1. */
int	fs_stat(struct session *s, const char *vpath, struct stat *st,
	    int follow);
/*
 * Reply for a failed file-system call on vpath: 550 not found / permission
 * denied / not a directory / exists / not empty / cross-device / symlink
 * loop (ELOOP), 552 quota (EDQUOT, EFBIG), 452 disk full (ENOSPC), 553
 * bad name (ENAMETOOLONG, EINVAL), 450 busy (EBUSY, ETXTBSY, EAGAIN), 451
 * local error (ENOMEM, EMFILE, ENFILE, EIO); text "what \"vpath\":
 * reason".  what names the action ("Cannot open", "Cannot delete").
 */
void	reply_errno(struct session *s, int err, const char *what,
	    const char *vpath);
/* The reply code and reason reply_errno() uses for err.  Pure. */
int	policy_errno_code(int err, const char **reason);

/*
 * atomic_uploads write to POLICY_UPLOAD_TMP followed by
 * POLICY_UPLOAD_TMP_RANDOM characters of [0-9a-z] beside the target, and
 * keep a cut upload as POLICY_UPLOAD_PARTIAL followed by the target's
 * name, for a resume (DESIGN.md, "The life of a STOR").  Listings never
 * show either (a client refreshing during an upload would show a
 * half-written file that vanishes).
 */
#define POLICY_UPLOAD_TMP	UPLOAD_TMP_PREFIX
#define POLICY_UPLOAD_TMP_RANDOM 12
#define POLICY_UPLOAD_PARTIAL	UPLOAD_PARTIAL_PREFIX
/* 1 if name (one directory entry) has the form of such a temporary or
 * kept partial. */
int	policy_upload_tmp(const char *name);

/*
 * Tests: force (1) or stop forcing (0) the component walk instead of
 * openat2.  The environment variable FTPD_NO_OPENAT2=1 forces it too.
 */
void	policy_force_walk(int on);

/*
 * What a command does to a file: one op per verb of `permissions`
 * (plan/plan.h), in the same order, so that op's PERM_* bit is
 * POLICY_PERM(op); and OP_ENTER, which needs no verb.
 */
enum policy_op {
	OP_READ,	/* RETR, HASH */
	OP_LIST,	/* LIST NLST MLSD MLST, STAT path, SIZE, MDTM */
	OP_CREATE,	/* STOR/STOU of a new file (the verb "write") */
	OP_OVERWRITE,	/* STOR over an existing file */
	OP_APPEND,	/* APPE, REST + STOR */
	OP_DELETE,	/* DELE */
	OP_RENAME,	/* RNFR, RNTO */
	OP_MKDIR,	/* MKD */
	OP_RMDIR,	/* RMD */
	OP_CHMOD,	/* SITE CHMOD */
	OP_MFMT,	/* MFMT, SITE UTIME */
	OP_ENTER,	/* CWD, CDUP, AVBL: always allowed (a [dir] deny
			 * still hides the name) */
};
#define POLICY_PERM(op)	(1u << (op))

/*
 * 1 if the session may do op at all, else 0.  Does not reply.
 * Anonymous: OP_READ and OP_LIST, plus OP_CREATE when anon_upload (never
 * overwrite, append, delete, rename, mkdir, rmdir or change attributes).
 * Others: every op when write_enable, else only OP_READ and OP_LIST.
 * Then the account's `permissions` (s->plan) narrow that; OP_ENTER is
 * always allowed.  [dir] sections narrow it further per path
 * (user/dirs.h).
 */
int	policy_allow(struct session *s, enum policy_op op);
/*
 * 1 if the file with this stat may be downloaded, else 0.  Non-anonymous
 * sessions: always (the kernel's permissions decide).  Anonymous sessions
 * with anon_upload_readable = no: only world-readable files (S_IROTH).
 * Anonymous uploads are created without S_IROTH by the STOR code, so an
 * upload cannot be fetched back (no anonymous warez drop) until an
 * administrator makes it world-readable.
 */
int	policy_may_read(struct session *s, const struct stat *st);
/*
 * Open vpath to send its bytes (RETR, HASH): a regular file, for reading,
 * that policy_may_read allows; its stat in *st.  fd, or -1 after replying
 * (reply_errno, or 550 for another kind of file or a refused read).
 */
int	policy_open_read(struct session *s, const char *vpath,
	    struct stat *st);

#endif
