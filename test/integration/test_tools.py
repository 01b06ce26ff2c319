"""test_tools.py - ftpasswd(8) and ftpwho(8) against a running server."""

import fcntl
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from harness import (FTPASSWD, FTPWHO, SLOW, Server, check, crypt_hash,
                     make_file, recv_all, retr_started, run)


def _names(users):
    return [l.split(":", 1)[0] for l in users.read_text().splitlines()]


def _tmpdir():
    return tempfile.TemporaryDirectory(prefix="ftpd-tools-")


def _crypt(password, salt):
    """crypt(3) of password with salt (a whole hash), for yescrypt too."""
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import crypt  # deprecated, gone in 3.13
        return crypt.crypt(password, salt)
    except ImportError:
        import ctypes
        import ctypes.util
        lib = ctypes.CDLL(ctypes.util.find_library("crypt"))
        lib.crypt.restype = ctypes.c_char_p
        return (lib.crypt(password.encode(), salt.encode()) or b"").decode()


def _hash_of(users, name):
    for line in users.read_text().splitlines():
        f = line.split(":")
        if f[0] == name:
            return f[1]
    return None


def _add(users, name, password, uid="4711", gid="4711", check_rc=True):
    return run([FTPASSWD, "-f", users, "-u", uid, "-g", gid, "-d",
                f"/srv/{name}", "--stdin", name], input=password + "\n",
               check_rc=check_rc, timeout=30)


def test_ftpasswd_users_file():
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with Server() as srv:
        users = srv.tmp / "ftpd.passwd"
        home = srv.homes / "zoe"
        home.mkdir()
        run([FTPASSWD, "-f", users, "-u", srv.vuid, "-g", srv.vgid,
             "-d", home, "-s", "/bin/bash", "--stdin", "zoe"],
            input="Zoe-pass-1\n")
        run([FTPASSWD, "-f", users, "-u", srv.vuid, "-g", srv.vgid,
             "-d", home, "-s", "/bin/bash", "--stdin", "yan"],
            input="Yan-pass-2\n")
        text = users.read_text()
        lines = [l for l in text.splitlines() if l.startswith("zoe:")]
        check(len(lines) == 1, f"users file: {text!r}")
        fields = lines[0].split(":")
        check(len(fields) == 7, f"not 7 fields: {lines[0]!r}")
        check(fields[1].startswith("$y$"), f"not yescrypt: {fields[1]!r}")
        check(fields[2] == str(srv.vuid) and fields[5] == str(home),
              f"fields {fields}")
        check("Zoe-pass-1" not in text, "password in clear in users file")
        # Replacing the password keeps one line.
        run([FTPASSWD, "-f", users, "--stdin", "zoe"], input="Zoe-pass-3\n")
        check(_names(users).count("zoe") == 1, "zoe duplicated")
        # Bad names are refused.
        p = run([FTPASSWD, "-f", users, "--stdin", "bad:name"],
                input="x\n", check_rc=False)
        check(p.returncode != 0, "a name with ':' was accepted")
        srv.keys["users_file"] = str(users)
        srv.stop()
        srv.give("zoe")
        srv.start()
        f = srv.ftp("zoe", "Zoe-pass-3")
        f.quit()
        f.close()
        with srv.raw() as c:
            c.cmd("USER zoe")
            code, _ = c.cmd("PASS Zoe-pass-1")
            check(code == 530, "old password still works")
        run([FTPASSWD, "-f", users, "-D", "zoe"])
        check("zoe" not in _names(users), "-D left the user")
        check("yan" in _names(users), "-D removed another user")
        with srv.raw() as c:
            c.cmd("USER zoe")
            code, _ = c.cmd("PASS Zoe-pass-3")
            check(code == 530, "deleted user still logs in")


