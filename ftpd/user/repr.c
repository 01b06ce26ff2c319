/*
 * repr.c - RFC 959 representation types, structures and transfer modes:
 * the encoders (file -> wire) and OPTS MODE.  The decoders are in
 * repr_dec.c (one module, two files to stay short).  See repr.h for the
 * formats and the order of the steps.
 *
 * Runs in the user process.  Encoder input is the account's own file
 * (or a listing we built), so it is trusted to be bytes, nothing more:
 * any byte value is valid and every output is bounded by REPR_ENC_BOUND.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "common/ascii.h"
#include "common/buf.h"
#include "common/ebcdic.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "config.h"
#include "user/page.h"
#include "user/repr.h"
#include "session.h"

#define ENC_SEG		4096	/* wire bytes gathered before the mode */
#define ENC_PIECE	4096	/* CRLF listing input converted at once */
#define C_LIT_MAX	127	/* MODE C literal string */
#define C_RUN_MAX	63	/* MODE C replicated / filler count */
#define C_RUN_MIN	3	/* shorter runs stay in a literal */
#define Z_CHUNK		(16 * 1024)
/* Level 1 deflates C text 3.4 times at 85 MB/s, level 6 4.1 times at
 * 31 MB/s (DESIGN.md, "MODE Z"): the server's CPU is worth more. */
#define ZLEVEL_DEFAULT	1
#define Z_PROBE		(64 * 1024)	/* input judged at a time */
#define Z_STORE_SPAN	(1024 * 1024)	/* stored before judging again */

/* A deflate state kept by the session between transfers (repr_zkeep). */
struct repr_zkeep {
	z_stream	 z;
	int		 init;		/* deflateInit done */
	int		 busy;		/* an encoder holds it */
};

struct repr_enc {
	struct repr_params	 p;
	int			 bol;		/* form C: at a line start */
	int			 skip_cr;	/* next line end without CR */
	struct ascii_state	 ast;		/* crlf_in: held CR */
	unsigned char		 seg[ENC_SEG];	/* wire bytes for the mode */
	size_t			 nseg;
	unsigned char		*blk;		/* MODE B: pending block */
	size_t			 nblk;
	unsigned char		 lit[C_LIT_MAX]; /* MODE C: pending literal */
	size_t			 nlit;
	unsigned char		 run_b;		/* MODE C: pending run */
	size_t			 run_n;
	z_stream		*z;		/* MODE Z: zown or zkeep->z */
	z_stream		 zown;
	int			 zinit;		/* zown needs deflateEnd */
	struct repr_zkeep	*zkeep;		/* z is zkeep->z: give back */
	int			 zstored;	/* incompressible: level 0 */
	unsigned long		 zmark_in;	/* totals when judged last */
	unsigned long		 zmark_out;
	struct buf		 zin;		/* MODE S bytes to deflate */
	struct page_enc		*pg;		/* STRU P, or NULL */
	struct buf		 pgout;		/* its pages, for the mode */
};

/* ---- parameters ---------------------------------------------------- */

void
repr_params_of(const struct session *s, int zmax, struct repr_params *p)
{
	memset(p, 0, sizeof(*p));
	p->type = s->type;
	p->form = s->type == 'I' ? 'N' : s->form;
	p->stru = s->stru;
	p->mode = s->mode;
	p->zlevel = s->zlevel > 0 ? s->zlevel - 1 : ZLEVEL_DEFAULT;
	if (p->zlevel > zmax)
		p->zlevel = zmax;
	p->zkeep = s->zkeep;
}

int
repr_needed(const struct repr_params *p)
{
	if (p->mode != 'S' || p->type == 'E')
		return 1;
	if (p->crlf_in)
		return 0;
	return p->stru != 'F' || (p->type == 'A' && p->form == 'C');
}

int
repr_rest_is_wire(const struct repr_params *p)
{
	return p->type == 'A' && p->form != 'C' && p->stru == 'F' &&
	    (p->mode == 'S' || p->mode == 'Z');
}

unsigned char
repr_filler(const struct repr_params *p)
{
	return p->type == 'A' ? ' ' : p->type == 'E' ? EBCDIC_SPACE : 0;
}

