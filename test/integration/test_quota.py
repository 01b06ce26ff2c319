"""Quotas (quota_bytes, quota_files) with real clients.

The monitor keeps each account's tally (a file of quota_dir, or the
ftp_quota_tally row of an SQL account); uploads reserve room before they
write, so an upload over the quota is refused (552) or cut at the limit,
its partial removed and an overwritten file kept.  Deletes and
overwrites give space back, AVBL reports what is left, two sessions of
one account cannot both pass the quota, two servers sharing one
database share one tally, and ftpasswd --quota-recount counts a tally
again from disk.
"""

import ftplib
import io
import os
import signal
import sqlite3
import threading
import time

from harness import (FTPASSWD, Server, Skip, check, is_root, make_file,
                     require_tool, run, session_process, sha256_file)

QUOTA = 1 << 20
USER, PASS = "alice", "apw"


def quota_server(quota_bytes=QUOTA, quota_files=None, users=None, **kw):
    """A server whose user alice has the quota, in a [user] section;
    bob, if asked for, has none."""
    srv = Server(users=users or {USER: PASS}, **kw)
    srv.keys["quota_dir"] = str(srv.tmp / "quota")
    srv.extra_text = f"[user {USER}]\n"
    if quota_bytes:
        srv.extra_text += f"quota_bytes = {quota_bytes}\n"
    if quota_files:
        srv.extra_text += f"quota_files = {quota_files}\n"
    return srv


def tally(srv, name=USER):
    """(bytes, files) of the account's tally file."""
    b, f = (srv.tmp / "quota" / name).read_text().split()
    return int(b), int(f)


def on_disk(home):
    """(bytes, files) of the regular files under home, as a recount
    would see them (an upload's temporaries left out)."""
    b = n = 0
    for dirpath, _dirs, files in os.walk(home):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.islink(p) or name.startswith(".ftpd-upload."):
                continue
            b += os.path.getsize(p)
            n += 1
    return b, n


def names(home):
    return sorted(os.listdir(home))


def stor(f, cmd, data):
    """storbinary from bytes; the reply, or the error's text."""
    try:
        return f.storbinary(cmd, io.BytesIO(data))
    except ftplib.all_errors as e:
        return str(e)


def avbl(f):
    r = f.sendcmd("AVBL")
    check(r.startswith("213 "), f"AVBL: {r!r}")
    return int(r.split()[1])


def curl_put(srv, src, path, *more):
    """curl -T; -v, so that stderr shows the server's replies."""
    return run(["curl", "-sS", "-v", "--max-time", "60", *more, "-T", src,
                srv.url(path, USER, PASS)], check_rc=False)


def curl_552(p):
    """curl failed on a 552: to STOR itself (exit code 25, "Failed FTP
    upload: 552"), or after the data (70, "disk full or allocation
    exceeded", the reply in -v's trace)."""
    return ((p.returncode == 25 and "upload: 552" in p.stderr) or
            (p.returncode == 70 and "< 552 " in p.stderr))


def lftp(srv, script):
    return run(["lftp", "-c", "set net:max-retries 1; set cmd:fail-exit yes;"
                " set ftp:ssl-allow no; "
                f"open -u {USER},{PASS} -p {srv.port} 127.0.0.1; {script}"],
               check_rc=False)


# ------------------------------------------------------------ refusals


def test_stor_over_quota_552_curl_and_lftp():
    """curl and lftp both see 552; nothing of the refused uploads stays,
    and the tally is what the disk holds."""
    require_tool("curl")
    require_tool("lftp")
    srv = quota_server()
    with srv:
        home = srv.home(USER)
        small = srv.tmp / "small.bin"
        make_file(small, 100_000)
        big = srv.tmp / "big.bin"
        make_file(big, 3 << 20)
        p = curl_put(srv, small, "small.bin")
        check(p.returncode == 0, f"small upload: {p.stderr}")
        p = curl_put(srv, big, "big.bin")
        check(curl_552(p), f"curl over the quota: rc {p.returncode} "
              f"{p.stderr[-800:]!r}")
        p = lftp(srv, f"put {big} -o big2.bin")
        check(p.returncode != 0 and "552" in p.stdout + p.stderr,
              f"lftp over the quota: rc {p.returncode} {p.stdout!r} "
              f"{p.stderr!r}")
        # A full account is refused before any byte (552 to STOR).
        make_file(home / "filler.bin", QUOTA - 100_000)
        srv.give(USER)
        run([FTPASSWD, "--quota-recount", "--quota-dir", srv.tmp / "quota",
             "-d", home, USER])
        p = curl_put(srv, small, "more.bin")
        check(curl_552(p) and "< 150 " not in p.stderr,
              f"a full account is refused at once: {p.stderr[-800:]!r}")
        check(names(home) == ["filler.bin", "small.bin"],
              f"left behind: {names(home)}")
        check(tally(srv) == on_disk(home),
              f"tally {tally(srv)} != disk {on_disk(home)}")


