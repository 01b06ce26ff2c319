/*
 * test_list.c - the pure listing formatters (list_format.c) and idcache.
 *
 * Dates are formatted in UTC (list_clock utc = 1) so the expected strings
 * do not depend on the machine's time zone.  "now" is 1700000000,
 * 2023-11-14 22:13:20 UTC.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/buf.h"
#include "common/path.h"
#include "user/idcache.h"
#include "user/list.h"
#include "user/policy.h"
#include "session.h"

#define NOW	((time_t)1700000000)

static struct stat
mkst(mode_t mode, uid_t uid, gid_t gid, off_t size, time_t mtime)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_gid = gid;
	st.st_size = size;
	st.st_mtime = mtime;
	st.st_nlink = S_ISDIR(mode) ? 2 : 1;
	st.st_dev = 0x803;
	st.st_ino = 0x1a2b;
	return st;
}

static void
names(void)
{
	idcache_free();
	ck_assert_int_eq(idcache_add_user(1000, "alice"), 0);
	ck_assert_int_eq(idcache_add_user(0, "root"), 0);
	ck_assert_int_eq(idcache_add_group(100, "users"), 0);
	ck_assert_int_eq(idcache_add_group(0, "root"), 0);
}

static const char *
mode_str(mode_t m, char *out)
{
	list_fmt_mode(out, m);
	return out;
}

START_TEST(t_mode)
{
	char b[LIST_MODE_LEN + 1];

	ck_assert_str_eq(mode_str(S_IFDIR | 0755, b), "drwxr-xr-x");
	ck_assert_str_eq(mode_str(S_IFREG | 0644, b), "-rw-r--r--");
	ck_assert_str_eq(mode_str(S_IFREG | 04755, b), "-rwsr-xr-x");
	ck_assert_str_eq(mode_str(S_IFREG | 04644, b), "-rwSr--r--");
	ck_assert_str_eq(mode_str(S_IFREG | 02755, b), "-rwxr-sr-x");
	ck_assert_str_eq(mode_str(S_IFREG | 02644, b), "-rw-r-Sr--");
	ck_assert_str_eq(mode_str(S_IFDIR | 01777, b), "drwxrwxrwt");
	ck_assert_str_eq(mode_str(S_IFDIR | 01776, b), "drwxrwxrwT");
	ck_assert_str_eq(mode_str(S_IFLNK | 0777, b), "lrwxrwxrwx");
	ck_assert_str_eq(mode_str(S_IFCHR | 0620, b), "crw--w----");
	ck_assert_str_eq(mode_str(S_IFBLK | 0660, b), "brw-rw----");
	ck_assert_str_eq(mode_str(S_IFIFO | 0600, b), "prw-------");
	ck_assert_str_eq(mode_str(S_IFSOCK | 0777, b), "srwxrwxrwx");
	ck_assert_str_eq(mode_str(S_IFREG | 0, b), "----------");
}
END_TEST

static const char *
date_str(time_t t, struct list_clock *c, char *out)
{
	list_fmt_date(out, LIST_DATE_LEN + 1, t, c);
	ck_assert_uint_eq(strlen(out), LIST_DATE_LEN);
	return out;
}

START_TEST(t_date)
{
	struct list_clock c;
	char b[LIST_DATE_LEN + 1];

	list_clock_init(&c, NOW, 1);
	ck_assert_str_eq(date_str(NOW, &c, b), "Nov 14 22:13");
	ck_assert_str_eq(date_str(NOW - 3600, &c, b), "Nov 14 21:13");
	ck_assert_str_eq(date_str(1699142400, &c, b), "Nov  5 00:00");
	ck_assert_str_eq(date_str(951782400, &c, b), "Feb 29  2000");
	ck_assert_str_eq(date_str(0, &c, b), "Jan  1  1970");
}
END_TEST

START_TEST(t_date_boundaries)
{
	struct list_clock c;
	char b[LIST_DATE_LEN + 1];

	list_clock_init(&c, NOW, 1);
	/* Exactly six months old is old; one second younger is recent. */
	ck_assert_str_eq(date_str(NOW - LIST_SIX_MONTHS, &c, b),
	    "May 16  2023");
	ck_assert_str_eq(date_str(NOW - LIST_SIX_MONTHS + 1, &c, b),
	    "May 16 07:18");
	/* Up to an hour in the future still shows the time. */
	ck_assert_str_eq(date_str(NOW + 3600, &c, b), "Nov 14 23:13");
	ck_assert_str_eq(date_str(NOW + 3601, &c, b), "Nov 14  2023");
}
END_TEST

