/*
 * cpupin.c - run the start of every session on one CPU.
 *
 * Runs in the master (pin at startup), in the front and user processes
 * (unpin before their first data connection, HASH or STAT listing) and in
 * the monitor's password-check child (unpin before crypt(3)).  Reads no client
 * data.
 *
 * Starting a session is fork-heavy: the master forks the monitor, which
 * forks the front and the user process, and every fork and exit rewrites
 * page tables and every first write after a fork is a copy-on-write
 * fault that flushes the TLB.  Measured on a 2-CPU virtual machine, that
 * work costs about three times as much when it runs on both CPUs at once
 * as on one (two bare fork+exit loops: 0.4 ms each alone, 1.5 ms each side
 * by side), and an anonymous login cost 20-22 ms of server CPU with the
 * processes free to move against 7.7-8.7 ms with all of them on one CPU,
 * which also served more sessions per second.  Cross-CPU wake-ups between
 * the three processes of one session add to it.  So the master and the
 * processes it starts run on one CPU, and a front or user process lets go
 * when it is about to move file data (or hash a file, or list a
 * directory over the control connection), which then spreads over every
 * CPU.  Short commands (CWD, SIZE, MDTM...) stay on the first CPU.
 *
 * It is off by default (cpu_pin = no): pinned, a host starts sessions no
 * faster than one CPU forks and reaps them (119/s on that VM, where
 * Pure-FTPd, spending more CPU per session on both CPUs, made 160/s), and
 * a production host has many CPUs and other work on the first one.  It
 * pays only on a small VM whose CPUs share that work badly; the bench's
 * ftpd-pin server measures whether it does (README, Performance).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "common/log.h"
#include "config.h"
#include "cpupin.h"

static cpu_set_t allowed;	/* the master's affinity at startup */
static int pinned;		/* this process runs on one CPU of it */

void
cpupin_init(void)
{
	cpu_set_t one;
	int c;

	if (!cfg->cpu_pin || sched_getaffinity(0, sizeof(allowed),
	    &allowed) == -1 || CPU_COUNT(&allowed) < 2)
		return;
	for (c = 0; c < CPU_SETSIZE && !CPU_ISSET(c, &allowed); c++)
		;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == -1) {
		log_msg(LOG_WARNING, "cpu_pin: cannot run on CPU %d: %s", c,
		    strerror(errno));
		return;
	}
	pinned = 1;
	log_msg(LOG_INFO, "cpu_pin: sessions start on CPU %d", c);
}

void
cpupin_leave(void)
{
	if (!pinned)
		return;
	pinned = 0;
	/* Failing only costs speed; the transfer goes ahead either way. */
	if (sched_setaffinity(0, sizeof(allowed), &allowed) == -1)
		log_msg(LOG_DEBUG, "cpu_pin: unpin: %s", strerror(errno));
}
