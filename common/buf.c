/*
 * buf.c - bounded, growable byte buffer.
 *
 * Runs in every process and holds whatever peers send us, so it trusts none
 * of its contents: every append is checked against the hard maximum chosen
 * at init, sizes are overflow-checked, and memory is zeroed before it is
 * released (buffers may have held passwords).  A NUL is always kept after
 * the last byte so buf_cstr() is cheap; the bytes themselves may contain
 * NULs, which callers that need text must reject.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xmalloc.h"

#define BUF_MINCAP	64

/*
 * Secrets pass through buffers, so freed memory is wiped -- but only as
 * far as it was ever filled (hwm, plus the NUL): wiping the whole
 * capacity touched, and so faulted in, up to 64 KiB of pages per IPC
 * buffer that no byte had ever reached.
 */
static size_t
buf_wipe_len(const struct buf *b)
{
	return b->hwm + 1 < b->cap ? b->hwm + 1 : b->cap;
}

static void
buf_mark(struct buf *b)
{
	if (b->len > b->hwm)
		b->hwm = b->len;
}

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->hwm = 0;
	/* One byte is kept for the NUL, so max + 1 must be representable. */
	b->max = max < SIZE_MAX - 1 ? max : SIZE_MAX - 2;
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL)
		freezero(b->data, buf_wipe_len(b));
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->hwm = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Make sure n more bytes plus the trailing NUL fit.  0 or -1 (over max). */
static int
buf_grow(struct buf *b, size_t n)
{
	size_t need, ncap;
	unsigned char *p;

	if (n > b->max || b->len > b->max - n)
		return -1;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap < BUF_MINCAP ? BUF_MINCAP : b->cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	/* len + n <= max, so max + 1 >= need. */
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	/* Not realloc: the old block must be zeroed before it goes back. */
	p = xmalloc(ncap);
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		freezero(b->data, buf_wipe_len(b));
	}
	b->hwm = b->len;
	b->data = p;
	b->cap = ncap;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	buf_mark(b);
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return buf_append(b, &ch, 1);
}

int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (m != n) {
		b->data[b->len] = '\0';
		return -1;
	}
	b->len += (size_t)n;
	buf_mark(b);
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	/* Do not leave a stale copy of consumed data behind the NUL. */
	explicit_bzero(b->data + b->len, n);
	b->data[b->len] = '\0';
}

void
buf_truncate(struct buf *b, size_t n)
{
	if (n >= b->len)
		return;
	b->len = n;
	b->data[n] = '\0';
}

const char *
buf_cstr(struct buf *b)
{
	if (b->data == NULL)
		return "";
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

int
buf_set(struct buf *b, const char *s)
{
	buf_reset(b);
	if (buf_puts(b, s) == -1) {
		buf_reset(b);
		return -1;
	}
	return 0;
}

unsigned char *
buf_reserve(struct buf *b, size_t n)
{
	if (buf_grow(b, n) == -1)
		return NULL;
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	if (n == 0)
		return;
	if (b->data == NULL || n > b->cap - 1 - b->len || b->len + n > b->max)
		fatal("buf_commit: %zu bytes beyond the reserved space", n);
	b->len += n;
	b->data[b->len] = '\0';
	buf_mark(b);
}
