/*
 * quota_file.c - an account's quota tally in a file of quota_dir, and
 * counting a tally from the account's home.
 *
 * Runs in the monitor, as root.  quota_dir must be root's and writable
 * by no one else (tally_dir_open checks), so no account can write its
 * own tally or plant a link there; the account's name becomes a file
 * name only through tally_file_name.  Every monitor of the account takes
 * the file's flock from its read to its write, so sessions of one
 * account uploading at once reserve from one tally.  A new (empty) file
 * is counted from the home while the lock is held: the other sessions
 * wait for the count instead of counting too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tally.h"
#include "common/treesum.h"
#include "config.h"
#include "formats/upload_names.h"
#include "priv/quota_store.h"

int
quota_count_home(const struct quota_acct *a, struct tally *t, char *why,
    size_t whylen)
{
	struct treesum ts;
	int fd, r;

	fd = open(a->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, whylen, "counting %s: %s", a->home,
		    strerror(errno));
		return -1;
	}
	r = treesum(fd, UPLOAD_TMP_PREFIX, &ts);
	(void)close(fd);
	if (r == -1) {
		snprintf(why, whylen, "counting %s: %s", a->home,
		    strerror(errno));
		return -1;
	}
	if (ts.skipped > 0)
		log_msg(LOG_WARNING, "quota: %s: %lu directories of %s not "
		    "counted (unreadable, or deeper than %d levels)", a->name,
		    ts.skipped, a->home, TREESUM_DEPTH);
	log_msg(LOG_INFO, "quota: %s: counted %llu bytes in %llu files "
	    "under %s", a->name, ts.bytes, ts.files, a->home);
	t->bytes = ts.bytes;
	t->files = ts.files;
	return 0;
}

/* Open the account's file and, if it is new, count it.  fd or -1. */
static int
open_tally(const struct quota_acct *a, char *why, size_t whylen)
{
	char name[TALLY_NAME_MAX];
	struct tally t;
	int dfd, fd, r;

	if (tally_file_name(a->name, name, sizeof(name)) == -1) {
		snprintf(why, whylen, "no tally file name for this account");
		return -1;
	}
	if ((dfd = tally_dir_open(cfg->quota_dir)) == -1) {
		snprintf(why, whylen, "quota_dir %s: %s", cfg->quota_dir,
		    errno == EPERM ? "not root's, or writable by others" :
		    strerror(errno));
		return -1;
	}
	fd = tally_file_open(dfd, name, 1);
	(void)close(dfd);
	if (fd == -1) {
		snprintf(why, whylen, "%s/%s: %s", cfg->quota_dir, name,
		    errno == EPERM ? "not a file of root's" : strerror(errno));
		return -1;
	}
	if (tally_file_lock(fd) == -1 || (r = tally_file_read(fd, &t)) ==
	    -1 || (r == 0 && (quota_count_home(a, &t, why, whylen) == -1 ||
	    tally_file_write(fd, &t) == -1))) {
		if (why[0] == '\0')
			snprintf(why, whylen, "%s/%s: %s", cfg->quota_dir,
			    name, errno == EINVAL ? "not a tally record "
			    "(remove it to count again)" : strerror(errno));
		(void)close(fd);
		return -1;
	}
	tally_file_unlock(fd);
	return fd;
}

int
quota_file_apply(int *fd, const struct quota_acct *a,
    const struct quota_req *rq, struct quota_ans *ans, char *why,
    size_t whylen)
{
	struct tally t;
	int r = -1;

	why[0] = '\0';
	memset(ans, 0, sizeof(*ans));
	if (*fd == -1 && (*fd = open_tally(a, why, whylen)) == -1)
		return -1;
	/*
	 * Read, change, write under the lock.  A file emptied meanwhile
	 * (ftpquota removes nothing, but an administrator may) is a tally
	 * to count again: open it anew next time.
	 */
	if (tally_file_lock(*fd) == -1 || (r = tally_file_read(*fd, &t)) ==
	    -1 || r == 0) {
		snprintf(why, whylen, "%s: tally %s", a->name, r == 0 ?
		    "emptied meanwhile" : strerror(errno));
		(void)close(*fd);
		*fd = -1;
		return -1;
	}
	if (rq->op == QUOTA_RESERVE)
		tally_reserve(&t, rq->want_bytes, rq->want_files,
		    rq->max_bytes, rq->max_files, &ans->got_bytes,
		    &ans->got_files);
	else if (rq->op == QUOTA_ADJUST) {
		t.bytes = tally_add(t.bytes, rq->dbytes);
		t.files = tally_add(t.files, rq->dfiles);
	}
	if (rq->op != QUOTA_READ && tally_file_write(*fd, &t) == -1) {
		snprintf(why, whylen, "%s: writing the tally: %s", a->name,
		    strerror(errno));
		tally_file_unlock(*fd);
		memset(ans, 0, sizeof(*ans));
		return -1;
	}
	tally_file_unlock(*fd);
	ans->used = t;
	return 0;
}

void
quota_file_forget(const char *name)
{
	char fname[TALLY_NAME_MAX];
	int dfd;

	if (tally_file_name(name, fname, sizeof(fname)) == -1)
		return;
	/* No directory yet: no quota was ever kept, nothing to forget
	 * (and nothing is made for it). */
	if ((dfd = open(cfg->quota_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if (unlinkat(dfd, fname, 0) == 0)
		log_msg(LOG_INFO, "quota: %s has no quota now: its tally is "
		    "dropped", name);
	(void)close(dfd);
}
