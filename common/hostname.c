/*
 * hostname.c - checking and matching host names a client sends (see
 * hostname.h).  Pure, bounded: nothing is copied.
 */
#include <string.h>
#include <strings.h>

#include "hostname.h"

static int
label_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

int
hostname_valid(const char *name)
{
	size_t i, len = 0, start = 0;

	if (name == NULL)
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= HOSTNAME_MAX)
			return 0;
		if (name[i] == '.') {
			if (len == 0 || name[i - 1] == '-')
				return 0;
			len = 0;
			start = i + 1;
			continue;
		}
		if (!label_char((unsigned char)name[i]) || ++len > 63 ||
		    (i == start && name[i] == '-'))
			return 0;
	}
	return len > 0 && name[i - 1] != '-';
}

int
hostname_match(const char *pattern, const char *name)
{
	const char *dot;

	if (pattern == NULL || name == NULL)
		return 0;
	if (strcasecmp(pattern, name) == 0)
		return 1;
	if (pattern[0] != '*' || pattern[1] != '.' || pattern[2] == '\0')
		return 0;
	/* One label, then the rest must be the pattern's rest. */
	if ((dot = strchr(name, '.')) == NULL || dot == name)
		return 0;
	return strcasecmp(dot + 1, pattern + 2) == 0;
}
