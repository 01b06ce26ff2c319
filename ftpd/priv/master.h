/*
 * master.h - the listening process.
 *
 * Runs as whoever started ftpd (root in production).  Binds every listen
 * and implicit_tls_listen address, accepts, enforces max_clients and
 * max_per_ip, forks one monitor per connection, answers the monitors'
 * questions (askproto.h: PROXY verdicts, max_sessions), reaps.  Never
 * reads a byte from a client.
 */
#ifndef FTPD_MASTER_H
#define FTPD_MASTER_H

/* Bind all listeners.  0, or -1 after logging which address failed. */
int	master_listen(void);
/* Accept loop until SIGTERM/SIGINT.  Returns the exit status. */
int	master_run(void);

#endif
