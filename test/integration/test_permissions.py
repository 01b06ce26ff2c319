"""test_permissions.py - per-account verbs, [dir] sections, listings
(issue 19: permissions, [dir PATH], list_dotfiles, LIST -R).

Real clients (ftplib, curl, lftp) against the real server: read-only and
upload-only accounts, each verb of `permissions` refused alone, [user]
and [group] sections, [dir] hide/deny and permissions, a symbolic link
planted in the home that must not lead around a [dir] rule, dot files in
LIST, and LIST -R bounded by list_max_depth and list_max_entries.
"""

import ftplib
import io
import os
import subprocess
import tempfile
from pathlib import Path

from harness import (FTPD, Server, check, expect_code, make_file, require_tool,
                     retr_bytes, run, sha256_file, stor_bytes)

USER, PASS = "perm", "Perm-pa55-word"
OTHER, OPASS = "other", "Other-pa55-word"
CURL = ["curl", "-sS", "--max-time", "60", "--connect-timeout", "10"]
NOTFOUND = "No such file or directory"


def _tmpdir():
    return tempfile.TemporaryDirectory(prefix="ftpd-perm-")


def _section(kind, name, **keys):
    return f"\n[{kind} {name}]\n" + "".join(
        f"{k} = {v}\n" for k, v in keys.items())


def _lines(f, cmd):
    raw = []
    f.retrbinary(cmd, raw.append)
    text = b"".join(raw).decode("utf-8", "surrogateescape")
    return text.split("\r\n")[:-1]


def _list_names(f, cmd="LIST"):
    out = []
    for l in _lines(f, cmd):
        parts = l.split(None, 8)
        if len(parts) == 9:
            out.append(parts[8].split(" -> ")[0])
    return out


def _mlsd_names(f, cmd="MLSD"):
    return [l.split(" ", 1)[1] for l in _lines(f, cmd)]


def _err(fn):
    """The reply text of a refused ftplib call ("" when it succeeded)."""
    try:
        fn()
    except ftplib.all_errors as e:
        return str(e)
    return ""


def _refused(fn, what, text="Permission denied"):
    resp = _err(fn)
    check(resp.startswith("550") and text in resp,
          f"{what}: expected 550 {text}, got {resp!r}")


def _lftp(srv, user, password, script, cwd, check_rc=True):
    pre = ("set ftp:ssl-allow no; set net:max-retries 1; "
           "set net:timeout 20; set cmd:fail-exit yes; "
           "set xfer:clobber on; ")
    return run(["lftp", "-u", f"{user},{password}", "-p", str(srv.port),
                "-e", pre + script + "; quit", "127.0.0.1"],
               timeout=120, cwd=cwd, check_rc=check_rc)


# ------------------------------------------------------ account verbs

def test_read_only_account():
    """permissions = read list: RETR and LIST work (ftplib, curl); STOR,
    DELE, MKD, RMD, RNFR, APPE, SITE CHMOD, MFMT answer 550 Permission
    denied, and curl's upload fails."""
    require_tool("curl")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        srv.extra_text = _section("user", USER, permissions="read list")
        srv.stop()
        srv.start()
        home = srv.home(USER)
        digest = make_file(home / "f.bin", 70000)
        (home / "sub").mkdir()
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        check(retr_bytes(f, "f.bin") == (home / "f.bin").read_bytes(),
              "RETR differs")
        check("f.bin" in _list_names(f), "LIST lacks f.bin")
        _refused(lambda: stor_bytes(f, "new.bin", b"x"), "STOR")
        _refused(lambda: f.delete("f.bin"), "DELE")
        _refused(lambda: f.mkd("d2"), "MKD")
        _refused(lambda: f.rmd("sub"), "RMD")
        _refused(lambda: f.sendcmd("RNFR f.bin"), "RNFR")
        _refused(lambda: stor_bytes(f, "f.bin", b"x", "APPE"), "APPE")
        _refused(lambda: f.sendcmd("SITE CHMOD 600 f.bin"), "SITE CHMOD")
        _refused(lambda: f.sendcmd("MFMT 20200101000000 f.bin"), "MFMT")
        f.quit()
        out = Path(d) / "got"
        run(CURL + ["-o", out, srv.url("f.bin", USER, PASS)])
        check(sha256_file(out) == digest, "curl download differs")
        p = run(CURL + ["-T", out, srv.url("up.bin", USER, PASS)],
                check_rc=False)
        check(p.returncode != 0, "curl upload by a read-only account worked")
        check(not (home / "up.bin").exists(), "the upload is on disk")
        check(sha256_file(home / "f.bin") == digest, "f.bin changed")


