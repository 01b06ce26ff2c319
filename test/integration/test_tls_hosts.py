"""test_tls_hosts.py - TLS per host (SNI, HOST) and TLS client certificates.

A test CA made with the openssl CLI (`openssl ca`, so certificates can be
back-dated, revoked and listed in a CRL) signs the server certificates of
the main settings and of each [host NAME] section, and the clients'
certificates.  The certificate a client is shown is read back with
`openssl s_client` (and Python's ssl for HOST before AUTH without SNI) and
checked by subject and serial; curl and lftp connect by host name and
verify it against the CA, so they fail unless the right certificate came.
"""

import ftplib
import functools
import os
import re
import signal
import ssl
import tempfile
import time
from pathlib import Path

from harness import (FTPD, HOST, SLOW, Server, TestFailure, check,
                     child_pids, process_holds, require_root, require_tool,
                     run, session_process)

USER, PASS = "alice", "Al1ce-pw"
CAROL, CAROL_PASS = "carol", "Car0l-pw"
EMAIL_USER = "erin@example.com"

CA_CNF = """[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}/new
certificate = {d}/{name}.pem
private_key = {d}/{name}.key
serial = {d}/serial
crlnumber = {d}/crlnumber
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
"""


class CA:
    """A CA in directory d (openssl ca): issue, revoke, CRL."""

    def __init__(self, d, name):
        self.d = Path(d)
        self.name = name
        self.d.mkdir(parents=True, exist_ok=True)
        (self.d / "new").mkdir(exist_ok=True)
        (self.d / "index.txt").write_text("")
        (self.d / "serial").write_text("1000\n")
        (self.d / "crlnumber").write_text("1000\n")
        self.cnf = self.d / "ca.cnf"
        self.cnf.write_text(CA_CNF.format(d=self.d, name=name))
        self.cert = self.d / f"{name}.pem"
        self.key = self.d / f"{name}.key"
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
             f"/CN={name}", "-keyout", self.key, "-out", self.cert],
            timeout=60)

    def issue(self, stem, cn, san=None, start=None, end=None):
        """(cert, key) paths for CN=cn (subjectAltName san)."""
        key, csr = self.d / f"{stem}.key", self.d / f"{stem}.csr"
        cert = self.d / f"{stem}.pem"
        args = ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={cn}",
                "-keyout", key, "-out", csr]
        if san:
            args += ["-addext", f"subjectAltName={san}"]
        run(args, timeout=60)
        args = ["openssl", "ca", "-batch", "-notext", "-config", self.cnf,
                "-in", csr, "-out", cert]
        if start:
            args += ["-startdate", start, "-enddate", end]
        run(args, timeout=60)
        os.chmod(key, 0o600)
        return cert, key

    def revoke(self, cert):
        run(["openssl", "ca", "-config", self.cnf, "-revoke", cert],
            timeout=60)

    def crl(self):
        out = self.d / "crl.pem"
        run(["openssl", "ca", "-config", self.cnf, "-gencrl", "-out", out],
            timeout=60)
        return out


def _pki(tmp):
    require_tool("openssl")
    ca = CA(tmp / "ca", "Test Hosts CA")
    certs = {
        "main": ca.issue("main", "main.example",
                         "DNS:main.example"),
        "a": ca.issue("a", "a.example.com", "DNS:a.example.com"),
        "b": ca.issue("b", "b.example.com", "DNS:b.example.com"),
        "wild": ca.issue("wild", "*.wild.example.com",
                         "DNS:*.wild.example.com"),
        "localhost": ca.issue("localhost", "localhost", "DNS:localhost"),
    }
    return ca, certs


def _host_sections(certs, names=("a", "b", "wild", "localhost")):
    cn = {"a": "a.example.com", "b": "b.example.com",
          "wild": "*.wild.example.com", "localhost": "localhost"}
    text = ""
    for n in names:
        c, k = certs[n]
        text += (f"\n[host {cn[n]}]\nbanner = host {n}\ntls_cert = {c}\n"
                 f"tls_key = {k}\n")
        if n == "b":
            text += "tls_ciphers = ECDHE+CHACHA20\n"
    # A section without a certificate of its own: the main one.
    text += "\n[host plain.example.com]\nbanner = host plain\n"
    # TLS off for one host, required for another.
    text += "\n[host off.example.com]\ntls = off\n"
    text += "\n[host req.example.com]\ntls = required\n"
    return text


