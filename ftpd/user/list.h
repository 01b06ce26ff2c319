/*
 * list.h - directory listings (LIST, NLST, MLSD, MLST, STAT path), built in
 * the user process without ever running ls.
 *
 * Two layers.  The formatters (list_format.c) are pure functions of a
 * struct stat and a name, unit-tested.  The streaming part (list.c) reads a
 * directory's names with getdents64, sorts them (byte order, as ls in the
 * C locale), does one fstatat per entry (list_stat.c, which can share them
 * with a helper thread) and flushes a ~64 KiB buffer to the data
 * connection whenever it fills.  Only the names are held, up to a bound
 * past which a huge directory is sent as several sorted runs.  Entries
 * that are an upload's temporary file (policy_upload_tmp) are never shown.
 *
 * Names, as ls(1) would print them: for a directory argument the bare entry
 * names (LIST and NLST alike); for a single file the argument as the client
 * typed it; for a glob in the last component ("sub/x*.txt", what mget
 * sends) the matching names prefixed with the argument's directory part as
 * typed ("sub/x1.txt").  LIST/NLST hide dot files unless -a or -A (LIST
 * also shows them, like -A, with list_dotfiles = yes); MLSD shows every
 * entry, "." as type=cdir and ".." as type=pdir (at the session root ".."
 * describes the root itself, never what lies above it).  Names that a
 * [dir] section hides or denies are never listed (user/dirs.h).  LIST -R
 * of a directory descends into its subdirectories (never through a
 * link) in ls -R's layout, bounded by list_max_depth and
 * list_max_entries; NLST ignores -R (mget wants one flat list).
 */
#ifndef FTPD_LIST_H
#define FTPD_LIST_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "user/dirs.h"
#include "user/xfer.h"

struct session;
struct xfer_route;
struct repr_enc;

/* ---- MLST facts (RFC 3659 section 7) ---------------------------------- */

#define MLST_F_TYPE		0x0001
#define MLST_F_SIZE		0x0002
#define MLST_F_MODIFY		0x0004
#define MLST_F_PERM		0x0008
#define MLST_F_UNIQUE		0x0010
#define MLST_F_UNIX_MODE	0x0020
#define MLST_F_UNIX_OWNER	0x0040	/* unix.owner=name, else unix.uid=N */
#define MLST_F_UNIX_GROUP	0x0080	/* unix.group=name, else unix.gid=N */
#define MLST_F_ALL		0x00ff
#define MLST_F_DEFAULT		MLST_F_ALL
/*
 * Set in s->mlst_facts once OPTS MLST has run.  Without it the default set
 * is used, so a zeroed session needs no initialisation (and "OPTS MLST" with
 * no facts, which turns all facts off, is still distinguishable).
 */
#define MLST_F_CHOSEN		0x8000

/* FEAT line for the default set (cmd table); list_feat_mlst() for the
 * session's current set. */
#define LIST_FEAT_MLST	"MLST type*;size*;modify*;perm*;unique*;" \
			"unix.mode*;unix.owner*;unix.group*;"

/* The facts in effect for this session (MLST_F_* bits). */
unsigned list_mlst_facts(const struct session *s);
/*
 * OPTS MLST (RFC 3659 7.9): facts is "fact;fact;..." (case-insensitive;
 * unknown facts ignored; NULL or "" turns every fact off).  Sets
 * s->mlst_facts.  reply_text is reset and receives the text for the 200
 * reply, "MLST OPTS type;size;..." (facts now enabled).  0, or -1 (then
 * reply 501) if facts is malformed (too long, control characters).
 */
int	list_opts_mlst(struct session *s, const char *facts,
	    struct buf *reply_text);
/* Append "type*;size*;..." (the supported facts, '*' on enabled ones)
 * for a FEAT "MLST " line.  0 or -1. */
int	list_feat_mlst(const struct session *s, struct buf *out);

/* ---- pure formatters (list_format.c) ---------------------------------- */

