/*
 * page.h - STRU P, page structure (RFC 959 3.1.2.3 and Appendix I), in
 * MODE S with 8-bit logical bytes (TYPE I, L 8).
 *
 * Each page goes with a header of one-byte fields: header length (4, or
 * 5 for an access-controlled page, whose fifth byte is its access
 * control), page index, data length, page type (0 last, 1 simple, 2
 * descriptor, 3 access controlled).  A Unix file has no pages, so this
 * server cuts it into PAGE_SIZE-byte pages: page i holds the file's
 * bytes from i * PAGE_SIZE.  The fields being one logical byte, a file
 * has at most PAGE_MAX_INDEX + 1 pages (PAGE_FILE_MAX bytes).
 *
 * Sending: simple pages 0, 1, ... then a last page (index 0).
 * Receiving: each simple or access-controlled page's data is written at
 * its index, in whatever order the pages come; descriptor pages carry
 * nothing a Unix file keeps and are dropped; the last page ends the
 * file.  Runs in the user process; the decoder's input is hostile.
 * Pure: no I/O.
 */
#ifndef FTPD_USER_PAGE_H
#define FTPD_USER_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PAGE_SIZE	255	/* data bytes per page: the largest data
				 * length one byte can say */
#define PAGE_MAX_INDEX	255
#define PAGE_FILE_MAX	((PAGE_MAX_INDEX + 1) * PAGE_SIZE)	/* 65280 */

#define PAGE_T_LAST	0
#define PAGE_T_SIMPLE	1
#define PAGE_T_DESC	2
#define PAGE_T_ACCESS	3

struct page_enc {
	unsigned char	 data[PAGE_SIZE];	/* the page being filled */
	size_t		 n;
	unsigned	 index;			/* of that page */
	int		 over;			/* the file has too many */
};

/* Encode n file bytes; the pages filled are appended to out.  0, or -1
 * (out full, or more than PAGE_FILE_MAX bytes). */
int	page_enc_data(struct page_enc *e, const unsigned char *in, size_t n,
	    struct buf *out);
/* End of file: the partial page, if any, then the last page. */
int	page_enc_finish(struct page_enc *e, struct buf *out);

enum page_dec_state { PD_HLEN, PD_HDR, PD_DATA, PD_DONE };

struct page_dec {
	enum page_dec_state st;
	unsigned char	 hdr[5];
	size_t		 nhdr, hlen;
	size_t		 left;		/* data bytes of this page left */
	int		 keep;		/* this page's data goes to the file */
	uint64_t	 at;		/* file offset of the next data byte */
};

enum page_dec_result {
	PAGE_NEED,	/* all input used */
	PAGE_DATA,	/* out holds file bytes for offset *at: write them
			 * there, then call again with the rest */
	PAGE_EOF,	/* the last page came */
	PAGE_ERR,	/* malformed: bad length or unknown page type */
};

/*
 * Decode up to n wire bytes; *used gets how many were taken.  File bytes
 * go to out (at most one page's worth per call, all for one offset:
 * *at).  Call again after PAGE_DATA (also when *used == n).
 */
enum page_dec_result page_dec_data(struct page_dec *d,
	    const unsigned char *in, size_t n, size_t *used,
	    struct buf *out, uint64_t *at);

#endif
