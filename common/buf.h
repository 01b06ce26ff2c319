/*
 * buf.h - bounded, growable byte buffer.
 *
 * The only holder of network and file-system data in ftpd.  Every buffer has
 * a hard maximum set at init; appends that would exceed it fail with -1 and
 * leave the buffer unchanged, so a hostile peer can never make us grow
 * without bound.  Runs in every process; trusts nothing it stores.
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

struct buf {
	unsigned char	*data;	/* may be NULL while cap == 0 */
	size_t		 len;	/* bytes in use */
	size_t		 cap;	/* bytes allocated (always > len once allocated) */
	size_t		 max;	/* hard limit on len */
	size_t		 hwm;	/* highest len so far: bytes to wipe */
};

/* Prepare an empty buffer that will never hold more than max bytes. */
void	buf_init(struct buf *b, size_t max);
/* Release memory (zeroing it first); the buffer may be reused after init. */
void	buf_free(struct buf *b);
/* Forget the contents, keep the allocation. */
void	buf_reset(struct buf *b);
/* Append n bytes.  Returns 0, or -1 if len + n would exceed max. */
int	buf_append(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string (without the NUL).  0 or -1 as above. */
int	buf_puts(struct buf *b, const char *s);
/* Append one byte.  0 or -1. */
int	buf_putc(struct buf *b, int c);
/* Append printf-formatted text.  0, or -1 (buffer unchanged) if too long. */
int	buf_appendf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (n > len drops everything). */
void	buf_consume(struct buf *b, size_t n);
/* Truncate to n bytes (no-op if n >= len). */
void	buf_truncate(struct buf *b, size_t n);
/*
 * Return the contents as a C string: a NUL is kept after the last byte (not
 * counted in len).  Never NULL.  Valid until the next modification.
 */
const char *buf_cstr(struct buf *b);
/* Replace the contents by a copy of s.  0 or -1 (then the buffer is empty). */
int	buf_set(struct buf *b, const char *s);
/* Make room so that at least n more bytes fit without reallocation; returns
 * a pointer to the free space or NULL if len + n would exceed max.  Commit the
 * bytes written there with buf_commit(); bytes written there but never
 * committed are not wiped by buf_free. */
unsigned char *buf_reserve(struct buf *b, size_t n);
/* Count n bytes written after buf_reserve(); n beyond what was reserved is
 * a programming error and fatal(). */
void	buf_commit(struct buf *b, size_t n);

#endif
