"""test_security.py - bounce and theft protection, timeouts, bans, atomic
uploads.

PORT/EPRT may only name the client at a port >= 1024; a passive data port
accepts only the client's address (127.0.0.2 plays the thief: every
127.0.0.0/8 address is local on Linux).  Idle and login timeouts close the
session with 421; repeated failed logins ban an address.
"""

import ftplib
import os
import signal
import socket
import time

from harness import (HOST, SLOW, check, greeting_line, recv_all,
                    require_root, retr_bytes, Server, sha256_bytes,
                    wait_lines)

USER, PASS = "trent", "Trent-pw-42"


def _refused(f, cmd):
    try:
        resp = f.sendcmd(cmd)
    except ftplib.all_errors as e:
        resp = str(e)
    check(resp[:1] == "5", f"{cmd}: not refused: {resp!r}")


def test_port_bounce_refused():
    with Server() as srv:
        f = srv.ftp()
        try:
            _refused(f, "PORT 127,0,0,1,0,21")      # privileged port
            _refused(f, "PORT 127,0,0,1,3,255")     # 1023
            _refused(f, "PORT 127,0,0,2,156,64")    # another host
            _refused(f, "PORT 10,1,2,3,156,64")
            _refused(f, "EPRT |1|127.0.0.2|40000|")
            _refused(f, "EPRT |1|127.0.0.1|22|")
            _refused(f, "EPRT |2|::1|40000|")       # other family = other host
            _refused(f, "PORT 127,0,0,1,300,1")     # malformed
            _refused(f, "PORT 127,0,0,1,1")
            _refused(f, "EPRT |9|127.0.0.1|40000|")
            resp = f.sendcmd("PORT 127,0,0,1,156,64")
            check(resp.startswith("200"), f"valid PORT refused: {resp!r}")
            f.voidcmd("NOOP")
            f.quit()
        finally:
            f.close()


def test_active_connection_from_port_l_minus_1():
    """Active data connections come from port L-1 (RFC 959 3.2).  The
    monitor, which alone may bind it, connects them itself and hands the
    user process only the connected socket; with active_from_port_20 off
    they come from an ordinary port."""
    require_root("binding port L-1 needs root")
    for from_l1 in ("yes", "no"):
        with Server(conf={"active_from_port_20": from_l1}) as srv:
            data = os.urandom(100000)
            (srv.anon_root / "a.bin").write_bytes(data)
            f = srv.ftp()
            lsock = socket.socket()
            try:
                lsock.bind((HOST, 0))
                lsock.listen(1)
                lsock.settimeout(30 * SLOW)
                port = lsock.getsockname()[1]
                f.voidcmd("TYPE I")
                f.voidcmd(f"PORT 127,0,0,1,{port >> 8},{port & 255}")
                f.putcmd("RETR a.bin")
                conn, peer = lsock.accept()
                with conn:
                    conn.settimeout(30 * SLOW)
                    got = recv_all(conn)
                r = f.getresp()
                check(r.startswith("150"), f"RETR: {r!r}")
                r = f.getresp()
                check(r.startswith("226"), f"RETR end: {r!r}")
                check(got == data, "active download differs")
                if from_l1 == "yes":
                    check(peer[1] == srv.port - 1,
                          f"came from port {peer[1]}, not {srv.port - 1}")
                else:
                    check(peer[1] != srv.port - 1,
                          "came from L-1 with active_from_port_20 = no")
                f.quit()
            finally:
                lsock.close()
                f.close()


def test_passive_theft_refused():
    with Server() as srv:
        data = os.urandom(200000)
        (srv.anon_root / "secret.bin").write_bytes(data)
        f = srv.ftp()
        try:
            f.voidcmd("TYPE I")
            host, port = f.makepasv()
            thief = socket.socket()
            thief.bind(("127.0.0.2", 0))
            thief.settimeout(10 * SLOW)
            thief.connect((host, port))
            real = socket.create_connection((host, port), timeout=30)
            f.putcmd("RETR secret.bin")
            resp = f.getresp()
            check(resp.startswith("150") or resp.startswith("125"),
                  f"RETR {resp!r}")
            stolen = recv_all(thief, tolerate_errors=True)
            check(stolen == b"", f"thief got {len(stolen)} bytes")
            got = recv_all(real)
            check(f.voidresp().startswith("226"), "no 226")
            check(got == data, f"client got {len(got)} bytes")
            f.quit()
        finally:
            f.close()


