/*
 * test_log.c - unit tests for common/log.c: line format on a file sink,
 * control-character escaping, levels, the forwarding hook and fatal().
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/log.h"

static char logpath[64];

/* Open a fresh file sink; returns its path in logpath. */
static void
open_tmp_log(void)
{
	int fd;

	(void)snprintf(logpath, sizeof(logpath), "/tmp/test_log.XXXXXX");
	fd = mkstemp(logpath);
	ck_assert_int_ge(fd, 0);
	(void)close(fd);
	ck_assert_int_eq(log_open(logpath, "ftpd"), 0);
	ck_assert_int_ge(log_fd(), 0);
}

static void
read_log(char *out, size_t len)
{
	FILE *fp = fopen(logpath, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	(void)fclose(fp);
}

static void
close_tmp_log(void)
{
	ck_assert_int_eq(log_open("stderr", "ftpd"), 0);
	ck_assert_int_eq(log_fd(), -1);
	(void)unlink(logpath);
	log_set_prefix("");
	log_set_level(LOG_INFO);
}

START_TEST(log_file_format)
{
	char text[1024];
	regex_t re;

	open_tmp_log();
	log_set_prefix("[42] 10.0.0.1");
	log_msg(LOG_INFO, "user %s logged in", "bob");
	read_log(text, sizeof(text));
	ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}Z ftpd\\[[0-9]+\\]: \\[42\\] 10\\.0\\.0\\.1 "
	    "user bob logged in\n$", REG_EXTENDED), 0);
	if (regexec(&re, text, 0, NULL, 0) != 0)
		ck_abort_msg("bad line: %s", text);
	regfree(&re);
	close_tmp_log();
}
END_TEST

START_TEST(log_escapes_controls)
{
	char text[1024];

	open_tmp_log();
	log_msg(LOG_NOTICE, "USER x\nFAKE: root logged in\r\x1b[2J\x7f\\x41");
	log_line(LOG_NOTICE, "a\tb");
	read_log(text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text,
	    "USER x\\x0aFAKE: root logged in\\x0d\\x1b[2J\\x7f\\x41\n"));
	ck_assert_ptr_nonnull(strstr(text, "a\\x09b\n"));
	/* Exactly two lines. */
	ck_assert_ptr_eq(strchr(strchr(text, '\n') + 1, '\n'),
	    strrchr(text, '\n'));
	close_tmp_log();
}
END_TEST

START_TEST(log_levels)
{
	char text[1024];

	open_tmp_log();
	log_set_level(LOG_NOTICE);
	log_msg(LOG_DEBUG, "hidden-debug");
	log_msg(LOG_INFO, "hidden-info");
	log_msg(LOG_WARNING, "shown-warning");
	read_log(text, sizeof(text));
	ck_assert_ptr_null(strstr(text, "hidden"));
	ck_assert_ptr_nonnull(strstr(text, "shown-warning"));
	close_tmp_log();
}
END_TEST

struct fwd {
	int	 level;
	char	 line[256];
	int	 calls;
};

static void
forward(int level, const char *line, void *arg)
{
	struct fwd *f = arg;

	f->level = level;
	(void)snprintf(f->line, sizeof(f->line), "%s", line);
	f->calls++;
}

START_TEST(log_forward_hook)
{
	struct fwd f = { 0, "", 0 };
	char text[1024];

	open_tmp_log();
	log_set_forward(forward, &f);
	log_msg(LOG_WARNING, "from\nchroot %d", 7);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(f.level, LOG_WARNING);
	ck_assert_str_eq(f.line, "from\\x0achroot 7");
	log_set_forward(NULL, NULL);
	/* The monitor writes it: escaping again changes nothing. */
	log_line(f.level, f.line);
	read_log(text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, ": from\\x0achroot 7\n"));
	close_tmp_log();
}
END_TEST

START_TEST(log_fatal_exits)
{
	ck_assert_int_eq(log_open("/dev/null", "test"), 0);
	fatal("invariant broken: %d", 1);
}
END_TEST

START_TEST(log_open_errors)
{
	ck_assert_int_eq(log_open("relative.log", "x"), -1);
	ck_assert_int_eq(log_open("/nonexistent/dir/x.log", "x"), -1);
	ck_assert_int_eq(log_open("syslog", "ftpd-test"), 0);
	ck_assert_int_eq(log_fd(), -1);
	ck_assert_int_eq(log_open("stderr", "ftpd"), 0);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, log_file_format);
	tcase_add_test(tc, log_escapes_controls);
	tcase_add_test(tc, log_levels);
	tcase_add_test(tc, log_forward_hook);
	tcase_add_exit_test(tc, log_fatal_exits, 1);
	tcase_add_test(tc, log_open_errors);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(log_suite)
