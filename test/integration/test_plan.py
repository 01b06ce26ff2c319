"""test_plan.py - per-account plans (issue #19): what the privileged side
enforces at login, and ftpd -t -u.

max_sessions is counted by the master across addresses, whichever layer
sets it (global, [user] section, the account's SQL row): the sessions
here come from 127.0.0.1 and 127.0.0.2.  allow_from/deny_from,
tls_required, start_dir and create_home are checked with real logins.
Plan sections go after every top-level key (srv.extra_text).
"""

import ftplib
import os
import socket
import sqlite3
import ssl
import stat
import subprocess
import threading
import time

from harness import (FTPD, HOST, SLOW, RawControl, Server, check,
                     crypt_hash, is_root)
from pg_server import SCHEMA

SERVICE_UID = 65532         # account_user's default
LIMIT_TEXT = "Too many sessions for this account (limit 2)."


def control_from(srv, src):
    """A RawControl from source address src, 220 read."""
    c = RawControl.__new__(RawControl)
    c.sock = socket.create_connection((HOST, srv.port), timeout=30 * SLOW,
                                      source_address=(src, 0))
    c.rbuf = b""
    code, text = c.reply()
    check(code == 220, f"greeting from {src}: {code} {text!r}")
    return c


def session(srv, user, password, src="127.0.0.1"):
    """(control, code, text) of a login from src."""
    c = control_from(srv, src)
    code, text = c.cmd(f"USER {user}")
    check(code == 331, f"USER {user}: {code} {text!r}")
    code, text = c.cmd(f"PASS {password}")
    return c, code, text


def logged_in(srv, user, password, src="127.0.0.1"):
    c, code, text = session(srv, user, password, src)
    check(code == 230, f"login of {user} from {src}: {code} {text!r}")
    return c


def quit_session(c):
    code, _ = c.cmd("QUIT")
    check(code == 221, f"QUIT gave {code}")
    c.close()


