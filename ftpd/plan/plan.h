/*
 * plan.h - the per-account policy: quotas, rates, session limits,
 * addresses, permissions (issue #19's "plan").
 *
 * Values are text wherever they come from (configuration, a database
 * row), parsed here and only here, so every source means the same by
 * "10G" or "read list".  Pure code: the monitor resolves an account's
 * plan after login (priv/), the user process enforces it, ftpd -t -u
 * prints it.
 */
#ifndef FTPD_PLAN_H
#define FTPD_PLAN_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/netmask.h"

enum plan_kind { PLAN_BYTES, PLAN_COUNT, PLAN_BOOL, PLAN_NETS, PLAN_PERMS,
	PLAN_DIR };

enum plan_key {
#define X(name, kind, def) PLAN_##name,
#include "plan/plan_keys.def"
#undef X
	PLAN_NKEYS
};

/* The verbs of `permissions`. */
enum plan_perm {
	PERM_READ	= 1u << 0,	/* RETR */
	PERM_LIST	= 1u << 1,	/* LIST NLST MLSD MLST STAT SIZE MDTM */
	PERM_WRITE	= 1u << 2,	/* STOR STOU of a new file */
	PERM_OVERWRITE	= 1u << 3,	/* STOR over an existing file */
	PERM_APPEND	= 1u << 4,	/* APPE, REST+STOR */
	PERM_DELETE	= 1u << 5,	/* DELE */
	PERM_RENAME	= 1u << 6,	/* RNFR RNTO */
	PERM_MKDIR	= 1u << 7,	/* MKD */
	PERM_RMDIR	= 1u << 8,	/* RMD */
	PERM_CHMOD	= 1u << 9,	/* SITE CHMOD */
	PERM_MFMT	= 1u << 10,	/* MFMT, SITE UTIME */
	PERM_ALL	= (1u << 11) - 1
};

#define PLAN_TEXT_MAX	1024	/* one value as text */
#define PLAN_WHERE_MAX	96	/* where a value came from */

struct plan {
	unsigned long long quota_bytes, quota_files;
	unsigned long long rate_up, rate_down;
	unsigned long long max_sessions;
	struct net_prefix allow[NETMASK_MAX], deny[NETMASK_MAX];
	size_t		nallow, ndeny;
	unsigned	perms;			/* PERM_* */
	int		tls_required, create_home;
	int		tls_client_auth_only;
	char		start_dir[PATH_MAX];
	/* Where each value came from: "default", "ftpd.conf:12",
	 * "[user alice] ftpd.conf:40", "sql column quota_bytes". */
	char		from[PLAN_NKEYS][PLAN_WHERE_MAX];
};

/* One layer of values as text (NULL: not set here). */
struct plan_layer {
	const char	*val[PLAN_NKEYS];
	const char	*where;		/* names the layer for `from` */
};

/* A size ("1048576", "512K", "10M", "2G", "1T": powers of 1024) into
 * *out.  0, or -1.  anon_rate and rate_total are read with it. */
int	plan_bytes(const char *text, unsigned long long *out);
/* "read list write" (spaces or commas) into PERM_* bits in *out.  0, or
 * -1 for an unknown verb.  [dir] sections read theirs with it. */
int	plan_perms(const char *text, unsigned *out);
/* The key named name, or -1. */
int	plan_key(const char *name);
const char *plan_key_name(enum plan_key k);
/* Check one value of key k without keeping it: 0, or -1 with err
 * ("KEY: reason (got "VALUE")"). */
int	plan_check(enum plan_key k, const char *text, char *err,
	    size_t errlen);
/*
 * Defaults, then each layer in order (later ones win).  0, or -1 with
 * err naming the key and the layer of a bad value.
 */
int	plan_resolve(const struct plan_layer *layers, size_t n,
	    struct plan *p, char *err, size_t errlen);
/* 1 if the plan lets an address log in (deny_from first). */
int	plan_address_ok(const struct plan *p, const struct sockaddr *sa);
/* Text of key k's value in p, for ftpd -t -u. */
void	plan_format(const struct plan *p, enum plan_key k, char *out,
	    size_t outlen);

#endif
