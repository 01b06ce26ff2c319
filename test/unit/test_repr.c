/*
 * test_repr.c - unit tests for ftpd/repr.c, ftpd/repr_dec.c and
 * common/ebcdic.c: known-answer vectors (block headers, MODE C runs of
 * 1, 63, 64, 127, 128 bytes and filler, EOR/EOF, the 0xFF escape, CP037),
 * decoder errors and bounds, and round trips of random data through every
 * type, form, structure and mode in random chunk sizes; MODE Z through a
 * kept deflate state, and its cost on incompressible data.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "common/buf.h"
#include "common/ebcdic.h"
#include "user/repr.h"

#define U(s)		((const unsigned char *)(s))
#define OUT_MAX		(REPR_OUT_SOFT + REPR_OUT_SLACK)
#define RT_SIZE		(200 * 1024)

static struct repr_params
params(char type, char form, char stru, char mode)
{
	struct repr_params p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.form = form;
	p.stru = stru;
	p.mode = mode;
	p.zlevel = 6;
	return p;
}

/* Encode all of in at once, with EOF; result in out. */
static void
enc_all(const struct repr_params *p, const void *in, size_t n,
    struct buf *out)
{
	struct repr_enc *e = repr_enc_new(p);

	ck_assert_ptr_nonnull(e);
	buf_init(out, REPR_ENC_BOUND(n) + REPR_OUT_SLACK);
	ck_assert_int_eq(repr_enc_data(e, in, n, out), 0);
	ck_assert_int_eq(repr_enc_finish(e, out), 0);
	repr_enc_free(e);
}

static void
expect(const struct buf *b, const void *want, size_t n)
{
	ck_assert_uint_eq(b->len, n);
	ck_assert_int_eq(memcmp(b->data, want, n), 0);
}

START_TEST(ebcdic_tables)
{
	unsigned char t[] = "A 0\n";
	int i;

	for (i = 0; i < 256; i++)
		ck_assert_int_eq(ebcdic_to_latin1_tab[
		    ebcdic_from_latin1_tab[i]], i);
	ebcdic_encode(t, 4);
	ck_assert_int_eq(memcmp(t, "\xc1\x40\xf0\x15", 4), 0);
	ebcdic_decode(t, 4);
	ck_assert_int_eq(memcmp(t, "A 0\n", 4), 0);
	ck_assert_int_eq(ebcdic_from_latin1_tab[0x85], 0x25);
}
END_TEST

START_TEST(block_kat)
{
	struct repr_params p = params('I', 'N', 'R', 'B');
	struct buf b;

	buf_init(&b, 16);
	ck_assert_int_eq(repr_block_header(0x80, 0x1234, &b), 0);
	expect(&b, "\x80\x12\x34", 3);
	ck_assert_int_eq(repr_block_header(0, 65536, &b), -1);
	buf_free(&b);
	/* A record per line; the unterminated last line ends with EOF. */
	enc_all(&p, "ab\ncd", 5, &b);
	expect(&b, "\x80\x00\x02" "ab" "\x40\x00\x02" "cd", 10);
	buf_free(&b);
	enc_all(&p, "ab\n", 3, &b);
	expect(&b, "\x80\x00\x02" "ab" "\x40\x00\x00", 8);
	buf_free(&b);
	p.stru = 'F';
	enc_all(&p, "", 0, &b);
	expect(&b, "\x40\x00\x00", 3);
	buf_free(&b);
}
END_TEST

START_TEST(block_marker)
{
	struct repr_params p = params('I', 'N', 'F', 'B');
	struct repr_enc *e = repr_enc_new(&p);
	struct buf b;

	buf_init(&b, 1024);
	ck_assert_int_eq(repr_enc_data(e, U("xy"), 2, &b), 0);
	ck_assert_int_eq(repr_enc_mark(e, "2", &b), 0);
	ck_assert_int_eq(repr_enc_data(e, U("z"), 1, &b), 0);
	ck_assert_int_eq(repr_enc_finish(e, &b), 0);
	expect(&b, "\x00\x00\x02xy" "\x10\x00\x01" "2" "\x40\x00\x01z", 13);
	repr_enc_free(e);
	buf_free(&b);
}
END_TEST

