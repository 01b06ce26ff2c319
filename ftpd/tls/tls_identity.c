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
 *
 * TLS per host: every [host NAME] section with its own tls_cert gets its
 * own context and its key is copied into the same sealed file; the front
 * parses only the key of the identity its client chose (the SNI name or
 * HOST, tls.c's servername callback).  DESIGN.md, "TLS per host and
 * client certificates".
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "config.h"
#include "tls/tls_identity.h"

/* A certificate chain with its key is a few KiB; anything past this is
 * not one. */
#define TLS_ID_MAX	(1024 * 1024)
/* Parsing one key takes milliseconds; a child that hangs is a bug. */
#define TLS_CHECK_MS	(30 * 1000)

/*
 * The identities: [0] the main settings' certificate, then one per
 * [host NAME] section with a certificate of its own (TLS per host).
 * Each has a context holding its certificate chain and the place of
 * its key in the one sealed key file, where all keys are copied one
 * after the other: one descriptor for any number of hosts.
 */
struct tls_id {
	SSL_CTX	*c;
	char	*host;		/* NULL: the main settings */
	char	*cert, *key;	/* the files, for messages */
	char	*ciphers;	/* tls_ciphers (set per connection) */
	off_t	 off;		/* the key's bytes in key_fd */
	size_t	 len;
	int	 loaded;	/* this process's c has the key */
};

#define TLS_IDS_MAX	(VHOST_MAX + 1)

static struct tls_id ids[TLS_IDS_MAX];
static size_t nids;
static int host_id[VHOST_MAX];	/* identity of each section, 0: main */
static int key_fd = -1;

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

/* Master: the certificate chain from the file path into c.  0 or -1. */
static int
load_certs(SSL_CTX *c, const char *path, char *err, size_t errlen)
{
	char prefix[512];
	struct buf file, certs;
	BIO *bio = NULL;
	int rc = -1;

	buf_init(&file, TLS_ID_MAX);
	buf_init(&certs, TLS_ID_MAX);
	if (read_file("tls_cert", path, &file, err, errlen) == -1)
		goto out;
	snprintf(prefix, sizeof(prefix), "tls_cert: %s", path);
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

/* len bytes at off of fd into the empty b.  0, or -1. */
static int
read_slice(int fd, off_t off, size_t len, struct buf *b)
{
	unsigned char *p;
	ssize_t n;

	if (fd == -1 || (p = buf_reserve(b, len)) == NULL)
		return -1;
	while (b->len < len) {
		n = pread(fd, p + b->len, len - b->len, off + (off_t)b->len);
		if (n == 0)
			return -1;
		if (n > 0)
			buf_commit(b, (size_t)n);
		else if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* Check child and front: the key of id from the key file fd into its
 * context, which already holds the certificate.  0, or -1 with the
 * reason in err. */
static int
load_key(const struct tls_id *id, int fd, char *err, size_t errlen)
{
	char prefix[512];
	EVP_PKEY *k = NULL;
	struct buf b;
	BIO *bio = NULL;
	int rc = -1, ok;

	buf_init(&b, TLS_ID_MAX);
	snprintf(prefix, sizeof(prefix), "tls_key: %s", id->key);
	if (read_slice(fd, id->off, id->len, &b) == -1) {
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
	ok = SSL_CTX_use_PrivateKey(id->c, k) == 1;
	if (!ok && !key_mismatch()) {
		tls_errtext(err, errlen, prefix, "cannot use private key");
		goto out;
	}
	if (!ok || SSL_CTX_check_private_key(id->c) != 1) {
		snprintf(err, errlen, "tls_key: %s does not match the "
		    "certificate in %s", id->key, id->cert);
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

/* What the check child loads: the identities from first on, whose keys
 * are in fd. */
struct key_check {
	struct tls_id	*ids;
	size_t		 first, n;
	int		 fd;
};

/* Child of the master: load each key into its copy of its context; the
 * message is empty if all loaded, else the first reason, prefixed with
 * the index of the identity that failed ("3 tls_key: ..."). */
static void __attribute__((noreturn))
check_child(int sock, void *arg)
{
	const struct key_check *k = arg;
	char err[512], msg[600];
	size_t i;

	msg[0] = '\0';
	for (i = k->first; i < k->n && msg[0] == '\0'; i++)
		if (load_key(&k->ids[i], k->fd, err, sizeof(err)) == -1)
			snprintf(msg, sizeof(msg), "%zu %s", i, err);
	_exit(ipc_send(sock, 0, msg, strlen(msg), -1) == 0 ? 0 : 1);
}

/* Index of the first identity from first whose key fails to load into
 * its context, with the reason in err; n when all load; (size_t)-1 when
 * the check itself failed.  In a child that exits: whatever OpenSSL
 * leaves behind goes with it. */
static size_t
check_keys(struct tls_id *t, size_t first, size_t n, int kfd, char *err,
    size_t errlen)
{
	struct key_check k = { t, first, n, kfd };
	unsigned long long bad;
	struct buf msg;
	uint32_t type;
	const char *sp;
	size_t rc = n;

	buf_init(&msg, 600);
	if (ipc_call_child(check_child, &k, &type, &msg, TLS_CHECK_MS) == -1) {
		snprintf(err, errlen, "tls: the key check failed: %s",
		    errno != 0 ? strerror(errno) : "no answer");
		rc = (size_t)-1;
	} else if (msg.len > 0) {
		sp = strchr(buf_cstr(&msg), ' ');
		if (sp == NULL || parse_uint_n(buf_cstr(&msg),
		    (size_t)(sp - buf_cstr(&msg)), first, n - 1, &bad) == -1) {
			snprintf(err, errlen, "tls: the key check answered "
			    "nonsense");
			rc = (size_t)-1;
		} else {
			snprintf(err, errlen, "%s", sp + 1);
			rc = (size_t)bad;
		}
	}
	buf_free(&msg);
	return rc;
}

static void
id_free(struct tls_id *id)
{
	SSL_CTX_free(id->c);
	free(id->host);
	free(id->cert);
	free(id->key);
	free(id->ciphers);
	memset(id, 0, sizeof(*id));
}

/* Does section v use a certificate of its own (not the main one)? */
static int
host_has_own(const struct vhost *v)
{
	return v->tls != TLS_OFF && v->tls_cert[0] != '\0' &&
	    (strcmp(v->tls_cert, cfg->tls_cert) != 0 ||
	    strcmp(v->tls_key, cfg->tls_key) != 0 ||
	    strcmp(v->tls_ciphers, cfg->tls_ciphers) != 0);
}

/* The identity of the previous table that served host (NULL: main), or
 * -1. */
static int
old_id_of(const struct tls_id *t, size_t n, const char *host)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((host == NULL && t[i].host == NULL) || (host != NULL &&
		    t[i].host != NULL && strcasecmp(host, t[i].host) == 0))
			return (int)i;
	return -1;
}

/* One new identity: a context from setup with the certificates of
 * cert, and the key file's bytes appended to keys.  0, or -1 with the
 * reason in err (id is then freed). */
static int
id_build(struct tls_id *id, const char *host, const char *cert,
    const char *key, const char *ciphers, tls_ctx_setup_fn *setup,
    struct buf *keys, char *err, size_t errlen)
{
	struct buf k;
	int rc = -1;

	memset(id, 0, sizeof(*id));
	id->host = host != NULL ? xstrdup(host) : NULL;
	id->cert = xstrdup(cert);
	id->key = xstrdup(key);
	id->ciphers = xstrdup(ciphers);
	if ((id->c = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_errtext(err, errlen, "tls", "cannot create context");
		goto out;
	}
	if (setup(id->c, ciphers, err, errlen) == -1 ||
	    load_certs(id->c, cert, err, errlen) == -1)
		goto out;
	buf_init(&k, TLS_ID_MAX);
	if (read_file("tls_key", key, &k, err, errlen) == 0) {
		id->off = (off_t)keys->len;
		id->len = k.len;
		if (buf_append(keys, k.data, k.len) == -1)
			snprintf(err, errlen, "tls_key: %s: the keys together "
			    "are too large", key);
		else
			rc = 0;
	}
	buf_free(&k);
out:
	if (rc == -1)
		id_free(id);
	return rc;
}

/* The certificate chain of the context from into the new context to. */
static int
copy_chain(SSL_CTX *from, SSL_CTX *to)
{
	STACK_OF(X509) *chain = NULL;
	X509 *x = SSL_CTX_get0_certificate(from);
	int i;

	if (x == NULL || SSL_CTX_use_certificate(to, x) != 1 ||
	    SSL_CTX_get0_chain_certs(from, &chain) != 1)
		return -1;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (SSL_CTX_add1_chain_cert(to, sk_X509_value(chain, i)) != 1)
			return -1;
	return 0;
}

/* Keep the old identity o's certificate and key (its key's bytes read
 * back from the old key file) as the new n, in a context set up anew:
 * only the host's own files failed, and the rest of the new
 * configuration (tls_client_ca, tls_crl, tls_client_cert) applies to it
 * as to every host; o's context, shared, would verify client
 * certificates against the old CAs and CRL.  o stays whole until the
 * new table replaces the old.  0 or -1. */
static int
id_keep(const struct tls_id *o, struct tls_id *n, tls_ctx_setup_fn *setup,
    struct buf *keys)
{
	char err[512];
	struct buf k;
	int rc = -1;

	memset(n, 0, sizeof(*n));
	buf_init(&k, TLS_ID_MAX);
	if (read_slice(key_fd, o->off, o->len, &k) == -1 ||
	    (n->c = SSL_CTX_new(TLS_server_method())) == NULL ||
	    setup(n->c, o->ciphers, err, sizeof(err)) == -1 ||
	    copy_chain(o->c, n->c) == -1 ||
	    buf_append(keys, k.data, k.len) == -1) {
		ERR_clear_error();
		SSL_CTX_free(n->c);
		n->c = NULL;
	} else {
		n->host = xstrdup(o->host);
		n->cert = xstrdup(o->cert);
		n->key = xstrdup(o->key);
		n->ciphers = xstrdup(o->ciphers);
		n->off = (off_t)(keys->len - k.len);
		n->len = k.len;
		rc = 0;
	}
	buf_free(&k);
	return rc;
}

/* A host whose certificate failed: its old identity kept into a free
 * slot of t if it had one (hid[i] set to it), else the main one.  The
 * slot a key check emptied is taken first: a host whose identity was
 * built then dropped already holds a place, so appending too would run
 * past TLS_IDS_MAX with every section failing or not. */
static void
host_failed(size_t i, int *hid, struct tls_id *t, size_t *n,
    tls_ctx_setup_fn *setup, struct buf *keys)
{
	const struct vhost *v = &cfg->vhosts[i];
	int o = old_id_of(ids, nids, v->name);
	size_t s;

	for (s = 1; s < *n && t[s].c != NULL; s++)
		continue;
	if (o > 0 && s < TLS_IDS_MAX && id_keep(&ids[o], &t[s], setup,
	    keys) == 0) {
		log_msg(LOG_ERR, "tls: [host %s] keeps its previous "
		    "certificate", v->name);
		hid[i] = (int)s;
		if (s == *n)
			(*n)++;
		return;
	}
	log_msg(LOG_ERR, "tls: [host %s] is served with the main "
	    "certificate", v->name);
	hid[i] = 0;
}

int
tls_identity_prepare(tls_ctx_setup_fn *setup, char *err, size_t errlen)
{
	struct tls_id t[TLS_IDS_MAX];
	int hid[VHOST_MAX];
	struct buf keys;
	char herr[512];
	size_t i, n = 0, bad, first = 0;
	int kfd = -1, rc = -1, start = nids == 0;

	memset(t, 0, sizeof(t));
	memset(hid, 0, sizeof(hid));
	buf_init(&keys, TLS_ID_MAX * TLS_IDS_MAX);
	if (id_build(&t[n++], NULL, cfg->tls_cert, cfg->tls_key,
	    cfg->tls_ciphers, setup, &keys, err, errlen) == -1)
		goto out;
	for (i = 0; i < cfg->nvhosts; i++) {
		const struct vhost *v = &cfg->vhosts[i];

		hid[i] = 0;
		if (!host_has_own(v))
			continue;
		if (id_build(&t[n], v->name, v->tls_cert, v->tls_key,
		    v->tls_ciphers, setup, &keys, herr, sizeof(herr)) == 0) {
			hid[i] = (int)n++;
			continue;
		}
		if (start) {
			snprintf(err, errlen, "[host %s] %s", v->name, herr);
			goto out;
		}
		hid[i] = -1;	/* decided once the new keys are checked */
		log_msg(LOG_ERR, "tls: [host %s] %s", v->name, herr);
	}
	/* The keys are checked in one child; a failing host's identity is
	 * dropped and the check runs again on the rest. */
	for (;;) {
		if (kfd != -1)
			(void)close(kfd);
		if ((kfd = to_memfd(&keys, err, errlen)) == -1)
			goto out;
		bad = check_keys(t, first, n, kfd, err, errlen);
		if (bad == n)
			break;
		if (bad == (size_t)-1 || bad == 0)
			goto out;
		if (start) {
			snprintf(herr, sizeof(herr), "%s", err);
			snprintf(err, errlen, "[host %s] %s", t[bad].host,
			    herr);
			goto out;
		}
		for (i = 0; i < cfg->nvhosts; i++)
			if (hid[i] == (int)bad)
				hid[i] = -1;
		log_msg(LOG_ERR, "tls: [host %s] %s", t[bad].host, err);
		id_free(&t[bad]);
		/* The others keep their places: the slot stays empty. */
		first = bad + 1;
	}
	/* Hosts that failed: their old identity if they had one, appended
	 * (their keys were checked when they were loaded). */
	for (i = 0; i < cfg->nvhosts; i++)
		if (hid[i] == -1)
			host_failed(i, hid, t, &n, setup, &keys);
	if (n > 0 && keys.len > 0) {
		(void)close(kfd);
		if ((kfd = to_memfd(&keys, err, errlen)) == -1)
			goto out;
	}
	for (i = 0; i < nids; i++)
		id_free(&ids[i]);
	memcpy(host_id, hid, sizeof(hid));
	memcpy(ids, t, sizeof(t));
	nids = n;
	memset(t, 0, sizeof(t));
	tls_identity_forget();
	key_fd = kfd;
	kfd = -1;
	rc = 0;
out:
	for (i = 0; i < TLS_IDS_MAX; i++)
		id_free(&t[i]);
	if (kfd != -1)
		(void)close(kfd);
	buf_free(&keys);
	return rc;
}

void
tls_identity_clear(void)
{
	size_t i;

	for (i = 0; i < nids; i++)
		id_free(&ids[i]);
	nids = 0;
	tls_identity_forget();
}

/* The identity serving section host (-1: main). */
static struct tls_id *
id_of(int host)
{
	int i = host >= 0 && (size_t)host < cfg->nvhosts &&
	    host < VHOST_MAX ? host_id[host] : 0;

	if (nids == 0)
		return NULL;
	return i >= 0 && (size_t)i < nids && ids[i].c != NULL ? &ids[i] :
	    &ids[0];
}

int
tls_identity_use(SSL *ssl, int host, char *err, size_t errlen)
{
	struct tls_id *id = id_of(host);

	if (id == NULL) {
		snprintf(err, errlen, "no certificate");
		return -1;
	}
	if (!id->loaded) {
		if (load_key(id, key_fd, err, errlen) == -1)
			return -1;
		id->loaded = 1;
		/* Parsed: the copy is of no more use here (a front makes
		 * one control handshake; its data connections use the
		 * same identity). */
		tls_identity_forget();
	}
	if (SSL_set_SSL_CTX(ssl, id->c) != id->c) {
		tls_errtext(err, errlen, "TLS", "cannot switch certificate");
		return -1;
	}
	/* The cipher list is the connection's own, not the context's. */
	if (SSL_set_cipher_list(ssl, id->ciphers) != 1) {
		tls_errtext(err, errlen, "TLS", "cannot set ciphers");
		return -1;
	}
	return 0;
}

void
tls_identity_forget(void)
{
	if (key_fd != -1)
		(void)close(key_fd);
	key_fd = -1;
}
