"""test_proxy.py - proxy_protocol: the PROXY v1/v2 header a load balancer
such as HAProxy sends first, naming the real client.

The tests play the proxy on 127.0.0.1 and name clients on other loopback
addresses (127.0.0.2 and up), which the server must then treat as the
session's peer: PORT targets, limits, bans and logs.
"""

import contextlib
import ftplib
import os
import random
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from harness import (FTPD, FTPWHO, HOST, SLOW, RawControl, Server, Skip,
                     TestFailure, check, ftplib_on, inetd_session,
                     make_file, recv_all, require_tool, run, sha256_bytes,
                     sha256_file)

CURL = ["curl", "-sS", "--max-time", "60", "--connect-timeout", "10"]
USER, PASS = "pia", "Pia-pw-9"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(client, port=40000):
    return f"PROXY TCP4 {client} 127.0.0.1 {port} 21\r\n".encode()


def v2_inet(client, tlvs=b"", command=0x21):
    body = (socket.inet_aton(client) + socket.inet_aton("127.0.0.1") +
            struct.pack(">HH", 40001, 21) + tlvs)
    return V2_SIG + bytes([command, 0x11]) + struct.pack(">H", len(body)) \
        + body


def v2_inet6(client):
    body = (socket.inet_pton(socket.AF_INET6, client) +
            socket.inet_pton(socket.AF_INET6, "2001:db8::21") +
            struct.pack(">HH", 40002, 21))
    return V2_SIG + b"\x21\x21" + struct.pack(">H", len(body)) + body


def proxied(srv, header, port=None):
    """A RawControl on which header was sent first (nothing read yet)."""
    c = RawControl(HOST, port or srv.port, 30 * SLOW)
    c.send(header)
    return c


def greeted(srv, header):
    c = proxied(srv, header)
    code, text = c.reply()
    check(code == 220, f"greeting after the header: {text!r}")
    return c


def logged_in(srv, header, user="anonymous", password="a@b.c"):
    """greeted(), then logged in."""
    c = greeted(srv, header)
    check(c.cmd(f"USER {user}")[0] == 331, "USER")
    check(c.cmd(f"PASS {password}")[0] == 230, "PASS")
    return c


def silent_close(c, timeout=10):
    """The server closes without sending a byte."""
    c.sock.settimeout(timeout * SLOW)
    try:
        data = c.sock.recv(4096)
    except ConnectionResetError:
        data = b""
    check(data == b"", f"server said {data!r} to a connection without a "
          "valid PROXY header")


def test_curl_through_proxy_protocol():
    """curl --haproxy-protocol sends a v1 header on every connection, the
    data connections too (as a proxy forwarding the passive ports would,
    proxy_protocol_data): downloads and uploads work, and a client
    without the header is not served at all."""
    require_tool("curl")
    with Server(users={USER: PASS},
                conf={"proxy_protocol": "yes", "proxy_protocol_data": "yes",
                      "login_timeout": 3}) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-pp-") as d:
        digest = make_file(srv.home(USER) / "down.bin", 3 << 20)
        up = Path(d) / "up.bin"
        up_digest = make_file(up, 2 << 20)
        srv.give(USER)
        out = Path(d) / "out"
        run(CURL + ["--haproxy-protocol", srv.url("down.bin", USER, PASS),
                    "-o", out])
        check(sha256_file(out) == digest, "download through the header "
              "differs")
        run(CURL + ["--haproxy-protocol", "-T", up,
                    srv.url("up.bin", USER, PASS)])
        check(sha256_file(srv.home(USER) / "up.bin") == up_digest,
              "upload through the header differs")
        check("via proxy 127.0.0.1" in srv.log(), "log does not name the "
              "proxy:\n" + srv.log_tail())
        r = run(CURL[:-2] + ["--max-time", "8", "--connect-timeout", "5",
                             srv.url("down.bin", USER, PASS), "-o", out],
                check_rc=False, timeout=30)
        check(r.returncode != 0, "a client without a PROXY header was "
              "served")
        check("no PROXY header in time" in srv.log(), "the missing "
              "header is not logged:\n" + srv.log_tail())


def _listen(addr):
    s = socket.socket()
    s.bind((addr, 0))
    s.listen(1)
    s.settimeout(20 * SLOW)
    return s