def test_upload_only_account():
    """permissions = write: STOR of a new file works (ftplib, curl, lftp),
    RETR, SIZE, LIST, NLST, MLSD, MLST answer 550; CWD and PWD still
    work (an upload-only account enters its drop box).  With write list,
    LIST works and RETR still does not."""
    require_tool("curl")
    require_tool("lftp")
    with Server(users={USER: PASS, OTHER: OPASS}) as srv, _tmpdir() as d:
        srv.extra_text = (_section("user", USER, permissions="write") +
                          _section("user", OTHER,
                                   permissions="write list"))
        srv.stop()
        srv.start()
        for name in (USER, OTHER):
            make_file(srv.home(name) / "old.bin", 100)
            (srv.home(name) / "drop").mkdir()
            srv.give(name)
        f = srv.ftp(USER, PASS)
        f.cwd("drop")
        check(f.pwd() == "/drop", f"PWD {f.pwd()}")
        stor_bytes(f, "a.bin", b"hello")
        check((srv.home(USER) / "drop" / "a.bin").read_bytes() == b"hello",
              "STOR missing")
        _refused(lambda: retr_bytes(f, "a.bin"), "RETR")
        _refused(lambda: f.sendcmd("SIZE a.bin"), "SIZE")
        _refused(lambda: f.sendcmd("MDTM a.bin"), "MDTM")
        _refused(lambda: f.sendcmd("MLST a.bin"), "MLST")
        _refused(lambda: f.sendcmd("STAT a.bin"), "STAT path")
        for cmd in ("LIST", "NLST", "MLSD"):
            _refused(lambda: _lines(f, cmd), cmd)
        # write is not overwrite.
        _refused(lambda: stor_bytes(f, "a.bin", b"again"), "STOR over")
        check((srv.home(USER) / "drop" / "a.bin").read_bytes() == b"hello",
              "overwritten")
        f.quit()
        src = Path(d) / "src"
        digest = make_file(src, 300000)
        run(CURL + ["-T", src, srv.url("drop/curl.bin", USER, PASS)])
        check(sha256_file(srv.home(USER) / "drop" / "curl.bin") == digest,
              "curl upload differs")
        p = run(CURL + ["-o", Path(d) / "x", srv.url("old.bin", USER, PASS)],
                check_rc=False)
        check(p.returncode != 0, "curl download by an upload-only account")
        p = run(CURL + [srv.url("drop/", USER, PASS)], check_rc=False)
        check(p.returncode != 0, "curl listing by an upload-only account")
        _lftp(srv, USER, PASS, f"cd drop; put {src} -o lftp.bin", d)
        check(sha256_file(srv.home(USER) / "drop" / "lftp.bin") == digest,
              "lftp upload differs")
        # write list: LIST yes, RETR no.
        g = srv.ftp(OTHER, OPASS)
        check("old.bin" in _list_names(g), "LIST with list refused")
        _refused(lambda: retr_bytes(g, "old.bin"), "RETR with write list")
        g.quit()


