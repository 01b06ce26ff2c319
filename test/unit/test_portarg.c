/*
 * test_portarg.c - unit tests for ftpd/portarg.c: the PORT and EPRT
 * grammars (valid forms, every kind of malformed one) and the 227/229
 * reply texts.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "bounce.h"
#include "user/portarg.h"


START_TEST(port_valid)
{
	struct sockaddr_storage ss;
	char ip[64];

	ck_assert_int_eq(portarg_parse_port("127,0,0,1,4,1", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_str_eq(unit_ip_of(&ss, ip, sizeof(ip)), "127.0.0.1");
	ck_assert_uint_eq(unit_port_of(&ss), 4 * 256 + 1);
	ck_assert_int_eq(portarg_parse_port("255,255,255,255,255,255", &ss),
	    0);
	ck_assert_str_eq(unit_ip_of(&ss, ip, sizeof(ip)), "255.255.255.255");
	ck_assert_uint_eq(unit_port_of(&ss), 65535);
	ck_assert_int_eq(portarg_parse_port("10,0,0,2,0,21", &ss), 0);
	ck_assert_uint_eq(unit_port_of(&ss), 21);
}
END_TEST

START_TEST(port_invalid)
{
	static const char *bad[] = {
		"", "127,0,0,1,4", "127,0,0,1,4,1,7", "256,0,0,1,4,1",
		"127,0,0,1,4,256", "-1,0,0,1,4,1", "127,0,0,1,4,-1",
		"127, 0,0,1,4,1", " 127,0,0,1,4,1", "127,0,0,1,4,1 ",
		"127,0,0,1,,1", "127,0,0,1,4,", ",127,0,0,1,4",
		"127,0,0,1,4,1,", "a,0,0,1,4,1", "127.0.0.1,4,1",
		"127,0,0,1,0,0", "+1,0,0,1,4,1", "0x7f,0,0,1,4,1",
		"1,2,3,4,5,6,7,8,9,10",
	};
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(portarg_parse_port(bad[i], &ss) == PORTARG_SYNTAX,
		    "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(portarg_parse_port(NULL, &ss), PORTARG_SYNTAX);
}
END_TEST

START_TEST(eprt_valid)
{
	struct sockaddr_storage ss;
	char ip[64];

	ck_assert_int_eq(portarg_parse_eprt("|1|132.235.1.2|6275|", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_str_eq(unit_ip_of(&ss, ip, sizeof(ip)), "132.235.1.2");
	ck_assert_uint_eq(unit_port_of(&ss), 6275);
	ck_assert_int_eq(portarg_parse_eprt("|2|::1|5282|", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_str_eq(unit_ip_of(&ss, ip, sizeof(ip)), "::1");
	ck_assert_uint_eq(unit_port_of(&ss), 5282);
	ck_assert_int_eq(portarg_parse_eprt(
	    "|2|1080::8:800:200C:417A|5282|", &ss), 0);
	/* Any delimiter in 33..126 (RFC 2428 2). */
	ck_assert_int_eq(portarg_parse_eprt("!1!10.0.0.1!1!", &ss), 0);
	ck_assert_uint_eq(unit_port_of(&ss), 1);
	ck_assert_int_eq(portarg_parse_eprt("~2~::1~65535~", &ss), 0);
	ck_assert_uint_eq(unit_port_of(&ss), 65535);
}
END_TEST

