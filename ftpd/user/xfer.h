/*
 * xfer.h - moving bytes between files and data connections.
 *
 * Each transfer follows the route it was given (route.h): sendfile for
 * binary plaintext RETR, splice for binary STOR, read/write otherwise
 * (streaming LF<->CRLF for TYPE A), repr.c for the other
 * representations; under PROT P binary files move in the front.  Every
 * wait polls the data fd (data_timeout) and the control fd (ABOR, STAT)
 * together.  Runs in the user process.
 */
#ifndef FTPD_XFER_H
#define FTPD_XFER_H

#include <stddef.h>
#include <sys/types.h>

#include "formats/metrics_page.h"

struct session;
struct xfer_route;
struct repr_enc;

enum xfer_result {
	XFER_OK = 0,
	XFER_ABORTED,		/* ABOR received: 426 + 226 already sent */
	XFER_NET_ERROR,		/* data connection failed or closed early */
	XFER_TIMEOUT,		/* data_timeout expired */
	XFER_DISK_ERROR,	/* read/write on the file failed: errno in *err */
	XFER_CTL_GONE,		/* control connection closed */
};

/* A transfer's result as ftpd_transfers_total counts it (ok: the 226
 * went out). */
static inline unsigned
xfer_met_result(enum xfer_result res, int ok)
{
	return ok ? MET_XFER_OK : res == XFER_ABORTED ? MET_XFER_ABORTED :
	    MET_XFER_FAILED;
}

/* File -> data connection on route r (an XFER_OP_RETR route), from the
 * file's current offset; skip_cr: the first byte is the LF of a line end
 * whose CR went before (xfer_seek_ascii returned 1).  *bytes gets the
 * count of file bytes sent. */
enum xfer_result xfer_send_file(struct session *s, const struct xfer_route *r,
	    int filefd, int datafd, int skip_cr, off_t *bytes, int *err);
/* Data connection -> file on route r (an XFER_OP_STOR route).  *bytes
 * gets the count of file bytes written.  q: the upload's quota books
 * (user/quota.h), or NULL; past what it grants nothing is written and
 * the result is XFER_DISK_ERROR with *err EDQUOT (or EAGAIN: the tally
 * is unavailable).  A route with a quota is never XFER_PATH_FRONT. */
struct quota_up;
enum xfer_result xfer_recv_file(struct session *s, const struct xfer_route *r,
	    int datafd, int filefd, struct quota_up *q, off_t *bytes,
	    int *err);
/* Send a memory buffer (listings) on the data connection of route r,
 * honouring ABOR and data_timeout.  enc: NULL, or on an XFER_PATH_CODEC
 * route the listing's encoder, which lives across calls (the caller
 * sends its end).  XFER_OK or an error result. */
enum xfer_result xfer_send_mem(struct session *s, const struct xfer_route *r,
	    struct repr_enc *enc, int datafd, const void *p, size_t n);
/* Close the data connection of route r that data_open() returned (on a
 * TLS route the front sends close_notify first).  0, or -1 when TLS did
 * not end cleanly (bytes may not have arrived).  After XFER_ABORTED it
 * is closed already. */
int	xfer_close(struct session *s, const struct xfer_route *r, int fd);
/*
 * For TYPE A REST: advance filefd to the file offset whose wire (CRLF)
 * offset is wire_off.  0; 1 when wire_off falls between the CR and the
 * LF of a line end, filefd then being at that LF, so a download must
 * send it without its CR (xfer_send_file skip_cr) while an upload simply
 * receives it again; or -1 (errno) if the file is shorter.
 */
int	xfer_seek_ascii(int filefd, off_t wire_off);

#endif
