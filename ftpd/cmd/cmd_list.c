/*
 * cmd_list.c - LIST NLST MLSD MLST STAT.
 *
 * Runs in the user process, as the account (STAT without an argument may
 * also run in the front before login).  Arguments are hostile client text:
 * paths go through policy.c via list_prepare()/policy_path(), and anything
 * echoed on the control connection is sanitised.  The listing itself is
 * built by list.c; here are the replies around it.  As for transfers, the
 * final 226 is sent only after the data connection is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/path.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cpupin.h"
#include "cmd/ctl.h"
#include "user/data.h"
#include "user/list.h"
#include "user/policy.h"
#include "user/repr.h"
#include "user/route.h"
#include "session.h"
#include "mon_client.h"
#include "user/xfer.h"

#define STAT_TEXT_MAX	4096

/*
 * TYPE E and MODE B/C/Z encode a listing (route.c says how): *enc gets
 * the encoder, or NULL when the listing goes as it is.  0, or -1 if the
 * encoder could not start.
 */
static int
listing_encoder(const struct xfer_route *r, struct repr_enc **enc)
{
	*enc = NULL;
	if (r->path != XFER_PATH_CODEC)
		return 0;
	*enc = repr_enc_new(&r->repr);
	return *enc == NULL ? -1 : 0;
}

/* The list went out: send the encoder's end (EOF, end of zlib stream). */
static enum xfer_result
listing_finish(struct session *s, const struct xfer_route *r,
    struct repr_enc *e, int fd, enum xfer_result res)
{
	struct buf t;

	if (e == NULL)
		return res;
	buf_init(&t, REPR_ENC_BOUND(0) + REPR_OUT_SLACK);
	if (res == XFER_OK && repr_enc_finish(e, &t) == -1)
		res = XFER_DISK_ERROR;
	if (res == XFER_OK && t.len > 0)
		res = xfer_send_mem(s, r, NULL, fd, t.data, t.len);
	repr_enc_free(e);
	buf_free(&t);
	return res;
}

/* LIST, NLST, MLSD: check, open the data connection, stream, reply. */
static void
send_listing(struct session *s, const char *arg, enum list_fmt fmt)
{
	struct list_job j;
	struct xfer_route r;
	struct repr_enc *enc;
	enum xfer_result res;
	enum list_cut cut;
	int fd;

	s->rang_set = 0;	/* like REST, used up by any transfer */
	if (!policy_allow(s, OP_LIST)) {
		reply(s, 550, "Permission denied.");
		return;
	}
	if (list_prepare(s, &j, fmt, arg) == -1)
		return;
	s->xfer_total = -1;
	(void)snprintf(s->xfer_what, sizeof(s->xfer_what), "%s %s",
	    fmt == LIST_MLSD ? "MLSD" : fmt == LIST_NAMES ? "NLST" : "LIST",
	    buf_cstr(&j.vpath));
	xfer_route_start(s, XFER_OP_LIST, &r);
	if ((fd = data_open(s, "Here comes the directory listing.",
	    &r)) == -1) {
		list_job_free(&j);
		return;
	}
	if (listing_encoder(&r, &enc) == -1)
		res = XFER_DISK_ERROR;
	else
		res = listing_finish(s, &r, enc, fd, list_run(s, &j, fd, &r,
		    enc));
	cut = j.cut;
	list_job_free(&j);
	mon_metric(s->mon_fd, MON_MET_XFER, fmt == LIST_MLSD ? MET_CMD_MLSD :
	    fmt == LIST_NAMES ? MET_CMD_NLST : MET_CMD_LIST,
	    xfer_met_result(res, res == XFER_OK), 0);
	/* On ABOR the transfer code has closed it and replied 426 + 226. */
	if (res != XFER_ABORTED)
		(void)xfer_close(s, &r, fd);
	switch (res) {
	case XFER_OK:
		/* LIST -R stopped at a bound: the client is told so here
		 * too, not only in a last line it may not show. */
		if (cut == LIST_CUT_ENTRIES)
			reply(s, 226, "Directory send OK; listing cut after "
			    "%llu entries (list_max_entries).",
			    cfg->list_max_entries);
		else if (cut == LIST_CUT_DEPTH)
			reply(s, 226, "Directory send OK; listing cut below "
			    "depth %llu (list_max_depth).",
			    cfg->list_max_depth);
		else
			reply(s, 226, "Directory send OK.");
		break;
	case XFER_ABORTED:
		break;
	case XFER_DISK_ERROR:
		reply(s, 451, "Error reading the directory.");
		break;
	case XFER_TIMEOUT:
		reply(s, 426, "Data connection timed out; listing aborted.");
		break;
	case XFER_CTL_GONE:
		s->quit = 1;
		break;
	case XFER_NET_ERROR:
	default:
		reply(s, 426, "Connection closed; listing aborted.");
		break;
	}
}

void
cmd_list(struct session *s, const char *arg)
{
	send_listing(s, arg, LIST_LONG);
}

void
cmd_nlst(struct session *s, const char *arg)
{
	send_listing(s, arg, LIST_NAMES);
}

void
cmd_mlsd(struct session *s, const char *arg)
{
	send_listing(s, arg, LIST_MLSD);
}