def test_write_versus_overwrite():
    """write creates, overwrite replaces: each alone, with ftplib and
    lftp; STOU is a write; a refused overwrite leaves the old bytes."""
    require_tool("lftp")
    with Server(users={USER: PASS, OTHER: OPASS}) as srv, _tmpdir() as d:
        srv.extra_text = (
            _section("user", USER, permissions="read list write") +
            _section("user", OTHER, permissions="read list overwrite"))
        srv.stop()
        srv.start()
        for name in (USER, OTHER):
            (srv.home(name) / "old.txt").write_bytes(b"old")
            srv.give(name)
        f = srv.ftp(USER, PASS)
        stor_bytes(f, "new.txt", b"new")
        _refused(lambda: stor_bytes(f, "old.txt", b"X"), "STOR over (write)")
        check((srv.home(USER) / "old.txt").read_bytes() == b"old",
              "old.txt replaced")
        resp = f.sendcmd("TYPE I")
        conn, _ = f.ntransfercmd("STOU")
        conn.sendall(b"unique")
        conn.close()
        resp = f.voidresp()
        check(resp.startswith("226"), f"STOU: {resp!r}")
        f.quit()
        g = srv.ftp(OTHER, OPASS)
        stor_bytes(g, "old.txt", b"replaced")
        check((srv.home(OTHER) / "old.txt").read_bytes() == b"replaced",
              "overwrite did not replace")
        _refused(lambda: stor_bytes(g, "brand-new.txt", b"X"),
                 "STOR new (overwrite)")
        _refused(lambda: g.sendcmd("STOU"), "STOU (overwrite)")
        check(not (srv.home(OTHER) / "brand-new.txt").exists(),
              "a new file was made")
        g.quit()
        src = Path(d) / "src"
        make_file(src, 5000)
        p = _lftp(srv, USER, PASS, f"put {src} -o old.txt", d,
                  check_rc=False)
        check(p.returncode != 0, "lftp overwrote with write only")
        check((srv.home(USER) / "old.txt").read_bytes() == b"old",
              "lftp replaced old.txt")
        _lftp(srv, USER, PASS, f"put {src} -o lftp-new.txt", d)
        check((srv.home(USER) / "lftp-new.txt").exists(), "lftp put new")


def test_append_verb():
    """append: APPE and REST + STOR.  Without it both answer 550 and the
    file keeps its bytes; with it curl --append and a REST resume work."""
    require_tool("curl")
    with Server(users={USER: PASS, OTHER: OPASS}) as srv, _tmpdir() as d:
        srv.extra_text = (
            _section("user", USER, permissions="read list write overwrite") +
            _section("user", OTHER, permissions="read list append"))
        srv.stop()
        srv.start()
        for name in (USER, OTHER):
            (srv.home(name) / "log.txt").write_bytes(b"0123456789")
            srv.give(name)
        f = srv.ftp(USER, PASS)
        _refused(lambda: stor_bytes(f, "log.txt", b"more", "APPE"), "APPE")
        f.voidcmd("TYPE I")
        _refused(lambda: f.storbinary("STOR log.txt", io.BytesIO(b"xx"),
                                      rest=5), "REST + STOR")
        check((srv.home(USER) / "log.txt").read_bytes() == b"0123456789",
              "log.txt changed")
        f.quit()
        src = Path(d) / "more"
        src.write_bytes(b"abc")
        run(CURL + ["--append", "-T", src, srv.url("log.txt", OTHER, OPASS)])
        check((srv.home(OTHER) / "log.txt").read_bytes() == b"0123456789abc",
              "curl --append")
        g = srv.ftp(OTHER, OPASS)
        g.voidcmd("TYPE I")
        g.storbinary("STOR log.txt", io.BytesIO(b"XYZ"), rest=10)
        check((srv.home(OTHER) / "log.txt").read_bytes() == b"0123456789XYZ",
              "REST + STOR with append")
        # append alone neither creates nor replaces.
        _refused(lambda: stor_bytes(g, "fresh.txt", b"x", "APPE"),
                 "APPE of a new file without write")
        _refused(lambda: stor_bytes(g, "log.txt", b"x"), "STOR over")
        g.quit()


