/*
 * net.c - socket addresses and sockets with deadlines.
 *
 * Runs in every process.  The parsers see configuration text and, through
 * PORT/EPRT handling, client text, so they are strict: a fixed grammar, a
 * bounded length, numbers via parse_uint, addresses via inet_pton (no name
 * resolution, ever).  Every wait is a poll() with a deadline.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "parse.h"

#define NET_TEXTMAX	128	/* longest "[addr%scope]:port" we accept */

/* Milliseconds on the monotonic clock. */
static long long
net_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1 = forever), never negative. */
static int
net_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - net_now_ms();
	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

static long long
net_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : net_now_ms() + timeout_ms;
}

static int
net_parse_port(const char *s, uint16_t *port)
{
	unsigned long long v;

	if (parse_uint(s, 0, 65535, &v) == -1)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "addr" or "addr%scope" inside brackets. */
static int
net_parse_v6(char *host, struct sockaddr_in6 *sin6)
{
	unsigned long long v;
	char *pct;

	if ((pct = strchr(host, '%')) != NULL) {
		*pct++ = '\0';
		if (*pct == '\0')
			return -1;
		if (parse_uint(pct, 1, 0xffffffffULL, &v) == 0)
			sin6->sin6_scope_id = (uint32_t)v;
		else if ((sin6->sin6_scope_id = if_nametoindex(pct)) == 0)
			return -1;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return -1;
	return 0;
}

int
net_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char text[NET_TEXTMAX], *host, *colon;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	uint16_t port;
	size_t n;

	if (s == NULL || (n = strnlen(s, sizeof(text))) >= sizeof(text) ||
	    n == 0)
		return -1;
	memcpy(text, s, n + 1);
	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		host = text + 1;
		if ((colon = strchr(host, ']')) == NULL || colon[1] != ':')
			return -1;
		*colon = '\0';
		if (net_parse_port(colon + 2, &port) == -1 ||
		    net_parse_v6(host, sin6) == -1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	if ((colon = strchr(text, ':')) == NULL || strchr(colon + 1, ':'))
		return -1;
	*colon = '\0';
	if (net_parse_port(colon + 1, &port) == -1)
		return -1;
	if (strcmp(text, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
	return 0;
}

int
net_parse_addrlist(const char *s, struct sockaddr_storage *out,
    socklen_t *lens, size_t max, size_t *n)
{
	struct sockaddr_storage tmp;
	socklen_t tlen;
	char item[NET_TEXTMAX];
	const char *p, *e, *end;
	size_t count = 0;

	*n = 0;
	p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;		/* empty list: none */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		e = end;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p || (size_t)(e - p) >= sizeof(item))
			return -1;
		memcpy(item, p, (size_t)(e - p));
		item[e - p] = '\0';
		if (net_parse_addr(item, &tmp, &tlen) == -1)
			return -1;
		if (out != NULL) {
			if (count >= max)
				return -1;
			out[count] = tmp;
			if (lens != NULL)
				lens[count] = tlen;
		}
		count++;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*n = count;
	return 0;
}

/* Is this v6 address ::ffff:a.b.c.d?  Copies the v4 part out if so. */
static int
net_mapped(const struct sockaddr *sa, struct in_addr *v4)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return 0;
	if (v4 != NULL)
		memcpy(v4, &sin6->sin6_addr.s6_addr[12], sizeof(*v4));
	return 1;
}

void
net_format_ip(const struct sockaddr *sa, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	struct in_addr v4;

	if (outlen == 0)
		return;
	if (sa->sa_family == AF_INET) {
		v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		if (inet_ntop(AF_INET, &v4, a, sizeof(a)) == NULL)
			(void)snprintf(a, sizeof(a), "?");
		(void)snprintf(out, outlen, "%s", a);
	} else if (net_mapped(sa, &v4)) {
		if (inet_ntop(AF_INET, &v4, a, sizeof(a)) == NULL)
			(void)snprintf(a, sizeof(a), "?");
		(void)snprintf(out, outlen, "%s", a);
	} else if (sa->sa_family == AF_INET6) {
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) == NULL)
			(void)snprintf(a, sizeof(a), "?");
		if (sin6->sin6_scope_id != 0)
			(void)snprintf(out, outlen, "%s%%%u", a,
			    (unsigned)sin6->sin6_scope_id);
		else
			(void)snprintf(out, outlen, "%s", a);
	} else
		(void)snprintf(out, outlen, "?");
}

void
net_format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
	char ip[NET_ADDRSTRLEN];

	if (outlen == 0)
		return;
	net_format_ip(sa, ip, sizeof(ip));
	if (sa->sa_family == AF_INET6 && !net_mapped(sa, NULL))
		(void)snprintf(out, outlen, "[%s]:%u", ip,
		    (unsigned)net_get_port(sa));
	else
		(void)snprintf(out, outlen, "%s:%u", ip,
		    (unsigned)net_get_port(sa));
}

