/*
 * dirrule.h - what "[dir PATH]" sections decide for one path: name
 * patterns (hide, deny), trees, and the verdict on a path.
 *
 * Pure code on text, shared by the configuration (checked at load, ftpd
 * -t) and the user process (judged per command, user/dirs.c).  Paths
 * handed in are clean absolute paths ("/a/b", no "//", "." or "..", no
 * trailing "/"): either an administrator's PATH or the physical path
 * beneath a session root that the kernel resolved.  Names are hostile
 * client bytes: matched, never copied.  DESIGN.md, "Directory rules".
 */
#ifndef FTPD_DIRRULE_H
#define FTPD_DIRRULE_H

#include <stddef.h>

/* Patterns per key, and '*' per pattern: glibc's fnmatch backtracks, so
 * a pattern with many stars against a hostile 255-byte name could cost
 * much; the listing calls this for every entry. */
#define DIRRULE_PATTERNS_MAX	64
#define DIRRULE_STARS_MAX	4

/* One key's name patterns: "*.bak .git, secret?" (spaces or commas). */
struct dir_patterns {
	char	**v;
	size_t	  n;
};

/* Parse text into p (copies).  0, or -1 with err ("reason (got ...)"). */
int	dirrule_patterns_parse(const char *text, struct dir_patterns *p,
	    char *err, size_t errlen);
void	dirrule_patterns_free(struct dir_patterns *p);
/* 1 if name matches one of p.  fnmatch without flags: "*" matches a dot
 * file too, so "deny = *" leaves nothing out. */
int	dirrule_patterns_match(const struct dir_patterns *p, const char *name);

/*
 * A [dir PATH] line's PATH: absolute, "~" or "~/sub"; no "." or ".."
 * component.  Cleaned ("//" and a trailing "/" dropped) into out.  0, or
 * -1 with err.
 */
int	dirrule_path_check(const char *path, char *out, size_t outlen,
	    char *err, size_t errlen);
/*
 * path lies in the tree rooted at tree (both clean and absolute): tree
 * itself or beneath it.  What lies below tree, without a leading "/"
 * ("" for tree itself), points into path; NULL when path is outside.
 */
const char *dirrule_below(const char *tree, const char *path);
/*
 * A section's tree (a checked PATH) in a session's view: root is the
 * server path of the session's root ("/" when it sees the whole file
 * system), home the account's home ("~").  1 with view (clean, beneath
 * the root) and above: "", or the part of root below the tree when the
 * tree holds the whole root (names a session cannot see, which deny
 * judges all the same).  0 when the tree lies outside the root; -1 when
 * a path does not fit.
 */
int	dirrule_view(const char *tree, const char *root, const char *home,
	    char *view, size_t viewlen, char *above, size_t abovelen);

/* One section in a session's view. */
struct dirrule {
	const char	*view;		/* clean, beneath the session root */
	size_t		 len;		/* strlen(view): deeper is longer */
	int		 has_perms;	/* sets permissions */
	unsigned	 perms;		/* PERM_* (plan.h) */
	int		 deny_all;	/* a name above the root is denied */
	const struct dir_patterns *hide, *deny;	/* never NULL */
};

/* A session's rules (user/dirs.c makes it at login; policy.c judges a
 * path as named with it, before anything is opened). */
struct dirrule_set {
	struct dirrule	 *r;
	size_t		  n;
	const struct dirrule **sel;	/* n: scratch for a listing */
};

struct dirrule_verdict {
	int		 denied;	/* a name on the path matches deny */
	int		 hidden;	/* its last name matches hide or deny */
	unsigned	 perms;		/* of the deepest sections that set
					 * permissions (intersected), else
					 * every PERM_* */
};

/*
 * Judge path against n rules: deny and hide of every rule whose tree
 * holds it, each name below the tree (the tree's own name belongs to the
 * directory above); permissions of the deepest of them that set any.
 */
void	dirrule_judge(const struct dirrule *r, size_t n, const char *path,
	    struct dirrule_verdict *v);
/*
 * The rules whose tree holds directory dir, whose patterns then apply to
 * each of its entries: up to max pointers into sel.  Their count.
 */
size_t	dirrule_select(const struct dirrule *r, size_t n, const char *dir,
	    const struct dirrule **sel, size_t max);
/* 1 if an entry name of that directory is hidden: it matches hide or
 * deny of one of the n selected rules. */
int	dirrule_hides(const struct dirrule *const *sel, size_t n,
	    const char *name);

#endif
