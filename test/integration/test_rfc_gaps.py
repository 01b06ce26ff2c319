"""test_rfc_gaps.py - the last RFC gaps: clean failure replies, REIN, STRU P.

The last wrong password of login_attempts (530, then the close), the 522
a non-resuming PROT P client gets, REIN after login (another account,
under TLS, max_sessions) and STRU P (RFC 959 Appendix I) through a page
codec written here, independently of the server's.
"""

import ftplib
import hashlib
import io
import os
import socket
import ssl
import struct
import time

from harness import (check, greeting_line, HOST, require_tool, run, Server,
                     SLOW)

USER, PASS = "rein", "Rein-pa55-word"
OTHER, OTHER_PASS = "other", "Other-pa55-word"


# ------------------------------------------------- the last failed login

def test_last_failed_login_is_530_then_close():
    """login_attempts = 2: the first wrong password is a 530 and the
    session goes on; the second (the last) is a 530 too, not a 421, and
    the server then closes.  Bans count it as before."""
    with Server(users={USER: PASS},
                conf={"login_attempts": 2, "ban_after": 2,
                      "ban_seconds": 60}) as srv:
        with srv.raw(timeout=60) as c:
            check(c.cmd(f"USER {USER}")[0] == 331, "USER")
            code, text = c.cmd("PASS bad1")
            check(code == 530, f"first failure: {code} {text!r}")
            check(c.cmd(f"USER {USER}")[0] == 331, "USER again")
            code, text = c.cmd("PASS bad2")
            check(code == 530 and "Login incorrect" in text,
                  f"last failure: {code} {text!r}")
            check(c.closed(), "not closed after the last failure")
        # The two failures were counted: a ban at ban_after = 2.
        deadline = time.monotonic() + 10 * SLOW
        banned = False
        data = b""
        while time.monotonic() < deadline and not banned:
            data = greeting_line(srv.port)
            banned = data == b"" or data.startswith(b"421")
            if not banned:
                time.sleep(0.2)
        check(banned, f"failures not counted toward the ban: {data!r}")


def test_last_failed_login_curl():
    """curl with login_attempts = 1 reports the 530 (access denied),
    exit 67, not a 421 "service not available"."""
    require_tool("curl")
    with Server(users={USER: PASS}, conf={"login_attempts": 1}) as srv:
        p = run(["curl", "-sS", "-v", "--user", f"{USER}:wrong",
                 srv.url("")], check_rc=False, timeout=60)
        check(p.returncode == 67, f"curl exit {p.returncode}: "
              f"{p.stderr[-800:]}")
        check("< 530" in p.stderr and "< 421" not in p.stderr,
              f"curl saw: {p.stderr[-800:]}")


# ------------------------------------------------------------ 522 reason

def _tls_context(srv, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(srv.cert))
    ctx.check_hostname = False
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def test_ftplib_tls_gets_522_with_the_reason():
    """Stock ftplib.FTP_TLS resumes no session: under TLS 1.3 and 1.2 a
    PROT P download and upload each end in error_perm 522 naming the
    requirement and the key (not an SSL error), and the session goes on;
    curl, which resumes, still transfers."""
    with Server(users={USER: PASS}, tls="on") as srv:
        (srv.home(USER) / "f.bin").write_bytes(os.urandom(3000))
        srv.give(USER)
        for ver in (None, ssl.TLSVersion.TLSv1_2):
            f = ftplib.FTP_TLS(context=_tls_context(srv, ver),
                               timeout=30 * SLOW)
            try:
                f.connect(HOST, srv.port)
                f.auth()
                f.login(USER, PASS)
                f.prot_p()
                for what, call in (
                        ("RETR", lambda: f.retrbinary("RETR f.bin",
                                                      lambda b: None)),
                        ("STOR", lambda: f.storbinary(
                            "STOR g.bin", io.BytesIO(b"y" * 500)))):
                    text = ""
                    try:
                        call()
                    except ftplib.error_perm as e:
                        text = str(e)
                    check(text.startswith("522") and "reuse" in text and
                          "TLS session" in text and
                          "tls_reuse_required" in text,
                          f"{what} ({ver}): {text!r}")
                    check(f.voidcmd("NOOP").startswith("200"), "NOOP")
            finally:
                f.close()
        require_tool("curl")
        out = srv.tmp / "curl.out"
        run(["curl", "-sS", "--ssl-reqd", "--cacert", str(srv.cert),
             "--user", f"{USER}:{PASS}", srv.url("f.bin"), "-o", str(out)],
            timeout=60)
        check(out.read_bytes() == (srv.home(USER) / "f.bin").read_bytes(),
              "curl (resuming) did not download")


# ------------------------------------------------------------------ REIN

def _two_accounts(**kw):
    srv = Server(users={USER: PASS, OTHER: OTHER_PASS}, **kw)
    return srv


def _login(c, user, password):
    check(c.cmd(f"USER {user}")[0] == 331, f"USER {user}")
    code, text = c.cmd(f"PASS {password}")
    check(code == 230, f"PASS {user}: {code} {text!r}")


def _pasv(c):
    code, text = c.cmd("PASV")
    check(code == 227, f"PASV: {code} {text!r}")
    nums = text[text.index("(") + 1:text.index(")")].split(",")
    return socket.create_connection((HOST, int(nums[4]) * 256 +
                                     int(nums[5])), timeout=30 * SLOW)


