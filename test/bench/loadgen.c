/*
 * loadgen.c - FTP load generator for the benchmark in test/bench/.
 *
 * Run by bench.py (never by the server): speaks just enough FTP (USER PASS
 * TYPE EPSV RETR STOR LIST MLSD PWD QUIT, AUTH TLS PBSZ PROT with OpenSSL
 * and session reuse on data connections) to drive one workload against one
 * server on 127.0.0.1 (or -h ADDR: bench.py runs it in a network namespace
 * of its own to reach a server over a veth pair, as a remote client does),
 * then prints one line of KEY=VALUE results.  It
 * trusts its command line (the harness) but not the server: replies are
 * read through a bounded line buffer and every socket has a 30 s timeout,
 * and every loop is bounded by a count or a deadline.
 *
 *   loadgen [-t] [-h IPV4] -p PORT [-u USER -w PASS] MODE ARGS...
 *     retr PATH                 one RETR, bytes and seconds
 *     stor PATH BYTES           one STOR of BYTES
 *     getmany DIR N SECS        RETR DIR/fNNNNN for N files, one session,
 *                               stopping early after SECS seconds
 *     putmany DIR N BYTES SECS  STOR N files of BYTES, one session
 *     bothmany DIR PUTDIR N BYTES SECS
 *                               N times a RETR DIR/fNNNNN and a STOR of
 *                               BYTES to PUTDIR/fNNNNN, one session
 *     list CMD PATH             one LIST or MLSD, bytes and lines
 *     sessions THREADS SECONDS  connect/login/PWD/QUIT loops (anonymous
 *                               when -u anonymous, else -u/-w logins)
 *     par THREADS PATH          THREADS sessions RETR PATH at once
 *     idle N                    N idle logged-in sessions until stdin closes
 *     loopback BYTES [FILE]     machine limit: BYTES (sendfile of FILE)
 *                               through a TCP pair on
 *                               127.0.0.1 (no FTP server involved)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/parse.h"

#define IO_CHUNK	(256 * 1024)
#define RBUF_SIZE	8192
#define LINE_MAX_LEN	1024
#define SOCK_TIMEOUT	30
#define MAX_THREADS	256
#define MAX_IDLE	2000

struct opts {
	struct in_addr	 addr;		/* the server's (-h), else 127.0.0.1 */
	unsigned short	 port;
	int		 tls;
	const char	*user;
	const char	*pass;
	SSL_CTX		*ctx;
};

struct conn {
	int	 fd;
	SSL	*ssl;
	char	 rbuf[RBUF_SIZE];
	size_t	 roff, rlen;
	char	 line[LINE_MAX_LEN];	/* first line of the last reply */
};

struct worker {
	pthread_t	 tid;
	const char	*path;
	double		 deadline;
	unsigned long long count, errors, bytes;
};

static struct opts opt;	/* read-only once main() has parsed it */

