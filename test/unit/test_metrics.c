/*
 * test_metrics.c - unit tests for ftpd/metrics/expo.c (the counters page
 * as Prometheus text) and ftpd/metrics/http.c (the one request the
 * metrics server takes): exact lines for known counters, the histogram's
 * cumulative buckets, the session gauges from the slots, HELP/TYPE
 * before each family, a buffer too small giving nothing, and the verdict
 * on good, bad, partial and over-long requests.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "formats/metrics_page.h"
#include "metrics/expo.h"
#include "metrics/http.h"

#define NSLOTS	8

static struct metrics_page *
page_new(void)
{
	struct metrics_page *p = calloc(1, sizeof(*p) + NSLOTS);

	ck_assert_ptr_nonnull(p);
	p->nslots = NSLOTS;
	return p;
}

static char out[EXPO_MAX];

static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

START_TEST(expo_values)
{
	struct metrics_page *p = page_new();
	size_t n;

	p->sessions_total = 42;
	p->logins[MET_LOGIN_OK][1] = 3;			/* system */
	p->logins[MET_LOGIN_FAILED][MET_SRC_UNKNOWN] = 5;
	p->bytes[0] = 1000;
	p->bytes[1] = 18446744073709551615ULL;		/* no wrap in text */
	p->transfers[MET_CMD_APPE][MET_XFER_ABORTED] = 2;
	p->tls[MET_TLS_DATA][MET_TLS_REUSE_REFUSED] = 7;
	p->data_failures[MET_DATA_ACTIVE] = 1;
	p->bans_active = 4;
	p->slots[0] = MET_SLOT_PRELOGIN;
	p->slots[3] = MET_SLOT_ACCOUNT | MET_SLOT_TLS;
	p->slots[5] = MET_SLOT_ACCOUNT;
	p->slots[7] = MET_SLOT_ANONYMOUS;
	n = metrics_expo(p, "9.9", out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert(has_line(out, "ftpd_build_info{version=\"9.9\"} 1"));
	ck_assert(has_line(out, "ftpd_sessions_total 42"));
	ck_assert(has_line(out,
	    "ftpd_logins_total{result=\"ok\",source=\"system\"} 3"));
	ck_assert(has_line(out,
	    "ftpd_logins_total{result=\"failed\",source=\"unknown\"} 5"));
	ck_assert(has_line(out, "ftpd_bytes_total{direction=\"upload\"} 1000"));
	ck_assert(has_line(out, "ftpd_bytes_total{direction=\"download\"} "
	    "18446744073709551615"));
	ck_assert(has_line(out, "ftpd_transfers_total{command=\"APPE\","
	    "result=\"aborted\"} 2"));
	ck_assert(has_line(out, "ftpd_tls_handshakes_total{connection="
	    "\"data\",result=\"reuse_refused\"} 7"));
	ck_assert(has_line(out, "ftpd_data_connection_failures_total{mode="
	    "\"active\"} 1"));
	ck_assert(has_line(out, "ftpd_bans_active 4"));
	ck_assert(has_line(out, "ftpd_sessions_active{state=\"prelogin\"} 1"));
	ck_assert(has_line(out, "ftpd_sessions_active{state=\"account\"} 2"));
	ck_assert(has_line(out,
	    "ftpd_sessions_active{state=\"anonymous\"} 1"));
	ck_assert(has_line(out, "ftpd_sessions_tls_active 1"));
	/* Every family: HELP then TYPE, counters end in _total. */
	ck_assert(has_line(out, "# TYPE ftpd_logins_total counter"));
	ck_assert(has_line(out, "# TYPE ftpd_sessions_active gauge"));
	ck_assert(strstr(out, "# HELP ftpd_bytes_total ") <
	    strstr(out, "# TYPE ftpd_bytes_total counter"));
	free(p);
}
END_TEST

