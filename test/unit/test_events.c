/*
 * test_events.c - unit tests for the event runner's formats:
 * common/json.c (JSON string escaping of any bytes),
 * formats/event_rec.c (the record's wire form, event_on names) and
 * events/evjson.c (one event as a JSON line).
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/buf.h"
#include "common/json.h"
#include "events/events.h"
#include "formats/event_rec.h"
#include "priv/evsend.h"

static const char *
json(const char *s, size_t n, struct buf *b)
{
	buf_reset(b);
	ck_assert_int_eq(json_put(b, s, n), 0);
	return buf_cstr(b);
}

START_TEST(json_escapes)
{
	struct buf b;

	buf_init(&b, 4096);
	ck_assert_str_eq(json("abc", 3, &b), "\"abc\"");
	ck_assert_str_eq(json("", 0, &b), "\"\"");
	ck_assert_str_eq(json("a\"b\\c", 5, &b), "\"a\\\"b\\\\c\"");
	ck_assert_str_eq(json("\n\r\t", 3, &b),
	    "\"\\u000a\\u000d\\u0009\"");
	ck_assert_str_eq(json("\x01\x1f\x7f", 3, &b),
	    "\"\\u0001\\u001f\\u007f\"");
	/* A NUL inside the bytes given is a control byte like any other. */
	ck_assert_str_eq(json("a\0b", 3, &b), "\"a\\u0000b\"");
	/* "/" needs no escape. */
	ck_assert_str_eq(json("/x/y", 4, &b), "\"/x/y\"");
	buf_free(&b);
}
END_TEST

START_TEST(json_utf8)
{
	struct buf b;

	buf_init(&b, 4096);
	/* Valid UTF-8 passes: 2, 3 and 4 bytes. */
	ck_assert_str_eq(json("\xc3\xa9", 2, &b), "\"\xc3\xa9\"");
	ck_assert_str_eq(json("\xe2\x82\xac", 3, &b), "\"\xe2\x82\xac\"");
	ck_assert_str_eq(json("\xf0\x9f\x98\x80", 4, &b),
	    "\"\xf0\x9f\x98\x80\"");
	/* Latin-1 e-acute: the byte as U+00E9. */
	ck_assert_str_eq(json("caf\xe9", 4, &b), "\"caf\\u00e9\"");
	/* A cut sequence, overlong forms, a surrogate, past U+10FFFF, a
	 * lone continuation byte: each byte escaped. */
	ck_assert_str_eq(json("\xe2\x82", 2, &b), "\"\\u00e2\\u0082\"");
	ck_assert_str_eq(json("\xc0\xaf", 2, &b), "\"\\u00c0\\u00af\"");
	ck_assert_str_eq(json("\xe0\x80\xaf", 3, &b),
	    "\"\\u00e0\\u0080\\u00af\"");
	ck_assert_str_eq(json("\xed\xa0\x80", 3, &b),
	    "\"\\u00ed\\u00a0\\u0080\"");
	ck_assert_str_eq(json("\xf4\x90\x80\x80", 4, &b),
	    "\"\\u00f4\\u0090\\u0080\\u0080\"");
	ck_assert_str_eq(json("\x80z", 2, &b), "\"\\u0080z\"");
	ck_assert_uint_eq(json_utf8_len((const unsigned char *)"\xf5\x80"
	    "\x80\x80", 4), 0);
	ck_assert_uint_eq(json_utf8_len((const unsigned char *)"\xef\xbf"
	    "\xbf", 3), 3);
	buf_free(&b);
}
END_TEST

START_TEST(json_bounded)
{
	struct buf b;

	/* Too long for the buffer: -1 and the buffer as it was. */
	buf_init(&b, 8);
	ck_assert_int_eq(buf_puts(&b, "ab"), 0);
	ck_assert_int_eq(json_put(&b, "\x01\x02", 2), -1);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_int_eq(json_put(&b, "xyzw", 4), 0);
	ck_assert_str_eq(buf_cstr(&b), "ab\"xyzw\"");
	buf_free(&b);
}
END_TEST

static void
sample(struct ev_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = EV_RENAME;
	r->bytes = 1234567890123ULL;
	r->time = 1796696682;
	r->session = 4242;
	strcpy(r->user, "alice");
	strcpy(r->client, "2001:db8::1");
	strcpy(r->host, "ftp.example.org");
	strcpy(r->path, "/srv/alice/a \"b\"\xe9");
	strcpy(r->vpath, "/a \"b\"\xe9");
	strcpy(r->path2, "/srv/alice/c");
	strcpy(r->vpath2, "/c");
}