START_TEST(t_date_cache)
{
	struct list_clock c;
	char b[LIST_DATE_LEN + 1];

	list_clock_init(&c, NOW, 1);
	/* Same hour (cached), then the next hour, then back. */
	ck_assert_str_eq(date_str(NOW, &c, b), "Nov 14 22:13");
	ck_assert_str_eq(date_str(NOW + 39, &c, b), "Nov 14 22:13");
	ck_assert_str_eq(date_str(NOW + 40, &c, b), "Nov 14 22:14");
	ck_assert_str_eq(date_str(NOW + 46 * 60 + 39, &c, b), "Nov 14 22:59");
	ck_assert_str_eq(date_str(NOW + 46 * 60 + 40, &c, b), "Nov 14 23:00");
	ck_assert_str_eq(date_str(NOW - 801, &c, b), "Nov 14 21:59");
	ck_assert_str_eq(date_str(NOW - 800, &c, b), "Nov 14 22:00");
}
END_TEST

START_TEST(t_mtime)
{
	char b[LIST_MTIME_LEN + 1];

	ck_assert_int_eq(list_fmt_mtime(b, sizeof(b), 0), 0);
	ck_assert_str_eq(b, "19700101000000");
	ck_assert_int_eq(list_fmt_mtime(b, sizeof(b), NOW), 0);
	ck_assert_str_eq(b, "20231114221320");
	ck_assert_int_eq(list_fmt_mtime(b, sizeof(b), 951782400), 0);
	ck_assert_str_eq(b, "20000229000000");
	ck_assert_int_eq(list_fmt_mtime(b, sizeof(b), -1), 0);
	ck_assert_str_eq(b, "19691231235959");
	ck_assert_int_eq(list_fmt_mtime(b, sizeof(b), (time_t)253402300800),
	    -1);
}
END_TEST

START_TEST(t_long)
{
	struct list_clock c;
	struct stat st;
	struct buf b;

	names();
	list_clock_init(&c, NOW, 1);
	buf_init(&b, 4096);
	st = mkst(S_IFDIR | 0755, 1000, 100, 4096, NOW - 3600);
	ck_assert_int_eq(list_fmt_long(&b, &st, "pub", NULL, &c), 0);
	ck_assert_str_eq(buf_cstr(&b), "drwxr-xr-x    2 alice    users   "
	    "     4096 Nov 14 21:13 pub\r\n");
	buf_reset(&b);
	st = mkst(S_IFREG | 0644, 4242, 4343, 123456789012LL, 951782400);
	ck_assert_int_eq(list_fmt_long(&b, &st, "big file", NULL, &c), 0);
	ck_assert_str_eq(buf_cstr(&b), "-rw-r--r--    1 4242     4343    "
	    " 123456789012 Feb 29  2000 big file\r\n");
	buf_reset(&b);
	st = mkst(S_IFLNK | 0777, 0, 0, 7, NOW);
	ck_assert_int_eq(list_fmt_long(&b, &st, "ln", "target", &c), 0);
	ck_assert_str_eq(buf_cstr(&b), "lrwxrwxrwx    1 root     root    "
	    "        7 Nov 14 22:13 ln -> target\r\n");
	buf_reset(&b);
	st = mkst(S_IFCHR | 0666, 0, 0, 0, NOW);
	st.st_rdev = makedev(1, 3);
	ck_assert_int_eq(list_fmt_long(&b, &st, "null", NULL, &c), 0);
	ck_assert_str_eq(buf_cstr(&b), "crw-rw-rw-    1 root     root    "
	    "   1,   3 Nov 14 22:13 null\r\n");
	buf_free(&b);
}
END_TEST

