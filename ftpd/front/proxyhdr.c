/*
 * proxyhdr.c - parse a PROXY protocol header (HAProxy's v1 text line or
 * v2 binary block) from the first bytes of a connection.
 *
 * The bytes come from the peer before anything has been checked, so the
 * parser is pure and strict: it reads nothing past len, copies only into
 * fixed buffers whose bound it checked, converts numbers with
 * parse_uint_n and addresses with inet_pton (never a name lookup), and
 * judges a prefix as soon as it can, so that the caller can stop reading
 * at the first byte that cannot belong to a header instead of waiting for
 * a line that will never come.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "common/parse.h"
#include "front/proxyhdr.h"

#define V1_MAX		107	/* whole v1 line, CRLF included */
#define V1_SIG		"PROXY "
#define V1_SIGLEN	6
#define V1_ADDR4MAX	15	/* "255.255.255.255" */
#define V1_ADDR6MAX	(INET6_ADDRSTRLEN - 1)
#define V1_PORTMAX	5	/* "65535" */

#define V2_SIGLEN	12
#define V2_HDRLEN	16	/* signature, ver/cmd, fam/proto, length */
#define V2_CMD_LOCAL	0
#define V2_CMD_PROXY	1
#define V2_AF_UNSPEC	0
#define V2_AF_INET	1
#define V2_AF_INET6	2
#define V2_AF_UNIX	3
#define V2_TR_UNSPEC	0
#define V2_TR_STREAM	1
#define V2_TR_DGRAM	2
#define V2_INET_LEN	12	/* 4 + 4 + 2 + 2 */
#define V2_INET6_LEN	36	/* 16 + 16 + 2 + 2 */

