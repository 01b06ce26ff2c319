/*
 * policy.c - resolve client paths beneath the session root; decide who may
 * do what.
 *
 * Runs in the user process, as the account, possibly without chroot.  The
 * path text comes from the client and is hostile; the tree beneath the root
 * may be hostile too (users plant symlinks to "/etc", "../../.." and the
 * like, and may rename directories while we resolve).  Confinement is
 * therefore never lexical: path_resolve() only cleans names for replies,
 * and the kernel walks them beneath s->root_fd with openat2(RESOLVE_IN_ROOT),
 * which treats absolute symlinks and ".." as if root_fd were "/".  Without
 * openat2 (ENOSYS, or forced for tests) walk_open() does the same one
 * component at a time with O_NOFOLLOW, re-resolving symlink targets beneath
 * the root itself.  The walk also tells the physical path it reached,
 * which fs_realpath() gives CWD (checked against the kernel's open).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/path.h"
#include "config.h"
#include "cmd/ctl.h"
#include "plan/dirrule.h"
#include "plan/plan.h"
#include "user/policy.h"
#include "session.h"

/* openat2 may answer EAGAIN when a rename races a ".." lookup. */
#define OPENAT2_RETRIES	16
/*
 * openat calls one fallback resolution may make.  ".." reopens the path
 * from the root, so a hostile link full of ".." in a deep tree could cost
 * millions of calls; beyond this it fails with ELOOP.
 */
#define WALK_BUDGET	65536

/*
 * Whether openat2 is used: 0 not yet known, 1 yes, -1 no (ENOSYS seen,
 * FTPD_NO_OPENAT2 set, or forced by a test).  Process state, not a buffer.
 */
static int use_openat2;

void
policy_force_walk(int on)
{
	use_openat2 = on ? -1 : 0;
}

static int
openat2_wanted(void)
{
	const char *e;

	if (use_openat2 == 0) {
		e = getenv("FTPD_NO_OPENAT2");
		use_openat2 = (e != NULL && strcmp(e, "1") == 0) ? -1 : 1;
	}
	return use_openat2 == 1;
}

/* vpath "/a/b" -> "a/b" relative to the root fd; "/" -> ".". */
static const char *
rel_path(const char *vpath)
{
	while (*vpath == '/')
		vpath++;
	return *vpath == '\0' ? "." : vpath;
}

/* ---- the fallback walk ------------------------------------------------ */

struct walk {
	int		 root;	/* the session root (not ours to close) */
	int		 dir;	/* the directory reached so far */
	struct buf	 cur;	/* its physical path below root, "" = root */
	struct buf	 rest;	/* what is left to resolve */
	size_t		 pos;	/* offset of the unresolved part of rest */
	int		 links;	/* symlinks followed */
	unsigned	 budget; /* openat calls left */
	struct buf	*real;	/* NULL, or gets the physical path reached */
};

/* Charge one openat against the budget.  0, or -1 with ELOOP. */
static int
walk_charge(struct walk *w)
{
	if (w->budget == 0) {
		errno = ELOOP;
		return -1;
	}
	w->budget--;
	return 0;
}

static void
walk_setdir(struct walk *w, int fd)
{
	if (w->dir != w->root)
		(void)close(w->dir);
	w->dir = fd;
}

/*
 * Copy the component at p, up to the next '/' or the end, into name
 * (NAME_MAX + 1 bytes).  Its length, or -1 with ENAMETOOLONG: no file
 * system takes a longer name, and name could not hold it.  Shared by the
 * forward walk and the reopen after "..", which must split alike.
 */
