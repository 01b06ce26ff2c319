/*
 * dirs.c - [dir PATH] sections judged in the user process.
 *
 * Runs as the account, chrooted or confined by the resolver.  Paths come
 * from the client (hostile text, already made lexical by policy_path)
 * and from the file system beneath the root, which the account may have
 * filled with symbolic links to anywhere inside it.  So every verdict is
 * taken on the physical path fs_realpath() finds for the very fd the
 * command then acts on (its walk must reach the same inode), and on the
 * path as named: a planted link can neither lead around a rule nor
 * wear a denied name.  Decisions are dirrule.c's; here are the paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/path.h"
#include "common/xmalloc.h"
#include "cmd/ctl.h"
#include "config.h"
#include "plan/dirrule.h"
#include "plan/plan.h"
#include "session.h"
#include "user/dirs.h"
#include "user/policy.h"

/*
 * view as the kernel resolves it now: its deepest existing ancestor
 * resolved (fs_realpath), the rest appended as named, so that a tree
 * created later still lies where it will be.  A view that cannot be
 * opened otherwise (no search permission) stays as named.
 */
static void
resolve_view(struct session *s, const char *view, struct buf *out)
{
	struct buf cur, real, tail, t;
	int fd, done = 0;

	buf_init(&cur, PATH_MAXLEN + 1);
	buf_init(&real, PATH_MAXLEN + 1);
	buf_init(&tail, PATH_MAXLEN + 1);
	buf_init(&t, PATH_MAXLEN + 1);
	if (buf_set(out, view) == -1 || buf_set(&cur, view) == -1)
		goto out;
	while (!done) {
		if ((fd = fs_open(s, buf_cstr(&cur), O_PATH, 0)) != -1) {
			if (fs_realpath(s, buf_cstr(&cur), fd, &real) == 0 &&
			    buf_set(&t, strcmp(buf_cstr(&real), "/") == 0 &&
			    tail.len > 0 ? "" : buf_cstr(&real)) == 0 &&
			    buf_append(&t, tail.data, tail.len) == 0)
				(void)buf_set(out, buf_cstr(&t));
			(void)close(fd);
			break;
		}
		if (errno != ENOENT || strcmp(buf_cstr(&cur), "/") == 0)
			break;
		/* tail = "/" + basename(cur) + tail; cur = dirname(cur) */
		if (buf_set(&t, "/") == -1 ||
		    buf_puts(&t, path_basename(buf_cstr(&cur))) == -1 ||
		    buf_append(&t, tail.data, tail.len) == -1 ||
		    buf_set(&tail, buf_cstr(&t)) == -1 ||
		    path_dirname(buf_cstr(&cur), &t) == -1 ||
		    buf_set(&cur, buf_cstr(&t)) == -1)
			done = 1;
	}
out:
	buf_free(&cur);
	buf_free(&real);
	buf_free(&tail);
	buf_free(&t);
}

/* A name between a section's tree and the session root denied by it? */
static int
above_denied(const struct dir_section *ds, const char *above)
{
	static const struct dir_patterns none;
	struct dirrule r;
	struct dirrule_verdict v;
	struct buf p;

	if (above[0] == '\0')
		return 0;
	memset(&r, 0, sizeof(r));
	r.view = "/";
	r.len = 1;
	r.hide = &none;
	r.deny = &ds->deny_p;
	buf_init(&p, PATH_MAXLEN + 2);
	/* Too long to hold: it cannot be a path, deny. */
	v.denied = 1;
	if (buf_set(&p, "/") == 0 && buf_puts(&p, above) == 0)
		dirrule_judge(&r, 1, buf_cstr(&p), &v);
	buf_free(&p);
	return v.denied;
}

