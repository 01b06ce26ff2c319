/*
 * shutdown.h - a session process's part in stopping the server
 * (shutdown.c).
 */
#ifndef FTPD_SHUTDOWN_H
#define FTPD_SHUTDOWN_H

#include <signal.h>

/* Set by SIGTERM: the command loop answers 421 and ends, a transfer in
 * progress fails (426) first. */
extern volatile sig_atomic_t shutdown_requested;
/* Set with it by SIGUSR1, which the monitor passes on when an
 * administrator ends the session (ftpwho -k): the same 426/421 end, with
 * the administrator named, and an upload in flight is left as a cut
 * connection leaves it (the handler touches no file). */
extern volatile sig_atomic_t shutdown_killed;

/* Front and user process: take SIGTERM and SIGUSR1 (without SA_RESTART,
 * so that a waiting poll(2) returns), and let in those held since the
 * fork. */
void	shutdown_install(void);
/* An upload's temporary file, removed by the SIGTERM handler itself if it
 * comes before the upload is renamed into place or cleaned up.  _clear
 * returns 1 if the handler did remove it (do not unlink it again). */
void	shutdown_temp_set(int dirfd, const char *name);
/* The same for a user's file moved aside under name (a resume): the
 * handler renames it back to home if nothing has that name, else to
 * fallback (may be NULL), and never unlinks it. */
void	shutdown_temp_restore(int dirfd, const char *name, const char *home,
	    const char *fallback);
int	shutdown_temp_clear(void);

#endif
