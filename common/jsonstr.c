/*
 * jsonstr.c - a byte string as a JSON string literal (see jsonstr.h).
 *
 * Runs in whichever process writes JSON; trusts nothing of its input
 * (file names come from clients).  Output is bounded by the buffer's
 * maximum; a string that does not fit leaves the buffer as it was.
 */
#include <stdio.h>

#include "buf.h"
#include "jsonstr.h"

size_t
jsonstr_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* U+D800..U+DFFF, surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int
jsonstr_put(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = b->len, i = 0, k;
	char esc[8];
	int rc = buf_putc(b, '"');

	while (rc == 0 && i < n) {
		k = jsonstr_utf8_len(p + i, n - i);
		if (k > 1 || (k == 1 && p[i] >= 0x20 && p[i] != 0x7f &&
		    p[i] != '"' && p[i] != '\\')) {
			rc = buf_append(b, p + i, k);
			i += k;
			continue;
		}
		switch (p[i]) {
		case '"': rc = buf_puts(b, "\\\""); break;
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		case '\r': rc = buf_puts(b, "\\r"); break;
		case '\t': rc = buf_puts(b, "\\t"); break;
		default:
			/* A control byte, or one outside valid UTF-8. */
			(void)snprintf(esc, sizeof(esc), "\\u%04x",
			    (unsigned)p[i]);
			rc = buf_puts(b, esc);
		}
		i++;
	}
	if (rc == 0)
		rc = buf_putc(b, '"');
	if (rc == -1)
		buf_truncate(b, start);
	return rc;
}
