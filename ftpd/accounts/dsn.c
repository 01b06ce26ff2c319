/*
 * dsn.c - split a "key=value ..." connection string into known keys.
 *
 * Runs in the account service on the administrator's sql_dsn, once per
 * connection.  Strict on purpose: an unknown or repeated key is an error
 * naming it, because a misspelt "databse=" that were silently ignored
 * would connect to the wrong database.
 */
#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "accounts/dsn.h"

/* Longest key or word quoted back in an error message. */
#define SHOW	40

static const char seps[] = " \t";

/* The key of keys named by the n bytes at name, or NULL. */
static const struct dsn_key *
find_key(const struct dsn_key *keys, size_t nkeys, const char *name,
    size_t n)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strlen(keys[i].name) == n &&
		    strncmp(keys[i].name, name, n) == 0)
			return &keys[i];
	return NULL;
}

/* One word "key=value" of n bytes at w into its key.  0 or -1. */
static int
take_word(const char *w, size_t n, const struct dsn_key *keys, size_t nkeys,
    char *err, size_t errlen)
{
	const struct dsn_key *k;
	const char *eq = memchr(w, '=', n);
	size_t klen, vlen;

	if (eq == NULL || eq == w) {
		snprintf(err, errlen, "\"%.*s\" is not key=value",
		    (int)(n > SHOW ? SHOW : n), w);
		return -1;
	}
	klen = (size_t)(eq - w);
	vlen = n - klen - 1;
	k = find_key(keys, nkeys, w, klen);
	if (k == NULL) {
		/* Name the key, never its value: a password put here by
		 * mistake must not reach the log. */
		snprintf(err, errlen, "unknown key \"%.*s\"%s",
		    (int)(klen > SHOW ? SHOW : klen), w,
		    klen == 8 && strncmp(w, "password", 8) == 0 ?
		    " (the password goes in sql_password_file)" : "");
		return -1;
	}
	if (k->val[0] != '\0') {
		snprintf(err, errlen, "key %s given twice", k->name);
		return -1;
	}
	if (vlen == 0) {
		snprintf(err, errlen, "key %s has no value", k->name);
		return -1;
	}
	if (vlen >= k->len) {
		snprintf(err, errlen, "key %s: longer than %zu bytes", k->name,
		    k->len - 1);
		return -1;
	}
	memcpy(k->val, eq + 1, vlen);
	k->val[vlen] = '\0';
	return 0;
}

int
dsn_parse(const char *dsn, const struct dsn_key *keys, size_t nkeys,
    char *err, size_t errlen)
{
	const char *p = dsn;
	size_t i, n;

	for (i = 0; i < nkeys; i++)
		keys[i].val[0] = '\0';
	while ((n = parse_word(&p, seps)) != 0) {
		if (take_word(p, n, keys, nkeys, err, errlen) == -1)
			return -1;
		p += n;
	}
	return 0;
}

int
dsn_mysql_parse(const char *dsn, struct dsn_mysql *out, char *err,
    size_t errlen)
{
	char port[32], why[160];
	const struct dsn_key keys[] = {
		{ "host", out->host, sizeof(out->host) },
		{ "port", port, sizeof(port) },
		{ "socket", out->socket, sizeof(out->socket) },
		{ "database", out->database, sizeof(out->database) },
		{ "user", out->user, sizeof(out->user) },
	};
	unsigned long long v = 0;

	memset(out, 0, sizeof(*out));
	if (dsn_parse(dsn, keys, sizeof(keys) / sizeof(keys[0]), why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "sql_dsn: %s", why);
		return -1;
	}
	if (port[0] != '\0' && parse_uint(port, 1, 65535, &v) == -1) {
		snprintf(err, errlen, "sql_dsn: port: not a number from 1 to "
		    "65535: \"%s\"", port);
		return -1;
	}
	out->port = (unsigned)v;
	return 0;
}