START_TEST(t_long_full)
{
	struct list_clock c;
	struct stat st;
	struct buf b;

	list_clock_init(&c, NOW, 1);
	buf_init(&b, 40);
	ck_assert_int_eq(buf_puts(&b, "x"), 0);
	st = mkst(S_IFREG | 0644, 1, 1, 1, NOW);
	ck_assert_int_eq(list_fmt_long(&b, &st, "name", NULL, &c), -1);
	ck_assert_str_eq(buf_cstr(&b), "x");
	buf_free(&b);
}
END_TEST

START_TEST(t_opts)
{
	unsigned o;

	o = 0;
	ck_assert_str_eq(list_parse_opts(NULL, &o), "");
	o = 0;
	ck_assert_str_eq(list_parse_opts("-la /x y", &o), "/x y");
	ck_assert_uint_eq(o, LIST_O_ALL);
	o = 0;
	ck_assert_str_eq(list_parse_opts("-A", &o), "");
	ck_assert_uint_eq(o, LIST_O_ALMOST);
	o = 0;
	ck_assert_str_eq(list_parse_opts("-l", &o), "");
	ck_assert_uint_eq(o, 0);
	o = 0;
	ck_assert_str_eq(list_parse_opts("-l -a dir", &o), "dir");
	ck_assert_uint_eq(o, LIST_O_ALL);
	o = 0;
	ck_assert_str_eq(list_parse_opts("/dir", &o), "/dir");
	ck_assert_str_eq(list_parse_opts("-foo.txt", &o), "-foo.txt");
	ck_assert_str_eq(list_parse_opts("-- -l", &o), "-l");
	ck_assert_str_eq(list_parse_opts("-", &o), "-");
}
END_TEST

/* A read-only anonymous session: READ and LIST only. */
static struct list_who
anon_who(void)
{
	struct list_who w;

	memset(&w, 0, sizeof(w));
	w.uid = 1001;
	w.gid = 1001;
	w.allow = (1u << OP_READ) | (1u << OP_LIST);
	return w;
}

static struct list_who
user_who(void)
{
	struct list_who w = anon_who();
	int op;

	w.uid = 1000;
	w.gid = 100;
	for (op = OP_READ; op <= OP_MFMT; op++)
		w.allow |= 1u << op;
	return w;
}

static const char *
perm_str(struct buf *b, const struct stat *st, const struct stat *parent,
    const struct list_who *w)
{
	buf_reset(b);
	ck_assert_int_eq(list_fmt_perm(b, st, parent, w), 0);
	return buf_cstr(b);
}

START_TEST(t_perm_anon)
{
	struct list_who w = anon_who();
	struct stat f, d, pub, priv;
	struct buf b;

	buf_init(&b, 64);
	f = mkst(S_IFREG | 0644, 0, 0, 1, NOW);
	d = mkst(S_IFDIR | 0755, 0, 0, 1, NOW);
	pub = mkst(S_IFDIR | 0777, 0, 0, 1, NOW);
	priv = mkst(S_IFREG | 0600, 0, 0, 1, NOW);
	ck_assert_str_eq(perm_str(&b, &f, &pub, &w), "r");
	ck_assert_str_eq(perm_str(&b, &d, &pub, &w), "el");
	ck_assert_str_eq(perm_str(&b, &pub, &pub, &w), "el");
	ck_assert_str_eq(perm_str(&b, &priv, &pub, &w), "");
	/* anon_upload: create, nothing else. */
	w.allow |= 1u << OP_CREATE;
	ck_assert_str_eq(perm_str(&b, &pub, &d, &w), "cel");
	ck_assert_str_eq(perm_str(&b, &d, &d, &w), "el");
	ck_assert_str_eq(perm_str(&b, &f, &pub, &w), "r");
	buf_free(&b);
}
END_TEST

