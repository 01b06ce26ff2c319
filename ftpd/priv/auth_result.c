/*
 * auth_result.c - the one way to drop an auth_result: what it points to
 * is freed with it (an earlier attempt of the session, a refusal).
 */
#include <stdlib.h>
#include <string.h>

#include "priv/auth_result.h"

void
auth_result_clear(struct auth_result *r)
{
	int k;

	free(r->groups);
	for (k = 0; k < PLAN_NKEYS; k++)
		free(r->plan_row[k]);
	memset(r, 0, sizeof(*r));
}
