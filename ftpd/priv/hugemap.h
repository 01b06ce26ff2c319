/*
 * hugemap.h - huge pages for the password hash's work area (hugemap.c).
 */
#ifndef FTPD_HUGEMAP_H
#define FTPD_HUGEMAP_H

/* Between these, large private anonymous mappings (yescrypt's work area)
 * start on a huge-page boundary and are advised MADV_HUGEPAGE. */
void	hugemap_begin(void);
void	hugemap_end(void);
/* 0 when this build leaves mmap alone (sanitizers, other CPUs). */
int	hugemap_available(void);
/* Areas placed so far by this process (for tests and debug logs). */
unsigned long	hugemap_count(void);

#endif