/* ---- MODE S (and the stream under MODE Z) -------------------------- */

static int
s_data(const struct repr_enc *e, const unsigned char *p, size_t n,
    struct buf *out)
{
	size_t i, start = 0;

	if (e->p.stru != 'R')
		return buf_append(out, p, n);
	/* Record structure: a data 0xFF is sent twice. */
	for (i = 0; i < n; i++) {
		if (p[i] != 0xff)
			continue;
		if (buf_append(out, p + start, i + 1 - start) == -1 ||
		    buf_putc(out, 0xff) == -1)
			return -1;
		start = i + 1;
	}
	return buf_append(out, p + start, n - start);
}

static int
s_event(const struct repr_enc *e, unsigned flags, struct buf *out)
{
	unsigned char code = 0;

	/* File structure in stream mode: EOF is the connection closing. */
	if (e->p.stru != 'R')
		return 0;
	if (flags & REPR_D_EOR)
		code |= 1;
	if (flags & REPR_D_EOF)
		code |= 2;
	if (code == 0 || buf_putc(out, 0xff) == -1)
		return code == 0 ? 0 : -1;
	return buf_putc(out, code);
}

/*
 * Change the level of a running stream; what deflate holds is ended as a
 * block at the old level first, into out.  0 (changed), 1 (unchanged:
 * zlib wants more room, which never happens with Z_CHUNK) or -1.
 */
static int
z_level(z_stream *z, int level, struct buf *out)
{
	unsigned char *w;
	int r;

	do {
		if ((w = buf_reserve(out, Z_CHUNK)) == NULL)
			return -1;
		z->next_out = w;
		z->avail_out = Z_CHUNK;
		r = deflateParams(z, level, Z_DEFAULT_STRATEGY);
		buf_commit(out, Z_CHUNK - z->avail_out);
	} while (r == Z_BUF_ERROR && z->avail_out == 0);
	if (r == Z_STREAM_ERROR)
		return -1;
	return r == Z_OK ? 0 : 1;
}

/*
 * Data that is already compressed (archives, media, encrypted files) does
 * not shrink, and deflating it only burns the server's CPU: when Z_PROBE
 * input bytes came out no smaller than 31/32 of their size, the next
 * Z_STORE_SPAN bytes go as stored blocks (level 0, a copy), and then the
 * session's level is tried again, for files that change nature.
 */
static int
z_adapt(struct repr_enc *e, struct buf *out)
{
	unsigned long in = e->z->total_in - e->zmark_in;
	unsigned long got = e->z->total_out - e->zmark_out;
	int stored, r;

	if (e->p.zlevel == 0 || in < (e->zstored ? Z_STORE_SPAN : Z_PROBE))
		return 0;
	stored = !e->zstored && got >= in - in / 32;
	if (stored != e->zstored) {
		if ((r = z_level(e->z, stored ? 0 : e->p.zlevel, out)) == -1)
			return -1;
		if (r == 0)
			e->zstored = stored;
	}
	e->zmark_in = e->z->total_in;
	e->zmark_out = e->z->total_out;
	return 0;
}

/* Deflate whatever e->zin holds into out (Z_FINISH ends the stream). */
static int
z_pump(struct repr_enc *e, struct buf *out, int flush)
{
	unsigned char *w;
	int r;

	e->z->next_in = e->zin.data;
	e->z->avail_in = (uInt)e->zin.len;
	do {
		if ((w = buf_reserve(out, Z_CHUNK)) == NULL)
			return -1;
		e->z->next_out = w;
		e->z->avail_out = Z_CHUNK;
		r = deflate(e->z, flush);
		if (r == Z_STREAM_ERROR)
			return -1;
		buf_commit(out, Z_CHUNK - e->z->avail_out);
	} while (e->z->avail_out == 0 ||
	    (flush == Z_FINISH && r != Z_STREAM_END));
	buf_reset(&e->zin);
	return flush == Z_FINISH ? 0 : z_adapt(e, out);
}

/*
 * The encoder's deflate state: the session's kept one when it has one
 * free (a deflateReset, done when it was given back, instead of a
 * deflateInit's allocations of some 256 KiB per transfer), else its own.
 */
