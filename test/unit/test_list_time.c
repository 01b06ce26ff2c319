/*
 * test_list_time.c - known-answer tests of the listing date formatters
 * against the C library: list_fmt_mtime (MLSx modify, MDTM) against
 * gmtime_r, and list_fmt_date (LIST "Mon DD HH:MM" / "Mon DD  YYYY", with
 * its cache of whole local days) against localtime_r in time zones with
 * DST, half-hour DST, odd offsets, a skipped day, negative DST and leap
 * seconds.  The time zone is restored after each test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "user/list.h"

#define NOW	((time_t)1700000000)	/* 2023-11-14 22:13:20 UTC */
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define T_MIN	(-62167219200LL)
#define T_MAX	(253402300799LL)

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/*
 * Mismatches are counted and the first one kept, and asserted once per
 * test: every check assertion costs a write to the test runner, and these
 * tests compare hundreds of thousands of values.
 */
static unsigned long nfail;
static char first_fail[256];

static void
mismatch(const char *zone, long long t, const char *got, const char *want)
{
	if (nfail++ == 0)
		(void)snprintf(first_fail, sizeof(first_fail),
		    "TZ=%s t=%lld: got \"%s\", want \"%s\"", zone, t, got,
		    want);
}

static void
fails_reset(void)
{
	nfail = 0;
	first_fail[0] = '\0';
}

#define ASSERT_NO_FAILS() \
	ck_assert_msg(nfail == 0, "%lu mismatches, first: %s", nfail, \
	    first_fail)

/* A small deterministic generator, so failures can be reproduced. */
static unsigned long long rng_state;

static unsigned long long
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Uniform in [lo, hi]. */
static long long
rng_range(long long lo, long long hi)
{
	return lo + (long long)(rng() % (unsigned long long)(hi - lo + 1));
}

static void
expect_mtime(time_t t)
{
	char got[LIST_MTIME_LEN + 1], want[64];
	struct tm tm;
	int rc;

	rc = list_fmt_mtime(got, sizeof(got), t);
	if (gmtime_r(&t, &tm) == NULL) {
		mismatch("UTC", (long long)t, got, "(gmtime_r failed)");
		return;
	}
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		if (rc != -1 || got[0] != '\0')
			mismatch("UTC", (long long)t, got, "(-1)");
		return;
	}
	(void)snprintf(want, sizeof(want), "%04d%02d%02d%02d%02d%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (rc != 0 || strcmp(got, want) != 0)
		mismatch("UTC", (long long)t, got, want);
}

START_TEST(t_mtime_random)
{
	static const long long fixed[] = {
		0, -1, 1, 86399, 86400, -86400, -86401,
		951782399, 951782400, 951868799, 951868800,	/* 2000-02-29 */
		-2203977600LL, -2203891200LL,	/* 1900-02-28, 1900-03-01 */
		4107456000LL, 4107542400LL,	/* 2100-02-28, 2100-03-01 */
		13574476800LL, 13574563200LL,	/* 2400-02-29, 2400-03-01 */
		2147483647LL, 2147483648LL, -2147483648LL, 4294967296LL,
		T_MIN, T_MIN - 1, T_MAX, T_MAX + 1, -12219292800LL,
	};
	size_t i;

	fails_reset();
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		expect_mtime((time_t)fixed[i]);
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 200000; i++)
		expect_mtime((time_t)rng_range(T_MIN - 86400 * 400LL,
		    T_MAX + 86400 * 400LL));
	/* Every day for eight centuries, at a varying time of day. */
	for (i = 0; i < 800 * 366; i++)
		expect_mtime((time_t)(-5000000000LL + (long long)i * 86400 +
		    (long long)(i * 7919 % 86400)));
	ASSERT_NO_FAILS();
}
END_TEST

