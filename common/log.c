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

static void
log_set_ident(const char *ident)
{
	if (ident == NULL || *ident == '\0')
		ident = program_invocation_short_name;
	(void)snprintf(log_ident, sizeof(log_ident), "%s", ident);
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

/* Write one escaped message to the current sink. */
static void
log_write(int level, const char *esc)
{
	char line[LOG_LINEMAX], ts[32];
	struct tm tm;
	time_t now;
	int n;
	ssize_t w;
	int fd;

	if (log_sink == SINK_SYSLOG) {
		if (log_prefix[0] != '\0')
			syslog(level, "%s %s", log_prefix, esc);
		else
			syslog(level, "%s", esc);
		return;
	}
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(ts, sizeof(ts), "-");
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s%s\n", ts,
	    log_ident[0] != '\0' ? log_ident : program_invocation_short_name,
	    (long)getpid(), log_prefix, log_prefix[0] != '\0' ? " " : "",
	    esc);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = log_sink == SINK_FILE && log_file != -1 ? log_file : STDERR_FILENO;
	/* One write per line so O_APPEND writers never interleave lines. */
	do {
		w = write(fd, line, (size_t)n);
	} while (w == -1 && errno == EINTR);
}

/* Escape msg and send it to the forwarder or the sink. */
static void
log_emit(int level, const char *msg)
{
	char esc[LOG_ESCMAX];
	int saved = errno;

	if (level > log_level)
		return;
	log_escape(msg, esc, sizeof(esc));
	if (log_fwd != NULL)
		log_fwd(level, esc, log_fwd_arg);
	else
		log_write(level, esc);
	errno = saved;
}

void
log_line(int level, const char *line)
{
	log_emit(level, line);
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSGMAX];

	if (level > log_level)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, msg);
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
