/*
 * test_netmask.c - unit tests for common/netmask.c: prefix lists
 * (proxy_from) and matching, v4-mapped addresses included.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "common/netmask.h"

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr))
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr))
		ss.ss_family = AF_INET6;
	else
		ck_abort_msg("bad test address %s", text);
	return ss;
}

static int
matches(const char *list, const char *a)
{
	struct net_prefix p[NETMASK_MAX];
	struct sockaddr_storage ss = addr(a);
	size_t n;

	ck_assert_int_eq(netmask_parse_list(list, p, NETMASK_MAX, &n), 0);
	return netmask_match(p, n, (struct sockaddr *)&ss);
}

START_TEST(netmask_valid_lists)
{
	struct net_prefix p[4];
	size_t n;

	ck_assert_int_eq(netmask_parse_list("", p, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(netmask_parse_list("  ", p, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(netmask_parse_list("10.0.0.0/8, 192.0.2.7 ,"
	    "2001:db8::/32", p, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(p[0].family, AF_INET);
	ck_assert_uint_eq(p[0].bits, 8);
	ck_assert_uint_eq(p[1].bits, 32);
	ck_assert_int_eq(p[2].family, AF_INET6);
	ck_assert_uint_eq(p[2].bits, 32);
	ck_assert_int_eq(netmask_parse_list("0.0.0.0/0,::/0", p, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(netmask_invalid_lists)
{
	static const char *bad[] = {
		"10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/08",
		"10.0.0.0/-1", "10.0.0.0/8/8", "example.org", "10.0.0",
		"[::1]", "::1/129", "2001:db8::1/32", "10.0.0.0/8,,10.0.0.1",
		"10.0.0.0/8,", ",10.0.0.1", "1.2.3.4 5.6.7.8", "01.2.3.4",
		"1.2.3.4/ 8",
	};
	struct net_prefix p[4];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netmask_parse_list(bad[i], p, 4, &n) == -1,
		    "\"%s\" should be refused", bad[i]);
	ck_assert_int_eq(netmask_parse_list("1.1.1.1,2.2.2.2,3.3.3.3",
	    p, 2, &n), -1);
}
END_TEST

START_TEST(netmask_matching)
{
	ck_assert(matches("10.0.0.0/8", "10.200.3.4"));
	ck_assert(!matches("10.0.0.0/8", "11.0.0.1"));
	ck_assert(matches("192.168.4.0/22", "192.168.7.255"));
	ck_assert(!matches("192.168.4.0/22", "192.168.8.0"));
	ck_assert(matches("192.0.2.7", "192.0.2.7"));
	ck_assert(!matches("192.0.2.7", "192.0.2.8"));
	ck_assert(matches("0.0.0.0/0", "203.0.113.9"));
	ck_assert(!matches("0.0.0.0/0", "2001:db8::1"));
	ck_assert(matches("2001:db8::/32", "2001:db8:ffff::1"));
	ck_assert(!matches("2001:db8::/32", "2001:db9::1"));
	ck_assert(matches("2001:db8::/33", "2001:db8:7fff::1"));
	ck_assert(!matches("2001:db8::/33", "2001:db8:8000::1"));
	/* A v4-mapped peer (dual-stack listener) is its IPv4 address. */
	ck_assert(matches("127.0.0.0/8", "::ffff:127.0.0.9"));
	ck_assert(!matches("::ffff:0:0/96", "::1"));
	ck_assert(!matches("", "127.0.0.1"));
}
END_TEST

/* What netmask_format writes reads back as the same list. */
START_TEST(netmask_format_round_trip)
{
	struct net_prefix p[NETMASK_MAX];
	char out[256], small[12];
	size_t n;

	ck_assert_int_eq(netmask_parse_list("10.0.0.0/8, 192.0.2.7,"
	    "2001:db8::/32,::1", p, NETMASK_MAX, &n), 0);
	netmask_format(p, n, out, sizeof(out));
	ck_assert_str_eq(out, "10.0.0.0/8, 192.0.2.7, 2001:db8::/32, ::1");
	netmask_format(p, 0, out, sizeof(out));
	ck_assert_str_eq(out, "");
	/* Cut to what fits, whole entries only. */
	netmask_format(p, n, small, sizeof(small));
	ck_assert_str_eq(small, "10.0.0.0/8");
}
END_TEST

static Suite *
netmask_suite(void)
{
	Suite *s = suite_create("netmask");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, netmask_valid_lists);
	tcase_add_test(tc, netmask_invalid_lists);
	tcase_add_test(tc, netmask_matching);
	tcase_add_test(tc, netmask_format_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(netmask_suite)