def test_idle_timeout():
    with Server(conf={"idle_timeout": 2}) as srv:
        with srv.raw() as c:
            c.cmd("USER anonymous")
            code, _ = c.cmd("PASS a@b")
            check(code == 230, "login")
            t0 = time.monotonic()
            code, text = c.reply()
            check(code == 421, f"idle timeout reply {text!r}")
            dt = time.monotonic() - t0
            check(dt < 10 * SLOW, f"idle timeout after {dt:.1f}s")
            check(c.closed(), "session not closed after idle timeout")


def test_login_timeout():
    with Server(conf={"login_timeout": 2}) as srv:
        with srv.raw() as c:
            c.cmd("USER anonymous")
            t0 = time.monotonic()
            try:
                code, text = c.reply()
                check(code == 421, f"login timeout reply {text!r}")
            except EOFError:
                pass
            check(time.monotonic() - t0 < 10 * SLOW, "login timeout late")
            check(c.closed(), "session not closed after login timeout")


def test_ban_after_failures():
    with Server(users={USER: PASS},
                conf={"login_attempts": 1, "ban_after": 2,
                      "ban_seconds": 60}) as srv:
        for _ in range(2):
            with srv.raw() as c:
                c.cmd(f"USER {USER}")
                try:
                    code, _ = c.cmd("PASS nope")
                    check(code in (530, 421), f"bad PASS gave {code}")
                except EOFError:
                    pass
                c.closed()
        # The master learns of failures when it reaps the monitor.
        deadline = time.monotonic() + 10 * SLOW
        banned = False
        while time.monotonic() < deadline and not banned:
            data = greeting_line(srv.port)
            banned = data == b"" or data.startswith(b"421")
            if not banned:
                time.sleep(0.3)
        check(banned, f"address not banned after failures: {data!r}")


def test_data_timeout_and_atomic_upload():
    with Server(users={USER: PASS}, conf={"data_timeout": 2}) as srv:
        home = srv.home(USER)
        old = os.urandom(1000)
        (home / "doc.bin").write_bytes(old)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            f.voidcmd("TYPE I")
            conn = f.transfercmd("STOR doc.bin")
            conn.sendall(os.urandom(100000))
            time.sleep(0.5)
            # Mid-transfer the old content is still in place.
            check((home / "doc.bin").read_bytes() == old,
                  "upload not atomic: file changed mid-transfer")
            f.sock.settimeout(15 * SLOW)
            resp = f.getmultiline()
            check(resp[:3] in ("426", "451", "421"),
                  f"stalled upload reply {resp!r}")
            conn.close()
            check((home / "doc.bin").read_bytes() == old,
                  "aborted upload replaced the file")
            # A timeout is a cut: what arrived is kept for resuming, under
            # the partial's name only (DESIGN.md, "Cut uploads").
            keep = ("doc.bin", ".ftpd-partial.doc.bin")
            temps = [p.name for p in home.iterdir() if p.name not in keep]
            for _ in range(20):  # the 426 may come just before the rename
                if not temps:
                    break
                time.sleep(0.1)
                temps = [p.name for p in home.iterdir()
                         if p.name not in keep]
            check(temps == [], f"temporary files left: {temps}")
            if resp[:3] != "421":
                f.sock.settimeout(30)
                check(f.voidcmd("NOOP").startswith("200"), "NOOP after 426")
                # A complete upload replaces it.
                new = os.urandom(5000)
                import io
                f.storbinary("STOR doc.bin", io.BytesIO(new))
                check((home / "doc.bin").read_bytes() == new,
                      "complete upload did not replace the file")
                check(not (home / ".ftpd-partial.doc.bin").exists(),
                      "a complete upload left the partial")
            f.close()
        finally:
            f.close()


