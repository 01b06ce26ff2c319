"""test_auth.py - who may log in, and what anonymous may do.

Anonymous read-only and anon_upload, virtual users, system users (root
only), the deny file, login_attempts and max_per_ip.
"""

import ftplib
import os
import socket
import subprocess
import time

from harness import (check, crypt_hash, expect_code, greeting_line, is_root,
                     process_holds, require_root, retr_bytes, Server,
                     session_process, stor_bytes, SystemUser)

USER, PASS = "carol", "Carol-pw-123"


def test_anonymous_read_only():
    with Server(users={USER: PASS}) as srv:
        data = os.urandom(10000)
        (srv.anon_root / "r.bin").write_bytes(data)
        (srv.anon_root / "d").mkdir()
        f = srv.ftp()
        try:
            check(retr_bytes(f, "r.bin") == data, "anonymous RETR")
            expect_code(lambda: stor_bytes(f, "new.bin", b"x"),
                        ("550", "553", "532"), "anonymous STOR")
            expect_code(lambda: stor_bytes(f, "r.bin", b"x"),
                        ("550", "553", "532"), "anonymous STOR overwrite")
            expect_code(lambda: stor_bytes(f, "r.bin", b"x", cmd="APPE"),
                        ("550", "553", "532"), "anonymous APPE")
            expect_code(lambda: f.mkd("m"), ("550", "553", "532"),
                        "anonymous MKD")
            expect_code(lambda: f.rmd("d"), ("550", "532"), "anonymous RMD")
            expect_code(lambda: f.delete("r.bin"), ("550", "532"),
                        "anonymous DELE")
            expect_code(lambda: f.sendcmd("RNFR r.bin"), ("550", "532"),
                        "anonymous RNFR")
            expect_code(lambda: f.sendcmd("SITE CHMOD 777 r.bin"),
                        ("500", "502", "504", "550", "532"),
                        "anonymous SITE CHMOD")
            f.quit()
        finally:
            f.close()
        check((srv.anon_root / "r.bin").read_bytes() == data,
              "anonymous changed a file")
        check(not (srv.anon_root / "new.bin").exists(), "anonymous created")
        check(not (srv.anon_root / "m").exists(), "anonymous MKD worked")
        check((srv.anon_root / "d").is_dir(), "anonymous RMD worked")


def test_anonymous_disabled():
    with Server(anonymous=False, users={USER: PASS}) as srv:
        with srv.raw() as c:
            code, _ = c.cmd("USER anonymous")
            if code == 331:
                code, _ = c.cmd("PASS guest@example.org")
            check(code == 530, f"anonymous=no but got {code}")


def test_anon_upload_create_only():
    with Server(anon_upload=True) as srv:
        up = srv.anon_root / "upload"
        f = srv.ftp()
        try:
            first = os.urandom(50000)
            resp = stor_bytes(f, "upload/a.bin", first)
            check(resp.startswith("226"), f"anon STOR {resp!r}")
            check((up / "a.bin").read_bytes() == first,
                  "anon upload content differs")
            expect_code(lambda: stor_bytes(f, "upload/a.bin", b"evil"),
                        ("550", "553"), "anon overwrite")
            check((up / "a.bin").read_bytes() == first, "anon overwrote")
            expect_code(lambda: stor_bytes(f, "upload/a.bin", b"evil",
                                           cmd="APPE"),
                        ("550", "553"), "anon APPE")
            expect_code(lambda: f.delete("upload/a.bin"), ("550",),
                        "anon DELE")
            expect_code(lambda: f.sendcmd("RNFR upload/a.bin"), ("550",),
                        "anon RNFR")
            check((up / "a.bin").read_bytes() == first, "anon changed file")
            # Outside a directory writable by anon_user: refused.  (Not
            # testable unprivileged: then everything is ours.)
            if is_root():
                expect_code(lambda: stor_bytes(f, "top.bin", b"x"),
                            ("550", "553"), "anon STOR into root-owned dir")
                check(not (srv.anon_root / "top.bin").exists(),
                      "anon created a file in a root-owned directory")
            f.quit()
        finally:
            f.close()


