/*
 * list.c - streaming directory listings for LIST, NLST, MLSD, STAT path,
 * and the MLST facts line.
 *
 * Runs in the user process, as the account, usually chrooted.  The path
 * comes from the client and is resolved only through policy.c (fs_open,
 * fs_open_parent, fs_stat), which confines it beneath the session root;
 * entries are then looked at relative to the opened directory fd with
 * fstatat/readlinkat, which cannot leave it.  Symlink targets are followed
 * (MLSD) only through fs_stat, again beneath the root.  The names in the
 * directory are hostile bytes: they go as-is on the data connection and
 * sanitised on the control connection.  Memory is bounded whatever the
 * size of the directory: the names, to be sorted, up to LIST_SORT_MAX
 * bytes (past it they go out in sorted runs), two batches of stats (one
 * being taken while the other is formatted) and one output buffer of
 * about LIST_FLUSH_AT bytes, flushed whenever it fills.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/path.h"
#include "common/xmalloc.h"
#include "cmd/ctl.h"
#include "config.h"
#include "plan/plan.h"
#include "user/dirs.h"
#include "user/list.h"
#include "user/list_stat.h"
#include "user/policy.h"
#include "session.h"
#include "user/xfer.h"

/* Room beyond LIST_FLUSH_AT for the longest single line (path + target). */
#define LIST_BUF_MAX	(LIST_FLUSH_AT + 3 * PATH_MAXLEN)
/* getdents64 buffer. */
#define LIST_DENTS_BUF	(32 * 1024)
/* Entries stat'ed together (shared with the helper thread) while the
 * previous batch is formatted and sent. */
#define LIST_BATCH	1024
/*
 * Names are held to be sorted: copied into blocks that never move, with
 * an array of pointers to them.  Past LIST_SORT_MAX bytes (names, NULs
 * and pointers: some 1.5 million typical names) the names read so far
 * are sorted and sent as one run, and the rest of the directory follows
 * in further sorted runs, so memory stays bounded whatever its size.
 */
#define LIST_NAME_BLOCK	(256 * 1024)
#define LIST_SORT_MAX	(64UL * 1024 * 1024)
/* A sanity bound on entries read from one directory. */
#define LIST_MAX_ENTRIES	100000000UL
/* Glob patterns (last component only): kept short and simple so that
 * fnmatch cannot be made to backtrack for long. */
#define LIST_GLOB_MAX	255
#define LIST_GLOB_STARS	4

struct list_names;

/* The state of one listing being sent. */
struct list_out {
	struct session	*s;
	struct list_job	*j;
	int		 fd;		/* data connection, or -1: control */
	const struct xfer_route *r;	/* fd's route (route.h) */
	struct repr_enc	*enc;		/* its encoder, or NULL */
	struct buf	 b;		/* lines not yet sent */
	struct buf	 tmp;		/* link targets, paths */
	struct buf	 link;		/* MLSD: a link's target */
	struct buf	 name;		/* glob prefix + entry name */
	size_t		 lines;
	unsigned	 facts;
	struct list_clock clock;
	enum xfer_result res;
	unsigned long	 count;		/* directory entries looked at */
	struct list_stat *ls;		/* NULL for NLST (no stat) */
	/* LIST -R: the subdirectories of the directory being listed,
	 * and the entries listed so far (list_max_entries). */
	int		 recurse;
	struct list_names *subs;
	unsigned long long entries;
};

/* The wanted names of a directory (or of one run of it), to be sorted. */
struct list_names {
	char		**blocks;	/* LIST_NAME_BLOCK bytes each */
	size_t		 nblocks;
	char		*at;		/* free space in the last block */
	size_t		 left;
	const char	**v;		/* the names, in blocks */
	size_t		 n;
	size_t		 cap;
	size_t		 bytes;		/* held, for LIST_SORT_MAX */
};

/* Entries stat'ed and formatted together. */
struct list_batch {
	struct list_ent	*ents;		/* LIST_BATCH, names in list_names */
	size_t		 n;
};

static int
may_read_cb(void *arg, const struct stat *st)
{
	return policy_may_read(arg, st);
}

/* The session's view for the perm fact. */
static void
who_init(struct session *s, struct list_job *j)
{
	int n, op;

	j->who.uid = geteuid();
	j->who.gid = getegid();
	n = getgroups(0, NULL);
	if (n > 0) {
		j->groups = xcalloc((size_t)n, sizeof(gid_t));
		n = getgroups(n, j->groups);
		j->who.groups = j->groups;
		j->who.ngroups = n > 0 ? (size_t)n : 0;
	}
	for (op = OP_READ; op <= OP_MFMT; op++)
		if (policy_allow(s, (enum policy_op)op))
			j->who.allow |= 1u << op;
	j->who.may_read = may_read_cb;
	j->who.may_read_arg = s;
}

