/*
 * page.c - the STRU P codec (page.h): file bytes into pages and pages
 * back into file bytes at their offsets.  Runs in the user process;
 * every length in the decoder's input is checked.  Pure.
 */
#include <string.h>

#include "user/page.h"

/* One page: header then data. */
static int
put_page(unsigned type, unsigned index, const unsigned char *data, size_t n,
    struct buf *out)
{
	unsigned char h[4];

	h[0] = 4;
	h[1] = (unsigned char)index;
	h[2] = (unsigned char)n;
	h[3] = (unsigned char)type;
	if (buf_append(out, h, sizeof(h)) == -1)
		return -1;
	return n > 0 ? buf_append(out, data, n) : 0;
}

/* The full page goes out; the next one starts. */
static int
flush_page(struct page_enc *e, struct buf *out)
{
	if (e->index > PAGE_MAX_INDEX) {
		e->over = 1;
		return -1;
	}
	if (put_page(PAGE_T_SIMPLE, e->index, e->data, e->n, out) == -1)
		return -1;
	e->index++;
	e->n = 0;
	return 0;
}

int
page_enc_data(struct page_enc *e, const unsigned char *in, size_t n,
    struct buf *out)
{
	size_t k;

	while (n > 0) {
		k = PAGE_SIZE - e->n;
		if (k > n)
			k = n;
		memcpy(e->data + e->n, in, k);
		e->n += k;
		in += k;
		n -= k;
		if (e->n == PAGE_SIZE && flush_page(e, out) == -1)
			return -1;
	}
	return 0;
}

int
page_enc_finish(struct page_enc *e, struct buf *out)
{
	if (e->n > 0 && flush_page(e, out) == -1)
		return -1;
	return put_page(PAGE_T_LAST, 0, NULL, 0, out);
}

/* A whole header is in d->hdr: judge it and set up its data. */
static enum page_dec_result
header_done(struct page_dec *d)
{
	unsigned type = d->hdr[3];

	d->left = d->hdr[2];
	switch (type) {
	case PAGE_T_LAST:
		if (d->hlen != 4 || d->left != 0)
			return PAGE_ERR;
		d->st = PD_DONE;
		return PAGE_EOF;
	case PAGE_T_SIMPLE:
		if (d->hlen != 4)
			return PAGE_ERR;
		break;
	case PAGE_T_ACCESS:
		/* The fifth byte is the page's access control: a Unix
		 * file has no per-page permissions to keep it in. */
		if (d->hlen != 5)
			return PAGE_ERR;
		break;
	case PAGE_T_DESC:
		break;
	default:
		return PAGE_ERR;
	}
	d->keep = type != PAGE_T_DESC;
	d->at = (uint64_t)d->hdr[1] * PAGE_SIZE;
	d->st = d->left > 0 ? PD_DATA : PD_HLEN;
	return PAGE_NEED;
}

enum page_dec_result
page_dec_data(struct page_dec *d, const unsigned char *in, size_t n,
    size_t *used, struct buf *out, uint64_t *at)
{
	enum page_dec_result r;
	size_t k, i = 0;

	*used = 0;
	while (i < n) {
		switch (d->st) {
		case PD_DONE:
			/* Nothing may follow the last page. */
			return PAGE_ERR;
		case PD_HLEN:
			d->hlen = in[i++];
			/* Optional fields beyond the access control are not
			 * defined for any type we take. */
			if (d->hlen < 4 || d->hlen > sizeof(d->hdr)) {
				*used = i;
				return PAGE_ERR;
			}
			d->hdr[0] = (unsigned char)d->hlen;
			d->nhdr = 1;
			d->st = PD_HDR;
			break;
		case PD_HDR:
			d->hdr[d->nhdr++] = in[i++];
			if (d->nhdr < d->hlen)
				break;
			r = header_done(d);
			if (r != PAGE_NEED) {
				*used = i;
				return r;
			}
			break;
		case PD_DATA:
			k = n - i < d->left ? n - i : d->left;
			*at = d->at;
			d->at += k;
			d->left -= k;
			if (d->left == 0)
				d->st = PD_HLEN;
			if (d->keep) {
				if (buf_append(out, in + i, k) == -1)
					return PAGE_ERR;
				*used = i + k;
				return PAGE_DATA;
			}
			i += k;
			break;
		}
	}
	*used = i;
	return PAGE_NEED;
}
