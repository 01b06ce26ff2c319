/*
 * ldap.c - accounts in an LDAP directory, through OpenLDAP's libldap.
 *
 * Runs only in a worker of the account service (unprivileged, confined).
 * One login: search ldap_base for ldap_filter with the name escaped
 * (common/ldapfilter.c), exactly one entry, its uid/gid/home attributes into a
 * record (columns.c), then either bind as that entry with the client's
 * password (ldap_auth = bind: the directory checks it, the record comes
 * back verified) or hand its {CRYPT} userPassword to the authentication
 * child, which runs crypt(3) as for any other source (ldap_auth = hash).
 *
 * Two connections in bind mode.  The search connection is bound once, as
 * ldap_bind_dn (or anonymously), and keeps that identity for its life;
 * the users' binds go to a second connection that is never searched on.
 * Rebinding one connection as the user and back would run every search
 * that follows a failed rebind-back with the previous user's rights (a
 * user's ACLs may read more, or other, entries than the service DN), and
 * would put a network round trip for the service DN into every login.
 *
 * Status mapping (backend.h): no entry is ACCT_UNKNOWN (the next
 * source); two entries, a bad value or a wrong password is ACCT_REFUSED
 * (530); a server that is down, slow or answers garbage is
 * ACCT_UNAVAILABLE (421) with err naming the step.
 */
#include <ldap.h>
#include <lber.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "accounts/backend.h"
#include "common/ldapfilter.h"
#include "common/parse.h"

/* As struct acct_secrets.ldap: the service DN's password. */
#define BINDPW_MAX	1024

struct ldap_h {
	LDAP	*search;		/* bound as ldap_bind_dn, or anonymous */
	LDAP	*auth;			/* ldap_auth = bind: users' binds only */
	char	 bindpw[BINDPW_MAX];	/* to reopen a dropped connection */
};

/* ------------------------------------------------------------ time */

static void
deadline_in(struct timespec *end, long ms)
{
	(void)clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += ms / 1000;
	end->tv_nsec += (ms % 1000) * 1000000L;
	if (end->tv_nsec >= 1000000000L) {
		end->tv_sec++;
		end->tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left until end, 0 if none. */
static long
ms_left(const struct timespec *end)
{
	struct timespec now;
	long long ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? (long)ms : 0;
}

static struct timeval
tv_ms(long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* -------------------------------------------------------- errors */

/* "STEP: libldap's text (the server's diagnostic)", for the log line. */
static void
dir_fail(char *err, size_t errlen, const char *step, LDAP *ld, int rc)
{
	char *diag = NULL;

	if (ld != NULL && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE,
	    &diag) != LDAP_OPT_SUCCESS)
		diag = NULL;
	/* libldap's placeholder when it has nothing to add (TLS and
	 * socket errors): it would only double the parentheses. */
	if (diag != NULL && diag[0] != '\0' &&
	    strcmp(diag, "(unknown error code)") != 0)
		snprintf(err, errlen, "%s: %s (%.200s)", step,
		    ldap_err2string(rc), diag);
	else
		snprintf(err, errlen, "%s: %s", step, ldap_err2string(rc));
	if (diag != NULL)
		ldap_memfree(diag);
}

/* ---------------------------------------------------- connecting */

/* ldap_uri: one or more ldap://, ldaps:// or ldapi:// URIs (libldap
 * also knows cldap://, UDP, which has no place here). */
static int
uri_ok(char *err, size_t errlen)
{
	static const char *const schemes[] = { "ldap://", "ldaps://",
	    "ldapi://" };
	const char *p = cfg->ldap_uri;
	size_t n, i;

	for (;;) {
		if ((n = parse_word(&p, " \t,")) == 0)
			return 0;
		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			if (n >= strlen(schemes[i]) && strncasecmp(p,
			    schemes[i], strlen(schemes[i])) == 0)
				break;
		if (i == sizeof(schemes) / sizeof(schemes[0])) {
			snprintf(err, errlen, "ldap_uri: \"%.*s\" is not "
			    "ldap://, ldaps:// or ldapi://",
			    (int)(n > 200 ? 200 : n), p);
			return -1;
		}
		if (i == 1 && cfg->ldap_starttls) {
			snprintf(err, errlen, "ldap_starttls: not with "
			    "ldaps:// (the connection is TLS already)");
			return -1;
		}
		p += n;
	}
}

/* What no retry can fix: refused at connect, so the log says it at
 * every attempt rather than at every login. */
static int
config_ok(const char *password, char *err, size_t errlen)
{
	char why[128];

	if (uri_ok(err, errlen) == -1)
		return -1;
	/* config.c checks it too; this backend does not rely on that. */
	if (ldapfilter_check(cfg->ldap_filter, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "ldap_filter: %s", why);
		return -1;
	}
	/* A DN with an empty password is an "unauthenticated bind": most
	 * servers accept it and grant only anonymous rights, which would
	 * hide the mistake until the first search finds nothing. */
	if (cfg->ldap_bind_dn[0] != '\0' && (password == NULL ||
	    password[0] == '\0')) {
		snprintf(err, errlen, "ldap_bind_dn is set but "
		    "ldap_bind_password_file gives no password");
		return -1;
	}
	if (password != NULL && strlen(password) >= BINDPW_MAX) {
		snprintf(err, errlen, "ldap_bind_password_file: longer than "
		    "%d bytes", BINDPW_MAX - 1);
		return -1;
	}
	return 0;
}

static int
set_options(LDAP *ld, long timeout_ms, char *err, size_t errlen)
{
	const int v3 = LDAP_VERSION3;
	struct timeval tv = tv_ms(timeout_ms);
	int rc;

	/* Referrals off: chasing one would connect wherever the directory
	 * says, and bind there with a user's password. */
	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) !=
	    LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) !=
	    LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) !=
	    LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) !=
	    LDAP_OPT_SUCCESS) {
		dir_fail(err, errlen, "connect: setting options", ld, rc);
		return -1;
	}
	return 0;
}

