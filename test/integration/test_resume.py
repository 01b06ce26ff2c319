"""test_resume.py - cut uploads kept for resuming (atomic_uploads).

A STOR whose data connection is lost (reset here, deterministically: the
client sends part of the file, then closes the data socket with RST) goes
into place under its name when the name is free, so a listing shows the
size FileZilla resumes from; over an existing file it is kept as the
hidden partial ".ftpd-partial.<name>" and the old file is not touched.
A REST + STOR resume without a partial moves the file aside to its
partial name (the name is absent while it runs), cuts it only once the
data connection is open, and puts it back when it ends, however it
ends.  APPE appends in place, and SIZE reports the file, never a
partial.  Real clients resume: curl --continue-at - (SIZE, APPE), lftp
put -c (SIZE, REST, STOR) and FileZilla (size from LIST, REST, STOR).
ABOR, refused uploads, anonymous uploads and atomic_uploads = no keep
the old behaviour.  Files are compared by SHA-256.
"""

import contextlib
import os
import socket
import struct
import tempfile
import time
from pathlib import Path

from harness import (Server, check, make_file, recv_all, require_tool,
                     run, session_process, sha256_bytes, sha256_file,
                     stor_bytes)

USER, PASS = "dave", "Resume-s3cret"
PART = ".ftpd-partial."
SIZE = 3 * 1024 * 1024 + 17


def _login(srv, user=USER, password=PASS):
    c = srv.raw()
    c.cmd(f"USER {user}")
    code, text = c.cmd(f"PASS {password}")
    check(code == 230, f"login: {code} {text}")
    c.cmd("TYPE I")
    return c


def _pasv(c):
    code, text = c.cmd("PASV")
    check(code == 227, f"PASV: {text}")
    nums = text[text.index("(") + 1:text.index(")")].split(",")
    port = int(nums[4]) * 256 + int(nums[5])
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def cut_upload(srv, name, data, sent, user=USER, password=PASS):
    """STOR name, send data[:sent], then reset the data connection.
    Returns the final reply's code."""
    c = _login(srv, user, password)
    d = _pasv(c)
    code, text = c.cmd(f"STOR {name}")
    check(code == 150, f"STOR: {code} {text}")
    d.sendall(data[:sent])
    time.sleep(0.3)     # let the server write what arrived
    d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    d.close()
    code, _ = c.reply()
    c.cmd("QUIT")
    c.close()
    return code


def _hidden(home):
    return [f for f in os.listdir(home) if f.startswith(".ftpd-")]


def _list_size(c, name):
    """The size of name in a LIST of the current directory, as FileZilla
    reads it (None if not listed), and the listing."""
    d = _pasv(c)
    code, text = c.cmd("LIST")
    check(code in (125, 150), f"LIST: {code} {text}")
    lines = recv_all(d).decode().splitlines()
    code, text = c.reply()
    check(code == 226, f"LIST end: {code} {text}")
    for line in lines:
        f = line.split(None, 8)
        if len(f) == 9 and f[8] == name:
            return int(f[4]), lines
    return None, lines


def _names(srv):
    """What another session sees: NLST -a and MLSD names."""
    f = srv.ftp(USER, PASS)
    try:
        names = f.nlst("-a") + [n for n, _ in f.mlsd()]
        f.quit()
    finally:
        f.close()
    return names


def _start_resume(srv, name, rest, first):
    """REST rest + STOR name, send first and keep the data connection
    open: (control, data socket)."""
    c = _login(srv)
    d = _pasv(c)
    check(c.cmd(f"REST {rest}")[0] == 350, "REST")
    code, text = c.cmd(f"STOR {name}")
    check(code == 150, f"resume STOR: {code} {text}")
    d.sendall(first)
    time.sleep(0.3)
    return c, d


def _size(srv, name):
    c = _login(srv)
    code, text = c.cmd(f"SIZE {name}")
    c.close()
    return code, text


def _curl_resume(srv, local, name):
    run(["curl", "-sS", "--max-time", "60", "-T", str(local),
         "--continue-at", "-",
         f"ftp://{USER}:{PASS}@127.0.0.1:{srv.port}/{name}"], timeout=90)


