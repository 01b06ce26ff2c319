"""test_accounts_mysql.py - accounts = sql with sql_driver = mysql, against
a real MariaDB started for each test (mariadb_server.py).

Logins and transfers of an SQL account, the chain (unknown names fall
through, a wrong password stops), what the store may not say (disabled,
two rows, uid 0, another name's row), SQL injection through USER, and
what a sick database costs: 421, not 530, no failure counted, and the
logins come back by themselves when the database does.
"""

import ftplib
import io
import os
import threading
import time

from harness import (SLOW, VUSER_GID, VUSER_UID, RawControl, Server, check,
                     crypt_hash, greeting_line, is_root, make_file,
                     random_name, run, sha256_file)
from mariadb_server import MariaDB, sql_str

PASSWORD = "Sql-pw-4711"
DEFAULT_COLS = "name, password, uid, gid, home, enabled"


def sql_server(db, conf=None, users=None, tcp=False):
    """A Server (not started) whose accounts come from db, then from its
    users_file when users are given."""
    keys = {"accounts": "sql, file" if users else "sql",
            "sql_driver": "mysql", "sql_dsn": db.dsn(tcp=tcp),
            "accounts_timeout": 5}
    keys.update(conf or {})
    srv = Server(users=users, conf=keys)
    srv.keys["sql_password_file"] = str(db.password_file(srv.tmp))
    return srv


def sql_home(srv, name):
    """A home for an SQL account in srv.tmp, owned by the account's ids."""
    home = srv.homes / name
    home.mkdir(parents=True, exist_ok=True)
    if is_root():
        os.chown(home, srv.vuid, srv.vgid)
    return home


def add(db, srv, name, password=PASSWORD, **cols):
    cols.setdefault("uid", srv.vuid)
    cols.setdefault("gid", srv.vgid)
    home = cols.pop("home", None) or sql_home(srv, name)
    db.add_account(name, password, home=home, **cols)
    return home


def login_code(srv, user, password, timeout=30):
    """(code, text) of USER + PASS on a fresh connection; (None, why) if
    the server closed it instead of answering."""
    try:
        with RawControl("127.0.0.1", srv.port, timeout * SLOW) as c:
            code, text = c.reply()
            check(code == 220, f"greeting {code} {text!r}")
            code, text = c.cmd(b"USER " + (user if isinstance(user, bytes)
                                           else user.encode()))
            if code != 331:
                return code, text
            return c.cmd(f"PASS {password}")
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        return None, f"closed: {e}"


def expect_login(srv, user, password, want, what):
    code, text = login_code(srv, user, password)
    check(code == want, f"{what}: expected {want}, got {code} {text!r}")
    return text


def test_mysql_login_transfer():
    """An SQL account logs in, uploads and downloads (ftplib and curl),
    and its files belong to the uid the row gives."""
    with MariaDB() as db:
        srv = sql_server(db)
        with srv:
            name = random_name("sq")
            home = add(db, srv, name)
            src = srv.tmp / "up.bin"
            digest = make_file(src, 3 << 20)
            f = srv.ftp(name, PASSWORD)
            try:
                check(f.pwd() == "/", f"not chrooted: {f.pwd()!r}")
                with open(src, "rb") as fh:
                    f.storbinary("STOR up.bin", fh)
                f.quit()
            finally:
                f.close()
            check(sha256_file(home / "up.bin") == digest, "upload differs")
            if is_root():
                st = os.stat(home / "up.bin")
                check((st.st_uid, st.st_gid) == (VUSER_UID, VUSER_GID),
                      f"upload owned by {st.st_uid}:{st.st_gid}")
            out = srv.tmp / "down.bin"
            run(["curl", "-sS", "--max-time", "60", "-o", out,
                 srv.url("up.bin", name, PASSWORD)])
            check(sha256_file(out) == digest, "download differs")


def test_mysql_login_tcp():
    """The same over TCP to 127.0.0.1 (host= port= in sql_dsn)."""
    with MariaDB() as db:
        srv = sql_server(db, tcp=True)
        with srv:
            name = random_name("sq")
            home = add(db, srv, name)
            data = os.urandom(100000)
            (home / "f.bin").write_bytes(data)
            srv.give(name)
            f = srv.ftp(name, PASSWORD)
            try:
                got = []
                f.retrbinary("RETR f.bin", got.append)
                check(b"".join(got) == data, "download over TCP DSN")
                f.quit()
            finally:
                f.close()


