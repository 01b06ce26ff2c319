"""test_accounts_pam.py - the pam source of the accounts chain.

Each test writes a PAM service file of its own, /etc/pam.d/ftpd-test-XXXX
(removed afterwards), points pam_service at it and logs real system
accounts (SystemUser) in through it.  Root only, and only where
/etc/pam.d exists (Linux-PAM reading per-service files).
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import (FTPD, REPO, Server, SystemUser, check, expect_code,
                     make_file, process_holds, require_root, retr_bytes,
                     session_process, sha256_bytes, sha256_file, stor_bytes,
                     Skip)

PAM_DIR = Path("/etc/pam.d")
UNIX_STACK = ("auth     required  pam_unix.so\n"
              "account  required  pam_unix.so\n")
DENY_STACK = ("auth     required  pam_deny.so\n"
              "account  required  pam_unix.so\n")


@contextlib.contextmanager
def pam_service(text):
    """A PAM service file holding text; yields its service name."""
    require_root("writing /etc/pam.d needs root")
    if not PAM_DIR.is_dir():
        raise Skip("no /etc/pam.d (Linux-PAM per-service files)")
    name = "ftpd-test-" + secrets.token_hex(4)
    path = PAM_DIR / name
    path.write_text("# written by test_accounts_pam.py, removed after it\n"
                    + text)
    try:
        yield name
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def pam_conf(service, chain="pam"):
    return {"accounts": chain, "pam_service": service}


def login_code(srv, user, password):
    """(code, text) of USER + PASS on a fresh control connection."""
    with srv.raw() as c:
        code, text = c.cmd(f"USER {user}")
        if code == 331:
            code, text = c.cmd(f"PASS {password}")
        return code, text


def wait_log(srv, needle, timeout=5):
    """True once needle is in the server log (the monitor may write its
    line after the reply)."""
    deadline = time.monotonic() + timeout
    while needle not in srv.log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_pam_login_and_transfer():
    """A system account through pam_unix: 230, chrooted in its home, an
    upload lands as the account's, a download is byte-exact."""
    with pam_service(UNIX_STACK) as svc, \
            Server(conf=pam_conf(svc)) as srv, SystemUser(srv.tmp) as u:
        want = make_file(u.home / "down.bin", 300000, seed=18)
        os.chown(u.home / "down.bin", u.uid, u.gid)
        up = os.urandom(200000)
        f = srv.ftp(login=False)
        try:
            check(f.login(u.name, u.password).startswith("230"),
                  "PAM login")
            check(f.pwd() == "/", f"not chrooted in the home: {f.pwd()!r}")
            got = retr_bytes(f, "down.bin")
            check(sha256_bytes(got) == want, "download differs")
            stor_bytes(f, "up.bin", up)
            f.quit()
        finally:
            f.close()
        st = os.stat(u.home / "up.bin")
        check(st.st_uid == u.uid and st.st_gid == u.gid,
              f"upload owned by {st.st_uid}:{st.st_gid}, not {u.uid}:{u.gid}")
        check(sha256_file(u.home / "up.bin") == sha256_bytes(up),
              "upload differs")


def test_pam_session_holds_no_secret():
    """PAM runs in the authentication child, which exits: neither the
    monitor nor the user process of a PAM session holds the password
    typed, the account's shadow hash or another account's (pam_unix read
    /etc/shadow)."""
    with pam_service(UNIX_STACK) as svc, \
            Server(conf=pam_conf(svc)) as srv, SystemUser(srv.tmp) as a, \
            SystemUser(srv.tmp) as b:
        with open("/etc/shadow") as f:
            shadow = {ln.split(":")[0]: ln.split(":")[1] for ln in f
                      if ":" in ln}
        secret = {"the password typed": a.password,
                  f"{a.name}'s hash": shadow[a.name],
                  f"{b.name}'s hash": shadow[b.name]}
        f = srv.ftp(login=False)
        try:
            expect_code(lambda: f.login(b.name, "wrong"), ("530",))
            check(f.login(a.name, a.password).startswith("230"), "login")
            mon, user = session_process(srv, a.uid)
            check(user is not None, "the user process not found")
            for what, pid in (("monitor", mon), ("user process", user)):
                held = process_holds(pid, secret)
                check(not held, f"the {what} holds {held}")
            f.quit()
        finally:
            f.close()


def test_pam_items():
    """Modules see the client's address as PAM_RHOST and "ftp" as
    PAM_TTY (pam_exec passes the items to a program as variables)."""
    env = shutil.which("env")
    if env is None:
        raise Skip("env(1) not found")
    out = Path(tempfile.mkdtemp(prefix="ftpd-pam-")) / "items"
    try:
        stack = (f"auth     optional  pam_exec.so quiet log={out} {env}\n"
                 + UNIX_STACK)
        with pam_service(stack) as svc, \
                Server(conf=pam_conf(svc)) as srv, \
                SystemUser(srv.tmp) as u:
            code, text = login_code(srv, u.name, u.password)
            check(code == 230, f"login: {code} {text!r}")
            items = out.read_text() if out.exists() else ""
            for want in ("PAM_RHOST=127.0.0.1", "PAM_TTY=ftp",
                         f"PAM_USER={u.name}", f"PAM_SERVICE={svc}"):
                check(want in items.splitlines(),
                      f"{want} not seen by the module: {items!r}")
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def test_pam_wrong_password():
    """A wrong password is 530, logged with PAM's reason."""
    with pam_service(UNIX_STACK) as svc, \
            Server(conf=pam_conf(svc)) as srv, SystemUser(srv.tmp) as u:
        code, text = login_code(srv, u.name, "not-" + u.password)
        check(code == 530, f"wrong password: {code} {text!r}")
        check(wait_log(srv, "Authentication failure"),
              "PAM's reason not in the log")
        code, text = login_code(srv, u.name, u.password)
        check(code == 230, f"right password after a wrong one: {code} "
              f"{text!r}")


