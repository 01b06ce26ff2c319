"""test_tls_clients.py - FTPS data connections with the clients of issue 17.

curl sending and fetching several files over one control connection under
TLS 1.3, rclone and a Go program (jlaffaye/ftp) sharing one TLS session
cache across several control connections, uploads that must never meet a
byte from the server, the account and address a resumed ticket is bound
to, and the time a small PROT P transfer takes.  Files compared by
SHA-256.
"""

import atexit
import ftplib
import hashlib
import os
import shutil
import socket
import ssl
import tempfile
import time
from pathlib import Path

from harness import (HOST, SLOW, Skip, check, make_file, require_tool, run,
                     sha256_file, tree_hashes)
from test_tls import (PASS, USER, ForeignSessionFTP_TLS, ReuseFTP_TLS,
                      _context, _curl_tls, _expect_522, _ftps, _tls_server)

HERE = Path(__file__).resolve().parent
MIB = 1 << 20
OTHER, OTHER_PASS = "otto", "Otto-pa55-word"


# ---------------------------------------------------------------- curl

def test_curl_several_files_one_connection_tls13():
    """curl -T "{a,b,c,d}" and four downloads in one call: every data
    connection after the first resumes a ticket the control connection
    was given after the previous one (curl offers a ticket once)."""
    require_tool("curl")
    with _tls_server() as srv, tempfile.TemporaryDirectory() as d:
        names = [f"f{i}.bin" for i in range(4)]
        want = {n: make_file(Path(d) / n, 200 * 1024 + i, seed=10 + i)
                for i, n in enumerate(names)}
        _curl_tls(srv, "--tlsv1.3", "-T", "{" + ",".join(
            str(Path(d) / n) for n in names) + "}", srv.url(""))
        for n in names:
            check(sha256_file(srv.home(USER) / n) == want[n],
                  f"upload {n} differs")
        out = Path(d) / "out"
        out.mkdir()
        args = []
        for n in names:
            args += [srv.url(n), "-o", str(out / n)]
        _curl_tls(srv, "--tlsv1.3", *args)
        for n in names:
            check(sha256_file(out / n) == want[n], f"download {n} differs")
        check("refused" not in srv.log(), "a data connection was refused")
        check("TLSv1.3" in srv.log(), "TLS 1.3 not negotiated")


# ---------------------------------------------------------------- binding

def _two_user_server(**kw):
    return _tls_server(users={USER: PASS, OTHER: OTHER_PASS}, **kw)


def _login(srv, user, password, source=None, ctx=None):
    f = ReuseFTP_TLS(context=ctx or _context(srv), timeout=30 * SLOW)
    f.connect(HOST, srv.port, source_address=source)
    f.auth()
    f.login(user, password)
    f.prot_p()
    f.voidcmd("NOOP")	# the tickets issued after login are read
    return f


def _foreign(srv, owner, source=None):
    """A control connection of USER whose data connections resume the
    session of the control connection owner."""
    b = ForeignSessionFTP_TLS(context=owner.context, timeout=30 * SLOW)
    b.connect(HOST, srv.port, source_address=source)
    b.auth()
    b.login(USER, PASS)
    b.prot_p()
    b.foreign = owner.sock.session
    return b


def test_ticket_of_same_account_same_address_accepted():
    """rclone's case: a data connection resuming a ticket given to another
    control connection of the same account from the same address."""
    with _two_user_server() as srv:
        want = make_file(srv.home(USER) / "s.bin", 300 * 1024, seed=5)
        srv.give(USER)
        a = _login(srv, USER, PASS)
        b = _foreign(srv, a)
        try:
            got = []
            b.retrbinary("RETR s.bin", got.append)
            check(hashlib.sha256(b"".join(got)).hexdigest() == want,
                  "download differs")
            b.retrlines("LIST", lambda line: None)
        finally:
            a.close()
            b.close()


def test_ticket_of_another_account_refused():
    with _two_user_server() as srv:
        a = _login(srv, OTHER, OTHER_PASS)
        b = _foreign(srv, a)
        try:
            _expect_522(b, "ticket of another account")
            check(b.voidcmd("NOOP").startswith("200"), "session lost")
        finally:
            a.close()
            b.close()
        check("not reused" in srv.log(), "refusal not logged")


def test_ticket_from_another_address_refused():
    """Same account, but the ticket went to a control connection from
    127.0.0.2: refused on a session from 127.0.0.1."""
    with _two_user_server() as srv:
        try:
            a = _login(srv, USER, PASS, source=("127.0.0.2", 0))
        except OSError as e:
            raise Skip(f"no second loopback address: {e}")
        b = _foreign(srv, a, source=("127.0.0.1", 0))
        try:
            _expect_522(b, "ticket given to another address")
        finally:
            a.close()
            b.close()


