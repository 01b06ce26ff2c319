/*
 * test_ldapfilter.c - unit tests for common/ldapfilter.c: the RFC 4515
 * escaping of the user name in ldap_filter, injection attempts, NULs,
 * bounds, and the template's % sequences.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/ldapfilter.h"

#define DEF	"(&(objectClass=posixAccount)(uid=%u))"

/* The default template built with name (a C string). */
static const char *
built(const char *tmpl, const char *name)
{
	static char out[LDAPFILTER_MAX];
	char err[256] = "";

	ck_assert_msg(ldapfilter_build(out, sizeof(out), tmpl, name,
	    strlen(name), err, sizeof(err)) == 0, "build %s: %s", name, err);
	return out;
}

START_TEST(ldapfilter_plain_names)
{
	ck_assert_str_eq(built(DEF, "alice"),
	    "(&(objectClass=posixAccount)(uid=alice))");
	ck_assert_str_eq(built(DEF, "j.doe-2_x@example.org"),
	    "(&(objectClass=posixAccount)(uid=j.doe-2_x@example.org))");
	ck_assert_str_eq(built(DEF, "a b"),
	    "(&(objectClass=posixAccount)(uid=a b))");
	ck_assert_str_eq(built(DEF, ""), "(&(objectClass=posixAccount)(uid=))");
}
END_TEST

START_TEST(ldapfilter_injection)
{
	/* A wildcard alone would match every account. */
	ck_assert_str_eq(built(DEF, "*"),
	    "(&(objectClass=posixAccount)(uid=\\2a))");
	/* Closing the clause and adding one that matches anything. */
	ck_assert_str_eq(built(DEF, "*)(uid=*"),
	    "(&(objectClass=posixAccount)(uid=\\2a\\29\\28uid=\\2a))");
	ck_assert_str_eq(built(DEF, "a*)(uid=*"),
	    "(&(objectClass=posixAccount)(uid=a\\2a\\29\\28uid=\\2a))");
	ck_assert_str_eq(built(DEF, "*)(|(uid=*"),
	    "(&(objectClass=posixAccount)(uid=\\2a\\29\\28|\\28uid=\\2a))");
	ck_assert_str_eq(built(DEF, "admin)(&)"),
	    "(&(objectClass=posixAccount)(uid=admin\\29\\28&\\29))");
	/* A trailing backslash would escape the filter's own ')'. */
	ck_assert_str_eq(built(DEF, "a\\"),
	    "(&(objectClass=posixAccount)(uid=a\\5c))");
	/* A ready-made escape is escaped again, not passed through. */
	ck_assert_str_eq(built(DEF, "\\2a"),
	    "(&(objectClass=posixAccount)(uid=\\5c2a))");
}
END_TEST

START_TEST(ldapfilter_nul_and_bytes)
{
	char out[64];

	ck_assert_int_eq(ldapfilter_escape(out, sizeof(out), "a\0b", 3), 5);
	ck_assert_str_eq(out, "a\\00b");
	ck_assert_int_eq(ldapfilter_escape(out, sizeof(out), "\0", 1), 3);
	ck_assert_str_eq(out, "\\00");
	ck_assert_int_eq(ldapfilter_escape(out, sizeof(out), "", 0), 0);
	ck_assert_str_eq(out, "");
	/* Controls, DEL and bytes >= 0x80 (UTF-8 é) come out as \XX. */
	ck_assert_int_eq(ldapfilter_escape(out, sizeof(out),
	    "x\r\n\t\x7f\xc3\xa9", 7), 19);
	ck_assert_str_eq(out, "x\\0d\\0a\\09\\7f\\c3\\a9");
	/* build takes a length too: the NUL does not end the name. */
	{
		char err[128] = "";

		ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(uid=%u)",
		    "root\0x", 6, err, sizeof(err)), 0);
		ck_assert_str_eq(out, "(uid=root\\00x)");
	}
}
END_TEST

/* Every byte value, escaped, is printable, has no filter syntax left
 * and decodes back to itself. */
