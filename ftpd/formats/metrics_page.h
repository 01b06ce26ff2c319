/*
 * metrics_page.h - the counters behind /metrics (see DESIGN.md, "Metrics").
 *
 * One MAP_SHARED anonymous mapping, made by the master before it forks
 * anything when metrics_listen is set (priv/metrics_page.c).  The master,
 * the monitors and their password-check children (all root) add to it
 * with relaxed C11 atomics; every unprivileged role unmaps it before it
 * runs; the metrics process (metrics/) maps it read-only and formats it.
 * So the counters live as long as the master, whatever the sessions do.
 *
 * Every array is indexed by one of the enums below; the label text of
 * each index is the formatter's (metrics/expo.c), so only this file and
 * that one change when a label is added.
 */
#ifndef FTPD_METRICS_PAGE_H
#define FTPD_METRICS_PAGE_H

#include <stdatomic.h>
#include <stdint.h>

/* ftpd_logins_total{result} */
enum met_login_result {
	MET_LOGIN_OK, MET_LOGIN_FAILED, MET_LOGIN_UNAVAILABLE,
	MET_LOGIN_REFUSED, MET_LOGIN_RESULTS
};
/* ftpd_logins_total{source}: enum acct_source (config.h) in order, then
 * these two. */
#define MET_SRC_ANONYMOUS	5
#define MET_SRC_UNKNOWN		6	/* no source knew the name, or it
					 * was refused before one answered */
#define MET_SOURCES		7

/* ftpd_transfers_total{command} */
enum met_xfer_cmd {
	MET_CMD_RETR, MET_CMD_STOR, MET_CMD_APPE, MET_CMD_STOU,
	MET_CMD_LIST, MET_CMD_NLST, MET_CMD_MLSD, MET_XFER_CMDS
};
/* ftpd_transfers_total{result} */
enum met_xfer_result {
	MET_XFER_OK, MET_XFER_ABORTED, MET_XFER_FAILED, MET_XFER_RESULTS
};
/* ftpd_tls_handshakes_total{connection,result} */
enum met_tls_conn { MET_TLS_CONTROL, MET_TLS_DATA, MET_TLS_CONNS };
enum met_tls_result {
	MET_TLS_OK, MET_TLS_FAILED, MET_TLS_REUSE_REFUSED, MET_TLS_RESULTS
};
/* ftpd_data_connection_failures_total{mode} */
enum met_data_mode { MET_DATA_ACTIVE, MET_DATA_PASSIVE, MET_DATA_MODES };

/* ftpd_account_lookup_seconds: upper bounds in microseconds; one more
 * count for +Inf.  Counts are per bucket (not cumulative): the formatter
 * sums them, so _count and the +Inf bucket always agree. */
#define MET_LOOKUP_BOUNDS	{ 1000, 5000, 10000, 25000, 50000, 100000, \
				  250000, 500000, 1000000, 2500000, 5000000 }
#define MET_LOOKUP_NB		11

/* What one master slot holds: a session's state, for the gauges. */
/* Session slots the page holds at least (a reload may raise max_clients
 * up to this without a restart). */
#define METRICS_SLOTS_MIN	16384
#define MET_SLOT_FREE		0
#define MET_SLOT_PRELOGIN	1
#define MET_SLOT_ANONYMOUS	2
#define MET_SLOT_ACCOUNT	3
#define MET_SLOT_TLS		0x10	/* or'ed: the control connection is
					 * TLS (set at login) */

struct metrics_page {
	_Atomic uint64_t sessions_total;
	_Atomic uint64_t logins[MET_LOGIN_RESULTS][MET_SOURCES];
	_Atomic uint64_t bytes[2];		/* [0] upload, [1] download */
	_Atomic uint64_t transfers[MET_XFER_CMDS][MET_XFER_RESULTS];
	_Atomic uint64_t tls[MET_TLS_CONNS][MET_TLS_RESULTS];
	_Atomic uint64_t data_failures[MET_DATA_MODES];
	_Atomic uint64_t bans_total;
	_Atomic uint64_t bans_active;		/* a gauge, set by the master */
	_Atomic uint64_t refused_total;		/* connections refused at
						 * accept (limits, bans) */
	_Atomic uint64_t quota_refusals;
	_Atomic uint64_t rate_waits;		/* transfers slowed by a rate */
	_Atomic uint64_t lookup[MET_LOOKUP_NB + 1];
	_Atomic uint64_t lookup_sum_us;
	uint32_t	 nslots;		/* set before the first fork */
	/* One per possible session (max_clients): the master marks a slot
	 * when it forks a monitor and frees it when it reaps it; the
	 * monitor sets its state at login.  A monitor that dies any way at
	 * all is freed by the reap, so the gauges never drift. */
	_Atomic uint8_t	 slots[];
};

#endif
