"""test_basic.py - transfers with curl and the protocol with ftplib.

Every test starts the real server; files are compared by SHA-256.
"""

import calendar
import ftplib
import io
import os
import re
import socket
import tempfile
import time
from pathlib import Path

from harness import (check, expect_code, make_file, make_sparse, recv_all,
                    require_tool, retr_bytes, retr_started, run, Server,
                    session_process, sha256_bytes, sha256_file, Skip,
                    stor_bytes)

USER, PASS = "alice", "s3cret-Alice"
CURL = ["curl", "-sS", "--max-time", "60", "--connect-timeout", "10"]


def _tmpdir():
    return tempfile.TemporaryDirectory(prefix="ftpd-client-")


# ---------------------------------------------------------------- curl

def test_curl_passive_download():
    require_tool("curl")
    with Server() as srv, _tmpdir() as d:
        digest = make_file(srv.anon_root / "big.bin", 3 * 1024 * 1024 + 17)
        small = make_file(srv.anon_root / "sub" / "small.bin", 1000)
        out = Path(d) / "out"
        run(CURL + [srv.url("big.bin"), "-o", out])
        check(sha256_file(out) == digest, "passive download differs")
        run(CURL + ["--disable-epsv", srv.url("sub/small.bin"), "-o", out])
        check(sha256_file(out) == small, "PASV download differs")
        empty = srv.anon_root / "empty"
        empty.write_bytes(b"")
        run(CURL + [srv.url("empty"), "-o", out])
        check(out.read_bytes() == b"", "empty file download not empty")


def test_started_with_stdout_and_stderr_closed():
    """Started with descriptors 1 and 2 closed, ftpd must not let a
    socket take those numbers: a session process points stdout and
    stderr at /dev/null, which would cut its control connection."""
    with Server(closed_std=True) as srv:
        data = os.urandom(10000)
        (srv.anon_root / "s.bin").write_bytes(data)
        f = srv.ftp()
        try:
            check(f.sendcmd("PWD").startswith("257"), "PWD")
            check(retr_bytes(f, "s.bin") == data, "download differs")
            f.quit()
        finally:
            f.close()


def test_retr_sendfile_modes():
    """Every download path gives the same bytes: sendfile (yes), the
    read/write copy (no) and auto, which copies for a loopback client."""
    require_tool("curl")
    for mode in ("yes", "no", "auto"):
        with Server(conf={"sendfile": mode, "log_level": "debug"}) as srv, \
                _tmpdir() as d:
            digest = make_file(srv.anon_root / "big.bin",
                               5 * 1024 * 1024 + 4099)
            out = Path(d) / "out"
            run(CURL + [srv.url("big.bin"), "-o", out])
            check(sha256_file(out) == digest, f"sendfile={mode}: differs")
            part = Path(d) / "part"
            run(CURL + ["-C", "1000003", srv.url("big.bin"), "-o", part])
            want = (srv.anon_root / "big.bin").read_bytes()[1000003:]
            check(part.read_bytes() == want,
                  f"sendfile={mode}: resumed download differs")


def test_curl_passive_upload():
    require_tool("curl")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        src = Path(d) / "src"
        digest = make_file(src, 2 * 1024 * 1024 + 3)
        run(CURL + ["-T", src, srv.url("up.bin", USER, PASS)])
        dst = srv.home(USER) / "up.bin"
        check(dst.exists(), "uploaded file missing")
        check(sha256_file(dst) == digest, "passive upload differs")
        check(dst.stat().st_mode & 0o777 == 0o644,
              f"mode {oct(dst.stat().st_mode)} with umask 022")
        leftovers = [p.name for p in srv.home(USER).iterdir()
                     if p.name.startswith(".ftpd-upload")]
        check(not leftovers, f"temporary upload files left: {leftovers}")
        # Overwrite with different content.
        digest2 = make_file(src, 1000)
        run(CURL + ["-T", src, srv.url("up.bin", USER, PASS)])
        check(sha256_file(dst) == digest2, "overwrite differs")
        # Upload into a new directory.
        run(CURL + ["--ftp-create-dirs", "-T", src,
                    srv.url("a/b/c.bin", USER, PASS)])
        check(sha256_file(srv.home(USER) / "a" / "b" / "c.bin") == digest2,
              "upload with --ftp-create-dirs differs")


