/*
 * bounce.h - the one rule for where an active data connection may go.
 *
 * Applied twice, from both sides of the privilege boundary: by the user
 * process to PORT/EPRT (cmd/cmd_data.c) and by the monitor to the
 * connection it makes from port L-1 (priv/monitor.c), which must not take
 * the user process's word for it.  A pure function over addresses that
 * were already parsed; unit-tested in test/unit/test_portarg.c.
 */
#ifndef FTPD_BOUNCE_H
#define FTPD_BOUNCE_H

#include <sys/socket.h>

#include "common/net.h"

/*
 * May an active data connection go to dst?  Only to the control
 * connection's own host (peer) and an unprivileged port, unless allow_fxp
 * (then anywhere): no bounce (RFC 2577).  1 or 0.
 */
static inline int
active_target_ok(const struct sockaddr *dst, const struct sockaddr *peer,
    int allow_fxp)
{
	return allow_fxp || (net_same_host(dst, peer) &&
	    net_get_port(dst) >= 1024);
}

#endif
