/*
 * log.c - levelled logging to syslog, stderr, a file, or a forwarding hook.
 *
 * Runs in every process.  Messages often carry client text (user names,
 * paths, command lines), so every control character is escaped as \xNN
 * before a line is written: a client can never start a new log line or
 * smuggle terminal escapes.  The escaping is idempotent (a backslash is
 * left alone), so lines forwarded by a chrooted process and escaped again by
 * the monitor come out unchanged.  Nothing here allocates memory, so fatal()
 * works even when malloc does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

/* Sanitizer reports go to stderr: such builds keep it (log_detach). */
#if defined(__SANITIZE_ADDRESS__)
#define LOG_KEEP_STDERR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define LOG_KEEP_STDERR 1
#endif
#endif

/*
 * Every process of every session logs, and these buffers live on its
 * stack: kept small, they cost each process two pages instead of five.
 * A line of mostly control bytes is cut short rather than escaped whole.
 */
#define LOG_MSGMAX	1024			/* formatted message */
#define LOG_ESCMAX	(LOG_MSGMAX * 2 + 1)	/* after \xNN escaping */
#define LOG_LINEMAX	(LOG_ESCMAX + 256)	/* with time, ident, prefix */

enum log_sink { SINK_STDERR, SINK_SYSLOG, SINK_FILE };

/* Process-wide logging state; set up before any session work starts. */
static enum log_sink log_sink = SINK_STDERR;
static int log_file = -1;
static int log_level = LOG_INFO;
static char log_ident[64] = "";
static char log_prefix[256] = "";
static void (*log_fwd)(int, const char *, void *);
static void *log_fwd_arg;
static volatile int log_in_fatal;
static int log_fatal_status = 1;
static int log_null = -1;	/* /dev/null, opened once for log_detach */
static int log_json;
static char log_client[64] = "";	/* an address: INET6_ADDRSTRLEN fits */
static char log_user[256] = "";
static long log_session;

/* The fields of one line beyond the message (log_event), NULL: the
 * process's own. */
struct log_ev {
	const char	*event, *client, *user;
};

static void
log_set_ident(const char *ident)
{
	if (ident == NULL || *ident == '\0')
		ident = program_invocation_short_name;
	(void)snprintf(log_ident, sizeof(log_ident), "%s", ident);
}

/* A reload that moves the log off syslog closes syslog's socket: kept,
 * every process forked afterwards would inherit it (log_detach closes it
 * only while syslog is the sink), and a session process could write any
 * line, under any name, to /dev/log through it. */
static void
log_leave_syslog(void)
{
	if (log_sink == SINK_SYSLOG)
		closelog();
}

int
log_open(const char *spec, const char *ident)
{
	int fd;

	if (spec == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(spec, "syslog") == 0) {
		log_set_ident(ident);
		/* openlog keeps the pointer: log_ident is static for that. */
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_FTP);
		if (log_file != -1)
			(void)close(log_file);
		log_file = -1;
		log_sink = SINK_SYSLOG;
		return 0;
	}
	if (strcmp(spec, "stderr") == 0) {
		log_set_ident(ident);
		log_leave_syslog();
		if (log_file != -1)
			(void)close(log_file);
		log_file = -1;
		log_sink = SINK_STDERR;
		return 0;
	}
	if (spec[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd == -1)
		return -1;
	log_set_ident(ident);
	log_leave_syslog();
	if (log_file != -1)
		(void)close(log_file);
	log_file = fd;
	log_sink = SINK_FILE;
	return 0;
}

void
log_set_prefix(const char *prefix)
{
	if (prefix == NULL)
		prefix = "";
	(void)snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
}

void
log_set_client(const char *addr)
{
	(void)snprintf(log_client, sizeof(log_client), "%s",
	    addr != NULL ? addr : "");
}

void
log_set_session(long id)
{
	log_session = id;
}

void
log_set_user(const char *user)
{
	(void)snprintf(log_user, sizeof(log_user), "%s",
	    user != NULL ? user : "");
}

void
log_set_json(int on)
{
	log_json = on;
}

