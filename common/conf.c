/*
 * conf.c - KEY = VALUE configuration files against a caller's typed table.
 *
 * Runs in the master at startup, as root, on the administrator's file and
 * -o arguments.  The text is trusted not to be hostile but not to be right:
 * every value is checked against its key's type and range, and each error
 * is one line naming where it came from ("FILE:LINE: KEY: reason") so the
 * server refuses to start rather than guess.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "net.h"
#include "parse.h"
#include "xmalloc.h"

#define CONF_LINEMAX	8192

static const struct conf_key *
conf_find(const struct conf_key *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void *
conf_field(const struct conf_key *k, void *obj)
{
	return (char *)obj + k->offset;
}

static int
conf_is_string(enum conf_type t)
{
	return t == CONF_STRING || t == CONF_PATH || t == CONF_ADDRLIST ||
	    t == CONF_PORTRANGE;
}

/* "LOW-HIGH" with 1 <= LOW <= HIGH <= 65535, or "". */
static int
conf_portrange(const char *v)
{
	unsigned long long lo, hi;
	const char *dash;

	if (*v == '\0')
		return 0;
	if ((dash = strchr(v, '-')) == NULL ||
	    parse_uint_n(v, (size_t)(dash - v), 1, 65535, &lo) == -1 ||
	    parse_uint(dash + 1, 1, 65535, &hi) == -1 || lo > hi)
		return -1;
	return 0;
}

/* Parse a numeric value of k; on error writes a reason into why. */
static int
conf_number(const struct conf_key *k, const char *v, unsigned long long *out,
    char *why, size_t whylen)
{
	unsigned long long max = k->max;
	unsigned long o;
	size_t i;

	if (k->min == 0 && k->max == 0)
		max = ULLONG_MAX;	/* no range given: any value */
	switch (k->type) {
	case CONF_BOOL:
		if (strcasecmp(v, "yes") == 0)
			*out = 1;
		else if (strcasecmp(v, "no") == 0)
			*out = 0;
		else
			break;
		return 0;
	case CONF_UINT:
	case CONF_DURATION:
		if (parse_uint(v, k->min, max, out) == 0)
			return 0;
		(void)snprintf(why, whylen, "expected %s between %llu and %llu",
		    k->type == CONF_UINT ? "a number" : "seconds", k->min, max);
		return -1;
	case CONF_OCTAL:
		if (parse_octal(v, max > ULONG_MAX ? ULONG_MAX :
		    (unsigned long)max, &o) == 0) {
			*out = o;
			return 0;
		}
		(void)snprintf(why, whylen, "expected an octal number up to "
		    "0%llo", max);
		return -1;
	case CONF_ENUM:
		for (i = 0; k->enums != NULL && k->enums[i] != NULL; i++)
			if (strcmp(v, k->enums[i]) == 0) {
				*out = i;
				return 0;
			}
		(void)snprintf(why, whylen, "expected one of:");
		for (i = 0; k->enums != NULL && k->enums[i] != NULL; i++) {
			size_t l = strlen(why);

			(void)snprintf(why + l, whylen - l, "%s %s",
			    i > 0 ? "," : "", k->enums[i]);
		}
		return -1;
	default:
		break;
	}
	(void)snprintf(why, whylen, "expected yes or no");
	return -1;
}

/* Check a string-valued key's text; on error writes a reason into why. */
static int
conf_check_string(const struct conf_key *k, const char *v, char *why,
    size_t whylen)
{
	size_t n;

	switch (k->type) {
	case CONF_PATH:
		if (*v == '\0' || *v == '/')
			return 0;
		(void)snprintf(why, whylen, "expected an absolute path");
		return -1;
	case CONF_ADDRLIST:
		if (net_parse_addrlist(v, NULL, NULL, 0, &n) == 0)
			return 0;
		(void)snprintf(why, whylen,
		    "expected ADDR:PORT[, ADDR:PORT...] (IPv6 as [ADDR]:PORT)");
		return -1;
	case CONF_PORTRANGE:
		if (conf_portrange(v) == 0)
			return 0;
		(void)snprintf(why, whylen,
		    "expected LOW-HIGH with 1 <= LOW <= HIGH <= 65535");
		return -1;
	default:
		return 0;
	}
}

static const struct conf_key *tracked;
static char (*tracked_where)[CONF_WHERE_MAX];
static size_t ntracked;

void
conf_track(const struct conf_key *keys, char (*slots)[CONF_WHERE_MAX],
    size_t n)
{
	tracked = keys;
	tracked_where = slots;
	ntracked = n;
	for (; slots != NULL && n > 0; n--)
		slots[n - 1][0] = '\0';
}