def login_soon(srv, user, password, src, timeout=10):
    """A login from src, retried while the limit still holds: the count
    drops when the master reaps the monitor, a moment after QUIT."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        c, code, text = session(srv, user, password, src)
        if code == 230:
            return c
        c.close()
        check(code == 421 and "Too many sessions" in text,
              f"login from {src}: {code} {text!r}")
        check(time.monotonic() < deadline, "the count never dropped "
              "after a session ended")
        time.sleep(0.1)


def limit_of_two(srv, user, password):
    """Two sessions from two addresses pass, the third gets 421 with the
    limit and is closed; it is no failed login (ban_after = 1 would ban
    the address); once one session ends a new one passes."""
    a = logged_in(srv, user, password, "127.0.0.1")
    b = logged_in(srv, user, password, "127.0.0.2")
    c, code, text = session(srv, user, password, "127.0.0.1")
    check(code == 421, f"third session: {code} {text!r}")
    check(LIMIT_TEXT in text, f"the 421 does not give the limit: {text!r}")
    check(c.closed(), "the refused session stays open")
    c.close()
    # The refused session's monitor has been reaped before this one is
    # let in (the count only drops at a reap): a ban would show here.
    quit_session(a)
    a = login_soon(srv, user, password, "127.0.0.1")
    d = control_from(srv, "127.0.0.1")     # a 421 here would be a ban
    d.close()
    log = srv.log()
    check("max_sessions 2 reached" in log, "no log line for the limit:\n"
          + srv.log_tail())
    check("login failed" not in log and "banned" not in log,
          "the refusal counted as a failed login:\n" + srv.log_tail())
    quit_session(a)
    quit_session(b)


def limited_server(**kw):
    srv = Server(users={"alice": "apw", "bob": "bpw"}, **kw)
    srv.keys.update({"ban_after": "1", "ban_seconds": "600"})
    return srv


def test_max_sessions_global():
    srv = limited_server(conf={"max_sessions": "2"})
    with srv:
        # Other accounts are counted apart.
        bob = logged_in(srv, "bob", "bpw", "127.0.0.2")
        limit_of_two(srv, "alice", "apw")
        quit_session(bob)


def test_max_sessions_user_section():
    """A [user] section sets it; bob, without one, is not limited."""
    srv = limited_server()
    srv.extra_text = "\n[user alice]\nmax_sessions = 2\n"
    with srv:
        bobs = [logged_in(srv, "bob", "bpw", f"127.0.0.{i % 2 + 1}")
                for i in range(4)]
        limit_of_two(srv, "alice", "apw")
        for b in bobs:
            quit_session(b)


def test_max_sessions_two_at_once():
    """Two logins at the limit - 1 at the same moment: the master
    answers one after the other, so exactly one passes."""
    srv = limited_server(conf={"max_sessions": "2", "ban_after": "0"})
    with srv:
        first = logged_in(srv, "alice", "apw", "127.0.0.1")
        racers = [control_from(srv, src) for src in ("127.0.0.1",
                                                     "127.0.0.2")]
        for r in racers:
            check(r.cmd("USER alice")[0] == 331, "USER")
        results = [None, None]

        def go(i):
            results[i] = racers[i].cmd("PASS apw")[0]
        threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60 * SLOW)
        check(sorted(results) == [230, 421], f"two logins at once gave "
              f"{results}")
        for r in racers:
            r.close()
        quit_session(first)


def test_max_sessions_behind_proxy_protocol():
    """The channel carries the PROXY verdict first, then the login
    question: both are answered."""
    srv = limited_server(conf={"max_sessions": "1",
                               "proxy_protocol": "yes"})
    with srv:
        def via_proxy(client):
            c = RawControl(HOST, srv.port, 30 * SLOW)
            c.send(f"PROXY TCP4 {client} 127.0.0.1 40000 21\r\n".encode())
            check(c.reply()[0] == 220, "greeting")
            check(c.cmd("USER alice")[0] == 331, "USER")
            return c, c.cmd("PASS apw")
        a, (code, text) = via_proxy("127.0.0.7")
        check(code == 230, f"first login: {code} {text!r}")
        b, (code, text) = via_proxy("127.0.0.8")
        check(code == 421 and "limit 1" in text, f"second login: {code} "
              f"{text!r}")
        b.close()
        quit_session(a)


def sqlite_accounts(srv, rows):
    """An SQLite database of the shipped schema with rows (name,
    password, home, max_sessions), readable by the account service."""
    path = srv.tmp / "accounts.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.read_text())
    for name, password, home, limit in rows:
        home.mkdir(parents=True, exist_ok=True)
        if is_root():
            os.chown(home, srv.vuid, srv.vgid)
        db.execute("INSERT INTO ftp_accounts (name, password, uid, gid, "
                   "home, enabled, max_sessions) VALUES (?, ?, ?, ?, ?, "
                   "1, ?)", (name, crypt_hash(password), srv.vuid,
                             srv.vgid, str(home), limit))
    db.commit()
    db.close()
    if is_root():
        os.chown(path, SERVICE_UID, SERVICE_UID)
    return path


def test_max_sessions_sql_row():
    """The account's row sets max_sessions (a NULL keeps the server's
    none); ftpd -t -u asks the account service and names the row."""
    srv = limited_server()
    db = sqlite_accounts(srv, [("carol", "cpw", srv.homes / "carol", 2),
                               ("dan", "dpw", srv.homes / "dan", None)])
    srv.keys.update({
        "accounts": "sql, file", "sql_driver": "sqlite", "sql_dsn": str(db),
        "sql_user_query": "SELECT name, password, uid, gid, home, enabled, "
                          "max_sessions FROM ftp_accounts WHERE name = :user"})
    with srv:
        dans = [logged_in(srv, "dan", "dpw", "127.0.0.1") for _ in range(3)]
        limit_of_two(srv, "carol", "cpw")
        for d in dans:
            quit_session(d)
        r = subprocess.run([str(FTPD), "-f", str(srv.conf_path), "-t", "-u",
                            "carol"], capture_output=True, text=True,
                           timeout=60 * SLOW)
        check(r.returncode == 0, f"-t -u carol: {r.returncode}\n{r.stdout}"
              f"\n{r.stderr}")
        check("max_sessions = 2    (from: the account's row)" in r.stdout,
              f"-t -u does not show the row's value:\n{r.stdout}")


def plan_show(srv, name):
    srv._write_files()
    return subprocess.run([str(FTPD), "-f", str(srv.conf_path), "-t", "-u",
                           name], capture_output=True, text=True,
                          timeout=60 * SLOW)


def test_t_u_shows_values_and_origins():
    """ftpd -t -u NAME: global < [group] (in file order) < [user], each
    value with its origin; an unknown name exits 1."""
    srv = Server(users={"alice": "apw"},
                 conf={"quota_bytes": "10G", "max_sessions": "5",
                       "allow_from": "127.0.0.0/8, ::1"})
    conf = f"{srv.conf_path}"
    srv.extra_text = (f"\n[group {srv.vgid}]\nrate_down = 1M\n"
                      "max_sessions = 3\ntls_required = yes\n"
                      "\n[user alice]\nmax_sessions = 2\nstart_dir = /pub\n")
    try:
        r = plan_show(srv, "alice")
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
        lines = {ln.split(" = ", 1)[0]: ln for ln in r.stdout.splitlines()
                 if not ln.startswith("#")}
        text = srv.conf_path.read_text().splitlines()
        gline = text.index(f"[group {srv.vgid}]") + 1
        uline = text.index("[user alice]") + 1
        qline = next(i for i, ln in enumerate(text)
                     if ln.startswith("quota_bytes")) + 1
        want = {
            "quota_bytes": f"quota_bytes = 10737418240    (from: "
                           f"{conf}:{qline})",
            "rate_down": f"rate_down = 1048576    (from: [group "
                         f"{srv.vgid}] {conf}:{gline})",
            "tls_required": f"tls_required = yes    (from: [group "
                            f"{srv.vgid}] {conf}:{gline})",
            "max_sessions": f"max_sessions = 2    (from: [user alice] "
                            f"{conf}:{uline})",
            "start_dir": f"start_dir = /pub    (from: [user alice] "
                         f"{conf}:{uline})",
            "allow_from": "allow_from = 127.0.0.0/8, ::1    (from: "
                          f"{conf}:",
            "rate_up": "rate_up = 0    (from: default)",
            "create_home": "create_home = no    (from: default)",
        }
        for key, line in want.items():
            check(lines.get(key, "").startswith(line),
                  f"{key}: want {line!r}, got {lines.get(key)!r}\n"
                  + r.stdout)
        check(len(lines) == 12, f"not one line per key:\n{r.stdout}")
        check("# plan of alice: users_file" in r.stdout, r.stdout)
        r = plan_show(srv, "nosuchuser")
        check(r.returncode == 1, f"unknown name: exit {r.returncode}")
        check("nosuchuser: no such account" in r.stderr, r.stderr)
        check(r.stdout == "", f"unknown name printed {r.stdout!r}")
        r = subprocess.run([str(FTPD), "-f", str(srv.conf_path), "-u",
                            "alice"], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 1 and "-t" in r.stderr, "-u without -t")
    finally:
        srv.cleanup(failed=False)


def test_allow_from_and_deny_from():
    """Global allow_from admits 127.0.0.1 only; bob's [user] section
    widens it and denies 127.0.0.1 (deny first): 530 either way."""
    srv = Server(users={"alice": "apw", "bob": "bpw"},
                 conf={"allow_from": "127.0.0.1", "ban_after": "0"})
    srv.extra_text = ("\n[user bob]\nallow_from = 127.0.0.0/8\n"
                      "deny_from = 127.0.0.1\n")
    with srv:
        quit_session(logged_in(srv, "alice", "apw", "127.0.0.1"))
        c, code, text = session(srv, "alice", "apw", "127.0.0.2")
        check(code == 530 and "not allowed from your address" in text,
              f"alice from 127.0.0.2: {code} {text!r}")
        c.close()
        quit_session(logged_in(srv, "bob", "bpw", "127.0.0.2"))
        c, code, text = session(srv, "bob", "bpw", "127.0.0.1")
        check(code == 530, f"bob from 127.0.0.1: {code} {text!r}")
        c.close()
        check("address refused by allow_from/deny_from" in srv.log(),
              "no log line:\n" + srv.log_tail())


def test_tls_required_per_user():
    """[user alice] tls_required: 530 on a plain connection, 230 after
    AUTH TLS; bob stays free to log in plain."""
    srv = Server(users={"alice": "apw", "bob": "bpw"}, tls="on",
                 conf={"ban_after": "0"})
    srv.extra_text = "\n[user alice]\ntls_required = yes\n"
    with srv:
        c, code, text = session(srv, "alice", "apw")
        check(code == 530 and "TLS" in text, f"plain: {code} {text!r}")
        c.close()
        quit_session(logged_in(srv, "bob", "bpw"))
        ctx = ssl.create_default_context(cafile=str(srv.cert))
        ctx.check_hostname = False
        f = ftplib.FTP_TLS(context=ctx, timeout=30 * SLOW)
        f.connect(HOST, srv.port)
        f.auth()
        resp = f.login("alice", "apw")
        check(resp.startswith("230"), f"after AUTH TLS: {resp!r}")
        f.quit()


def test_start_dir():
    srv = Server(users={"alice": "apw"})
    (srv.home("alice") / "pub" / "in").mkdir(parents=True)
    srv.extra_text = "\n[user alice]\nstart_dir = /pub/in\n"
    with srv:
        c = logged_in(srv, "alice", "apw")
        code, text = c.cmd("PWD")
        check(code == 257 and '"/pub/in"' in text, f"PWD: {text!r}")
        quit_session(c)


def test_create_home():
    """create_home makes the missing home at the first login, owned by
    the account, mode 0750; without it a missing home is a 530 and a log
    line."""
    srv = Server(conf={"ban_after": "0"})
    users = srv.tmp / "users.plan"
    lines = [f"{name}:{crypt_hash('pw')}:{srv.vuid}:{srv.vgid}:t:"
             f"{srv.homes / name}:/bin/bash\n" for name in ("carol", "dave")]
    users.write_text("".join(lines))
    os.chmod(users, 0o600)
    srv.keys["users_file"] = str(users)
    srv.extra_text = "\n[user carol]\ncreate_home = yes\n"
    with srv:
        home = srv.homes / "carol"
        check(not home.exists(), "home there before the login")
        c = logged_in(srv, "carol", "pw")
        code, text = c.cmd("PWD")
        check(code == 257, f"PWD in the new home: {text!r}")
        quit_session(c)
        st = os.stat(home)
        check(stat.S_ISDIR(st.st_mode), "no home made")
        check(stat.S_IMODE(st.st_mode) == 0o750,
              f"home mode {oct(stat.S_IMODE(st.st_mode))}")
        check((st.st_uid, st.st_gid) == (srv.vuid, srv.vgid),
              f"home owned by {st.st_uid}:{st.st_gid}")
        c, code, text = session(srv, "dave", "pw")
        check(code == 530, f"dave without a home: {code} {text!r}")
        c.close()
        check(not (srv.homes / "dave").exists(), "dave's home was made")
        check(f"dave: home {srv.homes / 'dave'}" in srv.log(),
              "no log line for the missing home:\n" + srv.log_tail())


def test_t_u_ldap_both_modes():
    """ftpd -t -u asks the account service about an ldap account: with
    ldap_auth = hash the entry is read (its ids shown); with bind the
    directory gives it only with the password, which the output says;
    a name the directory lacks exits 1."""
    from ldap_server import LdapServer, posix_user, require_slapd
    require_slapd()
    for mode in ("hash", "bind"):
        srv = Server(conf={"max_sessions": "3"})
        home = srv.homes / "lena"
        home.mkdir()
        try:
            with LdapServer([posix_user("lena", "l-pw", home, uid=srv.vuid,
                                        gid=srv.vgid)]) as ldap:
                srv.keys.update(ldap.ftpd_conf(accounts="ldap",
                                               ldap_auth=mode))
                r = plan_show(srv, "lena")
                check(r.returncode == 0, f"{mode}: exit {r.returncode}: "
                      f"{r.stderr}")
                check("# plan of lena: ldap source" in r.stdout, r.stdout)
                check("max_sessions = 3    (from: " in r.stdout, r.stdout)
                if mode == "hash":
                    check(f"# uid {srv.vuid}, gid {srv.vgid}" in r.stdout,
                          f"hash: no ids:\n{r.stdout}")
                else:
                    check("# note: ldap_auth = bind" in r.stdout,
                          f"bind: no note:\n{r.stdout}")
                r = plan_show(srv, "nobody-here")
                check(r.returncode == 1 and "no such account" in r.stderr,
                      f"{mode}: unknown name: {r.returncode} {r.stderr}")
        finally:
            srv.cleanup(failed=False)
