/*
 * evsend.c - send one event record to the runner (see evsend.h).
 *
 * Runs as root in the master and the monitors, on values they own: the
 * user, client, host and session are the monitor's, never taken from a
 * role process; only the paths of MON_EVENT come from the user process,
 * bounded and placed beneath the session's root here.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "priv/evsend.h"

#define DROP_LOG_EVERY	10	/* seconds between two "dropped" lines */

int evsend_fd = -1;

static unsigned long long dropped, dropped_logged;
static time_t last_log;

static void
note_drop(const char *why)
{
	time_t now = time(NULL);

	dropped++;
	if (last_log != 0 && now - last_log < DROP_LOG_EVERY)
		return;
	last_log = now;
	log_msg(LOG_WARNING, "events: %llu event(s) dropped (%s; %llu in "
	    "all)", dropped - dropped_logged, why, dropped);
	dropped_logged = dropped;
}

void
evsend(struct ev_rec *r)
{
	/* Static: 17 KiB the monitor should not carry on its stack, and
	 * every sender is single-threaded. */
	static unsigned char wire[EV_WIRE_MAX];
	size_t n;

	if (evsend_fd == -1)
		return;
	r->time = (int64_t)time(NULL);
	n = ev_encode(r, wire, sizeof(wire));
	if (n == 0) {
		note_drop("a field too long");
		return;
	}
	if (send(evsend_fd, wire, n, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    (ssize_t)n)
		return;
	note_drop(errno == EAGAIN || errno == ENOBUFS ? "the runner's "
	    "channel is full" : "the runner's channel is closed");
}

unsigned long long
evsend_dropped(void)
{
	return dropped;
}

void
evsend_close(void)
{
	if (evsend_fd != -1)
		(void)close(evsend_fd);
	evsend_fd = -1;
}

/* A "." or ".." component: the user process sends its paths resolved,
 * so one that has either is forged, and "/../../etc/shadow" placed after
 * the root would name a file outside it in FTPD_PATH. */
static int
has_dot_part(const char *p)
{
	size_t n;

	for (;;) {
		p += strspn(p, "/");
		if (*p == '\0')
			return 0;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		p += n;
	}
}

int
evsend_path(const char *root, const char *vpath, char *out, size_t outlen)
{
	size_t rl = strlen(root);
	int n;

	/* "/home/u/" + "/f": one slash between; "/" + "/f": "/f". */
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (vpath[0] != '/' || has_dot_part(vpath))
		return -1;
	if (strcmp(vpath, "/") == 0)
		n = rl == 0 ? snprintf(out, outlen, "/") :
		    snprintf(out, outlen, "%.*s", (int)rl, root);
	else
		n = snprintf(out, outlen, "%.*s%s", (int)rl, root, vpath);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
