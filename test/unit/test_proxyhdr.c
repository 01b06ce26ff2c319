/*
 * test_proxyhdr.c - unit tests for ftpd/proxyhdr.c: PROXY protocol v1
 * lines and v2 blocks, valid ones, every prefix of them (read more), the
 * malformed ones, and that the length returned stops where the client's
 * own bytes begin.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "front/proxyhdr.h"

#define V4_TCP4	"PROXY TCP4 192.168.0.1 10.0.0.2 56324 21\r\n"
#define V4_TCP6	"PROXY TCP6 2001:db8::1 ::ffff:10.0.0.2 65535 0\r\n"

static int
parse_str(const char *s, struct proxyhdr *h)
{
	return proxyhdr_parse((const unsigned char *)s, strlen(s), h);
}

static int
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

/*
 * A v2 header in out: ver/cmd byte vc, family/transport byte ft, the
 * address block a[0..alen) and then tlv filler bytes; its length.
 */
static size_t
make_v2(unsigned char *out, unsigned char vc, unsigned char ft,
    const unsigned char *a, size_t alen, size_t tlv)
{
	static const unsigned char sig[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a
	};
	size_t rest = alen + tlv, i;

	memcpy(out, sig, sizeof(sig));
	out[12] = vc;
	out[13] = ft;
	out[14] = (unsigned char)(rest >> 8);
	out[15] = (unsigned char)(rest & 0xff);
	if (alen > 0)
		memcpy(out + 16, a, alen);
	for (i = 0; i < tlv; i++)
		out[16 + alen + i] = (unsigned char)(0x80 + i);
	return 16 + rest;
}

/* 1.2.3.4:1234 -> 5.6.7.8:21 */
static const unsigned char inet_block[12] = {
	1, 2, 3, 4, 5, 6, 7, 8, 0x04, 0xd2, 0x00, 0x15
};

/* [2001:db8::1]:40000 -> [::1]:2121 */
static const unsigned char inet6_block[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x9c, 0x40, 0x08, 0x49
};

/* h names a client: family, both addresses and both ports as given. */
static void
check_named(const struct proxyhdr *h, int family, const char *src,
    const char *dst, uint16_t sport, uint16_t dport)
{
	char ip[64];

	ck_assert_int_eq(h->local, 0);
	ck_assert_int_eq(h->src.ss_family, family);
	ck_assert_int_eq(h->dst.ss_family, family);
	ck_assert_str_eq(unit_ip_of(&h->src, ip, sizeof(ip)), src);
	ck_assert_str_eq(unit_ip_of(&h->dst, ip, sizeof(ip)), dst);
	ck_assert_uint_eq(unit_port_of(&h->src), sport);
	ck_assert_uint_eq(unit_port_of(&h->dst), dport);
}

START_TEST(v1_tcp4)
{
	struct proxyhdr h;
	char ip[64];

	ck_assert_int_eq(parse_str(V4_TCP4, &h), (int)strlen(V4_TCP4));
	check_named(&h, AF_INET, "192.168.0.1", "10.0.0.2", 56324, 21);
	ck_assert_int_eq(parse_str("PROXY TCP4 0.0.0.0 255.255.255.255 0 "
	    "65535\r\n", &h), 44);
	ck_assert_uint_eq(unit_port_of(&h.src), 0);
	ck_assert_uint_eq(unit_port_of(&h.dst), 65535);
	ck_assert_str_eq(unit_ip_of(&h.dst, ip, sizeof(ip)), "255.255.255.255");
}
END_TEST

START_TEST(v1_tcp6)
{
	struct proxyhdr h;
	char ip[64];

	ck_assert_int_eq(parse_str(V4_TCP6, &h), (int)strlen(V4_TCP6));
	check_named(&h, AF_INET6, "2001:db8::1", "::ffff:10.0.0.2", 65535, 0);
	ck_assert_int_eq(parse_str("PROXY TCP6 FE80::A ::1 1 2\r\n", &h), 28);
	ck_assert_str_eq(unit_ip_of(&h.src, ip, sizeof(ip)), "fe80::a");
}
END_TEST

START_TEST(v1_unknown)
{
	static const char *ok[] = {
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
		"PROXY UNKNOWN TCP4 not even an address\r\n",
	};
	struct proxyhdr h;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(parse_str(ok[i], &h), (int)strlen(ok[i]));
		ck_assert_int_eq(h.local, 1);
		ck_assert(all_zero(&h.src, sizeof(h.src)));
		ck_assert(all_zero(&h.dst, sizeof(h.dst)));
	}
}
END_TEST

