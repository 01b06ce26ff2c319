#!/usr/bin/env python3
"""run.py - run ftpd's integration tests (real server, real clients).

    python3 test/integration/run.py [-j JOBS] [-k SUBSTRING] [-t SECONDS]
                                    [NAME...]

Finds test/integration/test_*.py and runs every function named test_* in it,
each in its own Python process with a time limit, so a hung test cannot
hang the run and whatever it started can be cleaned up.  -j runs that many
tests at once (default: FTPD_TEST_JOBS, else 1); the tests of a file that
sets RUN_ALONE = True (timing, throughput) run afterwards, one at a time.  A NAME selects
tests whose "file.function" name contains it (test_basic, or
test_basic.test_syst); -k does the same.  Prints one line per test and ends
with "N passed, N failed" (", N skipped" when something was skipped).
Exit status 1 if any test failed.
"""

import argparse
import atexit
import concurrent.futures
import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP_RC = 77
TOKEN_VAR = "FTPD_TEST_TOKEN"


def discover(filters):
    """[(file stem, function name, alone)] in file and definition order;
    alone: the file sets RUN_ALONE = True."""
    out = []
    for path in sorted(HERE.glob("test_*.py")):
        names = []
        alone = False
        with open(path) as f:
            for line in f:
                if line.startswith("def test_"):
                    names.append(line[4:].split("(", 1)[0].strip())
                elif line.replace(" ", "").startswith("RUN_ALONE=True"):
                    alone = True
        for name in names:
            full = f"{path.stem}.{name}"
            if not filters or any(flt in full for flt in filters):
                out.append((path.stem, name, alone))
    return out


def run_one(stem, name):
    """In the child: import the file, run the function.  Exit 0 pass,
    1 fail (reason on the last line of stdout), 77 skip."""
    sys.path.insert(0, str(HERE))
    import harness

    def on_term(signum, frame):
        raise TimeoutError("test timed out")
    signal.signal(signal.SIGTERM, on_term)
    try:
        spec = importlib.util.spec_from_file_location(stem,
                                                      HERE / f"{stem}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        getattr(mod, name)()
    except harness.Skip as e:
        print(f"\nREASON: {e}", flush=True)
        _exit(SKIP_RC)
    except BaseException as e:  # noqa: BLE001 - report everything
        traceback.print_exc(file=sys.stdout)
        msg = str(e).strip().splitlines()
        first = msg[0] if msg else ""
        print(f"\nREASON: {type(e).__name__}: {first}"[:400], flush=True)
        _exit(1)
    _exit(0)


def _exit(rc):
    """Run atexit handlers (temporary directories), then leave at once."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    os._exit(rc)


def token_pids(token):
    """PIDs of live processes whose environment carries token."""
    needle = f"{TOKEN_VAR}={token}".encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            pids.append(int(d))
    return pids


def reap_stragglers(token):
    """Kill whatever a test left running (ftpd sessions, clients)."""
    pids = []
    for _ in range(3):
        pids = token_pids(token)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    return pids


def reason_of(output):
    for line in reversed(output.splitlines()):
        if line.startswith("REASON: "):
            return line[len("REASON: "):]
    lines = [l for l in output.splitlines() if l.strip()]
    return lines[-1] if lines else "no output"


def run_child(stem, name, limit, env):
    cmd = [sys.executable, str(Path(__file__).resolve()),
           "--child", f"{stem}.{name}"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=limit)
        return p.returncode, out.decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired:
        # SIGTERM lets the test's finally blocks stop its servers.
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        return None, out.decode("utf-8", "replace"), True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("names", nargs="*", help="select tests by substring")
    ap.add_argument("-k", action="append", default=[], help="substring")
    ap.add_argument("-t", "--timeout", type=float, default=120.0,
                    help="per-test time limit in seconds (default 120)")
    ap.add_argument("-j", "--jobs", type=int, default=0,
                    help="tests at once (default FTPD_TEST_JOBS or 1)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the output of passing tests too")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        stem, name = args.child.split(".", 1)
        run_one(stem, name)
        return 1

    tests = discover(args.names + args.k)
    limit = args.timeout * (3 if os.environ.get("FTPD_ASAN") else 1)
    jobs = args.jobs or int(os.environ.get("FTPD_TEST_JOBS", "1") or 1)
    jobs = max(1, min(jobs, 8))
    certdir = tempfile.mkdtemp(prefix="ftpd-certs-")
    os.chmod(certdir, 0o755)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    lock = threading.Lock()

    def one(test):
        stem, name, _ = test
        token = secrets.token_hex(12)
        env = dict(os.environ, FTPD_TEST_CERTDIR=certdir,
                   PYTHONDONTWRITEBYTECODE="1", **{TOKEN_VAR: token})
        t0 = time.monotonic()
        rc, out, timed_out = run_child(stem, name, limit, env)
        dt = time.monotonic() - t0
        left = reap_stragglers(token)
        with lock:
            report(f"{stem}.{name}", rc, out, timed_out, dt, left)

    def report(full, rc, out, timed_out, dt, left):
        if timed_out:
            counts["failed"] += 1
            print(out.rstrip())
            print(f"FAIL {full}: timed out after {limit:.0f}s", flush=True)
        elif rc == 0:
            counts["passed"] += 1
            if args.verbose and out.strip():
                print(out.rstrip())
            print(f"PASS {full} ({dt:.1f}s)", flush=True)
        elif rc == SKIP_RC:
            counts["skipped"] += 1
            print(f"SKIP {full}: {reason_of(out)}", flush=True)
        else:
            counts["failed"] += 1
            print(out.rstrip())
            print(f"FAIL {full}: {reason_of(out)}", flush=True)
        if left:
            print(f"  (killed {len(left)} leftover process(es) of "
                  f"{full})", flush=True)

    try:
        shared = [t for t in tests if not t[2] or jobs == 1]
        alone = [t for t in tests if t[2] and jobs > 1]
        if jobs == 1:
            for t in shared:
                one(t)
        else:
            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                for f in [pool.submit(one, t) for t in shared]:
                    f.result()
        for t in alone:
            one(t)
    finally:
        shutil.rmtree(certdir, ignore_errors=True)
    passed, failed, skipped = (counts["passed"], counts["failed"],
                               counts["skipped"])
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary, flush=True)
    return 1 if failed or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
