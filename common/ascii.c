/*
 * ascii.c - streaming LF <-> CRLF conversion for TYPE A transfers.
 *
 * Runs in the user process on file and network data; pure functions over
 * caller-sized buffers (the output bounds are part of the contract in
 * ascii.h: 2*n for to_crlf, n+1 for to_lf).  A CR that ends one chunk is
 * held in the state so a CRLF split across reads still becomes one LF.
 */
#include <stddef.h>

#include "ascii.h"

size_t
ascii_to_crlf(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n')
			out[o++] = '\r';
		out[o++] = in[i];
	}
	return o;
}

size_t
ascii_to_lf(struct ascii_state *st, const unsigned char *in, size_t n,
    unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (st->pending_cr) {
			st->pending_cr = 0;
			/* CR LF -> LF; CR anything-else keeps the CR. */
			if (in[i] != '\n')
				out[o++] = '\r';
		}
		if (in[i] == '\r')
			st->pending_cr = 1;
		else
			out[o++] = in[i];
	}
	return o;
}

size_t
ascii_flush(struct ascii_state *st, unsigned char *out)
{
	if (!st->pending_cr)
		return 0;
	st->pending_cr = 0;
	out[0] = '\r';
	return 1;
}

size_t
ascii_wire_len(const unsigned char *in, size_t n)
{
	size_t i, lf = 0;

	for (i = 0; i < n; i++)
		if (in[i] == '\n')
			lf++;
	return n + lf;
}