def _hijack_data(f, ctx, session=None):
    """Another client at the session's address takes the next passive
    data connection of f with a TLS 1.2 handshake of its own (or resuming
    session).  Returns (its TLS session, f's final reply text)."""
    host, port = f.makepasv()
    f.putcmd("LIST")
    raw = socket.create_connection((host, port), timeout=30 * SLOW)
    got = None
    try:
        m = ctx.wrap_socket(raw, server_hostname=HOST, session=session)
        got = m.session
        try:
            while m.recv(65536):
                pass
        except (ssl.SSLError, OSError):
            pass
        m.close()
    except (ssl.SSLError, OSError):
        raw.close()
    text = ""
    for _ in range(3):
        try:
            text = f.getresp()
        except ftplib.all_errors as e:
            text = str(e)
        if not text.startswith("1"):
            break
    return got, text


def test_data_handshake_gives_no_ticket_to_a_stranger():
    """A stranger at the client's address (a NAT) who wins the race for a
    passive port gets a 522, and no ticket: a TLS 1.2 ticket issued in
    that full handshake would carry the account's keys and be accepted on
    the next data connection of any session of this account."""
    with _two_user_server() as srv:
        a = _login(srv, USER, PASS)
        ctx = _context(srv, ssl.TLSVersion.TLSv1_2)
        try:
            stolen, text = _hijack_data(a, ctx)
            check("522" in text, f"stranger's data connection: {text!r}")
            check(stolen is not None, "no TLS 1.2 handshake happened")
            check(not stolen.has_ticket,
                  "a ticket was issued on a refused data connection")
            _, text = _hijack_data(a, ctx, session=stolen)
            check("522" in text, f"resumed stranger accepted: {text!r}")
            check(a.voidcmd("NOOP").startswith("200"), "session lost")
        finally:
            a.close()


# ---------------------------------------------------------------- uploads

def _upload_raw(srv, f, name, data, session):
    """STOR with a TLS client over a memory BIO: the data connection is
    never read.  Returns the bytes the server had sent on it when the
    upload was written, just before the client's close_notify."""
    f.voidcmd("TYPE I")
    conn, _ = ftplib.FTP.ntransfercmd(f, f"STOR {name}")
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = f.context.wrap_bio(inc, out, server_hostname=HOST,
                             session=session)
    conn.settimeout(30 * SLOW)
    for _ in range(100):
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            conn.sendall(out.read())
            inc.write(conn.recv(65536))
    conn.sendall(out.read())
    for i in range(0, len(data), 65536):
        obj.write(data[i:i + 65536])
        conn.sendall(out.read())
    time.sleep(0.3)
    conn.setblocking(False)
    try:
        unread = conn.recv(65536, socket.MSG_PEEK)
    except BlockingIOError:
        unread = b""
    conn.settimeout(30 * SLOW)
    try:
        obj.unwrap()
    except ssl.SSLWantReadError:
        pass
    conn.sendall(out.read())
    conn.close()
    return unread


def test_upload_data_connection_gets_no_server_bytes():
    """A client that only writes never reads its data connection: a byte
    from the server there (a TLS 1.3 ticket) turns its close into a reset
    that loses the end of the upload.  Resumed and full handshakes."""
    for reuse in ("yes", "no"):
        with _tls_server(conf={"tls_reuse_required": reuse}) as srv:
            data = os.urandom(3 * MIB)
            f = _login(srv, USER, PASS)
            try:
                unread = _upload_raw(srv, f, "u.bin", data,
                                     f.sock.session if reuse == "yes"
                                     else None)
                resp = f.voidresp()
                check(resp.startswith("226"), f"upload: {resp!r}")
            finally:
                f.close()
            check(unread == b"", f"reuse {reuse}: the server wrote "
                  f"{len(unread)} bytes on the upload's data connection")
            got = srv.home(USER) / "u.bin"
            check(sha256_file(got) == hashlib.sha256(data).hexdigest(),
                  f"reuse {reuse}: upload differs ({got.stat().st_size} "
                  f"bytes of {len(data)})")


# ---------------------------------------------------------------- Go

_GO_BIN = None