/*
 * One connection: open, StartTLS when asked, then a simple bind as dn
 * with pw (dn NULL: no bind, the connection stays anonymous until a
 * user binds on it).  0, or -1 with err naming the step.
 */
static int
open_conn(LDAP **out, const char *dn, const char *pw, long timeout_ms,
    char *err, size_t errlen)
{
	struct berval cred;
	LDAP *ld = NULL;
	int rc;

	*out = NULL;
	if ((rc = ldap_initialize(&ld, cfg->ldap_uri)) != LDAP_SUCCESS) {
		dir_fail(err, errlen, "connect", NULL, rc);
		return -1;
	}
	if (set_options(ld, timeout_ms, err, errlen) == -1)
		goto fail;
	if ((rc = ldap_connect(ld)) != LDAP_SUCCESS) {
		dir_fail(err, errlen, "connect", ld, rc);
		goto fail;
	}
	if (cfg->ldap_starttls &&
	    (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		dir_fail(err, errlen, "starttls", ld, rc);
		goto fail;
	}
	if (dn != NULL) {
		cred.bv_val = (char *)(uintptr_t)pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(ld, dn[0] != '\0' ? dn : NULL,
		    LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			dir_fail(err, errlen, "bind", ld, rc);
			goto fail;
		}
	}
	*out = ld;
	return 0;
fail:
	(void)ldap_unbind_ext_s(ld, NULL, NULL);
	return -1;
}

static int
open_search(struct ldap_h *h, long timeout_ms, char *err, size_t errlen)
{
	/* An empty ldap_bind_dn binds anonymously (empty DN, empty
	 * password), which also proves the server answers. */
	return open_conn(&h->search, cfg->ldap_bind_dn,
	    cfg->ldap_bind_dn[0] != '\0' ? h->bindpw : "", timeout_ms, err,
	    errlen);
}

static int
open_auth(struct ldap_h *h, long timeout_ms, char *err, size_t errlen)
{
	if (cfg->ldap_auth != LDAP_AUTH_BIND)
		return 0;
	return open_conn(&h->auth, NULL, NULL, timeout_ms, err, errlen);
}

static void
close_conn(LDAP **ld)
{
	if (*ld != NULL)
		(void)ldap_unbind_ext_s(*ld, NULL, NULL);
	*ld = NULL;
}

static void
dir_disconnect(void *vh)
{
	struct ldap_h *h = vh;

	if (h == NULL)
		return;
	close_conn(&h->search);
	close_conn(&h->auth);
	explicit_bzero(h->bindpw, sizeof(h->bindpw));
	free(h);
}

/*
 * liblber writes requests with write(2): on a connection the server has
 * closed (a restart, an idle timeout) that raises SIGPIPE, which would
 * end the worker instead of giving LDAP_SERVER_DOWN to retry on.  Only
 * the default disposition is changed: a handler the service set stays.
 */
static int
no_sigpipe(char *err, size_t errlen)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, NULL, &old) == -1 ||
	    (old.sa_handler == SIG_DFL && sigaction(SIGPIPE, &sa, NULL) ==
	    -1)) {
		snprintf(err, errlen, "connect: ignoring SIGPIPE: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
dir_connect(void **vh, const char *password, char *err, size_t errlen)
{
	long timeout_ms = (long)cfg->accounts_timeout * 1000;
	struct ldap_h *h;

	*vh = NULL;
	if (config_ok(password, err, errlen) == -1 ||
	    no_sigpipe(err, errlen) == -1)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "connect: out of memory");
		return -1;
	}
	if (password != NULL)
		memcpy(h->bindpw, password, strlen(password) + 1);
	if (open_search(h, timeout_ms, err, errlen) == -1 ||
	    open_auth(h, timeout_ms, err, errlen) == -1) {
		dir_disconnect(h);
		return -1;
	}
	*vh = h;
	return 0;
}