#define LIST_MODE_LEN	10	/* "drwxr-xr-x" */
#define LIST_DATE_LEN	12	/* "Nov 23 15:04" or "Nov 23  2023" */
#define LIST_MTIME_LEN	14	/* "20231123150405" */
/* Half a Gregorian year, as ls(1) uses for "recent" files. */
#define LIST_SIX_MONTHS	15778476
/* A timestamp this far in the future still shows its time of day. */
#define LIST_FUTURE_SLACK 3600

/*
 * "Now" for a listing, and the last local day converted: when a day has a
 * single UTC offset throughout (checked with localtime_r at its first and
 * last second), its other times are converted with arithmetic, so a
 * directory costs a few localtime_r calls per distinct day.
 */
struct list_clock {
	time_t		now;
	int		utc;		/* 1: dates in UTC (tests), 0: local */
	int		span_ok;	/* span_lo..span_hi is usable */
	time_t		span_lo;	/* first and last second of the day */
	time_t		span_hi;
	long		span_off;	/* its offset from UTC, seconds */
};

/* Who is looking, for the MLSx perm fact. */
struct list_who {
	uid_t		 uid;		/* effective ids of the session */
	gid_t		 gid;
	const gid_t	*groups;	/* supplementary groups */
	size_t		 ngroups;
	unsigned	 allow;		/* 1u << OP_* for each policy_allow() */
	/* Extra download check (policy_may_read), or NULL. */
	int		(*may_read)(void *arg, const struct stat *st);
	void		*may_read_arg;
};

enum list_kind {
	LK_ENTRY,	/* an ordinary entry (type from st_mode) */
	LK_CDIR,	/* "." of MLSD: type=cdir */
	LK_PDIR,	/* ".." of MLSD: type=pdir */
};

void	list_clock_init(struct list_clock *c, time_t now, int utc);
/* "drwxr-xr-x": type letter (d l - c b p s) and rwx with s/S t/T.
 * out gets LIST_MODE_LEN characters and a NUL. */
void	list_fmt_mode(char *out, mode_t mode);
/* "Mon DD HH:MM" when now - 6 months < t <= now + 1 hour, else
 * "Mon DD  YYYY".  out gets LIST_DATE_LEN characters and a NUL
 * (outlen >= LIST_DATE_LEN + 1). */
void	list_fmt_date(char *out, size_t outlen, time_t t,
	    struct list_clock *c);
/* UTC "YYYYMMDDHHMMSS" (MLSx modify, MDTM).  outlen >= LIST_MTIME_LEN + 1.
 * 0, or -1 for a time before year 0 or after 9999 (out is then "" ). */
int	list_fmt_mtime(char *out, size_t outlen, time_t t);
/*
 * Append one ls -l style line + CRLF to out:
 * "drwxr-xr-x    2 owner    group        4096 Nov 23 15:04 name",
 * with " -> target" when target is not NULL.  Owner and group from the
 * idcache, else numbers.  0 or -1 (out full; out unchanged).
 */
int	list_fmt_long(struct buf *out, const struct stat *st, const char *name,
	    const char *target, struct list_clock *c);
/*
 * Append the perm fact letters (RFC 3659 7.5.5) for st as seen by who.
 * parent is the stat of the containing directory (for d and f), or NULL
 * when unknown (then d and f are left out).  0 or -1.
 */
int	list_fmt_perm(struct buf *out, const struct stat *st,
	    const struct stat *parent, const struct list_who *who);
/*
 * Append one MLSx line: "fact=val;...; name" + CRLF, facts per the
 * MLST_F_* set.  link is NULL, or the entry is a symbolic link and link
 * its target ("" when unreadable): it is typed OS.unix=slink:<target>, or
 * OS.unix=symlink when the target cannot be a fact value (empty, or
 * holding a space, ';' or a control byte); st is then what the link
 * leads to if it resolves (size, modify and perm of the target), else the
 * link itself.  0 or -1 (out unchanged).
 */
int	list_fmt_facts(struct buf *out, unsigned facts, const struct stat *st,
	    enum list_kind kind, const struct stat *parent,
	    const struct list_who *who, const char *link, const char *name);
/* Sort n names in byte order (strcmp), as ls(1) in the C locale lists
 * them. */
