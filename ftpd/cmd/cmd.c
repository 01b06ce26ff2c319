/*
 * cmd.c - the command table and the dispatcher.
 *
 * Runs in the front (only CMD_PRELOGIN rows are reachable there, since its
 * session is never logged in) and in the user process.  The line comes from
 * ctl.c, already bounded and free of IAC and NUL, but otherwise hostile:
 * cmd_parse (ctl.c) takes only a verb of letters, and the flags of its row
 * are enforced here (login, argument rules, write permission) before any
 * handler runs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "common/buf.h"
#include "common/log.h"
#include "cmd/cmd.h"
#include "cmd/cmd_ext.h"
#include "config.h"
#include "cmd/ctl.h"
#include "user/list.h"
#include "session.h"
#include "shutdown.h"

#define P	CMD_PRELOGIN
#define AR	CMD_ARG_REQ
#define AN	CMD_ARG_NONE
#define W	CMD_WRITES
#define AW	CMD_ANON_WRITE
#define DX	CMD_DURING_XFER

/* Sorted by name (HELP and FEAT list them in this order). */
const struct cmd cmd_table[] = {
	{ "ABOR", cmd_abor, AN | DX, NULL, "ABOR" },
	{ "ACCT", cmd_acct, P, NULL, "ACCT <sp> account" },
	{ "ALLO", cmd_allo, AR, NULL, "ALLO <sp> size [<sp> R <sp> size]" },
	{ "APPE", cmd_appe, AR | W, NULL, "APPE <sp> file-name" },
	{ "AUTH", cmd_auth, P | AR, "AUTH TLS", "AUTH <sp> TLS" },
	{ "AVBL", cmd_avbl, 0, "AVBL", "AVBL [<sp> path]" },
	{ "CCC", cmd_ccc, P | AN, NULL, "CCC" },
	{ "CDUP", cmd_cdup, AN, NULL, "CDUP" },
	{ "CLNT", cmd_clnt, P, "CLNT", "CLNT <sp> client-name" },
	{ "CWD", cmd_cwd, AR, "TVFS", "CWD <sp> path" },
	{ "DELE", cmd_dele, AR | W, NULL, "DELE <sp> file-name" },
	{ "EPRT", cmd_eprt, AR, "EPRT", "EPRT <sp> |af|addr|port|" },
	{ "EPSV", cmd_epsv, 0, "EPSV", "EPSV [<sp> af|ALL]" },
	{ "FEAT", cmd_feat, P | AN, NULL, "FEAT" },
	{ "HASH", cmd_hash, AR, "HASH SHA-256*;SHA-1;SHA-512;MD5",
	    "HASH <sp> file-name" },
	{ "HELP", cmd_help, P, NULL, "HELP [<sp> command]" },
	{ "HOST", cmd_host, P | AR, "HOST", "HOST <sp> host-name" },
	{ "LANG", cmd_lang, P, "LANG EN*", "LANG [<sp> language]" },
	{ "LIST", cmd_list, 0, NULL, "LIST [<sp> path]" },
	{ "MDTM", cmd_mdtm, AR, "MDTM", "MDTM <sp> file-name" },
	{ "MFMT", cmd_mfmt, AR | W, "MFMT", "MFMT <sp> YYYYMMDDHHMMSS path" },
	{ "MKD", cmd_mkd, AR | W, NULL, "MKD <sp> path" },
	{ "MLSD", cmd_mlsd, 0, NULL, "MLSD [<sp> path]" },
	{ "MLST", cmd_mlst, 0, "MLST " LIST_FEAT_MLST, "MLST [<sp> path]" },
	{ "MODE", cmd_mode, AR, "MODE Z", "MODE <sp> S|B|C|Z" },
	{ "NLST", cmd_nlst, 0, NULL, "NLST [<sp> path]" },
	{ "NOOP", cmd_noop, P | AN, NULL, "NOOP" },
	{ "OPTS", cmd_opts, P | AR, "UTF8",
	    "OPTS <sp> UTF8 ON|MLST facts|HASH algo|MODE Z LEVEL n" },
	{ "PASS", cmd_pass, P, NULL, "PASS <sp> password" },
	{ "PASV", cmd_pasv, AN, NULL, "PASV" },
	{ "PBSZ", cmd_pbsz, P | AR, "PBSZ", "PBSZ <sp> 0" },
	{ "PORT", cmd_port, AR, NULL, "PORT <sp> h1,h2,h3,h4,p1,p2" },
	{ "PROT", cmd_prot, P | AR, "PROT", "PROT <sp> C|P" },
	{ "PWD", cmd_pwd, AN, NULL, "PWD" },
	{ "QUIT", cmd_quit, P | AN, NULL, "QUIT" },
	{ "RANG", cmd_rang, AR, "RANG STREAM", "RANG <sp> start end" },
	{ "REIN", cmd_rein, P | AN, NULL, "REIN" },
	{ "REST", cmd_rest, AR, "REST STREAM", "REST <sp> offset" },
	{ "RETR", cmd_retr, AR, NULL, "RETR <sp> file-name" },
	{ "RMD", cmd_rmd, AR | W, NULL, "RMD <sp> path" },
	{ "RNFR", cmd_rnfr, AR | W, NULL, "RNFR <sp> file-name" },
	{ "RNTO", cmd_rnto, AR | W, NULL, "RNTO <sp> file-name" },
	{ "SITE", cmd_site, AR, NULL, "SITE <sp> CHMOD|UTIME|UMASK|IDLE|HELP" },
	{ "SIZE", cmd_size, AR, "SIZE", "SIZE <sp> file-name" },
	{ "SMNT", cmd_smnt, 0, NULL, "SMNT <sp> path" },
	{ "STAT", cmd_stat, P | DX, NULL, "STAT [<sp> path]" },
	{ "STOR", cmd_stor, AR | W | AW, NULL, "STOR <sp> file-name" },
	{ "STOU", cmd_stou, W | AW, NULL, "STOU [<sp> file-name]" },
	{ "STRU", cmd_stru, AR, NULL, "STRU <sp> F|R|P" },
	{ "SYST", cmd_syst, P | AN, NULL, "SYST" },
	{ "TYPE", cmd_type, AR, NULL, "TYPE <sp> A|E [N|T|C] | I | L 8" },
	{ "USER", cmd_user, P | AR, NULL, "USER <sp> username" },
	{ "XCUP", cmd_cdup, AN, NULL, "XCUP" },
	{ "XCWD", cmd_cwd, AR, NULL, "XCWD <sp> path" },
	{ "XMKD", cmd_mkd, AR | W, NULL, "XMKD <sp> path" },
	{ "XPWD", cmd_pwd, AN, NULL, "XPWD" },
	{ "XRMD", cmd_rmd, AR | W, NULL, "XRMD <sp> path" },
};
const size_t cmd_count = sizeof(cmd_table) / sizeof(cmd_table[0]);