/* MLST: one facts line on the control connection (RFC 3659 7.2). */
void
cmd_mlst(struct session *s, const char *arg)
{
	struct buf vpath, line, out;
	int noarg = arg == NULL || *arg == '\0', r;

	if (!policy_allow(s, OP_LIST)) {
		reply(s, 550, "Permission denied.");
		return;
	}
	buf_init(&vpath, PATH_MAXLEN + 1);
	if (policy_path(s, noarg ? "." : arg, &vpath) == -1) {
		buf_free(&vpath);
		return;
	}
	buf_init(&line, 4 * PATH_MAXLEN);
	buf_init(&out, 6 * PATH_MAXLEN);
	if ((r = list_mlst(s, buf_cstr(&vpath), noarg, &line)) == -2)
		;	/* replied */
	else if (r == -1)
		reply_errno(s, errno, "Cannot list", buf_cstr(&vpath));
	else if (buf_puts(&out, "250-Listing ") == -1 ||
	    list_put_safe(&out, buf_cstr(&vpath)) == -1 ||
	    buf_append(&out, "\r\n", 2) == -1 ||
	    buf_append(&out, line.data, line.len) == -1 ||
	    buf_puts(&out, "\r\n250 End\r\n") == -1)
		reply(s, 553, "File name too long.");
	else
		(void)ctl_write(s, out.data, out.len);
	buf_free(&out);
	buf_free(&line);
	buf_free(&vpath);
}

static const char *
type_name(char type)
{
	return type == 'A' ? "ASCII" : type == 'I' ? "BINARY" :
	    type == 'E' ? "EBCDIC" : "unknown";
}

static const char *
stru_name(char stru)
{
	return stru == 'R' ? "Record" : "File";
}

static const char *
mode_name(char mode)
{
	return mode == 'B' ? "Block" : mode == 'C' ? "Compressed" :
	    mode == 'Z' ? "Deflate" : "Stream";
}

/* The lines of STAT without an argument (reply() adds the framing). */
static int
stat_session_text(struct session *s, struct buf *t)
{
	const char *dc;
	int rc;

	rc = buf_appendf(t, "FTP server status:\nConnected to %s\n",
	    s->peer_ip);
	if (s->state != ST_LOGGED_IN)
		rc |= buf_puts(t, "Not logged in\n");
	else if (s->anonymous)
		rc |= buf_puts(t, "Logged in anonymously\n");
	else
		rc |= buf_appendf(t, "Logged in as %s\n", s->user);
	rc |= buf_appendf(t, "TYPE: %s%s; STRUcture: %s; MODE: %s\n",
	    type_name(s->type), s->type == 'I' ? "" : s->form == 'C' ?
	    " (ASA)" : s->form == 'T' ? " (Telnet)" : "",
	    stru_name(s->stru), mode_name(s->mode));
	rc |= buf_appendf(t, "Control connection: %s; data connections: %s\n",
	    s->tls_active ? "TLS" : "plain text",
	    s->prot_p ? "TLS (PROT P)" : "plain text");
	if (s->in_xfer)
		dc = "transfer in progress";
	else if (s->pasv_fd != -1)
		dc = "passive listener open";
	else if (s->port_set)
		dc = "PORT target set";
	else
		dc = "none";
	rc |= buf_appendf(t, "Data connection: %s\n", dc);
	if (s->in_xfer)
		rc |= buf_appendf(t, "%s: %lld of %lld bytes\n", s->xfer_what,
		    (long long)s->xfer_done, (long long)s->xfer_total);
	if (s->state == ST_LOGGED_IN)
		rc |= buf_appendf(t, "Files in/out: %llu/%llu; "
		    "bytes in/out: %llu/%llu\n", s->files_in, s->files_out,
		    s->bytes_in, s->bytes_out);
	rc |= buf_puts(t, "End of status");
	return rc == 0 ? 0 : -1;
}

/* STAT path: the LIST lines of path on the control connection. */
static void
stat_path(struct session *s, const char *arg)
{
	struct list_job j;
	struct buf head;
	enum xfer_result res;

	if (s->state != ST_LOGGED_IN) {
		reply(s, 530, "Please login with USER and PASS.");
		return;
	}
	if (!policy_allow(s, OP_LIST)) {
		reply(s, 550, "Permission denied.");
		return;
	}
	if (list_prepare(s, &j, LIST_LONG, arg) == -1)
		return;
	buf_init(&head, 2 * PATH_MAXLEN);
	if (buf_puts(&head, "213-Status of ") == -1 ||
	    list_put_safe(&head, arg) == -1 || buf_puts(&head, ":\r\n") == -1)
		(void)buf_set(&head, "213-Status follows:\r\n");
	if (ctl_write(s, head.data, head.len) == 0) {
		cpupin_leave();		/* a listing, as over a data connection */
		res = list_run(s, &j, -1, NULL, NULL);
		if (res != XFER_CTL_GONE)
			(void)ctl_write(s, "213 End of status\r\n", 19);
	}
	buf_free(&head);
	list_job_free(&j);
}

void
cmd_stat(struct session *s, const char *arg)
{
	struct buf t;

	if (arg != NULL && *arg != '\0') {
		stat_path(s, arg);
		return;
	}
	buf_init(&t, STAT_TEXT_MAX);
	if (stat_session_text(s, &t) == -1)
		reply(s, 211, "FTP server status: (too long to show)");
	else
		reply(s, 211, "%s", buf_cstr(&t));
	buf_free(&t);
}
