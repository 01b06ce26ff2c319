/*
 * test_bans.c - the master's failed-login ban table.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "priv/bans.h"
#include "unit.h"

static struct sockaddr_storage
addr4(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return ss;
}

START_TEST(test_ban_after_threshold)
{
	struct sockaddr_storage a = addr4("192.0.2.1"), b = addr4("192.0.2.2");

	bans_clear();
	ck_assert_int_eq(bans_record(&a, 3, 10, 600, 1000), 0);
	ck_assert_int_eq(bans_record(&a, 3, 10, 600, 1010), 0);
	ck_assert_int_eq(bans_check(&a, 1010), 0);
	ck_assert_int_eq(bans_record(&a, 4, 10, 600, 1020), 2);
	ck_assert_int_eq(bans_check(&a, 1020), 1);
	ck_assert_int_eq(bans_check(&b, 1020), 0);
	ck_assert_int_eq(bans_check(&a, 1619), 1);
	ck_assert_int_eq(bans_check(&a, 1620), 0);
}
END_TEST

START_TEST(test_window_expires)
{
	struct sockaddr_storage a = addr4("192.0.2.3");

	bans_clear();
	ck_assert_int_eq(bans_record(&a, 9, 10, 60, 1000), 0);
	/* the window of 60 s has passed: the count starts again */
	ck_assert_int_eq(bans_record(&a, 9, 10, 60, 1100), 0);
	ck_assert_int_eq(bans_check(&a, 1100), 0);
	ck_assert_int_eq(bans_record(&a, 0, 10, 60, 1100), 0);
	ck_assert_int_eq(bans_record(&a, 1, 0, 60, 1100), 0);
}
END_TEST

START_TEST(test_table_full_reuses)
{
	struct sockaddr_storage a;
	char ip[32];
	int i;

	bans_clear();
	for (i = 0; i < BANS_MAX + 100; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", (i >> 8) & 255, i & 255);
		a = addr4(ip);
		(void)bans_record(&a, 1, 10, 600, 1000 + i);
	}
	a = addr4("10.0.0.1");	/* the stalest entry was reused */
	ck_assert_int_eq(bans_check(&a, 2000), 0);
}
END_TEST

static Suite *
bans_suite(void)
{
	Suite *s = suite_create("bans");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ban_after_threshold);
	tcase_add_test(tc, test_window_expires);
	tcase_add_test(tc, test_table_full_reuses);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(bans_suite)