/* A key of the tracked table was set from where ("default": forget). */
static void
track(const struct conf_key *keys, const struct conf_key *k,
    const char *where)
{
	size_t i, len = strlen(where);

	if (keys != tracked || tracked_where == NULL)
		return;
	i = (size_t)(k - keys);
	if (i >= ntracked)
		return;
	if (strcmp(where, "default") == 0)
		where = "";
	/* A very long path keeps its end: the file name and the line. */
	if (len >= CONF_WHERE_MAX)
		(void)snprintf(tracked_where[i], CONF_WHERE_MAX, "...%s",
		    where + len - (CONF_WHERE_MAX - 4));
	else
		(void)snprintf(tracked_where[i], CONF_WHERE_MAX, "%s", where);
}

int
conf_set(const struct conf_key *keys, size_t n, void *obj, const char *key,
    const char *value, const char *where, char *err, size_t errlen)
{
	const struct conf_key *k;
	unsigned long long num = 0;
	char why[256];
	char **sp;

	if ((k = conf_find(keys, n, key)) == NULL) {
		(void)snprintf(err, errlen, "%s: %s: unknown key", where, key);
		return -1;
	}
	why[0] = '\0';
	if (conf_is_string(k->type)) {
		if (conf_check_string(k, value, why, sizeof(why)) == -1)
			goto bad;
		sp = conf_field(k, obj);
		free(*sp);
		*sp = xstrdup(value);
		track(keys, k, where);
		return 0;
	}
	if (conf_number(k, value, &num, why, sizeof(why)) == -1)
		goto bad;
	if (k->type == CONF_BOOL)
		*(int *)conf_field(k, obj) = (int)num;
	else
		*(unsigned long long *)conf_field(k, obj) = num;
	track(keys, k, where);
	return 0;
bad:
	(void)snprintf(err, errlen, "%s: %s: %s (got \"%s\")", where, key, why,
	    value);
	return -1;
}

