#!/usr/bin/env python3
"""bench.py - compare ftpd with vsftpd, proftpd and pure-ftpd.

Run by `make bench` (as root, never by `make check`).  Installs the peers
from Debian packages without their maintainer scripts (apt-get download +
dpkg-deb -x into test/bench/.peers/), builds a data tree and a self-signed
certificate under test/bench/.data/, starts each server with equivalent
settings, drives the workloads with test/bench/loadgen and prints one table
of medians per topology.  Trusts its own tree; servers are stopped by PID.

Two topologies (--topology): "loopback", client and server on 127.0.0.1;
"netns", the clients in a network namespace of their own reaching the
server over a veth pair, as remote clients do (the server then takes the
paths a remote peer gets: sendfile under sendfile = auto, for one).  The
namespace and the pair are made here with addresses only inside them and
removed at the end, also after a failure.  A server runs once per
topology, and the rounds alternate between all of them.

    bench.py [--servers ftpd,vsftpd,...] [--workloads retr,stor,...]
             [--topology loopback,netns] [--runs 3] [--report]

The servers "ftpd-pin", "ftpd-nopin", "ftpd-sendfile" and "ftpd-copy"
are ftpd with cpu_pin = yes / no and sendfile = yes / no, to compare a
setting with the default side by side (not run unless named).

Results are merged into test/bench/.data/results.json, so workloads can be
run in separate commands and the table printed at the end with --report.
"""

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(HERE, ".peers")
ROOT = os.path.join(PEERS, "root")
DATA = os.path.join(HERE, ".data")
HOME = os.path.join(DATA, "home")
ANON = os.path.join(DATA, "anon")
EMPTY = os.path.join(DATA, "empty")
LOGS = os.path.join(DATA, "logs")
RUN = os.path.join(DATA, "run")
RESULTS = os.path.join(DATA, "results.json")
LOADGEN = os.path.join(HERE, "loadgen")
HASHCOST = os.path.join(HERE, "hashcost")
BAREFORKER = os.path.join(HERE, "bareforker")
# Write workloads whose first run after other work is not counted.
DISCARD_FIRST = ("stor", "stor_tls", "put4k", "many_tls")
# Figures a workload records besides its own.
COMPANIONS = {"sessions": ["session_cpu"], "pwlogin": ["pwlogin_huge"],
              "retr": ["retr_cpu"]}

USER = "ftpbench"
BIG = 2 << 30            # the single-file RETR and STOR
PAR_FILE = 32 << 20      # 32 parallel downloads of 32 MiB each
SMALL_N = 2000
SMALL_SIZE = 4096
TLS_MANY_N = 500         # many_tls: a site mirrored or deployed over FTPS
LIST_N = 50000
IDLE_N = 1000
SESS_THREADS = 8
SESS_SECONDS = 5
MANY_SECONDS = 20        # get4k/put4k stop early (files/s of those done)
LG_TIMEOUT = 300         # no single loadgen run may take longer

PACKAGES = ["vsftpd", "proftpd-core", "proftpd-mod-crypto", "pure-ftpd"]
# Shared libraries the peers link that a build machine may lack.
LIB_PACKAGES = ["libwrap0", "libhiredis0.14", "libmemcached11",
                "libmemcachedutil2", "libpcre2-posix3", "libsodium23"]
SERVERS = ["ftpd", "vsftpd", "proftpd", "pure-ftpd"]
# ftpd with one setting changed, run only when named in --servers.
VARIANTS = {"ftpd-pin": {"cpu_pin": "yes"}, "ftpd-nopin": {"cpu_pin": "no"},
            "ftpd-sendfile": {"sendfile": "yes"},
            "ftpd-copy": {"sendfile": "no"}}
PORTS = {"ftpd": 2131, "vsftpd": 2132, "proftpd": 2133, "pure-ftpd": 2134,
         "ftpd-pin": 2135, "ftpd-nopin": 2136, "ftpd-sendfile": 2139,
         "ftpd-copy": 2140}
PASV = {"ftpd": 40000, "vsftpd": 42000, "proftpd": 44000, "pure-ftpd": 46000,
        "ftpd-pin": 48000, "ftpd-nopin": 50000, "ftpd-sendfile": 52000,
        "ftpd-copy": 54000}
TOPOLOGIES = ["loopback", "netns"]
# A server in the netns topology listens NETNS_PORT above its loopback
# port (both copies run at once); its passive range is the same, on its
# own address (every server binds a passive socket to the control
# connection's local address).
NETNS_PORT = 100
NETNS_PASV = 0
BINARIES = {"vsftpd": "usr/sbin/vsftpd", "proftpd": "usr/sbin/proftpd",
            "pure-ftpd": "usr/sbin/pure-ftpd"}

