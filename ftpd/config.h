/*
 * config.h - the effective configuration of ftpd.
 *
 * Loaded once by main (file, then -o overrides) before any socket is opened;
 * read-only afterwards and inherited by every process through fork.
 */
#ifndef FTPD_CONFIG_H
#define FTPD_CONFIG_H

#include <stddef.h>

#include "common/netmask.h"
#include "plan/dirrule.h"
#include "plan/plan.h"

enum tls_mode { TLS_OFF, TLS_ON, TLS_REQUIRED };
enum sendfile_mode { SENDFILE_AUTO, SENDFILE_YES, SENDFILE_NO };
enum sql_driver { SQL_SQLITE, SQL_POSTGRESQL, SQL_MYSQL };
enum ldap_auth { LDAP_AUTH_BIND, LDAP_AUTH_HASH };
/* Where a login is looked up (the accounts key), in the order listed. */
enum acct_source { SRC_FILE, SRC_SYSTEM, SRC_PAM, SRC_SQL, SRC_LDAP };
#define ACCT_SOURCES_MAX	5

#define VHOST_MAX	64

/* A "[host NAME]" section (RFC 7151 HOST): what differs per host name.
 * Keys not set in the section keep the values set before it. */
struct vhost {
	char	*name;
	char	*where;		/* "FILE:LINE" of its [host NAME] line */
	char	*banner;
	char	*anon_root;
	char	*users_file;
	int	 anonymous;
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
	unsigned	metrics_uid, metrics_gid;	/* metrics_user */
	struct plan_section *plan_sections;	/* in file order */
	size_t		nplan_sections;
	struct dir_section *dir_sections;	/* in file order */
	size_t		ndir_sections;
	/* Some account may carry a max_sessions: set globally or by a
	 * section, or sql/ldap, whose rows may set it.  The master then
	 * counts logged-in sessions per account (priv/askproto.h). */
	int		session_limits;
};

/* The one configuration of this process (read-only after config_load). */
extern const struct ftpd_config *cfg;

/*
 * Load defaults, then path (if not NULL; a missing default file is an
 * error only when explicitly named), then each "KEY=VALUE" of overrides.
 * Validates cross-key rules.  0, or -1 with a one-line error in err.
 */
int	config_load(const char *path, int path_explicit, char *const *overrides,
	    size_t noverrides, char *err, size_t errlen);
/* Index of the [host NAME] section for name (case-insensitive), or -1. */
int	config_vhost(const char *name);
/* The section for index i, or NULL for -1 (the main settings). */
const struct vhost *config_vhost_at(int i);
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
