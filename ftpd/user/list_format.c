/*
 * list_format.c - the pure parts of directory listings: ls -l lines, dates,
 * MLSx fact lines, the perm fact, OPTS MLST, LIST option parsing.
 *
 * Runs in the user process (and the unit tests).  No system calls except
 * localtime_r/gmtime_r (tzset() ran before chroot).  Names come from the
 * file system and may contain anything; they are copied as bytes into the
 * data-connection formats and sanitised by list_put_safe() for the control
 * connection.  Client text (OPTS MLST, LIST options) is only compared.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "user/idcache.h"
#include "user/list.h"
#include "user/policy.h"
#include "session.h"

#define ALLOWED(w, op)	(((w)->allow & (1u << (op))) != 0)

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const struct {
	const char	*name;
	unsigned	 bit;
} fact_names[] = {
	{ "type",	MLST_F_TYPE },
	{ "size",	MLST_F_SIZE },
	{ "modify",	MLST_F_MODIFY },
	{ "perm",	MLST_F_PERM },
	{ "unique",	MLST_F_UNIQUE },
	{ "unix.mode",	MLST_F_UNIX_MODE },
	{ "unix.owner",	MLST_F_UNIX_OWNER },
	{ "unix.group",	MLST_F_UNIX_GROUP },
	/* Aliases accepted by OPTS MLST, never printed in replies. */
	{ "unix.uid",	MLST_F_UNIX_OWNER },
	{ "unix.gid",	MLST_F_UNIX_GROUP },
};
#define NFACTS_SHOWN	8
#define NFACTS		(sizeof(fact_names) / sizeof(fact_names[0]))

/*
 * A bounded writer into space reserved in a struct buf (or a caller's
 * array): listings format tens of thousands of lines, and these are much
 * cheaper than a vsnprintf per field.  Writes past end are dropped and
 * remembered in overflow, which callers check before committing.
 */
struct wr {
	char	*p;
	char	*end;
	int	 overflow;
};

