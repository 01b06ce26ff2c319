/*
 * cmd_file.c - DELE RNFR RNTO SIZE MDTM MFMT, SITE CHMOD and SITE UTIME.
 *
 * Runs in the user process, as the account.  Arguments are client text:
 * paths only become file-system names through policy_path() and the fs_*
 * calls, which resolve beneath the session root; numbers and timestamps
 * only through parse_*.  Every change to the tree goes through a parent
 * directory fd and a final name that is never followed as a symlink, or
 * through an fd the resolver opened, so no path here is resolved by the
 * kernel against the process root.  Each handler checks policy_allow():
 * the dispatcher lets anonymous uploaders through its write check, but they
 * may only create files; and the [dir] sections (user/dirs.h) on the very
 * fd the change is made through.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ascii.h"
#include "common/buf.h"
#include "common/parse.h"
#include "common/path.h"
#include "cmd/cmd.h"
#include "cmd/ctl.h"
#include "mon_client.h"
#include "user/dirs.h"
#include "user/policy.h"
#include "user/quota.h"
#include "session.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2	452	/* Linux 6.6, same number on every arch */
#endif

#define TSTAMP_LEN	14		/* YYYYMMDDHHMMSS */
#define ASCII_SIZE_MAX	(1LL << 30)	/* SIZE in TYPE A reads the file */
#define SIZE_CHUNK	16384

/*
 * "YYYYMMDDHHMMSS" (n == 14) or "YYYYMMDDHHMM" (n == 12), UTC, into *out.
 * Every field range-checked; timegm's normalisation must be a no-op, which
 * rejects 31 April and the like.  0 or -1.
 */
