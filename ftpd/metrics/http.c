/*
 * http.c - the one request the metrics server understands.
 *
 * Runs in the metrics process (metrics_user, chrooted, seccomp) on bytes
 * from any scraper, trusted for nothing: the request is at most
 * HTTP_REQ_MAX bytes, only its first line is parsed (METHOD SP TARGET SP
 * HTTP/1.0 or HTTP/1.1, tokens of printable ASCII), and the headers are
 * only looked through for their end.  No header changes the answer, and
 * every answer closes the connection, so there is no body to read, no
 * keep-alive and no pipelining to get wrong.
 */
#include <string.h>

#include "metrics/http.h"

#define METHOD_MAX	16

/* The end of the header block ("\r\n\r\n" or a bare "\n\n"), or NULL. */
static const char *
headers_end(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			return p + i + 2;
		if (i + 3 < len && memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i + 4;
	}
	return NULL;
}

/* A token of the request line: visible ASCII, no space.  Its length. */
static size_t
token(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q > ' ' && *q < 0x7f)
		q++;
	return (size_t)(q - p);
}

enum http_verdict
http_judge(const char *req, size_t len, int eof)
{
	const char *end, *p, *line_end, *target;
	size_t mlen, tlen, vlen, plen;
	int head;

	if (memchr(req, '\0', len) != NULL)
		return HTTP_BAD;
	if ((end = headers_end(req, len)) == NULL)
		return !eof && len < HTTP_REQ_MAX ? HTTP_MORE : HTTP_BAD;
	if ((line_end = memchr(req, '\n', (size_t)(end - req))) == NULL)
		return HTTP_BAD;
	if (line_end > req && line_end[-1] == '\r')
		line_end--;
	p = req;
	mlen = token(p, line_end);
	if (mlen == 0 || mlen > METHOD_MAX || p + mlen >= line_end ||
	    p[mlen] != ' ')
		return HTTP_BAD;
	target = p + mlen + 1;
	tlen = token(target, line_end);
	if (tlen == 0 || target + tlen >= line_end || target[tlen] != ' ')
		return HTTP_BAD;
	p = target + tlen + 1;
	vlen = (size_t)(line_end - p);
	if (vlen != 8 || (memcmp(p, "HTTP/1.1", 8) != 0 &&
	    memcmp(p, "HTTP/1.0", 8) != 0))
		return HTTP_BAD;
	/* Methods are tokens of letters (RFC 9110), case-sensitive. */
	for (p = req; p < req + mlen; p++)
		if (*p < 'A' || *p > 'Z')
			return HTTP_BAD;
	if (target[0] != '/')
		return HTTP_BAD;
	head = mlen == 4 && memcmp(req, "HEAD", 4) == 0;
	if (!head && !(mlen == 3 && memcmp(req, "GET", 3) == 0))
		return HTTP_BAD_METHOD;
	/* The query string (Prometheus sends none) does not matter. */
	for (plen = 0; plen < tlen && target[plen] != '?'; plen++)
		;
	if (plen != 8 || memcmp(target, "/metrics", 8) != 0)
		return HTTP_NOT_FOUND;
	return head ? HTTP_HEAD : HTTP_METRICS;
}

int
http_status(enum http_verdict v, const char **reason)
{
	switch (v) {
	case HTTP_METRICS:
	case HTTP_HEAD:
		*reason = "OK";
		return 200;
	case HTTP_NOT_FOUND:
		*reason = "Not Found";
		return 404;
	case HTTP_BAD_METHOD:
		*reason = "Method Not Allowed";
		return 405;
	case HTTP_MORE:
	case HTTP_BAD:
	default:
		*reason = "Bad Request";
		return 400;
	}
}