def test_overwrite_over_quota_keeps_the_old_file():
    """Replacing a file needs room only for what grows: a same-size
    overwrite at 60% works; one that would pass the quota is 552 and the
    old file stays whole."""
    srv = quota_server()
    with srv:
        home = srv.home(USER)
        f = srv.ftp(USER, PASS)
        old = os.urandom(600_000)
        check(stor(f, "STOR keep.bin", old).startswith("226"), "first")
        new = os.urandom(600_000)
        r = stor(f, "STOR keep.bin", new)
        check(r.startswith("226"), f"same-size overwrite at 60%: {r}")
        check((home / "keep.bin").read_bytes() == new, "not replaced")
        r = stor(f, "STOR keep.bin", os.urandom(QUOTA + 10))
        check(r.startswith("552"), f"overwrite past the quota: {r}")
        check((home / "keep.bin").read_bytes() == new,
              "the old file did not survive a refused overwrite")
        check(names(home) == ["keep.bin"], f"left behind: {names(home)}")
        check(avbl(f) == QUOTA - 600_000, "AVBL after the overwrites")
        f.quit()
        check(tally(srv) == (600_000, 1), f"tally {tally(srv)}")


def test_appe_over_quota_is_cut_at_the_limit():
    """APPE writes in place: it stops exactly at the quota (552), the
    bytes before the limit stay, and curl sees the 552."""
    require_tool("curl")
    srv = quota_server()
    with srv:
        home = srv.home(USER)
        f = srv.ftp(USER, PASS)
        head = os.urandom(600_000)
        check(stor(f, "STOR log.bin", head).startswith("226"), "first")
        f.quit()
        more = srv.tmp / "more.bin"
        make_file(more, 800_000)
        p = curl_put(srv, more, "log.bin", "--append")
        check(curl_552(p), f"APPE past the quota: {p.stderr[-800:]!r}")
        data = (home / "log.bin").read_bytes()
        check(len(data) == QUOTA, f"cut at {len(data)}, not at {QUOTA}")
        check(data[:600_000] == head and
              data[600_000:] == more.read_bytes()[:QUOTA - 600_000],
              "the appended bytes are not the client's")
        check(tally(srv) == (QUOTA, 1), f"tally {tally(srv)}")


def test_resume_and_in_place_overwrite():
    """REST + STOR rewrites inside the file for free and pays for what
    it adds past the end (cut at the limit, the file put back); without
    atomic_uploads an overwrite in place reuses the old file's room."""
    srv = quota_server()
    with srv:
        home = srv.home(USER)
        f = srv.ftp(USER, PASS)
        first = os.urandom(600_000)
        check(stor(f, "STOR r.bin", first).startswith("226"), "first")
        tail = os.urandom(300_000)
        f.sendcmd("TYPE I")
        r = stor_rest(f, "r.bin", 300_000, tail)
        check(r.startswith("226"), f"a resume inside the file: {r}")
        check((home / "r.bin").read_bytes() == first[:300_000] + tail,
              "resumed file")
        check(tally(srv) == (600_000, 1), f"after the resume {tally(srv)}")
        more = os.urandom(500_000)
        r = stor_rest(f, "r.bin", 600_000, more)
        check(r.startswith("552"), f"a resume past the quota: {r}")
        check((home / "r.bin").read_bytes() ==
              first[:300_000] + tail + more[:QUOTA - 600_000],
              "the resumed file is not cut at the limit, or not back")
        check(names(home) == ["r.bin"], f"left: {names(home)}")
        f.delete("r.bin")
        f.quit()
        check(tally(srv) == (0, 0), f"after DELE {tally(srv)}")
    srv = quota_server(conf={"atomic_uploads": "no"})
    with srv:
        home = srv.home(USER)
        f = srv.ftp(USER, PASS)
        check(stor(f, "STOR o.bin", os.urandom(600_000)).startswith("226"),
              "first")
        new = os.urandom(800_000)
        r = stor(f, "STOR o.bin", new)
        check(r.startswith("226"), f"in-place overwrite at 60%: {r}")
        check((home / "o.bin").read_bytes() == new, "overwritten file")
        f.quit()
        check(tally(srv) == (800_000, 1), f"tally {tally(srv)}")


