/*
 * dirrule.c - name patterns, trees and verdicts of [dir PATH] sections.
 *
 * Pure: runs in the master (checking the configuration at load), in
 * ftpd -t, and in the user process, where the paths judged were
 * resolved by the kernel beneath the session root and the names in them
 * are the client's (or another user's) bytes.  Nothing here touches the
 * file system; every copy is bounded.
 */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "common/xmalloc.h"
#include "plan/dirrule.h"
#include "plan/plan.h"

#define SEPARATORS	" ,\t"

void
dirrule_patterns_free(struct dir_patterns *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* One pattern of n bytes at s: 0, or -1 with the reason in err. */
static int
pattern_check(const char *s, size_t n, char *err, size_t errlen)
{
	size_t i, stars = 0;

	if (n > NAME_MAX) {
		snprintf(err, errlen, "a pattern longer than a name (%d bytes)",
		    NAME_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '/') {
			snprintf(err, errlen, "a pattern matches one name, "
			    "without \"/\" (got \"%.*s\")", (int)n, s);
			return -1;
		}
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, errlen, "a control byte in a pattern");
			return -1;
		}
		stars += s[i] == '*';
	}
	if (stars > DIRRULE_STARS_MAX) {
		snprintf(err, errlen, "more than %d \"*\" in one pattern "
		    "(got \"%.*s\")", DIRRULE_STARS_MAX, (int)n, s);
		return -1;
	}
	return 0;
}

int
dirrule_patterns_parse(const char *text, struct dir_patterns *p, char *err,
    size_t errlen)
{
	const char *s = text;
	size_t n;

	memset(p, 0, sizeof(*p));
	for (;;) {
		if ((n = parse_word(&s, SEPARATORS)) == 0)
			return 0;
		if (pattern_check(s, n, err, errlen) == -1)
			break;
		if (p->n == DIRRULE_PATTERNS_MAX) {
			snprintf(err, errlen, "more than %d patterns",
			    DIRRULE_PATTERNS_MAX);
			break;
		}
		p->v = xreallocarray(p->v, p->n + 1, sizeof(p->v[0]));
		p->v[p->n] = xmalloc(n + 1);
		memcpy(p->v[p->n], s, n);
		p->v[p->n++][n] = '\0';
		s += n;
	}
	dirrule_patterns_free(p);
	return -1;
}

int
dirrule_patterns_match(const struct dir_patterns *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (fnmatch(p->v[i], name, 0) == 0)
			return 1;
	return 0;
}

/*
 * Append the components of s (relative or absolute, "//" and "."
 * dropped) to out, which holds len bytes and gets "/name" per
 * component.  ".." refused (dotdot == 0) or taken lexically.  The new
 * length, or -1 when it does not fit or ".." is refused.
 */
static long
append_clean(char *out, size_t outlen, size_t len, const char *s,
    int dotdot)
{
	size_t n;
	char *slash;

	for (;;) {
		s += strspn(s, "/");
		if ((n = strcspn(s, "/")) == 0)
			return (long)len;
		if (n == 1 && s[0] == '.') {
			s += n;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (!dotdot)
				return -1;
			out[len] = '\0';
			slash = strrchr(out, '/');
			len = slash != NULL ? (size_t)(slash - out) : 0;
			out[len] = '\0';
			s += n;
			continue;
		}
		if (len + 1 + n + 1 > outlen)
			return -1;
		out[len++] = '/';
		memcpy(out + len, s, n);
		len += n;
		out[len] = '\0';
		s += n;
	}
}

/* s cleaned into out as an absolute path ("/" when empty).  0 or -1. */
static int
clean_abs(const char *s, char *out, size_t outlen, int dotdot)
{
	long len;

	if (outlen < 2)
		return -1;
	out[0] = '\0';
	if ((len = append_clean(out, outlen, 0, s, dotdot)) == -1)
		return -1;
	if (len == 0)
		snprintf(out, outlen, "/");
	return 0;
}

int
dirrule_path_check(const char *path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	long len;

	if (path[0] == '~' && (path[1] == '\0' || path[1] == '/')) {
		if (outlen < 2) {
			snprintf(err, errlen, "path too long");
			return -1;
		}
		out[0] = '~';
		out[1] = '\0';
		if ((len = append_clean(out, outlen, 1, path + 1, 0)) == -1) {
			snprintf(err, errlen, "\"%.80s\": no \"..\" and at most "
			    "%zu bytes", path, outlen - 1);
			return -1;
		}
		return 0;
	}
	if (path[0] != '/') {
		snprintf(err, errlen, "\"%.80s\": not an absolute path, \"~\" "
		    "or \"~/...\"", path);
		return -1;
	}
	if (clean_abs(path, out, outlen, 0) == -1) {
		snprintf(err, errlen, "\"%.80s\": no \"..\" and at most %zu "
		    "bytes", path, outlen - 1);
		return -1;
	}
	return 0;
}

