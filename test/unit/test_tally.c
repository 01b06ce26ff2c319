/*
 * test_tally.c - unit tests for quota tallies: common/tally.c (the
 * reservation rule, clamped changes, file names, the shared file's
 * record), common/treesum.c (counting a tree without following links),
 * the ACCT_TALLY codec of formats/acctproto.c (round trips, signs,
 * bounds), accounts/tally.c over a fake store (whole, partial and lost
 * reservations) and the route of an upload under a quota.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/buf.h"
#include "common/tally.h"
#include "common/treesum.h"
#include "accounts/tally.h"
#include "formats/acctproto.h"
#include "plan/plan.h"
#include "session.h"
#include "user/route.h"

START_TEST(reserve_rule)
{
	struct tally t = { 900, 3 };
	unsigned long long b, f;

	/* Bytes as many as fit, files whole. */
	tally_reserve(&t, 500, 0, 1000, 5, &b, &f);
	ck_assert_uint_eq(b, 100);
	ck_assert_uint_eq(f, 0);
	ck_assert_uint_eq(t.bytes, 1000);
	tally_reserve(&t, 10, 0, 1000, 5, &b, &f);
	ck_assert_uint_eq(b, 0);
	/* No byte left: a new file is refused whole. */
	tally_reserve(&t, 10, 1, 1000, 5, &b, &f);
	ck_assert_uint_eq(b, 0);
	ck_assert_uint_eq(f, 0);
	ck_assert_uint_eq(t.files, 3);
	/* The file limit refuses the bytes too. */
	t.bytes = 0;
	t.files = 5;
	tally_reserve(&t, 10, 1, 1000, 5, &b, &f);
	ck_assert_uint_eq(b, 0);
	ck_assert_uint_eq(f, 0);
	ck_assert_uint_eq(t.bytes, 0);
	/* No limits: everything, and only counted. */
	tally_reserve(&t, 1ULL << 40, 1, 0, 0, &b, &f);
	ck_assert_uint_eq(b, 1ULL << 40);
	ck_assert_uint_eq(f, 1);
	ck_assert_uint_eq(t.files, 6);
	/* Already over (a forced change): nothing, no wrap. */
	t.bytes = 2000;
	tally_reserve(&t, 1, 0, 1000, 0, &b, &f);
	ck_assert_uint_eq(b, 0);
	ck_assert_uint_eq(t.bytes, 2000);
}
END_TEST

START_TEST(add_clamps)
{
	ck_assert_uint_eq(tally_add(10, -3), 7);
	ck_assert_uint_eq(tally_add(10, -30), 0);
	ck_assert_uint_eq(tally_add(10, -9223372036854775807LL - 1), 0);
	ck_assert_uint_eq(tally_add(TALLY_MAX - 1, 5), TALLY_MAX);
	ck_assert_uint_eq(tally_add(~0ULL, 1), TALLY_MAX);
	ck_assert_uint_eq(tally_add(5, 0), 5);
}
END_TEST

