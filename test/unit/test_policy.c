/*
 * test_policy.c - path confinement (policy.c) and the directory and file
 * commands (cmd_dir.c, cmd_file.c) against a real tree under /tmp.
 *
 * The tree is planted with hostile symlinks (to /etc, /etc/passwd, "../..",
 * a relative link climbing out, a loop, a dangling absolute link) and a
 * secret file just outside the root.  Every resolution test runs twice:
 * through openat2 and through the fallback component walk.  Replies are
 * read back from a socketpair standing in for the control connection.
 *
 * Built with -DUNIT_PRIVATE the file also carries stand-ins for reply(),
 * ctl_quote_path() and cfg, so it can be linked with policy.o, cmd_dir.o
 * and cmd_file.o alone while the rest of ftpd is being written.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "common/buf.h"
#include "common/path.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cmd/ctl.h"
#include "user/policy.h"
#include "session.h"

#ifdef UNIT_PRIVATE
const struct ftpd_config *cfg;

void
reply(struct session *s, int code, const char *fmt, ...)
{
	char text[8192], line[8300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "%03d %s\r\n", code, text);
	if (n > 0 && write(s->ctl_fd, line, (size_t)n) != n)
		s->quit = 1;
}

int
ctl_quote_path(struct buf *out, const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == '"' && buf_putc(out, '"') == -1)
			return -1;
		if (buf_putc(out, *p == '\r' || *p == '\n' ? '?' : *p) == -1)
			return -1;
	}
	return 0;
}
#endif

static char top[64];		/* /tmp/ftpdpol.XXXXXX */
static char root[96];		/* top/root: the session root */
static struct ftpd_config tcfg;
static const struct ftpd_config *saved_cfg;
static struct session S;
static int peer = -1;		/* our end of the control socketpair */

static void
mkpath(char *out, size_t len, const char *rel)
{
	ck_assert_int_lt(snprintf(out, len, "%s/%s", root, rel), (int)len);
}

