/*
 * tls_identity.c - keep the private key out of every process but the front.
 *
 * Session processes are forked from the master (the user process from the
 * monitor, itself a copy of the master), so whatever the master's heap
 * holds, the logged-in account's process holds too.  Loading a key with
 * OpenSSL leaves it behind in freed memory (the PEM text, the decoded DER,
 * big-number scratch), and the loaded key itself sits in the SSL_CTX.  So
 * the master parses only the certificates (public; a key block in the same
 * file is cut out before OpenSSL sees the text, and the text is wiped) and
 * copies the key file, with read(2) into a buffer it wipes, into a sealed
 * memory file: a descriptor, not memory.  A child checks that the key
 * loads and matches, then exits with whatever it parsed.  Each front
 * (nopriv_user, empty chroot) parses the key at its first handshake and
 * closes the copy; the monitor closes it once its front is forked, so
 * neither the user process nor the password-check child ever has it.  A
 * copy, not the path: the front cannot open files, and an edit of the file
 * on disk must wait for SIGHUP as before.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "config.h"
#include "tls/tls_identity.h"

/* A certificate chain with its key is a few KiB; anything past this is
 * not one. */
#define TLS_ID_MAX	(1024 * 1024)
/* Parsing one key takes milliseconds; a child that hangs is a bug. */
#define TLS_CHECK_MS	(30 * 1000)

static int key_fd = -1;
static int loaded;	/* this process's context has the key */

void
tls_errtext(char *err, size_t errlen, const char *prefix,
    const char *fallback)
{
	unsigned long e;
	const char *reason = NULL;

	e = ERR_peek_last_error();
	if (e != 0)
		reason = ERR_reason_error_string(e);
	if (reason == NULL)
		reason = fallback;
	snprintf(err, errlen, "%s: %s", prefix, reason);
	ERR_clear_error();
}

/* Append all of fd, read with pread(2) from offset 0, to the empty b.
 * 0, or -1 with errno (EFBIG past b's maximum). */
static int
read_all(int fd, struct buf *b)
{
	unsigned char *p;
	ssize_t n;

	for (;;) {
		if ((p = buf_reserve(b, 16384)) == NULL) {
			errno = EFBIG;
			return -1;
		}
		n = pread(fd, p, 16384, (off_t)b->len);
		if (n == 0)
			return 0;
		if (n > 0)
			buf_commit(b, (size_t)n);
		else if (errno != EINTR)
			return -1;
	}
}

/* Read the regular file at path into b (bounded; buf_free wipes it).
 * 0, or -1 with "key: path: reason" in err. */
static int
read_file(const char *key, const char *path, struct buf *b, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc = -1;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "%s: not set", key);
		return -1;
	}
	/* O_NONBLOCK: a FIFO must not hang the open. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		snprintf(err, errlen, "%s: %s: %s", key, path,
		    strerror(errno));
	else if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: %s: not a regular file", key, path);
	else if (read_all(fd, b) == -1)
		snprintf(err, errlen, "%s: %s: %s", key, path, errno == EFBIG ?
		    "larger than 1 MiB" : strerror(errno));
	else
		rc = 0;
	if (fd != -1)
		(void)close(fd);
	return rc;
}

/* The contents of b in a new sealed memory file: its fd, or -1. */
static int
to_memfd(const struct buf *b, char *err, size_t errlen)
{
	int fd;

	if ((fd = memfd_create("tls_key", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 ||
	    (b->len > 0 && write(fd, b->data, b->len) != (ssize_t)b->len) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		snprintf(err, errlen, "tls_key: cannot keep a copy: %s",
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	return fd;
}

/* Does this line open a certificate block ("-----BEGIN CERTIFICATE-----",
 * also TRUSTED and X509 CERTIFICATE)? */
static int
cert_begin(const char *l, size_t n)
{
	static const char pre[] = "-----BEGIN ", post[] = "CERTIFICATE-----";

	return n >= sizeof(pre) - 1 + sizeof(post) - 1 &&
	    memcmp(l, pre, sizeof(pre) - 1) == 0 &&
	    memcmp(l + n - (sizeof(post) - 1), post, sizeof(post) - 1) == 0;
}

/* Copy only the certificate blocks of the PEM text in to out.  Without
 * this, a key kept in the same file would reach OpenSSL's PEM reader,
 * which decodes the blocks it skips into memory it frees unwiped. */
static int
cert_blocks(const struct buf *in, struct buf *out)
{
	const char *p = (const char *)in->data, *end = p + in->len, *nl;
	size_t n;
	int keep = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (!keep)
			keep = cert_begin(p, n);
		if (keep && (buf_append(out, p, n) == -1 ||
		    buf_putc(out, '\n') == -1))
			return -1;
		if (keep && n >= 9 && memcmp(p, "-----END ", 9) == 0)
			keep = 0;
		p += n;
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
	}
	return 0;
}

/* The leaf certificate, then its chain, as use_certificate_chain_file. */
static int
use_chain(SSL_CTX *c, BIO *bio)
{
	X509 *x, *ca;
	unsigned long e;
	int ok;

	if ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) == NULL)
		return -1;
	ok = SSL_CTX_use_certificate(c, x) == 1;
	X509_free(x);
	if (!ok || SSL_CTX_clear_chain_certs(c) != 1)
		return -1;
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(c, ca) != 1) {
			X509_free(ca);
			return -1;
		}
	}
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
		return -1;
	ERR_clear_error();
	return 0;
}

