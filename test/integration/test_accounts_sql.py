"""Accounts in SQL (accounts = sql): SQLite and a real PostgreSQL.

The account service (ftpd-accounts) looks each login up in the database;
these tests drive real clients through it and check what a hosting
provider relies on: logins and transfers, the chain's order, refusals
that name the field in the log, injection that cannot work, an outage
answered with 421 (never 530, never a ban) and recovered from without a
restart, a query past its deadline, and a pool that bounds connections.
"""

import ftplib
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from harness import (FTPD, Server, Skip, check, crypt_hash, make_file, run,
                     sha256_file, is_root, random_name)
from pg_server import PostgresServer, SCHEMA

SERVICE_UID = 65532         # account_user's default


def sqlite_db(srv, accounts):
    """An SQLite accounts database in srv.tmp from the shipped schema,
    with accounts [(name, password, uid, gid, home, enabled)]; readable
    and writable by the account service."""
    path = srv.tmp / "accounts.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.read_text())
    for a in accounts:
        add_sqlite(db, *a)
    db.commit()
    db.close()
    if is_root():
        os.chown(path, SERVICE_UID, SERVICE_UID)
    return path


def add_sqlite(db, name, password, uid, gid, home, enabled=1):
    db.execute("INSERT INTO ftp_accounts (name, password, uid, gid, home, "
               "enabled) VALUES (?, ?, ?, ?, ?, ?)",
               (name, crypt_hash(password) if password else "", uid, gid,
                str(home), enabled))


def make_home(srv, name):
    home = srv.homes / name
    home.mkdir(parents=True, exist_ok=True)
    if is_root():
        os.chown(home, srv.vuid, srv.vgid)
    return home


def login_code(srv, user, password):
    with srv.raw() as c:
        code, text = c.cmd(f"USER {user}")
        if code == 331:
            code, text = c.cmd(f"PASS {password}")
        return code, text


def transfer_round_trip(srv, user, password):
    """STOR a random file, RETR it back, compare by SHA-256."""
    src = srv.tmp / f"up-{user}.bin"
    digest = make_file(src, 300_000)
    f = srv.ftp(user, password)
    try:
        with open(src, "rb") as fh:
            f.storbinary("STOR up.bin", fh)
        out = srv.tmp / f"down-{user}.bin"
        with open(out, "wb") as fh:
            f.retrbinary("RETR up.bin", fh.write)
        f.quit()
    finally:
        f.close()
    check(sha256_file(out) == digest, "download differs from the upload")
    check(sha256_file(srv.homes / user / "up.bin") == digest,
          "file on disk differs")


def test_sqlite_login_transfer_and_refusals():
    srv = Server(users={"filer": "fpw"})
    homes = {n: make_home(srv, n) for n in ("alice", "carol", "zero",
                                            "dup")}
    db = sqlite_db(srv, [
        ("alice", "apw", srv.vuid, srv.vgid, homes["alice"], 1),
        ("carol", "cpw", srv.vuid, srv.vgid, homes["carol"], 0),
        ("zero", "zpw", 0, srv.vgid, homes["zero"], 1),
        ("nohome", "npw", srv.vuid, srv.vgid, srv.tmp / "missing", 1),
        ("relhome", "rpw", srv.vuid, srv.vgid, "home/relative", 1),
    ])
    srv.keys.update({"accounts": "sql, file", "sql_driver": "sqlite",
                     "sql_dsn": str(db), "login_attempts": "100",
                     "ban_after": "0"})
    with srv:
        transfer_round_trip(srv, "alice", "apw")
        r = run(["curl", "-sS", "--max-time", "30",
                 srv.url("up.bin", "alice", "apw"), "-o",
                 srv.tmp / "curl.bin"])
        check(sha256_file(srv.tmp / "curl.bin") ==
              sha256_file(homes["alice"] / "up.bin"), "curl download")
        code, _ = login_code(srv, "alice", "wrong")
        check(code == 530, f"wrong password gave {code}")
        # the file user is reached only because sql does not know it
        code, _ = login_code(srv, "filer", "fpw")
        check(code == 230, f"fall-through to users_file gave {code}")
        code, _ = login_code(srv, "carol", "cpw")
        check(code == 530, f"disabled account gave {code}")
        check("account carol is disabled" in srv.log(), "no log line for "
              "the disabled account")
        code, _ = login_code(srv, "zero", "zpw")
        check(code == 530, f"uid 0 gave {code}")
        check("zero: uid 0 may not log in" in srv.log(), "no uid 0 line")
        code, _ = login_code(srv, "nohome", "npw")
        check(code == 530, f"missing home gave {code}")
        check("nohome: home" in srv.log(), "no line for the missing home")
        code, _ = login_code(srv, "relhome", "rpw")
        check(code == 530, f"relative home gave {code}")
        check("is not an absolute path" in srv.log(), "no relative line")


