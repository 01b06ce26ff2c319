/*
 * path.h - lexical path joining and normalisation.
 *
 * Works on the session's virtual paths ("/" is the session root), without
 * touching the file system: the kernel-side resolution (openat2) is what
 * actually confines; this gives clean, absolute names for replies and logs.
 * Input is client text: bounded, hostile.
 */
#ifndef COMMON_PATH_H
#define COMMON_PATH_H

#include <stddef.h>

#define PATH_MAXLEN	4096

struct buf;

/*
 * Join arg onto cwd (an absolute normalised path) and normalise: collapse
 * "//", drop ".", resolve ".." lexically (never above "/").  An absolute
 * arg ignores cwd.  Result always starts with "/" and has no trailing "/"
 * (except "/" itself).  out is reset first.
 * Returns 0, or -1 if the result would exceed PATH_MAXLEN or out's max.
 */
int	path_resolve(const char *cwd, const char *arg, struct buf *out);
/* Final component of a normalised path ("" for "/").  Points into p. */
const char *path_basename(const char *p);
/* Copy the parent directory of normalised path p into out ("/" for "/x" and
 * for "/").  0 or -1. */
int	path_dirname(const char *p, struct buf *out);

#endif
