/*
 * hugemap.c - back the password hash's work area with huge pages.
 *
 * Runs wherever auth.c checks a password (the monitor's throwaway
 * child).  yescrypt, libxcrypt's default method, maps a fresh work area
 * for every hash (16 MiB at Debian's default cost), fills it and unmaps
 * it: about 4,100 page faults of 4 KiB.  On the development VM those
 * faults were most of the hash's CPU: the same crypt(3) in a forked child
 * took 97-106 ms with 4 KiB pages and 25-33 ms with the area 2 MiB-aligned
 * and advised MADV_HUGEPAGE (eight faults).  The hash itself, its cost
 * and its result are unchanged.
 *
 * libxcrypt has no hook for its allocation, so this file defines mmap(3)
 * itself: the dynamic linker binds libcrypt's mmap call to the program's
 * own definition.  Only between hugemap_begin and hugemap_end (around
 * crypt_rn), and only for a large private anonymous mapping placed by the
 * kernel, does it align and advise; every other call goes straight to the
 * system call, as glibc's mmap does.  Where the kernel has no transparent
 * huge pages (or the administrator set them to "never") the advice is
 * refused and the hash runs on ordinary pages as before.  Sanitizer
 * builds, whose runtimes intercept mmap themselves, and architectures
 * whose mmap system call takes other arguments leave mmap alone.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "priv/hugemap.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HUGEMAP_OFF
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define HUGEMAP_OFF
#endif
#endif
#if !defined(__x86_64__) && !defined(__aarch64__)
#define HUGEMAP_OFF		/* mmap(2) arguments checked only here */
#endif

#define HUGE_PAGE	(2UL * 1024 * 1024)	/* x86-64 and arm64 (4K) */
#define HUGE_MIN	(4UL * 1024 * 1024)	/* smaller: not worth it */

static int hugemap_on;
static unsigned long hugemap_placed;

#ifndef HUGEMAP_OFF

static void *
sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	/* -1 (errno set) is MAP_FAILED */
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* Map len bytes at a huge-page boundary, advised; MAP_FAILED if not. */
static void *
map_aligned(size_t len, int prot, int flags)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), head;
	unsigned char *p, *a;

	if (page == 0 || page > HUGE_PAGE ||
	    len > SIZE_MAX - HUGE_PAGE - page)
		return MAP_FAILED;
	len = (len + page - 1) & ~(page - 1);
	p = sys_mmap(NULL, len + HUGE_PAGE, prot, flags, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = (unsigned char *)(((uintptr_t)p + HUGE_PAGE - 1) &
	    ~(uintptr_t)(HUGE_PAGE - 1));
	head = (size_t)(a - p);
	/* Trim to exactly [a, a + len): the caller unmaps just that. */
	if ((head > 0 && munmap(p, head) == -1) ||
	    munmap(a + len, HUGE_PAGE - head) == -1) {
		(void)munmap(p, len + HUGE_PAGE);
		return MAP_FAILED;
	}
	(void)madvise(a, len, MADV_HUGEPAGE);
	hugemap_placed++;
	return a;
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	const int want = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

	if (hugemap_on && addr == NULL && fd == -1 && len >= HUGE_MIN &&
	    (flags & ~MAP_NORESERVE) == want &&
	    (p = map_aligned(len, prot, flags)) != MAP_FAILED)
		return p;
	return sys_mmap(addr, len, prot, flags, fd, off);
}

int
hugemap_available(void)
{
	return 1;
}

#else

int
hugemap_available(void)
{
	return 0;
}

#endif

unsigned long
hugemap_count(void)
{
	return hugemap_placed;
}

void
hugemap_begin(void)
{
	hugemap_on = 1;
}

void
hugemap_end(void)
{
	hugemap_on = 0;
}
