/*
 * askproto.h - the channel between one monitor and the master ("ask").
 *
 * The master never reads client bytes, and it is single-threaded: it
 * can judge what spans sessions (bans, max_per_ip, max_sessions) at the
 * moment it answers, with no race between two sessions.  Each monitor
 * gets its own SOCK_SEQPACKET pair and may ask, in this order and each
 * at most once:
 *
 *   1. with proxy_protocol, the client the PROXY header names: a
 *      struct sockaddr_storage (AF_UNSPEC: none); one byte back, a
 *      PROXY_VERDICT_*;
 *   2. with cfg->session_limits, after a successful login of an account
 *      (not anonymous): a struct ask_login; one byte back, an
 *      ASK_LOGIN_*.  The master then counts the session for the account
 *      until it reaps the monitor;
 *   3. after an ASK_LOGIN_OK, when the client sent REIN: a uint32_t
 *      ASK_RELEASE_MAGIC; one byte back, ASK_RELEASE_OK.  The master
 *      stops counting the session and expects 2 again (a new login).
 *      So 2 and 3 alternate for as long as the session lives, and the
 *      channel stays open after a login (the monitor keeps it; no role
 *      holds it).
 *
 * Both questions have a fixed size (the two sizes differ), and the
 * master closes the channel after the last question it expects, or at
 * anything else: a monitor cannot ask twice nor out of turn, and reads a
 * closed channel as a refusal.  The channel exists only when one of the
 * two applies (master.c spawn).
 */
#ifndef FTPD_PRIV_ASKPROTO_H
#define FTPD_PRIV_ASKPROTO_H

#include <stdint.h>

/* proxy_protocol: may this client have one more session? */
#define PROXY_VERDICT_OK	0
#define PROXY_VERDICT_BANNED	1	/* too many failed logins */
#define PROXY_VERDICT_TOO_MANY	2	/* max_per_ip reached */

#define ASK_LOGIN_MAGIC	0x6c6f6731u	/* "log1": not a sockaddr's start */
#define ASK_NAME_MAX	255		/* an account name, in bytes */

/* May this account have one more session? */
struct ask_login {
	uint32_t	magic;		/* ASK_LOGIN_MAGIC */
	uint32_t	namelen;	/* 1..ASK_NAME_MAX */
	uint64_t	limit;		/* the account's max_sessions; 0: no
					 * limit, count the session only */
	char		name[ASK_NAME_MAX + 1];	/* namelen bytes, no NUL
						 * among them, then NULs */
};

#define ASK_LOGIN_OK		0	/* counted from now on */
#define ASK_LOGIN_TOO_MANY	1	/* limit live sessions already */

#define ASK_RELEASE_MAGIC	0x72656931u	/* "rei1" */
#define ASK_RELEASE_OK		0	/* no longer counted */

#endif