def test_v1_header_names_the_client():
    """The named client is the peer: PORT may name it and not the proxy;
    active data goes to it; passive data may come from it or through the
    proxy, never from a third address."""
    with Server(conf={"proxy_protocol": "yes"}) as srv:
        data = make_file(srv.anon_root / "f.bin", 300000)
        c = logged_in(srv, v1("127.0.0.2"))
        check(c.cmd("TYPE I")[0] == 200, "TYPE I")
        code, text = c.cmd("PORT 127,0,0,1,200,10")
        check(code == 504, f"PORT to the proxy, not the client: {text!r}")
        # Active: the server connects to the named client.
        lst = _listen("127.0.0.2")
        port = lst.getsockname()[1]
        code, text = c.cmd(f"PORT 127,0,0,2,{port >> 8},{port & 255}")
        check(code == 200, f"PORT to the named client: {text!r}")
        c.send("RETR f.bin\r\n")
        conn, _ = lst.accept()
        lst.close()
        got = recv_all(conn)
        check(c.reply()[0] == 150, "RETR 150")
        check(c.reply()[0] == 226, "RETR 226")
        check(sha256_bytes(got) == data, "active download differs")
        # Passive through the proxy (127.0.0.1).
        code, text = c.cmd("EPSV")
        check(code == 229, f"EPSV: {text!r}")
        port = int(text.split("|")[3])
        d = socket.create_connection((HOST, port), timeout=20 * SLOW)
        c.send("RETR f.bin\r\n")
        got = recv_all(d)
        check(c.reply()[0] == 150 and c.reply()[0] == 226, "passive RETR")
        check(sha256_bytes(got) == data, "passive download differs")
        # Passive from an address that is neither: refused.
        code, text = c.cmd("EPSV")
        port = int(text.split("|")[3])
        thief = socket.create_connection((HOST, port), timeout=20 * SLOW,
                                         source_address=("127.0.0.9", 0))
        c.send("RETR f.bin\r\n")
        stolen = recv_all(thief, tolerate_errors=True)
        check(stolen == b"", "a third address got the passive data")
        with contextlib.suppress(OSError):
            d = socket.create_connection((HOST, port), timeout=5 * SLOW,
                                         source_address=("127.0.0.2", 0))
            recv_all(d, tolerate_errors=True)
        code, _ = c.reply()
        while code == 150:
            code, _ = c.reply()
        check(code == 226, f"the named client's passive RETR gave {code}")
        check("refused passive connection from 127.0.0.9" in srv.log(),
              "the stray data connection is not logged")
        # ftpwho shows the client too.
        deadline = time.monotonic() + 10 * SLOW
        while True:
            who = run([FTPWHO, "-d", srv.run_dir]).stdout
            if "127.0.0.2" in who or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check("127.0.0.2" in who, f"ftpwho: {who!r}")
        check(c.cmd("QUIT")[0] == 221, "QUIT")
        log = srv.log()
        check("client 127.0.0.2 via proxy 127.0.0.1" in log and
              "login ok: user anonymous from 127.0.0.2" in log,
              "log does not name the client:\n" + srv.log_tail())


def test_v2_headers():
    """v2 with TLVs after the addresses, IPv6 clients, and LOCAL (the
    proxy's own health check: the connection's addresses stay)."""
    with Server(conf={"proxy_protocol": "yes"}) as srv:
        tlv = b"\x04\x00\x05hello" + b"\x01\x00\x03ftp"
        with logged_in(srv, v2_inet("127.0.0.3", tlv)) as c:
            check(c.cmd("PORT 127,0,0,3,200,10")[0] == 200,
                  "PORT to the v2 client")
            check(c.cmd("PORT 127,0,0,1,200,10")[0] == 504,
                  "PORT to the proxy")
        with logged_in(srv, v2_inet("127.0.0.3", command=0x20)) as c:
            check(c.cmd("PORT 127,0,0,1,200,10")[0] == 200,
                  "LOCAL: the connection's own address stays the peer")
        with logged_in(srv, v2_inet6("2001:db8::7")) as c:
            check(c.cmd("EPRT |2|2001:db8::7|5000|")[0] == 200,
                  "EPRT to the IPv6 client")
            check(c.cmd("EPRT |1|127.0.0.1|5000|")[0] == 504,
                  "EPRT to the proxy")
        check("client 2001:db8::7 via proxy 127.0.0.1" in srv.log(),
              "IPv6 client not logged:\n" + srv.log_tail())


