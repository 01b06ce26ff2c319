/*
 * jsonstr.h - a byte string as a JSON string literal (RFC 8259).
 *
 * Knows nothing of FTP.  Used where ftpd writes JSON for other programs
 * (the event runner's event_socket lines).  Takes any bytes: valid UTF-8
 * passes through unchanged; '"', '\\' and the control bytes (below 0x20,
 * and 0x7f) are escaped; a byte that is not part of valid UTF-8 (a
 * Latin-1 file name, a cut sequence, an overlong form, a surrogate) is
 * written as \u00XX, the code point of the same value, so the output is
 * always valid UTF-8 JSON and a Latin-1 name still reads right.
 */
#ifndef COMMON_JSONSTR_H
#define COMMON_JSONSTR_H

#include <stddef.h>

struct buf;

/* Append s[0..n) to b as a quoted JSON string.  0, or -1 (b unchanged)
 * when it does not fit b's maximum. */
int	jsonstr_put(struct buf *b, const char *s, size_t n);
/* The length of the valid UTF-8 sequence at s[0..n), 1 to 4, or 0 when
 * s[0] starts none (strict: no overlong forms, no surrogates, nothing
 * above U+10FFFF). */
size_t	jsonstr_utf8_len(const unsigned char *s, size_t n);

#endif