static ssize_t
walk_name(const char *p, char *name)
{
	size_t n = strcspn(p, "/");

	if (n > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	return (ssize_t)n;
}

/*
 * Reopen w->cur from the root after "..".  cur holds no symlinks (each was
 * replaced by its target), so O_NOFOLLOW may only fail if the tree changed
 * under us, and then failing is right.
 */
static int
walk_reopen(struct walk *w)
{
	const char *p = buf_cstr(&w->cur);
	char name[NAME_MAX + 1];
	ssize_t n;
	int fd;

	walk_setdir(w, w->root);
	while (*p != '\0') {
		if ((n = walk_name(p, name)) == -1)
			return -1;
		if (walk_charge(w) == -1)
			return -1;
		fd = openat(w->dir, name,
		    O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			return -1;
		walk_setdir(w, fd);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* "..": one component up, never above the root. */
static int
walk_up(struct walk *w)
{
	const unsigned char *slash;

	if (w->cur.len == 0)
		return 0;
	slash = memrchr(w->cur.data, '/', w->cur.len);
	buf_truncate(&w->cur, slash == NULL ? 0 :
	    (size_t)(slash - w->cur.data));
	return walk_reopen(w);
}

/*
 * name in w->dir is a symlink: splice its target in front of what is left.
 * An absolute target restarts at the root, as RESOLVE_IN_ROOT does.
 */
static int
walk_follow(struct walk *w, const char *name)
{
	char target[PATH_MAXLEN + 1];
	struct buf nrest;
	ssize_t n;

	n = readlinkat(w->dir, name, target, sizeof(target));
	if (n == -1)
		return -1;
	if ((size_t)n >= sizeof(target)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	target[n] = '\0';
	if (n == 0 || ++w->links > POLICY_MAXLINKS) {
		errno = n == 0 ? ENOENT : ELOOP;
		return -1;
	}
	if (target[0] == '/') {
		buf_reset(&w->cur);
		walk_setdir(w, w->root);
	}
	buf_init(&nrest, PATH_MAXLEN);
	if (buf_puts(&nrest, target) == 0 && buf_putc(&nrest, '/') == 0 &&
	    buf_puts(&nrest, (const char *)w->rest.data + w->pos) == 0) {
		buf_free(&w->rest);
		w->rest = nrest;
		w->pos = 0;
		return 0;
	}
	buf_free(&nrest);
	errno = ENAMETOOLONG;
	return -1;
}

/*
 * Take the next component of rest into name.  Returns 1 with *last set when
 * nothing but slashes follows it, 0 at the end, -1 if it is too long.
 */
static int
walk_next(struct walk *w, char *name, int *last)
{
	const char *p = (const char *)w->rest.data + w->pos;
	ssize_t n;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	if ((n = walk_name(p, name)) == -1)
		return -1;
	p += n;
	w->pos = (size_t)(p - (const char *)w->rest.data);
	while (*p == '/')
		p++;
	*last = *p == '\0';
	return 1;
}

/* An intermediate component: must be a directory, or a symlink to one. */
static int
walk_dir(struct walk *w, const char *name)
{
	int fd, err;

	if (walk_charge(w) == -1)
		return -1;
	fd = openat(w->dir, name, O_PATH | O_NOFOLLOW | O_DIRECTORY |
	    O_CLOEXEC);
	if (fd == -1) {
		err = errno;
		if (err != ENOTDIR && err != ELOOP)
			return -1;
		/* Not a directory: a symlink to follow, or really ENOTDIR. */
		if (walk_follow(w, name) == 0)
			return 0;
		if (errno == EINVAL)
			errno = err;
		return -1;
	}
	if ((w->cur.len > 0 && buf_putc(&w->cur, '/') == -1) ||
	    buf_puts(&w->cur, name) == -1) {
		(void)close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	walk_setdir(w, fd);
	return 0;
}

/*
 * The final component.  Opened with O_NOFOLLOW so a symlink is never
 * followed by the kernel; unless the caller asked for O_NOFOLLOW we follow
 * it ourselves.  Returns an fd, -1 (errno), or -2: a link was spliced in.
 */
static int
walk_last(struct walk *w, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd, err, follow = !(flags & O_NOFOLLOW);

	if (walk_charge(w) == -1)
		return -1;
	fd = openat(w->dir, name, flags | O_NOFOLLOW, mode);
	if (fd == -1) {
		err = errno;
		if (!follow || (err != ELOOP && err != ENOTDIR))
			return -1;
		/* ELOOP: a symlink; ENOTDIR: maybe one under O_DIRECTORY. */
		if (walk_follow(w, name) == 0)
			return -2;
		if (errno == EINVAL)
			errno = err;
		return -1;
	}
	/* O_PATH|O_NOFOLLOW opens a symlink itself: look. */
	if (!follow || !(flags & O_PATH))
		return fd;
	if (fstat(fd, &st) == -1) {
		err = errno;
		(void)close(fd);
		errno = err;
		return -1;
	}
	if (!S_ISLNK(st.st_mode))
		return fd;
	(void)close(fd);
	return walk_follow(w, name) == 0 ? -2 : -1;
}

/*
 * Success: the physical path of what was opened, "/" + cur, and name when
 * the last component was opened by name.  -1 (ENAMETOOLONG) if it does
 * not fit: the caller then has no path to give.
 */
static int
walk_set_real(struct walk *w, int fd, const char *name)
{
	int err, rc;

	if (fd < 0 || w->real == NULL)
		return fd;
	rc = buf_set(w->real, "/");
	if (rc == 0)
		rc = buf_append(w->real, w->cur.data, w->cur.len);
	if (rc == 0 && name != NULL && w->cur.len > 0)
		rc = buf_putc(w->real, '/');
	if (rc == 0 && name != NULL)
		rc = buf_puts(w->real, name);
	if (rc == 0)
		return fd;
	err = ENAMETOOLONG;
	(void)close(fd);
	errno = err;
	return -1;
}

static int
walk_step(struct walk *w, int flags, mode_t mode)
{
	char name[NAME_MAX + 1];
	int last, r;

	for (;;) {
		r = walk_next(w, name, &last);
		if (r < 0)
			return -1;
		if (r == 0)
			return walk_set_real(w, openat(w->dir, ".", flags,
			    mode), NULL);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (walk_up(w) == -1)
				return -1;
			continue;
		}
		if (!last) {
			if (walk_dir(w, name) == -1)
				return -1;
			continue;
		}
		r = walk_last(w, name, flags, mode);
		if (r != -2)
			return walk_set_real(w, r, name);
	}
}

/* The fallback resolution; with real, also the physical path reached. */
static int
walk_open(int root, const char *rel, int flags, mode_t mode,
    struct buf *real)
{
	struct walk w;
	int fd, err;

	w.root = root;
	w.dir = root;
	w.pos = 0;
	w.links = 0;
	w.budget = WALK_BUDGET;
	w.real = real;
	buf_init(&w.cur, PATH_MAXLEN);
	buf_init(&w.rest, PATH_MAXLEN);
	if (buf_puts(&w.rest, rel) == -1) {
		buf_free(&w.rest);
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = walk_step(&w, flags, mode);
	err = errno;
	walk_setdir(&w, root);
	buf_free(&w.cur);
	buf_free(&w.rest);
	errno = err;
	return fd;
}

/* ---- openat2 ---------------------------------------------------------- */

static int
root_open(int root, const char *rel, int flags, mode_t mode)
{
	struct open_how how;
	long fd;
	int i;

	flags |= O_CLOEXEC;
	if (!openat2_wanted())
		return walk_open(root, rel, flags, mode, NULL);
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned)flags;
	/* openat2 insists on mode 0 unless something is being created. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	for (i = 0; i < OPENAT2_RETRIES; i++) {
		fd = syscall(SYS_openat2, root, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN)
			break;
	}
	if (errno == ENOSYS) {
		use_openat2 = -1;
		return walk_open(root, rel, flags, mode, NULL);
	}
	return -1;
}

/* ---- public ----------------------------------------------------------- */

/* 1 if a name of vpath, as named, is denied by a [dir] section. */
static int
path_denied(const struct session *s, const char *vpath)
{
	struct dirrule_verdict v;

	dirrule_judge(s->dirs->r, s->dirs->n, vpath, &v);
	return v.denied;
}

int
policy_path(struct session *s, const char *arg, struct buf *vpath)
{
	struct stat st;
	size_t len;

	if (arg == NULL) {
		reply(s, 501, "A path name is required.");
		return -1;
	}
	if (path_resolve(buf_cstr(&s->cwd), arg, vpath) == -1) {
		reply(s, 553, "File name not allowed (too long).");
		return -1;
	}
	/* A name a [dir] section denies is not there, before the kernel
	 * could tell otherwise ("Not a directory", "Permission denied").
	 * What the path leads to is judged once opened (user/dirs.c). */
	if (s->dirs != NULL && path_denied(s, buf_cstr(vpath))) {
		reply_errno(s, ENOENT, "Cannot use", buf_cstr(vpath));
		return -1;
	}
	/* "name/" can only be a directory (POSIX: ENOTDIR otherwise); the
	 * normalised path has lost the slash, so check here.  One stat, and
	 * only for such names. */
	len = strlen(arg);
	if (len > 1 && arg[len - 1] == '/' && strcmp(buf_cstr(vpath),
	    "/") != 0 && fs_stat(s, buf_cstr(vpath), &st, 1) == 0 &&
	    !S_ISDIR(st.st_mode)) {
		reply_errno(s, ENOTDIR, "Cannot use", buf_cstr(vpath));
		return -1;
	}
	return 0;
}

int
fs_open(struct session *s, const char *vpath, int flags, mode_t mode)
{
	return root_open(s->root_fd, rel_path(vpath), flags, mode);
}

int
fs_open_parent(struct session *s, const char *vpath, const char **base)
{
	char parent[PATH_MAXLEN + 1];
	const char *rel = rel_path(vpath), *b;
	int n;

	if (strcmp(rel, ".") == 0) {
		errno = EINVAL;
		return -1;
	}
	b = path_basename(rel);
	/* Normalised paths never end in "." or "..", but be sure. */
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (b == rel)
		n = snprintf(parent, sizeof(parent), ".");
	else
		n = snprintf(parent, sizeof(parent), "%.*s",
		    (int)(b - 1 - rel), rel);
	if (n < 0 || (size_t)n >= sizeof(parent)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*base = b;
	return root_open(s->root_fd, parent, O_PATH | O_DIRECTORY, 0);
}

int
fs_realpath(struct session *s, const char *vpath, int fd, struct buf *real)
{
	struct stat a, b;
	struct buf tmp;
	int pfd, same, err;

	buf_init(&tmp, PATH_MAXLEN + 1);
	pfd = walk_open(s->root_fd, rel_path(vpath), O_PATH | O_CLOEXEC, 0,
	    &tmp);
	if (pfd == -1) {
		err = errno;
		buf_free(&tmp);
		errno = err;
		return -1;
	}
	/* The walk and the kernel resolved alike unless the tree changed
	 * in between: then the lexical path is the better answer. */
	same = fstat(pfd, &a) == 0 && fstat(fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	(void)close(pfd);
	if (!same || buf_set(real, buf_cstr(&tmp)) == -1) {
		buf_free(&tmp);
		errno = ESTALE;
		return -1;
	}
	buf_free(&tmp);
	return 0;
}

int
fs_stat(struct session *s, const char *vpath, struct stat *st, int follow)
{
	const char *base = NULL;
	int fd, rc, err;

	/* The root itself is a directory, never a link: stat it directly. */
	if (strcmp(rel_path(vpath), ".") == 0)
		follow = 1;
	if (follow)
		fd = fs_open(s, vpath, O_PATH, 0);
	else
		fd = fs_open_parent(s, vpath, &base);
	if (fd == -1)
		return -1;
	if (follow)
		rc = fstat(fd, st);
	else
		rc = fstatat(fd, base, st, AT_SYMLINK_NOFOLLOW);
	err = errno;
	(void)close(fd);
	errno = err;
	return rc;
}

int
policy_errno_code(int err, const char **reason)
{
	static const struct {
		int		 err;
		int		 code;
		const char	*text;
	} map[] = {
		{ ENOENT,	550, "No such file or directory" },
		{ ENOTDIR,	550, "Not a directory" },
		{ EACCES,	550, "Permission denied" },
		{ EPERM,	550, "Permission denied" },
		{ EROFS,	550, "Read-only file system" },
		{ EEXIST,	550, "File exists" },
		{ EISDIR,	550, "Is a directory" },
		{ ENOTEMPTY,	550, "Directory not empty" },
		{ EXDEV,	550, "Not on the same file system" },
		{ EOPNOTSUPP,	550, "Operation not supported" },
		{ ENOSPC,	452, "No space left on device" },
		{ EDQUOT,	552, "Disk quota exceeded" },
		{ EFBIG,	552, "File too large" },
		{ ENAMETOOLONG,	553, "File name too long" },
		{ EINVAL,	553, "Invalid file name" },
		/* The name is fine; what it leads to is not (RFC 959:
		 * 553 is for names not allowed). */
		{ ELOOP,	550, "Too many levels of symbolic links" },
		{ EBUSY,	450, "Device or resource busy" },
		{ ETXTBSY,	450, "Text file busy" },
		{ EAGAIN,	450, "Resource temporarily unavailable" },
		{ ENOMEM,	451, "Out of memory" },
		{ EMFILE,	451, "Too many open files" },
		{ ENFILE,	451, "Too many open files in system" },
		{ EIO,		451, "Input/output error" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].err == err) {
			*reason = map[i].text;
			return map[i].code;
		}
	}
	*reason = "Operation failed";
	return 550;
}

void
reply_errno(struct session *s, int err, const char *what, const char *vpath)
{
	const char *reason;
	int code;

	code = policy_errno_code(err, &reason);
	reply(s, code, "%s \"%s\": %s.", what, vpath, reason);
}

int
policy_upload_tmp(const char *name)
{
	size_t n = sizeof(POLICY_UPLOAD_TMP) - 1, i;

	/* Most names fail on the first byte: listings call this for each. */
	if (name[0] != '.')
		return 0;
	if (strncmp(name, POLICY_UPLOAD_PARTIAL,
	    sizeof(POLICY_UPLOAD_PARTIAL) - 1) == 0)
		return name[sizeof(POLICY_UPLOAD_PARTIAL) - 1] != '\0';
	if (strncmp(name, POLICY_UPLOAD_TMP, n) != 0)
		return 0;
	for (i = 0; i < POLICY_UPLOAD_TMP_RANDOM; i++)
		if (!((name[n + i] >= '0' && name[n + i] <= '9') ||
		    (name[n + i] >= 'a' && name[n + i] <= 'z')))
			return 0;
	return name[n + i] == '\0';
}

/* Each op is the verb of the same rank: the plan's bits test it. */
_Static_assert(POLICY_PERM(OP_READ) == PERM_READ &&
    POLICY_PERM(OP_LIST) == PERM_LIST &&
    POLICY_PERM(OP_CREATE) == PERM_WRITE &&
    POLICY_PERM(OP_OVERWRITE) == PERM_OVERWRITE &&
    POLICY_PERM(OP_APPEND) == PERM_APPEND &&
    POLICY_PERM(OP_DELETE) == PERM_DELETE &&
    POLICY_PERM(OP_RENAME) == PERM_RENAME &&
    POLICY_PERM(OP_MKDIR) == PERM_MKDIR &&
    POLICY_PERM(OP_RMDIR) == PERM_RMDIR &&
    POLICY_PERM(OP_CHMOD) == PERM_CHMOD &&
    POLICY_PERM(OP_MFMT) == PERM_MFMT &&
    (POLICY_PERM(OP_ENTER) & PERM_ALL) == 0, "policy_op and PERM_* agree");

int
policy_allow(struct session *s, enum policy_op op)
{
	int ok;

	if (op == OP_ENTER)
		return 1;
	if (op == OP_READ || op == OP_LIST)
		ok = 1;
	else if (s->anonymous)
		ok = op == OP_CREATE && cfg->anon_upload;
	else
		ok = cfg->write_enable != 0;
	/* permissions only narrow what the rules above allow. */
	return ok && (s->plan == NULL ||
	    (s->plan->perms & POLICY_PERM(op)) != 0);
}

int
policy_may_read(struct session *s, const struct stat *st)
{
	if (!s->anonymous || cfg->anon_upload_readable)
		return 1;
	return (st->st_mode & S_IROTH) != 0;
}

/*
 * O_NONBLOCK: opening a FIFO must not hang the session.  The flag stays
 * set: it means nothing to a regular file on Linux, and clearing it would
 * cost two syscalls per download.
 */
int
policy_open_read(struct session *s, const char *vpath, struct stat *st)
{
	int fd;

	if ((fd = fs_open(s, vpath, O_RDONLY | O_NONBLOCK, 0)) == -1) {
		reply_errno(s, errno, "Cannot open", vpath);
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		(void)close(fd);
		reply(s, 550, "Not a plain file.");
		return -1;
	}
	if (!policy_may_read(s, st)) {
		(void)close(fd);
		reply(s, 550, "Permission denied.");
		return -1;
	}
	return fd;
}
