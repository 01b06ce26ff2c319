/*
 * log.h - levelled logging to syslog, stderr, a file, or a forwarding hook.
 *
 * A process opens its sink before it chroots; chrooted processes install a
 * forwarder (log_set_forward) that sends lines to the monitor instead.
 * Control characters in messages are escaped so a client cannot forge lines.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>
#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */

/*
 * Open a sink: "syslog", "stderr", or an absolute file path (opened O_APPEND).
 * ident names the program in syslog and in stderr/file lines.
 * Returns 0 or -1 (errno set; the previous sink stays).
 */
int	log_open(const char *spec, const char *ident);
/* Text put before every message of this process, e.g. "[12345] 10.0.0.1". */
void	log_set_prefix(const char *prefix);
/*
 * The session's fields, for every line this process writes from now on
 * ("" or 0: none).  client is the client's address: in text lines it
 * comes first, as "client=ADDR " before the prefix, so that it is in the
 * same place on every line (fail2ban anchors on it); in JSON it is the
 * "client" key.  session (the monitor's pid) and user are JSON keys only.
 */
void	log_set_client(const char *addr);
void	log_set_session(long id);
void	log_set_user(const char *user);
/* Lines as JSON objects, one per line, instead of text (log_format). */
void	log_set_json(int on);
/*
 * One line that is an event others act on (a failed login, a ban, a
 * refusal): event is a stable word (JSON key "event"); client and user,
 * when not NULL, are the line's own instead of the process's (the master
 * logs for many clients).  The text line is the same as log_msg's, with
 * client= in its place.
 */
void	log_event(int level, const char *event, const char *client,
	    const char *user, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Lines at or below this level are written (default LOG_INFO). */
void	log_set_level(int level);
/*
 * Instead of writing, hand each formatted, escaped message to fn (used by
 * chrooted processes to forward to the monitor).  The line is the message
 * only: no time, ident or prefix (the receiver's log_line adds its own).
 * Level filtering happens before fn is called.  NULL restores the sink.
 * Line format on stderr/file: "2026-11-23T15:00:00Z IDENT[PID]: client=ADDR
 * PREFIX msg" (UTC; client= only when set); syslog gets the same without
 * time and ident.  With log_set_json, one object per line: time, level,
 * ident, pid, and session, client, user, event when set, then msg.
 * Messages are cut at 2047 bytes.
 */
void	log_set_forward(void (*fn)(int level, const char *line, void *arg),
	    void *arg);
/* Write an already-formatted line at level (used by the monitor to write
 * lines forwarded to it; escapes again). */
void	log_line(int level, const char *line);
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(int level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Log at LOG_ERR and _exit with the fatal status (1 unless set below).
 * For broken invariants only. */
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* The exit status of fatal() from now on (1-255; others mean 1). */
void	log_set_fatal_status(int status);
/* File descriptor of the file sink, or -1 (so daemonising can keep it). */
int	log_fd(void);
/*
 * At start: give closed descriptors 0-2 /dev/null (else the next socket
 * would take the number, and writes to stdout or stderr would hit it),
 * and keep one more /dev/null for log_detach, so session processes need
 * not open it each.
 */
void	log_std_prepare(void);
/*
 * For a process whose lines go to a forwarder and that will run with
 * less privilege: close the log file and the syslog socket, and point
 * stdout and stderr at /dev/null (call before chroot), so it cannot
 * write lines of its own into the server's log.  Sanitizer builds keep
 * stderr, where their reports go.
 */
void	log_detach(void);

#endif
