/*
 * monproto.c - the one encoder both sides of the boundary share: a log
 * line as MON_LOG (see monproto.h).
 *
 * Runs in every child of the monitor, first while it still has root (the
 * monitor installs it before the drop) and then unprivileged.  It only
 * formats; the monitor checks the message.
 */
#include <stdint.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "monproto.h"

void
mon_forward_log(int level, const char *line, void *mon_fd)
{
	struct buf out;

	buf_init(&out, 8192);
	if (ipc_put_u32(&out, (uint32_t)level) == 0 &&
	    ipc_put_str(&out, line) == 0)
		(void)ipc_send(*(const int *)mon_fd, MON_LOG, out.data,
		    out.len, -1);
	buf_free(&out);
}
