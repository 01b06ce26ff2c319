/*
 * ctl.c - the control connection: command lines in, replies out.
 *
 * Runs in the front (before login, possibly over TLS) and in the user
 * process (after login, on the socket or the front's relay).  Every input
 * byte is hostile: lines are bounded by CTL_LINE_MAX, Telnet IAC sequences
 * are stripped, NUL bytes reject the line, and the buffer of unparsed input
 * is bounded by s->ctl_in's maximum.  Reply text is sanitised so names
 * chosen by the client can never start a reply line of their own.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/net.h"
#include "common/xmalloc.h"
#include "config.h"
#include "cmd/ctl.h"
#include "session.h"
#include "shutdown.h"
#include "tls/tls.h"

#define TELNET_IAC	255
#define TELNET_DONT	254
#define TELNET_WILL	251

#define CTL_READ_CHUNK	4096
/* Bytes of reply text reply() formats at most (names are <= 4096). */
#define CTL_REPLY_MAX	16384
/* ctl_check_abort reads at most this many chunks per call. */
#define CTL_ABORT_READS	16

/* Milliseconds on a monotonic clock. */
/* Drop input up to and including the next LF; 1 when found. */
static int
discard_to_lf(struct buf *in)
{
	unsigned char *lf;

	lf = in->len > 0 ? memchr(in->data, '\n', in->len) : NULL;
	if (lf == NULL) {
		buf_reset(in);
		return 0;
	}
	buf_consume(in, (size_t)(lf - in->data) + 1);
	return 1;
}

/* The line being built is over the limit: drop it, as far as it goes. */
static enum ctl_read
take_overlong(struct buf *in, struct buf *line, int *discarding)
{
	buf_reset(line);
	if (!discard_to_lf(in))
		*discarding = 1;
	return CTL_TOOLONG;
}

/* Finish a line ending at the LF in->data[i]. */
static enum ctl_read
take_end(struct buf *in, struct buf *line, size_t i, int bad)
{
	buf_consume(in, i + 1);
	if (line->len > 0 && line->data[line->len - 1] == '\r')
		buf_truncate(line, line->len - 1);
	if (line->len > CTL_LINE_MAX) {
		buf_reset(line);
		return CTL_TOOLONG;
	}
	if (bad) {
		buf_reset(line);
		return CTL_BADLINE;
	}
	(void)buf_cstr(line);
	return CTL_LINE;
}

enum ctl_read
ctl_take_line(struct buf *in, struct buf *line, int *discarding)
{
	const unsigned char *d;
	size_t i = 0;
	int bad = 0, c;

	buf_reset(line);
	if (*discarding) {
		if (!discard_to_lf(in))
			return CTL_TIMEOUT;
		*discarding = 0;
	}
	d = in->data;
	while (i < in->len) {
		c = d[i];
		if (c == '\n')
			return take_end(in, line, i, bad);
		if (c == TELNET_IAC) {
			if (i + 1 >= in->len)
				break;		/* wait for the command byte */
			if (d[i + 1] == TELNET_IAC) {
				c = TELNET_IAC;
				i++;
			} else if (d[i + 1] >= TELNET_WILL &&
			    d[i + 1] <= TELNET_DONT) {
				if (i + 2 >= in->len)
					break;	/* wait for the option */
				i += 3;
				continue;
			} else {
				i += 2;
				continue;
			}
		}
		if (c == '\0')
			bad = 1;
		/* One byte of slack for the CR of CRLF. */
		if (line->len > CTL_LINE_MAX || buf_putc(line, c) == -1) {
			buf_consume(in, i);
			return take_overlong(in, line, discarding);
		}
		i++;
	}
	buf_reset(line);
	if (in->max > 0 && in->len >= in->max) {
		/* Full of IAC noise without a line end: give up on it. */
		buf_reset(in);
		*discarding = 1;
		return CTL_TOOLONG;
	}
	return CTL_TIMEOUT;
}

