"""Accounts in LDAP (accounts = ldap): a real OpenLDAP slapd.

The account service (ftpd-accounts) searches the directory for each
login (ldap_filter with the name escaped per RFC 4515) and either binds
as the entry found with the client's password (ldap_auth = bind) or
hands its {CRYPT} userPassword to the authentication child (ldap_auth =
hash).  These tests start slapd on an ldapi:// socket in a temporary
directory (ldap_server.py) and drive real clients through ftpd: logins
and transfers in both modes, wrong passwords, the chain's fall-through,
filter injection, entries that must be refused (two for one name, uid 0,
no home, a hash scheme crypt(3) cannot check), a directory that is down
(421, then recovery without a restart) and one that hangs (the deadline).
"""

import contextlib
import ftplib
import io
import os
import subprocess
import time

from harness import (FTPD, REPO, Server, Skip, TestFailure, check, is_root,
                     run)
from ldap_server import LdapServer, posix_user, require_slapd
from test_accounts_sql import login_code, make_home, transfer_round_trip


def user(srv, name, password, **kw):
    """A posixAccount entry for name running as the test's virtual user,
    its home made under srv.homes (unless home= says otherwise)."""
    home = kw.pop("home", None)
    if home is None:
        home = make_home(srv, name)
    kw.setdefault("uid", srv.vuid)
    kw.setdefault("gid", srv.vgid)
    return posix_user(name, password, home, **kw)


def ldap_keys(ldap, mode, accounts="ldap", **more):
    keys = {"login_attempts": "100", "ban_after": "0"}
    keys.update(more)
    return ldap.ftpd_conf(accounts=accounts, ldap_auth=mode, **keys)


@contextlib.contextmanager
def ldap_ftpd(mode, entries, accounts="ldap", users=None, tls=False,
              **more):
    """(srv, ldap): slapd loaded with entries(srv), ftpd using it.
    entries is called with the not yet started Server, so entries can
    put their homes under srv.homes."""
    require_slapd()
    srv = Server(users=users)
    try:
        with LdapServer(entries(srv), tls=tls) as ldap:
            srv.keys.update(ldap_keys(ldap, mode, accounts, **more))
            with srv:
                yield srv, ldap
    finally:
        srv.cleanup(failed=False)


def wait_log(srv, needle, timeout=5):
    """The service logs through the master: its line may trail the
    reply by a moment."""
    deadline = time.monotonic() + timeout
    while needle not in srv.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    return needle in srv.log()


def refused_with(srv, name, password, needle):
    code, text = login_code(srv, name, password)
    check(code == 530, f"{name}: {code} {text!r}, expected 530")
    check(wait_log(srv, needle), f"{name}: no log line with {needle!r}")


# ----------------------------------------------------------- logins

def test_ldap_bind_login_transfer():
    """ldap_auth = bind: slapd checks the password; upload and download
    by SHA-256, with ftplib and curl."""
    with ldap_ftpd("bind", lambda s: [user(s, "alice", "a-pw")]) as (srv,
                                                                     ldap):
        transfer_round_trip(srv, "alice", "a-pw")
        check(wait_log(srv, "alice"), "no log line for alice")
        code, _ = login_code(srv, "alice", "a-pw")
        check(code == 230, f"second login gave {code}")


def test_ldap_hash_login_transfer():
    """ldap_auth = hash: the {CRYPT} userPassword, read with the service
    DN, checked by crypt(3) in the authentication child."""
    with ldap_ftpd("hash", lambda s: [user(s, "bob", "b-pw")]) as (srv,
                                                                   ldap):
        transfer_round_trip(srv, "bob", "b-pw")
        code, _ = login_code(srv, "bob", "b-pw")
        check(code == 230, f"second login gave {code}")


def test_ldap_wrong_password():
    """530 in both modes, and a wrong LDAP password does not fall
    through to a users_file account of the same name."""
    for mode in ("bind", "hash"):
        with ldap_ftpd(mode, lambda s: [user(s, "alice", "a-pw")],
                       accounts="ldap, file",
                       users={"alice": "file-pw"}) as (srv, ldap):
            refused_with(srv, "alice", "nope", "wrong password")
            code, _ = login_code(srv, "alice", "file-pw")
            check(code == 530, f"{mode}: the file's password let alice "
                  f"in past LDAP ({code})")
            code, _ = login_code(srv, "alice", "a-pw")
            check(code == 230, f"{mode}: the right password gave {code}")


