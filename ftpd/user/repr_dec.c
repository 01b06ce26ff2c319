/*
 * repr_dec.c - the decoders of repr.h: wire bytes of any type, structure
 * and mode back into file bytes.
 *
 * Runs in the user process on uploads.  The input is the data peer's and
 * wholly untrusted: block and string lengths are taken only as far as the
 * bytes really arrive, output per call stops near REPR_OUT_SOFT (a zlib or
 * MODE C bomb cannot fill memory), restart markers are cut at
 * REPR_MARK_MAX and made printable before anyone sees them, and anything
 * RFC 959 does not define is REPR_ERR.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/ascii.h"
#include "common/buf.h"
#include "common/ebcdic.h"
#include "common/xmalloc.h"
#include "user/page.h"
#include "user/repr.h"

#define DEC_PIECE	4096	/* wire bytes converted at once */
#define DEC_ZCHUNK	(16 * 1024)

enum c_state { C_HDR, C_LIT, C_REP, C_ESC };

struct repr_dec {
	struct repr_params	 p;
	struct page_dec		*pg;		/* STRU P, or NULL */
	uint64_t		 pg_at;		/* its REPR_SEEK offset */
	struct buf		 pgin;		/* MODE B/C/Z: page bytes the
						 * mode gave, not yet read */
	size_t			 pgoff;		/* how far they were read */
	int			 mode_eof;	/* the mode's end came */
	struct ascii_state	 ast;		/* TYPE A: held CR */
	int			 bol;		/* form C: at a line start */
	int			 pend_nl;	/* form C: line end held back */
	int			 ff;		/* STRU R stream: 0xFF seen */
	unsigned char		 hdr[3];	/* MODE B header so far */
	size_t			 nhdr;
	size_t			 left;		/* bytes left in block/string */
	unsigned		 desc;		/* MODE B descriptor */
	enum c_state		 cst;		/* MODE C parser */
	int			 in_mark;	/* collecting a marker */
	int			 eof;		/* EOF seen (or pending) */
	char			 mark[REPR_MARK_MAX + 1];
	size_t			 nmark;
	z_stream		 z;
	int			 zinit, zend;
};

/* ---- form C (ASA) on file-charset bytes ---------------------------- */

static int
asa_control(struct repr_dec *d, unsigned char c, struct buf *out)
{
	int r = 0;

	/* '+' overprints: the previous line ends in CR instead of LF. */
	if (d->pend_nl)
		r = buf_putc(out, c == '+' ? '\r' : '\n');
	d->pend_nl = 0;
	if (r == 0 && c == '0')
		r = buf_putc(out, '\n');
	else if (r == 0 && c == '-')
		r = buf_append(out, "\n\n", 2);
	else if (r == 0 && c == '1')
		r = buf_putc(out, '\f');
	return r;
}

static int
form_out(struct repr_dec *d, const unsigned char *p, size_t n,
    struct buf *out)
{
	size_t i;

	if (d->p.form != 'C')
		return buf_append(out, p, n);
	for (i = 0; i < n; i++) {
		if (d->bol) {
			d->bol = 0;
			/* An empty line has no control character. */
			if (p[i] != '\n') {
				if (asa_control(d, p[i], out) == -1)
					return -1;
				continue;
			}
			if (asa_control(d, ' ', out) == -1)
				return -1;
		}
		if (p[i] == '\n') {
			d->pend_nl = 1;
			d->bol = 1;
		} else if (buf_putc(out, p[i]) == -1)
			return -1;
	}
	return 0;
}

/* ---- character set, records ---------------------------------------- */

/* Wire data bytes (no structure codes) into the file. */
static int
dec_out(struct repr_dec *d, const unsigned char *p, size_t n,
    struct buf *out)
{
	unsigned char tmp[DEC_PIECE + 1];
	size_t k, m;

	if (d->p.type == 'I')
		return buf_append(out, p, n);
	for (; n > 0; n -= k, p += k) {
		k = n < DEC_PIECE ? n : DEC_PIECE;
		if (d->p.type == 'A')
			m = ascii_to_lf(&d->ast, p, k, tmp);
		else {
			memcpy(tmp, p, k);
			ebcdic_decode(tmp, k);
			m = k;
		}
		if (form_out(d, tmp, m, out) == -1)
			return -1;
	}
	return 0;
}