const struct cmd *
cmd_find(const char *verb)
{
	size_t i;

	for (i = 0; i < cmd_count; i++)
		if (strcasecmp(cmd_table[i].name, verb) == 0)
			return &cmd_table[i];
	return NULL;
}

/* Write permission for a CMD_WRITES row.  1 allowed, 0 refused. */
static int
cmd_may_write(const struct session *s, const struct cmd *c)
{
	if (s->anonymous)
		return (c->flags & CMD_ANON_WRITE) && cfg->anon_upload;
	return cfg->write_enable != 0;
}

/* Enforce the row's flags.  1 to run the handler, 0 when replied. */
static int
cmd_check(struct session *s, const struct cmd *c, const char *arg)
{
	if (s->state != ST_LOGGED_IN && !(c->flags & CMD_PRELOGIN)) {
		reply(s, 530, "Please login with USER and PASS.");
		return 0;
	}
	if (((c->flags & CMD_ARG_REQ) && arg == NULL) ||
	    ((c->flags & CMD_ARG_NONE) && arg != NULL)) {
		reply(s, 501, "Syntax error in parameters or arguments.");
		return 0;
	}
	if ((c->flags & CMD_WRITES) && !cmd_may_write(s, c)) {
		reply(s, 550, "Permission denied.");
		return 0;
	}
	return 1;
}

