/*
 * test_route.c - unit tests for ftpd/user/route.c: the route decision
 * table of xfer_route_for (sendfile by configuration and peer, splice for
 * uploads, read/write and TYPE A, the repr.c codec, the TLS front for PROT
 * P binary files, listings), then invariants over every combination of
 * its inputs.  Pure function, so sessions are built in memory only.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "config.h"
#include "session.h"
#include "user/repr.h"
#include "user/route.h"

#define FAKE_FRONT_FD	1000	/* never used: the function is pure */
#define ZMAX		6	/* mode_z_max_level's default */

enum peer { REMOTE, LOOP4, LOOP6, LOOPMAPPED, NOPEER };

/* One row of the decision table. */
struct row {
	enum xfer_op	op;
	char		type, form, stru, mode;
	int		prot_p, front;
	enum peer	peer;
	enum sendfile_mode sendfile;
	enum xfer_path	path;		/* expected */
	int		ascii;		/* expected */
};

static void
set_peer(struct session *s, enum peer p)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->peer;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->peer;

	memset(&s->peer, 0, sizeof(s->peer));
	switch (p) {
	case REMOTE:
		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.7",
		    &sin->sin_addr), 1);
		break;
	case LOOP4:
		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1",
		    &sin->sin_addr), 1);
		break;
	case LOOP6:
		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, "::1",
		    &sin6->sin6_addr), 1);
		break;
	case LOOPMAPPED:
		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.2",
		    &sin6->sin6_addr), 1);
		break;
	case NOPEER:
		break;
	}
}

/* A logged-in session with the given parameters; free with sess_free. */
static void
sess(struct session *s, char type, char form, char stru, char mode,
    int prot_p, int front, enum peer p)
{
	session_init(s);
	s->state = ST_LOGGED_IN;
	s->type = type;
	s->form = form;
	s->stru = stru;
	s->mode = mode;
	s->prot_p = prot_p;
	s->pbsz_done = prot_p;
	s->front_fd = front ? FAKE_FRONT_FD : -1;
	set_peer(s, p);
}

static void
sess_free(struct session *s)
{
	s->front_fd = -1;	/* not ours to close */
	session_free(s);
}

static const char *
path_name(enum xfer_path p)
{
	switch (p) {
	case XFER_PATH_COPY:		return "COPY";
	case XFER_PATH_SENDFILE:	return "SENDFILE";
	case XFER_PATH_SPLICE:		return "SPLICE";
	case XFER_PATH_CODEC:		return "CODEC";
	case XFER_PATH_FRONT:		return "FRONT";
	}
	return "?";
}

#define L	XFER_OP_LIST
#define R	XFER_OP_RETR
#define S	XFER_OP_STOR
#define AUTO	SENDFILE_AUTO
#define YES	SENDFILE_YES
#define NO	SENDFILE_NO
#define COPY	XFER_PATH_COPY
#define SENDF	XFER_PATH_SENDFILE
#define SPLICE	XFER_PATH_SPLICE
#define CODEC	XFER_PATH_CODEC
#define FRONT	XFER_PATH_FRONT

