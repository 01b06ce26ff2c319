"""test_config.py - ftpd -t / -V / -h and configuration errors.

No server is started here: these run the binary's checks only.  Errors
must be one line naming the file, line and key, with exit status 1.
"""

import re
import tempfile
from pathlib import Path

from harness import FTPD, REPO, check, is_root, run

SAMPLE = REPO / "etc" / "ftpd.conf"


def _ftpd(*args, timeout=30):
    check(FTPD.exists(), f"{FTPD} not built")
    return run([FTPD, *args], timeout=timeout, check_rc=False)


_TMP = tempfile.TemporaryDirectory(prefix="ftpd-conf-")


def _conf(text):
    p = Path(_TMP.name) / "ftpd.conf"
    p.write_text(text)
    return p


def _one_line_error(p, path, line, key):
    err = p.stderr.strip()
    check(p.returncode == 1, f"exit {p.returncode}, want 1; stderr {err!r}")
    check(len(err.splitlines()) == 1, f"not one line: {err!r}")
    check(f"{path}:{line}" in err, f"error lacks {path}:{line}: {err!r}")
    check(key in err, f"error lacks key {key}: {err!r}")
    check(p.stdout.strip() == "", f"stdout not empty: {p.stdout!r}")


def test_sample_config_valid():
    check(SAMPLE.exists(), f"{SAMPLE} missing")
    p = _ftpd("-t", "-f", SAMPLE)
    check(p.returncode == 0, f"ftpd -t on {SAMPLE}: exit {p.returncode}: "
          f"{p.stderr.strip()!r}")
    check(re.search(r"^listen\s*=", p.stdout, re.M) is not None,
          f"-t does not print the settings: {p.stdout[:300]!r}")


def test_sample_config_lists_every_key():
    """etc/ftpd.conf mentions every key of config_keys.def."""
    keys = re.findall(r"^X\((\w+),", (REPO / "ftpd" /
                                     "config_keys.def").read_text(), re.M)
    text = SAMPLE.read_text()
    missing = [k for k in keys
               if re.search(rf"^#?\s*{k}\s*=", text, re.M) is None]
    check(not missing, f"etc/ftpd.conf lacks keys: {missing}")


def test_dump_has_every_key():
    keys = re.findall(r"^X\((\w+),", (REPO / "ftpd" /
                                     "config_keys.def").read_text(), re.M)
    p = _ftpd("-t", "-f", "/dev/null", "-o", "tls=off")
    check(p.returncode == 0, f"-t with defaults: {p.stderr!r}")
    missing = [k for k in keys
               if re.search(rf"^{k}\s*=", p.stdout, re.M) is None]
    check(not missing, f"-t output lacks keys: {missing}")


def test_unknown_key():
    p = _conf("# comment\n\nanonymous = yes\nno_such_key = 1\n")
    _one_line_error(_ftpd("-t", "-f", p), p, 4, "no_such_key")


def test_bad_values():
    cases = [
        ("max_clients = many\n", "max_clients"),
        ("max_per_ip = 0\n", "max_per_ip"),
        ("idle_timeout = -5\n", "idle_timeout"),
        ("anonymous = perhaps\n", "anonymous"),
        ("umask = 999\n", "umask"),
        ("tls = sometimes\n", "tls"),
        ("pasv_ports = 3000-\n", "pasv_ports"),
        ("listen = 127.0.0.1:99999\n", "listen"),
        ("anon_root = relative/path\n", "anon_root"),
        ("login_attempts = 3x\n", "login_attempts"),
    ]
    for text, key in cases:
        p = _conf("tls = off\n\n" + text)
        _one_line_error(_ftpd("-t", "-f", p), p, 3, key)


def test_rule_errors_name_the_line():
    """Errors found only once every key is read (one key needing another,
    a user or directory missing on this system) still name FILE:LINE of
    the key at fault (of its [host] line for a section's), or -o when it
    came from the command line."""
    cases = [
        ("tls = off\n\nimplicit_tls_listen = 127.0.0.1:9990\n", 3,
         "implicit_tls_listen"),
        ("tls = off\npasv_address = ::1\n", 2, "pasv_address"),
        ("tls = off\n# c\nlog = relative.log\n", 3, "log"),
        ("tls = off\nproxy_from = 10.0.0.0/8\n", 2, "proxy_from"),
        ("tls = off\nproxy_protocol = yes\nproxy_from = 10.0.0.1/8\n", 3,
         "proxy_from"),
        ("tls = off\nanonymous = yes\n\n\nanon_root = /nonexistent/x\n", 5,
         "anon_root"),
        ("tls = off\nnopriv_user = no-such-user-ftpd\n", 2, "nopriv_user"),
        # A [host] section's directory: the section's line.
        ("tls = off\nanonymous = yes\nanon_root = /\n\n[host a.example]\n"
         "anon_root = /nonexistent/x\n", 5, "[host a.example] anon_root"),
    ]
    for text, line, key in cases:
        p = _conf(text)
        r = _ftpd("-t", "-f", p)
        if key == "nopriv_user" and r.returncode == 0:
            continue        # not root: sessions run as the caller
        _one_line_error(r, p, line, key)
    r = _ftpd("-t", "-f", "/dev/null", "-o", "tls=off", "-o",
              "proxy_protocol_data=yes")
    check(r.returncode == 1 and "-o: proxy_protocol_data" in r.stderr,
          f"-o rule error: {r.stderr!r}")