def _server(certs, extra="", **kw):
    c, k = certs["main"]
    conf = {"tls_cert": c, "tls_key": k}
    conf.update(kw.pop("conf", {}))
    kw.setdefault("users", {USER: PASS})
    srv = Server(tls="on", conf=conf, **kw)
    srv.extra_text = extra + _host_sections(certs)
    return srv


def _s_client(port, name=None, starttls=True, extra=()):
    """The certificate the server shows: (subject, serial) or None."""
    args = ["openssl", "s_client", "-connect", f"{HOST}:{port}"]
    if starttls:
        args += ["-starttls", "ftp"]
    args += ["-servername", name] if name else ["-noservername"]
    p = run(args + list(extra), timeout=30, input=b"", check_rc=False)
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE"
                    r"-----", p.stdout, re.S)
    if pem is None:
        return None
    x = run(["openssl", "x509", "-noout", "-subject", "-serial"],
            input=pem.group(0), timeout=30)
    out = x.stdout
    subj = re.search(r"subject=.*?CN\s*=\s*(\S+)", out).group(1)
    serial = re.search(r"serial=(\w+)", out).group(1)
    return subj, serial


def _der_subject(der):
    x = run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"],
            input=der, timeout=30)
    return re.search(r"CN\s*=\s*(\S+)", x.stdout).group(1)


def _ctx(ca, cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(ca.cert))
    ctx.check_hostname = False
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS that resumes the control connection's TLS session on each
    data connection (tls_reuse_required)."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=None,
                                            session=self.sock.session)
        return conn, size


def _ftps(srv, ca, sni=None, cert=None, host_cmd=None):
    """FTP_TLS after AUTH TLS with SNI sni (None: none sent), HOST
    host_cmd sent first if given."""
    f = ReuseFTP_TLS(context=_ctx(ca, cert), timeout=30 * SLOW)
    f.connect(HOST, srv.port)
    if host_cmd:
        f.sendcmd(f"HOST {host_cmd}")
    f.host = sni  # ftplib passes self.host as the server name
    f.auth()
    f.host = HOST
    return f


def _curl(ca, url, name, port, *args, user=USER, password=PASS):
    return run(["curl", "-sS", "--ssl-reqd", "--cacert", str(ca.cert),
                "--resolve", f"{name}:{port}:{HOST}", "--user",
                f"{user}:{password}", *args, url], timeout=60,
               check_rc=False)


def _in_tmp(fn):
    """Run fn(tmp) with a fresh temporary directory, removed after."""
    @functools.wraps(fn)
    def wrapper():
        with tempfile.TemporaryDirectory(prefix="ftpd-tlshosts-") as d:
            os.chmod(d, 0o755)
            return fn(Path(d))
    return wrapper


# ------------------------------------------------------------ SNI and HOST

@_in_tmp
def test_sni_selects_host_certificate(tmp):
    """The SNI name selects the [host] section's certificate: exact names
    (any case), one wildcard label, none (the main certificate), a name
    of no section (the main one), explicit and implicit FTPS; curl and
    lftp verify the name they connect to against the CA."""
    ca, certs = _pki(tmp)
    with _server(certs, implicit_tls=True) as srv:
        want = [("a.example.com", "a.example.com"),
                ("B.Example.COM", "b.example.com"),
                ("x.wild.example.com", "*.wild.example.com"),
                ("wild.example.com", "main.example"),
                ("a.b.wild.example.com", "main.example"),
                ("plain.example.com", "main.example"),
                ("nosuch.example.org", "main.example"),
                (None, "main.example")]
        for name, cn in want:
            got = _s_client(srv.port, name)
            check(got is not None and got[0] == cn,
                  f"explicit SNI {name}: got {got}, want {cn}")
        for name, cn in (("a.example.com", "a.example.com"),
                         ("y.wild.example.com", "*.wild.example.com"),
                         (None, "main.example")):
            got = _s_client(srv.tls_port, name, starttls=False)
            check(got is not None and got[0] == cn,
                  f"implicit SNI {name}: got {got}, want {cn}")
        # The SNI name chooses the session's host too: its banner and
        # login, without any HOST.
        for name in ("a.example.com", "b.example.com"):
            p = _curl(ca, f"ftp://{name}:{srv.port}/", name, srv.port,
                      "--list-only")
            check(p.returncode == 0, f"curl {name}: {p.returncode} "
                  f"{p.stderr!r}")
        p = _curl(ca, f"ftps://x.wild.example.com:{srv.tls_port}/",
                  "x.wild.example.com", srv.tls_port, "--list-only")
        check(p.returncode == 0, f"curl implicit wildcard: {p.returncode} "
              f"{p.stderr!r}")
        # The same curl without per-host certificates would fail: the main
        # certificate does not name a.example.com.
        p = _curl(ca, f"ftp://main.example:{srv.port}/", "main.example",
                  srv.port, "--list-only")
        check(p.returncode == 0, f"curl main: {p.returncode} {p.stderr!r}")
        _lftp_localhost(srv, ca)


