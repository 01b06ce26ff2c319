/*
 * auth.c - anonymous, system (shadow) and virtual (users_file) logins.
 *
 * Runs only in the monitor, with the privileges ftpd was started with.
 * user and pass come from the client through the front: bounded strings,
 * otherwise untrusted.  Hashes are checked with crypt_rn from libxcrypt and
 * compared in constant time; failures say why only in the log.
 */
#include <crypt.h>
#include <sys/mman.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "common/xmalloc.h"
#include "formats/users_file.h"
#include "priv/acct_service.h"
#include "priv/auth.h"
#include "priv/pam_auth.h"
#include "priv/sysacct.h"
#include "config.h"
#include "priv/hugemap.h"

#define DENY_LINE_MAX	4096	/* deny_file (ftpusers) line buffer */

int
auth_is_anonymous(const char *user, const struct vhost *vh)
{
	return (vh != NULL ? vh->anonymous : cfg->anonymous) &&
	    (strcasecmp(user, "anonymous") == 0 ||
	    strcasecmp(user, "ftp") == 0);
}

static int
const_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = (unsigned char)(la != lb);

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* A hash that locks its account: empty, or '!' or '*' first (passwd -l,
 * formats/users_file.h).  A certificate that vouches for the user skips
 * the password, never the lock. */
static int
hash_locks(const char *hash)
{
	return hash[0] == '\0' || hash[0] == '!' || hash[0] == '*';
}

/*
 * crypt_rn, compare with the stored hash.  The 32 KiB crypt_data lives
 * in its own mapping, wiped and unmapped at once: on the stack it left
 * eight dirty pages that the user process, forked next, shared with the
 * monitor for the whole session.
 */
static int
hash_matches(const char *pass, const char *hash)
{
	struct crypt_data *cd;
	const char *out;
	int ok;

	if (hash_locks(hash))
		return 0;
	cd = mmap(NULL, sizeof(*cd), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cd == MAP_FAILED)
		return 0;	/* zero-filled by the kernel */
	hugemap_begin();	/* the hash's work area: few page faults */
	out = crypt_rn(pass, hash, cd, sizeof(*cd));
	hugemap_end();
	ok = out != NULL && out[0] != '*' && const_eq(out, hash);
	explicit_bzero(cd, sizeof(*cd));
	(void)munmap(cd, sizeof(*cd));
	return ok;
}

int
auth_in_deny_file(const char *user)
{
	char line[DENY_LINE_MAX];
	FILE *f;
	size_t n;
	int found = 0;

	if (cfg->deny_file[0] == '\0')
		return 0;
	f = fopen(cfg->deny_file, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : 1;	/* unreadable: fail closed */
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, " \t\r\n#");
		line[n] = '\0';
		found = n > 0 && strcmp(line, user) == 0;
	}
	(void)fclose(f);
	return found;
}

static int
fill_from_pw(const struct passwd *pw, const char *home, struct auth_result *r)
{
	return sysacct_fill(pw->pw_name, pw->pw_uid, pw->pw_gid, home, r);
}

/* anon_user as the master found it at startup (auth_prepare): one NSS
 * lookup for the daemon instead of one per anonymous login. */
static struct {
	int	found;
	char	name[256];
	uid_t	uid;
	gid_t	gid;
} anon;

void
auth_prepare(void)
{
	struct passwd *pw;

	/* Again on a reload: anon_user may name someone else now. */
	anon.found = 0;
	if (cfg->unprivileged || (pw = getpwnam(cfg->anon_user)) == NULL ||
	    snprintf(anon.name, sizeof(anon.name), "%s", pw->pw_name) >=
	    (int)sizeof(anon.name))
		return;		/* each login looks again and logs */
	anon.uid = pw->pw_uid;
	anon.gid = pw->pw_gid;
	anon.found = 1;
}

static int
check_anonymous(const struct vhost *vh, struct auth_result *r, char *why,
    size_t whylen)
{
	const char *root = vh != NULL ? vh->anon_root : cfg->anon_root;
	struct passwd *pw;

	r->anonymous = 1;
	if (cfg->unprivileged) {
		snprintf(r->name, sizeof(r->name), "%s", cfg->anon_user);
		r->uid = getuid();
		r->gid = getgid();
		snprintf(r->home, sizeof(r->home), "%s", root);
		return 0;
	}
	if (anon.found)
		return sysacct_fill(anon.name, anon.uid, anon.gid, root, r);
	pw = getpwnam(cfg->anon_user);
	if (pw == NULL) {
		snprintf(why, whylen, "anon_user %s does not exist",
		    cfg->anon_user);
		return -1;
	}
	return fill_from_pw(pw, root, r);
}

int
auth_users_parse(char *line, const char *user, const char **hash,
    struct auth_result *r)
{
	char *f[USERS_FILE_NFIELDS];
	unsigned long long uid, gid;