/* MODE C of n copies of c (TYPE I: filler is 0). */
static void
c_run(int c, size_t n, const void *want, size_t wn)
{
	struct repr_params p = params('I', 'N', 'F', 'C');
	unsigned char in[512];
	struct buf b;

	memset(in, c, n);
	enc_all(&p, in, n, &b);
	expect(&b, want, wn);
	buf_free(&b);
}

START_TEST(compressed_runs)
{
	c_run('a', 1, "\x01" "a" "\x00\x40", 4);
	c_run('a', 2, "\x02" "aa" "\x00\x40", 5);
	c_run('a', 3, "\x83" "a" "\x00\x40", 4);
	c_run('a', 63, "\xbf" "a" "\x00\x40", 4);
	c_run('a', 64, "\xbf" "a" "\x81" "a" "\x00\x40", 6);
	c_run('a', 127, "\xbf" "a" "\xbf" "a" "\x81" "a" "\x00\x40", 8);
	c_run('a', 128, "\xbf" "a" "\xbf" "a" "\x82" "a" "\x00\x40", 8);
	c_run(0, 1, "\x01" "\x00" "\x00\x40", 4);
	c_run(0, 63, "\xff" "\x00\x40", 3);
	c_run(0, 64, "\xff\xc1" "\x00\x40", 4);
	c_run(0, 128, "\xff\xff\xc2" "\x00\x40", 5);
}
END_TEST

START_TEST(compressed_literals)
{
	struct repr_params p = params('A', 'N', 'R', 'C');
	unsigned char in[128], want[140];
	struct buf b;
	int i;

	for (i = 0; i < 128; i++)
		in[i] = (unsigned char)(i % 2 ? 'x' : 'y');
	want[0] = 127;
	memcpy(want + 1, in, 127);
	memcpy(want + 128, "\x01x\x00\x40", 4);
	p.stru = 'F';
	enc_all(&p, in, 128, &b);
	expect(&b, want, 132);
	buf_free(&b);
	/* TYPE A: spaces are the filler; records end with EOR escapes. */
	p.stru = 'R';
	enc_all(&p, "a     b\n\n", 9, &b);
	expect(&b, "\x01" "a" "\xc5" "\x01" "b" "\x00\x80" "\x00\x80"
	    "\x00\x40", 11);
	buf_free(&b);
}
END_TEST

START_TEST(stream_record_kat)
{
	struct repr_params p = params('I', 'N', 'R', 'S');
	struct buf b;

	enc_all(&p, "a\xff" "b\n", 4, &b);
	expect(&b, "a\xff\xff" "b\xff\x01\xff\x02", 8);
	buf_free(&b);
	p = params('A', 'C', 'F', 'S');
	enc_all(&p, "x\n\fy\n\n", 6, &b);
	expect(&b, " x\r\n1y\r\n \r\n", 11);
	buf_free(&b);
	p = params('E', 'N', 'F', 'S');
	enc_all(&p, "A\n", 2, &b);
	expect(&b, "\xc1\x15", 2);
	buf_free(&b);
}
END_TEST

/* Decode all of in (in one call sequence) into out; returns last status. */
static enum repr_status
dec_all(const struct repr_params *p, const void *in, size_t n,
    struct buf *out, struct buf *marks, int *fin)
{
	struct repr_dec *d = repr_dec_new(p);
	const unsigned char *c = in;
	enum repr_status st;
	size_t used;

	ck_assert_ptr_nonnull(d);
	for (;;) {
		st = repr_dec_data(d, c, n, &used, out);
		c += used;
		n -= used;
		if (st == REPR_MARK && marks != NULL)
			(void)buf_puts(marks, repr_dec_mark(d));
		if (st == REPR_NEED || st == REPR_EOF || st == REPR_ERR)
			break;
	}
	*fin = repr_dec_finish(d, out);
	repr_dec_free(d);
	return st;
}

