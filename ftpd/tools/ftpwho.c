/*
 * ftpwho.c - list the live sessions of ftpd from its scoreboard, watch
 * them, and end one.
 *
 *	ftpwho [-d RUN_DIR] [--json] [--watch [SECONDS] [-n COUNT]]
 *	ftpwho [-d RUN_DIR] -k PID|USER
 *
 * Run by an administrator.  The monitor of each session keeps one file,
 * RUN_DIR/<pid>.sess, of "key=value" lines (formats/scoreboard.h).  The
 * files are written by root, but user and cmd are client text, so every
 * value is bounded, printed with non-printable bytes replaced (text) or
 * escaped (JSON), and files whose process is gone are skipped as stale.
 *
 * -k signals the session's monitor (SIGUSR1), which has its session
 * answer 421 and end (priv/monitor.c); only root can signal a monitor,
 * and ftpwho signals only a process that is the one that wrote the
 * record (it started before the session did), through a pidfd, so a
 * stale record whose pid was reused is never a way to signal another
 * process.
 *
 * Built apart from the daemon, this file includes only common/ headers and
 * formats/scoreboard.h, where the record it shares with ftpd's writer
 * (priv/sessionlog.c) is written down once.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "formats/scoreboard.h"

#define SESSIONS_MAX	1000000		/* bound on the directory walk */
#define PID_MAX_LINUX	4194304		/* PID_MAX_LIMIT: bounds <pid>.sess */
#define WATCH_MAX_S	86400		/* --watch SECONDS at most */
#define COUNT_MAX	1000000000ULL	/* -n COUNT at most */
#define KILL_WAIT_MS	10000		/* -k: how long a session has to end */
#define KILL_POLL_MS	50
#define BAR_WIDTH	20		/* the progress bar's cells */
#define STAT_MAX	4096		/* /proc/PID/stat, read this far */

/* A number of the record, and whether the record had it. */
struct num {
	unsigned long long	 v;
	int			 set;
};

struct sess {
	unsigned long long	 pid;
	struct num		 since, bytes, xbytes, xsize, xrate;
	/* Raw values (bounded): escaped for JSON, cleaned for text. */
	char			*peer, *user, *state, *cmd;
};

static void
usage(void)
{
	fprintf(stderr, "usage: ftpwho [-d run_dir] [--json] "
	    "[--watch [seconds] [-n count]]\n"
	    "       ftpwho [-d run_dir] -k pid|user\n");
	exit(1);
}

/* Replace anything unprintable so a client's user name or command cannot
 * drive the administrator's terminal. */
static void
clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* Is the key of klen bytes at line this one? */
static int
key_is(const char *line, size_t klen, const char *key)
{
	return klen == strlen(key) && memcmp(line, key, klen) == 0;
}

static void
record_num(struct num *n, const char *v, size_t vlen)
{
	n->set = vlen > 0 && parse_uint_n(v, vlen, 0, (unsigned long long)-1,
	    &n->v) == 0;
}

/* Set one field of se from a "key=value" line of n bytes. */
static void
record_field(struct sess *se, const char *line, size_t n)
{
	const char *eq = memchr(line, SCOREBOARD_SEP[0], n);
	const char *v;
	size_t klen, vlen;
	char **dst = NULL;

	if (eq == NULL)
		return;
	klen = (size_t)(eq - line);
	v = eq + 1;
	vlen = n - klen - 1;
	if (vlen > SCOREBOARD_VALUE_MAX)
		vlen = SCOREBOARD_VALUE_MAX;
	if (key_is(line, klen, SCOREBOARD_SINCE))
		record_num(&se->since, v, vlen);
	else if (key_is(line, klen, SCOREBOARD_BYTES))
		record_num(&se->bytes, v, vlen);
	else if (key_is(line, klen, SCOREBOARD_XBYTES))
		record_num(&se->xbytes, v, vlen);
	else if (key_is(line, klen, SCOREBOARD_XSIZE))
		record_num(&se->xsize, v, vlen);
	else if (key_is(line, klen, SCOREBOARD_XRATE))
		record_num(&se->xrate, v, vlen);
	else if (key_is(line, klen, SCOREBOARD_PEER))
		dst = &se->peer;
	else if (key_is(line, klen, SCOREBOARD_USER))
		dst = &se->user;
	else if (key_is(line, klen, SCOREBOARD_STATE))
		dst = &se->state;
	else if (key_is(line, klen, SCOREBOARD_CMD))
		dst = &se->cmd;
	if (dst != NULL) {
		free(*dst);
		*dst = xstrndup(v, vlen);
	}
}

