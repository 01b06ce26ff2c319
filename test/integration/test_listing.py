"""test_listing.py - listings and directories (issue 17, items 6, 8, 11).

What LIST, NLST, MLSD and STAT show: never an upload's temporary file,
names in byte order as `LC_ALL=C ls` prints them; and how symbolic links
look to recursive clients: MLSD types a link as a link, CWD through a link
lands on the physical directory (PWD says so), and a link loop costs lftp,
wget and a FileZilla-like walk one copy of the tree, not forty.
"""

import ftplib
import os
import tempfile
import time
from pathlib import Path

from harness import (SLOW, Server, check, make_file, require_tool, run,
                     sha256_file, tree_hashes)

USER, PASS = "lisa", "Li5t-pa55-word"


def _lines(f, cmd):
    """The lines of a listing command over a data connection."""
    raw = []
    f.retrbinary(cmd, raw.append)
    text = b"".join(raw).decode("utf-8", "surrogateescape")
    check(text == "" or text.endswith("\r\n"), f"{cmd}: no CRLF at the end")
    return text.split("\r\n")[:-1]


def _stat_lines(f, arg):
    """The listing lines of STAT arg (between 213- and 213 End)."""
    resp = f.sendcmd(f"STAT {arg}")
    return resp.splitlines()[1:-1]


def _names(cmd, lines):
    """The entry names of LIST, NLST or MLSD lines."""
    if cmd.startswith("MLSD"):
        return [l.split(" ", 1)[1] for l in lines]
    if cmd.startswith("NLST"):
        return lines
    out = []
    for l in lines:
        if l.startswith("total"):
            continue
        name = l.split(None, 8)[8]
        out.append(name.split(" -> ")[0] if l.startswith("l") else name)
    return out


# ---------------------------------------------------------------- item 8

def test_upload_temporary_never_listed():
    """While an atomic upload runs, its .ftpd-upload.* file exists on disk
    but no listing shows it (MLSD, LIST -a, NLST -a, STAT -a, a glob)."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        make_file(home / "keep.txt", 10)
        srv.give(USER)
        up = srv.ftp(USER, PASS)
        up.voidcmd("TYPE I")
        conn = up.transfercmd("STOR big.bin")
        try:
            conn.sendall(os.urandom(1 << 16))
            deadline = time.monotonic() + 10 * SLOW
            tmp = []
            while not tmp and time.monotonic() < deadline:
                tmp = [p.name for p in home.iterdir()
                       if p.name.startswith(".ftpd-upload.")]
                time.sleep(0.02)
            check(len(tmp) == 1, f"no temporary file on disk: {tmp}")
            f = srv.ftp(USER, PASS)
            for cmd in ("MLSD", "LIST -a", "LIST -A", "NLST -a", "LIST",
                        "NLST", "NLST .ftpd*", "LIST -a .f*"):
                try:
                    lines = _lines(f, cmd)
                except ftplib.error_perm as e:
                    lines = [str(e)]
                check(not any(".ftpd-upload" in l for l in lines),
                      f"{cmd} shows the upload's temporary: {lines}")
                if not cmd.startswith(("NLST .", "LIST -a .")):
                    check("keep.txt" in _names(cmd, lines),
                          f"{cmd} lost keep.txt: {lines}")
            lines = _stat_lines(f, "-a")
            check(not any(".ftpd-upload" in l for l in lines),
                  f"STAT -a shows the upload's temporary: {lines}")
            check(any(l.endswith(" keep.txt") for l in lines),
                  f"STAT -a lost keep.txt: {lines}")
            conn.sendall(b"end")
        finally:
            conn.close()
        up.voidresp()
        up.quit()
        names = _names("MLSD", _lines(f, "MLSD"))
        check("big.bin" in names, f"finished upload not listed: {names}")
        f.quit()


# ---------------------------------------------------------------- item 11

SORT_NAMES = ["b.txt", "a.txt", "B.txt", "Zed", "_under", "~tilde", "!bang",
              "#hash", "-dash", "10.txt", "9.txt", "a", "ab", "a b",
              ".hidden", "d\u00e9j\u00e0.txt", "z.txt", "sub"]


def _byte_sorted(names):
    return sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))


def test_listings_sorted():
    """LIST, NLST, MLSD and STAT list names in byte order, as LC_ALL=C ls
    does (dot entries where their bytes put them), whatever the
    directory's own order; globs too."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        d = home / "dir"
        d.mkdir()
        import random
        order = list(SORT_NAMES)
        random.Random(7).shuffle(order)
        for n in order:
            if n == "sub":
                (d / n).mkdir()
            else:
                (d / n).write_bytes(b"x")
        srv.give(USER)
        visible = [n for n in SORT_NAMES if not n.startswith(".")]
        everything = SORT_NAMES + [".", ".."]
        f = srv.ftp(USER, PASS)
        f.encoding = "utf-8"
        want = {
            "LIST dir": _byte_sorted(visible),
            "NLST dir": _byte_sorted(visible),
            "LIST -a dir": _byte_sorted(everything),
            "LIST -A dir": _byte_sorted(SORT_NAMES),
            "NLST -a dir": _byte_sorted(everything),
            "MLSD dir": _byte_sorted(everything),
        }
        for cmd, names in want.items():
            got = _names(cmd, _lines(f, cmd))
            if cmd.startswith("NLST"):
                got = [g.split("/")[-1] for g in got]
            check(got == names, f"{cmd} not in byte order:\n{got}\n"
                  f"want\n{names}")
        got = _names("LIST", _lines(f, "LIST dir/*.txt"))
        txt = _byte_sorted([f"dir/{n}" for n in visible
                            if n.endswith(".txt")])
        check(got == txt, f"LIST of a glob not sorted: {got}, want {txt}")
        f.cwd("dir")
        got = [l.split(None, 8)[8] for l in _stat_lines(f, "-a")
               if not l.startswith("total")]
        check(got == _byte_sorted(everything),
              f"STAT -a not sorted: {got}")
        f.quit()
