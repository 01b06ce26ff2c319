/*
 * test_json.c - unit tests for common/json.c (JSON string escaping) and
 * the JSON and client= forms of common/log.c's lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/json.h"
#include "common/log.h"

static const char *
esc(const char *in, size_t n, size_t outlen)
{
	static char out[512];

	ck_assert_uint_le(outlen, sizeof(out));
	(void)json_escape(in, n, out, outlen);
	return out;
}

START_TEST(json_escapes_specials)
{
	ck_assert_str_eq(esc("a\"b\\c", 5, 512), "a\\\"b\\\\c");
	ck_assert_str_eq(esc("\n\t\x01\x1f\x7f", 5, 512),
	    "\\u000a\\u0009\\u0001\\u001f\\u007f");
	/* A NUL inside the bytes is a byte like any other. */
	ck_assert_str_eq(esc("a\0b", 3, 512), "a\\u0000b");
	ck_assert_str_eq(esc("/path}{,:", 9, 512), "/path}{,:");
}
END_TEST

START_TEST(json_utf8_kept_invalid_replaced)
{
	/* Valid: 2, 3 and 4 bytes. */
	ck_assert_str_eq(esc("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80", 9, 512),
	    "\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80");
	/* A lone continuation, a cut sequence, an overlong '/', a
	 * surrogate, past U+10FFFF, 0xff. */
	ck_assert_str_eq(esc("\x80", 1, 512), "\\u0080");
	ck_assert_str_eq(esc("\xc3", 1, 512), "\\u00c3");
	ck_assert_str_eq(esc("\xc0\xaf", 2, 512), "\\u00c0\\u00af");
	ck_assert_str_eq(esc("\xed\xa0\x80", 3, 512),
	    "\\u00ed\\u00a0\\u0080");
	ck_assert_str_eq(esc("\xf4\x90\x80\x80", 4, 512),
	    "\\u00f4\\u0090\\u0080\\u0080");
	ck_assert_str_eq(esc("a\xffz", 3, 512), "a\\u00ffz");
}
END_TEST

START_TEST(json_cut_on_whole_characters)
{
	size_t n;
	char out[8];

	/* "ab" then an escape of 6 that does not fit in 8 with the NUL. */
	n = json_escape("ab\x01", 3, out, sizeof(out));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out, "ab");
	n = json_escape("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9, out,
	    sizeof(out));
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(out, "\xe2\x82\xac\xe2\x82\xac");
	ck_assert_uint_eq(json_escape("x", 1, out, 0), 0);
	ck_assert_uint_eq(json_escape("x", 1, out, 1), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

static char logpath[64];

static void
log_to_tmp(char *text, size_t len, void (*write_lines)(void))
{
	FILE *fp;
	size_t n;
	int fd;

	(void)snprintf(logpath, sizeof(logpath), "/tmp/test_json.XXXXXX");
	ck_assert_int_ge(fd = mkstemp(logpath), 0);
	(void)close(fd);
	ck_assert_int_eq(log_open(logpath, "ftpd"), 0);
	write_lines();
	ck_assert_ptr_nonnull(fp = fopen(logpath, "r"));
	n = fread(text, 1, len - 1, fp);
	text[n] = '\0';
	(void)fclose(fp);
	ck_assert_int_eq(log_open("stderr", "ftpd"), 0);
	(void)unlink(logpath);
	log_set_json(0);
	log_set_client("");
	log_set_user("");
	log_set_session(0);
	log_set_prefix("");
}

static void
json_lines(void)
{
	log_set_json(1);
	log_set_session(77);
	log_set_client("192.0.2.7");
	log_msg(LOG_INFO, "plain \"%s\"", "q\\x");
	log_event(LOG_WARNING, "login_failed", NULL, "b\"ob\xff",
	    "login failed: user %s", "b\"ob");
	log_set_session(0);
	log_set_client("");
	log_event(LOG_WARNING, "ban", "2001:db8::1", NULL, "banned\n");
}

START_TEST(log_json_objects)
{
	char text[4096];
	const char *l2, *l3;

	log_to_tmp(text, sizeof(text), json_lines);
	ck_assert_ptr_nonnull(l2 = strchr(text, '\n'));
	ck_assert_ptr_nonnull(l3 = strchr(++l2, '\n'));
	l3++;
	ck_assert_int_eq(strncmp(text, "{\"time\":\"", 9), 0);
	ck_assert_ptr_nonnull(strstr(text, "\",\"level\":\"info\",\"ident\":"
	    "\"ftpd\",\"pid\":"));
	ck_assert_ptr_nonnull(strstr(text, ",\"session\":77,\"client\":"
	    "\"192.0.2.7\",\"msg\":\"plain \\\"q\\\\x\\\"\"}\n{"));
	ck_assert_ptr_nonnull(strstr(l2, "\"level\":\"warning\""));
	ck_assert_ptr_nonnull(strstr(l2, ",\"client\":\"192.0.2.7\","
	    "\"user\":\"b\\\"ob\\u00ff\",\"event\":\"login_failed\","
	    "\"msg\":\"login failed: user b\\\"ob\"}\n"));
	/* The master's line: its own client, no session; the newline in
	 * the message is escaped for log lines first (\x0a). */
	ck_assert_ptr_null(strstr(l3, "session"));
	ck_assert_ptr_nonnull(strstr(l3, ",\"client\":\"2001:db8::1\","
	    "\"event\":\"ban\",\"msg\":\"banned\\\\x0a\"}\n"));
	ck_assert_str_eq(strchr(l3, '\n') + 1, "");	/* three lines */
}
END_TEST

static void
long_line(void)
{
	char big[1100];

	memset(big, 0xff, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_set_json(1);
	log_msg(LOG_INFO, "%s", big);
}

/* A message too long for the line once escaped is cut between whole
 * escapes, and the object is still closed. */
START_TEST(log_json_cut_inside_msg)
{
	char text[16384];
	size_t n;

	log_to_tmp(text, sizeof(text), long_line);
	n = strlen(text);
	ck_assert_uint_gt(n, 2000);
	ck_assert_uint_lt(n, 8192);
	ck_assert_str_eq(text + n - 9, "\\u00ff\"}\n");
	ck_assert_ptr_eq(strchr(text, '\n'), text + n - 1);
}
END_TEST

static void
text_lines(void)
{
	log_set_client("192.0.2.7");
	log_set_prefix("proxy=127.0.0.1");
	log_event(LOG_WARNING, "login_failed", NULL, "x",
	    "login failed: user client=1.2.3.4");
	log_set_client("");
	log_set_prefix("");
	log_event(LOG_NOTICE, "refused", "198.51.100.1", NULL, "refused");
	log_event(LOG_NOTICE, "refused", "", NULL, "no client");
}

START_TEST(log_text_client_first)
{
	char text[4096];

	log_to_tmp(text, sizeof(text), text_lines);
	ck_assert_ptr_nonnull(strstr(text, "]: client=192.0.2.7 "
	    "proxy=127.0.0.1 login failed: user client=1.2.3.4\n"));
	ck_assert_ptr_nonnull(strstr(text, "]: client=198.51.100.1 "
	    "refused\n"));
	ck_assert_ptr_nonnull(strstr(text, "]: no client\n"));
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, json_escapes_specials);
	tcase_add_test(tc, json_utf8_kept_invalid_replaced);
	tcase_add_test(tc, json_cut_on_whole_characters);
	tcase_add_test(tc, log_json_objects);
	tcase_add_test(tc, log_text_client_first);
	tcase_add_test(tc, log_json_cut_inside_msg);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(json_suite)
