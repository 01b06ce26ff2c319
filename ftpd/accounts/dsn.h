/*
 * dsn.h - "key=value key=value" connection strings (sql_dsn).
 *
 * The MariaDB/MySQL driver takes its sql_dsn in this form; any backend
 * whose connection string is a list of words can use dsn_parse with its
 * own table of keys.  Values have no quoting and no spaces: nothing in
 * them is secret (the password comes from sql_password_file), and a
 * grammar this small cannot be misread.
 */
#ifndef FTPD_ACCOUNTS_DSN_H
#define FTPD_ACCOUNTS_DSN_H

#include <stddef.h>

#define DSN_VALUE_MAX	256	/* one value, with its NUL */

/* One key a connection string may carry, and where its value goes. */
struct dsn_key {
	const char	*name;
	char		*val;		/* set to "" first, then the value */
	size_t		 len;		/* sizeof the val buffer */
};

/*
 * Split dsn (words separated by spaces or tabs) into the keys of
 * keys[0..nkeys).  0, or -1 with err naming the word or the key: a word
 * without '=', an unknown key, a key given twice, an empty value, a
 * value too long for its buffer.  A key not in the string is "".
 */
int	dsn_parse(const char *dsn, const struct dsn_key *keys, size_t nkeys,
	    char *err, size_t errlen);

/* sql_dsn for sql_driver = mysql: host= port= socket= database= user=. */
struct dsn_mysql {
	char		host[DSN_VALUE_MAX];	/* "": the socket, or localhost */
	char		socket[108];		/* sizeof sun_path */
	char		database[DSN_VALUE_MAX];
	char		user[DSN_VALUE_MAX];
	unsigned	port;			/* 0: the library's default */
};

/* 0, or -1 with err ("sql_dsn: ..."). */
int	dsn_mysql_parse(const char *dsn, struct dsn_mysql *out, char *err,
	    size_t errlen);

#endif