def test_each_verb_alone():
    """rename, mkdir, rmdir, delete, chmod, mfmt: taken away one at a time
    from an account that has every other verb, each is refused (550
    Permission denied) and the others still work."""
    verbs = ["delete", "rename", "mkdir", "rmdir", "chmod", "mfmt"]
    all_verbs = "read list write overwrite append " + " ".join(verbs)
    with Server(users={USER: PASS}) as srv:
        for missing in verbs:
            srv.stop()
            srv.extra_text = _section(
                "user", USER,
                permissions=all_verbs.replace(" " + missing, ""))
            srv.start()
            home = srv.home(USER)
            for p in home.iterdir():
                if p.is_dir():
                    for q in p.iterdir():
                        q.unlink()
                    p.rmdir()
                else:
                    p.unlink()
            for n in ("a", "b", "c"):
                (home / n).write_bytes(b"x")
            (home / "emptydir").mkdir()
            srv.give(USER)
            f = srv.ftp(USER, PASS)
            ops = {
                "delete": lambda: f.delete("a"),
                "rename": lambda: f.rename("b", "b2"),
                "mkdir": lambda: f.mkd("newdir"),
                "rmdir": lambda: f.rmd("emptydir"),
                "chmod": lambda: f.sendcmd("SITE CHMOD 600 c"),
                "mfmt": lambda: f.sendcmd("MFMT 20200101000000 c"),
            }
            for verb, op in ops.items():
                resp = _err(op)
                if verb == missing:
                    check(resp.startswith("550") and
                          "Permission denied" in resp,
                          f"{verb} without it: {resp!r}")
                else:
                    check(resp == "", f"{verb} (missing {missing}): "
                          f"{resp!r}")
            if missing == "mfmt":
                _refused(lambda: f.sendcmd(
                    "SITE UTIME 20200101000000 c"), "SITE UTIME")
            f.quit()


def test_user_and_group_sections():
    """[group GID] gives its members read list; [user NAME] wins over it
    for one account; the global permissions apply to the rest; ftpd -t
    -u shows where each came from."""
    with Server(users={USER: PASS, OTHER: OPASS}) as srv:
        srv.keys["permissions"] = "read list write overwrite"
        srv.extra_text = (_section("group", str(srv.vgid),
                                   permissions="read list") +
                          _section("user", OTHER, permissions="all"))
        srv.stop()
        srv.start()
        f = srv.ftp(USER, PASS)
        _refused(lambda: stor_bytes(f, "x.txt", b"x"), "STOR in [group]")
        f.quit()
        g = srv.ftp(OTHER, OPASS)
        stor_bytes(g, "x.txt", b"x")
        g.mkd("d")
        g.quit()
        check((srv.home(OTHER) / "d").is_dir(), "[user] did not win")


# ------------------------------------------------------ [dir] sections

def _private_home(srv):
    home = srv.home(USER)
    priv = home / "private"
    priv.mkdir()
    (priv / "secret.txt").write_bytes(b"secret")
    (priv / "secret-2.txt").write_bytes(b"secret2")
    (priv / "notes.bak").write_bytes(b"bak")
    (priv / "plain.txt").write_bytes(b"plain")
    (home / "pub.txt").write_bytes(b"pub")
    srv.give(USER)
    return home


