/*
 * bans.h - temporary bans of addresses that keep failing to log in.
 *
 * Master only.  Failed logins per address are summed over a window of
 * ban_seconds; at ban_after the address is refused for ban_seconds.  The
 * table is fixed-size: when full, the stalest entry is reused, so a flood
 * of addresses cannot grow memory.
 */
#ifndef FTPD_BANS_H
#define FTPD_BANS_H

#include <sys/socket.h>
#include <time.h>

#define BANS_MAX	4096

/* Add failures for addr at time now; returns 2 if this call banned it,
 * 1 if it was already banned, 0 if not banned. */
int	bans_record(const struct sockaddr_storage *addr, unsigned failures,
	    unsigned ban_after, time_t ban_seconds, time_t now);
/* 1 if addr is banned at time now. */
int	bans_check(const struct sockaddr_storage *addr, time_t now);
/* How many addresses are banned at time now (metrics). */
size_t	bans_active(time_t now);
/* Forget everything (tests). */
void	bans_clear(void);

#endif
