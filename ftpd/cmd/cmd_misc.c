/*
 * cmd_misc.c - the small commands: SYST, NOOP, FEAT, OPTS, HELP, SITE,
 * ALLO, SMNT, CLNT.
 *
 * Runs in the front (the PRELOGIN ones) and in the user process.  The
 * arguments are client text; they are only compared, parsed with
 * parse.h, or echoed through reply(), which sanitises them.
 */
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"
#include "cmd/cmd.h"
#include "cmd/cmd_ext.h"
#include "config.h"
#include "cmd/ctl.h"
#include "user/list.h"
#include "user/repr.h"
#include "session.h"
#include "tls/tls.h"

/* Room for FEAT and HELP texts built from the table. */
#define MISC_TEXT_MAX	8192
/* HELP: commands per line. */
#define HELP_PER_LINE	8

void
cmd_syst(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, 215, "UNIX Type: L8");
}

void
cmd_noop(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, 200, "NOOP ok.");
}

/*
 * Whether FEAT lists a table row's feature in this session: the TLS
 * lines only with TLS configured; AUTH not on an implicit-TLS port, whose
 * session is TLS from its first byte (AUTH would only be refused, 503;
 * PBSZ and PROT still apply); MODE Z only with mode_z, since lftp turns
 * it on whenever it is offered.
 */
static int
feat_offered(const struct session *s, const char *feat)
{
	int auth = strncmp(feat, "AUTH", 4) == 0;

	if ((auth || strcmp(feat, "PBSZ") == 0 ||
	    strcmp(feat, "PROT") == 0) && !tls_available())
		return 0;
	if (auth && s->implicit_tls)
		return 0;
	if (strcmp(feat, "MODE Z") == 0)
		return cfg->mode_z != 0;
	return 1;
}

void
cmd_feat(struct session *s, const char *arg)
{
	struct buf t;
	size_t i;
	const char *f;
	int r = 0;

	(void)arg;
	buf_init(&t, MISC_TEXT_MAX);
	r |= buf_puts(&t, "Features:\n");
	for (i = 0; i < cmd_count; i++) {
		f = cmd_table[i].feat;
		if (f == NULL || !feat_offered(s, f))
			continue;
		if (strncmp(f, "MLST ", 5) == 0) {
			r |= buf_puts(&t, " MLST ");
			r |= list_feat_mlst(s, &t);
			r |= buf_putc(&t, '\n');
		} else
			r |= buf_appendf(&t, " %s\n", f);
	}
	r |= buf_puts(&t, "End");
	if (r != 0)
		reply(s, 451, "Internal error building the feature list.");
	else
		reply(s, 211, "%s", buf_cstr(&t));
	buf_free(&t);
}

/* "UTF8 ON" and friends: 1 on, 0 off, -1 not a UTF8 option. */
static int
opts_utf8(const char *arg)
{
	const char *v;

	if (strncasecmp(arg, "UTF8", 4) == 0)
		v = arg + 4;
	else if (strncasecmp(arg, "UTF-8", 5) == 0)
		v = arg + 5;
	else
		return -1;
	if (*v == '\0' || strcasecmp(v, " ON") == 0)
		return 1;
	if (strcasecmp(v, " OFF") == 0)
		return 0;
	return -1;
}

/* OPTS whose answer text is built by the module that owns the option. */
static void
opts_text(struct session *s, int (*fn)(struct session *, const char *,
    struct buf *), const char *arg, const char *what)
{
	struct buf t;

	buf_init(&t, MISC_TEXT_MAX);
	if (fn(s, arg, &t) == -1)
		reply(s, 501, "Invalid %s options.", what);
	else
		reply(s, 200, "%s", buf_cstr(&t));
	buf_free(&t);
}

void
cmd_opts(struct session *s, const char *arg)
{
	int u;

	u = opts_utf8(arg);
	if (u >= 0) {
		s->utf8 = u;
		reply(s, 200, "UTF8 mode %s.", u ? "enabled" : "disabled");
	} else if (strcasecmp(arg, "MLST") == 0)
		opts_text(s, list_opts_mlst, NULL, "MLST");
	else if (strncasecmp(arg, "MLST ", 5) == 0)
		opts_text(s, list_opts_mlst, arg + 5, "MLST");
	else if (strncasecmp(arg, "MODE ", 5) == 0 && !cfg->mode_z)
		reply(s, 504, "MODE Z is turned off on this server.");
	else if (strncasecmp(arg, "MODE ", 5) == 0)
		opts_text(s, repr_opts_mode, arg + 5, "MODE");
	else if (strcasecmp(arg, "HASH") == 0)
		(void)ext_opts_hash(s, NULL);
	else if (strncasecmp(arg, "HASH ", 5) == 0)
		(void)ext_opts_hash(s, arg + 5);
	else
		reply(s, 501, "Option not understood.");
}

