/*
 * route.c - the route of a transfer: which loop moves its bytes, through
 * the TLS front or not, with or without a representation codec.
 *
 * Runs in the user process when a transfer starts.  Pure: it reads the
 * session state the command handlers already parsed and checked (TYPE,
 * STRU, MODE, PROT, the peer's address) and the configuration values it
 * is given; no I/O, no globals.  See route.h.
 */
#include <string.h>

#include "common/net.h"
#include "config.h"
#include "user/quota.h"
#include "user/repr.h"
#include "user/route.h"
#include "session.h"

/*
 * sendfile saves a copy when pages go to a network card.  To a client on
 * the loopback the receiver copies every byte out anyway, and on the
 * machines we measured (test/bench) 256 KiB read/write pairs beat
 * sendfile there by 20-30%, so "auto" copies for loopback peers.
 */
static int
route_sendfile(const struct session *s, enum sendfile_mode sendfile)
{
	if (sendfile != SENDFILE_AUTO)
		return sendfile == SENDFILE_YES;
	return !net_is_loopback((const struct sockaddr *)&s->peer);
}

/*
 * Listings are CRLF text.  TYPE E and MODE B/C/Z encode them like a text
 * file in the current type (TYPE I: the bytes as they are), always as
 * STRU F; otherwise they go out as they are, whatever the TYPE.
 */
static void
route_list(struct xfer_route *r)
{
	r->repr.form = 'N';
	r->repr.stru = 'F';
	r->repr.crlf_in = r->repr.type != 'I';
	r->path = repr_needed(&r->repr) ? XFER_PATH_CODEC : XFER_PATH_COPY;
}

void
xfer_route_for(const struct session *s, enum xfer_op op,
    enum sendfile_mode sendfile, int zmax, struct xfer_route *r)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->tls = s->prot_p != 0;
	repr_params_of(s, zmax, &r->repr);
	if (op == XFER_OP_LIST) {
		route_list(r);	/* listings are never throttled */
		return;
	}
	r->rate = op == XFER_OP_RETR ? s->rate_down : s->rate_up;
	r->pooled = s->rate_pool != NULL;
	/*
	 * PROT P, binary, no conversion: the front, which is the TLS
	 * endpoint, moves the bytes between the file and TLS itself
	 * (tlsrelay.c): two copies and a trip through the socketpair less
	 * per byte.  Anything converted is relayed as plaintext instead,
	 * and so is a throttled file: rates are kept where the bytes cross
	 * this process (xfer.c), and the front keeps none.
	 */
	/*
	 * An upload under a quota is written here, where each byte past
	 * the reserved room is refused (user/quota.c); the front would
	 * write whatever came.
	 */
	if (r->tls && s->front_fd != -1 && s->type != 'A' &&
	    !repr_needed(&r->repr) && !(op == XFER_OP_STOR && quota_on(s)))
		r->path = r->rate == 0 && !r->pooled ? XFER_PATH_FRONT :
		    XFER_PATH_COPY;
	else if (repr_needed(&r->repr))
		r->path = XFER_PATH_CODEC;
	else if (s->type == 'A') {
		r->path = XFER_PATH_COPY;
		r->ascii = 1;
	} else if (op == XFER_OP_STOR)
		r->path = XFER_PATH_SPLICE;
	else
		r->path = route_sendfile(s, sendfile) ? XFER_PATH_SENDFILE :
		    XFER_PATH_COPY;
}

void
xfer_route_start(const struct session *s, enum xfer_op op,
    struct xfer_route *r)
{
	xfer_route_for(s, op, (enum sendfile_mode)cfg->sendfile,
	    (int)cfg->mode_z_max_level, r);
}
