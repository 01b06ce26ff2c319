/*
 * ftpwho.c - list the live sessions of ftpd from its scoreboard.
 *
 *	ftpwho [-d RUN_DIR]
 *
 * Run by an administrator.  The monitor of each session keeps one file,
 * RUN_DIR/<pid>.sess, of "key=value" lines (pid, peer, user, state, since,
 * cmd, bytes).  The files are written by root, but user and cmd are client
 * text, so every value is bounded and printed with non-printable bytes
 * replaced, and files whose process is gone are skipped as stale.
 *
 * Built apart from the daemon, this file includes only common/ headers and
 * formats/scoreboard.h, where the record it shares with ftpd's writer
 * (priv/sessionlog.c) is written down once.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "formats/scoreboard.h"

#define SESSIONS_MAX	1000000		/* bound on the directory walk */
#define PID_MAX_LINUX	4194304		/* PID_MAX_LIMIT: bounds <pid>.sess */

struct sess {
	unsigned long long	 pid;
	unsigned long long	 since;
	char			*peer, *user, *state, *cmd;
};

static void
usage(void)
{
	fprintf(stderr, "usage: ftpwho [-d run_dir]\n");
	exit(1);
}

/* Copy a value, replacing anything unprintable so a client's user name or
 * command cannot drive the administrator's terminal. */
static char *
clean(const char *v, size_t n)
{
	char *s;
	size_t i;

	if (n > SCOREBOARD_VALUE_MAX)
		n = SCOREBOARD_VALUE_MAX;
	s = xstrndup(v, n);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
	return s;
}

/* Is the key of klen bytes at line this one? */
static int
key_is(const char *line, size_t klen, const char *key)
{
	return klen == strlen(key) && memcmp(line, key, klen) == 0;
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
	if (key_is(line, klen, SCOREBOARD_SINCE))
		(void)parse_uint_n(v, vlen, 0, (unsigned long long)-1,
		    &se->since);
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
		*dst = clean(v, vlen);
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

static const char *
orq(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static void
print_sess(const struct sess *se)
{
	char since[32];
	struct tm tm;
	time_t t = (time_t)se->since;

	if (se->since == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		(void)snprintf(since, sizeof(since), "-");
	printf("%-7llu %-16s %-40s %-19s %-10s %s\n", se->pid, orq(se->user),
	    orq(se->peer), since, orq(se->state), orq(se->cmd));
}

int
main(int argc, char *argv[])
{
	const char *dir = SCOREBOARD_DIR;
	struct sess *v = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int ch;

	while ((ch = getopt(argc, argv, "d:h")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((d = opendir(dir)) == NULL)
		err(1, "%s", dir);
	while (n < SESSIONS_MAX && (de = readdir(d)) != NULL) {
		struct sess se = { 0, 0, NULL, NULL, NULL, NULL };

		if (!live_pid(de->d_name, &se.pid) ||
		    read_record(dirfd(d), de->d_name, &se) == -1)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = se;
	}
	(void)closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_pid);
	printf("%-7s %-16s %-40s %-19s %-10s %s\n", "PID", "USER", "PEER",
	    "SINCE", "STATE", "COMMAND");
	for (i = 0; i < n; i++) {
		print_sess(&v[i]);
		free(v[i].peer);
		free(v[i].user);
		free(v[i].state);
		free(v[i].cmd);
	}
	free(v);
	return fflush(stdout) == 0 ? 0 : 1;
}