void
log_set_level(int level)
{
	log_level = level;
}

void
log_set_forward(void (*fn)(int level, const char *line, void *arg), void *arg)
{
	log_fwd = fn;
	log_fwd_arg = arg;
}

int
log_fd(void)
{
	return log_sink == SINK_FILE ? log_file : -1;
}

void
log_set_fatal_status(int status)
{
	log_fatal_status = status >= 1 && status <= 255 ? status : 1;
}

void
log_std_prepare(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_NOCTTY)) != -1 &&
	    fd <= STDERR_FILENO)
		continue;
	log_null = fd;
}

void
log_detach(void)
{
	int fd = log_null;

	log_null = -1;
	if (log_sink == SINK_SYSLOG)
		closelog();
	if (log_file != -1)
		(void)close(log_file);
	log_file = -1;
	/* log=stderr (a journal), or the terminal of a foreground run. */
	if (fd == -1 && (fd = open("/dev/null", O_WRONLY | O_NOCTTY)) == -1)
		return;
	(void)dup2(fd, STDOUT_FILENO);
#ifndef LOG_KEEP_STDERR
	(void)dup2(fd, STDERR_FILENO);
#endif
	if (fd > STDERR_FILENO)
		(void)close(fd);
}

/* Copy in to out, escaping control characters; always NUL-terminates. */
static void
log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t o = 0;

	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			if (o + 5 > outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		} else {
			if (o + 2 > outlen)
				break;
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

/* One finished line (n bytes, ending in a newline) to the file or
 * stderr, or without its newline to syslog. */
static void
log_put(int level, const char *line, int n)
{
	ssize_t w;
	int fd;

	if (log_sink == SINK_SYSLOG) {
		syslog(level, "%.*s", n > 0 ? n - 1 : 0, line);
		return;
	}
	fd = log_sink == SINK_FILE && log_file != -1 ? log_file : STDERR_FILENO;
	/* One write per line so O_APPEND writers never interleave lines. */
	do {
		w = write(fd, line, (size_t)n);
	} while (w == -1 && errno == EINTR);
}

static void
log_time(char *ts, size_t len)
{
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(ts, len, "-");
}

static const char *
log_ident_name(void)
{
	return log_ident[0] != '\0' ? log_ident :
	    program_invocation_short_name;
}

/* The client of this line: the event's, else the process's ("": none). */
static const char *
log_client_of(const struct log_ev *ev)
{
	return ev != NULL && ev->client != NULL ? ev->client : log_client;
}

/* Append to line (of size len, n used) without overflowing; n stays
 * within len - 1. */
static size_t
log_add(char *line, size_t len, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (n + k >= len)
		k = n + 1 < len ? len - 1 - n : 0;
	memcpy(line + n, s, k);
	line[n + k] = '\0';
	return n + k;
}

/* Write one escaped message to the current sink as a text line:
 * "TIME IDENT[PID]: client=ADDR PREFIX msg" (syslog adds its own time
 * and ident). */
static void
log_write(int level, const char *esc, const struct log_ev *ev)
{
	char line[LOG_LINEMAX], ts[32];
	const char *client = log_client_of(ev);
	size_t n = 0;
	int k;

	line[0] = '\0';
	if (log_sink != SINK_SYSLOG) {
		log_time(ts, sizeof(ts));
		k = snprintf(line, sizeof(line), "%s %s[%ld]: ", ts,
		    log_ident_name(), (long)getpid());
		if (k < 0 || (size_t)k >= sizeof(line))
			return;
		n = (size_t)k;
	}
	if (client[0] != '\0') {
		n = log_add(line, sizeof(line), n, "client=");
		n = log_add(line, sizeof(line), n, client);
		n = log_add(line, sizeof(line), n, " ");
	}
	if (log_prefix[0] != '\0') {
		n = log_add(line, sizeof(line), n, log_prefix);
		n = log_add(line, sizeof(line), n, " ");
	}
	n = log_add(line, sizeof(line) - 1, n, esc);	/* room for \n */
	line[n++] = '\n';
	log_put(level, line, (int)n);
}

static const char *
log_level_name(int level)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
	    "warning", "notice", "info", "debug" };

	return level >= 0 && level <= LOG_DEBUG ? names[level] : "info";
}