# name: (label, unit, higher is better)
WORKLOADS = {
    "retr": (f"RETR {BIG >> 30} GiB plain", "MB/s", True),
    "retr_cpu": ("  server CPU per GiB sent", "ms", False),
    "stor": (f"STOR {BIG >> 30} GiB plain", "MB/s", True),
    "retr_tls": (f"RETR {BIG >> 30} GiB PROT P", "MB/s", True),
    "stor_tls": (f"STOR {BIG >> 30} GiB PROT P", "MB/s", True),
    "sessions": ("anon sessions/s, 8 clients", "sess/s", True),
    "session_cpu": ("server CPU per anon session", "ms", False),
    "pwlogin": ("CPU per password login, in hashes", "hashes", False),
    "pwlogin_huge": ("  the same, in huge-page hashes", "hashes", False),
    "get4k": ("2000 x 4 KiB RETR, 1 session", "files/s", True),
    "put4k": ("2000 x 4 KiB STOR, 1 session", "files/s", True),
    "many_tls": (f"{TLS_MANY_N} x (4 KiB RETR + STOR), 1 session, PROT P",
                 "files/s", True),
    "list": ("LIST 50,000 entries", "s", False),
    "mlsd": ("MLSD 50,000 entries", "s", False),
    "idle": (f"PSS per idle session ({IDLE_N})", "KiB", False),
    "par32": ("32 parallel RETR x 32 MiB", "MB/s", True),
}
# What each --workloads name runs (session_cpu comes with sessions,
# pwlogin_huge with pwlogin).
GROUPS = ["retr", "stor", "retr_tls", "stor_tls", "sessions", "pwlogin",
          "get4k",
          "put4k", "many_tls", "list", "mlsd", "idle", "par32"]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- setup

def missing_libs(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    return [l.split()[0] for l in out.stdout.splitlines() if "not found" in l]


def setup_peers():
    """apt-get download + dpkg-deb -x; no maintainer script ever runs."""
    debs = os.path.join(PEERS, "debs")
    os.makedirs(debs, exist_ok=True)
    have = all(os.path.exists(os.path.join(ROOT, b))
               for b in BINARIES.values())
    if not have:
        log("downloading " + " ".join(PACKAGES))
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        run(["apt-get", "download"] + PACKAGES, cwd=debs,
            stdout=subprocess.DEVNULL)
        for f in sorted(os.listdir(debs)):
            if f.endswith(".deb"):
                run(["dpkg-deb", "-x", os.path.join(debs, f), ROOT])
    need = [p for p in LIB_PACKAGES
            if subprocess.run(["dpkg", "-s", p], capture_output=True)
            .returncode != 0]
    if need:
        log("installing shared libraries: " + " ".join(need))
        subprocess.run(["apt-get", "install", "-y", "-qq"] + need,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdin=subprocess.DEVNULL, check=False)
    na = {}
    for name, b in BINARIES.items():
        path = os.path.join(ROOT, b)
        if not os.path.exists(path):
            na[name] = "package did not unpack"
        elif missing_libs(path):
            na[name] = "missing " + ",".join(missing_libs(path))
    return na


def ensure_user():
    """The system test user every server logs in, and the ftp account."""
    try:
        pwd.getpwnam("ftp")
    except KeyError:
        run(["useradd", "--system", "--home-dir", "/srv/ftp",
             "--shell", "/usr/sbin/nologin", "ftp"])
    os.makedirs(pwd.getpwnam("ftp").pw_dir, exist_ok=True)
    try:
        pwd.getpwnam(USER)
    except KeyError:
        run(["useradd", "--no-create-home", "--home-dir", HOME,
             "--shell", "/bin/sh", USER])
    # vsftpd authenticates through PAM; Debian's own file would come from
    # the maintainer scripts, so write an equivalent minimal one.
    pam = "/etc/pam.d/ftpbench"
    if not os.path.exists(pam):
        with open(pam, "w") as f:
            f.write("# ftpd benchmark (test/bench/bench.py): vsftpd peer\n"
                    "auth\trequired\tpam_unix.so\n"
                    "account\trequired\tpam_unix.so\n"
                    "session\trequired\tpam_permit.so\n")
    pwfile = os.path.join(DATA, "password")
    if not os.path.exists(pwfile):
        with open(pwfile, "w") as f:
            f.write(os.urandom(12).hex())
        os.chmod(pwfile, 0o600)
    with open(pwfile) as f:
        password = f.read().strip()
    run(["chpasswd"], input=f"{USER}:{password}\n", text=True)
    return password


def make_file(path, size):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    chunk = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write(chunk[:size % len(chunk)])


def setup_data():
    for d in (DATA, HOME, ANON, EMPTY, LOGS, RUN):
        os.makedirs(d, exist_ok=True)
    os.chmod(EMPTY, 0o755)
    password = ensure_user()
    u = pwd.getpwnam(USER)
    make_file(os.path.join(HOME, "big"), BIG)
    make_file(os.path.join(HOME, "f32m"), PAR_FILE)
    small = os.path.join(HOME, "small")
    many = os.path.join(HOME, "many")
    for d in (small, many, os.path.join(HOME, "up")):
        os.makedirs(d, exist_ok=True)
    blob = os.urandom(SMALL_SIZE)
    for i in range(SMALL_N):
        p = os.path.join(small, f"f{i:05d}")
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(blob)
    if len(os.listdir(many)) != LIST_N:
        for i in range(LIST_N):
            p = os.path.join(many, f"entry-{i:06d}.dat")
            if not os.path.exists(p):
                os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
    with open(os.path.join(ANON, "README"), "w") as f:
        f.write("ftpd benchmark anonymous root\n")
    os.chown(HOME, u.pw_uid, u.pw_gid)
    os.chown(os.path.join(HOME, "up"), u.pw_uid, u.pw_gid)
    cert = os.path.join(DATA, "cert.pem")
    key = os.path.join(DATA, "key.pem")
    if not os.path.exists(cert):
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "365",
             "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
            stderr=subprocess.DEVNULL)
    with open(os.path.join(DATA, "ftpusers"), "w") as f:
        f.write("root\n")
    # Warm the page cache so every server reads the same cached file.
    for name in ("big", "f32m"):
        with open(os.path.join(HOME, name), "rb") as f:
            while f.read(1 << 22):
                pass
    return password


