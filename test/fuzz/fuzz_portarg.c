/*
 * fuzz_portarg.c - libFuzzer target: PORT and EPRT arguments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "user/portarg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	char *s = strndup((const char *)data, size);

	if (s == NULL)
		return 0;
	if (portarg_parse_port(s, &ss) == 0 && ss.ss_family != AF_INET)
		abort();
	if (portarg_parse_eprt(s, &ss) == 0 && ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6)
		abort();
	free(s);
	return 0;
}
