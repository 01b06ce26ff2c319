"""test_log_format.py - log_format = text | json, and the client's place
in every line of a failed login, a ban and a refused connection
(issue #20).

One scenario per format: a failed login from 127.0.0.5 with a user name
full of quotes, backslashes, braces and UTF-8 (control bytes never get
past the command reader), which with
ban_after = 1 bans the address, so its next connection is refused; and
a login from 127.0.0.6.  In JSON every line is one object that parses,
with the client, the session, the event and the user as keys; in text
the client is "client=ADDR" right after "ftpd[PID]: ".  Behind the
PROXY protocol the client is the header's, never the proxy.
"""

import json
import re
import socket
import time

from harness import HOST, SLOW, Server, check

USER, PASS = "lotte", "Lotte-pw-9"
ODD = 'bad"name\\\u00fc}{'


def _ctl(port, source, header=None):
    s = socket.create_connection((HOST, port), timeout=30 * SLOW,
                                 source_address=(source, 0))
    if header is not None:
        s.sendall(header)
    return s, s.makefile("rb")


def _reply(f):
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line.decode("utf-8", "replace")


def _login(port, user, password, source, header=None):
    s, f = _ctl(port, source, header)
    try:
        check(_reply(f).startswith("220"), "greeting")
        s.sendall(b"USER " + user.encode() + b"\r\n")
        _reply(f)
        s.sendall(b"PASS " + password.encode() + b"\r\n")
        return _reply(f)[:3]
    finally:
        f.close()
        s.close()


def _refused(port, source, header=None):
    """Connect until the server refuses with 421 (the master has reaped
    the failed session and banned the address)."""
    deadline = time.monotonic() + 10 * SLOW
    while True:
        s, f = _ctl(port, source, header)
        try:
            line = _reply(f)
        finally:
            f.close()
            s.close()
        if line.startswith("421"):
            return line
        check(time.monotonic() < deadline, f"never refused: {line!r}")
        time.sleep(0.1)


def _scenario(srv):
    check(_login(srv.port, ODD, "x", "127.0.0.5") == "530", "failure")
    _refused(srv.port, "127.0.0.5")
    check(_login(srv.port, USER, PASS, "127.0.0.6") == "230", "login")


CONF = {"ban_after": 1, "ban_seconds": 60, "log_level": "info"}


def test_json_lines_parse_and_carry_the_client():
    with Server(users={USER: PASS},
                conf=dict(CONF, log_format="json")) as srv:
        _scenario(srv)
        srv.stop()
        lines = [ln for ln in srv.log().splitlines() if ln.strip()]
        objs = []
        for ln in lines:
            try:
                objs.append(json.loads(ln))
            except ValueError:
                check(False, f"not JSON: {ln!r}")
        for o in objs:
            check(list(o)[:4] == ["time", "level", "ident", "pid"] and
                  list(o)[-1] == "msg", f"keys {list(o)}")
            check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                               o["time"]), f"time {o['time']}")
        ev = {}
        for o in objs:
            ev.setdefault(o.get("event"), []).append(o)
        fail = ev.get("login_failed", [])
        check(len(fail) == 1, f"failed-login lines: {fail}")
        f = fail[0]
        check(f["client"] == "127.0.0.5" and f["user"] == ODD and
              f["level"] == "warning" and f["session"] == f["pid"],
              f"failed login: {f}")
        check(f["msg"].startswith("login failed: user " + ODD +
                                  " from 127.0.0.5"),
              f"msg {f['msg']!r}")
        ban = ev.get("ban", [])
        check(len(ban) == 1 and ban[0]["client"] == "127.0.0.5" and
              "session" not in ban[0], f"ban: {ban}")
        ref = ev.get("refused", [])
        check(ref and all(r["client"] == "127.0.0.5" for r in ref),
              f"refused: {ref}")
        ok = ev.get("login", [])
        check(len(ok) == 1 and ok[0]["client"] == "127.0.0.6" and
              ok[0]["user"] == USER, f"login: {ok}")
        # Every line of a session names its client.
        for o in objs:
            if "session" in o:
                check(o.get("client") in ("127.0.0.5", "127.0.0.6"),
                      f"session line without its client: {o}")


def test_text_lines_carry_the_client_first():
    with Server(users={USER: PASS}, conf=CONF) as srv:
        _scenario(srv)
        log = srv.log()
        head = r"^\S+ ftpd\[\d+\]: client=127\.0\.0\.5 "
        for what in (r"login failed: user " + re.escape(ODD) + " from",
                     r"banned 127\.0\.0\.5 for 60 s",
                     r"refused 127\.0\.0\.5: Too many failed logins"):
            check(re.search(head + what, log, re.M),
                  f"no line {what!r}:\n{log}")
        check(re.search(r"^\S+ ftpd\[\d+\]: client=127\.0\.0\.6 login ok",
                        log, re.M), "login ok line")


def test_json_behind_the_proxy_names_the_header_client():
    """The proxy is never the client: lines before the header name it as
    the proxy, the failure, the ban and the refusal name the client of
    the header."""
    hdr = b"PROXY TCP4 192.0.2.20 127.0.0.1 40000 21\r\n"
    with Server(users={USER: PASS},
                conf=dict(CONF, log_format="json",
                          proxy_protocol="yes")) as srv:
        check(_login(srv.port, USER, "wrong", "127.0.0.1", hdr) == "530",
              "failure")
        _refused(srv.port, "127.0.0.1", hdr)
        srv.stop()
        objs = [json.loads(ln) for ln in srv.log().splitlines()
                if ln.strip()]
        check(all(o.get("client") != "127.0.0.1" for o in objs),
              "the proxy logged as a client")
        for event in ("login_failed", "ban", "refused"):
            got = [o for o in objs if o.get("event") == event]
            check(got and all(o["client"] == "192.0.2.20" for o in got),
                  f"{event}: {got}")
