/*
 * acct_service.h - the account service (ftpd-accounts) as the root side
 * sees it: started and restarted by the master (acct_spawn.c), asked by
 * the authentication child (acct_client.c), its answers judged before
 * anything trusts them (acct_check.c).
 */
#ifndef FTPD_ACCT_SERVICE_H
#define FTPD_ACCT_SERVICE_H

#include <stddef.h>
#include <sys/types.h>

#include "formats/acctproto.h"

struct auth_result;

/* main: the -f and -o arguments ftpd got, passed on to ftpd-accounts
 * (the strings must live as long as the process). */
void	acct_spawn_args(const char *path, int explicit, char *const *overrides,
	    size_t noverrides);
/* Master, at start (with sql or ldap in accounts): the listening socket
 * and the first service.  0, or -1 logged. */
int	acct_spawn_start(void);
/* Master, for each reaped child: 1 if it was the service (restarted,
 * with a pause when it keeps dying), 0 otherwise. */
int	acct_spawn_reaped(pid_t pid, int status);
/* Master, on each wake: start a service whose pause has passed. */
void	acct_spawn_tick(void);
/*
 * Master, after a reload (priv/reload.c): start, stop or restart the
 * service when the new configuration (cfg) differs from old in a key the
 * service reads (or in whether it runs at all); otherwise keep it.  A
 * restart stops the old service first and starts the new one on the
 * same socket once the old is reaped.  0, or -1 logged.
 */
struct ftpd_config;
int	acct_spawn_reload(const struct ftpd_config *old);
/* A session forked by the master: its processes must never hold the
 * service's listening socket (a front could answer in its place). */
void	acct_spawn_child_close(void);
/* Master, at shutdown: stop the service. */
void	acct_spawn_stop(void);

/* Authentication child: ask the service about user for source.  The
 * answer's status (ACCT_*), *r and why (for the log). */
enum acct_status acct_ask(unsigned source, const char *user,
	    const char *host, const char *client, const char *password,
	    struct acct_record *r, char *why, size_t whylen);

/* Monitor: one change to an SQL account's quota tally (ACCT_TALLY).
 * a->status ACCT_UNAVAILABLE with a->why when the service cannot be
 * reached or did not answer within accounts_timeout. */
void	acct_tally_ask(const struct acct_tally_req *rq,
	    struct acct_tally_ans *a);

/* Master (shared bans): a connection to the service made without waiting,
 * non-blocking, its peer checked; -1 with why when not possible now
 * (not running, every worker busy). */
int	acct_dial_now(char *why, size_t whylen);

/*
 * Judge a record the service returned for user: the name as asked,
 * enabled, uid and gid not 0, uid at least min_uid and not the
 * service's own, home absolute, without "..", beneath
 * accounts_home_root when set (its existence: acct_plan.c).  0 and *a filled
 * (virtual user: no supplementary groups), or -1 with why naming the
 * field.
 */
int	acct_check(const char *user, const struct acct_record *r,
	    struct auth_result *a, char *why, size_t whylen);

#endif