def test_missing_equals_and_duplicates():
    p = _conf("tls = off\nanonymous\n")
    r = _ftpd("-t", "-f", p)
    check(r.returncode == 1, f"line without '=': exit {r.returncode}")
    check(f"{p}:2" in r.stderr, f"no file:line: {r.stderr!r}")


def test_override_errors():
    r = _ftpd("-t", "-f", "/dev/null", "-o", "tls=off", "-o", "bogus=1")
    check(r.returncode == 1 and "bogus" in r.stderr,
          f"-o bogus=1: exit {r.returncode} {r.stderr!r}")
    check(len(r.stderr.strip().splitlines()) == 1, f"not one line: "
          f"{r.stderr!r}")
    r = _ftpd("-t", "-f", "/dev/null", "-o", "tls=off", "-o",
              "max_clients=zero")
    check(r.returncode == 1 and "max_clients" in r.stderr,
          f"-o max_clients=zero: exit {r.returncode} {r.stderr!r}")
    r = _ftpd("-t", "-f", "/dev/null", "-o", "tls=off", "-o", "umask=022")
    check(r.returncode == 0, f"-o umask=022: {r.stderr!r}")
    check(re.search(r"^umask\s*=\s*0*22$", r.stdout, re.M) is not None,
          "umask override not shown")


def test_names_resolved_on_this_system():
    """Accounts, directories and log places that do not exist here fail
    ftpd -t (and the start), naming the key, instead of a server that
    answers every session with 421."""
    wdir = Path(_TMP.name) / "world-writable"
    wdir.mkdir(exist_ok=True)
    wdir.chmod(0o1777)
    missing = Path(_TMP.name) / "no" / "such"
    cases = [
        (["nopriv_user=no-such-user-x"], "nopriv_user"),
        ([f"empty_dir={wdir}"], "empty_dir"),
        ([f"empty_dir={missing}/empty"], "empty_dir"),
        (["log=sysl0g"], "log"),
        (["log=relative.log"], "log"),
        ([f"log={missing}/ftpd.log"], "log"),
        ([f"xferlog={missing}/xferlog"], "xferlog"),
        (["anonymous=yes", f"anon_root={missing}"], "anon_root"),
        (["anonymous=yes", f"anon_root={_TMP.name}",
          "anon_user=no-such-user-x"], "anon_user"),
    ]
    for opts, key in cases:
        if key in ("nopriv_user", "empty_dir", "anon_user") and \
                not is_root():
            continue        # unprivileged: no accounts are switched to
        args = ["-t", "-f", "/dev/null", "-o", "tls=off"]
        for o in opts:
            args += ["-o", o]
        r = _ftpd(*args)
        err = r.stderr.strip()
        check(r.returncode == 1, f"{opts}: exit {r.returncode}: {err!r}")
        check(err.startswith(f"ftpd: -o: {key}:") and
              len(err.splitlines()) == 1, f"{opts}: error {err!r}")
    # What exists is fine; a missing empty_dir under an existing parent
    # is made at startup.
    r = _ftpd("-t", "-f", "/dev/null", "-o", "tls=off", "-o",
              "anonymous=yes", "-o", f"anon_root={_TMP.name}", "-o",
              f"empty_dir={_TMP.name}/empty-to-be", "-o",
              f"log={_TMP.name}/ftpd.log")
    check(r.returncode == 0, f"valid names refused: {r.stderr!r}")


def test_tls_on_needs_cert():
    r = _ftpd("-t", "-f", "/dev/null", "-o", "tls=on")
    check(r.returncode == 1, f"tls=on without cert: exit {r.returncode}")
    check("tls" in r.stderr, f"error does not name tls: {r.stderr!r}")


def test_missing_file():
    r = _ftpd("-t", "-f", "/nonexistent/ftpd.conf")
    check(r.returncode == 1, f"missing -f file: exit {r.returncode}")
    check("/nonexistent/ftpd.conf" in r.stderr, f"{r.stderr!r}")


def test_version_and_help():
    r = _ftpd("-V")
    check(r.returncode == 0, f"-V exit {r.returncode}")
    check(re.search(r"ftpd\s+\d+\.\d+", r.stdout) is not None,
          f"-V output {r.stdout!r}")
    r = _ftpd("-h")
    check(r.returncode == 0 and "-f" in r.stdout + r.stderr,
          f"-h: {r.returncode} {r.stdout!r}")
    r = _ftpd("-Q")
    check(r.returncode == 1, f"bad flag: exit {r.returncode}")
    check("usage" in (r.stdout + r.stderr).lower(), "bad flag: no usage")


def test_manual_lists_every_key():
    """man/ftpd.conf.5 documents every key of config_keys.def."""
    keys = re.findall(r"^X\((\w+),", (REPO / "ftpd" /
                                     "config_keys.def").read_text(), re.M)
    text = (REPO / "man" / "ftpd.conf.5").read_text()
    missing = [k for k in keys
               if re.search(rf"^\.BR? {k}\b", text, re.M) is None]
    check(not missing, f"man/ftpd.conf.5 lacks keys: {missing}")
