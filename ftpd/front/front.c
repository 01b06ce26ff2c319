/*
 * front.c - entry of the pre-login process: greeting, AUTH, USER, PASS.
 *
 *   started by   the monitor (priv/monitor.c start_front), for every
 *                connection, in a fresh fork of itself
 *   runs as      nopriv_user, no new privileges, the "front" seccomp
 *                filter
 *   root         empty_dir (chroot; empty and root-owned)
 *   may ask      MON_PROXY (first, with proxy_protocol), MON_LOGIN (until
 *                one succeeds), MON_LOG (always), MON_METRIC (with
 *                metrics, before login: its TLS handshake); after login,
 *                as the TLS relay (front/tlsrelay.c), only MON_LOG
 *   parses       every byte from the client before login: the PROXY
 *                header (front/proxy_peek.c, proxyhdr.c), TLS (tls/), the
 *                command lines (cmd/ctl.c) and the PRELOGIN handlers of
 *                the command table
 *
 * Everything that needed root was done by the monitor before front_main
 * was called.  See DESIGN.md for the whole process model.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cmd/ctl.h"
#include "front/front.h"
#include "mon_client.h"
#include "monproto.h"
#include "roles.h"
#include "session.h"
#include "shutdown.h"
#include "tls/tls.h"
#include "front/tlsrelay.h"

void
front_main(const struct role_conn *c)
{
	/* Static, not on the stack: the session lives until _exit. */
	static struct session fs;
	struct session *s = &fs;
	char err[256], refusal[256] = "";

	session_start(s, c);
	shutdown_install();	/* a stopping server: 421, not a bare close */
	/* After REIN the header was read long ago, by the first front. */
	if (cfg->proxy_protocol && !s->after_rein &&
	    front_proxy(s, refusal, sizeof(refusal)) == -1 &&
	    refusal[0] == '\0')
		_exit(0);	/* no valid header: not from the proxy */
	if (s->implicit_tls) {
		s->ctl_tls = tls_accept(s->ctl_fd, NULL, -1,
		    (int)cfg->login_timeout * 1000, err, sizeof(err));
		mon_metric(s->mon_fd, MON_MET_TLS, MET_TLS_CONTROL,
		    s->ctl_tls != NULL ? MET_TLS_OK : MET_TLS_FAILED, 0);
		if (s->ctl_tls == NULL) {
			log_msg(LOG_NOTICE, "implicit TLS handshake failed: %s",
			    err);
			_exit(0);
		}
		tls_session_host(s);
		s->tls_active = 1;
		/* ctl.c reads TLS records without blocking on half of one */
		if (net_set_nonblock(s->ctl_fd, 1) == -1)
			_exit(1);
	}
	if (refusal[0] != '\0') {
		/* The client, now known, may not come in (bans, max_per_ip). */
		reply(s, 421, "%s", refusal);
		if (s->ctl_tls != NULL)
			tls_close(s->ctl_tls, 1000);
		_exit(0);
	}
	reply(s, 220, "%s", s->vhost != -1 ?
	    config_vhost_at(s->vhost)->banner : cfg->banner);
	cmd_loop(s);
	if (s->ctl_tls != NULL)
		tls_close(s->ctl_tls, 1000);
	_exit(0);
}

void
front_handoff(struct session *s, int relay_fd, int data_fd,
    unsigned char *tls_keys)
{
	int rc;

	if (s->ctl_tls == NULL)
		_exit(0);
	rc = tls_bind_install(tls_keys);
	explicit_bzero(tls_keys, MON_TLS_BIND_LEN);
	if (rc == -1)
		fatal("front: cannot install the session's ticket keys");
	tlsrelay_run(s, relay_fd, data_fd);
}
