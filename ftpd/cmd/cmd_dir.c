/*
 * cmd_dir.c - CWD CDUP PWD MKD RMD.
 *
 * Runs in the user process, as the account.  Arguments are client text:
 * they only ever become virtual paths through policy_path(), and the file
 * system is only touched through policy's fs_* calls, which resolve
 * beneath the session root.  Dispatch has checked login and argument
 * presence; write permission is checked here with policy_allow() because
 * anonymous uploaders pass the dispatcher's write check but must not
 * create or remove directories, and the account's permissions and the
 * [dir] sections (dirs_check_*) on the directory fd the change is made
 * through.  CWD, CDUP and PWD need no verb.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/path.h"
#include "cmd/cmd.h"
#include "cmd/ctl.h"
#include "mon_client.h"
#include "user/dirs.h"
#include "user/policy.h"
#include "session.h"

/* Reply 257 "<quoted vpath>" text (RFC 959 appendix II quoting). */
static void
reply_257(struct session *s, const char *vpath, const char *text)
{
	struct buf q;

	buf_init(&q, 2 * PATH_MAXLEN + 8);
	if (buf_putc(&q, '"') == 0 && ctl_quote_path(&q, vpath) == 0 &&
	    buf_putc(&q, '"') == 0)
		reply(s, 257, "%s %s", buf_cstr(&q), text);
	else
		reply(s, 257, "\"\" %s", text);	/* cannot happen: sized */
	buf_free(&q);
}

void
cmd_cwd(struct session *s, const char *arg)
{
	struct buf vpath, real;
	int fd;

	buf_init(&vpath, PATH_MAXLEN);
	buf_init(&real, PATH_MAXLEN);
	if (policy_path(s, arg, &vpath) == -1)
		goto out;
	/*
	 * Opening it for reading proves it is a directory we may list, the
	 * same check LIST will make; a search-only directory is refused.
	 */
	fd = fs_open(s, buf_cstr(&vpath), O_RDONLY | O_DIRECTORY, 0);
	if (fd == -1) {
		reply_errno(s, errno, "Cannot change directory to",
		    buf_cstr(&vpath));
		goto out;
	}
	/* No verb is needed to enter (an upload-only account goes to its
	 * drop box), but a denied name is not there. */
	if (dirs_check_fd(s, OP_ENTER, buf_cstr(&vpath), fd,
	    "Cannot change directory to", 0, NULL) == -1) {
		(void)close(fd);
		goto out;
	}
	/*
	 * Through a symlink the session lands where the link leads, and PWD
	 * says so (as vsftpd's getcwd does): a recursive client that
	 * compares the PWD of each directory it enters with those it has
	 * seen (FileZilla) then knows "self -> ." for the directory it is
	 * in, instead of descending 40 times.  Should the tree change
	 * between the two resolutions, the lexical path stays.
	 */
	if (fs_realpath(s, buf_cstr(&vpath), fd, &real) == 0)
		(void)buf_set(&vpath, buf_cstr(&real));
	(void)close(fd);
	if (buf_set(&s->cwd, buf_cstr(&vpath)) == -1) {
		(void)buf_set(&s->cwd, "/");
		reply(s, 553, "Directory name too long; now in \"/\".");
		goto out;
	}
	/*
	 * No path in the text: clients that parse CWD replies (yafc) read
	 * quoted or trailing paths in several servers' wordings and would
	 * take the quotes and the full stop for part of the name.  The path
	 * is PWD's to tell, in a 257.
	 */
	reply(s, 250, "Directory successfully changed.");
out:
	buf_free(&real);
	buf_free(&vpath);
}

void
cmd_cdup(struct session *s, const char *arg)
{
	(void)arg;
	cmd_cwd(s, "..");
}

void
cmd_pwd(struct session *s, const char *arg)
{
	(void)arg;
	reply_257(s, s->cwd.len > 0 ? buf_cstr(&s->cwd) : "/",
	    "is the current directory.");
}

void
cmd_mkd(struct session *s, const char *arg)
{
	struct buf vpath;
	const char *base;
	int pfd;

	if (!policy_allow(s, OP_MKDIR)) {
		reply(s, 550, "Permission denied.");
		return;
	}
	buf_init(&vpath, PATH_MAXLEN);
	if (policy_path(s, arg, &vpath) == -1)
		goto out;
	if ((pfd = fs_open_parent(s, buf_cstr(&vpath), &base)) == -1) {
		/* "/" has no parent: it exists, by definition. */
		reply_errno(s, errno == EINVAL ? EEXIST : errno,
		    "Cannot create directory", buf_cstr(&vpath));
		goto out;
	}
	if (dirs_check_at(s, OP_MKDIR, buf_cstr(&vpath), pfd, base,
	    "Cannot create directory", 0) == -1)
		;	/* replied */
	else if (mkdirat(pfd, base, 0777 & ~s->umask) == -1)
		reply_errno(s, errno, "Cannot create directory",
		    buf_cstr(&vpath));
	else {
		mon_event(s, EV_MKDIR, buf_cstr(&vpath), NULL);
		reply_257(s, buf_cstr(&vpath), "created.");
	}
	(void)close(pfd);
out:
	buf_free(&vpath);
}

void
cmd_rmd(struct session *s, const char *arg)
{
	struct buf vpath;
	const char *base;
	int pfd;

	if (!policy_allow(s, OP_RMDIR)) {
		reply(s, 550, "Permission denied.");
		return;
	}
	buf_init(&vpath, PATH_MAXLEN);
	if (policy_path(s, arg, &vpath) == -1)
		goto out;
	if (strcmp(buf_cstr(&vpath), "/") == 0) {
		reply(s, 550, "Cannot remove the root directory.");
		goto out;
	}
	if ((pfd = fs_open_parent(s, buf_cstr(&vpath), &base)) == -1) {
		reply_errno(s, errno, "Cannot remove directory",
		    buf_cstr(&vpath));
		goto out;
	}
	/* AT_REMOVEDIR never follows a final symlink: ENOTDIR for one. */
	if (dirs_check_at(s, OP_RMDIR, buf_cstr(&vpath), pfd, base,
	    "Cannot remove directory", 0) == -1)
		;	/* replied */
	else if (unlinkat(pfd, base, AT_REMOVEDIR) == -1)
		reply_errno(s, errno, "Cannot remove directory",
		    buf_cstr(&vpath));
	else {
		mon_event(s, EV_RMDIR, buf_cstr(&vpath), NULL);
		reply(s, 250, "Directory removed.");
	}
	(void)close(pfd);
out:
	buf_free(&vpath);
}
