/*
 * plan.c - parse and resolve the per-account policy.
 *
 * Runs wherever a plan is built: the master (checking the configuration),
 * the password-check child and the monitor (an account's plan at login),
 * ftpd -t.  The texts come from the administrator or from an account
 * database: parsed with the parse helpers, bounded, and refused whole
 * when anything in them is wrong.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/parse.h"
#include "plan/plan.h"

static const struct {
	const char	*name;
	enum plan_kind	 kind;
	const char	*def;
} keys[PLAN_NKEYS] = {
#define X(name, kind, def) { #name, kind, def },
#include "plan/plan_keys.def"
#undef X
};

static const struct {
	const char	*name;
	unsigned	 bit;
} verbs[] = {
	{ "read", PERM_READ }, { "list", PERM_LIST }, { "write", PERM_WRITE },
	{ "overwrite", PERM_OVERWRITE }, { "append", PERM_APPEND },
	{ "delete", PERM_DELETE }, { "rename", PERM_RENAME },
	{ "mkdir", PERM_MKDIR }, { "rmdir", PERM_RMDIR },
	{ "chmod", PERM_CHMOD }, { "mfmt", PERM_MFMT }, { "all", PERM_ALL },
	{ "none", 0 },
};

int
plan_key(const char *name)
{
	int i;

	for (i = 0; i < PLAN_NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

const char *
plan_key_name(enum plan_key k)
{
	return keys[k].name;
}

/* "1048576", "512K", "10M", "2G", "1T" (powers of 1024). */
static int
parse_bytes(const char *s, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mul = 1;
	size_t n = strlen(s);
	const char *u;

	if (n > 1 && (u = strchr(units, s[n - 1] & ~0x20)) != NULL &&
	    s[n - 1] != '\0') {
		mul = 1ULL << (10 * (unsigned)(u - units + 1));
		n--;
	}
	if (parse_uint_n(s, n, 0, (1ULL << 62) / mul, &v) == -1)
		return -1;
	*out = v * mul;
	return 0;
}

int
plan_bytes(const char *text, unsigned long long *out)
{
	return parse_bytes(text, out);
}