static int
parse_tstamp(const char *p, size_t n, time_t *out)
{
	static const struct { size_t len; unsigned lo, hi; } f[6] = {
		{ 4, 1970, 9999 }, { 2, 1, 12 }, { 2, 1, 31 },
		{ 2, 0, 23 }, { 2, 0, 59 }, { 2, 0, 59 },
	};
	unsigned long long v[6] = { 0, 0, 0, 0, 0, 0 };
	struct tm tm, chk;
	size_t i, off = 0, nf = n == 12 ? 5 : 6;
	time_t t;

	if (n != 12 && n != TSTAMP_LEN)
		return -1;
	for (i = 0; i < nf; i++) {
		if (parse_uint_n(p + off, f[i].len, f[i].lo, f[i].hi,
		    &v[i]) == -1)
			return -1;
		off += f[i].len;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	chk = tm;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (tm.tm_mday != chk.tm_mday || tm.tm_mon != chk.tm_mon)
		return -1;
	*out = t;
	return 0;
}

/* t as "YYYYMMDDHHMMSS" UTC into out[TSTAMP_LEN + 1].  0 or -1. */
static int
format_tstamp(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return strftime(out, outlen, "%Y%m%d%H%M%S", &tm) == TSTAMP_LEN ?
	    0 : -1;
}

/* Length of the first space-separated word of p. */
static size_t
word_len(const char *p)
{
	const char *sp = strchr(p, ' ');

	return sp != NULL ? (size_t)(sp - p) : strlen(p);
}

/* Common start of a handler: permission, then the path.  0 or -1 (replied). */
static int
file_begin(struct session *s, enum policy_op op, const char *arg,
    struct buf *vpath)
{
	buf_init(vpath, PATH_MAXLEN);
	if (!policy_allow(s, op)) {
		reply(s, 550, "Permission denied.");
		return -1;
	}
	return policy_path(s, arg, vpath);
}

void
cmd_dele(struct session *s, const char *arg)
{
	struct buf vpath;
	struct stat st;
	const char *base;
	int pfd;

	if (file_begin(s, OP_DELETE, arg, &vpath) == -1)
		goto out;
	if ((pfd = fs_open_parent(s, buf_cstr(&vpath), &base)) == -1) {
		reply_errno(s, errno == EINVAL ? EISDIR : errno,
		    "Cannot delete", buf_cstr(&vpath));
		goto out;
	}
	/* What the name held, for the quota: a link frees nothing. */
	if (!quota_on(s) || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		st.st_mode = 0;
	/* Without AT_REMOVEDIR a directory fails with EISDIR: 550. */
	if (dirs_check_at(s, OP_DELETE, buf_cstr(&vpath), pfd, base,
	    "Cannot delete", 0) == -1)
		;	/* replied */
	else if (unlinkat(pfd, base, 0) == -1)
		reply_errno(s, errno, "Cannot delete", buf_cstr(&vpath));
	else {
		quota_removed(s, &st);	/* before the reply: see quota.h */
		mon_event(s, EV_DELETE, buf_cstr(&vpath), NULL);
		reply(s, 250, "File deleted.");
	}
	(void)close(pfd);
out:
	buf_free(&vpath);
}

void
cmd_rnfr(struct session *s, const char *arg)
{
	struct buf vpath;
	struct stat st;
	const char *base;
	int pfd, rc;

	buf_reset(&s->rnfr);
	if (file_begin(s, OP_RENAME, arg, &vpath) == -1)
		goto out;
	if (strcmp(buf_cstr(&vpath), "/") == 0) {
		reply(s, 550, "Cannot rename the root directory.");
		goto out;
	}
	if ((pfd = fs_open_parent(s, buf_cstr(&vpath), &base)) == -1) {
		reply_errno(s, errno, "Cannot rename", buf_cstr(&vpath));
		goto out;
	}
	if ((rc = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW)) == -1)
		reply_errno(s, errno, "Cannot rename", buf_cstr(&vpath));
	else
		rc = dirs_check_at(s, OP_RENAME, buf_cstr(&vpath), pfd, base,
		    "Cannot rename", 0);
	(void)close(pfd);
	if (rc == -1)
		goto out;
	if (buf_set(&s->rnfr, buf_cstr(&vpath)) == -1) {
		reply(s, 553, "File name too long.");
		goto out;
	}
	reply(s, 350, "Ready for RNTO.");
out:
	buf_free(&vpath);
}

/*
 * Rename from to to, both judged on the parent fds the rename goes
 * through: the source as RNFR was, the target for rename and, when a
 * name is there to be replaced, for overwrite.  A target that was free
 * is taken with RENAME_NOREPLACE, so a file that appears meanwhile is
 * never replaced without that check.  Replies either way.
 */
static void
rename_vpaths(struct session *s, const char *from, const char *to)
{
	const char *fbase, *tbase;
	struct stat st, src;
	int fpd, tpd = -1, rc = -1, exists;

	if ((fpd = fs_open_parent(s, from, &fbase)) == -1) {
		reply_errno(s, errno, "Cannot rename", from);
		return;
	}
	if ((tpd = fs_open_parent(s, to, &tbase)) == -1) {
		/* "/" as the target */
		reply_errno(s, errno == EINVAL ? EBUSY : errno,
		    "Cannot rename to", to);
		goto out;
	}
	if (dirs_check_at(s, OP_RENAME, from, fpd, fbase, "Cannot rename",
	    0) == -1 || dirs_check_at(s, OP_RENAME, to, tpd, tbase,
	    "Cannot rename to", 0) == -1)
		goto out;
	exists = fstatat(tpd, tbase, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && !policy_allow(s, OP_OVERWRITE)) {
		reply(s, 550, "Permission denied.");
		goto out;
	}
	if (exists && dirs_check_at(s, OP_OVERWRITE, to, tpd, tbase,
	    "Cannot rename to", 0) == -1)
		goto out;
	rc = exists ? renameat(fpd, fbase, tpd, tbase) :
	    renameat2(fpd, fbase, tpd, tbase, RENAME_NOREPLACE);
	/* A file system without RENAME_NOREPLACE: as before it. */
	if (rc == -1 && !exists && errno == EINVAL)
		rc = renameat(fpd, fbase, tpd, tbase);
	if (rc == -1)
		reply_errno(s, errno, "Cannot rename to", to);
	else {
		/* What the target held is given back to the quota, unless
		 * it was the source itself or another link of its file. */
		if (!exists || fstatat(tpd, tbase, &src,
		    AT_SYMLINK_NOFOLLOW) == -1 || (src.st_ino == st.st_ino &&
		    src.st_dev == st.st_dev))
			st.st_mode = 0;
		quota_removed(s, &st);
		mon_event(s, EV_RENAME, from, to);
		reply(s, 250, "Rename successful.");
	}
out:
	(void)close(fpd);
	if (tpd != -1)
		(void)close(tpd);
}

void
cmd_rnto(struct session *s, const char *arg)
{
	struct buf vpath, from;

	buf_init(&from, PATH_MAXLEN);
	if (s->rnfr.len == 0) {
		buf_init(&vpath, PATH_MAXLEN);
		reply(s, 503, "RNFR required first.");
		goto out;
	}
	/* Take the source now: RNTO consumes it whatever happens. */
	(void)buf_set(&from, buf_cstr(&s->rnfr));
	buf_reset(&s->rnfr);
	if (file_begin(s, OP_RENAME, arg, &vpath) == -1)
		goto out;
	rename_vpaths(s, buf_cstr(&from), buf_cstr(&vpath));
out:
	buf_free(&vpath);
	buf_free(&from);
}

/* Size of an open regular file as sent in TYPE A (LF -> CRLF). */
static int
ascii_size(int fd, off_t *size)
{
	unsigned char chunk[SIZE_CHUNK];
	unsigned long long total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		total += ascii_wire_len(chunk, (size_t)n);
		/* Bounded: a file growing while we read stops here. */
		if (total > 2ULL * ASCII_SIZE_MAX) {
			errno = EFBIG;
			return -1;
		}
	}
	*size = (off_t)total;
	return 0;
}