def stor_rest(f, name, offset, data):
    """REST offset + STOR name with data: the reply, or the error."""
    try:
        f.sendcmd(f"REST {offset}")
        with f.transfercmd(f"STOR {name}") as conn:
            try:
                conn.sendall(data)
            except OSError:
                pass
        return f.voidresp()
    except ftplib.all_errors as e:
        return str(e)


def test_upload_crossing_the_limit_stops_early():
    """A 64 MiB STOR against 1 MiB of quota: the server stops reading at
    the limit and closes the data connection, the client hears 552 long
    before it could have sent everything, and no temporary stays.  The
    same without atomic_uploads (the file is written in place)."""
    for atomic in ("yes", "no"):
        srv = quota_server(conf={"atomic_uploads": atomic})
        with srv:
            home = srv.home(USER)
            f = srv.ftp(USER, PASS)
            total = 64 << 20
            sent = 0
            chunk = os.urandom(64 << 10)
            conn = f.transfercmd("STOR big.bin")
            try:
                while sent < total:
                    conn.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            conn.close()
            try:
                r = f.getresp()
            except ftplib.error_perm as e:
                r = str(e)
            check(r.startswith("552"), f"atomic={atomic}: {r!r}")
            check(sent < total // 2, f"atomic={atomic}: the client sent "
                  f"{sent} bytes before the cut")
            check(names(home) == [], f"atomic={atomic}: left {names(home)}")
            check(avbl(f) == QUOTA, f"atomic={atomic}: AVBL {avbl(f)}")
            f.quit()
            check(tally(srv) == (0, 0), f"atomic={atomic}: {tally(srv)}")


def test_tls_upload_is_cut_too():
    """Under PROT P the bytes go through the user process, which cuts at
    the limit (the TLS front would write whatever came)."""
    require_tool("curl")
    srv = quota_server(tls="on")
    with srv:
        big = srv.tmp / "big.bin"
        make_file(big, 3 << 20)
        small = srv.tmp / "small.bin"
        digest = make_file(small, 500_000)
        p = curl_put(srv, small, "small.bin", "--ssl-reqd", "-k")
        check(p.returncode == 0, f"TLS upload under the quota: {p.stderr}")
        check(sha256_file(srv.home(USER) / "small.bin") == digest,
              "the TLS upload differs")
        p = curl_put(srv, big, "big.bin", "--ssl-reqd", "-k")
        check(curl_552(p), f"TLS over the quota: {p.stderr[-800:]!r}")
        check(names(srv.home(USER)) == ["small.bin"],
              f"left: {names(srv.home(USER))}")
        check(tally(srv) == (500_000, 1), f"tally {tally(srv)}")


def test_quota_files():
    """quota_files counts names: a new file past it is 552 (STOR and
    STOU), an overwrite is not, and a DELE gives a slot back."""
    srv = quota_server(quota_bytes=0, quota_files=2)
    with srv:
        f = srv.ftp(USER, PASS)
        for n in ("a", "b"):
            check(stor(f, f"STOR {n}", b"x" * 1000).startswith("226"), n)
        check(stor(f, "STOR c", b"x").startswith("552"), "a third file")
        check(stor(f, "STOU", b"x").startswith("552"), "STOU")
        check(stor(f, "STOR a", b"y" * 5000).startswith("226"),
              "an overwrite at the limit")
        f.delete("b")
        check(stor(f, "STOR c", b"z").startswith("226"), "after a DELE")
        check(names(srv.home(USER)) == ["a", "c"],
              f"names: {names(srv.home(USER))}")
        f.quit()
        check(tally(srv) == (5001, 2), f"tally {tally(srv)}")


# ------------------------------------------------------------ giving back


