/*
 * test_ipc.c - unit tests for common/ipc.c over a real SEQPACKET
 * socketpair: round trips, descriptor passing, truncation, field helpers.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/buf.h"
#include "common/ipc.h"

START_TEST(ipc_roundtrip_plain)
{
	struct buf p;
	uint32_t type = 0;
	int sv[2], fd = 123;

	ck_assert_int_eq(ipc_pair(sv), 0);
	ck_assert_int_ne(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, 0);
	buf_init(&p, IPC_MAX);
	ck_assert_int_eq(ipc_send(sv[0], 7, "hello", 5, -1), 0);
	ck_assert_int_eq(ipc_send(sv[0], 8, NULL, 0, -1), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), 0);
	ck_assert_uint_eq(type, 7);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(p.len, 5);
	ck_assert_str_eq(buf_cstr(&p), "hello");
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, NULL), 0);
	ck_assert_uint_eq(type, 8);
	ck_assert_uint_eq(p.len, 0);
	(void)close(sv[0]);
	errno = 123;
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), -1);
	ck_assert_int_eq(errno, 0);	/* EOF */
	(void)close(sv[1]);
	buf_free(&p);
}
END_TEST

START_TEST(ipc_fd_passing)
{
	struct buf p;
	uint32_t type;
	int sv[2], pfd[2], fd = -1;
	char c = 0;

	ck_assert_int_eq(ipc_pair(sv), 0);
	ck_assert_int_eq(pipe(pfd), 0);
	buf_init(&p, 64);
	ck_assert_int_eq(ipc_send(sv[0], 42, "fd", 2, pfd[1]), 0);
	(void)close(pfd[1]);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), 0);
	ck_assert_uint_eq(type, 42);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(write(fd, "z", 1), 1);
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'z');
	(void)close(fd);

	/* An unexpected descriptor is closed and the message refused. */
	ck_assert_int_eq(ipc_send(sv[0], 43, "x", 1, pfd[0]), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, NULL), -1);
	ck_assert_int_eq(errno, EBADMSG);
	(void)close(pfd[0]);
	(void)close(sv[0]);
	(void)close(sv[1]);
	buf_free(&p);
}
END_TEST

START_TEST(ipc_truncation)
{
	struct buf p;
	uint32_t type;
	unsigned char *big;
	int sv[2], fd;

	ck_assert_int_eq(ipc_pair(sv), 0);
	buf_init(&p, 16);
	ck_assert_int_eq(ipc_send(sv[0], 1, "0123456789abcdefX", 17, -1), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(fd, -1);
	/* The next message is intact: one recv consumed one message. */
	ck_assert_int_eq(ipc_send(sv[0], 2, "0123456789abcdef", 16, -1), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), 0);
	ck_assert_uint_eq(type, 2);
	ck_assert_uint_eq(p.len, 16);
	buf_free(&p);

	big = calloc(1, IPC_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(ipc_send(sv[0], 3, big, IPC_MAX + 1, -1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	buf_init(&p, IPC_MAX);
	ck_assert_int_eq(ipc_send(sv[0], 3, big, IPC_MAX, -1), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), 0);
	ck_assert_uint_eq(p.len, IPC_MAX);
	free(big);

	/* A raw frame shorter than the type is malformed. */
	ck_assert_int_eq(send(sv[0], "ab", 2, 0), 2);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &p, &fd), -1);
	ck_assert_int_eq(errno, EBADMSG);
	buf_free(&p);
	(void)close(sv[0]);
	(void)close(sv[1]);
}
END_TEST

