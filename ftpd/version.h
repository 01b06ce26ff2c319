/*
 * version.h - the one version string (ftpd -V, ftpd_build_info).
 */
#ifndef FTPD_VERSION_H
#define FTPD_VERSION_H

#define FTPD_VERSION	"0.1.0"

#endif