# ---------------------------------------------------------------- servers

def conf_vsftpd(addr, port, pasv):
    cert = os.path.join(DATA, "cert.pem")
    keys = {
        "listen": "YES", "listen_ipv6": "NO", "listen_address": addr,
        "listen_port": port, "background": "NO",
        "anonymous_enable": "YES", "anon_root": ANON,
        "no_anon_password": "YES", "ftp_username": "ftp",
        "local_enable": "YES", "write_enable": "YES",
        "chroot_local_user": "YES", "allow_writeable_chroot": "YES",
        "pam_service_name": "ftpbench", "nopriv_user": "nobody",
        "secure_chroot_dir": EMPTY, "pasv_min_port": pasv,
        "pasv_max_port": pasv + 1999, "max_clients": 0, "max_per_ip": 0,
        "xferlog_enable": "NO", "use_sendfile": "YES",
        "connect_from_port_20": "NO", "seccomp_sandbox": "NO",
        "ssl_enable": "YES", "rsa_cert_file": cert,
        "rsa_private_key_file": os.path.join(DATA, "key.pem"),
        "allow_anon_ssl": "NO", "force_local_logins_ssl": "NO",
        "force_local_data_ssl": "NO", "require_ssl_reuse": "YES",
        "ssl_ciphers": "HIGH", "ssl_tlsv1": "YES",
        "ssl_sslv2": "NO", "ssl_sslv3": "NO",
        "local_umask": "022", "idle_session_timeout": 300,
    }
    path = os.path.join(DATA, f"vsftpd-{port}.conf")
    with open(path, "w") as f:
        for k, v in keys.items():
            f.write(f"{k}={v}\n")
    return [os.path.join(ROOT, BINARIES["vsftpd"]), path]


def conf_proftpd(addr, port, pasv):
    cert = os.path.join(DATA, "cert.pem")
    text = f"""ServerType standalone
ServerName "bench"
DefaultServer on
Port {port}
DefaultAddress {addr}
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
ModulePath {ROOT}/usr/lib/proftpd
LoadModule mod_tls.c
ScoreboardFile {RUN}/proftpd-{port}.scoreboard
PidFile {RUN}/proftpd-{port}.pid
SystemLog {LOGS}/proftpd.log
TransferLog none
WtmpLog off
UseReverseDNS off
DelayEngine off
AuthPAM off
AuthOrder mod_auth_unix.c
RequireValidShell off
UseFtpUsers off
DefaultRoot ~
AllowOverwrite on
Umask 022
PassivePorts {pasv} {pasv + 1999}
MaxInstances 2000
MaxClientsPerHost none
UseSendfile on
TimeoutIdle 300
<IfModule mod_tls.c>
  TLSEngine on
  TLSProtocol TLSv1.2 TLSv1.3
  TLSECCertificateFile {cert}
  TLSECCertificateKeyFile {os.path.join(DATA, "key.pem")}
  TLSRequired off
  TLSVerifyClient off
  TLSSessionTickets on
  TLSLog {LOGS}/proftpd-tls.log
</IfModule>
<Anonymous {ANON}>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  MaxClients none
  <Limit WRITE>
    DenyAll
  </Limit>
</Anonymous>
"""
    path = os.path.join(DATA, f"proftpd-{port}.conf")
    with open(path, "w") as f:
        f.write(text)
    return [os.path.join(ROOT, BINARIES["proftpd"]), "-n", "-c", path]