def test_ldap_empty_password_never_binds():
    """An empty password would be an unauthenticated bind, which slapd
    answers with success: never sent, never 230."""
    with ldap_ftpd("bind", lambda s: [user(s, "alice", "a-pw")]) as (srv,
                                                                     ldap):
        with srv.raw() as c:
            code, _ = c.cmd("USER alice")
            check(code == 331, f"USER gave {code}")
            code, text = c.cmd("PASS")
            check(code != 230, f"empty PASS logged in: {text!r}")
        with srv.raw() as c:
            c.cmd("USER alice")
            code, text = c.cmd("PASS ")
            check(code != 230, f"'PASS ' logged in: {text!r}")


def test_ldap_unknown_falls_through():
    """A name the directory does not have is asked of the next source."""
    with ldap_ftpd("bind", lambda s: [user(s, "alice", "a-pw")],
                   accounts="ldap, file", users={"filer": "f-pw"}) as (
                       srv, ldap):
        code, _ = login_code(srv, "filer", "f-pw")
        check(code == 230, f"users_file account behind ldap gave {code}")
        code, _ = login_code(srv, "ghost", "x")
        check(code == 530, f"a name nobody has gave {code}")


def test_ldap_filter_template_checked_at_load():
    """ldap_filter knows %u and %% only: anything else stops ftpd -t at
    the line of the key (no slapd needed)."""
    import tempfile
    from harness import FTPD
    with tempfile.TemporaryDirectory(prefix="ftpd-ldapconf-") as d:
        conf = os.path.join(d, "ftpd.conf")
        base = ("tls = off\naccounts = ldap\nldap_uri = ldapi:///\n"
                "ldap_base = dc=x\n")
        for flt, ok in (("(uid=%s)", False), ("(uid=%u)%", False),
                        ("(|(uid=%u)(mail=%u@x))", True),
                        ("(&(uid=%u)(x=100%%))", True)):
            with open(conf, "w") as f:
                f.write(base + f"ldap_filter = {flt}\n")
            r = run([FTPD, "-t", "-f", conf], check_rc=False)
            if ok:
                check(r.returncode == 0, f"{flt!r} refused: {r.stderr}")
            else:
                check(r.returncode != 0, f"{flt!r} accepted")
                check(f"{conf}:5: ldap_filter:" in r.stderr,
                      f"{flt!r}: no FILE:LINE: ldap_filter error: "
                      f"{r.stderr!r}")


# -------------------------------------------------------- injection

INJECTIONS = ["*", "a*", "a*)(uid=*", "*)(|(uid=*", "alice)(uid=*",
              "*)(objectClass=*", "alice\\", "al\\2aice", "(uid=alice)"]


def test_ldap_filter_injection():
    """Filter syntax in USER is escaped (RFC 4515): with alice alone in
    the directory, an unescaped '*' would find her and let her password
    in under another name.  Every attempt is 530 and never alice."""
    for mode in ("bind", "hash"):
        with ldap_ftpd(mode, lambda s: [user(s, "alice", "a-pw")]) as (
                srv, ldap):
            # The danger is real: these filters, unescaped, find alice.
            raw = "(&(objectClass=posixAccount)(uid=a*)(uid=*))"
            check(len(ldap.search(raw)) == 1, "the unescaped filter "
                  "should have matched alice")
            for name in INJECTIONS:
                code, text = login_code(srv, name, "a-pw")
                check(code == 530, f"{mode}: USER {name!r} gave {code} "
                      f"{text!r}")
            log = srv.log()
            check("two entries" not in log, "an injected name matched "
                  "several entries")
            code, _ = login_code(srv, "alice", "a-pw")
            check(code == 230, f"{mode}: alice refused after the "
                  f"attempts: {code}")


# ----------------------------------------------------- bad entries

def test_ldap_two_entries_refused():
    """One uid in two OUs: the name is ambiguous, so refused (never the
    first one found), in both modes."""
    def entries(s):
        home = make_home(s, "dup")
        return [user(s, "dup", "d-pw", home=home),
                user(s, "dup", "d-pw", home=home, ou="others"),
                user(s, "solo", "s-pw")]
    for mode in ("bind", "hash"):
        with ldap_ftpd(mode, entries) as (srv, ldap):
            check(len(ldap.search("(uid=dup)")) == 2, "two entries")
            refused_with(srv, "dup", "d-pw", "two entries for dup")
            code, _ = login_code(srv, "solo", "s-pw")
            check(code == 230, f"{mode}: solo gave {code}")


