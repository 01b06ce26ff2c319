/*
 * portarg.h - the PORT/EPRT argument grammars and the 227/229 reply texts.
 *
 * Pure functions over client text (RFC 959 4.1.2, RFC 2428), unit-tested
 * in test/unit/test_portarg.c.  The parsers only parse; whether a target
 * may be used is bounce.h's rule, applied by cmd_data.c to the command and
 * again by the monitor to the connection it makes from port L-1.
 */
#ifndef FTPD_PORTARG_H
#define FTPD_PORTARG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PORTARG_SYNTAX	(-1)	/* malformed argument */
#define PORTARG_PROTO	(-2)	/* EPRT: unknown protocol number */

/*
 * "h1,h2,h3,h4,p1,p2": exactly six decimal fields 0..255, no spaces, port
 * not 0.  Fills ss with an AF_INET address.  0 or PORTARG_SYNTAX.
 */
int	portarg_parse_port(const char *arg, struct sockaddr_storage *ss);
/*
 * "<d>proto<d>addr<d>port<d>" with d any of ASCII 33..126 (RFC 2428 2),
 * proto 1 (IPv4) or 2 (IPv6), the address in strict inet_pton form for
 * that protocol, port 1..65535.  Fills ss.  0, PORTARG_SYNTAX, or
 * PORTARG_PROTO for a numeric protocol other than 1 and 2.
 */
int	portarg_parse_eprt(const char *arg, struct sockaddr_storage *ss);
/*
 * "Entering Passive Mode (h1,h2,h3,h4,p1,p2)." for the IPv4 (or
 * v4-mapped) address and port in sa.  0, or -1 if sa is not IPv4 or out
 * is too small.
 */
int	portarg_format_pasv(const struct sockaddr *sa, char *out,
	    size_t outlen);
/* "Entering Extended Passive Mode (|||port|)."  0 or -1 (out too small). */
int	portarg_format_epsv(uint16_t port, char *out, size_t outlen);

#endif