START_TEST(expo_histogram)
{
	struct metrics_page *p = page_new();

	p->lookup[0] = 2;		/* <= 1 ms */
	p->lookup[3] = 1;		/* <= 25 ms */
	p->lookup[MET_LOOKUP_NB] = 4;	/* beyond the last bound */
	p->lookup_sum_us = 30001234;
	ck_assert_uint_gt(metrics_expo(p, "1", out, sizeof(out)), 0);
	ck_assert(has_line(out, "# TYPE ftpd_account_lookup_seconds "
	    "histogram"));
	ck_assert(has_line(out,
	    "ftpd_account_lookup_seconds_bucket{le=\"0.001000\"} 2"));
	ck_assert(has_line(out,
	    "ftpd_account_lookup_seconds_bucket{le=\"0.010000\"} 2"));
	ck_assert(has_line(out,
	    "ftpd_account_lookup_seconds_bucket{le=\"0.025000\"} 3"));
	ck_assert(has_line(out,
	    "ftpd_account_lookup_seconds_bucket{le=\"5.000000\"} 3"));
	ck_assert(has_line(out,
	    "ftpd_account_lookup_seconds_bucket{le=\"+Inf\"} 7"));
	ck_assert(has_line(out, "ftpd_account_lookup_seconds_count 7"));
	ck_assert(has_line(out, "ftpd_account_lookup_seconds_sum 30.001234"));
	free(p);
}
END_TEST

START_TEST(expo_too_small)
{
	struct metrics_page *p = page_new();
	size_t full = metrics_expo(p, "1", out, sizeof(out));

	ck_assert_uint_gt(full, 100);
	ck_assert_uint_eq(metrics_expo(p, "1", out, full), 0);
	ck_assert_uint_eq(metrics_expo(p, "1", out, full + 1), full);
	ck_assert_uint_eq(metrics_expo(p, "1", out, 0), 0);
	free(p);
}
END_TEST

#define J(s, eof) http_judge((s), sizeof(s) - 1, (eof))

START_TEST(http_verdicts)
{
	static char big[HTTP_REQ_MAX];
	const char *why;

	ck_assert_int_eq(J("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 0),
	    HTTP_METRICS);
	ck_assert_int_eq(J("GET /metrics HTTP/1.0\n\n", 0), HTTP_METRICS);
	ck_assert_int_eq(J("GET /metrics?a=b HTTP/1.1\r\n\r\n", 0),
	    HTTP_METRICS);
	ck_assert_int_eq(J("HEAD /metrics HTTP/1.1\r\n\r\n", 0), HTTP_HEAD);
	ck_assert_int_eq(J("GET /metric HTTP/1.1\r\n\r\n", 0),
	    HTTP_NOT_FOUND);
	ck_assert_int_eq(J("GET /metrics/ HTTP/1.1\r\n\r\n", 0),
	    HTTP_NOT_FOUND);
	ck_assert_int_eq(J("POST /metrics HTTP/1.1\r\n\r\n", 0),
	    HTTP_BAD_METHOD);
	ck_assert_int_eq(J("get /metrics HTTP/1.1\r\n\r\n", 0), HTTP_BAD);
	ck_assert_int_eq(J("GET metrics HTTP/1.1\r\n\r\n", 0), HTTP_BAD);
	ck_assert_int_eq(J("GET /metrics HTTP/2\r\n\r\n", 0), HTTP_BAD);
	ck_assert_int_eq(J("GET  /metrics HTTP/1.1\r\n\r\n", 0), HTTP_BAD);
	ck_assert_int_eq(J("GET /metrics HTTP/1.1 x\r\n\r\n", 0), HTTP_BAD);
	ck_assert_int_eq(J("GET /met\x01rics HTTP/1.1\r\n\r\n", 0), HTTP_BAD);
	ck_assert_int_eq(http_judge("GET /metrics HTTP/1.1\r\n\0\r\n\r\n",
	    29, 0), HTTP_BAD);
	ck_assert_int_eq(J("\r\n\r\n", 0), HTTP_BAD);
	/* Partial: read on; cut short by the client: bad. */
	ck_assert_int_eq(J("GET /metrics HTTP/1.1\r\n", 0), HTTP_MORE);
	ck_assert_int_eq(J("GET /metrics HTTP/1.1\r\n", 1), HTTP_BAD);
	ck_assert_int_eq(J("", 1), HTTP_BAD);
	/* Full buffer without an end of headers: bad, not "more". */
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(http_judge(big, sizeof(big), 0), HTTP_BAD);
	ck_assert_int_eq(http_status(HTTP_NOT_FOUND, &why), 404);
	ck_assert_str_eq(why, "Not Found");
	ck_assert_int_eq(http_status(HTTP_BAD_METHOD, &why), 405);
	ck_assert_int_eq(http_status(HTTP_BAD, &why), 400);
	ck_assert_int_eq(http_status(HTTP_HEAD, &why), 200);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, expo_values);
	tcase_add_test(tc, expo_histogram);
	tcase_add_test(tc, expo_too_small);
	tcase_add_test(tc, http_verdicts);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(metrics_suite)