static int
z_start(struct repr_enc *e, const struct repr_params *p)
{
	struct repr_zkeep *k = p->zkeep;

	if (k == NULL || k->busy) {
		if (deflateInit(&e->zown, p->zlevel) != Z_OK)
			return -1;
		e->zinit = 1;
		e->z = &e->zown;
		return 0;
	}
	if (!k->init) {
		if (deflateInit(&k->z, p->zlevel) != Z_OK)
			return -1;
		k->init = 1;
	} else if (deflateParams(&k->z, p->zlevel, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;	/* cannot happen on a reset stream */
	k->busy = 1;
	e->zkeep = k;
	e->z = &k->z;
	return 0;
}

struct repr_zkeep *
repr_zkeep_new(void)
{
	return xcalloc(1, sizeof(struct repr_zkeep));
}

void
repr_zkeep_free(struct repr_zkeep *k)
{
	if (k == NULL)
		return;
	if (k->init)
		(void)deflateEnd(&k->z);
	free(k);
}

/* ---- MODE B -------------------------------------------------------- */

int
repr_block_header(unsigned desc, size_t n, struct buf *out)
{
	unsigned char h[3];

	if (n > REPR_BLOCK_MAX)
		return -1;
	h[0] = (unsigned char)desc;
	h[1] = (unsigned char)(n >> 8);
	h[2] = (unsigned char)(n & 0xff);
	return buf_append(out, h, sizeof(h));
}

static int
b_emit(struct repr_enc *e, unsigned desc, struct buf *out)
{
	int r;

	r = repr_block_header(desc, e->nblk, out);
	if (r == 0)
		r = buf_append(out, e->blk, e->nblk);
	e->nblk = 0;
	return r;
}

/* A full block is sent only when more data comes, so that the last one
 * can still carry EOR or EOF. */
static int
b_data(struct repr_enc *e, const unsigned char *p, size_t n, struct buf *out)
{
	size_t k;

	while (n > 0) {
		if (e->nblk == REPR_BLOCK_MAX && b_emit(e, 0, out) == -1)
			return -1;
		k = REPR_BLOCK_MAX - e->nblk;
		if (k > n)
			k = n;
		memcpy(e->blk + e->nblk, p, k);
		e->nblk += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* ---- MODE C -------------------------------------------------------- */

static int
c_lit_flush(struct repr_enc *e, struct buf *out)
{
	int r = 0;

	if (e->nlit > 0) {
		r = buf_putc(out, (int)e->nlit);
		if (r == 0)
			r = buf_append(out, e->lit, e->nlit);
	}
	e->nlit = 0;
	return r;
}

/* The pending run: long ones as replicated/filler strings of up to 63,
 * short ones join the literal. */
static int
c_run_flush(struct repr_enc *e, struct buf *out)
{
	unsigned char fill = repr_filler(&e->p);
	size_t k;

	if (e->run_n < C_RUN_MIN) {
		for (; e->run_n > 0; e->run_n--) {
			e->lit[e->nlit++] = e->run_b;
			if (e->nlit == C_LIT_MAX && c_lit_flush(e, out) == -1)
				return -1;
		}
		return 0;
	}
	if (c_lit_flush(e, out) == -1)
		return -1;
	for (; e->run_n > 0; e->run_n -= k) {
		k = e->run_n < C_RUN_MAX ? e->run_n : C_RUN_MAX;
		if (e->run_b == fill) {
			if (buf_putc(out, 0xc0 | (int)k) == -1)
				return -1;
		} else if (buf_putc(out, 0x80 | (int)k) == -1 ||
		    buf_putc(out, e->run_b) == -1)
			return -1;
	}
	return 0;
}

static int
c_data(struct repr_enc *e, const unsigned char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (e->run_n > 0 && p[i] == e->run_b) {
			e->run_n++;
			continue;
		}
		if (c_run_flush(e, out) == -1)
			return -1;
		e->run_b = p[i];
		e->run_n = 1;
	}
	return 0;
}

static int
c_escape(struct repr_enc *e, unsigned desc, struct buf *out)
{
	if (c_run_flush(e, out) == -1 || c_lit_flush(e, out) == -1 ||
	    buf_putc(out, 0) == -1)
		return -1;
	return buf_putc(out, (int)desc);
}

/* ---- the mode layer ------------------------------------------------ */

static int
mode_data(struct repr_enc *e, const unsigned char *p, size_t n,
    struct buf *out)
{
	switch (e->p.mode) {
	case 'B':
		return b_data(e, p, n, out);
	case 'C':
		return c_data(e, p, n, out);
	case 'Z':
		if (s_data(e, p, n, &e->zin) == -1)
			return -1;
		return e->zin.len >= Z_CHUNK ? z_pump(e, out, Z_NO_FLUSH) : 0;
	default:
		return s_data(e, p, n, out);
	}
}

static int
seg_flush(struct repr_enc *e, struct buf *out)
{
	size_t n = e->nseg;

	e->nseg = 0;
	return n == 0 ? 0 : mode_data(e, e->seg, n, out);
}

/* EOR and/or EOF after the data so far. */
static int
mode_event(struct repr_enc *e, unsigned flags, struct buf *out)
{
	if (seg_flush(e, out) == -1)
		return -1;
	switch (e->p.mode) {
	case 'B':
		return b_emit(e, flags, out);
	case 'C':
		return c_escape(e, flags, out);
	case 'Z':
		if (s_event(e, flags, &e->zin) == -1)
			return -1;
		return z_pump(e, out, flags & REPR_D_EOF ? Z_FINISH :
		    Z_NO_FLUSH);
	default:
		return s_event(e, flags, out);
	}
}

/* ---- representation: form, records, character set ------------------- */

static int
put_wire(struct repr_enc *e, unsigned char c, struct buf *out)
{
	e->seg[e->nseg++] = c;
	return e->nseg == ENC_SEG ? seg_flush(e, out) : 0;
}

static int
put_char(struct repr_enc *e, unsigned char c, struct buf *out)
{
	if (e->p.type == 'E')
		c = ebcdic_from_latin1_tab[c];
	return put_wire(e, c, out);
}

static int
enc_byte(struct repr_enc *e, unsigned char c, struct buf *out)
{
	if (e->p.form == 'C' && e->bol) {
		/* ASA: a form feed opening a line becomes "new page". */
		e->bol = 0;
		if (c == '\f')
			return put_char(e, '1', out);
		if (put_char(e, ' ', out) == -1)
			return -1;
	}
	if (c != '\n')
		return put_char(e, c, out);
	e->bol = 1;
	if (e->p.stru == 'R')
		return mode_event(e, REPR_D_EOR, out);
	if (e->p.type == 'A' && !e->skip_cr && put_wire(e, '\r', out) == -1)
		return -1;
	e->skip_cr = 0;
	return put_char(e, c, out);	/* CP037 maps LF to NL */
}

static int
enc_bytes(struct repr_enc *e, const unsigned char *in, size_t n,
    struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (enc_byte(e, in[i], out) == -1)
			return -1;
	return 0;
}

struct repr_enc *
repr_enc_new(const struct repr_params *p)
{
	struct repr_enc *e;

	e = xcalloc(1, sizeof(*e));
	e->p = *p;
	if (e->p.type == 'I')
		e->p.form = 'N';
	e->bol = 1;
	/* STRU P comes only with TYPE I and MODE S: pages are the whole
	 * encoding (page.h). */
	if (p->stru == 'P') {
		e->pg = xcalloc(1, sizeof(*e->pg));
		e->pg->index = p->page_first;
		buf_init(&e->pgout, REPR_ENC_BOUND(ENC_PIECE));
	}
	buf_init(&e->zin, 2 * Z_CHUNK + 2 * ENC_SEG);
	if (p->mode == 'B')
		e->blk = xmalloc(REPR_BLOCK_MAX);
	if (p->mode == 'Z' && z_start(e, p) == -1) {
		repr_enc_free(e);
		return NULL;
	}
	return e;
}

/*
 * STRU P: the file becomes pages (page.c), and the pages are the bytes
 * the mode carries (TYPE I: no other step), in pieces so pgout stays
 * small.  last: the end of file, then the last page.
 */
static int
enc_pages(struct repr_enc *e, const unsigned char *in, size_t n, int last,
    struct buf *out)
{
	size_t k;

	do {
		k = n < ENC_PIECE ? n : ENC_PIECE;
		buf_reset(&e->pgout);
		if ((k > 0 && page_enc_data(e->pg, in, k, &e->pgout) == -1) ||
		    (last && k == n && page_enc_finish(e->pg,
		    &e->pgout) == -1) ||
		    enc_bytes(e, e->pgout.data, e->pgout.len, out) == -1)
			return -1;
		in += k;
		n -= k;
	} while (n > 0);
	return 0;
}

int
repr_enc_data(struct repr_enc *e, const unsigned char *in, size_t n,
    struct buf *out)
{
	unsigned char tmp[ENC_PIECE + 1];
	size_t k;

	if (e->pg != NULL)
		return enc_pages(e, in, n, 0, out);
	if (!e->p.crlf_in)
		return enc_bytes(e, in, n, out);
	/* A listing: its CRLFs become file LFs first. */
	for (; n > 0; n -= k, in += k) {
		k = n < ENC_PIECE ? n : ENC_PIECE;
		if (enc_bytes(e, tmp, ascii_to_lf(&e->ast, in, k, tmp),
		    out) == -1)
			return -1;
	}
	return 0;
}

void
repr_enc_skip_cr(struct repr_enc *e)
{
	e->skip_cr = 1;
}

int
repr_enc_mark(struct repr_enc *e, const char *mark, struct buf *out)
{
	size_t n = strlen(mark);

	if ((e->p.mode != 'B' && e->p.mode != 'C') || n == 0 ||
	    n > REPR_MARK_MAX)
		return 0;
	if (seg_flush(e, out) == -1)
		return -1;
	if (e->p.mode == 'B') {
		if (e->nblk > 0 && b_emit(e, 0, out) == -1)
			return -1;
		if (repr_block_header(REPR_D_MARK, n, out) == -1)
			return -1;
		return buf_append(out, mark, n);
	}
	/* MODE C: the escape, then the marker as a literal string. */
	if (c_escape(e, REPR_D_MARK, out) == -1 || buf_putc(out, (int)n) == -1)
		return -1;
	return buf_append(out, mark, n);
}

int
repr_enc_finish(struct repr_enc *e, struct buf *out)
{
	unsigned char cr;

	if (e->pg != NULL && enc_pages(e, NULL, 0, 1, out) == -1)
		return -1;
	if (e->p.crlf_in && ascii_flush(&e->ast, &cr) == 1 &&
	    enc_byte(e, cr, out) == -1)
		return -1;
	return mode_event(e, REPR_D_EOF, out);
}

void
repr_enc_free(struct repr_enc *e)
{
	if (e == NULL)
		return;
	free(e->pg);
	buf_free(&e->pgout);
	if (e->zinit)
		(void)deflateEnd(&e->zown);
	if (e->zkeep != NULL) {
		/* Ready for the next transfer; a failed reset is not kept. */
		if (deflateReset(&e->zkeep->z) != Z_OK) {
			(void)deflateEnd(&e->zkeep->z);
			e->zkeep->init = 0;
		}
		e->zkeep->busy = 0;
	}
	buf_free(&e->zin);
	free(e->blk);
	free(e);
}

/* ---- OPTS MODE Z LEVEL n ------------------------------------------- */

int
repr_opts_mode(struct session *s, const char *arg, struct buf *reply_text)
{
	unsigned long long v;
	int max = (int)cfg->mode_z_max_level;
	struct repr_params p;

	buf_reset(reply_text);
	if (arg == NULL || (arg[0] != 'Z' && arg[0] != 'z'))
		return -1;
	if (arg[1] == ' ' && strncasecmp(arg + 2, "LEVEL ", 6) == 0) {
		if (parse_uint(arg + 8, 0, 9, &v) == -1)
			return -1;
		/* Above the cap: take the cap, and say so. */
		s->zlevel = (v > (unsigned long long)max ? max : (int)v) + 1;
	} else if (arg[1] != '\0')
		return -1;
	repr_params_of(s, max, &p);
	return buf_appendf(reply_text, "MODE Z LEVEL %d (maximum %d).",
	    p.zlevel, max);
}