def test_pam_unknown_user_falls_through_wrong_password_stops():
    """accounts = pam, file: a name PAM (passwd) does not know goes on to
    users_file; a system account's wrong password stops there, even when
    users_file has the same name with that password."""
    with pam_service(UNIX_STACK) as svc, SystemUser("/tmp") as u:
        with Server(users={"vera": "Vera-pw-18", u.name: "File-pw-18"},
                    conf=pam_conf(svc, "pam, file")) as srv:
            (srv.home("vera") / "v.bin").write_bytes(b"vera's file")
            srv.give("vera")
            f = srv.ftp("vera", "Vera-pw-18")
            try:
                check(retr_bytes(f, "v.bin") == b"vera's file",
                      "users_file user after pam")
                f.quit()
            finally:
                f.close()
            code, text = login_code(srv, u.name, "File-pw-18")
            check(code == 530, f"fell through to users_file after a wrong "
                  f"PAM password: {code} {text!r}")
            code, text = login_code(srv, u.name, u.password)
            check(code == 230, f"system account through PAM: {code} "
                  f"{text!r}")
            code, text = login_code(srv, "nobody-" + secrets.token_hex(3),
                                    "x")
            check(code == 530, f"unknown everywhere: {code} {text!r}")


def test_pam_expired_account():
    """pam_acct_mgmt refuses an expired account (chage -E 0) after a
    right password; clearing the date lets it in again."""
    with pam_service(UNIX_STACK) as svc, \
            Server(conf=pam_conf(svc)) as srv, SystemUser(srv.tmp) as u:
        subprocess.run(["chage", "-E", "0", u.name], check=True,
                       timeout=30, capture_output=True)
        code, text = login_code(srv, u.name, u.password)
        check(code == 530, f"expired account: {code} {text!r}")
        check(wait_log(srv, "pam_acct_mgmt"), "the refusing step not logged")
        check("expired" in srv.log(), "no 'expired' in the log")
        subprocess.run(["chage", "-E", "-1", u.name], check=True,
                       timeout=30, capture_output=True)
        code, text = login_code(srv, u.name, u.password)
        check(code == 230, f"not let in again: {code} {text!r}")


def test_pam_deny_stack():
    """A stack of pam_deny refuses the right password (530)."""
    with pam_service(DENY_STACK) as svc, \
            Server(conf=pam_conf(svc)) as srv, SystemUser(srv.tmp) as u:
        code, text = login_code(srv, u.name, u.password)
        check(code == 530, f"pam_deny: {code} {text!r}")


def test_pam_missing_service_file():
    """A pam_service without a file is the server's fault, not the
    client's: ftpd -t and the start refuse it, and a file removed while
    the server runs gives 421 and a log line naming it, and no login,
    although Linux-PAM would fall back to its "other" stack (Debian's
    lets common-auth decide, which would accept the password)."""
    require_root("PAM with pam_unix needs root")
    if not PAM_DIR.is_dir():
        raise Skip("no /etc/pam.d")
    svc = "ftpd-test-missing-" + secrets.token_hex(4)
    p = subprocess.run([str(FTPD), "-t", "-f", "/dev/null", "-o", "tls=off",
                        "-o", "accounts=pam", "-o", f"pam_service={svc}"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and f"no /etc/pam.d/{svc}" in p.stderr,
          f"ftpd -t accepted a missing service file: {p.stderr!r}")
    with pam_service(UNIX_STACK) as name:
        with Server(conf=pam_conf(name)) as srv, SystemUser(srv.tmp) as u:
            (PAM_DIR / name).unlink()
            code, text = login_code(srv, u.name, u.password)
            check(code == 421, f"missing service file: {code} {text!r}")
            check(wait_log(srv, f"no /etc/pam.d/{name}"),
                  "the missing file is not named in the log")


def test_pam_shipped_service_file():
    """etc/pam.d/ftpd as shipped (nologin, ftpusers, common-auth,
    common-account) logs a system account in and refuses a wrong
    password."""
    shipped = (REPO / "etc" / "pam.d" / "ftpd").read_text()
    if not (PAM_DIR / "common-auth").exists():
        raise Skip("no Debian common-auth")
    with pam_service(shipped) as svc, \
            Server(conf=pam_conf(svc)) as srv, SystemUser(srv.tmp) as u:
        code, text = login_code(srv, u.name, u.password)
        check(code == 230, f"shipped stack: {code} {text!r}")
        code, text = login_code(srv, u.name, "not-" + u.password)
        check(code == 530, f"shipped stack, wrong password: {code} "
              f"{text!r}")
