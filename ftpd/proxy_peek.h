/*
 * proxy_peek.h - find a PROXY header at the start of a socket and take
 * exactly it, leaving what follows for TLS or the command reader.
 */
#ifndef FTPD_PROXY_PEEK_H
#define FTPD_PROXY_PEEK_H

#include "proxyhdr.h"

/* Where a header is looked for: its absence means different things. */
enum proxy_where {
	PROXY_CONTROL,	/* required: wait for it, anything else is -1 */
	PROXY_DATA,	/* optional: bytes that are no header are data */
};

/*
 * Peek at fd until it starts with a whole header (waiting at most until
 * deadline, a clock_ms() time, for one that has begun to arrive) and take
 * it off the socket.  Returns 1 with *h filled, 0 when there is none
 * (PROXY_DATA only: nothing there yet, or bytes that are no header), -1
 * when a control connection has no valid header or on an error (logged).
 */
int	proxy_peek_take(int fd, enum proxy_where where, long long deadline,
	    struct proxyhdr *h);

#endif