def test_ftpasswd_concurrent_runs_keep_every_user():
    """8 runs at once: each must find the others' lines (FILE.lock)."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        users = Path(d) / "ftpd.passwd"
        procs = {}
        try:
            for i in range(8):
                name = f"user{i}"
                procs[name] = subprocess.Popen(
                    [str(FTPASSWD), "-f", str(users), "-u", str(5000 + i),
                     "-g", "5000", "-d", f"/srv/{name}", "--stdin", name],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
            # Let all of them start before any gets its password, so that
            # without a lock they would all work from the same old file.
            time.sleep(0.3 * SLOW)
            for name, p in procs.items():
                p.stdin.write(f"Pw-{name}-x\n".encode())
                p.stdin.close()
            for name, p in procs.items():
                p.wait(timeout=60 * SLOW)
                err = p.stderr.read().decode(errors="replace")
                check(p.returncode == 0, f"{name}: exit {p.returncode}: "
                      f"{err}")
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)
                p.stderr.close()
        names = _names(users)
        check(sorted(names) == sorted(procs), f"users file has {names}")
        for name in procs:
            h = _hash_of(users, name)
            check(h.startswith("$y$") and
                  _crypt(f"Pw-{name}-x", h) == h,
                  f"{name}: password does not verify against {h!r}")
        lock = Path(str(users) + ".lock")
        check(lock.is_file() and (lock.stat().st_mode & 0o777) == 0o600,
              "no 0600 lock file beside the users file")


def test_ftpasswd_reads_file_under_lock():
    """A run waits for the lock and reads the file only once it has it,
    so a change made meanwhile by the lock's holder is kept."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        users = Path(d) / "ftpd.passwd"
        _add(users, "first", "First-pw-1")
        fd = os.open(str(users) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            p = subprocess.Popen(
                [str(FTPASSWD), "-f", str(users), "-u", "4712", "-g", "4712",
                 "-d", "/srv/late", "--stdin", "late"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            try:
                p.stdin.write(b"Late-pw-2\n")
                p.stdin.close()
                time.sleep(1.0 * SLOW)
                check(p.poll() is None, "ftpasswd did not wait for the lock")
                # What another holder of the lock would do: replace the file.
                tmp = Path(d) / "new"
                tmp.write_text(users.read_text() +
                               f"held:{crypt_hash('Held-pw-3')}:4713:4713::"
                               "/srv/held:/bin/sh\n")
                os.rename(tmp, users)
                fcntl.flock(fd, fcntl.LOCK_UN)
                p.wait(timeout=30 * SLOW)
                err = p.stderr.read().decode(errors="replace")
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)
                p.stderr.close()
        finally:
            os.close(fd)
        check(p.returncode == 0, f"exit {p.returncode}: {err}")
        check(sorted(_names(users)) == ["first", "held", "late"],
              f"users file has {_names(users)}")


def test_ftpasswd_refuses_uid_0():
    """ftpd never logs uid 0 in, so ftpasswd does not write one; gid 0
    ftpd accepts, and so does ftpasswd."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        users = Path(d) / "ftpd.passwd"
        for uid in ("0", "00"):
            p = _add(users, "rooty", "Rooty-pw-1", uid=uid, check_rc=False)
            check(p.returncode == 1, f"-u {uid} accepted: exit "
                  f"{p.returncode}")
            check("uid 0" in p.stderr, f"unclear refusal: {p.stderr!r}")
            check(not users.exists(), f"-u {uid} wrote the users file")
        _add(users, "grp0", "Grp0-pw-2", gid="0")
        check(users.read_text().split(":")[3] == "0", "gid 0 not written")
        # A uid 0 written by hand is not kept by a password change ...
        users.write_text(users.read_text() +
                         f"hand:{crypt_hash('Hand-pw-3')}:0:0::/srv/hand:"
                         "/bin/sh\n")
        before = users.read_bytes()
        p = run([FTPASSWD, "-f", users, "--stdin", "hand"],
                input="Hand-pw-4\n", check_rc=False, timeout=30)
        check(p.returncode == 1 and "uid 0" in p.stderr,
              f"uid 0 kept: exit {p.returncode}: {p.stderr!r}")
        check(users.read_bytes() == before, "users file changed")
        # ... but may be replaced.
        run([FTPASSWD, "-f", users, "-u", "4714", "--stdin", "hand"],
            input="Hand-pw-4\n", timeout=30)
        line = [l for l in users.read_text().splitlines()
                if l.startswith("hand:")]
        check(len(line) == 1 and line[0].split(":")[2] == "4714",
              f"hand: {line}")


def test_ftpasswd_refuses_duplicate_user():
    """A name on two lines is not changed (nor a line dropped); -D
    removes every line of it."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        users = Path(d) / "ftpd.passwd"
        h = crypt_hash("Dup-pw-1")
        users.write_text(f"dup:{h}:4715:4715::/srv/a:/bin/sh\n"
                         f"other:{h}:4716:4716::/srv/o:/bin/sh\n"
                         f"dup:{h}:4717:4717::/srv/b:/bin/sh\n")
        before = users.read_bytes()
        p = run([FTPASSWD, "-f", users, "--stdin", "dup"],
                input="Dup-pw-2\n", check_rc=False, timeout=30)
        check(p.returncode == 1, f"duplicate changed: exit {p.returncode}")
        check("1, 3" in p.stderr, f"lines not named: {p.stderr!r}")
        check(users.read_bytes() == before, "users file changed")
        # Another user is changed, both dup lines kept as they were.
        run([FTPASSWD, "-f", users, "--stdin", "other"],
            input="Other-pw-3\n", timeout=30)
        lines = users.read_text().splitlines()
        check(lines[0] == before.decode().splitlines()[0] and
              lines[2] == before.decode().splitlines()[2],
              f"dup lines altered: {lines}")
        run([FTPASSWD, "-f", users, "-D", "dup"], timeout=30)
        check(_names(users) == ["other"], f"after -D: {_names(users)}")


def test_ftpasswd_refuses_symlinks():
    """Neither the users file nor its lock file is followed as a link;
    the refusal says why."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        real = Path(d) / "real.passwd"
        _add(real, "keep", "Keep-pw-1")
        before = real.read_bytes()
        link = Path(d) / "link.passwd"
        link.symlink_to(real)
        dangling = Path(d) / "dangling.passwd"
        dangling.symlink_to(Path(d) / "nowhere")
        locked = Path(d) / "locked.passwd"
        Path(str(locked) + ".lock").symlink_to(Path(d) / "victim")
        for f in (link, dangling, locked):
            p = _add(f, "new", "New-pw-2", check_rc=False)
            check(p.returncode == 1, f"{f.name}: exit {p.returncode}")
            check("is a symbolic link" in p.stderr,
                  f"{f.name}: reason not given: {p.stderr!r}")
        check(real.read_bytes() == before, "link target changed")
        check(link.is_symlink(), "link replaced")
        check(not (Path(d) / "nowhere").exists(), "dangling target made")
        check(not (Path(d) / "victim").exists(), "lock link followed")
        check(not locked.exists(), "users file written past a lock link")


def _ftpwho_until(srv, want, timeout=10):
    """ftpwho's output once want(output) holds, or the last one."""
    deadline = time.monotonic() + timeout
    while True:
        out = run([FTPWHO, "-d", srv.run_dir]).stdout
        if want(out) or time.monotonic() > deadline:
            return out
        time.sleep(0.1)


def test_ftpwho_shows_long_transfers():
    """A transfer running for a second or more shows as its command, in
    both directions and while stalled, and the session is idle again
    once it ends."""
    with Server(users={"wanda": "Wanda-pw-9"}) as srv:
        make_file(srv.home("wanda") / "big.bin", 64 << 20, seed=3)
        srv.give("wanda")
        f = srv.ftp("wanda", "Wanda-pw-9")
        try:
            conn = retr_started(f, "big.bin", 64 * 1024)  # then stalls
            out = _ftpwho_until(srv, lambda o: "RETR /big.bin" in o)
            check(re.search(r"wanda .*transfer +RETR /big\.bin", out),
                  f"running RETR not shown:\n{out}")
            recv_all(conn)
            f.voidresp()
            out = _ftpwho_until(srv, lambda o: "RETR" not in o)
            check(re.search(r"wanda .* idle", out), f"not idle:\n{out}")
            conn = f.transfercmd("STOR up.bin")
            conn.sendall(b"x" * 1000)
            out = _ftpwho_until(srv, lambda o: "STOR /up.bin" in o)
            check("transfer   STOR /up.bin" in out or
                  re.search(r"transfer +STOR /up\.bin", out),
                  f"running STOR not shown:\n{out}")
            conn.close()
            f.voidresp()
            out = _ftpwho_until(srv, lambda o: "STOR" not in o)
            check("STOR" not in out, f"ended STOR still shown:\n{out}")
            f.quit()
        finally:
            f.close()


def test_ftpwho_lists_sessions():
    check(FTPWHO.exists(), f"{FTPWHO} not built")
    with Server(users={"wanda": "Wanda-pw-9"}) as srv:
        p = run([FTPWHO, "-d", srv.run_dir])
        check("wanda" not in p.stdout, "session listed before login")
        f = srv.ftp("wanda", "Wanda-pw-9")
        try:
            f.voidcmd("NOOP")
            deadline = time.monotonic() + 5
            while True:
                p = run([FTPWHO, "-d", srv.run_dir])
                if "wanda" in p.stdout or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            check("wanda" in p.stdout, f"ftpwho output:\n{p.stdout}")
            check("127.0.0.1" in p.stdout, f"no peer in:\n{p.stdout}")
            f.quit()
        finally:
            f.close()
        deadline = time.monotonic() + 5
        while True:
            p = run([FTPWHO, "-d", srv.run_dir])
            if "wanda" not in p.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check("wanda" not in p.stdout, f"ended session still listed:\n"
              f"{p.stdout}")


def test_ftpasswd_refuses_a_line_ftpd_cannot_read():
    """ftpd reads a users_file line whole only up to 4095 bytes; ftpasswd
    does not write a longer one."""
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with _tmpdir() as d:
        users = Path(d) / "ftpd.passwd"
        _add(users, "short", "Short-pw-1")
        before = users.read_bytes()
        p = run([FTPASSWD, "-f", users, "-u", "4711", "-g", "4711", "-d",
                 "/srv/" + "h" * 4000, "--stdin", "longhome"],
                input="Long-pw-2\n", check_rc=False, timeout=30)
        check(p.returncode == 1 and "ftpd reads at most 4095" in p.stderr,
              f"long line written: exit {p.returncode}: {p.stderr!r}")
        check(users.read_bytes() == before, "users file changed")
