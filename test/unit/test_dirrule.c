/*
 * test_dirrule.c - [dir PATH] sections' pure logic (plan/dirrule.c): name
 * patterns, PATH checks, trees, a tree in a session's view, and the
 * verdict on a path.
 */
#include <string.h>

#include "unit.h"
#include "plan/dirrule.h"
#include "plan/plan.h"

static const struct dir_patterns none;

START_TEST(t_patterns)
{
	struct dir_patterns p;
	char err[256], many[64 * 3 + 8];
	size_t i;

	ck_assert_int_eq(dirrule_patterns_parse("*.bak, .git  secret?",
	    &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_str_eq(p.v[0], "*.bak");
	ck_assert_str_eq(p.v[1], ".git");
	ck_assert_str_eq(p.v[2], "secret?");
	ck_assert_int_eq(dirrule_patterns_match(&p, "old.bak"), 1);
	ck_assert_int_eq(dirrule_patterns_match(&p, ".git"), 1);
	ck_assert_int_eq(dirrule_patterns_match(&p, "secret1"), 1);
	ck_assert_int_eq(dirrule_patterns_match(&p, "secret12"), 0);
	ck_assert_int_eq(dirrule_patterns_match(&p, "OLD.BAK2"), 0);
	dirrule_patterns_free(&p);
	ck_assert_uint_eq(p.n, 0);

	/* "*" takes dot files too: deny = * leaves nothing out. */
	ck_assert_int_eq(dirrule_patterns_parse("*", &p, err, sizeof(err)),
	    0);
	ck_assert_int_eq(dirrule_patterns_match(&p, ".htaccess"), 1);
	dirrule_patterns_free(&p);

	ck_assert_int_eq(dirrule_patterns_parse(" , ", &p, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(dirrule_patterns_match(&p, "x"), 0);

	ck_assert_int_eq(dirrule_patterns_parse("a/b", &p, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "/"));
	ck_assert_int_eq(dirrule_patterns_parse("ok *a*b*c*d*e", &p, err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(p.v);
	ck_assert_int_eq(dirrule_patterns_parse("a\001b", &p, err,
	    sizeof(err)), -1);
	many[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(many, "x ");
	ck_assert_int_eq(dirrule_patterns_parse(many, &p, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "64"));
}
END_TEST

START_TEST(t_path_check)
{
	char out[64], err[256];

	ck_assert_int_eq(dirrule_path_check("/srv//ftp/./pub/", out,
	    sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "/srv/ftp/pub");
	ck_assert_int_eq(dirrule_path_check("/", out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(dirrule_path_check("~", out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "~");
	ck_assert_int_eq(dirrule_path_check("~/", out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "~");
	ck_assert_int_eq(dirrule_path_check("~//private/x/", out,
	    sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "~/private/x");
	ck_assert_int_eq(dirrule_path_check("/a/../etc", out, sizeof(out),
	    err, sizeof(err)), -1);
	ck_assert_int_eq(dirrule_path_check("~/..", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(dirrule_path_check("srv/ftp", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(dirrule_path_check("~alice/x", out, sizeof(out),
	    err, sizeof(err)), -1);
	ck_assert_int_eq(dirrule_path_check("/a/very/long/path/that/does/"
	    "not/fit/in/sixty/four/bytes/at/all/really", out, sizeof(out),
	    err, sizeof(err)), -1);
}
END_TEST

START_TEST(t_below)
{
	ck_assert_str_eq(dirrule_below("/a", "/a"), "");
	ck_assert_str_eq(dirrule_below("/a", "/a/b/c"), "b/c");
	ck_assert_ptr_null(dirrule_below("/a", "/ab"));
	ck_assert_ptr_null(dirrule_below("/a/b", "/a"));
	ck_assert_str_eq(dirrule_below("/", "/"), "");
	ck_assert_str_eq(dirrule_below("/", "/x/y"), "x/y");
}
END_TEST

START_TEST(t_view)
{
	char view[256], above[256];

	/* chroot: the root is the home. */
	ck_assert_int_eq(dirrule_view("/home/al/www", "/home/al", "/home/al",
	    view, sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/www");
	ck_assert_str_eq(above, "");
	ck_assert_int_eq(dirrule_view("~/www", "/home/al/", "/home/al/",
	    view, sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/www");
	ck_assert_int_eq(dirrule_view("~", "/home/al", "/home/al", view,
	    sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/");
	ck_assert_int_eq(dirrule_view("/home/al", "/home/al", "/home/al",
	    view, sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/");
	/* A tree above the root holds all of it. */
	ck_assert_int_eq(dirrule_view("/home", "/home/al", "/home/al", view,
	    sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/");
	ck_assert_str_eq(above, "al");
	/* Elsewhere: not this session's business. */
	ck_assert_int_eq(dirrule_view("/srv/ftp", "/home/al", "/home/al",
	    view, sizeof(view), above, sizeof(above)), 0);
	ck_assert_int_eq(dirrule_view("/home/alice", "/home/al", "/home/al",
	    view, sizeof(view), above, sizeof(above)), 0);
	/* The whole file system (chroot = no): paths as they are. */
	ck_assert_int_eq(dirrule_view("~/x", "/", "/home/al", view,
	    sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/home/al/x");
	ck_assert_int_eq(dirrule_view("/srv/ftp", "/", "/home/al", view,
	    sizeof(view), above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/srv/ftp");
	ck_assert_int_eq(dirrule_view("/", "/", "/", view, sizeof(view),
	    above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/");
	/* A home of "/" and "~/x". */
	ck_assert_int_eq(dirrule_view("~/x", "/", "/", view, sizeof(view),
	    above, sizeof(above)), 1);
	ck_assert_str_eq(view, "/x");
	ck_assert_int_eq(dirrule_view("~/x", "/home/al", "/home/al", view, 2,
	    above, sizeof(above)), -1);
}
END_TEST

static struct dirrule
rule(const char *view, int has_perms, unsigned perms,
    const struct dir_patterns *hide, const struct dir_patterns *deny)
{
	struct dirrule r;

	memset(&r, 0, sizeof(r));
	r.view = view;
	r.len = strlen(view);
	r.has_perms = has_perms;
	r.perms = perms;
	r.hide = hide != NULL ? hide : &none;
	r.deny = deny != NULL ? deny : &none;
	return r;
}

START_TEST(t_judge)
{
	struct dir_patterns git, tmp, priv, all;
	struct dirrule r[5];
	struct dirrule_verdict v;
	const struct dirrule *sel[5];
	char err[256];
	size_t n;

	ck_assert_int_eq(dirrule_patterns_parse(".git", &git, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(dirrule_patterns_parse("*.tmp", &tmp, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(dirrule_patterns_parse("private", &priv, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(dirrule_patterns_parse("*", &all, err, sizeof(err)),
	    0);
	r[0] = rule("/", 1, PERM_READ | PERM_LIST, NULL, &git);
	r[1] = rule("/up", 1, PERM_WRITE | PERM_LIST, NULL, NULL);
	r[2] = rule("/up/keep", 0, 0, &tmp, NULL);
	r[3] = rule("/up/keep", 1, PERM_LIST | PERM_READ | PERM_WRITE, NULL,
	    &priv);
	r[4] = rule("/secret", 0, 0, NULL, &all);

	/* No rule sets permissions deeper than "/": its own. */
	dirrule_judge(r, 5, "/a/b", &v);
	ck_assert_int_eq(v.denied, 0);
	ck_assert_uint_eq(v.perms, PERM_READ | PERM_LIST);
	/* The deepest that sets them, not an intersection with "/". */
	dirrule_judge(r, 5, "/up/x", &v);
	ck_assert_uint_eq(v.perms, PERM_WRITE | PERM_LIST);
	ck_assert_int_eq(v.hidden, 0);
	/* A tree judges the names below it, not its own. */
	dirrule_judge(r, 5, "/up", &v);
	ck_assert_uint_eq(v.perms, PERM_WRITE | PERM_LIST);
	/* Several at the deepest level: intersected. */
	r[2].has_perms = 1;
	r[2].perms = PERM_LIST | PERM_DELETE;
	dirrule_judge(r, 5, "/up/keep/f", &v);
	ck_assert_uint_eq(v.perms, PERM_LIST);
	r[2].has_perms = 0;
	dirrule_judge(r, 5, "/up/keep/f", &v);
	ck_assert_uint_eq(v.perms, PERM_LIST | PERM_READ | PERM_WRITE);
	/* Deny of every tree holding the path, at any depth below it. */
	dirrule_judge(r, 5, "/up/keep/.git/config", &v);
	ck_assert_int_eq(v.denied, 1);
	ck_assert_int_eq(v.hidden, 0);
	dirrule_judge(r, 5, "/up/keep/.git", &v);
	ck_assert_int_eq(v.denied, 1);
	ck_assert_int_eq(v.hidden, 1);
	dirrule_judge(r, 5, "/up/keep/private", &v);
	ck_assert_int_eq(v.denied, 1);
	dirrule_judge(r, 5, "/up/private", &v);
	ck_assert_int_eq(v.denied, 0);
	/* Hide: only the last name, only below the hiding tree. */
	dirrule_judge(r, 5, "/up/keep/a.tmp", &v);
	ck_assert_int_eq(v.hidden, 1);
	ck_assert_int_eq(v.denied, 0);
	dirrule_judge(r, 5, "/up/keep/a.tmp/b", &v);
	ck_assert_int_eq(v.hidden, 0);
	dirrule_judge(r, 5, "/up/a.tmp", &v);
	ck_assert_int_eq(v.hidden, 0);
	/* deny = * : the tree is there, nothing in it is. */
	dirrule_judge(r, 5, "/secret", &v);
	ck_assert_int_eq(v.denied, 0);
	dirrule_judge(r, 5, "/secret/.x", &v);
	ck_assert_int_eq(v.denied, 1);
	dirrule_judge(r, 5, "/secretive", &v);
	ck_assert_int_eq(v.denied, 0);
	/* A name above the session root denied: everything is. */
	r[4].deny_all = 1;
	dirrule_judge(r, 5, "/secretive", &v);
	ck_assert_int_eq(v.denied, 0);
	r[4] = rule("/", 0, 0, NULL, NULL);
	r[4].deny_all = 1;
	dirrule_judge(r, 5, "/anything", &v);
	ck_assert_int_eq(v.denied, 1);
	/* No rules: all verbs, nothing denied. */
	dirrule_judge(r, 0, "/x", &v);
	ck_assert_uint_eq(v.perms, PERM_ALL);
	ck_assert_int_eq(v.denied | v.hidden, 0);

	/* What a listing of a directory drops. */
	n = dirrule_select(r, 4, "/up/keep", sel, 5);
	ck_assert_uint_eq(n, 3);	/* "/" (.git), keep twice */
	ck_assert_int_eq(dirrule_hides(sel, n, "x.tmp"), 1);
	ck_assert_int_eq(dirrule_hides(sel, n, ".git"), 1);
	ck_assert_int_eq(dirrule_hides(sel, n, "private"), 1);
	ck_assert_int_eq(dirrule_hides(sel, n, "x.txt"), 0);
	n = dirrule_select(r, 4, "/up", sel, 5);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(dirrule_hides(sel, n, "x.tmp"), 0);
	ck_assert_int_eq(dirrule_hides(sel, n, ".git"), 1);
	dirrule_patterns_free(&git);
	dirrule_patterns_free(&tmp);
	dirrule_patterns_free(&priv);
	dirrule_patterns_free(&all);
}
END_TEST

static Suite *
dirrule_suite(void)
{
	Suite *s = suite_create("dirrule");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, t_patterns);
	tcase_add_test(tc, t_path_check);
	tcase_add_test(tc, t_below);
	tcase_add_test(tc, t_view);
	tcase_add_test(tc, t_judge);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(dirrule_suite)
