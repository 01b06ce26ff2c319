/*
 * digest.c - SHA-256, SHA-1, MD5 and SHA-512 of file ranges for HASH, and
 * the RANG argument parser.
 *
 * Runs in the user process, as the account, after chroot.  The file
 * descriptor comes from the policy layer; the only client text here is the
 * RANG argument, parsed with parse_uint_n.  Apart from tls/, this is the one
 * file that includes OpenSSL headers (DESIGN.md, "C rules"), deliberately:
 * because libcrypto's EVP digests are already linked and writing our own
 * hash functions would be worse.  It uses libcrypto only (no SSL), and only
 * the built-in default provider, so nothing is loaded from disk after the
 * chroot.  Files are hashed in DIGEST_CHUNK pieces, so memory use does not
 * depend on the file size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/parse.h"
#include "common/xmalloc.h"
#include "user/digest.h"

_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");
#define DIGEST_OFF_MAX	((unsigned long long)INT64_MAX)

static const char *const digest_names[DIGEST_NALGO] = {
	[DIGEST_SHA256] = "SHA-256",
	[DIGEST_SHA1] = "SHA-1",
	[DIGEST_MD5] = "MD5",
	[DIGEST_SHA512] = "SHA-512",
};

const char *
digest_name(int algo)
{
	if (algo < 0 || algo >= DIGEST_NALGO)
		return NULL;
	return digest_names[algo];
}

int
digest_lookup(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < DIGEST_NALGO; i++)
		if (strcasecmp(name, digest_names[i]) == 0)
			return i;
	return -1;
}

static const EVP_MD *
digest_md(int algo)
{
	switch (algo) {
	case DIGEST_SHA256:
		return EVP_sha256();
	case DIGEST_SHA1:
		return EVP_sha1();
	case DIGEST_MD5:
		return EVP_md5();
	case DIGEST_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* A fresh context for algo, or NULL (errno set). */
static EVP_MD_CTX *
digest_start(int algo)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx;

	if ((md = digest_md(algo)) == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		errno = EINVAL;	/* e.g. MD5 refused by a FIPS provider */
		return NULL;
	}
	return ctx;
}

/* Finish ctx into lower-case hex and free it.  0 or -1. */
static int
digest_finish(EVP_MD_CTX *ctx, char *hex, size_t hexlen)
{
	static const char xd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int i, n = 0;
	int ok;

	ok = EVP_DigestFinal_ex(ctx, md, &n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || hexlen < 2 * (size_t)n + 1) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		hex[2 * i] = xd[md[i] >> 4];
		hex[2 * i + 1] = xd[md[i] & 0x0f];
	}
	hex[2 * n] = '\0';
	return 0;
}

int
digest_mem(int algo, const void *p, size_t n, char *hex, size_t hexlen)
{
	EVP_MD_CTX *ctx;

	if ((ctx = digest_start(algo)) == NULL)
		return -1;
	if (EVP_DigestUpdate(ctx, p, n) != 1) {
		EVP_MD_CTX_free(ctx);
		errno = EINVAL;
		return -1;
	}
	return digest_finish(ctx, hex, hexlen);
}

/* Feed start..end of fd into ctx through buf.  0 or -1 (errno). */
static int
digest_feed(EVP_MD_CTX *ctx, int fd, off_t start, off_t end,
    int (*progress)(void *, off_t), void *arg, unsigned char *buf)
{
	off_t pos = start, left;
	ssize_t n;
	size_t want;

	/* Bounded: every pass advances pos by at least one byte or fails. */
	while (pos <= end) {
		left = end - pos + 1;
		want = left < DIGEST_CHUNK ? (size_t)left : DIGEST_CHUNK;
		n = pread(fd, buf, want, pos);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;	/* file shrank under us */
			return -1;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			errno = EINVAL;
			return -1;
		}
		pos += n;
		if (progress != NULL && progress(arg, pos - start) != 0) {
			errno = ECANCELED;
			return -1;
		}
	}
	return 0;
}

int
digest_fd_range(int fd, int algo, off_t start, off_t end,
    int (*progress)(void *arg, off_t done), void *arg,
    char *hex, size_t hexlen)
{
	EVP_MD_CTX *ctx;
	unsigned char *buf;
	int rc, err;

	if (start < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((ctx = digest_start(algo)) == NULL)
		return -1;
	buf = xmalloc(DIGEST_CHUNK);
	rc = digest_feed(ctx, fd, start, end, progress, arg, buf);
	err = errno;
	free(buf);
	if (rc == -1) {
		EVP_MD_CTX_free(ctx);
		errno = err;
		return -1;
	}
	return digest_finish(ctx, hex, hexlen);
}

int
digest_parse_range(const char *arg, off_t *start, off_t *end)
{
	unsigned long long a, b;
	const char *sp;

	if (arg == NULL || (sp = strchr(arg, ' ')) == NULL)
		return -1;
	if (parse_uint_n(arg, (size_t)(sp - arg), 0, DIGEST_OFF_MAX,
	    &a) == -1 || parse_uint(sp + 1, 0, DIGEST_OFF_MAX, &b) == -1)
		return -1;
	if (a == 1 && b == 0)
		return 0;
	if (a > b)
		return -1;
	*start = (off_t)a;
	*end = (off_t)b;
	return 1;
}
