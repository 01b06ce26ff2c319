/*
 * pam_auth.c - the pam source of the accounts chain: pam_authenticate and
 * pam_acct_mgmt through the pam_service stack, ids and home from passwd.
 *
 * Runs only in the throwaway authentication child of the monitor
 * (auth_child.c), as root: PAM modules are code loaded at run time that
 * read /etc/shadow and may hold the password in their own memory, so all
 * of it leaves with the child and never reaches the monitor or a session.
 * user and pass come from the client (bounded, otherwise untrusted) and
 * are handed to PAM as they are; client is the address the master saw.
 * What PAM modules say to the conversation is logged at debug, escaped.
 *
 * Decisions (see pam_auth.h for the verdicts):
 *  - A name without a passwd entry is SRC_NONE before PAM is asked: a
 *    stack such as Debian's common-auth turns pam_unix's "unknown user"
 *    into pam_deny's "authentication failure", which would stop the chain
 *    for a user that the next source knows.  The account's ids, home and
 *    groups come from that entry, as for the system source.
 *  - A pam_service without a file in /etc/pam.d (or /usr/lib/pam.d) is
 *    SRC_DOWN (421): PAM would silently use the "other" stack instead,
 *    which on Debian is common-auth, not a denial, so a typo in the key
 *    would change who may log in.  Nothing is asked of PAM then.
 *  - PAM's own delay after a failure (pam_unix: 2 s) is replaced by a
 *    no-op (PAM_FAIL_DELAY): the monitor already waits after each failed
 *    login, growing with each, and one policy is enough.
 *  - A module that changes PAM_USER (a name mapping) is refused: the
 *    session runs as the account the client named, or not at all.
 *  - Neither pam_setcred nor pam_open_session is called: the session
 *    process is not a child of this one, so there is no session to open.
 */
#include <security/pam_appl.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "priv/auth_result.h"
#include "priv/pam_auth.h"
#include "priv/sysacct.h"
#include "config.h"

#define PAM_TTY_NAME	"ftp"
#define PW_BUF_MAX	(1024 * 1024)	/* getpwnam_r: give up beyond */

/* The passwd entry, copied out of NSS's static storage (PAM modules call
 * getpwnam themselves and would overwrite it). */
struct pw_copy {
	struct passwd	pw;
	char		*buf;
	size_t		len;
};

static void
pw_free(struct pw_copy *p)
{
	freezero(p->buf, p->len);
	p->buf = NULL;
	p->len = 0;
}

/* SRC_MATCH found (p filled), SRC_NONE no such user, SRC_DOWN NSS failed. */
static int
pw_lookup(const char *user, struct pw_copy *p, char *why, size_t whylen)
{
	struct passwd *res;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	int e;

	p->len = hint > 0 && hint < PW_BUF_MAX ? (size_t)hint : 4096;
	for (;;) {
		p->buf = xmalloc(p->len);
		res = NULL;
		e = getpwnam_r(user, &p->pw, p->buf, p->len, &res);
		if (e != ERANGE || p->len >= PW_BUF_MAX)
			break;
		pw_free(p);
		p->len = (size_t)PW_BUF_MAX;
	}
	if (res != NULL)
		return SRC_MATCH;
	pw_free(p);
	/* "Not found" is 0 or one of the errnos getpwnam_r(3) lists for it. */
	if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM) {
		snprintf(why, whylen, "pam: no such user");
		return SRC_NONE;
	}
	snprintf(why, whylen, "pam: cannot look up %s in passwd: %s", user,
	    strerror(e));
	return SRC_DOWN;
}

/*
 * The service name becomes a file name in /etc/pam.d (Linux-PAM lowers
 * its case): letters, digits, '.', '_', '-', not starting with '.'.
 * Copied, lowered, into out.  0 or -1.
 */