START_TEST(decode_kat)
{
	struct repr_params p = params('I', 'N', 'F', 'B');
	struct buf out, marks;
	int fin;

	buf_init(&out, OUT_MAX);
	buf_init(&marks, 256);
	ck_assert_int_eq(dec_all(&p, "\x10\x00\x03" "1\x01" "2"
	    "\x20\x00\x02xy" "\x40\x00\x00" "junk", 18, &out, &marks, &fin),
	    REPR_EOF);
	ck_assert_int_eq(fin, 0);
	expect(&out, "xy", 2);
	expect(&marks, "1?2", 3);
	/* No EOF block: incomplete. */
	buf_reset(&out);
	(void)dec_all(&p, "\x00\x00\x05" "ab", 5, &out, NULL, &fin);
	ck_assert_int_eq(fin, -1);
	/* MODE C: marker escape, literal marker, filler, EOR, EOF. */
	p = params('A', 'N', 'R', 'C');
	buf_reset(&out);
	buf_reset(&marks);
	ck_assert_int_eq(dec_all(&p, "\x00\x10\x02" "42" "\x01" "a" "\xc3"
	    "\x83" "b" "\x00\x80" "\x00\x40", 14, &out, &marks, &fin),
	    REPR_EOF);
	ck_assert_int_eq(fin, 0);
	expect(&out, "a   bbb\n", 8);
	expect(&marks, "42", 2);
	/* Stream records: unknown escape is an error. */
	p = params('I', 'N', 'R', 'S');
	buf_reset(&out);
	ck_assert_int_eq(dec_all(&p, "ab\xff\x05", 4, &out, NULL, &fin),
	    REPR_ERR);
	p = params('I', 'N', 'F', 'Z');
	ck_assert_int_eq(dec_all(&p, "not zlib at all", 15, &out, NULL,
	    &fin), REPR_ERR);
	/* ASA on the way in: '0' double space, '1' new page, '+' over. */
	p = params('A', 'C', 'F', 'S');
	buf_reset(&out);
	(void)dec_all(&p, " a\r\n0b\r\n1c\r\n+d\r\n", 16, &out, NULL, &fin);
	expect(&out, "a\n\nb\n\fc\rd\n", 10);
	buf_free(&out);
	buf_free(&marks);
}
END_TEST

/* A deflate bomb: each call's output stays near REPR_OUT_SOFT. */
START_TEST(decode_bounded)
{
	struct repr_params p = params('I', 'N', 'F', 'Z');
	struct repr_enc *e = repr_enc_new(&p);
	struct repr_dec *d = repr_dec_new(&p);
	unsigned char *zeros = calloc(1, 1 << 20);
	struct buf z, out;
	size_t used, pos = 0, total = 0;
	enum repr_status st;
	int i;

	buf_init(&z, 1 << 20);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(repr_enc_data(e, zeros, 1 << 20, &z), 0);
	ck_assert_int_eq(repr_enc_finish(e, &z), 0);
	ck_assert_uint_lt(z.len, 64 * 1024);
	buf_init(&out, OUT_MAX);
	for (i = 0; i < 100000; i++) {
		st = repr_dec_data(d, z.data + pos, z.len - pos, &used, &out);
		pos += used;
		ck_assert_uint_le(out.len, REPR_OUT_SOFT + 64 * 1024);
		total += out.len;
		buf_reset(&out);
		if (st != REPR_MORE && st != REPR_MARK)
			break;
	}
	ck_assert_int_eq(st, REPR_EOF);
	ck_assert_uint_eq(total, 16u << 20);
	repr_enc_free(e);
	repr_dec_free(d);
	buf_free(&z);
	buf_free(&out);
	free(zeros);
}
END_TEST

static void
fill_random(unsigned char *p, size_t n, unsigned seed)
{
	static const unsigned char special[] = "\n\r\f \xff\x00\x15+01";
	size_t i, k;

	srand(seed);
	for (i = 0; i < n; i++) {
		if (rand() % 4 == 0)
			p[i] = special[rand() % (sizeof(special) - 1)];
		else
			p[i] = (unsigned char)rand();
		/* Runs, long and short. */
		if (rand() % 200 == 0)
			for (k = (size_t)rand() % 300; k > 0 && i + 1 < n; k--)
				p[i + 1] = p[i], i++;
	}
}