def conf_pureftpd(addr, port, pasv):
    return [os.path.join(ROOT, BINARIES["pure-ftpd"]),
            "-S", f"{addr},{port}", "-4", "-p", f"{pasv}:{pasv + 1999}",
            "-c", "2000", "-C", "2000", "-A", "-l", "unix", "-H", "-i",
            "-f", "none", "-Y", "1", "-L", "100000:8",
            "-2", f"{DATA}/cert.pem,{DATA}/key.pem", "-I", "300"]


def conf_ftpd(addr, port, pasv, extra=None):
    o = {
        "listen": f"{addr}:{port}", "anonymous": "yes",
        "anon_root": ANON, "anon_user": "ftp", "system_users": "yes",
        "chroot": "yes", "write_enable": "yes", "tls": "on",
        "tls_cert": os.path.join(DATA, "cert.pem"),
        "tls_key": os.path.join(DATA, "key.pem"),
        "tls_reuse_required": "yes", "pasv_ports": f"{pasv}-{pasv + 1999}",
        "pasv_address": addr, "max_clients": "2000",
        "max_per_ip": "2000", "log": os.path.join(LOGS, f"ftpd-{port}.log"),
        "run_dir": os.path.join(RUN, f"ftpd-{port}"), "empty_dir": EMPTY,
        "deny_file": os.path.join(DATA, "ftpusers"),
    }
    o.update(extra or {})
    os.makedirs(o["run_dir"], exist_ok=True)
    argv = [os.path.join(TOP, "ftpd", "ftpd"), "-f", "/dev/null"]
    for k, v in o.items():
        argv += ["-o", f"{k}={v}"]
    return argv


def conf_bare(procs):
    """bareforker on the lowest CPU this bench may use, where ftpd's
    cpu_pin starts every session: the floor under the sessions workload
    for a server with procs processes per session."""
    def conf(addr, port, pasv):
        cpu = min(os.sched_getaffinity(0))
        return ["taskset", "-c", str(cpu), BAREFORKER, str(port), str(procs)]
    return conf


CONF = {"ftpd": conf_ftpd, "vsftpd": conf_vsftpd, "proftpd": conf_proftpd,
        "pure-ftpd": conf_pureftpd, "bare1": conf_bare(1),
        "bare3": conf_bare(3)}
for _v, _o in VARIANTS.items():
    CONF[_v] = (lambda o: lambda a, p, q: conf_ftpd(a, p, q, o))(_o)
PORTS.update({"bare1": 2137, "bare3": 2138})
PASV.update({"bare1": 0, "bare3": 0})     # no data connections


# ---------------------------------------------------------------- topology

class Netns:
    """The client side of the "netns" topology: a network namespace with
    one end of a veth pair, 10.232.A.B/30 on both ends (A.B from our PID,
    so two benches never collide), nothing routed anywhere else.  The
    server listens on the host end (.1), the clients run in the
    namespace through `ip netns exec` and connect to it.  close() removes
    both, and is called from a finally (SIGTERM is turned into SystemExit
    by main)."""

    def __init__(self):
        pid = os.getpid()
        self.name = f"ftpbench{pid}"
        self.host_if = f"fbh{pid}"[:15]
        self.ns_if = f"fbc{pid}"[:15]
        base = (pid % (1 << 14)) * 4          # a /30 inside 10.232/16
        net = f"10.232.{base >> 8}.{base & 255}"
        self.host_addr = f"10.232.{base >> 8}.{(base & 255) + 1}"
        self.ns_addr = f"10.232.{base >> 8}.{(base & 255) + 2}"
        self.net = net
        try:
            run(["ip", "netns", "add", self.name])
            run(["ip", "link", "add", self.host_if, "type", "veth",
                 "peer", "name", self.ns_if, "netns", self.name])
            run(["ip", "addr", "add", f"{self.host_addr}/30", "dev",
                 self.host_if])
            run(["ip", "link", "set", self.host_if, "up"])
            self.exec(["ip", "addr", "add", f"{self.ns_addr}/30", "dev",
                       self.ns_if])
            self.exec(["ip", "link", "set", self.ns_if, "up"])
            self.exec(["ip", "link", "set", "lo", "up"])
        except (subprocess.CalledProcessError, OSError):
            self.close()
            raise
        log(f"netns {self.name}: clients at {self.ns_addr}, servers at "
            f"{self.host_addr} over {self.host_if}")

    def prefix(self):
        return ["ip", "netns", "exec", self.name]

    def exec(self, argv):
        run(self.prefix() + argv)

    def close(self):
        # Deleting the namespace takes its veth end and so the pair.
        subprocess.run(["ip", "netns", "del", self.name],
                       stderr=subprocess.DEVNULL, check=False)
        subprocess.run(["ip", "link", "del", self.host_if],
                       stderr=subprocess.DEVNULL, check=False)


class Topology:
    """Where a server listens and how its clients reach it."""

    def __init__(self, name, netns=None):
        self.name = name
        self.netns = netns
        self.addr = netns.host_addr if netns else "127.0.0.1"
        self.port_shift = NETNS_PORT if netns else 0
        self.pasv_shift = NETNS_PASV if netns else 0

    def client(self, argv):
        """argv of a client run from this topology's side."""
        return (self.netns.prefix() if self.netns else []) + argv