/* What list_fmt_date must print for t, from localtime_r and the rule. */
static void
want_date(time_t t, time_t now, char *out, size_t outlen)
{
	struct tm tm;
	int year;

	if (localtime_r(&t, &tm) == NULL) {
		(void)snprintf(out, outlen, "Jan  1  1970");
		return;
	}
	if (t > now - LIST_SIX_MONTHS && t <= now + LIST_FUTURE_SLACK) {
		(void)snprintf(out, outlen, "%s %2d %02d:%02d",
		    month_names[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min);
		return;
	}
	year = tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		year = year < 0 ? 0 : 9999;
	(void)snprintf(out, outlen, "%s %2d %5d", month_names[tm.tm_mon],
	    tm.tm_mday, year);
}

static void
check_date(struct list_clock *c, time_t t, const char *zone)
{
	char got[LIST_DATE_LEN + 1], want[64];

	list_fmt_date(got, sizeof(got), t, c);
	want_date(t, c->now, want, sizeof(want));
	if (strcmp(got, want) != 0)
		mismatch(zone, (long long)t, got, want);
}

static long
offset_at(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return localtime_r(&tt, &tm) == NULL ? 0 : tm.tm_gmtoff;
}

/* Times from a day before to a day after `day`, in ~17 minute steps. */
static void
dense_run(long long day, const char *zone)
{
	struct list_clock c;
	long long k;

	list_clock_init(&c, (time_t)(day + 86400), 0);
	for (k = -86400; k <= 86400; k += 997)
		check_date(&c, (time_t)(day + k), zone);
	list_clock_init(&c, (time_t)(day + 86400), 0);
	for (k = 86400; k >= -86400; k -= 1013)
		check_date(&c, (time_t)(day + k), zone);
}

/* list_fmt_date against localtime_r in zone; TZ is restored after. */
static void
dates_in_zone(const char *zone)
{
	struct list_clock c;
	char *old = getenv("TZ") != NULL ? strdup(getenv("TZ")) : NULL;
	time_t t;
	long long i, j, base;

	fails_reset();
	ck_assert_int_eq(setenv("TZ", zone, 1), 0);
	tzset();
	rng_state = 0x2545f4914f6cdd1dULL;
	/* Random times over two centuries, one fresh clock. */
	list_clock_init(&c, NOW, 0);
	for (i = 0; i < 20000; i++)
		check_date(&c, (time_t)rng_range(-3155760000LL,
		    3155760000LL), zone);
	/* Every change of UTC offset from 1970 to 2040 (found day by day):
	 * directory-like runs of times from the day before to the day
	 * after, forward and backward, each with a fresh clock, so that the
	 * cached day is the one next to the change. */
	for (i = 1; i < 70 * 366; i++)
		if (offset_at(i * 86400) != offset_at((i - 1) * 86400))
			dense_run(i * 86400, zone);
	/* Random runs of files from the same few hours. */
	for (i = 0; i < 200; i++) {
		base = rng_range(0, 2200000000LL);
		list_clock_init(&c, (time_t)(base + 86400), 0);
		for (j = 0; j < 100; j++)
			check_date(&c, (time_t)(base + rng_range(0, 20000)),
			    zone);
	}
	/* A month either side of every half-hour in 2011-2012. */
	list_clock_init(&c, (time_t)1320000000, 0);
	for (t = 1293840000; t < 1356998400; t += 1800)
		check_date(&c, t, zone);
	/* The six-month rule and the future slack, at their edges. */
	list_clock_init(&c, NOW, 0);
	for (i = -2; i <= 2; i++) {
		check_date(&c, NOW - LIST_SIX_MONTHS + (time_t)i, zone);
		check_date(&c, NOW + LIST_FUTURE_SLACK + (time_t)i, zone);
	}
	/* Out of range: years past 9999, before 0, past what tm holds. */
	check_date(&c, (time_t)(T_MAX + 86400 * 400LL), zone);
	check_date(&c, (time_t)(T_MIN - 86400 * 400LL), zone);
	check_date(&c, (time_t)0x7fffffffffffffffLL, zone);
	check_date(&c, (time_t)(-0x7fffffffffffffffLL - 1), zone);
	if (old != NULL)
		ck_assert_int_eq(setenv("TZ", old, 1), 0);
	else
		ck_assert_int_eq(unsetenv("TZ"), 0);
	tzset();
	free(old);
	ASSERT_NO_FAILS();
}

START_TEST(t_date_zones)
{
	static const char *const zones[] = {
		"UTC",
		"Europe/Berlin",
		"America/New_York",
		"Australia/Lord_Howe",		/* DST of half an hour */
		"Asia/Kathmandu",		/* +05:45 */
		"America/St_Johns",		/* -03:30, DST */
		"Pacific/Apia",			/* skipped 2011-12-30 */
		"Europe/Dublin",		/* negative DST */
		"Africa/Casablanca",		/* DST paused for Ramadan */
		"right/Europe/London",		/* leap seconds */
		"EST5EDT,M3.2.0,M11.1.0",	/* POSIX rule, no file */
		"<+0530>-5:30",
	};

	dates_in_zone(zones[_i]);
}
END_TEST

START_TEST(t_date_utc_clock)
{
	struct list_clock c;
	char got[LIST_DATE_LEN + 1];
	long long i;
	time_t t;
	struct tm tm;
	char want[64];

	/* utc = 1 clocks (the unit tests' own) against gmtime_r. */
	fails_reset();
	rng_state = 0x853c49e6748fea9bULL;
	list_clock_init(&c, NOW, 1);
	for (i = 0; i < 50000; i++) {
		t = (time_t)(i % 3 == 0 ? rng_range(-6000000000LL,
		    6000000000LL) : NOW - rng_range(0, 40000000));
		list_fmt_date(got, sizeof(got), t, &c);
		if (gmtime_r(&t, &tm) == NULL) {
			mismatch("UTC", (long long)t, got,
			    "(gmtime_r failed)");
			continue;
		}
		if (t > NOW - LIST_SIX_MONTHS && t <= NOW + LIST_FUTURE_SLACK)
			(void)snprintf(want, sizeof(want), "%s %2d %02d:%02d",
			    month_names[tm.tm_mon], tm.tm_mday, tm.tm_hour,
			    tm.tm_min);
		else
			(void)snprintf(want, sizeof(want), "%s %2d %5d",
			    month_names[tm.tm_mon], tm.tm_mday,
			    tm.tm_year + 1900);
		if (strcmp(got, want) != 0)
			mismatch("UTC", (long long)t, got, want);
	}
	ASSERT_NO_FAILS();
}
END_TEST

static Suite *
list_time_suite(void)
{
	Suite *s = suite_create("list_time");
	TCase *tc = tcase_create("dates");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_mtime_random);
	tcase_add_loop_test(tc, t_date_zones, 0, 12);
	tcase_add_test(tc, t_date_utc_clock);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(list_time_suite)
