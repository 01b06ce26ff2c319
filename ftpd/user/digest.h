/*
 * digest.h - message digests of byte ranges of open files, for HASH
 * (draft-bryan-ftpext-hash-02), and the RANG argument parser.
 *
 * Runs in the user process, as the account.  The fd is one the policy
 * layer opened; RANG text is client input and is parsed strictly.  The
 * OpenSSL types stay inside digest.c.
 */
#ifndef FTPD_DIGEST_H
#define FTPD_DIGEST_H

#include <stddef.h>
#include <sys/types.h>

/* Algorithm numbers; 0 is the default so a zeroed session means SHA-256. */
enum digest_algo {
	DIGEST_SHA256 = 0,
	DIGEST_SHA1,
	DIGEST_MD5,
	DIGEST_SHA512,
	DIGEST_NALGO
};

#define DIGEST_HEX_MAX	(64 * 2 + 1)	/* SHA-512 in hex plus NUL */
#define DIGEST_CHUNK	(256 * 1024)	/* bytes read per step: O(1) memory */

/* The HASH name of algo ("SHA-256"), or NULL when out of range. */
const char *digest_name(int algo);
/* algo for a HASH name, case-insensitive, or -1 when unknown. */
int	digest_lookup(const char *name);
/*
 * Hex digest (lower case) of the n bytes at p into hex (>= DIGEST_HEX_MAX).
 * 0 or -1.
 */
int	digest_mem(int algo, const void *p, size_t n, char *hex, size_t hexlen);
/*
 * Hex digest of the bytes start..end (inclusive) of fd, read with pread in
 * DIGEST_CHUNK steps (the file offset is not used or moved).  end < start
 * hashes nothing (an empty file).  After each chunk, when progress is not
 * NULL, progress(arg, bytes_done) is called; a non-zero return stops the
 * work with errno ECANCELED.  0, or -1 with errno (EIO if the file ended
 * before end, ENOMEM, EINVAL for a bad algo or range).
 */
int	digest_fd_range(int fd, int algo, off_t start, off_t end,
	    int (*progress)(void *arg, off_t done), void *arg,
	    char *hex, size_t hexlen);
/*
 * Parse a RANG argument "START END": two decimal numbers (parse_uint, up to
 * the largest off_t) separated by one space, END inclusive.  Pure.
 * Returns 1 with *start, *end set when START <= END; 0 for "1 0", which
 * resets the range; -1 for anything else.
 */
int	digest_parse_range(const char *arg, off_t *start, off_t *end);

#endif
