/*
 * ldapfilter.c - an LDAP filter template with the value in it, escaped
 * per RFC 4515 (see ldapfilter.h).
 *
 * No libldap here: the escaping is ours, small enough to read whole and
 * to unit-test, and the same whichever client library sends the filter.
 * It lives in common/ so the configuration can check a template when it
 * is loaded, in the daemon that never links the directory client.
 */
#include <stdio.h>
#include <string.h>

#include "ldapfilter.h"

/*
 * RFC 4515 section 3 requires escaping NUL, '*', '(', ')' and '\'.  We
 * also escape controls, DEL and every byte >= 0x80: escaped, they are
 * the same octets to the server, and the filter stays printable ASCII in
 * a log line whatever the value held.
 */
static int
must_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '*' || c == '(' || c == ')' ||
	    c == '\\';
}

int
ldapfilter_check(const char *tmpl, char *err, size_t errlen)
{
	const char *p;

	for (p = strchr(tmpl, '%'); p != NULL; p = strchr(p + 2, '%')) {
		if (p[1] == 'u' || p[1] == '%')
			continue;
		if (p[1] == '\0')
			snprintf(err, errlen, "ends in a lone %% (write %%%% "
			    "for a literal %%)");
		else
			snprintf(err, errlen, "%%%c is not %%u (the value) "
			    "or %%%% (a literal %%)",
			    (unsigned char)p[1] < 0x20 ||
			    (unsigned char)p[1] >= 0x7f ? '?' : p[1]);
		return -1;
	}
	return 0;
}

/* Append n bytes to out at *o, keeping room for the NUL.  -1: full. */
static int
put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (outlen == 0 || n >= outlen - *o)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/* The escaped value at *o, as ldapfilter_escape.  -1: full. */
static int
put_escaped(char *out, size_t outlen, size_t *o, const char *val,
    size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char esc[3];
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)val[i];

		if (!must_escape(c)) {
			if (put(out, outlen, o, val + i, 1) == -1)
				return -1;
			continue;
		}
		esc[0] = '\\';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0xf];
		if (put(out, outlen, o, esc, sizeof(esc)) == -1)
			return -1;
	}
	return 0;
}

int
ldapfilter_escape(char *out, size_t outlen, const char *val, size_t len)
{
	size_t o = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (put_escaped(out, outlen, &o, val, len) == -1 || o > 0x7fffffff) {
		out[0] = '\0';
		return -1;
	}
	return (int)o;
}

int
ldapfilter_build(char *out, size_t outlen, const char *tmpl,
    const char *val, size_t len, char *err, size_t errlen)
{
	const char *p = tmpl, *pct;
	size_t o = 0;
	int full = 0;

	if (outlen == 0 || ldapfilter_check(tmpl, err, errlen) == -1) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	out[0] = '\0';
	while (!full && (pct = strchr(p, '%')) != NULL) {
		full = put(out, outlen, &o, p, (size_t)(pct - p)) == -1 ||
		    (pct[1] == '%' ? put(out, outlen, &o, "%", 1) :
		    put_escaped(out, outlen, &o, val, len)) == -1;
		p = pct + 2;
	}
	if (full || put(out, outlen, &o, p, strlen(p)) == -1) {
		snprintf(err, errlen, "longer than %zu bytes with this value",
		    outlen - 1);
		out[0] = '\0';
		return -1;
	}
	return 0;
}
