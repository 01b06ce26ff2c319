"""ldap_server.py - a real OpenLDAP slapd for the tests, in a temporary
directory, reached only through an ldapi:// socket in that directory.

    from ldap_server import LdapServer, posix_user

    entries = [posix_user("alice", "pw", home="/tmp/.../home/alice")]
    with LdapServer(entries) as ldap:
        ldap.uri, ldap.base, ldap.bind_dn, ldap.password_file
        srv.keys.update(ldap.ftpd_conf(ldap_auth="hash"))
        ldap.search("(uid=alice)")      # ldapsearch as the service DN
        ldap.stop(); ldap.start()       # the same directory, its data kept

The configuration is cn=config built with slapadd -n0 (the core, cosine
and nis schemas from /etc/ldap/schema, one mdb database in the
directory); the tree is loaded with slapadd -n1 before slapd starts:
dc=ftpd,dc=test with ou=people, ou=others (for entries that collide with
people) and ou=services holding the search DN cn=ftpd, whose password is
in password_file (mode 0600, as ldap_bind_password_file wants it).  Users'
userPassword values are {CRYPT} hashes from harness.crypt_hash, so one
directory serves ldap_auth = bind (slapd checks them) and = hash (the
ftpd authentication child does).  Only the service DN and the entry
itself may read userPassword; anyone may bind with it.

With tls=True slapd also listens on loopback TCP, at tcp_uri (ldap://,
for StartTLS) and ldaps_uri, with harness.cert_pair's certificate (cert).

slapd runs in the foreground as a child of the test (it carries the
test's token, so run.py reaps it if the test dies), is stopped by its PID
with SIGTERM and then SIGKILL, and every wait is bounded.  Skips (harness
Skip) when slapd or the schemas are not installed.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from harness import (HOST, SLOW, VUSER_GID, VUSER_UID, Skip, TestFailure,
                     cert_pair, crypt_hash, free_port)

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
SCHEMAS = ("core", "cosine", "nis")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap",
               "/usr/lib64/openldap", "/usr/lib/openldap")

BASE = "dc=ftpd,dc=test"
BIND_DN = f"cn=ftpd,ou=services,{BASE}"
ROOT_DN = f"cn=admin,{BASE}"


def posix_user(name, password, home, uid=VUSER_UID, gid=VUSER_GID,
               ou="people", omit=(), extra=None, password_value=None):
    """The LDIF of one posixAccount entry uid=name,ou=OU.  omit: attribute
    names left out (the tree is loaded without schema checks, so an entry
    may lack what posixAccount requires); extra: {attr: [values]} added;
    password_value: userPassword as given instead of {CRYPT}crypt_hash."""
    attrs = [
        ("objectClass", "account"),
        ("objectClass", "posixAccount"),
        ("uid", name),
        ("cn", name),
        ("uidNumber", str(uid)),
        ("gidNumber", str(gid)),
        ("homeDirectory", str(home)),
        ("userPassword", password_value if password_value is not None
         else "{CRYPT}" + crypt_hash(password)),
    ]
    lines = [f"dn: uid={name},ou={ou},{BASE}"]
    lines += [f"{k}: {v}" for k, v in attrs if k not in omit]
    for k, vals in (extra or {}).items():
        lines += [f"{k}: {v}" for v in vals]
    return "\n".join(lines) + "\n"


def _module_dir():
    for d in MODULE_DIRS:
        if Path(d, "back_mdb.so").exists() or Path(d, "back_mdb.la").exists():
            return d
    return None


def require_slapd():
    """Skip unless slapd, slapadd, ldapsearch and the schemas are here."""
    for prog in (SLAPD, SLAPADD):
        if not os.access(prog, os.X_OK):
            raise Skip(f"{prog} not installed (apt-get install slapd)")
    if shutil.which("ldapsearch") is None:
        raise Skip("ldapsearch not installed (apt-get install ldap-utils)")
    for s in SCHEMAS:
        if not (SCHEMA_DIR / f"{s}.ldif").exists():
            raise Skip(f"{SCHEMA_DIR}/{s}.ldif missing")
    if _module_dir() is None:
        raise Skip("slapd's back_mdb module not found")


class LdapServer:
    """One slapd on ldapi:// in a fresh temporary directory."""

    def __init__(self, entries=(), bind_password=None, tls=False,
                 users=(), schemas=()):
        """entries: LDIF texts (posix_user); users: (name, password,
        uid, gid, home[, crypt hash]) tuples made into posixAccount
        entries under ou=people (the hash, when given, instead of one
        made from the password); schemas: paths of further cn=config
        schema LDIF files (etc/ldap/ftpd-plan.ldif)."""
        require_slapd()
        self.schemas = [Path(p).resolve() for p in schemas]
        # tls: also listen on loopback TCP, ldap:// (for StartTLS) and
        # ldaps://, with harness.cert_pair's certificate (self.cert is
        # what a client must trust).
        self.tls = tls
        self.cert = self.key = None
        self.tcp_uri = self.ldaps_uri = None
        self.entries = list(entries)
        for u in users:
            name, password, uid, gid, home = u[:5]
            given = u[5] if len(u) > 5 and u[5] else None
            self.entries.append(posix_user(
                name, password, home, uid=uid, gid=gid,
                password_value="{CRYPT}" + given if given else None))
        self.tmp = Path(tempfile.mkdtemp(prefix="ftpd-ldap-"))
        # The account service connects as its own unprivileged uid: it
        # must reach the socket (slapd makes it mode 0777).
        os.chmod(self.tmp, 0o755)
        self.conf_dir = self.tmp / "slapd.d"
        self.db_dir = self.tmp / "db"
        self.sock = self.tmp / "ldapi"
        self.log_path = self.tmp / "slapd.log"
        self.base = BASE
        self.bind_dn = BIND_DN
        self.bind_password = bind_password or "svc-" + os.urandom(6).hex()
        self.root_password = "root-" + os.urandom(6).hex()
        self.password_file = self.tmp / "bind.pw"
        self.uri = "ldapi://" + urllib.parse.quote(str(self.sock), safe="")
        self.proc = None
        self._logf = None

    # -- set-up

    def _config_ldif(self):
        schemas = "".join(f"include: file://{SCHEMA_DIR}/{s}.ldif\n\n"
                          for s in SCHEMAS)
        schemas += "".join(f"include: file://{p}\n\n" for p in self.schemas)
        tls = ""
        if self.tls:
            tls = (f"olcTLSCertificateFile: {self.cert}\n"
                   f"olcTLSCertificateKeyFile: {self.key}\n")
        return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {self.tmp}/slapd.pid
