/*
 * sessionlog.c - xferlog lines and the scoreboard record of one session.
 *
 * Runs in the monitor.  Paths and user names arrive from unprivileged
 * processes: control characters and spaces are replaced so that a file
 * name cannot forge or break a log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "formats/scoreboard.h"
#include "priv/sessionlog.h"

static int xferlog_fd = -1;
static time_t scoreboard_since;
static pid_t scoreboard_pid;
static int scoreboard_fd = -1;

int
xferlog_open(void)
{
	int fd;

	if (cfg->xferlog[0] == '\0')
		return 0;
	fd = open(cfg->xferlog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (fd == -1) {
		log_msg(LOG_ERR, "xferlog %s: %s", cfg->xferlog,
		    strerror(errno));
		return -1;	/* a reopen keeps the old file */
	}
	if (xferlog_fd != -1)
		(void)close(xferlog_fd);
	xferlog_fd = fd;
	return 0;
}

/* Copy s into out with control bytes made '_', and blanks too unless
 * keep_blank (xferlog fields are separated by blanks; a scoreboard line
 * ends only at its newline). */
static void
sanitize(const char *s, char *out, size_t outlen, int keep_blank)
{
	unsigned char c;
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++) {
		c = (unsigned char)s[i];
		out[i] = c < ' ' || c == 0x7f || (c == ' ' && !keep_blank) ?
		    '_' : s[i];
	}
	out[i] = '\0';
}

void
xferlog_close(void)
{
	if (xferlog_fd != -1)
		(void)close(xferlog_fd);
	xferlog_fd = -1;
}

void
xferlog_write(const char *peer_ip, const char *path, uint64_t bytes,
    uint64_t ms, char type, char direction, int anonymous, const char *user,
    char complete)
{
	char line[8192], when[64], p[4096], u[256];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (xferlog_fd == -1)
		return;
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return;
	sanitize(path, p, sizeof(p), 0);
	sanitize(user, u, sizeof(u), 0);
	n = snprintf(line, sizeof(line),
	    "%s %llu %s %llu %s %c _ %c %c %s ftp 0 * %c\n", when,
	    (unsigned long long)((ms + 999) / 1000), peer_ip,
	    (unsigned long long)bytes, p, type == 'A' ? 'a' : 'b',
	    direction, anonymous ? 'a' : 'r', u, complete);
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(xferlog_fd, line, (size_t)n) != n)
		log_msg(LOG_WARNING, "xferlog write: %s", strerror(errno));
}

/*
 * The record (formats/scoreboard.h) is rewritten in place, padded with
 * newlines to a fixed size, so one pwrite replaces it whole: no temporary
 * file, rename or truncate per transfer (that cost ~100 us of ext4
 * metadata work per small file).  The fd is opened at the first update,
 * after the monitor's last fork, so no unprivileged child ever holds it.
 * ftpwho ignores blank lines.
 */
void
scoreboard_update(const char *peer_ip, const char *user, const char *state,
    const char *cmd, uint64_t bytes, const struct scoreboard_xfer *x)
{
	char path[4096], text[SCOREBOARD_RECORD_SIZE];
	char u[SCOREBOARD_VALUE_MAX], c[SCOREBOARD_VALUE_MAX];
	char xs[24] = "";
	int n, m;

	if (scoreboard_since == 0) {
		scoreboard_since = time(NULL);
		scoreboard_pid = getpid();
	}
	sanitize(user, u, sizeof(u), 0);
	sanitize(cmd, c, sizeof(c), 1);
	n = snprintf(text, sizeof(text),
	    SCOREBOARD_LINE(SCOREBOARD_PID, "%ld")
	    SCOREBOARD_LINE(SCOREBOARD_PEER, "%s")
	    SCOREBOARD_LINE(SCOREBOARD_USER, "%s")
	    SCOREBOARD_LINE(SCOREBOARD_STATE, "%s")
	    SCOREBOARD_LINE(SCOREBOARD_SINCE, "%lld")
	    SCOREBOARD_LINE(SCOREBOARD_CMD, "%s")
	    SCOREBOARD_LINE(SCOREBOARD_BYTES, "%llu"),
	    (long)scoreboard_pid, peer_ip, u, state,
	    (long long)scoreboard_since, c, (unsigned long long)bytes);
	if (n <= 0 || (size_t)n >= sizeof(text))
		return;
	if (x != NULL) {
		if (x->size_known)
			(void)snprintf(xs, sizeof(xs), "%llu",
			    (unsigned long long)x->size);
		m = snprintf(text + n, sizeof(text) - (size_t)n,
		    SCOREBOARD_LINE(SCOREBOARD_XBYTES, "%llu")
		    SCOREBOARD_LINE(SCOREBOARD_XSIZE, "%s")
		    SCOREBOARD_LINE(SCOREBOARD_XRATE, "%llu"),
		    (unsigned long long)x->bytes, xs,
		    (unsigned long long)x->rate);
		if (m <= 0 || (size_t)m >= sizeof(text) - (size_t)n)
			return;
		n += m;
	}
	memset(text + n, SCOREBOARD_EOL[0], sizeof(text) - (size_t)n);
	if (scoreboard_fd == -1) {
		if (snprintf(path, sizeof(path), "%s/%ld" SCOREBOARD_SUFFIX,
		    cfg->run_dir, (long)scoreboard_pid) >= (int)sizeof(path))
			return;
		scoreboard_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC | O_NOFOLLOW, 0644);
		if (scoreboard_fd == -1)
			return;	/* run_dir missing: ftpwho shows nothing */
	}
	if (pwrite(scoreboard_fd, text, sizeof(text), 0) !=
	    (ssize_t)sizeof(text)) {
		/* A record ftpwho may misread: drop it rather than keep it. */
		(void)close(scoreboard_fd);
		scoreboard_fd = -1;
		scoreboard_remove();
	}
}

void
scoreboard_remove(void)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%ld" SCOREBOARD_SUFFIX,
	    cfg->run_dir, (long)(scoreboard_pid != 0 ? scoreboard_pid :
	    getpid())) < (int)sizeof(path))
		(void)unlink(path);
}
