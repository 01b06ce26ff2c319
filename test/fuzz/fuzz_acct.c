/*
 * fuzz_acct.c - libFuzzer target: the account service's hostile inputs.
 * The same bytes go to
 *  - acct_get_answer, the root side's decoder of the service's answers
 *    (a decoded answer must be terminated within its arrays, and encode
 *    back to exactly the bytes it came from);
 *  - sql_translate in each style, as a NUL-terminated query (the text
 *    terminated and shorter than SQLP_TEXT_MAX, at most SQLP_MAX
 *    placeholders, the three styles agreeing on them, the named style
 *    giving the query back unchanged);
 *  - acct_col_set, the column name up to the first NUL and the value
 *    after it (no NUL: SQL NULL), then acct_col_end;
 *  - acct_get_ban and acct_get_ban_list (shared bans: the master's
 *    ACCT_BAN_ADD, the service's list), round-tripped;
 *  - acct_get_tally, the service's decoder of a monitor's ACCT_TALLY
 *    (every value within its bounds, a sign only on an ADJUST), and
 *    acct_get_tally_answer, the monitor's of the service's answer (a
 *    decoded one encodes back to the same bytes);
 *  - tally_reserve and tally_add on the first 40 bytes as numbers (a
 *    grant never more than asked nor past a limit it was within).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "common/tally.h"
#include "accounts/backend.h"
#include "accounts/sqlparams.h"
#include "formats/acctproto.h"

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
fuzz_answer(const uint8_t *data, size_t size)
{
	static struct acct_record r, zero;
	char why[ACCT_WHY_MAX];
	enum acct_status st;
	struct buf b, again;

	buf_init(&b, IPC_MAX);
	buf_init(&again, IPC_MAX);
	if (buf_append(&b, data, size) == 0 &&
	    acct_get_answer(&b, &st, why, sizeof(why), &r) == 0) {
		if ((unsigned)st > ACCT_UNAVAILABLE ||
		    !terminated(why, sizeof(why)) ||
		    !terminated(r.name, sizeof(r.name)) ||
		    !terminated(r.hash, sizeof(r.hash)) ||
		    !terminated(r.home, sizeof(r.home)) ||
		    !terminated(r.uid_name, sizeof(r.uid_name)) ||
		    !terminated(r.gid_name, sizeof(r.gid_name)))
			abort();
		/* without ACCT_FOUND nothing of a record comes through */
		if (st != ACCT_FOUND && memcmp(&r, &zero, sizeof(r)) != 0)
			abort();
		/* one encoding per answer: nothing in the bytes was skipped */
		if (acct_put_answer(&again, st, why, &r) == -1 ||
		    again.len != b.len ||
		    memcmp(again.data, b.data, b.len) != 0)
			abort();
	}
	buf_free(&b);
	buf_free(&again);
}

static void
fuzz_sql(const char *q)
{
	static const enum sql_style styles[] = { SQLP_NAMED, SQLP_DOLLAR,
	    SQLP_QUESTION };
	static struct sql_text t[3];
	char err[256];
	int rc[3];
	size_t i, j;

	for (i = 0; i < 3; i++) {
		err[0] = '\0';
		rc[i] = sql_translate(q, styles[i], &t[i], err, sizeof(err));
		if (rc[i] == -1 && (!terminated(err, sizeof(err)) ||
		    err[0] == '\0'))
			abort();
		if (rc[i] != 0)
			continue;
		if (!terminated(t[i].text, sizeof(t[i].text)) ||
		    strlen(t[i].text) >= SQLP_TEXT_MAX || t[i].n > SQLP_MAX)
			abort();
		for (j = 0; j < t[i].n; j++)
			if ((unsigned)t[i].order[j] > SQLP_CLIENT)
				abort();
	}
	/* Named is the query as written; $N and ? are never longer than
	 * :name, so the other styles take it too, with the same values. */
	if (rc[0] == 0) {
		if (strcmp(t[0].text, q) != 0 || rc[1] != 0 || rc[2] != 0)
			abort();
		for (i = 1; i < 3; i++)
			if (t[i].n != t[0].n || memcmp(t[i].order, t[0].order,
			    t[0].n * sizeof(t[0].order[0])) != 0)
				abort();
	}
}

static void
fuzz_column(const char *col, const char *val)
{
	static struct acct_record r;
	struct acct_cols c;
	char err[256];

	acct_col_begin(&c, &r, "alice");
	err[0] = '\0';
	if (acct_col_set(&c, &r, col, val, err, sizeof(err)) == -1) {
		if (!terminated(err, sizeof(err)) || err[0] == '\0')
			abort();
	} else if (r.enabled > 1 || r.uid > 4294967294ULL ||
	    r.gid > 4294967294ULL ||
	    (r.uid_name[0] != '\0' && r.uid != 0) ||
	    (r.gid_name[0] != '\0' && r.gid != 0))
		abort();
	if (!terminated(r.name, sizeof(r.name)) ||
	    !terminated(r.hash, sizeof(r.hash)) ||
	    !terminated(r.home, sizeof(r.home)) ||
	    !terminated(r.uid_name, sizeof(r.uid_name)) ||
	    !terminated(r.gid_name, sizeof(r.gid_name)) ||
	    strcmp(r.name, "alice") != 0 || r.verified != 0)
		abort();
	/* one column is never a whole record */
	if (acct_col_end(&c, &r, err, sizeof(err)) == 0)
		abort();
}

