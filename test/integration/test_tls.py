"""test_tls.py - FTPS (RFC 4217): explicit and implicit TLS with real clients.

curl, lftp, Python's ftplib and openssl s_client against the real server;
files compared by SHA-256.  Also the protocol corners: PBSZ/PROT order,
reuse of the control session on data connections, TLS versions, garbage
instead of a handshake, and plaintext pipelined after AUTH TLS.
"""

import contextlib
import ftplib
import hashlib
import io
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from harness import (HOST, SLOW, Server, Skip, cert_pair, check, child_pids,
                     make_file, process_holds, recv_all, require_root,
                     require_tool, retr_started, run, session_process,
                     sha256_bytes, sha256_file, small_tmpfs, wait_lines)

USER, PASS = "tess", "Tls-pa55-word"
MIB = 1 << 20


def _context(srv, max_version=None):
    """A client context that trusts the test certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(srv.cert))
    ctx.check_hostname = False
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS that resumes the control connection's TLS session on each
    data connection, as RFC 4217 servers may demand."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size


def _ftps(srv, cls=ReuseFTP_TLS, max_version=None, timeout=60, ctx=None):
    if ctx is None:
        ctx = _context(srv, max_version)
    f = cls(context=ctx, timeout=timeout * SLOW)
    f.connect(HOST, srv.port)
    f.auth()
    f.login(USER, PASS)
    f.prot_p()
    return f


def _tls_server(**kw):
    kw.setdefault("users", {USER: PASS})
    kw.setdefault("tls", "on")
    return Server(**kw)


def _curl_tls(srv, *args, timeout=120):
    return run(["curl", "-sS", "--ssl-reqd", "--cacert", str(srv.cert),
                "--user", f"{USER}:{PASS}", *args], timeout=timeout)


# ---------------------------------------------------------------- curl

def _curl_round_trip(srv, extra, d):
    want = make_file(srv.home(USER) / "down.bin", 3 * MIB + 17, seed=1)
    srv.give(USER)
    out = Path(d) / "down.bin"
    _curl_tls(srv, *extra, srv.url("down.bin"), "-o", str(out))
    check(sha256_file(out) == want, "download differs")
    src = Path(d) / "up.bin"
    up = make_file(src, 2 * MIB + 5, seed=2)
    _curl_tls(srv, *extra, "-T", str(src), srv.url("up.bin"))
    check(sha256_file(srv.home(USER) / "up.bin") == up, "upload differs")


def test_curl_explicit_passive():
    require_tool("curl")
    with _tls_server() as srv, tempfile.TemporaryDirectory() as d:
        _curl_round_trip(srv, [], d)
        check("(resumed)" in srv.log() or "resum" in srv.log(),
              "data connection did not resume the session")


def test_curl_explicit_tls12():
    require_tool("curl")
    with _tls_server() as srv, tempfile.TemporaryDirectory() as d:
        _curl_round_trip(srv, ["--tls-max", "1.2"], d)
        check("TLSv1.2" in srv.log(), "TLS 1.2 not negotiated")


# ---------------------------------------------------------------- curl, active

def _probe_reply(line, state):
    """The fake server's answer to one command line (see below)."""
    verb, _, arg = line.partition(" ")
    verb = verb.upper()
    if verb == "EPRT":
        parts = arg.split(arg[:1])
        state["port"] = (parts[2], int(parts[3]))
    elif verb == "PORT":
        n = arg.split(",")
        state["port"] = (".".join(n[:4]), int(n[4]) * 256 + int(n[5]))
    return {"AUTH": "234 go", "USER": "331 pw", "PASS": "230 in",
            "PBSZ": "200 PBSZ=0", "PROT": "200 ok", "PWD": '257 "/"',
            "EPRT": "200 ok", "PORT": "200 ok", "TYPE": "200 ok",
            "SIZE": "213 5"}.get(verb, "502 no")


