/*
 * session.c - creating and releasing the per-session state.
 *
 * Runs in the monitor's children (front and user process), after they
 * dropped privileges.  Nothing here
 * touches client data; it only sets defaults and frees what the session
 * owns.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/path.h"
#include "config.h"
#include "monproto.h"
#include "roles.h"
#include "session.h"
#include "tls/tls.h"

/* Room for a few pipelined command lines, with IAC noise, after PASS. */
#define SESSION_CTL_IN_MAX	(128 * 1024)

void
session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->ctl_fd = -1;
	s->mon_fd = -1;
	s->front_fd = -1;
	s->pasv_fd = -1;
	s->root_fd = -1;
	s->vhost = -1;
	s->splice_pipe[0] = s->splice_pipe[1] = -1;
	buf_init(&s->ctl_in, SESSION_CTL_IN_MAX);
	buf_init(&s->ctl_held, CTL_HELD_MAX);
	buf_init(&s->cwd, PATH_MAXLEN + 1);
	buf_init(&s->rnfr, PATH_MAXLEN + 1);
	s->state = ST_FRESH;
	s->type = 'A';
	s->form = 'N';
	s->stru = 'F';
	s->mode = 'S';
	s->xfer_total = -1;
	s->umask = cfg != NULL ? (mode_t)cfg->umask : 022;
}

void
session_start(struct session *s, const struct role_conn *c)
{
	session_init(s);
	s->ctl_fd = c->ctl_fd;
	s->mon_fd = c->mon_fd;
	s->peer = c->peer;
	s->via = c->via;
	s->local = c->local;
	s->implicit_tls = c->implicit_tls;
	s->after_rein = c->rein;
	if (c->leftover_len > 0 &&
	    buf_append(&s->ctl_in, c->leftover, c->leftover_len) == -1)
		buf_reset(&s->ctl_in);
	snprintf(s->peer_ip, sizeof(s->peer_ip), "%s", c->peer_ip);
	/* The monitor forwarded to its own copy of the fd number; from now
	 * on the session's is the one that stays valid. */
	log_set_forward(mon_forward_log, &s->mon_fd);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

void
session_free(struct session *s)
{
	if (s->ctl_tls != NULL) {
		tls_free(s->ctl_tls);
		s->ctl_tls = NULL;
	}
	close_fd(&s->ctl_fd);
	close_fd(&s->mon_fd);
	close_fd(&s->front_fd);
	close_fd(&s->pasv_fd);
	close_fd(&s->root_fd);
	close_fd(&s->splice_pipe[0]);
	close_fd(&s->splice_pipe[1]);
	buf_free(&s->ctl_in);
	buf_free(&s->ctl_held);
	buf_free(&s->cwd);
	buf_free(&s->rnfr);
}