def test_dir_hide_and_deny():
    """[dir ~/private] deny = secret*, hide = *.bak: denied names are in
    no listing and answer 550 No such file or directory to every command
    (RETR, SIZE, CWD, STOR, DELE, RNFR, MLST, STAT); hidden names are in
    no listing (LIST -a, NLST, MLSD, STAT, a glob, MLST by name) but are
    still fetched by name; other names are untouched; lftp mirror and
    curl see the same."""
    require_tool("lftp")
    require_tool("curl")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        srv.extra_text = _section("dir", "~/private", deny="secret*",
                                  hide="*.bak")
        srv.stop()
        srv.start()
        home = _private_home(srv)
        f = srv.ftp(USER, PASS)
        for cmd in ("LIST private", "LIST -a private", "NLST private",
                    "MLSD private", "LIST private/*.txt",
                    "NLST private/*"):
            names = " ".join(_lines(f, cmd))
            check("secret" not in names and ".bak" not in names,
                  f"{cmd} shows a denied or hidden name: {names}")
            check("plain" in names, f"{cmd} lost plain.txt: {names}")
        stat = f.sendcmd("STAT private")
        check("secret" not in stat and "notes.bak" not in stat,
              f"STAT: {stat}")
        for cmd in ("RETR private/secret.txt", "SIZE private/secret.txt",
                    "MDTM private/secret.txt", "CWD private/secret.txt",
                    "DELE private/secret.txt", "RNFR private/secret.txt",
                    "MLST private/secret.txt", "STAT private/secret.txt",
                    "MLST private/notes.bak", "LIST private/notes.bak"):
            if cmd.startswith(("RETR", "LIST")):
                resp = _err(lambda: _lines(f, cmd))
            else:
                resp = _err(lambda: f.sendcmd(cmd))
            check(resp.startswith("550") and NOTFOUND in resp,
                  f"{cmd}: {resp!r}")
        _refused(lambda: stor_bytes(f, "private/secret-3.txt", b"x"),
                 "STOR of a denied name", NOTFOUND)
        check(not (home / "private" / "secret-3.txt").exists(),
              "a denied name was created")
        # Hidden, not denied: still there by name.
        check(retr_bytes(f, "private/notes.bak") == b"bak",
              "RETR of a hidden name")
        check(retr_bytes(f, "private/plain.txt") == b"plain", "plain.txt")
        f.quit()
        p = run(CURL + ["-o", Path(d) / "s",
                        srv.url("private/secret.txt", USER, PASS)],
                check_rc=False)
        check(p.returncode != 0, "curl fetched a denied file")
        local = Path(d) / "mirror"
        _lftp(srv, USER, PASS, f"mirror / {local}", d)
        got = sorted(str(p.relative_to(local)) for p in local.rglob("*"))
        check(got == ["private", "private/plain.txt", "pub.txt"],
              f"lftp mirror got {got}")


def test_dir_permissions_narrow():
    """[dir ~/archive] permissions = read list: inside it STOR, DELE, MKD
    answer 550 while the rest of the home stays writable; the account's
    own permissions are never widened by a section ([dir ~/wide]
    permissions = all against an account without delete); the tree
    itself cannot be renamed away from its rule, nor removed."""
    with Server(users={USER: PASS}) as srv:
        srv.extra_text = (
            _section("user", USER,
                     permissions="read list write overwrite mkdir rename "
                                 "rmdir") +
            _section("dir", "~/archive", permissions="read list") +
            _section("dir", "~/wide", permissions="all"))
        srv.stop()
        srv.start()
        home = srv.home(USER)
        (home / "archive").mkdir()
        (home / "archive" / "a.txt").write_bytes(b"a")
        (home / "wide").mkdir()
        (home / "wide" / "w.txt").write_bytes(b"w")
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        _refused(lambda: stor_bytes(f, "archive/new.txt", b"x"),
                 "STOR in archive")
        _refused(lambda: stor_bytes(f, "archive/a.txt", b"x"),
                 "STOR over in archive")
        _refused(lambda: f.mkd("archive/sub"), "MKD in archive")
        _refused(lambda: f.rename("archive/a.txt", "moved.txt"),
                 "RNFR in archive")
        _refused(lambda: f.rename("archive", "gone"), "RNFR of the tree")
        _refused(lambda: f.rmd("archive"), "RMD of the tree")
        check(retr_bytes(f, "archive/a.txt") == b"a", "RETR in archive")
        stor_bytes(f, "outside.txt", b"fine")
        f.mkd("d")
        # Never wider than the account: no delete in [user], none here.
        _refused(lambda: f.delete("wide/w.txt"), "DELE in wide")
        stor_bytes(f, "wide/new.txt", b"n")
        f.quit()
        check((home / "archive" / "a.txt").read_bytes() == b"a", "a.txt")
        check(not (home / "archive" / "new.txt").exists(), "new.txt")


def test_dir_rule_against_planted_symlink():
    """The symlink test below with openat2 (RESOLVE_IN_ROOT)."""
    _planted_symlink()


