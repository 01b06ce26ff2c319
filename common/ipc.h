/*
 * ipc.h - framed messages between the processes of one session.
 *
 * Carried over SOCK_SEQPACKET socketpairs, so one send is one message.  A
 * message is {type, payload up to IPC_MAX bytes, optionally one fd}.  The
 * receiver caps the length; a truncated or malformed message is an error.
 * Both ends are ours, but the unprivileged end may be compromised, so the
 * privileged side validates every field it reads.
 */
#ifndef COMMON_IPC_H
#define COMMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_MAX		65536

struct buf;

/* Create a SOCK_SEQPACKET|CLOEXEC socketpair.  0 or -1. */
int	ipc_pair(int sv[2]);
/* Send one message; fd < 0 means none.  0 or -1 (errno). */
int	ipc_send(int sock, uint32_t type, const void *payload, size_t len,
	    int fd);
/*
 * Receive one message into payload (reset first; its max must be >= the
 * message).  *fd gets a received descriptor (CLOEXEC) or -1.  fd may be NULL
 * when none is expected: a received one is then closed and the call fails
 * with EBADMSG.  More than one descriptor, or a message shorter than the
 * type, is EBADMSG too.  Returns 0, or -1 on EOF (errno 0), error,
 * truncation (EMSGSIZE: payload longer than payload->max or IPC_MAX).
 */
int	ipc_recv(int sock, uint32_t *type, struct buf *payload, int *fd);
/* Like ipc_recv but waits at most timeout_ms; -1 with ETIMEDOUT. */
int	ipc_recv_timeout(int sock, uint32_t *type, struct buf *payload,
	    int *fd, int timeout_ms);

/*
 * Run child(sock, arg) in a forked process (it must end with _exit) and
 * receive the one message it sends on sock, waiting at most timeout_ms;
 * a late child is killed.  The child is always reaped.  For work whose
 * memory must not stay in the caller (secrets read through stdio, keys
 * parsed by a library).  0, or -1 as ipc_recv_timeout (errno 0: the child
 * sent nothing).
 */
int	ipc_call_child(void (*child)(int sock, void *arg), void *arg,
	    uint32_t *type, struct buf *payload, int timeout_ms);

/* Helpers to build and read payloads field by field (host byte order,
 * strings and bytes fields as u32 length + bytes; put_* return 0, or -1
 * with the buffer unchanged).  The get_* return 0 or -1 when the
 * payload is too short; *off advances. */
int	ipc_put_u32(struct buf *b, uint32_t v);
int	ipc_put_u64(struct buf *b, uint64_t v);
int	ipc_put_str(struct buf *b, const char *s);
int	ipc_put_bytes(struct buf *b, const void *p, size_t n);
int	ipc_get_u32(const struct buf *b, size_t *off, uint32_t *v);
int	ipc_get_u64(const struct buf *b, size_t *off, uint64_t *v);
/* Copies a string field into out (NUL-terminated, must fit outlen and
 * contain no NUL).  0 or -1. */
int	ipc_get_str(const struct buf *b, size_t *off, char *out, size_t outlen);
/* Appends a bytes field into out (a buf with its own max).  0 or -1. */
int	ipc_get_bytes(const struct buf *b, size_t *off, struct buf *out);

#endif
