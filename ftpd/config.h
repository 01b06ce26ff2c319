/*
 * config.h - the effective configuration of ftpd.
 *
 * Loaded by main (file, then -o overrides) before any socket is opened;
 * read-only afterwards and inherited by every process through fork.  The
 * master alone may replace it on SIGHUP (priv/reload.c): a new object is
 * read beside the old and cfg switched between forks, never changed in
 * place, so a session keeps the configuration it was forked with.
 */
#ifndef FTPD_CONFIG_H
#define FTPD_CONFIG_H

#include <stddef.h>

#include "common/netmask.h"
#include "plan/dirrule.h"
#include "plan/plan.h"
#include "plan/plan_attrs.h"

enum tls_mode { TLS_OFF, TLS_ON, TLS_REQUIRED };
/* tls_client_cert and tls_client_user (DESIGN.md, TLS per host). */
enum tls_client_mode { TLS_CLIENT_OFF, TLS_CLIENT_OPTIONAL,
	TLS_CLIENT_REQUIRED };
enum tls_client_user { TLS_USER_CN, TLS_USER_SAN_EMAIL, TLS_USER_NONE };
enum sendfile_mode { SENDFILE_AUTO, SENDFILE_YES, SENDFILE_NO };
enum sql_driver { SQL_SQLITE, SQL_POSTGRESQL, SQL_MYSQL };
enum ldap_auth { LDAP_AUTH_BIND, LDAP_AUTH_HASH };
/* Where a login is looked up (the accounts key), in the order listed. */
enum acct_source { SRC_FILE, SRC_SYSTEM, SRC_PAM, SRC_SQL, SRC_LDAP };
#define ACCT_SOURCES_MAX	5

#define VHOST_MAX	1024	/* [host] sections: a hosting node serves hundreds of customer domains */

/* A "[host NAME]" section (RFC 7151 HOST): what differs per host name.
 * Keys not set in the section keep the values set before it. */
struct vhost {
	char	*name;
	char	*where;		/* "FILE:LINE" of its [host NAME] line */
	char	*banner;
	char	*anon_root;
	char	*users_file;
	int	 anonymous;
	/* TLS per host: the certificate the SNI name or HOST selects. */
	unsigned long long tls;		/* enum tls_mode */
	char	*tls_cert, *tls_key, *tls_ciphers;
};

/* A "[user NAME]" or "[group NAME]" section: plan values as text (NULL
 * where the section does not set the key), checked at load. */
struct plan_section {
	char	*name;
	char	*where;		/* "FILE:LINE" of its [user/group] line */
	int	 is_group;
	unsigned gid;		/* [group]: the group's id (name or number) */
	char	*val[PLAN_NKEYS];
};

/* A "[dir PATH]" section: rules for one directory tree, whatever the
 * account (plan/dirrule.h; DESIGN.md, "Directory rules").  The keys are
 * kept as text for -t and parsed once at load. */
#define DIR_SECTIONS_MAX	256
struct dir_section {
	char	*path;		/* as written on the [dir PATH] line */
	char	*where;		/* "FILE:LINE" of that line */
	char	*tree;		/* PATH cleaned: "/srv/x", "~", "~/sub" */
	char	*permissions, *hide, *deny;	/* text; NULL: not set */
	unsigned perms;		/* permissions, parsed (when set) */
	struct dir_patterns hide_p, deny_p;
};

