"""test_hardening.py - confinement, abuse, seccomp and fault tolerance.

(a) Confinement: a virtual user whose home holds symlinks planted to /etc,
/etc/passwd, ../../.. and / tries more than 40 ways out (.., /.., //,
literal %2e%2e, backslashes, 4 KiB paths, NUL bytes) with every path
command.  Each attempt must get one of the expected reply codes, no reply
or data connection may carry the real /etc/passwd, and nothing outside the
home may be created or changed.
(b) Abuse: bounce PORTs, a passive-port thief, 200 idle connections, brute
force and bans, a 1 MiB line, 10,000 pipelined NOOPs, and sessions under
the seccomp filter (plain and TLS; Seccomp: 2 in the user process).
(c) Faults: clients killed mid-transfer, a session SIGKILLed while others
transfer, a full disk (small tmpfs, root only), atomic uploads.
"""

import contextlib
import ftplib
import hashlib
import io
import os
import pwd
import signal
import socket
import subprocess
import threading
import time

from harness import (HOST, SLOW, check, child_pids, greeting_line, make_file,
                    process_holds, RawControl, recv_all, require_root,
                    require_tool, retr_bytes, run,
                    Server, session_process, sha256_bytes, sha256_file, Skip,
                    small_tmpfs, stor_bytes, SystemUser)

USER, PASS = "eve", "Eve-pw-2718"

with open("/etc/passwd", "rb") as _f:
    PASSWD = _f.read()
PASSWD_SHA = sha256_bytes(PASSWD)
PASSWD_STAT = os.stat("/etc/passwd")
MARKER = PASSWD.splitlines()[0]
PWN = "pwn-hardening"
PAYLOAD = b"owned-by-test-hardening\n"


# ---------------------------------------------------------------- helpers

def _resp(fn):
    """Run an ftplib call; return its reply text, or the error's."""
    try:
        r = fn()
    except ftplib.all_errors as e:
        r = str(e)
    return r if isinstance(r, str) else str(r)


def _clean(data, what):
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    check(MARKER not in data and b"root:x:0:0" not in data
          and PASSWD_SHA.encode() not in data,
          f"{what}: returned /etc/passwd content")


def _passwd_untouched():
    """Other tests may add accounts meanwhile, so look for what these
    sessions could have done: a chmod, an ownership change, our payload."""
    st = os.stat("/etc/passwd")
    check(st.st_mode == PASSWD_STAT.st_mode and
          st.st_uid == PASSWD_STAT.st_uid, "/etc/passwd mode/owner changed")
    with open("/etc/passwd", "rb") as f:
        check(PAYLOAD not in f.read(), "/etc/passwd written by a session")


