/*
 * event_rec.h - one event, as the monitors and the master send it to the
 * event runner (ftpd/events/), and the names event_on and FTPD_EVENT use.
 *
 * Shared by the senders (root: priv/events_send.c) and the runner
 * (event_user).  The wire form is one SOCK_SEQPACKET message: a fixed
 * header (magic, type, bytes, time, session, the length of each string)
 * and the strings after it, without NULs, in the header's order.  The
 * runner decodes every message with ev_decode, which checks the magic,
 * the type, each length against its field's maximum and the total
 * against the message's length, and refuses a NUL inside a string.
 * DESIGN.md, "Events", has the rest.
 */
#ifndef FTPD_FORMATS_EVENT_REC_H
#define FTPD_FORMATS_EVENT_REC_H

#include <stddef.h>
#include <stdint.h>

enum ev_type {
	EV_LOGIN = 1,		/* a login succeeded */
	EV_LOGIN_FAILED,	/* one refused: user is the name tried */
	EV_LOGOUT,		/* a logged-in session ended; bytes: moved */
	EV_UPLOAD,		/* a STOR/APPE/STOU completed */
	EV_UPLOAD_ABORTED,	/* one ended incomplete (cut, ABOR, error) */
	EV_DOWNLOAD,		/* a RETR completed */
	EV_DELETE,		/* DELE */
	EV_RENAME,		/* RNFR+RNTO: path2/vpath2 the new name */
	EV_MKDIR,		/* MKD */
	EV_RMDIR,		/* RMD */
	EV_CHMOD,		/* SITE CHMOD */
	EV_QUOTA,		/* an upload refused room by the quota */
	EV_BAN,			/* the master banned client */
	EV_NTYPES
};

#define EV_ALL		(((1u << EV_NTYPES) - 1) & ~1u)
#define EV_BIT(t)	(1u << (t))

#define EV_USER_MAX	256	/* each maximum counts the NUL */
#define EV_CLIENT_MAX	64
#define EV_HOST_MAX	256
#define EV_PATH_MAX	4096
#define EV_NSTR		7
#define EV_HDR_LEN	(4 + 4 + 8 + 8 + 4 + 2 * EV_NSTR)
#define EV_WIRE_MAX	(EV_HDR_LEN + EV_USER_MAX + EV_CLIENT_MAX + \
			 EV_HOST_MAX + 4 * EV_PATH_MAX)
#define EV_MAGIC	0x46544576u	/* "vEtF" */

struct ev_rec {
	enum ev_type	type;
	uint64_t	bytes;
	int64_t		time;		/* seconds since the epoch */
	uint32_t	session;	/* the monitor's pid */
	char		user[EV_USER_MAX];
	char		client[EV_CLIENT_MAX];
	char		host[EV_HOST_MAX];	/* RFC 7151 HOST, or "" */
	char		path[EV_PATH_MAX];	/* on the server's file system */
	char		vpath[EV_PATH_MAX];	/* as the client saw it */
	char		path2[EV_PATH_MAX];	/* rename: the new name */
	char		vpath2[EV_PATH_MAX];
};

/* Encode r into out (at least EV_WIRE_MAX bytes).  The length, or 0 when
 * a string does not fit its field (the event is then not sent). */
size_t	ev_encode(const struct ev_rec *r, unsigned char *out, size_t outlen);
/* Decode len bytes into r.  0, or -1 for anything malformed. */
int	ev_decode(const unsigned char *in, size_t len, struct ev_rec *r);
/* The event's name ("upload", "login_failed"...), "?" out of range. */
const char *ev_type_name(enum ev_type t);
/* event_on: a list of names separated by commas and/or blanks, "all"
 * for every one.  0 with *mask, or -1 with the bad name in bad. */
int	ev_parse_mask(const char *list, unsigned *mask, char *bad,
	    size_t badlen);

#endif