def test_curl_active():
    require_tool("curl")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        digest = make_file(srv.home(USER) / "down.bin", 1024 * 1024 + 5)
        srv.give(USER)
        out = Path(d) / "out"
        # EPRT (curl's first choice) ...
        run(CURL + ["-P", "127.0.0.1", srv.url("down.bin", USER, PASS),
                    "-o", out])
        check(sha256_file(out) == digest, "active (EPRT) download differs")
        # ... and PORT.
        out.unlink()
        run(CURL + ["-P", "127.0.0.1", "--disable-eprt",
                    srv.url("down.bin", USER, PASS), "-o", out])
        check(sha256_file(out) == digest, "active (PORT) download differs")
        src = Path(d) / "src"
        up = make_file(src, 700 * 1024)
        run(CURL + ["--ftp-port", "127.0.0.1", "-T", src,
                    srv.url("act.bin", USER, PASS)])
        check(sha256_file(srv.home(USER) / "act.bin") == up,
              "active upload differs")


def test_curl_resume_download():
    require_tool("curl")
    with Server() as srv, _tmpdir() as d:
        full = srv.anon_root / "r.bin"
        digest = make_file(full, 2 * 1024 * 1024 + 99)
        out = Path(d) / "out"
        out.write_bytes(full.read_bytes()[:777777])
        run(CURL + ["-C", "-", srv.url("r.bin"), "-o", out])
        check(out.stat().st_size == full.stat().st_size,
              f"resumed size {out.stat().st_size}")
        check(sha256_file(out) == digest, "resumed download differs")


def test_curl_resume_upload():
    require_tool("curl")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        src = Path(d) / "src"
        digest = make_file(src, 1536 * 1024 + 1)
        data = src.read_bytes()
        (srv.home(USER) / "part.bin").write_bytes(data[:500000])
        srv.give(USER)
        run(CURL + ["-C", "-", "-T", src, srv.url("part.bin", USER, PASS)])
        got = srv.home(USER) / "part.bin"
        check(got.stat().st_size == len(data),
              f"resumed upload size {got.stat().st_size} != {len(data)}")
        check(sha256_file(got) == digest, "resumed upload differs")


def test_curl_append():
    require_tool("curl")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        first = os.urandom(300000)
        (srv.home(USER) / "log.bin").write_bytes(first)
        srv.give(USER)
        src = Path(d) / "more"
        second = os.urandom(123457)
        src.write_bytes(second)
        run(CURL + ["--append", "-T", src, srv.url("log.bin", USER, PASS)])
        got = (srv.home(USER) / "log.bin").read_bytes()
        check(sha256_bytes(got) == sha256_bytes(first + second),
              f"APPE result differs (size {len(got)})")
        # APPE to a missing file creates it.
        run(CURL + ["--append", "-T", src, srv.url("new.bin", USER, PASS)])
        check((srv.home(USER) / "new.bin").read_bytes() == second,
              "APPE to a new file differs")


# ---------------------------------------------------------------- ftplib

def test_ftplib_anonymous_session():
    with Server() as srv:
        digest = make_file(srv.anon_root / "pub" / "f.bin", 65536)
        f = srv.ftp(login=False)
        try:
            check(f.welcome.startswith("220"), f"welcome {f.welcome!r}")
            resp = f.login("anonymous", "guest@example.org")
            check(resp.startswith("230"), f"login: {resp!r}")
            check(f.pwd() == "/", "PWD is not /")
            resp = f.cwd("pub")
            check(resp.startswith("250"), f"CWD: {resp!r}")
            check(f.pwd() == "/pub", f"PWD after CWD: {f.pwd()!r}")
            check(sha256_bytes(retr_bytes(f, "f.bin")) == digest,
                  "RETR differs")
            check(f.nlst() in (["f.bin"], ["/pub/f.bin"]),
                  f"NLST: {f.nlst()}")
            f.set_pasv(False)
            check(sha256_bytes(retr_bytes(f, "/pub/f.bin")) == digest,
                  "active RETR (PORT) differs")
            expect_code(lambda: f.cwd("/nonexistent"), ("550",), "CWD")
            expect_code(lambda: f.sendcmd("CDUP"), ("200", "250"), "CDUP")
            check(f.pwd() == "/", f"PWD after CDUP: {f.pwd()!r}")
            f.quit()
        finally:
            f.close()