/* v escaped for JSON into line (of size len, n used), leaving room for
 * keep more bytes; json_escape cuts only between whole characters. */
static size_t
log_json_add(char *line, size_t len, size_t n, const char *v, size_t keep)
{
	if (n + keep + 1 >= len)
		return n;
	return n + json_escape(v, strlen(v), line + n, len - n - keep);
}

/* ,"key":"value" with value escaped for JSON. */
static size_t
log_json_str(char *line, size_t len, size_t n, const char *key,
    const char *v)
{
	n = log_add(line, len, n, ",\"");
	n = log_add(line, len, n, key);
	n = log_add(line, len, n, "\":\"");
	n = log_json_add(line, len, n, v, 1);
	return log_add(line, len, n, "\"");
}

/*
 * The same message as one JSON object on one line, keys in a fixed
 * order: time, level, ident, pid, then session, client, user, event when
 * known, then msg (escaped for log lines first, so the two formats say
 * the same).  A message too long for the line is cut, never the object.
 */
static void
log_write_json(int level, const char *esc, const struct log_ev *ev)
{
	char line[LOG_LINEMAX + LOG_ESCMAX], ts[32], num[64];
	const char *client = log_client_of(ev);
	const char *user = ev != NULL && ev->user != NULL ? ev->user :
	    log_user;
	size_t n;

	log_time(ts, sizeof(ts));
	n = log_add(line, sizeof(line), 0, "{\"time\":\"");
	n = log_add(line, sizeof(line), n, ts);
	n = log_add(line, sizeof(line), n, "\"");
	n = log_json_str(line, sizeof(line), n, "level",
	    log_level_name(level));
	n = log_json_str(line, sizeof(line), n, "ident", log_ident_name());
	(void)snprintf(num, sizeof(num), ",\"pid\":%ld", (long)getpid());
	n = log_add(line, sizeof(line), n, num);
	if (log_session != 0) {
		(void)snprintf(num, sizeof(num), ",\"session\":%ld",
		    log_session);
		n = log_add(line, sizeof(line), n, num);
	}
	if (client[0] != '\0')
		n = log_json_str(line, sizeof(line), n, "client", client);
	if (user[0] != '\0')
		n = log_json_str(line, sizeof(line), n, "user", user);
	if (ev != NULL && ev->event != NULL)
		n = log_json_str(line, sizeof(line), n, "event", ev->event);
	n = log_add(line, sizeof(line), n, ",\"msg\":\"");
	/* What is left, less the closing quote, brace and newline. */
	n = log_json_add(line, sizeof(line), n, esc, 3);
	if (n > sizeof(line) - 4)	/* cannot happen: the fields are */
		n = sizeof(line) - 4;	/* far shorter than the line */
	line[n++] = '"';
	line[n++] = '}';
	line[n++] = '\n';
	log_put(level, line, (int)n);
}

/* Escape msg and send it to the forwarder or the sink. */
static void
log_emit(int level, const struct log_ev *ev, const char *msg)
{
	char esc[LOG_ESCMAX];
	int saved = errno;

	if (level > log_level)
		return;
	log_escape(msg, esc, sizeof(esc));
	if (log_fwd != NULL)
		log_fwd(level, esc, log_fwd_arg);
	else if (log_json)
		log_write_json(level, esc, ev);
	else
		log_write(level, esc, ev);
	errno = saved;
}

void
log_line(int level, const char *line)
{
	log_emit(level, NULL, line);
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSGMAX];

	if (level > log_level)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, NULL, msg);
}

void
log_event(int level, const char *event, const char *client,
    const char *user, const char *fmt, ...)
{
	struct log_ev ev = { event, client, user };
	char msg[LOG_MSGMAX];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(level, &ev, msg);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	/* A forwarder that fails may call fatal() again: do not recurse. */
	if (log_in_fatal)
		_exit(log_fatal_status);
	log_in_fatal = 1;
	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	_exit(log_fatal_status);
}
