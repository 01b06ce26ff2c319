/*
 * test_banlist.c - the shared bans' messages (ACCT_BAN_ADD, the list):
 * what the master accepts from the account service.
 */
#include <string.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "formats/acctproto.h"
#include "unit.h"

static struct acct_ban_list l, back;

static struct acct_ban
ban4(unsigned char last, uint64_t until)
{
	struct acct_ban b;

	memset(&b, 0, sizeof(b));
	b.family = AF_INET;
	b.addr[0] = 192;
	b.addr[2] = 2;
	b.addr[3] = last;
	b.until = until;
	return b;
}

START_TEST(test_list_round_trip)
{
	struct buf b;

	memset(&l, 0, sizeof(l));
	l.status = ACCT_FOUND;
	l.n = 2;
	l.bans[0] = ban4(1, 2000000000);
	l.bans[1].family = AF_INET6;
	memset(l.bans[1].addr, 0xab, 16);
	l.bans[1].until = 1;
	buf_init(&b, IPC_MAX);
	ck_assert_int_eq(acct_put_ban_list(&b, &l), 0);
	ck_assert_int_eq(acct_get_ban_list(&b, &back), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_int_eq(memcmp(back.bans, l.bans, 2 * sizeof(l.bans[0])), 0);
	/* one byte short, one byte more: refused, with no entries */
	b.len--;
	ck_assert_int_eq(acct_get_ban_list(&b, &back), -1);
	ck_assert_uint_eq(back.n, 0);
	b.len++;
	ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	ck_assert_int_eq(acct_get_ban_list(&b, &back), -1);
	buf_free(&b);
}
END_TEST

START_TEST(test_ban_ranges)
{
	struct acct_ban a = ban4(7, 1000), got;
	struct buf b;

	buf_init(&b, 256);
	ck_assert_int_eq(acct_put_ban(&b, &a), 0);
	ck_assert_int_eq(acct_get_ban(&b, &got), 0);
	ck_assert_int_eq(memcmp(&a, &got, sizeof(a)), 0);
	/* an until past any sane date */
	buf_reset(&b);
	a.until = ACCT_BAN_UNTIL_MAX + 1;
	ck_assert_int_eq(acct_put_ban(&b, &a), 0);
	ck_assert_int_eq(acct_get_ban(&b, &got), -1);
	/* a family that is no address */
	buf_reset(&b);
	a = ban4(7, 1000);
	a.family = AF_UNIX;
	ck_assert_int_eq(acct_put_ban(&b, &a), 0);
	ck_assert_int_eq(acct_get_ban(&b, &got), -1);
	/* IPv4 with bytes after its four: two spellings of one address */
	buf_reset(&b);
	a = ban4(7, 1000);
	a.addr[9] = 1;
	ck_assert_int_eq(acct_put_ban(&b, &a), 0);
	ck_assert_int_eq(acct_get_ban(&b, &got), -1);
	buf_free(&b);
}
END_TEST

START_TEST(test_list_too_long)
{
	struct buf b;

	memset(&l, 0, sizeof(l));
	buf_init(&b, IPC_MAX);
	/* a count past ACCT_BANS_MAX is refused before any entry is read */
	ck_assert_int_eq(ipc_put_u32(&b, ACCT_FOUND), 0);
	ck_assert_int_eq(ipc_put_str(&b, ""), 0);
	ck_assert_int_eq(ipc_put_u32(&b, ACCT_BANS_MAX + 1), 0);
	ck_assert_int_eq(acct_get_ban_list(&b, &back), -1);
	ck_assert_uint_eq(back.n, 0);
	l.n = ACCT_BANS_MAX + 1;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_ban_list(&b, &l), -1);
	/* the largest list fits one message */
	l.n = ACCT_BANS_MAX;
	{
		uint32_t i;

		for (i = 0; i < l.n; i++)
			l.bans[i] = ban4((unsigned char)i, 5);
	}
	buf_reset(&b);
	ck_assert_int_eq(acct_put_ban_list(&b, &l), 0);
	ck_assert(b.len <= IPC_MAX);
	ck_assert_int_eq(acct_get_ban_list(&b, &back), 0);
	ck_assert_uint_eq(back.n, ACCT_BANS_MAX);
	buf_free(&b);
}
END_TEST

static Suite *
banlist_suite(void)
{
	Suite *s = suite_create("banlist");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_list_round_trip);
	tcase_add_test(tc, test_ban_ranges);
	tcase_add_test(tc, test_list_too_long);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(banlist_suite)