def test_ftplib_file_commands():
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        data = os.urandom(100000)
        (home / "f.bin").write_bytes(data)
        mtime = calendar.timegm((2021, 3, 4, 5, 6, 7))
        os.utime(home / "f.bin", (mtime, mtime))
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            check(f.pwd() == "/", f"chroot home should be /, got {f.pwd()}")
            # MKD, CWD, PWD, RMD
            resp = f.mkd("dir one")
            check("dir one" in resp, f"MKD reply {resp!r}")
            check((home / "dir one").is_dir(), "MKD made no directory")
            f.cwd("dir one")
            check(f.pwd() == "/dir one", f"PWD {f.pwd()!r}")
            stor_bytes(f, "inner.txt", b"hello\n")
            expect_code(lambda: f.rmd("/dir one"), ("550",),
                        "RMD of a non-empty directory")
            f.delete("inner.txt")
            f.cwd("/")
            f.rmd("dir one")
            check(not (home / "dir one").exists(), "RMD left the directory")
            expect_code(lambda: f.rmd("nope"), ("550",), "RMD missing")
            # LIST and NLST
            lines = []
            f.retrlines("LIST", lines.append)
            check(any(l.endswith(" f.bin") for l in lines),
                  f"LIST lacks f.bin: {lines}")
            check(any(l.startswith("-") and str(len(data)) in l
                      for l in lines), f"LIST lacks size: {lines}")
            check(f.nlst() == ["f.bin"], f"NLST {f.nlst()}")
            # SIZE (in TYPE I: RFC 3659 counts the octets of the current
            # TYPE, and LIST left TYPE A) and MDTM
            f.voidcmd("TYPE I")
            check(f.size("f.bin") == len(data), "SIZE wrong")
            resp = f.sendcmd("MDTM f.bin")
            check(resp == "213 20210304050607", f"MDTM {resp!r}")
            expect_code(lambda: f.sendcmd("SIZE missing"), ("550",), "SIZE")
            # RNFR/RNTO
            resp = f.sendcmd("RNFR f.bin")
            check(resp.startswith("350"), f"RNFR {resp!r}")
            resp = f.sendcmd("RNTO g.bin")
            check(resp.startswith("250"), f"RNTO {resp!r}")
            check((home / "g.bin").read_bytes() == data, "rename lost data")
            check(not (home / "f.bin").exists(), "rename left the source")
            expect_code(lambda: f.sendcmd("RNTO x"), ("503",),
                        "RNTO without RNFR")
            expect_code(lambda: f.sendcmd("RNFR missing"), ("550",), "RNFR")
            # REST + RETR
            got = retr_bytes(f, "g.bin", rest=12345)
            check(got == data[12345:], f"REST+RETR got {len(got)} bytes")
            check(retr_bytes(f, "g.bin") == data, "RETR after REST differs")
            # STOU
            stou_data = os.urandom(5000)
            resp = _stou(f, stou_data)
            check(resp.startswith("226") or resp.startswith("250"),
                  f"STOU end {resp!r}")
            names = [n for n in f.nlst() if n != "g.bin"]
            check(len(names) == 1, f"STOU made {names}")
            check((home / names[0]).read_bytes() == stou_data,
                  "STOU content differs")
            # DELE
            f.delete("g.bin")
            check(not (home / "g.bin").exists(), "DELE left the file")
            expect_code(lambda: f.delete("g.bin"), ("550",), "DELE missing")
            f.quit()
        finally:
            f.close()


def _stou(f, data):
    conn, _ = f.ntransfercmd("STOU")
    with conn:
        conn.sendall(data)
    return f.voidresp()


def test_ftplib_abor():
    with Server() as srv:
        make_sparse(srv.anon_root / "huge.bin", 256 * 1024 * 1024)
        small = os.urandom(4096)
        (srv.anon_root / "small.bin").write_bytes(small)
        f = srv.ftp()
        try:
            conn = retr_started(f, "huge.bin", 256 * 1024)
            # Stop reading; the server blocks on a full socket and must
            # notice ABOR on the control connection.
            f.sock.sendall(b"ABOR\r\n")
            first = _reply(f)
            check(first.startswith("426"), f"first reply to ABOR: {first!r}")
            second = _reply(f)
            check(second.startswith("226"), f"second reply: {second!r}")
            conn.close()
            resp = f.voidcmd("NOOP")
            check(resp.startswith("200"), f"NOOP after ABOR {resp!r}")
            check(retr_bytes(f, "small.bin") == small,
                  "RETR after ABOR differs")
            # ABOR with no transfer: 225 or 226.
            resp = _reply_to(f, "ABOR")
            check(resp[:3] in ("225", "226"), f"idle ABOR {resp!r}")
            f.quit()
        finally:
            f.close()