def _curl_starts_tls_on_active_data():
    """Does this curl, in active mode under PROT P, start TLS on the data
    connection the server opens?  Asked of a minimal fake server (not
    ftpd) that opens it after RETR, says 150 and waits 5 s for a
    ClientHello.  curl 7.87-7.88 never sends one (curl issue #10666,
    fixed in 8.0.0 by curl PR #10669: the SSL filter was not added to the
    accepted data connection), so such a transfer hangs against any
    RFC 4217 server until a timeout."""
    cert, key = cert_pair()
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(str(cert), str(key))
    lsock = socket.create_server((HOST, 0))
    lsock.settimeout(10 * SLOW)
    curl = subprocess.Popen(
        ["curl", "-sS", "--ssl-reqd", "--cacert", str(cert), "--max-time",
         "20", "--ftp-port", HOST, "--user", "u:p",
         f"ftp://{HOST}:{lsock.getsockname()[1]}/f", "-o", os.devnull],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    state = {}
    try:
        ctl, _ = lsock.accept()
        ctl.settimeout(10 * SLOW)
        ctl.sendall(b"220 probe\r\n")
        rfile = ctl.makefile("rb")
        for _ in range(30):
            line = rfile.readline(4096).decode("ascii", "replace").strip()
            if not line or line.upper() == "QUIT":
                break
            if line.upper().startswith("RETR"):
                data = socket.create_connection(state["port"], timeout=5)
                ctl.sendall(b"150 here it comes\r\n")
                with data, contextlib.suppress(OSError):
                    return data.recv(1) == b"\x16"	# TLS handshake
                return False
            ctl.sendall(_probe_reply(line, state).encode() + b"\r\n")
            if line.upper().startswith("AUTH"):
                ctl = sctx.wrap_socket(ctl, server_side=True)
                rfile = ctl.makefile("rb")
        return False
    finally:
        curl.kill()
        curl.wait(timeout=10)
        lsock.close()


def test_curl_active_prot_p():
    """curl, active mode (EPRT), PROT P: download and upload by SHA-256.
    ftpd opens the data connection from port L-1, says 150 and is the TLS
    server on it, as for passive connections (lftp and ftplib pass in
    active mode).  Skipped when the installed curl has the bug above."""
    require_tool("curl")
    require_root("active mode binds port L-1")
    if not _curl_starts_tls_on_active_data():
        v = run(["curl", "--version"]).stdout.split()[1]
        raise Skip(f"curl {v} does not start TLS on active data "
                   "connections (curl bug #10666, fixed in curl 8.0.0)")
    with _tls_server() as srv, tempfile.TemporaryDirectory() as d:
        _curl_round_trip(srv, ["--ftp-port", HOST], d)
        check("(resumed)" in srv.log(), "active data connection did not "
              "resume the session")


def test_curl_implicit():
    require_tool("curl")
    with _tls_server(implicit_tls=True) as srv, \
            tempfile.TemporaryDirectory() as d:
        want = make_file(srv.home(USER) / "i.bin", MIB + 3, seed=3)
        srv.give(USER)
        out = Path(d) / "i.bin"
        _curl_tls(srv, srv.url("i.bin", scheme="ftps"), "-o", str(out))
        check(sha256_file(out) == want, "implicit TLS download differs")
        src = Path(d) / "iu.bin"
        up = make_file(src, MIB + 9, seed=4)
        _curl_tls(srv, "-T", str(src), srv.url("iu.bin", scheme="ftps"))
        check(sha256_file(srv.home(USER) / "iu.bin") == up,
              "implicit TLS upload differs")


# ---------------------------------------------------------------- lftp

def _lftp_round_trip(passive):
    with _tls_server() as srv, tempfile.TemporaryDirectory() as d:
        want = make_file(srv.home(USER) / "l.bin", 2 * MIB + 1, seed=5)
        srv.give(USER)
        up = make_file(Path(d) / "lu.bin", MIB + 7, seed=6)
        pre = ("set ftp:ssl-force true; set ftp:ssl-protect-data true; "
               "set ssl:verify-certificate no; set net:max-retries 2; "
               "set net:timeout 20; set cmd:fail-exit yes; "
               "set xfer:clobber on; set ftp:passive-mode "
               f"{'on' if passive else 'off'}; ")
        run(["lftp", "-u", f"{USER},{PASS}", "-p", str(srv.port), "-e",
             pre + "get l.bin; put lu.bin; ls; quit", HOST], timeout=120,
            cwd=d)
        check(sha256_file(Path(d) / "l.bin") == want, "lftp get differs")
        check(sha256_file(srv.home(USER) / "lu.bin") == up,
              "lftp put differs")
        check("PROT P" in srv.log(), "lftp did not protect data")


def test_lftp_ssl_force():
    require_tool("lftp")
    _lftp_round_trip(True)


def test_lftp_ssl_force_active():
    require_tool("lftp")
    require_root("active mode binds port L-1")
    _lftp_round_trip(False)


# ---------------------------------------------------------------- ftplib

def _ftplib_round_trip(f, srv, size=MIB + 11):
    data = os.urandom(size)
    f.storbinary("STOR py.bin", io.BytesIO(data))
    check(sha256_file(srv.home(USER) / "py.bin") == sha256_bytes(data),
          "ftplib upload differs")
    chunks = []
    f.retrbinary("RETR py.bin", chunks.append)
    check(sha256_bytes(b"".join(chunks)) == sha256_bytes(data),
          "ftplib download differs")
    names = f.nlst()
    check("py.bin" in names, f"NLST over TLS: {names}")


def test_ftplib_reuse_tls13_and_tls12():
    with _tls_server() as srv:
        for ver in (None, ssl.TLSVersion.TLSv1_2):
            f = _ftps(srv, max_version=ver)
            try:
                _ftplib_round_trip(f, srv)
            finally:
                f.quit()


def test_ftplib_reuse_tls12_session_ids():
    """TLS 1.2 without tickets: resumption from the server's session
    cache (session ids)."""
    with _tls_server() as srv:
        ctx = _context(srv, ssl.TLSVersion.TLSv1_2)
        ctx.options |= ssl.OP_NO_TICKET
        f = _ftps(srv, ctx=ctx)
        try:
            _ftplib_round_trip(f, srv)
        finally:
            f.quit()


class ForeignSessionFTP_TLS(ftplib.FTP_TLS):
    """Resumes, on its data connections, the TLS session of another
    control connection (self.foreign)."""

    foreign = None

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                        session=self.foreign)
        return conn, size


def _expect_522(f, what):
    text = ""
    try:
        f.retrlines("LIST", lambda line: None)
        check(False, f"{what}: data connection accepted")
    except (ftplib.error_perm, ftplib.error_temp, ssl.SSLError,
            ConnectionError, EOFError, OSError) as e:
        text = str(e)
    if "522" not in text:
        try:
            text = f.getresp()
        except ftplib.all_errors as e:
            text = str(e)
    check("522" in text, f"{what}: expected 522, got {text!r}")


def test_session_of_another_control_connection_refused():
    """A data connection resuming a TLS 1.2 session of another control
    connection (its handshake's ticket or session id, made before any
    login) is refused.  (Tickets issued after login name the account:
    test_tls_clients.py.)"""
    with _tls_server() as srv:
        for ver, no_ticket in ((ssl.TLSVersion.TLSv1_2, False),
                               (ssl.TLSVersion.TLSv1_2, True)):
            ctx = _context(srv, ver)
            if no_ticket:
                ctx.options |= ssl.OP_NO_TICKET
            a = _ftps(srv, ctx=ctx)
            a.voidcmd("NOOP")	# reads the TLS 1.3 tickets
            b = _ftps(srv, cls=ForeignSessionFTP_TLS, ctx=ctx)
            b.foreign = a.sock.session
            try:
                _expect_522(b, f"foreign session ({ver}, no_ticket="
                            f"{no_ticket})")
                check(b.voidcmd("NOOP").startswith("200"), "session lost")
            finally:
                a.close()
                b.close()


def test_ftplib_without_reuse_refused():
    """Stock FTP_TLS resumes nothing: each transfer ends in the 522 itself,
    whose text says what to do, not in a reset or a TLS error (the data
    connection is closed with close_notify before the 522)."""
    with _tls_server() as srv:
        make_file(srv.home(USER) / "f.bin", 5000, seed=3)
        srv.give(USER)
        f = _ftps(srv, cls=ftplib.FTP_TLS)
        try:
            for what, call in (
                    ("LIST", lambda: f.retrlines("LIST", lambda line: None)),
                    ("RETR", lambda: f.retrbinary("RETR f.bin",
                                                  lambda b: None)),
                    ("STOR", lambda: f.storbinary("STOR g.bin",
                                                  io.BytesIO(b"x" * 100)))):
                try:
                    call()
                    check(False, f"{what}: data connection without reuse "
                          f"accepted")
                except ftplib.error_perm as e:
                    text = str(e)
                check(text.startswith("522") and "resume" in text and
                      "tls_reuse_required" in text,
                      f"{what}: expected a 522 saying what to do, got "
                      f"{text!r}")
                check(f.voidcmd("NOOP").startswith("200"),
                      "session unusable after the refusal")
        finally:
            f.close()
        check("not reused" in srv.log(), "refusal not logged")


def test_ftplib_without_reuse_allowed_when_not_required():
    with _tls_server(conf={"tls_reuse_required": "no"}) as srv:
        f = _ftps(srv, cls=ftplib.FTP_TLS)
        try:
            _ftplib_round_trip(f, srv)
        finally:
            f.quit()


