/*
 * cmd_xfer.c - RETR STOR STOU APPE REST ABOR.
 *
 * Runs in the user process, as the account.  Path arguments are hostile
 * client text resolved by policy.c beneath the session root; every open
 * is checked with fstat (regular files only: a FIFO or device must not
 * block or leak).  Uploads by anonymous sessions never replace anything
 * (O_EXCL); with atomic_uploads a user's STOR is written under a temporary
 * name and never shows under its name while it runs: a complete one is
 * renamed over the name, a cut one goes there only if the name is free
 * (else it becomes a hidden partial), anything else leaves the previous
 * file intact.  A REST resume continues the partial, or the file moved
 * aside; APPE appends in place (DESIGN.md, "The life of a STOR").  With
 * a quota, room is reserved before bytes are written and what changed
 * on disk is told to the monitor before the reply (user/quota.c).  The
 * final reply is sent only after the data connection is closed (clients
 * treat 226 as "all data is here").
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/path.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cmd/ctl.h"
#include "user/data.h"
#include "mon_client.h"
#include "user/dirs.h"
#include "user/page.h"
#include "user/policy.h"
#include "user/quota.h"
#include "user/repr.h"
#include "user/route.h"
#include "session.h"
#include "shutdown.h"
#include "user/xfer.h"

#define WHAT_MAX	(PATH_MAXLEN + 128)
#define NAME_TRIES	16	/* attempts at a fresh random name */
#define REST_MAX	(1ULL << 62)

enum store_kind { STORE_STOR, STORE_APPE, STORE_STOU };
enum store_remove { REMOVE_NEVER, REMOVE_ON_DISK, REMOVE_ALWAYS };

struct upload {
	struct buf	 vpath;		/* final virtual path */
	int		 fd;		/* file being written */
	int		 opened;	/* fd was opened by us */
	int		 dirfd;		/* O_PATH parent, or -1 */
	const char	*base;		/* final name, inside vpath */
	char		 tmp[NAME_MAX + 1]; /* temporary or partial, or "" */
	int		 resumed;	/* tmp is a kept partial */
	int		 aside;		/* tmp is the target, moved aside */
	int		 cut;		/* the connection was lost: keep */
	int		 noreplace;	/* a new file that may not replace
					 * one appearing meanwhile (no
					 * overwrite permission) */
	off_t		 trunc_at;	/* cut fd here once data flows, or -1 */
	enum store_remove remove;	/* what to do on failure */
	int		 exists;	/* the target existed */
	int		 created;	/* fd is a file this upload made */
	off_t		 counted;	/* fd's size before O_TRUNC, or -1 */
	off_t		 replaces;	/* what the target holds, when a
					 * complete upload replaces it */
	struct quota_up	 q;		/* its share of the quota */
	struct xfer_route route;	/* decided when the command came:
					 * REST's unit and the loop */
};

