/*
 * test_hugemap.c - the mmap(3) that puts yescrypt's work area on huge
 * pages: aligned and trimmed exactly, huge pages really used where the
 * kernel offers them, other mappings untouched, hashes unchanged.
 */
#include <sys/mman.h>

#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "priv/hugemap.h"
#include "unit.h"

#define MIB		(1024UL * 1024)
#define ODD_LEN		(8 * MIB + 123)		/* not a page multiple */

/* The /proc/self/maps line starting at p: its end, or 0 if none. */
static uintptr_t
vma_end(const void *p)
{
	char line[512];
	uintptr_t lo, hi, end = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    lo == (uintptr_t)p)
			end = hi;
	fclose(f);
	return end;
}

/* 1 if the smaps entry starting at p carries the flag ("hg": advised
 * MADV_HUGEPAGE), 0 if not, -1 if there is no such entry.  The advice is
 * what hugemap.c controls; whether the kernel then finds a free huge page
 * depends on the machine's memory, so tests do not insist on one. */
static int
vma_flag(const void *p, const char *flag)
{
	char line[512];
	uintptr_t lo, hi;
	int in = 0, found = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	ck_assert_ptr_nonnull(f);
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = lo == (uintptr_t)p;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			line[strcspn(line, "\n")] = ' ';
			found = 0;
			for (char *t = strtok(line + 8, " "); t != NULL;
			    t = strtok(NULL, " "))
				if (strcmp(t, flag) == 0)
					found = 1;
		}
	}
	fclose(f);
	return found;
}

/* 1 when the kernel gives huge pages to regions advised MADV_HUGEPAGE. */
static int
thp_offered(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f == NULL)
		return 0;
	if (fgets(mode, sizeof(mode), f) == NULL)
		mode[0] = '\0';
	fclose(f);
	return strstr(mode, "[always]") != NULL ||
	    strstr(mode, "[madvise]") != NULL;
}

START_TEST(test_window_aligns_and_trims)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t whole = (ODD_LEN + page - 1) & ~(page - 1);
	unsigned char *p;

	if (!hugemap_available())
		return;		/* sanitizer build: mmap is the runtime's */
	hugemap_begin();
	p = mmap(NULL, ODD_LEN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hugemap_end();
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_uint_eq((uintptr_t)p % (2 * MIB), 0);
	memset(p, 0xa5, ODD_LEN);
	ck_assert_uint_eq(p[ODD_LEN - 1], 0xa5);
	if (thp_offered()) {
		ck_assert_int_eq(vma_flag(p, "hg"), 1);
		/* Exactly [p, p + whole): nothing of the over-allocation
		 * is left (the advice keeps the area from merging with a
		 * neighbour, which it would without huge pages). */
		ck_assert_uint_eq(vma_end(p), (uintptr_t)p + whole);
	}
	ck_assert_int_eq(munmap(p, ODD_LEN), 0);
	ck_assert_uint_eq(vma_end(p), 0);
}
END_TEST

START_TEST(test_other_mappings_untouched)
{
	unsigned char *p;
	char path[] = "/tmp/ftpd-hugemap-XXXXXX";
	int fd;

	hugemap_begin();
	/* Small, shared, file-backed: passed straight to the kernel. */
	p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_ne(vma_flag(p, "hg"), 1);
	ck_assert_int_eq(munmap(p, 64 * 1024), 0);
	p = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[8 * MIB - 1] = 1;
	ck_assert_int_eq(munmap(p, 8 * MIB), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(8 * MIB)), 0);
	ck_assert_int_eq(pwrite(fd, "x", 1, (off_t)(8 * MIB - 1)), 1);
	p = mmap(NULL, 8 * MIB, PROT_READ, MAP_PRIVATE, fd, 0);
	hugemap_end();
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_uint_eq(p[8 * MIB - 1], 'x');
	ck_assert_uint_eq(p[0], 0);
	ck_assert_int_eq(munmap(p, 8 * MIB), 0);
	close(fd);
	/* Outside the window a large anonymous mapping works as ever. */
	p = mmap(NULL, ODD_LEN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[ODD_LEN - 1] = 7;
	ck_assert_int_eq(munmap(p, ODD_LEN), 0);
}
END_TEST

START_TEST(test_yescrypt_unchanged)
{
	struct crypt_data *a = calloc(1, sizeof(*a)), *b = calloc(1,
	    sizeof(*b));
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h1, *h2;
	unsigned long placed;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
	    sizeof(setting)));
	h1 = crypt_rn("correct horse", setting, a, sizeof(*a));
	ck_assert_ptr_nonnull(h1);
	ck_assert_str_eq(h1, crypt_rn("correct horse", h1, b, sizeof(*b)));
	placed = hugemap_count();
	hugemap_begin();
	h2 = crypt_rn("correct horse", h1, b, sizeof(*b));
	hugemap_end();
	ck_assert_ptr_nonnull(h2);
	ck_assert_str_eq(h1, h2);
	/* libcrypt's own mmap call reached hugemap.c (not in sanitizer
	 * builds, where the runtime's mmap stays in place). */
	if (hugemap_available())
		ck_assert_uint_eq(hugemap_count(), placed + 1);
	hugemap_begin();
	h2 = crypt_rn("wrong horse", h1, b, sizeof(*b));
	hugemap_end();
	ck_assert_ptr_nonnull(h2);
	ck_assert_str_ne(h1, h2);
	free(a);
	free(b);
}
END_TEST

static Suite *
hugemap_suite(void)
{
	Suite *s = suite_create("hugemap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_window_aligns_and_trims);
	tcase_add_test(tc, test_other_mappings_untouched);
	tcase_add_test(tc, test_yescrypt_unchanged);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(hugemap_suite)
