/*
 * main.c - runs every registered unit-test suite (see unit.h) and ends with
 * check's own summary line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#define MAX_SUITES 128

static unit_suite_fn *suites[MAX_SUITES];
static size_t nsuites;

void
unit_register(unit_suite_fn *fn)
{
	if (nsuites >= MAX_SUITES) {
		fprintf(stderr, "too many unit suites\n");
		exit(2);
	}
	suites[nsuites++] = fn;
}

int
main(void)
{
	SRunner *sr;
	int failed;
	size_t i;

	if (nsuites == 0) {
		fprintf(stderr, "no unit suites registered\n");
		return 1;
	}
	sr = srunner_create(suites[0]());
	for (i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
