"""test_fail2ban.py - etc/fail2ban/filter.d/ftpd.conf against the log the
server really writes (issue #20).

The server logs as shipped (log_format = text, log_level = info, the
defaults); clients fail to log in from two loopback addresses and one
logs in from a third, directly and then behind the PROXY protocol (the
test plays the proxy on 127.0.0.1 and names documentation addresses).
Debian's real fail2ban-regex reads that log with the filter, installed
as it would be (next to Debian's common.conf, which it includes), and
must report exactly the failing addresses, once per failed login, and
never the successful client, the proxy, or an address a user name
names.  The JSON variant (filter.d/ftpd-json.conf) gets the same with
log_format = json.
"""

import shutil
import socket
import tempfile
import threading
from pathlib import Path

from harness import (HOST, REPO, SLOW, Server, check, require_tool, run)

USER, PASS = "fritz", "Fritz-pw-9"
FILTERS = REPO / "etc" / "fail2ban" / "filter.d"
COMMON = Path("/etc/fail2ban/filter.d/common.conf")
# A user name that tries to plant another address in the line.
FORGED = 'client=198.51.100.66 login failed: ","client":"198.51.100.66"'


class Control:
    """A bare control connection from a chosen source address, with an
    optional PROXY header first."""

    def __init__(self, port, source="127.0.0.1", header=None):
        self.sock = socket.create_connection(
            (HOST, port), timeout=30 * SLOW, source_address=(source, 0))
        if header is not None:
            self.sock.sendall(header)
        self.f = self.sock.makefile("rb")
        check(self.reply().startswith("220"), "no greeting")

    def reply(self):
        line = self.f.readline().decode("utf-8", "replace")
        while line[3:4] == "-":
            line = self.f.readline().decode("utf-8", "replace")
        return line

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        self.f.close()
        self.sock.close()


def login(port, user, password, source="127.0.0.1", header=None):
    """One login attempt on a fresh connection; the reply code."""
    c = Control(port, source, header)
    try:
        c.cmd(f"USER {user}")
        code = c.cmd(f"PASS {password}")[:3]
        if code == "230":
            c.cmd("QUIT")
        return code
    finally:
        c.close()


def attempts(port, jobs):
    """Run login(port, *job) for each job at once (a failure costs the
    session a second's delay, not the test); the codes, in job order."""
    codes = [None] * len(jobs)

    def one(i, job):
        codes[i] = login(port, *job)
    threads = [threading.Thread(target=one, args=(i, j))
               for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * SLOW)
    return codes


def matched(log_path, name="ftpd.conf"):
    """The addresses fail2ban-regex finds with the shipped filter name,
    one per matching line."""
    require_tool("fail2ban-regex")
    if not COMMON.exists():
        check(False, f"{COMMON} missing: the fail2ban package is broken")
    with tempfile.TemporaryDirectory(prefix="ftpd-f2b-") as d:
        fd = Path(d) / "filter.d"
        fd.mkdir()
        shutil.copy(FILTERS / name, fd / name)
        (fd / "common.conf").symlink_to(COMMON)
        p = run(["fail2ban-regex", "-o", "ip", str(log_path),
                 str(fd / name)], timeout=60)
    return sorted(p.stdout.split())


def _direct(fmt, filter_name):
    with Server(users={USER: PASS},
                conf={"log_level": "info", "log_format": fmt}) as srv:
        codes = attempts(srv.port, [
            (USER, "wrong1", "127.0.0.2"),
            ("nosuch", "x", "127.0.0.2"),
            (USER, "wrong2", "127.0.0.3"),
            (FORGED, "x", "127.0.0.3"),
            (USER, "wrong3", "127.0.0.3"),
            (USER, PASS, "127.0.0.4"),
        ])
        check(codes == ["530"] * 5 + ["230"], f"codes {codes}")
        # Each line is written before its reply is sent: all are there.
        got = matched(srv.log_path, filter_name)
        want = ["127.0.0.2"] * 2 + ["127.0.0.3"] * 3
        check(got == want, f"fail2ban-regex found {got}, not {want}:\n"
              + srv.log_tail(40))
        check("127.0.0.4" in srv.log(), "no line of the login")


def test_filter_matches_exactly_the_failed_logins():
    """Two failures from 127.0.0.2, three from 127.0.0.3 (one with a user
    name that names another address), a success from 127.0.0.4: the
    filter finds 127.0.0.2 twice and 127.0.0.3 three times, nothing
    else."""
    _direct("text", "ftpd.conf")


def test_json_filter_matches_exactly_the_failed_logins():
    """The same with log_format = json and filter.d/ftpd-json.conf."""
    _direct("json", "ftpd-json.conf")


def test_filter_behind_the_proxy_protocol():
    """Behind the PROXY protocol the log names the client of the header,
    in the same place: the filter finds the proxied clients that failed,
    never the proxy (127.0.0.1) nor the one that logged in."""
    def v1(client):
        return f"PROXY TCP4 {client} 127.0.0.1 40000 21\r\n".encode()
    with Server(users={USER: PASS},
                conf={"proxy_protocol": "yes", "log_level": "info"}) as srv:
        codes = attempts(srv.port, [
            (USER, "wrong1", "127.0.0.1", v1("192.0.2.10")),
            (USER, "wrong2", "127.0.0.1", v1("192.0.2.10")),
            (FORGED, "x", "127.0.0.1", v1("192.0.2.12")),
            (USER, PASS, "127.0.0.1", v1("192.0.2.11")),
        ])
        check(codes == ["530"] * 3 + ["230"], f"codes {codes}")
        got = matched(srv.log_path)
        want = ["192.0.2.10"] * 2 + ["192.0.2.12"]
        check(got == want, f"fail2ban-regex found {got}, not {want}:\n"
              + srv.log_tail(40))
        check("client=192.0.2.12 proxy=127.0.0.1 login failed" in
              srv.log(), "proxied failure not in the client= place")