def _nlst(c):
    d = _pasv(c)
    c.send("NLST\r\n")
    code, _ = c.reply()
    check(code in (125, 150), f"NLST: {code}")
    data = b""
    while True:
        chunk = d.recv(65536)
        if not chunk:
            break
        data += chunk
    d.close()
    check(c.reply()[0] == 226, "NLST did not complete")
    return sorted(data.decode().split())


def test_rein_logs_in_another_account():
    """REIN after login: 220, the account's process ends, USER/PASS of
    another account see that account's root; PASS right after REIN is
    503 (no USER any more)."""
    with _two_accounts() as srv:
        (srv.home(USER) / "mine.txt").write_bytes(b"1")
        (srv.home(OTHER) / "theirs.txt").write_bytes(b"2")
        srv.give(USER)
        srv.give(OTHER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            check(_nlst(c) == ["mine.txt"], "first account's root")
            code, text = c.cmd("REIN")
            check(code == 220, f"REIN: {code} {text!r}")
            check(c.cmd("PWD")[0] == 530, "still logged in after REIN")
            check(c.cmd("PASS x")[0] == 503, "PASS without USER")
            _login(c, OTHER, OTHER_PASS)
            check(_nlst(c) == ["theirs.txt"], "second account's root")
            # Again, back to the first, pipelined after REIN.
            c.send(f"REIN\r\nUSER {USER}\r\nPASS {PASS}\r\n")
            codes = [c.reply()[0] for _ in range(3)]
            check(codes == [220, 331, 230], f"pipelined REIN: {codes}")
            check(_nlst(c) == ["mine.txt"], "first account again")
            check(c.cmd("QUIT")[0] == 221, "QUIT")
        log = srv.log()
        check(log.count("REIN: user") == 2, "REIN not logged")


def test_rein_before_login_and_during_a_transfer():
    """REIN before login forgets USER; REIN sent while a download runs
    waits for it: the file arrives whole, 226, then 220."""
    with _two_accounts() as srv:
        data = os.urandom(8 << 20)
        (srv.home(USER) / "big.bin").write_bytes(data)
        srv.give(USER)
        with srv.raw() as c:
            check(c.cmd(f"USER {USER}")[0] == 331, "USER")
            check(c.cmd("REIN")[0] == 220, "REIN before login")
            check(c.cmd(f"PASS {PASS}")[0] == 503, "USER not forgotten")
            _login(c, USER, PASS)
            check(c.cmd("TYPE I")[0] == 200, "TYPE I")
            d = _pasv(c)
            c.send("RETR big.bin\r\n")
            check(c.reply()[0] in (125, 150), "RETR")
            first = d.recv(65536)
            c.send("REIN\r\n")
            got = [first]
            while True:
                chunk = d.recv(1 << 20)
                if not chunk:
                    break
                got.append(chunk)
            d.close()
            check(hashlib.sha256(b"".join(got)).digest() ==
                  hashlib.sha256(data).digest(), "download cut by REIN")
            check(c.reply()[0] == 226, "transfer did not complete")
            check(c.reply()[0] == 220, "no 220 after the transfer")
            _login(c, OTHER, OTHER_PASS)
            check(_nlst(c) == [], "second account's (empty) root")


def test_rein_releases_max_sessions():
    """max_sessions = 1: a session that REINs no longer counts (another
    connection logs in as the account), and logging in again counts it:
    then it is the one refused."""
    with _two_accounts(conf={"max_sessions": 1}) as srv:
        with srv.raw() as a, srv.raw() as b:
            _login(a, USER, PASS)
            check(b.cmd(f"USER {USER}")[0] == 331, "USER b")
            check(b.cmd(f"PASS {PASS}")[0] == 421, "limit not enforced")
        with srv.raw() as a, srv.raw() as b:
            _login(a, USER, PASS)
            check(a.cmd("REIN")[0] == 220, "REIN")
            _login(b, USER, PASS)	# a's count was released
            check(a.cmd(f"USER {USER}")[0] == 331, "USER a")
            check(a.cmd(f"PASS {PASS}")[0] == 421, "a counted twice?")
        with srv.raw() as a:
            # Several REINs and logins of one connection: one session.
            for _ in range(3):
                _login(a, USER, PASS)
                check(a.cmd("REIN")[0] == 220, "REIN")
            _login(a, OTHER, OTHER_PASS)
            with srv.raw() as b:
                _login(b, USER, PASS)	# nothing leaked


def test_rein_under_tls():
    """On a TLS control connection REIN after login is refused (502, the
    session goes on); before login it only forgets USER; after a plain
    REIN, AUTH TLS is refused (431: the key is gone)."""
    with _two_accounts(tls="on") as srv:
        f = ftplib.FTP_TLS(context=_tls_context(srv), timeout=30 * SLOW)
        try:
            f.connect(HOST, srv.port)
            f.auth()
            f.sendcmd(f"USER {USER}")
            check(f.sendcmd("REIN").startswith("220"), "REIN before login")
            f.login(USER, PASS)
            try:
                f.sendcmd("REIN")
                check(False, "REIN accepted under TLS")
            except ftplib.error_perm as e:
                check(str(e).startswith("502") and "TLS" in str(e),
                      f"REIN under TLS: {e}")
            check(f.voidcmd("PWD").startswith("257"), "session lost")
        finally:
            f.close()
        with srv.raw() as c:
            _login(c, OTHER, OTHER_PASS)
            check(c.cmd("REIN")[0] == 220, "plain REIN")
            code, text = c.cmd("AUTH TLS")
            check(code == 431, f"AUTH TLS after REIN: {code} {text!r}")
            _login(c, USER, PASS)