START_TEST(ipc_timeout)
{
	struct buf p;
	uint32_t type;
	int sv[2], fd;

	ck_assert_int_eq(ipc_pair(sv), 0);
	buf_init(&p, 64);
	ck_assert_int_eq(ipc_recv_timeout(sv[1], &type, &p, &fd, 30), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(ipc_send(sv[0], 5, "ok", 2, -1), 0);
	ck_assert_int_eq(ipc_recv_timeout(sv[1], &type, &p, &fd, 1000), 0);
	ck_assert_uint_eq(type, 5);
	buf_free(&p);
	(void)close(sv[0]);
	(void)close(sv[1]);
}
END_TEST

/* Children for ipc_call_child: one answers, one exits silently, one
 * never answers. */
static void
child_answers(int sock, void *arg)
{
	_exit(ipc_send(sock, 7, arg, strlen(arg), -1) == 0 ? 0 : 1);
}

static void
child_silent(int sock, void *arg)
{
	(void)sock;
	(void)arg;
	_exit(0);
}

static void
child_hangs(int sock, void *arg)
{
	(void)sock;
	(void)arg;
	for (;;)
		(void)pause();
}

START_TEST(ipc_call_child_cases)
{
	struct buf p;
	uint32_t type = 0;
	char hello[] = "hello";

	buf_init(&p, 64);
	ck_assert_int_eq(ipc_call_child(child_answers, hello, &type, &p,
	    5000), 0);
	ck_assert_uint_eq(type, 7);
	ck_assert_str_eq(buf_cstr(&p), "hello");
	ck_assert_int_eq(ipc_call_child(child_silent, NULL, &type, &p, 5000),
	    -1);
	ck_assert_int_eq(errno, 0);
	ck_assert_int_eq(ipc_call_child(child_hangs, NULL, &type, &p, 100),
	    -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	/* Every child was reaped: none is left to wait for. */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	buf_free(&p);
}
END_TEST

START_TEST(ipc_fields)
{
	struct buf b, out;
	size_t off = 0;
	uint32_t u32;
	uint64_t u64;
	char s[8];

	buf_init(&b, 256);
	buf_init(&out, 4);
	ck_assert_int_eq(ipc_put_u32(&b, 0xdeadbeef), 0);
	ck_assert_int_eq(ipc_put_u64(&b, 0x0123456789abcdefULL), 0);
	ck_assert_int_eq(ipc_put_str(&b, "alice"), 0);
	ck_assert_int_eq(ipc_put_bytes(&b, "\0\1\2", 3), 0);
	ck_assert_int_eq(ipc_put_str(&b, "toolongname"), 0);
	ck_assert_int_eq(ipc_put_bytes(&b, "a\0b", 3), 0);
	ck_assert_int_eq(ipc_get_u32(&b, &off, &u32), 0);
	ck_assert_uint_eq(u32, 0xdeadbeef);
	ck_assert_int_eq(ipc_get_u64(&b, &off, &u64), 0);
	ck_assert_uint_eq(u64, 0x0123456789abcdefULL);
	ck_assert_int_eq(ipc_get_str(&b, &off, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "alice");
	ck_assert_int_eq(ipc_get_bytes(&b, &off, &out), 0);
	ck_assert_uint_eq(out.len, 3);
	ck_assert_int_eq(memcmp(out.data, "\0\1\2", 3), 0);
	/* Too long for out: fails without moving. */
	size_t keep = off;
	ck_assert_int_eq(ipc_get_str(&b, &off, s, sizeof(s)), -1);
	ck_assert_uint_eq(off, keep);
	off += 4 + strlen("toolongname");
	/* Embedded NUL refused as a string. */
	keep = off;
	ck_assert_int_eq(ipc_get_str(&b, &off, s, sizeof(s)), -1);
	ck_assert_uint_eq(off, keep);
	off += 4 + 3;
	ck_assert_uint_eq(off, b.len);
	ck_assert_int_eq(ipc_get_u32(&b, &off, &u32), -1);
	ck_assert_int_eq(ipc_get_u64(&b, &off, &u64), -1);

	/* A length field that claims more than is there. */
	buf_reset(&b);
	ck_assert_int_eq(ipc_put_u32(&b, 100), 0);
	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	off = 0;
	ck_assert_int_eq(ipc_get_str(&b, &off, s, sizeof(s)), -1);
	ck_assert_int_eq(ipc_get_bytes(&b, &off, &out), -1);
	ck_assert_uint_eq(off, 0);
	buf_reset(&b);
	ck_assert_int_eq(ipc_put_u32(&b, 0xffffffff), 0);
	ck_assert_int_eq(ipc_get_str(&b, &off, s, sizeof(s)), -1);
	buf_free(&b);
	buf_free(&out);
}
END_TEST

static Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ipc_roundtrip_plain);
	tcase_add_test(tc, ipc_fd_passing);
	tcase_add_test(tc, ipc_truncation);
	tcase_add_test(tc, ipc_timeout);
	tcase_add_test(tc, ipc_fields);
	tcase_add_test(tc, ipc_call_child_cases);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(ipc_suite)