olcArgsFile: {self.tmp}/slapd.args
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {_module_dir()}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: 500

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {BASE}
olcDbDirectory: {self.db_dir}
olcDbMaxSize: 33554432
olcRootDN: {ROOT_DN}
olcRootPW: {self.root_password}
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcAccess: {{0}}to attrs=userPassword by dn.exact="{BIND_DN}" read by self read by anonymous auth by * none
olcAccess: {{1}}to * by * read
"""

    def _tree_ldif(self):
        head = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
dc: ftpd
o: ftpd tests

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=others,{BASE}
objectClass: organizationalUnit
ou: others

dn: ou=services,{BASE}
objectClass: organizationalUnit
ou: services

dn: {BIND_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: ftpd
userPassword: {{CRYPT}}{crypt_hash(self.bind_password)}
"""
        return "\n".join([head] + self.entries)

    def _slapadd(self, args, ldif, what):
        path = self.tmp / f"{what}.ldif"
        path.write_text(ldif)
        p = subprocess.run([SLAPADD] + args + ["-l", str(path)],
                           capture_output=True, timeout=60 * SLOW,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise TestFailure(f"slapadd {what} failed ({p.returncode}):\n"
                              + p.stderr.decode(errors="replace")[-3000:])

    def _load(self):
        if self.tls:
            self.cert, self.key = cert_pair()
            self.tcp_uri = f"ldap://{HOST}:{free_port()}"
            self.ldaps_uri = f"ldaps://{HOST}:{free_port()}"
        self.conf_dir.mkdir()
        self.db_dir.mkdir()
        self._slapadd(["-n0", "-F", str(self.conf_dir)], self._config_ldif(),
                      "config")
        # -s: no schema checks, so a test may plant a broken entry (an
        # account without homeDirectory) the way a careless tool would.
        self._slapadd(["-n1", "-s", "-F", str(self.conf_dir)],
                      self._tree_ldif(), "tree")
        self.password_file.write_text(self.bind_password + "\n")
        os.chmod(self.password_file, 0o600)

    # -- lifecycle

    def start(self, timeout=15):
        """Start slapd in the foreground and wait (bounded) until it
        answers a search on the socket."""
        if self.proc is not None:
            return self
        self._logf = open(self.log_path, "ab")
        # -d 0: stay in the foreground (a child we stop by its PID),
        # logging nothing but start-up errors.
        urls = " ".join(u for u in (self.uri, self.tcp_uri, self.ldaps_uri)
                        if u is not None)
        self.proc = subprocess.Popen(
            [SLAPD, "-d", "0", "-F", str(self.conf_dir), "-h", urls],
            stdin=subprocess.DEVNULL, stdout=self._logf, stderr=self._logf,
            start_new_session=True)
        deadline = time.monotonic() + timeout * SLOW
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise TestFailure(f"slapd exited with {rc} at start-up:\n"
                                  + self.log_tail())
            if self.sock.exists() and self._answers():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise TestFailure(f"slapd did not answer within "
                                  f"{timeout * SLOW}s:\n" + self.log_tail())
            time.sleep(0.05)

    def _answers(self):
        p = subprocess.run(["ldapsearch", "-LLL", "-x", "-H", self.uri,
                            "-b", BASE, "-s", "base", "dn"],
                           capture_output=True, timeout=5 * SLOW,
                           stdin=subprocess.DEVNULL)
        return p.returncode == 0

    def stop(self):
        """SIGTERM slapd by its PID, SIGKILL after 10 s.  The data stays
        for start()."""
        p, self.proc = self.proc, None
        if p is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=10 * SLOW)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                p.kill()
            rc = p.wait(timeout=10)
        if self._logf is not None:
            self._logf.close()
            self._logf = None
        return rc

    def pause(self):
        """SIGSTOP slapd: connections are accepted by the kernel, never
        answered (a hung server)."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def __enter__(self):
        try:
            self._load()
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def cleanup(self):
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ftpd_conf(self, **more):
        """The ftpd keys that look accounts up here (accounts = ldap,
        ldap_auth = bind unless more says otherwise)."""
        keys = {"accounts": "ldap", "ldap_uri": self.uri,
                "ldap_base": self.base, "ldap_bind_dn": self.bind_dn,
                "ldap_bind_password_file": str(self.password_file),
                "ldap_auth": "bind"}
        keys.update({k: str(v) for k, v in more.items()})
        return keys

    # -- looking

    def log_tail(self, n=40):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def search(self, flt, attrs=("dn",), as_service=True):
        """The DNs ldapsearch finds for flt (a raw filter, as given) under
        the base, bound as the service DN (or anonymously)."""
        cmd = ["ldapsearch", "-LLL", "-x", "-H", self.uri, "-b", BASE]
        if as_service:
            # -w, not -y: ldapsearch would send password_file's newline.
            cmd += ["-D", BIND_DN, "-w", self.bind_password]
        p = subprocess.run(cmd + [flt] + list(attrs), capture_output=True,
                           timeout=15 * SLOW, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise TestFailure(f"ldapsearch {flt!r} failed "
                              f"({p.returncode}): "
                              + p.stderr.decode(errors="replace"))
        return [line[4:] for line in p.stdout.decode().splitlines()
                if line.startswith("dn: ")]