static int
deny_read(void *arg, const struct stat *st)
{
	(void)arg;
	(void)st;
	return 0;
}

START_TEST(t_perm_user)
{
	struct list_who w = user_who();
	gid_t grp[1] = { 50 };
	struct stat f, d, home, sticky, g;
	struct buf b;

	buf_init(&b, 64);
	f = mkst(S_IFREG | 0644, 1000, 100, 1, NOW);
	d = mkst(S_IFDIR | 0755, 1000, 100, 1, NOW);
	home = mkst(S_IFDIR | 0755, 1000, 100, 1, NOW);
	ck_assert_str_eq(perm_str(&b, &f, &home, &w), "adfrw");
	ck_assert_str_eq(perm_str(&b, &d, &home, &w), "cdeflmp");
	/* Without the parent, d and f are unknown and left out. */
	ck_assert_str_eq(perm_str(&b, &f, NULL, &w), "arw");
	/* Someone else's file in a sticky /tmp. */
	sticky = mkst(S_IFDIR | 01777, 0, 0, 1, NOW);
	f = mkst(S_IFREG | 0644, 2000, 2000, 1, NOW);
	ck_assert_str_eq(perm_str(&b, &f, &sticky, &w), "r");
	f.st_uid = 1000;
	ck_assert_str_eq(perm_str(&b, &f, &sticky, &w), "adfrw");
	/* Group access through a supplementary group. */
	g = mkst(S_IFREG | 0640, 0, 50, 1, NOW);
	ck_assert_str_eq(perm_str(&b, &g, NULL, &w), "");
	w.groups = grp;
	w.ngroups = 1;
	ck_assert_str_eq(perm_str(&b, &g, NULL, &w), "r");
	/* The owner's bits apply to the owner even if group bits allow more. */
	g = mkst(S_IFREG | 0070, 1000, 50, 1, NOW);
	ck_assert_str_eq(perm_str(&b, &g, NULL, &w), "");
	/* policy_may_read can veto downloads. */
	w.may_read = deny_read;
	f = mkst(S_IFREG | 0644, 1000, 100, 1, NOW);
	ck_assert_str_eq(perm_str(&b, &f, NULL, &w), "aw");
	/* write_enable = no: READ and LIST only. */
	w.allow = (1u << OP_READ) | (1u << OP_LIST);
	w.may_read = NULL;
	ck_assert_str_eq(perm_str(&b, &d, &home, &w), "el");
	buf_free(&b);
}
END_TEST

static const char *
facts_link(struct buf *b, unsigned facts, const struct stat *st,
    enum list_kind kind, const struct list_who *w, const char *link,
    const char *name)
{
	buf_reset(b);
	ck_assert_int_eq(list_fmt_facts(b, facts, st, kind, NULL, w, link,
	    name), 0);
	return buf_cstr(b);
}

static const char *
facts_str(struct buf *b, unsigned facts, const struct stat *st,
    enum list_kind kind, const struct list_who *w, const char *name)
{
	return facts_link(b, facts, st, kind, w, NULL, name);
}