def _snapshot(root, skip):
    """{path: (mode, size, mtime)} below root, skipping the paths in skip."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(dirpath, d) not in skip]
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            if p in skip:
                continue
            with contextlib.suppress(OSError):
                st = os.lstat(p)
                out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _plant(home):
    (home / "sub").mkdir(exist_ok=True)
    (home / "ok.txt").write_bytes(b"fine\n")
    (home / "victim.txt").write_bytes(b"victim\n")
    os.symlink("/etc", home / "etclink")
    os.symlink("/etc/passwd", home / "pw")
    os.symlink("../../..", home / "up")
    os.symlink("../../../../../../../..", home / "sub" / "up")
    os.symlink("/", home / "abs")


def _attempt(f, cmd, codes, log):
    """Send one command (no data connection); its code must be in codes."""
    r = _resp(lambda: f.sendcmd(cmd))
    log.append(cmd)
    _clean(r, cmd[:60])
    check(r[:3] in codes, f"{cmd[:80]!r}: expected {codes}, got {r[:120]!r}")
    return r


def _data(f, cmd, codes, log):
    """A data command: the reply code must be in codes, no passwd bytes."""
    chunks = []
    log.append(cmd)
    try:
        if cmd.startswith(("LIST", "NLST", "MLSD")):
            f.voidcmd("TYPE A")
            r = f.retrlines(cmd, chunks.append)
        else:
            f.voidcmd("TYPE I")
            r = f.retrbinary(cmd, chunks.append)
    except ftplib.all_errors as e:
        r = str(e)
    body = b"".join(c.encode() if isinstance(c, str) else c for c in chunks)
    _clean(body, cmd[:60])
    _clean(r, cmd[:60])
    check(r[:3] in codes, f"{cmd[:80]!r}: expected {codes}, got {r[:120]!r}")
    return body


def _stor(f, cmd, codes, log):
    log.append(cmd)
    r = _resp(lambda: f.storbinary(cmd, io.BytesIO(PAYLOAD)))
    check(r[:3] in codes, f"{cmd[:80]!r}: expected {codes}, got {r[:120]!r}")


# ---------------------------------------------------------------- (a)

NOPE = ("550", "553", "501", "450", "451", "504")


def _reads(f, log):
    paths = ["../../../etc/passwd", "/../../etc/passwd", "/etc/passwd",
             "//etc//passwd", "/./etc/./passwd", "etclink/passwd",
             "up/etc/passwd", "sub/up/etc/passwd", "abs/etc/passwd",
             "%2e%2e/%2e%2e/etc/passwd", "..\\..\\etc\\passwd",
             "\\etc\\passwd", "sub/../../../etc/passwd", "pw",
             "..%2f..%2fetc%2fpasswd", "/" + "../" * 1300 + "etc/passwd"]
    for p in paths:
        _data(f, f"RETR {p}", NOPE, log)
        r = _attempt(f, f"SIZE {p}", NOPE, log)
        check(r[4:].strip() != str(len(PASSWD)), f"SIZE {p}: {r!r}")
        _attempt(f, f"MDTM {p}", NOPE, log)
        _attempt(f, f"HASH {p}", NOPE + ("500", "502"), log)


def _lists(f, log):
    for p in ("/..", "../../..", "etclink", "etclink/", "up", "sub/up",
              "//", "/%2e%2e", "..\\..", "abs/etc"):
        for verb in ("LIST", "NLST", "MLSD"):
            body = _data(f, f"{verb} {p}", NOPE + ("226", "250"), log)
            names = set(body.decode("utf-8", "replace").split())
            real = {"passwd", "shadow", "fstab", "hostname", "proc", "usr",
                    "boot", "sbin"}
            check(len(names & real) < 2, f"{verb} {p} shows a real dir: "
                  f"{sorted(names)[:20]}")


def _cwds(f, log):
    for p in ("../../..", "/..", "//..//..", "%2e%2e", "..\\..", "up",
              "sub/up", "etclink", "abs", "abs/etc", "/" + "x/" * 2040):
        r = _resp(lambda: f.cwd(p))
        log.append(f"CWD {p}")
        check(r[:3] in ("250",) + NOPE, f"CWD {p[:60]}: {r[:100]!r}")
        pwd = _resp(f.pwd)
        _data(f, "RETR etc/passwd", NOPE, log)
        _data(f, "RETR passwd", NOPE, log)
        check(not pwd.startswith("/etc"), f"CWD {p} -> {pwd!r}")
        f.cwd("/")


def _writes(f, log):
    for p in (f"../../../tmp/{PWN}", f"/../{PWN}", f"etclink/{PWN}",
              f"up/{PWN}", f"sub/up/tmp/{PWN}", f"abs/etc/{PWN}",
              f"..\\..\\{PWN}", f"%2e%2e/%2e%2e/{PWN}"):
        # Writing inside the home is allowed; escaping is not.
        _stor(f, f"STOR {p}", NOPE + ("226", "250"), log)
        _attempt(f, f"MKD {p}d", NOPE + ("257",), log)
    _stor(f, "STOR pw", NOPE + ("226", "250"), log)
    _stor(f, "APPE etclink/passwd", NOPE, log)
    _attempt(f, "DELE etclink/passwd", NOPE, log)
    _attempt(f, "DELE ../../../etc/passwd", NOPE, log)
    _attempt(f, "RMD etclink", NOPE, log)
    _attempt(f, "RMD ../../..", NOPE, log)
    _attempt(f, "SITE CHMOD 777 etclink/passwd", NOPE + ("500", "502"), log)
    _attempt(f, "SITE CHMOD 777 abs/etc/passwd", NOPE + ("500", "502"), log)
    _attempt(f, "SITE CHMOD 777 sub/up", NOPE + ("200", "500", "502"), log)
    _attempt(f, "MFMT 20000101000000 etclink/passwd", NOPE + ("500",), log)
    r = _resp(lambda: f.sendcmd("RNFR etclink/passwd"))
    log.append("RNFR etclink/passwd")
    check(r[:3] in NOPE, f"RNFR etclink/passwd: {r!r}")
    for dst in (f"etclink/{PWN}", f"../../../etc/{PWN}",
                f"abs/etc/{PWN}", f"up/{PWN}"):
        r = _resp(lambda: f.sendcmd("RNFR victim.txt"))
        check(r[:3] == "350", f"RNFR victim.txt: {r!r}")
        _attempt(f, f"RNTO {dst}", NOPE + ("250",), log)
        with contextlib.suppress(ftplib.all_errors):
            f.sendcmd(f"RNFR {dst}")
            f.sendcmd("RNTO /victim.txt")


def _nul_and_long(srv, log):
    """NUL bytes and overlong lines, on a raw control connection."""
    with srv.raw() as c:
        check(c.cmd(f"USER {USER}")[0] == 331, "USER")
        check(c.cmd(f"PASS {PASS}")[0] == 230, "PASS")
        for line in (b"RETR pw\0.txt", b"CWD etclink\0", b"SIZE \0/etc/passwd",
                     b"MKD a\0b", b"DELE victim.txt\0../../x"):
            code, text = c.cmd(line)
            log.append(line.decode("latin-1"))
            _clean(text, "NUL line")
            check(code in (500, 501), f"{line!r}: {code} {text!r}")
        code, text = c.cmd("SIZE /" + "a/" * 2200 + "passwd")
        log.append("SIZE 4 KiB")
        check(code in (500, 501, 550, 553), f"4 KiB SIZE: {code}")
        code, text = c.cmd("NOOP")
        check(code == 200, f"NOOP after NUL lines: {code} {text!r}")


def _confinement(conf, anonymous=False):
    with Server(anonymous=anonymous, users={USER: PASS}, conf=conf) as srv:
        home = srv.anon_root if anonymous else srv.home(USER)
        _plant(home)
        srv.give(USER)
        (srv.tmp / "outside").mkdir()
        (srv.tmp / "outside" / "keep.txt").write_bytes(b"keep\n")
        skip = {str(srv.homes), str(srv.log_path), str(srv.run_dir)}
        before = _snapshot(srv.tmp, skip)
        log = []
        f = srv.ftp() if anonymous else srv.ftp(USER, PASS)
        try:
            _reads(f, log)
            _lists(f, log)
            _cwds(f, log)
            if not anonymous:
                _writes(f, log)
            check(f.voidcmd("NOOP")[:3] == "200", "session ended")
            f.quit()
        finally:
            f.close()
        if not anonymous:
            _nul_and_long(srv, log)
        check(len(log) >= 40, f"only {len(log)} attempts")
        print(f"{len(log)} escape attempts")
        _passwd_untouched()
        after = _snapshot(srv.tmp, skip)
        check(before == after, "outside the home changed: "
              f"{sorted(set(after.items()) ^ set(before.items()))[:5]}")
        for d in ("/", "/tmp", "/etc", str(srv.tmp), str(srv.homes)):
            check(not os.path.lexists(os.path.join(d, PWN)) and
                  not os.path.lexists(os.path.join(d, PWN + "d")),
                  f"{PWN} created in {d}")
        check(not [n for n in os.listdir("/etc") if n.startswith(PWN)],
              "a session created files in /etc")
        check((home / "victim.txt").exists() or
              any(p.name == "victim.txt" for p in home.rglob("victim.txt")),
              "victim.txt lost")


def test_confinement_escapes():
    _confinement({"chroot": "yes"})


def test_confinement_escapes_no_chroot():
    """With chroot = no an anonymous session is still confined, by the
    path resolver alone: the same read, list and CWD attempts."""
    _confinement({"chroot": "no"}, anonymous=True)


def test_no_chroot_account_sees_the_file_system():
    """chroot = no: a system account starts in its home, shown by its full
    path, and reaches the rest of the file system with its own
    permissions; virtual users (often one shared uid) and anonymous users
    stay confined."""
    with Server(system_users=True, users={USER: PASS},
                conf={"chroot": "no"}) as srv, \
            SystemUser(srv.tmp) as u:
        (u.home / "mine.txt").write_bytes(b"mine\n")
        os.chown(u.home / "mine.txt", u.uid, u.gid)
        (srv.tmp / "outside").mkdir()
        (srv.tmp / "outside" / "pub.txt").write_bytes(b"public\n")
        os.chmod(srv.tmp / "outside", 0o755)
        outside = f"{srv.tmp}/outside/pub.txt"
        f = srv.ftp(u.name, u.password)
        try:
            check(f.pwd() == str(u.home), f"PWD {f.pwd()!r}, not {u.home}")
            chunks = []
            f.retrbinary("RETR mine.txt", chunks.append)
            check(b"".join(chunks) == b"mine\n", "RETR in the home")
            chunks = []
            f.retrbinary(f"RETR {outside}", chunks.append)
            check(b"".join(chunks) == b"public\n", "RETR outside the home")
            f.cwd("/")
            check(f.pwd() == "/", "CWD /")
            r = _resp(lambda: f.storbinary(f"STOR /etc/{PWN}",
                                           io.BytesIO(PAYLOAD)))
            check(r[:3] in ("550", "553"), f"STOR into /etc: {r!r}")
            f.quit()
        finally:
            f.close()
        check(not os.path.lexists(f"/etc/{PWN}"), "wrote into /etc")
        srv.give(USER)
        for who in ((USER, PASS), ("anonymous", "guest@example.org")):
            f = srv.ftp(*who)
            try:
                check(f.pwd() == "/", f"{who[0]}: PWD {f.pwd()!r}")
                r = _resp(lambda: f.sendcmd(f"SIZE {outside}"))
                check(r[:3] == "550", f"{who[0]}: SIZE outside: {r!r}")
                f.quit()
            finally:
                f.close()


# ---------------------------------------------------------------- (b)

def _refused(f, cmd):
    """A bounce target: 504 (RFC 2577 section 3), not a syntax error."""
    r = _resp(lambda: f.sendcmd(cmd))
    check(r[:3] == "504", f"{cmd}: not refused with 504: {r!r}")


def test_port_bounce():
    with Server(users={USER: PASS}) as srv:
        f = srv.ftp(USER, PASS)
        try:
            _refused(f, "PORT 127,0,0,2,156,64")
            _refused(f, "EPRT |1|127.0.0.2|40000|")
            _refused(f, "PORT 127,0,0,1,0,22")
            _refused(f, "EPRT |1|127.0.0.1|22|")
            check(f.voidcmd("NOOP")[:3] == "200", "session lost")
        finally:
            f.close()


def test_pasv_thief():
    with Server(users={USER: PASS}) as srv:
        data = os.urandom(300000)
        (srv.home(USER) / "s.bin").write_bytes(data)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            f.voidcmd("TYPE I")
            host, port = f.makepasv()
            thief = socket.socket()
            thief.bind(("127.0.0.2", 0))
            thief.settimeout(5 * SLOW)
            with contextlib.suppress(OSError):
                thief.connect((host, port))
            real = socket.create_connection((host, port), timeout=30)
            f.putcmd("RETR s.bin")
            r = f.getresp()
            check(r[:3] in ("150", "125"), f"RETR {r!r}")
            stolen = recv_all(thief, tolerate_errors=True)
            check(stolen == b"", f"thief got {len(stolen)} bytes")
            got = recv_all(real)
            check(f.voidresp()[:3] == "226", "no 226")
            check(got == data, "real transfer corrupted")
        finally:
            f.close()


def test_idle_flood():
    # 200 idle sessions are 400 processes; under ASan each costs far more
    # memory, so that build uses fewer.
    n = 200 if SLOW == 1 else 60
    with Server(users={USER: PASS},
                conf={"max_clients": n + 20, "max_per_ip": n + 10,
                      "login_timeout": 60}) as srv:
        socks = []
        try:
            for _ in range(n):
                s = socket.create_connection((HOST, srv.port), timeout=30)
                socks.append(s)
            f = srv.ftp(USER, PASS)
            check(f.voidcmd("NOOP")[:3] == "200", "login under flood")
            stor_bytes(f, "x.bin", b"x" * 1000)
            check(retr_bytes(f, "x.bin") == b"x" * 1000, "transfer")
            f.quit()
            f.close()
        finally:
            for s in socks:
                s.close()


def _check_banned(srv):
    """The address is banned (421 at connect) within 15 s."""
    deadline = time.monotonic() + 15 * SLOW
    data = b""
    while time.monotonic() < deadline:
        data = greeting_line(srv.port)
        if data.startswith(b"421"):
            break
        time.sleep(0.3)
    check(data.startswith(b"421"), f"no ban after 3 failures: {data!r}")


def test_brute_force_and_ban():
    with Server(users={USER: PASS},
                conf={"login_attempts": 3, "ban_after": 3,
                      "ban_seconds": 60}) as srv:
        with srv.raw() as c:
            code = 0
            for i in range(3):
                c.cmd(f"USER {USER}")
                try:
                    code, _ = c.cmd(f"PASS wrong{i}")
                except EOFError:
                    break
                check(code in (530, 421), f"bad PASS {i}: {code}")
            check(c.closed(15), "session not closed after login_attempts")
        _check_banned(srv)


def test_long_password_counts_as_a_failure():
    """A PASS longer than any real password is a failed login like any
    other: answered 530 and counted towards ban_after (it used to end
    the monitor, whose exit status carries that count, so each session
    could hide its guesses behind one)."""
    with Server(users={USER: PASS},
                conf={"login_attempts": 3, "ban_after": 3,
                      "ban_seconds": 60}) as srv:
        with srv.raw() as c:
            c.cmd(f"USER {USER}")
            check(c.cmd("PASS wrong")[0] == 530, "first bad PASS")
            c.cmd(f"USER {USER}")
            code, text = c.cmd("PASS " + "x" * 4000)
            check(code == 530, f"4000-byte PASS: {code} {text!r}")
            c.cmd("QUIT")
        with srv.raw() as c:
            c.cmd(f"USER {USER}")
            check(c.cmd("PASS wrong")[0] == 530, "third bad PASS")
        _check_banned(srv)


def test_huge_line_and_pipelining():
    with Server(users={USER: PASS}) as srv:
        with srv.raw(timeout=60) as c:
            c.send(b"NOOP" + b"A" * (1 << 20) + b"\r\n")
            code, _ = c.reply()
            check(code == 500, f"1 MiB line: {code}")
            check(c.cmd("NOOP")[0] == 200, "NOOP after 1 MiB line")
            n = 10000
            sender = threading.Thread(
                target=c.send, args=(b"NOOP\r\n" * n,), daemon=True)
            sender.start()
            for i in range(n):
                code, _ = c.reply()
                check(code == 200, f"NOOP {i}: {code}")
            sender.join(30)
            check(c.cmd(f"USER {USER}")[0] == 331, "USER after NOOPs")
            check(c.cmd(f"PASS {PASS}")[0] == 230, "PASS after NOOPs")


def _epsv_connect(c):
    code, text = c.cmd("EPSV")
    check(code == 229, f"EPSV: {code} {text!r}")
    port = int(text.split("|||")[1].split("|")[0])
    return socket.create_connection((HOST, port), timeout=30 * SLOW)


def test_commands_queued_during_a_transfer_never_lost():
    """Commands sent during a transfer wait for its end and are all
    answered, in order, even more of them than the 128 KiB input buffer
    holds and with bare LF line ends (the queue used to grow by a CR per
    line and drop what no longer fit, unanswered)."""
    with Server() as srv:
        make_file(srv.anon_root / "big.bin", 64 << 20, seed=3)
        with srv.raw(timeout=60) as c:
            check(c.cmd("USER anonymous")[0] == 331, "USER")
            check(c.cmd("PASS a@b.c")[0] == 230, "PASS")
            c.cmd("TYPE I")
            d = _epsv_connect(c)
            check(c.cmd("RETR big.bin")[0] == 150, "RETR")
            c.send(b"NOOP\r\n" * 100)	# while the transfer is stuck
            time.sleep(0.5 * SLOW)
            got = recv_all(d)
            check(len(got) == 64 << 20, f"download: {len(got)} bytes")
            check(c.reply()[0] == 226, "RETR end")
            for i in range(100):
                check(c.reply()[0] == 200, f"queued NOOP {i}")
            # 200 KB of bare-LF commands: more than the queue's buffer.
            d = _epsv_connect(c)
            check(c.cmd("RETR big.bin")[0] == 150, "second RETR")
            c.send(b"NOOP\n" * 40000)
            time.sleep(0.5 * SLOW)
            got = recv_all(d)
            check(len(got) == 64 << 20, f"download 2: {len(got)} bytes")
            check(c.reply()[0] == 226, "second RETR end")
            for i in range(40000):
                code, text = c.reply()
                check(code == 200, f"queued NOOP {i}: {code} {text!r}")
            check(c.cmd("NOOP")[0] == 200, "NOOP after the queue")


def _user_pid(srv, uid):
    """The user process: a grandchild of the master running as uid."""
    return session_process(srv, uid)[1]


def _seccomp_mode(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Seccomp:"):
                return int(line.split()[1])
    return None


def _seccomp_usable():
    if os.environ.get("FTPD_ASAN"):
        raise Skip("sanitizer build skips seccomp (see ftpd/sandbox.c)")
    if _seccomp_mode(os.getpid()) is None:
        raise Skip("kernel without seccomp")


def test_seccomp_session():
    _seccomp_usable()
    require_tool("curl")
    with Server(users={USER: PASS}, tls="on",
                conf={"seccomp": "yes", "tls_reuse_required": "no"}) as srv:
        home = srv.home(USER)
        digest = make_file(home / "big.bin", 2 << 20, seed=7)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            pid = _user_pid(srv, srv.vuid)
            check(pid is not None, "user process not found")
            check(_seccomp_mode(pid) == 2, f"Seccomp of {pid} is not 2")
            check(sha256_bytes(retr_bytes(f, "big.bin")) == digest, "RETR")
            data = os.urandom(100000)
            stor_bytes(f, "u.bin", data)
            stor_bytes(f, "u.bin", data, cmd="APPE")
            check((home / "u.bin").read_bytes() == data * 2, "STOR+APPE")
            f.mkd("d")
            f.rename("u.bin", "d/v.bin")
            f.retrlines("MLSD d", lambda l: None)
            f.retrlines("LIST", lambda l: None)
            for c in ("SIZE d/v.bin", "MDTM d/v.bin", "HASH d/v.bin",
                      "SITE CHMOD 600 d/v.bin", "STAT", "FEAT",
                      "MFMT 20200101000000 d/v.bin", "AVBL"):
                _resp(lambda: f.sendcmd(c))
            f.set_pasv(False)
            check(sha256_bytes(retr_bytes(f, "big.bin")) == digest, "PORT")
            f.delete("d/v.bin")
            f.rmd("d")
            check(f.voidcmd("NOOP")[:3] == "200", "session died")
            f.quit()
        finally:
            f.close()
        t = ftplib.FTP_TLS(timeout=30)
        try:
            t.connect(HOST, srv.port)
            t.login(USER, PASS)
            t.prot_p()
            check(sha256_bytes(retr_bytes(t, "big.bin")) == digest,
                  "ftplib TLS RETR")
            mons = child_pids(srv.proc.pid)
            kids = [k for m in mons for k in child_pids(m)]
            check(len(kids) >= 2, f"no front and user processes: {kids}")
            for k in kids:
                check(_seccomp_mode(k) == 2, f"Seccomp of {k} is not 2")
        finally:
            t.close()
        out = srv.tmp / "tls.bin"
        run(["curl", "-sS", "--ssl-reqd", "-k", srv.url("big.bin", USER, PASS),
             "-o", out], timeout=60)
        check(sha256_file(out) == digest, "TLS download")
        run(["curl", "-sS", "--ssl-reqd", "-k", "-T", out,
             srv.url("t.bin", USER, PASS)], timeout=60)
        check(sha256_file(home / "t.bin") == digest, "TLS upload")
        check("killed by signal" not in srv.log(), "a session was killed")


def test_seccomp_off():
    _seccomp_usable()
    with Server(users={USER: PASS}, conf={"seccomp": "no"}) as srv:
        f = srv.ftp(USER, PASS)
        try:
            pid = _user_pid(srv, srv.vuid)
            check(pid is not None, "user process not found")
            check(_seccomp_mode(pid) == 0, "filter installed with seccomp=no")
        finally:
            f.close()


# ---------------------------------------------------------------- (c)

def _session_works(srv):
    f = srv.ftp(USER, PASS)
    try:
        stor_bytes(f, "probe.bin", b"probe")
        check(retr_bytes(f, "probe.bin") == b"probe", "probe transfer")
        f.quit()
    finally:
        f.close()


def test_client_killed_mid_transfer():
    with Server(users={USER: PASS}) as srv:
        make_file(srv.home(USER) / "big.bin", 32 << 20, seed=3)
        srv.give(USER)
        script = ("import ftplib,sys,os\n"
                  "f=ftplib.FTP();f.connect(sys.argv[1],int(sys.argv[2]))\n"
                  "f.login(sys.argv[3],sys.argv[4]);f.voidcmd('TYPE I')\n"
                  "c=f.transfercmd(sys.argv[5])\n"
                  "print('go',flush=True)\n"
                  "while True:\n"
                  "  c.recv(1024) if 'RETR' in sys.argv[5] else "
                  "c.sendall(os.urandom(65536))\n")
        for cmd in ("RETR big.bin", "STOR part.bin"):
            p = subprocess.Popen(["python3", "-c", script, HOST,
                                  str(srv.port), USER, PASS, cmd],
                                 stdout=subprocess.PIPE)
            try:
                check(p.stdout.readline().strip() == b"go", "client start")
                time.sleep(0.5)
            finally:
                p.kill()
                p.wait(10)
            _session_works(srv)
        check(srv.proc.poll() is None, "master died")


def _slow_retr(srv, path, results, key, started=None):
    """RETR path reading slowly (so transfers overlap); store its SHA-256
    or the error in results[key]."""
    try:
        f = srv.ftp(USER, PASS, timeout=60)
        h = hashlib.sha256()

        def chunk(b):
            # >= 8 ms per 64 KiB: 16 MiB lasts >= 2 s, longer than the
            # 0.3 s x SLOW the caller waits before killing the victim
            h.update(b)
            time.sleep(0.008)
        if started is not None:
            started.set()
        f.retrbinary(f"RETR {path}", chunk, blocksize=65536)
        results[key] = h.hexdigest()
        f.quit()
        f.close()
    except Exception as e:  # noqa: BLE001 - reported by the caller
        results[key] = repr(e)


def test_sigkill_one_session():
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        digest = make_file(home / "f.bin", 16 << 20, seed=5)
        srv.give(USER)
        results = {}
        started = threading.Event()
        victim = threading.Thread(target=_slow_retr, daemon=True,
                                  args=(srv, "f.bin", results, "victim",
                                        started))
        victim.start()
        check(started.wait(30 * SLOW), "victim did not log in")
        vpid = _user_pid(srv, srv.vuid)
        check(vpid is not None, "victim's user process not found")
        threads = [threading.Thread(target=_slow_retr, daemon=True,
                                    args=(srv, "f.bin", results, i))
                   for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.3 * SLOW)
        check("victim" not in results, "victim finished too early")
        os.kill(vpid, signal.SIGKILL)
        for t in threads + [victim]:
            t.join(60 * SLOW)
        check(results.get("victim") != digest, "victim was not cut off")
        for i in range(4):
            check(results.get(i) == digest, f"worker {i}: {results.get(i)}")
        _session_works(srv)
        check(srv.proc.poll() is None, "master died")


def _gone(pid):
    """True when pid has exited (a zombie nobody reaps counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return True
    return st[st.rindex(")") + 2] == "Z"


def test_master_stop_ends_sessions():
    """SIGTERM to the master must end every session process: the monitors
    die, and their front and user processes with them, not serve on as
    orphans (found with ftpd's own benchmark, where logged-in sessions
    outlived a stopped master)."""
    with Server(users={USER: PASS}, tls="on",
                conf={"tls_reuse_required": "no"}) as srv:
        srv.give(USER)
        plain = srv.ftp(USER, PASS)
        tls = ftplib.FTP_TLS(timeout=30)
        tls.connect(HOST, srv.port)
        tls.login(USER, PASS)
        tls.prot_p()
        try:
            mons = child_pids(srv.proc.pid)
            kids = [k for m in mons for k in child_pids(m)]
            # plain: monitor + user; TLS: monitor + front + user
            check(len(mons) == 2 and len(kids) == 3,
                  f"monitors {mons}, their children {kids}")
            os.kill(srv.proc.pid, signal.SIGTERM)
            srv.proc.wait(10 * SLOW)
            deadline = time.monotonic() + 10 * SLOW
            while time.monotonic() < deadline and \
                    not all(_gone(p) for p in mons + kids):
                time.sleep(0.05)
            left = [p for p in mons + kids if not _gone(p)]
            check(not left, f"session processes outlived the master: {left}")
            # Each client hears 421, then the connection ends.
            for name, c in (("plain", plain), ("TLS", tls)):
                c.sock.settimeout(5 * SLOW)
                end, closed = b"", False
                try:
                    for _ in range(100):
                        chunk = c.sock.recv(4096)
                        if not chunk:
                            closed = True
                            break
                        end += chunk
                except TimeoutError:
                    pass
                except (OSError, ValueError):
                    closed = True       # reset, or TLS ended without notify
                check(closed, f"{name} control connection still open")
                check(end in (b"", b"421 Service shutting down, closing "
                              b"control connection.\r\n"),
                      f"{name} control connection: {end!r}")
        finally:
            plain.close()
            tls.close()


def test_disk_full():
    with Server(users={USER: PASS}) as srv, \
            small_tmpfs(srv.home(USER) / "small") as small:
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            f.voidcmd("TYPE I")
            conn = f.transfercmd("STOR small/big.bin")
            with contextlib.suppress(OSError):
                conn.sendall(os.urandom(3 << 20))
            conn.close()
            r = _resp(f.getresp)
            check(r[:3] in ("452", "552", "451"),
                  f"disk full: {r!r}")
            left = [x.name for x in small.iterdir()]
            check(left == [], f"partial files left: {left}")
            check(f.voidcmd("NOOP")[:3] == "200", "session ended")
            stor_bytes(f, "small/ok.bin", b"ok")
            check((small / "ok.bin").read_bytes() == b"ok", "small STOR")
            f.quit()
        finally:
            f.close()


def test_atomic_upload_visibility():
    with Server(users={USER: PASS}, conf={"atomic_uploads": "yes"}) as srv:
        home = srv.home(USER)
        old = b"old content\n"
        (home / "doc.bin").write_bytes(old)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        try:
            f.voidcmd("TYPE I")
            for name, before in (("doc.bin", old), ("new.bin", None)):
                conn = f.transfercmd(f"STOR {name}")
                new = os.urandom(1 << 20)
                conn.sendall(new[:600000])
                time.sleep(0.5 * SLOW)
                target = home / name
                if before is None:
                    check(not target.exists(), f"{name} visible mid-upload")
                else:
                    check(target.read_bytes() == before,
                          f"{name} changed mid-upload")
                conn.sendall(new[600000:])
                conn.close()
                check(f.voidresp()[:3] == "226", "no 226")
                check(target.read_bytes() == new, f"{name} after upload")
            temps = [x.name for x in home.iterdir()
                     if x.name not in ("doc.bin", "new.bin")]
            check(temps == [], f"temporary files left: {temps}")
        finally:
            f.close()


def test_command_rate_limit():
    """max_commands_per_second slows a flood down without dropping any
    command: 60 pipelined NOOPs at 20/s span three one-second windows (at
    least two boundaries, so > 1 s; unthrottled they take milliseconds)
    and all get 200."""
    with Server(conf={"max_commands_per_second": 20}) as srv:
        c = RawControl(HOST, srv.port)
        check(c.reply()[0] == 220, "no greeting")
        t0 = time.time()
        c.send(b"NOOP\r\n" * 60)
        codes = [c.reply()[0] for _ in range(60)]
        took = time.time() - t0
        check(codes == [200] * 60, f"replies: {codes}")
        check(took >= 1.0, f"60 commands at 20/s took only {took:.2f} s")
        check(took < 30, f"throttled far too much: {took:.2f} s")
        c.close()


def test_symlink_swapped_during_transfer():
    """A file replaced by a symlink to /etc/passwd while it is being sent:
    the running transfer keeps the file it opened, and the next RETR of
    the name resolves the link beneath the root (550), never to /etc."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        digest = make_file(home / "swap.bin", 16 << 20, seed=9)
        srv.give(USER)
        results = {}
        started = threading.Event()
        t = threading.Thread(target=_slow_retr, daemon=True,
                             args=(srv, "swap.bin", results, "slow",
                                   started))
        t.start()
        check(started.wait(30 * SLOW), "did not log in")
        time.sleep(0.3 * SLOW)
        tmp = home / "swap.tmp"
        os.symlink("/etc/passwd", tmp)
        os.replace(tmp, home / "swap.bin")
        t.join(60 * SLOW)
        check(results.get("slow") == digest,
              f"running transfer changed: {results.get('slow')}")
        f = srv.ftp(USER, PASS)
        try:
            got = io.BytesIO()
            try:
                f.retrbinary("RETR swap.bin", got.write)
                code = "226"
            except ftplib.error_perm as e:
                code = str(e)[:3]
            check(MARKER not in got.getvalue(), "/etc/passwd was served")
            check(code == "550", f"RETR of the swapped link: {code}")
        finally:
            f.close()


def _fd_targets(pid):
    """{fd: what it points at} of pid, from /proc."""
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
    return out


def test_session_processes_hold_no_logs_or_password():
    """The front and the user process run with less privilege than the
    monitor: they must hold neither the server's log files (a forged
    line would look like the monitor's) nor, for the TLS front that
    relays on after login, the password typed."""
    require_root("the session processes run as other users")
    pw = "Front-Secret-pw-9137"
    srv = Server(users={USER: pw}, tls="on")
    xferlog = srv.tmp / "xferlog"
    logfile = srv.tmp / "server.log"
    srv.keys.update(xferlog=str(xferlog), log=str(logfile))
    with srv:
        ctx = __import__("ssl")._create_unverified_context()
        f = ftplib.FTP_TLS(context=ctx, timeout=30 * SLOW)
        try:
            f.connect(HOST, srv.port)
            f.login(USER, pw)
            f.prot_p()
            f.voidcmd("NOOP")
            mon, user = session_process(srv, srv.vuid)
            nobody = pwd.getpwnam("nobody").pw_uid
            front = session_process(srv, nobody)[1]
            check(user is not None and front is not None,
                  f"session processes: user {user}, front {front}")
            for what, pid in (("front", front), ("user process", user)):
                fds = _fd_targets(pid)
                logs = {fd: t for fd, t in fds.items()
                        if t in (str(xferlog), str(logfile)) or
                        t.startswith("socket:") and fd in (1, 2)}
                check(not logs, f"the {what} holds log files: {logs}")
                check(fds.get(1) == "/dev/null", f"{what} stdout: {fds}")
                if not os.environ.get("FTPD_ASAN"):
                    check(fds.get(2) == "/dev/null",
                          f"{what} stderr: {fds}")
            held = process_holds(front, {"the password": pw})
            check(not held, f"the TLS front holds {held} after login")
            # Only the monitor wrote the lines of this session.
            check("login ok: user " + USER in logfile.read_text(),
                  "login not logged")
        finally:
            with contextlib.suppress(Exception):
                f.quit()
            f.close()
