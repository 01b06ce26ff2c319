/*
 * cmd.h - the command table and dispatcher.
 *
 * One row per command: name, handler, flags, FEAT line, HELP syntax.  FEAT
 * and HELP replies are generated from the table.  Dispatch enforces the
 * flags (login needed, argument rules, write permission) so handlers do not
 * repeat those checks.  Runs in front and user processes.
 */
#ifndef FTPD_CMD_H
#define FTPD_CMD_H

#include <stddef.h>

struct session;

#define CMD_PRELOGIN	0x01	/* allowed before login (handled by front) */
#define CMD_ARG_REQ	0x02	/* 501 without an argument */
#define CMD_ARG_NONE	0x04	/* 501 with an argument */
#define CMD_WRITES	0x08	/* changes files: needs may_write */
#define CMD_ANON_WRITE	0x10	/* ...which anonymous may do with anon_upload */
#define CMD_DURING_XFER	0x20	/* meaningful during a transfer (ABOR, STAT) */

typedef void cmd_fn(struct session *s, const char *arg);

struct cmd {
	const char	*name;
	cmd_fn		*fn;
	unsigned	 flags;
	const char	*feat;	/* FEAT line, or NULL */
	const char	*help;	/* "NAME <sp> arg" syntax for HELP NAME */
};

extern const struct cmd cmd_table[];
extern const size_t cmd_count;

const struct cmd *cmd_find(const char *verb);
/* Parse, check flags and run one command line, replying as needed. */
void	cmd_dispatch(struct session *s, const char *line);
/* Read and dispatch commands until the session ends. */
void	cmd_loop(struct session *s);

/* Handlers, by file. */
/* cmd_login.c */
cmd_fn	cmd_host, cmd_user, cmd_pass, cmd_acct, cmd_rein, cmd_quit;
/* cmd_tls.c */
cmd_fn	cmd_auth, cmd_pbsz, cmd_prot, cmd_ccc;
/* After the control handshake: the [host] section the client's TLS
 * server name chose becomes the session's (cmd_tls.c). */
void	tls_session_host(struct session *s);
/* cmd_misc.c */
cmd_fn	cmd_syst, cmd_noop, cmd_feat, cmd_opts, cmd_help, cmd_site, cmd_allo,
	cmd_smnt, cmd_clnt;
/* cmd_dir.c */
cmd_fn	cmd_cwd, cmd_cdup, cmd_pwd, cmd_mkd, cmd_rmd;
/* cmd_file.c */
cmd_fn	cmd_dele, cmd_rnfr, cmd_rnto, cmd_size, cmd_mdtm, cmd_mfmt;
/* SITE subcommands (cmd_file.c); arg is the text after the subcommand */
cmd_fn	site_chmod, site_utime;
/* cmd_xfer.c */
cmd_fn	cmd_retr, cmd_stor, cmd_stou, cmd_appe, cmd_rest, cmd_abor;
/* cmd_data.c */
cmd_fn	cmd_port, cmd_eprt, cmd_pasv, cmd_epsv, cmd_type, cmd_stru, cmd_mode;
/* cmd_list.c */
cmd_fn	cmd_list, cmd_nlst, cmd_mlsd, cmd_mlst, cmd_stat;

#endif
