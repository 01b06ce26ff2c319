/*
 * columns.c - one store's row (or entry) into a struct acct_record.
 *
 * Shared by every backend, so that a value means the same thing whichever
 * store it came from.  Runs in the account service; the values are the
 * store's bytes, hostile until parsed here.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/parse.h"
#include "accounts/backend.h"

#define COL_PASSWORD	0x1u
#define COL_UID		0x2u
#define COL_GID		0x4u
#define COL_HOME	0x8u
#define COL_REQUIRED	(COL_PASSWORD | COL_UID | COL_GID | COL_HOME)

void
acct_col_begin(struct acct_cols *c, struct acct_record *r, const char *name)
{
	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->name, sizeof(r->name), "%s", name);
	r->enabled = 1;
}

static int
copy_text(char *out, size_t outlen, const char *col, const char *val,
    char *err, size_t errlen)
{
	if (strlen(val) >= outlen) {
		snprintf(err, errlen, "column %s: longer than %zu bytes", col,
		    outlen - 1);
		return -1;
	}
	memcpy(out, val, strlen(val) + 1);
	return 0;
}

/* A portable user or group name (POSIX's portable set, as useradd
 * takes it): what a panel stores when it names the web user. */
static int
is_id_name(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == '-' || (s[0] >= '0' && s[0] <= '9') ||
	    strlen(s) >= ACCT_IDNAME_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* A number, or a name the root side looks up (name: its buffer). */
static int
parse_id(uint64_t *out, char *name, const char *col, const char *val,
    char *err, size_t errlen)
{
	unsigned long long v;

	name[0] = '\0';
	if (parse_uint(val, 0, 4294967294ULL, &v) == 0) {
		*out = v;
		return 0;
	}
	if (is_id_name(val)) {
		memcpy(name, val, strlen(val) + 1);
		*out = 0;
		return 0;
	}
	snprintf(err, errlen, "column %s: neither a number from 0 to "
	    "4294967294 nor a user or group name: \"%.40s\"", col, val);
	return -1;
}

/* SQL has no portable boolean: 1/0, true/false, t/f, yes/no. */
static int
parse_flag(uint32_t *out, const char *col, const char *val, char *err,
    size_t errlen)
{
	static const char *const yes[] = { "1", "t", "true", "y", "yes",
	    "on", NULL };
	static const char *const no[] = { "0", "f", "false", "n", "no",
	    "off", NULL };
	size_t i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(val, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(val, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	snprintf(err, errlen, "column %s: not a truth value: \"%.40s\"", col,
	    val);
	return -1;
}

/*
 * A row answers for the name asked, byte for byte.  Databases compare
 * names by collation: MariaDB's usual one (and a PostgreSQL citext, an
 * SQLite COLLATE NOCASE) matches "ALICE" and "alice " to alice's row, so
 * one account would log in under names that deny_file and every
 * per-name count do not know.  A name column, when the query selects
 * one (the default query does), must be the name asked; a query that
 * wants aliases on purpose leaves it out.
 */
static int
same_name(const struct acct_record *r, const char *val, char *err,
    size_t errlen)
{
	if (val != NULL && strcmp(val, r->name) == 0)
		return 0;
	snprintf(err, errlen, "column name: the row is for \"%.64s\", not "
	    "for the name asked", val != NULL ? val : "NULL");
	return -1;
}

/* The plan key a column names (case does not matter in SQL), or -1. */
static int
plan_key_ci(const char *col)
{
	char low[32];
	size_t i, n = strlen(col);

	if (n >= sizeof(low))
		return -1;
	for (i = 0; i <= n; i++)
		low[i] = (char)(col[i] >= 'A' && col[i] <= 'Z' ? col[i] + 32 :
		    col[i]);
	return plan_key(low);
}

/* A plan column: NULL leaves the server's setting; a value must parse
 * as the configuration's would (the root side parses it again). */
static int
plan_col(struct acct_record *r, int k, const char *col, const char *val,
    char *err, size_t errlen)
{
	char e[256];

	if (val == NULL)
		return 0;
	if (plan_check((enum plan_key)k, val, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "column %s: %s", col, e);
		return -1;
	}
	memcpy(r->plan[k], val, strlen(val) + 1);	/* checked < max */
	r->plan_set |= 1u << k;
	return 0;
}

int
acct_col_set(struct acct_cols *c, struct acct_record *r, const char *col,
    const char *val, char *err, size_t errlen)
{
	int k;

	if (strcasecmp(col, "enabled") == 0) {
		if (val == NULL) {
			snprintf(err, errlen, "column enabled: NULL");
			return -1;
		}
		return parse_flag(&r->enabled, "enabled", val, err, errlen);
	}
	if (strcasecmp(col, "name") == 0)
		return same_name(r, val, err, errlen);
	if ((k = plan_key_ci(col)) != -1)
		return plan_col(r, k, col, val, err, errlen);
	if (strcasecmp(col, "password") != 0 && strcasecmp(col, "uid") != 0 &&
	    strcasecmp(col, "gid") != 0 && strcasecmp(col, "home") != 0)
		return 0;	/* a column the query chose for itself */
	if (val == NULL) {
		snprintf(err, errlen, "column %s: NULL", col);
		return -1;
	}
	if (strcasecmp(col, "password") == 0) {
		c->seen |= COL_PASSWORD;
		return copy_text(r->hash, sizeof(r->hash), col, val, err,
		    errlen);
	}
	if (strcasecmp(col, "home") == 0) {
		c->seen |= COL_HOME;
		return copy_text(r->home, sizeof(r->home), col, val, err,
		    errlen);
	}
	if (strcasecmp(col, "uid") == 0) {
		c->seen |= COL_UID;
		return parse_id(&r->uid, r->uid_name, col, val, err, errlen);
	}
	c->seen |= COL_GID;
	return parse_id(&r->gid, r->gid_name, col, val, err, errlen);
}

int
acct_col_end(const struct acct_cols *c, const struct acct_record *r,
    char *err, size_t errlen)
{
	static const struct {
		unsigned	bit;
		const char	*name;
	} req[] = { { COL_PASSWORD, "password" }, { COL_UID, "uid" },
	    { COL_GID, "gid" }, { COL_HOME, "home" } };
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if ((c->seen & req[i].bit) == 0 &&
		    !(req[i].bit == COL_PASSWORD && r->verified)) {
			snprintf(err, errlen, "column %s: missing from the "
			    "result", req[i].name);
			return -1;
		}
	return 0;
}