/* Encode in random chunks, decode in random pieces, compare. */
static void
round_trip(char type, char form, char stru, char mode, unsigned seed)
{
	struct repr_params p = params(type, form, stru, mode);
	unsigned char *data = malloc(RT_SIZE);
	struct repr_enc *e = repr_enc_new(&p);
	struct repr_dec *d = repr_dec_new(&p);
	struct buf wire, out, all;
	enum repr_status st = REPR_NEED;
	size_t pos, k, used;

	fill_random(data, RT_SIZE, seed);
	buf_init(&wire, 8 * RT_SIZE);
	for (pos = 0; pos < RT_SIZE; pos += k) {
		k = (size_t)rand() % 9000 + 1;
		k = k > RT_SIZE - pos ? RT_SIZE - pos : k;
		ck_assert_int_eq(repr_enc_data(e, data + pos, k, &wire), 0);
	}
	ck_assert_int_eq(repr_enc_finish(e, &wire), 0);
	buf_init(&out, OUT_MAX);
	buf_init(&all, 2 * RT_SIZE);
	for (pos = 0; pos < wire.len && st != REPR_EOF;) {
		k = (size_t)rand() % 5000 + 1;
		k = k > wire.len - pos ? wire.len - pos : k;
		do {
			st = repr_dec_data(d, wire.data + pos, k, &used, &out);
			pos += used;
			k -= used;
			ck_assert_int_eq(buf_append(&all, out.data, out.len),
			    0);
			buf_reset(&out);
		} while (st == REPR_MORE || st == REPR_MARK);
		ck_assert_int_ne(st, REPR_ERR);
	}
	ck_assert_int_eq(repr_dec_finish(d, &all), 0);
	ck_assert_msg(all.len == RT_SIZE && memcmp(all.data, data,
	    RT_SIZE) == 0, "round trip %c %c %c %c: %zu bytes", type, form,
	    stru, mode, all.len);
	repr_enc_free(e);
	repr_dec_free(d);
	buf_free(&wire);
	buf_free(&out);
	buf_free(&all);
	free(data);
}

/* Decode a whole MODE Z stream; it must end exactly there. */
static void
dec_z(const struct repr_params *p, const struct buf *wire, struct buf *all)
{
	struct repr_dec *d = repr_dec_new(p);
	enum repr_status st;
	struct buf out;
	size_t pos = 0, used;

	ck_assert_ptr_nonnull(d);
	buf_init(&out, OUT_MAX);
	do {
		st = repr_dec_data(d, wire->data + pos, wire->len - pos, &used,
		    &out);
		pos += used;
		ck_assert_int_eq(buf_append(all, out.data, out.len), 0);
		buf_reset(&out);
	} while (st == REPR_MORE);
	ck_assert_int_ne(st, REPR_ERR);
	ck_assert_int_eq(repr_dec_finish(d, all), 0);
	repr_dec_free(d);
	buf_free(&out);
}

/* Encode n bytes in 32 KiB pieces, as xfer.c reads a file. */
static void
enc_z(const struct repr_params *p, const unsigned char *in, size_t n,
    struct buf *wire)
{
	struct repr_enc *e = repr_enc_new(p);
	size_t pos, k;

	ck_assert_ptr_nonnull(e);
	for (pos = 0; pos < n; pos += k) {
		k = n - pos < 32768 ? n - pos : 32768;
		ck_assert_int_eq(repr_enc_data(e, in + pos, k, wire), 0);
	}
	ck_assert_int_eq(repr_enc_finish(e, wire), 0);
	repr_enc_free(e);
}

#define ZK_RAND		(512 * 1024)
#define ZK_SIZE		(6 * 1024 * 1024)

/*
 * MODE Z transfers one after the other through the session's kept
 * deflate state, at changing levels, of a file that starts random and
 * goes on as text: each stream decodes to the file, the random part
 * costs no more than stored blocks, and the text is compressed again.
 */
