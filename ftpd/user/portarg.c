/*
 * portarg.c - parse PORT and EPRT arguments, format PASV and EPSV replies.
 *
 * Runs in the user process on hostile client text.  Pure: fixed grammars,
 * every field length-bounded and converted with parse_uint_n, addresses
 * with inet_pton only (never a name lookup).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/net.h"
#include "common/parse.h"
#include "user/portarg.h"

#define PORTARG_MAXLEN	128	/* longer arguments are never valid */
#define EPRT_ADDRMAX	INET6_ADDRSTRLEN

int
portarg_parse_port(const char *arg, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	unsigned long long v[6];
	const char *p, *comma;
	unsigned char ip[4];
	size_t i, n;

	if (arg == NULL || strnlen(arg, PORTARG_MAXLEN) >= PORTARG_MAXLEN)
		return PORTARG_SYNTAX;
	p = arg;
	for (i = 0; i < 6; i++) {
		comma = strchr(p, ',');
		if (i < 5 && comma == NULL)
			return PORTARG_SYNTAX;
		if (i == 5) {
			if (comma != NULL)
				return PORTARG_SYNTAX;
			n = strlen(p);
		} else
			n = (size_t)(comma - p);
		if (parse_uint_n(p, n, 0, 255, &v[i]) == -1)
			return PORTARG_SYNTAX;
		p += n + 1;
	}
	if (v[4] == 0 && v[5] == 0)
		return PORTARG_SYNTAX;
	for (i = 0; i < 4; i++)
		ip[i] = (unsigned char)v[i];
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ip, sizeof(ip));
	sin->sin_port = htons((uint16_t)(v[4] * 256 + v[5]));
	return 0;
}

/* The next field of an EPRT argument, up to delimiter d: *p is advanced
 * past it.  Returns the field length, or -1 when d does not follow. */
static long
eprt_field(const char **p, char d)
{
	const char *e;
	long n;

	if ((e = strchr(*p, d)) == NULL)
		return -1;
	n = (long)(e - *p);
	*p = e + 1;
	return n;
}

int
portarg_parse_eprt(const char *arg, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	unsigned long long proto, port;
	char addr[EPRT_ADDRMAX];
	const char *p, *fproto, *faddr, *fport;
	long nproto, naddr, nport;
	char d;

	if (arg == NULL || strnlen(arg, PORTARG_MAXLEN) >= PORTARG_MAXLEN)
		return PORTARG_SYNTAX;
	d = arg[0];
	if (d < 33 || d > 126)
		return PORTARG_SYNTAX;
	p = arg + 1;
	fproto = p;
	nproto = eprt_field(&p, d);
	faddr = p;
	naddr = nproto < 0 ? -1 : eprt_field(&p, d);
	fport = p;
	nport = naddr < 0 ? -1 : eprt_field(&p, d);
	if (nport <= 0 || naddr <= 0 || nproto <= 0 || *p != '\0' ||
	    (size_t)naddr >= sizeof(addr))
		return PORTARG_SYNTAX;
	if (parse_uint_n(fproto, (size_t)nproto, 0, 0xffffffffULL,
	    &proto) == -1)
		return PORTARG_SYNTAX;
	if (parse_uint_n(fport, (size_t)nport, 1, 65535, &port) == -1)
		return PORTARG_SYNTAX;
	if (proto != 1 && proto != 2)
		return PORTARG_PROTO;
	memcpy(addr, faddr, (size_t)naddr);
	addr[naddr] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (proto == 1) {
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return PORTARG_SYNTAX;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else {
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return PORTARG_SYNTAX;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	}
	return 0;
}

int
portarg_format_pasv(const struct sockaddr *sa, char *out, size_t outlen)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const unsigned char *a;
	uint16_t port;
	int n;

	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		a = &sin6->sin6_addr.s6_addr[12];
		port = ntohs(sin6->sin6_port);
	} else
		return -1;
	n = snprintf(out, outlen,
	    "Entering Passive Mode (%u,%u,%u,%u,%u,%u).",
	    a[0], a[1], a[2], a[3], (unsigned)(port >> 8),
	    (unsigned)(port & 0xff));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
portarg_format_epsv(uint16_t port, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen,
	    "Entering Extended Passive Mode (|||%u|).", (unsigned)port);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
