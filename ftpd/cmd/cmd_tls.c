/*
 * cmd_tls.c - AUTH, PBSZ, PROT and CCC (RFC 2228, RFC 4217).
 *
 * Runs in the front before login (where AUTH does the handshake) and in
 * the user process after login, where the front relays TLS and these
 * handlers only track the protection state (s->tls_active, s->pbsz_done,
 * s->prot_p) that data.c consults; CCC asks the front to end TLS.
 * Arguments come from the client and are only compared against fixed
 * words or parsed with parse_uint.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/net.h"
#include "common/parse.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cmd/ctl.h"
#include "mon_client.h"
#include "session.h"
#include "tls/tls.h"
#include "front/tlsrelay.h"

/* AUTH TLS-C and its historic spellings; TLS-P also protects data. */
static int
auth_mechanism(const char *arg, int *protect_data)
{
	*protect_data = 0;
	if (strcasecmp(arg, "TLS") == 0 || strcasecmp(arg, "TLS-C") == 0 ||
	    strcasecmp(arg, "SSL") == 0)
		return 0;
	if (strcasecmp(arg, "TLS-P") == 0) {
		*protect_data = 1;
		return 0;
	}
	return -1;
}

void
tls_session_host(struct session *s)
{
	const struct vhost *vh;
	int host;

	if (tls_sni_host(s->ctl_tls, &host) &&
	    (vh = config_vhost_at(host)) != NULL && host != s->vhost) {
		s->vhost = host;
		log_msg(LOG_INFO, "TLS server name: host %s", vh->name);
	}
}

void
cmd_auth(struct session *s, const char *arg)
{
	char err[256];
	int protect_data;

	if (s->ccc_done) {
		reply(s, 503, "No new AUTH after CCC.");
		return;
	}
	if (s->state == ST_LOGGED_IN || s->tls_active) {
		reply(s, 503, "TLS is already active.");
		return;
	}
	if (arg == NULL || arg[0] == '\0') {
		reply(s, 501, "AUTH needs a mechanism.");
		return;
	}
	if (config_tls_mode(s->vhost) == TLS_OFF) {
		reply(s, 502, "AUTH not available: TLS is disabled.");
		return;
	}
	if (!tls_available()) {
		reply(s, 534, "AUTH not available: no TLS context.");
		return;
	}
	/* The key left the monitor when the first front was forked (the
	 * user process must not inherit it): a front started by REIN has
	 * none to handshake with. */
	if (s->after_rein) {
		reply(s, 431, "AUTH TLS not available after REIN; reconnect "
		    "to use TLS.");
		return;
	}
	if (auth_mechanism(arg, &protect_data) == -1) {
		reply(s, 504, "AUTH mechanism not supported.");
		return;
	}
	reply(s, 234, "AUTH TLS successful.");
	if (s->quit)
		return;
	/*
	 * Anything the client sent after AUTH in plain text would otherwise
	 * be taken as if it had come through TLS (command injection).
	 */
	buf_reset(&s->ctl_in);
	s->ctl_tls = tls_accept(s->ctl_fd, NULL, s->vhost,
	    (int)cfg->login_timeout * 1000, err, sizeof(err));
	mon_metric(s->mon_fd, MON_MET_TLS, MET_TLS_CONTROL, s->ctl_tls != NULL ?
	    MET_TLS_OK : MET_TLS_FAILED, 0);
	if (s->ctl_tls == NULL) {
		log_msg(LOG_NOTICE, "AUTH TLS failed: %s", err);
		s->quit = 1;
		return;
	}
	tls_session_host(s);
	/* Non-blocking, so a partial TLS record cannot hold ctl.c's read
	 * past its deadline (ctl.c waits with poll and retries EAGAIN). */
	if (net_set_nonblock(s->ctl_fd, 1) == -1)
		log_msg(LOG_INFO, "control connection: O_NONBLOCK: %s",
		    strerror(errno));
	log_msg(LOG_INFO, "control connection: %s", tls_describe(s->ctl_tls));
	s->tls_active = 1;
	s->pbsz_done = protect_data;
	s->prot_p = protect_data;
	/* A new USER after AUTH starts the login over (RFC 4217 4.) */
	if (s->state == ST_USER)
		s->state = ST_FRESH;
}

