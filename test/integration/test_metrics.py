"""test_metrics.py - metrics_listen: the Prometheus /metrics endpoint
(issue #20).

Real clients move real files (curl, lftp when installed, ftplib) and the
test scrapes with curl before and after, checking that each number moved
by exactly what happened; promtool (Debian's prometheus package) checks
the real output and must print nothing.  The HTTP side is driven with
raw sockets: garbage, a wrong path and method, a client that never
finishes its request, a flood of idle connections.  With metrics off
there must be no metrics process and no shared page anywhere.
"""

import io
import json
import os
import random
import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from harness import (FTPD, HOST, REPO, SLOW, Server, TestFailure, _port_free,
                     check, child_pids, make_file, require_tool, run,
                     session_process)

USER, PASS = "mira", "Metr1cs-pw"
METRICS_UID = 65531


def _metrics_port():
    """A free port outside the kernel's ephemeral range, from which
    free_port() picks the server's own: the two are not bound until the
    server starts, so drawing both from one range could give one twice."""
    for _ in range(200):
        port = random.randint(10000, 30000)
        if _port_free(port):
            return port
    raise TestFailure("no free port for metrics_listen")


def _metrics_conf(extra=None):
    port = _metrics_port()
    conf = {"metrics_listen": f"{HOST}:{port}"}
    conf.update(extra or {})
    return port, conf


def _scrape(port=None, sock=None):
    """The text of one scrape (curl), checked for status and type."""
    args = ["curl", "-sS", "-i", "--max-time", str(10 * SLOW)]
    if sock is not None:
        args += ["--unix-socket", str(sock), "http://localhost/metrics"]
    else:
        args += [f"http://{HOST}:{port}/metrics"]
    out = run(args, timeout=20 * SLOW).stdout
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    check(head.startswith("HTTP/1.1 200"), f"status: {head[:80]!r}")
    check("Content-Type: text/plain; version=0.0.4" in head,
          f"content type: {head!r}")
    check("Connection: close" in head, f"no Connection: close: {head!r}")
    return body


