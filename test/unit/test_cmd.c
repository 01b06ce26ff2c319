/*
 * test_cmd.c - unit tests for cmd.c: finding table rows, and the flag
 * checks of cmd_dispatch (login, arguments, write
 * permission), whose replies are read back from a socketpair.
 */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "cmd/cmd.h"
#include "config.h"
#include "session.h"

START_TEST(find)
{
	size_t i;

	ck_assert_ptr_nonnull(cmd_find("RETR"));
	ck_assert_ptr_nonnull(cmd_find("xcwd"));
	ck_assert_ptr_null(cmd_find("FOO"));
	ck_assert(cmd_find("STOR")->flags & CMD_ANON_WRITE);
	ck_assert(cmd_find("USER")->flags & CMD_PRELOGIN);
	ck_assert(!(cmd_find("PASS")->flags & CMD_ARG_REQ));
	for (i = 0; i < cmd_count; i++) {
		ck_assert_ptr_nonnull(cmd_table[i].fn);
		ck_assert_ptr_nonnull(cmd_table[i].help);
		if (i > 0)
			ck_assert(strcmp(cmd_table[i - 1].name,
			    cmd_table[i].name) < 0);
	}
}
END_TEST

static struct ftpd_config tcfg;

/* Dispatch line on a fresh session in state st; the reply's first line
 * (CRLF stripped) goes into out. */
static void
run(enum session_state st, int anon, const char *line, char *out,
    size_t outlen)
{
	const struct ftpd_config *saved = cfg;
	struct session s;
	ssize_t n;
	int sv[2];

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.idle_timeout = 5;
	tcfg.login_timeout = 5;
	tcfg.write_enable = 1;
	cfg = &tcfg;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	session_init(&s);
	s.ctl_fd = sv[0];
	s.state = st;
	s.anonymous = anon;
	cmd_dispatch(&s, line);
	n = read(sv[1], out, outlen - 1);
	ck_assert(n > 2);
	out[n - 2] = '\0';
	(void)close(sv[1]);
	session_free(&s);
	cfg = saved;
}

START_TEST(dispatch)
{
	char r[512];

	run(ST_FRESH, 0, "FROB x", r, sizeof(r));
	ck_assert_str_eq(r, "500 Syntax error, command unrecognized.");
	run(ST_FRESH, 0, "1234", r, sizeof(r));
	ck_assert_str_eq(r, "500 Syntax error, command unrecognized.");
	run(ST_FRESH, 0, "RETR /etc/passwd", r, sizeof(r));
	ck_assert_str_eq(r, "530 Please login with USER and PASS.");
	run(ST_LOGGED_IN, 0, "CWD", r, sizeof(r));
	ck_assert_str_eq(r, "501 Syntax error in parameters or arguments.");
	run(ST_LOGGED_IN, 0, "PWD x", r, sizeof(r));
	ck_assert_str_eq(r, "501 Syntax error in parameters or arguments.");
	run(ST_LOGGED_IN, 1, "DELE x", r, sizeof(r));
	ck_assert_str_eq(r, "550 Permission denied.");
	run(ST_LOGGED_IN, 1, "STOR x", r, sizeof(r));
	ck_assert_str_eq(r, "550 Permission denied.");
	run(ST_FRESH, 0, "syst", r, sizeof(r));
	ck_assert_str_eq(r, "215 UNIX Type: L8");
	run(ST_FRESH, 0, "PASS x", r, sizeof(r));
	ck_assert_str_eq(r, "503 Login with USER first.");
	run(ST_LOGGED_IN, 0, "USER bob", r, sizeof(r));
	ck_assert_str_eq(r, "530 Can't change to another user.");
	run(ST_FRESH, 0, "QUIT", r, sizeof(r));
	ck_assert_str_eq(r, "221 Goodbye.");
	run(ST_FRESH, 0, "HELP RETR", r, sizeof(r));
	ck_assert_str_eq(r, "214 Syntax: RETR <sp> file-name");
}
END_TEST

START_TEST(feat)
{
	char r[4096];

	run(ST_FRESH, 0, "FEAT", r, sizeof(r));
	ck_assert(strncmp(r, "211-Features:\r\n", 15) == 0);
	ck_assert_ptr_nonnull(strstr(r, "\r\n SIZE\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n REST STREAM\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n MLST type*;"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n211 End"));
}
END_TEST

static Suite *
cmd_suite(void)
{
	Suite *su = suite_create("cmd");
	TCase *tc = tcase_create("cmd");

	tcase_add_test(tc, find);
	tcase_add_test(tc, dispatch);
	tcase_add_test(tc, feat);
	suite_add_tcase(su, tc);
	return su;
}

UNIT_SUITE(cmd_suite)