void
cmd_pbsz(struct session *s, const char *arg)
{
	unsigned long long size;

	if (!s->tls_active && !s->ccc_done) {
		reply(s, 503, "PBSZ needs AUTH TLS first.");
		return;
	}
	if (arg == NULL || parse_uint(arg, 0, UINT32_MAX, &size) == -1) {
		reply(s, 501, "PBSZ needs a decimal number.");
		return;
	}
	/* TLS does its own framing: any size is answered with 0. */
	s->pbsz_done = 1;
	reply(s, 200, "PBSZ=0");
}

/* tls = required: PROT C is refused to logged-in non-anonymous users
 * (before login the user is unknown; data.c enforces it then). */
static int
prot_clear_allowed(const struct session *s)
{
	if (config_tls_mode(s->vhost) != TLS_REQUIRED)
		return 1;
	return s->state != ST_LOGGED_IN || s->anonymous;
}

void
cmd_prot(struct session *s, const char *arg)
{
	if (!s->tls_active && !s->ccc_done) {
		reply(s, 503, "PROT needs AUTH TLS first.");
		return;
	}
	if (!s->pbsz_done) {
		reply(s, 503, "PROT needs PBSZ first.");
		return;
	}
	if (arg == NULL || arg[0] == '\0' || arg[1] != '\0') {
		reply(s, 504, "PROT needs C or P.");
		return;
	}
	switch (arg[0]) {
	case 'C':
	case 'c':
		if (!prot_clear_allowed(s)) {
			reply(s, 536, "PROT P required.");
			return;
		}
		s->prot_p = 0;
		reply(s, 200, "Protection level set to Clear.");
		break;
	case 'P':
	case 'p':
		s->prot_p = 1;
		reply(s, 200, "Protection level set to Private.");
		break;
	case 'S':
	case 's':
	case 'E':
	case 'e':
		reply(s, 536, "Protection level not supported.");
		break;
	default:
		reply(s, 504, "PROT needs C or P.");
		break;
	}
}

/*
 * CCC (RFC 2228, RFC 4217): after login, end TLS on the control channel so
 * that NAT helpers can read PORT/PASV replies; data connections keep the
 * protection PROT set.  Only with tls_ccc: from then on anyone on the path
 * can read and rewrite commands.  The front sends the 200 in TLS and does
 * the close_notify exchange (tlsrelay_ccc), since it is the TLS endpoint.
 * AUTH is not offered again (no renegotiation back to TLS).
 */
void
cmd_ccc(struct session *s, const char *arg)
{
	char err[256];
	struct buf out;
	int r;

	(void)arg;
	/* RFC 2228: a CCC that is not itself protected gets 533. */
	if (!s->tls_active) {
		reply(s, 533, s->ccc_done ? "Control channel is already "
		    "clear." : "CCC needs AUTH TLS first.");
		return;
	}
	if (!cfg->tls_ccc) {
		reply(s, 534, "CCC not allowed by server policy.");
		return;
	}
	/* Clearing before login would send the password in clear. */
	if (s->state != ST_LOGGED_IN) {
		reply(s, 503, "Login with USER and PASS before CCC.");
		return;
	}
	buf_init(&out, 256);
	if (reply_format(&out, 200, "CCC command successful: control "
	    "connection in clear text from now on.") == -1)
		fatal("CCC: cannot format the reply");
	r = tlsrelay_ccc(s, out.data, out.len, err, sizeof(err));
	buf_free(&out);
	if (r == -1) {
		log_msg(LOG_NOTICE, "CCC: %s", err);
		s->quit = 1;	/* the front ends the session */
		return;
	}
	s->tls_active = 0;
	s->ccc_done = 1;
}