def _lftp_localhost(srv, ca):
    """lftp has no --resolve; localhost resolves without DNS, so the
    [host localhost] section stands for a customer's domain: lftp checks
    the certificate it is shown against that name."""
    require_tool("lftp")
    script = (f"set ssl:ca-file {ca.cert}; set ssl:check-hostname yes; "
              "set ssl:verify-certificate yes; set ftp:ssl-force yes; "
              "set ftp:ssl-protect-data yes; set net:max-retries 1; "
              "set net:timeout 20; "
              f"open -u {USER},{PASS} ftp://localhost:{srv.port}; cls -1")
    p = run(["lftp", "-c", script], timeout=60, check_rc=False)
    check(p.returncode == 0, f"lftp localhost: {p.returncode} "
          f"{p.stderr!r}")


@_in_tmp
def test_host_and_sni_rules(tmp):
    """HOST before AUTH without SNI selects the host's certificate; SNI
    and HOST that disagree are refused: HOST after the handshake with 504,
    SNI after HOST with the handshake (unrecognized_name)."""
    ca, certs = _pki(tmp)
    with _server(certs) as srv:
        # HOST then AUTH, no SNI: the host's certificate.
        f = _ftps(srv, ca, sni=None, host_cmd="b.example.com")
        check(_der_subject(f.sock.getpeercert(True)) == "b.example.com",
              "HOST b before AUTH without SNI: not b's certificate")
        f.login(USER, PASS)
        f.quit()
        # HOST then AUTH with the same name: fine.
        f = _ftps(srv, ca, sni="a.example.com", host_cmd="a.example.com")
        check(_der_subject(f.sock.getpeercert(True)) == "a.example.com",
              "HOST a + SNI a: not a's certificate")
        f.quit()
        # HOST a then SNI b: the handshake is refused.
        try:
            f = _ftps(srv, ca, sni="b.example.com", host_cmd="a.example.com")
        except (ssl.SSLError, ConnectionError, OSError) as e:
            check("UNRECOGNIZED_NAME" in str(e).upper() or
                  "ALERT" in str(e).upper(), f"HOST a + SNI b: {e!r}")
        else:
            f.close()
            raise TestFailure("HOST a + SNI b: handshake not refused")
        # SNI a, then HOST b: 504; HOST a: 220.
        f = _ftps(srv, ca, sni="a.example.com")
        try:
            f.sendcmd("HOST b.example.com")
        except ftplib.error_perm as e:
            check(str(e).startswith("504"), f"HOST b after SNI a: {e}")
        else:
            raise TestFailure("HOST b after SNI a accepted")
        r = f.sendcmd("HOST A.example.com")
        check(r.startswith("220") and "host a" in r,
              f"HOST a after SNI a: {r!r}")
        f.login(USER, PASS)
        f.quit()
        # SNI of no section: the main certificate; a HOST then names
        # another host than the handshake did.
        f = _ftps(srv, ca, sni="nosuch.example.org")
        check(_der_subject(f.sock.getpeercert(True)) == "main.example",
              "SNI of no section: not the main certificate")
        try:
            f.sendcmd("HOST a.example.com")
        except ftplib.error_perm as e:
            check(str(e).startswith("504"), f"HOST after unknown SNI: {e}")
        else:
            raise TestFailure("HOST a after an SNI of no section accepted")
        f.close()
        # No SNI, no HOST before AUTH: the main certificate, and HOST
        # after it is allowed (RFC 7151: HOST before USER).
        f = _ftps(srv, ca, sni=None)
        check(_der_subject(f.sock.getpeercert(True)) == "main.example",
              "no SNI: not the main certificate")
        r = f.sendcmd("HOST b.example.com")
        check(r.startswith("220"), f"HOST b after AUTH without SNI: {r!r}")
        f.quit()
        # tls_ciphers per host (TLS 1.2; TLS 1.3 suites are fixed).
        for name, cipher in (("a.example.com", "AES"),
                             ("b.example.com", "CHACHA20")):
            p = run(["openssl", "s_client", "-connect", f"{HOST}:{srv.port}",
                     "-starttls", "ftp", "-tls1_2", "-servername", name],
                    input=b"", timeout=30, check_rc=False)
            m = re.search(r"Cipher is (\S+)", p.stdout)
            check(m is not None and cipher in m.group(1),
                  f"{name}: TLS 1.2 cipher {m and m.group(1)}, want "
                  f"{cipher}")
        # tls = off for a host: AUTH after its HOST is 502, and its SNI
        # name ends the handshake; tls = required: no plain login.
        c = srv.raw()
        code, _ = c.cmd("HOST off.example.com")
        check(code == 220, f"HOST off: {code}")
        code, text = c.cmd("AUTH TLS")
        check(code == 502, f"AUTH on a tls = off host: {code} {text}")
        c.close()
        check(_s_client(srv.port, "off.example.com") is None,
              "SNI of a tls = off host accepted")
        c = srv.raw()
        c.cmd("HOST req.example.com")
        code, text = c.cmd(f"USER {USER}")
        check(code == 530, f"plain USER on a tls = required host: {code}")
        c.close()
        # A server name that is no host name is refused (sent raw by
        # s_client; Python's ssl refuses to send it).
        got = _s_client(srv.port, "bad_name!.example.com")
        check(got is None, f"invalid SNI accepted: {got}")
        check("refused a server name that is no host name" in srv.log(),
              "invalid SNI not logged")


