"""test_build.py - the build's own promises: `make` on a machine without
the headers names the packages to install, and the tree's layering check
catches what it is meant to catch."""

import re
import os
import subprocess

from harness import REPO, check, run


def test_make_without_headers_names_the_packages():
    # No pkg-config module can be found: as on a fresh machine.
    env = dict(os.environ, PKG_CONFIG_LIBDIR="/nonexistent")
    for goal in ([], ["all"], ["install"], ["bench"]):
        r = run(["make", "-n", *goal], env=env, cwd=REPO, check_rc=False,
                timeout=60)
        out = r.stdout + r.stderr
        check(r.returncode != 0, f"make {goal} went on without headers")
        check("apt-get install -y libssl-dev libcrypt-dev zlib1g-dev "
              "libseccomp-dev" in out, f"no apt-get line: {out!r}")
        check("cc " not in r.stdout, f"make {goal} reached the compiler")
    # The goals that install what is missing themselves still start.
    r = run(["make", "-n", "deps"], env=env, cwd=REPO, timeout=60)
    check("libssl-dev" in r.stdout, f"deps would not install: {r.stdout!r}")


def test_make_with_headers_builds():
    r = run(["make", "-n", "all"], cwd=REPO, timeout=60)
    check("missing build packages" not in r.stdout + r.stderr, r.stderr)


def test_layering_check_catches_violations():
    # The check passes on the tree and, in its self-test, fails on a copy
    # with one planted violation of each of its rules.
    run([str(REPO / "test" / "layering.sh")], timeout=60)
    r = run([str(REPO / "test" / "layering.sh"), "--self-test"],
            timeout=120)
    m = re.search(r"all (\d+) violations caught", r.stdout)
    check(m is not None and int(m.group(1)) >= 10 and "missed" not in
          r.stdout, r.stdout)