def test_delete_rename_and_avbl():
    """AVBL is what is left of the quota (the disk has more); DELE and a
    rename over a file give space back; AVBL without a quota is the
    disk's."""
    srv = quota_server(users={USER: PASS, "bob": "bpw"})
    with srv:
        f = srv.ftp(USER, PASS)
        check(avbl(f) == QUOTA, "AVBL of an empty account")
        check(stor(f, "STOR a", b"a" * 400_000).startswith("226"), "a")
        check(stor(f, "STOR b", b"b" * 400_000).startswith("226"), "b")
        check(avbl(f) == QUOTA - 800_000, f"AVBL: {avbl(f)}")
        check(stor(f, "STOR c", b"c" * 400_000).startswith("552"), "c")
        f.delete("a")
        check(avbl(f) == QUOTA - 400_000, "AVBL after DELE")
        check(stor(f, "STOR c", b"c" * 400_000).startswith("226"),
              "c after the DELE")
        f.rename("c", "b")		# b's 400000 bytes go
        check(avbl(f) == QUOTA - 400_000, "AVBL after RNTO over a file")
        f.rename("b", "b")		# onto itself: nothing goes
        check(avbl(f) == QUOTA - 400_000, "AVBL after RNTO onto itself")
        f.mkd("d")
        f.rename("b", "d/b")
        check(avbl(f) == QUOTA - 400_000, "AVBL after a move")
        f.quit()
        check(tally(srv) == on_disk(srv.home(USER)), f"tally {tally(srv)}")
        g = srv.ftp("bob", "bpw")
        check(avbl(g) > QUOTA, "bob has no quota: the disk's free space")
        check(stor(g, "STOR big", os.urandom(2 * QUOTA)).startswith("226"),
              "bob without a quota")
        g.quit()
        check(not (srv.tmp / "quota" / "bob").exists(),
              "a tally kept for an account without a quota")


