/*
 * tls.c - the TLS layer of ftpd (RFC 4217), and the only OpenSSL user.
 *
 * The master builds the contexts, with the certificate chains of the
 * main settings and of each [host] section with its own, before forking
 * (tls_init); a private key is parsed only by the front, the one of the
 * identity its client's server name or HOST chose (tls_servername_cb,
 * tls_identity.c).  Each monitor installs fresh ticket keys and a random
 * session token (tls_session_prepare) before forking the front, which runs
 * as nopriv_user in an empty chroot and does every handshake, and at login
 * gives it the ticket keys of the account at the client's address
 * (tls_bind_derive, from the master's ticket secret).  The peer is
 * an untrusted client: handshakes are bounded in time, garbage ends them at
 * once, renegotiation and compression are off.  A data connection proves it
 * belongs to this control session by resuming it: a ticket carrying this
 * session's token (TLS 1.3 and 1.2 tickets), the control connection's
 * session id (TLS 1.2 session cache, private to this front process), or
 * a ticket under the account's keys (another control connection of the
 * same account from the same address; DESIGN.md, TLS).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/clock.h"
#include "common/hostname.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config.h"
#include "tls/tls.h"
#include "tls/tls_client.h"
#include "tls/tls_identity.h"

#define TLS_TOKEN_LEN	32
#define TLS_SECRET_LEN	32
#define TLS_ROTATE_MS	(12LL * 3600 * 1000)	/* ticket secret lifetime */
#define TLS_SID_CTX	"ftpd"
#define TLS_CACHE_SECS	86400L	/* sessions outlive any idle_timeout */
#define TLS_LINGER_MS	250	/* wait for the peer's close_notify */
#define TLS_WBUF	(256 * 1024)	/* tls_bulk */
#define TLS_REC_HDR	5	/* type, version, length */
#define TLS_REC_MAX	(16384 + 2048)	/* longest record body (RFC 5246) */
/* TLS 1.3 suites, fastest first (AES-128-GCM is cheapest with AES-NI). */
#define TLS13_SUITES	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
			"TLS_CHACHA20_POLY1305_SHA256"

struct tls_conn {
	SSL		*ssl;
	int		 fd;
	unsigned char	 sid[SSL_MAX_SSL_SESSION_ID_LENGTH];
	unsigned int	 sidlen;	/* control: session id at handshake */
	int		 want_write;	/* last I/O wanted POLLOUT */
	int		 buffered;	/* tls_bulk */
	int		 strict_eof;	/* data: EOF needs close_notify */
	int		 bound;		/* resumed a ticket of the account's
					 * keys (tls_dec_ticket_cb) */
	int		 data;		/* a data connection */
	int		 host;		/* the [host] section served, -1 main
					 * (data: the control connection's) */
	int		 sni;		/* the client sent a server name */
	char		 desc[96];
};

static SSL_CTX *tls_ctx;

/* One set of ticket keys: which key a ticket names says who made it. */
struct tls_tkey {
	unsigned char	name[16];
	unsigned char	aes[32];
	unsigned char	hmac[32];
	int		set;
};

/*
 * The master's ticket secret (tls_init, tls_rotate): the current one and
 * the one before.  Only the master and a monitor until its login hold it:
 * the front forgets it at once and the monitor before the user process
 * exists (tls_secret_forget).  See DESIGN.md, TLS.
 */
static struct {
	unsigned char	cur[TLS_SECRET_LEN];
	unsigned char	prev[TLS_SECRET_LEN];
	long long	born;		/* clock_ms of cur */
	int		set;
} tls_secret;

/* Per session (tls_session_prepare in the monitor, inherited by the
 * front): before login, tickets only this session can open, with its
 * token; after login (tls_bind_install), the keys of this account at
 * this address, current and previous. */
static struct tls_tkey tls_own;
static struct tls_tkey tls_bound[2];
static unsigned char tls_token[TLS_TOKEN_LEN];
static int tls_token_set;

static const struct tls_tkey *
tls_key_named(const unsigned char *name)
{
	const struct tls_tkey *all[] = { &tls_own, &tls_bound[0],
	    &tls_bound[1] };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->set && CRYPTO_memcmp(name, all[i]->name,
		    sizeof(all[i]->name)) == 0)
			return all[i];
	return NULL;
}

static int
tls_key_is_bound(const unsigned char *name)
{
	const struct tls_tkey *k = tls_key_named(name);

	return k != NULL && k != &tls_own;
}