def test_header_in_pieces_and_with_commands():
    """A header split over two segments is waited for; commands sent right
    behind it are neither lost nor taken as part of it."""
    with Server(conf={"proxy_protocol": "yes"}) as srv:
        for h, cut, behind, codes in (
                (v1("127.0.0.4"), 9,
                 b"USER anonymous\r\nPASS x@y.z\r\nPWD\r\n",
                 [220, 331, 230, 257]),
                (v2_inet("127.0.0.4"), 14, b"NOOP\r\n", [220, 200])):
            with proxied(srv, h[:cut]) as c:
                time.sleep(0.3)
                c.send(h[cut:] + behind)
                got = [c.reply()[0] for _ in codes]
                check(got == codes, f"replies {got}, want {codes}")


def test_bad_or_missing_header_closes():
    """Without a valid header nothing is said, so a port scanner or a
    client that bypassed the proxy learns nothing, and nothing is parsed
    as a command."""
    bad = [b"USER anonymous\r\n",
           b"PROXY TCP4 127.0.0.2\r\n",
           b"PROXY TCP4 127.0.0.2 127.0.0.1 99999 21\r\n",
           b"PROXY TCP4 ::1 ::1 1 2\r\n",
           b"PROXY " + b"A" * 120 + b"\r\n",
           V2_SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12,
           V2_SIG + b"\x21\x12\x00\x0c" + b"\x00" * 12,
           V2_SIG + b"\x21\x11\x00\x08" + b"\x00" * 8,
           V2_SIG + b"\x21\x11\xff\xff"]
    with Server(conf={"proxy_protocol": "yes", "login_timeout": 2}) as srv:
        for h in bad:
            with proxied(srv, h) as c:
                silent_close(c)
        # Part of a header, then the proxy hangs up: noticed at once, not
        # after login_timeout.
        t0 = time.monotonic()
        with proxied(srv, b"PROXY TCP4 127.") as c:
            c.sock.shutdown(socket.SHUT_WR)
            silent_close(c)
        check(time.monotonic() - t0 < 1.5 * SLOW, "a hang-up inside the "
              "header waited for login_timeout")
        t0 = time.monotonic()
        with proxied(srv, b"") as c:
            silent_close(c, timeout=10)
        check(time.monotonic() - t0 < 8 * SLOW, "no header: not closed "
              "after login_timeout")
        check(srv.log().count("not a valid PROXY header") == len(bad),
              "bad headers not logged:\n" + srv.log_tail())
        with greeted(srv, v1("127.0.0.2")) as c:
            check(c.cmd("QUIT")[0] == 221, "a good header still works")


def _refused(srv, header):
    with proxied(srv, header) as c:
        code, text = c.reply()
        closed = c.closed()
    return code, text, closed


def test_limits_apply_to_the_real_client():
    """max_per_ip and bans count the clients the headers name, not the
    proxy every connection comes from."""
    with Server(users={USER: PASS},
                conf={"proxy_protocol": "yes", "max_per_ip": 1,
                      "login_attempts": 1, "ban_after": 1,
                      "ban_seconds": 60}) as srv:
        first = greeted(srv, v1("127.0.0.2"))
        code, text, closed = _refused(srv, v1("127.0.0.2"))
        check(code == 421 and "Too many connections" in text and closed,
              f"second session of 127.0.0.2: {code} {text!r}")
        other = greeted(srv, v1("127.0.0.3"))
        other.close()
        first.close()
        # One failed login bans 127.0.0.5 (recorded when its session is
        # reaped), and only 127.0.0.5.
        with greeted(srv, v1("127.0.0.5")) as c:
            c.cmd(f"USER {USER}")
            with contextlib.suppress(EOFError):
                c.cmd("PASS wrong")
            c.closed()
        deadline = time.monotonic() + 10 * SLOW
        while True:
            code, text, closed = _refused(srv, v1("127.0.0.5"))
            if code == 421 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        check(code == 421 and "failed logins" in text,
              f"127.0.0.5 not banned: {code} {text!r}")
        with logged_in(srv, v1("127.0.0.6"), USER, PASS):
            pass    # another client is not banned with it


def test_header_before_implicit_tls():
    """On an implicit-TLS listener the header comes first, then the TLS
    handshake."""
    with Server(tls="on", implicit_tls=True,
                conf={"proxy_protocol": "yes"}) as srv:
        raw = socket.create_connection((HOST, srv.tls_port),
                                       timeout=20 * SLOW)
        raw.sendall(v1("127.0.0.7"))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(raw) as t:
            f = t.makefile("rb")
            line = f.readline()
            check(line.startswith(b"220"), f"TLS greeting: {line!r}")
            t.sendall(b"USER anonymous\r\n")
            check(f.readline().startswith(b"331"), "USER over TLS")
            t.sendall(b"PASS a@b.c\r\n")
            check(f.readline().startswith(b"230"), "PASS over TLS")
            t.sendall(b"PORT 127,0,0,7,200,10\r\n")
            check(f.readline().startswith(b"200"), "PORT to the client")
            t.sendall(b"QUIT\r\n")
            f.readline()
            f.close()
        check("client 127.0.0.7 via proxy" in srv.log(), "not logged")