@_in_tmp
def test_broken_host_certificate_refused_at_start(tmp):
    """ftpd -t (and so the start) refuses a host whose key does not match
    its certificate, naming the host and the file; tls_cert without
    tls_key in a section; tls on in a section with tls off globally."""
    ca, certs = _pki(tmp)
    srv = _server(certs)
    try:
        akey = certs["a"][1]
        srv.extra_text = srv.extra_text.replace(f"tls_key = {akey}",
                                                f"tls_key = {certs['b'][1]}")
        srv._write_files()
        p = run([str(FTPD), "-t", "-f", srv.conf_path], check_rc=False,
                timeout=30)
        check(p.returncode != 0 and "[host a.example.com]" in p.stderr and
              "does not match" in p.stderr, f"mismatched key: "
              f"{p.returncode} {p.stderr!r}")
        srv.extra_text = "\n[host x.example.com]\ntls_cert = " + \
            f"{certs['a'][0]}\ntls_key =\n"
        srv._write_files()
        p = run([str(FTPD), "-t", "-f", srv.conf_path], check_rc=False,
                timeout=30)
        check(p.returncode != 0 and "go together" in p.stderr,
              f"cert without key: {p.returncode} {p.stderr!r}")
        srv.keys["tls"] = "off"
        srv.extra_text = "\n[host x.example.com]\ntls = on\n"
        srv._write_files()
        p = run([str(FTPD), "-t", "-f", srv.conf_path], check_rc=False,
                timeout=30)
        check(p.returncode != 0 and "needs tls on" in p.stderr,
              f"host tls with global off: {p.returncode} {p.stderr!r}")
    finally:
        srv.cleanup(failed=False)


# ------------------------------------------------------------ SIGHUP

def _wait_serial(port, name, want_not, what, timeout=20):
    deadline = time.monotonic() + timeout * SLOW
    while True:
        got = _s_client(port, name)
        if got is not None and got[1] != want_not:
            return got
        if time.monotonic() > deadline:
            raise TestFailure(f"{what}: serial still {want_not}")
        time.sleep(0.1)