/*
 * A data connection that did not resume one of our sessions is refused
 * by the reuse check after its handshake; a TLS 1.2 ticket issued in
 * that handshake would reach whoever made it (anyone at the client's
 * address who won the race for the passive port) and, carrying the
 * account's keys, resume on the next data connection.  So such a
 * handshake issues none.
 */
static int
tls_may_issue(SSL *ssl)
{
	const struct tls_conn *c = SSL_get_app_data(ssl);

	return c == NULL || !c->data || SSL_session_reused(ssl);
}

/* Tickets are encrypted under this session's own keys before login and
 * under the account's keys after it; any other ticket is not ours. */
static int
tls_ticket_key_cb(SSL *ssl, unsigned char name[16],
    unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	const struct tls_tkey *k;
	OSSL_PARAM params[3];
	char digest[] = "SHA256";

	if (enc && !tls_may_issue(ssl))
		return 0;		/* an empty ticket: none */
	if (enc)
		k = tls_bound[0].set ? &tls_bound[0] : &tls_own;
	else
		k = tls_key_named(name);
	if (k == NULL || !k->set)
		return enc ? -1 : 0;	/* not ours: full handshake */
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)(uintptr_t)k->hmac, sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, k->name, sizeof(k->name));
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL,
		    k->aes, iv) != 1 ||
		    EVP_MAC_CTX_set_params(hctx, params) != 1)
			return -1;
		return 1;
	}
	if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
	    iv) != 1 || EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	return 1;
}

/* Every ticket this session issues carries its token. */
static int
tls_gen_ticket_cb(SSL *ssl, void *arg)
{
	(void)arg;
	return SSL_SESSION_set1_ticket_appdata(SSL_get_session(ssl),
	    tls_token, sizeof(tls_token));
}

static int
tls_token_ok(SSL_SESSION *ss)
{
	void *ad;
	size_t adlen;

	if (ss == NULL || !tls_token_set ||
	    SSL_SESSION_get0_ticket_appdata(ss, &ad, &adlen) != 1)
		return 0;
	return adlen == TLS_TOKEN_LEN &&
	    CRYPTO_memcmp(ad, tls_token, TLS_TOKEN_LEN) == 0;
}

/*
 * Which tickets resume: one under this session's own keys with its
 * token, or one under the account's keys (any control connection of
 * this account from this address made it).  Others are ignored: full
 * handshake, which the reuse check then refuses.  Renewal is asked for
 * on every resumption; only TLS 1.2 acts on it, inside the handshake,
 * since data connections issue no TLS 1.3 tickets (tls_accept).  A data
 * connection's full handshake asks for none (tls_may_issue).
 */
static SSL_TICKET_RETURN
tls_dec_ticket_cb(SSL *ssl, SSL_SESSION *ss, const unsigned char *keyname,
    size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
	struct tls_conn *c = SSL_get_app_data(ssl);

	(void)arg;
	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		break;
	case SSL_TICKET_EMPTY:
	case SSL_TICKET_NO_DECRYPT:
		/* A full handshake: on a data connection, no new ticket. */
		return c != NULL && c->data ? SSL_TICKET_RETURN_IGNORE :
		    SSL_TICKET_RETURN_IGNORE_RENEW;
	default:
		return SSL_TICKET_RETURN_ABORT;
	}
	if (keyname_len == 16 && tls_key_is_bound(keyname)) {
		if (c != NULL)
			c->bound = 1;
	} else if (!tls_token_ok(ss))
		return c != NULL && c->data ? SSL_TICKET_RETURN_IGNORE :
		    SSL_TICKET_RETURN_IGNORE_RENEW;
	return SSL_TICKET_RETURN_USE_RENEW;
}

/*
 * ALPN (RFC 7301): a client that names protocols gets "ftp", the IANA
 * name for FTP over TLS, or, if "ftp" is not among them, the handshake
 * ends with a no_application_protocol alert.  A client that speaks to
 * this port believing it is another service (the ALPACA cross-protocol
 * attacks: an HTTPS client lured here) so never gets a session.
 * Clients that offer no ALPN, as most FTP clients, are not asked.
 */
