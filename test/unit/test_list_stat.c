/*
 * test_list_stat.c - list_stat.c: batches of fstatat, alone and shared with
 * the helper thread, against plain fstatat of the same names.
 *
 * Works in a fresh directory under /tmp with a few thousand files, a
 * subdirectory, a symlink (not followed) and names that do not exist.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "user/list_stat.h"

#define NFILES	1000

static char tmpdir[64];

static void
rm_tree(void)
{
	DIR *d;
	struct dirent *de;
	int dfd;

	if (tmpdir[0] == '\0' || (d = opendir(tmpdir)) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == -1)
			(void)unlinkat(dfd, de->d_name, AT_REMOVEDIR);
	}
	(void)closedir(d);
	(void)rmdir(tmpdir);
	tmpdir[0] = '\0';
}

/* The test directory; returns an O_DIRECTORY fd on it. */
static int
make_tree(void)
{
	char name[32];
	int dfd, fd, i;

	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/ftpd-ls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	for (i = 0; i < NFILES; i++) {
		(void)snprintf(name, sizeof(name), "f%05d", i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		/* Distinct sizes, so a mixed-up stat shows. */
		ck_assert_int_eq(ftruncate(fd, i), 0);
		ck_assert_int_eq(close(fd), 0);
	}
	ck_assert_int_eq(mkdirat(dfd, "sub", 0755), 0);
	ck_assert_int_eq(symlinkat("f00001", dfd, "link"), 0);
	return dfd;
}

/* n entries: the files, "sub", "link", and every 100th a missing name.
 * Names are allocated; free with free_ents. */
static struct list_ent *
make_ents(size_t n)
{
	struct list_ent *e = calloc(n, sizeof(*e));
	char name[32];
	size_t i;

	ck_assert_ptr_nonnull(e);
	for (i = 0; i < n; i++) {
		if (i == 7)
			(void)snprintf(name, sizeof(name), "sub");
		else if (i == 11)
			(void)snprintf(name, sizeof(name), "link");
		else if (i % 100 == 99)
			(void)snprintf(name, sizeof(name), "gone%zu", i);
		else
			(void)snprintf(name, sizeof(name), "f%05zu",
			    i % NFILES);
		e[i].name = strdup(name);
		e[i].err = -1;
		ck_assert_ptr_nonnull(e[i].name);
	}
	return e;
}

static void
free_ents(struct list_ent *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)e[i].name);
	free(e);
}

/* Every entry matches what fstatat says now.  Mismatches are counted
 * rather than asserted one by one (each assertion costs a write). */
static void
check_ents(int dfd, const struct list_ent *e, size_t n)
{
	struct stat st;
	size_t i, bad = 0, first = n;
	int err;

	for (i = 0; i < n; i++) {
		err = fstatat(dfd, e[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 ?
		    0 : errno;
		if (err != e[i].err || (err == 0 &&
		    (st.st_ino != e[i].st.st_ino ||
		    st.st_size != e[i].st.st_size ||
		    st.st_mode != e[i].st.st_mode))) {
			if (bad++ == 0)
				first = i;
		}
	}
	ck_assert_msg(bad == 0, "%zu of %zu entries wrong, first %zu (%s)",
	    bad, n, first, first < n ? e[first].name : "");
}

START_TEST(t_stat_batches)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 65, 1365, NFILES + 200 };
	struct list_stat *ls;
	struct list_ent *e;
	size_t i;
	int dfd = make_tree();
	int helper = _i;

	ls = list_stat_new(dfd, helper);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		e = make_ents(sizes[i]);
		list_stat_run(ls, e, sizes[i]);
		check_ents(dfd, e, sizes[i]);
		free_ents(e, sizes[i]);
	}
	/* A helper only when asked for, and started by a big batch. */
	ck_assert_int_eq(list_stat_helper_running(ls), helper);
	list_stat_free(ls);
	/* Small batches never start one. */
	ls = list_stat_new(dfd, 1);
	e = make_ents(40);
	list_stat_run(ls, e, 40);
	check_ents(dfd, e, 40);
	ck_assert_int_eq(list_stat_helper_running(ls), 0);
	free_ents(e, 40);
	list_stat_free(ls);
	(void)close(dfd);
	rm_tree();
}
END_TEST

START_TEST(t_stat_pipeline)
{
	struct list_ent *a, *b, *cur, *nxt, *t;
	struct list_stat *ls;
	int dfd = make_tree();
	size_t n = 1000, k, i;

	/* The way list.c uses it: start one batch, do other work (here:
	 * prepare the next batch), finish, start the next, check the
	 * finished one while the next is being done. */
	a = make_ents(n);
	b = make_ents(n);
	ls = list_stat_new(dfd, 1);
	cur = a;
	nxt = b;
	list_stat_start(ls, cur, n);
	for (k = 0; k < 20; k++) {
		for (i = 0; i < n; i++) {
			nxt[i].err = -1;
			memset(&nxt[i].st, 0, sizeof(nxt[i].st));
		}
		list_stat_finish(ls);
		list_stat_start(ls, nxt, n);
		check_ents(dfd, cur, n);
		t = cur;
		cur = nxt;
		nxt = t;
	}
	list_stat_finish(ls);
	check_ents(dfd, cur, n);
	ck_assert_int_eq(list_stat_helper_running(ls), 1);
	/* Freeing with a batch started and not finished: the helper stops
	 * before the entries go away. */
	list_stat_start(ls, nxt, n);
	list_stat_free(ls);
	free_ents(a, n);
	free_ents(b, n);
	list_stat_free(NULL);
	(void)close(dfd);
	rm_tree();
}
END_TEST

static void
teardown(void)
{
	rm_tree();
}

static Suite *
list_stat_suite(void)
{
	Suite *s = suite_create("list_stat");
	TCase *tc = tcase_create("stat");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_stat_batches, 0, 2);
	tcase_add_test(tc, t_stat_pipeline);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(list_stat_suite)