int
cmd_parse(const char *line, char *verb, size_t verblen, const char **arg)
{
	size_t i;
	char c;

	*arg = NULL;
	for (i = 0; line[i] != '\0' && line[i] != ' '; i++) {
		c = line[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return -1;
		if (i + 1 >= verblen || i >= CMD_VERB_MAX)
			return -1;
		verb[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	if (i == 0)
		return -1;
	verb[i] = '\0';
	if (line[i] == ' ' && line[i + 1] != '\0')
		*arg = line + i + 1;
	return 0;
}

static int	ctl_send(struct session *, const void *, size_t);

/* Read what is there (after poll said so) into s->ctl_in.  >0, 0 EOF,
 * -1 error, -2 nothing after all (EAGAIN/EINTR). */
static ssize_t
ctl_fill(struct session *s)
{
	unsigned char *p;
	ssize_t n;

	p = buf_reserve(&s->ctl_in, CTL_READ_CHUNK);
	if (p == NULL) {
		/* Full: take_line will drop it as overlong. */
		errno = ENOBUFS;
		return -1;
	}
	if (s->ctl_tls != NULL)
		n = tls_read(s->ctl_tls, p, CTL_READ_CHUNK);
	else
		n = read(s->ctl_fd, p, CTL_READ_CHUNK);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? -2 : -1;
	buf_commit(&s->ctl_in, (size_t)n);
	return n;
}

/* Wait for control input until deadline (ms, monotonic).  1, 0, -1. */
static int
ctl_wait(struct session *s, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int r;

	if (s->ctl_tls != NULL && tls_pending(s->ctl_tls) > 0)
		return 1;
	left = deadline - clock_ms();
	if (left <= 0)
		return 0;
	pfd.fd = s->ctl_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
	if (r == -1)
		return errno == EINTR ? 0 : -1;
	return r;
}

/*
 * Overlong and NUL lines are answered 500 here and reading goes on, so
 * callers only ever see CTL_LINE, CTL_EOF, CTL_TIMEOUT or CTL_ERROR.
 */
enum ctl_read
ctl_read_line(struct session *s, struct buf *line, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	enum ctl_read r;
	ssize_t n;
	int w;

	for (;;) {
		r = ctl_take_line(&s->ctl_in, line, &s->ctl_discard);
		if (r == CTL_LINE)
			return r;
		if (r == CTL_TOOLONG)
			reply(s, 500, "Command line too long.");
		else if (r == CTL_BADLINE)
			reply(s, 500, "Invalid character in command.");
		if (s->quit)
			return CTL_ERROR;
		if (r != CTL_TIMEOUT)
			continue;
		/* Never wait for the client with a reply still held. */
		if (ctl_flush(s) == -1)
			return CTL_ERROR;
		w = ctl_wait(s, deadline);
		if (shutdown_requested)
			return CTL_SHUTDOWN;
		if (w == 0) {
			if (clock_ms() < deadline)
				continue;	/* a signal, not the timeout */
			return CTL_TIMEOUT;
		}
		if (w < 0)
			return CTL_ERROR;
		n = ctl_fill(s);
		if (n == 0)
			return CTL_EOF;
		if (n == -1)
			return CTL_ERROR;
	}
}

int
reply_format(struct buf *out, int code, const char *text)
{
	const char *p = text, *nl;
	size_t len, i, orig = out->len;
	int first = 1, last, c;

	if (code < 100 || code > 999)
		return -1;
	len = strlen(text);
	if (len > 0 && text[len - 1] == '\n')
		len--;
	for (;;) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		last = nl == NULL;
		if (last)
			nl = text + len;
		if (first || last) {
			if (buf_appendf(out, "%d%c", code, last ? ' ' : '-')
			    == -1)
				goto fail;
		} else if (p == nl || *p != ' ') {
			if (buf_putc(out, ' ') == -1)
				goto fail;
		}
		for (i = 0; p + i < nl; i++) {
			c = (unsigned char)p[i];
			if (c < 0x20 || c == 0x7f)
				c = '?';
			if (buf_putc(out, c) == -1)
				goto fail;
		}
		if (buf_puts(out, "\r\n") == -1)
			goto fail;
		if (last)
			return 0;
		p = nl + 1;
		first = 0;
	}
fail:
	buf_truncate(out, orig);
	return -1;
}

/*
 * The text goes to the heap, not the stack: a 16 KiB frame here pushed
 * everything called below it four pages deeper, pages each idle session
 * then kept.
 */
void
reply(struct session *s, int code, const char *fmt, ...)
{
	struct buf out;
	char *text;
	va_list ap;
	int n;

	text = xmalloc(CTL_REPLY_MAX);
	va_start(ap, fmt);
	n = vsnprintf(text, CTL_REPLY_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	buf_init(&out, CTL_REPLY_MAX * 2 + 64);
	if (reply_format(&out, code, text) == 0)
		(void)ctl_write(s, out.data, out.len);
	buf_free(&out);
	free(text);
}

/* TLS writes: tls_write like write(2), waiting for writability. */
static int
ctl_write_tls(struct session *s, const unsigned char *p, size_t n,
    int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	ssize_t w;
	int left;

	while (n > 0) {
		w = tls_write(s->ctl_tls, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return -1;
		left = (int)(deadline - clock_ms());
		if (left <= 0 || net_wait(s->ctl_fd, POLLOUT, left) != 1)
			return -1;
	}
	return 0;
}

void
ctl_wipe_spent(struct session *s)
{
	if (s->ctl_in.data != NULL)
		explicit_bzero(s->ctl_in.data + s->ctl_in.len,
		    s->ctl_in.cap - s->ctl_in.len);
}

void
ctl_hold(struct session *s, int on)
{
	if (on)
		(void)ctl_flush(s);
	s->ctl_hold = on;
}

int
ctl_flush(struct session *s)
{
	int r;

	if (s->ctl_held.len == 0)
		return 0;
	r = ctl_send(s, s->ctl_held.data, s->ctl_held.len);
	buf_reset(&s->ctl_held);
	return r;
}

/*
 * Held replies go out with this one, in one write (or first, alone, if
 * both would not fit the buffer); while holding, this one is held too.
 */
int
ctl_write(struct session *s, const void *p, size_t n)
{
	int r;

	if (s->ctl_held.len == 0 && !s->ctl_hold)
		return ctl_send(s, p, n);
	if (buf_append(&s->ctl_held, p, n) == 0)
		return s->ctl_hold ? 0 : ctl_flush(s);
	if ((r = ctl_flush(s)) == 0)
		r = ctl_send(s, p, n);
	return r;
}

static int
ctl_send(struct session *s, const void *p, size_t n)
{
	const unsigned char *src = p;
	unsigned char *twice = NULL;
	size_t i, m;
	int timeout_ms, r;

	/*
	 * The control connection is a Telnet stream (RFC 959 4.1, RFC 854):
	 * a 0xFF byte in a reply, e.g. in a Latin-1 file name, is sent as
	 * IAC IAC, or the client takes it for a command.  Rare: one scan.
	 */
	if (memchr(src, TELNET_IAC, n) != NULL) {
		twice = xmalloc(2 * n);
		for (i = m = 0; i < n; i++) {
			twice[m++] = src[i];
			if (src[i] == TELNET_IAC)
				twice[m++] = TELNET_IAC;
		}
		src = twice;
		n = m;
	}
	timeout_ms = cfg != NULL ? (int)cfg->idle_timeout * 1000 : 300000;
	if (s->ctl_fd < 0)
		r = -1;
	else if (s->ctl_tls != NULL)
		r = ctl_write_tls(s, src, n, timeout_ms);
	else
		r = net_write_all(s->ctl_fd, src, n, timeout_ms);
	free(twice);
	if (r == -1)
		s->quit = 1;
	return r;
}

int
ctl_quote_path(struct buf *out, const char *p)
{
	size_t orig = out->len;
	int r = 0;

	for (; *p != '\0' && r == 0; p++) {
		if (*p == '"')
			r = buf_puts(out, "\"\"");
		else if (*p == '\r' || *p == '\n')
			r = buf_putc(out, '?');
		else
			r = buf_putc(out, (unsigned char)*p);
	}
	if (r == -1)
		buf_truncate(out, orig);
	return r;
}

/* Re-encode a kept line for s->ctl_in: 0xFF doubled, LF appended (a
 * bare LF ends a line too, and the text never outgrows what it came
 * from, so the queue always fits back into the buffer). */
static int
keep_line(struct buf *keep, const struct buf *line)
{
	size_t i;

	for (i = 0; i < line->len; i++) {
		if (line->data[i] == TELNET_IAC && buf_putc(keep, TELNET_IAC))
			return -1;
		if (buf_putc(keep, line->data[i]) == -1)
			return -1;
	}
	return buf_putc(keep, '\n');
}

/* STAT without argument during a transfer: 213 with the progress. */
static void
reply_progress(struct session *s)
{
	if (s->xfer_total >= 0)
		reply(s, 213, "Status: transfer in progress\n"
		    "%s: %lld of %lld bytes\nEnd of status",
		    s->xfer_what, (long long)s->xfer_done,
		    (long long)s->xfer_total);
	else
		reply(s, 213, "Status: transfer in progress\n"
		    "%s: %lld bytes\nEnd of status",
		    s->xfer_what, (long long)s->xfer_done);
}

/* Read available control bytes without blocking.  0, or -1 when gone. */
static int
abort_fill(struct session *s)
{
	struct pollfd pfd;
	ssize_t n;
	int i;

	for (i = 0; i < CTL_ABORT_READS; i++) {
		if (s->ctl_tls == NULL || tls_pending(s->ctl_tls) <= 0) {
			pfd.fd = s->ctl_fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, 0) != 1)
				return 0;
		}
		n = ctl_fill(s);
		if (n == 0)
			return -1;
		if (n == -1)
			return errno == ENOBUFS ? 0 : -1;
		if (n == -2)
			return 0;
	}
	return 0;
}

/* Is line "ABOR" (1), "STAT" with no argument (2), or something else. */
static int
abort_kind(const char *line)
{
	char verb[CMD_VERB_MAX + 1];
	const char *arg;

	if (cmd_parse(line, verb, sizeof(verb), &arg) == -1)
		return 0;
	if (strcmp(verb, "ABOR") == 0)
		return 1;
	if (strcmp(verb, "STAT") == 0 && arg == NULL)
		return 2;
	return 0;
}

/*
 * Complete lines other than ABOR and STAT are re-queued, in order, in
 * front of whatever incomplete input follows them.
 */
int
ctl_check_abort(struct session *s)
{
	struct buf line, keep;
	enum ctl_read r;
	int gone, kind = 0, disc = 0;

	gone = abort_fill(s);
	buf_init(&line, CTL_LINE_MAX + 2);
	buf_init(&keep, s->ctl_in.max);
	while (s->ctl_in.len > 0 &&
	    memchr(s->ctl_in.data, '\n', s->ctl_in.len) != NULL) {
		r = ctl_take_line(&s->ctl_in, &line, &disc);
		if (r == CTL_TIMEOUT)
			break;
		if (r == CTL_TOOLONG || r == CTL_BADLINE) {
			reply(s, 500, r == CTL_TOOLONG ?
			    "Command line too long." :
			    "Invalid character in command.");
			continue;
		}
		kind = abort_kind(buf_cstr(&line));
		if (kind == 1)
			break;
		if (kind == 2)
			reply_progress(s);
		else if (keep_line(&keep, &line) == -1)
			break;	/* cannot happen: kept text never grows */
	}
	/* The kept lines, then what was not looked at: no longer than what
	 * ctl_in held, so it fits back. */
	if (keep.len > 0) {
		if (buf_append(&keep, s->ctl_in.data, s->ctl_in.len) == 0) {
			buf_reset(&s->ctl_in);
			(void)buf_append(&s->ctl_in, keep.data, keep.len);
		}
		disc = 0;
	}
	if (disc)
		s->ctl_discard = 1;
	buf_free(&line);
	buf_free(&keep);
	if (kind == 1)
		return 1;
	return gone == -1 || s->quit ? -1 : 0;
}
