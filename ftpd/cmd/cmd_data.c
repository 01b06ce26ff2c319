/*
 * cmd_data.c - PORT EPRT PASV EPSV TYPE STRU MODE.
 *
 * Runs in the user process.  Arguments are hostile client text: they are
 * parsed by portarg.c's strict grammars, and an active target must be the
 * control peer at a port >= 1024 unless allow_fxp (RFC 2577: no bounce
 * attacks through us).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/net.h"
#include "common/parse.h"
#include "cmd/cmd.h"
#include "config.h"
#include "cmd/ctl.h"
#include "user/data.h"
#include "bounce.h"
#include "user/portarg.h"
#include "user/repr.h"
#include "session.h"

#define CMD_REPLY_MAX	128

/* 1 if the control connection runs over IPv4 (or v4-mapped IPv6). */
static int
cmd_ctl_is_v4(const struct session *s)
{
	struct sockaddr_storage l = s->local;

	net_unmap_v4(&l);
	return l.ss_family == AF_INET;
}

/* Refuse a data command once EPSV ALL was given (RFC 2428 4). */
static int
cmd_epsv_all_refused(struct session *s, const char *verb)
{
	if (!s->epsv_all)
		return 0;
	reply(s, 503, "%s not allowed after EPSV ALL.", verb);
	return 1;
}

/* Accept a parsed PORT/EPRT target, or refuse a bounce. */
static void
cmd_set_target(struct session *s, const char *verb,
    const struct sockaddr_storage *ss)
{
	char addr[NET_ADDRSTRLEN];

	if (!active_target_ok((const struct sockaddr *)ss,
	    (const struct sockaddr *)&s->peer, cfg->allow_fxp)) {
		net_format_addr((const struct sockaddr *)ss, addr,
		    sizeof(addr));
		log_msg(LOG_WARNING, "refused %s to %s (not the client or "
		    "a privileged port)", verb, addr);
		/* RFC 2577 section 3 suggests 504 for a refused target. */
		reply(s, 504, "Illegal %s target: only the client's own "
		    "address and ports from 1024.", verb);
		return;
	}
	data_reset(s);
	s->port_addr = *ss;
	s->port_set = 1;
	reply(s, 200, "%s command successful. Consider using EPSV.", verb);
}

void
cmd_port(struct session *s, const char *arg)
{
	struct sockaddr_storage ss;

	if (cmd_epsv_all_refused(s, "PORT"))
		return;
	if (portarg_parse_port(arg, &ss) != 0) {
		reply(s, 501, "Syntax error in PORT arguments.");
		return;
	}
	cmd_set_target(s, "PORT", &ss);
}

void
cmd_eprt(struct session *s, const char *arg)
{
	struct sockaddr_storage ss;
	int r;

	if (cmd_epsv_all_refused(s, "EPRT"))
		return;
	if ((r = portarg_parse_eprt(arg, &ss)) == PORTARG_PROTO) {
		reply(s, 522, "Network protocol not supported, use (1,2)");
		return;
	}
	if (r != 0) {
		reply(s, 501, "Syntax error in EPRT arguments.");
		return;
	}
	cmd_set_target(s, "EPRT", &ss);
}

/* The IPv4 address to announce in 227: pasv_address or our own. */
static void
cmd_pasv_addr(struct session *s, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	*ss = s->local;
	net_unmap_v4(ss);
	if (cfg->pasv_address != NULL && cfg->pasv_address[0] != '\0') {
		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, cfg->pasv_address,
		    &sin->sin_addr) != 1) {
			log_msg(LOG_ERR, "pasv_address %s is not an IPv4 "
			    "address; announcing our own", cfg->pasv_address);
			*ss = s->local;
			net_unmap_v4(ss);
		}
	}
	net_set_port((struct sockaddr *)ss, (uint16_t)port);
}

void
cmd_pasv(struct session *s, const char *arg)
{
	struct sockaddr_storage ss;
	char text[CMD_REPLY_MAX];
	int port;

	(void)arg;
	if (cmd_epsv_all_refused(s, "PASV"))
		return;
	if (!cmd_ctl_is_v4(s)) {
		reply(s, 500, "PASV not supported on IPv6 connections; "
		    "use EPSV.");
		return;
	}
	if ((port = data_listen(s)) == -1)
		return;
	cmd_pasv_addr(s, port, &ss);
	if (portarg_format_pasv((struct sockaddr *)&ss, text,
	    sizeof(text)) == -1) {
		data_reset(s);
		reply(s, 425, "Cannot open passive connection.");
		return;
	}
	reply(s, 227, "%s", text);
}

