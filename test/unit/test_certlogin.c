/*
 * test_certlogin.c - unit tests for priv/certlogin.c: what a TLS client
 * certificate, as the front reports it, says about a login under each
 * tls_client_cert / tls_client_user setting.
 */
#include <string.h>

#include "unit.h"
#include "config.h"
#include "priv/certlogin.h"

static struct ftpd_config tcfg;

static enum cert_say
judge(const char *user, int verified, const char *name, char *refusal)
{
	const struct ftpd_config *saved = cfg;
	char why[256];
	enum cert_say r;

	cfg = &tcfg;
	refusal[0] = '\0';
	r = certlogin_judge(user, NULL, verified, name, refusal, 128, why,
	    sizeof(why));
	cfg = saved;
	return r;
}

START_TEST(test_off_and_none)
{
	char refusal[128];

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.tls_client_cert = TLS_CLIENT_OFF;
	tcfg.tls_client_user = TLS_USER_CN;
	/* Off: a certificate has no say, whatever it names. */
	ck_assert_int_eq(judge("alice", 1, "bob", refusal), CERT_NONE);
	ck_assert_int_eq(judge("alice", 0, "", refusal), CERT_NONE);
	/* tls_client_user = none: verified is all it has to be. */
	tcfg.tls_client_cert = TLS_CLIENT_OPTIONAL;
	tcfg.tls_client_user = TLS_USER_NONE;
	ck_assert_int_eq(judge("alice", 1, "", refusal), CERT_NONE);
	ck_assert_int_eq(judge("alice", 0, "", refusal), CERT_NONE);
}
END_TEST

START_TEST(test_names)
{
	char refusal[128];

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.tls_client_cert = TLS_CLIENT_OPTIONAL;
	tcfg.tls_client_user = TLS_USER_CN;
	ck_assert_int_eq(judge("alice", 1, "alice", refusal), CERT_VOUCHES);
	/* Exactly USER: no case folding, no prefix. */
	ck_assert_int_eq(judge("alice", 1, "Alice", refusal), CERT_REFUSES);
	ck_assert(strstr(refusal, "does not name") != NULL);
	ck_assert_int_eq(judge("alice", 1, "alice2", refusal), CERT_REFUSES);
	ck_assert_int_eq(judge("alice", 1, "alic", refusal), CERT_REFUSES);
	/* A verified certificate without a usable name names nobody. */
	ck_assert_int_eq(judge("alice", 1, "", refusal), CERT_REFUSES);
	/* No certificate under optional: the password decides. */
	ck_assert_int_eq(judge("alice", 0, "", refusal), CERT_NONE);
	/* Anonymous logins never involve certificates. */
	tcfg.anonymous = 1;
	ck_assert_int_eq(judge("anonymous", 1, "alice", refusal), CERT_NONE);
}
END_TEST

START_TEST(test_required)
{
	char refusal[128];

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.tls_client_cert = TLS_CLIENT_REQUIRED;
	tcfg.tls_client_user = TLS_USER_SAN_EMAIL;
	ck_assert_int_eq(judge("a@example.com", 0, "", refusal),
	    CERT_REFUSES);
	ck_assert(strstr(refusal, "required") != NULL);
	ck_assert_int_eq(judge("a@example.com", 1, "a@example.com",
	    refusal), CERT_VOUCHES);
	tcfg.tls_client_user = TLS_USER_NONE;
	ck_assert_int_eq(judge("a@example.com", 1, "", refusal), CERT_NONE);
	ck_assert_int_eq(judge("a@example.com", 0, "", refusal),
	    CERT_REFUSES);
}
END_TEST

static Suite *
certlogin_suite(void)
{
	Suite *s = suite_create("certlogin");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_off_and_none);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_required);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(certlogin_suite)
