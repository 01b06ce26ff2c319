/*
 * fuzz_conf.c - libFuzzer target: configuration text through the real
 * key table, as a file (the same path -f takes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_conf.XXXXXX", err[1024];
	int fd = mkstemp(path);

	if (fd == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size)
		(void)config_load(path, 1, NULL, 0, err, sizeof(err));
	(void)close(fd);
	(void)unlink(path);
	return 0;
}
