/*
 * fuzz_users.c - libFuzzer target: one users_file line through the
 * parser the monitor uses (auth_users_line).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ftpd/auth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_result r;
	char *line;

	if (size > 4096)
		return 0;
	line = strndup((const char *)data, size);
	if (line == NULL)
		return 0;
	(void)auth_users_line(line, "alice", "secret", &r);
	free(line);
	return 0;
}
