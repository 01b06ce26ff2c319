/*
 * monitor.h - the privileged half of one session.
 *
 * One monitor per control connection, forked by the master; it keeps root
 * (when started as root), never parses client bytes, and answers a few
 * typed requests from the unprivileged processes: log in, bind port L-1,
 * write log and xferlog lines.  The message types are in monproto.h,
 * shared with mon_client.c.
 */
#ifndef FTPD_MONITOR_H
#define FTPD_MONITOR_H

#include <sys/socket.h>

/*
 * Serve one session on the connected client socket fd.  implicit_tls: the
 * connection arrived on implicit_tls_listen.  ask: the channel on which
 * the master judges the client the PROXY header names and, with session
 * limits, the account that logs in (askproto.h); -1 without either, or
 * without a master (-i).  Never returns.
 */
void	monitor_run(int fd, const struct sockaddr_storage *peer,
	    int implicit_tls, int ask) __attribute__((noreturn));

#endif
