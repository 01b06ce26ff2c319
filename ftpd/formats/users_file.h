/*
 * users_file.h - the users_file format, shared by the daemon that reads it
 * (priv/auth.c) and the admin tool that writes it (tools/ftpasswd.c).
 *
 * Header-only and free of everything else in ftpd, so that ftpasswd can
 * include it with nothing but common/.
 *
 * A passwd(5)-style text file, one virtual user a line:
 *
 *	name:hash:uid:gid:gecos:home:shell
 *
 *	name	compared byte for byte with the USER the client sent
 *	hash	crypt(3) string (ftpasswd writes yescrypt); an empty hash, or
 *		one starting with '!' or '*', never matches, which locks
 *		the user without removing the line
 *	uid	decimal, 0 to USERS_FILE_ID_MAX; ftpd lets no uid 0 log in
 *	gid	decimal, 0 to USERS_FILE_ID_MAX
 *	gecos	free text, unused by ftpd; ftpasswd keeps it as it is
 *	home	absolute path: the session root
 *	shell	unused by ftpd (virtual users need none in /etc/shells);
 *		ftpasswd writes one so that the file stays passwd(5)-like
 *
 * ftpd skips a line with fewer than USERS_FILE_NFIELDS fields, ignores
 * text after a separator closing the last field, and uses the first line
 * of a name; ftpasswd refuses to pick one of several.  A line starting
 * with USERS_FILE_COMMENT is a comment, so ftpasswd refuses a name that
 * would start one.  No field may hold the separator or a newline, so
 * ftpasswd refuses both in what it writes.
 */
#ifndef FTPD_FORMATS_USERS_FILE_H
#define FTPD_FORMATS_USERS_FILE_H

#include <string.h>

enum users_file_field {
	USERS_FILE_NAME,
	USERS_FILE_HASH,
	USERS_FILE_UID,
	USERS_FILE_GID,
	USERS_FILE_GECOS,
	USERS_FILE_HOME,
	USERS_FILE_SHELL,
	USERS_FILE_NFIELDS
};

#define USERS_FILE_SEP		':'
#define USERS_FILE_COMMENT	'#'

/* (uid_t)-1 and (gid_t)-1 mean "leave unchanged" to setresuid(2) and
 * chown(2), so they are no real id. */
#define USERS_FILE_ID_MAX	0xfffffffeULL

/*
 * ftpd reads a line with fgets(3) into a buffer of this many bytes, so a
 * line is read whole only if it is shorter, newline included; a longer
 * one arrives in pieces, each taken as a line of its own.
 */
#define USERS_FILE_LINE_MAX	4096

/*
 * Split line in place at each USERS_FILE_SEP into field[0] ..
 * field[USERS_FILE_NFIELDS - 1]; text after the separator that closes the
 * last field is cut off.  Returns how many fields the line has, at most
 * USERS_FILE_NFIELDS; the fields beyond are set to NULL.  A line end
 * ('\n' or "\r\n") left in line stays in its last field.
 */
static inline int
users_file_split(char *line, char *field[USERS_FILE_NFIELDS])
{
	char *p = line;
	int n = 0, i;

	while (n < USERS_FILE_NFIELDS && p != NULL) {
		field[n++] = p;
		if ((p = strchr(p, USERS_FILE_SEP)) != NULL)
			*p++ = '\0';
	}
	for (i = n; i < USERS_FILE_NFIELDS; i++)
		field[i] = NULL;
	return n;
}

/* The home field becomes the session root, so it must be absolute. */
static inline int
users_file_home_ok(const char *home)
{
	return home[0] == '/';
}

#endif