/*
 * A pooled connection may have been dropped while idle (a server's idle
 * timeout, a restart, a load balancer): reopen it once, within what is
 * left of this query's time, instead of failing a login the server would
 * have answered.  0 if reopened.
 */
static int
reopen(struct ldap_h *h, LDAP **which, const struct timespec *end,
    char *err, size_t errlen)
{
	long left = ms_left(end);

	close_conn(which);
	if (left == 0) {
		snprintf(err, errlen, "connect: no time left to reconnect");
		return -1;
	}
	return which == &h->search ? open_search(h, left, err, errlen) :
	    open_auth(h, left, err, errlen);
}

/* A libldap result that says the connection itself is gone. */
static int
conn_lost(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;
}

/* -------------------------------------------------------- search */

static int
search_once(LDAP *ld, const char *filter, const struct timespec *end,
    LDAPMessage **res)
{
	char *attrs[5 + PLAN_NKEYS];
	struct timeval tv;
	long left = ms_left(end);
	size_t n = 0, k;

	*res = NULL;
	if (left == 0)
		return LDAP_TIMEOUT;
	/* Only what the record needs: no password hash in bind mode. */
	attrs[n++] = cfg->ldap_attr_uid;
	attrs[n++] = cfg->ldap_attr_gid;
	attrs[n++] = cfg->ldap_attr_home;
	if (cfg->ldap_auth == LDAP_AUTH_HASH)
		attrs[n++] = cfg->ldap_attr_password;
	for (k = 0; k < PLAN_NKEYS; k++)
		if (cfg->ldap_plan.attr[k][0] != '\0')
			attrs[n++] = (char *)(uintptr_t)cfg->ldap_plan.attr[k];
	attrs[n] = NULL;
	tv = tv_ms(left);
	/* Size limit 2: one entry is the answer, a second is all it takes
	 * to refuse, and the server need not send a thousand. */
	return ldap_search_ext_s(ld, cfg->ldap_base, LDAP_SCOPE_SUBTREE,
	    filter, attrs, 0, NULL, NULL, &tv, 2, res);
}

/*
 * The one entry for user in *res (*e points into it).  ACCT_FOUND,
 * ACCT_UNKNOWN, ACCT_REFUSED (two entries) or ACCT_UNAVAILABLE.
 */
static int
search_entry(struct ldap_h *h, const char *user, const char *filter,
    const struct timespec *end, LDAPMessage **res, LDAPMessage **e,
    char *err, size_t errlen)
{
	int rc, n;

	*e = NULL;
	rc = search_once(h->search, filter, end, res);
	if (conn_lost(rc)) {
		ldap_msgfree(*res);
		*res = NULL;
		if (reopen(h, &h->search, end, err, errlen) == -1)
			return ACCT_UNAVAILABLE;
		rc = search_once(h->search, filter, end, res);
	}
	if (rc == LDAP_SIZELIMIT_EXCEEDED) {
		snprintf(err, errlen, "two entries for %.*s", ACCT_NAME_MAX,
		    user);
		return ACCT_REFUSED;
	}
	/* NO_SUCH_OBJECT is a base that does not exist: a configuration
	 * to fix (421 and a log line), not every name unknown. */
	if (rc != LDAP_SUCCESS) {
		dir_fail(err, errlen, "search", h->search, rc);
		return ACCT_UNAVAILABLE;
	}
	if ((n = ldap_count_entries(h->search, *res)) < 0) {
		snprintf(err, errlen, "search: undecodable result");
		return ACCT_UNAVAILABLE;
	}
	if (n > 1) {
		snprintf(err, errlen, "two entries for %.*s", ACCT_NAME_MAX,
		    user);
		return ACCT_REFUSED;
	}
	if (n == 0)
		return ACCT_UNKNOWN;
	if ((*e = ldap_first_entry(h->search, *res)) == NULL) {
		snprintf(err, errlen, "search: undecodable entry");
		return ACCT_UNAVAILABLE;
	}
	return ACCT_FOUND;
}