def test_sqlite_injection_is_inert():
    """USER text is a bound value: quotes, comments and UNIONs in it
    match nothing, and the table is untouched."""
    srv = Server()
    home = make_home(srv, "alice")
    db = sqlite_db(srv, [("alice", "apw", srv.vuid, srv.vgid, home, 1)])
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db), "login_attempts": "100",
                     "ban_after": "0"})
    attempts = ["x' OR '1'='1", "alice' --", "alice'; DROP TABLE "
                "ftp_accounts; --", "' UNION SELECT password, uid, gid, "
                "home, enabled FROM ftp_accounts --", "alice\\",
                ":user", "alice%"]
    with srv:
        for a in attempts:
            code, _ = login_code(srv, a, "apw")
            check(code == 530, f"USER {a!r} gave {code}")
        code, _ = login_code(srv, "alice", "apw")
        check(code == 230, "alice refused after the attempts")
        rows = sqlite3.connect(db).execute(
            "SELECT name FROM ftp_accounts").fetchall()
        check(rows == [("alice",)], f"table changed: {rows}")


def test_sqlite_bad_rows_named_in_the_log():
    """Two rows for a name, a NULL where a value is needed, a negative
    uid, garbage in enabled: refused (530) with the field in the log."""
    srv = Server()
    home = make_home(srv, "bob")
    db = sqlite_db(srv, [])
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE extra (name TEXT, password TEXT, uid INTEGER, "
        "gid INTEGER, home TEXT, enabled TEXT);")
    h = crypt_hash("pw")
    rows = [("twice", h, srv.vuid, srv.vgid, str(home), "1"),
            ("twice", h, srv.vuid, srv.vgid, str(home), "1"),
            ("nullgid", h, srv.vuid, None, str(home), "1"),
            ("neg", h, -5, srv.vgid, str(home), "1"),
            ("garbage", h, srv.vuid, srv.vgid, str(home), "maybe"),
            ("bob", h, srv.vuid, srv.vgid, str(home), "true"),
            # a panel's names for the web user and group
            ("named", h, "nobody", "nogroup", str(home), "y"),
            ("ghost", h, "nosuchuserx", srv.vgid, str(home), "y")]
    con.executemany("INSERT INTO extra VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db), "login_attempts": "100",
                     "ban_after": "0",
                     "sql_user_query": "SELECT password, uid, gid, home, "
                     "enabled FROM extra WHERE name = :user"})
    with srv:
        for user, needle in [("twice", "more than one row"),
                             ("nullgid", "column gid: NULL"),
                             ("neg", "column uid: neither a number"),
                             ("garbage", "column enabled: not a truth"),
                             ("ghost", "uid nosuchuserx: no such user")]:
            code, _ = login_code(srv, user, "pw")
            check(code == 530, f"{user} gave {code}")
            check(needle in srv.log(), f"log lacks {needle!r}")
        code, _ = login_code(srv, "bob", "pw")
        check(code == 230, f"a good row refused: {code}")
        if is_root():
            code, _ = login_code(srv, "named", "pw")
            check(code == 230, f"uid/gid given by name refused: {code}")