START_TEST(eprt_invalid)
{
	static const char *bad[] = {
		"", "|", "||||", "|1|132.235.1.2|6275", "|1|132.235.1.2|6275||",
		"|1|132.235.1.2|6275|x", "1|132.235.1.2|6275|",
		"|1|::1|6275|", "|2|132.235.1.2|6275|", "|1|132.235.1|6275|",
		"|1|132.235.1.2|0|", "|1|132.235.1.2|65536|",
		"|1|132.235.1.2|-1|", "|1| 132.235.1.2|6275|",
		"|1|132.235.1.2| 6275|", "|1|localhost|6275|", "||::1|21|",
		"|x|::1|21|", " |1|1.2.3.4|21| ", "\x7f" "1\x7f" "1.2.3.4\x7f"
		"21\x7f", " 1 1.2.3.4 21 ", "|2|fe80::1%1|21|",
		"|1|1.2.3.4|21|21|", "|1|1.2.3.4||",
	};
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(portarg_parse_eprt(bad[i], &ss) == PORTARG_SYNTAX,
		    "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(portarg_parse_eprt(NULL, &ss), PORTARG_SYNTAX);
}
END_TEST

START_TEST(eprt_proto)
{
	struct sockaddr_storage ss;

	ck_assert_int_eq(portarg_parse_eprt("|3|1.2.3.4|21|", &ss),
	    PORTARG_PROTO);
	ck_assert_int_eq(portarg_parse_eprt("|0|1.2.3.4|21|", &ss),
	    PORTARG_PROTO);
}
END_TEST

START_TEST(format_pasv)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char out[128];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "192.168.1.20", &sin.sin_addr), 1);
	sin.sin_port = htons(50001);
	ck_assert_int_eq(portarg_format_pasv((struct sockaddr *)&sin, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out,
	    "Entering Passive Mode (192,168,1,20,195,81).");
	/* v4-mapped is shown as IPv4; plain IPv6 cannot be. */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1",
	    &sin6.sin6_addr), 1);
	sin6.sin6_port = htons(1024);
	ck_assert_int_eq(portarg_format_pasv((struct sockaddr *)&sin6, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "Entering Passive Mode (127,0,0,1,4,0).");
	ck_assert_int_eq(inet_pton(AF_INET6, "::1", &sin6.sin6_addr), 1);
	ck_assert_int_eq(portarg_format_pasv((struct sockaddr *)&sin6, out,
	    sizeof(out)), -1);
	ck_assert_int_eq(portarg_format_pasv((struct sockaddr *)&sin, out,
	    10), -1);
}
END_TEST

START_TEST(format_epsv)
{
	char out[64];

	ck_assert_int_eq(portarg_format_epsv(6446, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "Entering Extended Passive Mode (|||6446|).");
	ck_assert_int_eq(portarg_format_epsv(6446, out, 8), -1);
}
END_TEST

START_TEST(target_ok)
{
	struct sockaddr_storage peer, dst;
	const struct sockaddr *d = (const struct sockaddr *)&dst;
	const struct sockaddr *p = (const struct sockaddr *)&peer;

	ck_assert_int_eq(portarg_parse_port("127,0,0,1,4,0", &peer), 0);
	ck_assert_int_eq(portarg_parse_port("127,0,0,1,156,64", &dst), 0);
	ck_assert_int_eq(active_target_ok(d, p, 0), 1);
	/* port 1023: privileged */
	ck_assert_int_eq(portarg_parse_port("127,0,0,1,3,255", &dst), 0);
	ck_assert_int_eq(active_target_ok(d, p, 0), 0);
	ck_assert_int_eq(active_target_ok(d, p, 1), 1);
	/* another host */
	ck_assert_int_eq(portarg_parse_port("127,0,0,2,156,64", &dst), 0);
	ck_assert_int_eq(active_target_ok(d, p, 0), 0);
	ck_assert_int_eq(active_target_ok(d, p, 1), 1);
	/* another family is another host */
	ck_assert_int_eq(portarg_parse_eprt("|2|::1|40000|", &dst), 0);
	ck_assert_int_eq(active_target_ok(d, p, 0), 0);
}
END_TEST

static Suite *
portarg_suite(void)
{
	Suite *s = suite_create("portarg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, port_valid);
	tcase_add_test(tc, port_invalid);
	tcase_add_test(tc, eprt_valid);
	tcase_add_test(tc, eprt_invalid);
	tcase_add_test(tc, eprt_proto);
	tcase_add_test(tc, format_pasv);
	tcase_add_test(tc, format_epsv);
	tcase_add_test(tc, target_ok);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(portarg_suite)