def test_data_connection_headers():
    """proxy_protocol_data: the proxy forwards the passive ports with a
    header on each data connection.  It is taken off an upload, and a
    data connection without one, or with one naming another client, is
    refused like any stray connection."""
    with Server(users={USER: PASS}, conf={"proxy_protocol": "yes",
                                          "proxy_protocol_data": "yes"}) \
            as srv:
        srv.give(USER)
        body = b"PROXY-looking? no: " + bytes(range(256)) * 400
        with logged_in(srv, v1("127.0.0.2"), USER, PASS) as c:
            check(c.cmd("TYPE I")[0] == 200, "TYPE I")
            for name, header in (("v1.bin", v1("127.0.0.2", 40100)),
                                 ("v2.bin", v2_inet("127.0.0.2"))):
                code, text = c.cmd("EPSV")
                port = int(text.split("|")[3])
                d = socket.create_connection((HOST, port),
                                             timeout=20 * SLOW)
                d.sendall(header)
                c.send(f"STOR {name}\r\n")
                check(c.reply()[0] == 150, f"STOR {name} 150")
                d.sendall(body)
                d.close()
                check(c.reply()[0] == 226, f"STOR {name} 226")
                got = (srv.home(USER) / name).read_bytes()
                check(got == body, f"{name}: the header was not taken "
                      f"off the upload ({len(got)} bytes)")
            # No header: the upload's bytes are not taken for one.
            code, text = c.cmd("EPSV")
            port = int(text.split("|")[3])
            d = socket.create_connection((HOST, port), timeout=20 * SLOW)
            d.sendall(body)
            c.send("STOR none.bin\r\n")
            check(recv_all(d, tolerate_errors=True) == b"",
                  "data connection without a header")
            d = socket.create_connection((HOST, port), timeout=20 * SLOW)
            d.sendall(v1("127.0.0.2", 40250) + body)
            d.close()
            check(c.reply()[0] == 150 and c.reply()[0] == 226,
                  "STOR after the headerless connection")
            check((srv.home(USER) / "none.bin").read_bytes() == body,
                  "upload after the headerless connection differs")
            code, text = c.cmd("EPSV")
            port = int(text.split("|")[3])
            d = socket.create_connection((HOST, port), timeout=20 * SLOW)
            d.sendall(v1("127.0.0.8", 40200))
            c.send("RETR v1.bin\r\n")
            check(recv_all(d, tolerate_errors=True) == b"",
                  "a data header naming another client got the file")
            # The client itself may still come, as after any stray one.
            d = socket.create_connection((HOST, port), timeout=20 * SLOW)
            d.sendall(v1("127.0.0.2", 40300))
            check(recv_all(d) == body, "the client's download differs")
            check(c.reply()[0] == 150 and c.reply()[0] == 226,
                  "RETR after the stray connection")
        check(srv.log().count("no PROXY header naming this client") == 2,
              "the refused data connections are not logged:\n" +
              srv.log_tail())


def test_only_the_proxies_may_connect():
    """proxy_from: a connection from anywhere else is refused before a
    byte is read, so nobody can claim an address by going around the
    proxy."""
    with Server(conf={"proxy_protocol": "yes",
                      "proxy_from": "127.0.0.2/32, ::1"}) as srv:
        with socket.create_connection((HOST, srv.port), timeout=20 * SLOW,
                                      source_address=("127.0.0.2", 0)) as s:
            s.sendall(v1("127.0.0.5"))
            line = s.makefile("rb").readline()
            check(line.startswith(b"220"), f"from the proxy: {line!r}")
        c = proxied(srv, v1("127.0.0.5"))
        code, text = c.reply()
        check(code == 421 and c.closed(), f"from elsewhere: {code} {text!r}")
        c.close()
        check("refused 127.0.0.1" in srv.log(), "refusal not logged")