def test_home_root_and_min_uid():
    srv = Server()
    inside = make_home(srv, "in")
    outside = srv.tmp / "elsewhere"
    outside.mkdir()
    db = sqlite_db(srv, [("in", "pw", srv.vuid, srv.vgid, inside, 1),
                         ("out", "pw", srv.vuid, srv.vgid, outside, 1),
                         ("low", "pw", 999, srv.vgid, inside, 1),
                         ("svc", "pw", SERVICE_UID, srv.vgid, inside, 1),
                         ("ev", "pw", 65533, srv.vgid, inside, 1),
                         ("met", "pw", 65531, srv.vgid, inside, 1)])
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db), "login_attempts": "100",
                     "ban_after": "0",
                     "accounts_home_root": str(srv.homes),
                     # The runner and the metrics process run, so no
                     # account may take their uids (65533, 65531).
                     "event_socket": str(srv.tmp / "ev.sock"),
                     "metrics_listen": str(srv.tmp / "met.sock")})
    with srv:
        check(login_code(srv, "in", "pw")[0] == 230, "home inside refused")
        check(login_code(srv, "out", "pw")[0] == 530, "home outside let in")
        check("not beneath accounts_home_root" in srv.log(), "no home line")
        if is_root():
            check(login_code(srv, "low", "pw")[0] == 530, "uid < min_uid")
            check("below min_uid" in srv.log(), "no min_uid line")
            check(login_code(srv, "svc", "pw")[0] == 530,
                  "account_user's uid let in")
            check(login_code(srv, "ev", "pw")[0] == 530,
                  "event_user's uid let in")
            check(login_code(srv, "met", "pw")[0] == 530,
                  "metrics_user's uid let in")
            check("is event_user's" in srv.log() and
                  "is metrics_user's" in srv.log(), "no helper-uid lines")


def test_unavailable_is_421_not_a_ban_and_recovers():
    """A database that cannot be read answers 421 (not 530), counts no
    failure toward bans, and once it is back logins work again without
    restarting ftpd; a query that lacks a required column is the
    administrator's fault: 421 too."""
    srv = Server()
    home = make_home(srv, "alice")
    db = sqlite_db(srv, [("alice", "apw", srv.vuid, srv.vgid, home, 1)])
    good = db.read_bytes()
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db), "login_attempts": "1",
                     "ban_after": "2"})
    with srv:
        check(login_code(srv, "alice", "apw")[0] == 230, "first login")
        # Overwritten in place (the service holds the file open).
        with open(db, "r+b") as f:
            f.write(b"this is not a database" * 200)
        for _ in range(4):
            code, text = login_code(srv, "alice", "apw")
            check(code == 421, f"database garbled gave {code} {text!r}")
        check("accounts: sqlite:" in srv.log(),
              "no log line naming the backend")
        with open(db, "r+b") as f:
            f.write(good)
        deadline = time.monotonic() + 30
        code = None
        while time.monotonic() < deadline:
            code, _ = login_code(srv, "alice", "apw")
            if code == 230:
                break
            time.sleep(0.5)
        check(code == 230, f"not recovered within 30 s: {code}")
        check("banned" not in srv.log(), "an outage banned the client")
    srv = Server()
    home = make_home(srv, "alice")
    db = sqlite_db(srv, [("alice", "apw", srv.vuid, srv.vgid, home, 1)])
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db), "sql_user_query":
                     "SELECT password, gid, home FROM ftp_accounts "
                     "WHERE name = :user"})
    with srv:
        code, _ = login_code(srv, "alice", "apw")
        check(code == 421, f"a query without uid gave {code}")
        check("column uid: missing" in srv.log(), "no line for the column")