/* ------------------------------------------------------ the entry */

/* The attributes the record takes, and the column each one fills. */
struct attr_map {
	const char	*attr;
	const char	*col;
	int		 present;
};

/*
 * Which attributes of map the entry holds, by walking the entry once:
 * libldap's ldap_get_values_len cannot tell an absent attribute from an
 * undecodable entry, this can.  0, or -1 (garbage) with err.
 */
static int
attrs_present(LDAP *ld, LDAPMessage *e, struct attr_map *map, size_t n,
    char *err, size_t errlen)
{
	BerElement *ber = NULL;
	int rc = LDAP_SUCCESS;
	char *a;
	size_t i;

	(void)ldap_set_option(ld, LDAP_OPT_RESULT_CODE, &rc);
	for (a = ldap_first_attribute(ld, e, &ber); a != NULL;
	    a = ldap_next_attribute(ld, e, ber)) {
		for (i = 0; i < n; i++)
			if (strcasecmp(a, map[i].attr) == 0)
				map[i].present = 1;
		ldap_memfree(a);
	}
	if (ber != NULL)
		ber_free(ber, 0);
	if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc) !=
	    LDAP_OPT_SUCCESS || rc != LDAP_SUCCESS) {
		snprintf(err, errlen, "search: undecodable entry (%s)",
		    ldap_err2string(rc));
		return -1;
	}
	return 0;
}

/*
 * The single value of attr as a C string in out.  Values are the
 * directory's bytes: one of them, no NUL, bounded.  0, or -1 with err.
 */
static int
one_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out,
    size_t outlen, char *err, size_t errlen)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	int n = ldap_count_values_len(v), rc = -1;

	out[0] = '\0';
	if (v == NULL || n == 0)
		snprintf(err, errlen, "attribute %s: no value", attr);
	else if (n > 1)
		snprintf(err, errlen, "attribute %s: %d values, one "
		    "expected", attr, n);
	else if (v[0]->bv_len >= outlen)
		snprintf(err, errlen, "attribute %s: longer than %zu bytes",
		    attr, outlen - 1);
	else if (memchr(v[0]->bv_val, '\0', v[0]->bv_len) != NULL)
		snprintf(err, errlen, "attribute %s: holds a NUL byte", attr);
	else {
		memcpy(out, v[0]->bv_val, v[0]->bv_len);
		out[v[0]->bv_len] = '\0';
		rc = 0;
	}
	/* It may be the password hash: not left in freed memory. */
	if (v != NULL && n > 0)
		explicit_bzero(v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return rc;
}

/*
 * userPassword as "{CRYPT}<crypt(3) hash>" (RFC 2307; the scheme in any
 * case) into the bare hash.  Any other scheme is a hash the
 * authentication child cannot check ({SSHA}...) or a clear text
 * password: refused, naming the scheme but never the value.
 */
static int
crypt_hash(char *val, const char *attr, char *err, size_t errlen)
{
	static const char scheme[] = "{CRYPT}";
	const char *brace;

	if (strncasecmp(val, scheme, sizeof(scheme) - 1) == 0) {
		memmove(val, val + sizeof(scheme) - 1,
		    strlen(val) - (sizeof(scheme) - 1) + 1);
		if (val[0] != '\0')
			return 0;
		snprintf(err, errlen, "attribute %s: {CRYPT} with no hash",
		    attr);
		return -1;
	}
	brace = val[0] == '{' ? strchr(val, '}') : NULL;
	if (brace != NULL && brace - val <= 32)
		snprintf(err, errlen, "attribute %s: scheme %.*s is not "
		    "supported with ldap_auth = hash (only {CRYPT})", attr,
		    (int)(brace - val + 1), val);
	else
		snprintf(err, errlen, "attribute %s: no {CRYPT} scheme "
		    "(ldap_auth = hash needs {CRYPT}<crypt(3) hash>)", attr);
	return -1;
}