START_TEST(t_facts_each)
{
	struct list_who w = anon_who();
	struct stat f, d, l;
	struct buf b;

	names();
	buf_init(&b, 8192);
	f = mkst(S_IFREG | 0644, 1000, 100, 42, NOW);
	d = mkst(S_IFDIR | 0755, 4242, 4343, 4096, NOW);
	l = mkst(S_IFLNK | 0777, 0, 0, 4, NOW);
	ck_assert_str_eq(facts_str(&b, MLST_F_TYPE, &f, LK_ENTRY, &w, "a"),
	    "type=file; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_TYPE, &d, LK_ENTRY, &w, "d"),
	    "type=dir; d\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_TYPE, &d, LK_CDIR, &w, "."),
	    "type=cdir; .\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_TYPE, &d, LK_PDIR, &w, ".."),
	    "type=pdir; ..\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_TYPE, &l, LK_ENTRY, &w, "l"),
	    "type=OS.unix=symlink; l\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_SIZE, &f, LK_ENTRY, &w, "a"),
	    "size=42; a\r\n");
	/* No size for directories. */
	ck_assert_str_eq(facts_str(&b, MLST_F_SIZE, &d, LK_ENTRY, &w, "d"),
	    " d\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_MODIFY, &f, LK_ENTRY, &w, "a"),
	    "modify=20231114221320; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_PERM, &f, LK_ENTRY, &w, "a"),
	    "perm=r; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_UNIQUE, &f, LK_ENTRY, &w, "a"),
	    "unique=803:1a2b; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_UNIX_MODE, &f, LK_ENTRY, &w,
	    "a"), "unix.mode=0644; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_UNIX_OWNER, &f, LK_ENTRY, &w,
	    "a"), "unix.owner=alice; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_UNIX_OWNER, &d, LK_ENTRY, &w,
	    "d"), "unix.owner=4242; d\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_UNIX_GROUP, &f, LK_ENTRY, &w,
	    "a"), "unix.group=users; a\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_UNIX_GROUP, &d, LK_ENTRY, &w,
	    "d"), "unix.group=4343; d\r\n");
	ck_assert_str_eq(facts_str(&b, 0, &f, LK_ENTRY, &w, "a b"),
	    " a b\r\n");
	/* A symbolic link is typed as one (whatever st it is given: the
	 * target's when it resolves). */
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &d, LK_ENTRY, &w, ".",
	    "self"), "type=OS.unix=slink:.; self\r\n");
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE | MLST_F_SIZE, &f,
	    LK_ENTRY, &w, "../pub/f=1.txt", "f"),
	    "type=OS.unix=slink:../pub/f=1.txt;size=42; f\r\n");
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &l, LK_ENTRY, &w,
	    "/gone", "dangling"), "type=OS.unix=slink:/gone; dangling\r\n");
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &d, LK_ENTRY, &w,
	    "d\xc3\xa9j\xc3\xa0", "u"),
	    "type=OS.unix=slink:d\xc3\xa9j\xc3\xa0; u\r\n");
	/* Targets that cannot be a fact value. */
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &d, LK_ENTRY, &w,
	    "a b", "s"), "type=OS.unix=symlink; s\r\n");
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &d, LK_ENTRY, &w,
	    "a;b", "s"), "type=OS.unix=symlink; s\r\n");
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &d, LK_ENTRY, &w,
	    "a\tb", "s"), "type=OS.unix=symlink; s\r\n");
	ck_assert_str_eq(facts_link(&b, MLST_F_TYPE, &l, LK_ENTRY, &w, "",
	    "s"), "type=OS.unix=symlink; s\r\n");
	/* A target as long as a path may be still fits the line. */
	{
		char t[PATH_MAXLEN + 1];

		memset(t, 'x', PATH_MAXLEN);
		t[PATH_MAXLEN] = '\0';
		buf_reset(&b);
		ck_assert_int_eq(list_fmt_facts(&b, MLST_F_DEFAULT, &f,
		    LK_ENTRY, NULL, &w, t, "long"), 0);
		ck_assert(strstr(buf_cstr(&b), t) != NULL);
	}
	buf_free(&b);
}
END_TEST

