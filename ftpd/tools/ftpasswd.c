/*
 * ftpasswd.c - add, replace or delete a virtual user in ftpd's users_file.
 *
 *	ftpasswd [-f FILE] [-u UID] [-g GID] [-d HOME] [-s SHELL] [--stdin] NAME
 *	ftpasswd [-f FILE] -D NAME
 *
 * The file is in passwd(5) format, name:hash:uid:gid:gecos:home:shell, with
 * a yescrypt hash.  Run by an administrator (usually root) as a separate
 * command, never by the daemon.  Arguments are checked so that no field can
 * smuggle a ':' or a newline into the file; existing lines are kept as they
 * are.  The new file is written beside the old one and renamed over it, so
 * ftpd never reads a half-written file; FILE.lock serialises runs.
 *
 * Built apart from the daemon, this file includes only common/ headers and
 * formats/users_file.h, where the format it shares with ftpd's reader
 * (priv/auth.c) is written down once.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <crypt.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "formats/users_file.h"

#define DEFAULT_USERS_FILE	"/etc/ftpd.passwd"
#define DEFAULT_SHELL		"/bin/sh"
#define PASS_MAX		1024
/*
 * Longest line this tool copies from the old file unchanged.  It is above
 * USERS_FILE_LINE_MAX, which bounds what ftpd reads (and so what compose
 * writes): a longer line someone else wrote is kept, and ftpd skips it.
 */
#define LINE_MAX_LEN		8192
#define FILE_MAX		(64UL * 1024 * 1024)
#define NAME_MAX_LEN		64
#define LOCK_WAIT_MS		10000	/* give up on FILE.lock after this */
#define LOCK_POLL_MS		50
#define DUP_LIST_MAX		256	/* room for duplicate line numbers */

struct entry {
	const char	*name;
	const char	*uid, *gid, *home, *shell;	/* NULL: not given */
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ftpasswd [-f file] [-u uid] [-g gid] [-d home] [-s shell] "
	    "[--stdin] name\n"
	    "       ftpasswd [-f file] -D name\n");
	exit(1);
}

/* Portable user name characters: never USERS_FILE_SEP, and never
 * USERS_FILE_COMMENT, or ftpd would take the user's line for a comment. */
static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '-' || s[0] == '+' ||
	    s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-' || s[i] == '@'))
			return 0;
	return 1;
}

/* A field may not break the line format: no separator, no control chars
 * (newline among them). */
static int
valid_field(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == USERS_FILE_SEP || (unsigned char)*s < 0x20 ||
		    *s == 0x7f)
			return 0;
	return 1;
}

static void
check_args(const struct entry *e)
{
	unsigned long long v;

	if (!valid_name(e->name))
		errx(1, "%s: invalid user name", e->name);
	if (e->uid != NULL) {
		if (parse_uint(e->uid, 0, USERS_FILE_ID_MAX, &v) == -1)
			errx(1, "%s: invalid uid", e->uid);
		/* ftpd refuses every uid 0 login, so such a user is only a
		 * mistake.  gid 0 ftpd accepts, and so does this tool. */
		if (v == 0)
			errx(1, "%s: uid 0 refused: ftpd never lets uid 0 log "
			    "in", e->uid);
	}
	if (e->gid != NULL &&
	    parse_uint(e->gid, 0, USERS_FILE_ID_MAX, &v) == -1)
		errx(1, "%s: invalid gid", e->gid);
	if (e->home != NULL &&
	    (!users_file_home_ok(e->home) || !valid_field(e->home)))
		errx(1, "%s: home must be an absolute path without ':'",
		    e->home);
	if (e->shell != NULL && (e->shell[0] != '/' || !valid_field(e->shell)))
		errx(1, "%s: shell must be an absolute path without ':'",
		    e->shell);
}

/* Read one line from fd into pw (no newline).  0, or -1 on EOF/error. */
static int
read_line(int fd, struct buf *pw)
{
	char c;
	ssize_t n;

	buf_reset(pw);
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR && !got_signal)
			continue;
		if (n <= 0)
			return pw->len > 0 && n == 0 ? 0 : -1;
		if (c == '\n')
			break;
		if (buf_putc(pw, c) == -1)
			errx(1, "password too long");
	}
	if (pw->len > 0 && pw->data[pw->len - 1] == '\r')
		buf_truncate(pw, pw->len - 1);
	return 0;
}

