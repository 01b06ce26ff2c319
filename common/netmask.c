/*
 * netmask.c - lists of address prefixes and matching addresses to them.
 *
 * Used for proxy_from: which peers may speak for others with a PROXY
 * header; and for a plan's allow_from and deny_from.  Parsing is strict
 * (inet_pton, no names, decimal prefix lengths in range) because a loose
 * list is a hole in that trust.  netmask_format writes a list back, for
 * ftpd -t -u.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netmask.h"
#include "parse.h"

#define ENTRY_MAX	64	/* "ffff:...:ffff/128" fits easily */

/* Does addr have a bit set beyond the first bits? */
static int
host_bits_set(const unsigned char *addr, size_t len, unsigned bits)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ?
		    bits - 8 * (unsigned)i : 0;
		unsigned char mask = (unsigned char)(0xff << (8 - keep));

		if (keep == 0)
			mask = 0;
		if ((addr[i] & (unsigned char)~mask) != 0)
			return 1;
	}
	return 0;
}

static int
parse_entry(const char *s, size_t n, struct net_prefix *p)
{
	char text[ENTRY_MAX];
	const char *slash;
	unsigned long long bits;
	size_t alen;

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	slash = memchr(text, '/', n);
	alen = slash != NULL ? (size_t)(slash - text) : n;
	text[alen] = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, text, p->addr) == 1) {
		p->family = AF_INET;
		p->bits = 32;
	} else if (inet_pton(AF_INET6, text, p->addr) == 1) {
		p->family = AF_INET6;
		p->bits = 128;
	} else
		return -1;
	if (slash != NULL) {
		if (parse_uint_n(slash + 1, n - alen - 1, 0, p->bits,
		    &bits) == -1)
			return -1;
		if (n - alen - 1 > 1 && slash[1] == '0')
			return -1;	/* "/08": a typo */
		p->bits = (unsigned)bits;
	}
	return host_bits_set(p->addr, p->family == AF_INET ? 4 : 16,
	    p->bits) ? -1 : 0;
}

int
netmask_parse_list(const char *list, struct net_prefix *out, size_t max,
    size_t *n)
{
	const char *s = list, *e, *end;

	*n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return 0;
	for (;;) {
		e = strchr(s, ',');
		end = e != NULL ? e : s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (*n >= max || parse_entry(s, (size_t)(end - s),
		    &out[*n]) == -1)
			return -1;
		(*n)++;
		if (e == NULL)
			return 0;
		s = e + 1;
		while (*s == ' ' || *s == '\t')
			s++;
	}
}

static int
in_prefix(const struct net_prefix *p, const unsigned char *addr)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;
	unsigned char mask;

	if (memcmp(p->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (addr[full] & mask) == p->addr[full];
}

int
netmask_match(const struct net_prefix *p, size_t n, const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const unsigned char *addr;
	int family = sa->sa_family;
	size_t i;

	if (family == AF_INET) {
		addr = (const unsigned char *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		addr = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
			family = AF_INET;
			addr += sizeof(mapped);
		}
	} else
		return 0;
	for (i = 0; i < n; i++)
		if (p[i].family == family && in_prefix(&p[i], addr))
			return 1;
	return 0;
}

void
netmask_format(const struct net_prefix *p, size_t n, char *out,
    size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, len = 0;
	int w;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (inet_ntop(p[i].family, p[i].addr, a, sizeof(a)) == NULL)
			(void)snprintf(a, sizeof(a), "?");
		/* A host is written as it is usually given: no /32, /128. */
		if (p[i].bits == (p[i].family == AF_INET ? 32u : 128u))
			w = snprintf(out + len, outlen - len, "%s%s",
			    i > 0 ? ", " : "", a);
		else
			w = snprintf(out + len, outlen - len, "%s%s/%u",
			    i > 0 ? ", " : "", a, p[i].bits);
		if (w < 0 || (size_t)w >= outlen - len) {
			out[len] = '\0';	/* whole entries only */
			return;
		}
		len += (size_t)w;
	}
}