def test_two_sessions_cannot_both_pass_the_quota():
    """Two sessions append at once, slowly enough to overlap: together
    they store no more than the quota, at least one hears 552, and the
    tally is what the disk holds."""
    quota = 4 << 20
    srv = quota_server(quota_bytes=quota)
    with srv:
        home = srv.home(USER)
        results = {}

        def upload(name):
            f = srv.ftp(USER, PASS)
            try:
                conn = f.transfercmd(f"APPE {name}")
                try:
                    for _ in range(3 << 4):		# 3 MiB in 64 KiB
                        conn.sendall(os.urandom(64 << 10))
                        time.sleep(0.01)
                except OSError:
                    pass
                conn.close()
                try:
                    results[name] = f.getresp()
                except ftplib.error_perm as e:
                    results[name] = str(e)
                f.quit()
            finally:
                f.close()
        threads = [threading.Thread(target=upload, args=(n,))
                   for n in ("one", "two")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        stored, _ = on_disk(home)
        check(stored <= quota, f"stored {stored} > quota {quota}")
        check(any(r.startswith("552") for r in results.values()),
              f"nobody was cut: {results}")
        check(tally(srv) == on_disk(home),
              f"tally {tally(srv)} != disk {on_disk(home)}")


# ------------------------------------------------------------ durability


def test_a_killed_session_never_undercounts():
    """A completed upload is in the tally before its 226, so killing the
    session right after loses nothing; a session killed mid-upload
    leaves the tally at or above what the disk holds."""
    srv = quota_server(quota_bytes=64 << 20)
    with srv:
        home = srv.home(USER)
        f = srv.ftp(USER, PASS)
        check(stor(f, "STOR done.bin", os.urandom(300_000)).startswith(
            "226"), "upload")
        _, pid = session_process(srv, srv.vuid)
        check(pid is not None, "no user process")
        os.kill(pid, signal.SIGKILL)
        f.close()
        check(tally(srv) == (300_000, 1), f"after SIGKILL: {tally(srv)}")
        f = srv.ftp(USER, PASS)
        conn = f.transfercmd("STOR cut.bin")
        conn.sendall(os.urandom(3 << 20))
        time.sleep(0.5)
        _, pid = session_process(srv, srv.vuid)
        os.kill(pid, signal.SIGKILL)
        conn.close()
        f.close()
        time.sleep(0.5)
        b, n = tally(srv)
        db, dn = on_disk(home)
        check(b >= db and n >= dn, f"tally {(b, n)} below disk {(db, dn)}")
        # The recount puts it right.
        run([FTPASSWD, "--quota-recount", "--quota-dir", srv.tmp / "quota",
             "-d", home, USER])
        check(tally(srv) == on_disk(home), "recount")


# ------------------------------------------------------------ the tool


def test_recount_tool():
    """ftpasswd --quota-recount counts a home (links not followed, an
    upload's temporaries left out) and the server uses that tally."""
    srv = quota_server()
    home = srv.home(USER)
    make_file(home / "a.bin", 200_000)
    make_file(home / "sub" / "b.bin", 100_000)
    make_file(home / ".ftpd-upload.abcdefghijkl", 50_000)
    os.symlink("/etc/passwd", home / "link")
    p = run([FTPASSWD, "--quota-recount", "--quota-dir", srv.tmp / "quota",
             "-d", home, USER])
    check("alice: 300000 bytes in 2 files" in p.stdout, p.stdout)
    check(tally(srv) == (300_000, 2), f"tally {tally(srv)}")
    check(oct((srv.tmp / "quota").stat().st_mode & 0o777) == "0o700",
          "quota_dir mode")
    with srv:
        f = srv.ftp(USER, PASS)
        check(avbl(f) == QUOTA - 300_000, f"AVBL {avbl(f)}")
        f.quit()
    p = run([FTPASSWD, "--quota-recount", "-d", home, USER, "-b",
             f"sqlite:{srv.tmp / 'missing.db'}"], check_rc=False)
    check(p.returncode != 0, "a missing database")
    p = run([FTPASSWD, "--quota-recount", USER], check_rc=False)
    check(p.returncode != 0 and "-d HOME" in p.stderr, "no -d")


# ------------------------------------------------------------ SQL


SERVICE_UID = 65532


def sqlite_accounts(tmp, home, uid, gid, quota):
    """An SQLite accounts database in a directory the account service may
    write (its journal), alice with quota_bytes = quota."""
    from test_accounts_sql import add_sqlite
    from pg_server import SCHEMA
    d = tmp / "db"
    d.mkdir()
    path = d / "accounts.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.read_text())
    add_sqlite(db, USER, PASS, uid, gid, home)
    db.execute("UPDATE ftp_accounts SET quota_bytes = ? WHERE name = ?",
               (quota, USER))
    db.commit()
    db.close()
    if is_root():
        for p in (d, path):
            os.chown(p, SERVICE_UID, SERVICE_UID)
    return path


SQL_QUERY = ("SELECT password, uid, gid, home, enabled, quota_bytes, "
             "quota_files FROM ftp_accounts WHERE name = :user")


def sql_row(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT bytes_used, files_used FROM "
                          "ftp_quota_tally WHERE name = ?",
                          (USER,)).fetchone()
    finally:
        db.close()


def test_sqlite_row_quota_shared_by_two_servers():
    """quota_bytes from the account's row; two ftpd processes on one
    SQLite database count against the one ftp_quota_tally row."""
    if not is_root():
        raise Skip("the account service runs as account_user: root needed")
    one = Server()
    two = Server()
    home = one.homes / USER
    home.mkdir()
    os.chown(home, one.vuid, one.vgid)
    db = sqlite_accounts(one.tmp, home, one.vuid, one.vgid, QUOTA)
    for srv in (one, two):
        srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                         "sql_dsn": str(db), "sql_user_query": SQL_QUERY,
                         "quota_dir": str(srv.tmp / "quota")})
    with one, two:
        f = one.ftp(USER, PASS)
        check(stor(f, "STOR a", os.urandom(600_000)).startswith("226"),
              "first server")
        g = two.ftp(USER, PASS)
        check(avbl(g) == QUOTA - 600_000, f"AVBL on the second: {avbl(g)}")
        r = stor(g, "STOR b", os.urandom(600_000))
        check(r.startswith("552"), f"second server past the quota: {r}")
        check(sql_row(db) == (600_000, 1), f"row {sql_row(db)}")
        g.delete("a")
        check(avbl(f) == QUOTA, "the first server sees the DELE")
        check(stor(f, "STOR b", os.urandom(900_000)).startswith("226"),
              "after the DELE")
        f.quit()
        g.quit()
        check(sql_row(db) == (900_000, 1), f"row {sql_row(db)}")
        check(not (one.tmp / "quota").exists() and
              not (two.tmp / "quota").exists(),
              "an SQL account's tally went to quota_dir")
        db2 = sqlite3.connect(db)
        db2.execute("UPDATE ftp_quota_tally SET bytes_used = 5")
        db2.commit()
        db2.close()
        p = run([FTPASSWD, "--quota-recount", "-b", f"sqlite:{db}", "-d",
                 home, USER])
        check(sql_row(db) == (900_000, 1),
              f"recount: {sql_row(db)} {p.stdout}")