def test_ldap_uid_zero_refused():
    """uidNumber 0 in the directory: the record is refused by the root
    side (acct_check), whatever the directory says."""
    for mode in ("bind", "hash"):
        with ldap_ftpd(mode, lambda s: [user(s, "zero", "z-pw", uid=0),
                                        user(s, "gzero", "g-pw", gid=0)]
                       ) as (srv, ldap):
            refused_with(srv, "zero", "z-pw", "zero: uid 0 may not log in")
            refused_with(srv, "gzero", "g-pw",
                         "gzero: gid 0 may not log in")


def test_ldap_missing_home_refused():
    """No homeDirectory attribute, two of them, or one naming a
    directory that does not exist: 530 with a log line naming it."""
    def entries(s):
        return [user(s, "nohome", "n-pw", omit=("homeDirectory",)),
                user(s, "twohomes", "t-pw",
                     extra={"homeDirectory": [str(s.homes / "other")]}),
                user(s, "gone", "g-pw", home=s.tmp / "missing"),
                user(s, "baduid", "b-pw", uid="12x")]
    with ldap_ftpd("hash", entries) as (srv, ldap):
        refused_with(srv, "nohome", "n-pw",
                     "attribute homeDirectory: missing from the entry")
        refused_with(srv, "twohomes", "t-pw",
                     "attribute homeDirectory: 2 values")
        refused_with(srv, "gone", "g-pw", "gone: home")
        refused_with(srv, "baduid", "b-pw", "attribute uidNumber:")


def test_ldap_hash_needs_crypt_scheme():
    """ldap_auth = hash reads only {CRYPT} (any case); {SSHA} or a clear
    text value is refused, naming the scheme and never the value."""
    def entries(s):
        from harness import crypt_hash
        return [user(s, "ssha", "x", password_value="{SSHA}c2VjcmV0c2FsdA=="),
                user(s, "plain", "x", password_value="clear-secret"),
                user(s, "lower", "l-pw",
                     password_value="{crypt}" + crypt_hash("l-pw"))]
    with ldap_ftpd("hash", entries) as (srv, ldap):
        refused_with(srv, "ssha", "x", "scheme {SSHA} is not supported")
        refused_with(srv, "plain", "clear-secret", "no {CRYPT} scheme")
        check("clear-secret" not in srv.log(), "a password in the log")
        code, _ = login_code(srv, "lower", "l-pw")
        check(code == 230, f"{{crypt}} in lower case gave {code}")


# ---------------------------------------------------------------- TLS

def restart_with(srv, **keys):
    srv.stop()
    srv.keys.update({k: str(v) for k, v in keys.items()})
    srv.start()


def test_ldap_starttls_and_ldaps():
    """ldap:// with ldap_starttls and ldaps://, the certificate checked
    (libldap's TLS_REQCERT demand, the CA from LDAPTLS_CACERT in the
    service's environment): logins and transfers work; a certificate
    the service does not trust is 421 naming the step, never 530 and
    never a clear text fall-back."""
    with ldap_ftpd("bind", lambda s: [user(s, "alice", "a-pw")],
                   tls=True) as (srv, ldap):
        os.environ["LDAPTLS_CACERT"] = str(ldap.cert)
        restart_with(srv, ldap_uri=ldap.tcp_uri, ldap_starttls="yes")
        transfer_round_trip(srv, "alice", "a-pw")
        restart_with(srv, ldap_uri=ldap.ldaps_uri, ldap_starttls="no")
        code, _ = login_code(srv, "alice", "a-pw")
        check(code == 230, f"ldaps:// gave {code}")
        check(login_code(srv, "alice", "bad")[0] == 530, "ldaps wrong pw")
        # Trust another certificate: the handshake must fail.
        other = srv.tmp / "other.pem"
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
             "/CN=localhost", "-keyout", srv.tmp / "other.key", "-out",
             other], timeout=60)
        os.environ["LDAPTLS_CACERT"] = str(other)
        for uri, starttls, step in ((ldap.tcp_uri, "yes", "starttls:"),
                                    (ldap.ldaps_uri, "no", "connect:")):
            restart_with(srv, ldap_uri=uri, ldap_starttls=starttls)
            code, _ = login_code(srv, "alice", "a-pw")
            check(code == 421, f"{uri}: an untrusted certificate gave "
                  f"{code}")
            check(wait_log(srv, "ldap: " + step),
                  f"{uri}: no log line naming {step}")


