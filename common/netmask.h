/*
 * netmask.h - lists of address prefixes ("10.0.0.0/8, 2001:db8::/32,
 * 192.0.2.7") and whether an address falls in one.
 */
#ifndef COMMON_NETMASK_H
#define COMMON_NETMASK_H

#include <stddef.h>
#include <sys/socket.h>

#define NETMASK_MAX	64	/* prefixes in one list */

struct net_prefix {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network order, host bits zero */
	unsigned	bits;		/* prefix length */
};

/*
 * Parse a comma-separated list of ADDR or ADDR/BITS, IPv4 dotted quads
 * or IPv6 without brackets, spaces allowed around the commas.  Host bits
 * set below the prefix are an error (a typo, not a wish).  An empty list
 * gives *n = 0.  0, or -1 on any bad entry or more than max of them.
 */
int	netmask_parse_list(const char *list, struct net_prefix *out,
	    size_t max, size_t *n);
/* Is sa in one of p[0..n)?  A v4-mapped IPv6 address counts as IPv4. */
int	netmask_match(const struct net_prefix *p, size_t n,
	    const struct sockaddr *sa);
/* p[0..n) as the list netmask_parse_list reads back ("10.0.0.0/8,
 * 192.0.2.7"), cut to fit outlen; "" for none. */
void	netmask_format(const struct net_prefix *p, size_t n, char *out,
	    size_t outlen);

#endif