void	list_sort_names(const char **v, size_t n);
/* Append name with CR, LF and other control bytes replaced by '?', for
 * text that goes on the control connection.  0 or -1. */
int	list_put_safe(struct buf *out, const char *name);

#define LIST_O_ALL	0x01	/* -a: dot files, "." and ".." */
#define LIST_O_ALMOST	0x02	/* -A: dot files, not "." and ".." */
#define LIST_O_DIRSELF	0x04	/* -d: a directory itself, not its entries */
#define LIST_O_RECURSE	0x08	/* -R: LIST (and STAT) descend, bounded by
				 * list_max_depth and list_max_entries */
/*
 * Skip ls-style options ("-l", "-la", "-A", "-- ") at the start of a LIST
 * or NLST argument, setting LIST_O_* in *opts.  Returns the path part (""
 * when none).  An argument that merely starts with '-' but contains
 * letters we do not know as options is taken as a path.
 */
const char *list_parse_opts(const char *arg, unsigned *opts);

/* ---- streaming (list.c) ----------------------------------------------- */

enum list_fmt {
	LIST_LONG,	/* LIST, STAT path */
	LIST_NAMES,	/* NLST */
	LIST_MLSD,	/* MLSD */
};

/* Lines of STAT path sent on the control connection at most. */
#define LIST_CTL_MAX_LINES	10000
/* Buffer flushed to the data connection when it holds this much. */
#define LIST_FLUSH_AT		(64 * 1024)

/* Why a recursive listing stopped early (list_job.cut). */
enum list_cut {
	LIST_CUT_NONE,
	LIST_CUT_DEPTH,		/* deeper directories left out */
	LIST_CUT_ENTRIES,	/* stopped at list_max_entries */
};

/* One prepared listing, between the path check and the data connection. */
struct list_job {
	enum list_fmt	 fmt;
	unsigned	 opts;		/* LIST_O_* */
	int		 dirfd;		/* directory to read, or -1 */
	struct stat	 dirst;		/* its stat */
	int		 is_root;	/* it is the session root */
	struct stat	 one;		/* dirfd == -1: the single entry */
	struct buf	 vpath;		/* resolved virtual path */
	struct buf	 shown;		/* single entry's name / glob prefix */
	struct buf	 target;	/* single entry's symlink target */
	struct buf	 pattern;	/* glob on names, len 0 = none */
	struct list_who	 who;
	gid_t		*groups;	/* owned storage behind who.groups */
	int		 helper;	/* may stat with a helper thread */
	struct dirs_list dl;		/* [dir] names dropped here */
	struct buf	 real;		/* the directory's physical path
					 * (with [dir] sections only) */
	enum list_cut	 cut;		/* set by list_run */
};

/*
 * Resolve arg (options first for LIST/NLST; NULL = cwd) and open what it
 * names: a directory, a single file (LIST/NLST, and with -d a directory
 * as one entry), or the parent of a glob pattern in the last component
 * (LIST/NLST).  On failure the error reply
 * (550 and friends, 501 for MLSD of a non-directory) has been sent and -1
 * is returned; j needs no list_job_free then.
 */
int	list_prepare(struct session *s, struct list_job *j, enum list_fmt fmt,
	    const char *arg);
/*
 * Stream the listing to datafd with xfer_send_mem on route r through enc
 * (NULL: none), or with datafd == -1 (r and enc NULL) to the control
 * connection (ctl_write; names sanitised; at most LIST_CTL_MAX_LINES
 * lines).  XFER_OK, an xfer error, or XFER_DISK_ERROR when reading the
 * directory failed midway.
 */
enum xfer_result list_run(struct session *s, struct list_job *j, int datafd,
	    const struct xfer_route *r, struct repr_enc *enc);
void	list_job_free(struct list_job *j);
/*
 * MLST: the facts line for vpath (" fact=...; /path", no CRLF) appended to
 * line; cdir says the object is the current directory (no argument given).
 * 0, -1 with errno from stat, or -2 after a reply (a name a [dir] section
 * denies, or hides unless it is the current directory).
 */
int	list_mlst(struct session *s, const char *vpath, int cdir,
	    struct buf *line);

#endif