@_in_tmp
def test_sighup_renews_each_host(tmp):
    """SIGHUP reloads every host's certificate: a renewed one is shown to
    the next connection; a host whose new key is broken keeps its old
    certificate and the log names the file and the reason."""
    ca, certs = _pki(tmp)
    with _server(certs) as srv:
        old_a = _s_client(srv.port, "a.example.com")
        old_b = _s_client(srv.port, "b.example.com")
        old_m = _s_client(srv.port, None)
        # Renew a (new serial, same files); break b's key file.
        ca.issue("a", "a.example.com", "DNS:a.example.com")
        bkey = certs["b"][1]
        good_b = bkey.read_bytes()
        ca.issue("b", "b.example.com", "DNS:b.example.com")
        bkey.write_text("not a key\n")
        srv.proc.send_signal(signal.SIGHUP)
        new_a = _wait_serial(srv.port, "a.example.com", old_a[1],
                             "a after SIGHUP")
        check(new_a[0] == "a.example.com", f"a after SIGHUP: {new_a}")
        deadline = time.monotonic() + 10 * SLOW
        while f"[host b.example.com]" not in srv.log():
            if time.monotonic() > deadline:
                raise TestFailure("b's failure not logged")
            time.sleep(0.05)
        log = srv.log()
        check(re.search(r"\[host b\.example\.com\] tls_key: " +
                        re.escape(str(bkey)), log) is not None,
              "the log does not name b's key file")
        check("keeps its previous certificate" in log,
              "the log does not say b keeps its certificate")
        check(_s_client(srv.port, "b.example.com") == old_b,
              "b's old certificate not kept")
        check(_s_client(srv.port, None) == old_m,
              "the main certificate changed")
        # b's key fixed (the key of its new certificate): renewed too.
        bkey.write_bytes(good_b)
        ca.issue("b", "b.example.com", "DNS:b.example.com")
        srv.proc.send_signal(signal.SIGHUP)
        new_b = _wait_serial(srv.port, "b.example.com", old_b[1],
                             "b after the second SIGHUP")
        check(new_b[0] == "b.example.com", f"b: {new_b}")
        # Logins still work on the renewed host.
        f = _ftps(srv, ca, sni="b.example.com")
        f.login(USER, PASS)
        f.quit()


@_in_tmp
def test_host_keys_only_in_the_front(tmp):
    """No host's private key is in the master, the monitor or the user
    process, also after SIGHUP; the front holds the key of the host its
    client chose by SNI, and no other."""
    require_root("reads other uids' /proc/PID/mem")
    from test_tls import _key_secrets
    ca, certs = _pki(tmp)
    keys = {n: _key_secrets(certs[n][1]) for n in ("main", "a", "b")}
    every = {f"{n}: {k}": v for n, s in keys.items() for k, v in s.items()}
    with _server(certs) as srv:
        for reload in (False, True):
            if reload:
                srv.proc.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 10 * SLOW
                while "SIGHUP" not in srv.log():
                    if time.monotonic() > deadline:
                        raise TestFailure("SIGHUP not logged")
                    time.sleep(0.05)
            f = _ftps(srv, ca, sni="a.example.com")
            try:
                f.login(USER, PASS)
                check(f.pwd() == "/", "TLS session works")
                mon, user = session_process(srv, srv.vuid)
                check(user is not None, "user process not found")
                fronts = [p for p in child_pids(mon) if p != user]
                check(len(fronts) == 1, f"front not found: {fronts}")
                for what, pid in (("master", srv.proc.pid),
                                  ("monitor", mon), ("user process", user)):
                    held = process_holds(pid, every)
                    check(not held, f"the {what} holds {held}")
                held = process_holds(fronts[0], every)
                check(not any(h.startswith(("main", "b")) for h in held),
                      f"the front of a.example.com holds {held}")
                if not os.environ.get("FTPD_ASAN"):
                    check(any(h.startswith("a:") for h in held),
                          "the scan finds a's key in the front")
                f.quit()
            finally:
                f.close()


# ------------------------------------------------------------ client certs