void
dirs_setup(struct session *s, const char *root, const char *home)
{
	char view[PATH_MAX], above[PATH_MAX];
	const struct dir_section *ds;
	struct dirrule *r;
	struct buf real;
	struct dirrule_set *d;
	size_t i;
	int rc;

	if (cfg->ndir_sections == 0 || root == NULL || home == NULL)
		return;
	d = xcalloc(1, sizeof(*d));
	d->r = xcalloc(cfg->ndir_sections, sizeof(d->r[0]));
	buf_init(&real, PATH_MAXLEN + 1);
	for (i = 0; i < cfg->ndir_sections; i++) {
		ds = &cfg->dir_sections[i];
		rc = dirrule_view(ds->tree, root, home, view, sizeof(view),
		    above, sizeof(above));
		if (rc == 0)
			continue;
		if (rc == -1) {
			/* Longer than any path: nothing can lie there. */
			log_msg(LOG_WARNING, "[dir %s] (%s): path too long for "
			    "root %s", ds->path, ds->where, root);
			continue;
		}
		resolve_view(s, view, &real);
		r = &d->r[d->n++];
		r->view = xstrdup(buf_cstr(&real));
		r->len = strlen(r->view);
		r->has_perms = ds->permissions != NULL;
		r->perms = ds->perms;
		r->hide = &ds->hide_p;
		r->deny = &ds->deny_p;
		r->deny_all = above_denied(ds, above);
		log_msg(LOG_DEBUG, "[dir %s] applies at %s", ds->path, r->view);
	}
	buf_free(&real);
	if (d->n == 0) {
		free(d->r);
		free(d);
		return;
	}
	d->sel = xcalloc(d->n, sizeof(d->sel[0]));
	s->dirs = d;
}

void
dirs_free(struct session *s)
{
	struct dirrule_set *d = s->dirs;
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free((char *)d->r[i].view);
	free(d->r);
	free(d->sel);
	free(d);
	s->dirs = NULL;
}

/* The verdict on real and on lex (NULL or the same: real alone). */
static void
judge2(const struct dirrule_set *d, const char *lex, const char *real,
    struct dirrule_verdict *v)
{
	struct dirrule_verdict w;

	dirrule_judge(d->r, d->n, real, v);
	if (lex == NULL || strcmp(lex, real) == 0)
		return;
	dirrule_judge(d->r, d->n, lex, &w);
	v->denied |= w.denied;
	v->hidden |= w.hidden;
	v->perms &= w.perms;
}

/* Reply to a verdict that refuses op.  0 when it allows it. */
static int
verdict_reply(struct session *s, const struct dirrule_verdict *v,
    enum policy_op op, const char *vpath, const char *what, int entry)
{
	if (v->denied || (entry && v->hidden)) {
		log_msg(LOG_DEBUG, "[dir] %s: a denied or hidden name", vpath);
		reply_errno(s, ENOENT, what, vpath);
		return -1;
	}
	if (op != OP_ENTER && (v->perms & POLICY_PERM(op)) == 0) {
		log_msg(LOG_DEBUG, "[dir] %s: permissions refuse it", vpath);
		reply(s, 550, "Permission denied.");
		return -1;
	}
	return 0;
}

/* The physical path of the object fd, opened for vpath.  0, or -1
 * after replying. */
static int
real_of_fd(struct session *s, const char *vpath, int fd, const char *what,
    struct buf *real)
{
	if (fs_realpath(s, vpath, fd, real) == 0)
		return 0;
	/* The tree changed under us (ESTALE) or the walk failed: no path
	 * to judge, so no access. */
	reply_errno(s, errno, what, vpath);
	return -1;
}

int
dirs_check_fd(struct session *s, enum policy_op op, const char *vpath,
    int fd, const char *what, int entry, struct buf *real)
{
	struct dirrule_verdict v;
	struct buf p;
	int rc = -1;

	if (s->dirs == NULL)
		return 0;
	buf_init(&p, PATH_MAXLEN + 1);
	if (real_of_fd(s, vpath, fd, what, &p) == 0) {
		judge2(s->dirs, vpath, buf_cstr(&p), &v);
		rc = verdict_reply(s, &v, op, vpath, what, entry);
	}
	if (rc == 0 && real != NULL && buf_set(real, buf_cstr(&p)) == -1) {
		reply_errno(s, ENAMETOOLONG, what, vpath);
		rc = -1;
	}
	buf_free(&p);
	return rc;
}

int
dirs_visible_fd(struct session *s, const char *vpath, int fd)
{
	struct dirrule_verdict v;
	struct buf p;
	int ok = 0;

	if (s->dirs == NULL)
		return 1;
	buf_init(&p, PATH_MAXLEN + 1);
	if (fs_realpath(s, vpath, fd, &p) == 0) {
		judge2(s->dirs, vpath, buf_cstr(&p), &v);
		ok = !v.denied && !v.hidden && (v.perms & PERM_LIST) != 0;
	}
	buf_free(&p);
	return ok;
}

/* A rename would carry a section's tree (at or beneath path) away. */
static int
holds_tree(const struct dirrule_set *d, const char *lex, const char *real)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (dirrule_below(real, d->r[i].view) != NULL ||
		    dirrule_below(lex, d->r[i].view) != NULL)
			return 1;
	return 0;
}