/* Prompt on the terminal with echo off.  0 or -1. */
static int
read_hidden(const char *prompt, struct buf *pw)
{
	struct termios old, quiet;
	int r;

	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	fprintf(stderr, "%s", prompt);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1)
		return -1;
	r = read_line(STDIN_FILENO, pw);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return r;
}

/* Get the new password into pw: twice without echo on a tty, else once. */
static void
get_password(int from_stdin, struct buf *pw)
{
	struct sigaction sa;
	struct buf again;
	int ok;

	if (from_stdin || !isatty(STDIN_FILENO)) {
		if (read_line(STDIN_FILENO, pw) == -1)
			errx(1, "no password on standard input");
	} else {
		/* No SA_RESTART: ^C must end read() so echo is restored. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGQUIT, &sa, NULL);
		buf_init(&again, PASS_MAX);
		ok = read_hidden("Password: ", pw) == 0 &&
		    read_hidden("Retype password: ", &again) == 0;
		if (got_signal)
			errx(1, "interrupted");
		if (!ok)
			errx(1, "cannot read password");
		ok = pw->len == again.len &&
		    memcmp(buf_cstr(pw), buf_cstr(&again), pw->len) == 0;
		buf_free(&again);
		if (!ok)
			errx(1, "passwords do not match");
	}
	if (pw->len == 0)
		errx(1, "empty password refused");
	if (memchr(pw->data, '\0', pw->len) != NULL)
		errx(1, "password contains a NUL byte");
}

/* yescrypt hash of pw into out (a buf).  Exits on failure. */
static void
hash_password(struct buf *pw, struct buf *out)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL)
		err(1, "crypt_gensalt_rn");
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_rn(buf_cstr(pw), salt, cd, sizeof(*cd));
	if (h == NULL || h[0] == '*' || !valid_field(h))
		errx(1, "crypt_rn failed");
	if (buf_set(out, h) == -1)
		errx(1, "hash too long");
	freezero(cd, sizeof(*cd));
}

/* Does this line belong to name?  (valid_name keeps the separator out of
 * name, so the prefix cannot end inside the name field.) */
static int
line_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncmp(line, name, n) == 0 && line[n] == USERS_FILE_SEP;
}

/*
 * Exit after an O_NOFOLLOW open of path failed.  A symbolic link is
 * refused on purpose, and "Too many levels of symbolic links" would not
 * say so: rename(2) would replace the link rather than its target, and a
 * root tool led through a link may be made to rewrite another file.
 */
static void
open_failed(const char *path)
{
	struct stat st;
	int saved = errno;

	if (saved == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		errx(1, "%s: is a symbolic link, refused: ftpasswd follows no "
		    "links, so that it cannot be led to replace another file",
		    path);
	errno = saved;
	err(1, "%s", path);
}

/*
 * Take an exclusive lock on path.lock, held until exit, so that two runs
 * cannot both read the same old file and the later rename drop the
 * earlier one's change.  The lock is not on the users file itself: that
 * is replaced by rename, so a lock on it would be on the old inode while
 * the next run locks the new one.  The lock file is never removed, since
 * a waiter could then lock an unlinked inode.  Waits LOCK_WAIT_MS at most.
 */
static void
lock_file(const char *path)
{
	struct timespec pause = { 0, LOCK_POLL_MS * 1000000L };
	char lock[PATH_MAX];
	struct stat st;
	int fd, waited;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		errx(1, "%s: path too long", path);
	/* O_NONBLOCK: a FIFO planted under that name must not hang us. */
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
	    0600);
	if (fd == -1)
		open_failed(lock);
	if (fstat(fd, &st) == -1)
		err(1, "%s", lock);
	if (!S_ISREG(st.st_mode))
		errx(1, "%s: not a regular file", lock);
	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB) == -1;
	    waited += LOCK_POLL_MS) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			err(1, "%s: flock", lock);
		if (got_signal)
			errx(1, "interrupted");
		if (waited >= LOCK_WAIT_MS)
			errx(1, "%s: still locked by another ftpasswd after %d s, "
			    "file unchanged; try again", lock,
			    LOCK_WAIT_MS / 1000);
		(void)nanosleep(&pause, NULL);	/* EINTR: just poll sooner */
	}
	/* fd stays open: closing it would release the lock. */
}