static int
service_file_name(const char *svc, char *out, size_t outlen)
{
	size_t i, n = strlen(svc);

	if (n == 0 || n >= outlen || svc[0] == '.')
		return -1;
	for (i = 0; i < n; i++) {
		char c = svc[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Whether PAM will read a stack of its own for name: a regular file in
 * /etc/pam.d or /usr/lib/pam.d.  When neither directory exists PAM reads
 * /etc/pam.conf, which is not looked into here: 1 then. */
static int
service_file_exists(const char *name)
{
	static const char *const dirs[] = { "/etc/pam.d", "/usr/lib/pam.d" };
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int any_dir = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			any_dir = 1;
		if (snprintf(path, sizeof(path), "%s/%s", dirs[i], name) <
		    (int)sizeof(path) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return 1;
	}
	return !any_dir;
}

int
pam_service_ok(const char *service, char *why, size_t whylen)
{
	char svc[NAME_MAX + 1];

	if (service_file_name(service, svc, sizeof(svc)) == -1) {
		snprintf(why, whylen, "pam_service \"%s\" is not a file name",
		    service);
		return -1;
	}
	if (!service_file_exists(svc)) {
		snprintf(why, whylen, "pam_service %s: no /etc/pam.d/%s (PAM "
		    "would use its \"other\" stack instead)", service, svc);
		return -1;
	}
	return 0;
}

/*
 * The conversation: the password for every prompt without echo (a copy
 * that the module frees), messages to the debug log, and a failure for
 * anything else (a prompt with echo, a question FTP cannot ask).
 */
static int
conv_answer(int n, const struct pam_message **msg,
    struct pam_response **resp, void *appdata)
{
	const char *pass = appdata;
	struct pam_response *r;
	int i, rc = PAM_CONV_ERR;

	*resp = NULL;
	if (n <= 0 || n > PAM_MAX_NUM_MSG || pass == NULL)
		return PAM_CONV_ERR;
	/* calloc, not xcalloc: PAM frees the answers with free(3), and a
	 * failure here is PAM's to report, not a reason to exit. */
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			if ((r[i].resp = strdup(pass)) == NULL) {
				rc = PAM_BUF_ERR;
				goto fail;
			}
			break;
		case PAM_TEXT_INFO:
		case PAM_ERROR_MSG:
			log_msg(LOG_DEBUG, "pam %s says: %s", cfg->pam_service,
			    msg[i]->msg != NULL ? msg[i]->msg : "");
			break;
		default:
			log_msg(LOG_DEBUG, "pam %s asks (style %d), not "
			    "answered: %s", cfg->pam_service,
			    msg[i]->msg_style,
			    msg[i]->msg != NULL ? msg[i]->msg : "");
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++)
		if (r[i].resp != NULL)
			freezero(r[i].resp, strlen(r[i].resp));
	free(r);
	return rc;
}

/* PAM's delay after a failure: none here, the monitor has its own. */
static void
no_fail_delay(int retval, unsigned usec, void *appdata)
{
	(void)retval;
	(void)usec;
	(void)appdata;
}

/* What a PAM result means for the chain. */
static int
verdict(int prc)
{
	switch (prc) {
	case PAM_SUCCESS:
		return SRC_MATCH;
	case PAM_USER_UNKNOWN:
		return SRC_NONE;
	case PAM_AUTH_ERR:		/* wrong password, pam_deny */
	case PAM_PERM_DENIED:		/* pam_listfile, pam_nologin, ... */
	case PAM_ACCT_EXPIRED:		/* chage -E */
	case PAM_NEW_AUTHTOK_REQD:	/* passwd -e, password too old */
	case PAM_AUTHTOK_EXPIRED:
	case PAM_MAXTRIES:
	case PAM_CONV_ERR:		/* the stack asks what FTP cannot */
		return SRC_REFUSED;
	default:	/* AUTHINFO_UNAVAIL, SYSTEM_ERR, BUF_ERR, ABORT, ... */
		return SRC_DOWN;
	}
}

/* *r from the passwd entry, with the supplementary groups (as the
 * system source fills it; the monitor forks the session with these). */
static int
fill_account(const struct passwd *pw, struct auth_result *r)
{
	r->anonymous = 0;
	r->virtual_user = 0;
	if (sysacct_fill(pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir,
	    r) == -1)
		return -1;
	return sysacct_groups(r);
}

/* Set the items modules look at.  PAM_SUCCESS or PAM's error. */
static int
set_items(pam_handle_t *h, const char *client)
{
	int prc = PAM_SUCCESS;

	if (client != NULL && client[0] != '\0')
		prc = pam_set_item(h, PAM_RHOST, client);
	if (prc == PAM_SUCCESS)
		prc = pam_set_item(h, PAM_TTY, PAM_TTY_NAME);
	if (prc == PAM_SUCCESS)
		prc = pam_set_item(h, PAM_FAIL_DELAY,
		    (const void *)(uintptr_t)no_fail_delay);
	return prc;
}

/* Authenticate, then the account check; the step that failed in *step. */
static int
run_stack(pam_handle_t *h, const char *user, const char **step, char *why,
    size_t whylen)
{
	const void *item = NULL;
	int prc;

	*step = "pam_authenticate";
	prc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (prc != PAM_SUCCESS)
		return prc;
	*step = "pam_acct_mgmt";
	prc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (prc != PAM_SUCCESS)
		return prc;
	*step = "PAM_USER";
	prc = pam_get_item(h, PAM_USER, &item);
	if (prc != PAM_SUCCESS)
		return prc;
	if (item == NULL || strcmp(item, user) != 0) {
		snprintf(why, whylen, "pam %s: a module changed the user "
		    "name %s to %s", cfg->pam_service, user,
		    item != NULL ? (const char *)item : "(none)");
		return PAM_PERM_DENIED;
	}
	return PAM_SUCCESS;
}

int
pam_check(const char *user, const char *pass, const char *client,
    struct auth_result *r, char *why, size_t whylen)
{
	struct pam_conv conv = { conv_answer, NULL };
	struct pw_copy pw = { .buf = NULL };
	pam_handle_t *h = NULL;
	const char *step = "pam_start";
	int prc, rc;

	why[0] = '\0';
	if (cfg->unprivileged) {
		/* As in the system source: PAM checks need root. */
		snprintf(why, whylen, "pam: ftpd does not run as root");
		return SRC_NONE;
	}
	if (pam_service_ok(cfg->pam_service, why, whylen) == -1)
		return SRC_DOWN;
	if ((rc = pw_lookup(user, &pw, why, whylen)) != SRC_MATCH)
		return rc;
	/* The conversation reads pass and copies it; nothing writes it. */
	conv.appdata_ptr = (void *)(uintptr_t)pass;
	prc = pam_start(cfg->pam_service, user, &conv, &h);
	if (prc == PAM_SUCCESS) {
		step = "pam_set_item";
		prc = set_items(h, client);
	}
	if (prc == PAM_SUCCESS)
		prc = run_stack(h, user, &step, why, whylen);
	rc = verdict(prc);
	if (rc != SRC_MATCH && why[0] == '\0')
		snprintf(why, whylen, "pam %s: %s: %s", cfg->pam_service,
		    step, pam_strerror(h, prc));
	if (h != NULL)
		(void)pam_end(h, prc);	/* wipes PAM_AUTHTOK */
	if (rc == SRC_MATCH) {
		if (!sysacct_shell_ok(pw.pw.pw_shell != NULL ? pw.pw.pw_shell : "")) {
			snprintf(why, whylen, "shell %s not in /etc/shells",
			    pw.pw.pw_shell);
			rc = SRC_REFUSED;
		} else if (fill_account(&pw.pw, r) == -1) {
			snprintf(why, whylen, "cannot look up the groups of %s",
			    user);
			rc = SRC_DOWN;
		}
	}
	pw_free(&pw);
	return rc;
}
