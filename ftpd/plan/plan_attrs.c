/*
 * plan_attrs.c - the ldap_attr_plan map (plan_attrs.h).
 *
 * An attribute name goes into the search's attribute list as it is, so
 * it is held to the short-name syntax here: nothing a filter or a
 * directory could read as more than one name.
 */
#include "plan/plan_attrs.h"

#include <stdio.h>
#include <string.h>

#include "common/parse.h"

static int
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* RFC 4512 keystring: ALPHA *( ALPHA / DIGIT / "-" ). */
static int
attr_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= PLAN_ATTR_MAX || !is_alpha(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_alpha(s[i]) && !(s[i] >= '0' && s[i] <= '9') &&
		    s[i] != '-')
			return 0;
	return 1;
}

/* One "KEY=ATTRIBUTE" of n bytes at p into out. */
static int
take_pair(const char *p, size_t n, struct plan_attrs *out, char *err,
    size_t errlen)
{
	const char *eq = memchr(p, '=', n);
	char key[32];
	size_t klen, alen;
	int k;

	if (eq == NULL) {
		snprintf(err, errlen, "ldap_attr_plan: \"%.*s\" is not "
		    "KEY=ATTRIBUTE", (int)(n > 64 ? 64 : n), p);
		return -1;
	}
	klen = (size_t)(eq - p);
	alen = n - klen - 1;
	if (klen >= sizeof(key)) {
		snprintf(err, errlen, "ldap_attr_plan: \"%.*s\" is not a "
		    "plan key", (int)(klen > 64 ? 64 : klen), p);
		return -1;
	}
	memcpy(key, p, klen);
	key[klen] = '\0';
	if ((k = plan_key(key)) == -1) {
		snprintf(err, errlen, "ldap_attr_plan: \"%s\" is not a plan "
		    "key", key);
		return -1;
	}
	if (out->attr[k][0] != '\0') {
		snprintf(err, errlen, "ldap_attr_plan: %s given twice", key);
		return -1;
	}
	if (!attr_name_ok(eq + 1, alen)) {
		snprintf(err, errlen, "ldap_attr_plan: %s: \"%.*s\" is not "
		    "an attribute name (a letter, then letters, digits, "
		    "'-'; under %d bytes)", key, (int)(alen > 64 ? 64 : alen),
		    eq + 1, PLAN_ATTR_MAX);
		return -1;
	}
	memcpy(out->attr[k], eq + 1, alen);
	out->attr[k][alen] = '\0';
	return 0;
}

int
plan_attrs_parse(const char *spec, struct plan_attrs *out, char *err,
    size_t errlen)
{
	const char *p = spec;
	size_t n;

	memset(out, 0, sizeof(*out));
	while ((n = parse_word(&p, ", \t")) != 0) {
		if (take_pair(p, n, out, err, errlen) == -1)
			return -1;
		p += n;
	}
	return 0;
}
