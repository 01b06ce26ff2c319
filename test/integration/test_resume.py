"""test_resume.py - cut uploads kept for resuming (atomic_uploads).

A STOR whose data connection is lost (reset here, deterministically: the
client sends part of the file, then closes the data socket with RST) is
kept as the hidden partial ".ftpd-partial.<name>"; the final name is not
touched.  SIZE then reports the partial, and real clients resume it:
curl --continue-at - (SIZE, APPE) and lftp put -c (SIZE, REST, STOR).
ABOR, refused uploads, anonymous uploads and atomic_uploads = no keep the
old behaviour.  Files are compared by SHA-256.
"""

import contextlib
import os
import socket
import struct
import tempfile
import time
from pathlib import Path

from harness import (Server, check, make_file, require_tool, run,
                     sha256_bytes, sha256_file)

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


def test_resume_cut_upload_with_curl():
    require_tool("curl")
    with _server_and_file("big.bin", 9) as (srv, d, local, want):
        data = local.read_bytes()
        home = srv.home(USER)
        code = cut_upload(srv, "big.bin", data, SIZE // 2)
        check(code == 426, f"cut upload answered {code}")
        part = home / (PART + "big.bin")
        check(not (home / "big.bin").exists(), "final name appeared")
        check(part.is_file(), f"no partial kept: {os.listdir(home)}")
        n = part.stat().st_size
        check(0 < n <= SIZE // 2 and part.read_bytes() == data[:n],
              f"partial of {n} bytes is not a prefix")
        check(not any(f.startswith(".ftpd-upload.") for f in
                      os.listdir(home)), "temporary file left")
        code, text = _size(srv, "big.bin")
        check(code == 213 and text.split()[1] == str(n), f"SIZE: {text}")
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
        _curl_resume(srv, local, "big.bin")
        check(sha256_file(home / "big.bin") == want, "curl resume differs")
        check(not part.exists(), "partial left after the resume")


def test_resume_cut_upload_with_lftp():
    require_tool("lftp")
    with _server_and_file("l.bin", 10) as (srv, d, local, want):
        home = srv.home(USER)
        cut_upload(srv, "l.bin", local.read_bytes(), SIZE // 3)
        n = (home / (PART + "l.bin")).stat().st_size
        p = run(["lftp", "-d", "-c",
                 "set ftp:ssl-allow no; set net:max-retries 1; "
                 f"open -u {USER},{PASS} -p {srv.port} 127.0.0.1; "
                 f"put -c {local} -o l.bin"], timeout=90, cwd=d)
        check(f"REST {n}" in p.stdout + p.stderr,
              f"lftp did not resume at {n}:\n{(p.stdout + p.stderr)[-2000:]}")
        check(sha256_file(home / "l.bin") == want, "lftp put -c differs")
        check(not (home / (PART + "l.bin")).exists(), "partial left")


def test_resume_keeps_old_file_until_complete():
    """Over an existing file: the old file stays whole until the resumed
    upload completes; a newer complete STOR drops the partial; a file
    written after the cut makes the partial stale (SIZE and REST see the
    file again, never the partial)."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        old = b"old contents\n" * 1000
        (home / "f.bin").write_bytes(old)
        new = os.urandom(SIZE)
        srv.give(USER)
        cut_upload(srv, "f.bin", new, SIZE // 2)
        check((home / "f.bin").read_bytes() == old, "old file touched")
        n = (home / (PART + "f.bin")).stat().st_size
        code, text = _size(srv, "f.bin")
        check(text.split()[1] == str(n), f"SIZE not the partial's: {text}")
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
    partial is 554 and the partial stays."""
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
        n = (home / (PART + "b.bin")).stat().st_size
        dc = _pasv(c)
        c.cmd(f"REST {n + 1}")
        code, text = c.cmd("STOR b.bin")
        check(code == 554, f"REST beyond the partial: {code} {text}")
        dc.close()
        check((home / (PART + "b.bin")).stat().st_size == n, "partial hurt")
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