static void
job_init(struct list_job *j, enum list_fmt fmt)
{
	memset(j, 0, sizeof(*j));
	j->fmt = fmt;
	j->dirfd = -1;
	buf_init(&j->vpath, PATH_MAXLEN + 1);
	buf_init(&j->shown, PATH_MAXLEN + 1);
	buf_init(&j->target, PATH_MAXLEN + 1);
	buf_init(&j->pattern, LIST_GLOB_MAX + 1);
	buf_init(&j->real, PATH_MAXLEN + 1);
}

void
list_job_free(struct list_job *j)
{
	if (j->dirfd != -1)
		(void)close(j->dirfd);
	j->dirfd = -1;
	buf_free(&j->vpath);
	buf_free(&j->shown);
	buf_free(&j->target);
	buf_free(&j->pattern);
	buf_free(&j->real);
	free(j->groups);
	j->groups = NULL;
}

/* readlinkat into out as a C string.  0 or -1. */
static int
read_link(int dfd, const char *name, struct buf *out)
{
	unsigned char *p;
	ssize_t n;

	buf_reset(out);
	if ((p = buf_reserve(out, PATH_MAXLEN + 1)) == NULL)
		return -1;
	n = readlinkat(dfd, name, (char *)p, PATH_MAXLEN + 1);
	if (n <= 0 || n > PATH_MAXLEN)
		return -1;
	buf_commit(out, (size_t)n);
	return 0;
}

