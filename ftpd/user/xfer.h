/*
 * xfer.h - moving bytes between files and data connections.
 *
 * sendfile for binary plaintext RETR, read/write otherwise, streaming
 * LF<->CRLF for TYPE A; under PROT P binary files move in the front.
 * Every wait polls the data fd (data_timeout) and the control fd (ABOR,
 * STAT) together.  Runs in the user process.
 */
#ifndef FTPD_XFER_H
#define FTPD_XFER_H

#include <stddef.h>
#include <sys/types.h>

struct session;

enum xfer_result {
	XFER_OK = 0,
	XFER_ABORTED,		/* ABOR received: 426 + 226 already sent */
	XFER_NET_ERROR,		/* data connection failed or closed early */
	XFER_TIMEOUT,		/* data_timeout expired */
	XFER_DISK_ERROR,	/* read/write on the file failed: errno in *err */
	XFER_CTL_GONE,		/* control connection closed */
};

/* File -> data connection, from the file's current offset.
 * *bytes gets the count of file bytes sent. */
enum xfer_result xfer_send_file(struct session *s, int filefd, int datafd,
	    off_t *bytes, int *err);
/* Data connection -> file.  *bytes gets the count of file bytes written. */
enum xfer_result xfer_recv_file(struct session *s, int datafd, int filefd,
	    off_t *bytes, int *err);
/* Under PROT P, may the front move this session's file transfers itself
 * (binary, no conversion; see tlsrelay.h)?  1 or 0. */
int	xfer_front_ok(const struct session *s);
/* Send a memory buffer (listings) on the data connection, honouring ABOR
 * and data_timeout.  XFER_OK or an error result. */
enum xfer_result xfer_send_mem(struct session *s, int datafd, const void *p,
	    size_t n);
/*
 * For TYPE A REST: advance filefd to the file offset whose wire (CRLF)
 * offset is wire_off.  0; 1 when wire_off falls between the CR and the
 * LF of a line end, filefd then being at that LF, so a download must
 * send it without its CR (session xfer_skip_cr) while an upload simply
 * receives it again; or -1 (errno) if the file is shorter.
 */
int	xfer_seek_ascii(int filefd, off_t wire_off);

#endif
