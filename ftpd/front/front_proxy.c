/*
 * front_proxy.c - proxy_protocol: the PROXY header a proxy such as
 * HAProxy sends before anything of the client's.
 *
 * Runs in the front, unprivileged and confined, like every other parse of
 * network bytes (the monitor only hears the result), before TLS on an
 * implicit-TLS listener and before the greeting.  A connection without a
 * valid header is closed without a word: it did not come through the
 * proxy.
 */
#include <sys/socket.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "config.h"
#include "front/front.h"
#include "mon_client.h"
#include "front/proxy_peek.h"
#include "session.h"

int
front_proxy(struct session *s, char *refusal, size_t refusal_len)
{
	long long deadline = clock_ms() + (long long)cfg->login_timeout * 1000;
	struct proxyhdr h;

	refusal[0] = '\0';
	if (proxy_peek_take(s->ctl_fd, deadline, &h) != 1)
		return -1;
	if (mon_proxy(s, h.local, &h.src, refusal, refusal_len) == -1)
		return -1;
	s->via = s->peer;
	if (!h.local) {
		s->peer = h.src;
		net_unmap_v4(&s->peer);
	}
	net_format_ip((struct sockaddr *)&s->peer, s->peer_ip,
	    sizeof(s->peer_ip));
	refusal[0] = '\0';
	return 0;
}