def test_stor_respects_the_file_it_replaces():
    """STOR over an existing file obeys that file's permissions and keeps
    its owner, as an in-place write does, even with atomic_uploads."""
    require_root("files of other owners need root")
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        for name in ("ro.txt", "shared.txt", "theirs.txt", "target.txt",
                     "own.txt"):
            (home / name).write_bytes(b"old " + name.encode())
        (home / "link.txt").symlink_to("target.txt")
        srv.give(USER)
        os.chmod(home / "ro.txt", 0o444)
        os.chown(home / "shared.txt", 65530, 65530)
        os.chmod(home / "shared.txt", 0o666)
        os.chown(home / "theirs.txt", 65530, 65530)
        os.chmod(home / "theirs.txt", 0o644)
        os.chmod(home / "own.txt", 0o640)
        f = srv.ftp(USER, PASS)
        try:
            import io
            for name in ("ro.txt", "theirs.txt"):
                try:
                    f.storbinary(f"STOR {name}", io.BytesIO(b"new"))
                    check(False, f"STOR {name} accepted")
                except ftplib.error_perm as e:
                    check(str(e).startswith("550"), f"{name}: {e}")
                check((home / name).read_bytes() == b"old " +
                      name.encode(), f"{name} changed")
            for name in ("shared.txt", "link.txt", "own.txt"):
                f.storbinary(f"STOR {name}", io.BytesIO(b"new " +
                                                         name.encode()))
            f.quit()
        finally:
            f.close()
        st = os.stat(home / "shared.txt")
        check(st.st_uid == 65530 and (home / "shared.txt").read_bytes() ==
              b"new shared.txt", "shared file: owner or content")
        check((home / "link.txt").is_symlink() and
              (home / "target.txt").read_bytes() == b"new link.txt",
              "STOR through a symbolic link")
        st = os.stat(home / "own.txt")
        check(st.st_mode & 0o777 == 0o640 and
              (home / "own.txt").read_bytes() == b"new own.txt",
              "own file: mode or content")
        check(not [p for p in home.iterdir()
                   if p.name.startswith(".ftpd-upload")], "temporary left")


def test_sighup_reopens_logs():
    """After logrotate moves the log and the xferlog away, SIGHUP makes
    the server write new sessions to fresh files by those names."""
    with Server(users={USER: PASS}) as srv:
        log, xlog = srv.tmp / "main.log", srv.tmp / "xferlog"
        srv.keys.update(log=str(log), xferlog=str(xlog))
        (srv.home(USER) / "a.bin").write_bytes(b"a" * 1000)
        srv.stop()
        srv.start()

        def one_download():
            f = srv.ftp(USER, PASS)
            try:
                check(retr_bytes(f, "a.bin") == b"a" * 1000, "RETR")
                f.quit()
            finally:
                f.close()

        one_download()
        check(len(wait_lines(xlog, 1)) == 1, "first xferlog line")
        log.rename(srv.tmp / "main.log.1")
        xlog.rename(srv.tmp / "xferlog.1")
        # As `systemctl kill -s HUP` would: every process of the server.
        # Sessions ignore it (the reload is the master's business).
        live = srv.ftp(USER, PASS)
        os.killpg(srv.proc.pid, signal.SIGHUP)
        check(live.voidcmd("NOOP").startswith("200"), "session died of HUP")
        live.quit()
        live.close()
        deadline = time.monotonic() + 10 * SLOW
        while not (log.exists() and xlog.exists()) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        check(log.exists() and xlog.exists(), "logs not reopened")
        one_download()
        check(len(wait_lines(xlog, 1)) == 1, "no xferlog line after HUP")
        check(len((srv.tmp / "xferlog.1").read_text().splitlines()) == 1,
              "old xferlog still written")
        check("login ok" in log.read_text(), "no session in the new log")


