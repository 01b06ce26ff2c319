/*
 * xmalloc.c - allocation that never returns NULL.
 *
 * Runs in every process.  Sizes come from our own code (never directly from
 * a peer), but every multiplication is still overflow-checked.  Out of
 * memory is fatal: there is no useful way for a session to recover.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	if ((p = malloc(n)) == NULL)
		fatal("xmalloc: out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (SIZE_MAX / nmemb < size)
		fatal("xcalloc: size overflow");
	if ((p = calloc(nmemb, size)) == NULL)
		fatal("xcalloc: out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void *np;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (SIZE_MAX / nmemb < size)
		fatal("xreallocarray: size overflow");
	if ((np = realloc(p, nmemb * size)) == NULL)
		fatal("xreallocarray: out of memory");
	return np;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len;

	len = strnlen(s, n);
	if (len == SIZE_MAX)
		fatal("xstrndup: size overflow");
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
