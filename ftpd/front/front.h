/*
 * front.h - the unprivileged, network-facing process before login.
 *
 * Runs as nopriv_user chrooted into empty_dir; owns the client socket,
 * parses every pre-login byte, is the TLS endpoint.  Forked by the monitor;
 * its entry, front_main, is declared in roles.h.
 */
#ifndef FTPD_FRONT_H
#define FTPD_FRONT_H

#include <stddef.h>

struct session;

/*
 * proxy_protocol: read the PROXY header and have the monitor admit the
 * client it names, which becomes s->peer (the proxy s->via).  0, or -1:
 * with refusal set, the client was refused (say it with 421); with
 * refusal empty, there was no valid header (close without a word).
 */
int	front_proxy(struct session *s, char *refusal, size_t refusal_len);

/*
 * Called by cmd_pass after mon_login() said MON_LOGIN_OK: plaintext
 * control -> exit (the monitor hands the socket to the user process);
 * TLS control -> install the account's ticket keys (tls_keys,
 * MON_TLS_BIND_LEN bytes, wiped here) and become the relay
 * (tlsrelay_run).  Never returns.
 */
void	front_handoff(struct session *s, int relay_fd, int data_fd,
	    unsigned char *tls_keys) __attribute__((noreturn));

#endif