def test_mysql_wrong_password_stops():
    """A wrong password is 530, and the chain stops there: the same name
    in users_file with that password does not log in."""
    with MariaDB() as db:
        srv = sql_server(db, users={"shared": "File-pw-1"})
        with srv:
            add(db, srv, "shared")
            expect_login(srv, "shared", "wrong", 530, "wrong password")
            expect_login(srv, "shared", "File-pw-1", 530,
                         "file password for an SQL account")
            expect_login(srv, "shared", PASSWORD, 230, "right password")


def test_mysql_unknown_falls_through():
    """accounts = sql, file: a name the database does not know is
    looked up in users_file."""
    with MariaDB() as db:
        srv = sql_server(db, users={"fileonly": "File-pw-2"})
        with srv:
            add(db, srv, "inbase")
            f = srv.ftp("fileonly", "File-pw-2")
            f.quit()
            f.close()
            expect_login(srv, "inbase", PASSWORD, 230, "SQL account")
            expect_login(srv, "nowhere", "x", 530, "unknown everywhere")


def test_mysql_disabled_account():
    with MariaDB() as db:
        srv = sql_server(db)
        with srv:
            add(db, srv, "sleeper", enabled=0)
            expect_login(srv, "sleeper", PASSWORD, 530, "enabled = 0")
            db.sql("UPDATE ftp_accounts SET enabled = 1 "
                   "WHERE name = 'sleeper';")
            expect_login(srv, "sleeper", PASSWORD, 230, "enabled again")


def test_mysql_injection():
    """USER values that would change a query pasted together are only
    names that do not exist: 530, the table as it was, and the real
    account still logs in.  So are other spellings of a name that
    MariaDB's collation would match (case, trailing spaces)."""
    with MariaDB() as db:
        srv = sql_server(db, conf={"ban_after": 0, "login_attempts": 100})
        with srv:
            add(db, srv, "alice")
            before = db.accounts()
            attempts = ["x' OR '1'='1", "x' OR '1'='1' -- ", "a\\' --",
                        "alice' -- ", "alice'#", "' UNION SELECT "
                        "'alice', password, 47001, 47001, '/', 1 FROM "
                        "ftp_accounts -- ", "alice\\", "%", "alice%",
                        "x'; DROP TABLE ftp_accounts; --", '" OR ""="',
                        "ALICE", "Alice", "alice "]
            for user in attempts:
                expect_login(srv, user, PASSWORD, 530, f"USER {user!r}")
            expect_login(srv, "alice", "' OR '1'='1", 530, "PASS quote")
            check(db.accounts() == before, f"table changed: {db.accounts()}")
            check(db.sql("SELECT COUNT(*) FROM ftp_bans;").strip() == "0",
                  "ftp_bans touched")
            expect_login(srv, "alice", PASSWORD, 230, "alice after")
            check("column name" in srv.log(),
                  "the ALICE row refusal is not logged")


def test_mysql_two_rows():
    """A query that finds two rows for a name is refused, and logged."""
    with MariaDB() as db:
        query = (f"SELECT {DEFAULT_COLS} FROM ftp_accounts WHERE name = :user"
                 f" UNION ALL SELECT {DEFAULT_COLS} FROM ftp_accounts "
                 f"WHERE name = :user AND name LIKE 'twin%'")
        srv = sql_server(db, conf={"sql_user_query": query})
        with srv:
            add(db, srv, "twin")
            add(db, srv, "single")
            expect_login(srv, "twin", PASSWORD, 530, "two rows")
            check("two rows for twin" in srv.log(), "two rows not logged")
            # The connection is still good for the next lookup.
            expect_login(srv, "single", PASSWORD, 230, "one row")


def test_mysql_uid_zero_refused():
    with MariaDB() as db:
        srv = sql_server(db)
        with srv:
            add(db, srv, "toor", uid=0, gid=0)
            add(db, srv, "lowgid", gid=0)
            expect_login(srv, "toor", PASSWORD, 530, "uid 0")
            expect_login(srv, "lowgid", PASSWORD, 530, "gid 0")
            check("uid" in srv.log(), "uid 0 refusal not logged")