def _client_pki(tmp):
    ca, certs = _pki(tmp)
    other = CA(tmp / "other", "Other CA")
    cl = {
        "alice": ca.issue("c-alice", USER, f"email:{USER}@example.com"),
        "carol": ca.issue("c-carol", CAROL),
        "erin": ca.issue("c-erin", "Erin Example", f"email:{EMAIL_USER}"),
        "expired": ca.issue("c-expired", USER, None, "20200101000000Z",
                            "20200102000000Z"),
        "revoked": ca.issue("c-revoked", USER),
        "other": other.issue("c-other", USER),
    }
    ca.revoke(cl["revoked"][0])
    crl = ca.crl()
    return ca, certs, cl, crl


def _refused_handshake(srv, ca, cert, what):
    try:
        f = _ftps(srv, ca, cert=cert)
        # TLS 1.3: the client learns of the refusal at its next read.
        f.sendcmd("NOOP")
    except (ssl.SSLError, ConnectionError, OSError, EOFError,
            ftplib.Error) as e:
        return str(e)
    raise TestFailure(f"{what}: handshake not refused")


def _login(srv, ca, cert, user, password):
    f = _ftps(srv, ca, cert=cert)
    try:
        f.login(user, password)
        f.prot_p()
        f.nlst()
        f.quit()
        return "ok"
    except ftplib.error_perm as e:
        f.close()
        return str(e)


@_in_tmp
def test_client_certificates_cn(tmp):
    """tls_client_cert = optional, tls_client_user = cn, tls_crl: a valid
    certificate naming the user logs in with the password; one naming
    another user gets 530; expired, revoked and foreign certificates end
    the handshake; tls_client_auth_only lets carol in without a password,
    but only with her certificate."""
    ca, certs, cl, crl = _client_pki(tmp)
    conf = {"tls_client_cert": "optional", "tls_client_ca": ca.cert,
            "tls_client_user": "cn", "tls_crl": crl}
    extra = f"\n[user {CAROL}]\ntls_client_auth_only = yes\n"
    with _server(certs, conf=conf, extra=extra,
                 users={USER: PASS, CAROL: CAROL_PASS}) as srv:
        check(_login(srv, ca, cl["alice"], USER, PASS) == "ok",
              "alice with her certificate")
        r = _login(srv, ca, cl["alice"], USER, "wrong")
        check(r.startswith("530"), f"alice's certificate, wrong password: "
              f"{r}")
        r = _login(srv, ca, cl["alice"], CAROL, CAROL_PASS)
        check(r.startswith("530") and "does not name" in r,
              f"alice's certificate as carol: {r}")
        check(_login(srv, ca, None, USER, PASS) == "ok",
              "no certificate (optional)")
        for k in ("expired", "revoked", "other"):
            e = _refused_handshake(srv, ca, cl[k], k)
            check("ALERT" in e.upper() or "EOF" in e.upper() or
                  "RESET" in e.upper() or e == "", f"{k}: {e!r}")
        log = srv.log()
        check("certificate has expired" in log or "expired" in log,
              "expired: reason not logged")
        check("revoked" in log, "revoked: reason not logged")
        # carol: her certificate alone (any password, or none).
        check(_login(srv, ca, cl["carol"], CAROL, "") == "ok",
              "carol, certificate only")
        check(_login(srv, ca, cl["carol"], CAROL, "whatever") == "ok",
              "carol, certificate and a wrong password")
        r = _login(srv, ca, None, CAROL, "")
        check(r.startswith("530"), f"carol without certificate: {r}")
        check(_login(srv, ca, None, CAROL, CAROL_PASS) == "ok",
              "carol with her password, no certificate")
        # curl with a client certificate, by host name.
        c, k = cl["alice"]
        p = _curl(ca, f"ftp://a.example.com:{srv.port}/", "a.example.com",
                  srv.port, "--cert", str(c), "--key", str(k),
                  "--list-only")
        check(p.returncode == 0, f"curl with alice's certificate: "
              f"{p.returncode} {p.stderr!r}")
        p = _curl(ca, f"ftp://a.example.com:{srv.port}/", "a.example.com",
                  srv.port, "--cert", str(c), "--key", str(k),
                  "--list-only", user=CAROL, password=CAROL_PASS)
        check(p.returncode == 67, f"curl alice's certificate as carol: "
              f"{p.returncode} {p.stderr!r}")


