/*
 * ftpasswd.c - add, change, list or delete ftpd's virtual users, in its
 * users_file or in an SQLite account database (accounts = sql).
 *
 *	ftpasswd [-f FILE | -b BACKEND] [-u UID] [-g GID] [-d HOME] [-s SHELL]
 *	    [--stdin] NAME
 *	ftpasswd [-f FILE | -b BACKEND] -D NAME
 *	ftpasswd [-f FILE | -b BACKEND] -l
 *	ftpasswd -b sqlite:PATH --disable NAME | --enable NAME
 *	ftpasswd [-b sqlite:PATH | --quota-dir DIR] --quota-recount -d HOME NAME
 *
 * BACKEND is file:PATH (the same as -f PATH) or sqlite:PATH.
 *
 * The users file is in passwd(5) format, name:hash:uid:gid:gecos:home:shell,
 * with a yescrypt hash.  Run by an administrator (usually root) as a
 * separate command, never by the daemon.  Arguments are checked so that no
 * field can smuggle a ':' or a newline into the file; existing lines are
 * kept as they are.  The new file is written beside the old one and renamed
 * over it, so ftpd never reads a half-written file; FILE.lock serialises
 * runs.
 *
 * An SQLite database holds the ftp_accounts table of
 * etc/ftpd-accounts.sql, which make builds into formats/accounts_schema.h:
 * a new (empty) database gets every table of that file, so there is one
 * copy of the schema.  The same names, ids, homes and yescrypt hashes are
 * written there, with bound parameters only (no text of the command line
 * ever becomes SQL); each change is one transaction (BEGIN IMMEDIATE, so
 * concurrent runs wait for each other as with FILE.lock), and SQLite's own
 * journal keeps a reader from seeing half of it.
 *
 * --quota-recount counts HOME (common/treesum.c, as ftpd's monitor does
 * at an account's first upload) and writes NAME's quota tally: the file
 * of quota_dir the monitors share (common/tally.c, under their flock), or
 * with -b sqlite: the ftp_quota_tally row.
 *
 * Built apart from the daemon, this file includes only common/ headers and
 * formats/users_file.h, formats/accounts_schema.h and
 * formats/upload_names.h, where the formats it shares with ftpd are
 * written down once.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/tally.h"
#include "common/treesum.h"
#include "common/xmalloc.h"
#include "formats/accounts_schema.h"
#include "formats/upload_names.h"
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
#define SQL_HOME_MAX		1024	/* ftp_accounts.home is VARCHAR(1024) */
#define BACKEND_FILE		"file:"
#define BACKEND_SQLITE		"sqlite:"
#define QUOTA_DIR		"/var/lib/ftpd/quota"	/* quota_dir's default */

enum op { OP_SET, OP_DELETE, OP_LIST, OP_ENABLE, OP_DISABLE, OP_RECOUNT };

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
	    "usage: ftpasswd [-f file | -b backend] [-u uid] [-g gid] "
	    "[-d home] [-s shell]\n"
	    "                [--stdin] name\n"
	    "       ftpasswd [-f file | -b backend] -D name\n"
	    "       ftpasswd [-f file | -b backend] -l\n"
	    "       ftpasswd -b sqlite:path --disable name | --enable name\n"
	    "       ftpasswd [-b sqlite:path | --quota-dir dir] "
	    "--quota-recount -d home name\n"
	    "backend: file:path (as -f path) or sqlite:path\n");
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

/*
 * Print s for a listing: control characters (a tab among them) as \xNN,
 * so that a field cannot break the columns or drive the terminal.
 */
static void
print_field(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
}

/* One line of a listing: name, uid, gid, home, state, tab-separated. */
static void
print_account(const char *name, const char *uid, const char *gid,
    const char *home, int enabled)
{
	print_field(name);
	putchar('\t');
	print_field(uid);
	putchar('\t');
	print_field(gid);
	putchar('\t');
	print_field(home);
	printf("\t%s\n", enabled ? "enabled" : "disabled");
}

/* -l on a users file: every user line; a hash ftpd never matches (empty,
 * '!' or '*', see formats/users_file.h) shows as disabled. */