def _reply(f):
    return f.getmultiline()


def _reply_to(f, cmd):
    f.putcmd(cmd)
    return f.getmultiline()


def test_ftplib_ascii_round_trip():
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        # Lines long enough that CR/LF pairs straddle buffer boundaries.
        lines = [("line %d " % i + "x" * (i % 97)).encode()
                 for i in range(20000)]
        lf = b"\n".join(lines) + b"\n"
        crlf = b"\r\n".join(lines) + b"\r\n"
        (home / "unix.txt").write_bytes(lf)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            f.voidcmd("TYPE A")
            conn = f.transfercmd("RETR unix.txt")
            got = recv_all(conn)
            f.voidresp()
            check(got == crlf, f"ASCII RETR not CRLF ({len(got)} bytes, "
                  f"want {len(crlf)})")
            conn = f.transfercmd("STOR dos.txt")
            with conn:
                for i in range(0, len(crlf), 4093):  # odd chunk size
                    conn.sendall(crlf[i:i + 4093])
            f.voidresp()
            on_disk = (home / "dos.txt").read_bytes()
            check(on_disk == lf, f"ASCII STOR not LF on disk "
                  f"({len(on_disk)} bytes, want {len(lf)})")
            f.voidcmd("TYPE I")
            check(retr_bytes(f, "unix.txt") == lf, "TYPE I changed bytes")
            f.quit()
        finally:
            f.close()


def test_protocol_misc():
    with Server() as srv:
        with srv.raw() as c:
            code, text = c.cmd("SYST")
            check(text == "215 UNIX Type: L8", f"SYST {text!r}")
            code, text = c.cmd("USER anonymous")
            check(code == 331, f"USER {text!r}")
            code, text = c.cmd("PASS me@example.org")
            check(code == 230, f"PASS {text!r}")
            code, text = c.cmd("HELP")
            check(code == 214 and "RETR" in text and "STOR" in text,
                  f"HELP {text!r}")
            code, text = c.cmd("HELP RETR")
            check(code == 214 and "RETR" in text, f"HELP RETR {text!r}")
            code, text = c.cmd("STAT")
            check(code == 211, f"STAT {text!r}")
            code, text = c.cmd("SITE HELP")
            check(code in (200, 214), f"SITE HELP {text!r}")
            code, text = c.cmd("FEAT")
            check(code == 211 and "SIZE" in text and "MDTM" in text
                  and "EPSV" in text, f"FEAT {text!r}")
            code, text = c.cmd("FOOBAR x")
            check(code == 500, f"unknown command {text!r}")
            code, text = c.cmd("NOOP")
            check(code == 200, f"NOOP {text!r}")
            code, text = c.cmd("TYPE X")
            check(code in (501, 504), f"TYPE X {text!r}")
            code, text = c.cmd("MODE Q")
            check(code in (501, 504), f"MODE Q {text!r}")
            code, text = c.cmd("MODE S")
            check(code == 200, f"MODE S {text!r}")
            code, text = c.cmd("STRU F")
            check(code == 200, f"STRU F {text!r}")
            code, text = c.cmd("QUIT")
            check(code == 221, f"QUIT {text!r}")
            check(c.closed(), "connection open after QUIT")


def test_protocol_overlong_line():
    with Server() as srv:
        with srv.raw() as c:
            c.cmd("USER anonymous")
            c.cmd("PASS x@y")
            code, text = c.cmd("NOOP " + "A" * 5000)
            check(code == 500, f"overlong line: {text!r}")
            code, text = c.cmd("NOOP")
            check(code == 200, f"NOOP after overlong line: {text!r}")
            code, text = c.cmd("PWD")
            check(code == 257, f"PWD after overlong line: {text!r}")
        with srv.raw() as c:  # before login too
            code, text = c.cmd("USER " + "b" * 8000)
            check(code == 500, f"overlong USER: {text!r}")
            code, text = c.cmd("USER anonymous")
            check(code == 331, f"USER after overlong: {text!r}")