/* Every command name, HELP_PER_LINE to a line.  0 or -1. */
static int
help_all(struct buf *t)
{
	size_t i;
	int r = 0;

	r |= buf_puts(t, "The following commands are recognized:");
	for (i = 0; i < cmd_count; i++) {
		if (i % HELP_PER_LINE == 0)
			r |= buf_puts(t, "\n");
		if (i % HELP_PER_LINE == HELP_PER_LINE - 1 ||
		    i + 1 == cmd_count)
			r |= buf_appendf(t, " %s", cmd_table[i].name);
		else
			r |= buf_appendf(t, " %-5s", cmd_table[i].name);
	}
	r |= buf_puts(t, "\nHelp OK.");
	return r;
}

void
cmd_help(struct session *s, const char *arg)
{
	const struct cmd *c;
	struct buf t;

	if (arg != NULL) {
		c = cmd_find(arg);
		if (c == NULL)
			reply(s, 502, "Unknown command.");
		else
			reply(s, 214, "Syntax: %s", c->help);
		return;
	}
	buf_init(&t, MISC_TEXT_MAX);
	if (help_all(&t) == -1)
		reply(s, 214, "Help OK.");
	else
		reply(s, 214, "%s", buf_cstr(&t));
	buf_free(&t);
}

/* SITE commands that change files follow the write rules of dispatch;
 * the account's permissions and [dir] sections are site_chmod's and
 * site_utime's (chmod, mfmt). */
static int
site_may_write(struct session *s)
{
	if (s->anonymous || !cfg->write_enable) {
		reply(s, 550, "Permission denied.");
		return 0;
	}
	return 1;
}

static void
site_umask(struct session *s, const char *arg)
{
	unsigned long v;

	if (arg == NULL) {
		reply(s, 200, "Your current UMASK is %03o",
		    (unsigned)s->umask);
		return;
	}
	if (s->anonymous) {
		reply(s, 550, "Permission denied.");
		return;
	}
	if (parse_octal(arg, 0777, &v) == -1) {
		reply(s, 501, "Bad UMASK value.");
		return;
	}
	s->umask = (mode_t)v;
	reply(s, 200, "UMASK set to %03lo", v);
}

static void
site_idle(struct session *s, const char *arg)
{
	unsigned long long v;
	unsigned cur;

	cur = s->idle_secs > 0 ? s->idle_secs : (unsigned)cfg->idle_timeout;
	if (arg == NULL) {
		reply(s, 200, "Current idle time limit is %u seconds; "
		    "max %llu", cur, cfg->idle_timeout);
		return;
	}
	if (parse_uint(arg, 1, 86400, &v) == -1) {
		reply(s, 501, "Bad idle time.");
		return;
	}
	if (v > cfg->idle_timeout)
		v = cfg->idle_timeout;
	s->idle_secs = (unsigned)v;
	reply(s, 200, "Maximum idle time set to %u seconds", s->idle_secs);
}

void
cmd_site(struct session *s, const char *arg)
{
	char sub[16];
	const char *rest;

	if (cmd_parse(arg, sub, sizeof(sub), &rest) == -1) {
		reply(s, 500, "SITE command not understood.");
		return;
	}
	if (strcmp(sub, "HELP") == 0)
		reply(s, 214, "SITE commands: CHMOD UTIME UMASK IDLE HELP");
	else if (strcmp(sub, "CHMOD") == 0 || strcmp(sub, "UTIME") == 0) {
		if (rest == NULL)
			reply(s, 501, "Syntax error in parameters or "
			    "arguments.");
		else if (site_may_write(s))
			(sub[0] == 'C' ? site_chmod : site_utime)(s, rest);
	} else if (strcmp(sub, "UMASK") == 0)
		site_umask(s, rest);
	else if (strcmp(sub, "IDLE") == 0)
		site_idle(s, rest);
	else
		reply(s, 500, "SITE command not understood.");
}

/* Nothing to reserve on Unix, but the syntax is still checked:
 * ALLO <sp> n [<sp> R <sp> n]. */
void
cmd_allo(struct session *s, const char *arg)
{
	const char *r = strstr(arg, " R ");
	unsigned long long v;

	if (r == NULL && strchr(arg, ' ') != NULL)
		r = arg;	/* a space, but not " R ": malformed */
	if (parse_uint_n(arg, r != NULL ? (size_t)(r - arg) : strlen(arg),
	    0, ~0ULL, &v) == -1 || (r != NULL && parse_uint(r + 3, 0, ~0ULL,
	    &v) == -1)) {
		reply(s, 501, "Syntax: ALLO <size> [R <record size>].");
		return;
	}
	reply(s, 202, "ALLO command ignored.");
}

void
cmd_smnt(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, 502, "SMNT not implemented.");
}

void
cmd_clnt(struct session *s, const char *arg)
{
	log_msg(LOG_INFO, "client: %s", arg != NULL ? arg : "(none)");
	reply(s, 200, "Noted.");
}
