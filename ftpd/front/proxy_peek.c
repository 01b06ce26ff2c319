/*
 * proxy_peek.c - find a PROXY header at the start of a socket and take
 * exactly it.
 *
 * The header is peeked at (MSG_PEEK) until it is whole, then read to its
 * exact length: what follows it (a TLS ClientHello or early commands on a
 * control connection, an upload's first bytes on a data connection) stays
 * in the socket.  Runs in the front (control) and the user process (data
 * with proxy_protocol_data), never in a privileged one.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/log.h"
#include "front/proxy_peek.h"

#define PEEK_PAUSE_MS	10	/* part of a header: wait for the rest */

/* Peek until fd holds a whole header: its length, or -1 (logged). */
static int
peek(int fd, long long deadline, unsigned char *buf, struct proxyhdr *h)
{
	struct pollfd p = { .fd = fd };
	long long left;
	ssize_t n;
	int r, partial = 0, hup = 0;

	for (;;) {
		n = recv(fd, buf, PROXYHDR_MAX, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0) {
			/* A plain TCP health check (HAProxy's
			 * check): not worth a line at info. */
			log_msg(LOG_DEBUG, "closed before the PROXY header "
			    "(a health check)");
			return -1;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			log_msg(LOG_NOTICE, "PROXY header: recv: %s",
			    strerror(errno));
			return -1;
		}
		if (n > 0) {
			if ((r = proxyhdr_parse(buf, (size_t)n, h)) > 0)
				return r;
			if (r == PROXYHDR_BAD) {
				log_msg(LOG_NOTICE, "not a valid PROXY header");
				return -1;
			}
			if (hup) {
				log_msg(LOG_INFO, "closed inside the PROXY "
				    "header");
				return -1;
			}
			partial = 1;
		}
		if ((left = deadline - clock_ms()) <= 0) {
			log_msg(LOG_NOTICE, "no PROXY header in time");
			return -1;
		}
		/*
		 * Unread bytes keep the socket readable: after part of a
		 * header, wait for a hang-up only, then peek again, instead
		 * of spinning on POLLIN.
		 */
		p.events = partial ? POLLRDHUP : POLLIN;
		p.revents = 0;
		r = poll(&p, 1, partial && left > PEEK_PAUSE_MS ?
		    PEEK_PAUSE_MS : (int)left);
		if (r == -1 && errno != EINTR)
			return -1;
		/* A hang-up: the rest may have come with it; one more look. */
		if (partial && r == 1)
			hup = 1;
	}
}

int
proxy_peek_take(int fd, long long deadline, struct proxyhdr *h)
{
	unsigned char buf[PROXYHDR_MAX];
	ssize_t n;
	int len, got = 0;

	if ((len = peek(fd, deadline, buf, h)) == -1)
		return -1;
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
