/*
 * test_plan.c - unit tests for ftpd/plan/plan.c: the plan's values
 * parsed one way wherever they come from, and the layers (global <
 * [group] < [user] < the account's row) resolved key by key, the most
 * specific winning, with each value's origin.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "plan/plan.h"
#include "plan/plan_attrs.h"

START_TEST(plan_sizes)
{
	unsigned long long v;

	ck_assert_int_eq(plan_bytes("1048576", &v), 0);
	ck_assert_uint_eq(v, 1048576);
	ck_assert_int_eq(plan_bytes("512K", &v), 0);
	ck_assert_uint_eq(v, 524288);
	ck_assert_int_eq(plan_bytes("10g", &v), 0);
	ck_assert_uint_eq(v, 10ULL << 30);
	ck_assert_int_eq(plan_bytes("1T", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 40);
	ck_assert_int_eq(plan_bytes("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(plan_bytes("", &v), -1);
	ck_assert_int_eq(plan_bytes("K", &v), -1);
	ck_assert_int_eq(plan_bytes("-1", &v), -1);
	ck_assert_int_eq(plan_bytes("1.5G", &v), -1);
	ck_assert_int_eq(plan_bytes("10X", &v), -1);
	ck_assert_int_eq(plan_bytes("99999999999T", &v), -1);	/* overflow */
}
END_TEST

START_TEST(plan_checks)
{
	char err[256];

	ck_assert_int_eq(plan_check(PLAN_permissions, "read list", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(plan_check(PLAN_permissions, "read,fly", err,
	    sizeof(err)), -1);
	ck_assert(strstr(err, "permissions") != NULL);
	ck_assert_int_eq(plan_check(PLAN_start_dir, "../etc", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(plan_check(PLAN_start_dir, "a/../b", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(plan_check(PLAN_start_dir, "www..old", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(plan_check(PLAN_allow_from, "10.0.0.0/8, ::1", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(plan_check(PLAN_allow_from, "10.0.0.1/8", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(plan_check(PLAN_tls_required, "maybe", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(plan_check(PLAN_max_sessions, "3", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(plan_check(PLAN_max_sessions, "3K", err,
	    sizeof(err)), -1);
}
END_TEST

/* Four layers, each setting some keys: the last one to set a key wins,
 * and from[] names it; keys nobody sets keep their default. */
START_TEST(plan_layers)
{
	struct plan_layer l[4];
	struct plan p;
	char err[256];

	memset(l, 0, sizeof(l));
	l[0].where = "ftpd.conf:3";
	l[0].val[PLAN_quota_bytes] = "1G";
	l[0].val[PLAN_rate_down] = "1M";
	l[0].val[PLAN_max_sessions] = "4";
	l[1].where = "[group web]";
	l[1].val[PLAN_quota_bytes] = "10G";
	l[1].val[PLAN_permissions] = "read list write";
	l[2].where = "[user bob]";
	l[2].val[PLAN_rate_down] = "2M";
	l[3].where = "the account's row";
	l[3].val[PLAN_quota_bytes] = "5G";
	ck_assert_int_eq(plan_resolve(l, 4, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.quota_bytes, 5ULL << 30);
	ck_assert_str_eq(p.from[PLAN_quota_bytes], "the account's row");
	ck_assert_uint_eq(p.rate_down, 2ULL << 20);
	ck_assert_str_eq(p.from[PLAN_rate_down], "[user bob]");
	ck_assert_uint_eq(p.max_sessions, 4);
	ck_assert_str_eq(p.from[PLAN_max_sessions], "ftpd.conf:3");
	ck_assert_uint_eq(p.perms, PERM_READ | PERM_LIST | PERM_WRITE);
	ck_assert_str_eq(p.from[PLAN_permissions], "[group web]");
	ck_assert_uint_eq(p.quota_files, 0);
	ck_assert_str_eq(p.from[PLAN_quota_files], "default");
	ck_assert_uint_eq(p.perms & PERM_DELETE, 0);
	/* no layers at all: the defaults */
	ck_assert_int_eq(plan_resolve(l, 0, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.perms, PERM_ALL);
	ck_assert_uint_eq(p.quota_bytes, 0);
	ck_assert_int_eq(p.tls_required, 0);
	/* a bad value anywhere refuses the whole plan, naming the layer */
	l[2].val[PLAN_rate_down] = "fast";
	ck_assert_int_eq(plan_resolve(l, 4, &p, err, sizeof(err)), -1);
	ck_assert(strstr(err, "[user bob]") != NULL);
	ck_assert(strstr(err, "rate_down") != NULL);
}
END_TEST

START_TEST(plan_addresses)
{
	struct plan_layer l;
	struct plan p;
	struct sockaddr_in in;
	char err[256];

	memset(&l, 0, sizeof(l));
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	l.where = "test";
	l.val[PLAN_allow_from] = "192.0.2.0/24";
	l.val[PLAN_deny_from] = "192.0.2.66";
	ck_assert_int_eq(plan_resolve(&l, 1, &p, err, sizeof(err)), 0);
	inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
	ck_assert_int_eq(plan_address_ok(&p, (struct sockaddr *)&in), 1);
	inet_pton(AF_INET, "192.0.2.66", &in.sin_addr);
	ck_assert_int_eq(plan_address_ok(&p, (struct sockaddr *)&in), 0);
	inet_pton(AF_INET, "198.51.100.1", &in.sin_addr);
	ck_assert_int_eq(plan_address_ok(&p, (struct sockaddr *)&in), 0);
	/* empty allow_from: anywhere but deny_from */
	l.val[PLAN_allow_from] = "";
	ck_assert_int_eq(plan_resolve(&l, 1, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(plan_address_ok(&p, (struct sockaddr *)&in), 1);
}
END_TEST

/* ldap_attr_plan: pairs by commas or blanks; keys, duplicates and
 * attribute names checked, nothing else taken. */
START_TEST(plan_ldap_attrs)
{
	struct plan_attrs m;
	char err[256];

	ck_assert_int_eq(plan_attrs_parse("quota_bytes=ftpdQuotaBytes, "
	    "rate_down=ftpd-Rate2\tpermissions=perms", &m, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(m.attr[PLAN_quota_bytes], "ftpdQuotaBytes");
	ck_assert_str_eq(m.attr[PLAN_rate_down], "ftpd-Rate2");
	ck_assert_str_eq(m.attr[PLAN_permissions], "perms");
	ck_assert_str_eq(m.attr[PLAN_rate_up], "");
	ck_assert_int_eq(plan_attrs_parse("", &m, err, sizeof(err)), 0);
	ck_assert_str_eq(m.attr[PLAN_quota_bytes], "");
	ck_assert_int_eq(plan_attrs_parse("quota=a", &m, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "not a plan key"));
	ck_assert_int_eq(plan_attrs_parse("rate_up=a rate_up=b", &m, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	ck_assert_int_eq(plan_attrs_parse("rate_up=1abc", &m, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(plan_attrs_parse("rate_up=a(b", &m, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(plan_attrs_parse("rate_up=", &m, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(plan_attrs_parse("rate_up", &m, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(plan_attrs_parse("rate_up=aaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &m, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(plan_attrs_parse("rate_upppppppppppppppppppppppppp"
	    "pppppppppp=a", &m, err, sizeof(err)), -1);
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, plan_sizes);
	tcase_add_test(tc, plan_checks);
	tcase_add_test(tc, plan_layers);
	tcase_add_test(tc, plan_addresses);
	tcase_add_test(tc, plan_ldap_attrs);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(plan_suite)