static int
dec_flush_cr(struct repr_dec *d, struct buf *out)
{
	unsigned char cr;

	if (d->p.type == 'A' && ascii_flush(&d->ast, &cr) == 1)
		return form_out(d, &cr, 1, out);
	return 0;
}

/* End of record: a line end in the file. */
static int
dec_eor(struct repr_dec *d, struct buf *out)
{
	if (dec_flush_cr(d, out) == -1)
		return -1;
	return form_out(d, (const unsigned char *)"\n", 1, out);
}

static void
mark_put(struct repr_dec *d, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && d->nmark < REPR_MARK_MAX; i++)
		d->mark[d->nmark++] = p[i] < 0x20 || p[i] >= 0x7f ? '?' :
		    (char)p[i];
	d->mark[d->nmark] = '\0';
}

/* ---- MODE S (also the stream inside MODE Z) ------------------------- */

/* All n bytes; *used stops after an EOF code.  0, 1 (EOF) or -1. */
static int
dec_stream(struct repr_dec *d, const unsigned char *in, size_t n,
    size_t *used, struct buf *out)
{
	size_t i, start = 0;
	int r = 0;

	*used = n;
	if (d->p.stru != 'R')
		return dec_out(d, in, n, out);
	for (i = 0; i < n && r == 0; i++) {
		if (d->ff) {
			d->ff = 0;
			start = i + 1;
			if (in[i] == 0xff)
				r = dec_out(d, in + i, 1, out);
			else if (in[i] >= 1 && in[i] <= 3) {
				if (in[i] & 1)
					r = dec_eor(d, out);
				if (r == 0 && (in[i] & 2)) {
					*used = i + 1;
					return 1;
				}
			} else
				return -1;
		} else if (in[i] == 0xff) {
			r = dec_out(d, in + start, i - start, out);
			d->ff = 1;
			start = i + 1;
		}
	}
	if (r == 0 && start < n)
		r = dec_out(d, in + start, n - start, out);
	return r;
}

static enum repr_status
dec_s(struct repr_dec *d, const unsigned char *in, size_t n, size_t *used,
    struct buf *out)
{
	size_t k, u;
	int r;

	*used = 0;
	while (*used < n) {
		if (out->len >= REPR_OUT_SOFT)
			return REPR_MORE;
		k = n - *used < DEC_PIECE ? n - *used : DEC_PIECE;
		r = dec_stream(d, in + *used, k, &u, out);
		*used += u;
		if (r != 0)
			return r == 1 ? REPR_EOF : REPR_ERR;
	}
	return REPR_NEED;
}

/* ---- MODE Z -------------------------------------------------------- */

static enum repr_status
dec_z(struct repr_dec *d, const unsigned char *in, size_t n, size_t *used,
    struct buf *out)
{
	unsigned char tmp[DEC_ZCHUNK];
	size_t got, u;
	int r, sr;

	*used = 0;
	for (;;) {
		if (d->zend)
			return REPR_EOF;
		if (out->len >= REPR_OUT_SOFT)
			return REPR_MORE;
		d->z.next_in = (unsigned char *)(uintptr_t)(in + *used);
		d->z.avail_in = (uInt)(n - *used);
		d->z.next_out = tmp;
		d->z.avail_out = sizeof(tmp);
		r = inflate(&d->z, Z_NO_FLUSH);
		*used = n - d->z.avail_in;
		got = sizeof(tmp) - d->z.avail_out;
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return REPR_ERR;
		/* A STRU R EOF code inside the stream: the rest is ignored. */
		if (got > 0 && !d->eof &&
		    (sr = dec_stream(d, tmp, got, &u, out)) != 0) {
			if (sr == -1)
				return REPR_ERR;
			d->eof = 1;
		}
		if (r == Z_STREAM_END)
			d->zend = 1;
		else if (got == 0 && *used == n)
			return REPR_NEED;
		else if (got == 0 && d->z.avail_in != 0)
			return REPR_ERR;
	}
}

/* ---- MODE B -------------------------------------------------------- */

static enum repr_status
b_block_end(struct repr_dec *d, struct buf *out)
{
	d->nhdr = 0;
	if ((d->desc & REPR_D_EOR) && !(d->desc & REPR_D_MARK) &&
	    dec_eor(d, out) == -1)
		return REPR_ERR;
	if (d->desc & REPR_D_EOF)
		d->eof = 1;
	if (d->desc & REPR_D_MARK)
		return REPR_MARK;
	return d->eof ? REPR_EOF : REPR_NEED;
}