static int
tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char ftp[] = "\003ftp";
	unsigned char *sel = NULL;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, ftp, sizeof(ftp) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED || sel == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/*
 * TLS per host: which certificate this handshake presents.  The server
 * name (SNI) the client sent selects a [host NAME] section (exact name,
 * else a wildcard one; config_vhost_match), else the section HOST chose
 * before AUTH, else the main settings.  A name that is no host name is
 * refused, and so is one that selects another section than HOST did
 * (RFC 6066's unrecognized_name alert): the client would check the
 * certificate against one name and log in to another host.  A data
 * connection always presents its control connection's certificate.
 */
static int
tls_servername_cb(SSL *ssl, int *al, void *arg)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	const char *name;
	char err[256];
	int host;

	(void)arg;
	*al = SSL_AD_UNRECOGNIZED_NAME;
	if (c == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	name = c->data ? NULL : SSL_get_servername(ssl,
	    TLSEXT_NAMETYPE_host_name);
	host = c->host;
	if (name != NULL) {
		if (!hostname_valid(name)) {
			log_msg(LOG_NOTICE, "TLS: refused a server name that "
			    "is no host name");
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		host = config_vhost_match(name);
		if (c->host != -1 && host != c->host) {
			log_msg(LOG_NOTICE, "TLS: server name %s does not "
			    "match HOST %s", name,
			    config_vhost_at(c->host)->name);
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		c->sni = 1;
	}
	if (config_tls_mode(host) == TLS_OFF) {
		log_msg(LOG_NOTICE, "TLS: tls is off for [host %s]",
		    config_vhost_at(host)->name);
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if (tls_identity_use(ssl, host, err, sizeof(err)) == -1) {
		log_msg(LOG_ERR, "TLS: %s", err);
		ERR_clear_error();
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	c->host = host;
	return name != NULL ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

static int
tls_setup_ctx(SSL_CTX *c, const char *ciphers, char *err, size_t errlen)
{
	uint64_t opts;

	/*
	 * Many FTP clients close without close_notify; an upload's end is
	 * still marked by it where the client sends one.  Kernel TLS is not
	 * enabled: it could not be tested here (no tls module).
	 */
	opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF;
	SSL_CTX_set_options(c, opts);
	if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) {
		tls_errtext(err, errlen, "tls", "cannot set TLS 1.2 minimum");
		return -1;
	}
	if (SSL_CTX_set_cipher_list(c, ciphers) != 1) {
		snprintf(err, errlen, "tls_ciphers: no usable cipher in "
		    "\"%s\"", ciphers);
		ERR_clear_error();
		return -1;
	}
	if (SSL_CTX_set_ciphersuites(c, TLS13_SUITES) != 1) {
		tls_errtext(err, errlen, "tls", "cannot set TLS 1.3 suites");
		return -1;
	}
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_timeout(c, TLS_CACHE_SECS);
	if (SSL_CTX_set_session_id_context(c,
	    (const unsigned char *)TLS_SID_CTX, sizeof(TLS_SID_CTX) - 1) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(c, tls_ticket_key_cb) != 1 ||
	    SSL_CTX_set_session_ticket_cb(c, tls_gen_ticket_cb,
	    tls_dec_ticket_cb, NULL) != 1) {
		tls_errtext(err, errlen, "tls", "cannot set up session cache");
		return -1;
	}
	SSL_CTX_set_alpn_select_cb(c, tls_alpn_cb, NULL);
	SSL_CTX_set_tlsext_servername_callback(c, tls_servername_cb);
	return tls_client_setup(c, err, errlen);
}

/* Random bytes straight from the kernel: RAND_bytes would first
 * instantiate OpenSSL's DRBG in a freshly forked monitor, for every
 * session, plaintext or not. */
static void
tls_random(void *p, size_t n, const char *what)
{
	if (getrandom(p, n, 0) != (ssize_t)n)
		fatal("tls: no random bytes for %s", what);
}

static void
tls_new_secret(void)
{
	memcpy(tls_secret.prev, tls_secret.set ? tls_secret.cur :
	    tls_secret.prev, TLS_SECRET_LEN);
	tls_random(tls_secret.cur, TLS_SECRET_LEN, "the ticket secret");
	if (!tls_secret.set)	/* no previous one: the same twice */
		memcpy(tls_secret.prev, tls_secret.cur, TLS_SECRET_LEN);
	tls_secret.born = clock_ms();
	tls_secret.set = 1;
}

int
tls_init(char *err, size_t errlen)
{
	SSL_CTX *c;

	/* Also the SIGHUP reload: the old context stays until a new one
	 * has loaded, so a bad new certificate changes nothing. */
	if (cfg->tls == TLS_OFF) {
		SSL_CTX_free(tls_ctx);
		tls_ctx = NULL;
		tls_identity_clear();
		return 0;
	}
	/* The context every handshake starts in holds no certificate: the
	 * servername callback moves each connection to its identity's. */
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_errtext(err, errlen, "tls", "cannot create context");
		return -1;
	}
	if (tls_setup_ctx(c, cfg->tls_ciphers, err, errlen) == -1 ||
	    tls_identity_prepare(tls_setup_ctx, err, errlen) == -1) {
		SSL_CTX_free(c);
		return -1;
	}
	if (!tls_secret.set)
		tls_new_secret();
	if (tls_ctx != NULL)
		SSL_CTX_free(tls_ctx);
	tls_ctx = c;
	return 0;
}

int
tls_available(void)
{
	return tls_ctx != NULL;
}

void
tls_rotate(void)
{
	if (tls_ctx != NULL && (!tls_secret.set ||
	    clock_ms() - tls_secret.born > TLS_ROTATE_MS))
		tls_new_secret();
}

void
tls_session_prepare(void)
{
	unsigned char r[sizeof(tls_own.name) + sizeof(tls_own.aes) +
	    sizeof(tls_own.hmac) + TLS_TOKEN_LEN], *p = r;

	if (tls_ctx == NULL)
		return;		/* no TLS: nothing to bind */
	tls_random(r, sizeof(r), "session keys");
	memcpy(tls_own.name, p, sizeof(tls_own.name));
	p += sizeof(tls_own.name);
	memcpy(tls_own.aes, p, sizeof(tls_own.aes));
	p += sizeof(tls_own.aes);
	memcpy(tls_own.hmac, p, sizeof(tls_own.hmac));
	p += sizeof(tls_own.hmac);
	memcpy(tls_token, p, TLS_TOKEN_LEN);
	explicit_bzero(r, sizeof(r));
	tls_own.set = tls_token_set = 1;
	/* The cache was copied from the master; it must start empty. */
	if (SSL_CTX_sess_number(tls_ctx) > 0)
		SSL_CTX_flush_sessions(tls_ctx, (long)time(NULL) +
		    TLS_CACHE_SECS + 1);
}

void
tls_secret_forget(int all)
{
	explicit_bzero(&tls_secret, sizeof(tls_secret));
	if (!all)
		return;
	explicit_bzero(&tls_own, sizeof(tls_own));
	explicit_bzero(tls_bound, sizeof(tls_bound));
	explicit_bzero(tls_token, sizeof(tls_token));
	tls_token_set = 0;
}

/* HMAC-SHA256 of what under key into out (32 bytes).  0 or -1. */
static int
tls_hmac(const unsigned char *key, size_t keylen, const void *what,
    size_t len, unsigned char out[32])
{
	size_t outlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, what,
	    len, out, 32, &outlen) == NULL || outlen != 32) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int
tls_bind_derive(const char *account, const char *root, const char *ip,
    unsigned char out[TLS_BIND_LEN])
{
	static const char label[] = "ftpd ticket keys v1";
	const char *part[3] = { account, root, ip };
	unsigned char *msg;
	size_t len[3], n, i;
	int rc = 0;

	n = sizeof(label);
	for (i = 0; i < 3; i++) {
		if ((len[i] = strlen(part[i])) > 0xffff)
			return -1;
		n += 2 + len[i];
	}
	if (!tls_secret.set)
		return -1;
	/* Length-prefixed, so no two different triples give one message. */
	msg = xmalloc(n);
	memcpy(msg, label, sizeof(label));
	n = sizeof(label);
	for (i = 0; i < 3; i++) {
		msg[n++] = (unsigned char)(len[i] >> 8);
		msg[n++] = (unsigned char)len[i];
		memcpy(msg + n, part[i], len[i]);
		n += len[i];
	}
	if (tls_hmac(tls_secret.cur, TLS_SECRET_LEN, msg, n, out) == -1 ||
	    tls_hmac(tls_secret.prev, TLS_SECRET_LEN, msg, n,
	    out + TLS_BIND_LEN / 2) == -1) {
		explicit_bzero(out, TLS_BIND_LEN);
		rc = -1;
	}
	free(msg);
	return rc;
}

/* Expand one 32-byte account key into a key set. */
static int
tls_expand(const unsigned char *k, struct tls_tkey *t)
{
	unsigned char name[32];

	if (tls_hmac(k, 32, "name", 4, name) == -1 ||
	    tls_hmac(k, 32, "aes", 3, t->aes) == -1 ||
	    tls_hmac(k, 32, "hmac", 4, t->hmac) == -1)
		return -1;
	memcpy(t->name, name, sizeof(t->name));
	t->set = 1;
	return 0;
}

int
tls_bind_install(const unsigned char in[TLS_BIND_LEN])
{
	if (tls_expand(in, &tls_bound[0]) == -1 ||
	    tls_expand(in + TLS_BIND_LEN / 2, &tls_bound[1]) == -1) {
		explicit_bzero(tls_bound, sizeof(tls_bound));
		return -1;
	}
	return 0;
}

int
tls_issue_ticket(struct tls_conn *c)
{
	int r;

	if (c == NULL || SSL_version(c->ssl) < TLS1_3_VERSION)
		return 0;	/* TLS 1.2 tickets come with handshakes */
	ERR_clear_error();
	if (SSL_new_session_ticket(c->ssl) != 1) {
		ERR_clear_error();
		return -1;
	}
	/* Written now if the socket takes it, else with the next write. */
	r = SSL_do_handshake(c->ssl);
	if (r != 1) {
		r = SSL_get_error(c->ssl, r);
		ERR_clear_error();
		if (r != SSL_ERROR_WANT_WRITE && r != SSL_ERROR_WANT_READ)
			return -1;
		c->want_write = r == SSL_ERROR_WANT_WRITE;
	}
	return 0;
}

/* Wait for what OpenSSL asked for, until deadline.  1 ready, 0 timeout,
 * -1 error. */
static int
tls_wait(int fd, int sslerr, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int r;

	pfd.fd = fd;
	pfd.events = sslerr == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	pfd.revents = 0;
	left = deadline - clock_ms();
	if (left <= 0)
		return 0;
	r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
	if (r == -1 && errno == EINTR)
		return 1;
	return r;
}

/* Run SSL_accept on a non-blocking fd until done, error or deadline. */
static int
tls_handshake(SSL *ssl, int fd, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = clock_ms() + timeout_ms;
	int i, r, e;

	for (i = 0; i < 100000; i++) {
		ERR_clear_error();
		if ((r = SSL_accept(ssl)) == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
				snprintf(err, errlen, "TLS handshake: %s",
				    r == 0 || errno == 0 ?
				    "connection closed" : strerror(errno));
			else
				tls_errtext(err, errlen, "TLS handshake",
				    "failed");
			return -1;
		}
		if ((r = tls_wait(fd, e, deadline)) == 0) {
			snprintf(err, errlen, "TLS handshake: timed out");
			return -1;
		}
		if (r == -1) {
			snprintf(err, errlen, "TLS handshake: poll: %s",
			    strerror(errno));
			return -1;
		}
	}
	snprintf(err, errlen, "TLS handshake: too many rounds");
	return -1;
}

int
tls_check_reuse(struct tls_conn *c, struct tls_conn *control, char *err,
    size_t errlen)
{
	SSL_SESSION *ss = SSL_get_session(c->ssl);
	const unsigned char *id;
	unsigned int idlen = 0;

	if (!SSL_session_reused(c->ssl)) {
		snprintf(err, errlen, "TLS session of the control connection "
		    "not reused");
		return -1;
	}
	if (c->bound || tls_token_ok(ss))
		return 0;
	id = ss != NULL ? SSL_SESSION_get_id(ss, &idlen) : NULL;
	if (id != NULL && idlen > 0 && idlen == control->sidlen &&
	    CRYPTO_memcmp(id, control->sid, idlen) == 0)
		return 0;
	snprintf(err, errlen, "resumed TLS session is not the control "
	    "connection's");
	return -1;
}

static void
tls_fill_desc(struct tls_conn *c)
{
	const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);

	snprintf(c->desc, sizeof(c->desc), "%s %s%s", SSL_get_version(c->ssl),
	    ci != NULL ? SSL_CIPHER_get_name(ci) : "?",
	    SSL_session_reused(c->ssl) ? " (resumed)" : "");
}

static void
tls_remember_sid(struct tls_conn *c)
{
	SSL_SESSION *ss = SSL_get_session(c->ssl);
	const unsigned char *id;
	unsigned int idlen = 0;

	c->sidlen = 0;
	if (ss == NULL || (id = SSL_SESSION_get_id(ss, &idlen)) == NULL ||
	    idlen == 0 || idlen > sizeof(c->sid))
		return;
	memcpy(c->sid, id, idlen);
	c->sidlen = idlen;
}

struct tls_conn *
tls_accept(int fd, struct tls_conn *control, int host, int timeout_ms,
    char *err, size_t errlen)
{
	struct tls_conn *c;
	int flags;

	if (tls_ctx == NULL) {
		snprintf(err, errlen, "TLS not available");
		return NULL;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	/* The identity (and its key, parsed at the first handshake) is
	 * chosen in tls_servername_cb. */
	c->host = control != NULL ? control->host : host;
	ERR_clear_error();
	if ((c->ssl = SSL_new(tls_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1) {
		tls_errtext(err, errlen, "TLS", "cannot create connection");
		goto fail;
	}
	/*
	 * Data connections read ahead into a large buffer (tls_bulk): set
	 * before the handshake, because OpenSSL sizes its read buffer at
	 * the first read and keeps it; afterwards it reads one 16 KiB
	 * record per read(2).  Never on the control connection, whose
	 * unread bytes must stay in the socket for CCC.
	 */
	if (control != NULL) {
		c->data = 1;
		SSL_set_default_read_buffer_len(c->ssl, TLS_WBUF);
		SSL_set_read_ahead(c->ssl, 1);
		/*
		 * An upload ends with the client's close_notify.  A TCP
		 * FIN without it may come from anyone on the path, and
		 * would otherwise commit a truncated file as complete.
		 * Downloads relax this (tls_allow_unclean_eof).
		 */
		SSL_clear_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
		c->strict_eof = 1;
	} else {
		/* OpenSSL decrypts records in place and keeps them: the
		 * PASS line would stay in the front that relays TLS for
		 * the whole session.  Commands are few and short. */
		SSL_set_options(c->ssl, SSL_OP_CLEANSE_PLAINTEXT);
	}
	/*
	 * No TLS 1.3 tickets after these handshakes.  Before login a ticket
	 * could name no account, and a client with one cache entry per host
	 * (Go, rclone) would let it replace a good one; the relay issues
	 * them after login (tls_issue_ticket).  On a data connection a
	 * client that only writes never reads them, and unread bytes make
	 * its close a reset that loses the end of the upload.
	 */
	SSL_set_num_tickets(c->ssl, 0);
	SSL_set_app_data(c->ssl, c);
	if (tls_handshake(c->ssl, fd, timeout_ms, err, errlen) == -1) {
		tls_client_why(c->ssl, err, errlen);
		goto fail;
	}
	if (control == NULL)
		tls_remember_sid(c);
	tls_fill_desc(c);
	/* The caller chooses blocking or not; give back what it had. */
	(void)fcntl(fd, F_SETFL, flags);
	return c;
fail:
	(void)fcntl(fd, F_SETFL, flags);
	tls_free(c);
	return NULL;
}

void
tls_allow_unclean_eof(struct tls_conn *c)
{
	SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	c->strict_eof = 0;
}

/* Map an SSL_read/SSL_write failure to read(2)/write(2) conventions. */
static ssize_t
tls_io_error(struct tls_conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r), saved = errno;

	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		c->want_write = e == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && saved == 0 && !c->strict_eof) {
			ERR_clear_error();
			return 0;	/* EOF without close_notify */
		}
		ERR_clear_error();
		errno = saved != 0 ? saved : EIO;
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t
tls_read(struct tls_conn *c, void *p, size_t n)
{
	size_t got = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read_ex(c->ssl, p, n, &got)) == 1)
		return (ssize_t)got;
	return tls_io_error(c, r);
}

ssize_t
tls_write(struct tls_conn *c, const void *p, size_t n)
{
	size_t put = 0;
	int r;

	if (n == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_write_ex(c->ssl, p, n, &put)) == 1)
		return (ssize_t)put;
	if (tls_io_error(c, r) == 0)
		errno = EPIPE;	/* peer closed: writing is an error */
	return -1;
}

