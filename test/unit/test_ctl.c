/*
 * test_ctl.c - unit tests for the pure parts of ctl.c: taking command
 * lines off the input buffer (IAC, CRLF/LF, NUL, overlong lines), reply
 * formatting, 257-style path quoting and splitting verb from argument
 * (cmd_parse); plus ctl_check_abort over a socketpair.
 */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/buf.h"
#include "config.h"
#include "cmd/ctl.h"
#include "session.h"

static struct buf in, line;
static int disc;

static void
setup(void)
{
	buf_init(&in, 128 * 1024);
	buf_init(&line, CTL_LINE_MAX + 2);
	disc = 0;
}

static void
teardown(void)
{
	buf_free(&in);
	buf_free(&line);
}

static void
feed(const void *p, size_t n)
{
	ck_assert_int_eq(buf_append(&in, p, n), 0);
}

START_TEST(take_simple)
{
	feed("USER bob\r\nPASS x\nNOOP", 21);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_str_eq(buf_cstr(&line), "USER bob");
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_str_eq(buf_cstr(&line), "PASS x");
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TIMEOUT);
	ck_assert_uint_eq(in.len, 4);
	feed("\r", 1);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TIMEOUT);
	feed("\n", 1);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_str_eq(buf_cstr(&line), "NOOP");
	ck_assert_uint_eq(in.len, 0);
}
END_TEST

START_TEST(take_iac)
{
	/* IAC IP IAC DM ABOR, IAC WILL x, IAC IAC = literal 0xff. */
	static const unsigned char d[] = { 255, 244, 255, 242, 'A', 'B',
	    255, 251, 1, 'O', 'R', 255, 255, '\r', '\n' };

	feed(d, sizeof(d));
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_uint_eq(line.len, 5);
	ck_assert(memcmp(line.data, "ABOR\xff", 5) == 0);
}
END_TEST

START_TEST(take_iac_split)
{
	static const unsigned char a[] = { 'N', 'O', 255 };
	static const unsigned char b[] = { 253 };
	static const unsigned char c[] = { 3, 'O', 'P', '\n' };

	feed(a, sizeof(a));
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TIMEOUT);
	feed(b, sizeof(b));
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TIMEOUT);
	feed(c, sizeof(c));
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_str_eq(buf_cstr(&line), "NOOP");
}
END_TEST

START_TEST(take_nul)
{
	feed("RETR a\0b\r\nNOOP\r\n", 16);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_BADLINE);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_str_eq(buf_cstr(&line), "NOOP");
}
END_TEST

START_TEST(take_overlong)
{
	char big[CTL_LINE_MAX + 100];

	memset(big, 'A', sizeof(big));
	feed(big, sizeof(big));
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TOOLONG);
	ck_assert_int_eq(disc, 1);
	feed(big, 50);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TIMEOUT);
	feed("AAA\r\nNOOP\r\n", 11);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_str_eq(buf_cstr(&line), "NOOP");
	ck_assert_int_eq(disc, 0);
}
END_TEST

START_TEST(take_limit)
{
	char big[CTL_LINE_MAX + 2];

	/* Exactly CTL_LINE_MAX bytes plus CRLF is fine. */
	memset(big, 'B', CTL_LINE_MAX);
	feed(big, CTL_LINE_MAX);
	feed("\r\n", 2);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_LINE);
	ck_assert_uint_eq(line.len, CTL_LINE_MAX);
	/* One more is not; complete line: no discarding. */
	memset(big, 'B', sizeof(big));
	feed(big, CTL_LINE_MAX + 1);
	feed("\n", 1);
	ck_assert_int_eq(ctl_take_line(&in, &line, &disc), CTL_TOOLONG);
	ck_assert_int_eq(disc, 0);
	ck_assert_uint_eq(in.len, 0);
}
END_TEST

START_TEST(fmt_single)
{
	struct buf o;

	buf_init(&o, 1024);
	ck_assert_int_eq(reply_format(&o, 200, "OK."), 0);
	ck_assert_str_eq(buf_cstr(&o), "200 OK.\r\n");
	buf_reset(&o);
	ck_assert_int_eq(reply_format(&o, 550, "a\rb\x01"), 0);
	ck_assert_str_eq(buf_cstr(&o), "550 a?b?\r\n");
	buf_free(&o);
}
END_TEST

START_TEST(fmt_multi)
{
	struct buf o;

	buf_init(&o, 1024);
	ck_assert_int_eq(reply_format(&o, 211, "Features:\n UTF8\nSIZE\n"
	    "End"), 0);
	ck_assert_str_eq(buf_cstr(&o),
	    "211-Features:\r\n UTF8\r\n SIZE\r\n211 End\r\n");
	buf_reset(&o);
	/* An injected "\r\n200 x" stays inside one line. */
	ck_assert_int_eq(reply_format(&o, 550, "x\r200 y"), 0);
	ck_assert_str_eq(buf_cstr(&o), "550 x?200 y\r\n");
	buf_reset(&o);
	ck_assert_int_eq(reply_format(&o, 213, "a\n200 b\nc"), 0);
	ck_assert_str_eq(buf_cstr(&o), "213-a\r\n 200 b\r\n213 c\r\n");
	ck_assert_int_eq(reply_format(&o, 5, "x"), -1);
	buf_free(&o);
}
END_TEST