static int
take_attr(LDAP *ld, LDAPMessage *e, const struct attr_map *m,
    struct acct_cols *c, struct acct_record *r, char *err, size_t errlen)
{
	char val[ACCT_HOME_MAX], why[ACCT_WHY_MAX];
	int rc;

	rc = one_value(ld, e, m->attr, val, sizeof(val), err, errlen);
	if (rc == 0 && strcmp(m->col, "password") == 0)
		rc = crypt_hash(val, m->attr, err, errlen);
	if (rc == 0 && acct_col_set(c, r, m->col, val, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "attribute %s: %s", m->attr, why);
		rc = -1;
	}
	explicit_bzero(val, sizeof(val));
	return rc;
}

/* ldap_attr_plan's attributes into map from index n on, each filling the
 * plan key it names (columns.c takes a key's name as a column's); the
 * new length. */
static size_t
plan_attr_map(struct attr_map *map, size_t n)
{
	size_t k;

	for (k = 0; k < PLAN_NKEYS; k++)
		if (cfg->ldap_plan.attr[k][0] != '\0') {
			map[n].attr = cfg->ldap_plan.attr[k];
			map[n].col = plan_key_name((enum plan_key)k);
			map[n].present = 0;
			n++;
		}
	return n;
}

/* The entry's attributes into *r.  ACCT_FOUND, ACCT_REFUSED or
 * ACCT_UNAVAILABLE (an entry libldap cannot decode). */
static int
entry_record(LDAP *ld, LDAPMessage *e, const char *user,
    struct acct_record *r, char *err, size_t errlen)
{
	struct attr_map map[4 + PLAN_NKEYS] = {
		{ cfg->ldap_attr_uid, "uid", 0 },
		{ cfg->ldap_attr_gid, "gid", 0 },
		{ cfg->ldap_attr_home, "home", 0 },
		{ cfg->ldap_attr_password, "password", 0 },
	};
	size_t required = cfg->ldap_auth == LDAP_AUTH_HASH ? 4 : 3, n, i;
	struct acct_cols c;

	/* Plan attributes follow the required ones: an absent one keeps
	 * the server's value, as a NULL column does. */
	n = plan_attr_map(map, required);
	if (attrs_present(ld, e, map, n, err, errlen) == -1)
		return ACCT_UNAVAILABLE;
	acct_col_begin(&c, r, user);
	for (i = 0; i < n; i++) {
		if (!map[i].present && i >= required)
			continue;
		if (!map[i].present) {
			snprintf(err, errlen, "attribute %s: missing from "
			    "the entry", map[i].attr);
			return ACCT_REFUSED;
		}
		if (take_attr(ld, e, &map[i], &c, r, err, errlen) == -1)
			return ACCT_REFUSED;
	}
	/* Bind mode: the directory checks the password, so none is
	 * required here; the record leaves this backend only once the
	 * bind has succeeded (found_entry, bind_user). */
	r->verified = cfg->ldap_auth == LDAP_AUTH_BIND;
	if (acct_col_end(&c, r, err, errlen) == -1)
		return ACCT_REFUSED;
	return ACCT_FOUND;
}

/* ---------------------------------------------------------- bind */

static int
bind_once(LDAP *ld, const char *dn, const char *password,
    const struct timespec *end)
{
	struct timeval tv;
	struct berval cred;
	long left = ms_left(end);

	if (left == 0)
		return LDAP_TIMEOUT;
	tv = tv_ms(left);
	if (ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS)
		return LDAP_LOCAL_ERROR;
	/* No copy of the password: libldap reads it from the caller's
	 * buffer, which the worker wipes after the lookup. */
	cred.bv_val = (char *)(uintptr_t)password;
	cred.bv_len = strlen(password);
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
}

/* What a refused bind means for this login: a wrong password, or an
 * entry the server will not let in (locked, no password): 530 either
 * way.  Anything else is the server's trouble: 421. */
static int
bind_refusal(int rc)
{
	return rc == LDAP_INVALID_CREDENTIALS ||
	    rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_UNWILLING_TO_PERFORM ||
	    rc == LDAP_CONSTRAINT_VIOLATION ||
	    rc == LDAP_INSUFFICIENT_ACCESS || rc == LDAP_INVALID_DN_SYNTAX;
}

