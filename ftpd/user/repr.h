/*
 * repr.h - data representation: RFC 959 types, structures and modes.
 *
 * Streaming encoders (file -> wire) and decoders (wire -> file) for
 * everything the fast paths in xfer.c do not cover:
 *
 *   TYPE A form N/T (LF <-> CRLF), form C (ASA carriage control: each
 *     line starts with a control character), TYPE E (CP037, NL ends a
 *     line, see common/ebcdic.h), TYPE I / L 8 (bytes as they are);
 *   STRU F, and STRU R: each line of the file (LF-terminated) is a
 *     record; the last, unterminated line is sent as data without EOR;
 *   MODE S (STRU R: 0xFF doubled, EOR 0xFF01, EOF 0xFF02), MODE B (3-byte
 *     block headers, descriptor 0x80 EOR, 0x40 EOF, 0x20 suspect,
 *     0x10 restart marker), MODE C (RFC 959 3.4.3: literal, replicated
 *     and filler strings, escape 0x00 + descriptor), MODE Z (a zlib
 *     stream, RFC 1950, over the MODE S encoding).
 *
 * Wire order, sending: ASA control (form C) -> records (LF becomes EOR) ->
 * character set (LF -> CRLF or NL) -> mode.  Receiving undoes the same
 * steps in reverse.  In MODE C an escape with EOR or EOF ends the record
 * or file whose data came before it; an escape with the restart marker
 * bit makes the next literal string the marker.
 *
 * Runs in the user process.  Decoder input is hostile: every length is
 * checked, output per call is bounded (MODE Z and MODE C expand), and
 * malformed input gives REPR_ERR, never a crash.  Pure apart from zlib.
 */
#ifndef FTPD_REPR_H
#define FTPD_REPR_H

#include <stddef.h>

#include "common/buf.h"

struct session;

#define REPR_MARK_MAX	64		/* longest restart marker kept */
#define REPR_BLOCK_MAX	65535		/* MODE B block payload */
#define REPR_OUT_SOFT	(64 * 1024)	/* decoders stop beyond this */
/* Room an output buffer needs beyond REPR_OUT_SOFT, and the encoder
 * output for n input bytes is at most REPR_ENC_BOUND(n). */
#define REPR_OUT_SLACK	(256 * 1024)
#define REPR_ENC_BOUND(n)	(4 * (n) + 4 * REPR_BLOCK_MAX + 4096)

struct repr_params {
	char	type;		/* 'A', 'E' or 'I' (L 8 is I) */
	char	form;		/* 'N', 'T' or 'C' (A and E only) */
	char	stru;		/* 'F', 'R' or 'P' (user/page.h: TYPE I,
			 * MODE S only; cmd_xfer.c refuses the rest) */
	char	mode;		/* 'S', 'B', 'C' or 'Z' */
	int	zlevel;		/* MODE Z: deflate level 0-9 */
	struct repr_zkeep *zkeep; /* MODE Z: the session's kept deflate
				   * state, or NULL (repr_zkeep_new) */
	int	crlf_in;	/* input lines end in CRLF (listings) */
	unsigned page_first;	/* STRU P: index of the first page sent
				 * (REST n restarts at page n) */
};

enum repr_status {
	REPR_NEED = 0,	/* all input used: give more */
	REPR_MORE,	/* output reached REPR_OUT_SOFT: call again */
	REPR_MARK,	/* a restart marker: repr_dec_mark(); call again */
	REPR_EOF,	/* the sender's end of file: stop reading */
	REPR_ERR,	/* malformed input */
	REPR_SEEK,	/* STRU P: out holds bytes for the file offset
			 * repr_dec_offset(), not for where the last ended:
			 * write them there; call again */
};

/* MODE B descriptor bits; MODE C escapes use the same codes. */
#define REPR_D_EOR	0x80	/* end of record */
#define REPR_D_EOF	0x40	/* end of file */
#define REPR_D_SUSPECT	0x20	/* suspected errors in the data */
#define REPR_D_MARK	0x10	/* the data is a restart marker */

