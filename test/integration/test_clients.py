"""test_clients.py - whole trees with lftp, get/put with the ftp client,
yafc in subdirectories.

Real command-line clients against the real server; trees compared file by
file by SHA-256.
"""

import os
import tempfile
from pathlib import Path

from harness import (Server, check, make_file, require_tool, run,
                     sha256_file, tree_hashes)

USER, PASS = "bob", "Pa55-word-bob"


def _make_tree(root):
    """Nested directories, 50 files, a few of them 1 MiB binaries."""
    root = Path(root)
    n = 0
    for i, sub in enumerate(["", "a", "a/b", "a/b/c", "d", "d/e f",
                             "g/h/i/j"]):
        for k in range(7 if i else 8):
            size = (1 << 20) if (n % 12 == 0) else (n * 997) % 20000
            make_file(root / sub / f"file{n:02d}.{'bin' if size else 'txt'}",
                      size, seed=n)
            n += 1
    (root / "empty-dir").mkdir(parents=True, exist_ok=True)
    check(n == 50, f"made {n} files")
    return tree_hashes(root)


def _lftp(srv, script, cwd):
    pre = ("set ftp:ssl-allow no; set net:max-retries 2; "
           "set net:timeout 20; set net:reconnect-interval-base 1; "
           "set cmd:fail-exit yes; set xfer:clobber on; ")
    return run(["lftp", "-u", f"{USER},{PASS}", "-p", str(srv.port),
                "-e", pre + script + "; quit", "127.0.0.1"],
               timeout=300, cwd=cwd)


def test_lftp_mirror_down_and_up():
    require_tool("lftp")
    with Server(users={USER: PASS}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-lftp-") as d:
        want = _make_tree(srv.home(USER) / "tree")
        srv.give(USER)
        local = Path(d) / "down"
        _lftp(srv, f"mirror /tree {local}", d)
        got = tree_hashes(local)
        check(got == want, "mirror down differs: "
              f"missing {sorted(set(want) - set(got))[:5]}, "
              f"wrong {[k for k in want if k in got and got[k] != want[k]][:5]}")
        check((local / "empty-dir").is_dir(), "empty directory not mirrored")
        _lftp(srv, f"mirror -R {local} /back", d)
        back = tree_hashes(srv.home(USER) / "back")
        check(back == want, "mirror -R differs: "
              f"missing {sorted(set(want) - set(back))[:5]}, "
              f"wrong {[k for k in want if k in back and back[k] != want[k]][:5]}")
        # Active mode too, a second time over the same tree.
        local2 = Path(d) / "down-active"
        _lftp(srv, f"set ftp:passive-mode off; mirror /back {local2}", d)
        check(tree_hashes(local2) == want, "active-mode mirror differs")


def test_ftp_client_get_put():
    require_tool("ftp")
    with Server(users={USER: PASS}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-ftp-") as d:
        down = make_file(srv.home(USER) / "remote.bin", 1500000)
        srv.give(USER)
        local_up = Path(d) / "local.bin"
        up = make_file(local_up, 777777)
        script = (f"user {USER} {PASS}\n"
                  "binary\n"
                  "get remote.bin got.bin\n"
                  "put local.bin put.bin\n"
                  "mkdir sub\n"
                  "cd sub\n"
                  "put local.bin again.bin\n"
                  "ls\n"
                  "quit\n")
        p = run(["ftp", "-n", "-p", "127.0.0.1", str(srv.port)],
                input=script, timeout=120, cwd=d)
        got = Path(d) / "got.bin"
        check(got.exists(), f"ftp get made no file; output:\n{p.stdout}"
              f"\n{p.stderr}")
        check(sha256_file(got) == down, "ftp get differs")
        check(sha256_file(srv.home(USER) / "put.bin") == up,
              "ftp put differs")
        check(sha256_file(srv.home(USER) / "sub" / "again.bin") == up,
              "ftp put into a subdirectory differs")
        check("again.bin" in p.stdout, f"ls output lacks again.bin:\n"
              f"{p.stdout}")


def test_ftp_client_active():
    require_tool("ftp")
    with Server() as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-ftp-") as d:
        down = make_file(srv.anon_root / "pub.bin", 300000)
        script = ("user anonymous guest@example.org\n"
                  "binary\n"
                  "passive off\n"
                  "get pub.bin got.bin\n"
                  "quit\n")
        p = run(["ftp", "-n", "127.0.0.1", str(srv.port)],
                input=script, timeout=120, cwd=d)
        got = Path(d) / "got.bin"
        check(got.exists() and sha256_file(got) == down,
              f"ftp active get failed:\n{p.stdout}\n{p.stderr}")
        check(not os.path.exists(srv.anon_root / "got.bin"), "bogus file")


def test_yafc_in_subdirectories():
    """yafc takes the directory from some servers' CWD replies ("250
    Directory changed to /x"); ours names no path, so yafc asks PWD and
    can work two levels down (issue 17, item 7)."""
    require_tool("yafc")
    with Server(users={USER: PASS}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-yafc-") as d:
        want = make_file(srv.home(USER) / "sub" / "in ner" / "f.bin", 70000)
        srv.give(USER)
        with srv.raw() as c:
            c.cmd(f"USER {USER}")
            c.cmd(f"PASS {PASS}")
            code, text = c.cmd("CWD sub")
            check(code == 250 and '"' not in text and "/sub" not in text,
                  f"CWD reply names a path: {code} {text!r}")
        script = ("cd sub\n"
                  "cd \"in ner\"\n"
                  "ls\n"
                  "get f.bin\n"
                  "quit\n")
        p = run(["yafc", "-n", "-q", "-W", d,
                 f"ftp://{USER}:{PASS}@127.0.0.1:{srv.port}/"],
                input=script, timeout=60, cwd=d, check_rc=False)
        got = Path(d) / "f.bin"
        check(got.exists() and sha256_file(got) == want,
              f"yafc get in /sub/in ner failed:\n{p.stdout[-1500:]}\n"
              f"{p.stderr[-1500:]}")
        check("Cannot change directory" not in p.stdout + p.stderr,
              f"yafc lost its directory:\n{p.stdout[-1500:]}")
