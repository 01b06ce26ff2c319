/*
 * parse.c - the only way text becomes numbers.
 *
 * Runs in every process on hostile input (PORT arguments, REST offsets,
 * configuration values).  Strict: digits only, whole string, range-checked,
 * overflow-checked; never strtol's leniency (signs, spaces, prefixes).
 */
#include <limits.h>
#include <string.h>

#include "parse.h"

int
parse_uint_n(const char *s, size_t n, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned d;
	size_t i;

	if (s == NULL || n == 0 || n > 64)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	if (s == NULL)
		return -1;
	return parse_uint_n(s, strnlen(s, 65), min, max, out);
}

int
parse_octal(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i, n;

	if (s == NULL)
		return -1;
	n = strnlen(s, 33);
	if (n == 0 || n > 32)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		if (v > (ULONG_MAX >> 3))
			return -1;
		v = (v << 3) | (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

size_t
parse_word(const char **p, const char *seps)
{
	*p += strspn(*p, seps);
	return strcspn(*p, seps);
}
