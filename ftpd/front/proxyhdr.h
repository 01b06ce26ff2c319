/*
 * proxyhdr.h - the HAProxy PROXY protocol header, v1 (text) and v2
 * (binary).
 *
 * With proxy_protocol every connection comes from the proxy, and the
 * client it stands for is named by one header, sent before any FTP byte.
 * This is the pure parser for that header, used by front_proxy.c on
 * bytes it peeked at, unit-tested in test/unit/test_proxyhdr.c and fuzzed
 * by test/fuzz/fuzz_proxyhdr.c.  Whether a connection must carry a header
 * at all is the caller's decision.
 */
#ifndef FTPD_PROXYHDR_H
#define FTPD_PROXYHDR_H

#include <stddef.h>
#include <sys/socket.h>

#define PROXYHDR_MAX	1024	/* longest header accepted (v2: 16 + TLVs) */
#define PROXYHDR_BAD	(-1)

struct proxyhdr {
	int			local;	/* 1: keep the connection's own
					 * addresses (v1 UNKNOWN, v2 LOCAL,
					 * v2 UNSPEC/UNIX family) */
	struct sockaddr_storage	src;	/* the real client (when !local) */
	struct sockaddr_storage	dst;	/* the address it connected to */
};

/*
 * buf[0..len) is what the connection has sent so far.  Returns the
 * header's length (> 0) when it starts with a complete, valid header
 * (out filled), 0 when it is a valid but incomplete prefix of one
 * (read more), PROXYHDR_BAD when it cannot be one (includes: longer than
 * PROXYHDR_MAX).
 *
 * src and dst are AF_INET or AF_INET6 with ports in network byte order,
 * everything else zeroed; both are all zero when local.  Bytes after the
 * header are the client's and are not looked at.  out is zeroed unless
 * the return is > 0.
 */
int	proxyhdr_parse(const unsigned char *buf, size_t len,
	    struct proxyhdr *out);

#endif
