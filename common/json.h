/*
 * json.h - JSON string escaping, for the session log (log.c) and ftpwho.
 *
 * Input is untrusted bytes (user names, paths, command lines): every
 * control byte, quote and backslash is escaped, valid UTF-8 passes as
 * it is, and a byte that is not part of valid UTF-8 becomes U+FFFD, so
 * the output is always valid JSON text in valid UTF-8.
 */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stddef.h>

/*
 * Escape n bytes of in into out (outlen bytes, NUL-terminated), without
 * the surrounding quotes.  Stops before a character that would not fit
 * whole, so a cut output is still valid.  Returns the length written.
 */
size_t	json_escape(const char *in, size_t n, char *out, size_t outlen);

#endif