def test_mysql_bad_values_refused():
    """NULLs, negative ids and values too long for their buffer are
    refused with a log line naming the column, not cut or guessed; the
    next account still works."""
    with MariaDB() as db:
        query = ("SELECT name, password, uid, gid, home, enabled, "
                 "IF(name = 'long', REPEAT('y', 5000), NULL) AS extra "
                 "FROM ftp_accounts WHERE name = :user")
        srv = sql_server(db, conf={"sql_user_query": query})
        with srv:
            db.sql("ALTER TABLE ftp_accounts MODIFY home VARCHAR(1024) "
                   "NULL;")
            add(db, srv, "neguid", uid=-5)
            add(db, srv, "neggid", gid=-1)
            add(db, srv, "nohome")
            db.sql("UPDATE ftp_accounts SET home = NULL "
                   "WHERE name = 'nohome';")
            add(db, srv, "long")
            add(db, srv, "fine")
            for user, col in (("neguid", "column uid"),
                              ("neggid", "column gid"),
                              ("nohome", "column home: NULL"),
                              ("long", "column extra: longer than")):
                expect_login(srv, user, PASSWORD, 530, user)
                check(col in srv.log(), f"{user}: no log line with {col!r}")
            expect_login(srv, "fine", PASSWORD, 230, "fine")


def _no_ban(srv):
    """The address is not banned: a new connection is greeted with 220
    (the master learns of failures when it reaps a monitor)."""
    time.sleep(1)
    data = greeting_line(srv.port, timeout=20)
    check(data.startswith(b"220"), f"banned or refused: {data!r}")


def test_mysql_database_down_then_back():
    """The database stops: 421 (not 530), no failed login counted (no
    ban after more attempts than ban_after); it starts again: logins work
    within 30 s, without restarting ftpd."""
    with MariaDB() as db:
        srv = sql_server(db, conf={"ban_after": 2, "login_attempts": 1,
                                   "ban_seconds": 600})
        with srv:
            add(db, srv, "steady")
            expect_login(srv, "steady", PASSWORD, 230, "before")
            db.stop()
            for i in range(4):
                t0 = time.monotonic()
                code, text = login_code(srv, "steady", PASSWORD)
                check(code == 421, f"database down, attempt {i}: "
                      f"{code} {text!r}")
                check(time.monotonic() - t0 < 10 * SLOW,
                      "a down database took over 10 s to answer")
            _no_ban(srv)
            check("mysql" in srv.log(), "no log line names the backend")
            db.start()
            deadline = time.monotonic() + 30 * SLOW
            codes = []
            while True:
                code, _ = login_code(srv, "steady", PASSWORD)
                codes.append(code)
                if code == 230:
                    break
                check(code == 421, f"while recovering: {codes}")
                check(time.monotonic() < deadline,
                      f"no login within 30 s of the restart: {codes}")
                time.sleep(0.5)
            _no_ban(srv)


def test_mysql_slow_query_deadline():
    """A query slower than accounts_timeout costs the client 421 after
    about that long, not a hung login; others are not stuck behind it."""
    with MariaDB() as db:
        query = (f"SELECT {DEFAULT_COLS}, IF(name = 'slow', SLEEP(10), 0) "
                 f"AS pause FROM ftp_accounts WHERE name = :user")
        srv = sql_server(db, conf={"sql_user_query": query,
                                   "accounts_timeout": 2})
        with srv:
            add(db, srv, "slow")
            add(db, srv, "quick")
            t0 = time.monotonic()
            code, text = login_code(srv, "slow", PASSWORD)
            dt = time.monotonic() - t0
            check(code == 421, f"slow query gave {code} {text!r}")
            check(1.5 <= dt <= 4.5 * SLOW, f"421 after {dt:.1f}s, not ~2s")
            check("deadline" in srv.log(), "no log line for the deadline")
            expect_login(srv, "quick", PASSWORD, 230, "after the slow one")


def test_mysql_wrong_sql_password():
    """A wrong database password: the service cannot connect, every
    login is 421 (the administrator's fault, not the client's)."""
    with MariaDB() as db:
        srv = sql_server(db)
        db.password_file(srv.tmp, password="not-" + db.password)
        with srv:
            add(db, srv, "someone")
            code, text = login_code(srv, "someone", PASSWORD)
            check(code == 421, f"wrong SQL password: {code} {text!r}")
            check("Access denied" in srv.log(), "connect error not logged")


def test_mysql_bad_query_unavailable():
    """sql_user_query with an SQL error: 421 and the error logged."""
    with MariaDB() as db:
        srv = sql_server(db, conf={"sql_user_query": "SELEKT password "
                                   "FROM ftp_accounts WHERE name = :user"})
        with srv:
            add(db, srv, "someone")
            code, text = login_code(srv, "someone", PASSWORD)
            check(code == 421, f"bad query: {code} {text!r}")
            check("SQL syntax" in srv.log(), "SQL error not logged")