START_TEST(ldapfilter_every_byte_round_trips)
{
	char in[256], out[256 * 3 + 1], back[256];
	size_t i, j = 0;
	int n;

	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	n = ldapfilter_escape(out, sizeof(out), in, sizeof(in));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		ck_assert_msg(c >= 0x20 && c < 0x7f, "byte %02x left raw", c);
		ck_assert_msg(c != '*' && c != '(' && c != ')', "%c raw", c);
		if (c == '\\') {
			char hex[3] = { out[i + 1], out[i + 2], '\0' };

			ck_assert_msg(strspn(hex, "0123456789abcdef") == 2,
			    "bad escape at %zu", i);
			back[j++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			back[j++] = (char)c;
		}
		ck_assert_uint_le(j, sizeof(back));
	}
	ck_assert_uint_eq(j, sizeof(in));
	ck_assert_mem_eq(back, in, sizeof(in));
}
END_TEST

START_TEST(ldapfilter_bounds)
{
	char out[8], err[128];

	/* "ab\2a" is 5 bytes: fits in 6 with its NUL, not in 5. */
	ck_assert_int_eq(ldapfilter_escape(out, 6, "ab*", 3), 5);
	ck_assert_str_eq(out, "ab\\2a");
	ck_assert_int_eq(ldapfilter_escape(out, 5, "ab*", 3), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ldapfilter_escape(out, 0, "a", 1), -1);
	/* The escape, not the raw name, is what must fit. */
	ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(u=%u)", "**",
	    2, err, sizeof(err)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err, "longer than 7 bytes"));
	ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(u=%u)", "ab",
	    2, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "(u=ab)");
	/* "(u=abc)" and its NUL fill the 8 bytes exactly; one more does
	 * not fit. */
	ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(u=%u)", "abc",
	    3, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "(u=abc)");
	ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(u=%u)", "abcd",
	    4, err, sizeof(err)), -1);
	ck_assert_str_eq(out, "");
	/* The template's tail counts too. */
	ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(uid=xyz)", "",
	    0, err, sizeof(err)), -1);
	/* A 255-byte name of nothing but specials fits the real size. */
	{
		char name[255], big[LDAPFILTER_MAX];

		memset(name, '*', sizeof(name));
		ck_assert_int_eq(ldapfilter_build(big, sizeof(big), DEF, name,
		    sizeof(name), err, sizeof(err)), 0);
		ck_assert_uint_eq(strlen(big), strlen(DEF) - 2 + 3 * 255);
	}
}
END_TEST

START_TEST(ldapfilter_template)
{
	char out[128], err[128];

	ck_assert_int_eq(ldapfilter_check(DEF, err, sizeof(err)), 0);
	ck_assert_int_eq(ldapfilter_check("(uid=*)", err, sizeof(err)), 0);
	ck_assert_int_eq(ldapfilter_check("(|(uid=%u)(mail=%u))", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(built("(|(uid=%u)(mail=%u@example.org))", "a*"),
	    "(|(uid=a\\2a)(mail=a\\2a@example.org))");
	ck_assert_str_eq(built("(&(uid=%u)(x=100%%))", "bob"),
	    "(&(uid=bob)(x=100%))");
	ck_assert_str_eq(built("(x=%%u)", "bob"), "(x=%u)");
	ck_assert_str_eq(built("(x=%%%u)", "bob"), "(x=%bob)");
	/* The name itself may hold '%': it is a value, not a template. */
	ck_assert_str_eq(built(DEF, "%u%%"),
	    "(&(objectClass=posixAccount)(uid=%u%%))");

	ck_assert_int_eq(ldapfilter_check("(uid=%s)", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "%s is not %u"));
	ck_assert_int_eq(ldapfilter_check("(uid=%U)", err, sizeof(err)), -1);
	ck_assert_int_eq(ldapfilter_check("(uid=%u)%", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "lone %"));
	ck_assert_int_eq(ldapfilter_check("(uid=%%%)", err, sizeof(err)), -1);
	ck_assert_int_eq(ldapfilter_check("(uid=%\n)", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "%? is not"));
	ck_assert_int_eq(ldapfilter_build(out, sizeof(out), "(uid=%d)", "a",
	    1, err, sizeof(err)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err, "%d is not %u"));
}
END_TEST

static Suite *
ldapfilter_suite(void)
{
	Suite *s = suite_create("ldapfilter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ldapfilter_plain_names);
	tcase_add_test(tc, ldapfilter_injection);
	tcase_add_test(tc, ldapfilter_nul_and_bytes);
	tcase_add_test(tc, ldapfilter_every_byte_round_trips);
	tcase_add_test(tc, ldapfilter_bounds);
	tcase_add_test(tc, ldapfilter_template);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(ldapfilter_suite)
