/*
 * proxy_peek.h - find a PROXY header at the start of a socket and take
 * exactly it, leaving what follows for TLS, the command reader or the
 * transfer.
 */
#ifndef FTPD_PROXY_PEEK_H
#define FTPD_PROXY_PEEK_H

#include "front/proxyhdr.h"

/*
 * Peek at fd until it starts with a whole header, waiting until deadline
 * (a clock_ms() time), and take it off the socket.  1 with *h filled, or
 * -1 (logged) when the peer sends something else, closes, or is too slow.
 */
int	proxy_peek_take(int fd, long long deadline, struct proxyhdr *h);

#endif