static const struct row table[] = {
	/* Plain binary downloads: sendfile = auto copies for loopback. */
	{ R, 'I', 'N', 'F', 'S', 0, 0, REMOTE,     AUTO, SENDF, 0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, LOOP4,      AUTO, COPY,  0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, LOOP6,      AUTO, COPY,  0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, LOOPMAPPED, AUTO, COPY,  0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, NOPEER,     AUTO, SENDF, 0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, REMOTE,     YES,  SENDF, 0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, LOOP4,      YES,  SENDF, 0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, REMOTE,     NO,   COPY,  0 },
	{ R, 'I', 'N', 'F', 'S', 0, 0, LOOP4,      NO,   COPY,  0 },
	/* A leftover FORM from TYPE A means nothing in TYPE I. */
	{ R, 'I', 'C', 'F', 'S', 0, 0, REMOTE,     AUTO, SENDF, 0 },
	/* TYPE A: read/write with LF -> CRLF, whatever sendfile says. */
	{ R, 'A', 'N', 'F', 'S', 0, 0, REMOTE,     YES,  COPY,  1 },
	{ R, 'A', 'T', 'F', 'S', 0, 0, LOOP4,      AUTO, COPY,  1 },
	{ R, 'A', 'C', 'F', 'S', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ R, 'A', 'N', 'R', 'S', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	/* TYPE E, STRU R, MODE B/C/Z: the codec. */
	{ R, 'E', 'N', 'F', 'S', 0, 0, REMOTE,     YES,  CODEC, 0 },
	{ R, 'I', 'N', 'R', 'S', 0, 0, REMOTE,     YES,  CODEC, 0 },
	{ R, 'I', 'N', 'F', 'Z', 0, 0, REMOTE,     YES,  CODEC, 0 },
	{ R, 'I', 'N', 'F', 'B', 0, 0, REMOTE,     YES,  CODEC, 0 },
	{ R, 'I', 'N', 'F', 'C', 0, 0, LOOP4,      NO,   CODEC, 0 },
	{ R, 'A', 'N', 'F', 'Z', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	/* PROT P binary: the front moves the file, up or down. */
	{ R, 'I', 'N', 'F', 'S', 1, 1, REMOTE,     YES,  FRONT, 0 },
	{ R, 'I', 'N', 'F', 'S', 1, 1, LOOP4,      AUTO, FRONT, 0 },
	{ S, 'I', 'N', 'F', 'S', 1, 1, REMOTE,     AUTO, FRONT, 0 },
	/* PROT P with a conversion: relayed plaintext, our loops. */
	{ R, 'A', 'N', 'F', 'S', 1, 1, REMOTE,     AUTO, COPY,  1 },
	{ S, 'A', 'N', 'F', 'S', 1, 1, REMOTE,     AUTO, COPY,  1 },
	{ R, 'I', 'N', 'F', 'Z', 1, 1, REMOTE,     AUTO, CODEC, 0 },
	{ S, 'I', 'N', 'F', 'B', 1, 1, REMOTE,     AUTO, CODEC, 0 },
	{ R, 'E', 'N', 'F', 'S', 1, 1, REMOTE,     AUTO, CODEC, 0 },
	/* PROT P without a front process (data_open then fails with 522):
	 * not the front's file mode. */
	{ R, 'I', 'N', 'F', 'S', 1, 0, REMOTE,     AUTO, SENDF, 0 },
	{ S, 'I', 'N', 'F', 'S', 1, 0, REMOTE,     AUTO, SPLICE, 0 },
	/* Uploads: splice for binary, wherever the peer is. */
	{ S, 'I', 'N', 'F', 'S', 0, 0, REMOTE,     AUTO, SPLICE, 0 },
	{ S, 'I', 'N', 'F', 'S', 0, 0, LOOP4,      AUTO, SPLICE, 0 },
	{ S, 'I', 'N', 'F', 'S', 0, 0, LOOP4,      NO,   SPLICE, 0 },
	{ S, 'A', 'N', 'F', 'S', 0, 0, REMOTE,     YES,  COPY,  1 },
	{ S, 'A', 'C', 'F', 'S', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ S, 'I', 'N', 'F', 'Z', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ S, 'I', 'N', 'F', 'C', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ S, 'E', 'N', 'F', 'S', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ S, 'I', 'N', 'R', 'S', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	/* Listings are CRLF text already: as they are, unless TYPE E or
	 * MODE B/C/Z; FORM and STRU do not apply; never the front. */
	{ L, 'A', 'N', 'F', 'S', 0, 0, REMOTE,     YES,  COPY,  0 },
	{ L, 'I', 'N', 'F', 'S', 0, 0, REMOTE,     YES,  COPY,  0 },
	{ L, 'A', 'C', 'R', 'S', 0, 0, REMOTE,     AUTO, COPY,  0 },
	{ L, 'I', 'N', 'R', 'S', 0, 0, REMOTE,     AUTO, COPY,  0 },
	{ L, 'A', 'N', 'F', 'S', 1, 1, REMOTE,     AUTO, COPY,  0 },
	{ L, 'I', 'N', 'F', 'S', 1, 1, REMOTE,     AUTO, COPY,  0 },
	{ L, 'E', 'N', 'F', 'S', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ L, 'A', 'N', 'F', 'Z', 0, 0, REMOTE,     AUTO, CODEC, 0 },
	{ L, 'I', 'N', 'F', 'B', 1, 1, REMOTE,     AUTO, CODEC, 0 },
	{ L, 'I', 'N', 'F', 'C', 0, 0, LOOP4,      AUTO, CODEC, 0 },
};

START_TEST(decision_table)
{
	const struct row *w = &table[_i];
	struct xfer_route r;
	struct session s;

	sess(&s, w->type, w->form, w->stru, w->mode, w->prot_p, w->front,
	    w->peer);
	memset(&r, 0x5a, sizeof(r));	/* every field must be set */
	xfer_route_for(&s, w->op, w->sendfile, ZMAX, &r);
	ck_assert_msg(r.path == w->path, "row %d: path %s, want %s", _i,
	    path_name(r.path), path_name(w->path));
	ck_assert_msg(r.ascii == w->ascii, "row %d: ascii %d", _i, r.ascii);
	ck_assert_msg(r.tls == w->prot_p, "row %d: tls %d", _i, r.tls);
	ck_assert_int_eq(r.op, w->op);
	sess_free(&s);
}
END_TEST

/* The codec gets the session's representation; a listing's is always
 * FORM N, STRU F, and CRLF input unless TYPE I. */
START_TEST(codec_params)
{
	struct xfer_route r;
	struct session s;

	sess(&s, 'A', 'C', 'R', 'B', 0, 0, REMOTE);
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert_int_eq(r.path, XFER_PATH_CODEC);
	ck_assert_int_eq(r.repr.type, 'A');
	ck_assert_int_eq(r.repr.form, 'C');
	ck_assert_int_eq(r.repr.stru, 'R');
	ck_assert_int_eq(r.repr.mode, 'B');
	ck_assert_int_eq(r.repr.crlf_in, 0);
	xfer_route_for(&s, XFER_OP_LIST, SENDFILE_AUTO, ZMAX, &r);
	ck_assert_int_eq(r.path, XFER_PATH_CODEC);
	ck_assert_int_eq(r.repr.form, 'N');
	ck_assert_int_eq(r.repr.stru, 'F');
	ck_assert_int_eq(r.repr.mode, 'B');
	ck_assert_int_eq(r.repr.crlf_in, 1);
	sess_free(&s);

	sess(&s, 'I', 'C', 'F', 'Z', 0, 0, REMOTE);
	xfer_route_for(&s, XFER_OP_LIST, SENDFILE_AUTO, ZMAX, &r);
	ck_assert_int_eq(r.path, XFER_PATH_CODEC);
	ck_assert_int_eq(r.repr.form, 'N');
	ck_assert_int_eq(r.repr.crlf_in, 0);
	sess_free(&s);
}
END_TEST

/* MODE Z: OPTS MODE Z LEVEL, capped at the configured maximum. */
START_TEST(zlevel_cap)
{
	struct xfer_route r;
	struct session s;

	sess(&s, 'I', 'N', 'F', 'Z', 0, 0, REMOTE);
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, 9, &r);
	ck_assert_int_eq(r.repr.zlevel, 1);	/* the default */
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, 0, &r);
	ck_assert_int_eq(r.repr.zlevel, 0);	/* the default, capped */
	s.zlevel = 9 + 1;			/* OPTS MODE Z LEVEL 9 */
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, 9, &r);
	ck_assert_int_eq(r.repr.zlevel, 9);
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, 4, &r);
	ck_assert_int_eq(r.repr.zlevel, 4);
	s.zlevel = 0 + 1;
	xfer_route_for(&s, XFER_OP_LIST, SENDFILE_AUTO, 9, &r);
	ck_assert_int_eq(r.repr.zlevel, 0);
	sess_free(&s);
}
END_TEST

