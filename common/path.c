/*
 * path.c - lexical path joining and normalisation.
 *
 * Runs in the unprivileged user process on client-supplied names.  Purely
 * lexical: nothing here touches the file system, and ".." can never climb
 * above "/" because the result is built component by component on a stack
 * whose bottom is the root.  Real confinement is the kernel's (chroot,
 * openat2); this only produces clean names for replies, logs and policy.
 */
#include <string.h>

#include "buf.h"
#include "path.h"

/* Apply the components of p to out, which holds an absolute path. */
static int
path_walk(struct buf *out, const char *p)
{
	const char *seg, *slash;
	size_t n;
	unsigned char *last;

	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		seg = p;
		slash = strchr(seg, '/');
		n = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		p = seg + n;
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			/* Pop one component; the root is its own parent. */
			last = memrchr(out->data, '/', out->len);
			buf_truncate(out, last == NULL || last == out->data ?
			    1 : (size_t)(last - out->data));
			continue;
		}
		if (out->len > 1 && buf_putc(out, '/') == -1)
			return -1;
		if (buf_append(out, seg, n) == -1 || out->len > PATH_MAXLEN)
			return -1;
	}
	return 0;
}

int
path_resolve(const char *cwd, const char *arg, struct buf *out)
{
	buf_reset(out);
	if (buf_putc(out, '/') == -1)
		return -1;
	if (arg == NULL)
		arg = "";
	if (arg[0] != '/' && cwd != NULL && path_walk(out, cwd) == -1)
		goto fail;
	if (path_walk(out, arg) == -1)
		goto fail;
	return 0;
fail:
	buf_reset(out);
	return -1;
}

const char *
path_basename(const char *p)
{
	const char *s;

	if ((s = strrchr(p, '/')) == NULL)
		return p;
	return s + 1;
}

int
path_dirname(const char *p, struct buf *out)
{
	const char *s;

	buf_reset(out);
	s = strrchr(p, '/');
	if (s == NULL || s == p)
		return buf_putc(out, '/');
	return buf_append(out, p, (size_t)(s - p));
}
