/*
 * tally.c - two counters with limits, and the file that shares them
 * between processes (see tally.h).
 *
 * Runs in ftpd's monitors (root) and in the ftpquota tool.  The file's
 * contents are trusted no further than their format: a record that is
 * not exactly two 20-digit numbers is refused, never guessed at.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "tally.h"

#define FIELD_LEN	20	/* digits of one counter in the record */

void
tally_reserve(struct tally *t, unsigned long long want_bytes,
    unsigned long long want_files, unsigned long long max_bytes,
    unsigned long long max_files, unsigned long long *got_bytes,
    unsigned long long *got_files)
{
	unsigned long long room;

	*got_bytes = *got_files = 0;
	if (want_bytes > TALLY_MAX)
		want_bytes = TALLY_MAX;
	if (want_files > TALLY_MAX)
		want_files = TALLY_MAX;
	if (want_files > 0 && max_files != 0 &&
	    (t->files >= max_files || max_files - t->files < want_files))
		return;
	if (max_bytes == 0)
		room = TALLY_MAX;
	else
		room = t->bytes >= max_bytes ? 0 : max_bytes - t->bytes;
	/* A new file with no byte left would be refused at its first
	 * byte anyway: refuse it whole, as the file limit would. */
	if (want_files > 0 && want_bytes > 0 && room == 0)
		return;
	*got_bytes = want_bytes < room ? want_bytes : room;
	*got_files = want_files;
	t->bytes = tally_add(t->bytes, (long long)*got_bytes);
	t->files = tally_add(t->files, (long long)*got_files);
}

unsigned long long
tally_add(unsigned long long v, long long delta)
{
	unsigned long long d;

	if (delta < 0) {
		/* -(delta + 1) + 1: no overflow at LLONG_MIN */
		d = (unsigned long long)(-(delta + 1)) + 1;
		return d >= v ? 0 : v - d;
	}
	d = (unsigned long long)delta;
	if (v > TALLY_MAX || d > TALLY_MAX - v)
		return TALLY_MAX;
	return v + d;
}

static int
plain_byte(unsigned char c, size_t at)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '@' ||
	    (c == '.' && at > 0);
}

int
tally_file_name(const char *key, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char c;

	if (key[0] == '\0')
		return -1;
	for (i = 0; key[i] != '\0'; i++) {
		c = (unsigned char)key[i];
		if (plain_byte(c, i)) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)c;
			continue;
		}
		if (o + 3 >= outlen)
			return -1;
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return o > NAME_MAX ? -1 : 0;
}

/* mkdir -p: each missing parent 0755, the directory itself 0700. */
static int
make_dirs(const char *path)
{
	char p[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (i = 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	return mkdir(p, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

int
tally_dir_open(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (make_dirs(path) == -1)
			return -1;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int
tally_file_open(int dirfd, const char *name, int create)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
	    (create ? O_CREAT : 0), 0600);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int
tally_file_lock(int fd)
{
	int r;

	do {
		r = flock(fd, LOCK_EX);
	} while (r == -1 && errno == EINTR);
	return r;
}

void
tally_file_unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
}

int
tally_file_read(int fd, struct tally *t)
{
	char rec[TALLY_REC_LEN + 1];
	ssize_t n;

	do {
		n = pread(fd, rec, sizeof(rec), 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		return 0;
	if (n != TALLY_REC_LEN || rec[FIELD_LEN] != ' ' ||
	    rec[TALLY_REC_LEN - 1] != '\n' ||
	    parse_uint_n(rec, FIELD_LEN, 0, TALLY_MAX, &t->bytes) == -1 ||
	    parse_uint_n(rec + FIELD_LEN + 1, FIELD_LEN, 0, TALLY_MAX,
	    &t->files) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

int
tally_file_write(int fd, const struct tally *t)
{
	char rec[TALLY_REC_LEN + 1];
	ssize_t n;

	if (snprintf(rec, sizeof(rec), "%0*llu %0*llu\n", FIELD_LEN,
	    t->bytes, FIELD_LEN, t->files) != TALLY_REC_LEN) {
		errno = EINVAL;
		return -1;
	}
	do {
		n = pwrite(fd, rec, TALLY_REC_LEN, 0);
	} while (n == -1 && errno == EINTR);
	if (n != TALLY_REC_LEN) {
		if (n >= 0)
			errno = ENOSPC;
		return -1;
	}
	return 0;
}
