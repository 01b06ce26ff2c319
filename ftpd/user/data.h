/*
 * data.h - data connections: PASV/EPSV listeners and PORT/EPRT targets.
 *
 * Passive listeners live inside pasv_ports and accept only from the
 * control peer; active connections go only to the control peer at a port
 * >= 1024 (RFC 2577) and come from port L-1 when active_from_port_20.
 * Runs in the user process.
 */
#ifndef FTPD_DATA_H
#define FTPD_DATA_H

struct session;
struct xfer_route;

/*
 * Open a passive listener (closing any previous one) on the control
 * connection's local address; port chosen at random in pasv_ports.
 * Returns the port, or -1 after replying 425 itself.
 */
int	data_listen(struct session *s);
/*
 * Establish the data connection for a transfer on route r: accept on the
 * passive listener (peer must be the control peer; others are closed and
 * logged) or connect to the PORT/EPRT target, within data_timeout.  Then
 * reply "150 <what>" and, on a TLS route, secure it (TLS via the front,
 * which moves the bytes itself on XFER_PATH_FRONT).  Returns the fd to
 * read/write plaintext on, or -1 after replying 425/521/522.  The
 * passive listener and PORT target are consumed either way.  It is
 * closed with xfer_close().
 */
int	data_open(struct session *s, const char *what,
	    const struct xfer_route *r);
/* A clear-text download of at most this many bytes sends its 150 with
 * its 226 (ctl_hold). */
#define DATA_HOLD_MAX	(64 * 1024)
/* Forget PASV/PORT state (REIN, errors). */
void	data_reset(struct session *s);

#endif