/* TYPE A size of vpath, known to be a regular file.  0 or -1 (errno). */
static int
ascii_size_vpath(struct session *s, const char *vpath, off_t *size)
{
	struct stat st;
	int fd, rc, err;

	/* O_NONBLOCK: should it have become a FIFO meanwhile, do not hang. */
	fd = fs_open(s, vpath, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		rc = -1;
	else if (!S_ISREG(st.st_mode)) {
		errno = EPERM;
		rc = -1;
	} else
		rc = ascii_size(fd, size);
	err = errno;
	(void)close(fd);
	errno = err;
	return rc;
}

/*
 * stat(2) of vpath (links followed) for SIZE and MDTM, with the [dir]
 * sections judged on the same fd.  0, or -1 after replying.
 */
static int
stat_judged(struct session *s, const char *vpath, struct stat *st,
    const char *what)
{
	int fd, rc;

	if ((fd = fs_open(s, vpath, O_PATH, 0)) == -1) {
		reply_errno(s, errno, what, vpath);
		return -1;
	}
	if ((rc = fstat(fd, st)) == -1)
		reply_errno(s, errno, what, vpath);
	else
		rc = dirs_check_fd(s, OP_LIST, vpath, fd, what, 0, NULL);
	(void)close(fd);
	return rc;
}

void
cmd_size(struct session *s, const char *arg)
{
	struct buf vpath;
	struct stat st;
	off_t size;

	/*
	 * The size of what RETR would send (RFC 3659), never of a hidden
	 * partial: a missing name is 550 even when a partial exists.
	 */
	if (file_begin(s, OP_LIST, arg, &vpath) == -1)
		goto out;
	if (stat_judged(s, buf_cstr(&vpath), &st, "Cannot get size of") == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		reply(s, 550, "\"%s\": not a plain file.", buf_cstr(&vpath));
		goto out;
	}
	if (!policy_may_read(s, &st)) {
		reply_errno(s, EACCES, "Cannot get size of", buf_cstr(&vpath));
		goto out;
	}
	size = st.st_size;
	if (s->type == 'A' && st.st_size > ASCII_SIZE_MAX) {
		reply(s, 550, "File too large for SIZE in ASCII mode; "
		    "use TYPE I.");
		goto out;
	}
	if (s->type == 'A' &&
	    ascii_size_vpath(s, buf_cstr(&vpath), &size) == -1) {
		reply_errno(s, errno, "Cannot read", buf_cstr(&vpath));
		goto out;
	}
	reply(s, 213, "%lld", (long long)size);
out:
	buf_free(&vpath);
}

void
cmd_mdtm(struct session *s, const char *arg)
{
	char ts[TSTAMP_LEN + 1];
	struct buf vpath;
	struct stat st;

	/*
	 * "MDTM 20200101000000 file" is a setter in some servers; here the
	 * whole argument is a name (RFC 3659).  MFMT sets times.
	 */
	if (file_begin(s, OP_LIST, arg, &vpath) == -1)
		goto out;
	if (stat_judged(s, buf_cstr(&vpath), &st, "Cannot get time of") == -1)
		goto out;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		reply(s, 550, "\"%s\": not a plain file.", buf_cstr(&vpath));
		goto out;
	}
	if (format_tstamp(st.st_mtime, ts, sizeof(ts)) == -1) {
		reply(s, 550, "\"%s\": time out of range.", buf_cstr(&vpath));
		goto out;
	}
	reply(s, 213, "%s", ts);
out:
	buf_free(&vpath);
}

