/*
 * json.c - JSON string escaping (RFC 8259, section 7).
 *
 * Runs in the monitor and the master (the session log) and in ftpwho.
 * Trusts nothing of its input; never allocates, so the log can use it
 * anywhere.
 */
#include <stdint.h>
#include <string.h>

#include "json.h"

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if the
 * byte there does not start one: overlongs, surrogates and code points
 * past U+10FFFF are refused (RFC 3629). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

size_t
json_escape(const char *in, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	char tmp[8];
	size_t i = 0, o = 0, k, len;

	if (outlen == 0)
		return 0;
	while (i < n) {
		len = utf8_len(p + i, n - i);
		if (len == 0) {		/* not UTF-8: the replacement */
			memcpy(tmp, "\\ufffd", 6);
			k = 6;
			len = 1;
		} else if (len > 1) {
			memcpy(tmp, p + i, len);
			k = len;
		} else if (p[i] == '"' || p[i] == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)p[i];
			k = 2;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[p[i] >> 4];
			tmp[5] = hex[p[i] & 0xf];
			k = 6;
		} else {
			tmp[0] = (char)p[i];
			k = 1;
		}
		if (o + k + 1 > outlen)
			break;
		memcpy(out + o, tmp, k);
		o += k;
		i += len;
	}
	out[o] = '\0';
	return o;
}
