#!/usr/bin/env python3
"""acctbench.py - what a login costs the server through each account source.

    python3 test/bench/acctbench.py [--backends file,sqlite,...] [--seconds N]

Run by `make bench` (workload "acctlogin") and on its own.  For each source
(users_file, SQLite, PostgreSQL, MariaDB, LDAP with ldap_auth = hash and
= bind) it starts ftpd on a free loopback port with the store the
integration tests use (real servers in temporary directories), warms the
account service's pool, then drives `loadgen sessions` (connect, USER,
PASS, PWD, QUIT in 8 threads) and reports, per login:

  - server CPU: ftpd's master with its reaped sessions, plus the account
    service and its workers (the database server itself not counted);
  - of that, the account service's own CPU (its workers: the store's
    client library, the query, the answer): the part of a login's cost
    a source adds that does not drown in the cost of forking a session
    on a small machine;
  - wall time of the whole session as the client saw it.

Every account has the same cheap hash (SHA-256 crypt, 1000 rounds), so
the hash costs every source the same and the differences between rows are
what each source adds (LDAP bind checks the password on the directory,
where no crypt(3) runs in ftpd at all).  Results are printed and
appended to test/bench/.data/acctlogin.json.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import harness                                    # noqa: E402
from harness import Server, Skip, make_file       # noqa: E402

LOADGEN = HERE / "loadgen"
DATA = HERE / ".data"
USER, PASSWORD = "benchacct", "bench-pw"
THREADS = 8
SERVICE_UID = 65532


def cheap_hash(pw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt
    return crypt.crypt(pw, "$5$rounds=1000$benchsaltbench$")


def tree_cpu(pid):
    """utime+stime of pid and its live descendants, plus what pid has
    collected of its reaped children (cutime+cstime), in seconds."""
    total = 0
    todo, first = [pid], True
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
        if first:
            total += int(fields[13]) + int(fields[14])
            first = False
        todo += harness.child_pids(p)
    return total / os.sysconf("SC_CLK_TCK")


def service_cpu(srv):
    """CPU seconds of the account service and its live workers."""
    total = 0.0
    for p in harness.child_pids(srv.proc.pid):
        try:
            if os.readlink(f"/proc/{p}/exe").endswith("ftpd-accounts"):
                total += live_cpu(p)
        except OSError:
            pass
    return total


def live_cpu(pid):
    """utime+stime of pid and its live descendants, in seconds."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
        todo += harness.child_pids(p)
    return total / os.sysconf("SC_CLK_TCK")


def measure(srv, seconds):
    """(server CPU ms per login, account service CPU ms per login, wall
    ms per session, logins)."""
    def lg(secs):
        r = subprocess.run([str(LOADGEN), "-p", str(srv.port), "-u", USER,
                            "-w", PASSWORD, "sessions", str(THREADS),
                            str(secs)], capture_output=True, text=True,
                           timeout=secs + 120)
        line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if not line.startswith("ok"):
            raise RuntimeError(f"loadgen: {r.stderr.strip()[-300:]}")
        return dict(kv.split("=", 1) for kv in line.split()[1:])
    lg(1)                       # warm: every worker connected
    time.sleep(1.0)
    # The service and its workers are live descendants of the master:
    # tree_cpu counts them with the reaped sessions.
    c0 = tree_cpu(srv.proc.pid)
    s0 = service_cpu(srv)
    res = lg(seconds)
    time.sleep(1.0)             # the last sessions reaped
    cpu = tree_cpu(srv.proc.pid) - c0
    svc = service_cpu(srv) - s0
    n = int(res["count"])
    if n == 0:
        raise RuntimeError("no login completed")
    wall_ms = float(res["seconds"]) * 1000.0 * THREADS / n
    return cpu * 1000.0 / n, svc * 1000.0 / n, wall_ms, n


def make_home(srv):
    home = srv.homes / USER
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, srv.vuid, srv.vgid)
    return home


def setup_file(srv, stack):
    home = make_home(srv)
    path = srv.tmp / "bench.passwd"
    path.write_text(f"{USER}:{cheap_hash(PASSWORD)}:{srv.vuid}:{srv.vgid}"
                    f"::{home}:/bin/sh\n")
    srv.keys.update({"accounts": "file", "users_file": str(path)})