/* Read one record file (opened relative to dfd).  0, or -1 to skip. */
static int
read_record(int dfd, const char *name, struct sess *se)
{
	struct buf b;
	const char *p, *end, *nl;
	unsigned char *room;
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return -1;	/* ended while we looked */
	buf_init(&b, SCOREBOARD_RECORD_SIZE);
	room = buf_reserve(&b, SCOREBOARD_RECORD_SIZE);
	do {
		n = read(fd, room, SCOREBOARD_RECORD_SIZE);
	} while (n == -1 && errno == EINTR);
	(void)close(fd);
	if (n < 0) {
		buf_free(&b);
		return -1;
	}
	buf_commit(&b, (size_t)n);
	p = (const char *)b.data;
	end = p + b.len;
	while (p < end) {
		if ((nl = memchr(p, SCOREBOARD_EOL[0], (size_t)(end - p))) ==
		    NULL)
			nl = end;
		record_field(se, p, (size_t)(nl - p));
		p = nl + 1;
	}
	buf_free(&b);
	return 0;
}

/* Is this "<pid>.sess" for a process that still exists? */
static int
live_pid(const char *name, unsigned long long *pid)
{
	size_t n = strlen(name), sn = strlen(SCOREBOARD_SUFFIX);

	if (n <= sn || strcmp(name + n - sn, SCOREBOARD_SUFFIX) != 0 ||
	    parse_uint_n(name, n - sn, 1, PID_MAX_LINUX, pid) == -1)
		return 0;
	return kill((pid_t)*pid, 0) == 0 || errno == EPERM;
}

static int
by_pid(const void *a, const void *b)
{
	const struct sess *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void
free_sessions(struct sess *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].peer);
		free(v[i].user);
		free(v[i].state);
		free(v[i].cmd);
	}
	free(v);
}

/* The live sessions of dir, by pid; *np gets their number.  NULL with
 * errno when dir cannot be read. */
static struct sess *
load_sessions(const char *dir, size_t *np)
{
	struct sess *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*np = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while (n < SESSIONS_MAX && (de = readdir(d)) != NULL) {
		struct sess se;

		memset(&se, 0, sizeof(se));
		if (!live_pid(de->d_name, &se.pid) ||
		    read_record(dirfd(d), de->d_name, &se) == -1) {
			free(se.peer);
			free(se.user);
			free(se.state);
			free(se.cmd);
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = se;
	}
	(void)closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_pid);
	else if (v == NULL)
		v = xmalloc(1);		/* an empty list is not an error */
	*np = n;
	return v;
}

/* ---- text ------------------------------------------------------------ */

