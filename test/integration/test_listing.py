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


# ---------------------------------------------------------------- item 6

def _loop_tree(home):
    """looptest/ with two files and three links back to itself (self ->
    ., sub/back -> .., again -> ../looptest): one copy is 2 files."""
    top = home / "looptest"
    want = {"f.bin": make_file(top / "f.bin", 200000, seed=61),
            "sub/g.bin": make_file(top / "sub" / "g.bin", 70000, seed=62)}
    os.symlink(".", top / "self")
    os.symlink("..", top / "sub" / "back")
    os.symlink("../looptest", top / "again")
    return want


def _fetched(local):
    """{relative path: sha256} of the regular files under local, and the
    number of symlinks (a mirror may recreate the links as links)."""
    got = tree_hashes(local)
    links = sum(1 for dp, dn, fn in os.walk(local) for n in dn + fn
                if os.path.islink(os.path.join(dp, n)))
    return got, links


def test_mlsd_types_links_as_links():
    """MLSD and MLST type a symbolic link as OS.unix=slink:<target> (RFC
    3659 7.7.4) with its target's facts, never as the dir or file it
    leads to; a target that cannot be a fact value gives
    OS.unix=symlink.  LIST keeps its l lines."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        _loop_tree(home)
        top = home / "looptest"
        os.symlink("f.bin", top / "flink")
        os.symlink("/nowhere", top / "dangling")
        os.symlink("a b;c", top / "odd")
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        facts = {}
        for l in _lines(f, "MLSD looptest"):
            fl, name = l.split(" ", 1)
            facts[name] = dict(x.split("=", 1) for x in fl[:-1].split(";"))
        want = {"self": "OS.unix=slink:.", "again": "OS.unix=slink:"
                "../looptest", "flink": "OS.unix=slink:f.bin",
                "dangling": "OS.unix=slink:/nowhere",
                "odd": "OS.unix=symlink", "f.bin": "file", "sub": "dir",
                ".": "cdir", "..": "pdir"}
        for name, t in want.items():
            check(facts.get(name, {}).get("type") == t,
                  f"MLSD type of {name}: {facts.get(name)}, want {t}")
        check(facts["flink"].get("size") == "200000",
              f"a link to a file has its target's size: {facts['flink']}")
        check("size" not in facts["dangling"],
              f"a dangling link has no size: {facts['dangling']}")
        resp = f.sendcmd("MLST looptest/self")
        check("type=OS.unix=slink:.;" in resp, f"MLST of a link: {resp!r}")
        lines = [l for l in _lines(f, "LIST looptest") if l[:1] == "l"]
        check(sorted(l.split(None, 8)[8] for l in lines) ==
              ["again -> ../looptest", "dangling -> /nowhere",
               "flink -> f.bin", "odd -> a b;c", "self -> ."],
              f"LIST link lines: {lines}")
        f.quit()


def test_cwd_through_links_pwd_physical():
    """CWD through a link lands on the physical directory and PWD says
    so (a client that remembers PWDs sees the loop); a loop of links is
    550 (ELOOP is not a bad name: not 553)."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        _loop_tree(home)
        os.symlink("ring-b", home / "ring-a")
        os.symlink("ring-a", home / "ring-b")
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        for path in ("looptest/self", "/looptest/self/self/./self",
                     "/looptest/sub/back", "/looptest/again/sub/back/self",
                     "looptest"):
            f.cwd("/")
            resp = f.sendcmd(f"CWD {path}")
            check(resp.startswith("250") and '"' not in resp,
                  f"CWD {path}: {resp!r}")
            check(f.pwd() == "/looptest", f"CWD {path}: PWD {f.pwd()!r}")
        f.cwd("sub")
        check(f.pwd() == "/looptest/sub", f"PWD {f.pwd()!r}")
        f.sendcmd("CDUP")
        check(f.pwd() == "/looptest", f"CDUP: PWD {f.pwd()!r}")
        deep = "/looptest" + "/self" * 41
        for path in ("/ring-a", deep):
            try:
                resp = f.sendcmd(f"CWD {path}")
            except ftplib.error_perm as e:
                resp = str(e)
            check(resp.startswith("550") and "symbolic links" in resp,
                  f"CWD {path[:40]}: {resp!r}")
        check(f.pwd() == "/looptest", f"after failed CWDs: {f.pwd()!r}")
        f.quit()