@contextlib.contextmanager
def _server_and_file(name, seed, conf=None):
    """A server for USER, and a local file of SIZE bytes: (srv, directory,
    local path, its SHA-256)."""
    with Server(users={USER: PASS}, conf=conf) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-resume-") as d:
        local = Path(d) / name
        want = make_file(local, SIZE, seed=seed)
        srv.give(USER)
        yield srv, d, local, want


def _resume_to_end(srv, home, name, m, data, what):
    """REST m + STOR of the rest of data on a new session: 226, name holds
    exactly data, nothing hidden is left."""
    c, dc = _start_resume(srv, name, m, data[m:m + 1000])
    dc.sendall(data[m + 1000:])
    dc.close()
    code, text = c.reply()
    check(code == 226, f"{what}: {code} {text}")
    check(sha256_file(home / name) == sha256_bytes(data), f"{what}: bytes")
    check(_hidden(home) == [], f"left: {_hidden(home)}")
    c.close()


@contextlib.contextmanager
def _server_and_prefix(name, n):
    """A server for USER whose home holds name: the first n bytes of SIZE
    random bytes, uploaded.  Yields (srv, home, the SIZE bytes)."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        srv.give(USER)
        data = os.urandom(SIZE)
        f = srv.ftp(USER, PASS)
        stor_bytes(f, name, data[:n])
        f.quit()
        yield srv, home, data


def test_resume_cut_upload_with_curl():
    require_tool("curl")
    with _server_and_file("big.bin", 9) as (srv, d, local, want):
        data = local.read_bytes()
        home = srv.home(USER)
        code = cut_upload(srv, "big.bin", data, SIZE // 2)
        check(code == 426, f"cut upload answered {code}")
        # A new file: the cut upload went into place, nothing hidden.
        got = home / "big.bin"
        check(got.is_file(), f"cut upload not in place: {os.listdir(home)}")
        n = got.stat().st_size
        check(0 < n <= SIZE // 2 and got.read_bytes() == data[:n],
              f"cut file of {n} bytes is not a prefix")
        check(_hidden(home) == [], f"hidden files left: {_hidden(home)}")
        code, text = _size(srv, "big.bin")
        check(code == 213 and text.split()[1] == str(n), f"SIZE: {text}")
        _curl_resume(srv, local, "big.bin")
        check(sha256_file(home / "big.bin") == want, "curl resume differs")
        check(_hidden(home) == [], f"left after the resume: {_hidden(home)}")


def test_resume_cut_upload_with_lftp():
    require_tool("lftp")
    with _server_and_file("l.bin", 10) as (srv, d, local, want):
        home = srv.home(USER)
        cut_upload(srv, "l.bin", local.read_bytes(), SIZE // 3)
        n = (home / "l.bin").stat().st_size
        p = run(["lftp", "-d", "-c",
                 "set ftp:ssl-allow no; set net:max-retries 1; "
                 f"open -u {USER},{PASS} -p {srv.port} 127.0.0.1; "
                 f"put -c {local} -o l.bin"], timeout=90, cwd=d)
        check(f"REST {n}" in p.stdout + p.stderr,
              f"lftp did not resume at {n}:\n{(p.stdout + p.stderr)[-2000:]}")
        check(sha256_file(home / "l.bin") == want, "lftp put -c differs")
        check(_hidden(home) == [], f"left: {_hidden(home)}")


def test_resume_keeps_old_file_until_complete():
    """Over an existing file: the old file stays whole until the resumed
    upload completes; SIZE reports the file, not the partial; a newer
    complete STOR drops the partial; a file written after the cut makes
    the partial stale (REST sees the file again, never the partial)."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        old = b"old contents\n" * 1000
        (home / "f.bin").write_bytes(old)
        new = os.urandom(SIZE)
        srv.give(USER)
        cut_upload(srv, "f.bin", new, SIZE // 2)
        check((home / "f.bin").read_bytes() == old, "old file touched")
        n = (home / (PART + "f.bin")).stat().st_size
        # SIZE is what RETR would send (RFC 3659), never the partial.
        code, text = _size(srv, "f.bin")
        check(code == 213 and text.split()[1] == str(len(old)),
              f"SIZE not the file's: {code} {text}")
        # The partial is on disk, never in a listing.
        f = srv.ftp(USER, PASS)
        try:
            names = f.nlst("-a") + [n for n, _ in f.mlsd()]
            lines = []
            f.retrlines("LIST -a", lines.append)
            f.quit()
        finally:
            f.close()
        check(not any(PART in x for x in names + lines),
              f"the partial is listed: {names} {lines}")
        # REST n + STOR of the rest: the old file stays whole meanwhile.
        c = _login(srv)
        dc = _pasv(c)
        c.cmd(f"REST {n}")
        code, text = c.cmd("STOR f.bin")
        check(code == 150, f"resume STOR: {code} {text}")
        dc.sendall(new[n:n + 1000])
        time.sleep(0.2)
        check((home / "f.bin").read_bytes() == old, "old file replaced "
              "while the resume runs")
        dc.sendall(new[n + 1000:])
        dc.close()
        code, text = c.reply()
        check(code == 226, f"resume: {code} {text}")
        check(sha256_file(home / "f.bin") == sha256_bytes(new), "resumed")
        check(not (home / (PART + "f.bin")).exists(), "partial left")
        # A second cut, then a whole new STOR: the partial goes.
        c.cmd("QUIT")
        cut_upload(srv, "f.bin", old, len(old) // 2)
        check((home / (PART + "f.bin")).exists(), "second cut not kept")
        c = _login(srv)
        dc = _pasv(c)
        c.cmd("STOR f.bin")
        dc.sendall(b"whole\n")
        dc.close()
        check(c.reply()[0] == 226, "whole STOR")
        check((home / "f.bin").read_bytes() == b"whole\n", "whole STOR")
        check(not (home / (PART + "f.bin")).exists(), "stale partial kept")
        # A cut, then the file changes: the partial is stale.
        cut_upload(srv, "f.bin", new, SIZE // 2)
        time.sleep(0.05)
        (home / "f.bin").write_bytes(b"changed later\n")
        code, text = c.cmd("SIZE f.bin")
        check(text.split()[1] == "14", f"stale partial reported: {text}")
        code, text = c.cmd("REST 8")
        dc = _pasv(c)
        c.cmd("STOR f.bin")
        dc.sendall(b"LATER\n")
        dc.close()
        check(c.reply()[0] == 226, "REST STOR in place")
        check((home / "f.bin").read_bytes() == b"changed LATER\n",
              "REST STOR of a file newer than the partial")
        c.close()


def test_resume_not_after_abor_or_refusal():
    """ABOR is the client's own cancel: nothing is kept.  REST beyond the
    end is 554 and the file, or the partial, stays as it was."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        srv.give(USER)
        data = os.urandom(SIZE)
        c = _login(srv)
        dc = _pasv(c)
        c.cmd("STOR a.bin")
        dc.sendall(data[:100000])
        time.sleep(0.2)
        c.send("ABOR\r\n")
        codes = [c.reply()[0]]
        if codes[0] != 226:
            codes.append(c.reply()[0])
        dc.close()
        check(codes[-1] == 226, f"ABOR replies {codes}")
        # The replies to ABOR come from the transfer loop, the clean-up
        # right after: ask something to be sure it is done.
        c.cmd("NOOP")
        check(not any(f.startswith(".ftpd-") or f == "a.bin"
                      for f in os.listdir(home)),
              f"ABOR left {os.listdir(home)}")
        cut_upload(srv, "b.bin", data, 50000)
        n = (home / "b.bin").stat().st_size
        dc = _pasv(c)
        c.cmd(f"REST {n + 1}")
        code, text = c.cmd("STOR b.bin")
        check(code == 554, f"REST beyond the end: {code} {text}")
        dc.close()
        check((home / "b.bin").read_bytes() == data[:n], "cut file hurt")
        check(_hidden(home) == [], f"left: {_hidden(home)}")
        # Over an existing file the cut is a partial: 554 past it too.
        cut_upload(srv, "b.bin", data[::-1], 50000)
        n = (home / (PART + "b.bin")).stat().st_size
        dc = _pasv(c)
        c.cmd(f"REST {n + 1}")
        code, text = c.cmd("STOR b.bin")
        check(code == 554, f"REST beyond the partial: {code} {text}")
        dc.close()
        check((home / (PART + "b.bin")).stat().st_size == n, "partial hurt")
        check((home / "b.bin").read_bytes() == data[:50000], "file hurt")
        c.close()


def test_resume_anonymous_and_not_atomic():
    """Anonymous uploads never keep a partial (resuming would overwrite);
    with atomic_uploads = no a cut upload stays under its name as
    before, and curl resumes it there."""
    require_tool("curl")
    with Server(anon_upload=True) as srv:
        data = os.urandom(SIZE)
        cut_upload(srv, "upload/x.bin", data, SIZE // 2, "anonymous",
                   "a@b.c")
        left = os.listdir(srv.anon_root / "upload")
        check(left == [], f"anonymous cut left {left}")
    with _server_and_file("n.bin", 11, {"atomic_uploads": "no"}) as \
            (srv, d, local, want):
        home = srv.home(USER)
        cut_upload(srv, "n.bin", local.read_bytes(), SIZE // 2)
        check((home / "n.bin").exists(), "non-atomic cut removed the file")
        check(not any(f.startswith(".ftpd-") for f in os.listdir(home)),
              f"debris: {os.listdir(home)}")
        _curl_resume(srv, local, "n.bin")
        check(sha256_file(home / "n.bin") == want, "curl resume in place")


def test_resume_size_from_listing_like_filezilla():
    """FileZilla takes the remote size from LIST, not SIZE: a cut new
    upload is listed under its name with what arrived, and REST <that> +
    STOR of the rest gives the whole file."""
    with _server_and_file("fz.bin", 12) as (srv, d, local, want):
        home = srv.home(USER)
        data = local.read_bytes()
        check(cut_upload(srv, "fz.bin", data, SIZE // 2) == 426, "cut")
        c = _login(srv)
        n, lines = _list_size(c, "fz.bin")
        check(n is not None and 0 < n <= SIZE // 2,
              f"cut upload not listed: {lines}")
        check(not any(".ftpd-" in x for x in lines), f"listed: {lines}")
        c.cmd("TYPE I")
        dc = _pasv(c)
        check(c.cmd(f"REST {n}")[0] == 350, "REST")
        code, text = c.cmd("STOR fz.bin")
        check(code == 150, f"STOR: {code} {text}")
        dc.sendall(data[n:])
        dc.close()
        code, text = c.reply()
        check(code == 226, f"resume: {code} {text}")
        check(sha256_file(home / "fz.bin") == want, "FileZilla-like resume")
        check(_list_size(c, "fz.bin")[0] == SIZE, "listed size")
        check(_hidden(home) == [], f"left: {_hidden(home)}")
        c.close()


def test_resume_name_absent_while_running():
    """A resume of an existing file (no partial) never shows a growing
    file: while it runs the name is in no listing, RETR gets 550, and no
    hidden name is listed; afterwards the file is whole."""
    n = SIZE // 3
    with _server_and_prefix("s.bin", n) as (srv, home, data):
        c, dc = _start_resume(srv, "s.bin", n, data[n:n + 100000])
        names = _names(srv)
        check("s.bin" not in names, f"listed while resuming: {names}")
        check(not any(".ftpd-" in x for x in names), f"hidden: {names}")
        o = _login(srv)
        code, text = o.cmd("SIZE s.bin")
        check(code == 550, f"SIZE while resuming: {code} {text}")
        od = _pasv(o)
        code, text = o.cmd("RETR s.bin")
        check(code == 550, f"RETR while resuming: {code} {text}")
        od.close()
        o.close()
        check(not (home / "s.bin").exists(), "name present while resuming")
        dc.sendall(data[n + 100000:])
        dc.close()
        code, text = c.reply()
        check(code == 226, f"resume: {code} {text}")
        check(sha256_file(home / "s.bin") == sha256_bytes(data), "whole")
        check(_hidden(home) == [], f"left: {_hidden(home)}")
        check("s.bin" in _names(srv), "not listed after the resume")
        c.close()


def test_resume_abor_and_cut_put_file_back():
    """A resume moved aside comes back under its name however it ends:
    ABOR puts it back (cut at the restart point, plus what arrived), a
    second cut too; the user's file is never deleted."""
    n = 100000
    with _server_and_prefix("a.bin", n) as (srv, home, data):
        c, dc = _start_resume(srv, "a.bin", n, data[n:2 * n])
        check(not (home / "a.bin").exists(), "a.bin not moved aside")
        c.send("ABOR\r\n")
        codes = [c.reply()[0]]
        if codes[0] != 226:
            codes.append(c.reply()[0])
        dc.close()
        c.cmd("NOOP")
        got = (home / "a.bin").read_bytes()
        check(n <= len(got) <= 2 * n and got == data[:len(got)],
              f"ABOR: a.bin is {len(got)} bytes, not a prefix")
        check(_hidden(home) == [], f"ABOR left {_hidden(home)}")
        c.close()
        # Cut while resuming: back in place with what arrived.
        m = len(got)
        c, dc = _start_resume(srv, "a.bin", m, data[m:m + n])
        check(not (home / "a.bin").exists(), "a.bin not moved aside")
        dc.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                      struct.pack("ii", 1, 0))
        dc.close()
        check(c.reply()[0] == 426, "cut resume")
        c.cmd("NOOP")
        got = (home / "a.bin").read_bytes()
        check(m < len(got) <= m + n and got == data[:len(got)],
              f"cut resume: a.bin is {len(got)} bytes, not a prefix")
        check(_hidden(home) == [], f"cut resume left {_hidden(home)}")
        # And the rest, APPE: whole.
        f = srv.ftp(USER, PASS)
        stor_bytes(f, "a.bin", data[len(got):], cmd="APPE")
        f.quit()
        check(sha256_file(home / "a.bin") == sha256_bytes(data), "APPE")
        c.close()


def test_resume_sigterm_puts_file_back():
    """Stopping the server during a resume: the file is back under its
    name with its bytes (no data lost) and no temporary is left."""
    n = SIZE // 2
    with _server_and_prefix("t.bin", n) as (srv, home, data):
        c, dc = _start_resume(srv, "t.bin", n, data[n:n + 50000])
        check(not (home / "t.bin").exists(), "t.bin not moved aside")
        check(len(_hidden(home)) == 1, f"moved aside: {_hidden(home)}")
        srv.stop()
        dc.close()
        c.close()
        got = (home / "t.bin").read_bytes() if (home / "t.bin").exists() \
            else b""
        check(n <= len(got) <= n + 50000 and got == data[:len(got)],
              f"after SIGTERM t.bin is {len(got)} bytes: "
              f"{os.listdir(home)}")
        check(_hidden(home) == [], f"SIGTERM left {_hidden(home)}")


def test_resume_concurrent_appe_both_land():
    """Two APPEs to one file at once (log shipping) both land: APPE
    appends in place, it never moves the file aside."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        orig = b"original line\n" * 500
        (home / "log.txt").write_bytes(orig)
        srv.give(USER)
        a, b = os.urandom(200000), os.urandom(150000)
        ca = _login(srv)
        da = _pasv(ca)
        code, text = ca.cmd("APPE log.txt")
        check(code == 150, f"APPE A: {code} {text}")
        da.sendall(a[:50000])
        time.sleep(0.3)
        cb = _login(srv)
        db = _pasv(cb)
        code, text = cb.cmd("APPE log.txt")
        check(code == 150, f"APPE B: {code} {text}")
        db.sendall(b)
        db.close()
        code, text = cb.reply()
        check(code == 226, f"APPE B end: {code} {text}")
        da.sendall(a[50000:])
        da.close()
        code, text = ca.reply()
        check(code == 226, f"APPE A end: {code} {text}")
        got = (home / "log.txt").read_bytes()
        check(len(got) == len(orig) + len(a) + len(b),
              f"{len(got)} bytes, want {len(orig) + len(a) + len(b)}")
        check(got.startswith(orig), "original not kept")
        i = got.find(b)
        check(i >= len(orig) and got[:i] + got[i + len(b):] == orig + a,
              "the two appends do not both land whole")
        check(_hidden(home) == [], f"left: {_hidden(home)}")
        ca.close()
        cb.close()


def test_resume_appe_ignores_live_partial():
    """A plain APPE while a partial exists appends to the complete file
    in place; the partial stays as it was."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        old = b"complete file\n" * 1000
        (home / "p.bin").write_bytes(old)
        srv.give(USER)
        cut_upload(srv, "p.bin", os.urandom(SIZE), SIZE // 2)
        part = home / (PART + "p.bin")
        check(part.exists(), "no partial")
        want_part = sha256_file(part)
        f = srv.ftp(USER, PASS)
        stor_bytes(f, "p.bin", b"appended\n", cmd="APPE")
        f.quit()
        check((home / "p.bin").read_bytes() == old + b"appended\n",
              "APPE did not append to the complete file")
        check(sha256_file(part) == want_part, "partial touched")


def test_resume_size_never_the_partial():
    """SIZE of a missing name is 550 even when a partial of it exists; REST
    n + STOR with n within the partial still continues it."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        (home / "g.bin").write_bytes(b"older\n" * 100)
        srv.give(USER)
        new = os.urandom(SIZE)
        cut_upload(srv, "g.bin", new, SIZE // 2)
        part = home / (PART + "g.bin")
        n = part.stat().st_size
        (home / "g.bin").unlink()
        code, text = _size(srv, "g.bin")
        check(code == 550, f"SIZE of a missing name: {code} {text}")
        m = n // 2
        _resume_to_end(srv, home, "g.bin", m, new,
                       "resume of the partial")


def test_resume_failed_data_connection_leaves_file():
    """REST n + STOR whose data connection fails (425: PORT to a closed
    port) leaves the file whole under its name: it is cut at n only once
    the data connection is open."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        data = os.urandom(200000)
        (home / "d.bin").write_bytes(data)
        srv.give(USER)
        want = sha256_file(home / "d.bin")
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()           # nothing listens there now
        c = _login(srv)
        code, text = c.cmd(f"PORT 127,0,0,1,{port >> 8},{port & 255}")
        check(code == 200, f"PORT: {code} {text}")
        check(c.cmd("REST 1000")[0] == 350, "REST")
        code, text = c.cmd("STOR d.bin")
        if code == 150:
            code, text = c.reply()
        check(code == 425, f"STOR without a data connection: {code} {text}")
        c.cmd("NOOP")
        check(sha256_file(home / "d.bin") == want, "file changed by a "
              "resume that never got its data connection")
        check(_hidden(home) == [], f"left: {_hidden(home)}")
        c.close()


def test_resume_sigkill_leaves_partial_to_resume():
    """A resume moves the file aside to its partial name: a session killed
    outright (SIGKILL, no handler runs) leaves it there, and the next REST
    n + STOR continues it, so nothing is hidden for good."""
    n = SIZE // 3
    with _server_and_prefix("k.bin", n) as (srv, home, data):
        c, dc = _start_resume(srv, "k.bin", n, data[n:n + 50000])
        check(_hidden(home) == [PART + "k.bin"], f"aside: {_hidden(home)}")
        pid = session_process(srv, srv.vuid)[1]
        check(pid is not None, "no session process")
        os.kill(pid, 9)
        dc.close()
        c.close()
        time.sleep(0.3)
        part = home / (PART + "k.bin")
        check(part.exists() and not (home / "k.bin").exists(),
              f"after SIGKILL: {os.listdir(home)}")
        m = part.stat().st_size
        check(n <= m <= n + 50000 and part.read_bytes() == data[:m],
              f"partial of {m} bytes is not a prefix")
        _resume_to_end(srv, home, "k.bin", m, data,
                       "resume after SIGKILL")
