/*
 * test_tls.c - unit tests for cmd_tls.c and tls.c: the AUTH/PBSZ/PROT/CCC
 * state machine (handlers called on a session whose control connection
 * is a socketpair), tls_init's errors for missing, broken and mismatched
 * certificates and keys (made with `openssl req` at test time), and
 * handshakes that must fail fast on garbage or silence.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "common/buf.h"
#include "common/ipc.h"
#include "cmd/cmd.h"
#include "config.h"
#include "session.h"
#include "tls/tls.h"
#include "front/tlsrelay.h"

extern char **environ;

static struct ftpd_config tcfg;
static const struct ftpd_config *saved_cfg;
static char dir[] = "/tmp/ftpd-tls-unit-XXXXXX";
static char cert1[64], key1[64], cert2[64], key2[64], junk[64];
static int have_certs;

static void
path_in(char *out, size_t outlen, const char *name)
{
	ck_assert(snprintf(out, outlen, "%s/%s", dir, name) < (int)outlen);
}

/* openssl req -x509 ...: a self-signed P-256 pair.  0 or -1. */
static int
make_pair(const char *cert, const char *key)
{
	char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
	    "-subj", "/CN=localhost", "-keyout", (char *)key, "-out",
	    (char *)cert, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	if (posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

/* Once, in the runner (before tests fork). */
static void
certs_setup(void)
{
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return;
	path_in(cert1, sizeof(cert1), "c1.pem");
	path_in(key1, sizeof(key1), "k1.pem");
	path_in(cert2, sizeof(cert2), "c2.pem");
	path_in(key2, sizeof(key2), "k2.pem");
	path_in(junk, sizeof(junk), "junk.pem");
	if ((f = fopen(junk, "w")) != NULL) {
		fputs("-----BEGIN CERTIFICATE-----\nnot base64 !!\n"
		    "-----END CERTIFICATE-----\n", f);
		fclose(f);
	}
	have_certs = make_pair(cert1, key1) == 0 &&
	    make_pair(cert2, key2) == 0;
}

static void
certs_teardown(void)
{
	(void)unlink(cert1);
	(void)unlink(key1);
	(void)unlink(cert2);
	(void)unlink(key2);
	(void)unlink(junk);
	(void)rmdir(dir);
}

static void
setup(void)
{
	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.tls = TLS_ON;
	tcfg.tls_reuse_required = 1;
	tcfg.tls_ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";
	tcfg.tls_cert = cert1;
	tcfg.tls_key = key1;
	tcfg.idle_timeout = 5;
	tcfg.login_timeout = 5;
	tcfg.data_timeout = 5;
	saved_cfg = cfg;
	cfg = &tcfg;
}

static void
teardown(void)
{
	char err[256];

	tcfg.tls = TLS_OFF;
	(void)tls_init(err, sizeof(err));	/* frees the context */
	cfg = saved_cfg;
}

/* Run handler fn on s (whose peer end is peer) and return the reply's
 * first line, CRLF stripped, in out. */
static void
say(struct session *s, int peer, cmd_fn *fn, const char *arg, char *out,
    size_t outlen)
{
	ssize_t n;

	fn(s, arg);
	n = read(peer, out, outlen - 1);
	ck_assert(n > 2);
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
}

static int peer;

static struct session *
new_session(struct session *s)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	session_init(s);
	s->ctl_fd = sv[0];
	peer = sv[1];
	return s;
}

static void
end_session(struct session *s)
{
	(void)close(peer);
	session_free(s);
}

START_TEST(before_auth)
{
	struct session s;
	char r[256];

	new_session(&s);
	say(&s, peer, cmd_pbsz, "0", r, sizeof(r));
	ck_assert_str_eq(r, "503 PBSZ needs AUTH TLS first.");
	say(&s, peer, cmd_prot, "P", r, sizeof(r));
	ck_assert_str_eq(r, "503 PROT needs AUTH TLS first.");
	ck_assert_int_eq(s.prot_p, 0);
	say(&s, peer, cmd_ccc, NULL, r, sizeof(r));
	ck_assert(strncmp(r, "533 ", 4) == 0);
	end_session(&s);
}
END_TEST

START_TEST(pbsz_then_prot)
{
	struct session s;
	char r[256];

	new_session(&s);
	s.tls_active = 1;
	say(&s, peer, cmd_prot, "P", r, sizeof(r));
	ck_assert_str_eq(r, "503 PROT needs PBSZ first.");
	say(&s, peer, cmd_pbsz, "abc", r, sizeof(r));
	ck_assert(strncmp(r, "501 ", 4) == 0);
	say(&s, peer, cmd_pbsz, "-1", r, sizeof(r));
	ck_assert(strncmp(r, "501 ", 4) == 0);
	ck_assert_int_eq(s.pbsz_done, 0);
	say(&s, peer, cmd_pbsz, "0", r, sizeof(r));
	ck_assert_str_eq(r, "200 PBSZ=0");
	say(&s, peer, cmd_pbsz, "1048576", r, sizeof(r));
	ck_assert_str_eq(r, "200 PBSZ=0");
	ck_assert_int_eq(s.pbsz_done, 1);
	say(&s, peer, cmd_prot, "P", r, sizeof(r));
	ck_assert(strncmp(r, "200 ", 4) == 0);
	ck_assert_int_eq(s.prot_p, 1);
	say(&s, peer, cmd_prot, "c", r, sizeof(r));
	ck_assert(strncmp(r, "200 ", 4) == 0);
	ck_assert_int_eq(s.prot_p, 0);
	say(&s, peer, cmd_prot, "S", r, sizeof(r));
	ck_assert_str_eq(r, "536 Protection level not supported.");
	say(&s, peer, cmd_prot, "E", r, sizeof(r));
	ck_assert_str_eq(r, "536 Protection level not supported.");
	say(&s, peer, cmd_prot, "X", r, sizeof(r));
	ck_assert(strncmp(r, "504 ", 4) == 0);
	say(&s, peer, cmd_prot, "PP", r, sizeof(r));
	ck_assert(strncmp(r, "504 ", 4) == 0);
	ck_assert_int_eq(s.prot_p, 0);
	say(&s, peer, cmd_ccc, NULL, r, sizeof(r));
	ck_assert_str_eq(r, "534 CCC not allowed by server policy.");
	end_session(&s);
}
END_TEST

/* Queue what the front would answer to TR_CCC on fd. */
static void
queue_ccc_done(int fd, int ok, const char *err)
{
	struct buf b;

	buf_init(&b, TR_MSG_MAX);
	ck_assert_int_eq(ipc_put_u32(&b, (uint32_t)ok), 0);
	ck_assert_int_eq(ipc_put_str(&b, err), 0);
	ck_assert_int_eq(ipc_send(fd, TR_CCC_DONE, b.data, b.len, -1), 0);
	buf_free(&b);
}

START_TEST(ccc_states)
{
	struct session s;
	struct buf msg;
	uint32_t type;
	char r[256];
	int sv[2], fd = -1;

	tcfg.tls_ccc = 1;
	new_session(&s);
	say(&s, peer, cmd_ccc, NULL, r, sizeof(r));
	ck_assert(strncmp(r, "533 ", 4) == 0);		/* not protected */
	s.tls_active = 1;
	say(&s, peer, cmd_ccc, NULL, r, sizeof(r));
	ck_assert(strncmp(r, "503 ", 4) == 0);		/* before login */
	s.state = ST_LOGGED_IN;
	/* The front (here a socketpair) answers: a stale data close
	 * report first, which is skipped, then success. */
	ck_assert_int_eq(ipc_pair(sv), 0);
	s.front_fd = sv[0];
	ck_assert_int_eq(ipc_send(sv[1], TR_DATA_CLOSED, "\1\0\0\0", 4, -1),
	    0);
	queue_ccc_done(sv[1], 1, "");
	cmd_ccc(&s, NULL);
	ck_assert_int_eq(s.quit, 0);
	ck_assert_int_eq(s.tls_active, 0);
	ck_assert_int_eq(s.ccc_done, 1);
	/* The 200 went to the front, to be sent in TLS, not to the client. */
	buf_init(&msg, TR_MSG_MAX);
	ck_assert_int_eq(ipc_recv(sv[1], &type, &msg, &fd), 0);
	ck_assert_uint_eq(type, TR_CCC);
	ck_assert_int_eq(fd, -1);
	ck_assert(msg.len > 6 && memcmp(msg.data, "200 ", 4) == 0 &&
	    memcmp(msg.data + msg.len - 2, "\r\n", 2) == 0);
	buf_free(&msg);
	say(&s, peer, cmd_ccc, NULL, r, sizeof(r));
	ck_assert(strncmp(r, "533 ", 4) == 0);		/* already clear */
	say(&s, peer, cmd_auth, "TLS", r, sizeof(r));
	ck_assert(strncmp(r, "503 ", 4) == 0);
	say(&s, peer, cmd_pbsz, "0", r, sizeof(r));
	ck_assert_str_eq(r, "200 PBSZ=0");
	say(&s, peer, cmd_prot, "P", r, sizeof(r));
	ck_assert(strncmp(r, "200 ", 4) == 0);
	/* A failed exchange ends the session. */
	s.tls_active = 1;
	s.ccc_done = 0;
	queue_ccc_done(sv[1], 0, "no close_notify from the client");
	cmd_ccc(&s, NULL);
	ck_assert_int_eq(s.quit, 1);
	ck_assert_int_eq(s.ccc_done, 0);
	(void)close(sv[1]);
	end_session(&s);	/* closes sv[0] as s.front_fd */
}
END_TEST

START_TEST(prot_c_when_required)
{
	struct session s;
	char r[256];

	tcfg.tls = TLS_REQUIRED;
	new_session(&s);
	s.tls_active = s.pbsz_done = 1;
	say(&s, peer, cmd_prot, "C", r, sizeof(r));	/* before login */
	ck_assert(strncmp(r, "200 ", 4) == 0);
	s.state = ST_LOGGED_IN;
	say(&s, peer, cmd_prot, "C", r, sizeof(r));
	ck_assert_str_eq(r, "536 PROT P required.");
	say(&s, peer, cmd_prot, "P", r, sizeof(r));
	ck_assert(strncmp(r, "200 ", 4) == 0);
	s.anonymous = 1;
	say(&s, peer, cmd_prot, "C", r, sizeof(r));
	ck_assert(strncmp(r, "200 ", 4) == 0);
	end_session(&s);
}
END_TEST

START_TEST(auth_refusals)
{
	struct session s;
	char r[256], err[256];

	new_session(&s);
	tcfg.tls = TLS_OFF;
	say(&s, peer, cmd_auth, "TLS", r, sizeof(r));
	ck_assert(strncmp(r, "502 ", 4) == 0);
	tcfg.tls = TLS_ON;
	say(&s, peer, cmd_auth, "TLS", r, sizeof(r));	/* no context */
	ck_assert(strncmp(r, "534 ", 4) == 0);
	if (have_certs) {
		ck_assert_int_eq(tls_init(err, sizeof(err)), 0);
		say(&s, peer, cmd_auth, "KERBEROS_V4", r, sizeof(r));
		ck_assert_str_eq(r, "504 AUTH mechanism not supported.");
	}
	s.state = ST_LOGGED_IN;
	say(&s, peer, cmd_auth, "TLS", r, sizeof(r));
	ck_assert(strncmp(r, "503 ", 4) == 0);
	s.state = ST_FRESH;
	s.tls_active = 1;
	say(&s, peer, cmd_auth, "tls", r, sizeof(r));
	ck_assert(strncmp(r, "503 ", 4) == 0);
	ck_assert_ptr_null(s.ctl_tls);
	end_session(&s);
}
END_TEST

static void
init_fails(const char *cert, const char *key, const char *want)
{
	char err[512];

	tcfg.tls_cert = (char *)cert;
	tcfg.tls_key = (char *)key;
	err[0] = '\0';
	ck_assert_int_eq(tls_init(err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"",
	    err, want);
	ck_assert_int_eq(tls_available(), 0);
}

START_TEST(init_errors)
{
	char err[512];

	tcfg.tls = TLS_OFF;
	ck_assert_int_eq(tls_init(err, sizeof(err)), 0);
	ck_assert_int_eq(tls_available(), 0);
	tcfg.tls = TLS_ON;
	init_fails("/nonexistent/cert.pem", key1,
	    "tls_cert: /nonexistent/cert.pem: No such file");
	init_fails(cert1, "/nonexistent/key.pem",
	    "tls_key: /nonexistent/key.pem: No such file");
	init_fails("", key1, "tls_cert: not set");
	if (!have_certs)
		return;
	init_fails(junk, key1, "tls_cert");
	init_fails(cert1, cert1, "tls_key");
	init_fails(cert1, key2, "does not match");
	tcfg.tls_ciphers = "NO-SUCH-CIPHER";
	init_fails(cert1, key1, "tls_ciphers");
	tcfg.tls_ciphers = "ECDHE+AESGCM";
	tcfg.tls_cert = cert2;
	tcfg.tls_key = key2;
	ck_assert_int_eq(tls_init(err, sizeof(err)), 0);
	ck_assert_int_eq(tls_available(), 1);
	tls_session_prepare();
}
END_TEST

/*
 * The account's ticket keys: the same for the same account, root and
 * address (two sessions of one client share tickets), different when any
 * of the three differs, also where only the split between them moves;
 * none once the secret is forgotten (the front, the user process).
 */
START_TEST(bind_keys)
{
	unsigned char a[TLS_BIND_LEN], b[TLS_BIND_LEN];
	static const char *other[][3] = {
		{ "otto", "/home/tess", "127.0.0.1" },
		{ "tess", "/srv/tess", "127.0.0.1" },
		{ "tess", "/home/tess", "127.0.0.2" },
		{ "tes", "s/home/tess", "127.0.0.1" },
	};
	char err[256];
	size_t i;

	if (!have_certs)
		return;
	ck_assert_int_eq(tls_init(err, sizeof(err)), 0);
	tls_rotate();
	ck_assert_int_eq(tls_bind_derive("tess", "/home/tess", "127.0.0.1",
	    a), 0);
	ck_assert_int_eq(tls_bind_derive("tess", "/home/tess", "127.0.0.1",
	    b), 0);
	ck_assert_mem_eq(a, b, sizeof(a));
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		ck_assert_int_eq(tls_bind_derive(other[i][0], other[i][1],
		    other[i][2], b), 0);
		ck_assert(memcmp(a, b, sizeof(a)) != 0);
	}
	ck_assert_int_eq(tls_bind_install(a), 0);
	tls_secret_forget(1);
	ck_assert_int_eq(tls_bind_derive("tess", "/home/tess", "127.0.0.1",
	    b), -1);
}
END_TEST

/* Append the file at from to f (CRLF line ends if crlf).  0 or -1. */
static int
append_file(FILE *f, const char *from, int crlf)
{
	char line[256];
	FILE *in = fopen(from, "r");

	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		fprintf(f, "%s%s", line, crlf ? "\r\n" : "\n");
	}
	fclose(in);
	return 0;
}