	if (users_file_split(line, f) < USERS_FILE_NFIELDS)
		return -1;
	f[USERS_FILE_SHELL][strcspn(f[USERS_FILE_SHELL], "\r\n")] = '\0';
	if (strcmp(f[USERS_FILE_NAME], user) != 0)
		return -1;
	if (parse_uint(f[USERS_FILE_UID], 0, USERS_FILE_ID_MAX, &uid) == -1 ||
	    parse_uint(f[USERS_FILE_GID], 0, USERS_FILE_ID_MAX, &gid) == -1 ||
	    !users_file_home_ok(f[USERS_FILE_HOME]))
		return -2;
	snprintf(r->name, sizeof(r->name), "%s", f[USERS_FILE_NAME]);
	r->uid = cfg->unprivileged ? getuid() : (uid_t)uid;
	r->gid = cfg->unprivileged ? getgid() : (gid_t)gid;
	if (snprintf(r->home, sizeof(r->home), "%s", f[USERS_FILE_HOME]) >=
	    (int)sizeof(r->home))
		return -2;
	r->virtual_user = 1;
	*hash = f[USERS_FILE_HASH];
	return 0;
}

int
auth_users_line(char *line, const char *user, const char *pass,
    struct auth_result *r)
{
	const char *hash;
	int rc;

	rc = auth_users_parse(line, user, &hash, r);
	if (rc != 0)
		return rc;
	return hash_matches(pass, hash) ? 0 : -3;
}

/* Read f up to and including the next newline (or to its end). */
static void
skip_rest_of_line(FILE *f)
{
	int c;

	do
		c = getc(f);
	while (c != EOF && c != '\n');
}

/* 1 matched, 0 not found, -1 found but wrong/bad. */
static int
check_users_file(const char *file, const char *user, const char *pass,
    int vouched, struct auth_result *r, char *why, size_t whylen)
{
	const char *hash;
	char line[USERS_FILE_LINE_MAX];
	FILE *f;
	int rc, res = 0;

	if (file[0] == '\0')
		return 0;
	f = fopen(file, "re");
	if (f == NULL) {
		snprintf(why, whylen, "users_file %s: %s", file,
		    strerror(errno));
		return 0;
	}
	while (res == 0 && fgets(line, sizeof(line), f) != NULL) {
		/* A line longer than the buffer would come back in pieces,
		 * and a piece must never count as a line of its own: the
		 * whole line is skipped. */
		if (strchr(line, '\n') == NULL && !feof(f)) {
			skip_rest_of_line(f);
			log_msg(LOG_WARNING, "users_file %s: a line longer "
			    "than %d bytes skipped", file,
			    USERS_FILE_LINE_MAX - 1);
			continue;
		}
		if (line[0] == USERS_FILE_COMMENT)
			continue;
		rc = vouched ? auth_users_parse(line, user, &hash, r) :
		    auth_users_line(line, user, pass, r);
		if (rc == 0 && vouched && hash_locks(hash)) {
			snprintf(why, whylen, "account locked (virtual user)");
			res = -1;
		} else if (rc == 0)
			res = 1;
		else if (rc == -2) {
			snprintf(why, whylen, "bad users_file line for %s",
			    user);
			res = -1;
		} else if (rc == -3) {
			snprintf(why, whylen, "wrong password (virtual user)");
			res = -1;
		}
	}
	explicit_bzero(line, sizeof(line));
	(void)fclose(f);
	return res;
}

/*
 * Shadow aging, as pam_unix's account check applies it to every other
 * way into the system: an account past its expiry date (chage -E), or a
 * password that must be changed (passwd -e, or older than its maximum
 * age) cannot log in, since FTP has no way to change it.  Dates are days
 * since 1970 in UTC; -1 means unset.  NULL when the login may go on.
 */
static const char *
shadow_aging_refuses(const struct spwd *sp)
{
	long today = (long)(time(NULL) / 86400);

	if (sp->sp_expire != -1 && today >= sp->sp_expire)
		return "account expired";
	if (sp->sp_lstchg == 0)
		return "password must be changed first";
	if (sp->sp_max != -1 && sp->sp_lstchg > 0 &&
	    today - sp->sp_lstchg > sp->sp_max)
		return "password expired";
	return NULL;
}

/* The system's accounts (passwd, shadow): a SRC_* result. */
static int
check_system(const char *user, const char *pass, int vouched,
    struct auth_result *r, char *why, size_t whylen)
{
	const char *aged;
	struct passwd *pw;
	struct spwd *sp;
	const char *hash;