void
cmd_dispatch(struct session *s, const char *line)
{
	char verb[CMD_VERB_MAX + 1];
	const struct cmd *c = NULL;
	const char *arg;
	int was_rnfr;

	if (cmd_parse(line, verb, sizeof(verb), &arg) == 0)
		c = cmd_find(verb);
	/* RFC 959: RNTO must come right after RNFR.  The source lives for
	 * one command only, even when that RNTO is refused (501). */
	was_rnfr = s->last_was_rnfr;
	s->last_was_rnfr = 0;
	if (!was_rnfr || c == NULL || c->fn != cmd_rnto)
		buf_reset(&s->rnfr);
	if (c == NULL) {
		log_msg(LOG_DEBUG, "unknown command");
		reply(s, 500, "Syntax error, command unrecognized.");
		return;
	}
	if (c->fn == cmd_pass)
		log_msg(LOG_DEBUG, "command: PASS <hidden>");
	else
		log_msg(LOG_DEBUG, "command: %s%s%s", c->name,
		    arg != NULL ? " " : "", arg != NULL ? arg : "");
	if (!cmd_check(s, c, arg))
		return;
	c->fn(s, arg);
	if (c->fn == cmd_rnfr && s->rnfr.len > 0)
		s->last_was_rnfr = 1;
}

/* Seconds of silence allowed before the next command. */
static unsigned
cmd_timeout(const struct session *s)
{
	if (s->state != ST_LOGGED_IN)
		return (unsigned)cfg->login_timeout;
	if (s->idle_secs > 0 && s->idle_secs < cfg->idle_timeout)
		return s->idle_secs;
	return (unsigned)cfg->idle_timeout;
}

/* Before login the line may have been a password: leave no copies. */
static void
cmd_wipe(struct session *s, struct buf *line)
{
	if (line->data != NULL)
		explicit_bzero(line->data, line->cap);
	if (s->state != ST_LOGGED_IN)
		ctl_wipe_spent(s);
}

/*
 * At most cfg->max_commands_per_second commands each second (0: no
 * limit): a client that floods is slowed down, not cut off, so an honest
 * client that pipelines a burst still gets every answer, in order.
 */
static void
cmd_throttle(struct timespec *window, unsigned *count)
{
	struct timespec now, pause;

	if (cfg->max_commands_per_second == 0)
		return;
	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return;
	if (now.tv_sec != window->tv_sec) {
		*window = now;
		*count = 0;
	}
	if (++*count <= cfg->max_commands_per_second)
		return;
	pause.tv_sec = 0;
	pause.tv_nsec = 1000000000L - now.tv_nsec;
	(void)nanosleep(&pause, NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, window);
	*count = 1;
}

void
cmd_loop(struct session *s)
{
	struct timespec window = { 0, 0 };
	unsigned count = 0;
	struct buf line;
	enum ctl_read r;
	unsigned secs;

	buf_init(&line, CTL_LINE_MAX + 2);
	while (!s->quit) {
		secs = cmd_timeout(s);
		r = shutdown_requested ? CTL_SHUTDOWN :
		    ctl_read_line(s, &line, (int)secs * 1000);
		if (r == CTL_SHUTDOWN) {
			if (shutdown_killed)
				reply(s, 421, "Session ended by the server "
				    "administrator, closing control "
				    "connection.");
			else
				reply(s, 421, "Service shutting down, closing "
				    "control connection.");
			break;
		}
		if (r == CTL_TIMEOUT) {
			reply(s, 421, "Timeout (%u seconds): closing control "
			    "connection.", secs);
			break;
		}
		if (r != CTL_LINE)
			break;
		cmd_throttle(&window, &count);
		cmd_dispatch(s, buf_cstr(&line));
		cmd_wipe(s, &line);
	}
	buf_free(&line);
}