# ------------------------------------------------------------ outages

def wait_login(srv, name, password, within=30):
    deadline = time.monotonic() + within
    code = None
    while time.monotonic() < deadline:
        code, _ = login_code(srv, name, password)
        if code == 230:
            return code
        time.sleep(0.5)
    return code


def test_ldap_down_is_421_and_recovers():
    """slapd stopped: 421 (not 530), no failure counted toward bans or
    login_attempts; started again: logins work within 30 s, no restart
    of ftpd.  In both modes."""
    for mode in ("bind", "hash"):
        with ldap_ftpd(mode, lambda s: [user(s, "alice", "a-pw")],
                       login_attempts=1, ban_after=2) as (srv, ldap):
            check(login_code(srv, "alice", "a-pw")[0] == 230, "up")
            ldap.stop()
            for _ in range(3):
                code, text = login_code(srv, "alice", "a-pw")
                check(code == 421, f"{mode}: slapd down gave {code} "
                      f"{text!r}")
            check(wait_log(srv, "ldap:"), "no log line naming ldap")
            check("Can't contact LDAP server" in srv.log(),
                  "the log line lacks the error")
            ldap.start()
            code = wait_login(srv, "alice", "a-pw")
            check(code == 230, f"{mode}: not recovered within 30 s: "
                  f"{code}")
            check("banned" not in srv.log(), "the outage banned someone")


def test_ldap_restart_while_idle_is_transparent():
    """A pooled connection dropped while idle (slapd restarted between
    two logins) is reopened within the next login: no 421 for it."""
    with ldap_ftpd("bind", lambda s: [user(s, "alice", "a-pw")],
                   accounts_pool=1) as (srv, ldap):
        check(login_code(srv, "alice", "a-pw")[0] == 230, "first login")
        ldap.stop()
        ldap.start()
        code, text = login_code(srv, "alice", "a-pw")
        check(code == 230, f"after an idle restart: {code} {text!r}")


def test_ldap_hung_server_meets_the_deadline():
    """slapd stopped with SIGSTOP (accepts, never answers): 421 within
    accounts_timeout, and logins work again once it resumes."""
    with ldap_ftpd("hash", lambda s: [user(s, "alice", "a-pw")],
                   accounts_timeout=2, login_attempts=1,
                   ban_after=2) as (srv, ldap):
        check(login_code(srv, "alice", "a-pw")[0] == 230, "up")
        ldap.pause()
        try:
            t0 = time.monotonic()
            code, _ = login_code(srv, "alice", "a-pw")
            took = time.monotonic() - t0
            check(code == 421, f"hung slapd gave {code}")
            check(took < 6, f"the deadline was not kept: {took:.1f} s")
            # "search: Timed out" on a pooled connection, "bind: Timed
            # out" from a worker that connects for this login.
            check(wait_log(srv, ": Timed out") and "ldap: " in srv.log(),
                  "no log line for the timeout")
        finally:
            ldap.resume()
        code = wait_login(srv, "alice", "a-pw")
        check(code == 230, f"not recovered after SIGCONT: {code}")
        check("banned" not in srv.log(), "the outage banned someone")


def test_ldap_service_dn_wrong_password():
    """A wrong ldap_bind_password_file: the service cannot bind, which
    is the operator's problem, not the client's: 421 and a log line."""
    def entries(s):
        return [user(s, "alice", "a-pw")]
    with ldap_ftpd("bind", entries) as (srv, ldap):
        srv.stop()
        ldap.password_file.write_text("not-the-password\n")
        srv.start()
        code, _ = login_code(srv, "alice", "a-pw")
        check(code == 421, f"a service bind failure gave {code}")
        check(wait_log(srv, "bind: Invalid credentials"),
              "no log line for the service bind")


def test_ldap_runs_unprivileged():
    """The directory client runs in ftpd-accounts as account_user, never
    as root."""
    if not is_root():
        raise Skip("needs root (the service drops to account_user)")
    with ldap_ftpd("bind", lambda s: [user(s, "alice", "a-pw")]) as (srv,
                                                                     ldap):
        check(login_code(srv, "alice", "a-pw")[0] == 230, "login")
        from test_accounts_sql import SERVICE_UID, _children
        found = []
        for pid in _children(srv.proc.pid):
            try:
                exe = os.readlink(f"/proc/{pid}/exe")
            except OSError:
                continue
            if exe.endswith("ftpd-accounts"):
                found.append(pid)
                found += _children(pid)
        check(found, "no ftpd-accounts process")
        for pid in found:
            st = os.stat(f"/proc/{pid}")
            check(st.st_uid == SERVICE_UID, f"pid {pid} runs as uid "
                  f"{st.st_uid}")