def test_virtual_users():
    with Server(users={USER: PASS, "dave": "Dave-pw-456"}) as srv:
        data = os.urandom(20000)
        (srv.home("dave") / "mine.bin").write_bytes(data)
        srv.give("dave")
        f = srv.ftp(login=False)
        try:
            check(f.login(USER, PASS).startswith("230"), "correct password")
            check(f.pwd() == "/", "virtual user not chrooted to home")
            stor_bytes(f, "v.bin", data)
            f.quit()
        finally:
            f.close()
        check((srv.home(USER) / "v.bin").read_bytes() == data,
              "virtual user upload")
        f = srv.ftp("dave", "Dave-pw-456")
        try:
            check(retr_bytes(f, "mine.bin") == data, "dave RETR")
            f.quit()
        finally:
            f.close()
        with srv.raw() as c:
            code, text = c.cmd(f"USER {USER}")
            check(code == 331, f"USER {text!r}")
            code, text = c.cmd("PASS wrong-password")
            check(code == 530, f"wrong password: {text!r}")
            code, text = c.cmd("PWD")
            check(code == 530, f"PWD after failed login: {text!r}")
            # Another user's password does not work either.
            c.cmd(f"USER {USER}")
            code, text = c.cmd("PASS Dave-pw-456")
            check(code == 530, f"other user's password: {text!r}")
        with srv.raw() as c:
            code, _ = c.cmd("USER nosuchuser")
            check(code in (331, 530), "USER unknown")
            if code == 331:
                code, text = c.cmd("PASS whatever")
                check(code == 530, f"unknown user: {text!r}")


def test_users_file_long_line_is_skipped_whole():
    """A users_file line longer than ftpd's line buffer is skipped whole:
    its tail is never read as a line of its own (here, one that would
    let "evil" in)."""
    with Server(users={USER: PASS}) as srv:
        tail = (f"evil:{crypt_hash('Evil-pw-1')}:{srv.vuid}:{srv.vgid}::"
                f"{srv.home(USER)}:/bin/sh")
        head = f"pad:x:{srv.vuid}:{srv.vgid}:"
        pad = "g" * (4095 - len(head))
        good = srv.users_path.read_text()
        srv.users_path.write_text(head + pad + tail + "\n" + good)
        with srv.raw() as c:
            c.cmd("USER evil")
            code, text = c.cmd("PASS Evil-pw-1")
            check(code == 530, f"the tail of a long line logged in: {text!r}")
        f = srv.ftp(USER, PASS)
        try:
            check(f.pwd() == "/", "the line after the long one")
            f.quit()
        finally:
            f.close()
        check("longer than 4095 bytes skipped" in srv.log(),
              "the skipped line is not logged")


def test_login_attempts():
    with Server(users={USER: PASS}, conf={"login_attempts": 2}) as srv:
        with srv.raw(timeout=60) as c:
            codes = []
            closed = False
            for _ in range(2):
                try:
                    code, _ = c.cmd(f"USER {USER}")
                    if code == 331:
                        code, _ = c.cmd("PASS bad")
                    codes.append(code)
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    closed = True
                    break
            check(codes[:1] == [530], f"first failure {codes}")
            if not closed:
                # After the last allowed failure: 421 or a closed socket.
                try:
                    code, text = c.cmd(f"USER {USER}")
                    if code == 421:
                        closed = c.closed()
                    elif code == 331:
                        code, text = c.cmd(f"PASS {PASS}")
                        check(code != 230, "logged in after login_attempts "
                              "failures")
                        closed = code == 421 and c.closed()
                    else:
                        closed = code in (421, 530) and c.closed()
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    closed = True
            check(closed, f"session not closed after login_attempts: "
                  f"{codes}")
        # A fresh connection may log in.
        f = srv.ftp(USER, PASS)
        f.quit()
        f.close()


def test_system_user():
    with Server(system_users=True) as srv, SystemUser(srv.tmp) as u:
        data = os.urandom(30000)
        (u.home / "sys.bin").write_bytes(data)
        os.chown(u.home / "sys.bin", u.uid, u.gid)
        f = srv.ftp(login=False)
        try:
            check(f.login(u.name, u.password).startswith("230"),
                  "system user login")
            check(f.pwd() == "/", f"system user not chrooted: {f.pwd()!r}")
            check(retr_bytes(f, "sys.bin") == data, "system user RETR")
            stor_bytes(f, "new.bin", data[::-1])
            f.quit()
        finally:
            f.close()
        st = os.stat(u.home / "new.bin")
        check(st.st_uid == u.uid, f"upload owned by {st.st_uid}, not the "
              f"account {u.uid}")
        check((u.home / "new.bin").read_bytes() == data[::-1],
              "system user STOR")
        with srv.raw() as c:
            c.cmd(f"USER {u.name}")
            code, text = c.cmd("PASS not-the-password")
            check(code == 530, f"system user bad password: {text!r}")


