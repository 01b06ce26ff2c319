/*
 * cmd_ext.h - handlers for extension commands: HASH and RANG
 * (draft-bryan-ftpext-hash-02, draft-bryan-ftp-range), AVBL
 * (draft-peterson-streamlined-ftp-command-extensions) and LANG (RFC 2640).
 *
 * Rows for cmd.c's table are listed in cmd_ext.c's opening comment.
 * Runs in the user process (LANG also in the front, before login).
 */
#ifndef FTPD_CMD_EXT_H
#define FTPD_CMD_EXT_H

#include "cmd/cmd.h"

struct session;

cmd_fn	cmd_hash, cmd_rang, cmd_avbl, cmd_lang;

/*
 * "OPTS HASH [ALGO]": arg is the text after "HASH" (NULL when none).
 * Without ALGO replies 200 with the current algorithm; with a known one
 * selects it and replies 200 ALGO; otherwise 501.  Always replies.
 * Returns 0, or -1 when the algorithm was refused.
 */
int	ext_opts_hash(struct session *s, const char *arg);

#endif