def test_protocol_pipelined():
    with Server() as srv:
        with srv.raw() as c:
            c.send(b"USER anonymous\r\nPASS a@b\r\nNOOP\r\nPWD\r\n"
                   b"SYST\r\nTYPE I\r\nNOOP\r\n")
            codes = [c.reply()[0] for _ in range(7)]
            check(codes == [331, 230, 200, 257, 215, 200, 200],
                  f"pipelined replies {codes}")
            # A command split over several sends.
            c.send(b"NO")
            time.sleep(0.2)
            c.send(b"OP\r")
            time.sleep(0.2)
            c.send(b"\n")
            code, text = c.reply()
            check(code == 200, f"split NOOP {text!r}")


def test_protocol_telnet_iac():
    with Server() as srv:
        with srv.raw() as c:
            c.cmd("USER anonymous")
            c.cmd("PASS a@b")
            # IAC NOP in the middle of a verb, IAC IP IAC DM before one
            # (what clients send with ABOR), IAC WILL ECHO option.
            code, text = c.cmd(b"NO\xff\xf1OP")
            check(code == 200, f"NOOP with IAC NOP: {text!r}")
            code, text = c.cmd(b"\xff\xf4\xff\xf2SYST")
            check(code == 215, f"SYST after IAC IP DM: {text!r}")
            code, text = c.cmd(b"\xff\xfb\x01PWD")
            check(code == 257, f"PWD after IAC WILL: {text!r}")
            code, text = c.cmd(b"NOOP")
            check(code == 200, f"NOOP: {text!r}")


def test_protocol_nul_and_login_order():
    with Server() as srv:
        with srv.raw() as c:
            code, text = c.cmd("PASS early")
            check(code == 503, f"PASS before USER: {text!r}")
            code, text = c.cmd("RETR x")
            check(code == 530, f"RETR before login: {text!r}")
            code, text = c.cmd("LIST")
            check(code == 530, f"LIST before login: {text!r}")
            code, text = c.cmd(b"NO\x00OP")
            check(code in (500, 501), f"NUL in line: {text!r}")
            code, text = c.cmd("NOOP")
            check(code == 200, f"NOOP after NUL: {text!r}")


def _allowed_cpus(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    return None


def test_cpu_pin():
    """cpu_pin = yes: the master and a new session run on one CPU; the
    user process may use every CPU from its first data connection on.
    cpu_pin = no, the default, leaves every process free."""
    everyone = _allowed_cpus(os.getpid())
    if len(os.sched_getaffinity(0)) < 2:
        raise Skip("one CPU: nothing to pin")
    with Server(conf={"cpu_pin": "yes"}) as srv:
        (srv.anon_root / "f.txt").write_bytes(b"x" * 1000)
        first = min(os.sched_getaffinity(0))
        check(_allowed_cpus(srv.proc.pid) == str(first),
              f"master runs on {_allowed_cpus(srv.proc.pid)}, not {first}")
        f = srv.ftp()
        try:
            user = session_process(srv, srv.anon.pw_uid)[1]
            check(user is not None, "user process not found")
            check(_allowed_cpus(user) == str(first),
                  f"new session on {_allowed_cpus(user)}")
            check(retr_bytes(f, "f.txt") == b"x" * 1000, "RETR")
            check(_allowed_cpus(user) == everyone,
                  f"after a transfer: {_allowed_cpus(user)}, not {everyone}")
            f.quit()
        finally:
            f.close()
        # Hashing a file is long work too: it lets go as a transfer does.
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{user}") and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        f = srv.ftp()
        try:
            user = session_process(srv, srv.anon.pw_uid)[1]
            check(_allowed_cpus(user) == str(first), "second session")
            check(f.sendcmd("HASH f.txt").startswith("213"), "HASH")
            check(_allowed_cpus(user) == everyone,
                  f"after HASH: {_allowed_cpus(user)}, not {everyone}")
            f.quit()
        finally:
            f.close()
    # The default (no): a host with many CPUs starts sessions on all.
    with Server() as srv:
        check(_allowed_cpus(srv.proc.pid) == everyone,
              f"default: master on {_allowed_cpus(srv.proc.pid)}")
        f = srv.ftp()
        try:
            user = session_process(srv, srv.anon.pw_uid)[1]
            check(user is not None, "user process not found")
            check(_allowed_cpus(user) == everyone,
                  f"default: new session on {_allowed_cpus(user)}")
            f.quit()
        finally:
            f.close()
