/*
 * json.h - JSON strings (RFC 8259) from untrusted bytes: the session
 * log (log.c), ftpwho --json and the event runner's event_socket lines.
 *
 * Knows nothing of FTP.  Input is any bytes (user names, paths, command
 * lines): valid UTF-8 passes as it is; '"', '\\' and the control bytes
 * (below 0x20, and 0x7f) are escaped; a byte that is not part of valid
 * UTF-8 (a Latin-1 file name, a cut sequence, an overlong form, a
 * surrogate) is written as \u00XX, the code point of the same value, so
 * the output is always valid UTF-8 JSON and a Latin-1 name still reads
 * right.
 */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stddef.h>

struct buf;

/*
 * Escape n bytes of in into out (outlen bytes, NUL-terminated), without
 * the surrounding quotes.  Stops before a character that would not fit
 * whole, so a cut output is still valid.  Returns the length written.
 */
size_t	json_escape(const char *in, size_t n, char *out, size_t outlen);
/* Append s[0..n) to b as a quoted JSON string.  0, or -1 (b unchanged)
 * when it does not fit b's maximum. */
int	json_put(struct buf *b, const char *s, size_t n);
/* The length of the valid UTF-8 sequence at s[0..n), 1 to 4, or 0 when
 * s[0] starts none (strict: no overlong forms, no surrogates, nothing
 * above U+10FFFF). */
size_t	json_utf8_len(const unsigned char *s, size_t n);

#endif
