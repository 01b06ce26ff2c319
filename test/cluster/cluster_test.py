#!/usr/bin/env python3
"""cluster_test.py - ftpd nodes behind a real HAProxy, in network
namespaces this test makes and removes (make check-cluster).

    python3 test/cluster/cluster_test.py

Topology (addresses exist only inside the namespaces):

    client 10.231.1.2 --- 10.231.1.1 balancer (HAProxy, forwards IP)
                           10.231.1K.1 --- 10.231.1K.2 node K (K = 1..3)

The nodes share one storage directory (the accounts' homes) and one
real PostgreSQL (accounts, quota tallies, ftp_bans), reached over a Unix
socket in a directory every namespace sees.  HAProxy sends PROXY v2 to
the nodes and health-checks them (check-send-proxy).  Nodes 1 and 2 sit
behind the balanced port 21 and have their passive ranges forwarded by
the balancer (proxy_protocol_data); node 3 announces its own address
(pasv_address) and the client reaches its passive ports directly.
Ports 2101-2103 reach one node each, so a test can say which node it
talks to.  Exit 0 passed, 1 failed, 77 skipped (no root, no ip netns,
no haproxy, no PostgreSQL): the reason is printed.
"""

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from harness import (FTPD, Skip, TestFailure, VUSER_GID, VUSER_UID,  # noqa
                     cert_pair, check, chown_tree, is_root, make_file,
                     sha256_file)

SKIP_RC = 77
HAPROXY = "/usr/sbin/haproxy"
NET = "10.231"
BAL = f"{NET}.1.1"
CLI = f"{NET}.1.2"
NODES = 3
PORT = 2121                      # each node's control port
PASV = {1: (30100, 30119), 2: (30200, 30219), 3: (30300, 30319)}
USER, PASS = "alice", "alice-pw"
QUSER, QPASS = "carol", "carol-pw"
SUSER, SPASS = "dave", "dave-pw"   # rate_down: a download that lasts
QUOTA = 1 << 20
STEP_TIMEOUT = 60


def node_addr(k):
    return f"{NET}.{10 + k}.2"


def run(argv, timeout=STEP_TIMEOUT, check_rc=True):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    if check_rc and p.returncode != 0:
        raise TestFailure(f"{' '.join(map(str, argv))}: rc {p.returncode}: "
                          + p.stderr.decode(errors="replace")[-1500:])
    return p


class Namespaces:
    """ip netns made here, with a unique tag; all removed by close()."""

    def __init__(self):
        self.tag = secrets.token_hex(3)
        self.made = []
        self.nveth = 0

    def name(self, role):
        return f"ftpc-{self.tag}-{role}"

    def add(self, role):
        ns = self.name(role)
        run(["ip", "netns", "add", ns])
        self.made.append(ns)
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        return ns

    def link(self, a, a_addr, b, b_addr):
        """A veth pair between namespaces a and b, /24 addresses."""
        self.nveth += 1
        va, vb = f"fc{self.tag}{self.nveth}a", f"fc{self.tag}{self.nveth}b"
        run(["ip", "link", "add", va, "netns", a, "type", "veth", "peer",
             "name", vb, "netns", b])
        for ns, dev, addr in ((a, va, a_addr), (b, vb, b_addr)):
            run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])

    def close(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], timeout=30,
                           capture_output=True)
        self.made = []


def ns_exec(ns, argv):
    return ["ip", "netns", "exec", ns] + [str(a) for a in argv]


