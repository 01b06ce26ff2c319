/*
 * cmd_login.c - USER, PASS, ACCT, REIN, QUIT.
 *
 * USER and PASS run in the front, before login, as nopriv_user in an empty
 * chroot: the user name is checked for length and control characters only,
 * the password is handed to the monitor (mon_login) and wiped; the front
 * never learns more than "ok", "wrong" or "go away".  QUIT and REIN also
 * run in the user process.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "priv/auth.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cmd/ctl.h"
#include "front/front.h"
#include "mon_client.h"
#include "monproto.h"
#include "session.h"
#include "tls/tls.h"

/* 1 if name would be an anonymous login on this session's host. */
static int
login_is_anon(const struct session *s, const char *name)
{
	return auth_is_anonymous(name, config_vhost_at(s->vhost));
}

/* 1 if name is acceptable as text (length, no control characters). */
static int
login_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= SESSION_USER_MAX - 1)
			return 0;
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	}
	return i > 0;
}

void
cmd_user(struct session *s, const char *arg)
{
	int anon;

	if (s->state == ST_LOGGED_IN) {
		reply(s, 530, "Can't change to another user.");
		return;
	}
	s->state = ST_FRESH;
	s->user[0] = '\0';
	if (!login_name_ok(arg)) {
		reply(s, 501, "Invalid user name.");
		return;
	}
	anon = login_is_anon(s, arg);
	if (config_tls_mode(s->vhost) == TLS_REQUIRED && !s->tls_active &&
	    !(anon && cfg->tls_anon_plain)) {
		reply(s, 530, "Non-anonymous sessions must use encryption "
		    "(AUTH TLS).");
		return;
	}
	(void)snprintf(s->user, sizeof(s->user), "%s", arg);
	s->state = ST_USER;
	if (anon)
		reply(s, 331, "Anonymous login ok, send your e-mail as "
		    "password.");
	else
		reply(s, 331, "Please specify the password.");
}

/*
 * The reply to a successful login (230) is sent by the user process, so
 * that commands pipelined after PASS are answered after it, in order.
 */
/*
 * HOST (RFC 7151): choose a [host NAME] section before USER.  Without any
 * sections every name is served by the main settings.
 */
void
cmd_host(struct session *s, const char *arg)
{
	const struct vhost *vh;
	char name[256];
	size_t n = strlen(arg);
	int i, sni;

	if (s->state != ST_FRESH) {
		reply(s, 503, "HOST must come before USER.");
		return;
	}
	/* An IPv6 literal comes in brackets; compare the bare address. */
	if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']')
		(void)snprintf(name, sizeof(name), "%.*s", (int)(n - 2),
		    arg + 1);
	else
		(void)snprintf(name, sizeof(name), "%s", arg);
	if (cfg->nvhosts == 0) {
		reply(s, 220, "%s", cfg->banner);
		return;
	}
	i = config_vhost_match(name);
	if ((vh = config_vhost_at(i)) == NULL) {
		reply(s, 504, "Unknown host.");
		return;
	}
	/* TLS per host: after a handshake with a server name, HOST must
	 * name the host the certificate was chosen for. */
	if (s->ctl_tls != NULL && tls_sni_host(s->ctl_tls, &sni) &&
	    sni != i) {
		reply(s, 504, "HOST does not match the TLS server name.");
		return;
	}
	s->vhost = i;
	log_msg(LOG_INFO, "HOST %s", vh->name);
	reply(s, 220, "%s", vh->banner);
}

void
cmd_pass(struct session *s, const char *arg)
{
	enum mon_login_result r;
	unsigned char keys[MON_TLS_BIND_LEN];
	int relay_fd = -1, data_fd = -1;
	char msg[256];

	if (s->state == ST_LOGGED_IN) {
		reply(s, 503, "Already logged in.");
		return;
	}
	if (s->state != ST_USER) {
		reply(s, 503, "Login with USER first.");
		return;
	}
	msg[0] = '\0';
	r = mon_login(s, s->user, arg != NULL ? arg : "", &s->ctl_in,
	    &relay_fd, &data_fd, keys, msg, sizeof(msg));
	if (msg[0] == '\0')
		(void)snprintf(msg, sizeof(msg), "%s", r == MON_LOGIN_FAIL ||
		    r == MON_LOGIN_FAIL_LAST ? "Login incorrect." :
		    "Service not available.");
	switch (r) {
	case MON_LOGIN_OK:
		/* The TLS front relays on and never returns to cmd_loop's
		 * wipe: no copy of the password may go along.  arg is the
		 * rest of cmd_loop's line buffer, which is ours to clear. */
		if (arg != NULL)
			explicit_bzero((char *)(uintptr_t)arg, strlen(arg));
		ctl_wipe_spent(s);
		front_handoff(s, relay_fd, data_fd, keys);
	case MON_LOGIN_FAIL:
		s->state = ST_FRESH;
		s->user[0] = '\0';
		s->login_failures++;
		reply(s, 530, "%s", msg);
		break;
	case MON_LOGIN_FAIL_LAST:
		/* The last guess login_attempts allows: the monitor takes no
		 * more, so the session ends after the 530. */
		s->state = ST_FRESH;
		s->user[0] = '\0';
		s->login_failures++;
		reply(s, 530, "%s", msg);
		s->quit = 1;
		break;
	case MON_LOGIN_CLOSE:
	case MON_LOGIN_ERROR:
	default:
		reply(s, 421, "%s", msg);
		s->quit = 1;
		break;
	}
}

void
cmd_acct(struct session *s, const char *arg)
{
	(void)arg;
	if (s->state == ST_FRESH)
		reply(s, 503, "Login with USER first.");
	else
		reply(s, 202, "ACCT not needed.");
}

/*
 * REIN (RFC 959 4.1.1).  Before login: forget USER.  After login the
 * user process runs as the account and cannot become the front again:
 * it hands the control connection back to the monitor (MON_REIN) and
 * exits; the monitor ends the account's part of the session and starts
 * a fresh front, whose 220 answers the REIN (DESIGN.md "REIN").  A
 * transfer has ended by then: commands wait while one runs.  On a TLS
 * control connection (also after CCC: the relay still sits between) it
 * is refused, see the same section.
 */
void
cmd_rein(struct session *s, const char *arg)
{
	(void)arg;
	if (s->state == ST_LOGGED_IN) {
		if (s->tls_active || s->ccc_done || s->front_fd != -1) {
			reply(s, 502, "REIN not available on a TLS control "
			    "connection; reconnect.");
			return;
		}
		if (ctl_flush(s) == -1) {
			s->quit = 1;
			return;
		}
		if (mon_rein(s) == -1) {
			reply(s, 451, "REIN failed; the session goes on.");
			return;
		}
		/* The monitor has the connection: not a byte more from us,
		 * and nothing of what is buffered is ours to read. */
		buf_reset(&s->ctl_in);
		(void)close(s->ctl_fd);
		s->ctl_fd = -1;
		s->quit = 1;
		return;
	}
	s->state = ST_FRESH;
	s->user[0] = '\0';
	s->anonymous = 0;
	reply(s, 220, "Ready for a new user.");
}

void
cmd_quit(struct session *s, const char *arg)
{
	(void)arg;
	if (s->state == ST_LOGGED_IN)
		reply(s, 221, "Goodbye. You uploaded %llu and downloaded "
		    "%llu bytes.", s->bytes_in, s->bytes_out);
	else
		reply(s, 221, "Goodbye.");
	s->quit = 1;
}