START_TEST(rec_roundtrip)
{
	static unsigned char wire[EV_WIRE_MAX];
	static struct ev_rec a, b;
	size_t n;

	sample(&a);
	n = ev_encode(&a, wire, sizeof(wire));
	ck_assert_uint_gt(n, EV_HDR_LEN);
	ck_assert_int_eq(ev_decode(wire, n, &b), 0);
	ck_assert_int_eq(b.type, EV_RENAME);
	ck_assert_uint_eq(b.bytes, a.bytes);
	ck_assert_int_eq(b.time, a.time);
	ck_assert_uint_eq(b.session, 4242);
	ck_assert_str_eq(b.user, a.user);
	ck_assert_str_eq(b.client, a.client);
	ck_assert_str_eq(b.host, a.host);
	ck_assert_str_eq(b.path, a.path);
	ck_assert_str_eq(b.vpath, a.vpath);
	ck_assert_str_eq(b.path2, a.path2);
	ck_assert_str_eq(b.vpath2, a.vpath2);
	/* Full-length fields fit exactly. */
	memset(a.path, 'p', sizeof(a.path) - 1);
	a.path[sizeof(a.path) - 1] = '\0';
	memset(a.user, 'u', sizeof(a.user) - 1);
	a.user[sizeof(a.user) - 1] = '\0';
	n = ev_encode(&a, wire, sizeof(wire));
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(ev_decode(wire, n, &b), 0);
	ck_assert_uint_eq(strlen(b.path), sizeof(b.path) - 1);
	/* A field without its NUL is not sent; nor is a bad type. */
	a.client[sizeof(a.client) - 1] = 'x';
	memset(a.client, 'c', sizeof(a.client));
	ck_assert_uint_eq(ev_encode(&a, wire, sizeof(wire)), 0);
	sample(&a);
	a.type = 0;
	ck_assert_uint_eq(ev_encode(&a, wire, sizeof(wire)), 0);
	a.type = EV_NTYPES;
	ck_assert_uint_eq(ev_encode(&a, wire, sizeof(wire)), 0);
	/* Too small an output buffer. */
	a.type = EV_UPLOAD;
	ck_assert_uint_eq(ev_encode(&a, wire, EV_WIRE_MAX - 1), 0);
}
END_TEST

START_TEST(rec_rejects)
{
	static unsigned char wire[EV_WIRE_MAX + 8], bad[EV_WIRE_MAX + 8];
	static struct ev_rec a, b;
	size_t n, i;

	sample(&a);
	n = ev_encode(&a, wire, sizeof(wire));
	ck_assert_uint_gt(n, 0);
	/* Every shorter length and one more byte are refused. */
	for (i = 0; i < n; i++)
		ck_assert_int_eq(ev_decode(wire, i, &b), -1);
	wire[n] = 'x';
	ck_assert_int_eq(ev_decode(wire, n + 1, &b), -1);
	/* Magic, type 0, type too high. */
	memcpy(bad, wire, n);
	bad[0] ^= 1;
	ck_assert_int_eq(ev_decode(bad, n, &b), -1);
	memcpy(bad, wire, n);
	memset(bad + 4, 0, 4);
	ck_assert_int_eq(ev_decode(bad, n, &b), -1);
	memcpy(bad, wire, n);
	bad[4] = EV_NTYPES;
	ck_assert_int_eq(ev_decode(bad, n, &b), -1);
	/* A NUL inside a string. */
	memcpy(bad, wire, n);
	bad[EV_HDR_LEN + 1] = '\0';
	ck_assert_int_eq(ev_decode(bad, n, &b), -1);
	/* A length past its field's maximum (user: 256), the total kept. */
	memcpy(bad, wire, n);
	bad[28] = 0x00;
	bad[29] = 0x01;		/* user length 256 */
	ck_assert_int_eq(ev_decode(bad, n, &b), -1);
	/* Lengths that add up past the message. */
	memcpy(bad, wire, n);
	bad[28 + 2 * 3] = 0xff;
	bad[29 + 2 * 3] = 0x0f;
	ck_assert_int_eq(ev_decode(bad, n, &b), -1);
	/* Random garbage never decodes into an unterminated string. */
	srand(7);
	for (i = 0; i < 2000; i++) {
		size_t k, len = (size_t)rand() % (n + 4);

		memcpy(bad, wire, n);
		for (k = 0; k < 4; k++)
			bad[(size_t)rand() % (n + 4)] = (unsigned char)rand();
		if (ev_decode(bad, len, &b) == 0) {
			ck_assert_uint_lt(strlen(b.user), sizeof(b.user));
			ck_assert_uint_lt(strlen(b.path), sizeof(b.path));
			ck_assert(b.type > 0 && b.type < EV_NTYPES);
		}
	}
}
END_TEST

