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
