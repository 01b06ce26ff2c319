/*
 * config.c - ftpd's configuration keys and their loading.
 *
 * The key list lives once in config_keys.def; this file expands it into the
 * conf table and checks the rules that span several keys.  Runs in main,
 * as whoever started ftpd, on the administrator's file and -o values.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/hostname.h"
#include "common/ldapfilter.h"
#include "common/net.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "config.h"
#include "formats/event_rec.h"
#include "formats/scoreboard.h"	/* run_dir's default, shared with ftpwho */

static const char *const tls_modes[] = { "off", "on", "required", NULL };
static const char *const tls_client_modes[] = { "off", "optional",
	"required", NULL };
static const char *const tls_client_users[] = { "cn", "san_email", "none",
	NULL };
static const char *const sendfile_modes[] = { "auto", "yes", "no", NULL };
static const char *const sql_drivers[] = { "sqlite", "postgresql", "mysql",
	NULL };
static const char *const ldap_auths[] = { "bind", "hash", NULL };
static const char *const log_levels[] = {
	"error", "warning", "notice", "info", "debug", NULL
};
/* log_format: the index is what log_set_json takes (text 0, json 1). */
static const char *const log_formats[] = { "text", "json", NULL };

static const struct conf_key keys[] = {
#define X(name, type, ctype, def, min, max, enums) \
	{ #name, type, def, min, max, enums, offsetof(struct ftpd_config, name) },
#include "config_keys.def"
#undef X
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct conf_key vhost_keys[] = {
	{ "banner", CONF_STRING, NULL, 0, 0, NULL,
	    offsetof(struct vhost, banner) },
	{ "anonymous", CONF_BOOL, NULL, 0, 1, NULL,
	    offsetof(struct vhost, anonymous) },
	{ "anon_root", CONF_PATH, NULL, 0, 0, NULL,
	    offsetof(struct vhost, anon_root) },
	{ "users_file", CONF_PATH, NULL, 0, 0, NULL,
	    offsetof(struct vhost, users_file) },
	{ "tls", CONF_ENUM, NULL, 0, 0, tls_modes,
	    offsetof(struct vhost, tls) },
	{ "tls_cert", CONF_PATH, NULL, 0, 0, NULL,
	    offsetof(struct vhost, tls_cert) },
	{ "tls_key", CONF_PATH, NULL, 0, 0, NULL,
	    offsetof(struct vhost, tls_key) },
	{ "tls_ciphers", CONF_STRING, NULL, 0, 0, NULL,
	    offsetof(struct vhost, tls_ciphers) },
};
#define NVHOST_KEYS (sizeof(vhost_keys) / sizeof(vhost_keys[0]))

/* A [user] or [group] section sets plan keys only, as text. */
static const struct conf_key plan_keys[] = {
#define X(name, kind, def) { #name, CONF_STRING, NULL, 0, 0, NULL, \
	offsetof(struct plan_section, val) + PLAN_##name * sizeof(char *) },
#include "plan/plan_keys.def"
#undef X
};
#define NPLAN_KEYS (sizeof(plan_keys) / sizeof(plan_keys[0]))
#define PLAN_SECTIONS_MAX	100000

/* A [dir PATH] section's keys, as text (parsed by check_dirs). */
static const struct conf_key dir_keys[] = {
	{ "permissions", CONF_STRING, NULL, 0, 0, NULL,
	    offsetof(struct dir_section, permissions) },
	{ "hide", CONF_STRING, NULL, 0, 0, NULL,
	    offsetof(struct dir_section, hide) },
	{ "deny", CONF_STRING, NULL, 0, 0, NULL,
	    offsetof(struct dir_section, deny) },
};
#define NDIR_KEYS (sizeof(dir_keys) / sizeof(dir_keys[0]))

/* Keys a reload cannot change (config_restart.def).  offsetof makes a
 * name that is no key a compile error. */
static const struct {
	const char	*name;
	size_t		 offset;
} restart_keys[] = {
#define R(name, why) { #name, offsetof(struct ftpd_config, name) },
#include "config_restart.def"
#undef R
};
#define NRESTART_KEYS (sizeof(restart_keys) / sizeof(restart_keys[0]))

/*
 * One loaded configuration and where each of its top-level keys was
 * last set (conf_track), for errors found after loading: "FILE:LINE",
 * "-o" or "" (its default).  A reload builds a second one beside the
 * one in use (priv/reload.c), so the positions belong to each.
 */
struct config_store {
	struct ftpd_config	c;	/* first: cfg points here */
	char			where[NKEYS][CONF_WHERE_MAX];
};

/* Before any config_load: all zero, as the static configuration was. */
static struct config_store boot;
/* The store cfg points into (unit tests may point cfg elsewhere). */
static struct config_store *current = &boot;
static int	check_plans(struct ftpd_config *, char *, size_t);
static int	check_dirs(struct ftpd_config *, char *, size_t);
static int	check_tls_hosts(const struct ftpd_config *, char *, size_t);
static int	vhost_index(const struct ftpd_config *, const char *);
static void	plan_global_of(const struct ftpd_config *, struct plan_layer *);
const struct ftpd_config *cfg = &boot.c;

/* The store of c, or NULL if c is not one of ours. */
static struct config_store *
store_of(const struct ftpd_config *c)
{
	return c == &current->c ? current : NULL;
}

/* "LOW-HIGH" was validated by conf; split it into numbers. */
static void
split_pasv_ports(struct ftpd_config *c)
{
	const char *dash;
	unsigned long long lo, hi;

	c->pasv_lo = c->pasv_hi = 0;
	if (c->pasv_ports == NULL || c->pasv_ports[0] == '\0')
		return;
	dash = strchr(c->pasv_ports, '-');
	if (dash == NULL ||
	    parse_uint_n(c->pasv_ports, (size_t)(dash - c->pasv_ports), 1,
	    65535, &lo) == -1 || parse_uint(dash + 1, 1, 65535, &hi) == -1)
		return;
	c->pasv_lo = (unsigned)lo;
	c->pasv_hi = (unsigned)hi;
}

static void
locate_error(const struct config_store *st, char *err, size_t errlen)
{
	size_t i, len, wl, el;

	for (i = 0; st != NULL && i < NKEYS; i++) {
		len = strlen(keys[i].name);
		if (strncmp(err, keys[i].name, len) != 0 || err[len] != ':' ||
		    st->where[i][0] == '\0')
			continue;
		/* Prepend "WHERE: " in place, cutting the end if need be. */
		wl = strlen(st->where[i]);
		el = strlen(err);
		if (errlen < wl + 3)
			return;
		if (wl + 2 + el >= errlen)
			el = errlen - wl - 3;
		memmove(err + wl + 2, err, el);
		memcpy(err, st->where[i], wl);
		err[wl] = ':';
		err[wl + 1] = ' ';
		err[wl + 2 + el] = '\0';
		return;
	}
}

void
config_locate_error(char *err, size_t errlen)
{
	locate_error(store_of(cfg), err, errlen);
}

/*
 * accounts = "SOURCE, SOURCE...": the lookup chain.  Unset, it is what
 * ftpd always did: users_file, then the system's accounts when
 * system_users is on.
 */
/* bans_shared: the bans live in the SQL accounts' database (PostgreSQL:
 * the store whose ban statements exist, the one nodes share). */
static int
check_bans_shared(const struct ftpd_config *c, char *err, size_t errlen)
{
	size_t j;

	for (j = 0; j < c->acct_nchain; j++)
		if (c->acct_chain[j] == SRC_SQL &&
		    c->sql_driver == SQL_POSTGRESQL)
			return 0;
	snprintf(err, errlen, "bans_shared: needs accounts with sql and "
	    "sql_driver = postgresql (the bans live in its ftp_bans table)");
	return -1;
}

static int
parse_accounts(struct ftpd_config *c, char *err, size_t errlen)
{
	static const char *const names[] = { "file", "system", "pam", "sql",
	    "ldap" };
	const char *p = c->accounts;
	char why[128];
	size_t n, i, j;

	c->acct_nchain = 0;
	if (p[0] == '\0') {
		c->acct_chain[c->acct_nchain++] = SRC_FILE;
		if (c->system_users)
			c->acct_chain[c->acct_nchain++] = SRC_SYSTEM;
		return 0;
	}
	while ((n = parse_word(&p, ", \t")) != 0) {
		for (i = 0; i < ACCT_SOURCES_MAX; i++)
			if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
				break;
		if (i == ACCT_SOURCES_MAX) {
			snprintf(err, errlen, "accounts: unknown source \"%.*s\" "
			    "(file, system, pam, sql, ldap)", (int)n, p);
			return -1;
		}
		for (j = 0; j < c->acct_nchain; j++)
			if (c->acct_chain[j] == (enum acct_source)i) {
				snprintf(err, errlen, "accounts: %s listed "
				    "twice", names[i]);
				return -1;
			}
		c->acct_chain[c->acct_nchain++] = (enum acct_source)i;
		p += n;
	}
	if (c->acct_nchain == 0) {
		snprintf(err, errlen, "accounts: no source listed");
		return -1;
	}
	for (j = 0; j < c->acct_nchain; j++) {
		if (c->acct_chain[j] == SRC_SQL && c->sql_dsn[0] == '\0') {
			snprintf(err, errlen, "accounts: sql needs sql_dsn");
			return -1;
		}
		if (c->acct_chain[j] == SRC_LDAP && (c->ldap_uri[0] == '\0' ||
		    c->ldap_base[0] == '\0')) {
			snprintf(err, errlen, "accounts: ldap needs ldap_uri "
			    "and ldap_base");
			return -1;
		}
		if (c->acct_chain[j] == SRC_LDAP &&
		    ldapfilter_check(c->ldap_filter, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "ldap_filter: %s", why);
			return -1;
		}
		if (c->acct_chain[j] == SRC_SQL || c->acct_chain[j] == SRC_LDAP)
			c->acct_service = 1;
	}
	return 0;
}

/*
 * account_user, event_user, metrics_user: "UID", "UID:GID" or a user
 * name.  The numeric forms need no entry in /etc/passwd, so a stock
 * system runs the account service, the event runner and the metrics
 * process under ids nothing else has, without creating an account.
 * Never root.
 */
static int
parse_ids(const char *key, const char *s, unsigned *uidp, unsigned *gidp,
    char *err, size_t errlen)
{
	const char *colon = strchr(s, ':');
	unsigned long long uid, gid;
	struct passwd *pw;

	if (s[0] >= '0' && s[0] <= '9') {
		if ((colon == NULL ? parse_uint(s, 1, 4294967294ULL, &uid) :
		    parse_uint_n(s, (size_t)(colon - s), 1, 4294967294ULL,
		    &uid)) == -1 || parse_uint(colon != NULL ? colon + 1 : s,
		    1, 4294967294ULL, &gid) == -1) {
			snprintf(err, errlen, "%s: not UID, UID:GID "
			    "(not 0) or a user name: %s", key, s);
			return -1;
		}
	} else {
		if ((pw = getpwnam(s)) == NULL) {
			snprintf(err, errlen, "%s: no such user: %s", key, s);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (uid == 0 || gid == 0) {
			snprintf(err, errlen, "%s: %s has id 0", key, s);
			return -1;
		}
	}
	*uidp = (unsigned)uid;
	*gidp = (unsigned)gid;
	return 0;
}

/*
 * Events (DESIGN.md, "Events"): on when event_exec or event_socket is
 * set.  event_exec is split at blanks into the program and its
 * arguments (no shell, no quoting); the program is an absolute path.
 * Monitors send the events a hook or the socket wants (ev_send_mask):
 * with event_socket every one, else event_on's.
 */
#define EVENT_ARGS_MAX	64

static int
parse_events(struct ftpd_config *c, char *err, size_t errlen)
{
	char bad[80], *copy, *tok, *save = NULL;

	if (ev_parse_mask(c->event_on, &c->event_mask, bad,
	    sizeof(bad)) == -1) {
		snprintf(err, errlen, "event_on: no such event: \"%s\" (all, "
		    "login, login_failed, logout, upload, upload_aborted, "
		    "download, delete, rename, mkdir, rmdir, chmod, quota, "
		    "ban)", bad);
		return -1;
	}
	c->events = c->event_exec[0] != '\0' || c->event_socket[0] != '\0';
	c->ev_send_mask = !c->events ? 0 : c->event_socket[0] != '\0' ?
	    EV_ALL : c->event_mask;
	if (c->event_exec[0] != '\0') {
		copy = xstrdup(c->event_exec);
		c->event_argv = xcalloc(EVENT_ARGS_MAX + 1,
		    sizeof(*c->event_argv));
		for (tok = strtok_r(copy, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			if (c->event_argc == EVENT_ARGS_MAX) {
				snprintf(err, errlen, "event_exec: more than "
				    "%d words", EVENT_ARGS_MAX);
				return -1;
			}
			c->event_argv[c->event_argc++] = tok;
		}
		if (c->event_argc == 0 || c->event_argv[0][0] != '/') {
			snprintf(err, errlen, "event_exec: the program must "
			    "be an absolute path");
			return -1;
		}
	}
	return c->events ? parse_ids("event_user", c->event_user,
	    &c->event_uid, &c->event_gid, err, errlen) : 0;
}

/* metrics_listen: off (""), an absolute Unix socket path, or one
 * ADDR:PORT; metrics_user as account_user. */
static int
parse_metrics(struct ftpd_config *c, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_un un;
	socklen_t len;

	if (c->metrics_listen[0] == '\0')
		return 0;
	if (c->metrics_listen[0] == '/') {
		if (strlen(c->metrics_listen) >= sizeof(un.sun_path)) {
			snprintf(err, errlen, "metrics_listen: socket path "
			    "longer than %zu bytes", sizeof(un.sun_path) - 1);
			return -1;
		}
	} else if (net_parse_addr(c->metrics_listen, &ss, &len) == -1 ||
	    net_get_port((struct sockaddr *)&ss) == 0) {
		snprintf(err, errlen, "metrics_listen: not ADDR:PORT (port "
		    "not 0) or an absolute socket path: %s",
		    c->metrics_listen);
		return -1;
	}
	return parse_ids("metrics_user", c->metrics_user, &c->metrics_uid,
	    &c->metrics_gid, err, errlen);
}

static int
check_rules(struct ftpd_config *c, char *err, size_t errlen)
{
	struct in_addr a;

	if (c->pasv_address[0] != '\0' &&
	    inet_pton(AF_INET, c->pasv_address, &a) != 1) {
		snprintf(err, errlen, "pasv_address: not an IPv4 address: %s",
		    c->pasv_address);
		return -1;
	}
	if (c->listen[0] == '\0' && c->implicit_tls_listen[0] == '\0') {
		snprintf(err, errlen, "listen: no address to listen on");
		return -1;
	}
	if (c->tls != TLS_OFF &&
	    (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0')) {
		snprintf(err, errlen, "tls: is \"%s\" but tls_cert and tls_key "
		    "are not both set (set them, or tls = off)",
		    c->tls == TLS_ON ? "on" : "required");
		return -1;
	}
	if (c->implicit_tls_listen[0] != '\0' && c->tls == TLS_OFF) {
		snprintf(err, errlen, "implicit_tls_listen: needs tls = on");
		return -1;
	}
	if (strcmp(c->log, "syslog") != 0 && strcmp(c->log, "stderr") != 0 &&
	    c->log[0] != '/') {
		snprintf(err, errlen, "log: \"%s\" is none of syslog, stderr "
		    "or an absolute path", c->log);
		return -1;
	}
	if (netmask_parse_list(c->proxy_from, c->proxy_from_list,
	    NETMASK_MAX, &c->proxy_from_n) == -1) {
		snprintf(err, errlen, "proxy_from: not a list of up to %d "
		    "ADDR or ADDR/BITS (host bits zero): %s", NETMASK_MAX,
		    c->proxy_from);
		return -1;
	}
	if (c->proxy_from_n > 0 && !c->proxy_protocol) {
		snprintf(err, errlen, "proxy_from: needs proxy_protocol = yes");
		return -1;
	}
	if (c->proxy_protocol_data && !c->proxy_protocol) {
		snprintf(err, errlen, "proxy_protocol_data: needs "
		    "proxy_protocol = yes");
		return -1;
	}
	if (c->log_level > 4)
		c->log_level = 3;
	if (c->accounts_home_root[0] != '\0' && c->accounts_home_root[0] !=
	    '/') {
		snprintf(err, errlen, "accounts_home_root: not an absolute "
		    "path");
		return -1;
	}
	if (check_tls_hosts(c, err, errlen) == -1 ||
	    parse_accounts(c, err, errlen) == -1 ||
	    plan_attrs_parse(c->ldap_attr_plan, &c->ldap_plan, err,
	    errlen) == -1 ||
	    check_plans(c, err, errlen) == -1 ||
	    check_dirs(c, err, errlen) == -1)
		return -1;
	if (parse_events(c, err, errlen) == -1 ||
	    parse_metrics(c, err, errlen) == -1 ||
	    (c->bans_shared && check_bans_shared(c, err, errlen) == -1))
		return -1;
	return c->acct_service ? parse_ids("account_user", c->account_user,
	    &c->acct_uid, &c->acct_gid, err, errlen) : 0;
}

/*
 * "[user NAME]", "[group NAME]": plan values for one account or for the
 * members of one group.  A group is named by its name or its number; a
 * name is looked up now, once.
 */
static int
open_plan_section(struct ftpd_config *c, const char *kind, const char *name,
    const char *where, const struct conf_key **k, size_t *n, void **obj,
    char *err, size_t errlen)
{
	struct plan_section *ps;
	unsigned long long id;
	struct group *gr;
	size_t i;

	for (i = 0; i < c->nplan_sections; i++)
		if (strcmp(c->plan_sections[i].name, name) == 0 &&
		    c->plan_sections[i].is_group == (kind[0] == 'g')) {
			snprintf(err, errlen, "%s: [%s %s]: defined twice (also "
			    "at %s)", where, kind, name,
			    c->plan_sections[i].where);
			return -1;
		}
	if (c->nplan_sections == PLAN_SECTIONS_MAX) {
		snprintf(err, errlen, "%s: more than %d [user]/[group] "
		    "sections", where, PLAN_SECTIONS_MAX);
		return -1;
	}
	c->plan_sections = xreallocarray(c->plan_sections,
	    c->nplan_sections + 1, sizeof(*c->plan_sections));
	ps = &c->plan_sections[c->nplan_sections];
	memset(ps, 0, sizeof(*ps));
	ps->is_group = kind[0] == 'g';
	if (ps->is_group) {
		if (parse_uint(name, 0, 4294967294ULL, &id) == 0)
			ps->gid = (unsigned)id;
		else if ((gr = getgrnam(name)) != NULL)
			ps->gid = (unsigned)gr->gr_gid;
		else {
			snprintf(err, errlen, "%s: [group %s]: no such group",
			    where, name);
			return -1;
		}
	}
	ps->name = xstrdup(name);
	ps->where = xstrdup(where);
	c->nplan_sections++;
	*k = plan_keys;
	*n = NPLAN_KEYS;
	*obj = ps;
	return 0;
}

static int
check_rate(const char *key, const char *val, char *err, size_t errlen)
{
	char e[256];

	if (plan_check(PLAN_rate_down, val, e, sizeof(e)) == 0)
		return 0;
	snprintf(err, errlen, "%s: not a size in bytes per second (K, M, G, "
	    "T allowed) (got \"%.60s\")", key, val);
	return -1;
}

/* A max_sessions other than 0 (the values were checked already). */
static int
limits(const char *text)
{
	unsigned long long v;

	return text != NULL && parse_uint(text, 0, 1ULL << 62, &v) == 0 &&
	    v > 0;
}

/*
 * Whether the master must count sessions per account: only then does
 * each session get the channel for it (priv/master.c), so a server
 * without any max_sessions pays nothing.  An account row (sql, ldap)
 * may set the key, so with the account service the answer is yes.
 */
static int
may_limit_sessions(const struct ftpd_config *c)
{
	size_t i;

	if (c->acct_service || limits(c->max_sessions))
		return 1;
	for (i = 0; i < c->nplan_sections; i++)
		if (limits(c->plan_sections[i].val[PLAN_max_sessions]))
			return 1;
	return 0;
}

/* Every plan value, global and in sections, is parsed once at load. */
static int
check_plans(struct ftpd_config *c, char *err, size_t errlen)
{
	struct plan_layer g;
	size_t i;
	int k;
	char e[512];

	plan_global_of(c, &g);
	for (k = 0; k < PLAN_NKEYS; k++)
		if (plan_check((enum plan_key)k, g.val[k], err, errlen) == -1)
			return -1;
	/* Rates for anonymous sessions and for the whole node: sizes like
	 * rate_down's. */
	if (check_rate("anon_rate", c->anon_rate, err, errlen) == -1 ||
	    check_rate("rate_total", c->rate_total, err, errlen) == -1)
		return -1;
	for (i = 0; i < c->nplan_sections; i++)
		for (k = 0; k < PLAN_NKEYS; k++)
			if (c->plan_sections[i].val[k] != NULL &&
			    plan_check((enum plan_key)k,
			    c->plan_sections[i].val[k], e, sizeof(e)) == -1) {
				snprintf(err, errlen, "%s: [%s %s] %s",
				    c->plan_sections[i].where,
				    c->plan_sections[i].is_group ? "group" :
				    "user", c->plan_sections[i].name, e);
				return -1;
			}
	c->session_limits = may_limit_sessions(c);
	return 0;
}

/*
 * "[dir PATH]": rules for a directory tree, PATH on the server's file
 * system or "~" for each account's home.  One section per tree: two
 * would leave the reader guessing which one a key comes from.
 */
static int
open_dir_section(struct ftpd_config *c, const char *name, const char *where,
    const struct conf_key **k, size_t *n, void **obj, char *err,
    size_t errlen)
{
	char tree[PATH_MAX], why[256];
	struct dir_section *ds;
	size_t i;

	if (dirrule_path_check(name, tree, sizeof(tree), why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: [dir %s]: %s", where, name, why);
		return -1;
	}
	for (i = 0; i < c->ndir_sections; i++)
		if (strcmp(c->dir_sections[i].tree, tree) == 0) {
			snprintf(err, errlen, "%s: [dir %s]: defined twice (also "
			    "at %s)", where, name, c->dir_sections[i].where);
			return -1;
		}
	if (c->ndir_sections == DIR_SECTIONS_MAX) {
		snprintf(err, errlen, "%s: more than %d [dir] sections", where,
		    DIR_SECTIONS_MAX);
		return -1;
	}
	c->dir_sections = xreallocarray(c->dir_sections, c->ndir_sections + 1,
	    sizeof(*c->dir_sections));
	ds = &c->dir_sections[c->ndir_sections++];
	memset(ds, 0, sizeof(*ds));
	ds->path = xstrdup(name);
	ds->where = xstrdup(where);
	ds->tree = xstrdup(tree);
	*k = dir_keys;
	*n = NDIR_KEYS;
	*obj = ds;
	return 0;
}

/* Each [dir] section's values, parsed once: a bad verb or pattern is an
 * error naming the section, never a rule that silently does less. */
static int
check_dirs(struct ftpd_config *c, char *err, size_t errlen)
{
	struct dir_section *ds;
	const char *key = NULL;
	char why[256];
	size_t i;

	for (i = 0; i < c->ndir_sections; i++) {
		ds = &c->dir_sections[i];
		dirrule_patterns_free(&ds->hide_p);
		dirrule_patterns_free(&ds->deny_p);
		ds->perms = PERM_ALL;
		if (ds->permissions != NULL && plan_check(PLAN_permissions,
		    ds->permissions, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: [dir %s] %s", ds->where,
			    ds->path, why);
			return -1;
		}
		if (ds->permissions != NULL)
			(void)plan_perms(ds->permissions, &ds->perms);
		if (ds->hide != NULL && dirrule_patterns_parse(ds->hide,
		    &ds->hide_p, why, sizeof(why)) == -1)
			key = "hide";
		else if (ds->deny != NULL && dirrule_patterns_parse(ds->deny,
		    &ds->deny_p, why, sizeof(why)) == -1)
			key = "deny";
		if (key != NULL) {
			snprintf(err, errlen, "%s: [dir %s] %s: %s", ds->where,
			    ds->path, key, why);
			return -1;
		}
	}
	return 0;
}

static void
free_dirs(struct ftpd_config *c)
{
	size_t i;

	for (i = 0; i < c->ndir_sections; i++) {
		conf_free(dir_keys, NDIR_KEYS, &c->dir_sections[i]);
		free(c->dir_sections[i].path);
		free(c->dir_sections[i].where);
		free(c->dir_sections[i].tree);
		dirrule_patterns_free(&c->dir_sections[i].hide_p);
		dirrule_patterns_free(&c->dir_sections[i].deny_p);
	}
	free(c->dir_sections);
	c->dir_sections = NULL;
	c->ndir_sections = 0;
}

/* "[host NAME]": a new vhost starting from the settings so far. */
static int
open_section(void *arg, const char *kind, const char *name,
    const char *where, const struct conf_key **k, size_t *n, void **obj,
    char *err, size_t errlen)
{
	struct ftpd_config *c = arg;
	struct vhost *v;

	if (strcmp(kind, "user") == 0 || strcmp(kind, "group") == 0)
		return open_plan_section(c, kind, name, where, k, n, obj, err,
		    errlen);
	if (strcmp(kind, "dir") == 0)
		return open_dir_section(c, name, where, k, n, obj, err,
		    errlen);
	if (strcmp(kind, "host") != 0) {
		snprintf(err, errlen, "%s: unknown section [%s] (host, user, "
		    "group, dir)", where, kind);
		return -1;
	}
	if (c->nvhosts == VHOST_MAX || vhost_index(c, name) != -1) {
		snprintf(err, errlen, "%s: [host %s]: %s", where, name,
		    c->nvhosts == VHOST_MAX ? "too many hosts" :
		    "defined twice");
		return -1;
	}
	v = &c->vhosts[c->nvhosts++];
	v->name = xstrdup(name);
	v->where = xstrdup(where);
	v->banner = xstrdup(c->banner);
	v->anon_root = xstrdup(c->anon_root);
	v->users_file = xstrdup(c->users_file);
	v->anonymous = c->anonymous;
	v->tls = c->tls;
	v->tls_cert = xstrdup(c->tls_cert);
	v->tls_key = xstrdup(c->tls_key);
	v->tls_ciphers = xstrdup(c->tls_ciphers);
	*k = vhost_keys;
	*n = NVHOST_KEYS;
	*obj = v;
	return 0;
}

static int
vhost_index(const struct ftpd_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nvhosts; i++)
		if (strcasecmp(c->vhosts[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
config_vhost(const char *name)
{
	return vhost_index(cfg, name);
}

int
config_vhost_match(const char *name)
{
	size_t i;
	int exact = config_vhost(name);

	if (exact != -1)
		return exact;
	for (i = 0; i < cfg->nvhosts; i++)
		if (hostname_match(cfg->vhosts[i].name, name))
			return (int)i;
	return -1;
}

const struct vhost *
config_vhost_at(int i)
{
	if (i < 0 || (size_t)i >= cfg->nvhosts)
		return NULL;
	return &cfg->vhosts[i];
}

enum tls_mode
config_tls_mode(int i)
{
	const struct vhost *vh = config_vhost_at(i);

	return (enum tls_mode)(vh != NULL ? vh->tls : cfg->tls);
}

/*
 * TLS per host: a section's tls_cert and tls_key go together, and TLS
 * in a section needs the main settings' TLS (the contexts, the
 * implicit listener and the default certificate come from them).
 * Client certificates need a CA to verify them against.
 */
static int
check_tls_hosts(const struct ftpd_config *c, char *err, size_t errlen)
{
	const struct vhost *v;
	size_t i;

	for (i = 0; i < c->nvhosts; i++) {
		v = &c->vhosts[i];
		if (v->tls != TLS_OFF && c->tls == TLS_OFF) {
			snprintf(err, errlen, "%s: [host %s]: tls: needs tls "
			    "on in the main settings", v->where, v->name);
			return -1;
		}
		if (v->tls != TLS_OFF && (v->tls_cert[0] == '\0') !=
		    (v->tls_key[0] == '\0')) {
			snprintf(err, errlen, "%s: [host %s]: tls_cert and "
			    "tls_key go together", v->where, v->name);
			return -1;
		}
	}
	if (c->tls_client_cert != TLS_CLIENT_OFF && c->tls_client_ca[0] ==
	    '\0') {
		snprintf(err, errlen, "tls_client_cert: needs tls_client_ca");
		return -1;
	}
	if (c->tls_client_cert != TLS_CLIENT_OFF && c->tls == TLS_OFF) {
		snprintf(err, errlen, "tls_client_cert: needs tls = on");
		return -1;
	}
	if (c->tls_crl[0] != '\0' && c->tls_client_cert == TLS_CLIENT_OFF) {
		snprintf(err, errlen, "tls_crl: needs tls_client_cert");
		return -1;
	}
	return 0;
}

void
config_free(struct ftpd_config *c)
{
	size_t i;

	if (c == NULL || c == &boot.c)
		return;
	conf_free(keys, NKEYS, c);
	for (i = 0; i < c->nvhosts; i++) {
		conf_free(vhost_keys, NVHOST_KEYS, &c->vhosts[i]);
		free(c->vhosts[i].name);
		free(c->vhosts[i].where);
	}
	for (i = 0; i < c->nplan_sections; i++) {
		conf_free(plan_keys, NPLAN_KEYS, &c->plan_sections[i]);
		free(c->plan_sections[i].name);
		free(c->plan_sections[i].where);
	}
	free(c->plan_sections);
	free_dirs(c);
	/* The store is the configuration's first member's container. */
	free((struct config_store *)(void *)c);
}

/*
 * The keys of config_restart.def that differ between c and keep get
 * keep's value back; their names go to kept, ", "-separated.
 */
static void
keep_restart_keys(struct config_store *st, const struct ftpd_config *keep,
    char *kept, size_t keptlen)
{
	const struct config_store *from = store_of(keep);
	size_t i, k, n = 0;

	for (i = 0; i < NRESTART_KEYS; i++)
		for (k = 0; k < NKEYS; k++) {
			if (keys[k].offset != restart_keys[i].offset ||
			    conf_same(&keys[k], &st->c, keep))
				continue;
			conf_copy(&keys[k], &st->c, keep);
			(void)snprintf(st->where[k], CONF_WHERE_MAX, "%s",
			    from != NULL ? from->where[k] : "");
			if (kept != NULL && n < keptlen)
				n += (size_t)snprintf(kept + n, keptlen - n,
				    "%s%s", n > 0 ? ", " : "", keys[k].name);
		}
}

struct ftpd_config *
config_read(const char *path, int path_explicit, char *const *overrides,
    size_t noverrides, const struct ftpd_config *keep, char *kept,
    size_t keptlen, char *err, size_t errlen)
{
	struct config_store *st = xcalloc(1, sizeof(*st));
	struct ftpd_config *c = &st->c;
	struct conf_sections sect = { open_section, c };
	size_t i;
	int rc = -1;

	if (kept != NULL && keptlen > 0)
		kept[0] = '\0';
	conf_track(keys, st->where, NKEYS);
	if (conf_defaults(keys, NKEYS, c, err, errlen) == -1)
		goto out;
	if (path != NULL && (path_explicit || access(path, F_OK) == 0) &&
	    conf_load_file_sections(keys, NKEYS, c, &sect, path, err,
	    errlen) == -1)
		goto out;
	for (i = 0; i < noverrides; i++)
		if (conf_set_kv(keys, NKEYS, c, overrides[i], err,
		    errlen) == -1)
			goto out;
	if (keep != NULL)
		keep_restart_keys(st, keep, kept, keptlen);
	split_pasv_ports(c);
	c->unprivileged = geteuid() != 0;
	if (check_rules(c, err, errlen) == -1) {
		locate_error(st, err, errlen);
		goto out;
	}
	rc = 0;
out:
	/* The table must not point into a store that may be freed. */
	conf_track(keys, NULL, NKEYS);
	if (rc == -1) {
		config_free(c);
		return NULL;
	}
	return c;
}

int
config_key_changed(const struct ftpd_config *a, const struct ftpd_config *b,
    const char *name)
{
	size_t i, n = strlen(name);
	int prefix = n > 0 && name[n - 1] == '*', found = 0;

	for (i = 0; i < NKEYS; i++) {
		if (prefix ? strncmp(keys[i].name, name, n - 1) != 0 :
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (!conf_same(&keys[i], a, b))
			return 1;
		found = 1;
	}
	return !found;	/* not a key: assume the worst */
}

struct ftpd_config *
config_install(struct ftpd_config *c)
{
	struct config_store *prev = current;

	current = (struct config_store *)(void *)c;
	cfg = c;
	return &prev->c;
}

int
config_load(const char *path, int path_explicit, char *const *overrides,
    size_t noverrides, char *err, size_t errlen)
{
	struct config_store *prev = current;
	struct ftpd_config *c;

	c = config_read(path, path_explicit, overrides, noverrides, NULL,
	    NULL, 0, err, errlen);
	if (c == NULL)
		return -1;
	(void)config_install(c);
	/* Loading again (tests, fuzzing) must not leak the previous one. */
	config_free(&prev->c);
	return 0;
}

static void
plan_global_of(const struct ftpd_config *c, struct plan_layer *l)
{
#define X(name, kind, def) l->val[PLAN_##name] = c->name;
#include "plan/plan_keys.def"
#undef X
	l->where = "ftpd.conf";
}

void
config_plan_global(struct plan_layer *l)
{
	plan_global_of(cfg, l);
}

const char *
config_key_where(const char *name)
{
	size_t i;

	const struct config_store *st = store_of(cfg);

	for (i = 0; st != NULL && i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return st->where[i][0] != '\0' ? st->where[i] :
			    "default";
	return "default";
}

void
config_dump(void)
{
	struct buf out;

	buf_init(&out, 1 << 20);
	size_t i;
	int rc;

	rc = conf_dump(keys, NKEYS, cfg, &out);
	for (i = 0; rc == 0 && i < cfg->nvhosts; i++)
		rc = buf_appendf(&out, "\n[host %s]\n", cfg->vhosts[i].name) |
		    conf_dump(vhost_keys, NVHOST_KEYS, &cfg->vhosts[i], &out);
	/* A section shows the keys it sets: an unset key is not empty. */
	for (i = 0; rc == 0 && i < cfg->nplan_sections; i++) {
		const struct plan_section *ps = &cfg->plan_sections[i];
		int k;

		rc = buf_appendf(&out, "\n[%s %s]\n", ps->is_group ? "group" :
		    "user", ps->name);
		for (k = 0; rc == 0 && k < PLAN_NKEYS; k++)
			if (ps->val[k] != NULL)
				rc = buf_appendf(&out, "%s = %s\n",
				    plan_key_name((enum plan_key)k), ps->val[k]);
	}
	for (i = 0; rc == 0 && i < cfg->ndir_sections; i++) {
		const struct dir_section *ds = &cfg->dir_sections[i];

		rc = buf_appendf(&out, "\n[dir %s]\n", ds->path);
		if (rc == 0 && ds->permissions != NULL)
			rc = buf_appendf(&out, "permissions = %s\n",
			    ds->permissions);
		if (rc == 0 && ds->hide != NULL)
			rc = buf_appendf(&out, "hide = %s\n", ds->hide);
		if (rc == 0 && ds->deny != NULL)
			rc = buf_appendf(&out, "deny = %s\n", ds->deny);
	}
	if (rc == 0)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
}

const char *
config_helper_uid(unsigned uid)
{
	if (cfg->acct_service && uid == cfg->acct_uid)
		return "account_user";
	if (cfg->events && uid == cfg->event_uid)
		return "event_user";
	if (cfg->metrics_listen[0] != '\0' && uid == cfg->metrics_uid)
		return "metrics_user";
	return NULL;
}