struct repr_enc;
struct repr_dec;

/* The MODE C filler byte: space in A and E, zero in I. */
unsigned char repr_filler(const struct repr_params *p);
/* Append a MODE B header for a block of n <= REPR_BLOCK_MAX bytes. */
int	repr_block_header(unsigned desc, size_t n, struct buf *out);

/* The parameters of the session (zlevel: OPTS MODE Z LEVEL, capped at
 * zmax; zkeep: the session's kept deflate state).  Pure. */
void	repr_params_of(const struct session *s, int zmax,
	    struct repr_params *p);
/* 1 if the plain fast paths of xfer.c cannot carry p (p->crlf_in unset:
 * a file; set: a CRLF listing). */
int	repr_needed(const struct repr_params *p);
/* 1 if REST offsets under p count wire bytes of TYPE A (classic stream
 * ASCII, see xfer_seek_ascii), 0 if they are file offsets. */
int	repr_rest_is_wire(const struct repr_params *p);

/*
 * A deflate state a session keeps for its MODE Z transfers, so each one
 * costs a reset rather than a set-up; NULL in repr_params: none.
 */
struct repr_zkeep;
struct repr_zkeep *repr_zkeep_new(void);
void	repr_zkeep_free(struct repr_zkeep *k);

/* New encoder, or NULL (zlib could not start). Free with repr_enc_free. */
struct repr_enc *repr_enc_new(const struct repr_params *p);
/* Encode n file bytes, appending wire bytes to out (which must have room
 * for REPR_ENC_BOUND(n) more).  0, or -1 (out full or zlib error). */
int	repr_enc_data(struct repr_enc *e, const unsigned char *in, size_t n,
	    struct buf *out);
/* MODE B and C: a restart marker block carrying mark (printable ASCII,
 * at most REPR_MARK_MAX) after the data so far.  No-op in S and Z. */
/* A TYPE A REST fell between the CR and LF of a line end: the file
 * starts at that LF, which goes out without its CR. */
void	repr_enc_skip_cr(struct repr_enc *e);
int	repr_enc_mark(struct repr_enc *e, const char *mark, struct buf *out);
/* End of file: flush, EOF marker or end of the zlib stream.  0 or -1. */
int	repr_enc_finish(struct repr_enc *e, struct buf *out);
void	repr_enc_free(struct repr_enc *e);

/* New decoder, or NULL (zlib could not start). */
struct repr_dec *repr_dec_new(const struct repr_params *p);
/*
 * Decode up to n wire bytes; *used gets how many were consumed, file bytes
 * are appended to out (which must allow REPR_OUT_SOFT + REPR_OUT_SLACK).
 * See enum repr_status.  Call again with the rest after REPR_MORE and
 * REPR_MARK (also when *used == n: MODE Z may hold more output).
 */
enum repr_status repr_dec_data(struct repr_dec *d, const unsigned char *in,
	    size_t n, size_t *used, struct buf *out);
/* After REPR_SEEK: the file offset the bytes in out belong at. */
unsigned long long repr_dec_offset(const struct repr_dec *d);
/* The last restart marker (NUL-terminated, may hold any byte but NUL). */
const char *repr_dec_mark(const struct repr_dec *d);
/*
 * The connection closed: flush held bytes into out.  0, or -1 if the
 * mode needed an explicit end (B, C: EOF descriptor; Z: end of the zlib
 * stream) that never came.
 */
int	repr_dec_finish(struct repr_dec *d, struct buf *out);
void	repr_dec_free(struct repr_dec *d);

/*
 * OPTS MODE (draft-preston-ftpext-deflate): arg is the text after
 * "MODE ", e.g. "Z LEVEL 9".  The level is capped at mode_z_max_level.
 * Resets reply_text and puts the 200 text there; 0, or -1 (reply 501).
 */
int	repr_opts_mode(struct session *s, const char *arg,
	    struct buf *reply_text);

#endif
