/*
 * parse.h - the only way text becomes numbers.
 *
 * Strict: decimal digits only (no sign, no spaces, no base prefix), the whole
 * string must be consumed, and the value must lie in [min, max].  Pure
 * functions, safe on hostile input.
 */
#ifndef COMMON_PARSE_H
#define COMMON_PARSE_H

#include <stddef.h>

/* Returns 0 and stores the value, or -1 (out untouched). */
int	parse_uint(const char *s, unsigned long long min, unsigned long long max,
	    unsigned long long *out);
/* Same for exactly n bytes at s (need not be NUL-terminated). */
int	parse_uint_n(const char *s, size_t n, unsigned long long min,
	    unsigned long long max, unsigned long long *out);
/* Octal digits only, e.g. "022" or "0755"; 0 or -1. */
int	parse_octal(const char *s, unsigned long max, unsigned long *out);
/*
 * The next word of a list ("a, b c"): moves *p past the separators in
 * seps and returns the word's length there, 0 at the end of the string.
 * The caller moves *p past the word.
 */
size_t	parse_word(const char **p, const char *seps);

#endif
