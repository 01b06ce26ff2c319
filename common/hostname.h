/*
 * hostname.h - DNS host names as a client names them (TLS SNI, RFC 7151
 * HOST): checked before use and compared with configured names, which
 * may start with one wildcard label.
 *
 * Pure functions; the names are untrusted, bounded C strings.
 */
#ifndef COMMON_HOSTNAME_H
#define COMMON_HOSTNAME_H

/* Longest host name in text (RFC 1035: 255 octets on the wire). */
#define HOSTNAME_MAX	253

/*
 * 1 if name is a host name: 1 to HOSTNAME_MAX bytes, dot-separated
 * labels of 1 to 63 letters, digits, '-' and '_' (seen in real names),
 * no label starting or ending with '-', no empty label (so no leading
 * or trailing dot).  0 otherwise.
 */
int	hostname_valid(const char *name);
/*
 * 1 if name is matched by pattern, ignoring ASCII case: the same name,
 * or pattern "*.REST" and name "LABEL.REST" with exactly one non-empty
 * label in place of the '*' ("*.example.com" matches "a.example.com",
 * not "example.com" nor "a.b.example.com").  0 otherwise.
 */
int	hostname_match(const char *pattern, const char *name);

#endif