int
tls_wants_write(struct tls_conn *c)
{
	return c->want_write;
}

int
tls_bulk(struct tls_conn *c)
{
	BIO *sock = SSL_get_wbio(c->ssl), *b;

	if (sock == NULL || (b = BIO_new(BIO_f_buffer())) == NULL)
		return -1;
	if (BIO_set_write_buffer_size(b, TLS_WBUF) != 1 ||
	    BIO_up_ref(sock) != 1) {
		BIO_free(b);
		ERR_clear_error();
		return -1;
	}
	/* The socket BIO stays the read side; the chain owns one ref. */
	(void)BIO_push(b, sock);
	SSL_set0_wbio(c->ssl, b);
	c->buffered = 1;
	SSL_set_read_ahead(c->ssl, 1);
	SSL_set_default_read_buffer_len(c->ssl, TLS_WBUF);
	return 0;
}

int
tls_flush(struct tls_conn *c)
{
	BIO *b;

	if (!c->buffered)
		return 1;
	b = SSL_get_wbio(c->ssl);
	if (BIO_wpending(b) == 0)
		return 1;
	if (BIO_flush(b) > 0)
		return 1;
	if (BIO_should_retry(b)) {
		c->want_write = 1;
		return 0;
	}
	ERR_clear_error();
	return -1;
}

