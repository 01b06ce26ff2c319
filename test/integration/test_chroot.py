"""test_chroot.py - a logged-in user never sees outside their root.

Escape attempts with .., absolute paths and symlinks planted in the home
(pointing at /etc and /etc/passwd).  Whatever the server answers, no reply
and no data connection may ever carry the contents of /etc/passwd, nor a
listing of the real root or of /etc.
"""

import ftplib
import os

from harness import Server, check, retr_bytes

USER, PASS = "mallory", "Mallory-pw-1"

with open("/etc/passwd", "rb") as _f:
    PASSWD = _f.read()
# A line of /etc/passwd that no test file contains.
MARKER = PASSWD.splitlines()[0]


def _clean(data, what):
    if isinstance(data, str):
        data = data.encode()
    check(MARKER not in data and b"root:x:0:0" not in data,
          f"{what}: returned /etc/passwd content")


def _retr_denied(f, path):
    """RETR path must fail, or at least not return /etc/passwd."""
    try:
        data = retr_bytes(f, path)
    except ftplib.all_errors as e:
        _clean(str(e), f"RETR {path} error text")
        return
    _clean(data, f"RETR {path}")


def _listing(f, cmd):
    lines = []
    try:
        f.retrlines(cmd, lines.append)
    except ftplib.all_errors as e:
        return [str(e)]
    return lines


def _not_real_root(lines, what):
    names = {l.split()[-1] for l in lines if l.split()}
    names |= {l.rsplit("/", 1)[-1] for l in lines}
    real = {"proc", "usr", "sys", "boot", "var", "bin", "sbin"}
    check(len(names & real) < 2, f"{what} shows the real root: {lines}")
    etc = {"passwd", "shadow", "group", "hostname", "fstab", "hosts"}
    check(len(names & etc) < 2, f"{what} shows /etc: {lines}")


def _escape_attempts(f, label):
    for path in ("../../../etc/passwd", "/etc/passwd", "../etc/passwd",
                 "/../../etc/passwd", "etc/passwd", "link/passwd",
                 "pw", "sub/../../etc/passwd", "//etc//passwd",
                 "/./etc/./passwd", "sub/up/etc/passwd", "..", "/.."):
        _retr_denied(f, path)
        try:
            resp = f.sendcmd(f"SIZE {path}")
            check(resp[4:].strip() != str(len(PASSWD)),
                  f"{label}: SIZE {path} has /etc/passwd's size: {resp!r}")
        except ftplib.all_errors:
            pass
    for target in ("../../..", "/..", "..", "../../../etc"):
        try:
            f.cwd(target)
        except ftplib.all_errors:
            pass
        check(f.pwd() == "/", f"{label}: CWD {target} -> {f.pwd()!r}")
        _retr_denied(f, "passwd")
        _retr_denied(f, "etc/passwd")
    for cmd in ("LIST /..", "LIST ../../..", "NLST /..", "NLST ../..",
                "LIST -a /..", "LIST /../../", "MLSD /.."):
        lines = _listing(f, cmd)
        _clean("\n".join(lines), cmd)
        _not_real_root(lines, f"{label}: {cmd}")
    for cmd in ("LIST link", "LIST link/", "NLST link/", "LIST /etc",
                "LIST sub/up/etc", "MLSD link"):
        lines = _listing(f, cmd)
        _clean("\n".join(lines), cmd)
        _not_real_root(lines, f"{label}: {cmd}")
    try:
        f.cwd("link")
        lines = _listing(f, "LIST")
        _not_real_root(lines, f"{label}: CWD link; LIST")
        _retr_denied(f, "passwd")
    except ftplib.all_errors:
        pass
    f.cwd("/")
    for cmd in ("STAT /etc/passwd", "STAT link/passwd", "STAT /..",
                "MLST /etc/passwd", "MDTM link/passwd"):
        try:
            resp = f.sendcmd(cmd)
        except ftplib.all_errors as e:
            resp = str(e)
        _clean(resp, cmd)


def _plant(root):
    (root / "sub").mkdir(exist_ok=True)
    (root / "ok.txt").write_bytes(b"fine\n")
    os.symlink("/etc", root / "link")
    os.symlink("/etc/passwd", root / "pw")
    os.symlink("../../../../../../../..", root / "sub" / "up")


def test_chroot_virtual_user():
    with Server(users={USER: PASS}) as srv:
        _plant(srv.home(USER))
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            _escape_attempts(f, "virtual user")
            check(retr_bytes(f, "ok.txt") == b"fine\n",
                  "session broken after escape attempts")
            f.quit()
        finally:
            f.close()


def test_chroot_anonymous():
    with Server() as srv:
        _plant(srv.anon_root)
        f = srv.ftp()
        try:
            _escape_attempts(f, "anonymous")
            check(retr_bytes(f, "ok.txt") == b"fine\n",
                  "session broken after escape attempts")
            f.quit()
        finally:
            f.close()


def test_chroot_symlink_writes():
    """Writes through planted symlinks must not land outside the root."""
    with Server(users={USER: PASS}) as srv:
        outside = srv.tmp / "outside"
        outside.mkdir()
        os.chmod(outside, 0o777)
        home = srv.home(USER)
        os.symlink(str(outside), home / "out")
        os.symlink(str(outside / "target.txt"), home / "dangling")
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            import io
            for path in ("out/x.txt", "dangling", "../outside/y.txt",
                         "/../outside/z.txt"):
                try:
                    f.storbinary(f"STOR {path}", io.BytesIO(b"escaped"))
                except ftplib.all_errors:
                    pass
            for path in ("out/new", "../outside/new2"):
                try:
                    f.mkd(path)
                except ftplib.all_errors:
                    pass
            f.quit()
        finally:
            f.close()
        check(list(outside.iterdir()) == [],
              f"writes escaped the root: {list(outside.iterdir())}")