@_in_tmp
def test_client_certificates_required_email(tmp):
    """tls_client_cert = required, tls_client_user = san_email: no
    certificate ends the handshake; the subjectAltName e-mail names the
    account."""
    ca, certs, cl, crl = _client_pki(tmp)
    conf = {"tls_client_cert": "required", "tls_client_ca": ca.cert,
            "tls_client_user": "san_email"}
    with _server(certs, conf=conf,
                 users={USER: PASS, EMAIL_USER: PASS}) as srv:
        _refused_handshake(srv, ca, None, "no certificate")
        check(_login(srv, ca, cl["erin"], EMAIL_USER, PASS) == "ok",
              "erin by her e-mail")
        r = _login(srv, ca, cl["carol"], CAROL, PASS)
        check(r.startswith("530"), f"a certificate without e-mail: {r}")
        r = _login(srv, ca, cl["alice"], USER, PASS)
        check(r.startswith("530"), f"alice's e-mail is not the user: {r}")
        # Plain sessions cannot log in without a certificate.
        f = ftplib.FTP(timeout=30 * SLOW)
        f.connect(HOST, srv.port)
        try:
            f.login(EMAIL_USER, PASS)
        except ftplib.error_perm as e:
            check(str(e).startswith("530"), f"plain login: {e}")
        else:
            raise TestFailure("plain login accepted with required")
        f.close()




@_in_tmp
def test_hundreds_of_hosts(tmp):
    """A hosting node's hundreds of customer domains: 400 [host]
    sections, each with a certificate of its own (the same key pair
    under 400 names' sections), load; the SNI name of the last one
    selects its section, and a reload keeps serving it."""
    ca, certs = _pki(tmp)
    c, k = certs["a"]
    extra = "".join(f"\n[host h{i}.example.net]\nbanner = customer {i}\n"
                    f"tls_cert = {c}\ntls_key = {k}\n" for i in range(400))
    with _server(certs, extra=extra) as srv:
        got = _s_client(srv.port, "h399.example.net")
        check(got is not None and got[0] == "a.example.com",
              f"h399: got {got}")
        got = _s_client(srv.port, "nosuch.example.net")
        check(got is not None and got[0] == "main.example",
              f"a name of no section: got {got}")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20 * SLOW
        while "configuration reloaded" not in srv.log() and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        check("configuration reloaded" in srv.log(),
              "no reload line:\n" + srv.log_tail())
        got = _s_client(srv.port, "h0.example.net")
        check(got is not None and got[0] == "a.example.com",
              f"h0 after SIGHUP: got {got}")


@_in_tmp
def test_full_host_table_reload_with_a_bad_key(tmp):
    """VHOST_MAX [host] sections, each with a certificate of its own,
    and a reload where one host's key no longer matches its certificate:
    that host keeps its previous identity.  The identity it held is
    dropped by the key check, and its old one must go into a free slot
    of the table, not one past its end (the master's stack)."""
    ca, certs = _pki(tmp)
    c, k = certs["a"]
    bad = ca.issue("bad", "bad.example.net", "DNS:bad.example.net")
    other_key = certs["b"][1]
    bc, bk = tmp / "h-bad.pem", tmp / "h-bad.key"
    bc.write_bytes(bad[0].read_bytes())
    bk.write_bytes(bad[1].read_bytes())
    os.chmod(bk, 0o600)
    n = 1024    # VHOST_MAX
    extra = "".join(f"\n[host h{i}.example.net]\ntls_cert = {c}\n"
                    f"tls_key = {k}\n" for i in range(n - 1))
    extra += f"\n[host bad.example.net]\ntls_cert = {bc}\ntls_key = {bk}\n"
    mc, mk = certs["main"]
    srv = Server(tls="on", conf={"tls_cert": mc, "tls_key": mk},
                 users={USER: PASS})
    srv.extra_text = extra
    with srv:
        old = _s_client(srv.port, "bad.example.net")
        check(old is not None and old[0] == "bad.example.net",
              f"bad before: {old}")
        # A valid key, but of another certificate: read fine by the
        # master, refused by the key check.
        bk.write_bytes(other_key.read_bytes())
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60 * SLOW
        while "configuration reloaded" not in srv.log() and \
                time.monotonic() < deadline:
            check(srv.proc.poll() is None,
                  "the master died in the reload:\n" + srv.log_tail())
            time.sleep(0.1)
        check("configuration reloaded" in srv.log(),
              "no reload line:\n" + srv.log_tail())
        check("[host bad.example.net] keeps its previous certificate"
              in srv.log(), "bad's old identity not kept:\n" +
              srv.log_tail())
        check(srv.proc.poll() is None, "the master died")
        got = _s_client(srv.port, "bad.example.net")
        check(got == old, f"bad after SIGHUP: {got}, not {old}")
        got = _s_client(srv.port, "h1022.example.net")
        check(got is not None and got[0] == "a.example.com",
              f"h1022 after SIGHUP: {got}")