/* One file holding the key, then the certificate and a chain certificate
 * (CRLF, as some Windows tools write it): the master keeps only the
 * certificate blocks, the front finds the key.  A key alone is not a
 * certificate, and a directory is not a file. */
START_TEST(combined_file)
{
	char both[64], keyonly[64], err[512];
	FILE *f;

	if (!have_certs)
		return;
	path_in(both, sizeof(both), "both.pem");
	path_in(keyonly, sizeof(keyonly), "keyonly.pem");
	ck_assert_ptr_nonnull(f = fopen(both, "w"));
	ck_assert_int_eq(append_file(f, key1, 1), 0);
	ck_assert_int_eq(append_file(f, cert1, 1), 0);
	ck_assert_int_eq(append_file(f, cert2, 1), 0);
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(keyonly, "w"));
	ck_assert_int_eq(append_file(f, key1, 0), 0);
	fclose(f);
	init_fails(keyonly, key1, "no certificate in the file");
	init_fails(cert1, dir, "not a regular file");
	tcfg.tls_cert = both;
	tcfg.tls_key = both;
	err[0] = '\0';
	ck_assert_msg(tls_init(err, sizeof(err)) == 0, "%s", err);
	(void)unlink(both);
	(void)unlink(keyonly);
}
END_TEST

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(handshake_garbage_and_silence)
{
	struct tls_conn *c;
	char err[256];
	long long t;
	int sv[2];

	if (!have_certs)
		return;
	ck_assert_int_eq(tls_init(err, sizeof(err)), 0);
	tls_session_prepare();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert(write(sv[1], "USER bob\r\nPASS secret\r\n", 23) == 23);
	t = now_ms();
	c = tls_accept(sv[0], NULL, -1, 5000, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert(now_ms() - t < 1000);
	ck_assert(strncmp(err, "TLS handshake: ", 15) == 0);
	(void)close(sv[0]);
	(void)close(sv[1]);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t = now_ms();
	c = tls_accept(sv[0], NULL, -1, 300, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert(now_ms() - t >= 250 && now_ms() - t < 2000);
	ck_assert_str_eq(err, "TLS handshake: timed out");
	(void)close(sv[1]);
	/* Peer gone before a single byte. */
	c = tls_accept(sv[0], NULL, -1, 1000, err, sizeof(err));
	ck_assert_ptr_null(c);
	(void)close(sv[0]);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *su = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_unchecked_fixture(tc, certs_setup, certs_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, before_auth);
	tcase_add_test(tc, pbsz_then_prot);
	tcase_add_test(tc, ccc_states);
	tcase_add_test(tc, prot_c_when_required);
	tcase_add_test(tc, auth_refusals);
	tcase_add_test(tc, init_errors);
	tcase_add_test(tc, combined_file);
	tcase_add_test(tc, bind_keys);
	tcase_add_test(tc, handshake_garbage_and_silence);
	suite_add_tcase(su, tc);
	return su;
}

UNIT_SUITE(tls_suite)