def _big_file(srv, passive):
    size = 100 * MIB
    want = make_file(srv.home(USER) / "big.bin", size, seed=7)
    srv.give(USER)
    f = _ftps(srv, timeout=120)
    try:
        f.set_pasv(passive)
        h = __import__("hashlib").sha256()
        n = [0]

        def take(chunk):
            h.update(chunk)
            n[0] += len(chunk)
        f.retrbinary("RETR big.bin", take, blocksize=1 << 18)
        check(n[0] == size and h.hexdigest() == want,
              f"100 MiB download differs ({n[0]} bytes)")
        with open(srv.home(USER) / "big.bin", "rb") as src:
            f.storbinary("STOR big2.bin", src, blocksize=1 << 18)
        check(sha256_file(srv.home(USER) / "big2.bin") == want,
              "100 MiB upload differs")
    finally:
        f.quit()


def test_big_file_prot_p_passive():
    with _tls_server() as srv:
        _big_file(srv, True)


def test_big_file_prot_p_active():
    require_root("active mode binds port L-1")
    with _tls_server() as srv:
        _big_file(srv, False)


# ---------------------------------------------------------------- openssl

def _s_client(srv, *args):
    return run(["openssl", "s_client", "-starttls", "ftp", "-connect",
                f"{HOST}:{srv.port}", "-CAfile", str(srv.cert), *args],
               input="QUIT\r\n", timeout=30, check_rc=False)


