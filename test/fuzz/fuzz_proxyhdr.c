/*
 * fuzz_proxyhdr.c - libFuzzer target: the first bytes of a connection
 * through the PROXY header parser (v1 line, v2 block).  Besides memory
 * errors, aborts when a length or an address it returns could mislead the
 * caller, or when a header would be refused had it arrived in pieces
 * (front_proxy.c reads more only while the answer is 0).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "front/proxyhdr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyhdr h, p;
	size_t n, upto;
	int r;

	r = proxyhdr_parse(data, size, &h);
	if (r < PROXYHDR_BAD)
		abort();
	if (r > 0 && ((size_t)r > size || r > PROXYHDR_MAX))
		abort();
	if (r > 0 && !h.local && ((h.src.ss_family != AF_INET &&
	    h.src.ss_family != AF_INET6) ||
	    h.src.ss_family != h.dst.ss_family))
		abort();
	if (r == PROXYHDR_BAD)
		return 0;
	/* Every shorter prefix of a header, or of a valid prefix, is "read
	 * more"; the header alone gives the same answer.  Bounded: a valid
	 * prefix is shorter than PROXYHDR_MAX. */
	upto = r > 0 ? (size_t)r : size;
	for (n = 0; n < upto; n++)
		if (proxyhdr_parse(data, n, &p) != 0)
			abort();
	if (r > 0 && proxyhdr_parse(data, (size_t)r, &p) != r)
		abort();
	return 0;
}