static void
wr_mem(struct wr *w, const char *s, size_t n)
{
	if ((size_t)(w->end - w->p) < n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

static void
wr_str(struct wr *w, const char *s)
{
	wr_mem(w, s, strlen(s));
}

static void
wr_chr(struct wr *w, char c)
{
	wr_mem(w, &c, 1);
}

/* The digits of v in base (8, 10 or 16, a constant at every call, so
 * the divisions become shifts and multiplications), last digit first. */
static inline size_t
num_digits(char *d, unsigned long long v, unsigned base)
{
	size_t n = 0;

	do {
		d[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	return n;
}

/* v in base (8, 10, 16), right-aligned in width with pad. */
static inline void
wr_num(struct wr *w, unsigned long long v, unsigned base, size_t width,
    char pad)
{
	char d[24];	/* 22 octal digits hold 64 bits */
	size_t n = num_digits(d, v, base), len = width > n ? width : n;

	if ((size_t)(w->end - w->p) < len) {
		w->overflow = 1;
		return;
	}
	if (len > n) {
		memset(w->p, pad, len - n);
		w->p += len - n;
	}
	while (n > 0)
		*w->p++ = d[--n];
}

/* v < 100 as two digits. */
static inline void
wr_2d(struct wr *w, unsigned v)
{
	if (w->end - w->p < 2) {
		w->overflow = 1;
		return;
	}
	w->p[0] = (char)('0' + v / 10 % 10);
	w->p[1] = (char)('0' + v % 10);
	w->p += 2;
}

/* s left-aligned in width. */
static void
wr_left(struct wr *w, const char *s, size_t width)
{
	size_t n = strlen(s);

	wr_mem(w, s, n);
	for (; width > n; width--)
		wr_chr(w, ' ');
}

/* Reserve n bytes at the end of b for a writer.  0 or -1. */
static int
wr_begin(struct wr *w, struct buf *b, size_t n)
{
	unsigned char *p;

	if ((p = buf_reserve(b, n)) == NULL)
		return -1;
	w->p = (char *)p;
	w->end = w->p + n;
	w->overflow = 0;
	return 0;
}

/* Commit what was written since wr_begin.  0, or -1 on overflow. */
static int
wr_commit(struct wr *w, struct buf *b)
{
	if (w->overflow)
		return -1;
	buf_commit(b, (size_t)(w->p - (char *)(b->data + b->len)));
	return 0;
}

/* ---- dates -------------------------------------------------------------- */

void
list_clock_init(struct list_clock *c, time_t now, int utc)
{
	memset(c, 0, sizeof(*c));
	c->now = now;
	c->utc = utc;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic). */
static void
civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

/* Split seconds since the epoch (of a local or UTC clock) into days and
 * seconds of the day, flooring for times before 1970. */
static void
split_days(long long t, long long *days, long long *secs)
{
	*days = t / 86400;
	*secs = t % 86400;
	if (*secs < 0) {
		*secs += 86400;
		(*days)--;
	}
}

/* The fields of tm that a listing shows, for a local clock reading of
 * lt seconds (UTC + offset) whose year is known to fit tm_year. */
static void
tm_from_local(long long lt, struct tm *tm)
{
	long long days, secs, y;
	unsigned m, d;

	split_days(lt, &days, &secs);
	civil_from_days(days, &y, &m, &d);
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
}

static int
clock_conv(const struct list_clock *c, time_t t, struct tm *tm)
{
	return (c->utc ? gmtime_r(&t, tm) : localtime_r(&t, tm)) == NULL ?
	    -1 : 0;
}

/* Does t + off give exactly what the C library said (tm)?  Not in a time
 * zone with leap seconds, for one. */
static int
offset_exact(time_t t, long off, const struct tm *tm)
{
	struct tm a;

	tm_from_local((long long)t + off, &a);
	return a.tm_year == tm->tm_year && a.tm_mon == tm->tm_mon &&
	    a.tm_mday == tm->tm_mday && a.tm_hour == tm->tm_hour &&
	    a.tm_min == tm->tm_min && a.tm_sec == tm->tm_sec;
}

/*
 * t was just converted to tm: if the local day around it has one UTC
 * offset from its first second to its last (not a day of a DST change),
 * remember the day so that its other times cost only arithmetic.  Checked
 * with the C library at both ends and at t.
 */
static void
span_try(struct list_clock *c, time_t t, const struct tm *tm)
{
	long off = tm->tm_gmtoff;
	time_t lo, hi;
	struct tm a;

	c->span_ok = 0;
	if (tm->tm_sec > 59 || !offset_exact(t, off, tm))
		return;
	lo = t - ((time_t)tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec);
	hi = lo + 86399;
	if (clock_conv(c, lo, &a) == -1 || a.tm_gmtoff != off ||
	    !offset_exact(lo, off, &a) ||
	    clock_conv(c, hi, &a) == -1 || a.tm_gmtoff != off ||
	    !offset_exact(hi, off, &a))
		return;
	c->span_lo = lo;
	c->span_hi = hi;
	c->span_off = off;
	c->span_ok = 1;
}

/* Broken-down local (or UTC) time of t: arithmetic inside the last local
 * day converted, else the C library.  Only the date and time fields. */
static int
clock_tm(struct list_clock *c, time_t t, struct tm *tm)
{
	if (c->span_ok && t >= c->span_lo && t <= c->span_hi) {
		tm_from_local((long long)t + c->span_off, tm);
		return 0;
	}
	if (clock_conv(c, t, tm) == -1)
		return -1;
	span_try(c, t, tm);
	return 0;
}

static void
wr_date(struct wr *w, time_t t, struct list_clock *c)
{
	struct tm tm;
	int year;

	if (clock_tm(c, t, &tm) == -1) {
		wr_str(w, "Jan  1  1970");
		return;
	}
	wr_str(w, months[(unsigned)tm.tm_mon % 12]);
	wr_num(w, (unsigned)tm.tm_mday, 10, 3, ' ');
	wr_chr(w, ' ');
	/* Written so that no subtraction can overflow for odd times. */
	if (t > c->now - LIST_SIX_MONTHS && t <= c->now + LIST_FUTURE_SLACK) {
		wr_2d(w, (unsigned)tm.tm_hour);
		wr_chr(w, ':');
		wr_2d(w, (unsigned)tm.tm_min);
		return;
	}
	year = tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		year = year < 0 ? 0 : 9999;
	wr_num(w, (unsigned)year, 10, 5, ' ');
}

void
list_fmt_date(char *out, size_t outlen, time_t t, struct list_clock *c)
{
	struct wr w;

	if (outlen == 0)
		return;
	w.p = out;
	w.end = out + outlen - 1;
	w.overflow = 0;
	wr_date(&w, t, c);
	*w.p = '\0';
}

static int
wr_mtime(struct wr *w, time_t t)
{
	long long days, secs, y;
	unsigned m, d;

	split_days((long long)t, &days, &secs);
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	wr_num(w, (unsigned long long)y, 10, 4, '0');
	wr_2d(w, m);
	wr_2d(w, d);
	wr_2d(w, (unsigned)(secs / 3600));
	wr_2d(w, (unsigned)(secs / 60 % 60));
	wr_2d(w, (unsigned)(secs % 60));
	return 0;
}

int
list_fmt_mtime(char *out, size_t outlen, time_t t)
{
	struct wr w;
	int rc;

	if (outlen == 0)
		return -1;
	w.p = out;
	w.end = out + outlen - 1;
	w.overflow = 0;
	rc = wr_mtime(&w, t);
	if (rc == -1 || w.overflow)
		w.p = out;
	*w.p = '\0';
	return rc == -1 || w.overflow ? -1 : 0;
}

/* ---- ls -l -------------------------------------------------------------- */

void
list_fmt_mode(char *out, mode_t mode)
{
	const char *rwx = "rwxrwxrwx";
	int i;

	switch (mode & S_IFMT) {
	case S_IFDIR:	out[0] = 'd'; break;
	case S_IFLNK:	out[0] = 'l'; break;
	case S_IFCHR:	out[0] = 'c'; break;
	case S_IFBLK:	out[0] = 'b'; break;
	case S_IFIFO:	out[0] = 'p'; break;
	case S_IFSOCK:	out[0] = 's'; break;
	default:	out[0] = '-'; break;
	}
	for (i = 0; i < 9; i++)
		out[i + 1] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[LIST_MODE_LEN] = '\0';
}

/* A user or group column: the name, else the number, left-aligned. */
static void
wr_id(struct wr *w, const char *name, unsigned long id)
{
	char *start = w->p;
	size_t n;

	if (name != NULL) {
		wr_left(w, name, 8);
		return;
	}
	wr_num(w, id, 10, 0, ' ');
	for (n = (size_t)(w->p - start); n < 8; n++)
		wr_chr(w, ' ');
}

/* Longest head of a LIST line: ids are at most IDCACHE_NAMEMAX bytes. */
#define LONG_HEAD_MAX	(2 * IDCACHE_NAMEMAX + 128)

int
list_fmt_long(struct buf *out, const struct stat *st, const char *name,
    const char *target, struct list_clock *c)
{
	size_t oldlen = out->len;
	struct wr w;

	if (wr_begin(&w, out, LONG_HEAD_MAX) == -1)
		return -1;
	list_fmt_mode(w.p, st->st_mode);	/* has room: just reserved */
	w.p += LIST_MODE_LEN;
	wr_chr(&w, ' ');
	wr_num(&w, (unsigned long long)st->st_nlink, 10, 4, ' ');
	wr_chr(&w, ' ');
	wr_id(&w, idcache_user(st->st_uid), (unsigned long)st->st_uid);
	wr_chr(&w, ' ');
	wr_id(&w, idcache_group(st->st_gid), (unsigned long)st->st_gid);
	wr_chr(&w, ' ');
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		wr_num(&w, major(st->st_rdev), 10, 3, ' ');
		wr_str(&w, ", ");
		wr_num(&w, minor(st->st_rdev), 10, 3, ' ');
	} else
		wr_num(&w, (unsigned long long)st->st_size, 10, 8, ' ');
	wr_chr(&w, ' ');
	wr_date(&w, st->st_mtime, c);
	wr_chr(&w, ' ');
	if (wr_commit(&w, out) == -1 || buf_puts(out, name) == -1 ||
	    (target != NULL && (buf_append(out, " -> ", 4) == -1 ||
	    buf_puts(out, target) == -1)) ||
	    buf_append(out, "\r\n", 2) == -1) {
		buf_truncate(out, oldlen);
		return -1;
	}
	return 0;
}

const char *
list_parse_opts(const char *arg, unsigned *opts)
{
	/* ls options that only change the layout, or that we do not do. */
	const char *known = "aAlLRdFhtrSnU1gocuifsTp";
	const char *p, *tok;
	size_t i;

	if (arg == NULL)
		return "";
	p = arg;
	/* Bounded: every pass consumes at least two bytes of arg. */
	for (;;) {
		while (*p == ' ')
			p++;
		if (p[0] != '-' || p[1] == '\0' || p[1] == ' ')
			break;
		if (p[1] == '-' && (p[2] == '\0' || p[2] == ' ')) {
			p += 2;
			while (*p == ' ')
				p++;
			break;
		}
		tok = p + 1;
		for (i = 0; tok[i] != '\0' && tok[i] != ' '; i++)
			if (strchr(known, tok[i]) == NULL)
				return p;	/* "-foo.txt": a name */
		for (i = 0; tok[i] != '\0' && tok[i] != ' '; i++) {
			if (tok[i] == 'a')
				*opts |= LIST_O_ALL;
			else if (tok[i] == 'A')
				*opts |= LIST_O_ALMOST;
			else if (tok[i] == 'd')
				*opts |= LIST_O_DIRSELF;
			else if (tok[i] == 'R')
				*opts |= LIST_O_RECURSE;
		}
		p = tok + i;
	}
	return p;
}

/* ---- sorting ------------------------------------------------------------ */

/* Below this many names, insertion sort. */
#define SORT_SMALL	16

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
name_swap(const char **v, size_t i, size_t j)
{
	const char *t = v[i];

	v[i] = v[j];
	v[j] = t;
}

/* The names in v all agree on their first d bytes. */
static void
sort_small(const char **v, size_t n, size_t d)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(v[j - 1] + d, v[j] + d) > 0; j--)
			name_swap(v, j - 1, j);
}

static unsigned char
median3(unsigned char a, unsigned char b, unsigned char c)
{
	if (a > b) {
		unsigned char t = a;

		a = b;
		b = t;
	}
	return c < a ? a : c > b ? b : c;
}

/*
 * Multikey quicksort (Bentley and Sedgewick): partition on byte d into
 * less, equal and greater; only the equal part goes on to byte d + 1.
 * Names in a directory share long prefixes ("entry-000123.dat"), which
 * strcmp would compare again at every step.  The names in v all agree
 * on their first d bytes.  depth bounds the recursion on the unequal
 * parts (a hostile directory could make them lopsided); past it the
 * names go to qsort, O(n log n) whatever they are.
 */
static void
sort_mkqs(const char **v, size_t n, size_t d, unsigned depth)
{
	size_t lt, i, gt;
	unsigned char p, c;

	/* Bounded: each pass returns or moves one byte further into names
	 * that are NUL-terminated (byte 0 ends the pass). */
	while (n > SORT_SMALL) {
		if (depth == 0) {
			qsort(v, n, sizeof(v[0]), name_cmp);
			return;
		}
		p = median3((unsigned char)v[0][d],
		    (unsigned char)v[n / 2][d], (unsigned char)v[n - 1][d]);
		lt = i = 0;
		gt = n;
		while (i < gt) {
			c = (unsigned char)v[i][d];
			if (c < p)
				name_swap(v, lt++, i++);
			else if (c > p)
				name_swap(v, i, --gt);
			else
				i++;
		}
		sort_mkqs(v, lt, d, depth - 1);
		sort_mkqs(v + gt, n - gt, d, depth - 1);
		if (p == 0)
			return;		/* the equal part: equal names */
		v += lt;
		n = gt - lt;
		d++;
	}
	sort_small(v, n, d);
}

void
list_sort_names(const char **v, size_t n)
{
	unsigned depth = 8;
	size_t m;

	for (m = n; m > 1; m >>= 1)
		depth += 2;
	sort_mkqs(v, n, 0, depth);
}

int
list_put_safe(struct buf *out, const char *name)
{
	size_t oldlen = out->len, i;
	unsigned char *p;

	if (buf_puts(out, name) == -1)
		return -1;
	p = out->data + oldlen;
	for (i = 0; i < out->len - oldlen; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '?';
	return 0;
}

/* ---- MLSx --------------------------------------------------------------- */

static int
in_groups(gid_t gid, const struct list_who *w)
{
	size_t i;

	if (gid == w->gid)
		return 1;
	for (i = 0; i < w->ngroups; i++)
		if (w->groups[i] == gid)
			return 1;
	return 0;
}

/* Would the kernel grant all of want (4 r, 2 w, 1 x) on st to who? */
static int
can(const struct stat *st, const struct list_who *w, unsigned want)
{
	unsigned m;

	if (w->uid == 0)
		return !(want & 1) || S_ISDIR(st->st_mode) ||
		    (st->st_mode & 0111) != 0;
	if (st->st_uid == w->uid)
		m = (st->st_mode >> 6) & 7;
	else if (in_groups(st->st_gid, w))
		m = (st->st_mode >> 3) & 7;
	else
		m = st->st_mode & 7;
	return (m & want) == want;
}

/* May who remove or rename st out of parent? */
static int
can_unlink(const struct stat *st, const struct stat *parent,
    const struct list_who *w)
{
	if (parent == NULL || !can(parent, w, 3))
		return 0;
	if ((parent->st_mode & S_ISVTX) && w->uid != 0 &&
	    w->uid != st->st_uid && w->uid != parent->st_uid)
		return 0;
	return 1;
}

/* The perm letters into p (room for PERM_MAX); returns their count. */
#define PERM_MAX	8
static size_t
perm_letters(char *p, const struct stat *st, const struct stat *parent,
    const struct list_who *w)
{
	size_t n = 0;
	int unl = can_unlink(st, parent, w);

	if (S_ISREG(st->st_mode)) {
		if (can(st, w, 2) && ALLOWED(w, OP_APPEND))
			p[n++] = 'a';
		if (unl && ALLOWED(w, OP_DELETE))
			p[n++] = 'd';
		if (unl && ALLOWED(w, OP_RENAME))
			p[n++] = 'f';
		if (can(st, w, 4) && ALLOWED(w, OP_READ) &&
		    (w->may_read == NULL || w->may_read(w->may_read_arg, st)))
			p[n++] = 'r';
		if (can(st, w, 2) && ALLOWED(w, OP_OVERWRITE))
			p[n++] = 'w';
	} else if (S_ISDIR(st->st_mode)) {
		if (can(st, w, 3) && ALLOWED(w, OP_CREATE))
			p[n++] = 'c';
		if (unl && ALLOWED(w, OP_RMDIR))
			p[n++] = 'd';
		/* CWD needs no verb (an upload-only account enters its
		 * drop box): only the kernel's search permission. */
		if (can(st, w, 1))
			p[n++] = 'e';
		if (unl && ALLOWED(w, OP_RENAME))
			p[n++] = 'f';
		if (can(st, w, 4) && ALLOWED(w, OP_LIST))
			p[n++] = 'l';
		if (can(st, w, 3) && ALLOWED(w, OP_MKDIR))
			p[n++] = 'm';
		if (can(st, w, 3) && ALLOWED(w, OP_DELETE))
			p[n++] = 'p';
	} else {
		if (unl && ALLOWED(w, OP_DELETE))
			p[n++] = 'd';
		if (unl && ALLOWED(w, OP_RENAME))
			p[n++] = 'f';
	}
	return n;
}

int
list_fmt_perm(struct buf *out, const struct stat *st,
    const struct stat *parent, const struct list_who *w)
{
	char p[PERM_MAX];

	return buf_append(out, p, perm_letters(p, st, parent, w));
}

static const char *
fact_type(const struct stat *st, enum list_kind kind)
{
	if (S_ISDIR(st->st_mode) && kind != LK_ENTRY)
		return kind == LK_CDIR ? "cdir" : "pdir";
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:	return "file";
	case S_IFDIR:	return "dir";
	case S_IFLNK:	return "OS.unix=symlink";
	case S_IFCHR:	return "OS.unix=chr";
	case S_IFBLK:	return "OS.unix=blk";
	case S_IFIFO:	return "OS.unix=fifo";
	case S_IFSOCK:	return "OS.unix=socket";
	default:	return "OS.unix=unknown";
	}
}

/* One id fact: the name when known, else the number (under the same
 * fact name: only the facts FEAT lists may appear). */
static void
wr_id_fact(struct wr *w, const char *fact, const char *name,
    unsigned long long id)
{
	wr_str(w, fact);
	if (name != NULL)
		wr_str(w, name);
	else
		wr_num(w, id, 10, 0, '0');
	wr_chr(w, ';');
}

/* The owner and group facts. */
static void
wr_ids(struct wr *w, unsigned facts, const struct stat *st)
{
	if (facts & MLST_F_UNIX_OWNER)
		wr_id_fact(w, "unix.owner=", idcache_user(st->st_uid),
		    (unsigned long long)st->st_uid);
	if (facts & MLST_F_UNIX_GROUP)
		wr_id_fact(w, "unix.group=", idcache_group(st->st_gid),
		    (unsigned long long)st->st_gid);
}

/*
 * May a link's target be written into the type fact?  A fact value holds
 * no space (the space ends the facts, RFC 3659 7.5) and no ';' (it ends a
 * fact); control bytes would garble the line.  Bytes above 0x7f are kept,
 * as they are in names.
 */
static int
fact_value_ok(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= 0x20 || *p == ';' || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * The type fact.  A symbolic link is typed as one, whatever it leads to:
 * "OS.unix=slink:<target>" as in RFC 3659's example (7.7.4), which
 * FileZilla reads as a link (and lftp, which knows only the next form,
 * lists again with LIST and finds the "l" line), else the errata's
 * "OS.unix=symlink".  Typed "dir", a link back up the tree (self -> .)
 * made mirrors descend forty levels.
 */
static void
wr_type(struct wr *w, const struct stat *st, enum list_kind kind,
    const char *link)
{
	wr_str(w, "type=");
	if (link != NULL && fact_value_ok(link)) {
		wr_str(w, "OS.unix=slink:");
		wr_str(w, link);
	} else if (link != NULL)
		wr_str(w, "OS.unix=symlink");
	else
		wr_str(w, fact_type(st, kind));
	wr_chr(w, ';');
}

static void
wr_facts(struct wr *w, unsigned facts, const struct stat *st,
    enum list_kind kind, const struct stat *parent,
    const struct list_who *who, const char *link)
{
	char perm[PERM_MAX];
	struct wr save;

	if (facts & MLST_F_TYPE)
		wr_type(w, st, kind, link);
	if ((facts & MLST_F_SIZE) && S_ISREG(st->st_mode)) {
		wr_str(w, "size=");
		wr_num(w, (unsigned long long)st->st_size, 10, 0, '0');
		wr_chr(w, ';');
	}
	if (facts & MLST_F_MODIFY) {
		save = *w;
		wr_str(w, "modify=");
		if (wr_mtime(w, st->st_mtime) == -1)
			*w = save;	/* no such date: leave the fact out */
		else
			wr_chr(w, ';');
	}
	if (facts & MLST_F_PERM) {
		wr_str(w, "perm=");
		wr_mem(w, perm, perm_letters(perm, st,
		    kind == LK_ENTRY ? parent : NULL, who));
		wr_chr(w, ';');
	}
	if (facts & MLST_F_UNIQUE) {
		wr_str(w, "unique=");
		wr_num(w, (unsigned long long)st->st_dev, 16, 0, '0');
		wr_chr(w, ':');
		wr_num(w, (unsigned long long)st->st_ino, 16, 0, '0');
		wr_chr(w, ';');
	}
	if (facts & MLST_F_UNIX_MODE) {
		wr_str(w, "unix.mode=");
		wr_num(w, st->st_mode & 07777, 8, 4, '0');
		wr_chr(w, ';');
	}
	wr_ids(w, facts, st);
}

/* Longest facts part: names are at most IDCACHE_NAMEMAX bytes each. */
#define FACTS_MAX	(2 * IDCACHE_NAMEMAX + 320)

int
list_fmt_facts(struct buf *out, unsigned facts, const struct stat *st,
    enum list_kind kind, const struct stat *parent,
    const struct list_who *who, const char *link, const char *name)
{
	size_t oldlen = out->len;
	struct wr w;

	if (wr_begin(&w, out, FACTS_MAX + (link != NULL ? strlen(link) : 0))
	    == -1)
		return -1;
	wr_facts(&w, facts, st, kind, parent, who, link);
	wr_chr(&w, ' ');
	if (wr_commit(&w, out) == -1 || buf_puts(out, name) == -1 ||
	    buf_append(out, "\r\n", 2) == -1) {
		buf_truncate(out, oldlen);
		return -1;
	}
	return 0;
}

/* ---- OPTS MLST and FEAT ------------------------------------------------- */

unsigned
list_mlst_facts(const struct session *s)
{
	if (s->mlst_facts & MLST_F_CHOSEN)
		return s->mlst_facts & MLST_F_ALL;
	return MLST_F_DEFAULT;
}

int
list_opts_mlst(struct session *s, const char *facts, struct buf *reply_text)
{
	unsigned set = 0;
	const char *p, *end;
	size_t i, n;

	if (facts == NULL)
		facts = "";
	for (p = facts; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    p - facts > 1024)
			return -1;
	/* Bounded: each pass consumes one token and its ';'. */
	for (p = facts; *p != '\0'; p = *end == ';' ? end + 1 : end) {
		while (*p == ' ')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		for (i = 0; i < NFACTS; i++)
			if (strlen(fact_names[i].name) == n &&
			    strncasecmp(fact_names[i].name, p, n) == 0)
				set |= fact_names[i].bit;
	}
	s->mlst_facts = set | MLST_F_CHOSEN;
	buf_reset(reply_text);
	if (buf_puts(reply_text, "MLST OPTS") == -1)
		return -1;
	for (i = 0; i < NFACTS_SHOWN; i++) {
		if (!(set & fact_names[i].bit))
			continue;
		if (buf_puts(reply_text, set & (fact_names[i].bit - 1) ?
		    "" : " ") == -1 ||
		    buf_appendf(reply_text, "%s;", fact_names[i].name) == -1)
			return -1;
	}
	return 0;
}

int
list_feat_mlst(const struct session *s, struct buf *out)
{
	unsigned set = list_mlst_facts(s);
	size_t i;

	for (i = 0; i < NFACTS_SHOWN; i++)
		if (buf_appendf(out, "%s%s;", fact_names[i].name,
		    (set & fact_names[i].bit) ? "*" : "") == -1)
			return -1;
	return 0;
}
