/*
 * xmalloc.h - allocation that never returns NULL.
 *
 * Running out of memory in a session is not recoverable in any useful way,
 * so these log and exit the calling process.  Sizes are overflow-checked.
 */
#ifndef COMMON_XMALLOC_H
#define COMMON_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* Zero n bytes at p (not optimised away) and free it.  NULL is fine. */
void	 freezero(void *p, size_t n);

#endif