START_TEST(quote_path)
{
	struct buf o;

	buf_init(&o, 1024);
	ck_assert_int_eq(ctl_quote_path(&o, "/a \"b\"\r\nc"), 0);
	ck_assert_str_eq(buf_cstr(&o), "/a \"\"b\"\"??c");
	buf_free(&o);
}
END_TEST
/* cmd_parse: the verb splitter shared by cmd_dispatch, SITE and the
 * ABOR/STAT sniffing of ctl_check_abort. */
START_TEST(parse_verb)
{
	char verb[9], big[16];
	const char *arg;

	ck_assert_int_eq(cmd_parse("retr a b", verb, sizeof(verb), &arg), 0);
	ck_assert_str_eq(verb, "RETR");
	ck_assert_str_eq(arg, "a b");
	ck_assert_int_eq(cmd_parse("NOOP", verb, sizeof(verb), &arg), 0);
	ck_assert_ptr_null(arg);
	ck_assert_int_eq(cmd_parse("CWD ", verb, sizeof(verb), &arg), 0);
	ck_assert_ptr_null(arg);
	ck_assert_int_eq(cmd_parse("LIST  -l", verb, sizeof(verb), &arg), 0);
	ck_assert_str_eq(arg, " -l");
	ck_assert_int_eq(cmd_parse("", verb, sizeof(verb), &arg), -1);
	ck_assert_int_eq(cmd_parse(" NOOP", verb, sizeof(verb), &arg), -1);
	ck_assert_int_eq(cmd_parse("NO1P", verb, sizeof(verb), &arg), -1);
	ck_assert_int_eq(cmd_parse("ABCDEFGHI", verb, sizeof(verb), &arg),
	    -1);
	ck_assert_int_eq(cmd_parse("ABCDEFGH", verb, sizeof(verb), &arg), 0);
	ck_assert_int_eq(cmd_parse("ABCDE", verb, 4, &arg), -1);
	/* A larger buffer does not lift the CMD_VERB_MAX cap. */
	ck_assert_int_eq(cmd_parse("ABCDEFGHI", big, sizeof(big), &arg), -1);
	ck_assert_int_eq(cmd_parse("chmod 644 f", big, sizeof(big), &arg), 0);
	ck_assert_str_eq(big, "CHMOD");
	ck_assert_str_eq(arg, "644 f");
}
END_TEST

static struct ftpd_config tcfg;

/* ABOR among queued commands; STAT answered with progress. */
START_TEST(check_abort)
{
	const struct ftpd_config *saved = cfg;
	struct session s;
	char rbuf[1024];
	ssize_t n;
	int sv[2];

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.idle_timeout = 5;
	cfg = &tcfg;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	session_init(&s);
	s.ctl_fd = sv[0];
	ck_assert_int_eq(ctl_check_abort(&s), 0);
	ck_assert(write(sv[1], "NOOP\r\nSTAT\r\nPW", 14) == 14);
	ck_assert_int_eq(ctl_check_abort(&s), 0);
	n = read(sv[1], rbuf, sizeof(rbuf) - 1);
	ck_assert(n > 0);
	rbuf[n] = '\0';
	ck_assert(strncmp(rbuf, "213-", 4) == 0);
	/* Kept lines go back with a bare LF: the queue never grows. */
	ck_assert_str_eq(buf_cstr(&s.ctl_in), "NOOP\nPW");
	ck_assert(write(sv[1], "D\r\n\xff\xf4\xff\xf2" "abor\r\nX\r\n", 16)
	    == 16);
	ck_assert_int_eq(ctl_check_abort(&s), 1);
	ck_assert_str_eq(buf_cstr(&s.ctl_in), "NOOP\nPWD\nX\r\n");
	/* STAT with a path is a listing for later, not progress. */
	buf_reset(&s.ctl_in);
	ck_assert(write(sv[1], "stat /x\r\n", 9) == 9);
	ck_assert_int_eq(ctl_check_abort(&s), 0);
	ck_assert_str_eq(buf_cstr(&s.ctl_in), "stat /x\n");
	(void)close(sv[1]);
	ck_assert_int_eq(ctl_check_abort(&s), -1);
	session_free(&s);
	cfg = saved;
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *su = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, take_simple);
	tcase_add_test(tc, take_iac);
	tcase_add_test(tc, take_iac_split);
	tcase_add_test(tc, take_nul);
	tcase_add_test(tc, take_overlong);
	tcase_add_test(tc, take_limit);
	tcase_add_test(tc, fmt_single);
	tcase_add_test(tc, fmt_multi);
	tcase_add_test(tc, quote_path);
	tcase_add_test(tc, parse_verb);
	tcase_add_test(tc, check_abort);
	suite_add_tcase(su, tc);
	return su;
}

UNIT_SUITE(ctl_suite)
