"""test_ftpasswd_sqlite.py - ftpasswd(8) on an SQLite account database
(-b sqlite:PATH), checked with the sqlite3 command-line shell, and an
account it made logging in through ftpd (accounts = sql)."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import (FTPASSWD, REPO, SLOW, Server, check, is_root, run,
                     retr_bytes, sha256_bytes, sha256_file, stor_bytes,
                     Skip)
from test_tools import _crypt

SCHEMA = REPO / "etc" / "ftpd-accounts.sql"


def _sqlite3():
    path = shutil.which("sqlite3")
    if path is None:
        raise Skip("sqlite3 not installed (make test-deps)")
    return path


def _sql(db, query):
    """Rows of query as lists of strings (the sqlite3 shell, '|' apart)."""
    p = run([_sqlite3(), "-batch", str(db), query], timeout=30)
    return [line.split("|") for line in p.stdout.splitlines()]


def _row(db, name):
    rows = _sql(db, "SELECT name, password, uid, gid, home, enabled FROM "
                f"ftp_accounts WHERE name = '{name}'")
    check(len(rows) <= 1, f"{name}: {len(rows)} rows")
    return rows[0] if rows else None


def _pw(args, password, check_rc=True):
    return run([FTPASSWD] + [str(a) for a in args], input=password + "\n",
               check_rc=check_rc, timeout=30)


def _fp(args, check_rc=True):
    return run([FTPASSWD] + [str(a) for a in args], check_rc=check_rc,
               timeout=30)


def _tmpdir():
    return tempfile.TemporaryDirectory(prefix="ftpd-sqlite-")


def test_ftpasswd_sqlite_accounts():
    """Add, change, disable, enable, list and delete; rows and hashes
    as the sqlite3 shell reads them."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        db = Path(d) / "accounts.db"
        b = f"sqlite:{db}"
        _pw(["-b", b, "-u", 5001, "-g", 5002, "-d", "/srv/ann", "--stdin",
             "ann"], "Ann-pw-1")
        _pw(["-b", b, "-u", 5003, "-g", 5003, "-d", "/srv/bob", "--stdin",
             "bob"], "Bob-pw-2")
        check(db.is_file() and (db.stat().st_mode & 0o777) == 0o600,
              f"new database mode {oct(db.stat().st_mode)}")
        name, h, uid, gid, home, enabled = _row(db, "ann")
        check((uid, gid, home, enabled) == ("5001", "5002", "/srv/ann", "1"),
              f"ann's row: {uid} {gid} {home} {enabled}")
        check(h.startswith("$y$"), f"not yescrypt: {h!r}")
        check(_crypt("Ann-pw-1", h) == h, "ann's hash does not verify")
        check(_crypt("Ann-pw-x", h) != h, "a wrong password verifies")
        # A new password and a new home; uid and gid stay.
        _pw(["-b", b, "-d", "/srv/ann2", "--stdin", "ann"], "Ann-pw-3")
        _, h2, uid, gid, home, _ = _row(db, "ann")
        check(h2 != h and _crypt("Ann-pw-3", h2) == h2,
              "new password not written")
        check((uid, gid, home) == ("5001", "5002", "/srv/ann2"),
              f"after the change: {uid} {gid} {home}")
        check(_row(db, "bob")[1].startswith("$y$"), "bob changed")
        # Disable and enable: the enabled column, nothing else.
        _fp(["-b", b, "--disable", "bob"])
        check(_row(db, "bob")[5] == "0", "bob not disabled")
        lines = _fp(["-b", b, "-l"]).stdout.splitlines()
        check(lines == ["ann\t5001\t5002\t/srv/ann2\tenabled",
                        "bob\t5003\t5003\t/srv/bob\tdisabled"],
              f"-l: {lines}")
        _fp(["-b", b, "--enable", "bob"])
        check(_row(db, "bob")[5] == "1", "bob not enabled again")
        # Delete.
        _fp(["-b", b, "-D", "ann"])
        check(_row(db, "ann") is None, "-D left ann")
        check(_row(db, "bob") is not None, "-D removed bob")
        for args in (["-D", "ann"], ["--disable", "ann"]):
            p = _fp(["-b", b] + args, check_rc=False)
            check(p.returncode == 1 and "no such user" in p.stderr,
                  f"{args} on a missing user: {p.returncode} {p.stderr!r}")
        check("Ann-pw" not in db.read_bytes().decode("latin-1") and
              "Bob-pw" not in db.read_bytes().decode("latin-1"),
              "a password in clear in the database")


