/*
 * test_net.c - unit tests for common/net.c: strict ADDR:PORT parsing,
 * lists, formatting, v4-mapped handling and loopback sockets.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/net.h"

static void
roundtrip(const char *in, const char *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char text[NET_ADDRSTRLEN];

	if (net_parse_addr(in, &ss, &len) != 0)
		ck_abort_msg("\"%s\" should parse", in);
	ck_assert_uint_eq(len, net_sa_len((struct sockaddr *)&ss));
	net_format_addr((struct sockaddr *)&ss, text, sizeof(text));
	ck_assert_str_eq(text, out);
}

START_TEST(net_parse_valid)
{
	struct sockaddr_storage ss;
	socklen_t len;

	roundtrip("1.2.3.4:21", "1.2.3.4:21");
	roundtrip("127.0.0.1:0", "127.0.0.1:0");
	roundtrip("255.255.255.255:65535", "255.255.255.255:65535");
	roundtrip("*:21", "0.0.0.0:21");
	roundtrip("[::1]:21", "[::1]:21");
	roundtrip("[::]:2121", "[::]:2121");
	roundtrip("[2001:db8::1]:990", "[2001:db8::1]:990");
	roundtrip("[::ffff:10.0.0.1]:21", "10.0.0.1:21");
	ck_assert_int_eq(net_parse_addr("1.2.3.4:21", &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(net_get_port((struct sockaddr *)&ss), 21);
	ck_assert_int_eq(net_parse_addr("[::1]:21", &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
	ck_assert_uint_eq(net_get_port((struct sockaddr *)&ss), 21);
}
END_TEST

START_TEST(net_parse_invalid)
{
	static const char *const bad[] = {
		"", "1.2.3.4", "1.2.3.4:", ":21", "1.2.3.4:99999",
		"1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+21", "1.2.3.4: 21",
		"1.2.3.4:21 ", " 1.2.3.4:21", "1.2.3:21", "1.2.3.4.5:21",
		"256.1.1.1:21", "01.2.3.4:21", "::1:21", "[::1]", "[::1]21",
		"[::1]:", "[::1:21", "::1]:21", "[1.2.3.4]:21", "[]:21",
		"[::1]:21x", "localhost:21", "garbage", "*", "*:", "**:21",
		"1.2.3.4:0x15", "[::1%]:21", "1.2.3.4:21:22",
		"\x01\x02:21", "[::1]:21,[::2]:21",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char longs[300];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (net_parse_addr(bad[i], &ss, &len) != -1)
			ck_abort_msg("\"%s\" should be rejected", bad[i]);
	ck_assert_int_eq(net_parse_addr(NULL, &ss, &len), -1);
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	longs[5] = ':';
	ck_assert_int_eq(net_parse_addr(longs, &ss, &len), -1);
}
END_TEST

START_TEST(net_parse_list)
{
	struct sockaddr_storage out[4];
	socklen_t lens[4];
	size_t n = 99;

	ck_assert_int_eq(net_parse_addrlist("0.0.0.0:21, [::]:21", out, lens,
	    4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(out[0].ss_family, AF_INET);
	ck_assert_int_eq(out[1].ss_family, AF_INET6);
	ck_assert_uint_eq(lens[1], sizeof(struct sockaddr_in6));
	ck_assert_int_eq(net_parse_addrlist("", out, lens, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(net_parse_addrlist("  ", out, lens, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(net_parse_addrlist("1.1.1.1:1,2.2.2.2:2 ,  "
	    "3.3.3.3:3", out, lens, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(net_get_port((struct sockaddr *)&out[2]), 3);
	ck_assert_int_eq(net_parse_addrlist("1.1.1.1:1,2.2.2.2:2", out, lens,
	    1, &n), -1);
	ck_assert_int_eq(net_parse_addrlist("1.1.1.1:1,,2.2.2.2:2", out, lens,
	    4, &n), -1);
	ck_assert_int_eq(net_parse_addrlist("1.1.1.1:1,", out, lens, 4, &n),
	    -1);
	ck_assert_int_eq(net_parse_addrlist(",1.1.1.1:1", out, lens, 4, &n),
	    -1);
	ck_assert_int_eq(net_parse_addrlist("1.1.1.1:1 2.2.2.2:2", out, lens,
	    4, &n), -1);
	ck_assert_int_eq(net_parse_addrlist("1.1.1.1:1,2.2.2.2:2,3.3.3.3:3",
	    NULL, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(net_loopback_addresses)
{
	static const struct {
		const char	*addr;
		int		 loop;
	} cases[] = {
		{ "127.0.0.1:21", 1 }, { "127.255.3.4:21", 1 },
		{ "[::1]:21", 1 }, { "[::ffff:127.0.0.9]:21", 1 },
		{ "128.0.0.1:21", 0 }, { "10.0.0.1:21", 0 },
		{ "[::2]:21", 0 }, { "[::ffff:10.0.0.1]:21", 0 },
		{ "[fe80::1]:21", 0 }, { "126.255.255.255:21", 0 },
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(net_parse_addr(cases[i].addr, &ss, &len), 0);
		ck_assert_msg(net_is_loopback((struct sockaddr *)&ss) ==
		    cases[i].loop, "%s", cases[i].addr);
	}
}
END_TEST

START_TEST(net_same_host_mapped)
{
	struct sockaddr_storage a, b, c, d;
	socklen_t len;
	char text[NET_ADDRSTRLEN];

	ck_assert_int_eq(net_parse_addr("10.1.2.3:21", &a, &len), 0);
	ck_assert_int_eq(net_parse_addr("[::ffff:10.1.2.3]:5000", &b, &len),
	    0);
	ck_assert_int_eq(net_parse_addr("10.1.2.4:21", &c, &len), 0);
	ck_assert_int_eq(net_parse_addr("[::1]:21", &d, &len), 0);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&b), 1);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&b,
	    (struct sockaddr *)&a), 1);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&c), 0);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&b,
	    (struct sockaddr *)&c), 0);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&d), 0);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&d,
	    (struct sockaddr *)&d), 1);
	net_format_ip((struct sockaddr *)&b, text, sizeof(text));
	ck_assert_str_eq(text, "10.1.2.3");
	net_unmap_v4(&b);
	ck_assert_int_eq(b.ss_family, AF_INET);
	ck_assert_uint_eq(net_get_port((struct sockaddr *)&b), 5000);
	net_format_addr((struct sockaddr *)&b, text, sizeof(text));
	ck_assert_str_eq(text, "10.1.2.3:5000");
	net_unmap_v4(&d);
	ck_assert_int_eq(d.ss_family, AF_INET6);
}
END_TEST

START_TEST(net_format_misc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char text[NET_ADDRSTRLEN], small[6];

	ck_assert_int_eq(net_parse_addr("[::1]:21", &ss, &len), 0);
	net_format_ip((struct sockaddr *)&ss, text, sizeof(text));
	ck_assert_str_eq(text, "::1");
	net_set_port((struct sockaddr *)&ss, 65535);
	net_format_addr((struct sockaddr *)&ss, text, sizeof(text));
	ck_assert_str_eq(text, "[::1]:65535");
	ck_assert_int_eq(net_parse_addr("192.168.100.200:21", &ss, &len), 0);
	net_format_addr((struct sockaddr *)&ss, small, sizeof(small));
	ck_assert_str_eq(small, "192.1");
}
END_TEST

START_TEST(net_loopback_sockets)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	int lfd, cfd, afd;
	char got[4];

	ck_assert_int_eq(net_parse_addr("127.0.0.1:0", &ss, &len), 0);
	lfd = net_listen((struct sockaddr *)&ss, len, 8);
	ck_assert_int_ge(lfd, 0);
	/* Nobody connects: the deadline must fire. */
	errno = 0;
	ck_assert_int_eq(net_accept(lfd, 50, &peer, &plen, 0), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(net_connect(cfd, (struct sockaddr *)&ss, len, 2000),
	    0);
	plen = sizeof(peer);
	afd = net_accept(lfd, 2000, &peer, &plen, 0);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(net_same_host((struct sockaddr *)&peer,
	    (struct sockaddr *)&ss), 1);
	ck_assert_int_eq(net_write_all(cfd, "abc", 3, 1000), 0);
	ck_assert_int_eq(net_wait(afd, POLLIN, 1000), 1);
	ck_assert_int_eq(read(afd, got, sizeof(got)), 3);
	ck_assert_int_eq(memcmp(got, "abc", 3), 0);
	ck_assert_int_eq(net_wait(afd, POLLIN, 20), 0);
	ck_assert_int_eq(net_set_nonblock(afd, 1), 0);
	ck_assert_int_eq(read(afd, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	(void)close(afd);
	(void)close(cfd);
	(void)close(lfd);
}
END_TEST

START_TEST(net_connect_refused)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, cfd;

	/* Take a free port, close it, then connect: refused, not a hang. */
	ck_assert_int_eq(net_parse_addr("127.0.0.1:0", &ss, &len), 0);
	lfd = net_listen((struct sockaddr *)&ss, len, 1);
	ck_assert_int_ge(lfd, 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	(void)close(lfd);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(net_connect(cfd, (struct sockaddr *)&ss, len, 2000),
	    -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	(void)close(cfd);
}
END_TEST

START_TEST(net_listen_v6only)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 0;
	socklen_t olen = sizeof(on);

	ck_assert_int_eq(net_parse_addr("[::1]:0", &ss, &len), 0);
	fd = net_listen((struct sockaddr *)&ss, len, 1);
	if (fd == -1 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		return;		/* no IPv6 on this host */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &olen),
	    0);
	ck_assert_int_eq(on, 1);
	(void)close(fd);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, net_parse_valid);
	tcase_add_test(tc, net_parse_invalid);
	tcase_add_test(tc, net_parse_list);
	tcase_add_test(tc, net_loopback_addresses);
	tcase_add_test(tc, net_same_host_mapped);
	tcase_add_test(tc, net_format_misc);
	tcase_add_test(tc, net_loopback_sockets);
	tcase_add_test(tc, net_connect_refused);
	tcase_add_test(tc, net_listen_v6only);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(net_suite)