def _go_client():
    """Build clients/goftps.go once, offline, from Debian's gocode tree."""
    global _GO_BIN
    if _GO_BIN is not None and _GO_BIN.exists():
        return _GO_BIN
    require_tool("go")
    if not Path("/usr/share/gocode/src/github.com/jlaffaye/ftp").is_dir():
        raise Skip("golang-github-jlaffaye-ftp-dev not installed")
    d = Path(tempfile.mkdtemp(prefix="ftpd-go."))
    atexit.register(shutil.rmtree, d, True)
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=str(d / "cache"), GOFLAGS="", CGO_ENABLED="0",
               HOME=str(d))
    run(["go", "build", "-o", str(d / "goftps"),
         str(HERE / "clients" / "goftps.go")], timeout=300, env=env)
    _GO_BIN = d / "goftps"
    return _GO_BIN


def _go(srv, *args, timeout=180):
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "src.bin"
        make_file(src, 3 * MIB + 7, seed=7)
        return run([str(_go_client()), "-addr", f"{HOST}:{srv.port}",
                    "-user", USER, "-pass", PASS, "-file", str(src),
                    *args], timeout=timeout)


def test_go_shared_session_cache_two_connections():
    """jlaffaye/ftp with one ClientSessionCache over two control
    connections: 3 MiB uploaded six times and fetched back, nothing lost,
    nothing refused."""
    _go_client()
    with _tls_server() as srv:
        _go(srv, "-n", "6", "-conns", "2")
        check("refused" not in srv.log(), "a data connection was refused")
        check("(resumed)" in srv.log() or "resum" in srv.log(),
              "nothing resumed")


def test_go_without_cache_reuse_not_required():
    """No session cache, tls_reuse_required = no: every data connection a
    full handshake, and no upload may be lost to a reset."""
    _go_client()
    with _tls_server(conf={"tls_reuse_required": "no"}) as srv:
        _go(srv, "-n", "6", "-conns", "1", "-cache=false")
        check("reset" not in srv.log().lower(), "a data connection reset")


# ---------------------------------------------------------------- rclone

def _rclone(srv, implicit, *args, timeout=300):
    with tempfile.TemporaryDirectory() as cfgdir:
        conf = Path(cfgdir) / "rclone.conf"
        conf.write_text("")
        env = dict(os.environ, RCLONE_CONFIG=str(conf), HOME=cfgdir)
        pw = run(["rclone", "obscure", PASS], env=env).stdout.strip()
        tls = ["--ftp-tls", "--ftp-port", str(srv.tls_port)] if implicit \
            else ["--ftp-explicit-tls", "--ftp-port", str(srv.port)]
        return run(["rclone", "--config", str(conf), "--retries", "1",
                    "--low-level-retries", "1", "--ftp-host", HOST,
                    "--ftp-user", USER, "--ftp-pass", pw,
                    "--ftp-no-check-certificate", *tls, *args],
                   timeout=timeout, env=env)


def _rclone_round_trip(implicit):
    require_tool("rclone")
    with _tls_server(implicit_tls=implicit) as srv, \
            tempfile.TemporaryDirectory() as d:
        src, back = Path(d) / "src", Path(d) / "back"
        (src / "sub").mkdir(parents=True)
        sizes = [0, 1, 700, 4096, 65536, 300 * 1024, MIB + 3, 2 * MIB]
        for i in range(30):
            where = src / "sub" if i % 3 == 0 else src
            make_file(where / f"r{i}.bin", sizes[i % len(sizes)] + i,
                      seed=100 + i)
        _rclone(srv, implicit, "copy", str(src), ":ftp:up")
        _rclone(srv, implicit, "copy", ":ftp:up", str(back))
        want = tree_hashes(src)
        check(tree_hashes(srv.home(USER) / "up") == want,
              "uploaded tree differs")
        check(tree_hashes(back) == want, "downloaded tree differs")
        check("refused" not in srv.log(), "a data connection was refused")


def test_rclone_explicit_tls():
    _rclone_round_trip(False)


def test_rclone_implicit_tls():
    _rclone_round_trip(True)


# ---------------------------------------------------------------- timing

def test_small_prot_p_downloads_not_delayed():
    """50 small PROT P downloads in one session.  close_notify held back
    by Nagle until the client's delayed ACK cost 40 ms each (2 s in all);
    the bound leaves room for a slow machine but not for that."""
    with _tls_server() as srv:
        make_file(srv.home(USER) / "k.bin", 1024, seed=8)
        srv.give(USER)
        f = _ftps(srv)
        try:
            f.retrbinary("RETR k.bin", lambda b: None)	# warm up
            t0 = time.monotonic()
            for _ in range(50):
                f.retrbinary("RETR k.bin", lambda b: None)
            took = time.monotonic() - t0
        finally:
            f.quit()
        check(took < 1.2 * SLOW, f"50 small downloads took {took:.2f} s")