# ------------------------------------------------------ plan values

PLAN_SCHEMA = REPO / "etc" / "ldap" / "ftpd-plan.ldif"
PLAN_MAP = ("quota_bytes=ftpdQuotaBytes, rate_down=ftpdRateDown, "
            "permissions=ftpdPermissions max_sessions=ftpdMaxSessions")


def plan_user(srv, name, password, **values):
    """An entry of class ftpdPlan (etc/ldap/ftpd-plan.ldif) carrying
    values: {attribute: value}."""
    extra = {"objectClass": ["ftpdPlan"]}
    extra.update({k: [v] for k, v in values.items()})
    return user(srv, name, password, extra=extra)


def test_ldap_plan_attributes():
    """ldap_attr_plan: an entry's attributes (the shipped schema) set
    its plan over the file's; an absent one keeps the file's value; a
    bad value refuses the login naming the attribute; ftpd -t -u shows
    where each value came from."""
    require_slapd()
    srv = Server(conf={"max_sessions": "7", "quota_bytes": "1G"})
    entries = [
        plan_user(srv, "reader", "r-pw", ftpdPermissions="read list"),
        plan_user(srv, "small", "s-pw", ftpdQuotaBytes="1000"),
        plan_user(srv, "broken", "b-pw", ftpdRateDown="fast"),
        user(srv, "plain", "p-pw"),
    ]
    try:
        with LdapServer(entries, schemas=[PLAN_SCHEMA]) as ldap:
            srv.keys.update(ldap_keys(ldap, "hash",
                                      ldap_attr_plan=PLAN_MAP))
            with srv:
                (srv.homes / "reader" / "in.txt").write_bytes(b"x" * 10)
                f = srv.ftp("reader", "r-pw")
                try:
                    check(f.nlst() == ["in.txt"], "reader cannot list")
                    try:
                        f.storbinary("STOR new.txt", io.BytesIO(b"abc"))
                        raise TestFailure("reader could STOR")
                    except ftplib.error_perm as e:
                        check(str(e).startswith("550"), f"reader: {e}")
                finally:
                    f.close()
                f = srv.ftp("small", "s-pw")
                try:
                    try:
                        f.storbinary("STOR big.bin",
                                     io.BytesIO(os.urandom(5000)))
                        raise TestFailure("small stored past its quota")
                    except ftplib.error_perm as e:
                        check(str(e).startswith("552"), f"small: {e}")
                finally:
                    f.close()
                transfer_round_trip(srv, "plain", "p-pw")
                refused_with(srv, "broken", "b-pw", "ftpdRateDown")
                r = subprocess.run([str(FTPD), "-f", str(srv.conf_path), "-t",
                                    "-u", "small"], capture_output=True,
                                   text=True, timeout=60)
                check(r.returncode == 0, f"-t -u small: {r.stderr}")
                lines = {ln.split(" = ")[0].strip(): ln
                         for ln in r.stdout.splitlines() if " = " in ln}
                check("1000" in lines.get("quota_bytes", "") and
                      "LDAP entry" in lines.get("quota_bytes", ""),
                      f"quota_bytes not from the entry:\n{r.stdout}")
                check("7" in lines.get("max_sessions", "") and
                      "LDAP entry" not in lines.get("max_sessions", ""),
                      f"max_sessions should be the file's:\n{r.stdout}")
    finally:
        srv.cleanup(failed=False)


def test_ldap_attr_plan_checked_at_load():
    """ftpd -t refuses a map naming no plan key, a key twice, or an
    attribute name that is not one."""
    srv = Server()
    try:
        for bad, why in (("quota=ftpdQuota", "not a plan key"),
                         ("rate_up=a, rate_up=b", "given twice"),
                         ("rate_up=(uid=*)", "not an attribute name"),
                         ("rate_up", "KEY=ATTRIBUTE")):
            srv.keys["ldap_attr_plan"] = bad
            srv._write_files()
            r = subprocess.run([str(FTPD), "-f", str(srv.conf_path), "-t"],
                               capture_output=True, text=True, timeout=30)
            check(r.returncode != 0 and why in r.stderr,
                  f"{bad!r}: exit {r.returncode}: {r.stderr}")
    finally:
        srv.cleanup(failed=False)