def slot(name, topo):
    """The results key of a server in a topology (plain for loopback, as
    in results from before topologies)."""
    return name if topo == "loopback" else f"{name}@{topo}"


def port_open(port, addr="127.0.0.1"):
    try:
        with socket.create_connection((addr, port), timeout=1) as s:
            s.settimeout(2)
            return s.recv(3) == b"220"
    except OSError:
        return False


class Server:
    def __init__(self, name, topo=None):
        self.topo = topo or Topology("loopback")
        self.name = name
        self.slot = slot(name, self.topo.name)
        self.addr = self.topo.addr
        self.port = PORTS[name] + self.topo.port_shift
        # Something else on the port would answer for a server that could
        # not bind, and be measured in its place.
        if port_open(self.port, self.addr):
            raise RuntimeError(f"{name}: port {self.port} is already in "
                               f"use by another process")
        argv = CONF[name](self.addr, self.port,
                          PASV[name] + self.topo.pasv_shift)
        self.err = open(os.path.join(LOGS, f"{self.slot}.stderr"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.err, stderr=self.err,
                                     start_new_session=True)
        for _ in range(50):
            if port_open(self.port, self.addr):
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{name} did not answer on {self.port}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {self.proc.returncode}"
                               f" (see {LOGS}/{self.slot}.stderr)")
        time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.err.close()

    def tree(self):
        """PIDs of the server's master and all its live descendants."""
        kids = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.proc.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def cpu_seconds(self):
        """utime+stime+cutime+cstime of the master: reaped sessions too."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            st = f.read()
        fields = st[st.rindex(")") + 2:].split()
        ticks = sum(int(x) for x in fields[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")

    def pss_kib(self):
        total = 0
        for p in self.tree():
            try:
                with open(f"/proc/{p}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total


# ---------------------------------------------------------------- workloads

def loadgen_argv(srv, args, password, tls=False, user=USER):
    argv = [LOADGEN, "-h", srv.addr, "-p", str(srv.port), "-u", user,
            "-w", password]
    if tls:
        argv.insert(1, "-t")
    return srv.topo.client(argv + args)


def loadgen(srv, args, password, tls=False, user=USER):
    argv = loadgen_argv(srv, args, password, tls, user)
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=LG_TIMEOUT)
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if r.returncode != 0 or not line.startswith("ok"):
        msg = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(msg[:120])
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def clean_uploads():
    up = os.path.join(HOME, "up")
    for entry in os.listdir(up):
        p = os.path.join(up, entry)
        if os.path.isdir(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    os.sync()


def mbps(res):
    return int(res["bytes"]) / float(res["seconds"]) / 1e6


def w_retr(srv, pw, tls=False):
    c0 = srv.cpu_seconds()
    res = loadgen(srv, ["retr", "big"], pw, tls)
    if tls:
        log(f"  {srv.slot}: {res.get('tls')}")
    if int(res["bytes"]) != BIG:
        raise RuntimeError(f"short RETR: {res['bytes']} bytes")
    if tls:
        return mbps(res)
    # The rate follows the other tenants of a shared machine; the CPU the
    # server spent per byte much less (sendfile against copies).
    time.sleep(1.0)         # let the session exit and be reaped
    cpu = srv.cpu_seconds() - c0
    return {"retr": mbps(res), "retr_cpu": cpu * 1000.0 / (BIG / (1 << 30))}


def w_stor(srv, pw, tls=False):
    clean_uploads()
    res = loadgen(srv, ["stor", "up/big", str(BIG)], pw, tls)
    size = os.path.getsize(os.path.join(HOME, "up", "big"))
    clean_uploads()
    if size != BIG:
        raise RuntimeError(f"stored {size} bytes")
    return mbps(res)


def w_sessions(srv, pw):
    c0 = srv.cpu_seconds()
    res = loadgen(srv, ["sessions", str(SESS_THREADS),
                             str(SESS_SECONDS)], pw, user="anonymous")
    time.sleep(1.0)         # let the last sessions exit and be reaped
    cpu = srv.cpu_seconds() - c0
    n = int(res["count"])
    if n == 0:
        raise RuntimeError(f"no session completed ({res['errors']} errors)")
    return {"sessions": n / float(res["seconds"]),
            "session_cpu": cpu * 1000.0 / n}


def hash_cpu_ms(pw):
    """CPU of one crypt(3) of the bench user's own shadow hash, the unit
    the issue states password logins in: (4 KiB pages, huge pages).
    test/bench/hashcost loops over libxcrypt's crypt_rn in one process,
    first as any program calls it, then with the work area on huge pages
    as ftpd places it (ftpd/hugemap.c)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import spwd
    h = spwd.getspnam(USER).sp_pwdp
    out = subprocess.run([HASHCOST, h, "10"], input=pw + "\n",
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"hashcost: {out.stderr.strip()}")
    kv = dict(x.split("=", 1) for x in out.stdout.split()[1:])
    return float(kv["plain_ms"]), float(kv["huge_ms"])


