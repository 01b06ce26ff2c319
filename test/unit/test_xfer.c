/*
 * test_xfer.c - unit tests for ftpd/user/xfer.c: the TYPE A REST offset
 * mapping, and the send/receive loops over socketpairs (TYPE A and I,
 * sendfile, a stalled peer timing out, ABOR read from the control fd),
 * each on the route the server would take (route.c, test_route.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "session.h"
#include "user/route.h"
#include "user/xfer.h"

#define BIG	(8 * 1024 * 1024 + 123)

static struct ftpd_config xcfg;
static const struct ftpd_config *saved_cfg;

static void
xfer_setup(void)
{
	saved_cfg = cfg;
	if (cfg != NULL)
		xcfg = *cfg;
	xcfg.data_timeout = 5;
	cfg = &xcfg;
}

static void
xfer_teardown(void)
{
	cfg = saved_cfg;
}

/* A temporary file holding n bytes of p (repeated), offset 0. */
static int
tmpfile_with(const void *p, size_t plen, size_t n)
{
	char path[] = "/tmp/test_xfer.XXXXXX";
	size_t k;
	int fd, ok = 1;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(unlink(path), 0);
	while (n > 0 && ok) {
		k = n < plen ? n : plen;
		ok = write(fd, p, k) == (ssize_t)k;
		n -= k;
	}
	ck_assert(ok);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* A file of BIG bytes 'z'. */
static int
tmpfile_big(void)
{
	char z[4096];

	memset(z, 'z', sizeof(z));
	return tmpfile_with(z, sizeof(z), BIG);
}

/* A session whose control connection is one end of a socketpair. */
static void
session_with_ctl(struct session *s, int *ctl_peer, char type)
{
	int sv[2];

	session_init(s);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s->ctl_fd = sv[0];
	*ctl_peer = sv[1];
	s->type = type;
	s->state = ST_LOGGED_IN;
}

/* The route the server would take for op in s, configured as xcfg. */
static void
route_of(const struct session *s, enum xfer_op op, struct xfer_route *r)
{
	xfer_route_for(s, op, (enum sendfile_mode)xcfg.sendfile,
	    (int)xcfg.mode_z_max_level, r);
}

static size_t
read_all(int fd, unsigned char *out, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = read(fd, out + got, max - got)) > 0)
		got += (size_t)n;
	return got;
}

