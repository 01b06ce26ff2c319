/*
 * sqlparams.h - sql_user_query's named parameters for each driver.
 *
 * The administrator writes :user, :host and :client; PostgreSQL wants
 * $1, $2..., MariaDB wants ?, SQLite takes the names as they are.  The
 * values are always bound, never pasted into the text: this only
 * rewrites the placeholders and records which value each one takes.
 */
#ifndef FTPD_ACCOUNTS_SQLPARAMS_H
#define FTPD_ACCOUNTS_SQLPARAMS_H

#include <stddef.h>

enum sql_param { SQLP_USER, SQLP_HOST, SQLP_CLIENT };
enum sql_style { SQLP_NAMED, SQLP_DOLLAR, SQLP_QUESTION };

#define SQLP_MAX	16	/* placeholders in one query */
#define SQLP_TEXT_MAX	8192	/* the rewritten query */

struct sql_text {
	char		text[SQLP_TEXT_MAX];
	enum sql_param	order[SQLP_MAX];	/* value of each placeholder */
	size_t		n;
};

/*
 * Rewrite query for style.  Quoted strings ('...', "...", `...`),
 * comments and PostgreSQL's :: casts are left alone.  0, or -1 with err
 * (an unknown :name, too many placeholders, an unterminated quote, a
 * result too long).
 */
int	sql_translate(const char *query, enum sql_style style,
	    struct sql_text *out, char *err, size_t errlen);
/* The value of p for one query. */
const char *sql_param_value(enum sql_param p, const char *user,
	    const char *host, const char *client);

#endif