def test_dir_rule_against_planted_symlink_walk():
    """The same with the resolver's own component walk (FTPD_NO_OPENAT2,
    as on kernels before 5.6)."""
    os.environ["FTPD_NO_OPENAT2"] = "1"
    try:
        _planted_symlink()
    finally:
        del os.environ["FTPD_NO_OPENAT2"]


def _planted_symlink():
    """A user who owns a symbolic link to a protected tree (planted by
    root here, as a web panel or a shell account would) reaches nothing
    through it: the rules are judged on the path the kernel resolved.
    [dir ~] deny = private: the link to private, a link to a file in it
    and an absolute link answer 550 No such file or directory to RETR,
    LIST, CWD, STOR, DELE and MLSD's facts; [dir ~/ro] permissions =
    read list: STOR and DELE through a link to ro answer Permission
    denied."""
    with Server(users={USER: PASS}) as srv:
        srv.extra_text = (_section("dir", "~", deny="private") +
                          _section("dir", "~/ro", permissions="read list"))
        srv.stop()
        srv.start()
        home = _private_home(srv)
        (home / "ro").mkdir()
        (home / "ro" / "r.txt").write_bytes(b"r")
        os.symlink("private", home / "door")
        os.symlink("/private", home / "absdoor")
        os.symlink("private/secret.txt", home / "file-door")
        os.symlink("ro", home / "rw")
        srv.give(USER)
        for p in ("door", "absdoor", "file-door", "rw"):
            os.lchown(home / p, srv.vuid, srv.vgid)
        f = srv.ftp(USER, PASS)
        names = _list_names(f, "LIST -a")
        check("private" not in names, f"LIST shows private: {names}")
        check("door" in names, f"the link itself is listed: {names}")
        for path in ("door/secret.txt", "absdoor/secret.txt", "file-door",
                     "door/plain.txt", "private/plain.txt"):
            resp = _err(lambda: retr_bytes(f, path))
            check(resp.startswith("550") and NOTFOUND in resp,
                  f"RETR {path}: {resp!r}")
        for cmd in ("CWD door", "CWD absdoor", "SIZE file-door",
                    "DELE door/plain.txt", "MLST door/plain.txt",
                    "RNFR door/plain.txt", "SITE CHMOD 777 file-door"):
            resp = _err(lambda: f.sendcmd(cmd))
            check(resp.startswith("550") and NOTFOUND in resp,
                  f"{cmd}: {resp!r}")
        for cmd in ("LIST door", "NLST absdoor", "MLSD door"):
            resp = _err(lambda: _lines(f, cmd))
            check(resp.startswith("550") and NOTFOUND in resp,
                  f"{cmd}: {resp!r}")
        _refused(lambda: stor_bytes(f, "door/planted.txt", b"x"),
                 "STOR through the link", NOTFOUND)
        # MLSD of the home: the link's facts, never the target's.
        facts = [l for l in _lines(f, "MLSD") if l.endswith(" file-door")]
        check(facts and "size=6;" not in facts[0],
              f"MLSD describes the denied target: {facts}")
        # Permissions follow the resolved path too.
        check(retr_bytes(f, "rw/r.txt") == b"r", "RETR through rw")
        _refused(lambda: stor_bytes(f, "rw/new.txt", b"x"),
                 "STOR through a link to ro")
        _refused(lambda: f.delete("rw/r.txt"), "DELE through a link to ro")
        # The link itself is the user's: removing it is fine.
        f.delete("door")
        f.quit()
        check(sorted(p.name for p in (home / "private").iterdir()) ==
              ["notes.bak", "plain.txt", "secret-2.txt", "secret.txt"],
              "private changed")
        check(not (home / "ro" / "new.txt").exists(), "ro/new.txt")
        check((home / "ro" / "r.txt").exists(), "ro/r.txt deleted")


# ------------------------------------------------------ listings