static void
file_list(const char *path)
{
	char *f[USERS_FILE_NFIELDS], *line, *p, *nl;
	struct buf content;

	buf_init(&content, FILE_MAX);
	load_file(path, &content);
	p = (char *)buf_cstr(&content);
	for (; *p != '\0'; p = nl + 1) {
		line = p;
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (line[0] != USERS_FILE_COMMENT &&
		    users_file_split(line, f) == USERS_FILE_NFIELDS)
			print_account(f[USERS_FILE_NAME], f[USERS_FILE_UID],
			    f[USERS_FILE_GID], f[USERS_FILE_HOME],
			    f[USERS_FILE_HASH][0] != '\0' &&
			    f[USERS_FILE_HASH][0] != '!' &&
			    f[USERS_FILE_HASH][0] != '*');
		if (nl == NULL)
			break;
	}
	buf_free(&content);
}

/* ---------------------------------------------------------------- SQLite */

/* Roll back what this run began, close, exit 1 with the message. */
static void __attribute__((noreturn, format(printf, 2, 3)))
db_die(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	if (db != NULL) {
		if (!sqlite3_get_autocommit(db))
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		(void)sqlite3_close_v2(db);
	}
	exit(1);
}

/*
 * Open the database at path.  create: a missing file is made, empty,
 * with mode 0600 (SQLite takes an empty file for an empty database); else
 * it must exist.  Symbolic links are refused, as for the users file.
 */
static sqlite3 *
db_open(const char *path, int create, int readonly)
{
	struct stat st;
	sqlite3 *db = NULL;
	int fd, flags;

	if (path[0] == '\0')
		errx(1, "sqlite: no database path given");
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			errno = ELOOP;
			open_failed(path);
		}
		if (!S_ISREG(st.st_mode))
			errx(1, "%s: not a regular file", path);
	} else if (errno == ENOENT && create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			open_failed(path);
		if (fd != -1)
			(void)close(fd);
	} else
		err(1, "%s", path);
	flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		db_die(db, "%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "cannot open the database");
	(void)sqlite3_extended_result_codes(db, 1);
	/* A writer holding the database: wait as long as for FILE.lock. */
	(void)sqlite3_busy_timeout(db, LOCK_WAIT_MS);
	return db;
}

static sqlite3_stmt *
db_prepare(sqlite3 *db, const char *path, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	return st;
}

static void
db_exec(sqlite3 *db, const char *path, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
}

/* Bind text (SQLITE_TRANSIENT: SQLite keeps its own copy), or NULL. */
static void
db_bind_text(sqlite3 *db, const char *path, sqlite3_stmt *st, int i,
    const char *v)
{
	int rc = v != NULL ?
	    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(st, i);

	if (rc != SQLITE_OK)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
}

/* Bind a decimal id checked by check_args, or NULL when not given. */
static void
db_bind_id(sqlite3 *db, const char *path, sqlite3_stmt *st, int i,
    const char *v)
{
	unsigned long long id;
	int rc;

	if (v == NULL)
		rc = sqlite3_bind_null(st, i);
	else if (parse_uint(v, 0, USERS_FILE_ID_MAX, &id) == -1)
		db_die(db, "%s: invalid id", v);
	else
		rc = sqlite3_bind_int64(st, i, (sqlite3_int64)id);
	if (rc != SQLITE_OK)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
}

/* Run a statement that returns no rows; the number of rows it changed. */
static int
db_step_done(sqlite3 *db, const char *path, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	(void)sqlite3_finalize(st);
	return sqlite3_changes(db);
}

/* Does the database have the table?  (Its name is ours, bound all the
 * same.) */
