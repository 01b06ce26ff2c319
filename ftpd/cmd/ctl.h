/*
 * ctl.h - the control connection: reading command lines, writing replies.
 *
 * Runs in the front (before login) and the user process (after).  Input is
 * hostile: lines are capped at CTL_LINE_MAX bytes (overlong lines are
 * dropped whole and answered 500), Telnet IAC sequences are stripped, NUL
 * bytes are rejected, a bare LF ends a line like CRLF.
 */
#ifndef FTPD_CTL_H
#define FTPD_CTL_H

#include <stddef.h>

struct session;
struct buf;

enum ctl_read {
	CTL_LINE = 1,		/* a line is in *line (no CRLF, no IAC) */
	CTL_EOF = 0,		/* client closed */
	CTL_TIMEOUT = -1,	/* nothing within timeout_ms */
	CTL_ERROR = -2,		/* read error */
	CTL_TOOLONG = -3,	/* line over CTL_LINE_MAX dropped; 500 sent */
	CTL_BADLINE = -4,	/* NUL in line; 500 sent */
	CTL_SHUTDOWN = -5,	/* the server is stopping (shutdown.h) */
};

/*
 * Read the next command line (from s->ctl_in first, then the connection),
 * waiting at most timeout_ms.  line is reset and receives the text.
 */
enum ctl_read ctl_read_line(struct session *s, struct buf *line,
	    int timeout_ms);
/*
 * Take one complete line off the front of in, if there is one.  Pure
 * (unit-tested): strips IAC sequences, CRLF or LF.  Returns CTL_LINE,
 * CTL_TIMEOUT when no full line is buffered yet, CTL_TOOLONG when the
 * buffered line exceeds CTL_LINE_MAX (it is consumed; if its end has not
 * arrived yet *discarding is set so the rest is dropped as it arrives), or
 * CTL_BADLINE for a NUL.
 */
enum ctl_read ctl_take_line(struct buf *in, struct buf *line, int *discarding);

/* Longest verb accepted; anything longer is not a command. */
#define CMD_VERB_MAX	8

/*
 * Split a command line into verb (upper-cased, at most verblen-1 letters,
 * never more than CMD_VERB_MAX) and argument (the text after the first
 * space; NULL when none).  Pure.  Here rather than in cmd.c because
 * ctl_check_abort must tell ABOR and STAT from other lines while a
 * transfer runs, and the dispatcher already depends on this file.
 * Returns 0, or -1 when the verb is empty, too long or not letters.
 */
int	cmd_parse(const char *line, char *verb, size_t verblen,
	    const char **arg);
/*
 * Send a reply.  fmt's text may contain '\n': then a multi-line reply is
 * formatted ("code-first", " middle", "code last").  CR and other control
 * characters in the text are replaced, so client-supplied names cannot
 * inject reply lines.  Write errors end the session (s->quit).
 */
void	reply(struct session *s, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Format a reply into out (appends).  Pure; used by reply().  0 or -1. */
int	reply_format(struct buf *out, int code, const char *text);
/* Send raw bytes (already formatted reply lines) on the control channel,
 * each 0xFF as Telnet's IAC IAC.  0 or -1 (and s->quit set). */
int	ctl_write(struct session *s, const void *p, size_t n);
/*
 * on: send what is held, then hold the replies written from now on (a
 * small download's 150) instead of sending them; off: stop holding
 * (what is held stays held).  Held replies go out with the next reply
 * written (the 226 of a small file: one write, one wake-up for the
 * client) or at ctl_flush.  Whoever holds must flush before waiting on
 * the client: xfer_wait and ctl_read_line do.
 */
void	ctl_hold(struct session *s, int on);
/* Send a held reply now.  0 or -1 (and s->quit set). */
int	ctl_flush(struct session *s);
/* Zero the spent part of the input buffer, past the unread bytes (it
 * may have held a password). */
void	ctl_wipe_spent(struct session *s);
/* Append p to out in a 257-style quoted form: '"' doubled, CR/LF -> '?'. */
int	ctl_quote_path(struct buf *out, const char *p);
/*
 * During a transfer: read whatever control bytes are available without
 * blocking; answer STAT with progress; return 1 if ABOR arrived (consumed),
 * 0 if not, -1 if the control connection is gone.  Other commands stay
 * queued in s->ctl_in for after the transfer.
 */
int	ctl_check_abort(struct session *s);

#endif