/* Before close_notify: records still gathered must go first. */
static int
tls_flush_wait(struct tls_conn *c, long long deadline)
{
	int i, r;

	for (i = 0; i < 10000; i++) {
		if ((r = tls_flush(c)) != 0)
			return r;
		if (tls_wait(c->fd, SSL_ERROR_WANT_WRITE, deadline) != 1)
			return -1;
	}
	return -1;
}

int
tls_pending(struct tls_conn *c)
{
	return SSL_pending(c->ssl);
}

/*
 * Send close_notify, then give the peer a moment to answer (or close), so
 * closing the socket does not reset a connection whose last bytes the
 * peer is still reading.
 */
void
tls_close(struct tls_conn *c, int timeout_ms)
{
	long long deadline;
	int flags, r, e, i, sent = 0;

	if (c == NULL)
		return;
	if (timeout_ms > TLS_LINGER_MS)
		timeout_ms = TLS_LINGER_MS;
	deadline = clock_ms() + timeout_ms;
	if ((flags = fcntl(c->fd, F_GETFL)) != -1)
		(void)fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
	for (i = 0; i < 1000 && tls_flush_wait(c, deadline) == 1; i++) {
		ERR_clear_error();
		if ((r = SSL_shutdown(c->ssl)) == 1)
			break;
		if (r == 0 && !sent) {
			sent = 1;
			continue;	/* ours is out; now read theirs */
		}
		e = SSL_get_error(c->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    tls_wait(c->fd, e, deadline) != 1)
			break;
	}
	ERR_clear_error();
	if (flags != -1)
		(void)fcntl(c->fd, F_SETFL, flags);
	tls_free(c);
}

