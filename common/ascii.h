/*
 * ascii.h - streaming conversion for TYPE A transfers.
 *
 * Files on disk use LF; the wire uses CRLF (RFC 959 3.1.1.1).  Conversion
 * works chunk by chunk: state carries a CR that ended the previous chunk,
 * so a CRLF split across two reads is still recognised.  Pure functions.
 */
#ifndef COMMON_ASCII_H
#define COMMON_ASCII_H

#include <stddef.h>
#include <sys/types.h>

struct ascii_state {
	int	pending_cr;	/* last input byte was a CR not yet emitted */
};

/* Disk -> wire: each LF becomes CRLF.  out must hold 2*n bytes.
 * Returns bytes written. */
size_t	ascii_to_crlf(const unsigned char *in, size_t n, unsigned char *out);
/*
 * Wire -> disk: CRLF becomes LF; a lone CR is kept.  out must hold n + 1
 * bytes.  A CR at the end of the chunk is held in st until the next call.
 * Returns bytes written.
 */
size_t	ascii_to_lf(struct ascii_state *st, const unsigned char *in,
	    size_t n, unsigned char *out);
/* End of stream: emit a held CR, if any, into out (1 byte).  Returns 0/1. */
size_t	ascii_flush(struct ascii_state *st, unsigned char *out);
/* Size of n disk bytes in wire form (n plus the number of LFs). */
size_t	ascii_wire_len(const unsigned char *in, size_t n);

#endif