def test_health_checks_never_ban_the_proxy():
    """Sessions whose header names no client (LOCAL, UNKNOWN: the proxy's
    own health checks) count for nobody: failed logins in them never ban
    the proxy, which every client comes through."""
    with Server(users={USER: PASS},
                conf={"proxy_protocol": "yes", "login_attempts": 1,
                      "ban_after": 1, "ban_seconds": 60}) as srv:
        for header in (v2_inet("127.0.0.3", command=0x20),
                       b"PROXY UNKNOWN\r\n"):
            with greeted(srv, header) as c:
                c.cmd(f"USER {USER}")
                with contextlib.suppress(EOFError):
                    c.cmd("PASS wrong")
                c.closed()
        time.sleep(1.0 * SLOW)      # the master has reaped them
        with greeted(srv, b"PROXY UNKNOWN\r\n") as c:
            check(c.cmd("QUIT")[0] == 221, "health check after failures")
        with logged_in(srv, v1("127.0.0.6"), USER, PASS):
            pass    # a client after the proxy's own failed logins
        check("PROXY header names no client" in srv.log(),
              "LOCAL session not logged as such")


def test_configuration_checks():
    """proxy_from must be a list of prefixes; proxy_from and
    proxy_protocol_data only mean something with proxy_protocol."""
    base = [str(FTPD), "-t", "-f", "/dev/null", "-o", "tls=off"]
    for extra, ok in ((["-o", "proxy_protocol=yes", "-o",
                        "proxy_from=10.0.0.0/8, 2001:db8::/32"], True),
                      (["-o", "proxy_protocol=yes", "-o",
                        "proxy_from=10.0.0.1/8"], False),
                      (["-o", "proxy_protocol=yes", "-o",
                        "proxy_from=proxy.example"], False),
                      (["-o", "proxy_from=10.0.0.0/8"], False),
                      (["-o", "proxy_protocol_data=yes"], False)):
        r = subprocess.run(base + extra, capture_output=True, text=True,
                           timeout=30)
        check((r.returncode == 0) == ok, f"{extra}: exit {r.returncode} "
              f"{r.stderr!r}")
        if not ok:
            check("proxy_" in r.stderr and len(r.stderr.splitlines()) == 1,
                  f"{extra}: error {r.stderr!r}")


def test_inetd_mode_with_ftplib():
    """ftpd -i reads the header too (no master: no limits to ask about),
    and Python's ftplib then works as usual over the proxied session."""
    with Server(conf={"proxy_protocol": "yes"}) as srv:
        data = make_file(srv.anon_root / "i.bin", 400000)
        with inetd_session(srv) as (client, p):
            client.sendall(v1("127.0.0.2"))
            f = ftplib_on(client)
            check(f.welcome.startswith("220"), f"greeting {f.welcome!r}")
            f.login("anonymous", "x@y")
            got = []
            f.retrbinary("RETR i.bin", got.append)
            check(sha256_bytes(b"".join(got)) == data, "RETR differs")
            try:
                f.sendcmd("PORT 127,0,0,1,200,10")
                check(False, "PORT to the proxy accepted")
            except ftplib.error_perm as e:
                check(str(e).startswith("504"), f"PORT: {e}")
            f.quit()
            f.close()
            rc = p.wait(timeout=15 * SLOW)
            check(rc == 0, f"ftpd -i exit status {rc}")
        text = (srv.tmp / "inetd.log").read_text()
        check("client 127.0.0.2 via proxy 127.0.0.1" in text,
              "inetd log does not name the client:\n" + text[-2000:])


def _free_range(host, n):
    """n consecutive ports free on host and on 127.0.0.1."""
    for _ in range(200):
        lo = random.randint(20000, 59000)
        ok = True
        for port in range(lo, lo + n):
            for h in (host, HOST):
                with socket.socket() as s:
                    try:
                        s.bind((h, port))
                    except OSError:
                        ok = False
            if not ok:
                break
        if ok:
            return lo
    raise TestFailure("no free port range")


