/*
 * ldapfilter.h - an LDAP search filter from a template and one value,
 * such as a user name (ftpd's ldap_filter).
 *
 * The template holds %u where the value goes.  The value is untrusted
 * bytes, so it enters the filter only escaped per RFC 4515: it cannot
 * add a wildcard, close a parenthesis or open a new clause, whatever it
 * holds.
 */
#ifndef COMMON_LDAPFILTER_H
#define COMMON_LDAPFILTER_H

#include <stddef.h>

/* The longest filter built, NUL included: a 255-byte value escaped to
 * three bytes each still fits twice with room for the template. */
#define LDAPFILTER_MAX	2048

/*
 * 0 if tmpl uses % only as %u (the value) and %% (a literal %), else
 * -1 with err naming the offending sequence.
 */
int	ldapfilter_check(const char *tmpl, char *err, size_t errlen);

/*
 * Escape the len bytes at val (NULs included) as an RFC 4515 assertion
 * value into out: NUL, '*', '(', ')', '\\', and every byte outside
 * printable ASCII become \XX (two lower-case hex digits).  Returns the
 * length written (out NUL-terminated), or -1 if it does not fit in
 * outlen (out is then "").
 */
int	ldapfilter_escape(char *out, size_t outlen, const char *val,
	    size_t len);

/*
 * tmpl with each %u replaced by val (len bytes) escaped and each %% by
 * %.  0, or -1 with err: a bad template, or a result that would not fit
 * in outlen (out is then "").
 */
int	ldapfilter_build(char *out, size_t outlen, const char *tmpl,
	    const char *val, size_t len, char *err, size_t errlen);

#endif