/*
 * Every combination of the inputs: the rules each route must keep,
 * whatever the table above missed.
 */
START_TEST(invariants)
{
	static const char types[] = "AEI", forms[] = "NTC", strus[] = "FR",
	    modes[] = "SBCZ";
	static const enum peer peers[] = { REMOTE, LOOP4, LOOP6 };
	static const enum sendfile_mode sfs[] = { SENDFILE_AUTO,
	    SENDFILE_YES, SENDFILE_NO };
	/* Mixed radix: op, type, form, stru, mode, prot, front, peer, sf. */
	static const int radix[] = { 3, 3, 3, 2, 4, 2, 2, 3, 3 };
	int v[9], i, k, n, total = 1, op, prot, front, plain;
	char type, form, stru, mode;
	enum sendfile_mode sf;
	struct xfer_route r;
	struct session s;
	enum peer peer;

	for (k = 0; k < 9; k++)
		total *= radix[k];
	for (i = 0; i < total; i++) {
		for (n = i, k = 0; k < 9; k++) {
			v[k] = n % radix[k];
			n /= radix[k];
		}
		op = XFER_OP_LIST + v[0];
		type = types[v[1]];
		form = forms[v[2]];
		stru = strus[v[3]];
		mode = modes[v[4]];
		prot = v[5];
		front = v[6];
		peer = peers[v[7]];
		sf = sfs[v[8]];
		sess(&s, type, form, stru, mode, prot, front, peer);
		xfer_route_for(&s, (enum xfer_op)op, sf, ZMAX, &r);
		/* Bytes as they are in the file: no conversion at all. */
		plain = type == 'I' && mode == 'S' && stru == 'F';
		ck_assert_int_eq(r.op, op);
		ck_assert_int_eq(r.tls, prot);
		/* The front only for PROT P files that need no change. */
		ck_assert_int_eq(r.path == XFER_PATH_FRONT,
		    op != XFER_OP_LIST && prot && front && plain);
		ck_assert(r.path != XFER_PATH_SENDFILE || op == XFER_OP_RETR);
		ck_assert(r.path != XFER_PATH_SPLICE || op == XFER_OP_STOR);
		/* TYPE A conversion in our loop only for files, and only
		 * when nothing but the line ends changes. */
		ck_assert_int_eq(r.ascii, op != XFER_OP_LIST &&
		    type == 'A' && form != 'C' && stru == 'F' && mode == 'S');
		ck_assert(!r.ascii || r.path == XFER_PATH_COPY);
		/* MODE B/C/Z and TYPE E always need the codec. */
		if (mode != 'S' || type == 'E')
			ck_assert_int_eq(r.path, XFER_PATH_CODEC);
		/* Plain binary files never do: sendfile exactly as
		 * configured down, splice up, unless the front moves them. */
		if (plain && op == XFER_OP_RETR && r.path != XFER_PATH_FRONT)
			ck_assert_int_eq(r.path == XFER_PATH_SENDFILE,
			    sf == SENDFILE_YES ||
			    (sf == SENDFILE_AUTO && peer == REMOTE));
		if (plain && op == XFER_OP_RETR && r.path != XFER_PATH_FRONT &&
		    r.path != XFER_PATH_SENDFILE)
			ck_assert_int_eq(r.path, XFER_PATH_COPY);
		if (plain && op == XFER_OP_STOR && r.path != XFER_PATH_FRONT)
			ck_assert_int_eq(r.path, XFER_PATH_SPLICE);
		/* Listings: the codec exactly for TYPE E or MODE B/C/Z. */
		if (op == XFER_OP_LIST)
			ck_assert_int_eq(r.path, mode != 'S' || type == 'E' ?
			    XFER_PATH_CODEC : XFER_PATH_COPY);
		sess_free(&s);
	}
	ck_assert_int_eq(total, 3 * 3 * 3 * 2 * 4 * 2 * 2 * 3 * 3);
}
END_TEST

