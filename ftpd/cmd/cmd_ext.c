/*
 * cmd_ext.c - extension commands: HASH, RANG, OPTS HASH, AVBL and LANG.
 *
 * Runs in the user process, as the account (LANG also in the front before
 * login).  Arguments are client text: paths only reach the file system
 * through policy_path() and fs_open(), numbers only through parse_uint (in
 * digest_parse_range).  HASH reads the file in DIGEST_CHUNK pieces and
 * watches the control connection for ABOR and STAT meanwhile, so hashing a
 * huge file costs neither memory nor an unresponsive session.  AVBL is
 * the disk's free space, or what is left of the account's quota when
 * that is less (user/quota.c asks the monitor's tally).
 *
 * Table rows (cmd.c):
 *   HASH cmd_hash CMD_ARG_REQ  feat "HASH SHA-256*;SHA-1;SHA-512;MD5"
 *   RANG cmd_rang CMD_ARG_REQ  feat "RANG STREAM"
 *   AVBL cmd_avbl 0            feat "AVBL"
 *   LANG cmd_lang CMD_PRELOGIN feat "LANG EN*"
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/path.h"
#include "cmd/cmd_ext.h"
#include "cpupin.h"
#include "cmd/ctl.h"
#include "user/digest.h"
#include "user/dirs.h"
#include "user/policy.h"
#include "user/quota.h"
#include "session.h"

/* Look at the control connection every this many chunks (4 MiB). */
#define HASH_CHECK_CHUNKS	16

struct hash_watch {
	struct session	*s;
	unsigned	 chunks;
	int		 stop;		/* 1 ABOR, -1 control gone */
};

/* Progress callback for digest_fd_range: STAT progress, ABOR. */
static int
hash_progress(void *arg, off_t done)
{
	struct hash_watch *w = arg;
	int r;

	w->s->xfer_done = done;
	if (++w->chunks % HASH_CHECK_CHUNKS != 0)
		return 0;
	if ((r = ctl_check_abort(w->s)) == 0)
		return 0;
	w->stop = r == 1 ? 1 : -1;
	return 1;
}

/* The inclusive byte range to hash, from RANG and the size.  0 or -1. */
static int
hash_range(struct session *s, off_t size, off_t *start, off_t *end)
{
	*start = 0;
	*end = size - 1;	/* -1 for an empty file: nothing to read */
	if (!s->rang_set)
		return 0;
	if (s->rang_start >= size) {
		reply(s, 501, "Range start %lld beyond end of file.",
		    (long long)s->rang_start);
		return -1;
	}
	*start = s->rang_start;
	if (s->rang_end < *end)
		*end = s->rang_end;
	return 0;
}

/* Hash fd's start..end and send the 213 (or the error) reply. */
static void
hash_run(struct session *s, int fd, const char *vpath, const char *arg,
    off_t start, off_t end)
{
	struct hash_watch w = { s, 0, 0 };
	char hex[DIGEST_HEX_MAX];
	int rc;

	/* Hashing a large file is long work: not on the CPU sessions start
	 * on (cpupin.c). */
	cpupin_leave();
	s->in_xfer = 1;
	s->xfer_done = 0;
	s->xfer_total = end >= start ? end - start + 1 : 0;
	(void)snprintf(s->xfer_what, sizeof(s->xfer_what), "HASH %s", vpath);
	rc = digest_fd_range(fd, s->hash_algo, start, end, hash_progress, &w,
	    hex, sizeof(hex));
	s->in_xfer = 0;
	if (rc == 0) {
		/* An empty file has no bytes; "0-0" is the draft's nearest. */
		reply(s, 213, "%s %lld-%lld %s %s", digest_name(s->hash_algo),
		    (long long)start, (long long)(end >= start ? end : start),
		    hex, arg);
	} else if (w.stop == 1) {
		reply(s, 426, "HASH aborted.");
		reply(s, 226, "ABOR successful.");
	} else if (w.stop == -1) {
		s->quit = 1;
	} else if (errno == EINVAL) {
		reply(s, 504, "Hash algorithm %s unavailable.",
		    digest_name(s->hash_algo));
	} else {
		reply_errno(s, errno, "Cannot hash", vpath);
	}
}