/* The one entry's name as the client typed it.  0, or -1 with errno. */
static int
set_shown(struct list_job *j, const char *shown)
{
	if (buf_set(&j->shown, shown) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* LIST/NLST of something that is not a directory (or with -d): that one
 * entry, unless a [dir] section hides it.  0, -1 with errno, or -2
 * after a reply. */
static int
prepare_one(struct session *s, struct list_job *j, const char *shown)
{
	const char *base;
	int pfd, rc;

	if ((pfd = fs_open_parent(s, buf_cstr(&j->vpath), &base)) == -1)
		return -1;
	rc = fstatat(pfd, base, &j->one, AT_SYMLINK_NOFOLLOW);
	if (rc == 0 && dirs_check_at(s, OP_LIST, buf_cstr(&j->vpath), pfd,
	    base, "Cannot list", 1) == -1) {
		(void)close(pfd);
		return -2;
	}
	if (rc == 0 && S_ISLNK(j->one.st_mode) &&
	    read_link(pfd, base, &j->target) == -1)
		buf_reset(&j->target);
	(void)close(pfd);
	return rc == -1 ? -1 : set_shown(j, shown);
}

/* LIST -d: the named entry itself; the session root has no parent to
 * look it up in.  0, -1 with errno, or -2 after a reply. */
static int
prepare_self(struct session *s, struct list_job *j, const char *shown)
{
	if (strcmp(buf_cstr(&j->vpath), "/") != 0)
		return prepare_one(s, j, shown);
	if (fs_stat(s, "/", &j->one, 0) == -1)
		return -1;
	return set_shown(j, shown);
}

/* "dir/x*.txt": list dir, keeping the names that match the last part.
 * 0, -1 (not a glob, or errno), or -2 after a reply. */
static int
prepare_glob(struct session *s, struct list_job *j, const char *path)
{
	const char *base = path_basename(buf_cstr(&j->vpath)), *slash, *p;
	struct buf parent;
	int stars = 0, fd;

	if (strpbrk(base, "*?[") == NULL || strlen(base) > LIST_GLOB_MAX)
		return -1;
	for (p = base; *p != '\0'; p++)
		stars += *p == '*';
	if (stars > LIST_GLOB_STARS || buf_set(&j->pattern, base) == -1)
		return -1;
	buf_init(&parent, PATH_MAXLEN + 1);
	fd = -1;
	if (path_dirname(buf_cstr(&j->vpath), &parent) == 0)
		fd = fs_open(s, buf_cstr(&parent), O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC, 0);
	if (fd == -1 || fstat(fd, &j->dirst) == -1 ||
	    buf_set(&j->vpath, buf_cstr(&parent)) == -1) {
		if (fd != -1)
			(void)close(fd);
		buf_free(&parent);
		buf_reset(&j->pattern);
		return -1;
	}
	buf_free(&parent);
	j->dirfd = fd;
	j->is_root = strcmp(buf_cstr(&j->vpath), "/") == 0;
	if (dirs_list_dir(s, buf_cstr(&j->vpath), fd, &j->real, &j->dl) == -1)
		return -2;
	/* Names are shown with the directory part as the client typed it. */
	buf_reset(&j->shown);
	if ((slash = strrchr(path, '/')) != NULL)
		(void)buf_append(&j->shown, path, (size_t)(slash - path) + 1);
	return 0;
}

int
list_prepare(struct session *s, struct list_job *j, enum list_fmt fmt,
    const char *arg)
{
	const char *path;
	int fd, err, r;

	job_init(j, fmt);
	if (fmt == LIST_MLSD)
		path = arg != NULL ? arg : "";
	else
		path = list_parse_opts(arg, &j->opts);
	/* Web hosting users upload .htaccess and want to see it; NLST is
	 * left as it was: scripts feed it to mget and mdelete. */
	if (fmt == LIST_LONG && cfg->list_dotfiles)
		j->opts |= LIST_O_ALMOST;
	if (fmt != LIST_LONG)
		j->opts &= ~(unsigned)LIST_O_RECURSE;
	if (*path == '\0')
		path = ".";
	if (policy_path(s, path, &j->vpath) == -1)
		goto fail;
	if (fmt == LIST_MLSD)
		who_init(s, j);
	/* Always worth trying (list_stat.c): the user filter allows a
	 * thread; without a filter RLIMIT_NPROC refuses it and the listing
	 * runs on this thread. */
	j->helper = 1;
	if (fmt != LIST_MLSD && (j->opts & LIST_O_DIRSELF)) {
		/* ls -d: the entry itself, never its contents, a link shown
		 * as a link; as with ls, searching the parent is enough. */
		j->opts &= ~(unsigned)LIST_O_RECURSE;
		if ((r = prepare_self(s, j, path)) == 0)
			return 0;
		err = errno;
		if (r == -1 && err == ENOENT &&
		    (r = prepare_glob(s, j, path)) == 0)
			return 0;
		if (r != -2)
			reply_errno(s, err, "Cannot list", buf_cstr(&j->vpath));
		goto fail;
	}
	fd = fs_open(s, buf_cstr(&j->vpath), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC, 0);
	if (fd != -1) {
		j->dirfd = fd;
		j->is_root = strcmp(buf_cstr(&j->vpath), "/") == 0;
		if (fstat(fd, &j->dirst) == 0) {
			if (dirs_list_dir(s, buf_cstr(&j->vpath), fd, &j->real,
			    &j->dl) == -1)
				goto fail;
			j->who.allow &= j->dl.perms;	/* MLSD's perm fact */
			/* LIST -R heads each directory with its name as
			 * the client typed it ("." when none). */
			if ((j->opts & LIST_O_RECURSE) &&
			    strcmp(path, ".") != 0 &&
			    set_shown(j, path) == -1)
				buf_reset(&j->shown);
			return 0;
		}
	}
	err = errno;
	if (fd == -1 && fmt == LIST_MLSD && err == ENOTDIR) {
		reply(s, 501, "%s: Not a directory.", buf_cstr(&j->vpath));
		goto fail;
	}
	if (fd == -1 && fmt != LIST_MLSD) {
		/* One entry or a glob: never recursive. */
		j->opts &= ~(unsigned)LIST_O_RECURSE;
		r = -1;
		if ((err == ENOTDIR || err == ENOENT) &&
		    (r = prepare_one(s, j, path)) == 0)
			return 0;
		if (r == -2)
			goto fail;
		if (err == ENOENT && (r = prepare_glob(s, j, path)) == 0)
			return 0;
		if (r == -2)
			goto fail;
	}
	reply_errno(s, err, "Cannot list", buf_cstr(&j->vpath));
fail:
	list_job_free(j);
	return -1;
}

static int
out_flush(struct list_out *o)
{
	if (o->b.len == 0 || o->res != XFER_OK)
		return o->res == XFER_OK ? 0 : -1;
	if (o->fd >= 0)
		o->res = xfer_send_mem(o->s, o->r, o->enc, o->fd, o->b.data,
		    o->b.len);
	else if (ctl_write(o->s, o->b.data, o->b.len) == -1)
		o->res = XFER_CTL_GONE;
	buf_reset(&o->b);
	return o->res == XFER_OK ? 0 : -1;
}

/*
 * A line from start to the end of o->b is complete: sanitise it, count
 * it, flush when the buffer is full.  On the control connection (STAT)
 * every control byte becomes '?'.  On a data connection only CR and LF
 * do: a name holding one would split its line in two and show clients
 * entries that do not exist (no command can name such a file anyway).
 */
static int
out_line_done(struct list_out *o, size_t start)
{
	unsigned char *p = o->b.data + start;
	size_t i, n = o->b.len - start - 2;	/* without the CRLF */

	if (o->fd < 0) {
		for (i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] == 0x7f)
				p[i] = '?';
	} else if (memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL)
		for (i = 0; i < n; i++)
			if (p[i] == '\r' || p[i] == '\n')
				p[i] = '?';
	o->lines++;
	if (o->b.len >= LIST_FLUSH_AT)
		return out_flush(o);
	return 0;
}

/* The name to print: glob prefix (if any) and the entry name. */
static const char *
shown_name(struct list_out *o, const char *name)
{
	if (o->j->pattern.len == 0 || o->j->shown.len == 0)
		return name;
	if (buf_set(&o->name, buf_cstr(&o->j->shown)) == -1 ||
	    buf_puts(&o->name, name) == -1)
		return name;
	return buf_cstr(&o->name);
}

/* MLSD: the stat of what a symlink leads to, when it resolves (beneath
 * the root); else *st stays the link's. */
static void
mlsd_follow(struct list_out *o, const char *name, struct stat *st)
{
	struct stat tst;
	const char *dir = buf_cstr(&o->j->vpath);
	int fd;

	buf_reset(&o->tmp);
	if (buf_puts(&o->tmp, dir) == -1 ||
	    (strcmp(dir, "/") != 0 && buf_putc(&o->tmp, '/') == -1) ||
	    buf_puts(&o->tmp, name) == -1)
		return;
	if (o->s->dirs == NULL) {
		if (fs_stat(o->s, buf_cstr(&o->tmp), &tst, 1) == 0)
			*st = tst;
		return;
	}
	/* A target the [dir] sections hide is as if missing: the link's
	 * own facts, never those of a file it may not name. */
	if ((fd = fs_open(o->s, buf_cstr(&o->tmp), O_PATH, 0)) == -1)
		return;
	if (fstat(fd, &tst) == 0 && dirs_visible_fd(o->s, buf_cstr(&o->tmp),
	    fd))
		*st = tst;
	(void)close(fd);
}

/* Format one directory entry whose stat is in *st (unused for NLST).
 * 0, or -1 when sending failed. */
static int
emit_entry(struct list_out *o, int dfd, const char *name, struct stat *st)
{
	struct list_job *j = o->j;
	enum list_kind kind = LK_ENTRY;
	const char *target = NULL;
	size_t start = o->b.len;
	int rc;

	if (j->fmt == LIST_NAMES) {
		if (buf_puts(&o->b, shown_name(o, name)) == -1 ||
		    buf_append(&o->b, "\r\n", 2) == -1) {
			buf_truncate(&o->b, start);
			return 0;
		}
		return out_line_done(o, start);
	}
	if (name[0] == '.' && name[1] == '.' && name[2] == '\0') {
		kind = LK_PDIR;
		/* Never describe what lies above the session root. */
		if (j->is_root)
			*st = j->dirst;
	} else if (name[0] == '.' && name[1] == '\0')
		kind = LK_CDIR;
	if (j->fmt == LIST_MLSD) {
		/* A link is typed as a link, with the facts of its target. */
		if (S_ISLNK(st->st_mode)) {
			target = read_link(dfd, name, &o->link) == 0 ?
			    buf_cstr(&o->link) : "";
			mlsd_follow(o, name, st);
		}
		rc = list_fmt_facts(&o->b, o->facts, st, kind, &j->dirst,
		    &j->who, target, name);
	} else {
		if (S_ISLNK(st->st_mode) && read_link(dfd, name, &o->tmp) == 0)
			target = buf_cstr(&o->tmp);
		rc = list_fmt_long(&o->b, st, shown_name(o, name), target,
		    &o->clock);
	}
	if (rc == -1)
		return 0;	/* cannot happen below LIST_BUF_MAX; skip */
	return out_line_done(o, start);
}

/* Which directory entries a listing shows. */
static int
wanted(const struct list_job *j, const char *name)
{
	int dots = name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));

	/* An upload in progress is not a file yet (atomic_uploads). */
	if (policy_upload_tmp(name))
		return 0;
	/* One test per entry when no [dir] section drops names here. */
	if (j->dl.nsel > 0 && !dots && dirs_list_hides(&j->dl, name))
		return 0;
	if (j->pattern.len > 0)
		return !dots && fnmatch((const char *)j->pattern.data, name,
		    FNM_PERIOD) == 0;
	if (j->fmt == LIST_MLSD || name[0] != '.')
		return 1;
	if (j->opts & LIST_O_ALL)
		return 1;
	return (j->opts & LIST_O_ALMOST) && !dots;
}

