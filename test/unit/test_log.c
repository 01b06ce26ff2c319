/*
 * test_log.c - unit tests for common/log.c: line format on a file sink,
 * control-character escaping, levels, the forwarding hook and fatal().
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <sched.h>
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


/* Sockets open in this process: /proc/self/fd links "socket:[N]". */
static int
count_sockets(void)
{
	char path[300], link[64];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	ssize_t n;
	int count = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%s",
		    de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			count += strncmp(link, "socket:", 7) == 0;
		}
	}
	(void)closedir(d);
	return count;
}

/*
 * A reload that moves the log from syslog to a file (or stderr) must
 * close syslog's socket: the master would keep it, and every session
 * process forked afterwards (front, user: log_detach closes syslog only
 * while it is the sink) would hold a socket to /dev/log through which
 * it could write any line under any name.  In a mount namespace of its
 * own with a /dev/log to connect to; skipped where that cannot be made.
 */
START_TEST(log_leaving_syslog_closes_its_socket)
{
	struct sockaddr_un sa;
	pid_t pid;
	int st, srv, before;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) == -1 ||
		    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
		    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") == -1)
			_exit(77);	/* not root: nothing to test here */
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "/dev/log");
		if ((srv = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
		    bind(srv, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			_exit(2);
		before = count_sockets();
		if (log_open("syslog", "ftpd-test") == -1)
			_exit(3);
		log_msg(LOG_ERR, "to syslog");
		if (count_sockets() != before + 1)
			_exit(77);	/* openlog kept nothing open */
		open_tmp_log();
		(void)unlink(logpath);
		_exit(count_sockets() == before ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		return;
	ck_assert_int_eq(WEXITSTATUS(st), 0);
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
	tcase_add_test(tc, log_leaving_syslog_closes_its_socket);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(log_suite)