def _values(text):
    """{'name{labels}': float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        out[key] = float(val)
    return out


def _wait_metrics(port=None, sock=None):
    """The first scrape, once the metrics process answers (it starts with
    the master, but the harness waits only for the FTP port)."""
    deadline = time.monotonic() + 10 * SLOW
    while True:
        try:
            return _values(_scrape(port, sock))
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _promtool(text):
    require_tool("promtool")
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and p.stdout.strip() == "" and
          p.stderr.strip() == "",
          f"promtool: rc {p.returncode}: {p.stdout!r} {p.stderr!r}")


def _delta(before, after):
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys
            if after.get(k, 0) != before.get(k, 0)}


def _settled(port, want, sock=None):
    """Scrape until every key of want has its value (the gauges drop when
    the master reaps a monitor, a moment after the client is gone)."""
    deadline = time.monotonic() + 10 * SLOW
    while True:
        v = _values(_scrape(port, sock))
        if all(v.get(k) == x for k, x in want.items()):
            return v
        if time.monotonic() > deadline:
            check(False, f"gauges did not settle: want {want}, have "
                  f"{ {k: v.get(k) for k in want} }")
        time.sleep(0.05)


def _metrics_pid(srv):
    for pid in child_pids(srv.proc.pid):
        try:
            if os.stat(f"/proc/{pid}").st_uid == METRICS_UID:
                return pid
        except OSError:
            pass
    return None


def _shared_anon(pid):
    """Lines of /proc/PID/maps for shared anonymous mappings (shown as
    /dev/zero (deleted))."""
    with open(f"/proc/{pid}/maps") as f:
        return [ln for ln in f if "/dev/zero" in ln and
                ln.split()[1].endswith("s")]


LOGIN_OK = 'ftpd_logins_total{result="ok",source="file"}'
LOGIN_ANON = 'ftpd_logins_total{result="ok",source="anonymous"}'
LOGIN_FAILED = 'ftpd_logins_total{result="failed",source="unknown"}'
UP = 'ftpd_bytes_total{direction="upload"}'
DOWN = 'ftpd_bytes_total{direction="download"}'


def _xfer(cmd, result="ok"):
    return f'ftpd_transfers_total{{command="{cmd}",result="{result}"}}'


def test_counts_move_exactly_with_real_transfers():
    """curl upload and download, an anonymous listing, a failed login,
    lftp when installed: each counter moves by exactly that; the gauges
    show a session while it is logged in and drop back after; promtool
    finds nothing to say about the real output."""
    require_tool("curl")
    port, conf = _metrics_conf()
    with Server(users={USER: PASS}, conf=conf) as srv, \
            tempfile.TemporaryDirectory() as d:
        before = _wait_metrics(port)
        check(before.get('ftpd_build_info{version="0.1.0"}') == 1,
              "build_info")
        src = Path(d) / "up.bin"
        make_file(src, 300_000, seed=20)
        make_file(srv.home(USER) / "down.bin", 123_457, seed=21)
        srv.give(USER)
        cred = ["--user", f"{USER}:{PASS}"]
        run(["curl", "-sS", *cred, "-T", str(src), srv.url("up.bin")])
        run(["curl", "-sS", *cred, srv.url("down.bin"), "-o",
             str(Path(d) / "down.bin")])
        run(["curl", "-sS", srv.url("")])          # anonymous LIST
        p = run(["curl", "-sS", "--user", f"{USER}:wrong", srv.url("")],
                check_rc=False)
        check(p.returncode != 0, "a wrong password was accepted")
        sessions = 4
        up, down, stor, retr = 300_000, 123_457, 1, 1
        if subprocess.run(["sh", "-c", "command -v lftp"],
                          capture_output=True).returncode == 0:
            run(["lftp", "-u", f"{USER},{PASS}", "-p", str(srv.port), "-e",
                 f"set ftp:passive-mode on; put {src} -o lftp.bin; "
                 f"get lftp.bin -o {Path(d) / 'back.bin'}; quit", HOST])
            sessions += 1
            up += 300_000
            down += 300_000
            stor += 1
            retr += 1
        # Logged in now: one account session, then none.
        f = srv.ftp(USER, PASS)
        live = _settled(port, {'ftpd_sessions_active{state="account"}': 1})
        check(live['ftpd_sessions_tls_active'] == 0, "tls gauge")
        f.quit()
        after = _settled(port, {'ftpd_sessions_active{state="account"}': 0,
                                'ftpd_sessions_active{state="prelogin"}': 0})
        sessions += 1
        d_ = _delta(before, after)
        check(d_.get(UP) == up, f"upload bytes {d_.get(UP)}, want {up}")
        check(d_.get(DOWN) == down, f"download bytes {d_.get(DOWN)}")
        check(d_.get(_xfer("STOR")) == stor, f"STOR {d_.get(_xfer('STOR'))}")
        check(d_.get(_xfer("RETR")) == retr, f"RETR {d_.get(_xfer('RETR'))}")
        check(d_.get(_xfer("LIST"), 0) + d_.get(_xfer("MLSD"), 0) +
              d_.get(_xfer("NLST"), 0) >= 1, "no listing counted")
        check(d_.get(LOGIN_ANON) == 1, f"anonymous logins {d_.get(LOGIN_ANON)}")
        check(d_.get(LOGIN_OK) == sessions - 2,
              f"account logins {d_.get(LOGIN_OK)}, want {sessions - 2}")
        check(d_.get(LOGIN_FAILED) == 1, f"failed logins {d_.get(LOGIN_FAILED)}")
        check(d_.get("ftpd_sessions_total") == sessions,
              f"sessions {d_.get('ftpd_sessions_total')}, want {sessions}")
        # Every password check, the failed one too, is in the histogram;
        # the anonymous one is not (no lookup).
        check(d_.get("ftpd_account_lookup_seconds_count") == sessions - 1,
              f"lookups {d_.get('ftpd_account_lookup_seconds_count')}")
        check(after['ftpd_account_lookup_seconds_bucket{le="+Inf"}'] ==
              after["ftpd_account_lookup_seconds_count"], "+Inf != count")
        bad = {k: v for k, v in d_.items() if "failed" in k and
               k != LOGIN_FAILED or "aborted" in k}
        check(not bad, f"unexpected failures counted: {bad}")
        _promtool(_scrape(port))
        # The example dashboard asks only for metrics that exist.
        dash = json.loads((REPO / "etc" / "grafana" /
                           "ftpd-dashboard.json").read_text())
        names = {n for p in dash["panels"] for t in p["targets"]
                 for n in re.findall(r"ftpd_[a-z_]+", t["expr"])}
        have = {k.split("{")[0] for k in after}
        check(names and names <= have,
              f"dashboard metrics not served: {sorted(names - have)}")


def test_tls_handshakes_and_data_failures():
    """A curl session over explicit TLS counts one control and one data
    handshake per transfer and shows in the TLS gauge while logged in; a
    PASV nobody connects to counts a passive data-connection failure."""
    require_tool("curl")
    port, conf = _metrics_conf({"data_timeout": "1"})
    with Server(users={USER: PASS}, tls="on", conf=conf) as srv:
        before = _wait_metrics(port)
        make_file(srv.home(USER) / "f.bin", 50_000, seed=22)
        srv.give(USER)
        run(["curl", "-sS", "--ssl-reqd", "-k", "--user", f"{USER}:{PASS}",
             srv.url("f.bin"), "-o", "/dev/null"])
        mid = _settled(port, {'ftpd_sessions_active{state="account"}': 0})
        d_ = _delta(before, mid)
        ctl = 'ftpd_tls_handshakes_total{connection="control",result="ok"}'
        dat = 'ftpd_tls_handshakes_total{connection="data",result="ok"}'
        check(d_.get(ctl) == 1, f"control handshakes {d_.get(ctl)}")
        check(d_.get(dat) == 1, f"data handshakes {d_.get(dat)}")
        check(d_.get(DOWN) == 50_000, f"download bytes {d_.get(DOWN)}")
        f = srv.ftp(USER, PASS)
        f.sendcmd("PASV")
        try:
            f.sendcmd("RETR f.bin")
        except Exception:
            pass
        f.close()
        after = _settled(port, {'ftpd_sessions_active{state="account"}': 0})
        d2 = _delta(mid, after)
        key = 'ftpd_data_connection_failures_total{mode="passive"}'
        check(d2.get(key) == 1, f"passive failures {d2.get(key)}")
        _promtool(_scrape(port))


def test_rate_waits_and_quota_refusals():
    """A download that must wait for rate_down counts one rate-limited
    transfer; an upload past quota_bytes (552) counts one quota
    refusal and a failed STOR."""
    qd = tempfile.TemporaryDirectory(prefix="ftpd-quota-")
    port, conf = _metrics_conf({"rate_down": "262144",
                                "quota_bytes": "100K",
                                "quota_dir": f"{qd.name}/q"})
    with qd, Server(users={USER: PASS}, conf=conf) as srv:
        before = _wait_metrics(port)
        make_file(srv.home(USER) / "f.bin", 60_000, seed=23)
        srv.give(USER)
        f = srv.ftp(USER, PASS)
        f.retrbinary("RETR f.bin", lambda b: None)
        try:
            f.storbinary("STOR big.bin", io.BytesIO(b"q" * 300_000))
            check(False, "an upload past the quota was accepted")
        except Exception as e:
            check("552" in str(e), f"not a 552: {e}")
        f.quit()
        after = _settled(port, {'ftpd_sessions_active{state="account"}': 0})
        d_ = _delta(before, after)
        check(d_.get("ftpd_rate_limited_transfers_total") == 1,
              f"rate waits {d_.get('ftpd_rate_limited_transfers_total')}")
        check(d_.get("ftpd_quota_refusals_total") == 1,
              f"quota refusals {d_.get('ftpd_quota_refusals_total')}")
        check(d_.get(_xfer("STOR", "failed")) == 1,
              f"failed STOR {d_.get(_xfer('STOR', 'failed'))}")
        check(d_.get(_xfer("RETR")) == 1, "RETR")


def test_bans_and_refusals():
    """ban_after = 1: one failed login bans the address (bans_total and
    bans_active 1), and its next connection is refused (counted)."""
    port, conf = _metrics_conf({"ban_after": "1", "ban_seconds": "60"})
    with Server(users={USER: PASS}, conf=conf) as srv:
        _wait_metrics(port)
        f = srv.ftp(login=False)
        try:
            f.login(USER, "wrong")
        except Exception:
            pass
        f.close()
        v = _settled(port, {"ftpd_bans_active": 1, "ftpd_bans_total": 1})
        check(v[LOGIN_FAILED] == 1, "failed login not counted")
        s = socket.create_connection((HOST, srv.port), timeout=10 * SLOW)
        line = s.recv(200)
        s.close()
        check(line.startswith(b"421"), f"banned address admitted: {line!r}")
        _settled(port, {"ftpd_connections_refused_total": 1,
                        "ftpd_sessions_total": 1})


def test_counters_survive_a_metrics_process_restart():
    """Killing the metrics process loses nothing: the master starts a
    new one, which serves the same counters."""
    port, conf = _metrics_conf()
    with Server(conf=conf) as srv:
        _wait_metrics(port)
        srv.ftp().quit()
        _settled(port, {"ftpd_sessions_total": 1})
        old = _metrics_pid(srv)
        os.kill(old, 9)
        deadline = time.monotonic() + 10 * SLOW
        while _metrics_pid(srv) in (None, old):
            check(time.monotonic() < deadline, "metrics process not restarted")
            time.sleep(0.05)
        v = _wait_metrics(port)
        check(v["ftpd_sessions_total"] == 1 and
              v[LOGIN_ANON] == 1, f"counters lost: {v['ftpd_sessions_total']}")


def _http(port, data, read=True, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout * SLOW)
    try:
        if data:
            s.sendall(data)
        if not read:
            return s
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        if read:
            s.close()


def test_http_bad_requests_get_bounded_answers():
    """Garbage 400, another path 404, another method 405, HEAD only
    headers, an over-long request 400: each one answer, then the close."""
    port, conf = _metrics_conf()
    with Server(conf=conf):
        _wait_metrics(port)
        cases = [
            (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", b"HTTP/1.1 400 "),
            (b"GET /metricsX HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 404 "),
            (b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.1 404 "),
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
             b"HTTP/1.1 405 "),
            (b"GET /metrics HTTP/2.0\r\n\r\n", b"HTTP/1.1 400 "),
            (b"GET /metrics?x=1 HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 "),
            (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
             b"HTTP/1.1 400 "),
            (b"GET /metrics HTTP/1.1\r\n", b"HTTP/1.1 400 "),   # then EOF
        ]
        for req, want in cases:
            if req.endswith(b"HTTP/1.1\r\n"):
                s = _http(port, req, read=False)
                s.shutdown(socket.SHUT_WR)
                got = s.recv(4096)
                s.close()
            else:
                try:
                    got = _http(port, req)
                except ConnectionResetError:
                    got = b"reset"
            check(got.startswith(want), f"{req[:40]!r}: {got[:60]!r}")
        got = _http(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
        head, _, body = got.partition(b"\r\n\r\n")
        check(head.startswith(b"HTTP/1.1 200") and body == b"",
              f"HEAD: {got[:200]!r}")
        got = _http(port, b"PUT /metrics HTTP/1.1\r\n\r\n")
        check(b"Allow: GET, HEAD" in got, f"405 without Allow: {got!r}")


def test_slow_client_and_flood_are_bounded():
    """A client that never finishes its request is closed at the 5 s
    timeout while other scrapes answer at once; a flood of idle
    connections beyond the limit is closed as soon as accepted, and the
    endpoint serves again once it is gone; FTP sessions meanwhile go on
    as fast as ever."""
    require_tool("curl")
    port, conf = _metrics_conf()
    with Server(conf=conf) as srv:
        _wait_metrics(port)
        slow = _http(port, b"GET /metr", read=False, timeout=20)
        t0 = time.monotonic()
        t1 = time.monotonic()
        _scrape(port)
        check(time.monotonic() - t1 < 2 * SLOW, "scrape slowed by a slow client")
        # The flood: 60 idle connections, the limit is 16 (one taken by
        # the slow client).
        flood = []
        for _ in range(60):
            flood.append(socket.create_connection((HOST, port), timeout=5))
        closed = 0
        deadline = time.monotonic() + 5 * SLOW
        for s in flood:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                if s.recv(1) == b"":
                    closed += 1
            except (socket.timeout, ConnectionResetError):
                pass
        check(closed >= 60 - 16, f"only {closed} of 60 extra closed at once")
        # An FTP session is not slowed down by any of it.
        t1 = time.monotonic()
        f = srv.ftp()
        f.nlst()
        f.quit()
        check(time.monotonic() - t1 < 3 * SLOW, "FTP slowed by the flood")
        # The slow client is cut at its deadline (5 s from accept).
        slow.settimeout(10 * SLOW)
        got = slow.recv(100)
        waited = time.monotonic() - t0
        check(got == b"" and 4 <= waited <= 8 * SLOW,
              f"slow client: {got!r} after {waited:.1f} s")
        slow.close()
        for s in flood:
            s.close()
        _wait_metrics(port)


def test_unix_socket():
    """metrics_listen as a socket path: curl --unix-socket scrapes it, and
    the socket is gone after the server stops."""
    require_tool("curl")
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "metrics.sock"
        with Server(conf={"metrics_listen": str(sock)}) as srv:
            v = _wait_metrics(sock=sock)
            check(v.get("ftpd_sessions_total") == 0, "fresh counters")
            srv.ftp().quit()
            _settled(None, {"ftpd_sessions_total": 1}, sock=sock)
        check(not sock.exists(), "socket left behind")


def test_page_only_where_it_belongs():
    """With metrics on: the master and the metrics process map the page
    (the latter read-only), a logged-in user process does not, and the
    metrics process runs as metrics_user with no privileges.  With metrics
    off: no metrics process and no shared page in the master."""
    port, conf = _metrics_conf()
    with Server(users={USER: PASS}, conf=conf) as srv:
        _wait_metrics(port)
        check(len(_shared_anon(srv.proc.pid)) == 1, "master lacks the page")
        mp = _metrics_pid(srv)
        check(mp is not None, "no metrics process")
        pages = _shared_anon(mp)
        check(len(pages) == 1 and pages[0].split()[1] == "r--s",
              f"metrics process's page: {pages}")
        status = Path(f"/proc/{mp}/status").read_text()
        check(re.search(r"^CapEff:\s*0+$", status, re.M) is not None,
              "metrics process has capabilities")
        # A sanitizer build skips every seccomp filter (sandbox.c).
        check(os.environ.get("FTPD_ASAN") or
              re.search(r"^Seccomp:\s*2$", status, re.M) is not None,
              "metrics process without a seccomp filter")
        check(os.readlink(f"/proc/{mp}/root") != "/", "not chrooted")
        f = srv.ftp(USER, PASS)
        from harness import VUSER_UID
        _, up = session_process(srv, VUSER_UID)
        check(up is not None, "no user process")
        check(_shared_anon(up) == [], f"user process maps the page: "
              f"{_shared_anon(up)}")
        f.quit()
    with Server() as srv:
        f = srv.ftp()
        check(_metrics_pid(srv) is None, "a metrics process with metrics off")
        check(_shared_anon(srv.proc.pid) == [], "a shared page with metrics off")
        f.quit()


def test_config_refuses_bad_metrics_keys():
    """ftpd -t refuses metrics_user root or shared with nopriv_user, and a
    metrics_listen that is neither ADDR:PORT nor an absolute path."""
    base = ["-f", "/dev/null", "-o", "tls=off", "-o",
            "metrics_listen=127.0.0.1:9121"]
    for extra, word in [(["-o", "metrics_user=0"], "metrics_user"),
                        (["-o", "metrics_user=root"], "metrics_user"),
                        (["-o", "metrics_user=nobody",
                          "-o", "nopriv_user=nobody"], "metrics_user"),
                        (["-o", "metrics_listen=localhost:80"],
                         "metrics_listen"),
                        (["-o", "metrics_listen=127.0.0.1:0"],
                         "metrics_listen")]:
        p = subprocess.run([str(FTPD), "-t", *base, *extra],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode != 0 and word in p.stderr,
              f"{extra}: rc {p.returncode}, {p.stderr.strip()!r}")
    p = subprocess.run([str(FTPD), "-t", *base], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, f"a good metrics_listen refused: {p.stderr!r}")