/* 1 when the listing is over: sending failed or STAT's line limit. */
static int
out_done(struct list_out *o)
{
	if (o->res != XFER_OK)
		return 1;
	if (o->fd < 0 && o->lines >= LIST_CTL_MAX_LINES) {
		(void)buf_appendf(&o->b, "(listing truncated after %u "
		    "lines)\r\n", (unsigned)LIST_CTL_MAX_LINES);
		return 1;
	}
	return 0;
}

static void names_add(struct list_names *nm, const char *name, size_t len);

/* LIST -R: whether another entry may go out (list_max_entries); past
 * the bound the listing is over, and says so. */
static int
entries_left(struct list_out *o)
{
	if (!o->recurse || o->entries < cfg->list_max_entries)
		return 1;
	o->j->cut = LIST_CUT_ENTRIES;
	return 0;
}

/* Format a batch whose stats are in.  0, or -1 when the listing is over. */
static int
emit_batch(struct list_out *o, struct list_batch *b)
{
	const char *name;
	size_t i;

	for (i = 0; i < b->n; i++) {
		/* Gone since getdents: not an error, just not listed. */
		if (o->j->fmt != LIST_NAMES && b->ents[i].err != 0)
			continue;
		if (!entries_left(o))
			return -1;
		name = b->ents[i].name;
		if (emit_entry(o, o->j->dirfd, name, &b->ents[i].st) == -1 ||
		    out_done(o))
			return -1;
		o->entries++;
		/* A directory itself, never a link to one: LIST -R goes
		 * down real directories only, so it stays in the root and
		 * cannot loop. */
		if (o->subs != NULL && S_ISDIR(b->ents[i].st.st_mode) &&
		    !(name[0] == '.' && (name[1] == '\0' ||
		    (name[1] == '.' && name[2] == '\0'))))
			names_add(o->subs, name, strlen(name));
	}
	return 0;
}

