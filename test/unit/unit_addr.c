/*
 * unit_addr.c - address helpers shared by the unit tests that check
 * parsed socket addresses (PORT/EPRT, PROXY headers).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "unit.h"

uint16_t
unit_port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

const char *
unit_ip_of(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const void *a = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return inet_ntop(ss->ss_family, a, out, (socklen_t)len);
}
