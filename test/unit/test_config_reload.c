/*
 * test_config_reload.c - unit tests for config_read, the reload's half of
 * config_load (ftpd/config.c): a new object beside the one in use, the
 * restart-only keys kept with their names, errors with FILE:LINE, and
 * conf_same/conf_copy under them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"

static char path[] = "/tmp/unit_reload.XXXXXX";

static void
write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup(void)
{
	int fd;

	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	(void)close(fd);
}

static void
teardown(void)
{
	(void)unlink(path);
}

#define BASE	"tls = off\nanonymous = no\n"

START_TEST(read_keeps_restart_keys)
{
	char err[1024], kept[256];
	struct ftpd_config *nc, *old;

	write_conf(BASE "listen = 127.0.0.1:2121\nbanner = one\n");
	ck_assert_int_eq(config_load(path, 1, NULL, 0, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg->banner, "one");
	write_conf(BASE "listen = 127.0.0.1:2122\nbanner = two\n"
	    "seccomp = no\nmax_clients = 7\n");
	nc = config_read(path, 1, NULL, 0, cfg, kept, sizeof(kept), err,
	    sizeof(err));
	ck_assert_msg(nc != NULL, "%s", err);
	/* The one in use is untouched until installed. */
	ck_assert_str_eq(cfg->banner, "one");
	ck_assert_str_eq(nc->banner, "two");
	ck_assert_uint_eq(nc->max_clients, 7);
	ck_assert_str_eq(nc->listen, "127.0.0.1:2121");
	ck_assert_int_eq(nc->seccomp, 1);
	ck_assert_str_eq(kept, "listen, seccomp");
	ck_assert_int_eq(config_key_changed(cfg, nc, "banner"), 1);
	ck_assert_int_eq(config_key_changed(cfg, nc, "listen"), 0);
	ck_assert_int_eq(config_key_changed(cfg, nc, "anonymous"), 0);
	old = config_install(nc);
	ck_assert_ptr_eq(cfg, nc);
	ck_assert_str_eq(old->banner, "one");
	config_free(old);
	/* The kept key still says where its value came from. */
	snprintf(err, sizeof(err), "%s:3", path);
	ck_assert_str_eq(config_key_where("listen"), err);
}
END_TEST

/* A restart-only key is kept before the checks: the checks judge what
 * will run (an implicit TLS listener the old one did not have would
 * need tls = on, but it is not bound, so it is no error). */
START_TEST(read_checks_what_will_run)
{
	char err[1024], kept[256];
	struct ftpd_config *nc;

	write_conf(BASE "listen = 127.0.0.1:2121\n");
	ck_assert_int_eq(config_load(path, 1, NULL, 0, err, sizeof(err)), 0);
	write_conf(BASE "listen = 127.0.0.1:2121\n"
	    "implicit_tls_listen = 127.0.0.1:990\n");
	nc = config_read(path, 1, NULL, 0, cfg, kept, sizeof(kept), err,
	    sizeof(err));
	ck_assert_msg(nc != NULL, "%s", err);
	ck_assert_str_eq(kept, "implicit_tls_listen");
	ck_assert_str_eq(nc->implicit_tls_listen, "");
	config_free(nc);
	/* Without keep (a start), the same file is refused. */
	ck_assert_ptr_null(config_read(path, 1, NULL, 0, NULL, NULL, 0, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "implicit_tls_listen: needs"));
}
END_TEST

START_TEST(read_errors_name_file_and_line)
{
	char err[1024], want[1100];
	const struct ftpd_config *before;

	write_conf(BASE "listen = 127.0.0.1:2121\n");
	ck_assert_int_eq(config_load(path, 1, NULL, 0, err, sizeof(err)), 0);
	before = cfg;
	write_conf(BASE "banner = x\nmax_clients = lots\n");
	ck_assert_ptr_null(config_read(path, 1, NULL, 0, cfg, NULL, 0, err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "%s:4: max_clients", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	/* A rule between keys, found after the file was read. */
	write_conf(BASE "\nproxy_from = 10.0.0.0/8\n");
	ck_assert_ptr_null(config_read(path, 1, NULL, 0, cfg, NULL, 0, err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "%s:4: proxy_from: needs", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_ptr_eq(cfg, before);
	ck_assert_str_eq(cfg->banner, "ftpd ready.");
}
END_TEST

/* -o values are read again and still win over the file. */
START_TEST(read_applies_overrides_again)
{
	char err[1024], *over[] = { (char *)"banner=from -o" };
	struct ftpd_config *nc;

	write_conf(BASE "listen = 127.0.0.1:2121\nbanner = file\n");
	ck_assert_int_eq(config_load(path, 1, over, 1, err, sizeof(err)), 0);
	write_conf(BASE "listen = 127.0.0.1:2121\nbanner = file 2\n"
	    "idle_timeout = 9\n");
	nc = config_read(path, 1, over, 1, cfg, NULL, 0, err, sizeof(err));
	ck_assert_msg(nc != NULL, "%s", err);
	ck_assert_str_eq(nc->banner, "from -o");
	ck_assert_uint_eq(nc->idle_timeout, 9);
	config_free(config_install(nc));
	ck_assert_str_eq(config_key_where("banner"), "-o");
}
END_TEST

static Suite *
config_reload_suite(void)
{
	Suite *s = suite_create("config_reload");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, read_keeps_restart_keys);
	tcase_add_test(tc, read_checks_what_will_run);
	tcase_add_test(tc, read_errors_name_file_and_line);
	tcase_add_test(tc, read_applies_overrides_again);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(config_reload_suite)