def test_sigterm_ends_sessions_cleanly():
    """Stopping the server (SIGTERM to the master, as systemctl stop does)
    tells each client 421 (426 first for a cut upload), leaves no
    temporary upload file and no scoreboard record behind, and logs the
    sessions' end."""
    with Server(users={USER: PASS}, conf={"atomic_uploads": "yes"}) as srv:
        home = srv.home(USER)
        srv.give(USER)
        pre = srv.raw()                      # connected, not logged in
        idle = srv.raw()
        idle.cmd(f"USER {USER}")
        check(idle.cmd(f"PASS {PASS}")[0] == 230, "login")
        up = srv.raw()
        up.cmd(f"USER {USER}")
        up.cmd(f"PASS {PASS}")
        code, text = up.cmd("PASV")
        nums = text[text.index("(") + 1:text.index(")")].split(",")
        data = socket.create_connection(
            (HOST, int(nums[4]) * 256 + int(nums[5])), timeout=10)
        up.send(b"STOR cut.bin\r\n")
        check(up.reply()[0] == 150, "STOR not started")
        data.sendall(os.urandom(300000))
        deadline = time.monotonic() + 10 * SLOW
        while not [p for p in home.iterdir()
                   if p.name.startswith(".ftpd-upload")]:
            check(time.monotonic() < deadline, "no temporary file seen")
            time.sleep(0.05)
        srv.proc.send_signal(signal.SIGTERM)
        check(srv.proc.wait(timeout=10 * SLOW) == 0, "master exit status")
        for c, what in ((pre, "before login"), (idle, "idle")):
            code, text = c.reply()
            check(code == 421, f"{what}: {code} {text!r}")
        codes = [up.reply()[0]]
        if codes[0] != 421:
            codes.append(up.reply()[0])
        check(codes in ([426, 421], [421]), f"uploading session: {codes}")
        data.close()
        for c in (pre, idle, up):
            c.close()
        left = [p.name for p in home.iterdir()]
        check(left == [], f"left in the home: {left}")
        check(list(srv.run_dir.iterdir()) == [],
              f"scoreboard left: {list(srv.run_dir.iterdir())}")
        log = srv.log()
        check(log.count("session closed") >= 2, "session ends not logged")
        check("killed by signal" not in log, "a session was killed")


def test_xferlog():
    with Server(users={USER: PASS}) as srv:
        log = srv.tmp / "xferlog"
        srv.keys["xferlog"] = str(log)
        data = os.urandom(12345)
        (srv.home(USER) / "x.bin").write_bytes(data)
        srv.stop()
        srv.start()
        f = srv.ftp(USER, PASS)
        try:
            check(retr_bytes(f, "x.bin") == data, "RETR")
            import io
            f.storbinary("STOR y.bin", io.BytesIO(data[:999]))
            f.quit()
        finally:
            f.close()
        lines = wait_lines(log, 2)
        check(len(lines) >= 2, f"xferlog has {len(lines)} lines: {lines!r}")
        out = [l for l in lines if "x.bin" in l]
        inn = [l for l in lines if "y.bin" in l]
        check(out and " 12345 " in out[0] and " o " in out[0],
              f"RETR line {out}")
        check(inn and " 999 " in inn[0] and " i " in inn[0],
              f"STOR line {inn}")
        check(f" {USER} " in out[0], f"user missing: {out[0]!r}")
        # xferlog(5): an anonymous user is named by the identification
        # given as the password, blanks made '_'.
        (srv.anon_root / "a.bin").write_bytes(data[:77])
        f = srv.ftp("anonymous", "mirror bot@example.org")
        try:
            check(retr_bytes(f, "a.bin") == data[:77], "anonymous RETR")
            f.quit()
        finally:
            f.close()
        lines = wait_lines(log, 3)
        anon = [l for l in lines if "a.bin" in l]
        check(anon and " a mirror_bot@example.org ftp " in anon[0],
              f"anonymous xferlog line {anon}")