/*
 * The verdict on the entry base of pfd (vpath's parent), with its
 * physical path in p.  0, or -1 with errno.
 */
static int
judge_at(struct session *s, const char *vpath, int pfd, const char *base,
    struct buf *p, struct dirrule_verdict *v)
{
	struct buf parent;
	int rc = -1;

	buf_init(&parent, PATH_MAXLEN + 1);
	if (path_dirname(vpath, &parent) == -1)
		errno = ENAMETOOLONG;
	else if (fs_realpath(s, buf_cstr(&parent), pfd, p) == -1)
		;	/* errno set */
	else if ((p->len > 1 && buf_putc(p, '/') == -1) ||
	    buf_puts(p, base) == -1)
		errno = ENAMETOOLONG;
	else {
		judge2(s->dirs, vpath, buf_cstr(p), v);
		rc = 0;
	}
	buf_free(&parent);
	return rc;
}

int
dirs_check_at(struct session *s, enum policy_op op, const char *vpath,
    int pfd, const char *base, const char *what, int entry)
{
	struct dirrule_verdict v;
	struct buf p;
	int rc;

	if (s->dirs == NULL)
		return 0;
	buf_init(&p, PATH_MAXLEN + 2);
	if ((rc = judge_at(s, vpath, pfd, base, &p, &v)) == -1)
		reply_errno(s, errno, what, vpath);
	else
		rc = verdict_reply(s, &v, op, vpath, what, entry);
	if (rc == 0 && op == OP_RENAME &&
	    holds_tree(s->dirs, vpath, buf_cstr(&p))) {
		log_msg(LOG_DEBUG, "[dir] %s holds a section's tree", vpath);
		reply(s, 550, "Permission denied.");
		rc = -1;
	}
	buf_free(&p);
	return rc;
}

unsigned
dirs_perms_at(struct session *s, const char *vpath, int pfd,
    const char *base)
{
	struct dirrule_verdict v;
	struct buf p;
	unsigned perms = 0;

	if (s->dirs == NULL)
		return PERM_ALL;
	buf_init(&p, PATH_MAXLEN + 2);
	if (judge_at(s, vpath, pfd, base, &p, &v) == 0 && !v.denied)
		perms = v.perms;
	buf_free(&p);
	return perms;
}

/* The rules whose names apply to the entries of real (and lex). */
static void
select_rules(struct dirrule_set *d, const char *lex, const char *real,
    struct dirs_list *l)
{
	size_t i;

	l->sel = d->sel;
	l->nsel = 0;
	for (i = 0; i < d->n; i++) {
		if (d->r[i].hide->n == 0 && d->r[i].deny->n == 0)
			continue;
		if (dirrule_below(d->r[i].view, real) != NULL ||
		    (lex != NULL && dirrule_below(d->r[i].view, lex) != NULL))
			d->sel[l->nsel++] = &d->r[i];
	}
}

int
dirs_list_dir(struct session *s, const char *vpath, int dirfd,
    struct buf *real, struct dirs_list *l)
{
	struct dirrule_verdict v;

	l->sel = NULL;
	l->nsel = 0;
	l->perms = PERM_ALL;
	if (s->dirs == NULL)
		return 0;
	if (real_of_fd(s, vpath, dirfd, "Cannot list", real) == -1)
		return -1;
	judge2(s->dirs, vpath, buf_cstr(real), &v);
	if (verdict_reply(s, &v, OP_LIST, vpath, "Cannot list", 0) == -1)
		return -1;
	l->perms = v.perms;
	select_rules(s->dirs, vpath, buf_cstr(real), l);
	return 0;
}

int
dirs_list_sub(struct session *s, const char *real, const char *lex,
    struct dirs_list *l)
{
	struct dirrule_verdict v;

	l->sel = NULL;
	l->nsel = 0;
	l->perms = PERM_ALL;
	if (s->dirs == NULL)
		return 1;
	judge2(s->dirs, lex, real, &v);
	if (v.denied || (v.perms & PERM_LIST) == 0)
		return 0;
	l->perms = v.perms;
	select_rules(s->dirs, lex, real, l);
	return 1;
}

int
dirs_list_hides(const struct dirs_list *l, const char *name)
{
	return l->nsel > 0 && dirrule_hides(l->sel, l->nsel, name);
}