static void
plant_file(const char *rel, const char *content)
{
	char p[PATH_MAX];
	int fd;

	mkpath(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
}

static void
plant_link(const char *target, const char *rel)
{
	char p[PATH_MAX];

	mkpath(p, sizeof(p), rel);
	ck_assert_int_eq(symlink(target, p), 0);
}

static void
plant_dir(const char *rel)
{
	char p[PATH_MAX];

	mkpath(p, sizeof(p), rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void
setup(void)
{
	char p[PATH_MAX];
	int sv[2], fd;

	ck_assert_int_lt(snprintf(top, sizeof(top), "/tmp/ftpdpol.XXXXXX"),
	    (int)sizeof(top));
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(root, sizeof(root), "%s/root", top);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/secret", top);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);

	plant_file("file.txt", "a\nb\nc\n");
	plant_dir("sub");
	plant_dir("sub/deep");
	plant_dir("empty");
	plant_file("sub/inner.txt", "inner");
	plant_link("/etc", "link_to_etc");
	plant_link("/etc/passwd", "link_passwd");
	plant_link("../../..", "link_up");
	plant_link("../secret", "link_secret");
	plant_link("../../../../../../etc", "sub/rel_escape");
	plant_link("../../secret", "sub/deep/up_secret");
	plant_link("link_self", "link_self");
	plant_link(".", "sub/self");
	plant_link("../..", "sub/deep/back");
	plant_link("file.txt", "link_file");
	plant_link("/sub", "link_abs_sub");
	plant_link("/created_via_link.ftpdtest", "dangling");
	plant_link("sub/../link_up/sub/inner.txt", "link_chain");
	/* Absolute, to a real file outside: what a broken resolver reaches. */
	snprintf(p, sizeof(p), "%s/secret", top);
	plant_link(p, "link_secret_abs");

	memset(&S, 0, sizeof(S));
	S.ctl_fd = -1;
	S.mon_fd = -1;
	S.front_fd = -1;
	S.pasv_fd = -1;
	S.type = 'I';
	S.umask = 022;
	buf_init(&S.cwd, PATH_MAXLEN);
	buf_init(&S.rnfr, PATH_MAXLEN);
	buf_init(&S.ctl_in, CTL_LINE_MAX);
	ck_assert_int_eq(buf_set(&S.cwd, "/"), 0);
	S.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(S.root_fd, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	S.ctl_fd = sv[0];
	peer = sv[1];

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.write_enable = 1;
	saved_cfg = cfg;
	cfg = &tcfg;
	policy_force_walk(0);
}

/* A name of exactly NAME_MAX bytes: the longest a component may be. */
static void
long_name(char *out, size_t len, const char *tail)
{
	char name[NAME_MAX + 1];

	memset(name, 'n', NAME_MAX);
	name[NAME_MAX] = '\0';
	ck_assert_int_lt(snprintf(out, len, "%s%s", name, tail), (int)len);
}

/* What test_name_max plants under its NAME_MAX-long directory. */
static void
rm_long(int fd)
{
	static const char *const tails[] = { "/d/f", "/d/e", "/d", "" };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		long_name(p, sizeof(p), tails[i]);
		(void)unlinkat(fd, p, strcmp(tails[i], "/d/f") == 0 ? 0 :
		    AT_REMOVEDIR);
	}
}

static void
rm_tree(const char *dir)
{
	char cmd[PATH_MAX];
	int fd;

	/* No system(): unlink what the tests create, then the fixed tree. */
	static const char *const files[] = {
		"file.txt", "sub/inner.txt", "link_to_etc", "link_passwd",
		"link_up", "link_secret", "sub/rel_escape",
		"sub/deep/up_secret", "link_self", "link_file",
		"link_abs_sub", "dangling", "link_chain", "link_secret_abs",
		"created_via_link.ftpdtest", "renamed.txt", "new.txt",
		"sub/moved.txt", "private.txt", "fifo", "sub/self",
		"sub/deep/back",
	};
	static const char *const dirs[] = {
		"sub/deep", "sub", "empty", "q\"d", "made",
	};
	size_t i;

	fd = open(dir, O_PATH | O_DIRECTORY);
	if (fd == -1)
		return;
	rm_long(fd);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		(void)unlinkat(fd, files[i], 0);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		(void)unlinkat(fd, dirs[i], AT_REMOVEDIR);
	close(fd);
	(void)rmdir(dir);
	snprintf(cmd, sizeof(cmd), "%s/secret", top);
	(void)unlink(cmd);
	(void)rmdir(top);
}

static void
teardown(void)
{
	policy_force_walk(0);
	cfg = saved_cfg;
	close(S.root_fd);
	close(S.ctl_fd);
	close(peer);
	buf_free(&S.cwd);
	buf_free(&S.rnfr);
	buf_free(&S.ctl_in);
	rm_tree(root);
	/* The dangling link must never have created a file at the real /. */
	if (access("/created_via_link.ftpdtest", F_OK) == 0) {
		(void)unlink("/created_via_link.ftpdtest");
		ck_abort_msg("created /created_via_link.ftpdtest outside");
	}
}

/* Replies sent since the last call, as one string; returns the last code. */
static int
replies(char *out, size_t len)
{
	ssize_t n;
	size_t got = 0;
	const char *last;

	out[0] = '\0';
	while (got + 1 < len) {
		n = recv(peer, out + got, len - got - 1, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	if (got < 5)
		return -1;
	/* Last line's code: search back from before the final CRLF. */
	last = out + got - 2;
	while (last > out && last[-1] != '\n')
		last--;
	return (last[0] - '0') * 100 + (last[1] - '0') * 10 + (last[2] - '0');
}

static int
code_of(void (*fn)(struct session *, const char *), const char *arg,
    char *text, size_t len)
{
	fn(&S, arg);
	return replies(text, len);
}

#define RUN(fn, arg)	code_of((fn), (arg), txt, sizeof(txt))

/* The lowest free descriptor: a leaked fd in between would change it. */
static int
lowest_fd(void)
{
	int fd = dup(0);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

/* ---- resolution -------------------------------------------------------- */

START_TEST(test_open_inside)
{
	struct stat st, rst;
	char b[16];
	int fd;

	policy_force_walk(_i);
	fd = fs_open(&S, "/file.txt", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, b, sizeof(b)), 6);
	close(fd);
	fd = fs_open(&S, "/link_file", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fs_stat(&S, "/", &st, 1), 0);
	ck_assert_int_eq(stat(root, &rst), 0);
	ck_assert(st.st_ino == rst.st_ino && S_ISDIR(st.st_mode));
	ck_assert_int_eq(fs_stat(&S, "/", &st, 0), 0);
	ck_assert(st.st_ino == rst.st_ino);
	ck_assert_int_eq(fs_stat(&S, "/link_abs_sub", &st, 1), 0);
	ck_assert(S_ISDIR(st.st_mode));
	fd = fs_open(&S, "/link_abs_sub/inner.txt", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fs_stat(&S, "/sub/deep", &st, 1), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* A chain: sub/.. then link_up (= root) then sub/inner.txt. */
	fd = fs_open(&S, "/link_chain", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, b, sizeof(b)), 5);
	close(fd);
}
END_TEST

START_TEST(test_escapes)
{
	struct stat st, rst;
	int fd, low = lowest_fd();

	policy_force_walk(_i);
	errno = 0;
	ck_assert_int_eq(fs_open(&S, "/link_to_etc/passwd", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_open(&S, "/link_passwd", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_stat(&S, "/link_to_etc", &st, 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_stat(&S, "/link_to_etc", &st, 0), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(fs_open(&S, "/link_secret", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_open(&S, "/sub/deep/up_secret", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_open(&S, "/sub/rel_escape/passwd", O_RDONLY, 0),
	    -1);
	ck_assert_int_eq(errno, ENOENT);
	/* "../../.." from the root stays at the root. */
	ck_assert_int_eq(stat(root, &rst), 0);
	ck_assert_int_eq(fs_stat(&S, "/link_up", &st, 1), 0);
	ck_assert(st.st_ino == rst.st_ino && st.st_dev == rst.st_dev);
	fd = fs_open(&S, "/link_up/link_up/file.txt", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fs_open(&S, "/link_up/secret", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Loops end. */
	ck_assert_int_eq(fs_open(&S, "/link_self", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ELOOP);
	/* O_NOFOLLOW is honoured on the final component. */
	ck_assert_int_eq(fs_open(&S, "/link_file", O_RDONLY | O_NOFOLLOW, 0),
	    -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(lowest_fd(), low);
}
END_TEST

START_TEST(test_create_through_link)
{
	char p[PATH_MAX];
	int fd;

	policy_force_walk(_i);
	/* A dangling absolute link creates inside the root, never at /. */
	fd = fs_open(&S, "/dangling", O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	mkpath(p, sizeof(p), "created_via_link.ftpdtest");
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_ne(access("/created_via_link.ftpdtest", F_OK), 0);
	/* O_EXCL never follows. */
	ck_assert_int_eq(fs_open(&S, "/link_file", O_WRONLY | O_CREAT |
	    O_EXCL, 0600), -1);
	ck_assert_int_eq(errno, EEXIST);
}
END_TEST

START_TEST(test_raw_dotdot)
{
	struct stat st, rst;
	int fd;

	/* Not normalised on purpose: the resolver must clamp ".." itself. */
	policy_force_walk(_i);
	ck_assert_int_eq(stat(root, &rst), 0);
	ck_assert_int_eq(fs_stat(&S, "/../../..", &st, 1), 0);
	ck_assert(st.st_ino == rst.st_ino);
	fd = fs_open(&S, "/sub/../../../file.txt", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fs_open(&S, "/../secret", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_open(&S, "/file.txt/x", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

START_TEST(test_long_paths)
{
	char name[NAME_MAX + 10];
	struct buf v;
	char txt[256];
	size_t i;

	policy_force_walk(_i);
	memset(name, 'a', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(fs_open(&S, name, O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	/* A very deep path of missing directories: plain ENOENT. */
	buf_init(&v, PATH_MAXLEN);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_puts(&v, "/d"), 0);
	ck_assert_int_eq(fs_open(&S, buf_cstr(&v), O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Over PATH_MAXLEN: policy_path refuses with 553. */
	buf_free(&v);
	buf_init(&v, 3 * PATH_MAXLEN);
	for (i = 0; i < PATH_MAXLEN; i++)
		ck_assert_int_eq(buf_puts(&v, "/x"), 0);
	{
		struct buf out;

		buf_init(&out, PATH_MAXLEN);
		ck_assert_int_eq(policy_path(&S, buf_cstr(&v), &out), -1);
		ck_assert_int_eq(replies(txt, sizeof(txt)), 553);
		buf_free(&out);
	}
	buf_free(&v);
}
END_TEST

START_TEST(test_parent)
{
	const char *base = NULL;
	struct stat st;
	int fd;

	policy_force_walk(_i);
	ck_assert_int_eq(fs_open_parent(&S, "/", &base), -1);
	ck_assert_int_eq(errno, EINVAL);
	fd = fs_open_parent(&S, "/sub/inner.txt", &base);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(base, "inner.txt");
	ck_assert_int_eq(fstatat(fd, base, &st, 0), 0);
	close(fd);
	fd = fs_open_parent(&S, "/file.txt", &base);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(base, "file.txt");
	close(fd);
	/* The parent through an escaping link is inside the root. */
	ck_assert_int_eq(fs_open_parent(&S, "/link_to_etc/passwd", &base), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fs_stat(&S, "/link_passwd", &st, 0), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(test_link_limit)
{
	char name[PATH_MAX], target[32];
	int fd, i;

	/* c1 -> c2 -> ... -> c40 -> file.txt: 40 links, the most allowed. */
	for (i = 0; i <= POLICY_MAXLINKS; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		if (i == POLICY_MAXLINKS)
			snprintf(target, sizeof(target), "file.txt");
		else
			snprintf(target, sizeof(target), "c%d", i + 1);
		plant_link(target, name);
	}
	policy_force_walk(_i);
	fd = fs_open(&S, "/c1", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fs_open(&S, "/c0", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ELOOP);
	for (i = 0; i <= POLICY_MAXLINKS; i++) {
		snprintf(name, sizeof(name), "%s/c%d", root, i);
		(void)unlink(name);
	}
}
END_TEST

/*
 * Components of exactly NAME_MAX bytes pass, one more fails; ".." after
 * three levels reopens a two-component path from the root, so the walk's
 * forward split and its reopen split must agree on where names end.
 */
START_TEST(test_name_max)
{
	char p[PATH_MAX], v[PATH_MAX], b[8];
	int fd;

	long_name(p, sizeof(p), "");
	plant_dir(p);
	long_name(p, sizeof(p), "/d");
	plant_dir(p);
	long_name(p, sizeof(p), "/d/e");
	plant_dir(p);
	long_name(p, sizeof(p), "/d/f");
	plant_file(p, "long");
	policy_force_walk(_i);
	long_name(p, sizeof(p), "//d/e/../f");
	ck_assert_int_lt(snprintf(v, sizeof(v), "/%s", p), (int)sizeof(v));
	fd = fs_open(&S, v, O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, b, sizeof(b)), 4);
	close(fd);
	long_name(p, sizeof(p), "n");
	ck_assert_int_lt(snprintf(v, sizeof(v), "/%s", p), (int)sizeof(v));
	ck_assert_int_eq(fs_open(&S, v, O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* The open behind RETR and HASH: regular, readable files only. */
START_TEST(test_open_read)
{
	char p[PATH_MAX], txt[256];
	struct stat st;
	int fd, low = lowest_fd();

	policy_force_walk(_i);
	fd = policy_open_read(&S, "/link_file", &st);
	ck_assert_int_ge(fd, 0);
	ck_assert(S_ISREG(st.st_mode) && st.st_size == 6);
	close(fd);
	ck_assert_int_eq(replies(txt, sizeof(txt)), -1);
	ck_assert_int_eq(policy_open_read(&S, "/missing", &st), -1);
	ck_assert_int_eq(replies(txt, sizeof(txt)), 550);
	ck_assert_ptr_nonnull(strstr(txt, "Cannot open \"/missing\""));
	ck_assert_int_eq(policy_open_read(&S, "/sub", &st), -1);
	ck_assert_int_eq(replies(txt, sizeof(txt)), 550);
	ck_assert_ptr_nonnull(strstr(txt, "Not a plain file."));
	/* A FIFO with no writer: refused at once, not waited on. */
	mkpath(p, sizeof(p), "fifo");
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	ck_assert_int_eq(policy_open_read(&S, "/fifo", &st), -1);
	ck_assert_int_eq(replies(txt, sizeof(txt)), 550);
	ck_assert_ptr_nonnull(strstr(txt, "Not a plain file."));
	/* Anonymous: not world-readable, not sent. */
	plant_file("private.txt", "x");
	mkpath(p, sizeof(p), "private.txt");
	ck_assert_int_eq(chmod(p, 0600), 0);
	S.anonymous = 1;
	ck_assert_int_eq(policy_open_read(&S, "/private.txt", &st), -1);
	ck_assert_int_eq(replies(txt, sizeof(txt)), 550);
	ck_assert_ptr_nonnull(strstr(txt, "Permission denied."));
	tcfg.anon_upload_readable = 1;
	fd = policy_open_read(&S, "/private.txt", &st);
	ck_assert_int_ge(fd, 0);
	close(fd);
	S.anonymous = 0;
	ck_assert_int_eq(lowest_fd(), low);
}
END_TEST

/* ---- pure helpers ------------------------------------------------------ */

START_TEST(test_errno_codes)
{
	const char *r;

	ck_assert_int_eq(policy_errno_code(ENOENT, &r), 550);
	ck_assert_str_eq(r, "No such file or directory");
	ck_assert_int_eq(policy_errno_code(ENOTDIR, &r), 550);
	ck_assert_str_eq(r, "Not a directory");
	ck_assert_int_eq(policy_errno_code(EACCES, &r), 550);
	ck_assert_str_eq(r, "Permission denied");
	ck_assert_int_eq(policy_errno_code(EPERM, &r), 550);
	ck_assert_int_eq(policy_errno_code(EEXIST, &r), 550);
	ck_assert_int_eq(policy_errno_code(ENOTEMPTY, &r), 550);
	ck_assert_str_eq(r, "Directory not empty");
	ck_assert_int_eq(policy_errno_code(EISDIR, &r), 550);
	ck_assert_int_eq(policy_errno_code(EXDEV, &r), 550);
	ck_assert_int_eq(policy_errno_code(ENOSPC, &r), 452);
	ck_assert_int_eq(policy_errno_code(EDQUOT, &r), 552);
	ck_assert_int_eq(policy_errno_code(EFBIG, &r), 552);
	ck_assert_int_eq(policy_errno_code(ENAMETOOLONG, &r), 553);
	ck_assert_int_eq(policy_errno_code(EINVAL, &r), 553);
	ck_assert_int_eq(policy_errno_code(ELOOP, &r), 550);
	ck_assert_int_eq(policy_errno_code(EBUSY, &r), 450);
	ck_assert_int_eq(policy_errno_code(ETXTBSY, &r), 450);
	ck_assert_int_eq(policy_errno_code(12345, &r), 550);
}
END_TEST

START_TEST(test_allow)
{
	static const enum policy_op w[] = {
		OP_CREATE, OP_OVERWRITE, OP_APPEND, OP_DELETE, OP_RENAME,
		OP_MKDIR, OP_RMDIR, OP_CHMOD, OP_MFMT,
	};
	struct stat st;
	size_t i;

	S.anonymous = 0;
	tcfg.write_enable = 1;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		ck_assert_int_eq(policy_allow(&S, w[i]), 1);
	tcfg.write_enable = 0;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		ck_assert_int_eq(policy_allow(&S, w[i]), 0);
	ck_assert_int_eq(policy_allow(&S, OP_READ), 1);
	ck_assert_int_eq(policy_allow(&S, OP_LIST), 1);

	S.anonymous = 1;
	tcfg.write_enable = 1;
	tcfg.anon_upload = 0;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		ck_assert_int_eq(policy_allow(&S, w[i]), 0);
	tcfg.anon_upload = 1;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		ck_assert_int_eq(policy_allow(&S, w[i]), w[i] == OP_CREATE);
	ck_assert_int_eq(policy_allow(&S, OP_READ), 1);

	ck_assert_int_eq(policy_allow(&S, OP_ENTER), 1);

	/* The account's permissions narrow, never widen. */
	{
		struct plan p;

		memset(&p, 0, sizeof(p));
		S.anonymous = 0;
		S.plan = &p;
		tcfg.write_enable = 1;
		ck_assert_int_eq(plan_perms("write list", &p.perms), 0);
		ck_assert_int_eq(policy_allow(&S, OP_CREATE), 1);
		ck_assert_int_eq(policy_allow(&S, OP_LIST), 1);
		ck_assert_int_eq(policy_allow(&S, OP_READ), 0);
		ck_assert_int_eq(policy_allow(&S, OP_OVERWRITE), 0);
		ck_assert_int_eq(policy_allow(&S, OP_APPEND), 0);
		ck_assert_int_eq(policy_allow(&S, OP_ENTER), 1);
		tcfg.write_enable = 0;
		ck_assert_int_eq(policy_allow(&S, OP_CREATE), 0);
		p.perms = PERM_ALL;
		S.anonymous = 1;
		tcfg.write_enable = 1;
		tcfg.anon_upload = 0;
		ck_assert_int_eq(policy_allow(&S, OP_CREATE), 0);
		ck_assert_int_eq(policy_allow(&S, OP_DELETE), 0);
		S.plan = NULL;
	}

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0600;
	tcfg.anon_upload_readable = 0;
	ck_assert_int_eq(policy_may_read(&S, &st), 0);
	st.st_mode = S_IFREG | 0644;
	ck_assert_int_eq(policy_may_read(&S, &st), 1);
	st.st_mode = S_IFREG | 0600;
	tcfg.anon_upload_readable = 1;
	ck_assert_int_eq(policy_may_read(&S, &st), 1);
	S.anonymous = 0;
	tcfg.anon_upload_readable = 0;
	ck_assert_int_eq(policy_may_read(&S, &st), 1);
}
END_TEST

/* The atomic-upload temporaries that listings hide, and only those. */
START_TEST(test_upload_tmp)
{
	static const struct {
		const char	*name;
		int		 tmp;
	} t[] = {
		{ ".ftpd-upload.0123456789az", 1 },
		{ ".ftpd-upload.zzzzzzzzzzzz", 1 },
		{ ".ftpd-upload.", 0 },
		{ ".ftpd-upload.0123456789a", 0 },	/* one short */
		{ ".ftpd-upload.0123456789abc", 0 },	/* one over */
		{ ".ftpd-upload.0123456789aB", 0 },
		{ ".ftpd-upload.0123456789a-", 0 },
		{ "ftpd-upload.0123456789ab", 0 },
		{ ".ftpd-uploads0123456789ab", 0 },
		{ ".ftpd-upload.my-notes.txt", 0 },
		{ ".ftpd-partial.report.pdf", 1 },	/* a kept cut upload */
		{ ".ftpd-partial.", 0 },
		{ ".ftpd-partia.x", 0 },
		{ ".", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(policy_upload_tmp(t[i].name) == t[i].tmp, "%s",
		    t[i].name);
	ck_assert_uint_eq(sizeof(POLICY_UPLOAD_TMP) - 1 +
	    POLICY_UPLOAD_TMP_RANDOM, strlen(t[0].name));
}
END_TEST

/* ---- commands ---------------------------------------------------------- */

START_TEST(test_cmd_dirs)
{
	char txt[512];

	policy_force_walk(_i);
	ck_assert_int_eq(RUN(cmd_pwd, NULL), 257);
	ck_assert_str_eq(txt, "257 \"/\" is the current directory.\r\n");
	ck_assert_int_eq(RUN(cmd_cwd, "sub/deep"), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/sub/deep");
	ck_assert_int_eq(RUN(cmd_cdup, NULL), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/sub");
	ck_assert_int_eq(RUN(cmd_cwd, "../../../.."), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/");
	ck_assert_int_eq(RUN(cmd_cdup, NULL), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/");
	ck_assert_int_eq(RUN(cmd_cwd, "/link_to_etc"), 550);
	ck_assert_int_eq(RUN(cmd_cwd, "file.txt"), 550);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/");
	ck_assert_int_eq(RUN(cmd_cwd, "link_up"), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/");
	ck_assert_int_eq(RUN(cmd_cwd, "/"), 250);

	/* Through links the session lands on the physical directory. */
	ck_assert_int_eq(RUN(cmd_cwd, "link_abs_sub/deep"), 250);
	ck_assert_str_eq(txt, "250 Directory successfully changed.\r\n");
	ck_assert_str_eq(buf_cstr(&S.cwd), "/sub/deep");
	ck_assert_int_eq(RUN(cmd_cwd, "/sub/self/self/./self"), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/sub");
	ck_assert_int_eq(RUN(cmd_cwd, "/sub/deep/back"), 250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/");
	ck_assert_int_eq(RUN(cmd_cwd, "sub/deep/back/sub/deep/back/empty"),
	    250);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/empty");
	ck_assert_int_eq(RUN(cmd_pwd, NULL), 257);
	ck_assert_str_eq(txt, "257 \"/empty\" is the current directory.\r\n");
	/* A loop of links is the file's fault, not the name's: 550. */
	ck_assert_int_eq(RUN(cmd_cwd, "/link_self"), 550);
	ck_assert_str_eq(buf_cstr(&S.cwd), "/empty");
	ck_assert_int_eq(RUN(cmd_cwd, "/"), 250);

	ck_assert_int_eq(RUN(cmd_mkd, "made"), 257);
	ck_assert_str_eq(txt, "257 \"/made\" created.\r\n");
	ck_assert_int_eq(RUN(cmd_mkd, "made"), 550);
	ck_assert_int_eq(RUN(cmd_mkd, "/"), 550);
	ck_assert_int_eq(RUN(cmd_mkd, "/link_to_etc/x"), 550);
	ck_assert_int_eq(RUN(cmd_rmd, "/"), 550);
	ck_assert_int_eq(RUN(cmd_rmd, ".."), 550);
	ck_assert_int_eq(RUN(cmd_rmd, "sub"), 550);
	ck_assert_ptr_nonnull(strstr(txt, "not empty"));
	ck_assert_int_eq(RUN(cmd_rmd, "link_abs_sub"), 550);
	ck_assert_int_eq(RUN(cmd_rmd, "made"), 250);
	ck_assert_int_eq(RUN(cmd_rmd, "made"), 550);

	/* A quote in a name is doubled in 257 replies. */
	ck_assert_int_eq(RUN(cmd_mkd, "q\"d"), 257);
	ck_assert_str_eq(txt, "257 \"/q\"\"d\" created.\r\n");
	ck_assert_int_eq(RUN(cmd_cwd, "q\"d"), 250);
	ck_assert_int_eq(RUN(cmd_pwd, NULL), 257);
	ck_assert_str_eq(txt, "257 \"/q\"\"d\" is the current directory.\r\n");
	ck_assert_int_eq(RUN(cmd_rmd, "/q\"d"), 250);

	tcfg.write_enable = 0;
	ck_assert_int_eq(RUN(cmd_mkd, "made"), 550);
	S.anonymous = 1;
	tcfg.anon_upload = 1;
	tcfg.write_enable = 1;
	ck_assert_int_eq(RUN(cmd_mkd, "made"), 550);
	ck_assert_int_eq(RUN(cmd_rmd, "empty"), 550);
	S.anonymous = 0;
}
END_TEST

START_TEST(test_cmd_files)
{
	char txt[512];

	policy_force_walk(_i);
	ck_assert_int_eq(RUN(cmd_size, "file.txt"), 213);
	ck_assert_str_eq(txt, "213 6\r\n");
	S.type = 'A';
	ck_assert_int_eq(RUN(cmd_size, "file.txt"), 213);
	ck_assert_str_eq(txt, "213 9\r\n");
	S.type = 'I';
	ck_assert_int_eq(RUN(cmd_size, "sub"), 550);
	ck_assert_int_eq(RUN(cmd_size, "link_passwd"), 550);
	ck_assert_int_eq(RUN(cmd_size, "nothere"), 550);

	ck_assert_int_eq(RUN(cmd_mfmt, "20200102030405 file.txt"), 213);
	ck_assert_str_eq(txt, "213 Modify=20200102030405; file.txt\r\n");
	ck_assert_int_eq(RUN(cmd_mdtm, "file.txt"), 213);
	ck_assert_str_eq(txt, "213 20200102030405\r\n");
	ck_assert_int_eq(RUN(cmd_mdtm, "20200101000000 file.txt"), 550);
	ck_assert_int_eq(RUN(cmd_mfmt, "20200231000000 file.txt"), 501);
	ck_assert_int_eq(RUN(cmd_mfmt, "2020010203040 file.txt"), 501);
	ck_assert_int_eq(RUN(cmd_mfmt, "20200102030405.123 file.txt"), 213);
	ck_assert_int_eq(RUN(cmd_mfmt, "20200102030405"), 501);
	ck_assert_int_eq(RUN(site_utime, "20210101000000 file.txt"), 213);
	ck_assert_int_eq(RUN(cmd_mdtm, "file.txt"), 213);
	ck_assert_str_eq(txt, "213 20210101000000\r\n");
	ck_assert_int_eq(RUN(site_utime, "sub/inner.txt 20190101000000 "
	    "20190202000000 20190303000000 UTC"), 200);
	ck_assert_int_eq(RUN(cmd_mdtm, "/sub/inner.txt"), 213);
	ck_assert_str_eq(txt, "213 20190202000000\r\n");
	ck_assert_int_eq(RUN(site_utime, "bogus"), 501);
}
END_TEST

START_TEST(test_cmd_chmod)
{
	char txt[512], p[PATH_MAX];
	struct stat st;

	policy_force_walk(_i);

	ck_assert_int_eq(RUN(site_chmod, "4755 file.txt"), 200);
	mkpath(p, sizeof(p), "file.txt");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(RUN(site_chmod, "9 file.txt"), 501);
	ck_assert_int_eq(RUN(site_chmod, "644"), 501);
	/* chmod through links out of the root must not touch their targets. */
	ck_assert_int_eq(RUN(site_chmod, "644 link_secret_abs"), 550);
	ck_assert_int_eq(RUN(site_chmod, "644 link_secret"), 550);
	ck_assert_int_eq(RUN(site_utime, "20000101000000 link_secret_abs"),
	    213);
	snprintf(p, sizeof(p), "%s/secret", top);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert(st.st_mtime > 946684800);
}
END_TEST

START_TEST(test_cmd_rename_dele)
{
	char txt[512], p[PATH_MAX];
	int low = lowest_fd();

	policy_force_walk(_i);

	ck_assert_int_eq(RUN(cmd_rnto, "x"), 503);
	ck_assert_int_eq(RUN(cmd_rnfr, "nothere"), 550);
	ck_assert_int_eq(RUN(cmd_rnto, "x"), 503);
	ck_assert_int_eq(RUN(cmd_rnfr, "file.txt"), 350);
	ck_assert_int_eq(RUN(cmd_rnto, "renamed.txt"), 250);
	ck_assert_int_eq(S.rnfr.len, 0);
	ck_assert_int_eq(RUN(cmd_rnfr, "/renamed.txt"), 350);
	ck_assert_int_eq(RUN(cmd_rnto, "/link_to_etc/x"), 550);
	ck_assert_int_eq(S.rnfr.len, 0);
	ck_assert_int_eq(RUN(cmd_rnfr, "/renamed.txt"), 350);
	ck_assert_int_eq(RUN(cmd_rnto, "/link_up/sub/moved.txt"), 250);
	mkpath(p, sizeof(p), "sub/moved.txt");
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(RUN(cmd_rnfr, "/"), 550);

	ck_assert_int_eq(RUN(cmd_dele, "sub"), 550);
	ck_assert_int_eq(RUN(cmd_dele, "/"), 550);
	ck_assert_int_eq(RUN(cmd_dele, "link_secret_abs"), 250);
	snprintf(p, sizeof(p), "%s/secret", top);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(RUN(cmd_dele, "sub/moved.txt"), 250);
	ck_assert_int_eq(RUN(cmd_dele, "sub/moved.txt"), 550);

	S.anonymous = 1;
	tcfg.anon_upload = 1;
	ck_assert_int_eq(RUN(cmd_dele, "link_file"), 550);
	ck_assert_int_eq(RUN(cmd_rnfr, "link_file"), 550);
	ck_assert_int_eq(RUN(cmd_mfmt, "20200102030405 sub/inner.txt"), 550);
	ck_assert_int_eq(RUN(site_chmod, "777 sub"), 550);
	S.anonymous = 0;
	ck_assert_int_eq(lowest_fd(), low);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* _i = 0: openat2; _i = 1: the fallback walk. */
	tcase_add_loop_test(tc, test_open_inside, 0, 2);
	tcase_add_loop_test(tc, test_escapes, 0, 2);
	tcase_add_loop_test(tc, test_create_through_link, 0, 2);
	tcase_add_loop_test(tc, test_raw_dotdot, 0, 2);
	tcase_add_loop_test(tc, test_long_paths, 0, 2);
	tcase_add_loop_test(tc, test_parent, 0, 2);
	tcase_add_loop_test(tc, test_name_max, 0, 2);
	tcase_add_loop_test(tc, test_open_read, 0, 2);
	tcase_add_test(tc, test_errno_codes);
	tcase_add_test(tc, test_allow);
	tcase_add_test(tc, test_upload_tmp);
	tcase_add_loop_test(tc, test_cmd_dirs, 0, 2);
	tcase_add_loop_test(tc, test_cmd_files, 0, 2);
	tcase_add_loop_test(tc, test_cmd_chmod, 0, 2);
	tcase_add_loop_test(tc, test_cmd_rename_dele, 0, 2);
	tcase_add_loop_test(tc, test_link_limit, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(policy_suite)