def test_ftpasswd_sqlite_schema_is_the_shipped_one():
    """A new database gets exactly etc/ftpd-accounts.sql's tables."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    sqlite3 = _sqlite3()
    with _tmpdir() as d:
        made = Path(d) / "made.db"
        loaded = Path(d) / "loaded.db"
        _pw(["-b", f"sqlite:{made}", "-u", 5001, "-g", 5001, "-d", "/srv/c",
             "--stdin", "carl"], "Carl-pw-1")
        with open(SCHEMA) as f:
            p = subprocess.run([sqlite3, "-batch", str(loaded)], stdin=f,
                               capture_output=True, timeout=30)
        check(p.returncode == 0, f"sqlite3 < schema: {p.stderr!r}")
        s1 = run([sqlite3, "-batch", made, ".schema"]).stdout
        s2 = run([sqlite3, "-batch", loaded, ".schema"]).stdout
        check(s1 == s2 and "CREATE TABLE" in s1,
              f"schemas differ:\n{s1}\n----\n{s2}")
        for table in ("ftp_accounts", "ftp_quota_tally", "ftp_bans"):
            check(table in s1, f"{table} missing")


def test_ftpasswd_sqlite_refusals():
    """What the users file refuses, the database refuses too; text that
    looks like SQL is stored as text; somebody else's database and links
    are left alone."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        db = Path(d) / "accounts.db"
        b = f"sqlite:{db}"
        p = _pw(["-b", b, "-u", 0, "-g", 5, "-d", "/srv/r", "--stdin",
                 "rooty"], "Rooty-pw-1", check_rc=False)
        check(p.returncode == 1 and "uid 0" in p.stderr, f"uid 0: {p.stderr!r}")
        check(not db.exists(), "uid 0 made the database")
        for name in ("x'; DROP TABLE ftp_accounts; --", "a b", "-x", ""):
            p = _pw(["-b", b, "-u", 5, "-g", 5, "-d", "/srv/x", "--stdin",
                     "--", name], "Pw-1", check_rc=False)
            check(p.returncode == 1, f"name {name!r} accepted")
        # A home with quotes and SQL in it is data, not SQL.
        home = "/srv/o'brien\"; DROP TABLE ftp_accounts; --"
        _pw(["-b", b, "-u", 5005, "-g", 5005, "-d", home, "--stdin",
             "obrien"], "Obrien-pw-1")
        check(_row(db, "obrien")[4] == home, "home not stored verbatim")
        p = _pw(["-b", b, "--stdin", "newbie"], "Newbie-pw-1",
                check_rc=False)
        check(p.returncode == 1 and "needs -u UID" in p.stderr,
              f"new user without ids: {p.stderr!r}")
        p = _pw(["-b", b, "-s", "/bin/sh", "--stdin", "obrien"], "X-pw-1",
                check_rc=False)
        check(p.returncode == 1 and "no shell" in p.stderr, f"-s: {p.stderr!r}")
        # A uid 0 written by hand is not kept by a password change.
        _sql(db, "INSERT INTO ftp_accounts (name, password, uid, gid, home) "
             "VALUES ('hand', 'x', 0, 0, '/srv/hand')")
        p = _pw(["-b", b, "--stdin", "hand"], "Hand-pw-1", check_rc=False)
        check(p.returncode == 1 and "uid 0" in p.stderr,
              f"uid 0 kept: {p.stderr!r}")
        check(_row(db, "hand")[1] == "x", "hand's row changed")
        # --enable/--disable are for databases.
        p = _fp(["-f", Path(d) / "users", "--disable", "obrien"],
                check_rc=False)
        check(p.returncode == 1 and "sqlite" in p.stderr,
              f"--disable on a users file: {p.stderr!r}")
        # Somebody else's database: no tables added.
        other = Path(d) / "other.db"
        _sql(other, "CREATE TABLE mine (a INTEGER)")
        p = _pw(["-b", f"sqlite:{other}", "-u", 5, "-g", 5, "-d", "/x",
                 "--stdin", "z"], "Z-pw-1", check_rc=False)
        check(p.returncode == 1 and "no ftp_accounts table" in p.stderr,
              f"other database: {p.stderr!r}")
        check(_sql(other, "SELECT name FROM sqlite_master") == [["mine"]],
              "tables added to another database")
        # Links are not followed; a missing database is not made by -l.
        link = Path(d) / "link.db"
        link.symlink_to(db)
        p = _fp(["-b", f"sqlite:{link}", "-l"], check_rc=False)
        check(p.returncode == 1 and "symbolic link" in p.stderr,
              f"link: {p.stderr!r}")
        p = _fp(["-b", f"sqlite:{Path(d) / 'none.db'}", "-l"],
                check_rc=False)
        check(p.returncode == 1 and not (Path(d) / "none.db").exists(),
              "-l made a database")