static int
db_has_table(sqlite3 *db, const char *path, const char *table)
{
	sqlite3_stmt *st;
	int rc;

	st = db_prepare(db, path, "SELECT 1 FROM sqlite_master "
	    "WHERE type = 'table' AND name = ?1");
	db_bind_text(db, path, st, 1, table);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	(void)sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

static int
db_is_empty(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st;
	int rc;

	st = db_prepare(db, path, "SELECT 1 FROM sqlite_master LIMIT 1");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	(void)sqlite3_finalize(st);
	return rc == SQLITE_DONE;
}

/*
 * The ftp_accounts table must be there.  create: a database with no
 * tables at all (a new file) gets etc/ftpd-accounts.sql; one with other
 * tables but not this one is somebody else's, and is left alone.
 */
static void
db_need_accounts(sqlite3 *db, const char *path, int create)
{
	if (db_has_table(db, path, "ftp_accounts"))
		return;
	if (create && db_is_empty(db, path)) {
		db_exec(db, path, accounts_schema_sql);
		return;
	}
	db_die(db, "%s: no ftp_accounts table in this database (load "
	    "ftpd-accounts.sql into it, or give a new file)", path);
}

/*
 * Add name, or give it a new password and the fields given.  hash is
 * made already.  A new account needs uid, gid and home; an existing one
 * keeps what is not given, but not a uid 0 or a NULL field.
 */
static void
db_set(const char *path, const struct entry *e, const char *hash)
{
	static const char *const what[] = { "uid", "gid", "home" };
	static const char *const opt[] = { "-u", "-g", "-d" };
	const char *given[3] = { e->uid, e->gid, e->home };
	sqlite3_stmt *st;
	sqlite3 *db;
	int rc, rows = 0, i;

	db = db_open(path, 1, 0);
	db_exec(db, path, "BEGIN IMMEDIATE");
	db_need_accounts(db, path, 1);
	st = db_prepare(db, path, "SELECT uid, gid, home FROM ftp_accounts "
	    "WHERE name = ?1");
	db_bind_text(db, path, st, 1, e->name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ > 0)
			db_die(db, "%s: on more than one row of %s; database "
			    "unchanged: remove the extra rows by hand, or all "
			    "of them with -D", e->name, path);
		for (i = 0; i < 3; i++)
			if (given[i] == NULL &&
			    sqlite3_column_type(st, i) == SQLITE_NULL)
				db_die(db, "%s: has no %s; give one with %s",
				    e->name, what[i], opt[i]);
		/* -u 0 was refused already; this is a uid 0 in the row. */
		if (e->uid == NULL &&
		    sqlite3_column_int64(st, 0) == 0)
			db_die(db, "%s: has uid 0, which ftpd never lets log "
			    "in; give another with -u", e->name);
	}
	if (rc != SQLITE_DONE)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	(void)sqlite3_finalize(st);
	if (rows == 0) {
		if (e->uid == NULL || e->gid == NULL || e->home == NULL)
			db_die(db, "%s: a new user needs -u UID, -g GID and "
			    "-d HOME", e->name);
		st = db_prepare(db, path, "INSERT INTO ftp_accounts "
		    "(name, password, uid, gid, home, enabled) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, 1)");
	} else
		st = db_prepare(db, path, "UPDATE ftp_accounts SET "
		    "password = ?2, uid = coalesce(?3, uid), "
		    "gid = coalesce(?4, gid), home = coalesce(?5, home) "
		    "WHERE name = ?1");
	db_bind_text(db, path, st, 1, e->name);
	db_bind_text(db, path, st, 2, hash);
	db_bind_id(db, path, st, 3, e->uid);
	db_bind_id(db, path, st, 4, e->gid);
	db_bind_text(db, path, st, 5, e->home);
	if (db_step_done(db, path, st) != 1)
		db_die(db, "%s: %s not written", path, e->name);
	db_exec(db, path, "COMMIT");
	if (sqlite3_close(db) != SQLITE_OK)
		errx(1, "%s: %s", path, sqlite3_errmsg(db));
}

/* -D: every row of name.  --enable, --disable: its enabled column. */
static void
db_change(const char *path, enum op op, const char *name)
{
	sqlite3_stmt *st;
	sqlite3 *db;

	db = db_open(path, 0, 0);
	db_exec(db, path, "BEGIN IMMEDIATE");
	db_need_accounts(db, path, 0);
	if (op == OP_DELETE)
		st = db_prepare(db, path, "DELETE FROM ftp_accounts "
		    "WHERE name = ?1");
	else {
		st = db_prepare(db, path, "UPDATE ftp_accounts "
		    "SET enabled = ?2 WHERE name = ?1");
		if (sqlite3_bind_int(st, 2, op == OP_ENABLE) != SQLITE_OK)
			db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	}
	db_bind_text(db, path, st, 1, name);
	if (db_step_done(db, path, st) == 0)
		db_die(db, "%s: no such user in %s", name, path);
	db_exec(db, path, "COMMIT");
	if (sqlite3_close(db) != SQLITE_OK)
		errx(1, "%s: %s", path, sqlite3_errmsg(db));
}