def test_sql_needs_the_standalone_server_and_a_database():
    """ftpd -i cannot run the account service; a missing SQLite file is
    refused by ftpd -t, naming the key."""
    srv = Server()
    db = sqlite_db(srv, [])
    p = subprocess.run([str(FTPD), "-i", "-f", "/dev/null", "-o",
                        "tls=off", "-o", "accounts=sql", "-o",
                        f"sql_dsn={db}", "-o", "log=stderr"],
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    check(p.returncode == 1 and "standalone" in p.stderr,
          f"-i with sql: {p.returncode} {p.stderr!r}")
    p = subprocess.run([str(FTPD), "-t", "-f", "/dev/null", "-o",
                        "tls=off", "-o", "accounts=sql", "-o",
                        f"sql_dsn={srv.tmp}/none.db"], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 1 and "sql_dsn" in p.stderr and
          "No such file" in p.stderr, f"-t: {p.stderr!r}")
    shutil.rmtree(srv.tmp, ignore_errors=True)


def test_service_restarted_by_the_master():
    """Killing the account service: the master starts a new one and
    logins work again; a session already logged in goes on."""
    srv = Server()
    home = make_home(srv, "alice")
    make_file(home / "f.bin", 100_000)
    if is_root():
        os.chown(home / "f.bin", srv.vuid, srv.vgid)
    db = sqlite_db(srv, [("alice", "apw", srv.vuid, srv.vgid, home, 1)])
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db)})
    with srv:
        f = srv.ftp("alice", "apw")
        svc = service_pid(srv)
        check(svc is not None, "no ftpd-accounts process")
        os.kill(svc, 9)
        deadline = time.monotonic() + 20
        code = None
        while time.monotonic() < deadline:
            code, _ = login_code(srv, "alice", "apw")
            if code == 230:
                break
            time.sleep(0.3)
        check(code == 230, f"no login after the service died: {code}")
        check(service_pid(srv) not in (None, svc), "not restarted")
        got = bytearray()
        f.retrbinary("RETR f.bin", got.extend)
        check(len(got) == 100_000, "the logged-in session broke")
        f.quit()
        f.close()


def service_pid(srv):
    for pid in _children(srv.proc.pid):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if exe.endswith("ftpd-accounts"):
            return pid
    return None


def _children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def abstract_name(pid):
    """The service's abstract socket name (from /proc/net/unix)."""
    with open("/proc/net/unix") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 8 and parts[7].startswith(
                    f"@ftpd-accounts-{pid}-"):
                return parts[7][1:]
    return None


def test_only_ftpd_may_ask_the_service():
    """A process under another uid (what a compromised front or session
    would be) is refused by the service before it reads a byte."""
    if not is_root():
        raise Skip("needs root to act as another uid")
    srv = Server()
    home = make_home(srv, "alice")
    db = sqlite_db(srv, [("alice", "apw", srv.vuid, srv.vgid, home, 1)])
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db)})
    with srv:
        name = abstract_name(srv.proc.pid)
        check(name is not None, "no abstract socket found")
        code = (
            "import socket,struct,sys,os\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
            "s.settimeout(10)\n"
            f"s.connect('\\0{name}')\n"
            "def st(x): b=x.encode(); return struct.pack('=I',len(b))+b\n"
            "p=struct.pack('=I',3)+st('alice')+st('')+st('1.2.3.4')+st('')\n"
            "try:\n s.send(struct.pack('=I',1)+p)\n d=s.recv(65536)\n"
            "except OSError:\n d=b''\n"
            "print(len(d))\n")
        p = subprocess.run(["python3", "-c", code], capture_output=True,
                           timeout=30, text=True)
        check(p.stdout.strip() == "0", f"a stranger got an answer: "
              f"{p.stdout!r} {p.stderr[-500:]!r}")
        time.sleep(0.3)
        check("refused a connection from uid 65534" in srv.log(),
              "no log line for the stranger")


# ------------------------------------------------------------ PostgreSQL