class Proc:
    """A long-lived process in a namespace, in its own process group."""

    def __init__(self, ns, argv, log):
        self.log = Path(log)
        self.f = open(self.log, "wb")
        self.p = subprocess.Popen(ns_exec(ns, argv), stdin=subprocess.DEVNULL,
                                  stdout=self.f, stderr=self.f,
                                  start_new_session=True)

    def killpg(self, sig):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.p.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.p.pid, sig)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.killpg(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.p.wait(timeout=5)
        self.f.close()

    def text(self):
        return self.log.read_text(errors="replace")


def wait_port(ns, host, port, timeout=15):
    code = ("import socket,sys\ns=socket.socket();s.settimeout(1)\n"
            f"sys.exit(s.connect_ex(('{host}',{port})))")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if run(ns_exec(ns, ["python3", "-c", code]), check_rc=False,
               timeout=10).returncode == 0:
            return
        time.sleep(0.1)
    raise TestFailure(f"nothing listens on {host}:{port} in {ns}")


def greeting(ns, host, port):
    """The first line a client gets on host:port (from namespace ns)."""
    code = ("import socket\ns=socket.create_connection(("
            f"'{host}',{port}),10)\nprint(s.makefile('rb').readline()"
            ".decode(errors='replace').strip())")
    return run(ns_exec(ns, ["python3", "-c", code]), check_rc=False,
               timeout=20).stdout.decode().strip()


class Cluster:
    def __init__(self, work, pg):
        self.work = work
        self.pg = pg
        self.ns = Namespaces()
        self.nodes = {}
        self.hap = None
        self.store = work / "store"
        self.cert, self.key = cert_pair()
        self.balanced = [1, 2]      # the nodes behind port 21
        self.direct = {3}           # nodes whose passive ports are direct

    def build(self):
        n = self.ns
        self.cli = n.add("cli")
        self.bal = n.add("bal")
        n.link(self.cli, CLI, self.bal, BAL)
        run(["ip", "-n", self.cli, "route", "add", "default", "via", BAL])
        run(ns_exec(self.bal, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
        self.node_ns = {}
        for k in range(1, NODES + 1):
            ns = n.add(f"n{k}")
            n.link(self.bal, f"{NET}.{10 + k}.1", ns, node_addr(k))
            run(["ip", "-n", ns, "route", "add", "default", "via",
                 f"{NET}.{10 + k}.1"])
            self.node_ns[k] = ns

    def node_conf(self, k):
        d = self.work / f"n{k}"
        for sub in ("run", "empty"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(d / "empty", 0o755)
        (d / "ftpusers").write_text("root\n")
        lo, hi = PASV[k]
        keys = dict(self.pg.ftpd_conf())
        keys.update({
            "listen": f"{node_addr(k)}:{PORT}",
            "anonymous": "no", "system_users": "no",
            "deny_file": d / "ftpusers", "run_dir": d / "run",
            "empty_dir": d / "empty", "nopriv_user": "nobody",
            "log": d / "ftpd.log",
            "tls": "on", "tls_cert": self.cert, "tls_key": self.key,
            "proxy_protocol": "yes", "proxy_from": f"{NET}.{10 + k}.1",
            "pasv_ports": f"{lo}-{hi}",
            # 1, 2: the balancer forwards the range; 3: reached directly
            "pasv_address": BAL if k not in self.direct else node_addr(k),
            "proxy_protocol_data": "no" if k in self.direct else "yes",
            "ban_after": "3", "ban_seconds": "30", "bans_shared": "yes",
            "accounts_home_root": self.store, "shutdown_grace": "20",
            "idle_timeout": "60", "data_timeout": "30",
            # The account's own quota comes with its row.
            "sql_user_query": "SELECT name, password, uid, gid, home, "
                              "enabled, quota_bytes, rate_down FROM "
                              "ftp_accounts "
                              "WHERE name = :user",
            # Node 3 logs what an operator sees (health checks: none).
            "log_level": "debug" if k != 3 else "info",
        })
        conf = d / "ftpd.conf"
        conf.write_text("".join(f"{a} = {b}\n" for a, b in keys.items()))
        return conf

    def start_node(self, k):
        conf = self.node_conf(k)
        self.nodes[k] = Proc(self.node_ns[k], [FTPD, "-f", conf],
                             self.work / f"n{k}" / "stderr")
        wait_port(self.node_ns[k], node_addr(k), PORT)

    def node_log(self, k):
        p = self.work / f"n{k}" / "ftpd.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def haproxy_cfg(self):
        def srv(k, extra=""):
            return (f"    server n{k} {node_addr(k)}:{PORT} send-proxy-v2 "
                    f"check check-send-proxy inter 300 fall 1 rise 2"
                    f"{extra}\n")
        text = f"""global
    maxconn 400
defaults
    mode tcp
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    retries 2
    option redispatch
frontend ftp
    bind {BAL}:21
    default_backend nodes
backend nodes
    balance roundrobin
{"".join(srv(k) for k in self.balanced)}"""
        for k in range(1, NODES + 1):
            text += (f"frontend one{k}\n    bind {BAL}:{2100 + k}\n"
                     f"    default_backend only{k}\nbackend only{k}\n"
                     + srv(k))
        for k in sorted(set(range(1, NODES + 1)) - self.direct):
            lo, hi = PASV[k]
            # The passive range: the port the client dials is the one
            # the node listens on (no port on the server line).
            text += (f"frontend pasv{k}\n    bind {BAL}:{lo}-{hi}\n"
                     f"    default_backend pasv{k}\nbackend pasv{k}\n"
                     f"    server n{k} {node_addr(k)} send-proxy-v2\n")
        return text

    def start_haproxy(self):
        cfg = self.work / "haproxy.cfg"
        cfg.write_text(self.haproxy_cfg())
        self.hap = Proc(self.bal, [HAPROXY, "-f", cfg, "-db"],
                        self.work / "haproxy.log")
        wait_port(self.cli, BAL, 21)

    def close(self):
        if self.hap:
            self.hap.stop()
        for p in self.nodes.values():
            p.stop(timeout=5)
        self.ns.close()


CURL = ["curl", "-sS", "--max-time", "40", "--connect-timeout", "10"]


def curl(c, args, check_rc=True, timeout=STEP_TIMEOUT):
    return run(ns_exec(c.cli, CURL + list(args)), check_rc=check_rc,
               timeout=timeout)


def url(port, path, user=USER, pw=PASS):
    return f"ftp://{user}:{pw}@{BAL}:{port}/{path}"


def test_upload_a_read_b(c):
    src = c.work / "up.bin"
    digest = make_file(src, 3 << 20)
    curl(c, ["-T", src, url(2101, "shared.bin")])
    out = c.work / "down.bin"
    curl(c, [url(2102, "shared.bin"), "-o", out])
    check(sha256_file(out) == digest, "read through node B differs")
    check("STOR" in c.node_log(1) and "RETR" in c.node_log(2),
          "the upload or download did not go to the node asked for")


def test_passive_active_balanced(c):
    """Port 21 alternates between nodes 1 and 2: passive (EPSV, PASV)
    through the forwarded ranges, and active (PORT, the node connects
    out to the client through the balancer's routing)."""
    out = c.work / "p.bin"
    want = sha256_file(c.store / USER / "shared.bin")
    for mode in (["--ftp-pasv"], ["--ftp-pasv", "--disable-epsv"],
                 ["--ftp-port", CLI], ["--ftp-pasv"]):
        curl(c, mode + [url(21, "shared.bin"), "-o", out])
        check(sha256_file(out) == want, f"transfer {mode} differs")
    for k in (1, 2):
        check(f"client {CLI}" in c.node_log(k),
              f"node {k} never saw the client through the balancer")


def test_direct_passive(c):
    """Node 3 announces its own address: the data connection goes to it
    directly, not through the balancer."""
    out = c.work / "d.bin"
    curl(c, ["--ftp-pasv", "--disable-epsv", "--no-ftp-skip-pasv-ip",
             url(2103, "shared.bin"), "-o", out])
    check(sha256_file(out) == sha256_file(c.store / USER / "shared.bin"),
          "direct passive download differs")
    check("refused passive" not in c.node_log(3), "node 3 refused a "
          "direct data connection:\n" + c.node_log(3)[-2000:])


def test_ftps_reuse(c):
    """FTPS through the balancer: the node requires TLS session reuse on
    data connections (tls_reuse_required, default yes), so a download
    that works proves the client's data connection resumed the control
    connection's session through HAProxy."""
    out = c.work / "tls.bin"
    for port in (2101, 2102):
        curl(c, ["--ssl-reqd", "-k", url(port, "shared.bin"), "-o", out])
        check(sha256_file(out) == sha256_file(c.store / USER / "shared.bin"),
              "FTPS download differs")
    if shutil.which("lftp"):
        run(ns_exec(c.cli, ["lftp", "-u", f"{USER},{PASS}", "-p", "21",
                            "-e", "set ssl:verify-certificate no; "
                            "set ftp:ssl-force yes; set ftp:ssl-protect-data "
                            "yes; set net:max-retries 1; set net:timeout 20; "
                            "set cmd:fail-exit yes; cls -1 /; quit", BAL]))


def test_quota_across_nodes(c):
    a, b = c.work / "qa.bin", c.work / "qb.bin"
    make_file(a, 700 << 10)
    make_file(b, 700 << 10)
    curl(c, ["-T", a, url(2101, "qa.bin", QUSER, QPASS)])
    r = curl(c, ["-T", b, url(2102, "qb.bin", QUSER, QPASS)], check_rc=False)
    check(r.returncode != 0, "a second upload over the quota passed on "
          "node B")
    tally = c.pg.psql("SELECT bytes_used FROM ftp_quota_tally WHERE "
                      f"name = '{QUSER}'")
    check(int(tally or 0) <= QUOTA, f"tally {tally} over the quota")


def test_bans_shared(c):
    """Three failed logins through node 1 ban the client; node 2 refuses
    it at connect time within 2 s; the database holds one row."""
    for _ in range(3):
        curl(c, [url(2101, "", USER, "wrong")], check_rc=False)
    t0 = time.monotonic()
    line = ""
    while time.monotonic() - t0 < 4:
        line = greeting(c.cli, BAL, 2102)
        if line.startswith("421"):
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    check(line.startswith("421"), f"node 2 greets a banned client: {line!r}"
          "\n" + c.node_log(2)[-1500:])
    check(took < 2.5, f"the ban took {took:.1f}s to reach node 2")
    rows = c.pg.psql("SELECT address, node FROM ftp_bans")
    check(CLI in rows, f"ftp_bans: {rows!r}")
    # Expiry everywhere: end the ban in the database; every node lets
    # the client in again within 2 s (node 1's own table still holds it
    # until ban_seconds: local bans are per node).
    c.pg.psql("UPDATE ftp_bans SET expires = 1")
    for port in (2102, 2103):
        end = time.monotonic() + 4
        while time.monotonic() < end:
            line = greeting(c.cli, BAL, port)
            if line.startswith("220"):
                break
            time.sleep(0.2)
        check(line.startswith("220"), f"{port} still refuses: {line!r}")


def test_outage_bans_nobody(c):
    """PostgreSQL stopped: a client that is not banned still connects
    (the nodes' view of bans stays; nothing new is banned)."""
    c.pg.stop()
    try:
        time.sleep(1.5)
        for port in (2102, 2103):
            line = greeting(c.cli, BAL, port)
            check(line.startswith("220"), f"greeting during the outage on "
                  f"{port}: {line!r}")
    finally:
        c.pg.start()


def test_health_checks_not_sessions(c):
    """HAProxy checks node 3 every 300 ms (check-send-proxy) and reports
    it up; at log_level info not one line comes of it, and no check is a
    refused or counted client."""
    before = len(c.node_log(3))
    time.sleep(2)
    # (The database restart of the test before may still be logged.)
    new = [ln for ln in c.node_log(3)[before:].splitlines()
           if "accounts" not in ln and "shared bans" not in ln]
    check(new == [], "health checks logged at info:\n" + "\n".join(new[-9:]))
    check(greeting(c.cli, BAL, 2103).startswith("220"), "node 3 is down")


def test_node_killed_during_upload(c):
    """A slow upload through node 1; node 1 is killed; the client's next
    session through port 21 lands on node 2 and its upload (again, in
    full) is whole; node 1's temporary file never took the final name."""
    src = c.work / "big.bin"
    digest = make_file(src, 4 << 20)
    p = subprocess.Popen(ns_exec(c.cli, CURL + ["--limit-rate", "500k",
                                               "-T", src,
                                               url(2101, "cut.bin")]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        end = time.monotonic() + 20
        while time.monotonic() < end and "STOR" not in c.node_log(1):
            time.sleep(0.1)
        time.sleep(1)
        c.nodes[1].stop(sig=signal.SIGKILL)
        p.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    check(p.returncode != 0, "the cut upload reported success")
    final = c.store / USER / "cut.bin"
    check(not final.exists(), "a killed node's partial upload took the "
          "final name (atomic_uploads)")
    time.sleep(1)                # HAProxy marks node 1 down (inter 300)
    curl(c, ["-T", src, url(21, "cut.bin")])
    check(sha256_file(final) == digest, "the retried upload differs")
    check("cut.bin" in c.node_log(2), "the retry did not land on node 2")


def test_sigterm_drains(c):
    """SIGTERM to node 2 during a download held to 1 MB/s (rate_down):
    the node stops taking new sessions at once (HAProxy marks it down),
    the transfer completes in full, then the node ends."""
    out = c.work / "drain.bin"
    want = sha256_file(c.store / SUSER / "slow.bin")
    seen = c.node_log(2).count("slow.bin")
    p = subprocess.Popen(ns_exec(c.cli, CURL + [url(2102, "slow.bin", SUSER,
                                                    SPASS), "-o", out]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        end = time.monotonic() + 20
        while time.monotonic() < end and \
                c.node_log(2).count("slow.bin") <= seen:
            time.sleep(0.1)
        time.sleep(0.5)
        os.kill(c.nodes[2].p.pid, signal.SIGTERM)
        time.sleep(0.5)
        line = greeting(c.cli, BAL, 2102)
        check(not line.startswith("220"), f"a draining node greets: "
              f"{line!r}")
        p.wait(timeout=40)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    check(p.returncode == 0 and sha256_file(out) == want,
          "the download was cut by SIGTERM despite shutdown_grace")
    c.nodes[2].p.wait(timeout=30)
    log = c.node_log(2)
    check("SIGTERM: no new sessions" in log and "0 session(s) signalled"
          in log, "node 2 did not drain:\n" + log[-1500:])


TESTS = [test_upload_a_read_b, test_passive_active_balanced,
         test_direct_passive, test_ftps_reuse, test_quota_across_nodes,
         test_bans_shared, test_outage_bans_nobody,
         test_health_checks_not_sessions, test_node_killed_during_upload,
         test_sigterm_drains]


def preflight():
    if not is_root():
        raise Skip("needs root (network namespaces, PostgreSQL)")
    if shutil.which("ip") is None:
        raise Skip("no ip(8) (iproute2)")
    if not os.path.exists(HAPROXY):
        raise Skip(f"no {HAPROXY} (make test-deps installs haproxy)")
    if shutil.which("curl") is None:
        raise Skip("no curl")
    probe = f"ftpc-probe-{secrets.token_hex(3)}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True,
                       timeout=30)
    if r.returncode != 0:
        raise Skip("cannot make a network namespace: " +
                   r.stderr.decode(errors="replace").strip())
    subprocess.run(["ip", "netns", "del", probe], capture_output=True,
                   timeout=30)
    if not FTPD.exists():
        raise TestFailure(f"{FTPD} not built (run make)")


def _on_term(signum, frame):
    # make check-cluster's timeout(1): unwind, so every namespace and
    # process this run made is removed.
    raise SystemExit(f"signal {signum}")


def main():
    from pg_server import PostgresServer
    signal.signal(signal.SIGTERM, _on_term)
    t_start = time.monotonic()
    try:
        preflight()
        pg_ctx = PostgresServer()
    except Skip as e:
        print(f"SKIP: cluster test: {e}")
        return SKIP_RC
    failed = passed = 0
    work = Path(tempfile.mkdtemp(prefix="ftpd-cluster-"))
    os.chmod(work, 0o755)
    c = None
    try:
        with pg_ctx as pg:
            pg.load_schema()
            c = Cluster(work, pg)
            for name, pw in ((USER, PASS), (QUSER, QPASS), (SUSER, SPASS)):
                (c.store / name).mkdir(parents=True)
                pg.add_account(name, pw, VUSER_UID, VUSER_GID,
                               c.store / name)
            make_file(c.store / SUSER / "slow.bin", 3 << 20)
            pg.psql("UPDATE ftp_accounts SET rate_down = 1048576 "
                    f"WHERE name = '{SUSER}'")
            pg.psql(f"UPDATE ftp_accounts SET quota_bytes = {QUOTA} "
                    f"WHERE name = '{QUSER}'")
            chown_tree(c.store, VUSER_UID, VUSER_GID)
            c.build()
            for k in range(1, NODES + 1):
                c.start_node(k)
            c.start_haproxy()
            for t in TESTS:
                t0 = time.monotonic()
                try:
                    t(c)
                    passed += 1
                    print(f"ok   {t.__name__} ({time.monotonic() - t0:.1f}s)",
                          flush=True)
                except Exception as e:   # report and go on
                    failed += 1
                    print(f"FAIL {t.__name__}: {e}", flush=True)
    finally:
        if c is not None:
            if failed:
                for k in c.nodes:
                    print(f"--- node {k} log tail ---\n"
                          + c.node_log(k)[-3000:])
                if c.hap:
                    print("--- haproxy ---\n" + c.hap.text()[-2000:])
            c.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"cluster: {passed} passed, {failed} failed "
          f"({time.monotonic() - t_start:.0f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