static enum repr_status
dec_b(struct repr_dec *d, const unsigned char *in, size_t n, size_t *used,
    struct buf *out)
{
	enum repr_status st;
	size_t i = 0, k;

	while (i < n) {
		if (out->len >= REPR_OUT_SOFT)
			break;
		if (d->nhdr < 3) {
			d->hdr[d->nhdr++] = in[i++];
			if (d->nhdr < 3)
				continue;
			d->desc = d->hdr[0];
			d->left = (size_t)d->hdr[1] << 8 | d->hdr[2];
			d->nmark = 0;
			d->mark[0] = '\0';
			if (d->left > 0)
				continue;
		} else {
			k = n - i < d->left ? n - i : d->left;
			if (k > DEC_PIECE)
				k = DEC_PIECE;
			if (d->desc & REPR_D_MARK)
				mark_put(d, in + i, k);
			else if (dec_out(d, in + i, k, out) == -1) {
				*used = i;
				return REPR_ERR;
			}
			i += k;
			if ((d->left -= k) > 0)
				continue;
		}
		if ((st = b_block_end(d, out)) != REPR_NEED) {
			*used = i;
			return st;
		}
	}
	*used = i;
	return i < n ? REPR_MORE : REPR_NEED;
}

/* ---- MODE C -------------------------------------------------------- */

static int
c_repeat(struct repr_dec *d, unsigned char b, size_t n, struct buf *out)
{
	unsigned char tmp[64];

	memset(tmp, b, n);
	return dec_out(d, tmp, n, out);
}

/* One header, escape descriptor or replicated byte.  REPR_NEED goes on. */
static enum repr_status
c_step(struct repr_dec *d, unsigned char c, struct buf *out)
{
	int r = 0;

	switch (d->cst) {
	case C_HDR:
		if (c == 0)
			d->cst = C_ESC;
		else if (c < 0x80) {
			d->cst = C_LIT;
			d->left = c;
		} else if (c < 0xc0) {
			d->cst = C_REP;
			d->left = c & 0x3f;
		} else
			r = c_repeat(d, repr_filler(&d->p), c & 0x3f, out);
		break;
	case C_REP:
		d->cst = C_HDR;
		r = c_repeat(d, c, d->left, out);
		break;
	case C_ESC:
		d->cst = C_HDR;
		if (c & REPR_D_MARK) {
			d->in_mark = 1;
			d->nmark = 0;
			d->mark[0] = '\0';
		}
		if ((c & REPR_D_EOR) && dec_eor(d, out) == -1)
			return REPR_ERR;
		if (c & REPR_D_EOF) {
			d->eof = 1;
			return REPR_EOF;
		}
		break;
	case C_LIT:
		break;
	}
	return r == 0 ? REPR_NEED : REPR_ERR;
}

static enum repr_status
dec_c(struct repr_dec *d, const unsigned char *in, size_t n, size_t *used,
    struct buf *out)
{
	enum repr_status st;
	size_t i = 0, k;

	while (i < n && out->len < REPR_OUT_SOFT) {
		if (d->cst != C_LIT) {
			st = c_step(d, in[i++], out);
			if (st != REPR_NEED) {
				*used = i;
				return st;
			}
			continue;
		}
		k = n - i < d->left ? n - i : d->left;
		if (d->in_mark)
			mark_put(d, in + i, k);
		else if (dec_out(d, in + i, k, out) == -1) {
			*used = i;
			return REPR_ERR;
		}
		i += k;
		if ((d->left -= k) == 0) {
			d->cst = C_HDR;
			if (d->in_mark) {
				d->in_mark = 0;
				*used = i;
				return REPR_MARK;
			}
		}
	}
	*used = i;
	return i < n ? REPR_MORE : REPR_NEED;
}

/* ---- public -------------------------------------------------------- */

struct repr_dec *
repr_dec_new(const struct repr_params *p)
{
	struct repr_dec *d;

	d = xcalloc(1, sizeof(*d));
	d->p = *p;
	if (d->p.type == 'I')
		d->p.form = 'N';
	d->bol = 1;
	if (p->stru == 'P') {
		d->pg = xcalloc(1, sizeof(*d->pg));
		buf_init(&d->pgin, REPR_OUT_SOFT + REPR_OUT_SLACK);
	}
	if (p->mode == 'Z') {
		if (inflateInit(&d->z) != Z_OK) {
			free(d);
			return NULL;
		}
		d->zinit = 1;
	}
	return d;
}