def test_openssl_versions():
    require_tool("openssl")
    with _tls_server() as srv:
        p = _s_client(srv, "-tls1_3")
        out = p.stdout + p.stderr
        check(p.returncode == 0 and "TLSv1.3" in out,
              f"TLS 1.3 refused: {out[-800:]}")
        p = _s_client(srv, "-tls1_2")
        out = p.stdout + p.stderr
        check(p.returncode == 0 and "TLSv1.2" in out,
              f"TLS 1.2 refused: {out[-800:]}")
        # The client must be willing to speak 1.1 for this to test us.
        p = _s_client(srv, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
        out = p.stdout + p.stderr
        check(p.returncode != 0 or "Cipher is (NONE)" in out,
              f"TLS 1.1 accepted: {out[-800:]}")
        check("TLSv1.1" not in out.split("New,")[-1][:40],
              "TLS 1.1 negotiated")
        check("unsupported protocol" in srv.log(),
              "server did not refuse TLS 1.1 itself")


# ---------------------------------------------------------------- protocol

def _raw_tls(srv, c, max_version=None):
    """AUTH TLS on a RawControl and switch it to TLS."""
    code, text = c.cmd("AUTH TLS")
    check(code == 234, f"AUTH TLS: {code} {text}")
    c.sock = _context(srv, max_version).wrap_socket(c.sock,
                                                    server_hostname=HOST)
    c.rbuf = b""


def test_pbsz_prot_state_machine():
    with _tls_server() as srv, srv.raw() as c:
        check(c.cmd("PBSZ 0")[0] == 503, "PBSZ before AUTH")
        check(c.cmd("PROT P")[0] == 503, "PROT before AUTH")
        check(c.cmd("AUTH KERBEROS_V4")[0] == 504, "unknown mechanism")
        _raw_tls(srv, c)
        check(c.cmd("AUTH TLS")[0] == 503, "AUTH twice")
        check(c.cmd("PROT P")[0] == 503, "PROT before PBSZ")
        code, text = c.cmd("PBSZ 1024")
        check(code == 200 and "PBSZ=0" in text, f"PBSZ 1024: {text}")
        check(c.cmd("PBSZ x")[0] == 501, "PBSZ x")
        check(c.cmd("PROT S")[0] == 536, "PROT S")
        check(c.cmd("PROT E")[0] == 536, "PROT E")
        check(c.cmd("PROT Q")[0] == 504, "PROT Q")
        check(c.cmd("PROT C")[0] == 200, "PROT C")
        check(c.cmd("PROT p")[0] == 200, "PROT p")
        check(c.cmd(f"USER {USER}")[0] == 331, "USER over TLS")
        check(c.cmd(f"PASS {PASS}")[0] == 230, "PASS over TLS")
        check(c.cmd("AUTH TLS")[0] == 503, "AUTH after login")
        check(c.cmd("PBSZ 0")[0] == 200, "PBSZ after login")
        check(c.cmd("PROT C")[0] == 200, "PROT C after login")
        check(c.cmd("CCC")[0] in (502, 534), "CCC")
        check(c.cmd("NOOP")[0] == 200, "NOOP after CCC")
        check(c.cmd("QUIT")[0] == 221, "QUIT")


# ---------------------------------------------------------------- CCC

CLEARED = "CCC: control connection in clear text from now on"


def _curl_ccc(srv, mode, d, *extra):
    """curl --ftp-ssl-ccc (PROT P data): download by SHA-256 and list.
    Returns the download's curl -v output."""
    want = make_file(srv.home(USER) / "ccc.bin", MIB + 21, seed=9)
    srv.give(USER)
    out = Path(d) / "ccc.bin"
    ccc = ["--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", mode, *extra]
    p = _curl_tls(srv, "-v", *ccc, srv.url("ccc.bin"), "-o", str(out))
    check(sha256_file(out) == want, "download differs")
    names = _curl_tls(srv, *ccc, "--list-only", srv.url("")).stdout.split()
    check("ccc.bin" in names, f"listing: {names}")
    return p.stderr


def test_curl_ccc_active_mode():
    """curl sends close_notify itself after the 200 (its "active" CCC
    mode); data connections stay TLS and resume the control session."""
    require_tool("curl")
    with _tls_server(conf={"tls_ccc": "yes"}) as srv, \
            tempfile.TemporaryDirectory() as d:
        err = _curl_ccc(srv, "active", d)
        check("< 200 CCC" in err, f"no 200 to CCC: {err[-1500:]}")
        log = srv.log()
        check(log.count(CLEARED) == 2, "control channel not cleared")
        check("sent no close_notify" not in log, "close_notify not seen")
        check("(resumed)" in log, "data connections did not resume")


def test_curl_ccc_passive_mode():
    """curl's default "passive" CCC mode reads our close_notify but sends
    none, and goes on in clear text at once.  It then offers no TLS
    session to resume on data connections (its ClientHello is a fresh
    one: curl drops the session of a connection it did not close_notify
    itself), so tls_reuse_required must be off for it; with the default
    curl gets 522 and should use --ftp-ssl-ccc-mode active."""
    require_tool("curl")
    with _tls_server(conf={"tls_ccc": "yes", "tls_reuse_required": "no"}) \
            as srv, tempfile.TemporaryDirectory() as d:
        _curl_ccc(srv, "passive", d)
        log = srv.log()
        check(log.count(CLEARED + " (the client sent no close_notify)")
              == 2, "clear text without close_notify not recognised")


def test_curl_ccc_refused_by_default():
    """tls_ccc = no: 534, and the session goes on in TLS (curl treats a
    refused CCC as not fatal)."""
    require_tool("curl")
    with _tls_server() as srv, tempfile.TemporaryDirectory() as d:
        err = _curl_ccc(srv, "active", d)
        check("< 534 " in err, f"CCC not refused: {err[-1500:]}")
        check(CLEARED not in srv.log(), "control channel cleared")


def _unwrap_with(c, data):
    """After the 200 to CCC: end TLS on RawControl c and send data in
    clear text in the same TCP segment as our close_notify (corked), so
    the server must not lose what follows the close_notify."""
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    c.sock = c.sock.unwrap()
    c.send(data)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


def test_ccc_raw():
    """CCC by hand, TLS 1.3 and 1.2: refused before AUTH (533) and before
    login (503); after it the control connection is clear text on the
    same socket, PROT P data still TLS (resuming the control session), no
    second CCC or AUTH."""
    with _tls_server(conf={"tls_ccc": "yes"}) as srv:
        for ver in (None, ssl.TLSVersion.TLSv1_2):
            with srv.raw() as c:
                _ccc_by_hand(srv, c, ver)


def _ccc_by_hand(srv, c, max_version):
    """The steps of test_ccc_raw on one control connection."""
    data = os.urandom(300000)
    (srv.home(USER) / "p.bin").write_bytes(data)
    srv.give(USER)
    check(c.cmd("CCC")[0] == 533, "CCC before AUTH")
    _raw_tls(srv, c, max_version)
    check(c.cmd("CCC")[0] == 503, "CCC before login")
    for line, want in ((f"USER {USER}", 331), (f"PASS {PASS}", 230),
                       ("PBSZ 0", 200), ("PROT P", 200)):
        check(c.cmd(line)[0] == want, f"{line} over TLS")
    ctx, session = c.sock.context, c.sock.session
    code, text = c.cmd("CCC")
    check(code == 200, f"CCC: {code} {text}")
    _unwrap_with(c, b"PWD\r\n")
    code, text = c.reply()
    check(code == 257, f"PWD in clear text: {code} {text}")
    code, text = c.cmd("STAT")
    check("Control connection: plain text; data connections: TLS"
          in text, f"STAT after CCC: {text}")
    check(c.cmd("TYPE I")[0] == 200, "TYPE I")
    code, text = c.cmd("PASV")
    nums = text[text.index("(") + 1:text.index(")")].split(",")
    d = socket.create_connection((HOST, int(nums[4]) * 256 +
                                  int(nums[5])), timeout=30 * SLOW)
    c.send("RETR p.bin\r\n")
    d = ctx.wrap_socket(d, server_hostname=HOST, session=session)
    check(d.session_reused, "data connection did not resume")
    check(c.reply()[0] == 150, "RETR after CCC")
    got = recv_all(d)
    check(c.reply()[0] == 226, "RETR did not complete")
    check(got == data, "PROT P download after CCC differs")
    check(c.cmd("CCC")[0] == 533, "second CCC")
    check(c.cmd("AUTH TLS")[0] == 503, "AUTH after CCC")
    check(c.cmd("PBSZ 0")[0] == 200, "PBSZ after CCC")
    check(c.cmd("QUIT")[0] == 221, "QUIT")
    check(CLEARED in srv.log(), "CCC not logged")


def test_ccc_protected_bytes_before_close_notify():
    """A command the client sends in TLS after the 200 but before its
    close_notify is still a command; its reply comes in clear text."""
    with _tls_server(conf={"tls_ccc": "yes"}) as srv, srv.raw() as c:
        _raw_tls(srv, c)
        check(c.cmd(f"USER {USER}")[0] == 331, "USER")
        check(c.cmd(f"PASS {PASS}")[0] == 230, "PASS")
        check(c.cmd("CCC")[0] == 200, "CCC")
        c.send(b"NOOP\r\n")
        _unwrap_with(c, b"SYST\r\n")
        check(c.reply()[0] == 200, "NOOP sent in TLS before close_notify")
        check(c.reply()[0] == 215, "SYST sent in clear text")


def test_ccc_client_silent():
    """No close_notify and no command after the 200: the server waits
    (bounded by idle_timeout) and then ends the session."""
    with _tls_server(conf={"tls_ccc": "yes", "idle_timeout": 2}) as srv, \
            srv.raw() as c:
        _raw_tls(srv, c)
        check(c.cmd(f"USER {USER}")[0] == 331, "USER")
        check(c.cmd(f"PASS {PASS}")[0] == 230, "PASS")
        check(c.cmd("CCC")[0] == 200, "CCC")
        deadline = time.monotonic() + 15 * SLOW
        while "CCC failed: no close_notify" not in srv.log():
            check(time.monotonic() < deadline, "wait not ended")
            time.sleep(0.1)
        check(c.closed(timeout=10), "session not ended")


def test_tls_off():
    with Server(users={USER: PASS}, tls="off") as srv, srv.raw() as c:
        check(c.cmd("AUTH TLS")[0] in (502, 534), "AUTH with tls = off")


def test_tls_required():
    with _tls_server(tls="required") as srv:
        with srv.raw() as c:
            code, text = c.cmd(f"USER {USER}")
            check(code == 530, f"plaintext USER under tls=required: {text}")
        with srv.raw() as c:
            _raw_tls(srv, c)
            check(c.cmd("PBSZ 0")[0] == 200, "PBSZ")
            check(c.cmd(f"USER {USER}")[0] == 331, "USER")
            check(c.cmd(f"PASS {PASS}")[0] == 230, "PASS")
            code, text = c.cmd("PROT C")
            check(code == 536, f"PROT C under tls=required: {text}")
            check(c.cmd("PROT P")[0] == 200, "PROT P")


def test_garbage_instead_of_handshake():
    with _tls_server() as srv, srv.raw() as c:
        check(c.cmd("AUTH TLS")[0] == 234, "AUTH TLS")
        t = time.monotonic()
        c.send(b"USER nobody-speaks-tls-here\r\n" * 4)
        check(c.closed(timeout=5), "connection not closed after garbage")
        check(time.monotonic() - t < 5 * SLOW, "closing took too long")


def test_plaintext_injection_after_auth():
    """Bytes pipelined in clear after AUTH TLS must not become commands
    inside the TLS session."""
    with _tls_server() as srv, srv.raw() as c:
        c.send(b"AUTH TLS\r\nUSER injected\r\n")
        code, text = c.reply()
        check(code == 234, f"AUTH TLS: {text}")
        c.sock = _context(srv).wrap_socket(c.sock, server_hostname=HOST)
        c.rbuf = b""
        code, text = c.cmd("NOOP")
        check(code == 200, f"after AUTH, expected NOOP's 200, got {text!r}")
        check(c.cmd("PASS whatever")[0] == 503,
              "injected USER was accepted")


def test_data_connection_garbage():
    """A data connection that does not speak TLS under PROT P, or hangs up
    in the handshake (basic-ftp on some empty uploads), gets 425: the
    handshake failed, which is no matter of session reuse (522)."""
    with _tls_server() as srv:
        f = _ftps(srv)
        try:
            _garbage_on_data(f, b"this is not TLS\r\n" * 8, False)
            _garbage_on_data(f, b"\x16\x03\x01\x00\xc8\x01", True)
        finally:
            f.close()


def _garbage_on_data(f, payload, hang_up):
    """LIST whose data connection gets payload instead of a ClientHello;
    hang_up: close at once, else read until the server closes."""
    resp = f.sendcmd("PASV")
    nums = resp[resp.index("(") + 1:resp.index(")")].split(",")
    port = int(nums[4]) * 256 + int(nums[5])
    s = socket.create_connection((HOST, port), timeout=10)
    f.putcmd("LIST")
    check(f.getresp().startswith("150"), "LIST not started")
    s.sendall(payload)
    s.settimeout(10)
    if not hang_up:
        with contextlib.suppress(OSError):
            while s.recv(4096):
                pass
    s.close()
    try:
        text = f.getresp()
    except ftplib.all_errors as e:
        text = str(e)
    check(text.startswith("425") and "TLS handshake" in text,
          f"expected 425 for the handshake, got {text!r}")
    check(f.voidcmd("NOOP").startswith("200"), "session lost")


def test_abor_during_prot_p_download():
    """The client stops reading a PROT P download and sends ABOR: the
    replies must come at once, not after data_timeout."""
    with _tls_server() as srv:
        make_file(srv.home(USER) / "huge.bin", 64 * MIB, seed=8)
        small = os.urandom(5000)
        (srv.home(USER) / "small.bin").write_bytes(small)
        srv.give(USER)
        f = _ftps(srv)
        try:
            conn = retr_started(f, "huge.bin", 256 * 1024)
            t = time.monotonic()
            f.putcmd("ABOR")
            first = f.getmultiline()
            check(first[:3] in ("426", "226"), f"reply to ABOR: {first!r}")
            if first.startswith("426"):
                second = f.getmultiline()
                check(second.startswith("226"), f"second: {second!r}")
            check(time.monotonic() - t < 10 * SLOW, "ABOR took too long")
            conn.close()
            check(f.voidcmd("NOOP").startswith("200"), "NOOP after ABOR")
            chunks = []
            f.retrbinary("RETR small.bin", chunks.append)
            check(b"".join(chunks) == small, "RETR after ABOR differs")
            f.quit()
        finally:
            f.close()


def test_prot_p_transfers_counted():
    """PROT P files move between the front and the file directly; their
    bytes still reach xferlog, STAT and the QUIT summary, for uploads,
    appends and cut-short downloads alike."""
    with _tls_server() as srv:
        log = srv.tmp / "xferlog"
        srv.keys["xferlog"] = str(log)
        srv.stop()
        srv.start()
        make_file(srv.home(USER) / "huge.bin", 64 * MIB, seed=9)
        make_file(srv.home(USER) / "base.bin", 8 * MIB, seed=10)
        srv.give(USER)
        f = _ftps(srv)
        try:
            # An APPE cut short counts what it appended, not the file.
            f.voidcmd("TYPE I")
            conn = f.transfercmd("APPE base.bin")
            conn.sendall(os.urandom(100000))
            base = srv.home(USER) / "base.bin"
            deadline = time.monotonic() + 10 * SLOW
            while base.stat().st_size == 8 * MIB:    # some bytes in
                check(time.monotonic() < deadline, "APPE wrote nothing")
                time.sleep(0.02)
            time.sleep(0.6)     # past a progress tick of the user process
            f.putcmd("ABOR")
            with contextlib.suppress(OSError):
                conn.close()
            first = f.getmultiline()
            if first.startswith("426"):
                f.getmultiline()
            f.storbinary("STOR up.bin", io.BytesIO(os.urandom(12345)))
            f.storbinary("APPE up.bin", io.BytesIO(os.urandom(100)))
            check((srv.home(USER) / "up.bin").stat().st_size == 12445,
                  "upload incomplete")
            stat = f.sendcmd("STAT")
            m = re.search(r"bytes in/out: (\d+)/", stat)
            appended = (srv.home(USER) / "base.bin").stat().st_size - 8 * MIB
            check(m is not None and int(m.group(1)) == 12445 + appended,
                  f"STAT counts ({appended} appended): {stat!r}")
            conn = retr_started(f, "huge.bin", 256 * 1024)
            f.putcmd("ABOR")
            first = f.getmultiline()
            if first.startswith("426"):
                f.getmultiline()
            conn.close()
            bye = f.quit()
            check(str(12445 + appended) in bye, f"QUIT summary: {bye!r}")
        finally:
            f.close()
        lines = wait_lines(log, 4)
        cut_appe = [l.split() for l in lines if "base.bin" in l]
        check(len(cut_appe) == 1 and int(cut_appe[0][7]) == appended and
              cut_appe[0][-1] == "i", f"cut APPE line ({appended} "
              f"appended): {cut_appe}")
        stor = [l.split() for l in lines if "up.bin" in l]
        check(len(stor) == 2 and stor[0][7] == "12345" and
              stor[1][7] == "100", f"upload lines: {stor}")
        cut = [l.split() for l in lines if "huge.bin" in l]
        check(len(cut) == 1 and 0 < int(cut[0][7]) < 64 * MIB and
              cut[0][-1] == "i", f"aborted download line: {cut}")


def test_prot_p_stalled_append_counted():
    """A PROT P APPE that stalls until data_timeout is logged with the
    bytes it appended, not the size of the file it appended to."""
    with _tls_server(conf={"data_timeout": "2"}) as srv:
        log = srv.tmp / "xferlog"
        srv.keys["xferlog"] = str(log)
        srv.stop()
        srv.start()
        base = srv.home(USER) / "base.bin"
        make_file(base, 8 * MIB, seed=11)
        srv.give(USER)
        f = _ftps(srv)
        try:
            f.voidcmd("TYPE I")     # the front writes the file itself
            conn = f.transfercmd("APPE base.bin")
            conn.sendall(os.urandom(100000))
            deadline = time.monotonic() + 10 * SLOW
            while base.stat().st_size < 8 * MIB + 100000:
                check(time.monotonic() < deadline,
                      f"APPE data not written: {base.stat().st_size}")
                time.sleep(0.02)
            # Now silent: the server gives up after data_timeout.
            reply = f.getmultiline()
            check(reply[:1] == "4", f"stalled APPE: {reply!r}")
            with contextlib.suppress(OSError):
                conn.close()
        finally:
            f.close()
        lines = [l.split() for l in wait_lines(log, 1) if "base.bin" in l]
        check(len(lines) == 1 and lines[0][7] == "100000" and
              lines[0][-1] == "i", f"stalled APPE line: {lines}")


# ---------------------------------------------------------------- front moves files

def _reply(fn):
    """Run an ftplib call; return its reply text, or the error's."""
    try:
        r = fn()
    except ftplib.all_errors as e:
        r = str(e)
    return r if isinstance(r, str) else str(r)


def _retr(f, path, rest=None):
    """RETR path (binary); (bytes, final reply)."""
    chunks = []
    resp = f.retrbinary(f"RETR {path}", chunks.append, rest=rest)
    return b"".join(chunks), resp


def _raw_transfer(f, cmd, send=None):
    """One data transfer on the current TYPE: send bytes (upload) or read
    to EOF (download) on the TLS data connection, end it with
    close_notify, return (bytes read, final reply)."""
    conn = f.transfercmd(cmd)
    got = b""
    try:
        if send is not None:
            conn.sendall(send)
        else:
            got = _recv_tls(conn)
        conn.unwrap()
    finally:
        conn.close()
    return got, f.voidresp()


def _recv_tls(conn):
    chunks = []
    while True:
        c = conn.recv(1 << 16)
        if not c:
            break
        chunks.append(c)
    return b"".join(chunks)


def test_prot_p_rest_and_appe():
    """PROT P, TYPE I (the front moves the file): STOR, RETR with REST at
    an odd offset and at the last byte, APPE, and empty files both ways."""
    with _tls_server() as srv:
        home = srv.home(USER)
        (home / "empty.bin").write_bytes(b"")
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            f.voidcmd("TYPE I")
            data = os.urandom(3 * MIB + 5)
            r = f.storbinary("STOR r.bin", io.BytesIO(data))
            check(r.startswith("226"), f"STOR: {r!r}")
            check(sha256_file(home / "r.bin") == sha256_bytes(data),
                  "PROT P upload differs")
            off = 1234567
            got, r = _retr(f, "r.bin", rest=off)
            check(r.startswith("226"), f"RETR after REST {off}: {r!r}")
            check(len(got) == len(data) - off and
                  sha256_bytes(got) == sha256_bytes(data[off:]),
                  f"REST {off}: {len(got)} bytes, tail differs")
            got, r = _retr(f, "r.bin", rest=len(data) - 1)
            check(r.startswith("226") and got == data[-1:],
                  f"REST at the last byte: {got!r} {r!r}")
            got, r = _retr(f, "r.bin")
            check(r.startswith("226") and
                  sha256_bytes(got) == sha256_bytes(data),
                  f"whole RETR after REST differs ({len(got)} bytes)")
            more = os.urandom(MIB + 333)
            r = f.storbinary("APPE r.bin", io.BytesIO(more))
            check(r.startswith("226"), f"APPE: {r!r}")
            check(sha256_file(home / "r.bin") == sha256_bytes(data + more),
                  "file after APPE is not the concatenation")
            got, r = _retr(f, "r.bin")
            check(r.startswith("226") and
                  sha256_bytes(got) == sha256_bytes(data + more),
                  "download after APPE differs")
            got, r = _retr(f, "empty.bin")
            check(r.startswith("226") and got == b"",
                  f"empty download: {len(got)} bytes, {r!r}")
            r = f.storbinary("STOR empty_up.bin", io.BytesIO(b""))
            check(r.startswith("226"), f"empty upload: {r!r}")
            check((home / "empty_up.bin").read_bytes() == b"",
                  "empty upload not stored empty")
            check(f.voidcmd("NOOP").startswith("200"), "NOOP")
            f.quit()
        finally:
            f.close()


def test_prot_p_type_a_still_converts():
    """PROT P: TYPE A (socketpair relay, converted by the user process)
    next to TYPE I (moved by the front) in one session."""
    with _tls_server() as srv:
        home = srv.home(USER)
        text = b"".join(b"line %d of the text file\n" % i
                        for i in range(20000))
        (home / "t.txt").write_bytes(text)
        # Bytes a conversion would change: a binary transfer keeps them.
        binary = os.urandom(MIB) + b"a\nb\r\nc\r\r\n" * 1000
        (home / "b.bin").write_bytes(binary)
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            f.voidcmd("TYPE I")
            got, r = _raw_transfer(f, "RETR b.bin")
            check(r.startswith("226") and got == binary,
                  f"TYPE I download changed ({len(got)} bytes) {r!r}")
            f.voidcmd("TYPE A")
            got, r = _raw_transfer(f, "RETR t.txt")
            check(r.startswith("226"), f"TYPE A RETR: {r!r}")
            check(got == text.replace(b"\n", b"\r\n"),
                  f"TYPE A download not CRLF ({len(got)} bytes, "
                  f"{got[:40]!r})")
            crlf = b"".join(b"uploaded %d\r\n" % i for i in range(30000))
            got, r = _raw_transfer(f, "STOR a.txt", send=crlf)
            check(r.startswith("226"), f"TYPE A STOR: {r!r}")
            check((home / "a.txt").read_bytes() == crlf.replace(b"\r\n",
                                                                 b"\n"),
                  "TYPE A upload not stored with LF")
            f.voidcmd("TYPE I")
            got, r = _raw_transfer(f, "STOR b2.bin", send=binary)
            check(r.startswith("226"), f"TYPE I STOR: {r!r}")
            check((home / "b2.bin").read_bytes() == binary,
                  "TYPE I upload after TYPE A changed")
            got, r = _raw_transfer(f, "RETR a.txt")
            check(got == crlf.replace(b"\r\n", b"\n"),
                  "TYPE I download of the TYPE A upload differs")
            f.quit()
        finally:
            f.close()


def _stat_bytes(text):
    """The byte count of a STAT reply during a transfer."""
    m = re.search(r"(\d+) of (\d+) bytes", text) or \
        re.search(r": (\d+) bytes", text)
    check(m is not None, f"no progress in STAT: {text!r}")
    return int(m.group(1))


def test_prot_p_stat_during_download():
    """STAT while the front moves a PROT P download the client reads
    slowly: the count comes from the file offset, so it is nonzero and
    grows; the transfer then ends with 226 and every byte."""
    with _tls_server() as srv:
        size = 200 * MIB
        path = srv.home(USER) / "s.bin"
        # Sparse, with random blocks so that offsets matter.
        with open(path, "wb") as out:
            out.truncate(size)
            for at in (0, 77 * MIB + 12345, size - 65536):
                out.seek(at)
                out.write(os.urandom(65536))
        want = sha256_file(path)
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            f.voidcmd("TYPE I")
            conn = f.transfercmd("RETR s.bin")
            h = hashlib.sha256()
            n = 0
            while n < 128 * 1024:
                chunk = conn.recv(65536)
                check(chunk, "data connection closed early")
                h.update(chunk)
                n += len(chunk)
            time.sleep(1.2)
            r = f.sendcmd("STAT")
            check(r[:3] in ("211", "213"), f"STAT: {r!r}")
            first = _stat_bytes(r)
            check(0 < first <= size, f"STAT during transfer: {r!r}")
            while n < 60 * MIB:
                chunk = conn.recv(1 << 18)
                check(chunk, "data connection closed early")
                h.update(chunk)
                n += len(chunk)
            time.sleep(1.2)
            r = f.sendcmd("STAT")
            second = _stat_bytes(r)
            check(second > first and second >= 60 * MIB,
                  f"progress did not grow: {first} then {r!r}")
            while True:
                chunk = conn.recv(1 << 18)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
            conn.unwrap()
            conn.close()
            r = f.voidresp()
            check(r.startswith("226"), f"end of transfer: {r!r}")
            check(n == size and h.hexdigest() == want,
                  f"download differs ({n} bytes)")
            f.quit()
        finally:
            f.close()


def test_prot_p_disk_full_upload():
    """A PROT P upload into a full file system: the front's write fails,
    452/552, no partial file, the session goes on."""
    with _tls_server() as srv, \
            small_tmpfs(srv.home(USER) / "small") as small:
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            f.voidcmd("TYPE I")
            conn = f.transfercmd("STOR small/big.bin")
            conn.settimeout(10 * SLOW)
            try:
                with contextlib.suppress(OSError):
                    conn.sendall(os.urandom(3 << 20))
                with contextlib.suppress(OSError, ValueError):
                    conn.unwrap()
            finally:
                conn.close()
            t = time.monotonic()
            r = _reply(f.getresp)
            check(r[:3] in ("452", "552", "451"), f"disk full: {r!r}")
            check(time.monotonic() - t < 10 * SLOW, "reply too late")
            left = [x.name for x in small.iterdir()]
            check(left == [], f"partial files left: {left}")
            check(f.voidcmd("NOOP")[:3] == "200", "session ended")
            r = f.storbinary("STOR small/ok.bin", io.BytesIO(b"ok"))
            check(r.startswith("226"), f"small STOR: {r!r}")
            check((small / "ok.bin").read_bytes() == b"ok",
                  "small STOR content")
            f.quit()
        finally:
            f.close()


def test_prot_p_client_vanishes_mid_download():
    """The client drops the TLS data connection (no close_notify) part
    way through a download the front moves: 426, not 226, at once; the
    session goes on."""
    with _tls_server() as srv:
        make_file(srv.home(USER) / "v.bin", 64 * MIB, seed=11)
        small = os.urandom(70000)
        (srv.home(USER) / "after.bin").write_bytes(small)
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            conn = retr_started(f, "v.bin", 300 * 1024)
            # The raw socket goes: no close_notify, unread bytes -> RST.
            socket.socket.shutdown(conn, socket.SHUT_RDWR)
            conn.close()
            t = time.monotonic()
            r = _reply(f.getresp)
            check(r.startswith("426"), f"expected 426, got {r!r}")
            check(time.monotonic() - t < 10 * SLOW,
                  f"426 took {time.monotonic() - t:.1f}s")
            check(f.voidcmd("NOOP").startswith("200"), "NOOP after 426")
            got, r = _retr(f, "after.bin")
            check(r.startswith("226") and got == small,
                  "RETR after the dropped download differs")
            f.quit()
        finally:
            f.close()
        check("did not close cleanly" in srv.log(), "unclean end not logged")


def test_prot_p_download_after_client_half_close():
    """A client that half-closes its TLS data connection (TCP FIN, no
    close_notify) at the start of a download still gets the whole file
    and 226, binary (the front reads the file) and TYPE A (relayed):
    only an upload's end needs close_notify."""
    with _tls_server() as srv:
        data = os.urandom(3 * MIB)
        (srv.home(USER) / "d.bin").write_bytes(data)
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            for typ in ("I", "A"):
                f.voidcmd(f"TYPE {typ}")
                conn = f.transfercmd("RETR d.bin")
                socket.socket.shutdown(conn, socket.SHUT_WR)
                got = recv_all(conn, tolerate_errors=True)
                r = _reply(f.voidresp)
                want = data if typ == "I" else data.replace(b"\n", b"\r\n")
                check(r.startswith("226") and got == want,
                      f"TYPE {typ}: {len(got)} bytes, {r!r}")
            f.quit()
        finally:
            f.close()


def test_prot_p_client_vanishes_mid_upload():
    """The TLS data connection of an upload ends part way through with a
    reset, or with a TCP FIN but no close_notify (which anyone on the
    path can forge), binary (the front writes the file) and TYPE A
    (relayed to the user process): 426, and (atomic_uploads, the
    default) the previous file is left as it was, what arrived kept only
    as the partial a resume continues."""
    with _tls_server() as srv:
        home = srv.home(USER)
        old = b"old content\n"
        srv.give(USER)
        f = _ftps(srv, timeout=20)
        try:
            for typ, chunk, end in (
                    ("I", os.urandom(MIB), "reset"),
                    ("A", b"new line\r\n" * 50000, "reset"),
                    ("I", os.urandom(100), "fin"),
                    ("A", b"new line\r\n" * 10, "fin")):
                (home / "keep.bin").write_bytes(old)
                srv.give(USER)      # the account's own file to replace
                f.voidcmd(f"TYPE {typ}")
                conn = f.transfercmd("STOR keep.bin")
                try:
                    conn.sendall(chunk)
                    time.sleep(0.5 * SLOW)	# the server writes what came
                    if end == "fin":
                        conn.shutdown(socket.SHUT_WR)	# no close_notify
                        time.sleep(0.3 * SLOW)
                    else:	# RST, no close_notify.
                        socket.socket.setsockopt(conn, socket.SOL_SOCKET,
                                                 socket.SO_LINGER,
                                                 struct.pack("ii", 1, 0))
                finally:
                    conn.close()
                t = time.monotonic()
                r = _reply(f.getresp)
                check(r.startswith("426"), f"TYPE {typ}, {end}: expected "
                      f"426, got {r!r}")
                check(time.monotonic() - t < 10 * SLOW, "426 took too long")
                check((home / "keep.bin").read_bytes() == old,
                      f"TYPE {typ}, {end}: a cut upload replaced the file")
                left = sorted(x.name for x in home.iterdir())
                check(left == [".ftpd-partial.keep.bin", "keep.bin"],
                      f"files left: {left}")
                check(f.voidcmd("NOOP").startswith("200"), "NOOP after 426")
            f.voidcmd("TYPE I")
            data = os.urandom(MIB + 1)
            r = f.storbinary("STOR keep.bin", io.BytesIO(data))
            check(r.startswith("226") and
                  (home / "keep.bin").read_bytes() == data,
                  f"STOR after the reset upload: {r!r}")
            check(sorted(x.name for x in home.iterdir()) == ["keep.bin"],
                  "a complete upload left the partial")
            f.quit()
        finally:
            f.close()


# ---------------------------------------------------------------- reload

def _key_secrets(key):
    """{label: bytes} that only a process holding this EC private key has:
    the scalar as OpenSSL keeps it (little-endian words) and as DER and
    the file carry it (big-endian), and a line of the PEM text."""
    txt = run(["openssl", "pkey", "-in", key, "-noout", "-text"]).stdout
    m = re.search(r"priv:\s*\n((?:\s+[0-9a-f:]+\n)+)", txt)
    check(m is not None, f"no private scalar in: {txt[:300]}")
    priv = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))[-32:]
    pem = Path(key).read_text().splitlines()
    return {"the key (big-endian)": priv, "the key (little-endian)":
            priv[::-1], "the key's PEM text": pem[1]}