def w_pwlogin(srv, pw):
    plain_ms, huge_ms = hash_cpu_ms(pw)
    c0 = srv.cpu_seconds()
    res = loadgen(srv, ["sessions", str(SESS_THREADS),
                             str(SESS_SECONDS)], pw)
    time.sleep(1.0)
    n = int(res["count"])
    if n == 0:
        raise RuntimeError(f"no login completed ({res['errors']} errors)")
    ms = (srv.cpu_seconds() - c0) * 1000.0 / n
    return {"pwlogin": ms / plain_ms, "pwlogin_huge": ms / huge_ms}


def w_get4k(srv, pw):
    res = loadgen(srv, ["getmany", "small", str(SMALL_N),
                             str(MANY_SECONDS)], pw)
    return int(res["files"]) / float(res["seconds"])


def upload_dir():
    """An empty up/p owned by the benchmark user."""
    clean_uploads()
    os.makedirs(os.path.join(HOME, "up", "p"))
    u = pwd.getpwnam(USER)
    os.chown(os.path.join(HOME, "up", "p"), u.pw_uid, u.pw_gid)


def w_put4k(srv, pw):
    upload_dir()
    res = loadgen(srv, ["putmany", "up/p", str(SMALL_N),
                             str(SMALL_SIZE), str(MANY_SECONDS)], pw)
    clean_uploads()
    return int(res["files"]) / float(res["seconds"])


def w_many_tls(srv, pw):
    """Small files both ways over FTPS in one session: what a mirror or a
    deploy does, where each transfer's handshake and close count."""
    upload_dir()
    res = loadgen(srv, ["bothmany", "small", "up/p", str(TLS_MANY_N),
                             str(SMALL_SIZE), str(MANY_SECONDS)], pw, True)
    clean_uploads()
    return int(res["files"]) / float(res["seconds"])


def w_list(srv, pw, cmd="LIST"):
    res = loadgen(srv, ["list", cmd, "many"], pw)
    if int(res["lines"]) < LIST_N:
        raise RuntimeError(f"{cmd} gave {res['lines']} lines")
    return float(res["seconds"])


def w_idle(srv, pw):
    base = srv.pss_kib()
    argv = loadgen_argv(srv, ["idle", str(IDLE_N)], pw)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline().strip()
        if not line.startswith("ready sessions=") or \
                int(line.split("=")[1]) != IDLE_N:
            raise RuntimeError(f"idle: {line or 'no sessions'}")
        time.sleep(1.0)
        total = srv.pss_kib()
        nproc = len(srv.tree()) - 1
    finally:
        p.stdin.close()
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    log(f"  {srv.slot}: {nproc} processes for {IDLE_N} idle sessions")
    return (total - base) / IDLE_N


def w_par32(srv, pw):
    res = loadgen(srv, ["par", "32", "f32m"], pw)
    if int(res["bytes"]) != 32 * PAR_FILE:
        raise RuntimeError(f"par32 got {res['bytes']} bytes")
    return mbps(res)


RUNNERS = {
    "retr": lambda s, p: w_retr(s, p),
    "stor": lambda s, p: w_stor(s, p),
    "retr_tls": lambda s, p: w_retr(s, p, True),
    "stor_tls": lambda s, p: w_stor(s, p, True),
    "sessions": w_sessions,
    "pwlogin": w_pwlogin,
    "get4k": w_get4k,
    "put4k": w_put4k,
    "many_tls": w_many_tls,
    "list": lambda s, p: w_list(s, p, "LIST"),
    "mlsd": lambda s, p: w_list(s, p, "MLSD"),
    "idle": w_idle,
    "par32": w_par32,
}


# ---------------------------------------------------------------- results

def load_results():
    try:
        with open(RESULTS) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"servers": {}, "machine": {}}


def save_results(res):
    tmp = RESULTS + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    os.replace(tmp, RESULTS)


def record(res, server, name, value):
    entry = res["servers"].setdefault(server, {}).setdefault(name, {})
    if isinstance(value, str):
        entry.clear()
        entry["na"] = value
    else:
        entry.pop("na", None)
        entry.setdefault("runs", []).append(value)


# What each workload serves, read again before every run (warm_cache).
WARM = {"retr": "big", "retr_tls": "big", "par32": "f32m",
        "get4k": "small", "many_tls": "small", "list": "many",
        "mlsd": "many"}