/*
 * Set atime (UTIME_OMIT to keep it) and mtime of vpath itself: the parent
 * is resolved beneath the root and the final name is never followed.
 * 0, or -1 after replying.
 */
static int
set_times(struct session *s, const char *vpath, const struct timespec *atime,
    time_t mtime)
{
	struct timespec ts[2];
	const char *base;
	int pfd, rc;

	if ((pfd = fs_open_parent(s, vpath, &base)) == -1) {
		reply_errno(s, errno == EINVAL ? EPERM : errno,
		    "Cannot set time of", vpath);
		return -1;
	}
	ts[0] = *atime;
	ts[1].tv_sec = mtime;
	ts[1].tv_nsec = 0;
	rc = dirs_check_at(s, OP_MFMT, vpath, pfd, base, "Cannot set time of",
	    0);
	if (rc == 0 && (rc = utimensat(pfd, base, ts,
	    AT_SYMLINK_NOFOLLOW)) == -1)
		reply_errno(s, errno, "Cannot set time of", vpath);
	(void)close(pfd);
	return rc;
}

/*
 * MFMT's time: YYYYMMDDHHMMSS, optionally ".sss" (ignored, per the draft).
 * 0 or -1.
 */
static int
parse_mfmt_time(const char *p, size_t n, time_t *t)
{
	const char *dot = memchr(p, '.', n);
	size_t frac;

	if (dot != NULL) {
		frac = n - (size_t)(dot - p) - 1;
		if (frac == 0 || frac > 9 ||
		    strspn(dot + 1, "0123456789") < frac)
			return -1;
		n = (size_t)(dot - p);
	}
	if (n != TSTAMP_LEN)
		return -1;
	return parse_tstamp(p, n, t);
}

void
cmd_mfmt(struct session *s, const char *arg)
{
	const struct timespec omit = { 0, UTIME_OMIT };
	char ts[TSTAMP_LEN + 1];
	struct buf vpath;
	const char *path;
	size_t n;
	time_t t;

	buf_init(&vpath, PATH_MAXLEN);
	n = arg != NULL ? word_len(arg) : 0;
	if (n == 0 || arg[n] != ' ' || arg[n + 1] == '\0' ||
	    parse_mfmt_time(arg, n, &t) == -1) {
		reply(s, 501, "Usage: MFMT YYYYMMDDHHMMSS path");
		goto out;
	}
	path = arg + n + 1;
	if (file_begin(s, OP_MFMT, path, &vpath) == -1)
		goto out;
	if (set_times(s, buf_cstr(&vpath), &omit, t) == -1)
		goto out;
	if (format_tstamp(t, ts, sizeof(ts)) == -1)
		ts[0] = '\0';
	reply(s, 213, "Modify=%s; %s", ts, path);
out:
	buf_free(&vpath);
}

/*
 * chmod of the object vpath names (a symlink is followed, beneath the
 * root), judged by the [dir] sections on the fd it goes through.
 * fchmodat2 can change mode through an O_PATH fd; without it (before
 * Linux 6.6) fall back to the parent and a final name that is not
 * followed, which must still be the file judged.  0, or -1 after
 * replying.
 */
static int
chmod_vpath(struct session *s, const char *vpath, mode_t mode)
{
	static const char what[] = "Cannot change mode of";
	struct stat a, b;
	const char *base;
	int fd, pfd, rc, err;

	if ((fd = fs_open(s, vpath, O_PATH, 0)) == -1) {
		reply_errno(s, errno, what, vpath);
		return -1;
	}
	if (dirs_check_fd(s, OP_CHMOD, vpath, fd, what, 0, NULL) == -1) {
		(void)close(fd);
		return -1;
	}
	rc = (int)syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH);
	err = errno;
	if (rc == 0 || err != ENOSYS) {
		(void)close(fd);
		if (rc == -1)
			reply_errno(s, err, what, vpath);
		return rc;
	}
	if ((pfd = fs_open_parent(s, vpath, &base)) == -1) {
		err = errno;
		rc = -1;
	} else if (fstat(fd, &a) == -1 || fstatat(pfd, base, &b,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		err = errno;
		rc = -1;
	} else if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		/* A link (not followed here), or the tree changed. */
		err = S_ISLNK(b.st_mode) ? EOPNOTSUPP : ESTALE;
		rc = -1;
	} else {
		rc = fchmodat(pfd, base, mode, AT_SYMLINK_NOFOLLOW);
		err = errno;
	}
	if (pfd != -1)
		(void)close(pfd);
	(void)close(fd);
	if (rc == -1)
		reply_errno(s, err, what, vpath);
	return rc;
}