static const char *
orq(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* n bytes as a short human figure ("512 B", "3.2 MiB") into out. */
static void
human(unsigned long long n, char *out, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		(void)snprintf(out, len, "%llu B", n);
	else
		(void)snprintf(out, len, "%.1f %s", v, unit[u]);
}

/* Percent done, 0-100, of a transfer of known size. */
static unsigned
percent(const struct sess *se)
{
	unsigned long long b = se->xbytes.v, s = se->xsize.v;

	if (s == 0 || b >= s)
		return 100;
	/* b < s <= 2^62 (the monitor's bound): no overflow in b / (s/100)
	 * form either way. */
	return s > 1ULL << 50 ? (unsigned)(b / (s / 100)) :
	    (unsigned)(b * 100 / s);
}

/* "  1.2 MiB/64.0 MiB  2% [#...]  3.4 MiB/s" after the command of a
 * transfer with progress; nothing without. */
static void
print_progress(const struct sess *se)
{
	char b[32], s[32], r[32], bar[BAR_WIDTH + 1];
	unsigned pc, i, full;

	if (!se->xbytes.set)
		return;
	human(se->xbytes.v, b, sizeof(b));
	human(se->xrate.set ? se->xrate.v : 0, r, sizeof(r));
	if (!se->xsize.set) {
		printf("  %s  %s/s", b, r);
		return;
	}
	human(se->xsize.v, s, sizeof(s));
	pc = percent(se);
	full = pc * BAR_WIDTH / 100;
	for (i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < full ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	printf("  %s/%s %3u%% [%s] %s/s", b, s, pc, bar, r);
}

static void
print_sess(const struct sess *se)
{
	char since[32], *user, *peer, *state, *cmd;
	struct tm tm;
	time_t t = (time_t)se->since.v;

	if (!se->since.set || se->since.v == 0 ||
	    localtime_r(&t, &tm) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		(void)snprintf(since, sizeof(since), "-");
	user = xstrdup(orq(se->user));
	peer = xstrdup(orq(se->peer));
	state = xstrdup(orq(se->state));
	cmd = xstrdup(orq(se->cmd));
	clean(user);
	clean(peer);
	clean(state);
	clean(cmd);
	printf("%-7llu %-16s %-40s %-19s %-10s %s", se->pid, user, peer,
	    since, state, cmd);
	print_progress(se);
	putchar('\n');
	free(user);
	free(peer);
	free(state);
	free(cmd);
}

static void
print_text(const struct sess *v, size_t n)
{
	size_t i;

	printf("%-7s %-16s %-40s %-19s %-10s %s\n", "PID", "USER", "PEER",
	    "SINCE", "STATE", "COMMAND");
	for (i = 0; i < n; i++)
		print_sess(&v[i]);
}

/* ---- JSON ------------------------------------------------------------ */

static void
json_str(const char *key, const char *v, int last)
{
	char out[SCOREBOARD_VALUE_MAX * 6 + 1];

	if (v == NULL) {
		printf("\"%s\":null%s", key, last ? "" : ",");
		return;
	}
	(void)json_escape(v, strlen(v), out, sizeof(out));
	printf("\"%s\":\"%s\"%s", key, out, last ? "" : ",");
}

static void
json_num(const char *key, const struct num *n, int last)
{
	if (n->set)
		printf("\"%s\":%llu%s", key, n->v, last ? "" : ",");
	else
		printf("\"%s\":null%s", key, last ? "" : ",");
}

/*
 * One document: an array of sessions, every field of the record; the
 * transfer's progress as an object ("transfer") or null when none is
 * shown, with size and percent null when the size is not known.
 */
static void
print_json(const struct sess *v, size_t n)
{
	const struct sess *se;
	struct num pc;
	size_t i;

	putchar('[');
	for (i = 0; i < n; i++) {
		se = &v[i];
		printf("%s{\"pid\":%llu,", i > 0 ? "," : "", se->pid);
		json_str("user", se->user, 0);
		json_str("peer", se->peer, 0);
		json_num("since", &se->since, 0);
		json_str("state", se->state, 0);
		json_str("command", se->cmd != NULL && se->cmd[0] != '\0' ?
		    se->cmd : NULL, 0);
		json_num("bytes", &se->bytes, 0);
		if (!se->xbytes.set) {
			printf("\"transfer\":null}");
			continue;
		}
		printf("\"transfer\":{");
		json_num("bytes", &se->xbytes, 0);
		json_num("size", &se->xsize, 0);
		pc.set = se->xsize.set;
		pc.v = pc.set ? percent(se) : 0;
		json_num("percent", &pc, 0);
		json_num("rate", &se->xrate, 1);
		printf("}}");
	}
	printf("]\n");
}

/* ---- -k -------------------------------------------------------------- */

/* Read up to len - 1 bytes of path into out (NUL-terminated): 0 or -1. */
static int
read_small(const char *path, char *out, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	do {
		n = read(fd, out, len - 1);
	} while (n == -1 && errno == EINTR);
	(void)close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* Field k (1-based, after the closing parenthesis of comm, which is
 * field 2) of /proc/PID/stat text. */
static int
stat_field(const char *text, unsigned k, unsigned long long *v)
{
	const char *p = strrchr(text, ')'), *e;
	unsigned f = 2;

	if (p == NULL)
		return -1;
	p++;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		e = p;
		while (*e != ' ' && *e != '\0' && *e != '\n')
			e++;
		if (++f == k)
			return parse_uint_n(p, (size_t)(e - p), 0,
			    (unsigned long long)-1, v);
		if (*e == '\0' || *e == '\n')
			break;
		p = e;
	}
	return -1;
}

/* The boot time, seconds since 1970: the btime line of /proc/stat, read
 * line by line to its end.  It comes after one cpu line per CPU and the
 * intr line (a count per interrupt), far past any fixed size on a large
 * server; a longer line arrives in pieces, and only a line's first
 * piece may be it. */
static int
boot_time(unsigned long long *btime)
{
	static const char key[] = "btime ";
	char line[256];
	size_t n;
	int start = 1, whole, rc = -1;
	FILE *f;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strlen(line);
		whole = n > 0 && line[n - 1] == '\n';
		if (start && whole && strncmp(line, key, sizeof(key) - 1) ==
		    0) {
			rc = parse_uint_n(line + sizeof(key) - 1,
			    n - sizeof(key), 0, (unsigned long long)-1, btime);
			break;
		}
		start = whole;
	}
	(void)fclose(f);
	return rc;
}

/* When pid started, in seconds since 1970: btime of /proc/stat plus
 * field 22 (starttime, clock ticks since boot) of /proc/PID/stat. */
static int
start_time(pid_t pid, unsigned long long *t)
{
	char path[64], text[STAT_MAX];
	unsigned long long ticks, btime;
	long hz = sysconf(_SC_CLK_TCK);

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (hz <= 0 || read_small(path, text, sizeof(text)) == -1 ||
	    stat_field(text, 22, &ticks) == -1 || boot_time(&btime) == -1)
		return -1;
	*t = btime + ticks / (unsigned long long)hz;
	return 0;
}

/*
 * Signal the monitor of se: through a pidfd taken first, then checked
 * to be the process that wrote the record (started no later than the
 * session, to the second, which btime's rounding allows).  0, or -1
 * with a message.
 */
static int
signal_monitor(const struct sess *se)
{
	unsigned long long started;
	int pfd, rc;

	pfd = (int)syscall(SYS_pidfd_open, (pid_t)se->pid, 0);
	if (pfd == -1) {
		warn("session %llu", se->pid);
		return -1;
	}
	if (!se->since.set || start_time((pid_t)se->pid, &started) == -1 ||
	    started > se->since.v + 1) {
		warnx("session %llu: the process is not the session's "
		    "(a stale record?); not signalled", se->pid);
		(void)close(pfd);
		return -1;
	}
	rc = (int)syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0);
	if (rc == -1)
		warn("session %llu", se->pid);
	(void)close(pfd);
	return rc;
}

/* Wait until dir/<pid>.sess is gone (the monitor removes it as the
 * session ends): 1 if it went within KILL_WAIT_MS. */
static int
wait_gone(const char *dir, unsigned long long pid, long long *left_ms)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%llu" SCOREBOARD_SUFFIX, dir,
	    pid) >= (int)sizeof(path))
		return 0;
	for (;;) {
		if (access(path, F_OK) == -1 && errno == ENOENT)
			return 1;
		if (*left_ms <= 0)
			return 0;
		(void)poll(NULL, 0, KILL_POLL_MS);
		*left_ms -= KILL_POLL_MS;
	}
}