def test_private_key_only_in_front():
    """The TLS private key is parsed only by the front (nopriv_user):
    not by the master, whose heap every session process inherits, so never
    by the monitor or the logged-in account's process, also when the key
    and the certificate share one file."""
    require_root("reads other uids' /proc/PID/mem")
    require_tool("openssl")
    cert, key = cert_pair()
    d = Path(tempfile.mkdtemp(prefix="ftpd-key-"))
    both = d / "both.pem"
    both.write_bytes(key.read_bytes() + cert.read_bytes())
    os.chmod(both, 0o600)
    secrets = _key_secrets(key)
    for conf in ({"tls_cert": cert, "tls_key": key},
                 {"tls_cert": both, "tls_key": both}):
        with _tls_server(conf=conf) as srv:
            f = _ftps(srv)
            try:
                check(f.pwd() == "/", "TLS session works")
                mon, user = session_process(srv, srv.vuid)
                check(user is not None, "user process not found")
                fronts = [p for p in child_pids(mon) if p != user]
                check(len(fronts) == 1, f"front not found: {fronts}")
                for what, pid in (("master", srv.proc.pid),
                                  ("monitor", mon), ("user process", user)):
                    held = process_holds(pid, secrets)
                    check(not held, f"{conf['tls_key'].name}: the {what} "
                          f"holds {held}")
                # The scan must be able to find it where it is; sanitizer
                # heaps are too large to scan.
                if not os.environ.get("FTPD_ASAN"):
                    check(process_holds(fronts[0], secrets),
                          "the scan finds no key in the front either")
                f.quit()
            finally:
                f.close()


