/*
 * treesum.c - the sizes and count of the regular files beneath a
 * directory (see treesum.h).
 *
 * Runs as root in ftpd's monitor over a tree the account controls, so
 * every name is opened relative to its parent's descriptor, without
 * following a symbolic link, and only regular files are counted: a link
 * to /etc/shadow or to another account's home is a link, not a file.
 * Recursion is bounded by TREESUM_DEPTH, so at most that many
 * directories are open at once.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tally.h"
#include "treesum.h"

static void
walk(int dfd, int depth, const char *skip, struct treesum *t)
{
	size_t nskip = skip != NULL ? strlen(skip) : 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int sub;

	if ((d = fdopendir(dfd)) == NULL) {
		(void)close(dfd);
		t->skipped++;
		return;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone meanwhile */
		if (S_ISREG(st.st_mode)) {
			if (nskip > 0 && strncmp(de->d_name, skip, nskip) == 0)
				continue;
			t->bytes = tally_add(t->bytes, st.st_size);
			t->files = tally_add(t->files, 1);
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (depth >= TREESUM_DEPTH) {
			t->skipped++;
			continue;
		}
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (sub == -1) {
			t->skipped++;
			continue;
		}
		walk(sub, depth + 1, skip, t);
	}
	if (errno != 0)
		t->skipped++;
	(void)closedir(d);
}

int
treesum(int dirfd, const char *skip, struct treesum *t)
{
	int fd;

	memset(t, 0, sizeof(*t));
	/* A descriptor of our own: fdopendir takes it over and moves it. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	walk(fd, 0, skip, t);
	return 0;
}
