/*
 * respawn.c - the pause before a helper process is started again
 * (respawn.h).
 */
#include <sys/wait.h>

#include "common/log.h"
#include "priv/respawn.h"

void
respawn_started(struct respawn *r)
{
	r->last_start = time(NULL);
}

void
respawn_died(struct respawn *r, const char *what, int status)
{
	time_t now = time(NULL);

	if (now - r->last_start < RESPAWN_STABLE)
		r->pause = r->pause == 0 ? 1 : r->pause * 2 >
		    RESPAWN_PAUSE_MAX ? RESPAWN_PAUSE_MAX : r->pause * 2;
	else
		r->pause = 0;
	r->restart_at = now + r->pause;
	if (WIFSIGNALED(status))
		log_msg(LOG_ERR, "%s was killed by signal %d; restarting it "
		    "in %u s", what, WTERMSIG(status), r->pause);
	else
		log_msg(LOG_ERR, "%s exited with status %d; restarting it in "
		    "%u s", what, WEXITSTATUS(status), r->pause);
}

int
respawn_due(const struct respawn *r)
{
	return time(NULL) >= r->restart_at;
}

void
respawn_reset(struct respawn *r)
{
	r->pause = 0;
	r->restart_at = 0;
}