/* Read the whole users file into out; a missing file reads as empty. */
static void
load_file(const char *path, struct buf *out)
{
	unsigned char *p;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return;
		open_failed(path);
	}
	for (;;) {
		if ((p = buf_reserve(out, 4096)) == NULL)
			errx(1, "%s: file too large", path);
		n = read(fd, p, 4096);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "%s", path);
		if (n == 0)
			break;
		buf_commit(out, (size_t)n);
	}
	(void)close(fd);
	if (memchr(buf_cstr(out), '\0', out->len) != NULL)
		errx(1, "%s: contains NUL bytes", path);
}

/* Write data to path through a temporary file in the same directory. */
static void
write_atomic(const char *path, const struct buf *data)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		errx(1, "%s: path too long", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		err(1, "%s", tmp);
	if (fchmod(fd, 0600) == -1)
		goto fail;
	while (off < data->len) {
		n = write(fd, data->data + off, data->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		fd = -1;
		goto fail;
	}
	return;
fail:
	warn("%s", tmp);
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	exit(1);
}

/* The field for the new line: argument, else old line's (if not empty),
 * else default. */
static const char *
pick(const char *arg, const char *old, const char *def)
{
	if (arg != NULL)
		return arg;
	if (old != NULL && old[0] != '\0')
		return old;
	return def;
}

/*
 * Compose name's new line, newline included, into line.  old is name's
 * line in the file (split here, in place), or NULL for a new user.
 */
static void
compose(const struct entry *e, char *old, const char *hash,
    struct buf *line)
{
	char *of[USERS_FILE_NFIELDS];
	const char *nf[USERS_FILE_NFIELDS];
	unsigned long long id;
	int i;

	if (old != NULL)
		(void)users_file_split(old, of);
	else
		for (i = 0; i < USERS_FILE_NFIELDS; i++)
			of[i] = NULL;
	nf[USERS_FILE_NAME] = e->name;
	nf[USERS_FILE_HASH] = hash;
	nf[USERS_FILE_UID] = pick(e->uid, of[USERS_FILE_UID], NULL);
	nf[USERS_FILE_GID] = pick(e->gid, of[USERS_FILE_GID], NULL);
	nf[USERS_FILE_GECOS] = pick(NULL, of[USERS_FILE_GECOS], "");
	nf[USERS_FILE_HOME] = pick(e->home, of[USERS_FILE_HOME], NULL);
	nf[USERS_FILE_SHELL] = pick(e->shell, of[USERS_FILE_SHELL],
	    DEFAULT_SHELL);
	if (nf[USERS_FILE_UID] == NULL || nf[USERS_FILE_GID] == NULL ||
	    nf[USERS_FILE_HOME] == NULL)
		errx(1, "%s: a new user needs -u UID, -g GID and -d HOME",
		    e->name);
	/* -u 0 was refused already; this is a uid 0 kept from the file. */
	if (parse_uint(nf[USERS_FILE_UID], 0, USERS_FILE_ID_MAX, &id) == 0 &&
	    id == 0)
		errx(1, "%s: has uid 0, which ftpd never lets log in; give "
		    "another with -u", e->name);
	for (i = 0; i < USERS_FILE_NFIELDS; i++)
		if ((i > 0 && buf_putc(line, USERS_FILE_SEP) == -1) ||
		    buf_puts(line, nf[i]) == -1)
			errx(1, "line too long");
	if (buf_putc(line, '\n') == -1)
		errx(1, "line too long");
	/* ftpd reads a line whole only up to USERS_FILE_LINE_MAX - 1 bytes
	 * with its newline, and refuses a longer one: never write it. */
	if (line->len > USERS_FILE_LINE_MAX - 1)
		errx(1, "%s: the line would be %zu bytes, ftpd reads at most "
		    "%d", e->name, line->len, USERS_FILE_LINE_MAX - 1);
}

/*
 * Copy old to out line by line, replacing name's line by newline (find_line
 * made sure there is at most one), or dropping every line of name when
 * newline is NULL.  Returns the number of lines of name seen.
 */
static int
rewrite(const struct buf *old, const char *name, const struct buf *newline,
    struct buf *out)
{
	const char *p = (const char *)old->data, *end, *nl;
	int seen = 0;

	end = p + old->len;
	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > LINE_MAX_LEN)
			errx(1, "line too long in users file");
		if (line_is(p, name)) {
			if (seen++ == 0 && newline != NULL &&
			    buf_append(out, newline->data, newline->len) == -1)
				errx(1, "users file too large");
		} else if (buf_append(out, p, (size_t)(nl - p)) == -1 ||
		    buf_putc(out, '\n') == -1)
			errx(1, "users file too large");
		p = nl + 1;
	}
	if (seen == 0 && newline != NULL &&
	    buf_append(out, newline->data, newline->len) == -1)
		errx(1, "users file too large");
	return seen;
}

