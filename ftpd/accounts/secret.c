/*
 * secret.c - read a database or directory password from its file.
 *
 * Runs in the account service as root, once, before it drops to
 * account_user: the file is meant to be readable by root alone, so the
 * password never sits in the configuration and no session can read it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accounts/service.h"

int
secret_read(const char *key, const char *path, char *out, size_t outlen,
    char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	out[0] = '\0';
	if (path[0] == '\0')
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s: not a regular file", key, path);
		(void)close(fd);
		return -1;
	}
	if (geteuid() == 0 && (st.st_uid != 0 ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)) {
		snprintf(err, errlen, "%s: %s: must be owned by root and "
		    "readable by root only (chmod 600)", key, path);
		(void)close(fd);
		return -1;
	}
	while (len < outlen - 1 &&
	    (n = read(fd, out + len, outlen - 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s: %s", key, path,
			    strerror(errno));
			(void)close(fd);
			explicit_bzero(out, outlen);
			return -1;
		}
		len += (size_t)n;
	}
	(void)close(fd);
	out[len] = '\0';
	if (len == outlen - 1 || strlen(out) != len) {
		snprintf(err, errlen, "%s: %s: longer than %zu bytes or holds "
		    "a NUL", key, path, outlen - 2);
		explicit_bzero(out, outlen);
		return -1;
	}
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '\r')
		out[--len] = '\0';
	return 0;
}