static double
now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
tcp_connect(unsigned short port, int nodelay)
{
	struct sockaddr_in sin;
	struct timeval tv = { SOCK_TIMEOUT, 0 };
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr = opt.addr;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (nodelay)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static ssize_t
io_read(int fd, SSL *ssl, void *p, size_t n)
{
	int r;

	if (ssl == NULL)
		return read(fd, p, n);
	r = SSL_read(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	if (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0;
	return -1;
}

static int
io_write_all(int fd, SSL *ssl, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if (ssl != NULL) {
			w = SSL_write(ssl, c, n > IO_CHUNK ? IO_CHUNK : (int)n);
			if (w <= 0)
				return -1;
		} else if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One reply line into line[] (truncated, CRLF stripped); 0 or -1. */
static int
ctl_read_line(struct conn *c, char *line, size_t size)
{
	size_t len = 0;
	ssize_t r;
	char ch;

	for (;;) {
		if (c->roff == c->rlen) {
			r = io_read(c->fd, c->ssl, c->rbuf, sizeof(c->rbuf));
			if (r <= 0)
				return -1;
			c->roff = 0;
			c->rlen = (size_t)r;
		}
		ch = c->rbuf[c->roff++];
		if (ch == '\n')
			break;
		if (ch != '\r' && len + 1 < size)
			line[len++] = ch;
	}
	line[len] = '\0';
	return 0;
}

/* Reads a whole (possibly multi-line) reply; returns its code or -1. */
static int
ctl_reply(struct conn *c)
{
	char more[LINE_MAX_LEN];
	unsigned long long code;
	int i;

	if (ctl_read_line(c, c->line, sizeof(c->line)) == -1)
		return -1;
	if (strlen(c->line) < 3 ||
	    parse_uint_n(c->line, 3, 100, 599, &code) == -1)
		return -1;
	if (c->line[3] != '-')
		return (int)code;
	for (i = 0; i < 100000; i++) {
		if (ctl_read_line(c, more, sizeof(more)) == -1)
			return -1;
		if (strncmp(more, c->line, 3) == 0 && more[3] == ' ')
			return (int)code;
	}
	return -1;
}

static int	ctl_cmd(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
ctl_cmd(struct conn *c, const char *fmt, ...)
{
	char cmd[LINE_MAX_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 2)
		return -1;
	cmd[n++] = '\r';
	cmd[n++] = '\n';
	if (io_write_all(c->fd, c->ssl, cmd, (size_t)n) == -1)
		return -1;
	return ctl_reply(c);
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
}

static int
ctl_start_tls(struct conn *c)
{
	if (ctl_cmd(c, "AUTH TLS") != 234)
		return -1;
	if ((c->ssl = SSL_new(opt.ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1)
		return -1;
	return 0;
}

/* Connects and logs in (TLS if -t); 0 or -1 with the reason on stderr. */
static int
session_open(struct conn *c, const char *user, const char *pass, int tls)
{
	int code;

	memset(c, 0, sizeof(*c));
	if ((c->fd = tcp_connect(opt.port, 1)) == -1)
		return -1;
	if (ctl_reply(c) != 220)
		goto fail;
	if (tls && ctl_start_tls(c) == -1)
		goto fail;
	code = ctl_cmd(c, "USER %s", user);
	if (code == 331)
		code = ctl_cmd(c, "PASS %s", pass);
	if (code != 230)
		goto fail;
	if (tls && (ctl_cmd(c, "PBSZ 0") != 200 || ctl_cmd(c, "PROT P") != 200))
		goto fail;
	if (ctl_cmd(c, "TYPE I") != 200)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "loadgen: login: %s\n", c->line);
	conn_close(c);
	return -1;
}

static void
session_quit(struct conn *c)
{
	(void)ctl_cmd(c, "QUIT");
	if (c->ssl != NULL)
		(void)SSL_shutdown(c->ssl);
	conn_close(c);
}

/* EPSV and connect; returns the data socket or -1. */
static int
data_connect(struct conn *c)
{
	unsigned long long port;
	char *p, *e;

	if (ctl_cmd(c, "EPSV") != 229)
		return -1;
	if ((p = strstr(c->line, "(|||")) == NULL ||
	    (e = strchr(p + 4, '|')) == NULL ||
	    parse_uint_n(p + 4, (size_t)(e - p - 4), 1, 65535, &port) == -1)
		return -1;
	return tcp_connect((unsigned short)port, 0);
}

/* Sends CMD, expects 125/150, then the TLS handshake under PROT P. */
static int
data_start(struct conn *c, struct conn *d, const char *cmd, const char *arg)
{
	SSL_SESSION *sess;
	int code;

	memset(d, 0, sizeof(*d));
	if ((d->fd = data_connect(c)) == -1)
		return -1;
	code = ctl_cmd(c, "%s %s", cmd, arg);
	if (code != 150 && code != 125) {
		conn_close(d);
		return -1;
	}
	if (c->ssl == NULL)
		return 0;
	if ((d->ssl = SSL_new(opt.ctx)) == NULL ||
	    SSL_set_fd(d->ssl, d->fd) != 1)
		goto fail;
	/* The client must not be the bottleneck: read ahead into a big
	 * buffer (set before the handshake) so one read(2) brings many
	 * records, not one 16 KiB record per call. */
	SSL_set_default_read_buffer_len(d->ssl, IO_CHUNK);
	SSL_set_read_ahead(d->ssl, 1);
	if ((sess = SSL_get1_session(c->ssl)) != NULL) {
		(void)SSL_set_session(d->ssl, sess);
		SSL_SESSION_free(sess);
	}
	if (SSL_connect(d->ssl) != 1)
		goto fail;
	return 0;
fail:
	ERR_print_errors_fp(stderr);
	conn_close(d);
	(void)ctl_reply(c);
	return -1;
}

/*
 * Ends the data connection the way the server expects and reads 226.  The
 * sender sends close_notify (TLS) and FIN, then drains until the server
 * closes too (bounded by the socket timeout), so that no server sees a
 * reset while it is still reading the end of an upload.
 */
static int
data_finish(struct conn *c, struct conn *d, int sender)
{
	char junk[512];
	int i;

	if (sender) {
		if (d->ssl != NULL)
			(void)SSL_shutdown(d->ssl);
		(void)shutdown(d->fd, SHUT_WR);
		for (i = 0; i < 1000; i++)
			if (io_read(d->fd, d->ssl, junk, sizeof(junk)) <= 0)
				break;
	}
	conn_close(d);
	return ctl_reply(c) == 226 ? 0 : -1;
}

/* Reads a data connection to EOF; counts bytes and LF characters. */
static int
xfer_in(struct conn *c, const char *cmd, const char *arg,
    unsigned long long *bytes, unsigned long long *lines, char *buf)
{
	struct conn d;
	ssize_t r, i;

	if (data_start(c, &d, cmd, arg) == -1)
		return -1;
	for (;;) {
		if ((r = io_read(d.fd, d.ssl, buf, IO_CHUNK)) <= 0)
			break;
		*bytes += (unsigned long long)r;
		if (lines != NULL)
			for (i = 0; i < r; i++)
				*lines += buf[i] == '\n';
	}
	if (r < 0) {
		conn_close(&d);
		(void)ctl_reply(c);
		return -1;
	}
	return data_finish(c, &d, 0);
}

static int
xfer_out(struct conn *c, const char *path, unsigned long long size,
    const char *buf)
{
	struct conn d;
	size_t n;
	int on = 1, off = 0, cork = size >= (1u << 20);

	if (data_start(c, &d, "STOR", path) == -1)
		return -1;
	/* Full segments only, as a server's download does (TCP_CORK). */
	if (cork)
		(void)setsockopt(d.fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
	while (size > 0) {
		n = size > IO_CHUNK ? IO_CHUNK : (size_t)size;
		if (io_write_all(d.fd, d.ssl, buf, n) == -1) {
			conn_close(&d);
			(void)ctl_reply(c);
			return -1;
		}
		size -= n;
	}
	if (cork)
		(void)setsockopt(d.fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
	return data_finish(c, &d, 1);
}

static char *
chunk_alloc(void)
{
	char *buf;
	size_t i;

	if ((buf = malloc(IO_CHUNK)) == NULL) {
		perror("loadgen: malloc");
		exit(2);
	}
	for (i = 0; i < IO_CHUNK; i++)
		buf[i] = (char)('a' + i % 26);
	return buf;
}

static unsigned long long
num_arg(const char *s, unsigned long long min, unsigned long long max)
{
	unsigned long long v;

	if (parse_uint(s, min, max, &v) == -1) {
		fprintf(stderr, "loadgen: bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* retr, stor, list: one transfer in one session. */
static int
mode_one(const char *mode, int argc, char **argv)
{
	struct conn c;
	unsigned long long bytes = 0, lines = 0;
	char *buf = chunk_alloc();
	double t0, t1;
	int rc;

	if (session_open(&c, opt.user, opt.pass, opt.tls) == -1)
		return 1;
	t0 = now();
	if (strcmp(mode, "retr") == 0 && argc == 1)
		rc = xfer_in(&c, "RETR", argv[0], &bytes, NULL, buf);
	else if (strcmp(mode, "list") == 0 && argc == 2)
		rc = xfer_in(&c, argv[0], argv[1], &bytes, &lines, buf);
	else if (strcmp(mode, "stor") == 0 && argc == 2) {
		bytes = num_arg(argv[1], 0, 1ULL << 40);
		rc = xfer_out(&c, argv[0], bytes, buf);
	} else
		rc = -2;
	t1 = now();
	if (rc == 0)
		printf("ok seconds=%.6f bytes=%llu lines=%llu tls=%s/%s\n",
		    t1 - t0, bytes, lines,
		    c.ssl != NULL ? SSL_get_version(c.ssl) : "none",
		    c.ssl != NULL ? SSL_get_cipher_name(c.ssl) : "none");
	else
		fprintf(stderr, "loadgen: %s failed: %s\n", mode, c.line);
	session_quit(&c);
	free(buf);
	return rc == 0 ? 0 : 1;
}

/*
 * getmany/putmany/bothmany: N small files in one session (what a mirror
 * or a deploy does); bothmany alternates directions, 2 N files.
 */
enum many { MANY_GET, MANY_PUT, MANY_BOTH };

static int
mode_many(enum many how, int argc, char **argv)
{
	struct conn c;
	unsigned long long n, i, size = 0, bytes = 0, files = 0;
	const char *getdir = argv[0], *putdir;
	char *buf = chunk_alloc(), name[512];
	double t0, t1, secs;
	int rc = 0, a = how == MANY_BOTH;

	if (argc != (how == MANY_GET ? 3 : how == MANY_PUT ? 4 : 5))
		return 2;
	putdir = argv[a];
	n = num_arg(argv[1 + a], 1, 1000000);
	if (how != MANY_GET)
		size = num_arg(argv[2 + a], 0, IO_CHUNK);
	secs = (double)num_arg(argv[argc - 1], 1, 600);
	if (session_open(&c, opt.user, opt.pass, opt.tls) == -1)
		return 1;
	t0 = now();
	for (i = 0; i < n && rc == 0 && now() - t0 < secs; i++) {
		if (how != MANY_PUT) {
			(void)snprintf(name, sizeof(name), "%s/f%05llu",
			    getdir, i);
			if ((rc = xfer_in(&c, "RETR", name, &bytes, NULL,
			    buf)) == 0)
				files++;
		}
		if (how != MANY_GET && rc == 0) {
			(void)snprintf(name, sizeof(name), "%s/f%05llu",
			    putdir, i);
			if ((rc = xfer_out(&c, name, size, buf)) == 0)
				files++;
			bytes += size;
		}
	}
	t1 = now();
	if (rc == 0)
		printf("ok seconds=%.6f files=%llu bytes=%llu\n", t1 - t0,
		    files, bytes);
	else
		fprintf(stderr, "loadgen: file %llu: %s\n", i, c.line);
	session_quit(&c);
	free(buf);
	return rc == 0 ? 0 : 1;
}

/* Some servers accept anonymous at USER already (230), others ask (331). */
static int
anon_login(struct conn *c)
{
	int code = ctl_cmd(c, "USER anonymous");

	if (code == 331)
		code = ctl_cmd(c, "PASS bench@example.org");
	return code == 230 ? 0 : -1;
}

static void *
sessions_worker(void *arg)
{
	struct worker *w = arg;
	struct conn c;
	int anon = strcmp(opt.user, "anonymous") == 0, i;

	for (i = 0; i < 10000000 && now() < w->deadline; i++) {
		memset(&c, 0, sizeof(c));
		if (!anon) {
			/* -u/-w: password logins (each costs a hash). */
			if (session_open(&c, opt.user, opt.pass, 0) == -1 ||
			    ctl_cmd(&c, "PWD") != 257 ||
			    ctl_cmd(&c, "QUIT") != 221)
				w->errors++;
			else
				w->count++;
			conn_close(&c);
			if (w->errors > 1000)
				break;
			continue;
		}
		if ((c.fd = tcp_connect(opt.port, 1)) == -1 ||
		    ctl_reply(&c) != 220 || anon_login(&c) == -1 ||
		    ctl_cmd(&c, "PWD") != 257 || ctl_cmd(&c, "QUIT") != 221)
			w->errors++;
		else
			w->count++;
		conn_close(&c);
		if (w->errors > 1000)
			break;
	}
	return NULL;
}

static void *
par_worker(void *arg)
{
	struct worker *w = arg;
	struct conn c;
	char *buf = chunk_alloc();

	if (session_open(&c, opt.user, opt.pass, opt.tls) == -1)
		w->errors++;
	else {
		if (xfer_in(&c, "RETR", w->path, &w->bytes, NULL, buf) == -1)
			w->errors++;
		session_quit(&c);
	}
	free(buf);
	return NULL;
}

/* sessions/par: THREADS workers; sums their counters. */
static int
mode_threads(int sessions, int argc, char **argv)
{
	struct worker *w;
	unsigned long long n, i, count = 0, errors = 0, bytes = 0;
	double t0, t1, secs = 0;

	if (argc != 2)
		return 2;
	n = num_arg(argv[0], 1, MAX_THREADS);
	if (sessions)
		secs = (double)num_arg(argv[1], 1, 120);
	if ((w = calloc(n, sizeof(*w))) == NULL)
		return 2;
	t0 = now();
	for (i = 0; i < n; i++) {
		w[i].deadline = t0 + secs;
		w[i].path = argv[1];
		if (pthread_create(&w[i].tid, NULL,
		    sessions ? sessions_worker : par_worker, &w[i]) != 0)
			return 2;
	}
	for (i = 0; i < n; i++) {
		(void)pthread_join(w[i].tid, NULL);
		count += w[i].count;
		errors += w[i].errors;
		bytes += w[i].bytes;
	}
	t1 = now();
	printf("ok seconds=%.6f count=%llu errors=%llu bytes=%llu\n", t1 - t0,
	    count, errors, bytes);
	free(w);
	return errors == 0 || (sessions && count > 0) ? 0 : 1;
}

/* idle: N logged-in sessions held until stdin closes (max 300 s).  A
 * few threads log in at once: with a password, each login costs the
 * server one hash, and 1000 of them in a row take minutes. */
#define IDLE_THREADS	4

struct idle_worker {
	pthread_t	 tid;
	struct conn	*c;
	unsigned long long first, n, stride, ok;
};

static void *
idle_worker(void *arg)
{
	struct idle_worker *w = arg;
	unsigned long long i;

	for (i = w->first; i < w->n; i += w->stride) {
		if (session_open(&w->c[i], opt.user, opt.pass, opt.tls) == 0)
			w->ok++;
		else
			w->c[i].fd = -1;
	}
	return NULL;
}

static int
mode_idle(int argc, char **argv)
{
	struct idle_worker w[IDLE_THREADS];
	struct conn *c;
	struct pollfd pfd = { 0, POLLIN, 0 };
	unsigned long long n, i, ok = 0;
	char junk[64];

	if (argc != 1)
		return 2;
	n = num_arg(argv[0], 1, MAX_IDLE);
	if ((c = calloc(n, sizeof(*c))) == NULL)
		return 2;
	for (i = 0; i < IDLE_THREADS; i++) {
		w[i] = (struct idle_worker){ .c = c, .first = i, .n = n,
		    .stride = IDLE_THREADS };
		if (pthread_create(&w[i].tid, NULL, idle_worker, &w[i]) != 0)
			return 2;
	}
	for (i = 0; i < IDLE_THREADS; i++) {
		(void)pthread_join(w[i].tid, NULL);
		ok += w[i].ok;
	}
	printf("ready sessions=%llu\n", ok);
	(void)fflush(stdout);
	if (poll(&pfd, 1, 300 * 1000) == 1 && read(0, junk, sizeof(junk)) < 0)
		perror("loadgen: stdin");
	for (i = 0; i < n; i++)
		if (c[i].fd != -1)
			session_quit(&c[i]);
	free(c);
	return ok == n ? 0 : 1;
}

static void *
loopback_reader(void *arg)
{
	int fd = *(int *)arg;
	char *buf = chunk_alloc();

	while (read(fd, buf, IO_CHUNK) > 0)
		continue;
	free(buf);
	return NULL;
}

/* Send n bytes of file (from its start, again at EOF) with sendfile. */
static int
loopback_sendfile(int cfd, int ffd, unsigned long long n)
{
	off_t off = 0;
	ssize_t k;

	while (n > 0) {
		k = sendfile(cfd, ffd, &off, n > IO_CHUNK ? IO_CHUNK :
		    (size_t)n);
		if (k == 0) {		/* end of the file: again */
			if (off == 0)
				return -1;
			off = 0;
			continue;
		}
		if (k < 0) {
			if (errno == EINTR)
				continue;
			perror("loadgen: sendfile");
			return -1;
		}
		n -= (unsigned long long)k;
	}
	return 0;
}

/* loopback: BYTES from one TCP socket to another on 127.0.0.1, by write,
 * or by sendfile from FILE (the machine's two limits for RETR). */
static int
mode_loopback(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned long long n;
	pthread_t tid;
	int lfd, cfd, afd;
	char *buf = chunk_alloc();
	double t0, t1;
	int ffd = -1, one = 1;

	if (argc != 1 && argc != 2)
		return 2;
	n = num_arg(argv[0], 1, 1ULL << 40);
	if (argc == 2 && (ffd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    (cfd = tcp_connect(ntohs(sin.sin_port), 0)) == -1 ||
	    (afd = accept(lfd, NULL, NULL)) == -1 ||
	    pthread_create(&tid, NULL, loopback_reader, &afd) != 0) {
		perror("loadgen: loopback");
		return 1;
	}
	/* Corked like the servers' bulk sends: the best the machine does. */
	if (setsockopt(cfd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) == -1)
		perror("loadgen: TCP_CORK");
	t0 = now();
	if (ffd != -1) {
		if (loopback_sendfile(cfd, ffd, n) == -1)
			return 1;
		(void)close(ffd);
	}
	for (; ffd == -1 && n > 0; n -= n > IO_CHUNK ? IO_CHUNK : n)
		if (io_write_all(cfd, NULL, buf, n > IO_CHUNK ? IO_CHUNK :
		    (size_t)n) == -1)
			return 1;
	(void)close(cfd);
	(void)pthread_join(tid, NULL);
	t1 = now();
	printf("ok seconds=%.6f bytes=%s\n", t1 - t0, argv[0]);
	(void)close(afd);
	(void)close(lfd);
	free(buf);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-t] [-h IPV4] -p PORT [-u USER] "
	    "[-w PASS] "
	    "retr|stor|getmany|putmany|bothmany|list|sessions|par|idle "
	    "ARGS...\n");
	exit(2);
}

static void
limits_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	const char *mode;
	int ch;

	opt.user = "anonymous";
	opt.pass = "bench@example.org";
	opt.addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((ch = getopt(argc, argv, "th:p:u:w:")) != -1) {
		switch (ch) {
		case 't': opt.tls = 1; break;
		case 'h':
			if (inet_pton(AF_INET, optarg, &opt.addr) != 1)
				usage();
			break;
		case 'p': opt.port = (unsigned short)num_arg(optarg, 1, 65535);
			break;
		case 'u': opt.user = optarg; break;
		case 'w': opt.pass = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || opt.port == 0)
		usage();
	limits_raise();
	/* A server closing early must show up as an error, not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return 2;
	if ((opt.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return 2;
	SSL_CTX_set_verify(opt.ctx, SSL_VERIFY_NONE, NULL);
	/*
	 * One cipher for every server, the one `openssl speed` measures as
	 * the machine limit: otherwise server preferences decide (ftpd picks
	 * AES-128-GCM, the peers AES-256-GCM) and the ratios compare ciphers.
	 */
	if (SSL_CTX_set_ciphersuites(opt.ctx, "TLS_AES_128_GCM_SHA256") != 1 ||
	    SSL_CTX_set_cipher_list(opt.ctx,
	    "ECDHE-ECDSA-AES128-GCM-SHA256") != 1)
		return 2;
	SSL_CTX_set_session_cache_mode(opt.ctx, SSL_SESS_CACHE_CLIENT);
	mode = argv[0];
	if (strcmp(mode, "getmany") == 0)
		return mode_many(MANY_GET, argc - 1, argv + 1);
	if (strcmp(mode, "putmany") == 0)
		return mode_many(MANY_PUT, argc - 1, argv + 1);
	if (strcmp(mode, "bothmany") == 0)
		return mode_many(MANY_BOTH, argc - 1, argv + 1);
	if (strcmp(mode, "sessions") == 0 || strcmp(mode, "par") == 0)
		return mode_threads(mode[0] == 's', argc - 1, argv + 1);
	if (strcmp(mode, "loopback") == 0)
		return mode_loopback(argc - 1, argv + 1);
	if (strcmp(mode, "idle") == 0)
		return mode_idle(argc - 1, argv + 1);
	if (strcmp(mode, "retr") == 0 || strcmp(mode, "stor") == 0 ||
	    strcmp(mode, "list") == 0)
		return mode_one(mode, argc - 1, argv + 1);
	usage();
	return 2;
}
