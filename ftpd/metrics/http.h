/*
 * http.h - judging one HTTP/1.x request for /metrics (http.c).
 */
#ifndef FTPD_METRICS_HTTP_H
#define FTPD_METRICS_HTTP_H

#include <stddef.h>

#define HTTP_REQ_MAX	8192	/* a request's line and headers, at most */

enum http_verdict {
	HTTP_MORE,	/* no end of headers yet: read on */
	HTTP_METRICS,	/* GET /metrics: 200 with the body */
	HTTP_HEAD,	/* HEAD /metrics: 200, headers only */
	HTTP_NOT_FOUND,	/* 404 */
	HTTP_BAD_METHOD,	/* 405 */
	HTTP_BAD,	/* 400: garbage, too long, or cut short */
};

/*
 * The verdict on the len bytes received so far; eof: the client will send
 * no more.  Pure: no state beyond its arguments.
 */
enum http_verdict http_judge(const char *req, size_t len, int eof);

/* The status line's code and reason for a verdict (not HTTP_MORE). */
int	http_status(enum http_verdict v, const char **reason);

#endif