def test_list_dotfiles():
    """Plain LIST hides dot files unless list_dotfiles = yes (then like
    -A: .htaccess, never . and ..); LIST -a always shows them; NLST is
    unchanged by the key; MLSD always lists them; curl's listing follows
    LIST."""
    require_tool("curl")
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        (home / ".htaccess").write_bytes(b"Deny from all\n")
        (home / "index.html").write_bytes(b"<p>hi</p>\n")
        srv.give(USER)
        for on in (False, True):
            srv.stop()
            srv.keys["list_dotfiles"] = "yes" if on else "no"
            srv.start()
            f = srv.ftp(USER, PASS)
            names = _list_names(f)
            check((".htaccess" in names) == on,
                  f"list_dotfiles={on}: LIST {names}")
            check("." not in names and ".." not in names,
                  f"LIST shows . or ..: {names}")
            check(".htaccess" in _list_names(f, "LIST -a"), "LIST -a")
            check(".htaccess" not in _lines(f, "NLST"),
                  f"list_dotfiles={on}: NLST shows dot files")
            check(".htaccess" in _mlsd_names(f), "MLSD lost .htaccess")
            stat = f.sendcmd("STAT .")
            check((".htaccess" in stat) == on, f"STAT: {stat}")
            f.quit()
            p = run(CURL + [srv.url("/", USER, PASS)])
            check((".htaccess" in p.stdout) == on,
                  f"curl listing with list_dotfiles={on}: {p.stdout}")


def _deep_tree(home):
    d = home / "t"
    for depth in range(5):
        d.mkdir()
        (d / f"f{depth}.txt").write_bytes(b"x")
        d = d / f"d{depth + 1}"
    return home / "t"


def test_list_recursive_bounds():
    """LIST -R lists subdirectories as ls -R does, down to list_max_depth
    (then a last line and a 226 that say so), and never follows a link
    (a loop and a link to / are listed as links, not entered)."""
    require_tool("curl")
    with Server(users={USER: PASS}) as srv:
        srv.keys["list_max_depth"] = "2"
        srv.stop()
        srv.start()
        home = srv.home(USER)
        _deep_tree(home)
        os.symlink(".", home / "t" / "loop")
        os.symlink("/", home / "t" / "root")
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        lines = []
        resp = f.retrlines("LIST -R t", lines.append)
        text = "\n".join(lines)
        for header in ("t:", "t/d1:", "t/d1/d2:"):
            check(header in lines, f"no {header!r} in:\n{text}")
        check("t/d1/d2/d3:" not in lines, f"below list_max_depth:\n{text}")
        check("f2.txt" in text and "f3.txt" not in text,
              f"depth bound:\n{text}")
        check("t/loop:" not in lines and "t/root:" not in lines,
              f"a link was entered:\n{text}")
        check(any(l.startswith("l") and " loop -> ." in l for l in lines),
              f"the loop link is not listed:\n{text}")
        check(lines[-1].startswith("ftpd: listing cut") and
              "list_max_depth" in lines[-1], f"last line: {lines[-1]!r}")
        check(resp.startswith("226") and "cut" in resp, f"226: {resp!r}")
        # A tree within the bound: no cut.
        lines = []
        resp = f.retrlines("LIST -R t/d1/d2", lines.append)
        check("cut" not in resp and not lines[-1].startswith("ftpd:"),
              f"cut within the bound: {resp!r} {lines[-1:]}")
        # Plain LIST never descends.
        lines = []
        f.retrlines("LIST t", lines.append)
        check(not any(l.endswith(":") for l in lines), "LIST descended")
        f.quit()
        p = run(CURL + ["-X", "LIST -R", srv.url("t/", USER, PASS)])
        check("t/d1:" not in p.stdout and "./d1:" in p.stdout,
              f"curl LIST -R:\n{p.stdout}")