/* The longest line is 107 bytes with its CRLF; a byte more is too long. */
START_TEST(v1_length)
{
	unsigned char b[200];
	struct proxyhdr h;

	memcpy(b, "PROXY UNKNOWN ", 14);
	memset(b + 14, 'x', sizeof(b) - 14);
	memcpy(b + 105, "\r\n", 2);
	ck_assert_int_eq(proxyhdr_parse(b, 107, &h), 107);
	ck_assert_int_eq(proxyhdr_parse(b, 106, &h), 0);
	memset(b + 14, 'x', sizeof(b) - 14);
	memcpy(b + 106, "\r\n", 2);
	ck_assert_int_eq(proxyhdr_parse(b, 108, &h), PROXYHDR_BAD);
	/* the CR alone already says the line is 108 bytes */
	ck_assert_int_eq(proxyhdr_parse(b, 107, &h), PROXYHDR_BAD);
	memset(b + 14, 'x', sizeof(b) - 14);
	ck_assert_int_eq(proxyhdr_parse(b, 106, &h), 0);
	ck_assert_int_eq(proxyhdr_parse(b, 107, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 108, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, sizeof(b), &h), PROXYHDR_BAD);
}
END_TEST

START_TEST(v1_prefixes)
{
	static const char *good[] = {
		V4_TCP4, V4_TCP6, "PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 0 0\r\n",
	};
	struct proxyhdr h;
	size_t i, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		for (n = 0; n < strlen(good[i]); n++) {
			ck_assert_msg(proxyhdr_parse(
			    (const unsigned char *)good[i], n, &h) == 0,
			    "%zu bytes of \"%s\" not a prefix", n, good[i]);
			ck_assert_int_eq(h.local, 0);
		}
}
END_TEST

START_TEST(v1_bad)
{
	static const char *bad[] = {
		"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY unknown\r\n",
		"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8\r\n",
		"PROXY TCP4 1.2.3.4\r\n",
		"PROXY TCP4\r\n",
		"PROXY TCP4 \r\n",
		"PROXY\r\n",
		"PROXY \r\n",
		"PROXY UNK\r\n",
		"PROXY TCP\r\n",
		"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 ::1 1 2\r\n",
		"PROXY TCP4 ::ffff:1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
		"PROXY TCP6 ::1 5.6.7.8 1 2\r\n",
		"PROXY TCP6 fe80::1%1 ::1 1 2\r\n",
		"PROXY TCP6 [::1] ::1 1 2\r\n",
		"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",
		"PROXY TCP4 localhost 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 0x15 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 100000 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\n2\r\n",
		"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
		"PROXY UNKNOWN \x01\r\n",
		"PROXY UNKNOWN \x7f\r\n",
		"PROXY UNKNOWN \xc3\xa9\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
		"\r\n\r\n\r\n",	/* not v2's signature */
		"USER anonymous\r\n",
		"GET / HTTP/1.0\r\n",
		" PROXY UNKNOWN\r\n",
		/* diverged before the end: no need to wait */
		"PRX",
		"PROXY tcp",
		"PROXY TCP4 ::",
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536",
		"PROXY TCP4 1.2.3.4 5.6.7.8 08",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ",
		"PROXY TCP4 1234567890123456",
		"PROXY TCP4  ",
	};
	struct proxyhdr h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse_str(bad[i], &h) == PROXYHDR_BAD,
		    "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(h.local, 0);
	}
	/* a NUL is a control byte too */
	ck_assert_int_eq(proxyhdr_parse((const unsigned char *)
	    "PROXY UNKNOWN \0\r\n", 17, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse((const unsigned char *)"\0", 1, &h),
	    PROXYHDR_BAD);
}
END_TEST

/* What follows the header is the client's: the length stops before it. */
START_TEST(v1_followed)
{
	static const char *s = V4_TCP4 "USER x\r\n";
	struct proxyhdr h;
	char ip[64];

	ck_assert_int_eq(parse_str(s, &h), (int)strlen(V4_TCP4));
	ck_assert_str_eq(unit_ip_of(&h.src, ip, sizeof(ip)), "192.168.0.1");
	ck_assert_int_eq(parse_str("PROXY UNKNOWN\r\n\x16\x03\x01", &h), 15);
	ck_assert_int_eq(h.local, 1);
	/* the CRLF is found even when control bytes follow it */
	ck_assert_int_eq(parse_str(V4_TCP6 "\r\n\x01\xff", &h),
	    (int)strlen(V4_TCP6));
}
END_TEST

/* v2 PROXY for TCP over IPv4 and IPv6, with and without TLVs after the
 * addresses (skipped unread). */