@contextlib.contextmanager
def haproxy(front, ctl_port, data_lo, data_hi):
    """Real HAProxy on front: ctl port -> ftpd's ctl_port on 127.0.0.1,
    and the passive range to the same ports there, send-proxy-v2 on
    both."""
    exe = shutil.which("haproxy") or shutil.which("haproxy",
                                                   path="/usr/sbin:/sbin")
    if exe is None:
        raise Skip("haproxy not installed (make test-deps installs it "
                   "as root)")
    hp_port = _free_range(front, 1)
    with tempfile.TemporaryDirectory(prefix="ftpd-hap-") as d:
        cfg = Path(d) / "haproxy.cfg"
        cfg.write_text(f"""global
    maxconn 200
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend ctl
    bind {front}:{hp_port}
    default_backend ctl
backend ctl
    server ftpd {HOST}:{ctl_port} send-proxy-v2
frontend data
    bind {front}:{data_lo}-{data_hi}
    default_backend data
backend data
    server ftpd {HOST} send-proxy-v2
""")
        p = subprocess.Popen([exe, "-f", str(cfg), "-db"],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=open(Path(d) / "log", "wb"),
                             start_new_session=True)
        try:
            deadline = time.monotonic() + 10 * SLOW
            while True:
                with socket.socket() as s:
                    s.settimeout(1)
                    if s.connect_ex((front, hp_port)) == 0:
                        break
                check(p.poll() is None and time.monotonic() < deadline,
                      "haproxy did not start: " +
                      (Path(d) / "log").read_text()[-2000:])
                time.sleep(0.05)
            yield hp_port
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def test_behind_real_haproxy():
    """The real thing: HAProxy in front of the control port and the
    passive ports, send-proxy-v2 on both.  curl (from 127.0.0.9) downloads
    and uploads through it; the server sees the client, not HAProxy."""
    require_tool("curl")
    front = "127.0.0.5"
    lo = _free_range(front, 8)
    with Server(users={USER: PASS}, tls="on",
                conf={"proxy_protocol": "yes", "proxy_protocol_data": "yes",
                      "proxy_from": "127.0.0.1",
                      "pasv_ports": f"{lo}-{lo + 7}",
                      "pasv_address": front}) as srv, \
            haproxy(front, srv.port, lo, lo + 7) as hp_port, \
            tempfile.TemporaryDirectory(prefix="ftpd-hap-c-") as d:
        digest = make_file(srv.home(USER) / "down.bin", 4 << 20)
        up = Path(d) / "up.bin"
        up_digest = make_file(up, 3 << 20)
        srv.give(USER)
        base = f"ftp://{USER}:{PASS}@{front}:{hp_port}/"
        out = Path(d) / "out"
        for mode in (["--ftp-pasv"], ["--ftp-pasv", "--disable-epsv"]):
            run(CURL + mode + ["--interface", "127.0.0.9", base + "down.bin",
                               "-o", out])
            check(sha256_file(out) == digest,
                  f"download through HAProxy differs ({mode})")
        run(CURL + ["--interface", "127.0.0.9", "-T", up, base + "up.bin"])
        check(sha256_file(srv.home(USER) / "up.bin") == up_digest,
              "upload through HAProxy differs")
        # FTPS passes through: the data header comes before the TLS
        # handshake, and the TLS session reuse check still holds.
        run(CURL + ["--interface", "127.0.0.9", "--ssl-reqd", "-k",
                    base + "down.bin", "-o", out])
        check(sha256_file(out) == digest, "FTPS download through HAProxy "
              "differs")
        run(CURL + ["--interface", "127.0.0.9", "--ssl-reqd", "-k", "-T", up,
                    base + "up2.bin"])
        check(sha256_file(srv.home(USER) / "up2.bin") == up_digest,
              "FTPS upload through HAProxy differs")
        if shutil.which("lftp"):     # (make check installs it)
            # Many data connections in one session: a small mirror.
            tree = srv.home(USER) / "tree"
            tree.mkdir()
            want = {f"f{i}.bin": make_file(tree / f"f{i}.bin", 1000 * i + 1)
                    for i in range(12)}
            srv.give(USER)
            local = Path(d) / "mirror"
            run(["lftp", "-u", f"{USER},{PASS}", "-p", str(hp_port), "-e",
                 "set ftp:ssl-allow no; set net:max-retries 2; "
                 "set net:timeout 20; set cmd:fail-exit yes; "
                 "set net:socket-bind-ipv4 127.0.0.9; "
                 f"mirror /tree {local}; quit", front], timeout=120)
            got = {p.name: sha256_file(p) for p in local.iterdir()}
            check(got == want, f"lftp mirror through HAProxy: {got!r}")
            check(srv.log().count("command: RETR /tree/f") >= 12 or
                  srv.log().count("RETR") >= 14, "lftp's transfers are "
                  "not in the log:\n" + srv.log_tail())
        log = srv.log()
        check("client 127.0.0.9 via proxy 127.0.0.1" in log and
              f"login ok: user {USER} from 127.0.0.9" in log,
              "the server did not see the client:\n" + srv.log_tail())
        check("refused passive" not in log, "a data connection through "
              "HAProxy was refused:\n" + srv.log_tail())