static const unsigned char v2_sig[V2_SIGLEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Is s[0..n) the start of word (n may be 0)? */
static int
is_prefix(const char *s, size_t n, const char *word)
{
	return n <= strlen(word) && memcmp(s, word, n) == 0;
}

/* Index of the first space in s[p..n), or n. */
static size_t
field_end(const char *s, size_t n, size_t p)
{
	while (p < n && s[p] != ' ')
		p++;
	return p;
}

/*
 * One v1 address field of family fam.  partial: the field may still grow,
 * so only what is there is checked (characters and length; inet_pton
 * judges the whole field once it has ended).
 */
static int
v1_addr(const char *s, size_t n, int fam, int partial,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char a[INET6_ADDRSTRLEN];
	size_t i, max = fam == AF_INET ? V1_ADDR4MAX : V1_ADDR6MAX;
	char c;

	if (n > max)
		return -1;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (!(c >= '0' && c <= '9') && c != '.' && (fam == AF_INET ||
		    (c != ':' && !(c >= 'a' && c <= 'f') &&
		    !(c >= 'A' && c <= 'F'))))
			return -1;
	}
	if (partial)
		return 0;
	if (n == 0)
		return -1;
	memcpy(a, s, n);		/* n <= max < sizeof(a) */
	a[n] = '\0';
	if (fam == AF_INET) {
		if (inet_pton(AF_INET, a, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
	} else {
		if (inet_pton(AF_INET6, a, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
	}
	return 0;
}

/*
 * One v1 port field: decimal 0..65535, no sign, no leading zero ("0"
 * itself is fine).  A partial field is checked as far as it goes: a
 * leading zero or a value already too big cannot be mended by more digits.
 */
static int
v1_port(const char *s, size_t n, int partial, uint16_t *port)
{
	unsigned long long v;

	if (n == 0)
		return partial ? 0 : -1;
	if (n > V1_PORTMAX || (n > 1 && s[0] == '0'))
		return -1;
	if (parse_uint_n(s, n, 0, 65535, &v) == -1)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

/*
 * s[0..n) is a v1 line without its CRLF, every byte printable.  complete:
 * the CRLF follows, so the line must be whole; otherwise it may stop
 * anywhere and need only be the start of a valid line.  0 or -1; h is
 * filled when complete.
 */
static int
v1_line(const char *s, size_t n, int complete, struct proxyhdr *h)
{
	uint16_t ports[2];
	size_t p, e, f;
	int fam, partial;

	if (n < V1_SIGLEN)
		return !complete && is_prefix(s, n, V1_SIG) ? 0 : -1;
	if (memcmp(s, V1_SIG, V1_SIGLEN) != 0)
		return -1;
	p = V1_SIGLEN;
	/* UNKNOWN: the rest of the line is the proxy's business. */
	if (n - p >= 7 && memcmp(s + p, "UNKNOWN", 7) == 0) {
		h->local = 1;
		return 0;
	}
	e = field_end(s, n, p);
	if (e == n && !complete)
		return is_prefix(s + p, e - p, "TCP4") ||
		    is_prefix(s + p, e - p, "TCP6") ||
		    is_prefix(s + p, e - p, "UNKNOWN") ? 0 : -1;
	if (e - p == 4 && memcmp(s + p, "TCP4", 4) == 0)
		fam = AF_INET;
	else if (e - p == 4 && memcmp(s + p, "TCP6", 4) == 0)
		fam = AF_INET6;
	else
		return -1;
	/* Exactly four fields, each after exactly one space. */
	p = e;
	for (f = 0; f < 4; f++) {
		if (p == n)
			return complete ? -1 : 0;
		p++;			/* s[p] was the space */
		e = field_end(s, n, p);
		partial = e == n && !complete;
		if (f < 2) {
			if (v1_addr(s + p, e - p, fam, partial,
			    f == 0 ? &h->src : &h->dst) == -1)
				return -1;
		} else if (v1_port(s + p, e - p, partial, &ports[f - 2]) == -1)
			return -1;
		if (partial)
			return 0;
		p = e;
	}
	if (p != n)			/* a fifth field, or a trailing space */
		return -1;
	if (fam == AF_INET) {
		((struct sockaddr_in *)&h->src)->sin_port = ports[0];
		((struct sockaddr_in *)&h->dst)->sin_port = ports[1];
	} else {
		((struct sockaddr_in6 *)&h->src)->sin6_port = ports[0];
		((struct sockaddr_in6 *)&h->dst)->sin6_port = ports[1];
	}
	return 0;
}

static int
v1_parse(const unsigned char *buf, size_t len, struct proxyhdr *h)
{
	const char *s = (const char *)buf;
	size_t i;

	/* The line ends at the first CR; no control byte may come before. */
	for (i = 0; i < len && i < V1_MAX; i++) {
		if (buf[i] == '\r')
			break;
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return PROXYHDR_BAD;
	}
	if (i == V1_MAX)
		return PROXYHDR_BAD;	/* no CR within the longest line */
	if (i == len)
		return v1_line(s, len, 0, h) == 0 ? 0 : PROXYHDR_BAD;
	/* The CR at i: the line is now fixed, and the LF must fit too. */
	if (i + 2 > V1_MAX || v1_line(s, i, 1, h) == -1)
		return PROXYHDR_BAD;
	if (i + 1 == len)
		return 0;
	if (buf[i + 1] != '\n')
		return PROXYHDR_BAD;
	return (int)(i + 2);
}

static int
v2_parse(const unsigned char *buf, size_t len, struct proxyhdr *h)
{
	struct sockaddr_in *src4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in *dst4 = (struct sockaddr_in *)&h->dst;
	struct sockaddr_in6 *src6 = (struct sockaddr_in6 *)&h->src;
	struct sockaddr_in6 *dst6 = (struct sockaddr_in6 *)&h->dst;
	unsigned ver, cmd, fam, tr;
	size_t rest, need, total;

	/* Judge each byte as it arrives: a bad one ends it at once. */
	if (memcmp(buf, v2_sig, len < V2_SIGLEN ? len : V2_SIGLEN) != 0)
		return PROXYHDR_BAD;
	if (len <= V2_SIGLEN)
		return 0;
	ver = buf[12] >> 4;
	cmd = buf[12] & 0x0f;
	if (ver != 2 || (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY))
		return PROXYHDR_BAD;
	if (len <= 13)
		return 0;
	fam = buf[13] >> 4;
	tr = buf[13] & 0x0f;
	/* Undefined values are refused even under LOCAL. */
	if (fam > V2_AF_UNIX || tr > V2_TR_DGRAM)
		return PROXYHDR_BAD;
	/* We serve TCP only: a datagram client, or an INET address without
	 * a transport, cannot be the one on this connection. */
	if (cmd == V2_CMD_PROXY && (tr == V2_TR_DGRAM ||
	    ((fam == V2_AF_INET || fam == V2_AF_INET6) &&
	    tr != V2_TR_STREAM)))
		return PROXYHDR_BAD;
	if (len < V2_HDRLEN)
		return 0;
	rest = ((size_t)buf[14] << 8) | buf[15];	/* big-endian */
	total = V2_HDRLEN + rest;
	if (total > PROXYHDR_MAX)
		return PROXYHDR_BAD;
	need = 0;
	if (cmd == V2_CMD_PROXY && fam == V2_AF_INET)
		need = V2_INET_LEN;
	else if (cmd == V2_CMD_PROXY && fam == V2_AF_INET6)
		need = V2_INET6_LEN;
	if (rest < need)
		return PROXYHDR_BAD;
	if (len < total)
		return 0;
	/* Whatever follows the addresses (TLVs) is skipped unread. */
	if (need == 0)
		h->local = 1;	/* LOCAL, or PROXY for UNSPEC/UNIX */
	else if (fam == V2_AF_INET) {
		src4->sin_family = dst4->sin_family = AF_INET;
		memcpy(&src4->sin_addr, buf + 16, 4);
		memcpy(&dst4->sin_addr, buf + 20, 4);
		memcpy(&src4->sin_port, buf + 24, 2);
		memcpy(&dst4->sin_port, buf + 26, 2);
	} else {
		src6->sin6_family = dst6->sin6_family = AF_INET6;
		memcpy(&src6->sin6_addr, buf + 16, 16);
		memcpy(&dst6->sin6_addr, buf + 32, 16);
		memcpy(&src6->sin6_port, buf + 48, 2);
		memcpy(&dst6->sin6_port, buf + 50, 2);
	}
	return (int)total;
}

int
proxyhdr_parse(const unsigned char *buf, size_t len, struct proxyhdr *out)
{
	struct proxyhdr h;
	int r;

	/* Parsed aside, so that out never holds half a header. */
	memset(out, 0, sizeof(*out));
	memset(&h, 0, sizeof(h));
	if (len == 0)
		return 0;
	if (buf[0] == 'P')
		r = v1_parse(buf, len, &h);
	else if (buf[0] == v2_sig[0])
		r = v2_parse(buf, len, &h);
	else
		return PROXYHDR_BAD;
	if (r > 0)
		*out = h;
	return r;
}
