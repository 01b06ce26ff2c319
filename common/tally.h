/*
 * tally.h - two counters (bytes, files) with a limit each, and the small
 * file that keeps them for several processes at once.
 *
 * The arithmetic is pure: a reservation is granted whole for files and
 * as much as fits for bytes, a change never takes a counter below zero
 * and never wraps.  The file holds one fixed-width text record,
 * "%020llu %020llu\n" (TALLY_REC_LEN bytes), so an update is one pwrite
 * of the whole record: a process killed between two updates leaves the
 * last one whole, and a reader never sees half of one.  Writers hold an
 * exclusive flock(2) from their read to their write.  An empty file is a
 * tally not counted yet.  Nothing here knows what is counted; ftpd's
 * quota tallies are the user (priv/tally_file.c, tools/ftpquota.c).
 */
#ifndef COMMON_TALLY_H
#define COMMON_TALLY_H

#include <stddef.h>

#define TALLY_REC_LEN	42
/* The largest value a counter or a change may have: far beyond any disk,
 * small enough that no sum of two overflows. */
#define TALLY_MAX	(1ULL << 62)
/* A file name for any key of up to 255 bytes (each byte may become three). */
#define TALLY_NAME_MAX	(3 * 255 + 1)

struct tally {
	unsigned long long bytes, files;
};

/*
 * Reserve want_bytes and want_files in t, within max_bytes and max_files
 * (0: no limit).  Files are granted whole or not at all (then nothing is
 * granted); bytes as many as fit.  The grant in *got_bytes, *got_files.
 */
void	tally_reserve(struct tally *t, unsigned long long want_bytes,
	    unsigned long long want_files, unsigned long long max_bytes,
	    unsigned long long max_files, unsigned long long *got_bytes,
	    unsigned long long *got_files);
/* Add a signed change to one counter: never below 0, never past
 * TALLY_MAX. */
unsigned long long tally_add(unsigned long long v, long long delta);

/*
 * key as a file name: [A-Za-z0-9_@-] and '.' (not first) as they are,
 * every other byte as %XX, so that two keys never share a name and no
 * key names "..", a hidden file or a path.  0, or -1 if it does not fit
 * outlen or NAME_MAX.
 */
int	tally_file_name(const char *key, char *out, size_t outlen);
/*
 * The directory of tally files at path, made (mode 0700, parents 0755)
 * if missing.  It must be owned by this process's effective uid and
 * writable by no one else: a directory others may write could hold
 * their links.  An O_DIRECTORY fd, or -1 (errno; EPERM for a directory
 * that fails the check).
 */
int	tally_dir_open(const char *path);
/*
 * Open name in dirfd for reading and writing, creating it (mode 0600)
 * when create is set, never through a symlink; it must be a regular file
 * owned by this process's effective uid.  fd (close-on-exec), or -1
 * (errno; EPERM for a file that fails the check).
 */
int	tally_file_open(int dirfd, const char *name, int create);
/* flock(2) LOCK_EX, EINTR retried.  0 or -1. */
int	tally_file_lock(int fd);
void	tally_file_unlock(int fd);
/* The record: 1 with *t, 0 when the file is empty (never counted), -1
 * (errno; EINVAL for a malformed record). */
int	tally_file_read(int fd, struct tally *t);
/* Write the record.  0 or -1 (errno). */
int	tally_file_write(int fd, const struct tally *t);

#endif