void
cmd_epsv(struct session *s, const char *arg)
{
	unsigned long long proto;
	char text[CMD_REPLY_MAX];
	int port, mine = cmd_ctl_is_v4(s) ? 1 : 2;

	if (arg != NULL && strcasecmp(arg, "ALL") == 0) {
		data_reset(s);
		s->epsv_all = 1;
		reply(s, 200, "EPSV ALL ok.");
		return;
	}
	if (arg != NULL) {
		if (parse_uint(arg, 0, 0xffffffffULL, &proto) == -1) {
			reply(s, 501, "Syntax error in EPSV arguments.");
			return;
		}
		if (proto != (unsigned long long)mine) {
			reply(s, 522, "Network protocol not supported, use "
			    "(%d)", mine);
			return;
		}
	}
	if ((port = data_listen(s)) == -1)
		return;
	if (portarg_format_epsv((uint16_t)port, text, sizeof(text)) == -1) {
		data_reset(s);
		reply(s, 425, "Cannot open passive connection.");
		return;
	}
	reply(s, 229, "%s", text);
}

/* "N", "T" or "C" after TYPE A or E; NULL arg (no form) is N.  0 or -1. */
static int
type_form(const char *arg, char *form)
{
	if (arg == NULL) {
		*form = 'N';
		return 0;
	}
	if (arg[0] == '\0' || arg[1] != '\0')
		return -1;
	*form = (char)(arg[0] & ~0x20);
	return *form == 'N' || *form == 'T' || *form == 'C' ? 0 : -1;
}

/*
 * TYPE A|E [N|T|C], I, L <byte size>.  Form T (Telnet format effectors)
 * needs no conversion on a Unix file: the effectors are the file's own
 * bytes.  Form C is ASA carriage control (repr.c).  L 8 is I; other byte
 * sizes do not exist on an 8-bit host.
 */
void
cmd_type(struct session *s, const char *arg)
{
	unsigned long long bits;
	char t, form;

	t = (char)(arg[0] & ~0x20);	/* ASCII upper case */
	if ((t == 'A' || t == 'E') && (arg[1] == '\0' || arg[1] == ' ') &&
	    type_form(arg[1] == ' ' ? arg + 2 : NULL, &form) == 0) {
		s->type = t;
		s->form = form;
		reply(s, 200, "Switching to %s mode%s.", t == 'A' ? "ASCII" :
		    "EBCDIC", form == 'T' ? " (Telnet format effectors)" :
		    form == 'C' ? " (ASA carriage control)" : "");
	} else if ((t == 'I' && arg[1] == '\0') ||
	    (t == 'L' && (strcmp(arg + 1, " 8") == 0 ||
	    strcmp(arg + 1, "8") == 0))) {
		s->type = 'I';
		s->form = 'N';
		reply(s, 200, "Switching to Binary mode.");
	} else if (t == 'L' && arg[1] == ' ' &&
	    parse_uint(arg + 2, 1, 255, &bits) == 0)
		reply(s, 504, "Only byte size 8 is supported.");
	else
		reply(s, 501, "Syntax error in TYPE arguments.");
}

/*
 * STRU F, R, P.  Page structure (user/page.h) cuts a file into
 * fixed-size indexed pages; the combinations it works in are judged at
 * the transfer (cmd_xfer.c page_refused), since TYPE and MODE may change
 * after STRU.
 */
void
cmd_stru(struct session *s, const char *arg)
{
	if (strcasecmp(arg, "F") == 0 || strcasecmp(arg, "R") == 0 ||
	    strcasecmp(arg, "P") == 0) {
		s->stru = (char)(arg[0] & ~0x20);
		reply(s, 200, "Structure set to %c.", s->stru);
	} else
		reply(s, 501, "Syntax error in STRU arguments.");
}

/*
 * MODE S, B, C and Z (deflate; OPTS MODE Z LEVEL n sets the level).
 * With mode_z = no, Z is a mode this server does not implement (504),
 * so FEAT does not offer it either (cmd_misc.c).
 */
void
cmd_mode(struct session *s, const char *arg)
{
	char m = (char)(arg[0] & ~0x20);

	/* m is NUL for a space, and strchr would find the terminator. */
	if (m == '\0' || arg[1] != '\0' || strchr("SBCZ", m) == NULL) {
		reply(s, 501, "Syntax error in MODE arguments.");
		return;
	}
	if (m == 'Z' && !cfg->mode_z) {
		reply(s, 504, "MODE Z is turned off on this server.");
		return;
	}
	/* One deflate state for all the session's MODE Z transfers. */
	if (m == 'Z' && s->zkeep == NULL)
		s->zkeep = repr_zkeep_new();
	s->mode = m;
	reply(s, 200, "Mode set to %c.", m);
}