/* -k PID|USER: end the sessions that match.  The exit status. */
static int
kill_sessions(const char *dir, const char *who)
{
	unsigned long long pid = 0;
	long long left = KILL_WAIT_MS;
	struct stat st;
	int by_pid_arg, matched = 0, failed = 0;
	struct sess *v;
	size_t n, i;

	if (geteuid() != 0) {
		warnx("-k: only root may end sessions");
		return 1;
	}
	/* The records name the processes root signals: only a directory
	 * that nobody but root can write may say which. */
	if (stat(dir, &st) == -1)
		err(1, "%s", dir);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		warnx("-k: %s is not root's alone (owner %u, mode %04o): its "
		    "records are not trusted", dir, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return 1;
	}
	by_pid_arg = parse_uint(who, 1, PID_MAX_LINUX, &pid) == 0;
	if ((v = load_sessions(dir, &n)) == NULL)
		err(1, "%s", dir);
	for (i = 0; i < n; i++) {
		if (by_pid_arg ? v[i].pid != pid : v[i].user == NULL ||
		    strcmp(v[i].user, who) != 0)
			continue;
		matched++;
		if (signal_monitor(&v[i]) == -1) {
			failed++;
			v[i].pid = 0;	/* not waited for */
		}
	}
	for (i = 0; i < n; i++) {
		if (v[i].pid == 0 || (by_pid_arg ? v[i].pid != pid :
		    v[i].user == NULL || strcmp(v[i].user, who) != 0))
			continue;
		if (wait_gone(dir, v[i].pid, &left))
			printf("session %llu ended\n", v[i].pid);
		else {
			warnx("session %llu: still running after %d s",
			    v[i].pid, KILL_WAIT_MS / 1000);
			failed++;
		}
	}
	free_sessions(v, n);
	if (matched == 0) {
		warnx("no session matches %s", who);
		return 1;
	}
	return failed == 0 && fflush(stdout) == 0 ? 0 : 1;
}