def warm_cache(g):
    """Read what workload g serves, so that every server's turn finds it
    in the page cache: this VM reclaims idle file pages within minutes
    (1 GiB read in 0.49 s after a pause, 0.13 s right after), and the
    first server after an eviction would pay the disk reads."""
    if g not in WARM:
        return
    path = os.path.join(HOME, WARM[g])
    files = [path]
    if os.path.isdir(path):
        with os.scandir(path) as it:     # also warms the inode cache
            files = [e.path for e in it if e.is_file(follow_symlinks=False)
                     and e.stat(follow_symlinks=False).st_size > 0]
        if g in ("list", "mlsd"):
            return
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while fh.read(1 << 20):
                pass


def run_one(srv, g, i, pw, res):
    """One run of workload g on a running server; False after a failure
    (the workload is then n/a for that server)."""
    warm_cache(g)
    t0 = time.monotonic()
    try:
        v = RUNNERS[g](srv, pw)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        log(f"{srv.slot} {g}: {e}")
        record(res, srv.slot, g, "n/a: " + str(e))
        for k in COMPANIONS.get(g, []):
            record(res, srv.slot, k, "n/a")
        return False
    for k, x in (v.items() if isinstance(v, dict) else [(g, v)]):
        record(res, srv.slot, k, x)
    shown = v if isinstance(v, dict) else round(v, 2)
    log(f"{srv.slot} {g} run {i + 1}: {shown} ({time.monotonic() - t0:.1f} s)")
    return True


def run_all(names, topos, groups, runs, pw, res, na):
    """All servers run side by side, once per topology, and take turns:
    run i of a workload is done on every server in every topology before
    run i + 1, so a slow minute of this shared machine lands on all of
    them, not on one server's column; the order rotates from round to
    round."""
    started = {}
    for topo in topos:
        for name in names:
            key = slot(name, topo.name)
            for g in groups:             # fresh numbers replace old ones
                for k in [g] + COMPANIONS.get(g, []):
                    res["servers"].setdefault(key, {}).pop(k, None)
            if name in na:
                for g in groups:
                    record(res, key, g, "n/a: " + na[name])
                continue
            try:
                started[key] = Server(name, topo)
            except RuntimeError as e:
                log(str(e))
                for g in groups:
                    record(res, key, g, "n/a: " + str(e))
    try:
        for g in groups:
            failed = set()
            order = list(started.items())
            if g in DISCARD_FIRST and order:
                # The first big write after other work pays for the page
                # cache's reclaim (ftpd's first STOR ran at 335-366 MB/s,
                # its later ones at 1900-2900): one discarded run takes
                # that, instead of whichever server goes first.
                name, srv = order[0]
                try:
                    RUNNERS[g](srv, pw)
                    log(f"{name} {g}: warm-up run, discarded")
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    log(f"{name} {g}: warm-up run failed: {e}")
            for i in range(1 if g == "idle" else runs):
                # Each round starts with the next server: a slot in the
                # order (right after another server's big upload was
                # deleted, say) must not always fall to the same one.
                for name, srv in order[i % len(order):] + \
                        order[:i % len(order)]:
                    if name not in failed and not run_one(srv, g, i, pw,
                                                          res):
                        failed.add(name)
            save_results(res)
    finally:
        for srv in started.values():
            srv.stop()


def machine_limits(res):
    out = subprocess.run([LOADGEN, "-p", "1", "loopback", str(4 << 30)],
                         capture_output=True, text=True, timeout=120)
    kv = dict(x.split("=", 1) for x in out.stdout.split()[1:])
    res["machine"]["loopback_MBps"] = mbps(kv)
    out = subprocess.run([LOADGEN, "-p", "1", "loopback", str(4 << 30),
                          os.path.join(HOME, "big")],
                         capture_output=True, text=True, timeout=120)
    kv = dict(x.split("=", 1) for x in out.stdout.split()[1:])
    res["machine"]["sendfile_MBps"] = mbps(kv)
    out = subprocess.run(["openssl", "speed", "-seconds", "2", "-bytes",
                          "16384", "-evp", "aes-128-gcm"],
                         capture_output=True, text=True, timeout=120)
    for line in out.stdout.splitlines():
        if line.lower().startswith("aes-128-gcm"):
            v = line.split()[-1].rstrip("k")
            res["machine"]["aes128gcm_MBps"] = float(v) * 1000 / 1e6
    res["machine"]["cpus"] = os.cpu_count()
    for procs in (1, 3):
        srv = Server(f"bare{procs}", Topology("loopback"))
        try:
            r = w_sessions(srv, "bench@example.org")
        finally:
            srv.stop()
        res["machine"][f"bare{procs}_sessions"] = r["sessions"]
        res["machine"][f"bare{procs}_cpu_ms"] = r["session_cpu"]