void
cmd_hash(struct session *s, const char *arg)
{
	struct buf vpath;
	struct stat st;
	off_t start, end;
	int fd;

	buf_init(&vpath, PATH_MAXLEN);
	if (!policy_allow(s, OP_READ)) {
		reply(s, 550, "Permission denied.");
		goto out;
	}
	if (policy_path(s, arg, &vpath) == -1)
		goto out;
	if ((fd = policy_open_read(s, buf_cstr(&vpath), &st)) == -1)
		goto out;
	if (dirs_check_fd(s, OP_READ, buf_cstr(&vpath), fd, "Cannot open", 0,
	    NULL) == -1)
		;	/* replied */
	else if (hash_range(s, st.st_size, &start, &end) == 0)
		hash_run(s, fd, buf_cstr(&vpath), arg, start, end);
	(void)close(fd);
out:
	/* Like REST, a range applies to the next HASH only. */
	s->rang_set = 0;
	buf_free(&vpath);
}

void
cmd_rang(struct session *s, const char *arg)
{
	off_t start, end;

	switch (digest_parse_range(arg, &start, &end)) {
	case 1:
		s->rang_start = start;
		s->rang_end = end;
		s->rang_set = 1;
		reply(s, 350, "Restarting at %lld. Ending byte %lld.",
		    (long long)start, (long long)end);
		break;
	case 0:
		s->rang_set = 0;
		reply(s, 350, "Range reset.");
		break;
	default:
		reply(s, 501, "Syntax: RANG <start> <end>, start <= end.");
		break;
	}
}

int
ext_opts_hash(struct session *s, const char *arg)
{
	int algo;

	if (arg == NULL || *arg == '\0') {
		reply(s, 200, "%s", digest_name(s->hash_algo));
		return 0;
	}
	if ((algo = digest_lookup(arg)) == -1) {
		reply(s, 501, "Unknown hash algorithm.");
		return -1;
	}
	s->hash_algo = algo;
	reply(s, 200, "%s", digest_name(algo));
	return 0;
}

void
cmd_avbl(struct session *s, const char *arg)
{
	struct buf vpath;
	struct statvfs sv;
	unsigned long long avail, left;
	int fd;

	buf_init(&vpath, PATH_MAXLEN);
	/* No argument: the current directory ("." joined to cwd). */
	if (policy_path(s, arg != NULL ? arg : ".", &vpath) == -1)
		goto out;
	if ((fd = fs_open(s, buf_cstr(&vpath), O_RDONLY | O_DIRECTORY,
	    0)) == -1) {
		reply_errno(s, errno, "Cannot open", buf_cstr(&vpath));
		goto out;
	}
	if (dirs_check_fd(s, OP_ENTER, buf_cstr(&vpath), fd, "Cannot open", 0,
	    NULL) == -1) {
		;	/* replied: a denied name is not there */
	} else if (fstatvfs(fd, &sv) == -1) {
		reply_errno(s, errno, "Cannot query", buf_cstr(&vpath));
	} else {
		if (__builtin_mul_overflow((unsigned long long)sv.f_bavail,
		    (unsigned long long)sv.f_frsize, &avail))
			avail = ~0ULL;
		/* A quota smaller than the disk's free space is the limit. */
		if (quota_left(s, &left) == 0 && left < avail)
			avail = left;
		reply(s, 213, "%llu", avail);
	}
	(void)close(fd);
out:
	buf_free(&vpath);
}

/* 1 if tag is EN or an EN subtag (EN-US), in any case.  Pure. */
static int
lang_is_en(const char *tag)
{
	return strncasecmp(tag, "EN", 2) == 0 &&
	    (tag[2] == '\0' || tag[2] == '-');
}

void
cmd_lang(struct session *s, const char *arg)
{
	if (arg == NULL)
		reply(s, 200, "EN");
	else if (lang_is_en(arg))
		reply(s, 200, "Language set to EN");
	else
		reply(s, 504, "Unsupported language");
}
