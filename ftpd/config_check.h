/*
 * config_check.h - check the accounts, directories and log files the
 * configuration names (config_check.c).
 */
#ifndef FTPD_CONFIG_CHECK_H
#define FTPD_CONFIG_CHECK_H

#include <stddef.h>

/* 0, or -1 with "key: value: reason" in err.  After config_load. */
int	config_check_system(char *err, size_t errlen);

#endif