/* An encrypted key has nobody to ask for its passphrase: fail it. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Did the key fail because it belongs to another certificate? */
static int
key_mismatch(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_X509 &&
	    (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
	    ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH);
}

/* Master: the certificate chain from cfg->tls_cert into c.  0 or -1. */
static int
load_certs(SSL_CTX *c, char *err, size_t errlen)
{
	char prefix[512];
	struct buf file, certs;
	BIO *bio = NULL;
	int rc = -1;

	buf_init(&file, TLS_ID_MAX);
	buf_init(&certs, TLS_ID_MAX);
	if (read_file("tls_cert", cfg->tls_cert, &file, err, errlen) == -1)
		goto out;
	snprintf(prefix, sizeof(prefix), "tls_cert: %s", cfg->tls_cert);
	if (cert_blocks(&file, &certs) == -1)
		snprintf(err, errlen, "%s: too large", prefix);
	else if (certs.len == 0)
		snprintf(err, errlen, "%s: no certificate in the file", prefix);
	else if ((bio = BIO_new_mem_buf(certs.data, (int)certs.len)) == NULL)
		tls_errtext(err, errlen, prefix, "out of memory");
	else if (use_chain(c, bio) == -1)
		tls_errtext(err, errlen, prefix, "cannot load certificate");
	else
		rc = 0;
out:
	BIO_free(bio);
	buf_free(&certs);
	buf_free(&file);
	return rc;
}

/* Check child and front: the key from its copy fd into c, which must
 * already hold the certificate.  0, or -1 with the reason in err. */
static int
load_key(SSL_CTX *c, int fd, char *err, size_t errlen)
{
	char prefix[512];
	EVP_PKEY *k = NULL;
	struct buf b;
	BIO *bio = NULL;
	int rc = -1, ok;

	buf_init(&b, TLS_ID_MAX);
	snprintf(prefix, sizeof(prefix), "tls_key: %s", cfg->tls_key);
	if (fd == -1 || read_all(fd, &b) == -1) {
		snprintf(err, errlen, "%s: cannot read the loaded copy",
		    prefix);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(b.data, (int)b.len)) == NULL) {
		tls_errtext(err, errlen, prefix, "out of memory");
		goto out;
	}
	if ((k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
	    NULL)) == NULL) {
		tls_errtext(err, errlen, prefix, "cannot load private key");
		goto out;
	}
	ok = SSL_CTX_use_PrivateKey(c, k) == 1;
	if (!ok && !key_mismatch()) {
		tls_errtext(err, errlen, prefix, "cannot use private key");
		goto out;
	}
	if (!ok || SSL_CTX_check_private_key(c) != 1) {
		snprintf(err, errlen, "tls_key: %s does not match the "
		    "certificate in %s", cfg->tls_key, cfg->tls_cert);
		ERR_clear_error();
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(k);
	BIO_free(bio);
	buf_free(&b);
	return rc;
}

/* What the check child loads. */
struct key_check {
	SSL_CTX	*c;
	int	 fd;
};

/* Child of the master: load the key into its copy of c; the message is
 * empty if it loaded, else the reason. */
static void __attribute__((noreturn))
check_child(int sock, void *arg)
{
	const struct key_check *k = arg;
	char err[512];

	err[0] = '\0';
	(void)load_key(k->c, k->fd, err, sizeof(err));
	_exit(ipc_send(sock, 0, err, strlen(err), -1) == 0 ? 0 : 1);
}

/* 0 if the key in kfd loads into c and matches, or -1 with the reason in
 * err.  In a child that exits: whatever OpenSSL leaves behind goes with it. */
static int
check_key(SSL_CTX *c, int kfd, char *err, size_t errlen)
{
	struct key_check k = { c, kfd };
	struct buf msg;
	uint32_t type;
	int rc;

	buf_init(&msg, errlen > 0 ? errlen - 1 : 0);
	rc = ipc_call_child(check_child, &k, &type, &msg, TLS_CHECK_MS);
	if (rc == -1)
		snprintf(err, errlen, "tls: the key check failed: %s",
		    errno != 0 ? strerror(errno) : "no answer");
	else if (msg.len > 0) {
		snprintf(err, errlen, "%s", buf_cstr(&msg));
		rc = -1;
	}
	buf_free(&msg);
	return rc;
}

int
tls_identity_prepare(SSL_CTX *c, char *err, size_t errlen)
{
	struct buf key;
	int kfd;

	if (load_certs(c, err, errlen) == -1)
		return -1;
	buf_init(&key, TLS_ID_MAX);
	kfd = read_file("tls_key", cfg->tls_key, &key, err, errlen) == -1 ?
	    -1 : to_memfd(&key, err, errlen);
	buf_free(&key);
	if (kfd == -1)
		return -1;
	if (check_key(c, kfd, err, errlen) == -1) {
		(void)close(kfd);
		return -1;
	}
	tls_identity_forget();
	key_fd = kfd;
	loaded = 0;
	return 0;
}

int
tls_identity_load(SSL_CTX *c, char *err, size_t errlen)
{
	if (loaded)
		return 0;
	if (load_key(c, key_fd, err, errlen) == -1)
		return -1;
	loaded = 1;
	/* Parsed: the copy is of no more use here. */
	tls_identity_forget();
	return 0;
}

void
tls_identity_forget(void)
{
	if (key_fd != -1)
		(void)close(key_fd);
	key_fd = -1;
}