/* Column i as text for a listing ("NULL" for NULL). */
static const char *
db_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "NULL";
}

/* -l: every account, by name.  enabled is false only when it is 0 (as
 * a number): NULL is the server's default, which lets the account in. */
static void
db_list(const char *path)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int rc;

	db = db_open(path, 0, 1);
	db_need_accounts(db, path, 0);
	st = db_prepare(db, path, "SELECT name, uid, gid, home, enabled "
	    "FROM ftp_accounts ORDER BY name");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		print_account(db_text(st, 0), db_text(st, 1), db_text(st, 2),
		    db_text(st, 3), sqlite3_column_type(st, 4) == SQLITE_NULL ||
		    sqlite3_column_int64(st, 4) != 0);
	if (rc != SQLITE_DONE)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
}

/* ---------------------------------------------------------------- quota */

/* --quota-recount with -b sqlite: name's ftp_quota_tally row. */
static void
db_tally_set(const char *path, const char *name, const struct tally *t)
{
	sqlite3_stmt *st;
	sqlite3 *db;

	db = db_open(path, 0, 0);
	db_exec(db, path, "BEGIN IMMEDIATE");
	if (!db_has_table(db, path, "ftp_quota_tally"))
		db_die(db, "%s: no ftp_quota_tally table in this database "
		    "(load ftpd-accounts.sql into it)", path);
	st = db_prepare(db, path, "INSERT OR REPLACE INTO ftp_quota_tally "
	    "(name, bytes_used, files_used) VALUES (?1, ?2, ?3)");
	db_bind_text(db, path, st, 1, name);
	if (sqlite3_bind_int64(st, 2, (sqlite3_int64)t->bytes) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)t->files) != SQLITE_OK)
		db_die(db, "%s: %s", path, sqlite3_errmsg(db));
	if (db_step_done(db, path, st) != 1)
		db_die(db, "%s: %s not written", path, name);
	db_exec(db, path, "COMMIT");
	if (sqlite3_close(db) != SQLITE_OK)
		errx(1, "%s: %s", path, sqlite3_errmsg(db));
}

/* --quota-recount: the file of dir the monitors share, under their lock. */
static void
file_tally_set(const char *dir, const char *name, const struct tally *t)
{
	char fname[TALLY_NAME_MAX];
	int dfd, fd;

	if (tally_file_name(name, fname, sizeof(fname)) == -1)
		errx(1, "%s: no tally file name for it", name);
	if ((dfd = tally_dir_open(dir)) == -1) {
		if (errno == EPERM)
			errx(1, "%s: must be this user's and writable by no "
			    "one else", dir);
		err(1, "%s", dir);
	}
	if ((fd = tally_file_open(dfd, fname, 1)) == -1)
		err(1, "%s/%s", dir, fname);
	if (tally_file_lock(fd) == -1 || tally_file_write(fd, t) == -1)
		err(1, "%s/%s", dir, fname);
	if (close(fd) == -1)
		err(1, "%s/%s", dir, fname);
	(void)close(dfd);
}

/*
 * Count home as ftpd's monitor does (regular files, links not followed,
 * an upload's temporaries left out) and make that name's tally.  Uploads
 * of name running meanwhile keep their reservations out of it: the
 * tally is right once they end.
 */
