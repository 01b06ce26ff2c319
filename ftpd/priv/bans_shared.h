/*
 * bans_shared.h - bans shared by the nodes of a cluster through the
 * account database (bans_shared = yes).
 *
 * Master only.  A ban the master decides (bans.c) is also sent to the
 * account service as ACCT_BAN_ADD; every second the master asks for the
 * bans in force (ACCT_BAN_LIST) and keeps the answer as its view of the
 * other nodes' bans.  One question at a time, on a non-blocking socket
 * in the master's poll set: the accept loop never waits for the
 * database.  When the service or database does not answer, the last
 * view stays, each entry ending at its own until: an outage bans nobody
 * new and unbans nobody early.
 */
#ifndef FTPD_BANS_SHARED_H
#define FTPD_BANS_SHARED_H

#include <sys/socket.h>
#include <time.h>

/* A ban this node decided: addr until until, sent at once (queued while
 * the database is away and tried once a second; the oldest dropped past
 * a few dozen, those expired meanwhile too). */
void	bans_shared_add(const struct sockaddr_storage *addr, time_t until);
/* 1 if another node (or this one, as the database says) banned addr
 * and the ban is in force at now. */
int	bans_shared_check(const struct sockaddr_storage *addr, time_t now);
/* The socket of the question in flight, or -1: for the poll set. */
int	bans_shared_fd(void);
/* Milliseconds until bans_shared_tick has work (for poll's timeout). */
int	bans_shared_wait_ms(void);
/* On each wake: give up a question past its deadline, ask the next one
 * when due. */
void	bans_shared_tick(void);
/* The socket is readable: take the answer. */
void	bans_shared_ready(void);
/* At shutdown. */
void	bans_shared_stop(void);

#endif
