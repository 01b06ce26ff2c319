#!/usr/bin/env python3
"""bench.py - the cluster's figures (make bench-cluster; not a test).

    python3 test/cluster/bench.py [ROUNDS] [SECONDS]

The topology of cluster_test.py (client, HAProxy, three nodes, one
PostgreSQL, one storage), with every node's passive range forwarded by
the balancer.  For one, two and three nodes behind port 21 (HAProxy
restarted with that backend; the configurations alternate, ROUNDS times
each) it measures, from the client namespace:

  - sessions per second: 8 threads connect, log in (SQL account), QUIT,
    for SECONDS;
  - aggregate download rate: 6 curl processes RETR a 64 MiB file at
    once, repeatedly for SECONDS.

It prints each run, then per configuration the median and [min-max].
"""

import statistics
import subprocess
import sys
import tempfile
import time
import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))

import cluster_test as ct  # noqa: E402
from harness import Skip, VUSER_GID, VUSER_UID, chown_tree, make_file  # noqa

SESS_CLIENT = r'''
import ftplib, sys, threading, time
host, user, pw, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
n = [0] * 8
errs = [0]
end = time.monotonic() + secs
def work(i):
    while time.monotonic() < end:
        try:
            f = ftplib.FTP(host, timeout=10)
            f.login(user, pw)
            f.quit()
            n[i] += 1
        except Exception:
            errs[0] += 1
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
t0 = time.monotonic()
[t.start() for t in ts]
[t.join() for t in ts]
print(sum(n) / (time.monotonic() - t0), errs[0])
'''

DL_CLIENT = r'''
import subprocess, sys, time
url, secs = sys.argv[1], float(sys.argv[2])
total = 0
t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    ps = [subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "-w",
                            "%{size_download}", "--max-time", "60", url],
                           stdout=subprocess.PIPE) for _ in range(6)]
    for p in ps:
        out = p.communicate(timeout=90)[0]
        total += int(out or 0)
print(total / (time.monotonic() - t0) / 1e6)
'''


def restart_haproxy(c, nodes):
    if c.hap:
        c.hap.stop()
        c.hap = None
    c.balanced = nodes
    c.start_haproxy()
    time.sleep(1)      # checks mark every server up (rise 2, inter 300)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    from pg_server import PostgresServer
    try:
        ct.preflight()
        pg_ctx = PostgresServer()
    except Skip as e:
        print(f"SKIP: cluster bench: {e}")
        return ct.SKIP_RC
    work = Path(tempfile.mkdtemp(prefix="ftpd-clbench-"))
    os.chmod(work, 0o755)
    c = None
    res = {1: ([], []), 2: ([], []), 3: ([], [])}
    try:
        with pg_ctx as pg:
            pg.load_schema()
            c = ct.Cluster(work, pg)
            c.direct = set()
            (c.store / ct.USER).mkdir(parents=True)
            pg.add_account(ct.USER, ct.PASS, VUSER_UID, VUSER_GID,
                           c.store / ct.USER)
            make_file(c.store / ct.USER / "big.bin", 64 << 20)
            chown_tree(c.store, VUSER_UID, VUSER_GID)
            c.build()
            for k in range(1, ct.NODES + 1):
                c.start_node(k)
            # Quiet nodes: the figures, not the log, are measured.
            for r in range(rounds):
                for n in (1, 2, 3):
                    restart_haproxy(c, list(range(1, n + 1)))
                    out = ct.run(ct.ns_exec(c.cli, [
                        "python3", "-c", SESS_CLIENT, ct.BAL, ct.USER,
                        ct.PASS, secs]), timeout=secs + 120).stdout.split()
                    sps, errs = float(out[0]), int(out[1])
                    out = ct.run(ct.ns_exec(c.cli, [
                        "python3", "-c", DL_CLIENT,
                        ct.url(21, "big.bin"), secs]),
                        timeout=secs + 300).stdout
                    mbs = float(out)
                    res[n][0].append(sps)
                    res[n][1].append(mbs)
                    print(f"round {r + 1} nodes {n}: {sps:.0f} sessions/s "
                          f"({errs} errors), download {mbs:.0f} MB/s",
                          flush=True)
    finally:
        if c is not None:
            c.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\ncluster through HAProxy, {os.cpu_count()} CPUs, {rounds} "
          "interleaved rounds, medians [min-max]:")
    for n in (1, 2, 3):
        s, d = res[n]
        print(f"  {n} node(s): {statistics.median(s):.0f} sessions/s "
              f"[{min(s):.0f}-{max(s):.0f}], download "
              f"{statistics.median(d):.0f} MB/s [{min(d):.0f}-{max(d):.0f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
