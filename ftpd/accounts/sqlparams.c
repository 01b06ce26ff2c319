/*
 * sqlparams.c - rewrite :user, :host and :client for each SQL driver.
 *
 * Runs in the account service on the administrator's sql_user_query,
 * once per connection.  A small scanner, not an SQL parser: it has to
 * know only where a colon cannot be a placeholder (inside quotes and
 * comments, and in a :: cast).
 */
#include <stdio.h>
#include <string.h>

#include "accounts/sqlparams.h"

static const char *const names[] = { "user", "host", "client" };

struct out {
	struct sql_text	*t;
	size_t		 len;
};

static int
emit(struct out *o, const char *s, size_t n)
{
	if (o->len + n >= sizeof(o->t->text))
		return -1;
	memcpy(o->t->text + o->len, s, n);
	o->len += n;
	o->t->text[o->len] = '\0';
	return 0;
}

static int
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Length of the quoted run or comment starting at q, 0 if none there,
 * -1 if it never ends. */
static long
skip_literal(const char *q)
{
	const char *e;
	char close;

	if (q[0] == '-' && q[1] == '-')
		return (long)strcspn(q, "\n");
	if (q[0] == '/' && q[1] == '*') {
		e = strstr(q + 2, "*/");
		return e == NULL ? -1 : (long)(e + 2 - q);
	}
	if (q[0] != '\'' && q[0] != '"' && q[0] != '`')
		return 0;
	close = q[0];
	/* A doubled quote inside is the quote itself: scanning on from
	 * the second finds the real end all the same. */
	for (e = q + 1; *e != '\0'; e++)
		if (*e == close && e[1] != close)
			return (long)(e + 1 - q);
		else if (*e == close)
			e++;
	return -1;
}

int
sql_translate(const char *query, enum sql_style style, struct sql_text *t,
    char *err, size_t errlen)
{
	struct out o = { t, 0 };
	const char *q = query;
	char ph[16];
	size_t n, i;
	long lit;

	memset(t, 0, sizeof(*t));
	while (*q != '\0') {
		lit = skip_literal(q);
		if (lit == -1) {
			snprintf(err, errlen, "sql_user_query: an unterminated "
			    "quote or comment");
			return -1;
		}
		if (lit > 0 || q[0] != ':' || q[1] == ':' ||
		    !is_word(q[1])) {
			n = lit > 0 ? (size_t)lit : q[0] == ':' && q[1] ==
			    ':' ? 2 : 1;
			if (emit(&o, q, n) == -1)
				goto toolong;
			q += n;
			continue;
		}
		for (n = 1; is_word(q[n]); n++)
			;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n - 1 &&
			    strncmp(q + 1, names[i], n - 1) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			snprintf(err, errlen, "sql_user_query: unknown "
			    "parameter %.*s (:user, :host, :client)",
			    (int)(n > 40 ? 40 : n), q);
			return -1;
		}
		if (t->n == SQLP_MAX) {
			snprintf(err, errlen, "sql_user_query: more than %d "
			    "parameters", SQLP_MAX);
			return -1;
		}
		t->order[t->n++] = (enum sql_param)i;
		if (style == SQLP_DOLLAR)
			(void)snprintf(ph, sizeof(ph), "$%zu", t->n);
		else if (style == SQLP_QUESTION)
			(void)snprintf(ph, sizeof(ph), "?");
		else
			(void)snprintf(ph, sizeof(ph), ":%s", names[i]);
		if (emit(&o, ph, strlen(ph)) == -1)
			goto toolong;
		q += n;
	}
	return 0;
toolong:
	snprintf(err, errlen, "sql_user_query: longer than %d bytes",
	    SQLP_TEXT_MAX - 1);
	return -1;
}

const char *
sql_param_value(enum sql_param p, const char *user, const char *host,
    const char *client)
{
	return p == SQLP_USER ? user : p == SQLP_HOST ? host : client;
}
