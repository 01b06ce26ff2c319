"""test_ftpwho.py - ftpwho's live view and its -k (issue #20).

A download held to 1 MiB/s by rate_down lasts seconds: ftpwho --json
shows its bytes growing, its size and a percent that agrees with what
the client received; the text view shows the bar; --watch refreshes.
-k PID and -k USER end a session: the client reads 421 (through the TLS
relay under TLS), an upload in flight is left exactly as a cut
connection leaves it (a fresh upload in place with what arrived; an
anonymous one removed), the session leaves ftpwho and the log says the
administrator killed it.  -k is root's only, and never signals a
process that is not the record's session.
"""

import contextlib
import ftplib
import json
import os
import pty
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import (FTPWHO, HOST, SLOW, Server, check, make_file,
                     require_tool, run)

USER, PASS = "wanda", "Wanda-pw-9"
MIB = 1 << 20
# Quote, backslash and UTF-8 in the name: the JSON must carry them
# escaped, the text view must not print them raw.
ODD = 'we"ird\\name \u00e9.bin'


def who_json(srv):
    p = run([FTPWHO, "-d", srv.run_dir, "--json"])
    return json.loads(p.stdout)


def wait_for(fn, what, timeout=10):
    """fn()'s first true value within timeout (x SLOW) seconds."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def shown(srv, user=USER):
    """The session of user whose transfer ftpwho shows with progress."""
    for s in who_json(srv):
        if s["user"] == user and s["transfer"] is not None:
            return s
    return None


class Reader(threading.Thread):
    """Reads a data connection to its end, counting bytes."""

    def __init__(self, conn):
        super().__init__(daemon=True)
        self.conn, self.got = conn, 0

    def run(self):
        with contextlib.suppress(OSError):
            while True:
                b = self.conn.recv(65536)
                if not b:
                    break
                self.got += len(b)


def test_json_progress_of_a_rated_download():
    """6 MiB at 1 MiB/s: bytes grow between two reads, the size is the
    file's, percent is bytes/size, bytes agree with the client's count,
    the rate is near the limit; every field is there and strings are
    escaped; the text view shows size, percent and a bar."""
    size = 6 * MIB
    with Server(users={USER: PASS}, conf={"rate_down": MIB}) as srv:
        make_file(srv.home(USER) / ODD, size, seed=5)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            f.voidcmd("TYPE I")
            r = Reader(f.transfercmd("RETR " + ODD))
            r.start()
            a = wait_for(lambda: shown(srv), "progress in ftpwho")
            before = r.got
            time.sleep(0.8)
            b = wait_for(lambda: (lambda s: s if s and s["transfer"]
                                  ["bytes"] > a["transfer"]["bytes"]
                                  else None)(shown(srv)), "bytes to grow")
            after = r.got
            t = b["transfer"]
            check(set(b) == {"pid", "user", "peer", "since", "state",
                             "command", "bytes", "transfer"},
                  f"fields: {sorted(b)}")
            check(b["command"] == "RETR /" + ODD, f"command {b['command']!r}")
            check(b["state"] == "transfer" and b["peer"] == HOST,
                  f"state/peer: {b}")
            check(t["size"] == size, f"size {t['size']}")
            check(abs(t["percent"] - t["bytes"] * 100 // size) <= 1,
                  f"percent {t['percent']} for {t['bytes']} of {size}")
            # The record lags the loop by at most a report (250 ms, a
            # quarter MiB here); the server is ahead of the client by
            # what the sockets hold.
            check(before - MIB <= t["bytes"] <= after + 8 * MIB,
                  f"server {t['bytes']}, client {before}..{after}")
            check(0 < t["rate"] <= 3 * MIB, f"rate {t['rate']}")
            check(b["bytes"] == 0, "session bytes count finished "
                  f"transfers only: {b['bytes']}")
            text = run([FTPWHO, "-d", srv.run_dir]).stdout
            line = next(ln for ln in text.splitlines() if USER in ln)
            check("6.0 MiB" in line and "%" in line and
                  re.search(r"\[[#.]{20}\]", line),
                  f"no progress in {line!r}")
            check('we"ird\\name ??.bin' in line, f"name not cleaned: "
                  f"{line!r}")
            f.abort()
            r.join(10)
            f.quit()
        finally:
            f.close()
        # Idle again: no transfer shown.
        wait_for(lambda: all(s["transfer"] is None for s in who_json(srv)),
                 "the transfer to leave ftpwho")


def test_watch_refreshes_count_times():
    """--watch 1 -n 2 prints two listings a second apart and ends; the
    screen is cleared only on a terminal; with --json each listing is
    one document on its own line."""
    with Server(users={USER: PASS}) as srv:
        f = srv.ftp(USER, PASS)
        try:
            wait_for(lambda: who_json(srv), "the session in ftpwho")
            t0 = time.monotonic()
            p = run([FTPWHO, "-d", srv.run_dir, "--watch", "1", "-n", "2"])
            took = time.monotonic() - t0
            check(p.stdout.count("PID ") == 2, f"listings:\n{p.stdout}")
            check(p.stdout.count(USER) == 2, f"sessions:\n{p.stdout}")
            check("\033" not in p.stdout, "escape sequence into a pipe")
            check(0.9 <= took < 10 * SLOW, f"took {took:.1f} s")
            p = run([FTPWHO, "-d", srv.run_dir, "--json", "--watch=1",
                     "-n", "2"])
            docs = [json.loads(ln) for ln in p.stdout.splitlines()]
            check(len(docs) == 2 and all(d[0]["user"] == USER
                                         for d in docs), p.stdout)
            # On a terminal: home and clear before each listing.
            master, slave = pty.openpty()
            try:
                p = subprocess.run([FTPWHO, "-d", srv.run_dir, "-w1",
                                    "-n", "2"], stdout=slave,
                                   stderr=subprocess.PIPE, timeout=30)
                os.close(slave)
                slave = -1
                out = b""
                with contextlib.suppress(OSError):
                    while len(out) < 1 << 20:
                        chunk = os.read(master, 65536)
                        if not chunk:
                            break
                        out += chunk
            finally:
                if slave != -1:
                    os.close(slave)
                os.close(master)
            check(p.returncode == 0, f"tty run: {p.stderr!r}")
            check(out.count(b"\033[H\033[2J") == 2, f"tty output {out!r}")
            f.quit()
        finally:
            f.close()


def _kill(srv, who):
    return run([FTPWHO, "-d", srv.run_dir, "-k", str(who)], check_rc=False)


def _sess_pid(srv, user=USER):
    return wait_for(lambda: next((s["pid"] for s in who_json(srv)
                                  if s["user"] == user), None),
                    f"{user} in ftpwho")


def _expect_421(c):
    """The rest of the control connection: 421 naming the administrator,
    then the close."""
    code, text = c.reply()
    if code == 426:
        code, text = c.reply()
    check(code == 421 and "administrator" in text, f"{code} {text!r}")
    check(c.closed(), "control connection not closed")


def test_kill_pid_plain_and_tls():
    """-k PID ends an idle session: 421 with the reason, the session
    leaves ftpwho, the log names the administrator; under TLS the 421
    arrives through the relay, inside TLS."""
    with Server(users={USER: PASS}, tls="on") as srv:
        c = srv.raw()
        c.cmd(f"USER {USER}")
        check(c.cmd(f"PASS {PASS}")[0] == 230, "login")
        pid = _sess_pid(srv)
        p = _kill(srv, pid)
        check(p.returncode == 0 and f"session {pid} ended" in p.stdout,
              f"ftpwho -k: {p.returncode} {p.stdout!r} {p.stderr!r}")
        _expect_421(c)
        c.close()
        check(all(s["pid"] != pid for s in who_json(srv)), "still listed")
        check("session killed by the administrator: user " + USER
              in srv.log(), "kill not logged")
        # TLS: the reply is a TLS record the client decrypts.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=str(srv.cert))
        ctx.check_hostname = False
        f = ftplib.FTP_TLS(context=ctx, timeout=30 * SLOW)
        f.connect(HOST, srv.port)
        f.auth()
        f.login(USER, PASS)
        try:
            pid = _sess_pid(srv)
            check(_kill(srv, pid).returncode == 0, "-k under TLS")
            line = f.getline()
            check(line.startswith("421 ") and "administrator" in line,
                  f"TLS: {line!r}")
            check(isinstance(f.sock, ssl.SSLSocket), "not TLS")
        finally:
            f.close()


def _slow_upload(srv, user, password, name, chunks):
    """STOR name and send chunks (bytes each) with pauses; returns the
    control connection and data socket, the upload still running."""
    c = srv.raw()
    c.cmd(f"USER {user}")
    check(c.cmd(f"PASS {password}")[0] == 230, "login")
    c.cmd("TYPE I")
    code, text = c.cmd("PASV")
    nums = text[text.index("(") + 1:text.index(")")].split(",")
    d = socket.create_connection(
        (HOST, int(nums[4]) * 256 + int(nums[5])), timeout=30)
    code, text = c.cmd(f"STOR {name}")
    check(code == 150, f"STOR {code} {text}")
    for chunk in chunks:
        d.sendall(chunk)
        time.sleep(0.1)
    return c, d


def test_kill_user_during_upload_as_a_cut():
    """-k USER during a fresh upload: the client reads 421, and the file
    is what a cut connection leaves (atomic_uploads: in place, a prefix
    of what was sent, no temporary left); an anonymous upload cut so is
    removed.  The session leaves ftpwho."""
    data = os.urandom(300000)
    with Server(users={USER: PASS}, anon_upload=True) as srv:
        c, d = _slow_upload(srv, USER, PASS, "up.bin",
                            [data[:100000], data[100000:200000]])
        p = _kill(srv, USER)
        check(p.returncode == 0, f"-k {USER}: {p.stderr!r}")
        _expect_421(c)
        d.close()
        c.close()
        home = srv.home(USER)
        got = (home / "up.bin").read_bytes()
        check(0 < len(got) <= 200000 and got == data[:len(got)],
              f"up.bin: {len(got)} bytes, not a prefix")
        check([n for n in os.listdir(home) if n.startswith(".ftpd-")] ==
              [], f"left {os.listdir(home)}")
        check(not any(s["user"] == USER for s in who_json(srv)),
              "still listed")
        # Anonymous: a cut upload is removed.
        c, d = _slow_upload(srv, "anonymous", "a@b.c", "upload/a.bin",
                            [data[:100000]])
        check(_kill(srv, "anonymous").returncode == 0, "-k anonymous")
        _expect_421(c)
        d.close()
        c.close()
        up = srv.anon_root / "upload"
        check(os.listdir(up) == [], f"anonymous upload left {os.listdir(up)}")


def test_kill_refused_unless_root_and_for_strangers():
    """-k as another uid is refused and the session goes on; a record
    whose pid is now another process (started after the session) is
    never signalled; a name no session has is an error."""
    with Server(users={USER: PASS}) as srv:
        f = srv.ftp(USER, PASS)
        try:
            pid = _sess_pid(srv)
            p = subprocess.run([str(FTPWHO), "-d", str(srv.run_dir), "-k",
                                str(pid)], capture_output=True, text=True,
                               timeout=30, preexec_fn=lambda: (
                                   os.setgid(65534), os.setgroups([]),
                                   os.setuid(65534)))
            check(p.returncode == 1 and "only root" in p.stderr,
                  f"non-root: {p.returncode} {p.stderr!r}")
            f.voidcmd("NOOP")
            # A stale record naming a process that is not a monitor.
            sleeper = subprocess.Popen(["sleep", "60"])
            try:
                (srv.run_dir / f"{sleeper.pid}.sess").write_text(
                    f"pid={sleeper.pid}\nuser=ghost\nstate=idle\n"
                    f"since={int(time.time()) - 100}\n")
                p = _kill(srv, "ghost")
                check(p.returncode == 1 and "not signalled" in p.stderr,
                      f"stale: {p.returncode} {p.stderr!r}")
                time.sleep(0.2)
                check(sleeper.poll() is None, "a stranger was signalled")
            finally:
                sleeper.kill()
                sleeper.wait()
            p = _kill(srv, "nobody-here")
            check(p.returncode == 1 and "no session" in p.stderr,
                  f"no match: {p.stderr!r}")
            # Records in a directory others may write are not trusted:
            # anyone could plant one naming a process root would signal.
            mode = srv.run_dir.stat().st_mode & 0o7777
            os.chmod(srv.run_dir, 0o1777)
            try:
                p = _kill(srv, str(pid))
            finally:
                os.chmod(srv.run_dir, mode)
            check(p.returncode == 1 and "not trusted" in p.stderr,
                  f"writable run_dir: {p.returncode} {p.stderr!r}")
            f.voidcmd("NOOP")
            f.quit()
        finally:
            f.close()


def test_kill_with_a_long_proc_stat():
    """-k checks the monitor's start with btime of /proc/stat, which
    comes after one cpu line per CPU and the intr line (one count per
    interrupt): past 4 KiB on a server with many CPUs or interrupts.
    There too the session is ended (here /proc/stat is given a long intr
    line, in a mount namespace of ftpwho's own)."""
    require_tool("unshare")
    with Server(users={USER: PASS}) as srv:
        c = srv.raw()
        c.cmd(f"USER {USER}")
        check(c.cmd(f"PASS {PASS}")[0] == 230, "login")
        pid = _sess_pid(srv)
        with tempfile.TemporaryDirectory(prefix="ftpd-procstat-") as d:
            fake = os.path.join(d, "stat")
            with open("/proc/stat") as real, open(fake, "w") as out:
                for line in real:
                    if line.startswith("intr "):
                        line = line.rstrip("\n") + " 0" * 20000 + "\n"
                    out.write(line)
            p = run(["unshare", "-m", "sh", "-c",
                     "mount --make-rprivate / && "
                     f"mount --bind {fake} /proc/stat && "
                     f"exec {FTPWHO} -d {srv.run_dir} -k {pid}"],
                    check_rc=False)
        check(p.returncode == 0 and f"session {pid} ended" in p.stdout,
              f"ftpwho -k: {p.returncode} {p.stdout!r} {p.stderr!r}")
        _expect_421(c)
        c.close()
