/*
 * net.h - socket addresses and sockets with deadlines.
 *
 * Parsing here accepts configuration text and client-supplied PORT/EPRT
 * arguments, so it is strict and bounded.  Runs in every process.
 */
#ifndef COMMON_NET_H
#define COMMON_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_ADDRSTRLEN	64	/* fits "[v6addr%scope]:65535" */

/* "1.2.3.4:21", "[::1]:21", "[fe80::1%eth0]:21", "*:21" (= 0.0.0.0);
 * port 0..65535 (0: kernel's choice).  Never resolves names.  0 or -1. */
int	net_parse_addr(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len);
/* Comma-separated list of the above (spaces around commas allowed; an
 * empty or all-blank string is an empty list).  Stores at most max entries;
 * *n gets the count.  0, or -1 on a bad entry or more than max entries.
 * With out == NULL the list is only validated and counted (max ignored). */
int	net_parse_addrlist(const char *s, struct sockaddr_storage *out,
	    socklen_t *lens, size_t max, size_t *n);
/* "1.2.3.4:21" or "[::1]:21" (v4-mapped v6 shown as v4, like
 * net_format_ip).  Always NUL-terminates (truncating) if outlen > 0. */
void	net_format_addr(const struct sockaddr *sa, char *out, size_t outlen);
/* "1.2.3.4" or "::1"; v4-mapped v6 addresses are shown as v4. */
void	net_format_ip(const struct sockaddr *sa, char *out, size_t outlen);
uint16_t net_get_port(const struct sockaddr *sa);
void	net_set_port(struct sockaddr *sa, uint16_t port);
socklen_t net_sa_len(const struct sockaddr *sa);
/* 1 if a and b are the same host (port ignored; ::ffff:a.b.c.d == a.b.c.d). */
/* 1 for 127.0.0.0/8, ::1 and v4-mapped 127/8, else 0. */
int	net_is_loopback(const struct sockaddr *sa);
int	net_same_host(const struct sockaddr *a, const struct sockaddr *b);
/* If sa is v4-mapped v6, rewrite it in place as AF_INET. */
void	net_unmap_v4(struct sockaddr_storage *ss);

/*
 * socket+SO_REUSEADDR(+IPV6_V6ONLY for v6)+bind+listen, CLOEXEC and
 * non-blocking (net_accept relies on that).  fd or -1.
 */
int	net_listen(const struct sockaddr *sa, socklen_t len, int backlog);
/*
 * Accept one connection on a net_listen socket, waiting at most
 * timeout_ms (-1 forever).  flags: 0 or SOCK_NONBLOCK for the new fd.
 * Returns the fd (CLOEXEC), or -1 with errno (ETIMEDOUT on timeout).
 */
int	net_accept(int lfd, int timeout_ms, struct sockaddr_storage *peer,
	    socklen_t *peerlen, int flags);
/*
 * Connect fd (already created, possibly bound) to sa within timeout_ms.
 * 0, or -1 with errno (ETIMEDOUT on timeout).
 */
int	net_connect(int fd, const struct sockaddr *sa, socklen_t len,
	    int timeout_ms);
/* Write all n bytes, waiting up to timeout_ms for each chunk.  0 or -1. */
int	net_write_all(int fd, const void *p, size_t n, int timeout_ms);
/* Wait for fd to become readable (POLLIN) or writable; 1 ready, 0 timeout,
 * -1 error. */
int	net_wait(int fd, short events, int timeout_ms);
/* Set or clear O_NONBLOCK.  0 or -1. */
int	net_set_nonblock(int fd, int on);
/*
 * Set or clear TCP_CORK: while set, the kernel sends only full segments,
 * and clearing it pushes the rest.  0 or -1 (ENOPROTOOPT and friends on a
 * socket that is not TCP).
 */
int	net_set_cork(int fd, int on);

#endif