void
site_chmod(struct session *s, const char *arg)
{
	struct buf vpath;
	unsigned long mode;
	char word[8];
	size_t n;

	buf_init(&vpath, PATH_MAXLEN);
	n = arg != NULL ? word_len(arg) : 0;
	if (n == 0 || n >= sizeof(word) || arg[n] != ' ' ||
	    arg[n + 1] == '\0') {
		reply(s, 501, "Usage: SITE CHMOD mode path");
		goto out;
	}
	memcpy(word, arg, n);
	word[n] = '\0';
	if (parse_octal(word, 07777, &mode) == -1) {
		reply(s, 501, "Bad mode \"%s\".", word);
		goto out;
	}
	/* Permission bits and sticky only: never set-id bits from FTP. */
	mode &= 01777;
	if (file_begin(s, OP_CHMOD, arg + n + 1, &vpath) == -1)
		goto out;
	if (chmod_vpath(s, buf_cstr(&vpath), (mode_t)mode) == 0) {
		mon_event(s, EV_CHMOD, buf_cstr(&vpath), NULL);
		reply(s, 200, "SITE CHMOD command ok.");
	}
out:
	buf_free(&vpath);
}

/*
 * The five-argument form "path atime mtime ctime UTC": the path may hold
 * spaces, so parse from the right.  0 with *pathlen, atime, mtime, or -1.
 */
static int
utime_long_form(const char *arg, size_t *pathlen, time_t *at, time_t *mt)
{
	size_t len = strlen(arg), end;
	time_t t[3];
	int i;

	if (len < 4 || strcmp(arg + len - 4, " UTC") != 0)
		return -1;
	end = len - 4;
	for (i = 2; i >= 0; i--) {
		if (end < TSTAMP_LEN + 1 || arg[end - TSTAMP_LEN - 1] != ' ')
			return -1;
		if (parse_tstamp(arg + end - TSTAMP_LEN, TSTAMP_LEN,
		    &t[i]) == -1)
			return -1;
		end -= TSTAMP_LEN + 1;
	}
	if (end == 0)
		return -1;
	*pathlen = end;
	*at = t[0];
	*mt = t[1];	/* t[2], ctime, cannot be set */
	return 0;
}

void
site_utime(struct session *s, const char *arg)
{
	struct timespec ats = { 0, 0 };
	struct buf vpath, path;
	size_t n;
	time_t at, mt;
	int longform;

	buf_init(&vpath, PATH_MAXLEN);
	buf_init(&path, PATH_MAXLEN);
	if (arg == NULL)
		arg = "";
	longform = utime_long_form(arg, &n, &at, &mt) == 0;
	if (longform) {
		if (buf_append(&path, arg, n) == -1)
			goto usage;
	} else {
		n = word_len(arg);
		if (n == 0 || arg[n] != ' ' || arg[n + 1] == '\0' ||
		    parse_tstamp(arg, n, &mt) == -1 ||
		    buf_puts(&path, arg + n + 1) == -1)
			goto usage;
		at = mt;
	}
	if (file_begin(s, OP_MFMT, buf_cstr(&path), &vpath) == -1)
		goto out;
	ats.tv_sec = at;
	if (set_times(s, buf_cstr(&vpath), &ats, mt) == 0)
		reply(s, longform ? 200 : 213, "SITE UTIME command ok.");
	goto out;
usage:
	reply(s, 501, "Usage: SITE UTIME YYYYMMDDHHMMSS path, or SITE UTIME "
	    "path atime mtime ctime UTC");
out:
	buf_free(&vpath);
	buf_free(&path);
}