START_TEST(event_names)
{
	char bad[80];
	unsigned m;

	ck_assert_int_eq(ev_parse_mask("all", &m, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(m, EV_ALL);
	ck_assert_uint_eq(m & 1u, 0);
	ck_assert_int_eq(ev_parse_mask("upload, delete rename,,mkdir", &m, bad,
	    sizeof(bad)), 0);
	ck_assert_uint_eq(m, EV_BIT(EV_UPLOAD) | EV_BIT(EV_DELETE) |
	    EV_BIT(EV_RENAME) | EV_BIT(EV_MKDIR));
	ck_assert_int_eq(ev_parse_mask("", &m, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(m, 0);
	ck_assert_int_eq(ev_parse_mask("upload, uploads", &m, bad,
	    sizeof(bad)), -1);
	ck_assert_str_eq(bad, "uploads");
	ck_assert_int_eq(ev_parse_mask("upload_abort", &m, bad, sizeof(bad)),
	    -1);
	ck_assert_str_eq(ev_type_name(EV_LOGIN_FAILED), "login_failed");
	ck_assert_str_eq(ev_type_name(EV_BAN), "ban");
	ck_assert_str_eq(ev_type_name(0), "?");
	ck_assert_str_eq(ev_type_name(EV_NTYPES), "?");
}
END_TEST

START_TEST(json_line)
{
	static struct ev_rec r;
	struct buf b;

	sample(&r);
	buf_init(&b, 65536);
	ck_assert_int_eq(evjson_line(&r, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "{\"event\":\"rename\","
	    "\"user\":\"alice\",\"path\":\"/srv/alice/a \\\"b\\\"\\u00e9\","
	    "\"vpath\":\"/a \\\"b\\\"\\u00e9\",\"path2\":\"/srv/alice/c\","
	    "\"vpath2\":\"/c\",\"bytes\":1234567890123,"
	    "\"client\":\"2001:db8::1\",\"host\":\"ftp.example.org\","
	    "\"session\":4242,\"time\":\"2026-12-08T02:24:42Z\"}\n");
	/* Not a rename: no path2/vpath2. */
	r.type = EV_UPLOAD;
	buf_reset(&b);
	ck_assert_int_eq(evjson_line(&r, &b), 0);
	ck_assert_ptr_null(strstr(buf_cstr(&b), "path2"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "{\"event\":\"upload\","));
	buf_free(&b);
	/* Too small: nothing appended. */
	buf_init(&b, 64);
	ck_assert_int_eq(evjson_line(&r, &b), -1);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

/* FTPD_PATH stays beneath the session's root, whatever vpath says. */
START_TEST(path_beneath_root)
{
	char out[64];

	ck_assert_int_eq(evsend_path("/home/u/", "/a/b", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "/home/u/a/b");
	ck_assert_int_eq(evsend_path("/home/u", "/", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/home/u");
	ck_assert_int_eq(evsend_path("/", "/x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/x");
	/* Names that merely start with dots are names. */
	ck_assert_int_eq(evsend_path("/home/u", "/..a/.b/...", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "/home/u/..a/.b/...");
	/* A forged MON_EVENT must not name a file outside the root. */
	ck_assert_int_eq(evsend_path("/home/u", "/../../etc/shadow", out,
	    sizeof(out)), -1);
	ck_assert_int_eq(evsend_path("/home/u", "/a/..", out, sizeof(out)),
	    -1);
	ck_assert_int_eq(evsend_path("/home/u", "//..//x", out, sizeof(out)),
	    -1);
	ck_assert_int_eq(evsend_path("/home/u", "/./x", out, sizeof(out)),
	    -1);
	ck_assert_int_eq(evsend_path("/home/u", "x", out, sizeof(out)), -1);
}
END_TEST

static Suite *
events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, json_escapes);
	tcase_add_test(tc, json_utf8);
	tcase_add_test(tc, json_bounded);
	tcase_add_test(tc, rec_roundtrip);
	tcase_add_test(tc, rec_rejects);
	tcase_add_test(tc, event_names);
	tcase_add_test(tc, json_line);
	tcase_add_test(tc, path_beneath_root);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(events_suite)
