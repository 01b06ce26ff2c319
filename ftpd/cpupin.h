/*
 * cpupin.h - run the start of every session on one CPU (see cpupin.c).
 */
#ifndef FTPD_CPUPIN_H
#define FTPD_CPUPIN_H

/* Master, at startup (not with -i): when cpu_pin is yes and more than one
 * CPU is allowed, move to the first allowed CPU; every session process
 * inherits that.  Logs and carries on if the kernel refuses. */
void	cpupin_init(void);
/* A session process about to move file data, hash a file or list a
 * directory: run on every allowed CPU again.  Once per process; a no-op
 * when not pinned. */
void	cpupin_leave(void);

#endif
