/*
 * hashcost.c - the CPU cost of one crypt(3), the unit in which the
 * benchmark states password logins.
 *
 *   hashcost HASH N < PASSWORD
 *
 * Hashes the password read from stdin N times against HASH (the bench
 * user's shadow entry) with 4 KiB pages, then N times with the work area
 * on huge pages as ftpd places it (ftpd/hugemap.c), and prints
 * "ok plain_ms=X huge_ms=Y": CPU milliseconds per hash in this process.
 * Fails (status 1) if a hash does not reproduce HASH.  Run by bench.py;
 * trusts its arguments.
 */
#include <sys/resource.h>

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "priv/hugemap.h"

static double
cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* CPU ms per hash over n hashes; -1 if one did not match. */
static double
per_hash(const char *pw, const char *hash, int n, int huge,
    struct crypt_data *cd)
{
	const char *out;
	double t0 = cpu_ms();
	int i;

	for (i = 0; i < n; i++) {
		if (huge)
			hugemap_begin();
		out = crypt_rn(pw, hash, cd, sizeof(*cd));
		hugemap_end();
		if (out == NULL || strcmp(out, hash) != 0)
			return -1;
	}
	return (cpu_ms() - t0) / n;
}

int
main(int argc, char **argv)
{
	struct crypt_data *cd;
	char pw[512];
	double plain, huge;
	int n;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || n > 1000 ||
	    fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "usage: hashcost HASH N < PASSWORD\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return 2;
	plain = per_hash(pw, argv[1], n, 0, cd);
	huge = per_hash(pw, argv[1], n, 1, cd);
	free(cd);
	if (plain < 0 || huge < 0) {
		fprintf(stderr, "hashcost: crypt(3) does not reproduce the "
		    "hash\n");
		return 1;
	}
	printf("ok plain_ms=%.3f huge_ms=%.3f huge_pages=%s\n", plain, huge,
	    hugemap_available() ? "yes" : "no");
	return 0;
}