def _new_cert(d, cn):
    cert, key = d / f"{cn}.crt", d / f"{cn}.key"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
         f"/CN={cn}", "-keyout", str(key), "-out", str(cert)], timeout=60)
    return cert, key


def _served_cn(srv):
    """The subject CN of the certificate a new connection is given."""
    p = run(["openssl", "s_client", "-starttls", "ftp", "-connect",
             f"{HOST}:{srv.port}"], input="QUIT\r\n", timeout=30,
            check_rc=False)
    for line in (p.stdout + p.stderr).splitlines():
        if line.strip().startswith("subject=") and "CN" in line:
            return line.split("CN", 1)[1].lstrip(" =").strip()
    raise AssertionError(f"no certificate subject: {p.stdout[-600:]}")


def test_sighup_reloads_certificate():
    """A renewed certificate is served to new sessions after SIGHUP; a
    broken one is refused and the previous one stays."""
    require_tool("openssl")
    d = Path(tempfile.mkdtemp(prefix="ftpd-hup-"))
    cert, key = d / "live.crt", d / "live.key"
    a_crt, a_key = _new_cert(d, "first.example")
    b_crt, b_key = _new_cert(d, "second.example")
    os.replace(a_crt, cert)
    os.replace(a_key, key)
    with _tls_server(conf={"tls_cert": cert, "tls_key": key}) as srv:
        check(_served_cn(srv) == "first.example", "initial certificate")
        os.replace(b_crt, cert)
        os.replace(b_key, key)
        os.kill(srv.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while "TLS certificate and key reloaded" not in srv.log():
            check(time.time() < deadline, "no reload logged")
            time.sleep(0.1)
        check(_served_cn(srv) == "second.example", "not reloaded")
        key.write_text("not a key\n")
        os.kill(srv.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while "TLS reload failed" not in srv.log():
            check(time.time() < deadline, "failed reload not logged")
            time.sleep(0.1)
        check(_served_cn(srv) == "second.example",
              "a broken reload replaced the working certificate")


def test_feat_implicit_has_no_auth():
    """FEAT on the implicit-TLS port offers no AUTH TLS (the session is
    already TLS, AUTH would be refused); PBSZ and PROT stay.  The
    explicit port still offers AUTH TLS (issue 17, item 11)."""
    with _tls_server(implicit_tls=True) as srv:
        ctx = _context(srv)
        for login in (False, True):
            raw = socket.create_connection((HOST, srv.tls_port),
                                           timeout=30 * SLOW)
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                f = ftplib.FTP(timeout=30 * SLOW)
                f.sock = t
                f.af = t.family
                f.file = t.makefile("r", encoding=f.encoding)
                f.welcome = f.getresp()
                if login:
                    f.login(USER, PASS)
                feat = f.sendcmd("FEAT")
                lines = [l.strip() for l in feat.splitlines()[1:-1]]
                check(not any(l.upper().startswith("AUTH") for l in lines),
                      f"implicit FEAT offers AUTH (login {login}): {feat!r}")
                check("PBSZ" in lines and "PROT" in lines,
                      f"implicit FEAT lacks PBSZ/PROT: {feat!r}")
                code = f.sendcmd("NOOP")[:3]
                check(code == "200", f"NOOP after FEAT: {code}")
        f = srv.ftp(login=False)
        try:
            feat = f.sendcmd("FEAT")
            check("AUTH TLS" in [l.strip() for l in feat.splitlines()],
                  f"explicit port lost AUTH TLS: {feat!r}")
        finally:
            f.close()


def test_alpn_ftp_selected_others_refused():
    """RFC 7301 / ALPACA: a client offering ALPN gets "ftp" selected, on
    explicit and implicit TLS and on data connections; a client offering
    only other protocols (an HTTPS client lured to this port) is refused
    with a no_application_protocol alert; no ALPN is served as before."""
    with _tls_server(implicit_tls=True) as srv:
        want = make_file(srv.home(USER) / "a.bin", 100000, seed=3)
        srv.give(USER)
        ctx = _context(srv)
        ctx.set_alpn_protocols(["h2", "ftp"])
        f = ReuseFTP_TLS(context=ctx, timeout=30 * SLOW)
        try:
            f.connect(HOST, srv.port)
            f.auth()
            check(f.sock.selected_alpn_protocol() == "ftp",
                  f"ALPN: {f.sock.selected_alpn_protocol()!r}")
            f.login(USER, PASS)
            f.prot_p()
            got = []
            f.retrbinary("RETR a.bin", got.append)
            check(hashlib.sha256(b"".join(got)).hexdigest() == want,
                  "download with ALPN differs")
            f.quit()
        finally:
            f.close()
        http = _context(srv)
        http.set_alpn_protocols(["http/1.1"])
        for port, explicit in ((srv.port, True), (srv.tls_port, False)):
            raw = socket.create_connection((HOST, port), timeout=30 * SLOW)
            try:
                if explicit:
                    raw.recv(1024)
                    raw.sendall(b"AUTH TLS\r\n")
                    raw.recv(1024)
                err = ""
                try:
                    http.wrap_socket(raw, server_hostname="localhost")
                except ssl.SSLError as e:
                    err = str(e)
                check("no application protocol" in
                      err.lower().replace("_", " "),
                      f"http/1.1 only, port {port}: {err!r}")
            finally:
                raw.close()