def test_system_user_shadow_aging():
    """An expired account, or a password that has expired or must be
    changed first, cannot log in (as with su or ssh through pam_unix);
    clearing the date lets the account in again."""
    with Server(system_users=True) as srv, SystemUser(srv.tmp) as u:
        def login_code():
            with srv.raw() as c:
                c.cmd(f"USER {u.name}")
                return c.cmd(f"PASS {u.password}")[0]

        check(login_code() == 230, "fresh account refused")
        cases = [(["chage", "-E", "0"], "account expired"),
                 (["chage", "-E", "2000-01-01"], "account expired"),
                 (["passwd", "-e"], "password must be changed first"),
                 (["chage", "-d", "2000-01-01", "-M", "30"],
                  "password expired")]
        for cmd, why in cases:
            subprocess.run(cmd + [u.name], check=True, timeout=30,
                           capture_output=True)
            check(login_code() == 530, f"{cmd} did not refuse the login")
            check(f"{u.name}: {why}" in srv.log(), f"log lacks {why!r}")
            subprocess.run(["chage", "-E", "-1", "-M", "-1", "-d",
                            time.strftime("%Y-%m-%d", time.gmtime()),
                            u.name], check=True, timeout=30,
                           capture_output=True)
            check(login_code() == 230, f"not let in again after {cmd}")


def test_system_users_off():
    with Server(system_users=False) as srv, SystemUser(srv.tmp) as u:
        with srv.raw() as c:
            code, _ = c.cmd(f"USER {u.name}")
            if code == 331:
                code, _ = c.cmd(f"PASS {u.password}")
            check(code == 530, f"system_users=no but login gave {code}")


def test_deny_file():
    with Server(users={USER: PASS, "eve": "Eve-pw-789"},
                deny=["eve"]) as srv:
        with srv.raw() as c:
            code, text = c.cmd("USER eve")
            if code == 331:
                code, text = c.cmd("PASS Eve-pw-789")
            check(code == 530, f"denied user logged in: {text!r}")
        with srv.raw() as c:
            code, text = c.cmd("USER root")
            if code == 331:
                code, text = c.cmd("PASS anything")
            check(code == 530, f"root: {text!r}")
        f = srv.ftp(USER, PASS)  # others unaffected
        f.quit()
        f.close()


def test_max_per_ip():
    with Server(conf={"max_per_ip": 2}) as srv:
        conns = [srv.raw(), srv.raw()]
        try:
            data = greeting_line(srv.port, timeout=20)
            check(data == b"" or data.startswith(b"421"),
                  f"third connection from one address got {data!r}")
            # The first two still work.
            for c in conns:
                code, _ = c.cmd("NOOP")
                check(code == 200, "existing session broken")
        finally:
            for c in conns:
                c.close()
        # Once they are gone, a new one is accepted again.
        deadline = time.monotonic() + 10
        while True:
            try:
                with srv.raw() as c:
                    break
            except (AssertionError, EOFError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def test_max_clients():
    with Server(conf={"max_clients": 1}) as srv:
        with srv.raw():
            data = greeting_line(srv.port, timeout=20)
            check(data == b"" or data.startswith(b"421"),
                  f"connection beyond max_clients got {data!r}")


def test_no_other_hashes_in_session():
    """A logged-in session's processes must not hold other accounts'
    password hashes: users_file and /etc/shadow are read through stdio,
    whose freed buffers kept them, and the user process is forked from
    the monitor.  Both now check passwords in a child that exits."""
    require_root("reads another uid's /proc/PID/mem")
    users = {"alice": "Alice-pw-1", "bob": "Bob-pw-2", "carol": "Carol-pw-3"}
    with Server(system_users=True, users=users) as srv, \
            SystemUser(srv.tmp) as a, SystemUser(srv.tmp) as b:
        virt = {}
        for line in srv.users_path.read_text().splitlines():
            if line and not line.startswith("#"):
                virt[line.split(":")[0]] = line.split(":")[1]
        with open("/etc/shadow") as f:
            shadow = {ln.split(":")[0]: ln.split(":")[1] for ln in f
                      if ":" in ln}
        others = {"bob's hash": virt["bob"], "carol's hash": virt["carol"],
                  f"{b.name}'s hash": shadow[b.name]}
        srv.give("alice")
        for name, pw, uid in (("alice", "Alice-pw-1", srv.vuid),
                              (a.name, a.password, a.uid)):
            f = srv.ftp(login=False)
            try:
                # a wrong password first, as a guesser would
                expect_code(lambda: f.login("bob", "wrong"), ("530",))
                check(f.login(name, pw).startswith("230"), f"{name} login")
                mon, user = session_process(srv, uid)
                check(user is not None, f"{name}'s user process not found")
                secrets = dict(others, **{"the password typed": pw})
                for what, pid in (("monitor", mon), ("user process", user)):
                    held = process_holds(pid, secrets)
                    check(not held, f"{name}'s {what} holds {held}")
                f.quit()
            finally:
                f.close()
