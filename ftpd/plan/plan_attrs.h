/*
 * plan_attrs.h - which LDAP attribute carries which plan key
 * (ldap_attr_plan = "quota_bytes=ftpQuotaBytes, rate_down=ftpRateDown").
 *
 * Pure code on text: the configuration checks the map at load (ftpd -t
 * names the key), the account service asks for the mapped attributes and
 * reads them into the record's plan values (accounts/ldap.c).
 */
#ifndef FTPD_PLAN_ATTRS_H
#define FTPD_PLAN_ATTRS_H

#include <stddef.h>

#include "plan/plan.h"

/* RFC 4512 allows longer names; no schema in use comes near this. */
#define PLAN_ATTR_MAX	64

/* attr[k] is the attribute of plan key k, "" when the map names none. */
struct plan_attrs {
	char	attr[PLAN_NKEYS][PLAN_ATTR_MAX];
};

/*
 * Parse spec (pairs KEY=ATTRIBUTE, separated by commas or blanks) into
 * *out.  0, or -1 with err: an unknown plan key, a key given twice, an
 * attribute that is not an RFC 4512 short name (a letter, then letters,
 * digits and hyphens) or too long.
 */
int	plan_attrs_parse(const char *spec, struct plan_attrs *out, char *err,
	    size_t errlen);

#endif