static enum repr_status dec_paged(struct repr_dec *, const unsigned char *,
	    size_t, size_t *, struct buf *);
static enum repr_status dec_mode(struct repr_dec *, const unsigned char *,
	    size_t, size_t *, struct buf *);
static enum repr_status page_status(enum page_dec_result);

enum repr_status
repr_dec_data(struct repr_dec *d, const unsigned char *in, size_t n,
    size_t *used, struct buf *out)
{
	*used = 0;
	if (d->pg != NULL)
		return d->p.mode == 'S' ? page_status(page_dec_data(d->pg, in,
		    n, used, out, &d->pg_at)) : dec_paged(d, in, n, used, out);
	return dec_mode(d, in, n, used, out);
}

/*
 * STRU P in MODE B, C or Z: the mode's decoder gives the page stream
 * (into pgin), which the page decoder then reads.  Pages already given
 * are read first, taking no wire bytes; the mode's own end says where
 * the transfer ends, and the last page must have come by then
 * (repr_dec_finish).
 */
static enum repr_status
dec_paged(struct repr_dec *d, const unsigned char *in, size_t n,
    size_t *used, struct buf *out)
{
	enum repr_status st;
	size_t u;

	if (d->pgoff < d->pgin.len) {
		st = page_status(page_dec_data(d->pg, d->pgin.data + d->pgoff,
		    d->pgin.len - d->pgoff, &u, out, &d->pg_at));
		d->pgoff += u;
		if (st == REPR_ERR || st == REPR_SEEK)
			return st;
		if (d->pgoff < d->pgin.len)	/* the last page came */
			return REPR_ERR;	/* and bytes after it */
	}
	buf_reset(&d->pgin);
	d->pgoff = 0;
	if (d->mode_eof)
		return REPR_EOF;
	st = dec_mode(d, in, n, used, &d->pgin);
	if (st == REPR_EOF)
		d->mode_eof = 1;
	if (st == REPR_ERR || st == REPR_MARK)
		return st;
	return d->pgin.len > 0 || st == REPR_EOF ? REPR_MORE : st;
}

static enum repr_status
dec_mode(struct repr_dec *d, const unsigned char *in, size_t n,
    size_t *used, struct buf *out)
{
	/* A MODE B block that was both a marker and the end. */
	if (d->eof && d->p.mode == 'B')
		return REPR_EOF;
	switch (d->p.mode) {
	case 'B':
		return dec_b(d, in, n, used, out);
	case 'C':
		return dec_c(d, in, n, used, out);
	case 'Z':
		return dec_z(d, in, n, used, out);
	default:
		return dec_s(d, in, n, used, out);
	}
}

const char *
repr_dec_mark(const struct repr_dec *d)
{
	return d->mark;
}

int
repr_dec_finish(struct repr_dec *d, struct buf *out)
{
	/* Page structure says where the file ends: the last page (and
	 * in MODE B and C the mode's end too, below). */
	if (d->pg != NULL && (d->pg->st != PD_DONE || d->p.mode == 'S'))
		return d->pg->st == PD_DONE ? 0 : -1;
	if (dec_flush_cr(d, out) == -1)
		return -1;
	if (d->pend_nl && buf_putc(out, '\n') == -1)
		return -1;
	d->pend_nl = 0;
	switch (d->p.mode) {
	case 'B':
	case 'C':
		return d->eof ? 0 : -1;
	case 'Z':
		return d->zend ? 0 : -1;
	default:
		return 0;
	}
}

static enum repr_status
page_status(enum page_dec_result r)
{
	switch (r) {
	case PAGE_NEED: return REPR_NEED;
	case PAGE_DATA: return REPR_SEEK;
	case PAGE_EOF: return REPR_EOF;
	default: return REPR_ERR;
	}
}

unsigned long long
repr_dec_offset(const struct repr_dec *d)
{
	return d->pg_at;
}

void
repr_dec_free(struct repr_dec *d)
{
	if (d == NULL)
		return;
	if (d->zinit)
		(void)inflateEnd(&d->z);
	if (d->pg != NULL)
		buf_free(&d->pgin);
	free(d->pg);
	free(d);
}