uint16_t
net_get_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void
net_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

socklen_t
net_sa_len(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return sizeof(struct sockaddr_storage);
}

int
net_is_loopback(const struct sockaddr *sa)
{
	struct in_addr v4;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)
		    >> 24) == 127;
	if (net_mapped(sa, &v4))
		return (ntohl(v4.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(
	    &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

int
net_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	struct in_addr a4, b4;
	int av4, bv4;

	av4 = a->sa_family == AF_INET || net_mapped(a, NULL);
	bv4 = b->sa_family == AF_INET || net_mapped(b, NULL);
	if (av4 && bv4) {
		memset(&a4, 0, sizeof(a4));
		memset(&b4, 0, sizeof(b4));
		if (a->sa_family == AF_INET)
			a4 = ((const struct sockaddr_in *)a)->sin_addr;
		else
			(void)net_mapped(a, &a4);
		if (b->sa_family == AF_INET)
			b4 = ((const struct sockaddr_in *)b)->sin_addr;
		else
			(void)net_mapped(b, &b4);
		return a4.s_addr == b4.s_addr;
	}
	if (a->sa_family == AF_INET6 && b->sa_family == AF_INET6 &&
	    !av4 && !bv4)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return 0;
}

void
net_unmap_v4(struct sockaddr_storage *ss)
{
	struct sockaddr_in sin;
	struct in_addr v4;
	uint16_t port;

	if (!net_mapped((struct sockaddr *)ss, &v4))
		return;
	port = net_get_port((struct sockaddr *)ss);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr = v4;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

int
net_listen(const struct sockaddr *sa, socklen_t len, int backlog)
{
	int fd, on = 1, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* v6 sockets never take v4 traffic: each family is listed apart. */
	if (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, sa, len) == -1 || listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

int
net_accept(int lfd, int timeout_ms, struct sockaddr_storage *peer,
    socklen_t *peerlen, int flags)
{
	long long deadline = net_deadline(timeout_ms);
	struct sockaddr_storage tmp;
	socklen_t tlen;
	int fd, r;

	/*
	 * Listeners from net_listen are non-blocking, so try accept4 first:
	 * a passive data connection is usually already queued by the time
	 * RETR arrives, and the poll would be a wasted syscall.
	 */
	for (;;) {
		tlen = sizeof(tmp);
		fd = accept4(lfd, (struct sockaddr *)&tmp, &tlen,
		    SOCK_CLOEXEC | flags);
		if (fd != -1)
			break;
		/* A queued connection may be reset before we take it. */
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		r = net_wait(lfd, POLLIN, net_left(deadline));
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	if (peer != NULL)
		*peer = tmp;
	if (peerlen != NULL)
		*peerlen = tlen;
	return fd;
}

int
net_connect(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int flags, r, err = 0;
	socklen_t elen = sizeof(err);

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	r = connect(fd, sa, len);
	if (r == -1 && (errno == EINPROGRESS || errno == EINTR)) {
		r = net_wait(fd, POLLOUT, timeout_ms);
		if (r == 0) {
			err = ETIMEDOUT;
			r = -1;
		} else if (r == 1) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &elen) == -1)
				err = errno;
			r = err == 0 ? 0 : -1;
		} else
			err = errno;
	} else if (r == -1)
		err = errno;
	if (fcntl(fd, F_SETFL, flags) == -1 && r == 0) {
		err = errno;
		r = -1;
	}
	if (r == -1)
		errno = err;
	return r;
}

int
net_write_all(int fd, const void *p, size_t n, int timeout_ms)
{
	const unsigned char *c = p;
	ssize_t w;
	int r;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w == -1 && errno == ENOTSOCK)
			w = write(fd, c, n);
		if (w > 0) {
			c += w;
			n -= (size_t)w;
			continue;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((r = net_wait(fd, POLLOUT, timeout_ms)) == -1)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

int
net_wait(int fd, short events, int timeout_ms)
{
	long long deadline = net_deadline(timeout_ms);
	struct pollfd pfd;
	int r;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, net_left(deadline));
		if (r > 0) {
			if (pfd.revents & POLLNVAL) {
				errno = EBADF;
				return -1;
			}
			/* POLLERR/POLLHUP: ready; the next call reports it. */
			return 1;
		}
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int
net_set_nonblock(int fd, int on)
{
	int flags, want;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	want = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return want == flags ? 0 : fcntl(fd, F_SETFL, want);
}

int
net_set_cork(int fd, int on)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}
