/*
 * backends.c - which backend serves a source, and which keeps its quota
 * tallies and shared bans.
 */
#include "config.h"
#include "accounts/service.h"
#include "accounts/banstore.h"
#include "accounts/tally.h"

const struct acct_backend *
backend_for(unsigned source)
{
	if (source == SRC_LDAP)
		return &acct_ldap;
	if (source != SRC_SQL)
		return NULL;
	switch (cfg->sql_driver) {
	case SQL_SQLITE:	return &acct_sqlite;
	case SQL_POSTGRESQL:	return &acct_postgresql;
	case SQL_MYSQL:		return &acct_mysql;
	default:		return NULL;
	}
}

const struct acct_tally_ops *
tally_ops_for(unsigned source)
{
	if (source != SRC_SQL)
		return NULL;
	switch (cfg->sql_driver) {
	case SQL_SQLITE:	return &acct_sqlite_tally;
	case SQL_POSTGRESQL:	return &acct_postgresql_tally;
	case SQL_MYSQL:		return &acct_mysql_tally;
	default:		return NULL;
	}
}

const struct acct_ban_ops *
ban_ops_for(unsigned source)
{
	if (source != SRC_SQL)
		return NULL;
	return cfg->sql_driver == SQL_POSTGRESQL ? &acct_postgresql_bans :
	    NULL;
}