START_TEST(deflate_kept_state)
{
	static const int levels[] = { 1, 9, 0, 6, 1 };
	struct repr_params p = params('I', 'N', 'F', 'Z');
	unsigned char *data = malloc(ZK_SIZE);
	struct buf wire, all;
	size_t i, t;

	ck_assert_ptr_nonnull(data);
	fill_random(data, ZK_RAND, 7);
	for (i = ZK_RAND; i < ZK_SIZE; i++)
		data[i] = (unsigned char)"line of text number "[i % 20];
	p.zkeep = repr_zkeep_new();
	buf_init(&wire, 2 * ZK_SIZE);
	buf_init(&all, ZK_SIZE);
	for (t = 0; t < sizeof(levels) / sizeof(levels[0]); t++) {
		p.zlevel = levels[t];
		buf_reset(&wire);
		buf_reset(&all);
		enc_z(&p, data, ZK_SIZE, &wire);
		dec_z(&p, &wire, &all);
		ck_assert_msg(all.len == ZK_SIZE && memcmp(all.data, data,
		    ZK_SIZE) == 0, "level %d: %zu bytes back", p.zlevel,
		    all.len);
		if (p.zlevel > 0)
			ck_assert_msg(wire.len < ZK_RAND + 2 * 1024 * 1024,
			    "level %d: %zu wire bytes", p.zlevel, wire.len);
	}
	repr_zkeep_free(p.zkeep);
	buf_free(&wire);
	buf_free(&all);
	free(data);
}
END_TEST

#define ZR_SIZE		(16 * 1024 * 1024)

/* CPU seconds to MODE Z n bytes of in at level. */
static double
z_cpu(const unsigned char *in, size_t n, int level, struct buf *wire)
{
	struct repr_params p = params('I', 'N', 'F', 'Z');
	clock_t c0 = clock();

	p.zlevel = level;
	buf_reset(wire);
	enc_z(&p, in, n, wire);
	return (double)(clock() - c0) / CLOCKS_PER_SEC;
}

/*
 * Incompressible data (random here, media and archives in life) is sent
 * as stored blocks after a short probe, even at level 9: the output stays
 * within the stored-block overhead and the CPU near a plain copy (level
 * 9 deflating all of it costs some 5 times more).
 */
START_TEST(deflate_incompressible)
{
	unsigned char *data = malloc(ZR_SIZE);
	struct buf wire;
	double copy, nine;
	size_t i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < ZR_SIZE; i++)
		data[i] = (unsigned char)(rand() >> 7);
	buf_init(&wire, 2 * ZR_SIZE);
	(void)z_cpu(data, ZR_SIZE, 0, &wire);	/* the pages, once */
	copy = z_cpu(data, ZR_SIZE, 0, &wire);
	nine = z_cpu(data, ZR_SIZE, 9, &wire);
	ck_assert_msg(wire.len < ZR_SIZE + ZR_SIZE / 1000 + 1024,
	    "%zu wire bytes for %d", wire.len, ZR_SIZE);
	ck_assert_msg(nine < 3 * copy + 0.03, "level 9 took %.3f s, "
	    "a stored copy %.3f s", nine, copy);
	buf_free(&wire);
	free(data);
}
END_TEST

START_TEST(round_trips)
{
	static const char *types[] = { "AN", "AT", "AC", "EN", "EC", "IN" };
	const char *stru, *mode;
	size_t t;
	unsigned seed = 1;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (stru = "FR"; *stru != '\0'; stru++)
			for (mode = "SBCZ"; *mode != '\0'; mode++)
				round_trip(types[t][0], types[t][1], *stru,
				    *mode, seed++);
}
END_TEST

static Suite *
repr_suite(void)
{
	Suite *s = suite_create("repr");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ebcdic_tables);
	tcase_add_test(tc, block_kat);
	tcase_add_test(tc, block_marker);
	tcase_add_test(tc, compressed_runs);
	tcase_add_test(tc, compressed_literals);
	tcase_add_test(tc, stream_record_kat);
	tcase_add_test(tc, decode_kat);
	tcase_add_test(tc, decode_bounded);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, deflate_kept_state);
	tcase_add_test(tc, deflate_incompressible);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_SUITE(repr_suite)