/* ---- main ------------------------------------------------------------ */

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* One listing of dir.  -1 when it cannot be read. */
static int
show(const char *dir, int json)
{
	struct sess *v;
	size_t n;

	if ((v = load_sessions(dir, &n)) == NULL) {
		warn("%s", dir);
		return -1;
	}
	if (json)
		print_json(v, n);
	else
		print_text(v, n);
	free_sessions(v, n);
	return 0;
}

/*
 * --watch: a listing every interval seconds until interrupted or, with
 * -n, count times.  The screen is cleared (a plain ANSI home and erase)
 * only on a terminal; into a pipe the listings follow each other (JSON:
 * one document per line).
 */
static int
watch(const char *dir, int json, unsigned long long interval,
    unsigned long long count)
{
	struct sigaction sa;
	struct timespec ts;
	int tty = isatty(STDOUT_FILENO);
	unsigned long long i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	for (i = 0; !stop && (count == 0 || i < count); i++) {
		if (i > 0) {
			ts.tv_sec = (time_t)interval;
			ts.tv_nsec = 0;
			/* A signal ends the sleep early, and the loop. */
			while (!stop && nanosleep(&ts, &ts) == -1 &&
			    errno == EINTR)
				continue;
			if (stop)
				break;
		}
		if (tty)
			fputs("\033[H\033[2J", stdout);
		if (show(dir, json) == -1)
			return 1;
		if (fflush(stdout) != 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = SCOREBOARD_DIR, *who = NULL, *wsecs = NULL;
	unsigned long long interval = 2, count = 0;
	int ch, json = 0, watching = 0, counted = 0;

	while ((ch = getopt_long(argc, argv, "d:jk:n:w::h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'k':
			who = optarg;
			break;
		case 'n':
			if (parse_uint(optarg, 1, COUNT_MAX, &count) == -1)
				errx(1, "-n: a count from 1 to %llu",
				    COUNT_MAX);
			counted = 1;
			break;
		case 'w':
			watching = 1;
			wsecs = optarg;
			break;
		default:
			usage();
		}
	}
	/* "--watch 5": the seconds as the next word. */
	if (watching && wsecs == NULL && optind < argc)
		wsecs = argv[optind++];
	if (optind != argc || (who != NULL && (json || watching)) ||
	    (counted && !watching))
		usage();
	if (wsecs != NULL && parse_uint(wsecs, 1, WATCH_MAX_S,
	    &interval) == -1)
		errx(1, "--watch: seconds from 1 to %d", WATCH_MAX_S);
	if (who != NULL)
		return kill_sessions(dir, who);
	if (watching)
		return watch(dir, json, interval, count);
	if (show(dir, json) == -1)
		return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}