START_TEST(v2_inet)
{
	static const struct {
		const unsigned char *block;
		size_t	 blen;
		int	 fam_byte, family;
		const char *src, *dst;
		uint16_t sport, dport;
		size_t	 tlv;
	} cases[] = {
		{ inet_block, sizeof(inet_block), 0x11, AF_INET, "1.2.3.4",
		    "5.6.7.8", 1234, 21, 0 },
		{ inet_block, sizeof(inet_block), 0x11, AF_INET, "1.2.3.4",
		    "5.6.7.8", 1234, 21, 7 },
		{ inet6_block, sizeof(inet6_block), 0x21, AF_INET6,
		    "2001:db8::1", "::1", 40000, 2121, 0 },
		{ inet6_block, sizeof(inet6_block), 0x21, AF_INET6,
		    "2001:db8::1", "::1", 40000, 2121, 20 },
	};
	unsigned char b[128];
	struct proxyhdr h;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = make_v2(b, 0x21, cases[i].fam_byte, cases[i].block,
		    cases[i].blen, cases[i].tlv);
		ck_assert_uint_eq(n, 16 + cases[i].blen + cases[i].tlv);
		ck_assert_int_eq(proxyhdr_parse(b, n, &h), (int)n);
		check_named(&h, cases[i].family, cases[i].src, cases[i].dst,
		    cases[i].sport, cases[i].dport);
	}
}
END_TEST

START_TEST(v2_local)
{
	unsigned char b[PROXYHDR_MAX + 16];
	struct proxyhdr h;
	size_t n;

	memset(b, 0, sizeof(b));
	/* LOCAL (health check): the connection's own addresses, whatever
	 * the family and however long the block */
	n = make_v2(b, 0x20, 0x00, NULL, 0, 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 16);
	ck_assert_int_eq(h.local, 1);
	ck_assert(all_zero(&h.src, sizeof(h.src)));
	ck_assert(all_zero(&h.dst, sizeof(h.dst)));
	n = make_v2(b, 0x20, 0x11, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 28);
	ck_assert_int_eq(h.local, 1);
	ck_assert(all_zero(&h.src, sizeof(h.src)));
	n = make_v2(b, 0x20, 0x21, NULL, 0, 3);	/* shorter than INET6 */
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 19);
	ck_assert_int_eq(h.local, 1);
	n = make_v2(b, 0x20, 0x12, NULL, 0, 0);	/* even DGRAM */
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 16);
	ck_assert_int_eq(h.local, 1);
	/* the longest header accepted */
	n = make_v2(b, 0x20, 0x00, NULL, 0, PROXYHDR_MAX - 16);
	ck_assert_uint_eq(n, PROXYHDR_MAX);
	ck_assert_int_eq(proxyhdr_parse(b, 16, &h), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n - 1, &h), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_MAX);
	ck_assert_int_eq(proxyhdr_parse(b, sizeof(b), &h), PROXYHDR_MAX);
}
END_TEST

START_TEST(v2_unspec)
{
	unsigned char b[300];
	struct proxyhdr h;
	size_t n;

	/* PROXY for an address we cannot use: keep the real one */
	n = make_v2(b, 0x21, 0x00, NULL, 0, 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 16);
	ck_assert_int_eq(h.local, 1);
	ck_assert(all_zero(&h.src, sizeof(h.src)));
	n = make_v2(b, 0x21, 0x01, NULL, 0, 4);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 20);
	ck_assert_int_eq(h.local, 1);
	n = make_v2(b, 0x21, 0x31, NULL, 0, 216);	/* two sun_paths */
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), 232);
	ck_assert_int_eq(h.local, 1);
	ck_assert(all_zero(&h.src, sizeof(h.src)));
}
END_TEST

START_TEST(v2_prefixes)
{
	unsigned char b[128];
	struct proxyhdr h;
	size_t n, i, k;
	static const struct {
		unsigned char vc, ft;
		const unsigned char *a;
		size_t alen, tlv;
	} good[] = {
		{ 0x21, 0x11, inet_block, sizeof(inet_block), 0 },
		{ 0x21, 0x11, inet_block, sizeof(inet_block), 9 },
		{ 0x21, 0x21, inet6_block, sizeof(inet6_block), 5 },
		{ 0x20, 0x00, NULL, 0, 0 },
		{ 0x21, 0x31, NULL, 0, 30 },
	};

	for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		n = make_v2(b, good[k].vc, good[k].ft, good[k].a,
		    good[k].alen, good[k].tlv);
		for (i = 0; i < n; i++) {
			ck_assert_msg(proxyhdr_parse(b, i, &h) == 0,
			    "case %zu: %zu of %zu bytes not a prefix", k, i,
			    n);
			ck_assert_int_eq(h.local, 0);
		}
		ck_assert_int_eq(proxyhdr_parse(b, n, &h), (int)n);
	}
}
END_TEST