@_in_tmp
def test_reload_crl_applies_to_a_host_that_keeps_its_certificate(tmp):
    """A reload that revokes a client certificate (a new tls_crl) while
    one host's own key fails to load: that host keeps its certificate,
    but not the old CRL with it; the revoked certificate ends the
    handshake on that host as on every other."""
    ca, certs, cl, crl = _client_pki(tmp)
    conf = {"tls_client_cert": "optional", "tls_client_ca": ca.cert,
            "tls_client_user": "cn", "tls_crl": crl}
    with _server(certs, conf=conf) as srv:
        f = _ftps(srv, ca, sni="b.example.com", cert=cl["alice"])
        f.login(USER, PASS)
        f.quit()
        ca.revoke(cl["alice"][0])
        ca.crl()                 # the same tls_crl file, rewritten
        certs["b"][1].write_text("not a key\n")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20 * SLOW
        while "configuration reloaded" not in srv.log():
            if time.monotonic() > deadline:
                raise TestFailure("no reload:\n" + srv.log_tail())
            time.sleep(0.05)
        check("[host b.example.com] keeps its previous certificate" in
              srv.log(), "b did not keep its certificate")
        for name in ("a.example.com", "b.example.com"):
            try:
                f = _ftps(srv, ca, sni=name, cert=cl["alice"])
                f.sendcmd("NOOP")
                f.login(USER, PASS)
            except (ssl.SSLError, ConnectionError, OSError, EOFError,
                    ftplib.Error):
                continue
            f.close()
            raise TestFailure(f"{name}: a revoked certificate accepted "
                              "after the reload")


@_in_tmp
def test_locked_account_not_let_in_by_its_certificate(tmp):
    """users_file locks a user by a hash that starts with '!' (or '*', or
    none; formats/users_file.h).  A certificate that names a locked
    tls_client_auth_only user must not let it in: the lock is the
    account's, not its password's."""
    ca, certs, cl, crl = _client_pki(tmp)
    conf = {"tls_client_cert": "optional", "tls_client_ca": ca.cert,
            "tls_client_user": "cn", "tls_crl": crl}
    extra = f"\n[user {CAROL}]\ntls_client_auth_only = yes\n"
    with _server(certs, conf=conf, extra=extra,
                 users={USER: PASS, CAROL: CAROL_PASS}) as srv:
        check(_login(srv, ca, cl["carol"], CAROL, "") == "ok",
              "carol, certificate only, before the lock")
        text = srv.users_path.read_text()
        for lock in ("!", "*"):
            srv.users_path.write_text(re.sub(
                rf"^{CAROL}:", f"{CAROL}:{lock}", text, flags=re.M))
            r = _login(srv, ca, cl["carol"], CAROL, "")
            check(r.startswith("530"), f"locked ({lock}) carol with her "
                  f"certificate: {r}")
        srv.users_path.write_text(re.sub(rf"^{CAROL}:[^:]*:",
                                         f"{CAROL}::", text, flags=re.M))
        r = _login(srv, ca, cl["carol"], CAROL, "")
        check(r.startswith("530"), f"carol without a hash: {r}")
        srv.users_path.write_text(text)
        check(_login(srv, ca, cl["carol"], CAROL, "") == "ok",
              "carol unlocked again")
