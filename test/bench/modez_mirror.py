#!/usr/bin/env python3
"""modez_mirror.py - time an lftp mirror of many small files, MODE Z on/off.

lftp sends MODE Z by itself whenever FEAT offers it; this measures what
that costs on loopback.  Starts the built ftpd through the integration
harness (a temporary directory, stopped by PID), makes N small files
(text-like and random, 200 B to 8 KiB), then mirrors them down and up
with ftp:use-mode-z yes and no, checking every file by SHA-256.

    modez_mirror.py [--files 500] [--runs 3] [--tls] [--conf key=value ...]

Prints the median and best seconds of each run kind (loopback timings
are noisy on a shared machine: compare the best).  Not run by make check.
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import Server, check, run, tree_hashes  # noqa: E402

USER, PASS = "bench", "Bench-pw-1"


def make_tree(root, n):
    rnd = random.Random(17)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"ftp", b"server",
             b"\n", b"mirror", b"file", b"data"]
    for i in range(n):
        size = rnd.randint(200, 8192)
        if i % 3 == 0:
            data = rnd.randbytes(size)
        else:
            data = b" ".join(rnd.choice(words) for _ in range(size // 5))
        d = root / f"d{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:04d}.dat").write_bytes(data)
    return tree_hashes(root)


def lftp(srv, script, cwd, modez, tls):
    pre = (f"set ftp:use-mode-z {'yes' if modez else 'no'}; "
           f"set ftp:ssl-allow {'yes' if tls else 'no'}; "
           "set ssl:verify-certificate no; set net:max-retries 2; "
           "set cmd:fail-exit yes; set xfer:clobber on; ")
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    run(["lftp", "-u", f"{USER},{PASS}", "-p", str(srv.port),
         "-e", pre + script + "; quit", "127.0.0.1"], timeout=600, cwd=cwd)
    t = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--conf", action="append", default=[])
    ap.add_argument("--tls", action="store_true",
                    help="AUTH TLS, PROT P (lftp's default when offered)")
    a = ap.parse_args()
    conf = dict(kv.split("=", 1) for kv in a.conf)
    conf.setdefault("log_level", "info")
    times, cpus = {}, {}
    with Server(users={USER: PASS}, conf=conf,
                tls="on" if a.tls else "off") as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-bench-") as d:
        want = make_tree(srv.home(USER) / "tree", a.files)
        srv.give(USER)
        for _ in range(a.runs):
            for modez in (False, True):
                local = Path(d) / "down"
                shutil.rmtree(local, ignore_errors=True)
                t, cpu = lftp(srv, f"mirror /tree {local}", d, modez, a.tls)
                check(tree_hashes(local) == want, "mirror down differs")
                times.setdefault(("down", modez), []).append(t)
                cpus.setdefault(("down", modez), []).append(cpu)
                back = srv.home(USER) / "back"
                shutil.rmtree(back, ignore_errors=True)
                t, cpu = lftp(srv, f"mirror -R {local} /back", d, modez,
                              a.tls)
                check(tree_hashes(back) == want, "mirror -R differs")
                times.setdefault(("up", modez), []).append(t)
                cpus.setdefault(("up", modez), []).append(cpu)
    for (way, modez), ts in sorted(times.items()):
        print(f"mirror {way:4} MODE Z {'on ' if modez else 'off'}: "
              f"median {statistics.median(ts):.2f} s, best {min(ts):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in ts)}); lftp cpu "
              f"{statistics.median(cpus[(way, modez)]):.2f} s")


if __name__ == "__main__":
    main()