static double
xfer_clock(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n random characters [0-9a-z] and a NUL into out. */
static int
random_name(char *out, size_t n)
{
	static const char set[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char r[32];
	size_t i;

	if (n > sizeof(r) || getrandom(r, n, 0) != (ssize_t)n)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = set[r[i] % (sizeof(set) - 1)];
	out[n] = '\0';
	return 0;
}

static const char *
xfer_type_name(const struct session *s)
{
	return s->type == 'A' ? "ASCII" : s->type == 'E' ? "EBCDIC" :
	    "BINARY";
}

static void
reply_disk(struct session *s, int err)
{
	if (err == ENOSPC)
		reply(s, 452, "Insufficient storage space.");
	else if (err == EDQUOT || err == EFBIG) {
		if (err == EDQUOT)
			mon_metric(s->mon_fd, MON_MET_QUOTA, 0, 0, 0);
		reply(s, 552, "Exceeded storage allocation (quota).");
	}
	else if (err == EAGAIN)		/* the quota tally (user/quota.c) */
		reply(s, 451, "Quota tally unavailable; try again later.");
	else if (err == EACCES || err == EPERM)
		reply(s, 550, "Permission denied.");	/* not transient */
	else if (err == EEXIST)		/* a name taken while uploading */
		reply(s, 550, "File exists.");
	else
		reply(s, 451, "Local error: %s.", strerror(err));
}

/*
 * Close the data connection (ABOR already did) and send the final reply.
 * Returns 1 if the transfer completed.
 */
static int
xfer_end(struct session *s, const struct xfer_route *r, int datafd,
    enum xfer_result res, int err, const char *ok)
{
	/* Under PROT P, the end of TLS says whether the client got it all. */
	if (res != XFER_ABORTED && xfer_close(s, r, datafd) == -1 &&
	    res == XFER_OK)
		res = XFER_NET_ERROR;
	switch (res) {
	case XFER_OK:
		reply(s, 226, "%s", ok);
		return 1;
	case XFER_ABORTED:
		break;
	case XFER_NET_ERROR:
		reply(s, 426, "Connection closed; transfer aborted.");
		break;
	case XFER_TIMEOUT:
		reply(s, 426, "Data connection timed out; transfer aborted.");
		break;
	case XFER_DISK_ERROR:
		reply_disk(s, err);
		break;
	case XFER_CTL_GONE:
		s->quit = 1;
		break;
	}
	return 0;
}

/*
 * Position a download at the REST offset: a wire offset in stream ASCII
 * (repr_rest_is_wire), else a file offset, which is also what the restart
 * markers of MODE B and C carry.  The file offset reached in *pos (-1:
 * unknown); *skip_cr set when it is the LF of a line end whose CR the
 * client has (xfer_seek_ascii).
 */
static int
retr_seek(struct session *s, const struct xfer_route *route, int fd,
    const struct stat *st, off_t rest, off_t *pos, int *skip_cr)
{
	int r;

	*pos = rest;
	if (rest == 0)
		return 0;
	if (repr_rest_is_wire(&route->repr)) {
		if ((r = xfer_seek_ascii(fd, rest)) == 1)
			*skip_cr = 1;
		/* A wire offset lands at a file offset only lseek knows. */
		*pos = lseek(fd, 0, SEEK_CUR);
	} else if (rest > st->st_size)
		r = -1;
	else
		r = lseek(fd, rest, SEEK_SET) == -1 ? -1 : 0;
	if (r == -1) {
		reply(s, 554, "Restart position %lld beyond end of file.",
		    (long long)rest);
		return -1;
	}
	return 0;
}

/*
 * RANG before RETR: the file's bytes start to end (inclusive; an end
 * past the file is its last byte), in binary stream transfers only,
 * where file and wire bytes are the same.  The end, exclusive, in *end.
 */
static int
retr_range(struct session *s, const struct xfer_route *route, int fd,
    const struct stat *st, off_t start, off_t last, off_t *end)
{
	if (s->type == 'A' || repr_needed(&route->repr)) {
		reply(s, 504, "RANG needs TYPE I, MODE S and STRU F.");
		return -1;
	}
	if (start >= st->st_size) {
		reply(s, 554, "Range start %lld beyond end of file.",
		    (long long)start);
		return -1;
	}
	if (lseek(fd, start, SEEK_SET) == -1) {
		reply(s, 451, "Cannot seek: %s.", strerror(errno));
		return -1;
	}
	*end = last < st->st_size ? last + 1 : st->st_size;
	return 0;
}

/* Send fd from its offset, pos (-1: unknown), up to end (exclusive);
 * skip_cr from retr_seek. */
static void
retr_send(struct session *s, const struct xfer_route *r, const char *vpath,
    int fd, off_t pos, off_t end, int skip_cr)
{
	char what[WHAT_MAX];
	enum xfer_result res;
	off_t bytes = 0;
	double t0;
	int datafd, err = 0, ok;

	s->xfer_total = pos == -1 ? -1 : end - pos;
	(void)snprintf(s->xfer_what, sizeof(s->xfer_what), "RETR %s", vpath);
	(void)snprintf(what, sizeof(what),
	    "Opening %s mode data connection for %s (%lld bytes).",
	    xfer_type_name(s), vpath,
	    (long long)(pos == -1 ? end : end - pos));
	t0 = xfer_clock();
	if ((datafd = data_open(s, what, r)) == -1)
		return;
	res = xfer_send_file(s, r, fd, datafd, skip_cr, &bytes, &err);
	ok = xfer_end(s, r, datafd, res, err, "Transfer complete.");
	mon_xferlog(s, vpath, bytes, xfer_clock() - t0, 'o', ok ? 'c' : 'i');
	mon_metric(s->mon_fd, MON_MET_XFER, MET_CMD_RETR,
	    xfer_met_result(res, ok), (unsigned long long)bytes);
	s->bytes_out += (unsigned long long)bytes;
	if (ok)
		s->files_out++;
}

/*
 * STRU P works where pages mean something (user/page.h): TYPE I (or
 * L 8: the fields are 8-bit logical bytes), any MODE (it carries the
 * page stream), no REST before an upload (a page
 * says where it goes), STOR or STOU (not APPE: pages are placed, not
 * appended), and no upload under a quota (pages may leave holes and
 * come in any order, which the quota's books, kept by growth, do not
 * follow).  1 with the 504 sent, else 0.  One test when STRU is not P.
 */
enum page_op { PAGE_RETR, PAGE_STORE, PAGE_APPE };

static int
page_refused(struct session *s, off_t rest, enum page_op op)
{
	const char *why = NULL;

	if (s->stru != 'P')
		return 0;
	if (s->type != 'I')
		why = "STRU P needs TYPE I or L 8";
	else if (rest != 0 && op != PAGE_RETR)
		why = "REST is not supported with STRU P uploads";
	else if (op == PAGE_APPE)
		why = "APPE is not supported with STRU P; use STOR or STOU";
	else if (op == PAGE_STORE && quota_on(s))
		why = "STRU P uploads are not available under a quota";
	if (why == NULL)
		return 0;
	reply(s, 504, "%s (supported: TYPE I in MODE S, B, C or Z; RETR "
	    "with or without REST, STOR, STOU).", why);
	return 1;
}

void
cmd_retr(struct session *s, const char *arg)
{
	struct xfer_route r;
	struct buf vpath;
	struct stat st;
	off_t rest = s->rest, end, pos = 0;
	int fd, ranged = s->rang_set, skip_cr = 0;

	s->rest = 0;
	s->rang_set = 0;
	if (!policy_allow(s, OP_READ)) {
		reply(s, 550, "Permission denied.");
		return;
	}
	if (page_refused(s, rest, PAGE_RETR))
		return;
	buf_init(&vpath, PATH_MAXLEN);
	if (policy_path(s, arg, &vpath) == -1)
		goto out;
	fd = policy_open_read(s, buf_cstr(&vpath), &st);
	if (fd == -1)
		goto out;
	if (dirs_check_fd(s, OP_READ, buf_cstr(&vpath), fd, "Cannot open", 0,
	    NULL) == -1) {
		(void)close(fd);
		goto out;
	}
	end = st.st_size;
	if (s->stru == 'P' && st.st_size > PAGE_FILE_MAX) {
		reply(s, 550, "File too large for STRU P: at most %d pages of "
		    "%d bytes (%d bytes).", PAGE_MAX_INDEX + 1, PAGE_SIZE,
		    PAGE_FILE_MAX);
		(void)close(fd);
		goto out;
	}
	if (ranged)
		pos = s->rang_start;
	/* Decided once: where REST lands and how the bytes move. */
	xfer_route_start(s, XFER_OP_RETR, &r);
	/* STRU P: REST n restarts at page n, whose bytes start at
	 * n * PAGE_SIZE (user/page.h). */
	if (s->stru == 'P' && rest != 0) {
		if (rest > PAGE_MAX_INDEX || rest * PAGE_SIZE > st.st_size) {
			reply(s, 554, "Restart page %lld beyond the file's "
			    "last page.", (long long)rest);
			(void)close(fd);
			goto out;
		}
		r.repr.page_first = (unsigned)rest;
		rest *= PAGE_SIZE;
	}
	if (ranged ? retr_range(s, &r, fd, &st, pos, s->rang_end,
	    &end) == 0 : retr_seek(s, &r, fd, &st, rest, &pos,
	    &skip_cr) == 0)
		retr_send(s, &r, buf_cstr(&vpath), fd, pos, end, skip_cr);
	(void)close(fd);
out:
	buf_free(&vpath);
}

void
cmd_rest(struct session *s, const char *arg)
{
	unsigned long long v;

	if (parse_uint(arg, 0, REST_MAX, &v) == -1) {
		reply(s, 501, "Invalid restart position.");
		return;
	}
	s->rest = (off_t)v;
	s->rang_set = 0;	/* the later of REST and RANG counts */
	reply(s, 350, "Restart position accepted (%llu).", v);
}

void
cmd_abor(struct session *s, const char *arg)
{
	(void)arg;
	data_reset(s);
	reply(s, 226, "No transfer to abort.");
}

/* ---- uploads ----------------------------------------------------------- */

static void
upload_init(struct upload *u)
{
	memset(u, 0, sizeof(*u));
	buf_init(&u->vpath, PATH_MAXLEN);
	u->fd = -1;
	u->dirfd = -1;
	u->trunc_at = -1;
	u->counted = -1;
}

/*
 * With a quota: what the name in dirfd holds, which this upload is about
 * to replace or remove (a rename over it, an unlink).  Once that has
 * succeeded, quota_up_freed gives its bytes back; st_mode 0 (nothing
 * there, or no quota) gives nothing.
 */
static void
upload_before_replace(struct upload *u, const char *name, struct stat *st)
{
	if (!u->q.on || fstatat(u->dirfd, name, st, AT_SYMLINK_NOFOLLOW) == -1)
		st->st_mode = 0;
}

/* ".ftpd-partial.<base>" into out; 0, or -1 if that is no valid name. */
static int
partial_name(const char *base, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%s%s", POLICY_UPLOAD_PARTIAL, base);
	return n < 0 || (size_t)n >= outlen || n > NAME_MAX ? -1 : 0;
}

/*
 * An atomic upload failed.  A cut one (u->cut) with data, and the user's
 * file moved aside for a resume (u->aside) whatever happened, go into
 * place if nothing has the name (the upload has ended: a reader sees the
 * shorter file only now), else become the partial of the name, replacing
 * an older partial: a complete file is never replaced by a prefix.
 * Anything else goes; the user's file never does.  1 if the file is
 * still there (under some name), 0 if it is gone.
 */
static int
upload_drop_tmp(struct upload *u)
{
	char part[NAME_MAX + 1];
	struct stat st;

	if (u->aside || (u->cut && fstatat(u->dirfd, u->tmp, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && st.st_size > 0)) {
		if (renameat2(u->dirfd, u->tmp, u->dirfd, u->base,
		    RENAME_NOREPLACE) == 0)
			return 1;
		if (partial_name(u->base, part, sizeof(part)) == 0) {
			upload_before_replace(u, part, &st);
			if (renameat(u->dirfd, u->tmp, u->dirfd, part) == 0) {
				quota_up_freed(&u->q, &st);
				return 1;
			}
		}
		if (u->aside) {
			log_msg(LOG_WARNING, "cannot put %s back as %s: %s",
			    u->tmp, u->base, strerror(errno));
			return 1;
		}
	}
	if (unlinkat(u->dirfd, u->tmp, 0) == -1 && errno != ENOENT) {
		log_msg(LOG_WARNING, "cannot remove %s: %s", u->tmp,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * Close everything; after a failure remove what u->remove says.  With a
 * quota the monitor learns what the upload left on disk before anything
 * is replied (user/quota.c).
 */
static void
upload_done(struct session *s, struct upload *u, int ok, int disk_error)
{
	/* Removed by the SIGTERM handler: its name may be taken again (a
	 * file moved aside it puts back instead). */
	int gone = shutdown_temp_clear();
	int kept = u->opened && (!gone || u->aside);

	if (u->fd != -1)
		(void)close(u->fd);
	/* A resumed partial stays for the next resume, whatever happened. */
	if (!ok && u->opened && u->dirfd != -1 && !gone && !u->resumed) {
		if (u->tmp[0] != '\0')
			kept = upload_drop_tmp(u);
		else if ((u->remove == REMOVE_ALWAYS ||
		    (u->remove == REMOVE_ON_DISK && disk_error)) &&
		    unlinkat(u->dirfd, u->base, 0) == 0)
			kept = 0;
	}
	quota_up_end(s, &u->q, kept);
	if (u->dirfd != -1)
		(void)close(u->dirfd);
	buf_free(&u->vpath);
}

static mode_t
upload_mode(struct session *s)
{
	/* Unreadable anonymous uploads: policy_may_read wants S_IROTH. */
	if (s->anonymous && !cfg->anon_upload_readable)
		return 0600 & ~s->umask;
	return 0666 & ~s->umask;
}

/*
 * Open u->vpath for writing with flags; with remove != REMOVE_NEVER the
 * parent is kept open to undo it.  0, -1 (errno) or -2 (not a regular
 * file).  Does not reply.
 */
static int
upload_open(struct session *s, struct upload *u, int flags,
    enum store_remove remove)
{
	const char *vpath = buf_cstr(&u->vpath);
	struct stat st;

	if (remove != REMOVE_NEVER && u->dirfd == -1 &&
	    (u->dirfd = fs_open_parent(s, vpath, &u->base)) == -1)
		return -1;
	if ((u->fd = fs_open(s, vpath, flags | O_NONBLOCK,
	    upload_mode(s))) == -1)
		return -1;
	/* O_NONBLOCK stays, as in policy_open_read: no meaning for a file. */
	if (fstat(u->fd, &st) == -1 || !S_ISREG(st.st_mode))
		return -2;
	u->opened = 1;
	u->remove = remove;
	/* A file made just for this upload goes if the server stops. */
	if (remove == REMOVE_ALWAYS)
		shutdown_temp_set(u->dirfd, u->base);
	return 0;
}

static int
upload_open_reply(struct session *s, struct upload *u, int flags,
    enum store_remove remove)
{
	int r = upload_open(s, u, flags, remove);

	if (r == -1)
		reply_errno(s, errno, (flags & O_CREAT) ? "Cannot create" :
		    "Cannot open", buf_cstr(&u->vpath));
	else if (r == -2)
		reply(s, 550, "Not a plain file.");
	return r == 0 ? 0 : -1;
}

/* STOU: a fresh "ftpd.<random>" in the current directory. */
static int
upload_open_unique(struct session *s, struct upload *u)
{
	char name[32], sfx[12];
	int i, r = -1;

	for (i = 0; i < NAME_TRIES; i++) {
		if (random_name(sfx, 10) == -1)
			break;
		(void)snprintf(name, sizeof(name), "ftpd.%s", sfx);
		if (policy_path(s, name, &u->vpath) == -1)
			return -1;
		r = upload_open(s, u, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW, REMOVE_ALWAYS);
		u->created = r == 0;
		if (r != -1 || errno != EEXIST)
			break;
		if (u->dirfd != -1)
			(void)close(u->dirfd);
		u->dirfd = -1;
	}
	if (r != 0) {
		reply_errno(s, r == -2 ? EEXIST : errno, "Cannot create",
		    buf_cstr(&u->vpath));
		return -1;
	}
	return 0;
}

/* atomic_uploads: POLICY_UPLOAD_TMP + random beside the final name (a
 * name the listings hide).  0, or -1 (errno) without replying. */
static int
upload_open_tmp(struct session *s, struct upload *u)
{
	const char *vpath = buf_cstr(&u->vpath);
	char sfx[POLICY_UPLOAD_TMP_RANDOM + 1];
	struct stat st;
	int i;

	if ((u->dirfd = fs_open_parent(s, vpath, &u->base)) == -1)
		return -1;
	for (i = 0; i < NAME_TRIES && u->fd == -1; i++) {
		if (random_name(sfx, POLICY_UPLOAD_TMP_RANDOM) == -1)
			break;
		(void)snprintf(u->tmp, sizeof(u->tmp), "%s%s",
		    POLICY_UPLOAD_TMP, sfx);
		u->fd = openat(u->dirfd, u->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, upload_mode(s));
		if (u->fd == -1 && errno != EEXIST)
			break;
	}
	if (u->fd == -1) {
		u->tmp[0] = '\0';
		return -1;
	}
	u->opened = 1;
	u->created = 1;
	u->remove = REMOVE_ALWAYS;
	shutdown_temp_set(u->dirfd, u->tmp);
	/* Replacing a file keeps its permission bits, as O_TRUNC would. */
	if (fstatat(u->dirfd, u->base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && fchmod(u->fd, st.st_mode & 0777) == -1)
		log_msg(LOG_INFO, "fchmod: %s", strerror(errno));
	return 0;
}

/* REST before STOR: continue at the offset, never truncate, and never
 * create: a missing file has no byte at a non-zero offset, and a failed
 * command leaves nothing behind. */
static int
upload_open_rest(struct session *s, struct upload *u, off_t rest)
{
	struct stat st;
	int r, wire = repr_rest_is_wire(&u->route.repr);

	if (upload_open_reply(s, u, wire ? O_RDWR : O_WRONLY,
	    REMOVE_NEVER) == -1)
		return -1;
	if (wire)
		r = xfer_seek_ascii(u->fd, rest);
	else if (fstat(u->fd, &st) == -1 || rest > st.st_size)
		r = -1;
	else
		r = lseek(u->fd, rest, SEEK_SET) == -1 ? -1 : 0;
	if (r == -1)
		reply(s, 554, "Restart position %lld beyond end of file.",
		    (long long)rest);
	return r == -1 ? -1 : 0;	/* 1: at the LF of a CRLF, fine */
}

/*
 * The kept partial of a cut upload to vpath that REST n + STOR continues:
 * 1 with its virtual path in pvpath and its stat in pst, else 0.
 * target: vpath's stat (links followed), or NULL if it does not exist.
 */
static int
upload_partial(struct session *s, const char *vpath,
    const struct stat *target, struct buf *pvpath, struct stat *pst)
{
	const char *slash = strrchr(vpath, '/');
	char part[NAME_MAX + 1];
	size_t dir;

	/* Anonymous sessions never keep one: resuming would overwrite. */
	if (s->anonymous || !cfg->atomic_uploads || slash == NULL ||
	    partial_name(slash + 1, part, sizeof(part)) == -1)
		return 0;
	dir = (size_t)(slash + 1 - vpath);
	buf_reset(pvpath);
	if (buf_append(pvpath, vpath, dir) == -1 ||
	    buf_puts(pvpath, part) == -1 ||
	    fs_stat(s, buf_cstr(pvpath), pst, 0) == -1)
		return 0;
	if (!S_ISREG(pst->st_mode) || pst->st_uid != geteuid())
		return 0;
	/* A file written since the cut is newer than the partial: the
	 * partial is stale, and a complete file is never replaced by it. */
	if (target == NULL)
		return 1;
	return S_ISREG(target->st_mode) &&
	    (pst->st_mtim.tv_sec > target->st_mtim.tv_sec ||
	    (pst->st_mtim.tv_sec == target->st_mtim.tv_sec &&
	    pst->st_mtim.tv_nsec >= target->st_mtim.tv_nsec));
}

/*
 * Where a resume of fd (st) continues: at REST n (a wire offset in stream
 * ASCII, fd then open for reading too).  Leaves fd there; the offset, or
 * -1 after a 554 reply.
 */
static off_t
upload_resume_pos(struct session *s, int fd, const struct stat *st,
    int wire, off_t rest)
{
	off_t pos;
	int r = 0;

	if (wire) {
		r = xfer_seek_ascii(fd, rest);
		pos = lseek(fd, 0, SEEK_CUR);
	} else
		pos = rest > st->st_size ? -1 : lseek(fd, rest, SEEK_SET);
	if (r == -1 || pos == -1) {
		reply(s, 554, "Restart position %lld beyond end of file.",
		    (long long)rest);
		return -1;
	}
	return pos;
}

/*
 * REST n + STOR with a kept partial: continue the partial at n, dropping
 * what lies beyond (the client sends it again), renamed over the final
 * name only once complete.  0, or -1 after a reply.
 */
static int
upload_open_partial(struct session *s, struct upload *u, off_t rest)
{
	struct stat st;
	off_t pos;
	int wire = repr_rest_is_wire(&u->route.repr);

	if ((u->dirfd = fs_open_parent(s, buf_cstr(&u->vpath),
	    &u->base)) == -1 ||
	    partial_name(u->base, u->tmp, sizeof(u->tmp)) == -1 ||
	    (u->fd = openat(u->dirfd, u->tmp, (wire ? O_RDWR : O_WRONLY) |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(u->fd, &st) == -1) {
		u->tmp[0] = '\0';
		reply_errno(s, errno, "Cannot open", buf_cstr(&u->vpath));
		return -1;
	}
	u->opened = 1;
	u->resumed = 1;
	if (!S_ISREG(st.st_mode)) {
		reply(s, 550, "Not a plain file.");
		return -1;
	}
	if ((pos = upload_resume_pos(s, u->fd, &st, wire, rest)) == -1)
		return -1;
	u->trunc_at = pos;	/* once the data connection is open */
	return 0;
}

/*
 * REST n + STOR of an existing file without a live partial,
 * atomic_uploads: move the file aside to its partial name (a reader of
 * the name gets 550, never a growing file; a stale partial of the name
 * is replaced, and after a SIGKILL the next resume finds it there), cut
 * it at the restart point once the data connection is open (what the
 * client asked: it sends the rest again), write the new bytes at its end
 * and rename it back once the upload has ended (upload_commit;
 * upload_drop_tmp when not complete: back in place, never removed).  0;
 * -1 after a reply; -2 (nothing done, no reply): the directory does not
 * let us rename, or the name is too long for the prefix, so resume in
 * place as before.
 */
static int
upload_open_aside(struct session *s, struct upload *u, off_t rest)
{
	struct stat st, tst, pst;
	off_t pos;
	int wire = repr_rest_is_wire(&u->route.repr), err;

	if ((u->dirfd = fs_open_parent(s, buf_cstr(&u->vpath),
	    &u->base)) == -1 ||
	    (u->fd = openat(u->dirfd, u->base, (wire ? O_RDWR : O_WRONLY) |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(u->fd, &st) == -1) {
		reply_errno(s, errno, "Cannot open", buf_cstr(&u->vpath));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		reply(s, 550, "Not a plain file.");
		return -1;
	}
	/* Checked before anything moves: a 554 leaves the file alone. */
	if ((pos = upload_resume_pos(s, u->fd, &st, wire, rest)) == -1)
		return -1;
	if (partial_name(u->base, u->tmp, sizeof(u->tmp)) == -1) {
		u->tmp[0] = '\0';
		return -2;
	}
	/*
	 * SIGTERM puts it back (shutdown.c), never removes it.  Registered
	 * before the rename, so that no moment leaves it hidden for good: a
	 * signal before the rename finds the name taken and does nothing,
	 * and shutdown_requested, checked after it, catches that case.
	 */
	shutdown_temp_restore(u->dirfd, u->tmp, u->base, NULL);
	upload_before_replace(u, u->tmp, &pst);	/* a stale partial */
	if (renameat(u->dirfd, u->base, u->dirfd, u->tmp) == -1) {
		err = errno;
		(void)shutdown_temp_clear();
		u->tmp[0] = '\0';
		/* Not ours to rename. */
		if (err == EACCES || err == EPERM)
			return -2;
		reply_errno(s, err, "Cannot open", buf_cstr(&u->vpath));
		return -1;
	}
	quota_up_freed(&u->q, &pst);
	u->opened = 1;
	u->aside = 1;
	u->remove = REMOVE_NEVER;
	/* A stop that came before the rename did not see the file moved:
	 * upload_done puts it back. */
	if (shutdown_requested) {
		reply(s, 450, "Server shutting down; try again later.");
		return -1;
	}
	/* The name may have changed hands between open and rename. */
	if (fstatat(u->dirfd, u->tmp, &tst, AT_SYMLINK_NOFOLLOW) == -1 ||
	    tst.st_ino != st.st_ino || tst.st_dev != st.st_dev) {
		reply(s, 450, "File changed meanwhile; try again.");
		return -1;
	}
	u->trunc_at = pos;	/* once the data connection is open */
	return 0;
}

/*
 * [dir] sections on the target before anything is opened: op (and with
 * create, OP_CREATE too) on the name in its parent, and with link on
 * what the link there leads to.  *overwrite (may be NULL) gets whether
 * the sections let that name be replaced.  0, or -1 after a reply.
 */
static int
store_judge_pre(struct session *s, const char *vpath, enum policy_op op,
    int create, int *overwrite)
{
	struct stat st;
	const char *base;
	int pfd, fd, rc;

	if (overwrite != NULL)
		*overwrite = 1;
	if (s->dirs == NULL)
		return 0;
	if ((pfd = fs_open_parent(s, vpath, &base)) == -1) {
		reply_errno(s, errno, "Cannot create", vpath);
		return -1;
	}
	rc = dirs_check_at(s, op, vpath, pfd, base, "Cannot open", 0);
	if (rc == 0 && create)
		rc = dirs_check_at(s, OP_CREATE, vpath, pfd, base,
		    "Cannot open", 0);
	if (rc == 0 && overwrite != NULL)
		*overwrite = (dirs_perms_at(s, vpath, pfd, base) &
		    PERM_OVERWRITE) != 0;
	/* Through a link the bytes land where it leads: judge that too. */
	if (rc == 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode) && (fd = fs_open(s, vpath, O_PATH, 0)) != -1) {
		rc = dirs_check_fd(s, op, vpath, fd, "Cannot open", 0, NULL);
		(void)close(fd);
	}
	(void)close(pfd);
	return rc;
}

/*
 * The same once the file is open, on what the upload then goes through:
 * the parent fd of a temporary, partial or moved-aside file (renamed
 * into place through it), or the file written in place (fs_realpath
 * reaches the same inode).  A tree changed between the two checks
 * cannot lead the bytes elsewhere.  0, or -1 after a reply.
 */
static int
store_judge_post(struct session *s, struct upload *u, enum policy_op op)
{
	if (s->dirs == NULL)
		return 0;
	if (u->tmp[0] != '\0')
		return dirs_check_at(s, op, buf_cstr(&u->vpath), u->dirfd,
		    u->base, "Cannot open", 0);
	return dirs_check_fd(s, op, buf_cstr(&u->vpath), u->fd, "Cannot open",
	    0, NULL);
}

/* Anonymous: create new files only, never continue or replace one. */
static int
store_prepare_anon(struct session *s, const char *arg, enum store_kind kind,
    off_t rest, struct upload *u)
{
	if (!policy_allow(s, OP_CREATE) || rest != 0) {
		reply(s, 550, "Permission denied.");
		return -1;
	}
	if (kind == STORE_STOU)
		return upload_open_unique(s, u);
	if (policy_path(s, arg, &u->vpath) == -1 ||
	    store_judge_pre(s, buf_cstr(&u->vpath), OP_CREATE, 0, NULL) == -1)
		return -1;
	return upload_open_reply(s, u, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW, REMOVE_ALWAYS);
}

/*
 * atomic_uploads replaces a file by renaming a new one over it, which
 * asks for write access to the directory only.  A classic STOR writes
 * the file in place: it needs write access to the file itself, keeps the
 * file's owner and writes through a symbolic link.  Keep those promises:
 * replace atomically only a plain file the account owns and may write;
 * anything else is written in place, where open(2) checks the file's own
 * permissions (a 0444 file or another user's file is refused with 550).
 */
static int
replace_atomically(const struct stat *st, int is_link)
{
	return !is_link && st->st_uid == geteuid() &&
	    (st->st_mode & S_IWUSR) != 0;
}

/*
 * Decide how to open the target and open it; *op gets the verb it
 * needed: write (OP_CREATE) for a new file, overwrite to replace one,
 * append for APPE and REST + STOR.  0, or -1 after a reply.
 */
static int
store_open(struct session *s, const char *arg, enum store_kind kind,
    off_t rest, struct upload *u, enum policy_op *op)
{
	struct stat st, pst;
	int exists, is_link, r, overwrite, flags;
	struct buf pvpath;

	*op = OP_CREATE;
	if (s->anonymous)
		return store_prepare_anon(s, arg, kind, rest, u);
	if (kind == STORE_STOU) {
		if (!policy_allow(s, OP_CREATE)) {
			reply(s, 550, "Permission denied.");
			return -1;
		}
		return upload_open_unique(s, u);
	}
	if (policy_path(s, arg, &u->vpath) == -1)
		return -1;
	/* One lstat; a second stat only for a link, to judge its target. */
	exists = fs_stat(s, buf_cstr(&u->vpath), &st, 0) == 0;
	is_link = exists && S_ISLNK(st.st_mode);
	if (is_link)
		exists = fs_stat(s, buf_cstr(&u->vpath), &st, 1) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		reply(s, 550, "Not a plain file.");
		return -1;
	}
	u->exists = exists;
	*op = kind == STORE_APPE || rest != 0 ? OP_APPEND : exists ?
	    OP_OVERWRITE : OP_CREATE;
	/* APPE of a missing file makes one: that is a write too. */
	if (!policy_allow(s, *op) || (kind == STORE_APPE && !exists &&
	    !policy_allow(s, OP_CREATE))) {
		reply(s, 550, "Permission denied.");
		return -1;
	}
	if (store_judge_pre(s, buf_cstr(&u->vpath), *op, kind == STORE_APPE &&
	    !exists, &overwrite) == -1)
		return -1;
	/* A new file, for an account that may not overwrite, must not
	 * replace a file that takes its name meanwhile (at the rename into
	 * place, or at the open in place). */
	u->noreplace = !exists && (!overwrite ||
	    !policy_allow(s, OP_OVERWRITE));
	/* A resume goes to the kept partial of a cut upload, if any, when
	 * the partial may replace the target as the upload would have.
	 * Not APPE: it appends in place (O_APPEND), so that concurrent
	 * appends to one file all land and a complete file never gives
	 * way to a partial. */
	if (kind == STORE_STOR && rest != 0 &&
	    (!exists || replace_atomically(&st, is_link))) {
		buf_init(&pvpath, PATH_MAXLEN);
		r = upload_partial(s, buf_cstr(&u->vpath), exists ? &st :
		    NULL, &pvpath, &pst);
		buf_free(&pvpath);
		if (r == 1) {
			u->replaces = exists ? st.st_size : 0;
			return upload_open_partial(s, u, rest);
		}
		if (exists && cfg->atomic_uploads &&
		    (r = upload_open_aside(s, u, rest)) != -2)
			return r;
		if (u->fd != -1)
			(void)close(u->fd);
		if (u->dirfd != -1)
			(void)close(u->dirfd);
		u->fd = -1;
		u->dirfd = -1;
	}
	/* Made by this upload or not, as far as the quota is concerned. */
	u->created = !exists;
	if (kind == STORE_APPE)
		return upload_open_reply(s, u, O_WRONLY | O_APPEND |
		    (exists ? 0 : O_CREAT), REMOVE_NEVER);
	if (rest != 0)
		return upload_open_rest(s, u, rest);
	if (cfg->atomic_uploads && (!exists ||
	    replace_atomically(&st, is_link))) {
		if (upload_open_tmp(s, u) == 0) {
			u->replaces = exists ? st.st_size : 0;
			return 0;
		}
		/* A writable file in a read-only directory: write in place. */
		if (!exists || (errno != EACCES && errno != EPERM)) {
			reply_errno(s, errno, "Cannot create",
			    buf_cstr(&u->vpath));
			return -1;
		}
		if (u->dirfd != -1)
			(void)close(u->dirfd);
		u->dirfd = -1;
		u->created = 0;
	}
	flags = O_WRONLY | O_CREAT | O_TRUNC;
	if (u->noreplace && !is_link)
		flags |= O_EXCL;
	else if (s->dirs != NULL && exists) {
		/* Judged again once open (store_judge_post): cut the file
		 * only after that, when the data connection is open. */
		flags &= ~O_TRUNC;
		u->trunc_at = 0;
	}
	/* O_TRUNC gives back what the file held: counted from its size
	 * (a file cut later, at trunc_at, is counted when it is cut). */
	if (exists && (flags & O_TRUNC) != 0)
		u->counted = st.st_size;
	return upload_open_reply(s, u, flags, REMOVE_ON_DISK);
}

/* Open the target, judged by the [dir] sections before and after. */
static int
store_prepare(struct session *s, const char *arg, enum store_kind kind,
    off_t rest, struct upload *u)
{
	enum policy_op op;

	if (store_open(s, arg, kind, rest, u, &op) == -1)
		return -1;
	return store_judge_post(s, u, op);
}

/* The data is all here: close the file and move it into place. */
static enum xfer_result
upload_commit(struct upload *u, int *err)
{
	char part[NAME_MAX + 1];
	struct stat st;
	int fd = u->fd;

	u->fd = -1;
	if (close(fd) == -1) {
		*err = errno;
		return XFER_DISK_ERROR;
	}
	/* Complete now: a stop from here on keeps the upload (unless the
	 * handler came first and removed it: then the rename fails). */
	(void)shutdown_temp_clear();
	if (u->tmp[0] != '\0') {
		upload_before_replace(u, u->base, &st);
		if ((u->noreplace ? renameat2(u->dirfd, u->tmp, u->dirfd,
		    u->base, RENAME_NOREPLACE) : renameat(u->dirfd, u->tmp,
		    u->dirfd, u->base)) == -1) {
			*err = errno;
			return XFER_DISK_ERROR;
		}
		quota_up_freed(&u->q, &st);
		/* A whole new file: a cut earlier upload is no longer worth
		 * resuming (a resume's own partial name is gone already). */
		if (!u->resumed && !u->aside && partial_name(u->base, part,
		    sizeof(part)) == 0) {
			upload_before_replace(u, part, &st);
			if (unlinkat(u->dirfd, part, 0) == 0)
				quota_up_freed(&u->q, &st);
		}
		u->tmp[0] = '\0';
	}
	return XFER_OK;
}

static void
store_run(struct session *s, struct upload *u, enum store_kind kind)
{
	const char *vpath = buf_cstr(&u->vpath);
	char what[WHAT_MAX], ok_text[WHAT_MAX];
	const struct xfer_route *r = &u->route;
	enum xfer_result res;
	off_t bytes = 0;
	double t0;
	int datafd, err = 0, ok;

	s->xfer_total = -1;
	(void)snprintf(s->xfer_what, sizeof(s->xfer_what), "STOR %s", vpath);
	if (kind == STORE_STOU) {
		(void)snprintf(what, sizeof(what), "FILE: %s", u->base);
		(void)snprintf(ok_text, sizeof(ok_text),
		    "Transfer complete (unique file name: %s).", u->base);
	} else {
		(void)snprintf(what, sizeof(what),
		    "Opening %s mode data connection for %s.",
		    xfer_type_name(s), vpath);
		(void)snprintf(ok_text, sizeof(ok_text), "Transfer complete.");
	}
	/* A new name and the first room, before the client sends a byte:
	 * an account at its quota hears 552 at once.  A file this upload
	 * made goes; one it found stays (an O_TRUNC'd one cannot refuse
	 * for room, only for a tally out of reach). */
	if ((err = quota_up_begin(s, &u->q, u->fd, u->counted, u->created,
	    u->created && !u->exists, kind == STORE_APPE, u->replaces)) !=
	    0) {
		upload_done(s, u, 0, u->created);
		reply_disk(s, err);
		return;
	}
	t0 = xfer_clock();
	if ((datafd = data_open(s, what, r)) == -1) {
		upload_done(s, u, 0, 0);
		return;
	}
	/* A resume cuts its file only now: a data connection that never
	 * came (425) leaves it whole. */
	if (u->trunc_at != -1 && ftruncate(u->fd, u->trunc_at) == -1) {
		err = errno;
		res = XFER_DISK_ERROR;
	} else {
		if (u->trunc_at != -1)
			quota_up_truncated(&u->q, u->trunc_at);
		res = xfer_recv_file(s, r, datafd, u->fd, &u->q, &bytes,
		    &err);
	}
	/*
	 * Under PROT P the end of the plaintext stream does not say how TLS
	 * ended: ask the front before the upload replaces anything, so a
	 * reset data connection leaves the old file in place.
	 */
	if (res == XFER_OK && r->tls) {
		if (xfer_close(s, r, datafd) == -1)
			res = XFER_NET_ERROR;
		datafd = -1;
	}
	if (res == XFER_OK)
		res = upload_commit(u, &err);
	/* Clean up before replying, so a client that looks right after the
	 * reply never sees a temporary file (upload_done frees vpath). */
	mon_xferlog(s, vpath, bytes, xfer_clock() - t0, 'i',
	    res == XFER_OK ? 'c' : 'i');
	/* Lost, not refused or cancelled (ABOR): worth resuming. */
	u->cut = res == XFER_NET_ERROR || res == XFER_TIMEOUT ||
	    res == XFER_CTL_GONE;
	upload_done(s, u, res == XFER_OK, res == XFER_DISK_ERROR);
	ok = xfer_end(s, r, datafd, res, err, ok_text);
	mon_metric(s->mon_fd, MON_MET_XFER, kind == STORE_APPE ? MET_CMD_APPE :
	    kind == STORE_STOU ? MET_CMD_STOU : MET_CMD_STOR,
	    xfer_met_result(res, ok), (unsigned long long)bytes);
	s->bytes_in += (unsigned long long)bytes;
	if (ok)
		s->files_in++;
}

static void
store(struct session *s, const char *arg, enum store_kind kind)
{
	struct upload u;
	off_t rest = s->rest;
	int ranged = s->rang_set;

	s->rest = 0;
	s->rang_set = 0;
	if (ranged) {
		reply(s, 504, "RANG applies to RETR and HASH only.");
		return;
	}
	if (page_refused(s, rest, kind == STORE_APPE ? PAGE_APPE :
	    PAGE_STORE))
		return;
	/* "name/" is a directory's name: no file is made under it (POSIX
	 * open(2) says EISDIR).  policy_path covers an existing file. */
	if (arg != NULL && arg[0] != '\0' && arg[strlen(arg) - 1] == '/') {
		reply_errno(s, EISDIR, "Cannot create", arg);
		return;
	}
	upload_init(&u);
	quota_up_init(s, &u.q);
	xfer_route_start(s, XFER_OP_STOR, &u.route);
	if (store_prepare(s, arg, kind, rest, &u) == -1) {
		upload_done(s, &u, 0, 0);
		return;
	}
	store_run(s, &u, kind);
}

void
cmd_stor(struct session *s, const char *arg)
{
	store(s, arg, STORE_STOR);
}

void
cmd_appe(struct session *s, const char *arg)
{
	store(s, arg, STORE_APPE);
}

void
cmd_stou(struct session *s, const char *arg)
{
	(void)arg;
	store(s, NULL, STORE_STOU);
}
