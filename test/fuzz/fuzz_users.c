/*
 * fuzz_users.c - libFuzzer target: one users_file line through the
 * parser the monitor uses (auth_users_parse; crypt(3) itself is not
 * ours to fuzz, and its cost fields can legitimately ask for gigabytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "priv/auth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_result r;
	const char *hash;
	char *line;

	if (size > 4096)
		return 0;
	line = strndup((const char *)data, size);
	if (line == NULL)
		return 0;
	if (auth_users_parse(line, "alice", &hash, &r) == 0 &&
	    (hash < line || hash > line + size))
		abort();	/* the hash must point inside the line */
	free(line);
	return 0;
}