def test_postgresql_tally_shared_by_two_servers():
    """The same against a real PostgreSQL: one row, two servers, two
    sessions at once that cannot both pass the quota."""
    from pg_server import PostgresServer
    one = Server()
    two = Server()
    with PostgresServer() as pg:
        pg.load_schema()
        home = one.homes / USER
        home.mkdir()
        os.chown(home, one.vuid, one.vgid)
        pg.add_account(USER, PASS, one.vuid, one.vgid, home)
        pg.psql(f"UPDATE ftp_accounts SET quota_bytes = {4 << 20} "
                f"WHERE name = '{USER}'")
        for srv in (one, two):
            srv.keys.update(pg.ftpd_conf(sql_user_query=SQL_QUERY))
        with one, two:
            results = {}

            def upload(srv, name):
                f = srv.ftp(USER, PASS)
                results[name] = stor(f, f"STOR {name}",
                                     os.urandom(3 << 20))
                f.quit()
            threads = [threading.Thread(target=upload, args=a)
                       for a in ((one, "x"), (two, "y"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            row = pg.psql("SELECT bytes_used, files_used FROM "
                          "ftp_quota_tally").strip().split("|")
            stored, nfiles = on_disk(home)
            check(stored <= 4 << 20, f"stored {stored}: {results}")
            check(any(r.startswith("552") for r in results.values()),
                  f"both passed: {results}")
            check([int(x) for x in row[:2]] == [stored, nfiles],
                  f"row {row} != disk {(stored, nfiles)}")


def test_mariadb_tally_shared_by_two_servers():
    """The same against a real MariaDB (sql_driver = mysql): one row,
    two servers, one tally; the SQL user needs INSERT and UPDATE on
    ftp_quota_tally only."""
    from mariadb_server import MariaDB, SQL_USER, DATABASE
    with MariaDB() as db:
        one = Server()
        two = Server()
        home = one.homes / USER
        home.mkdir()
        os.chown(home, one.vuid, one.vgid)
        db.add_account(USER, PASS, one.vuid, one.vgid, home,
                       quota_bytes=QUOTA)
        for host in ("localhost", "127.0.0.1"):
            db.sql(f"GRANT INSERT, UPDATE ON {DATABASE}.ftp_quota_tally "
                   f"TO '{SQL_USER}'@'{host}';", database=None)
        for srv in (one, two):
            srv.keys.update({"accounts": "sql", "sql_driver": "mysql",
                             "sql_dsn": db.dsn(),
                             "sql_password_file": str(
                                 db.password_file(srv.tmp)),
                             "sql_user_query": SQL_QUERY})
        with one, two:
            f = one.ftp(USER, PASS)
            check(stor(f, "STOR a", os.urandom(600_000)).startswith("226"),
                  "first server")
            g = two.ftp(USER, PASS)
            check(avbl(g) == QUOTA - 600_000, f"AVBL: {avbl(g)}")
            r = stor(g, "STOR b", os.urandom(600_000))
            check(r.startswith("552"), f"second server: {r}")
            # A change that alters nothing (the DELE of a file the
            # tally no longer holds: both counters stay at 0) is not a
            # missing row, which would be counted again.
            db.sql("UPDATE ftp_quota_tally SET bytes_used = 0, "
                   "files_used = 0;")
            g.delete("a")
            check(avbl(f) == QUOTA, "the first server after the DELE")
            check(stor(f, "STOR b", os.urandom(900_000)).startswith("226"),
                  "after the DELE")
            f.quit()
            g.quit()
            row = db.sql("SELECT bytes_used, files_used FROM "
                         "ftp_quota_tally;").split()
            check([int(x) for x in row] == [900_000, 1], f"row {row}")
            check(one.log().count("counted") == 1 and
                  "counted" not in two.log(), "the tally was counted twice")