def test_mysql_panel_table():
    """A hosting panel's own table (pure-ftpd-mysql's users, as
    CyberPanel keeps it), read through the README's sql_user_query."""
    with MariaDB() as db:
        query = ("SELECT User AS name, Password AS password, Uid AS uid, "
                 "Gid AS gid, Dir AS home, Status AS enabled "
                 "FROM users WHERE User = :user")
        srv = sql_server(db, conf={"sql_user_query": query})
        home = sql_home(srv, "webmaster")
        db.sql("CREATE TABLE users (User VARCHAR(32) NOT NULL PRIMARY KEY,"
               " Password VARCHAR(255) NOT NULL, Uid VARCHAR(11) NOT NULL,"
               " Gid VARCHAR(11) NOT NULL, Dir VARCHAR(255) NOT NULL,"
               " Status ENUM('0', '1') NOT NULL DEFAULT '1');"
               f"GRANT SELECT ON ftp.users TO 'ftpd'@'localhost';")
        db.sql("INSERT INTO users VALUES ('webmaster', "
               f"{sql_str(crypt_hash(PASSWORD))}, '{srv.vuid}', "
               f"'{srv.vgid}', {sql_str(str(home))}, '1'), ('parked', "
               f"{sql_str(crypt_hash(PASSWORD))}, '{srv.vuid}', "
               f"'{srv.vgid}', {sql_str(str(home))}, '0');")
        with srv:
            data = os.urandom(50000)
            f = srv.ftp("webmaster", PASSWORD)
            try:
                f.storbinary("STOR site.bin", io.BytesIO(data))
                f.quit()
            finally:
                f.close()
            check((home / "site.bin").read_bytes() == data, "panel upload")
            expect_login(srv, "parked", PASSWORD, 530, "Status '0'")
            expect_login(srv, "WebMaster", PASSWORD, 530, "another case")


def test_mysql_dsn_unknown_key():
    """A misspelt sql_dsn key is not ignored: 421, and the log names it."""
    with MariaDB() as db:
        srv = sql_server(db)
        srv.keys["sql_dsn"] = db.dsn().replace("database=", "databse=")
        with srv:
            add(db, srv, "someone")
            code, text = login_code(srv, "someone", PASSWORD)
            check(code == 421, f"bad sql_dsn: {code} {text!r}")
            check('unknown key "databse"' in srv.log(),
                  "the unknown key is not named in the log")


def test_mysql_pool_bounds_connections():
    """40 logins at once with accounts_pool = 2: all succeed, and
    MariaDB never sees more than 2 connections of the ftpd user."""
    with MariaDB() as db:
        srv = sql_server(db, conf={"accounts_pool": 2, "max_per_ip": 200})
        codes, peak = [], [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                n = db.sql("SELECT COUNT(*) FROM information_schema."
                           "PROCESSLIST WHERE USER = 'ftpd';").strip()
                peak[0] = max(peak[0], int(n or 0))
                time.sleep(0.05)

        def one():
            codes.append(login_code(srv, "many", PASSWORD)[0])

        with srv:
            add(db, srv, "many")
            w = threading.Thread(target=watch)
            w.start()
            try:
                ts = [threading.Thread(target=one) for _ in range(40)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join(120)
            finally:
                stop.set()
                w.join(30)
        check(codes.count(230) == 40, f"logins: {codes}")
        check(1 <= peak[0] <= 2, f"{peak[0]} connections for a pool of 2")


def test_mysql_ftplib_error_classes():
    """What a client library makes of it: a wrong password is permanent
    (error_perm), a down database temporary (error_temp)."""
    with MariaDB() as db:
        srv = sql_server(db)
        with srv:
            add(db, srv, "lib")
            f = srv.ftp(login=False)
            try:
                try:
                    f.login("lib", "nope")
                    check(False, "wrong password logged in")
                except ftplib.error_perm:
                    pass
            finally:
                f.close()
            db.stop()
            f = srv.ftp(login=False)
            try:
                try:
                    f.login("lib", PASSWORD)
                    check(False, "logged in with the database down")
                except ftplib.error_temp:
                    pass
                except (EOFError, OSError):
                    pass
            finally:
                f.close()
