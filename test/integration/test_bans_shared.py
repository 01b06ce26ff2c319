"""bans_shared: two servers on one PostgreSQL share their bans (the
netns cluster test, test/cluster/, shows it through HAProxy)."""

import subprocess
import time

from harness import FTPD, Server, check, greeting_line as _greeting
from pg_server import PostgresServer


def _t(*conf):
    args = [str(FTPD), "-t", "-f", "/dev/null", "-o", "tls=off"]
    for c in conf:
        args += ["-o", c]
    return subprocess.run(args, capture_output=True, timeout=30)


def test_needs_postgresql_accounts():
    """-t: bans_shared without SQL accounts on PostgreSQL is refused,
    with the reason."""
    p = _t("bans_shared=yes")
    check(p.returncode != 0 and b"bans_shared: needs accounts with sql"
          in p.stderr + p.stdout, f"-t said: {p.stderr!r}")
    p = _t("bans_shared=yes", "accounts=sql", "sql_driver=sqlite",
           "sql_dsn=/dev/null")
    check(p.returncode != 0 and b"sql_driver = postgresql" in
          p.stderr + p.stdout, f"-t said: {p.stderr!r}")


def greeting_line(port):
    return _greeting(port).decode(errors="replace")


def _wait_greeting(srv, prefix, seconds):
    end = time.monotonic() + seconds
    line = ""
    while time.monotonic() < end:
        line = greeting_line(srv.port)
        if line.startswith(prefix):
            return line
        time.sleep(0.1)
    return line


def test_ban_on_one_refused_on_other_and_outage():
    """Three failed logins on server A ban 127.0.0.1 there; server B
    (same database) refuses it at connect time within 2 s.  With the
    database stopped, B keeps the ban it knows; once the row's expiry
    passes (set in the database), B lets the client in again.  Without
    bans_shared (server C) nothing of it is seen."""
    with PostgresServer() as pg:
        pg.load_schema()
        conf = pg.ftpd_conf(ban_after="3", ban_seconds="60",
                            bans_shared="yes", login_attempts="1")
        with Server(anonymous=False, conf=conf) as a, \
                Server(anonymous=False, conf=conf) as b, \
                Server(anonymous=False, conf=dict(
                    pg.ftpd_conf(), ban_after="3")) as c:
            for _ in range(3):
                with a.raw() as r:
                    r.cmd("USER nobody-here")
                    r.cmd("PASS wrong")
            t0 = time.monotonic()
            line = _wait_greeting(b, "421", 4)
            took = time.monotonic() - t0
            check(line.startswith("421"), f"B greets a banned client: "
                  f"{line!r}\n" + b.log_tail())
            check(took < 2.5, f"the ban took {took:.1f}s to reach B")
            check(greeting_line(c.port).startswith("220"),
                  "C (no bans_shared) refused")
            rows = pg.psql("SELECT address, expires > 0, node, reason "
                           "FROM ftp_bans")
            check(rows.startswith("127.0.0.1|t|") and "failed logins" in
                  rows, f"ftp_bans: {rows!r}")
            pg.stop()
            try:
                time.sleep(1.5)
                check(greeting_line(b.port).startswith("421"),
                      "B forgot the ban during the outage")
            finally:
                pg.start()
            pg.psql("UPDATE ftp_bans SET expires = 1")
            line = _wait_greeting(b, "220", 4)
            check(line.startswith("220"), f"B still refuses after the "
                  f"ban expired: {line!r}")
            check("shared bans:" in b.log(), "the outage was not logged")