/*
 * What waits on the socket for tls_unwrap.  Only whole records are handed
 * to OpenSSL, so it never reads past the peer's close_notify into the
 * clear text that follows (without read-ahead it reads a record's header,
 * then exactly its body).
 */
enum tls_next {
	TLS_NEXT_ERROR = -1,
	TLS_NEXT_NONE,		/* nothing yet */
	TLS_NEXT_PART,		/* part of a record */
	TLS_NEXT_RECORD,	/* a whole record */
	TLS_NEXT_PLAIN,		/* a byte that cannot start a record */
	TLS_NEXT_EOF,
};

static enum tls_next
tls_peek_next(int fd, unsigned char *tmp, size_t tmplen)
{
	ssize_t n;
	size_t need;

	n = recv(fd, tmp, TLS_REC_HDR, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return TLS_NEXT_EOF;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? TLS_NEXT_NONE : TLS_NEXT_ERROR;
	/* Record types 20-24; a command line starts with a letter. */
	if (tmp[0] < 20 || tmp[0] > 24 || (n > 1 && tmp[1] != 3))
		return TLS_NEXT_PLAIN;
	if (n < TLS_REC_HDR)
		return TLS_NEXT_PART;
	need = TLS_REC_HDR + ((size_t)tmp[3] << 8 | tmp[4]);
	if (need > tmplen)
		return TLS_NEXT_ERROR;
	n = recv(fd, tmp, need, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? TLS_NEXT_PART : TLS_NEXT_ERROR;
	return (size_t)n >= need ? TLS_NEXT_RECORD : TLS_NEXT_PART;
}

/* Send our close_notify (after gathered records).  1 sent (0 when the
 * peer's came first, too), -1 error. */
static int
tls_send_close_notify(struct tls_conn *c, long long deadline)
{
	int i, r, e;

	for (i = 0; i < 1000; i++) {
		if (tls_flush_wait(c, deadline) != 1)
			return -1;
		ERR_clear_error();
		if ((r = SSL_shutdown(c->ssl)) >= 0)
			return r == 0 ? 1 : 0;
		e = SSL_get_error(c->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    tls_wait(c->fd, e, deadline) != 1)
			return -1;
	}
	return -1;
}

/* One whole record: application data goes to buf.  0 go on, 1 it was
 * the close_notify, -1 error. */
static int
tls_unwrap_record(struct tls_conn *c, unsigned char *buf, size_t cap,
    size_t *got, char *err, size_t errlen)
{
	ssize_t n;

	if (*got >= cap) {
		snprintf(err, errlen, "too much data before close_notify");
		return -1;
	}
	n = tls_read(c, buf + *got, cap - *got);
	if (n > 0) {
		*got += (size_t)n;
		return 0;
	}
	if (n == 0 && (SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN))
		return 1;
	if (n == -1 && errno == EAGAIN)
		return 0;	/* not data: a post-handshake message */
	snprintf(err, errlen, "%s", n == 0 ? "connection closed" :
	    strerror(errno));
	return -1;
}

/* Wait for more bytes: poll when there are none, nap when part of a
 * record is there (poll would return at once).  A signal (the monitor's
 * SIGTERM) ends the wait.  0, or -1 with err. */
static int
tls_unwrap_wait(int fd, enum tls_next k, long long deadline, char *err,
    size_t errlen)
{
	struct timespec nap = { 0, 10 * 1000000L };
	long long left = deadline - clock_ms();
	struct pollfd pfd;
	int r;

	if (left <= 0) {
		snprintf(err, errlen, "no close_notify from the client");
		errno = ETIMEDOUT;
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (k == TLS_NEXT_PART)
		r = nanosleep(&nap, NULL);
	else
		r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
	if (r == -1) {
		snprintf(err, errlen, "waiting for close_notify: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
tls_unwrap(struct tls_conn *c, int timeout_ms, void *buf, size_t cap,
    size_t *got, char *err, size_t errlen)
{
	long long deadline = clock_ms() + timeout_ms;
	unsigned char *tmp;
	enum tls_next k;
	int flags, i, r, rc = -1;

	*got = 0;
	snprintf(err, errlen, "TLS shutdown failed");
	tmp = xmalloc(TLS_REC_HDR + TLS_REC_MAX);
	if ((flags = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto out;
	if ((r = tls_send_close_notify(c, deadline)) != 1) {
		rc = r;		/* 0: the client's came first */
		goto out;
	}
	for (i = 0; i < 1000000; i++) {
		/* Data OpenSSL decrypted before CCC comes first. */
		k = SSL_pending(c->ssl) > 0 ? TLS_NEXT_RECORD :
		    tls_peek_next(c->fd, tmp, TLS_REC_HDR + TLS_REC_MAX);
		if (k == TLS_NEXT_PLAIN) {
			rc = 1;		/* went on in clear text */
			break;
		}
		if (k == TLS_NEXT_RECORD) {
			r = tls_unwrap_record(c, buf, cap, got, err, errlen);
			if (r == 1)
				rc = 0;
			if (r != 0)
				break;
		} else if (k == TLS_NEXT_EOF || k == TLS_NEXT_ERROR) {
			snprintf(err, errlen, "%s", k == TLS_NEXT_EOF ?
			    "connection closed" : "not a TLS record");
			break;
		} else if (tls_unwrap_wait(c->fd, k, deadline, err,
		    errlen) == -1)
			break;
	}
out:
	/* Clear text held inside OpenSSL would be lost: must not happen. */
	if (rc != -1 && SSL_has_pending(c->ssl)) {
		snprintf(err, errlen, "bytes left inside TLS after shutdown");
		rc = -1;
	}
	if (flags != -1)
		(void)fcntl(c->fd, F_SETFL, flags);
	ERR_clear_error();
	free(tmp);
	return rc;
}

void
tls_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	freezero(c, sizeof(*c));
}

int
tls_sni_host(const struct tls_conn *c, int *host)
{
	*host = c->host;
	return c->sni;
}

int
tls_peer_name(struct tls_conn *c, char *out, size_t outlen)
{
	return tls_client_name(c->ssl, out, outlen);
}

const char *
tls_describe(struct tls_conn *c)
{
	return c != NULL ? c->desc : "plain text";
}