static int
parse_bool(const char *s, int *out)
{
	if (strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0 ||
	    strcasecmp(s, "true") == 0 || strcasecmp(s, "on") == 0 ||
	    strcasecmp(s, "y") == 0 || strcasecmp(s, "t") == 0)
		*out = 1;
	else if (strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0 ||
	    strcasecmp(s, "false") == 0 || strcasecmp(s, "off") == 0 ||
	    strcasecmp(s, "n") == 0 || strcasecmp(s, "f") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* "read list write" (spaces or commas).  Empty is "none". */
static int
parse_perms(const char *s, unsigned *out)
{
	size_t n, i;

	*out = 0;
	while ((n = parse_word(&s, " ,\t")) != 0) {
		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (strlen(verbs[i].name) == n &&
			    strncasecmp(s, verbs[i].name, n) == 0)
				break;
		if (i == sizeof(verbs) / sizeof(verbs[0]))
			return -1;
		*out |= verbs[i].bit;
		s += n;
	}
	return 0;
}

int
plan_perms(const char *text, unsigned *out)
{
	return strlen(text) >= PLAN_TEXT_MAX ? -1 : parse_perms(text, out);
}

/* A directory inside the session root: relative or absolute, no "..". */
static int
parse_dir(const char *s, char *out, size_t outlen)
{
	const char *p;

	if (strlen(s) >= outlen)
		return -1;
	for (p = s; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* Parse text for key k into p (p may be a scratch plan). */
static int
set_value(struct plan *p, enum plan_key k, const char *text)
{
	unsigned long long v;
	int b;

	if (strlen(text) >= PLAN_TEXT_MAX)
		return -1;
	switch (keys[k].kind) {
	case PLAN_BYTES:
	case PLAN_COUNT:
		if (keys[k].kind == PLAN_BYTES ? parse_bytes(text, &v) :
		    parse_uint(text, 0, 1ULL << 62, &v))
			return -1;
		if (k == PLAN_quota_bytes) p->quota_bytes = v;
		else if (k == PLAN_quota_files) p->quota_files = v;
		else if (k == PLAN_rate_up) p->rate_up = v;
		else if (k == PLAN_rate_down) p->rate_down = v;
		else p->max_sessions = v;
		return 0;
	case PLAN_BOOL:
		if (parse_bool(text, &b) == -1)
			return -1;
		if (k == PLAN_tls_required) p->tls_required = b;
		else if (k == PLAN_tls_client_auth_only)
			p->tls_client_auth_only = b;
		else p->create_home = b;
		return 0;
	case PLAN_NETS:
		return k == PLAN_allow_from ?
		    netmask_parse_list(text, p->allow, NETMASK_MAX,
		    &p->nallow) : netmask_parse_list(text, p->deny,
		    NETMASK_MAX, &p->ndeny);
	case PLAN_PERMS:
		return parse_perms(text, &p->perms);
	case PLAN_DIR:
		return parse_dir(text, p->start_dir, sizeof(p->start_dir));
	}
	return -1;
}

static const char *
expects(enum plan_kind kind)
{
	switch (kind) {
	case PLAN_BYTES: return "a size in bytes (K, M, G, T allowed)";
	case PLAN_COUNT: return "a number";
	case PLAN_BOOL: return "yes or no";
	case PLAN_NETS: return "a list of ADDR or ADDR/BITS";
	case PLAN_PERMS: return "verbs among read list write overwrite "
	    "append delete rename mkdir rmdir chmod mfmt all none";
	case PLAN_DIR: return "a directory without ..";
	}
	return "?";
}

int
plan_check(enum plan_key k, const char *text, char *err, size_t errlen)
{
	static struct plan scratch;

	if (set_value(&scratch, k, text) == 0)
		return 0;
	snprintf(err, errlen, "%s: not %s (got \"%.60s\")", keys[k].name,
	    expects(keys[k].kind), text);
	return -1;
}

int
plan_resolve(const struct plan_layer *layers, size_t n, struct plan *p,
    char *err, size_t errlen)
{
	size_t i;
	int k;

	memset(p, 0, sizeof(*p));
	for (k = 0; k < PLAN_NKEYS; k++) {
		(void)set_value(p, (enum plan_key)k, keys[k].def);
		snprintf(p->from[k], sizeof(p->from[k]), "default");
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < PLAN_NKEYS; k++) {
			if (layers[i].val[k] == NULL)
				continue;
			if (set_value(p, (enum plan_key)k,
			    layers[i].val[k]) == -1) {
				snprintf(err, errlen, "%s: %s: not %s (got "
				    "\"%.60s\")", layers[i].where,
				    keys[k].name, expects(keys[k].kind),
				    layers[i].val[k]);
				return -1;
			}
			snprintf(p->from[k], sizeof(p->from[k]), "%s",
			    layers[i].where);
		}
	return 0;
}

int
plan_address_ok(const struct plan *p, const struct sockaddr *sa)
{
	if (p->ndeny > 0 && netmask_match(p->deny, p->ndeny, sa))
		return 0;
	return p->nallow == 0 || netmask_match(p->allow, p->nallow, sa);
}

void
plan_format(const struct plan *p, enum plan_key k, char *out, size_t outlen)
{
	size_t i, len = 0;

	switch (k) {
	case PLAN_quota_bytes: snprintf(out, outlen, "%llu", p->quota_bytes);
		return;
	case PLAN_quota_files: snprintf(out, outlen, "%llu", p->quota_files);
		return;
	case PLAN_rate_up: snprintf(out, outlen, "%llu", p->rate_up); return;
	case PLAN_rate_down: snprintf(out, outlen, "%llu", p->rate_down);
		return;
	case PLAN_max_sessions: snprintf(out, outlen, "%llu",
		    p->max_sessions);
		return;
	case PLAN_tls_required: snprintf(out, outlen, "%s",
		    p->tls_required ? "yes" : "no");
		return;
	case PLAN_tls_client_auth_only: snprintf(out, outlen, "%s",
		    p->tls_client_auth_only ? "yes" : "no");
		return;
	case PLAN_create_home: snprintf(out, outlen, "%s",
		    p->create_home ? "yes" : "no");
		return;
	case PLAN_start_dir: snprintf(out, outlen, "%s", p->start_dir);
		return;
	case PLAN_allow_from:
		netmask_format(p->allow, p->nallow, out, outlen);
		return;
	case PLAN_deny_from:
		netmask_format(p->deny, p->ndeny, out, outlen);
		return;
	case PLAN_permissions:
		out[0] = '\0';
		for (i = 0; i + 2 < sizeof(verbs) / sizeof(verbs[0]); i++)
			if ((p->perms & verbs[i].bit) != 0 && len < outlen)
				len += (size_t)snprintf(out + len, outlen - len,
				    "%s%s", len > 0 ? " " : "", verbs[i].name);
		if (len == 0)
			snprintf(out, outlen, "none");
		return;
	case PLAN_NKEYS:
		break;
	}
	snprintf(out, outlen, "?");
}
