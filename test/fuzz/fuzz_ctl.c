/*
 * fuzz_ctl.c - libFuzzer target: control-connection bytes through the line
 * splitter (IAC stripping, length cap) and the command parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "cmd/ctl.h"
#include "session.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in, line;
	char verb[16];
	const char *arg;
	int discarding = 0, rounds;

	buf_init(&in, 2 * CTL_LINE_MAX + 65536);
	buf_init(&line, CTL_LINE_MAX + 1);
	if (buf_append(&in, data, size) == 0) {
		for (rounds = 0; rounds < 100000 && in.len > 0; rounds++) {
			enum ctl_read r = ctl_take_line(&in, &line, &discarding);

			if (r == CTL_TIMEOUT)
				break;
			if (r == CTL_LINE)
				(void)cmd_parse(buf_cstr(&line), verb,
				    sizeof(verb), &arg);
		}
	}
	buf_free(&in);
	buf_free(&line);
	return 0;
}
