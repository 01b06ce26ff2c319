/*
 * route.h - how the bytes of one transfer move: the transfer route.
 *
 * Decided once, by xfer_route_for(), when a transfer starts (cmd_xfer.c,
 * cmd_list.c), from the session's TYPE/STRU/MODE, PROT and peer, and
 * passed down to data.c (which TLS mode to ask the front for, whether a
 * 150 may wait for the 226) and to xfer.c (which loop moves the bytes).
 * Neither of them derives it again, so they agree by construction and
 * need not know about each other.  Runs in the user process; the inputs
 * were parsed and checked by the command handlers.
 */
#ifndef FTPD_ROUTE_H
#define FTPD_ROUTE_H

#include "config.h"
#include "user/repr.h"

struct session;

/* What a transfer is. */
enum xfer_op {
	XFER_OP_LIST,		/* a listing, from memory to the client */
	XFER_OP_RETR,		/* a file to the client */
	XFER_OP_STOR,		/* the client's bytes to a file (STOR, APPE,
				 * STOU) */
};

/* Which loop of xfer.c moves the bytes. */
enum xfer_path {
	XFER_PATH_COPY,		/* read/write through our buffers; TYPE A
				 * converts line ends (route ascii) */
	XFER_PATH_SENDFILE,	/* RETR: sendfile(2), COPY if the kernel
				 * refuses these fds */
	XFER_PATH_SPLICE,	/* STOR: splice(2) socket -> pipe -> file,
				 * COPY if the socket refuses */
	XFER_PATH_CODEC,	/* repr.c encodes or decodes (route repr) */
	XFER_PATH_FRONT,	/* PROT P file: the front, the TLS endpoint,
				 * moves the bytes between file and TLS */
};

struct xfer_route {
	enum xfer_op		 op;
	enum xfer_path		 path;
	int			 tls;	/* PROT P: the data connection is
					 * TLS in the front; we get the
					 * plaintext of a relay unless path
					 * is XFER_PATH_FRONT */
	int			 ascii;	/* COPY: LF <-> CRLF (TYPE A) */
	unsigned long long	 rate;	/* file transfers: the session's
					 * rate in this direction, bytes/s
					 * (0: none) */
	int			 pooled; /* file transfers: rate_total's
					 * shared budget applies too */
	struct repr_params	 repr;	/* CODEC: what repr.c is set up with */
};

/*
 * The route for op in session s: s's type, form, stru, mode, zlevel,
 * prot_p, front_fd (-1: no TLS front), peer and rates.  sendfile is the
 * configured sendfile mode, zmax mode_z_max_level.  Pure: no I/O, no
 * globals; r is filled in completely.
 */
void	xfer_route_for(const struct session *s, enum xfer_op op,
	    enum sendfile_mode sendfile, int zmax, struct xfer_route *r);
/* The route under the configured sendfile and mode_z_max_level: what
 * the command handlers call when a transfer starts. */
void	xfer_route_start(const struct session *s, enum xfer_op op,
	    struct xfer_route *r);

#endif
