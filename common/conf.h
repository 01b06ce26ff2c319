/*
 * conf.h - KEY = VALUE configuration files against a caller's typed table.
 *
 * common/ knows nothing of ftpd's keys: the caller passes a table of
 * struct conf_key describing each key's type, range and where in the
 * caller's struct it is stored.  Errors come back as one line of text,
 * "FILE:LINE: KEY: reason" (or "-o: KEY: reason" for command-line values);
 * for a bad value the reason ends with (got "VALUE").  Lines are
 * "KEY = VALUE"; blank lines and lines starting with '#' are skipped, and a
 * '#' after whitespace in a value starts a comment (not for -o values).
 * Empty values are allowed for STRING, PATH, ADDRLIST (no addresses) and
 * PORTRANGE (kernel's choice).  Booleans are yes/no in any case; enum names
 * are case-sensitive.  UINT/DURATION with min == max == 0 are unbounded.
 * Runs in the master at startup, as root, on an administrator's file.
 */
#ifndef COMMON_CONF_H
#define COMMON_CONF_H

#include <stddef.h>

enum conf_type {
	CONF_BOOL,	/* "yes"/"no" -> int 1/0 */
	CONF_UINT,	/* decimal in [min,max] -> unsigned long long */
	CONF_DURATION,	/* seconds, like CONF_UINT -> unsigned long long */
	CONF_OCTAL,	/* octal in [0,max] -> unsigned long long */
	CONF_STRING,	/* any text -> char * (xstrdup'd; "" allowed) */
	CONF_PATH,	/* absolute path -> char * */
	CONF_ADDRLIST,	/* "ADDR:PORT, [v6]:PORT" checked by net -> char * */
	CONF_ENUM,	/* one of enums[] -> unsigned long long index */
	CONF_PORTRANGE,	/* "LOW-HIGH", 1..65535, LOW<=HIGH -> char * */
};

struct conf_key {
	const char		 *name;
	enum conf_type		  type;
	const char		 *defval;	/* text form of the default, or NULL */
	unsigned long long	  min, max;	/* for UINT/DURATION/OCTAL */
	const char *const	 *enums;	/* NULL-terminated, for ENUM */
	size_t			  offset;	/* offsetof(struct, field) */
};

/* Apply every key's default to obj.  Overwrites (never frees) every field
 * first, so obj may be uninitialised; keys without a default get 0 or "".
 * 0, or -1 with err filled. */
int	conf_defaults(const struct conf_key *keys, size_t n, void *obj,
	    char *err, size_t errlen);
/*
 * Remember where each key of keys was last set, for errors found only
 * once everything is loaded (one key that needs another): slots[i] is
 * for keys[i], "FILE:LINE" or "-o", or "" while the key has its default.
 * One table at a time; NULL stops it.
 */
#define CONF_WHERE_MAX	320
void	conf_track(const struct conf_key *keys, char (*slots)[CONF_WHERE_MAX],
	    size_t n);
/* Set one key from text; where names the source ("FILE:LINE" or "-o").
 * 0, or -1 with "WHERE: KEY: reason" in err. */
int	conf_set(const struct conf_key *keys, size_t n, void *obj,
	    const char *key, const char *value, const char *where,
	    char *err, size_t errlen);
/* Parse "KEY=VALUE" (as given to -o) and set it.  0 or -1 with err. */
int	conf_set_kv(const struct conf_key *keys, size_t n, void *obj,
	    const char *kv, char *err, size_t errlen);
/* Read a whole file.  0, or -1 with err ("FILE:LINE: KEY: reason", or
 * "FILE: reason" when it cannot be opened). */
int	conf_load_file(const struct conf_key *keys, size_t n, void *obj,
	    const char *path, char *err, size_t errlen);
/*
 * Sections: a line "[KIND NAME]" calls open(), which either fails (-1 with
 * err, e.g. an unknown KIND) or points keys, n and obj at the table and
 * object that the lines after it set, until the next section.
 */
struct conf_sections {
	int	(*open)(void *arg, const char *kind, const char *name,
		    const char *where, const struct conf_key **keys,
		    size_t *n, void **obj, char *err, size_t errlen);
	void	*arg;
};

/* conf_load_file, with sections allowed (sect may be NULL: then a section
 * line is an error). */
int	conf_load_file_sections(const struct conf_key *keys, size_t n,
	    void *obj, const struct conf_sections *sect, const char *path,
	    char *err, size_t errlen);
/* Write "key = value" for every key, in table order, to the buffer. */
struct buf;
int	conf_dump(const struct conf_key *keys, size_t n, const void *obj,
	    struct buf *out);
/* Whether key k holds the same value in objects a and b (a reload's
 * question: did this key change?). */
int	conf_same(const struct conf_key *k, const void *a, const void *b);
/* Set key k in dst to its value in src (strings copied). */
void	conf_copy(const struct conf_key *k, void *dst, const void *src);
/* Free strings owned by obj. */
void	conf_free(const struct conf_key *keys, size_t n, void *obj);

#endif