/*
 * Rates: a file transfer carries the session's rate for its direction
 * and whether rate_total applies; a listing neither.  A throttled PROT P
 * file is relayed through our loops (COPY), not moved by the front,
 * which keeps no rate.
 */
START_TEST(rates)
{
	struct rb_shared *pool = (struct rb_shared *)&pool;	/* never used */
	struct xfer_route r;
	struct session s;

	sess(&s, 'I', 'N', 'F', 'S', 1, 1, REMOTE);
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(r.rate == 0 && !r.pooled);
	ck_assert_int_eq(r.path, XFER_PATH_FRONT);
	s.rate_down = 1048576;
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(r.rate == 1048576 && !r.pooled);
	ck_assert_int_eq(r.path, XFER_PATH_COPY);
	/* rate_down is not the upload's. */
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(r.rate == 0);
	ck_assert_int_eq(r.path, XFER_PATH_FRONT);
	s.rate_up = 4096;
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(r.rate == 4096);
	ck_assert_int_eq(r.path, XFER_PATH_COPY);
	xfer_route_for(&s, XFER_OP_LIST, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(r.rate == 0 && !r.pooled);
	/* rate_total alone also keeps the file out of the front. */
	s.rate_down = s.rate_up = 0;
	s.rate_pool = pool;
	s.rate_total = 1 << 20;
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(r.rate == 0 && r.pooled);
	ck_assert_int_eq(r.path, XFER_PATH_COPY);
	xfer_route_for(&s, XFER_OP_LIST, SENDFILE_AUTO, ZMAX, &r);
	ck_assert(!r.pooled);
	s.rate_pool = NULL;
	sess_free(&s);

	/* Clear text: the fast paths stay, the loops cap their counts. */
	sess(&s, 'I', 'N', 'F', 'S', 0, 0, REMOTE);
	s.rate_down = s.rate_up = 1000;
	xfer_route_for(&s, XFER_OP_RETR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert_int_eq(r.path, XFER_PATH_SENDFILE);
	xfer_route_for(&s, XFER_OP_STOR, SENDFILE_AUTO, ZMAX, &r);
	ck_assert_int_eq(r.path, XFER_PATH_SPLICE);
	sess_free(&s);
}
END_TEST

static Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, decision_table, 0,
	    (int)(sizeof(table) / sizeof(table[0])));
	tcase_add_test(tc, codec_params);
	tcase_add_test(tc, zlevel_cap);
	tcase_add_test(tc, invariants);
	tcase_add_test(tc, rates);
	suite_add_tcase(s, tc);
	return s;
}
UNIT_SUITE(route_suite)