/*
 * The old line of name in content, as a NUL-terminated copy, or NULL.  A
 * name on several lines is refused with their numbers: ftpd uses the
 * first, and whether the others are mistakes or meant is for the
 * administrator to decide, not for this tool to drop silently.
 */
static char *
find_line(const struct buf *content, const char *name, const char *file)
{
	const char *p = buf_cstr((struct buf *)content), *nl;
	unsigned long lineno = 0;
	struct buf where;
	char *found = NULL;
	int seen = 0;

	buf_init(&where, DUP_LIST_MAX);
	while (*p != '\0') {
		lineno++;
		nl = strchr(p, '\n');
		if (line_is(p, name)) {
			if (seen++ == 0)
				found = xstrndup(p, nl != NULL ?
				    (size_t)(nl - p) : strlen(p));
			/* A full list stops growing; its start suffices. */
			(void)buf_appendf(&where, "%s%lu",
			    seen > 1 ? ", " : "", lineno);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (seen > 1)
		errx(1, "%s: on lines %s of %s (ftpd uses the first); file "
		    "unchanged: remove the extra lines by hand, or all of them "
		    "with -D", name, buf_cstr(&where), file);
	buf_free(&where);
	return found;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "stdin", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct entry e = { NULL, NULL, NULL, NULL, NULL };
	const char *file = DEFAULT_USERS_FILE;
	struct buf old, out, pw, hash, line;
	int ch, del = 0, from_stdin = 0;
	char *oldline;

	while ((ch = getopt_long(argc, argv, "f:u:g:d:s:Dh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'u':
			e.uid = optarg;
			break;
		case 'g':
			e.gid = optarg;
			break;
		case 'd':
			e.home = optarg;
			break;
		case 's':
			e.shell = optarg;
			break;
		case 'D':
			del = 1;
			break;
		case 'S':
			from_stdin = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	e.name = argv[optind];
	check_args(&e);
	if (del && (e.uid || e.gid || e.home || e.shell || from_stdin))
		usage();
	buf_init(&old, FILE_MAX);
	buf_init(&out, FILE_MAX + LINE_MAX_LEN);
	buf_init(&line, LINE_MAX_LEN);
	if (del) {
		lock_file(file);
		load_file(file, &old);
		if (rewrite(&old, e.name, NULL, &out) == 0)
			errx(1, "%s: no such user in %s", e.name, file);
	} else {
		/* Password and hash first: the lock is not held while a
		 * person types or yescrypt works. */
		buf_init(&pw, PASS_MAX);
		buf_init(&hash, CRYPT_OUTPUT_SIZE);
		get_password(from_stdin, &pw);
		hash_password(&pw, &hash);
		buf_free(&pw);
		lock_file(file);
		load_file(file, &old);
		oldline = find_line(&old, e.name, file);
		compose(&e, oldline, buf_cstr(&hash), &line);
		free(oldline);
		(void)rewrite(&old, e.name, &line, &out);
		buf_free(&hash);
	}
	write_atomic(file, &out);
	buf_free(&old);
	buf_free(&out);
	buf_free(&line);
	return 0;
}