def test_ftpasswd_sqlite_concurrent_runs_keep_every_user():
    """8 runs at once on one database: each row is there (the runs wait
    for each other's transactions)."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        db = Path(d) / "accounts.db"
        _pw(["-b", f"sqlite:{db}", "-u", 5100, "-g", 5100, "-d", "/srv/z",
             "--stdin", "zero"], "Zero-pw-0")
        procs = {}
        try:
            for i in range(8):
                name = f"user{i}"
                procs[name] = subprocess.Popen(
                    [str(FTPASSWD), "-b", f"sqlite:{db}", "-u",
                     str(5000 + i), "-g", "5000", "-d", f"/srv/{name}",
                     "--stdin", name], stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for name, p in procs.items():
                p.stdin.write(f"Pw-{name}-x\n".encode())
                p.stdin.close()
            for name, p in procs.items():
                p.wait(timeout=60 * SLOW)
                err = p.stderr.read().decode(errors="replace")
                check(p.returncode == 0, f"{name}: exit {p.returncode}: "
                      f"{err}")
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)
                p.stderr.close()
        rows = _sql(db, "SELECT name, password FROM ftp_accounts "
                    "ORDER BY name")
        check([r[0] for r in rows] == sorted(list(procs) + ["zero"]),
              f"rows: {[r[0] for r in rows]}")
        for name, h in rows:
            if name != "zero":
                check(_crypt(f"Pw-{name}-x", h) == h,
                      f"{name}: hash does not verify")


def test_ftpasswd_sqlite_login():
    """An account made by ftpasswd logs in through ftpd with accounts =
    sql (SQLite), up- and downloads byte-exactly; --disable refuses it
    (530) and --enable lets it in again; a deleted account is refused."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    if not (REPO / "ftpd" / "ftpd-accounts").exists():
        raise Skip("ftpd-accounts (the account service) not built")
    with Server() as srv:
        db = srv.tmp / "accounts.db"
        home = srv.homes / "sqlia"
        home.mkdir()
        _pw(["-b", f"sqlite:{db}", "-u", srv.vuid, "-g", srv.vgid, "-d",
             home, "--stdin", "sqlia"], "Sqlia-pw-18")
        srv.stop()
        srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                         "sql_dsn": str(db)})
        if is_root():
            # The account service reads the database as account_user.
            acct = srv.keys.get("account_user", "65532").split(":")[0]
            if acct.isdigit():
                os.chown(db, int(acct), -1)
        data = os.urandom(250000)
        (home / "down.bin").write_bytes(data)
        srv.give("sqlia")
        srv.start()
        f = srv.ftp("sqlia", "Sqlia-pw-18")
        try:
            check(sha256_bytes(retr_bytes(f, "down.bin")) ==
                  sha256_bytes(data), "download differs")
            stor_bytes(f, "up.bin", data[::-1])
            f.quit()
        finally:
            f.close()
        check(sha256_file(home / "up.bin") == sha256_bytes(data[::-1]),
              "upload differs")

        def code():
            with srv.raw() as c:
                c.cmd("USER sqlia")
                return c.cmd("PASS Sqlia-pw-18")[0]

        before = os.stat(db)
        _fp(["-b", f"sqlite:{db}", "--disable", "sqlia"])
        after = os.stat(db)
        check((after.st_uid, after.st_gid, after.st_mode) ==
              (before.st_uid, before.st_gid, before.st_mode),
              "ftpasswd changed the database's owner or mode")
        check(code() == 530, "a disabled account logged in")
        _fp(["-b", f"sqlite:{db}", "--enable", "sqlia"])
        deadline = time.monotonic() + 10 * SLOW
        while code() != 230:
            check(time.monotonic() < deadline, "not let in after --enable")
            time.sleep(0.2)
        _fp(["-b", f"sqlite:{db}", "-D", "sqlia"])
        check(code() == 530, "a deleted account logged in")


def test_ftpasswd_list_users_file():
    """-l on a users file: name, uid, gid, home and whether the hash can
    match at all (a '!' or '*' hash locks the user)."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        users = Path(d) / "ftpd.passwd"
        _pw(["-f", users, "-u", 5001, "-g", 5001, "-d", "/srv/a", "--stdin",
             "amy"], "Amy-pw-1")
        users.write_text(users.read_text() + "# a comment\n"
                         "locked:!x:5002:5002::/srv/l:/bin/sh\n"
                         "short:x:1\n")
        lines = _fp(["-b", f"file:{users}", "-l"]).stdout.splitlines()
        check(lines == ["amy\t5001\t5001\t/srv/a\tenabled",
                        "locked\t5002\t5002\t/srv/l\tdisabled"],
              f"-l: {lines}")
        check(_fp(["-f", users, "-l"]).stdout.splitlines() == lines,
              "-f and -b file: differ")