START_TEST(seek_ascii)
{
	int fd = tmpfile_with("ab\ncd\n", 6, 6);
	char c;

	/* Wire form: "ab\r\ncd\r\n". */
	ck_assert_int_eq(xfer_seek_ascii(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	ck_assert_int_eq(xfer_seek_ascii(fd, 2), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 2);
	ck_assert_int_eq(xfer_seek_ascii(fd, 4), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 3);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	ck_assert_int_eq(c, 'c');
	/* Between CR and LF: at the LF, which goes out without its CR. */
	ck_assert_int_eq(xfer_seek_ascii(fd, 3), 1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 2);
	ck_assert_int_eq(xfer_seek_ascii(fd, 8), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 6);
	ck_assert_int_eq(xfer_seek_ascii(fd, 9), -1);
	ck_assert_int_eq(xfer_seek_ascii(fd, -1), -1);
	(void)close(fd);
}
END_TEST

START_TEST(send_ascii)
{
	struct session s;
	struct xfer_route r;
	unsigned char out[64];
	off_t bytes;
	int fd, ctl, dv[2], err;

	session_with_ctl(&s, &ctl, 'A');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	fd = tmpfile_with("a\nbc\n\n", 6, 6);
	route_of(&s, XFER_OP_RETR, &r);
	ck_assert_int_eq(xfer_send_file(&s, &r, fd, dv[0], 0, &bytes, &err),
	    XFER_OK);
	ck_assert_int_eq(bytes, 6);
	(void)close(dv[0]);
	ck_assert_uint_eq(read_all(dv[1], out, sizeof(out)), 9);
	ck_assert_int_eq(memcmp(out, "a\r\nbc\r\n\r\n", 9), 0);
	ck_assert_int_eq(s.in_xfer, 0);
	(void)close(fd);
	(void)close(ctl);
}
END_TEST

START_TEST(recv_ascii)
{
	struct session s;
	struct xfer_route r;
	char out[64];
	off_t bytes;
	int fd, ctl, dv[2], err;

	session_with_ctl(&s, &ctl, 'A');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	fd = tmpfile_with("", 0, 0);
	ck_assert_int_eq(write(dv[1], "x\r\ny\r\r\nz\r", 9), 9);
	(void)close(dv[1]);
	route_of(&s, XFER_OP_STOR, &r);
	ck_assert_int_eq(xfer_recv_file(&s, &r, dv[0], fd, NULL, &bytes, &err),
	    XFER_OK);
	ck_assert_int_eq(bytes, 7);
	ck_assert_int_eq(pread(fd, out, sizeof(out), 0), 7);
	ck_assert_int_eq(memcmp(out, "x\ny\r\nz\r", 7), 0);
	(void)close(fd);
	(void)close(dv[0]);
	(void)close(ctl);
}
END_TEST

static unsigned
checksum(const unsigned char *p, size_t n)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* TYPE I: sendfile in a child, the parent reads everything. */
START_TEST(send_binary_big)
{
	static const char pat[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
	unsigned char *want, *got;
	struct session s;
	struct xfer_route r;
	off_t bytes;
	pid_t pid;
	int fd, ctl, dv[2], err, st;

	session_with_ctl(&s, &ctl, 'I');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	fd = tmpfile_with(pat, sizeof(pat) - 1, BIG);
	ck_assert_int_eq(lseek(fd, 1000, SEEK_SET), 1000);
	xcfg.sendfile = SENDFILE_YES;
	route_of(&s, XFER_OP_RETR, &r);
	ck_assert_int_eq(r.path, XFER_PATH_SENDFILE);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		(void)close(dv[1]);
		_exit(xfer_send_file(&s, &r, fd, dv[0], 0, &bytes, &err) ==
		    XFER_OK && bytes == BIG - 1000 ? 0 : 1);
	}
	(void)close(dv[0]);
	want = malloc(BIG);
	got = malloc(BIG);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(pread(fd, want, BIG, 0), BIG);
	ck_assert_uint_eq(read_all(dv[1], got, BIG), BIG - 1000);
	ck_assert_uint_eq(checksum(got, BIG - 1000),
	    checksum(want + 1000, BIG - 1000));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(want);
	free(got);
	(void)close(fd);
	(void)close(ctl);
}
END_TEST

/* TYPE I upload: a child writes, xfer_recv_file stores. */
START_TEST(recv_binary_big)
{
	unsigned char *buf, *back;
	struct session s;
	struct xfer_route r;
	off_t bytes;
	size_t i;
	pid_t pid;
	int fd, ctl, dv[2], err, st;

	session_with_ctl(&s, &ctl, 'I');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	buf = malloc(BIG);
	back = malloc(BIG);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(back);
	for (i = 0; i < BIG; i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 9));
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		(void)close(dv[0]);
		for (i = 0; i < BIG; ) {
			ssize_t w = write(dv[1], buf + i, BIG - i);

			if (w <= 0)
				_exit(1);
			i += (size_t)w;
		}
		_exit(0);
	}
	(void)close(dv[1]);
	fd = tmpfile_with("", 0, 0);
	route_of(&s, XFER_OP_STOR, &r);
	ck_assert_int_eq(xfer_recv_file(&s, &r, dv[0], fd, NULL, &bytes, &err),
	    XFER_OK);
	ck_assert_int_eq(bytes, BIG);
	ck_assert_int_eq(pread(fd, back, BIG, 0), BIG);
	ck_assert_int_eq(memcmp(buf, back, BIG), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	free(buf);
	free(back);
	(void)close(fd);
	(void)close(dv[0]);
	(void)close(ctl);
}
END_TEST

/* Nobody reads the data connection: data_timeout ends it. */
START_TEST(send_timeout)
{
	struct session s;
	struct xfer_route r;
	off_t bytes;
	int fd, ctl, dv[2], err;

	xcfg.data_timeout = 1;
	session_with_ctl(&s, &ctl, 'I');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	fd = tmpfile_big();
	route_of(&s, XFER_OP_RETR, &r);
	ck_assert_int_eq(xfer_send_file(&s, &r, fd, dv[0], 0, &bytes, &err),
	    XFER_TIMEOUT);
	ck_assert_int_lt(bytes, BIG);
	(void)close(fd);
	(void)close(dv[0]);
	(void)close(dv[1]);
	(void)close(ctl);
}
END_TEST

/* ABOR on the control connection while the data peer stalls. */
START_TEST(send_abort)
{
	struct session s;
	struct xfer_route r;
	char rep[512];
	off_t bytes;
	size_t got;
	int fd, ctl, dv[2], err;

	session_with_ctl(&s, &ctl, 'I');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	fd = tmpfile_big();
	ck_assert_int_eq(write(ctl, "ABOR\r\n", 6), 6);
	route_of(&s, XFER_OP_RETR, &r);
	ck_assert_int_eq(xfer_send_file(&s, &r, fd, dv[0], 0, &bytes, &err),
	    XFER_ABORTED);
	/* The data connection was closed before the replies. */
	(void)close(s.ctl_fd);
	got = read_all(ctl, (unsigned char *)rep, sizeof(rep) - 1);
	rep[got] = '\0';
	ck_assert_ptr_nonnull(strstr(rep, "426 "));
	ck_assert_ptr_nonnull(strstr(rep, "226 "));
	ck_assert(strstr(rep, "426 ") < strstr(rep, "226 "));
	(void)close(fd);
	(void)close(dv[1]);
	(void)close(ctl);
}
END_TEST

START_TEST(send_mem_ok)
{
	struct session s;
	struct xfer_route r;
	unsigned char out[64];
	int ctl, dv[2];

	session_with_ctl(&s, &ctl, 'A');
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, dv), 0);
	route_of(&s, XFER_OP_LIST, &r);
	ck_assert_int_eq(xfer_send_mem(&s, &r, NULL, dv[0], "one\r\ntwo\r\n",
	    10), XFER_OK);
	(void)close(dv[0]);
	ck_assert_uint_eq(read_all(dv[1], out, sizeof(out)), 10);
	ck_assert_int_eq(memcmp(out, "one\r\ntwo\r\n", 10), 0);
	(void)close(dv[1]);
	(void)close(ctl);
}
END_TEST

static Suite *
xfer_suite(void)
{
	Suite *s = suite_create("xfer");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, xfer_setup, xfer_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, seek_ascii);
	tcase_add_test(tc, send_ascii);
	tcase_add_test(tc, recv_ascii);
	tcase_add_test(tc, send_binary_big);
	tcase_add_test(tc, recv_binary_big);
	tcase_add_test(tc, send_timeout);
	tcase_add_test(tc, send_abort);
	tcase_add_test(tc, send_mem_ok);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(xfer_suite)
