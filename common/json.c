/*
 * json.c - JSON strings from untrusted bytes (json.h).
 */
#include <string.h>

#include "buf.h"
#include "json.h"

size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c, lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
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

/*
 * The character at p[0..n) as JSON text in tmp (at most 6 bytes): its
 * length; *used is how many input bytes it took.
 */
static size_t
json_char(const unsigned char *p, size_t n, char tmp[8], size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = json_utf8_len(p, n);

	*used = len > 0 ? len : 1;
	if (len > 1) {
		memcpy(tmp, p, len);
		return len;
	}
	if (len == 1 && (p[0] == '"' || p[0] == '\\')) {
		tmp[0] = '\\';
		tmp[1] = (char)p[0];
		return 2;
	}
	if (len == 1 && p[0] >= 0x20 && p[0] != 0x7f) {
		tmp[0] = (char)p[0];
		return 1;
	}
	/* A control byte, or one outside valid UTF-8. */
	memcpy(tmp, "\\u00", 4);
	tmp[4] = hex[p[0] >> 4];
	tmp[5] = hex[p[0] & 0xf];
	return 6;
}

size_t
json_escape(const char *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	char tmp[8];
	size_t i = 0, o = 0, k, used;

	if (outlen == 0)
		return 0;
	while (i < n) {
		k = json_char(p + i, n - i, tmp, &used);
		if (o + k + 1 > outlen)
			break;
		memcpy(out + o, tmp, k);
		o += k;
		i += used;
	}
	out[o] = '\0';
	return o;
}

int
json_put(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = b->len, i = 0, k, used;
	char tmp[8];
	int rc = buf_putc(b, '"');

	while (rc == 0 && i < n) {
		k = json_char(p + i, n - i, tmp, &used);
		rc = buf_append(b, tmp, k);
		i += used;
	}
	if (rc == 0)
		rc = buf_putc(b, '"');
	if (rc == -1)
		buf_truncate(b, start);
	return rc;
}