def test_list_recursive_entry_bound():
    """LIST -R stops after list_max_entries entries with a last line and a
    226 naming list_max_entries; STAT -R on the control connection is
    bounded the same way; hidden names are not counted nor entered."""
    with Server(users={USER: PASS}) as srv:
        srv.keys["list_max_entries"] = "25"
        srv.extra_text = _section("dir", "~", hide="hidden*")
        srv.stop()
        srv.start()
        home = srv.home(USER)
        for i in range(4):
            sub = home / f"dir{i}"
            sub.mkdir()
            for j in range(10):
                (sub / f"file{j:02}").write_bytes(b"x")
        (home / "hiddendir").mkdir()
        (home / "hiddendir" / "inside").write_bytes(b"x")
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        lines = []
        resp = f.retrlines("LIST -R", lines.append)
        entries = [l for l in lines if l[:1] in ("-", "d", "l")]
        check(len(entries) == 25, f"{len(entries)} entries:\n" +
              "\n".join(lines))
        check(lines[0] == ".:", f"first line {lines[0]!r}")
        check(not any("hidden" in l for l in lines), "a hidden name")
        check(lines[-1] == "ftpd: listing cut after 25 entries "
              "(list_max_entries)", f"last line {lines[-1]!r}")
        check(resp.startswith("226") and "list_max_entries" in resp,
              f"226: {resp!r}")
        stat = f.sendcmd("STAT -R .")
        check("listing cut after 25 entries" in stat, f"STAT -R: {stat}")
        # NLST ignores -R: one flat list of names.
        names = _lines(f, "NLST -R")
        check(sorted(names) == ["dir0", "dir1", "dir2", "dir3"],
              f"NLST -R: {names}")
        f.quit()


def test_config_dir_sections_checked():
    """ftpd -t refuses a bad [dir] section (relative path, "..", an
    unknown verb, a pattern with "/", a tree given twice) naming the
    line, and prints a good one back."""
    from harness import FTPD
    with tempfile.TemporaryDirectory(prefix="ftpd-perm-") as d:
        conf = Path(d) / "ftpd.conf"
        base = "listen = 127.0.0.1:2121\ntls = off\n"
        bad = {
            "[dir srv/www]\n": "not an absolute path",
            "[dir /srv/../etc]\n": "..",
            "[dir ~/x]\npermissions = read fly\n": "permissions",
            "[dir ~/x]\nhide = a/b\n": "hide",
            "[dir ~/x]\ndeny = *a*b*c*d*e\n": "deny",
            "[dir ~/x]\n[dir ~/x/]\n": "defined twice",
            "[dir ~/x]\nquota_bytes = 1\n": "quota_bytes",
        }
        for text, word in bad.items():
            conf.write_text(base + text)
            p = run([FTPD, "-t", "-f", conf], check_rc=False)
            check(p.returncode != 0, f"accepted: {text!r}")
            check(word in p.stderr and "ftpd.conf:" in p.stderr,
                  f"{text!r}: {p.stderr!r}")
        conf.write_text(base + "list_dotfiles = yes\n[dir ~/private]\n"
                        "permissions = read list\nhide = *.bak .git\n"
                        "deny = secret*\n")
        p = run([FTPD, "-t", "-f", conf])
        check("[dir ~/private]\npermissions = read list\nhide = *.bak .git\n"
              "deny = secret*\n" in p.stdout, f"-t: {p.stdout[-300:]}")
        check("list_dotfiles = yes" in p.stdout, "list_dotfiles in -t")


def test_t_u_shows_dir_sections():
    """ftpd -t -u NAME lists the [dir] sections that reach into the
    account's root, where each applies in its view and what it sets;
    a section outside the root is left out."""
    with Server(users={USER: PASS}) as srv:
        srv.extra_text = (
            _section("dir", "~/private", deny="secret*", hide="*.bak")
            + _section("dir", "~", permissions="read list write")
            + _section("dir", "/nowhere-near/x", permissions="read"))
        srv.stop()
        srv.start()
        r = subprocess.run([str(FTPD), "-f", str(srv.conf_path), "-t", "-u",
                            USER], capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0, f"-t -u: {r.returncode} {r.stderr}")
        out = r.stdout
        check("[dir ~/private]" in out and "applies at /private" in out,
              f"~/private not shown where it applies:\n{out}")
        check("deny = secret*" in out and "hide = *.bak" in out,
              f"its patterns are missing:\n{out}")
        check("[dir ~]" in out and "applies at /" in out and
              "permissions = read list write" in out,
              f"~ not shown:\n{out}")
        check("nowhere-near" not in out,
              f"a section outside the root was shown:\n{out}")
