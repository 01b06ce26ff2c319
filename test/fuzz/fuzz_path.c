/*
 * fuzz_path.c - libFuzzer target: client paths through the lexical
 * resolver.  Checks the invariants the confinement relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/path.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out, parent;
	char *arg, *cwd;
	const char *p;
	size_t split = size > 0 ? data[0] % (size + 1) : 0;

	if (size > 3 * PATH_MAXLEN)
		return 0;
	cwd = strndup((const char *)data, split);
	arg = strndup((const char *)data + split, size - split);
	buf_init(&out, PATH_MAXLEN + 1);
	buf_init(&parent, PATH_MAXLEN + 1);
	/* cwd must itself be a resolved path, as in a session */
	if (cwd != NULL && arg != NULL &&
	    path_resolve("/", cwd, &parent) == 0 &&
	    path_resolve(buf_cstr(&parent), arg, &out) == 0) {
		p = buf_cstr(&out);
		if (p[0] != '/' || strstr(p, "/../") != NULL ||
		    strstr(p, "//") != NULL ||
		    (out.len > 1 && p[out.len - 1] == '/') ||
		    (out.len >= 3 && strcmp(p + out.len - 3, "/..") == 0))
			abort();
		(void)path_basename(p);
		(void)path_dirname(p, &parent);
	}
	buf_free(&out);
	buf_free(&parent);
	free(cwd);
	free(arg);
	return 0;
}
