/*
 * ipc.c - framed messages between the processes of one session.
 *
 * Runs in the monitor and in its unprivileged children (ipc_call_child
 * also in the master).  SOCK_SEQPACKET keeps message boundaries, so a
 * frame is one sendmsg: a u32 type, the payload, and optionally one
 * descriptor as SCM_RIGHTS.  The receiver treats the
 * other end as possibly compromised: the size is capped by the caller's
 * buffer, truncated data or control messages are errors, more than one
 * descriptor is an error, and received descriptors are always CLOEXEC.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "net.h"

#define IPC_MAXFDS	4	/* room to see (and close) a peer's extras */

int
ipc_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

int
ipc_send(int sock, uint32_t type, const void *payload, size_t len, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov[2];
	ssize_t n;

	if (len > IPC_MAX || (len > 0 && payload == NULL)) {
		errno = EMSGSIZE;
		return -1;
	}
	iov[0].iov_base = &type;
	iov[0].iov_len = sizeof(type);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(type) + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Collect the SCM_RIGHTS descriptors of msg into fds; returns the count. */
static size_t
ipc_take_fds(struct msghdr *msg, int *fds, size_t max)
{
	struct cmsghdr *c;
	size_t count = 0, i, k;
	int one;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&one, CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
			if (count < max)
				fds[count++] = one;
			else
				(void)close(one);
		}
	}
	return count;
}

int
ipc_recv(int sock, uint32_t *type, struct buf *payload, int *fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IPC_MAXFDS)];
	} cm;
	struct msghdr msg;
	struct iovec iov[2];
	unsigned char *room;
	uint32_t t;
	size_t cap, nfds, i;
	int fds[IPC_MAXFDS + 1];
	ssize_t n;

	if (fd != NULL)
		*fd = -1;
	buf_reset(payload);
	cap = payload->max < IPC_MAX ? payload->max : IPC_MAX;
	if ((room = buf_reserve(payload, cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	iov[0].iov_base = &t;
	iov[0].iov_len = sizeof(t);
	/* A longer message is cut and flagged MSG_TRUNC by the kernel. */
	iov[1].iov_base = room;
	iov[1].iov_len = cap;
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	nfds = ipc_take_fds(&msg, fds, IPC_MAXFDS);
	if (n == 0 && nfds == 0) {
		errno = 0;		/* EOF */
		return -1;
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    (size_t)n < sizeof(t) || nfds > 1 || (nfds == 1 && fd == NULL)) {
		for (i = 0; i < nfds; i++)
			(void)close(fds[i]);
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			errno = EMSGSIZE;
		else
			errno = EBADMSG;	/* short, or unwanted fds */
		return -1;
	}
	buf_commit(payload, (size_t)n - sizeof(t));
	*type = t;
	if (nfds == 1)
		*fd = fds[0];
	return 0;
}

int
ipc_recv_timeout(int sock, uint32_t *type, struct buf *payload, int *fd,
    int timeout_ms)
{
	int r;

	if (fd != NULL)
		*fd = -1;
	if ((r = net_wait(sock, POLLIN, timeout_ms)) == -1)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return ipc_recv(sock, type, payload, fd);
}

int
ipc_call_child(void (*child)(int sock, void *arg), void *arg,
    uint32_t *type, struct buf *payload, int timeout_ms)
{
	pid_t pid;
	int sv[2], rc, saved;

	if (ipc_pair(sv) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		child(sv[1], arg);
		_exit(1);
	}
	(void)close(sv[1]);
	rc = ipc_recv_timeout(sv[0], type, payload, NULL, timeout_ms);
	saved = errno;
	if (rc == -1 && saved == ETIMEDOUT)
		(void)kill(pid, SIGKILL);
	(void)close(sv[0]);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	errno = saved;
	return rc;
}

int
ipc_put_u32(struct buf *b, uint32_t v)
{
	return buf_append(b, &v, sizeof(v));
}

int
ipc_put_u64(struct buf *b, uint64_t v)
{
	return buf_append(b, &v, sizeof(v));
}

int
ipc_put_bytes(struct buf *b, const void *p, size_t n)
{
	size_t old = b->len;

	if (n > UINT32_MAX)
		return -1;
	if (ipc_put_u32(b, (uint32_t)n) == -1)
		return -1;
	if (buf_append(b, p, n) == -1) {
		buf_truncate(b, old);
		return -1;
	}
	return 0;
}

int
ipc_put_str(struct buf *b, const char *s)
{
	return ipc_put_bytes(b, s, strlen(s));
}

int
ipc_get_u32(const struct buf *b, size_t *off, uint32_t *v)
{
	if (*off > b->len || b->len - *off < sizeof(*v))
		return -1;
	memcpy(v, b->data + *off, sizeof(*v));
	*off += sizeof(*v);
	return 0;
}

int
ipc_get_u64(const struct buf *b, size_t *off, uint64_t *v)
{
	if (*off > b->len || b->len - *off < sizeof(*v))
		return -1;
	memcpy(v, b->data + *off, sizeof(*v));
	*off += sizeof(*v);
	return 0;
}

/* Locate a u32-length-prefixed field; advances *off only on success. */
static int
ipc_get_field(const struct buf *b, size_t *off, const unsigned char **p,
    size_t *n)
{
	size_t o = *off;
	uint32_t len;

	if (ipc_get_u32(b, &o, &len) == -1 || b->len - o < len)
		return -1;
	*p = b->data + o;
	*n = len;
	*off = o + len;
	return 0;
}

int
ipc_get_str(const struct buf *b, size_t *off, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t n, o = *off;

	if (ipc_get_field(b, &o, &p, &n) == -1 || outlen == 0 ||
	    n >= outlen || (n > 0 && memchr(p, '\0', n) != NULL))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	*off = o;
	return 0;
}

int
ipc_get_bytes(const struct buf *b, size_t *off, struct buf *out)
{
	const unsigned char *p;
	size_t n, o = *off;

	if (ipc_get_field(b, &o, &p, &n) == -1 || buf_append(out, p, n) == -1)
		return -1;
	*off = o;
	return 0;
}