struct ftpd_config {
#define X(name, type, ctype, def, min, max, enums) ctype name;
#include "config_keys.def"
#undef X
	/* Derived at load time, not keys. */
	unsigned	pasv_lo, pasv_hi;	/* 0,0: kernel's choice */
	struct net_prefix proxy_from_list[NETMASK_MAX];	/* proxy_from */
	size_t		proxy_from_n;		/* 0: any peer */
	int		unprivileged;		/* started by a non-root user */
	struct vhost	vhosts[VHOST_MAX];
	size_t		nvhosts;
	enum acct_source acct_chain[ACCT_SOURCES_MAX];	/* accounts */
	size_t		acct_nchain;
	int		acct_service;	/* sql or ldap: the account service runs */
	unsigned	acct_uid, acct_gid;	/* account_user, resolved */
	struct plan_attrs ldap_plan;	/* ldap_attr_plan */
	unsigned	metrics_uid, metrics_gid;	/* metrics_user */
	struct plan_section *plan_sections;	/* in file order */
	size_t		nplan_sections;
	struct dir_section *dir_sections;	/* in file order */
	size_t		ndir_sections;
	/* Some account may carry a max_sessions: set globally or by a
	 * section, or sql/ldap, whose rows may set it.  The master then
	 * counts logged-in sessions per account (priv/askproto.h). */
	int		session_limits;
	/* Events (event_*): on when event_exec or event_socket is set. */
	int		events;
	unsigned	event_mask;	/* event_on: the hook's events */
	unsigned	ev_send_mask;	/* what the monitors send: 0 when off */
	unsigned	event_uid, event_gid;	/* event_user, resolved */
	char		**event_argv;	/* event_exec split, NULL-ended */
	size_t		event_argc;
};

/* The configuration of this process (read-only; the master may point it
 * at a new one between forks, see config_read). */
extern const struct ftpd_config *cfg;

/*
 * Load defaults, then path (if not NULL; a missing default file is an
 * error only when explicitly named), then each "KEY=VALUE" of overrides.
 * Validates cross-key rules.  0, or -1 with a one-line error in err.
 */
int	config_load(const char *path, int path_explicit, char *const *overrides,
	    size_t noverrides, char *err, size_t errlen);
/*
 * A reload's half of config_load (priv/reload.c): read and check a whole
 * configuration into a new object, without touching the one in use.
 * With keep (the configuration in use), the keys of config_restart.def
 * keep keep's values, before the checks, and the names of those that
 * differed go to kept (", "-separated; "" for none).  The object, or NULL
 * with a one-line error in err ("FILE:LINE: KEY: ..." where a key is to
 * blame).
 */
struct ftpd_config *config_read(const char *path, int path_explicit,
	    char *const *overrides, size_t noverrides,
	    const struct ftpd_config *keep, char *kept, size_t keptlen,
	    char *err, size_t errlen);
/* Make c the configuration cfg points to; returns the previous one,
 * which the caller frees with config_free when nothing uses it. */
struct ftpd_config *config_install(struct ftpd_config *c);
/* Free a configuration config_read made (not the one installed). */
void	config_free(struct ftpd_config *c);
/* The key of the helper process (account_user, event_user, metrics_user)
 * running as uid, among those switched on, or NULL: no account may log
 * in as one (it could signal or trace it). */
const char *config_helper_uid(unsigned uid);
/* Whether key name (a top-level key) differs between a and b.  A name
 * ending in '*' is a prefix: whether any key it starts differs. */
int	config_key_changed(const struct ftpd_config *a,
	    const struct ftpd_config *b, const char *name);
/* Index of the [host NAME] section for name (case-insensitive), or -1. */
int	config_vhost(const char *name);
/* Index of the section serving host name (a TLS SNI name, a HOST
 * argument): the section of that name, else the first whose name is a
 * wildcard matching it ("*.example.com"; common/hostname.h), or -1. */
int	config_vhost_match(const char *name);
/* The section for index i, or NULL for -1 (the main settings). */
const struct vhost *config_vhost_at(int i);
/* The tls mode of section i (-1: the main settings). */
enum tls_mode config_tls_mode(int i);
/* The global plan values as a layer (where: the file line or "-o"). */
void	config_plan_global(struct plan_layer *l);
/* Where top-level key name was set: "FILE:LINE", "-o", or "default". */
const char *config_key_where(const char *name);
/* Print every effective setting, "key = value", to stdout. */
void	config_dump(void);
/* An error "KEY: ..." about a key set in a file or by -o becomes
 * "FILE:LINE: KEY: ..." (or "-o: KEY: ..."), so it says where to look. */
void	config_locate_error(char *err, size_t errlen);

#endif
