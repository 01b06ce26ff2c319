/*
 * expo.h - the counters page in Prometheus text exposition format 0.0.4
 * (expo.c).
 */
#ifndef FTPD_METRICS_EXPO_H
#define FTPD_METRICS_EXPO_H

#include <stddef.h>

#define EXPO_MAX	65536	/* the whole text, at most (about 9 KiB) */

struct metrics_page;

/*
 * Write every metric of page into out (cap bytes), with HELP and TYPE
 * lines, build_info carrying version.  The length written, or 0 when cap
 * was too small (nothing half-written is ever served).  Pure: reads the
 * page with relaxed atomic loads.
 */
size_t	metrics_expo(const struct metrics_page *page, const char *version,
	    char *out, size_t cap);

#endif