def pg_server_with(srv, pg, **more):
    pg.load_schema()
    srv.keys.update(pg.ftpd_conf(**more))


def test_postgresql_login_transfer_outage_recovery():
    srv = Server(users={"filer": "fpw"})
    with PostgresServer() as pg:
        pg_server_with(srv, pg, accounts="sql, file", login_attempts="100",
                       ban_after="0")
        home = make_home(srv, "pgbob")
        pg.add_account("pgbob", "pgpw", srv.vuid, srv.vgid, home)
        pg.add_account("pgoff", "pgpw", srv.vuid, srv.vgid, home, enabled=0)
        with srv:
            transfer_round_trip(srv, "pgbob", "pgpw")
            check(login_code(srv, "pgbob", "bad")[0] == 530, "wrong pw")
            check(login_code(srv, "pgoff", "pgpw")[0] == 530, "disabled")
            check(login_code(srv, "filer", "fpw")[0] == 230, "chain")
            for a in ["x' OR '1'='1", "pgbob' --", "$1", ":user"]:
                check(login_code(srv, a, "pgpw")[0] == 530, f"{a!r}")
            check(pg.psql("SELECT count(*) FROM ftp_accounts").strip() ==
                  "2", "the table changed")
            # An outage: with bans after 2 failures, three 421s must
            # not ban (nor count toward login_attempts = 1).
            srv.stop()
            srv.keys.update({"ban_after": "2", "login_attempts": "1"})
            srv.start()
            pg.stop()
            for _ in range(3):
                code, text = login_code(srv, "pgbob", "pgpw")
                check(code == 421, f"database down gave {code} {text!r}")
            check("postgresql:" in srv.log(), "no log line for postgresql")
            pg.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                code, _ = login_code(srv, "pgbob", "pgpw")
                if code == 230:
                    break
                time.sleep(0.5)
            check(code == 230, f"not recovered within 30 s: {code}")
            check("banned" not in srv.log(), "the outage banned someone")


def test_postgresql_slow_query_meets_the_deadline():
    srv = Server()
    with PostgresServer() as pg:
        pg_server_with(srv, pg, accounts_timeout="2", sql_user_query=(
            "SELECT password, uid, gid, home, enabled FROM ftp_accounts, "
            "pg_sleep(10) WHERE name = :user"))
        home = make_home(srv, "slow")
        pg.add_account("slow", "pw", srv.vuid, srv.vgid, home)
        with srv:
            t0 = time.monotonic()
            code, _ = login_code(srv, "slow", "pw")
            took = time.monotonic() - t0
            check(code == 421, f"slow query gave {code}")
            check(took < 6, f"the deadline was not kept: {took:.1f} s")
            deadline = time.monotonic() + 5
            while "deadline" not in srv.log() and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
            check("deadline" in srv.log(), "no deadline line")


def test_postgresql_pool_bounds_connections():
    """40 logins at once with accounts_pool = 2: every one succeeds and
    the database never sees more than 2 connections from ftpd."""
    srv = Server()
    with PostgresServer() as pg:
        pg_server_with(srv, pg, accounts_pool="2", max_per_ip="200")
        home = make_home(srv, "many")
        pg.add_account("many", "pw", srv.vuid, srv.vgid, home)
        codes, peak = [], [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                n = int(pg.psql("SELECT count(*) FROM pg_stat_activity "
                                "WHERE application_name = 'ftpd'",
                                db="postgres").strip() or 0)
                peak[0] = max(peak[0], n)
                time.sleep(0.05)

        def one():
            codes.append(login_code(srv, "many", "pw")[0])

        with srv:
            w = threading.Thread(target=watch)
            w.start()
            ts = [threading.Thread(target=one) for _ in range(40)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(120)
            stop.set()
            w.join(30)
        check(codes.count(230) == 40, f"logins: {codes}")
        check(1 <= peak[0] <= 2, f"{peak[0]} connections for a pool of 2")
