-- ftpd-accounts.sql - the account tables of ftpd (accounts = sql).
--
-- Loads unchanged into SQLite 3, PostgreSQL and MariaDB/MySQL:
--   sqlite3 /var/lib/ftpd/accounts.db < ftpd-accounts.sql
--   psql -d ftp -f ftpd-accounts.sql
--   mariadb ftp < ftpd-accounts.sql
-- Only types and clauses the three share are used: truth values are
-- integers (1 yes, 0 no), sizes are BIGINT, text is VARCHAR.
--
-- ftp_accounts: one row per login name.  password is a crypt(3) hash
-- (ftpasswd makes one: ftpasswd -b sqlite:PATH NAME ...).  The columns
-- after enabled carry the per-user policy; NULL means "the server's
-- setting".
CREATE TABLE IF NOT EXISTS ftp_accounts (
    name          VARCHAR(255)  NOT NULL PRIMARY KEY,
    password      VARCHAR(255)  NOT NULL,
    uid           INTEGER       NOT NULL,
    gid           INTEGER       NOT NULL,
    home          VARCHAR(1024) NOT NULL,
    enabled       INTEGER       NOT NULL DEFAULT 1,
    quota_bytes   BIGINT        NULL,
    quota_files   BIGINT        NULL,
    rate_up       BIGINT        NULL,
    rate_down     BIGINT        NULL,
    max_sessions  INTEGER       NULL,
    allow_from    VARCHAR(1024) NULL,
    permissions   VARCHAR(255)  NULL,
    tls_required  INTEGER       NULL,
    start_dir     VARCHAR(1024) NULL
);

-- ftp_quota_tally: what each account stores now, kept by the privileged
-- side so that every node of a cluster counts against one tally.
CREATE TABLE IF NOT EXISTS ftp_quota_tally (
    name          VARCHAR(255)  NOT NULL PRIMARY KEY,
    bytes_used    BIGINT        NOT NULL DEFAULT 0,
    files_used    BIGINT        NOT NULL DEFAULT 0
);

-- ftp_bans: addresses banned for failed logins (bans_shared = yes),
-- seen by every node until expires (seconds since 1970, UTC); node is
-- the host name of the node that banned, reason why.
CREATE TABLE IF NOT EXISTS ftp_bans (
    address       VARCHAR(64)   NOT NULL PRIMARY KEY,
    expires       BIGINT        NOT NULL,
    node          VARCHAR(255)  NULL,
    reason        VARCHAR(255)  NULL
);