const char *
dirrule_below(const char *tree, const char *path)
{
	size_t n;

	if (tree[0] == '/' && tree[1] == '\0')
		return path[0] == '/' ? path + 1 : NULL;
	n = strlen(tree);
	if (strncmp(tree, path, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return path + n;
	return path[n] == '/' ? path + n + 1 : NULL;
}

int
dirrule_view(const char *tree, const char *root, const char *home,
    char *view, size_t viewlen, char *above, size_t abovelen)
{
	char server[PATH_MAX], croot[PATH_MAX];
	const char *rest;
	long len;

	if (clean_abs(root, croot, sizeof(croot), 1) == -1)
		return -1;
	if (tree[0] == '~') {
		if (clean_abs(home, server, sizeof(server), 1) == -1)
			return -1;
		len = (long)strlen(server);
		if (len == 1)
			len = 0;	/* "/" + "/sub" */
		if ((len = append_clean(server, sizeof(server), (size_t)len,
		    tree + 1, 0)) == -1)
			return -1;
		if (len == 0)
			snprintf(server, sizeof(server), "/");
	} else if (clean_abs(tree, server, sizeof(server), 0) == -1)
		return -1;
	above[0] = '\0';
	if ((rest = dirrule_below(croot, server)) != NULL) {
		if ((size_t)snprintf(view, viewlen, "/%s", rest) >= viewlen)
			return -1;
		return 1;
	}
	if ((rest = dirrule_below(server, croot)) == NULL)
		return 0;
	if ((size_t)snprintf(above, abovelen, "%s", rest) >= abovelen)
		return -1;
	snprintf(view, viewlen, "/");
	return 1;
}

/*
 * Each name of rel ("a/b/c") matched against p; *last gets whether the
 * last one matched.  1 if any did.  A name longer than NAME_MAX cannot
 * exist (the kernel refuses it), so it is not matched.
 */
static int
names_match(const struct dir_patterns *p, const char *rel, int *last)
{
	char name[NAME_MAX + 1];
	size_t n;
	int any = 0, m;

	*last = 0;
	if (p->n == 0)
		return 0;
	for (;;) {
		rel += strspn(rel, "/");
		if ((n = strcspn(rel, "/")) == 0)
			return any;
		m = 0;
		if (n <= NAME_MAX) {
			memcpy(name, rel, n);
			name[n] = '\0';
			m = dirrule_patterns_match(p, name);
		}
		any |= m;
		rel += n;
		*last = m && rel[strspn(rel, "/")] == '\0';
	}
}

void
dirrule_judge(const struct dirrule *r, size_t n, const char *path,
    struct dirrule_verdict *v)
{
	const char *rest;
	size_t i, deepest = 0;
	int have = 0, dlast, hlast;

	v->denied = 0;
	v->hidden = 0;
	v->perms = PERM_ALL;
	for (i = 0; i < n; i++) {
		if ((rest = dirrule_below(r[i].view, path)) == NULL)
			continue;
		if (names_match(r[i].deny, rest, &dlast) || r[i].deny_all)
			v->denied = 1;
		(void)names_match(r[i].hide, rest, &hlast);
		if (dlast || hlast)
			v->hidden = 1;
		if (!r[i].has_perms)
			continue;
		/* Every tree here holds path: the longer is the deeper. */
		if (!have || r[i].len > deepest) {
			v->perms = r[i].perms;
			deepest = r[i].len;
			have = 1;
		} else if (r[i].len == deepest)
			v->perms &= r[i].perms;
	}
}

size_t
dirrule_select(const struct dirrule *r, size_t n, const char *dir,
    const struct dirrule **sel, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < n && k < max; i++)
		if ((r[i].hide->n > 0 || r[i].deny->n > 0) &&
		    dirrule_below(r[i].view, dir) != NULL)
			sel[k++] = &r[i];
	return k;
}

int
dirrule_hides(const struct dirrule *const *sel, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (dirrule_patterns_match(sel[i]->deny, name) ||
		    dirrule_patterns_match(sel[i]->hide, name))
			return 1;
	return 0;
}