static void
names_free(struct list_names *nm)
{
	size_t i;

	for (i = 0; i < nm->nblocks; i++)
		free(nm->blocks[i]);
	free(nm->blocks);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

/* Keep a copy of name (len bytes, NUL-terminated) for sorting. */
static void
names_add(struct list_names *nm, const char *name, size_t len)
{
	if (len + 1 > nm->left) {
		/* A name (at most NAME_MAX) always fits a fresh block. */
		nm->blocks = xreallocarray(nm->blocks, nm->nblocks + 1,
		    sizeof(nm->blocks[0]));
		nm->at = nm->blocks[nm->nblocks++] = xmalloc(LIST_NAME_BLOCK);
		nm->left = LIST_NAME_BLOCK;
	}
	if (nm->n == nm->cap) {
		nm->cap = nm->cap == 0 ? LIST_BATCH : 2 * nm->cap;
		nm->v = xreallocarray(nm->v, nm->cap, sizeof(nm->v[0]));
	}
	memcpy(nm->at, name, len + 1);
	nm->v[nm->n++] = nm->at;
	nm->at += len + 1;
	nm->left -= len + 1;
	nm->bytes += len + 1 + sizeof(nm->v[0]);
}

/*
 * Read the directory's wanted names into nm, getdents64 buffer by
 * buffer, until its end or until nm holds LIST_SORT_MAX bytes.  0 at the
 * end of the directory, 1 when more is left to read, -1 on a read error
 * or a malformed buffer (nm keeps what was read before).
 */
static int
read_names(struct list_out *o, struct list_names *nm, unsigned char *dents)
{
	struct dirent64 *de;
	size_t off, hdr = offsetof(struct dirent64, d_name), len;
	ssize_t got;

	/* Bounded: each pass consumes directory entries, and at most
	 * LIST_MAX_ENTRIES are looked at. */
	while (o->count < LIST_MAX_ENTRIES) {
		if (nm->bytes >= LIST_SORT_MAX)
			return 1;
		got = getdents64(o->j->dirfd, dents, LIST_DENTS_BUF);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0 ? 0 : -1;
		for (off = 0; off < (size_t)got; off += de->d_reclen) {
			de = (struct dirent64 *)(void *)(dents + off);
			if ((size_t)got - off <= hdr || de->d_reclen <= hdr ||
			    de->d_reclen > (size_t)got - off)
				return -1;
			len = strnlen(de->d_name, de->d_reclen - hdr);
			if (len == de->d_reclen - hdr)
				return -1;
			if (++o->count > LIST_MAX_ENTRIES)
				break;
			if (wanted(o->j, de->d_name))
				names_add(nm, de->d_name, len);
		}
	}
	return 0;
}

/* The next (up to) LIST_BATCH names from v[*pos] on into b. */
static void
batch_fill(struct list_batch *b, const char **v, size_t n, size_t *pos)
{
	for (b->n = 0; b->n < LIST_BATCH && *pos < n; b->n++)
		b->ents[b->n].name = v[(*pos)++];
}

/*
 * Stat (not for NLST), format and send the n sorted names v.  Two
 * batches in flight: while the stats of one are taken (shared with the
 * helper thread, if there is one), this thread formats and sends the
 * previous one.  0, or -1 when the listing is over.
 */
static int
send_names(struct list_out *o, struct list_batch bb[2], const char **v,
    size_t n)
{
	struct list_batch *cur = &bb[0], *nxt = &bb[1], *t;
	size_t pos = 0;

	batch_fill(cur, v, n, &pos);
	if (cur->n > 0 && o->ls != NULL)
		list_stat_start(o->ls, cur->ents, cur->n);
	while (cur->n > 0) {
		batch_fill(nxt, v, n, &pos);
		if (o->ls != NULL)
			list_stat_finish(o->ls);
		if (nxt->n > 0 && o->ls != NULL)
			list_stat_start(o->ls, nxt->ents, nxt->n);
		/* A batch left in flight is stopped by list_stat_free. */
		if (emit_batch(o, cur) == -1)
			return -1;
		t = cur;
		cur = nxt;
		nxt = t;
	}
	return 0;
}

/*
 * Read the directory's names, sort them and send them, in one run or
 * (past LIST_SORT_MAX) several.  A read error midway still sends what
 * was read, then reports XFER_DISK_ERROR.
 */
static void
read_dir(struct list_out *o)
{
	struct list_names nm;
	struct list_batch bb[2];
	unsigned char *dents;
	int more;

	memset(&nm, 0, sizeof(nm));
	dents = xmalloc(LIST_DENTS_BUF);
	bb[0].ents = xcalloc(LIST_BATCH, sizeof(bb[0].ents[0]));
	bb[1].ents = xcalloc(LIST_BATCH, sizeof(bb[1].ents[0]));
	if (o->j->fmt != LIST_NAMES)
		o->ls = list_stat_new(o->j->dirfd, o->j->helper);
	do {
		more = read_names(o, &nm, dents);
		list_sort_names(nm.v, nm.n);
		if (send_names(o, bb, nm.v, nm.n) == -1)
			break;
		names_free(&nm);
	} while (more == 1);
	if (more == -1 && o->res == XFER_OK)
		o->res = XFER_DISK_ERROR;
	/* Stops the helper before the names it may be reading go. */
	list_stat_free(o->ls);
	o->ls = NULL;
	names_free(&nm);
	free(bb[0].ents);
	free(bb[1].ents);
	free(dents);
}

/* LIST -R: the "path:" line before a directory's entries. */
static void
emit_header(struct list_out *o, const char *shown, int first)
{
	size_t start = o->b.len;

	if ((!first && buf_append(&o->b, "\r\n", 2) == -1) ||
	    buf_puts(&o->b, shown) == -1 || buf_append(&o->b, ":\r\n",
	    3) == -1) {
		buf_truncate(&o->b, start);
		return;
	}
	if (!first)
		start += 2;	/* the blank line is a line of its own */
	(void)out_line_done(o, start);
}

/* Append "/" + name to b (or name to "/").  Its old length, or -1. */
static long
path_push(struct buf *b, const char *name)
{
	size_t len = b->len;

	if (((len == 0 || b->data[len - 1] != '/') &&
	    buf_putc(b, '/') == -1) || buf_puts(b, name) == -1) {
		buf_truncate(b, len);
		return -1;
	}
	return (long)len;
}

/*
 * LIST -R: list the job's directory, then each subdirectory found in it
 * (sorted, depth first, as ls -R), opened by name relative to it with
 * O_NOFOLLOW, down to list_max_depth.  shown, lex and real grow by one
 * name per level: as the client named it, as a virtual path, and
 * physical (with [dir] sections only: the walk follows no link, so the
 * parent's physical path and the name are the child's).
 */
static void
list_tree(struct list_out *o, struct buf *shown, struct buf *lex,
    struct buf *real, unsigned long long depth)
{
	struct list_job *j = o->j;
	struct list_names subs, *outer = o->subs;
	struct dirs_list dl = j->dl;
	struct stat dirst = j->dirst;
	int dirfd = j->dirfd, is_root = j->is_root, fd;
	long ls, ll, lr;
	size_t i;

	memset(&subs, 0, sizeof(subs));
	o->subs = &subs;
	read_dir(o);
	o->subs = outer;
	if (o->res != XFER_OK || j->cut == LIST_CUT_ENTRIES || subs.n == 0)
		goto out;
	if (depth >= cfg->list_max_depth) {
		j->cut = LIST_CUT_DEPTH;
		goto out;
	}
	list_sort_names(subs.v, subs.n);
	for (i = 0; i < subs.n && o->res == XFER_OK &&
	    j->cut != LIST_CUT_ENTRIES; i++) {
		fd = openat(dirfd, subs.v[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;	/* gone, turned into a link, or shut */
		ls = path_push(shown, subs.v[i]);
		ll = path_push(lex, subs.v[i]);
		lr = o->s->dirs != NULL ? path_push(real, subs.v[i]) : 0;
		if (ls != -1 && ll != -1 && lr != -1 &&
		    fstat(fd, &j->dirst) == 0 &&
		    dirs_list_sub(o->s, buf_cstr(real), buf_cstr(lex),
		    &j->dl)) {
			emit_header(o, buf_cstr(shown), 0);
			j->dirfd = fd;
			j->is_root = 0;
			list_tree(o, shown, lex, real, depth + 1);
		}
		(void)close(fd);
		if (ls != -1)
			buf_truncate(shown, (size_t)ls);
		if (ll != -1)
			buf_truncate(lex, (size_t)ll);
		if (o->s->dirs != NULL && lr != -1)
			buf_truncate(real, (size_t)lr);
	}
out:
	j->dirfd = dirfd;
	j->dirst = dirst;
	j->is_root = is_root;
	j->dl = dl;
	names_free(&subs);
}

/* LIST -R from the job's directory, and a last line if it was cut. */
static void
list_recursive(struct list_out *o)
{
	struct list_job *j = o->j;
	struct buf shown, lex, real;
	size_t start;

	buf_init(&shown, PATH_MAXLEN + 1);
	buf_init(&lex, PATH_MAXLEN + 1);
	buf_init(&real, PATH_MAXLEN + 1);
	o->recurse = 1;
	if (buf_set(&shown, j->shown.len > 0 ? buf_cstr(&j->shown) : ".") ==
	    0 && buf_set(&lex, buf_cstr(&j->vpath)) == 0 &&
	    buf_set(&real, buf_cstr(&j->real)) == 0) {
		emit_header(o, buf_cstr(&shown), 1);
		list_tree(o, &shown, &lex, &real, 0);
	}
	if (j->cut != LIST_CUT_NONE && o->res == XFER_OK) {
		start = o->b.len;
		if ((j->cut == LIST_CUT_ENTRIES ? buf_appendf(&o->b,
		    "\r\nftpd: listing cut after %llu entries "
		    "(list_max_entries)\r\n", cfg->list_max_entries) :
		    buf_appendf(&o->b, "\r\nftpd: listing cut below depth "
		    "%llu (list_max_depth)\r\n", cfg->list_max_depth)) == 0)
			(void)out_line_done(o, start + 2);
	}
	buf_free(&shown);
	buf_free(&lex);
	buf_free(&real);
}

static void
emit_one(struct list_out *o)
{
	struct list_job *j = o->j;
	const char *name = buf_cstr(&j->shown);
	size_t start = o->b.len;
	int rc;

	if (j->fmt == LIST_NAMES)
		rc = buf_puts(&o->b, name) == -1 ||
		    buf_append(&o->b, "\r\n", 2) == -1 ? -1 : 0;
	else
		rc = list_fmt_long(&o->b, &j->one, name, j->target.len > 0 ?
		    buf_cstr(&j->target) : NULL, &o->clock);
	if (rc == -1)
		buf_truncate(&o->b, start);
	else
		(void)out_line_done(o, start);
}

enum xfer_result
list_run(struct session *s, struct list_job *j, int datafd,
    const struct xfer_route *r, struct repr_enc *enc)
{
	struct list_out o;
	enum xfer_result res;

	memset(&o, 0, sizeof(o));
	o.s = s;
	o.j = j;
	o.fd = datafd;
	o.r = r;
	o.enc = enc;
	o.res = XFER_OK;
	o.facts = list_mlst_facts(s);
	list_clock_init(&o.clock, time(NULL), 0);
	buf_init(&o.b, LIST_BUF_MAX);
	buf_init(&o.tmp, 2 * PATH_MAXLEN + 2);
	buf_init(&o.link, PATH_MAXLEN + 1);
	buf_init(&o.name, 2 * PATH_MAXLEN + 2);
	/* One allocation up front instead of doubling while we list. */
	(void)buf_reserve(&o.b, LIST_FLUSH_AT + PATH_MAXLEN);
	j->cut = LIST_CUT_NONE;
	if (j->dirfd == -1)
		emit_one(&o);
	else if (j->opts & LIST_O_RECURSE)
		list_recursive(&o);
	else
		read_dir(&o);
	if (o.res == XFER_OK)
		(void)out_flush(&o);
	else if (o.res == XFER_DISK_ERROR && o.b.len > 0) {
		/* Send what we have; the caller reports the read error. */
		o.res = XFER_OK;
		if (out_flush(&o) == 0)
			o.res = XFER_DISK_ERROR;
	}
	res = o.res;
	buf_free(&o.b);
	buf_free(&o.tmp);
	buf_free(&o.link);
	buf_free(&o.name);
	return res;
}

/* The target of the symlink vpath, read beneath the root.  0 or -1. */
static int
read_link_path(struct session *s, const char *vpath, struct buf *out)
{
	const char *base;
	int pfd, rc;

	if ((pfd = fs_open_parent(s, vpath, &base)) == -1)
		return -1;
	rc = read_link(pfd, base, out);
	(void)close(pfd);
	return rc;
}

/*
 * MLST's object and the [dir] sections: a denied name, or a hidden one
 * named by the client, is not there.  *perms gets what the sections give
 * it (the perm fact).  0, -1 with errno, or -2 after a reply.
 */
static int
mlst_judge(struct session *s, const char *vpath, int cdir, unsigned *perms)
{
	const char *base;
	struct stat st;
	int fd, rc;

	*perms = PERM_ALL;
	if (s->dirs == NULL)
		return 0;
	if (strcmp(vpath, "/") == 0) {
		if ((fd = fs_open(s, vpath, O_PATH, 0)) == -1)
			return -1;
		rc = dirs_check_fd(s, OP_LIST, vpath, fd, "Cannot list", 0,
		    NULL);
		(void)close(fd);
		return rc == 0 ? 0 : -2;
	}
	if ((fd = fs_open_parent(s, vpath, &base)) == -1)
		return -1;
	if ((rc = fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW)) == 0) {
		rc = dirs_check_at(s, OP_LIST, vpath, fd, base, "Cannot list",
		    !cdir) == 0 ? 0 : -2;
		*perms = dirs_perms_at(s, vpath, fd, base);
	}
	(void)close(fd);
	return rc;
}

/* The facts of what the link vpath leads to, into *st when it resolves
 * to something the [dir] sections let a listing describe. */
static void
mlst_follow(struct session *s, const char *vpath, struct stat *st)
{
	struct stat tst;
	int fd;

	if ((fd = fs_open(s, vpath, O_PATH, 0)) == -1)
		return;
	if (fstat(fd, &tst) == 0 && dirs_visible_fd(s, vpath, fd))
		*st = tst;
	(void)close(fd);
}

int
list_mlst(struct session *s, const char *vpath, int cdir, struct buf *line)
{
	struct list_job j;
	struct stat st, pst;
	struct buf name, parent, target;
	const struct stat *pp = NULL;
	const char *link = NULL;
	unsigned perms;
	int rc;

	if ((rc = mlst_judge(s, vpath, cdir, &perms)) != 0)
		return rc;
	if (fs_stat(s, vpath, &st, 0) == -1)
		return -1;
	buf_init(&target, PATH_MAXLEN + 1);
	/* As in MLSD: a link, with the facts of what it leads to. */
	if (S_ISLNK(st.st_mode)) {
		link = read_link_path(s, vpath, &target) == 0 ?
		    buf_cstr(&target) : "";
		mlst_follow(s, vpath, &st);
	}
	buf_init(&parent, PATH_MAXLEN + 1);
	if (strcmp(vpath, "/") != 0 && path_dirname(vpath, &parent) == 0 &&
	    fs_stat(s, buf_cstr(&parent), &pst, 1) == 0)
		pp = &pst;
	job_init(&j, LIST_MLSD);
	who_init(s, &j);
	j.who.allow &= perms;
	buf_init(&name, 2 * PATH_MAXLEN);
	rc = list_put_safe(&name, vpath);
	if (rc == 0)
		rc = buf_putc(line, ' ');
	if (rc == 0)
		rc = list_fmt_facts(line, list_mlst_facts(s), &st,
		    cdir && S_ISDIR(st.st_mode) ? LK_CDIR : LK_ENTRY, pp,
		    &j.who, link, buf_cstr(&name));
	if (rc == 0)
		buf_truncate(line, line->len - 2);	/* the CRLF */
	buf_free(&name);
	buf_free(&parent);
	buf_free(&target);
	list_job_free(&j);
	if (rc == -1)
		errno = ENAMETOOLONG;
	return rc;
}