static void
quota_recount(const char *name, const char *home, const char *dir,
    const char *sqlite_path)
{
	struct treesum ts;
	struct tally t;
	int fd;

	if (home == NULL)
		errx(1, "--quota-recount needs -d HOME");
	if ((fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    treesum(fd, UPLOAD_TMP_PREFIX, &ts) == -1)
		err(1, "%s", home);
	(void)close(fd);
	if (ts.skipped > 0)
		warnx("%s: %lu directories not counted (unreadable, or deeper "
		    "than %d levels)", home, ts.skipped, TREESUM_DEPTH);
	t.bytes = ts.bytes;
	t.files = ts.files;
	if (sqlite_path != NULL)
		db_tally_set(sqlite_path, name, &t);
	else
		file_tally_set(dir, name, &t);
	printf("%s: %llu bytes in %llu files\n", name, t.bytes, t.files);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
}

/* ---------------------------------------------------------------- main */

/* -b BACKEND: "file:PATH" or "sqlite:PATH".  *sqlite set for the latter;
 * returns PATH. */
static const char *
parse_backend(const char *arg, int *sqlite)
{
	size_t nf = strlen(BACKEND_FILE), ns = strlen(BACKEND_SQLITE);

	if (strncmp(arg, BACKEND_FILE, nf) == 0) {
		*sqlite = 0;
		return arg + nf;
	}
	if (strncmp(arg, BACKEND_SQLITE, ns) == 0) {
		*sqlite = 1;
		return arg + ns;
	}
	errx(1, "%s: unknown backend (file:PATH or sqlite:PATH)", arg);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "stdin", no_argument, NULL, 'S' },
		{ "enable", no_argument, NULL, 'E' },
		{ "disable", no_argument, NULL, 'X' },
		{ "quota-recount", no_argument, NULL, 'R' },
		{ "quota-dir", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct entry e = { NULL, NULL, NULL, NULL, NULL };
	const char *file = DEFAULT_USERS_FILE, *qdir = NULL;
	struct buf old, out, pw, hash, line;
	int ch, from_stdin = 0, sqlite = 0, nfile = 0, nop = 0;
	enum op op = OP_SET;
	char *oldline;

	while ((ch = getopt_long(argc, argv, "f:b:u:g:d:s:Dlh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			sqlite = 0;
			nfile++;
			break;
		case 'b':
			file = parse_backend(optarg, &sqlite);
			nfile++;
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
			op = OP_DELETE;
			nop++;
			break;
		case 'l':
			op = OP_LIST;
			nop++;
			break;
		case 'E':
			op = OP_ENABLE;
			nop++;
			break;
		case 'X':
			op = OP_DISABLE;
			nop++;
			break;
		case 'R':
			op = OP_RECOUNT;
			nop++;
			break;
		case 'q':
			qdir = optarg;
			break;
		case 'S':
			from_stdin = 1;
			break;
		default:
			usage();
		}
	}
	if (nfile > 1 || nop > 1 || argc - optind != (op == OP_LIST ? 0 : 1))
		usage();
	if (op == OP_RECOUNT) {
		if (e.uid || e.gid || e.shell || from_stdin ||
		    (nfile > 0 && !sqlite) || (sqlite && qdir != NULL))
			usage();
		e.name = argv[optind];
		check_args(&e);
		quota_recount(e.name, e.home, qdir != NULL ? qdir : QUOTA_DIR,
		    sqlite ? file : NULL);
		return 0;
	}
	if (qdir != NULL)
		usage();
	if (op != OP_SET && (e.uid || e.gid || e.home || e.shell ||
	    from_stdin))
		usage();
	if ((op == OP_ENABLE || op == OP_DISABLE) && !sqlite)
		errx(1, "--enable and --disable need -b sqlite:PATH (a users "
		    "file has no enabled column)");
	if (sqlite && e.shell != NULL)
		errx(1, "-s: an SQLite account has no shell");
	if (op == OP_LIST) {
		if (sqlite)
			db_list(file);
		else
			file_list(file);
		return 0;
	}
	e.name = argv[optind];
	check_args(&e);
	if (sqlite && e.home != NULL && strlen(e.home) > SQL_HOME_MAX)
		errx(1, "%s: home longer than %d bytes", e.name, SQL_HOME_MAX);
	if (sqlite && op != OP_SET) {
		db_change(file, op, e.name);
		return 0;
	}
	buf_init(&old, FILE_MAX);
	buf_init(&out, FILE_MAX + LINE_MAX_LEN);
	buf_init(&line, LINE_MAX_LEN);
	if (op == OP_DELETE) {
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
		if (sqlite) {
			db_set(file, &e, buf_cstr(&hash));
			buf_free(&hash);
			return 0;
		}
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