/*
 * Bind as dn with the client's password on the auth connection.
 * ACCT_FOUND (r verified), ACCT_REFUSED or ACCT_UNAVAILABLE.
 */
static int
bind_user(struct ldap_h *h, const char *dn, const char *password,
    const struct timespec *end, struct acct_record *r, char *err,
    size_t errlen)
{
	int rc;

	/* An empty password makes a simple bind "unauthenticated" (RFC
	 * 4513 5.1.2): servers that allow it answer success without
	 * checking anything.  Never sent. */
	if (password[0] == '\0') {
		snprintf(err, errlen, "empty password (not sent: an "
		    "unauthenticated bind would succeed)");
		return ACCT_REFUSED;
	}
	if (dn[0] == '\0') {
		snprintf(err, errlen, "the entry has an empty DN");
		return ACCT_REFUSED;
	}
	rc = bind_once(h->auth, dn, password, end);
	if (conn_lost(rc)) {
		if (reopen(h, &h->auth, end, err, errlen) == -1)
			return ACCT_UNAVAILABLE;
		rc = bind_once(h->auth, dn, password, end);
	}
	if (rc == LDAP_SUCCESS) {
		r->verified = 1;
		r->hash[0] = '\0';
		return ACCT_FOUND;
	}
	if (rc == LDAP_INVALID_CREDENTIALS) {
		snprintf(err, errlen, "wrong password");
		return ACCT_REFUSED;
	}
	dir_fail(err, errlen, bind_refusal(rc) ? "bind as the user" :
	    "bind as the user (server)", h->auth, rc);
	return bind_refusal(rc) ? ACCT_REFUSED : ACCT_UNAVAILABLE;
}

/* -------------------------------------------------------- lookup */

static int
found_entry(struct ldap_h *h, const struct acct_query *q, LDAPMessage *e,
    const struct timespec *end, struct acct_record *r, char *err,
    size_t errlen)
{
	char *dn;
	int st;

	st = entry_record(h->search, e, q->user, r, err, errlen);
	if (st != ACCT_FOUND || cfg->ldap_auth != LDAP_AUTH_BIND)
		return st;
	if ((dn = ldap_get_dn(h->search, e)) == NULL) {
		snprintf(err, errlen, "search: entry without a decodable DN");
		return ACCT_UNAVAILABLE;
	}
	st = bind_user(h, dn, q->password, end, r, err, errlen);
	ldap_memfree(dn);
	return st;
}

static int
dir_lookup(void *vh, const struct acct_query *q, struct acct_record *r,
    char *err, size_t errlen)
{
	struct ldap_h *h = vh;
	char filter[LDAPFILTER_MAX], why[128];
	LDAPMessage *res = NULL, *e;
	struct timespec end;
	int st;

	memset(r, 0, sizeof(*r));
	deadline_in(&end, q->deadline_ms > 0 ? q->deadline_ms :
	    (long)cfg->accounts_timeout * 1000);
	if (h == NULL) {
		snprintf(err, errlen, "search: not connected");
		return ACCT_UNAVAILABLE;
	}
	/* A reopen that failed in an earlier lookup left a hole. */
	if ((h->search == NULL && reopen(h, &h->search, &end, err,
	    errlen) == -1) || (cfg->ldap_auth == LDAP_AUTH_BIND &&
	    h->auth == NULL && reopen(h, &h->auth, &end, err, errlen) == -1))
		return ACCT_UNAVAILABLE;
	if (ldapfilter_build(filter, sizeof(filter), cfg->ldap_filter,
	    q->user, strlen(q->user), why, sizeof(why)) == -1) {
		snprintf(err, errlen, "ldap_filter: %s", why);
		return ACCT_REFUSED;
	}
	st = search_entry(h, q->user, filter, &end, &res, &e, err, errlen);
	if (st == ACCT_FOUND)
		st = found_entry(h, q, e, &end, r, err, errlen);
	ldap_msgfree(res);
	if (st != ACCT_FOUND)
		explicit_bzero(r, sizeof(*r));
	return st;
}

const struct acct_backend acct_ldap = {
	.name = "ldap",
	.connect = dir_connect,
	.lookup = dir_lookup,
	.disconnect = dir_disconnect,
};
