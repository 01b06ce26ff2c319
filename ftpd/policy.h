/*
 * policy.h - client paths to files beneath the session root, and who may
 * do what with them.
 *
 * Every path a client names goes through here.  The virtual path is made
 * lexically clean by path_resolve(); the kernel then resolves it beneath
 * s->root_fd with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
 * "..", absolute symlinks and races cannot reach outside the root, with or
 * without chroot.  Runs in the user process, as the account.
 */
#ifndef FTPD_POLICY_H
#define FTPD_POLICY_H

#include <sys/stat.h>
#include <sys/types.h>

struct session;
struct buf;

/*
 * Join arg to the session's cwd into vpath (absolute, normalised).  0, or -1
 * after replying 553 (name too long) itself.
 */
int	policy_path(struct session *s, const char *arg, struct buf *vpath);
/* open(2) of a virtual path beneath the root.  fd or -1 (errno). */
int	fs_open(struct session *s, const char *vpath, int flags, mode_t mode);
/*
 * Open the parent directory of vpath (O_PATH|O_DIRECTORY) and point *base at
 * the final component (inside vpath).  Fails with EINVAL for "/".  fd or -1.
 */
int	fs_open_parent(struct session *s, const char *vpath, const char **base);
/* stat(2) (follow = 1) or lstat(2) (follow = 0) of a virtual path. 0/-1. */
int	fs_stat(struct session *s, const char *vpath, struct stat *st,
	    int follow);
/*
 * Reply for a failed file-system call on vpath: 550 not found / permission
 * denied / not a directory, 552 quota (EDQUOT, EFBIG), 452 disk full
 * (ENOSPC), 553 bad name (ENAMETOOLONG, EINVAL), 450 busy; with the
 * strerror text.  what names the action ("Cannot open", "Cannot delete").
 */
void	reply_errno(struct session *s, int err, const char *what,
	    const char *vpath);

enum policy_op {
	OP_READ,	/* RETR, SIZE, MDTM, HASH */
	OP_LIST,	/* LIST, NLST, MLSD, MLST, STAT path, CWD */
	OP_CREATE,	/* STOR/STOU of a new file */
	OP_OVERWRITE,	/* STOR over an existing file, APPE, REST+STOR */
	OP_DELETE,	/* DELE, RMD */
	OP_RENAME,	/* RNFR, RNTO */
	OP_MKDIR,	/* MKD */
	OP_ATTR,	/* SITE CHMOD, MFMT, SITE UTIME */
};

/* 1 if the session may do op at all (anonymous, anon_upload,
 * write_enable), else 0.  Does not reply. */
int	policy_allow(struct session *s, enum policy_op op);
/* For anonymous sessions with anon_upload_readable = no: 1 if the file with
 * this stat may be downloaded (world-readable), else 0. */
int	policy_may_read(struct session *s, const struct stat *st);

#endif