START_TEST(v2_bad)
{
	unsigned char b[128];
	struct proxyhdr h;
	size_t n;

	/* version 1 and 3 */
	n = make_v2(b, 0x11, 0x11, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 13, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x31, 0x11, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, 13, &h), PROXYHDR_BAD);
	/* command 2 and 15 */
	n = make_v2(b, 0x22, 0x11, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 13, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x2f, 0x00, NULL, 0, 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	/* DGRAM, for every family */
	n = make_v2(b, 0x21, 0x12, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 14, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x22, inet6_block, sizeof(inet6_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x32, NULL, 0, 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x02, NULL, 0, 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	/* INET/INET6 without a transport; transport 3 */
	n = make_v2(b, 0x21, 0x10, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x20, inet6_block, sizeof(inet6_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x13, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	/* families 4 and 15, under PROXY and under LOCAL */
	n = make_v2(b, 0x21, 0x41, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 14, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x20, 0xf1, NULL, 0, 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	/* a length too short for the addresses, known from 16 bytes */
	n = make_v2(b, 0x21, 0x11, inet_block, 11, 0);
	ck_assert_int_eq(proxyhdr_parse(b, 16, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x21, inet6_block, 35, 0);
	ck_assert_int_eq(proxyhdr_parse(b, 16, &h), PROXYHDR_BAD);
	n = make_v2(b, 0x21, 0x21, inet_block, sizeof(inet_block), 0);
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	/* too long: BAD from the 16 bytes alone, not after 1025 */
	make_v2(b, 0x20, 0x00, NULL, 0, 0);
	b[14] = (PROXYHDR_MAX - 16 + 1) >> 8;
	b[15] = (PROXYHDR_MAX - 16 + 1) & 0xff;
	ck_assert_int_eq(proxyhdr_parse(b, 16, &h), PROXYHDR_BAD);
	b[14] = b[15] = 0xff;
	ck_assert_int_eq(proxyhdr_parse(b, 16, &h), PROXYHDR_BAD);
	/* the signature diverges */
	n = make_v2(b, 0x21, 0x11, inet_block, sizeof(inet_block), 0);
	b[11] = 0x0b;
	ck_assert_int_eq(proxyhdr_parse(b, n, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 12, &h), PROXYHDR_BAD);
	ck_assert_int_eq(proxyhdr_parse(b, 11, &h), 0);
	b[4] = 'P';
	ck_assert_int_eq(proxyhdr_parse(b, 5, &h), PROXYHDR_BAD);
	ck_assert_int_eq(parse_str("\r\nQUIT\r\n", &h), PROXYHDR_BAD);
	ck_assert_int_eq(h.local, 0);
}
END_TEST

START_TEST(v2_followed)
{
	unsigned char b[128];
	struct proxyhdr h;
	size_t n;

	n = make_v2(b, 0x21, 0x11, inet_block, sizeof(inet_block), 4);
	memcpy(b + n, "USER x\r\n", 8);
	ck_assert_int_eq(proxyhdr_parse(b, n + 8, &h), (int)n);
	ck_assert_int_eq(h.local, 0);
	ck_assert_uint_eq(unit_port_of(&h.src), 1234);
	n = make_v2(b, 0x20, 0x00, NULL, 0, 0);
	memcpy(b + n, "\x16\x03\x01\x02\x00", 5);	/* a ClientHello */
	ck_assert_int_eq(proxyhdr_parse(b, n + 5, &h), 16);
	ck_assert_int_eq(h.local, 1);
	/* a v1 line after a v2 block is the client's, not a header */
	n = make_v2(b, 0x21, 0x21, inet6_block, sizeof(inet6_block), 0);
	memcpy(b + n, "PROXY UNKNOWN\r\n", 15);
	ck_assert_int_eq(proxyhdr_parse(b, n + 15, &h), 52);
	ck_assert_int_eq(h.src.ss_family, AF_INET6);
}
END_TEST

static Suite *
proxyhdr_suite(void)
{
	Suite *s = suite_create("proxyhdr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, v1_tcp4);
	tcase_add_test(tc, v1_tcp6);
	tcase_add_test(tc, v1_unknown);
	tcase_add_test(tc, v1_length);
	tcase_add_test(tc, v1_prefixes);
	tcase_add_test(tc, v1_bad);
	tcase_add_test(tc, v1_followed);
	tcase_add_test(tc, v2_inet);
	tcase_add_test(tc, v2_local);
	tcase_add_test(tc, v2_unspec);
	tcase_add_test(tc, v2_prefixes);
	tcase_add_test(tc, v2_bad);
	tcase_add_test(tc, v2_followed);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(proxyhdr_suite)
