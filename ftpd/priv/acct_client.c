/*
 * acct_client.c - ask the account service about one login, or change
 * the quota tally of an SQL account.
 *
 * Runs as root: in the throwaway authentication child (auth_child.c) for
 * logins, in the monitor for tallies (quota_sql.c).  One connection per
 * question, to the abstract socket the master made
 * (acct_spawn.c); the answer must come from a process running as
 * account_user (SO_PEERCRED), within accounts_timeout.  Whatever the
 * service says is only a description: acct_check.c judges it.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ipc.h"
#include "config.h"
#include "priv/acct_service.h"

#define CONNECT_RETRY_MS	50

extern char acct_sock_name[ACCT_SOCK_NAME_MAX];

/* deadline 0: never wait (the master's shared bans): a non-blocking
 * socket, one connect attempt. */
static int
dial(long long deadline, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	struct timeval tv;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	size_t n = strlen(acct_sock_name);
	long long left = deadline - clock_ms();
	int fd;

	if (n == 0) {
		snprintf(why, whylen, "the account service is not running");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, acct_sock_name, n);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    (deadline == 0 ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A full listen queue (every worker busy) makes connect wait. */
	tv.tv_sec = left > 0 ? left / 1000 : 0;
	tv.tv_usec = left > 0 ? (left % 1000) * 1000 : 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* Refused: the service is starting (it listens once it has
	 * dropped root) or being restarted; it is worth waiting for. */
	while (connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(
	    struct sockaddr_un, sun_path) + 1 + n)) == -1) {
		if ((errno == ECONNREFUSED || errno == EINTR) &&
		    deadline != 0 && clock_ms() + CONNECT_RETRY_MS < deadline) {
			(void)usleep(CONNECT_RETRY_MS * 1000);
			continue;
		}
		snprintf(why, whylen, "the account service: connect: %s",
		    errno == EAGAIN ? "busy until the deadline" :
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1 ||
	    (!cfg->unprivileged && cr.uid != (uid_t)cfg->acct_uid) ||
	    (cfg->unprivileged && cr.uid != getuid())) {
		snprintf(why, whylen, "the account service's socket is held "
		    "by uid %u, not account_user", (unsigned)cr.uid);
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
acct_dial_now(char *why, size_t whylen)
{
	return dial(0, why, whylen);
}

enum acct_status
acct_ask(unsigned source, const char *user, const char *host,
    const char *client, const char *password, struct acct_record *r,
    char *why, size_t whylen)
{
	/* The service's own deadline, plus a moment for the answer. */
	long long deadline = clock_ms() + (long long)cfg->accounts_timeout *
	    1000 + 500, left;
	enum acct_status st = ACCT_UNAVAILABLE;
	struct buf out, in;
	uint32_t type;
	int fd;

	memset(r, 0, sizeof(*r));
	fd = dial(deadline, why, whylen);
	if (fd == -1)
		return ACCT_UNAVAILABLE;
	buf_init(&out, IPC_MAX);
	buf_init(&in, IPC_MAX);
	if (ipc_put_u32(&out, source) == -1 || ipc_put_str(&out, user) == -1 ||
	    ipc_put_str(&out, host) == -1 ||
	    ipc_put_str(&out, client) == -1 ||
	    ipc_put_str(&out, password) == -1 ||
	    ipc_send(fd, ACCT_LOOKUP, out.data, out.len, -1) == -1) {
		snprintf(why, whylen, "the account service: send: %s",
		    strerror(errno));
		goto done;
	}
	left = deadline - clock_ms();
	if (ipc_recv_timeout(fd, &type, &in, NULL, left > 0 ? (int)left : 1)
	    == -1 || type != ACCT_ANSWER) {
		snprintf(why, whylen, "the account service: %s",
		    errno == ETIMEDOUT ? "no answer within the deadline "
		    "(accounts_timeout)" : errno == 0 ? "closed without an "
		    "answer" : strerror(errno));
		goto done;
	}
	if (acct_get_answer(&in, &st, why, whylen, r) == -1) {
		snprintf(why, whylen, "the account service: a malformed "
		    "answer");
		st = ACCT_UNAVAILABLE;
	}
done:
	buf_free(&out);		/* wiped: it held the password */
	buf_free(&in);
	(void)close(fd);
	return st;
}

void
acct_tally_ask(const struct acct_tally_req *rq, struct acct_tally_ans *a)
{
	long long deadline = clock_ms() + (long long)cfg->accounts_timeout *
	    1000 + 500, left;
	struct buf out, in;
	uint32_t type;
	int fd;

	memset(a, 0, sizeof(*a));
	a->status = ACCT_UNAVAILABLE;
	if ((fd = dial(deadline, a->why, sizeof(a->why))) == -1)
		return;
	buf_init(&out, IPC_MAX);
	buf_init(&in, IPC_MAX);
	if (acct_put_tally(&out, rq) == -1 ||
	    ipc_send(fd, ACCT_TALLY, out.data, out.len, -1) == -1) {
		snprintf(a->why, sizeof(a->why), "the account service: send: "
		    "%s", strerror(errno));
		goto done;
	}
	left = deadline - clock_ms();
	if (ipc_recv_timeout(fd, &type, &in, NULL, left > 0 ? (int)left : 1)
	    == -1 || type != ACCT_TALLY_ANSWER) {
		snprintf(a->why, sizeof(a->why), "the account service: %s",
		    errno == ETIMEDOUT ? "no answer within the deadline "
		    "(accounts_timeout)" : errno == 0 ? "closed without an "
		    "answer" : strerror(errno));
		goto done;
	}
	if (acct_get_tally_answer(&in, a) == -1) {
		memset(a, 0, sizeof(*a));
		a->status = ACCT_UNAVAILABLE;
		snprintf(a->why, sizeof(a->why), "the account service: a "
		    "malformed answer");
	}
done:
	buf_free(&out);
	buf_free(&in);
	(void)close(fd);
}
