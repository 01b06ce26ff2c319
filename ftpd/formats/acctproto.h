/*
 * acctproto.h - the messages between the authentication child  (priv/,
 * root) and the account service (accounts/, unprivileged).
 *
 * One connection per question, over a SOCK_SEQPACKET Unix socket with
 * the framing of common/ipc.h: one ACCT_LOOKUP and one ACCT_ANSWER per
 * login attempt (the authentication child), or one ACCT_TALLY and one
 * ACCT_TALLY_ANSWER per change to an SQL account's quota tally (the
 * monitor, which never talks to a database itself).
 * The service is a parser of database and directory bytes, so the
 * root side trusts nothing in an answer beyond its length checks until
 * acct_record_check (priv/acct_check.c) has judged the record.
 */
#ifndef FTPD_ACCTPROTO_H
#define FTPD_ACCTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"

enum acct_msg {
	ACCT_LOOKUP = 1,	/* u32 source (SRC_SQL, SRC_LDAP), str user,
				 * str host (RFC 7151, "" without HOST),
				 * str client ip, str password (only for
				 * ldap_auth = bind, else "") */
	ACCT_ANSWER,		/* u32 status, str why, then with ACCT_FOUND:
				 * str name, str hash, u64 uid, u64 gid,
				 * str home, u32 enabled, u32 verified,
				 * str uid name, str gid name, u32 mask of
				 * the plan values set, str each set value
				 * in plan_keys.def order */
	ACCT_TALLY,		/* u32 op (ACCT_TALLY_*), str name, u32 signs
				 * (bit 0 bytes, bit 1 files negative), u64
				 * bytes, u64 files, u64 quota bytes, u64
				 * quota files (0: none) */
	ACCT_TALLY_ANSWER,	/* u32 status, str why, u64 granted bytes,
				 * u64 granted files, u64 used bytes, u64
				 * used files */
	ACCT_BAN_ADD,		/* (bans_shared, the master) struct
				 * acct_ban: u32 family, u64 x2 address,
				 * u64 until; answered with ACCT_BAN_LIST */
	ACCT_BAN_LIST,		/* (bans_shared, the master) u64 now */
	ACCT_BAN_LIST_ANSWER,	/* u32 status, str why, u32 count (at most
				 * ACCT_BANS_MAX), count struct acct_ban */
};

enum acct_status {
	ACCT_FOUND = 0,		/* one record; verified: the source checked
				 * the password itself (LDAP bind) */
	ACCT_UNKNOWN,		/* no such account here: the next source */
	ACCT_REFUSED,		/* wrong password (bind), two records, a bad
				 * value: 530, the chain stops */
	ACCT_UNAVAILABLE,	/* the backend is down, slow or answered
				 * garbage: 421, no failure counted */
};

#define ACCT_NAME_MAX	256
#define ACCT_HASH_MAX	512
#define ACCT_HOME_MAX	4096
#define ACCT_WHY_MAX	512
#define ACCT_PASS_MAX	4097
#define ACCT_IDNAME_MAX	33	/* a user or group name in uid/gid */

/* An account as a source describes it, before any check. */
struct acct_record {
	char		name[ACCT_NAME_MAX];
	char		hash[ACCT_HASH_MAX];	/* crypt(3); "" if verified */
	uint64_t	uid, gid;
	char		home[ACCT_HOME_MAX];
	uint32_t	enabled;	/* 0: the account is switched off */
	uint32_t	verified;	/* the source checked the password */
	/* uid/gid given as names (a panel's web user): looked up by the
	 * root side in the system's databases; "" when numeric. */
	char		uid_name[ACCT_IDNAME_MAX];
	char		gid_name[ACCT_IDNAME_MAX];
	/* The account's own plan values (quota_bytes ... start_dir
	 * columns), as text, checked by plan_check; plan_set has bit k
	 * for each value the row carries (NULL columns are unset). */
	uint32_t	plan_set;
	char		plan[PLAN_NKEYS][PLAN_TEXT_MAX];
};

/*
 * The quota tally of an SQL account: its row of ftp_quota_tally, shared
 * by every node that uses the database.  Each change is one conditional
 * statement, so two nodes reserving at once never both pass the quota.
 */
enum acct_tally_op {
	ACCT_TALLY_READ = 0,	/* ACCT_FOUND with the row, or ACCT_UNKNOWN */
	ACCT_TALLY_INIT,	/* make the row with bytes and files (counted
				 * from disk) unless it exists meanwhile */
	ACCT_TALLY_RESERVE,	/* files whole or not at all, bytes as many
				 * as fit the quota */
	ACCT_TALLY_ADJUST,	/* add signed bytes and files, never below 0 */
};
#define ACCT_TALLY_MAX	(1ULL << 62)	/* any count or change */

struct acct_tally_req {
	uint32_t		op;
	char			name[ACCT_NAME_MAX];
	long long		bytes, files;	/* signed for ADJUST only */
	uint64_t		max_bytes, max_files;
};

struct acct_tally_ans {
	enum acct_status	status;	/* ACCT_FOUND: done */
	char			why[ACCT_WHY_MAX];
	uint64_t		got_bytes, got_files;	/* RESERVE */
	uint64_t		used_bytes, used_files;	/* after it */
};

/*
 * Shared bans (bans_shared = yes): rows of ftp_bans, one per address.
 * The service turns the database's text into these binary entries; the
 * master only checks their ranges.  IPv4 addresses fill the first 4
 * bytes of addr, the rest are zero.
 */
#define ACCT_BANS_MAX	1024	/* entries in one list: 33 KiB < IPC_MAX */
#define ACCT_BAN_UNTIL_MAX	(1ULL << 40)	/* year 36812: a sane bound */

struct acct_ban {
	uint32_t	family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	uint64_t	until;		/* seconds since 1970 */
};

struct acct_ban_list {
	enum acct_status	status;	/* ACCT_FOUND: bans is the list */
	char			why[ACCT_WHY_MAX];
	uint32_t		n;
	struct acct_ban		bans[ACCT_BANS_MAX];
};

struct buf;

/* Encode/decode one ban (an ACCT_BAN_ADD payload) or a list (an
 * ACCT_BAN_LIST_ANSWER).  0, or -1 (length, family or until out of
 * range). */
int	acct_put_ban(struct buf *b, const struct acct_ban *ban);
int	acct_get_ban(const struct buf *b, struct acct_ban *ban);
int	acct_put_ban_list(struct buf *b, const struct acct_ban_list *l);
int	acct_get_ban_list(const struct buf *b, struct acct_ban_list *l);

/* Encode/decode an ACCT_TALLY or ACCT_TALLY_ANSWER payload.  0, or -1
 * (too long/short, a value out of range). */
int	acct_put_tally(struct buf *b, const struct acct_tally_req *rq);
int	acct_get_tally(const struct buf *b, struct acct_tally_req *rq);
int	acct_put_tally_answer(struct buf *b, const struct acct_tally_ans *a);
int	acct_get_tally_answer(const struct buf *b, struct acct_tally_ans *a);

/* Encode/decode an ACCT_ANSWER payload.  0, or -1 (too long/short). */
int	acct_put_answer(struct buf *b, enum acct_status st, const char *why,
	    const struct acct_record *r);
int	acct_get_answer(const struct buf *b, enum acct_status *st, char *why,
	    size_t whylen, struct acct_record *r);

/*
 * The abstract Unix socket name of this server's account service
 * (without the leading NUL), chosen by the master at start: its pid and
 * random bytes, so no other process can claim it first.
 */
#define ACCT_SOCK_NAME_MAX	64

#endif