def fmt(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def print_table(res):
    for topo in TOPOLOGIES:
        servers = [slot(s, topo) for s in SERVERS + list(VARIANTS)]
        servers = [s for s in servers if s in res["servers"]]
        if servers:
            print_topology(res, topo, servers)
    print_machine(res)


def print_topology(res, topo, servers):
    print()
    print(f"topology {topo}: " + (
        "clients and servers on 127.0.0.1" if topo == "loopback" else
        "clients in their own network namespace, over a veth pair"))
    print("median of runs [min-max]; ratio = ftpd / best peer "
          "(>1 better for ^, <1 better for v)")
    head = f"{'workload':34} {'unit':8}" + "".join(
        f"{s.split('@')[0]:>22}" for s in servers) + f"{'ratio':>8}"
    print(head)
    print("-" * len(head))
    for w, (label, unit, hib) in WORKLOADS.items():
        cells, med = [], {}
        for s in servers:
            e = res["servers"][s].get(w)
            if not e:
                cells.append("-")
            elif "na" in e:
                cells.append("n/a")
            else:
                r = e["runs"]
                med[s] = statistics.median(r)
                cell = fmt(med[s])
                if len(r) > 1:
                    cell += f" [{fmt(min(r))}-{fmt(max(r))}]"
                cells.append(cell)
        ftpd = slot("ftpd", topo)
        peers = [med[s] for s in med if not s.startswith("ftpd")]
        ratio = "-"
        if ftpd in med and peers:
            best = max(peers) if hib else min(peers)
            if best > 0:
                ratio = f"{med[ftpd] / best:.3g}"
        arrow = "^" if hib else "v"
        print(f"{label:34} {unit + ' ' + arrow:8}" +
              "".join(f"{c:>22}" for c in cells) + f"{ratio:>8}")
    nas = [(s, w, e["na"]) for s in servers
           for w, e in res["servers"][s].items() if "na" in e]
    for s, w, why in nas:
        print(f"  n/a {s} {w}: {why}")


def print_machine(res):
    m = res.get("machine", {})
    if m:
        print(f"machine: {m.get('cpus')} CPUs; loopback TCP write "
              f"{fmt(m.get('loopback_MBps', 0))} MB/s, sendfile "
              f"{fmt(m.get('sendfile_MBps', 0))} MB/s; openssl aes-128-gcm "
              f"(16 KiB blocks, 1 core) {fmt(m.get('aes128gcm_MBps', 0))}"
              f" MB/s")
    for procs in (1, 3):
        if f"bare{procs}_sessions" in m:
            print(f"sessions floor (bareforker, {procs} process"
                  f"{'es' if procs > 1 else ''} per session, one CPU): "
                  f"{fmt(m[f'bare{procs}_sessions'])}/s, "
                  f"{fmt(m[f'bare{procs}_cpu_ms'])} ms CPU each")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--workloads", default=",".join(GROUPS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--topology", default=",".join(TOPOLOGIES),
                    help="loopback, netns or both (the default)")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--fresh", action="store_true",
                    help="forget earlier results first")
    ap.add_argument("--limits", action="store_true",
                    help="measure the machine's limits again")
    a = ap.parse_args()
    if a.report:
        print_table(load_results())
        return 0
    if os.geteuid() != 0:
        log("must run as root (servers bind, chroot and switch users)")
        return 1
    # Run directly (not via make bench), build what is missing or stale.
    if subprocess.run(["make", "-C", TOP, "all", "test/bench/loadgen",
                       "test/bench/hashcost", "test/bench/bareforker"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        log("build failed (make all test/bench/loadgen test/bench/hashcost "
            "test/bench/bareforker)")
        return 1
    servers = [s for s in a.servers.split(",") if s]
    groups = [g for g in a.workloads.split(",") if g]
    topos = [t for t in a.topology.split(",") if t]
    bad = [x for x in servers if x not in SERVERS and x not in VARIANTS] + \
        [x for x in groups if x not in GROUPS] + \
        [x for x in topos if x not in TOPOLOGIES]
    if bad or not topos:
        log(f"unknown server, workload or topology: {','.join(bad)}")
        return 1
    # Two benches at once would measure each other (and share ports).
    import fcntl
    os.makedirs(DATA, exist_ok=True)
    lock = open(os.path.join(DATA, "bench.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log("another bench.py runs on this tree; wait for it")
        return 1
    na = setup_peers()
    pw = setup_data()
    res = {"servers": {}, "machine": {}} if a.fresh else load_results()
    if a.limits or "machine" not in res or not res["machine"]:
        res["machine"] = {}
        machine_limits(res)
    # A SIGTERM (make interrupted, a timeout) still removes the namespace
    # and stops the servers through the finally clauses.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    netns = None
    if "netns" in topos:
        try:
            netns = Netns()
        except (subprocess.CalledProcessError, OSError) as e:
            # No ip(8) or no namespaces here: the loopback figures
            # still mean something, so measure those and say so.
            log(f"netns topology skipped: cannot make a namespace ({e})")
            topos = [t for t in topos if t != "netns"]
    try:
        run_all(servers, [Topology(t, netns if t == "netns" else None)
                          for t in TOPOLOGIES if t in topos],
                groups, a.runs, pw, res, na)
    finally:
        if netns:
            netns.close()
    save_results(res)
    print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
