/*
 * expo.c - the counters page as Prometheus text (format 0.0.4).
 *
 * Runs in the metrics process; its input is the page the master and the
 * monitors write (formats/metrics_page.h), read with relaxed loads: each
 * number is one the page held at some moment of the scrape, and a
 * counter never goes back between scrapes.  The histogram's buckets are
 * kept per bucket and summed here, so its +Inf bucket and _count are the
 * same number by construction.  Names follow Prometheus's conventions:
 * ftpd_ prefix, base units (bytes, seconds), _total on counters.
 */
#include <stdarg.h>
#include <stdio.h>

#include "formats/metrics_page.h"
#include "metrics/expo.h"

struct out {
	char	*p;
	size_t	 len, cap;
	int	 full;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = 1;
		return;
	}
	o->len += (size_t)n;
}

static unsigned long long
get(const _Atomic uint64_t *c)
{
	return (unsigned long long)atomic_load_explicit(c,
	    memory_order_relaxed);
}

static void
head(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const login_results[MET_LOGIN_RESULTS] = {
	"ok", "failed", "unavailable", "refused",
};
/* enum acct_source's order (config.h), then MET_SRC_*. */
static const char *const sources[MET_SOURCES] = {
	"file", "system", "pam", "sql", "ldap", "anonymous", "unknown",
};
static const char *const commands[MET_XFER_CMDS] = {
	"RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD",
};
static const char *const xfer_results[MET_XFER_RESULTS] = {
	"ok", "aborted", "failed",
};
static const char *const tls_conns[MET_TLS_CONNS] = { "control", "data" };
static const char *const tls_results[MET_TLS_RESULTS] = {
	"ok", "failed", "reuse_refused",
};
static const char *const data_modes[MET_DATA_MODES] = { "active", "passive" };

/* The sessions gauges, from the slots. */
static void
sessions(struct out *o, const struct metrics_page *pg)
{
	unsigned long long n[4] = { 0, 0, 0, 0 }, tls = 0;
	uint32_t i;
	uint8_t v;

	for (i = 0; i < pg->nslots; i++) {
		v = atomic_load_explicit(&pg->slots[i], memory_order_relaxed);
		if ((v & 0x0f) < 4)
			n[v & 0x0f]++;
		if ((v & MET_SLOT_TLS) != 0)
			tls++;
	}
	head(o, "ftpd_sessions_active", "gauge", "Connected sessions by "
	    "state: before login, or logged in anonymously or to an "
	    "account.");
	put(o, "ftpd_sessions_active{state=\"prelogin\"} %llu\n",
	    n[MET_SLOT_PRELOGIN]);
	put(o, "ftpd_sessions_active{state=\"anonymous\"} %llu\n",
	    n[MET_SLOT_ANONYMOUS]);
	put(o, "ftpd_sessions_active{state=\"account\"} %llu\n",
	    n[MET_SLOT_ACCOUNT]);
	head(o, "ftpd_sessions_tls_active", "gauge", "Logged-in sessions "
	    "whose control connection is TLS.");
	put(o, "ftpd_sessions_tls_active %llu\n", tls);
}

static void
lookups(struct out *o, const struct metrics_page *pg)
{
	static const unsigned long long bounds[MET_LOOKUP_NB] =
	    MET_LOOKUP_BOUNDS;
	unsigned long long cum = 0, sum = get(&pg->lookup_sum_us);
	size_t b;

	head(o, "ftpd_account_lookup_seconds", "histogram", "Time a "
	    "password check took: the accounts chain and the hash.");
	for (b = 0; b < MET_LOOKUP_NB; b++) {
		cum += get(&pg->lookup[b]);
		put(o, "ftpd_account_lookup_seconds_bucket{le=\"%llu.%06llu\"}"
		    " %llu\n", bounds[b] / 1000000, bounds[b] % 1000000, cum);
	}
	cum += get(&pg->lookup[MET_LOOKUP_NB]);
	put(o, "ftpd_account_lookup_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	put(o, "ftpd_account_lookup_seconds_sum %llu.%06llu\n",
	    sum / 1000000, sum % 1000000);
	put(o, "ftpd_account_lookup_seconds_count %llu\n", cum);
}

size_t
metrics_expo(const struct metrics_page *pg, const char *version, char *buf,
    size_t cap)
{
	struct out o = { buf, 0, cap, 0 };
	size_t i, j;

	if (cap == 0)
		return 0;
	head(&o, "ftpd_build_info", "gauge", "Always 1; the labels say "
	    "which ftpd this is.");
	put(&o, "ftpd_build_info{version=\"%s\"} 1\n", version);
	sessions(&o, pg);
	head(&o, "ftpd_sessions_total", "counter", "Connections given a "
	    "session (not those refused at once).");
	put(&o, "ftpd_sessions_total %llu\n", get(&pg->sessions_total));
	head(&o, "ftpd_connections_refused_total", "counter", "Connections "
	    "refused at accept: bans, max_clients, max_per_ip.");
	put(&o, "ftpd_connections_refused_total %llu\n",
	    get(&pg->refused_total));
	head(&o, "ftpd_logins_total", "counter", "Login attempts by result "
	    "and by the account source that answered.");
	for (i = 0; i < MET_LOGIN_RESULTS; i++)
		for (j = 0; j < MET_SOURCES; j++)
			put(&o, "ftpd_logins_total{result=\"%s\",source=\"%s\"}"
			    " %llu\n", login_results[i], sources[j],
			    get(&pg->logins[i][j]));
	head(&o, "ftpd_bytes_total", "counter", "File bytes moved by "
	    "transfers (listings not counted).");
	put(&o, "ftpd_bytes_total{direction=\"upload\"} %llu\n",
	    get(&pg->bytes[0]));
	put(&o, "ftpd_bytes_total{direction=\"download\"} %llu\n",
	    get(&pg->bytes[1]));
	head(&o, "ftpd_transfers_total", "counter", "Transfers whose data "
	    "connection opened, by command and result.");
	for (i = 0; i < MET_XFER_CMDS; i++)
		for (j = 0; j < MET_XFER_RESULTS; j++)
			put(&o, "ftpd_transfers_total{command=\"%s\","
			    "result=\"%s\"} %llu\n", commands[i],
			    xfer_results[j], get(&pg->transfers[i][j]));
	head(&o, "ftpd_tls_handshakes_total", "counter", "TLS handshakes on "
	    "control and data connections, by result (reuse_refused: a "
	    "data connection that did not resume the session).");
	for (i = 0; i < MET_TLS_CONNS; i++)
		for (j = 0; j < MET_TLS_RESULTS; j++)
			put(&o, "ftpd_tls_handshakes_total{connection=\"%s\","
			    "result=\"%s\"} %llu\n", tls_conns[i],
			    tls_results[j], get(&pg->tls[i][j]));
	head(&o, "ftpd_data_connection_failures_total", "counter", "Data "
	    "connections that could not be opened (425).");
	for (i = 0; i < MET_DATA_MODES; i++)
		put(&o, "ftpd_data_connection_failures_total{mode=\"%s\"} "
		    "%llu\n", data_modes[i], get(&pg->data_failures[i]));
	head(&o, "ftpd_bans_active", "gauge", "Addresses banned now for "
	    "failed logins.");
	put(&o, "ftpd_bans_active %llu\n", get(&pg->bans_active));
	head(&o, "ftpd_bans_total", "counter", "Bans imposed.");
	put(&o, "ftpd_bans_total %llu\n", get(&pg->bans_total));
	head(&o, "ftpd_quota_refusals_total", "counter", "Uploads stopped "
	    "or refused by an account's quota (552).");
	put(&o, "ftpd_quota_refusals_total %llu\n",
	    get(&pg->quota_refusals));
	head(&o, "ftpd_rate_limited_transfers_total", "counter", "Transfers "
	    "that had to wait for a rate limit at least once.");
	put(&o, "ftpd_rate_limited_transfers_total %llu\n",
	    get(&pg->rate_waits));
	lookups(&o, pg);
	return o.full ? 0 : o.len;
}