START_TEST(file_names)
{
	char out[TALLY_NAME_MAX], longname[300];

	ck_assert_int_eq(tally_file_name("alice", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_int_eq(tally_file_name("a.b@c-d_e", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a.b@c-d_e");
	/* Nothing hidden, no path, no "..", and two keys never meet. */
	ck_assert_int_eq(tally_file_name("..", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "%2E.");
	ck_assert_int_eq(tally_file_name(".x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "%2Ex");
	ck_assert_int_eq(tally_file_name("a/b", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a%2Fb");
	ck_assert_int_eq(tally_file_name("a%2Fb", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a%252Fb");
	ck_assert_int_eq(tally_file_name("\xff\n", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "%FF%0A");
	ck_assert_int_eq(tally_file_name("", out, sizeof(out)), -1);
	ck_assert_int_eq(tally_file_name("abc", out, 3), -1);
	/* Past NAME_MAX once encoded. */
	memset(longname, '/', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(tally_file_name(longname, out, sizeof(out)), -1);
}
END_TEST

/* A fresh directory of our own under /tmp; its path in dir. */
static void
make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/unit-tally-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
put_file(const char *path, size_t n)
{
	char *b = calloc(1, n + 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
	free(b);
}

START_TEST(file_record)
{
	char dir[64], path[256], sub[128];
	struct tally t = { 123456789012ULL, 42 }, back;
	int dfd, fd;

	make_dir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/a/quota", dir);
	/* Made with its parent; 0700. */
	ck_assert_int_ne(dfd = tally_dir_open(sub), -1);
	fd = tally_file_open(dfd, "alice", 1);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(tally_file_read(fd, &back), 0);	/* new */
	ck_assert_int_eq(tally_file_lock(fd), 0);
	ck_assert_int_eq(tally_file_write(fd, &t), 0);
	tally_file_unlock(fd);
	ck_assert_int_eq(tally_file_read(fd, &back), 1);
	ck_assert_uint_eq(back.bytes, t.bytes);
	ck_assert_uint_eq(back.files, t.files);
	/* A smaller value overwrites the whole record. */
	t.bytes = 1;
	ck_assert_int_eq(tally_file_write(fd, &t), 0);
	ck_assert_int_eq(tally_file_read(fd, &back), 1);
	ck_assert_uint_eq(back.bytes, 1);
	/* A malformed record is refused, never guessed at. */
	ck_assert_int_eq(pwrite(fd, "12 x\n", 5, 0), 5);
	ck_assert_int_eq(ftruncate(fd, 5), 0);
	ck_assert_int_eq(tally_file_read(fd, &back), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
	/* Not without create; never through a link. */
	ck_assert_int_eq(tally_file_open(dfd, "bob", 0), -1);
	snprintf(path, sizeof(path), "%s/link", sub);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(tally_file_open(dfd, "link", 1), -1);
	close(dfd);
	/* A directory others may write is refused. */
	ck_assert_int_eq(chmod(sub, 0777), 0);
	ck_assert_int_eq(tally_dir_open(sub), -1);
	ck_assert_int_eq(errno, EPERM);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(treesum_counts)
{
	char dir[64], p[256];
	struct treesum t;
	int fd, i;

	make_dir(dir, sizeof(dir));
	snprintf(p, sizeof(p), "%s/f1", dir);
	put_file(p, 100);
	snprintf(p, sizeof(p), "%s/d", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/d/f2", dir);
	put_file(p, 50);
	snprintf(p, sizeof(p), "%s/d/.skip.me", dir);
	put_file(p, 1000);
	/* Links are links: to a file, to a directory, to a loop. */
	snprintf(p, sizeof(p), "%s/l1", dir);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/l2", dir);
	ck_assert_int_eq(symlink("/", p), 0);
	snprintf(p, sizeof(p), "%s/d/up", dir);
	ck_assert_int_eq(symlink("..", p), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(treesum(fd, ".skip.", &t), 0);
	ck_assert_uint_eq(t.bytes, 150);
	ck_assert_uint_eq(t.files, 2);
	ck_assert_uint_eq(t.skipped, 0);
	ck_assert_int_eq(treesum(fd, NULL, &t), 0);
	ck_assert_uint_eq(t.bytes, 1150);
	/* The descriptor is left where it was. */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	/* Too deep: left out, and said so. */
	snprintf(p, sizeof(p), "%s/deep", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(chdir(p), 0);
	for (i = 0; i < TREESUM_DEPTH + 2; i++) {
		ck_assert_int_eq(mkdir("x", 0755), 0);
		ck_assert_int_eq(chdir("x"), 0);
	}
	put_file("deepfile", 7);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(treesum(fd, ".skip.", &t), 0);
	ck_assert_uint_eq(t.bytes, 150);
	ck_assert_uint_eq(t.skipped, 1);
	close(fd);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

START_TEST(tally_codec)
{
	struct acct_tally_req rq, back;
	struct acct_tally_ans a, aback;
	struct buf b;

	memset(&rq, 0, sizeof(rq));
	rq.op = ACCT_TALLY_ADJUST;
	snprintf(rq.name, sizeof(rq.name), "alice");
	rq.bytes = -12345;
	rq.files = -1;
	rq.max_bytes = 1000;
	buf_init(&b, 4096);
	ck_assert_int_eq(acct_put_tally(&b, &rq), 0);
	ck_assert_int_eq(acct_get_tally(&b, &back), 0);
	ck_assert_str_eq(back.name, "alice");
	ck_assert_int_eq(back.bytes, -12345);
	ck_assert_int_eq(back.files, -1);
	ck_assert_uint_eq(back.max_bytes, 1000);
	/* A sign is an ADJUST's only. */
	rq.op = ACCT_TALLY_RESERVE;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_tally(&b, &rq), 0);
	ck_assert_int_eq(acct_get_tally(&b, &back), -1);
	/* Out of range: a count, an op; a limit is clamped. */
	rq.bytes = (long long)ACCT_TALLY_MAX + 1;
	rq.files = 0;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_tally(&b, &rq), 0);
	ck_assert_int_eq(acct_get_tally(&b, &back), -1);
	rq.bytes = 1;
	rq.max_bytes = ~0ULL;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_tally(&b, &rq), 0);
	ck_assert_int_eq(acct_get_tally(&b, &back), 0);
	ck_assert_uint_eq(back.max_bytes, ACCT_TALLY_MAX);
	rq.op = 9;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_tally(&b, &rq), 0);
	ck_assert_int_eq(acct_get_tally(&b, &back), -1);
	/* A trailing byte. */
	rq.op = ACCT_TALLY_READ;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_tally(&b, &rq), 0);
	ck_assert_int_eq(buf_putc(&b, 0), 0);
	ck_assert_int_eq(acct_get_tally(&b, &back), -1);
	/* The answer. */
	memset(&a, 0, sizeof(a));
	a.status = ACCT_FOUND;
	snprintf(a.why, sizeof(a.why), "ok");
	a.got_bytes = 5;
	a.used_bytes = 7;
	a.used_files = 2;
	buf_reset(&b);
	ck_assert_int_eq(acct_put_tally_answer(&b, &a), 0);
	ck_assert_int_eq(acct_get_tally_answer(&b, &aback), 0);
	ck_assert_int_eq(aback.status, ACCT_FOUND);
	ck_assert_uint_eq(aback.got_bytes, 5);
	ck_assert_uint_eq(aback.used_files, 2);
	buf_truncate(&b, b.len - 1);
	ck_assert_int_eq(acct_get_tally_answer(&b, &aback), -1);
	buf_free(&b);
}
END_TEST

/* ---- tally_serve over a fake store -------------------------------- */

struct fake {
	int		 row;		/* the row exists */
	uint64_t	 bytes, files;
	int		 steal;		/* adds another node makes first */
	int		 fail;		/* the store is down */
	unsigned	 adds;
};

static int
fake_read(void *h, const char *name, int ms, uint64_t *b, uint64_t *f,
    char *err, size_t errlen)
{
	struct fake *k = h;

	(void)name;
	(void)ms;
	if (k->fail) {
		snprintf(err, errlen, "down");
		return -1;
	}
	*b = k->bytes;
	*f = k->files;
	return k->row;
}

static int
fake_insert(void *h, const char *name, uint64_t b, uint64_t f, int ms,
    char *err, size_t errlen)
{
	struct fake *k = h;

	(void)name;
	(void)ms;
	(void)err;
	(void)errlen;
	if (!k->row) {
		k->row = 1;
		k->bytes = b;
		k->files = f;
	}
	return 0;
}

/* The statement's rule: apply only within the limits, never below 0. */
static int
fake_add(void *h, const char *name, long long db, long long df,
    uint64_t mb, uint64_t mf, int ms, char *err, size_t errlen)
{
	struct fake *k = h;
	long long nb, nf;

	(void)name;
	(void)ms;
	(void)err;
	(void)errlen;
	k->adds++;
	if (!k->row)
		return 0;
	if (k->steal > 0) {	/* another node reserves 100 first */
		k->steal--;
		k->bytes += 100;
	}
	nb = (long long)k->bytes + db;
	nf = (long long)k->files + df;
	if ((mb != 0 && nb > (long long)mb) || (mf != 0 && nf > (long long)mf))
		return 0;
	k->bytes = nb < 0 ? 0 : (uint64_t)nb;
	k->files = nf < 0 ? 0 : (uint64_t)nf;
	return 1;
}

static const struct acct_tally_ops fake_ops = {
	fake_read, fake_insert, fake_add
};

static void
req(struct acct_tally_req *rq, uint32_t op, long long b, long long f,
    uint64_t mb, uint64_t mf)
{
	memset(rq, 0, sizeof(*rq));
	rq->op = op;
	snprintf(rq->name, sizeof(rq->name), "alice");
	rq->bytes = b;
	rq->files = f;
	rq->max_bytes = mb;
	rq->max_files = mf;
}

START_TEST(serve_reserve)
{
	struct fake k = { 0, 0, 0, 0, 0, 0 };
	struct acct_tally_req rq;
	struct acct_tally_ans a;

	/* No row: the monitor is told, counts, and makes it. */
	req(&rq, ACCT_TALLY_RESERVE, 10, 0, 1000, 0);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_int_eq(a.status, ACCT_UNKNOWN);
	req(&rq, ACCT_TALLY_INIT, 700, 2, 0, 0);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_int_eq(a.status, ACCT_FOUND);
	ck_assert_uint_eq(a.used_bytes, 700);
	/* Whole. */
	req(&rq, ACCT_TALLY_RESERVE, 100, 1, 1000, 5);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_int_eq(a.status, ACCT_FOUND);
	ck_assert_uint_eq(a.got_bytes, 100);
	ck_assert_uint_eq(a.got_files, 1);
	ck_assert_uint_eq(a.used_bytes, 800);
	/* Partial: what fits. */
	req(&rq, ACCT_TALLY_RESERVE, 500, 0, 1000, 5);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_uint_eq(a.got_bytes, 200);
	ck_assert_uint_eq(k.bytes, 1000);
	/* Full: 0, still ACCT_FOUND. */
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_int_eq(a.status, ACCT_FOUND);
	ck_assert_uint_eq(a.got_bytes, 0);
	ck_assert_uint_eq(k.bytes, 1000);
	/* Another node takes room between the read and the add: what is
	 * left then, never more than the quota. */
	k.bytes = 500;
	k.steal = 2;
	req(&rq, ACCT_TALLY_RESERVE, 800, 0, 1000, 0);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_uint_le(k.bytes, 1000);
	ck_assert_uint_eq(a.got_bytes + 500 + 200, k.bytes);
	/* Adjust: clamped at zero; a reservation ignores no limit. */
	req(&rq, ACCT_TALLY_ADJUST, -5000, -1, 0, 0);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_int_eq(a.status, ACCT_FOUND);
	ck_assert_uint_eq(k.bytes, 0);
	/* Down: unavailable, nothing granted. */
	k.fail = 1;
	req(&rq, ACCT_TALLY_RESERVE, 10, 0, 1000, 0);
	tally_serve(&fake_ops, &k, &rq, 1000, &a);
	ck_assert_int_eq(a.status, ACCT_UNAVAILABLE);
	ck_assert_uint_eq(a.got_bytes, 0);
}
END_TEST

/* An upload under a quota never goes to the TLS front, which would
 * write whatever came; without a quota it still does. */
START_TEST(route_quota)
{
	struct session s;
	struct plan p;
	struct xfer_route r;

	session_init(&s);
	memset(&p, 0, sizeof(p));
	s.type = 'I';
	s.prot_p = 1;
	s.front_fd = 5;
	s.plan = &p;
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, 6, &r);
	ck_assert_int_eq(r.path, XFER_PATH_FRONT);
	p.quota_bytes = 1;
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, 6, &r);
	ck_assert_int_eq(r.path, XFER_PATH_SPLICE);
	ck_assert_int_eq(r.tls, 1);
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, 6, &r);
	ck_assert_int_eq(r.path, XFER_PATH_FRONT);
	/* Anonymous sessions keep the defaults: no quota. */
	s.anonymous = 1;
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, 6, &r);
	ck_assert_int_eq(r.path, XFER_PATH_FRONT);
	s.front_fd = -1;
	session_free(&s);
}
END_TEST

static Suite *
tally_suite(void)
{
	Suite *s = suite_create("tally");
	TCase *tc = tcase_create("tally");

	tcase_add_test(tc, reserve_rule);
	tcase_add_test(tc, add_clamps);
	tcase_add_test(tc, file_names);
	tcase_add_test(tc, file_record);
	tcase_add_test(tc, treesum_counts);
	tcase_add_test(tc, tally_codec);
	tcase_add_test(tc, serve_reserve);
	tcase_add_test(tc, route_quota);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(tally_suite)
