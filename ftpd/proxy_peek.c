/*
 * proxy_peek.c - find a PROXY header at the start of a socket and take
 * exactly it.
 *
 * The header is peeked at (MSG_PEEK) until it is whole, then read to its
 * exact length: what follows it, a TLS ClientHello or early commands on a
 * control connection, an upload's first bytes on a data connection, stays
 * in the socket.  Runs in the front (control) and the user process (data),
 * never in a privileged one.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "proxy_peek.h"

#define PEEK_PAUSE_MS	10	/* part of a header: wait for the rest */

/* Peek until fd holds a whole header: its length, 0 or -1 as above. */
static int
peek(int fd, enum proxy_where where, long long deadline,
    unsigned char *buf, struct proxyhdr *h)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long left;
	ssize_t n;
	int r, partial = 0;

	for (;;) {
		n = recv(fd, buf, PROXYHDR_MAX, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0) {
			if (where == PROXY_DATA)
				return 0;	/* an empty upload */
			log_msg(LOG_INFO, "closed before the PROXY header");
			return -1;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			log_msg(LOG_NOTICE, "PROXY header: recv: %s",
			    strerror(errno));
			return -1;
		}
		if (n > 0) {
			r = proxyhdr_parse(buf, (size_t)n, h);
			if (r > 0)
				return r;
			if (r == PROXYHDR_BAD) {
				if (where == PROXY_DATA)
					return 0;
				log_msg(LOG_NOTICE, "not a valid PROXY header: "
				    "connection closed");
				return -1;
			}
			partial = 1;
		} else if (where == PROXY_DATA && !partial) {
			return 0;	/* nothing sent yet: no header */
		}
		if ((left = deadline - clock_ms()) <= 0) {
			if (where == PROXY_DATA)
				return 0;	/* data that looked like one */
			log_msg(LOG_NOTICE, "no PROXY header in time: "
			    "connection closed");
			return -1;
		}
		/* Unread bytes keep the socket readable: after part of a
		 * header, pause instead of spinning on poll. */
		if (partial)
			r = poll(NULL, 0, left < PEEK_PAUSE_MS ? (int)left :
			    PEEK_PAUSE_MS);
		else
			r = poll(&p, 1, (int)left);
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

int
proxy_peek_take(int fd, enum proxy_where where, long long deadline,
    struct proxyhdr *h)
{
	unsigned char buf[PROXYHDR_MAX];
	ssize_t n;
	int len, got = 0;

	if ((len = peek(fd, where, deadline, buf, h)) <= 0)
		return len;
	/* The bytes are all there: this takes exactly the header. */
	while (got < len) {
		n = recv(fd, buf, (size_t)(len - got), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (int)n;
	}
	return 1;
}