static void
fuzz_tally(const uint8_t *data, size_t size)
{
	static struct acct_tally_req rq;
	static struct acct_tally_ans a;
	struct buf b, again;

	buf_init(&b, IPC_MAX);
	buf_init(&again, IPC_MAX);
	if (buf_append(&b, data, size) == 0 && acct_get_tally(&b, &rq) == 0 &&
	    (!terminated(rq.name, sizeof(rq.name)) ||
	    rq.op > ACCT_TALLY_ADJUST || rq.max_bytes > ACCT_TALLY_MAX ||
	    rq.max_files > ACCT_TALLY_MAX ||
	    rq.bytes > (long long)ACCT_TALLY_MAX ||
	    rq.bytes < -(long long)ACCT_TALLY_MAX ||
	    rq.files > (long long)ACCT_TALLY_MAX ||
	    rq.files < -(long long)ACCT_TALLY_MAX ||
	    ((rq.bytes < 0 || rq.files < 0) && rq.op != ACCT_TALLY_ADJUST)))
		abort();
	if (acct_get_tally_answer(&b, &a) == 0 &&
	    ((unsigned)a.status > ACCT_UNAVAILABLE ||
	    !terminated(a.why, sizeof(a.why)) ||
	    acct_put_tally_answer(&again, &a) == -1 || again.len != b.len ||
	    memcmp(again.data, b.data, b.len) != 0))
		abort();
	buf_free(&b);
	buf_free(&again);
}

/* Shared bans: the service's decoder of the master's ACCT_BAN_ADD and the
 * master's of the list; what decodes is in range and encodes back to the
 * same bytes. */
static void
fuzz_bans(const uint8_t *data, size_t size)
{
	static struct acct_ban_list l;
	struct acct_ban ban;
	struct buf b, again;
	uint32_t i;

	buf_init(&b, IPC_MAX);
	buf_init(&again, IPC_MAX);
	if (buf_append(&b, data, size) == 0 && acct_get_ban(&b, &ban) == 0 &&
	    ((ban.family != AF_INET && ban.family != AF_INET6) ||
	    ban.until > ACCT_BAN_UNTIL_MAX || acct_put_ban(&again, &ban) ==
	    -1 || again.len != b.len || memcmp(again.data, b.data, b.len) != 0))
		abort();
	buf_reset(&again);
	if (acct_get_ban_list(&b, &l) == 0) {
		if ((unsigned)l.status > ACCT_UNAVAILABLE ||
		    l.n > ACCT_BANS_MAX || !terminated(l.why, sizeof(l.why)))
			abort();
		for (i = 0; i < l.n; i++)
			if ((l.bans[i].family != AF_INET &&
			    l.bans[i].family != AF_INET6) ||
			    l.bans[i].until > ACCT_BAN_UNTIL_MAX)
				abort();
		if (acct_put_ban_list(&again, &l) == -1 ||
		    again.len != b.len || memcmp(again.data, b.data, b.len) != 0)
			abort();
	} else if (l.n != 0)
		abort();
	buf_free(&b);
	buf_free(&again);
}

static void
fuzz_reserve(const uint8_t *data, size_t size)
{
	unsigned long long v[5], got_b, got_f;
	struct tally t, before;
	long long d;

	if (size < sizeof(v))
		return;
	memcpy(v, data, sizeof(v));
	t.bytes = v[0] % (TALLY_MAX + 1);
	t.files = v[1] % (TALLY_MAX + 1);
	before = t;
	tally_reserve(&t, v[2], v[3] & 1, v[4] >> 1, v[4] & 0xff, &got_b,
	    &got_f);
	if (got_b > v[2] || got_f > (v[3] & 1) ||
	    t.bytes != before.bytes + got_b || t.files != before.files + got_f ||
	    (got_f == 0 && (v[3] & 1) && got_b != 0) ||
	    ((v[4] >> 1) != 0 && before.bytes <= (v[4] >> 1) &&
	    t.bytes > (v[4] >> 1)))
		abort();
	memcpy(&d, &v[2], sizeof(d));
	if (tally_add(t.bytes, d) > TALLY_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul;
	char *s, *val;

	fuzz_answer(data, size);
	fuzz_tally(data, size);
	fuzz_bans(data, size);
	fuzz_reserve(data, size);
	s = strndup((const char *)data, size);
	if (s == NULL)
		return 0;
	fuzz_sql(s);
	nul = memchr(data, '\0', size);
	val = nul == NULL ? NULL : strndup(nul + 1,
	    size - (size_t)(nul + 1 - (const char *)data));
	if (nul == NULL || val != NULL)
		fuzz_column(s, val);
	free(val);
	free(s);
	return 0;
}