def setup_sqlite(srv, stack):
    import sqlite3
    home = make_home(srv)
    db = srv.tmp / "bench.db"
    con = sqlite3.connect(db)
    con.executescript((harness.REPO / "etc" / "ftpd-accounts.sql")
                      .read_text())
    con.execute("INSERT INTO ftp_accounts (name, password, uid, gid, home) "
                "VALUES (?, ?, ?, ?, ?)", (USER, cheap_hash(PASSWORD),
                                           srv.vuid, srv.vgid, str(home)))
    con.commit()
    con.close()
    os.chown(db, SERVICE_UID, SERVICE_UID)
    srv.keys.update({"accounts": "sql", "sql_driver": "sqlite",
                     "sql_dsn": str(db)})


def setup_postgresql(srv, stack):
    from pg_server import PostgresServer
    pg = stack.enter(PostgresServer())
    pg.load_schema()
    home = make_home(srv)
    pg.psql("INSERT INTO ftp_accounts (name, password, uid, gid, home) "
            f"VALUES ('{USER}', '{cheap_hash(PASSWORD)}', {srv.vuid}, "
            f"{srv.vgid}, '{home}')")
    srv.keys.update(pg.ftpd_conf())


def setup_mysql(srv, stack):
    import mariadb_server
    db = stack.enter(mariadb_server.MariaDB())
    home = make_home(srv)
    db.add_account(USER, cheap_hash(PASSWORD), srv.vuid, srv.vgid, home)
    srv.keys.update({"accounts": "sql", "sql_driver": "mysql",
                     "sql_dsn": db.dsn(),
                     "sql_password_file": str(db.password_file(srv.tmp))})


def setup_ldap(auth):
    def setup(srv, stack):
        import ldap_server
        home = make_home(srv)
        d = stack.enter(ldap_server.LdapServer(
            users=[(USER, PASSWORD, srv.vuid, srv.vgid, str(home),
                    cheap_hash(PASSWORD))]))
        srv.keys.update(d.ftpd_conf(ldap_auth=auth))
    return setup


BACKENDS = {
    "file": setup_file,
    "sqlite": setup_sqlite,
    "postgresql": setup_postgresql,
    "mysql": setup_mysql,
    "ldap_hash": setup_ldap("hash"),
    "ldap_bind": setup_ldap("bind"),
}


class Stack:
    """Context managers entered one after another, left in reverse."""

    def __init__(self):
        self.items = []

    def enter(self, cm):
        v = cm.__enter__()
        self.items.append(cm)
        return v

    def close(self):
        while self.items:
            self.items.pop().__exit__(None, None, None)


def run_backend(name, seconds):
    stack = Stack()
    srv = Server(anonymous=False,
                 conf={"login_attempts": "100", "ban_after": "0",
                       "max_per_ip": "1000", "log_level": "warning"})
    try:
        BACKENDS[name](srv, stack)
        with srv:
            return measure(srv, seconds)
    finally:
        stack.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("acctbench: needs root (real database servers, ids)")
    rows = {}
    for name in args.backends.split(","):
        try:
            cpu, svc, wall, n = run_backend(name, args.seconds)
        except Skip as e:
            print(f"acctbench: {name}: skipped: {e}", file=sys.stderr)
            continue
        except (ImportError, RuntimeError) as e:
            print(f"acctbench: {name}: failed: {e}", file=sys.stderr)
            continue
        rows[name] = {"cpu_ms": cpu, "service_ms": svc, "wall_ms": wall,
                      "logins": n}
    base = rows.get("file", {}).get("cpu_ms")
    print(f"{'source':12} {'server CPU/login':>17} {'vs file':>10} "
          f"{'of it, service':>15} {'session wall':>13} {'logins':>7}")
    for name, r in rows.items():
        d = f"{r['cpu_ms'] - base:+.3f}" if base is not None else "-"
        print(f"{name:12} {r['cpu_ms']:14.3f} ms {d:>7} ms "
              f"{r['service_ms']:12.3f} ms {r['wall_ms']:10.2f} ms "
              f"{r['logins']:7d}")
    DATA.mkdir(exist_ok=True)
    with open(DATA / "acctlogin.json", "a") as f:
        f.write(json.dumps({"time": time.time(), "rows": rows}) + "\n")


if __name__ == "__main__":
    main()