int
conf_defaults(const struct conf_key *keys, size_t n, void *obj, char *err,
    size_t errlen)
{
	size_t i;

	/* The fields may hold garbage: clear them before anything is freed. */
	for (i = 0; i < n; i++) {
		if (conf_is_string(keys[i].type))
			*(char **)conf_field(&keys[i], obj) = NULL;
		else if (keys[i].type == CONF_BOOL)
			*(int *)conf_field(&keys[i], obj) = 0;
		else
			*(unsigned long long *)conf_field(&keys[i], obj) = 0;
	}
	for (i = 0; i < n; i++) {
		if (keys[i].defval == NULL) {
			if (conf_is_string(keys[i].type))
				*(char **)conf_field(&keys[i], obj) =
				    xstrdup("");
			continue;
		}
		if (conf_set(keys, n, obj, keys[i].name, keys[i].defval,
		    "default", err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Trim spaces and tabs at both ends, in place. */
static char *
conf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	*e = '\0';
	return s;
}

int
conf_set_kv(const struct conf_key *keys, size_t n, void *obj, const char *kv,
    char *err, size_t errlen)
{
	char *copy, *eq;
	int r;

	copy = xstrdup(kv);
	if ((eq = strchr(copy, '=')) == NULL) {
		(void)snprintf(err, errlen, "-o: %s: expected KEY=VALUE",
		    conf_trim(copy));
		free(copy);
		return -1;
	}
	*eq = '\0';
	r = conf_set(keys, n, obj, conf_trim(copy), conf_trim(eq + 1), "-o",
	    err, errlen);
	free(copy);
	return r;
}

/* Cut a comment: '#' at the start of the value or after whitespace. */
static void
conf_strip_comment(char *v)
{
	char *p;

	for (p = v; *p != '\0'; p++)
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

/* One line of a file; where is "FILE:LINE". */
static int
conf_line(const struct conf_key *keys, size_t n, void *obj, char *line,
    const char *where, char *err, size_t errlen)
{
	char *s, *eq, *key;

	s = conf_trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		key = s;
		key[strcspn(key, " \t")] = '\0';
		(void)snprintf(err, errlen, "%s: %s: expected KEY = VALUE",
		    where, key);
		return -1;
	}
	*eq = '\0';
	key = conf_trim(s);
	if (*key == '\0') {
		(void)snprintf(err, errlen, "%s: missing key before '='",
		    where);
		return -1;
	}
	conf_strip_comment(eq + 1);
	return conf_set(keys, n, obj, key, conf_trim(eq + 1), where, err,
	    errlen);
}

/*
 * "[KIND NAME]": ask the caller's section hook for the table and object
 * that the following lines set.  0 or -1 with err.
 */
static int
conf_section(const struct conf_sections *sect, char *s, const char *where,
    const struct conf_key **keys, size_t *n, void **obj, char *err,
    size_t errlen)
{
	char *end = strchr(s, ']'), *name;

	if (sect == NULL || end == NULL || end[1] != '\0') {
		(void)snprintf(err, errlen, "%s: %s", where, sect == NULL ?
		    "sections are not allowed here" : "expected [KIND NAME]");
		return -1;
	}
	*end = '\0';
	s++;
	name = s + strcspn(s, " \t");
	if (*name != '\0')
		*name++ = '\0';
	name = conf_trim(name);
	if (*s == '\0' || *name == '\0') {
		(void)snprintf(err, errlen, "%s: expected [KIND NAME]", where);
		return -1;
	}
	return sect->open(sect->arg, s, name, where, keys, n, obj, err,
	    errlen);
}

int
conf_load_file(const struct conf_key *keys, size_t n, void *obj,
    const char *path, char *err, size_t errlen)
{
	return conf_load_file_sections(keys, n, obj, NULL, path, err, errlen);
}

int
conf_load_file_sections(const struct conf_key *keys, size_t n, void *obj,
    const struct conf_sections *sect, const char *path, char *err,
    size_t errlen)
{
	char where[PATH_MAX + 32];
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *fp;
	int r = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		(void)snprintf(where, sizeof(where), "%s:%zu", path, lineno);
		if (len > CONF_LINEMAX) {
			(void)snprintf(err, errlen, "%s: line too long", where);
			r = -1;
			break;
		}
		if ((size_t)len != strlen(line)) {
			(void)snprintf(err, errlen, "%s: NUL byte in line",
			    where);
			r = -1;
			break;
		}
		if (*conf_trim(line) == '[')
			r = conf_section(sect, conf_trim(line), where, &keys,
			    &n, &obj, err, errlen);
		else
			r = conf_line(keys, n, obj, line, where, err, errlen);
		if (r == -1)
			break;
	}
	if (r == 0 && ferror(fp)) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		r = -1;
	}
	free(line);
	(void)fclose(fp);
	return r;
}

static int
conf_enum_ok(const struct conf_key *k, unsigned long long v)
{
	unsigned long long i;

	if (k->enums == NULL)
		return 0;
	for (i = 0; k->enums[i] != NULL; i++)
		if (i == v)
			return 1;
	return 0;
}

int
conf_dump(const struct conf_key *keys, size_t n, const void *obj,
    struct buf *out)
{
	const struct conf_key *k;
	const char *s;
	unsigned long long v;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		k = &keys[i];
		if (conf_is_string(k->type)) {
			s = *(char *const *)((const char *)obj + k->offset);
			if (s == NULL || *s == '\0')
				r = buf_appendf(out, "%s =\n", k->name);
			else
				r = buf_appendf(out, "%s = %s\n", k->name, s);
		} else if (k->type == CONF_BOOL) {
			r = buf_appendf(out, "%s = %s\n", k->name,
			    *(const int *)((const char *)obj + k->offset) ?
			    "yes" : "no");
		} else {
			v = *(const unsigned long long *)((const char *)obj +
			    k->offset);
			if (k->type == CONF_OCTAL)
				r = buf_appendf(out, "%s = 0%03llo\n", k->name,
				    v);
			else if (k->type == CONF_ENUM && conf_enum_ok(k, v))
				r = buf_appendf(out, "%s = %s\n", k->name,
				    k->enums[v]);
			else
				r = buf_appendf(out, "%s = %llu\n", k->name, v);
		}
		if (r == -1)
			return -1;
	}
	return 0;
}

int
conf_same(const struct conf_key *k, const void *a, const void *b)
{
	const char *fa = (const char *)a + k->offset;
	const char *fb = (const char *)b + k->offset;

	if (conf_is_string(k->type))
		return strcmp(*(char *const *)(const void *)fa,
		    *(char *const *)(const void *)fb) == 0;
	if (k->type == CONF_BOOL)
		return *(const int *)(const void *)fa ==
		    *(const int *)(const void *)fb;
	return *(const unsigned long long *)(const void *)fa ==
	    *(const unsigned long long *)(const void *)fb;
}

void
conf_copy(const struct conf_key *k, void *dst, const void *src)
{
	const char *from = (const char *)src + k->offset;
	char **sp;

	if (conf_is_string(k->type)) {
		sp = conf_field(k, dst);
		free(*sp);
		*sp = xstrdup(*(char *const *)(const void *)from);
	} else if (k->type == CONF_BOOL)
		*(int *)conf_field(k, dst) = *(const int *)(const void *)from;
	else
		*(unsigned long long *)conf_field(k, dst) =
		    *(const unsigned long long *)(const void *)from;
}

void
conf_free(const struct conf_key *keys, size_t n, void *obj)
{
	char **sp;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!conf_is_string(keys[i].type))
			continue;
		sp = conf_field(&keys[i], obj);
		free(*sp);
		*sp = NULL;
	}
}