def _filezilla_walk(f, top, limit=200):
    """What FileZilla's recursive download does: MLSD each directory,
    enter every dir and every link (OS.unix=slink is taken for a
    directory link), and skip a directory whose PWD after CWD was seen
    before.  Returns the paths of the files it would fetch."""
    seen, files, todo = set(), [], [top]
    while todo and len(seen) < limit:
        path = todo.pop()
        try:
            f.cwd(path)
        except ftplib.error_perm:
            continue            # a link to a file: fetched as a file
        real = f.pwd()
        if real in seen:
            continue
        seen.add(real)
        for l in _lines(f, "MLSD"):
            fl, name = l.split(" ", 1)
            t = dict(x.split("=", 1) for x in fl[:-1].split(";"))["type"]
            kind = t.lower().split(":", 1)[0]
            if kind in ("dir", "os.unix=slink", "os.unix=symlink"):
                todo.append(f"{real.rstrip('/')}/{name}")
            elif kind == "file":
                files.append(f"{real.rstrip('/')}/{name}")
    return files


def test_filezilla_like_walk_stops_at_link_loops():
    """A recursive walk that knows directories by their PWD (FileZilla's)
    fetches each file of a looping tree once."""
    with Server(users={USER: PASS}) as srv:
        _loop_tree(srv.home(USER))
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        files = _filezilla_walk(f, "/looptest")
        check(sorted(files) == ["/looptest/f.bin", "/looptest/sub/g.bin"],
              f"the walk fetched {len(files)} files: {files[:6]}")
        f.quit()


def _check_one_copy(want, local, client):
    got, _links = _fetched(local)
    check(got == want, f"{client} fetched {len(got)} files, not "
          f"{len(want)}: {sorted(got)[:6]}")


def test_lftp_mirror_symlink_loop():
    """lftp mirror of a tree with links back to itself fetches it once
    (MLSD types the links as links; lftp lists with LIST for their
    targets and makes them links locally)."""
    require_tool("lftp")
    with Server(users={USER: PASS}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-loop-") as d:
        want = _loop_tree(srv.home(USER))
        srv.give(USER)
        local = Path(d) / "m"
        run(["lftp", "-u", f"{USER},{PASS}", "-p", str(srv.port), "-e",
             "set ftp:ssl-allow no; set net:max-retries 2; "
             "set cmd:fail-exit yes; mirror /looptest " + str(local) +
             "; quit", "127.0.0.1"], timeout=30, cwd=d)
        _check_one_copy(want, local, "lftp mirror")
        check(os.readlink(local / "self") == ".",
              "lftp did not recreate self -> . as a link")


def test_wget_mirror_symlink_loop():
    """wget -m (LIST, l lines) of the looping tree fetches it once and
    ends."""
    require_tool("wget")
    with Server(users={USER: PASS}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-loop-") as d:
        want = _loop_tree(srv.home(USER))
        srv.give(USER)
        p = run(["wget", "-m", "-nv", "-nH", "--tries=1",
                 f"ftp://{USER}:{PASS}@127.0.0.1:{srv.port}/looptest/"],
                timeout=30, cwd=d, check_rc=False)
        local = Path(d) / "looptest"
        for listing in local.rglob(".listing"):
            listing.unlink()
        _check_one_copy(want, local, f"wget -m (exit {p.returncode})")


def test_rclone_copy_symlink_loop():
    """rclone copy (MLSD) of the looping tree fetches it once and ends;
    rclone takes a link for a file and reports the directory links it
    cannot download."""
    require_tool("rclone")
    with Server(users={USER: PASS}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-loop-") as d:
        want = _loop_tree(srv.home(USER))
        srv.give(USER)
        ob = run(["rclone", "obscure", PASS], timeout=30).stdout.strip()
        local = Path(d) / "r"
        env = dict(os.environ, RCLONE_CONFIG=str(Path(d) / "none.conf"))
        run(["rclone", "copy", "--retries", "1", "--low-level-retries", "1",
             f":ftp,host=127.0.0.1,port={srv.port},user={USER},pass={ob}:"
             "looptest", str(local)], timeout=30, cwd=d, env=env,
            check_rc=False)
        _check_one_copy(want, local, "rclone copy")