	if (cfg->unprivileged || (pw = getpwnam(user)) == NULL) {
		snprintf(why, whylen, "no such user");
		return SRC_NONE;
	}
	sp = getspnam(user);
	hash = sp != NULL ? sp->sp_pwdp : pw->pw_passwd;
	if (vouched ? hash_locks(hash) : !hash_matches(pass, hash)) {
		snprintf(why, whylen, vouched ? "account locked" :
		    "wrong password");
		return SRC_REFUSED;
	}
	if (sp != NULL && (aged = shadow_aging_refuses(sp)) != NULL) {
		snprintf(why, whylen, "%s: %s", user, aged);
		return SRC_REFUSED;
	}
	if (!sysacct_shell_ok(pw->pw_shell != NULL ? pw->pw_shell : "")) {
		snprintf(why, whylen, "shell %s not in /etc/shells",
		    pw->pw_shell);
		return SRC_REFUSED;
	}
	if (fill_from_pw(pw, pw->pw_dir, r) == -1 || sysacct_groups(r) == -1) {
		snprintf(why, whylen, "cannot look up the groups of %s", user);
		return SRC_REFUSED;
	}
	return SRC_MATCH;
}

/* sql and ldap: the account service describes, acct_check judges, and
 * the hash is checked here unless the source checked the password. */
static int
check_service(unsigned source, const struct auth_login *l,
    struct auth_result *r, char *why, size_t whylen)
{
	struct acct_record rec;
	enum acct_status st;
	int rc = SRC_REFUSED;

	st = acct_ask(source, l->user, l->vh != NULL ? l->vh->name : "",
	    l->client, source == SRC_LDAP && cfg->ldap_auth ==
	    LDAP_AUTH_BIND ? l->pass : "", &rec, why, whylen);
	if (st == ACCT_UNKNOWN)
		rc = SRC_NONE;
	else if (st == ACCT_UNAVAILABLE)
		rc = SRC_DOWN;
	else if (st == ACCT_FOUND && acct_check(l->user, &rec, r, why,
	    whylen) == 0) {
		if (l->vouched && source == SRC_LDAP && cfg->ldap_auth ==
		    LDAP_AUTH_BIND)
			snprintf(why, whylen, "ldap_auth = bind needs the "
			    "password");
		else if (l->vouched || rec.verified ||
		    hash_matches(l->pass, rec.hash))
			rc = SRC_MATCH;
		else
			snprintf(why, whylen, "wrong password (%s)", source ==
			    SRC_SQL ? "sql" : "ldap");
	}
	explicit_bzero(&rec, sizeof(rec));
	return rc;
}

static int
check_source(enum acct_source src, const struct auth_login *l,
    struct auth_result *r, char *why, size_t whylen)
{
	switch (src) {
	case SRC_FILE:
		return check_users_file(l->vh != NULL ? l->vh->users_file :
		    cfg->users_file, l->user, l->pass, l->vouched, r, why,
		    whylen);
	case SRC_SYSTEM:
		return check_system(l->user, l->pass, l->vouched, r, why,
		    whylen);
	case SRC_PAM:
		if (l->vouched) {
			snprintf(why, whylen, "pam needs the password");
			return SRC_REFUSED;
		}
		return pam_check(l->user, l->pass, l->client, r, why, whylen);
	case SRC_SQL:
	case SRC_LDAP:
		return check_service(src, l, r, why, whylen);
	}
	return SRC_REFUSED;
}

/*
 * The accounts chain: each source in turn until one knows the name.  A
 * source that knows it decides (a wrong password never falls through to
 * the next one, which would be a second guess at another hash); one
 * that cannot be reached stops the chain too, since a later source must
 * not let in a name the earlier one might have refused.
 */
int
auth_check(const struct auth_login *l, struct auth_result *r, char *why,
    size_t whylen)
{
	const char *helper;
	size_t i;
	int rc;

	auth_result_clear(r);	/* from an earlier attempt of this session */
	why[0] = '\0';
	if (auth_in_deny_file(l->user)) {
		snprintf(why, whylen, "listed in deny_file %s", cfg->deny_file);
		return AUTH_REFUSED;
	}
	if (auth_is_anonymous(l->user, l->vh))
		return check_anonymous(l->vh, r, why, whylen);
	for (i = 0; i < cfg->acct_nchain; i++) {
		rc = check_source(cfg->acct_chain[i], l, r, why, whylen);
		if (rc == SRC_NONE)
			continue;
		if (rc == SRC_MATCH && !cfg->unprivileged &&
		    (helper = config_helper_uid((unsigned)r->uid)) != NULL) {
			snprintf(why, whylen, "uid %u is %s's",
			    (unsigned)r->uid, helper);
			rc = SRC_REFUSED;
		}
		r->source = (int)cfg->acct_chain[i];
		return rc == SRC_MATCH ? AUTH_OK : rc == SRC_DOWN ?
		    AUTH_UNAVAILABLE : AUTH_REFUSED;
	}
	snprintf(why, whylen, "no such user");
	return AUTH_REFUSED;
}