START_TEST(t_facts_all)
{
	struct list_who w = anon_who();
	struct stat f, d;
	struct buf b;

	names();
	buf_init(&b, 1024);
	f = mkst(S_IFREG | 04755, 1000, 100, 42, NOW);
	d = mkst(S_IFDIR | 0755, 0, 0, 4096, 951782400);
	ck_assert_str_eq(facts_str(&b, MLST_F_DEFAULT, &f, LK_ENTRY, &w,
	    "run me"), "type=file;size=42;modify=20231114221320;perm=r;"
	    "unique=803:1a2b;unix.mode=4755;unix.owner=alice;"
	    "unix.group=users; run me\r\n");
	ck_assert_str_eq(facts_str(&b, MLST_F_DEFAULT, &d, LK_CDIR, &w, "."),
	    "type=cdir;modify=20000229000000;perm=el;unique=803:1a2b;"
	    "unix.mode=0755;unix.owner=root;unix.group=root; .\r\n");
	buf_free(&b);
}
END_TEST

START_TEST(t_opts_mlst)
{
	struct session s;
	struct list_who w = anon_who();
	struct stat f;
	struct buf r, b;

	memset(&s, 0, sizeof(s));
	buf_init(&r, 256);
	buf_init(&b, 1024);
	f = mkst(S_IFREG | 0644, 4242, 4343, 42, NOW);
	ck_assert_uint_eq(list_mlst_facts(&s), MLST_F_DEFAULT);
	ck_assert_int_eq(list_opts_mlst(&s, "type;size;", &r), 0);
	ck_assert_str_eq(buf_cstr(&r), "MLST OPTS type;size;");
	ck_assert_uint_eq(list_mlst_facts(&s), MLST_F_TYPE | MLST_F_SIZE);
	ck_assert_str_eq(facts_str(&b, list_mlst_facts(&s), &f, LK_ENTRY,
	    &w, "x"), "type=file;size=42; x\r\n");
	/* Case-insensitive, unknown facts ignored, order canonical. */
	ck_assert_int_eq(list_opts_mlst(&s, "UNIX.mode;bogus;Type;perm", &r),
	    0);
	ck_assert_str_eq(buf_cstr(&r), "MLST OPTS type;perm;unix.mode;");
	ck_assert_str_eq(facts_str(&b, list_mlst_facts(&s), &f, LK_ENTRY,
	    &w, "x"), "type=file;perm=r;unix.mode=0644; x\r\n");
	/* Aliases. */
	ck_assert_int_eq(list_opts_mlst(&s, "unix.uid;unix.gid;", &r), 0);
	ck_assert_str_eq(buf_cstr(&r), "MLST OPTS unix.owner;unix.group;");
	/* Nothing: every fact off. */
	ck_assert_int_eq(list_opts_mlst(&s, NULL, &r), 0);
	ck_assert_str_eq(buf_cstr(&r), "MLST OPTS");
	ck_assert_uint_eq(list_mlst_facts(&s), 0);
	ck_assert_str_eq(facts_str(&b, list_mlst_facts(&s), &f, LK_ENTRY,
	    &w, "x"), " x\r\n");
	buf_reset(&r);
	ck_assert_int_eq(list_feat_mlst(&s, &r), 0);
	ck_assert_str_eq(buf_cstr(&r), "type;size;modify;perm;unique;"
	    "unix.mode;unix.owner;unix.group;");
	/* Control characters: refused, setting unchanged. */
	ck_assert_int_eq(list_opts_mlst(&s, "type;\r", &r), -1);
	ck_assert_uint_eq(list_mlst_facts(&s), 0);
	memset(&s, 0, sizeof(s));
	buf_reset(&r);
	ck_assert_int_eq(list_feat_mlst(&s, &r), 0);
	ck_assert_str_eq(buf_cstr(&r), &LIST_FEAT_MLST[5]);
	buf_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(t_safe)
{
	struct buf b;

	buf_init(&b, 64);
	ck_assert_int_eq(list_put_safe(&b, "a\r\nb\x7f" "c\td"), 0);
	ck_assert_str_eq(buf_cstr(&b), "a??b?c?d");
	buf_free(&b);
}
END_TEST

START_TEST(t_idcache)
{
	idcache_free();
	ck_assert_ptr_null(idcache_user(0));
	ck_assert_int_eq(idcache_add_user(7, "seven"), 0);
	ck_assert_int_eq(idcache_add_user(3, "three"), 0);
	ck_assert_int_eq(idcache_add_user(5, "five"), 0);
	ck_assert_int_eq(idcache_add_user(5, "again"), -1);
	ck_assert_int_eq(idcache_add_user(9, "has space"), -1);
	ck_assert_int_eq(idcache_add_user(9, "semi;colon"), -1);
	ck_assert_int_eq(idcache_add_user(9, ""), -1);
	ck_assert_str_eq(idcache_user(3), "three");
	ck_assert_str_eq(idcache_user(5), "five");
	ck_assert_str_eq(idcache_user(7), "seven");
	ck_assert_ptr_null(idcache_user(4));
	ck_assert_ptr_null(idcache_group(3));
	/* The system's own maps: root is uid 0 everywhere. */
	ck_assert_uint_gt(idcache_load(), 0);
	ck_assert_str_eq(idcache_user(0), "root");
	ck_assert(idcache_user(7) == NULL ||
	    strcmp(idcache_user(7), "seven") != 0);
	idcache_free();
	ck_assert_ptr_null(idcache_user(0));
}
END_TEST

/* The i-th id of t_idcache_many: consecutive, multiples of 2^16, and
 * spaced by 4096 from the top of the range. */
static unsigned long
many_id(unsigned long i)
{
	if (i < 1000)
		return i + 1;
	if (i < 2000)
		return (i - 999) << 16;
	return 4294967295UL - (i - 2000) * 4096;
}

START_TEST(t_idcache_many)
{
	char name[32];
	unsigned long i, bad = 0;
	const char *got;

	idcache_free();
	for (i = 0; i < 3000; i++) {
		(void)snprintf(name, sizeof(name), "u%lu", many_id(i));
		ck_assert_int_eq(idcache_add_user((uid_t)many_id(i), name), 0);
	}
	for (i = 0; i < 3000; i++) {
		(void)snprintf(name, sizeof(name), "u%lu", many_id(i));
		got = idcache_user((uid_t)many_id(i));
		bad += got == NULL || strcmp(got, name) != 0;
		/* Neighbours that were never added. */
		if (i >= 1000)
			bad += idcache_user((uid_t)(many_id(i) - 1)) != NULL;
		bad += idcache_user((uid_t)(i + 1001)) != NULL;
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_ptr_null(idcache_user(0));
	ck_assert_ptr_null(idcache_group(1));
	idcache_free();
	ck_assert_ptr_null(idcache_user(1));
}
END_TEST

/* ---- list_sort_names: byte order, against qsort + strcmp ---------------- */

static int
ref_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort v with list_sort_names and check it against the reference. */
static void
sort_check(const char **v, size_t n)
{
	const char **ref = calloc(n + 1, sizeof(*ref));
	size_t i;

	ck_assert_ptr_nonnull(ref);
	memcpy(ref, v, n * sizeof(*v));
	qsort(ref, n, sizeof(*ref), ref_cmp);
	list_sort_names(v, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(strcmp(v[i], ref[i]) == 0, "at %zu: %s, want %s",
		    i, v[i], ref[i]);
	free(ref);
}

START_TEST(t_sort_fixed)
{
	const char *v[] = { "b", "a", "..", ".", "B", "_z", "~q", "!e", "#x",
	    "-y", "\xc3\xa9t\xc3\xa9", "a.txt", "ab", "a", "Zed", "z", "10",
	    "9", ".h", "\x7f", "\xff" };
	const char *want[] = { "!e", "#x", "-y", ".", "..", ".h", "10", "9",
	    "B", "Zed", "_z", "a", "a", "a.txt", "ab", "b", "z", "~q", "\x7f",
	    "\xc3\xa9t\xc3\xa9", "\xff" };
	size_t i, n = sizeof(v) / sizeof(v[0]);

	list_sort_names(v, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(v[i], want[i]);
	list_sort_names(v, 0);
	list_sort_names(v, 1);
	ck_assert_str_eq(v[0], "!e");
}
END_TEST

/* Random names over a small alphabet: shared prefixes, duplicates, bytes
 * above 0x7f, lengths 0 to 40; sizes around the insertion-sort cutoff. */
START_TEST(t_sort_random)
{
	static const char alpha[] = "ab0.\xff";
	static const size_t sizes[] = { 2, 15, 16, 17, 33, 100, 5000 };
	unsigned long x = 12345;
	char *pool, *at;
	const char **v;
	size_t k, i, len, j;

	pool = malloc(5000 * 48);
	v = calloc(5000, sizeof(*v));
	ck_assert(pool != NULL && v != NULL);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		at = pool;
		for (i = 0; i < sizes[k]; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			len = (x >> 33) % 41;
			for (j = 0; j < len; j++) {
				x = x * 6364136223846793005UL + 1;
				at[j] = alpha[(x >> 40) % (sizeof(alpha) - 1)];
			}
			at[len] = '\0';
			v[i] = at;
			at += len + 1;
		}
		sort_check(v, sizes[k]);
	}
	free(v);
	free(pool);
}
END_TEST

/* Orders that hurt quicksorts: sorted, reversed, all equal, long common
 * prefixes (the deep byte loop), and the names of a big directory. */
START_TEST(t_sort_shapes)
{
	enum { N = 20000 };
	char *pool = malloc((size_t)N * 240);
	const char **v = calloc(N, sizeof(*v));
	size_t i;

	ck_assert(pool != NULL && v != NULL);
	for (i = 0; i < N; i++) {
		snprintf(pool + i * 240, 240, "entry-%06zu.dat", i);
		v[i] = pool + i * 240;
	}
	sort_check(v, N);			/* already sorted */
	for (i = 0; i < N; i++)
		v[i] = pool + (N - 1 - i) * 240;
	sort_check(v, N);			/* reversed */
	for (i = 0; i < N; i++)
		v[i] = pool + (i % 2 ? i : N - 1 - i) * 240;
	sort_check(v, N);			/* interleaved */
	for (i = 0; i < N; i++)
		v[i] = "same";
	sort_check(v, N);
	for (i = 0; i < N; i++) {
		memset(pool + i * 240, 'p', 200);
		snprintf(pool + i * 240 + 200, 40, "%zu", (i * 7919) % N);
		v[i] = pool + i * 240;
	}
	sort_check(v, N);			/* 200-byte common prefix */
	free(v);
	free(pool);
}
END_TEST

static Suite *
list_suite(void)
{
	Suite *s = suite_create("list");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, t_mode);
	tcase_add_test(tc, t_date);
	tcase_add_test(tc, t_date_boundaries);
	tcase_add_test(tc, t_date_cache);
	tcase_add_test(tc, t_mtime);
	tcase_add_test(tc, t_long);
	tcase_add_test(tc, t_long_full);
	tcase_add_test(tc, t_opts);
	tcase_add_test(tc, t_perm_anon);
	tcase_add_test(tc, t_perm_user);
	tcase_add_test(tc, t_facts_each);
	tcase_add_test(tc, t_facts_all);
	tcase_add_test(tc, t_opts_mlst);
	tcase_add_test(tc, t_safe);
	tcase_add_test(tc, t_idcache);
	tcase_add_test(tc, t_idcache_many);
	tcase_add_test(tc, t_sort_fixed);
	tcase_add_test(tc, t_sort_random);
	tcase_add_test(tc, t_sort_shapes);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(list_suite)
