"""test_rfc_gaps.py - the last RFC gaps: clean failure replies, REIN, STRU P.

The last wrong password of login_attempts (530, then the close), the 522
a non-resuming PROT P client gets, REIN after login (another account,
under TLS, max_sessions) and STRU P (RFC 959 Appendix I) through a page
codec written here, independently of the server's.
"""

import contextlib
import ftplib
import hashlib
import io
import os
import socket
import ssl
import struct
import time

from harness import (check, greeting_line, HOST, inetd_session, RawControl,
                     require_tool, run, Server, SLOW)

USER, PASS = "rein", "Rein-pa55-word"
OTHER, OTHER_PASS = "other", "Other-pa55-word"


# ------------------------------------------------- the last failed login

def test_last_failed_login_is_530_then_close():
    """login_attempts = 2: the first wrong password is a 530 and the
    session goes on; the second (the last) is a 530 too, not a 421, and
    the server then closes.  Bans count it as before."""
    with Server(users={USER: PASS},
                conf={"login_attempts": 2, "ban_after": 2,
                      "ban_seconds": 60}) as srv:
        with srv.raw(timeout=60) as c:
            check(c.cmd(f"USER {USER}")[0] == 331, "USER")
            code, text = c.cmd("PASS bad1")
            check(code == 530, f"first failure: {code} {text!r}")
            check(c.cmd(f"USER {USER}")[0] == 331, "USER again")
            code, text = c.cmd("PASS bad2")
            check(code == 530 and "Login incorrect" in text,
                  f"last failure: {code} {text!r}")
            check(c.closed(), "not closed after the last failure")
        # The two failures were counted: a ban at ban_after = 2.
        deadline = time.monotonic() + 10 * SLOW
        banned = False
        data = b""
        while time.monotonic() < deadline and not banned:
            data = greeting_line(srv.port)
            banned = data == b"" or data.startswith(b"421")
            if not banned:
                time.sleep(0.2)
        check(banned, f"failures not counted toward the ban: {data!r}")


def test_last_failed_login_curl():
    """curl with login_attempts = 1 reports the 530 (access denied),
    exit 67, not a 421 "service not available"."""
    require_tool("curl")
    with Server(users={USER: PASS}, conf={"login_attempts": 1}) as srv:
        p = run(["curl", "-sS", "-v", "--user", f"{USER}:wrong",
                 srv.url("")], check_rc=False, timeout=60)
        check(p.returncode == 67, f"curl exit {p.returncode}: "
              f"{p.stderr[-800:]}")
        check("< 530" in p.stderr and "< 421" not in p.stderr,
              f"curl saw: {p.stderr[-800:]}")


# ------------------------------------------------------------ 522 reason

def _tls_context(srv, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(srv.cert))
    ctx.check_hostname = False
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def test_ftplib_tls_gets_522_with_the_reason():
    """Stock ftplib.FTP_TLS resumes no session: under TLS 1.3 and 1.2 a
    PROT P download and upload each end in error_perm 522 naming the
    requirement and the key (not an SSL error), and the session goes on;
    curl, which resumes, still transfers."""
    with Server(users={USER: PASS}, tls="on") as srv:
        (srv.home(USER) / "f.bin").write_bytes(os.urandom(3000))
        srv.give(USER)
        for ver in (None, ssl.TLSVersion.TLSv1_2):
            f = ftplib.FTP_TLS(context=_tls_context(srv, ver),
                               timeout=30 * SLOW)
            try:
                f.connect(HOST, srv.port)
                f.auth()
                f.login(USER, PASS)
                f.prot_p()
                for what, call in (
                        ("RETR", lambda: f.retrbinary("RETR f.bin",
                                                      lambda b: None)),
                        ("STOR", lambda: f.storbinary(
                            "STOR g.bin", io.BytesIO(b"y" * 500)))):
                    text = ""
                    try:
                        call()
                    except ftplib.error_perm as e:
                        text = str(e)
                    check(text.startswith("522") and "reuse" in text and
                          "TLS session" in text and
                          "tls_reuse_required" in text,
                          f"{what} ({ver}): {text!r}")
                    check(f.voidcmd("NOOP").startswith("200"), "NOOP")
            finally:
                f.close()
        require_tool("curl")
        out = srv.tmp / "curl.out"
        run(["curl", "-sS", "--ssl-reqd", "--cacert", str(srv.cert),
             "--user", f"{USER}:{PASS}", srv.url("f.bin"), "-o", str(out)],
            timeout=60)
        check(out.read_bytes() == (srv.home(USER) / "f.bin").read_bytes(),
              "curl (resuming) did not download")


# ------------------------------------------------------------------ REIN

def _two_accounts(**kw):
    srv = Server(users={USER: PASS, OTHER: OTHER_PASS}, **kw)
    return srv


def _login(c, user, password):
    check(c.cmd(f"USER {user}")[0] == 331, f"USER {user}")
    code, text = c.cmd(f"PASS {password}")
    check(code == 230, f"PASS {user}: {code} {text!r}")


def _pasv(c):
    code, text = c.cmd("PASV")
    check(code == 227, f"PASV: {code} {text!r}")
    nums = text[text.index("(") + 1:text.index(")")].split(",")
    return socket.create_connection((HOST, int(nums[4]) * 256 +
                                     int(nums[5])), timeout=30 * SLOW)


def _nlst(c):
    d = _pasv(c)
    c.send("NLST\r\n")
    code, _ = c.reply()
    check(code in (125, 150), f"NLST: {code}")
    data = b""
    while True:
        chunk = d.recv(65536)
        if not chunk:
            break
        data += chunk
    d.close()
    check(c.reply()[0] == 226, "NLST did not complete")
    return sorted(data.decode().split())


def test_rein_logs_in_another_account():
    """REIN after login: 220, the account's process ends, USER/PASS of
    another account see that account's root; PASS right after REIN is
    503 (no USER any more)."""
    with _two_accounts() as srv:
        (srv.home(USER) / "mine.txt").write_bytes(b"1")
        (srv.home(OTHER) / "theirs.txt").write_bytes(b"2")
        srv.give(USER)
        srv.give(OTHER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            check(_nlst(c) == ["mine.txt"], "first account's root")
            code, text = c.cmd("REIN")
            check(code == 220, f"REIN: {code} {text!r}")
            check(c.cmd("PWD")[0] == 530, "still logged in after REIN")
            check(c.cmd("PASS x")[0] == 503, "PASS without USER")
            _login(c, OTHER, OTHER_PASS)
            check(_nlst(c) == ["theirs.txt"], "second account's root")
            # Again, back to the first, pipelined after REIN.
            c.send(f"REIN\r\nUSER {USER}\r\nPASS {PASS}\r\n")
            codes = [c.reply()[0] for _ in range(3)]
            check(codes == [220, 331, 230], f"pipelined REIN: {codes}")
            check(_nlst(c) == ["mine.txt"], "first account again")
            check(c.cmd("QUIT")[0] == 221, "QUIT")
        log = srv.log()
        check(log.count("REIN: user") == 2, "REIN not logged")


def test_rein_before_login_and_during_a_transfer():
    """REIN before login forgets USER; REIN sent while a download runs
    waits for it: the file arrives whole, 226, then 220."""
    with _two_accounts() as srv:
        data = os.urandom(8 << 20)
        (srv.home(USER) / "big.bin").write_bytes(data)
        srv.give(USER)
        with srv.raw() as c:
            check(c.cmd(f"USER {USER}")[0] == 331, "USER")
            check(c.cmd("REIN")[0] == 220, "REIN before login")
            check(c.cmd(f"PASS {PASS}")[0] == 503, "USER not forgotten")
            _login(c, USER, PASS)
            check(c.cmd("TYPE I")[0] == 200, "TYPE I")
            d = _pasv(c)
            c.send("RETR big.bin\r\n")
            check(c.reply()[0] in (125, 150), "RETR")
            first = d.recv(65536)
            c.send("REIN\r\n")
            got = [first]
            while True:
                chunk = d.recv(1 << 20)
                if not chunk:
                    break
                got.append(chunk)
            d.close()
            check(hashlib.sha256(b"".join(got)).digest() ==
                  hashlib.sha256(data).digest(), "download cut by REIN")
            check(c.reply()[0] == 226, "transfer did not complete")
            check(c.reply()[0] == 220, "no 220 after the transfer")
            _login(c, OTHER, OTHER_PASS)
            check(_nlst(c) == [], "second account's (empty) root")


def test_rein_releases_max_sessions():
    """max_sessions = 1: a session that REINs no longer counts (another
    connection logs in as the account), and logging in again counts it:
    then it is the one refused."""
    with _two_accounts(conf={"max_sessions": 1}) as srv:
        with srv.raw() as a, srv.raw() as b:
            _login(a, USER, PASS)
            check(b.cmd(f"USER {USER}")[0] == 331, "USER b")
            check(b.cmd(f"PASS {PASS}")[0] == 421, "limit not enforced")
        with srv.raw() as a, srv.raw() as b:
            _login(a, USER, PASS)
            check(a.cmd("REIN")[0] == 220, "REIN")
            _login(b, USER, PASS)	# a's count was released
            check(a.cmd(f"USER {USER}")[0] == 331, "USER a")
            check(a.cmd(f"PASS {PASS}")[0] == 421, "a counted twice?")
        with srv.raw() as a:
            # Several REINs and logins of one connection: one session.
            for _ in range(3):
                _login(a, USER, PASS)
                check(a.cmd("REIN")[0] == 220, "REIN")
            _login(a, OTHER, OTHER_PASS)
            with srv.raw() as b:
                _login(b, USER, PASS)	# nothing leaked


def _stor(c, name, data):
    d = _pasv(c)
    c.send(f"STOR {name}\r\n")
    code, text = c.reply()
    if code not in (125, 150):
        d.close()
        return code
    with contextlib.suppress(OSError):
        d.sendall(data)
    d.close()
    return c.reply()[0]


def test_rein_settles_the_quota_and_the_plan():
    """The first account's quota tally survives its REIN (settled by the
    monitor); the next account gets its own plan (no quota), and the
    first, logged in again on the same connection, is held to what it
    stored before."""
    srv = _two_accounts()
    srv.keys["quota_dir"] = str(srv.tmp / "quota")
    srv.extra_text = f"[user {USER}]\nquota_bytes = 1000\n"
    with srv, srv.raw() as c:
        _login(c, USER, PASS)
        check(c.cmd("TYPE I")[0] == 200, "TYPE I")
        check(_stor(c, "a.bin", b"a" * 700) == 226, "first upload")
        check(c.cmd("REIN")[0] == 220, "REIN")
        _login(c, OTHER, OTHER_PASS)
        check(c.cmd("TYPE I")[0] == 200, "TYPE I")
        check(_stor(c, "b.bin", b"b" * 5000) == 226,
              "the other account inherited the quota")
        check(c.cmd("REIN")[0] == 220, "REIN")
        _login(c, USER, PASS)
        check(c.cmd("TYPE I")[0] == 200, "TYPE I")
        check(_stor(c, "c.bin", b"c" * 700) == 552,
              "the tally was lost at REIN")


def test_rein_inetd_behind_a_proxy():
    """ftpd -i (no master) with proxy_protocol: the PROXY header is read
    once; after REIN the fresh front greets at once (it reads no second
    header) and another account logs in; the session log still names
    the proxied client."""
    with _two_accounts(conf={"proxy_protocol": "yes"}) as srv:
        (srv.home(OTHER) / "o.txt").write_bytes(b"o")
        srv.give(OTHER)
        with inetd_session(srv) as (client, p):
            client.sendall(b"PROXY TCP4 127.0.0.2 127.0.0.1 40000 21\r\n")
            c = RawControl.__new__(RawControl)
            c.sock, c.rbuf = client, b""
            check(c.reply()[0] == 220, "greeting")
            _login(c, USER, PASS)
            check(c.cmd("REIN")[0] == 220, "REIN")
            _login(c, OTHER, OTHER_PASS)
            check(_nlst(c) == ["o.txt"], "second account's root")
            check(c.cmd("QUIT")[0] == 221, "QUIT")
            check(p.wait(timeout=15 * SLOW) == 0, "ftpd -i exit status")
        text = (srv.tmp / "inetd.log").read_text()
        check(text.count("REIN: user") == 1, "REIN not logged")
        check("login ok: user other from 127.0.0.2" in text,
              "the proxied client was forgotten:\n" + text[-2000:])


def test_rein_under_tls():
    """On a TLS control connection REIN after login is refused (502, the
    session goes on); before login it only forgets USER; after a plain
    REIN, AUTH TLS is refused (431: the key is gone)."""
    with _two_accounts(tls="on") as srv:
        f = ftplib.FTP_TLS(context=_tls_context(srv), timeout=30 * SLOW)
        try:
            f.connect(HOST, srv.port)
            f.auth()
            f.sendcmd(f"USER {USER}")
            check(f.sendcmd("REIN").startswith("220"), "REIN before login")
            f.login(USER, PASS)
            try:
                f.sendcmd("REIN")
                check(False, "REIN accepted under TLS")
            except ftplib.error_perm as e:
                check(str(e).startswith("502") and "TLS" in str(e),
                      f"REIN under TLS: {e}")
            check(f.voidcmd("PWD").startswith("257"), "session lost")
        finally:
            f.close()
        with srv.raw() as c:
            _login(c, OTHER, OTHER_PASS)
            check(c.cmd("REIN")[0] == 220, "plain REIN")
            code, text = c.cmd("AUTH TLS")
            check(code == 431, f"AUTH TLS after REIN: {code} {text!r}")
            _login(c, USER, PASS)


# ---------------------------------------------------------------- STRU P
# RFC 959 3.1.2.3: each page is a header of one-logical-byte fields
# (header length, page index, data length, page type) and its data.
# Written here from the RFC, not from the server's code.

PAGE_DATA = 255
T_LAST, T_SIMPLE, T_DESC, T_ACCESS = 0, 1, 2, 3


def pages_of(data):
    """The file as (index, bytes) simple pages of PAGE_DATA bytes."""
    return [(i, data[o:o + PAGE_DATA])
            for i, o in enumerate(range(0, len(data), PAGE_DATA))]


def encode_page(index, chunk, ptype=T_SIMPLE, access=None):
    hdr = [4, index, len(chunk), ptype]
    if access is not None:
        hdr[0] = 5
        hdr.append(access)
    return bytes(hdr) + chunk


def last_page():
    return bytes([4, 0, 0, T_LAST])


def decode_pages(wire):
    """[(index, type, data)] up to and including the last page; fails on
    anything malformed or on bytes after the last page."""
    out, pos = [], 0
    while True:
        check(pos + 4 <= len(wire), f"truncated header at {pos}")
        hlen, index, dlen, ptype = wire[pos:pos + 4]
        check(hlen >= 4, f"header length {hlen}")
        data = wire[pos + hlen:pos + hlen + dlen]
        check(len(data) == dlen, "truncated page data")
        out.append((index, ptype, data))
        pos += hlen + dlen
        if ptype == T_LAST:
            check(hlen == 4 and dlen == 0, "malformed last page")
            check(pos == len(wire), "bytes after the last page")
            return out


def _stru_p_ftp(srv):
    f = srv.ftp(USER, PASS)
    f.voidcmd("TYPE I")
    check(f.voidcmd("STRU P").startswith("200"), "STRU P")
    return f


def _send_raw(f, cmd, wire):
    conn = f.transfercmd(cmd)
    conn.sendall(wire)
    conn.close()
    return f.voidresp()


def test_stru_p_retr_pages():
    """RETR in STRU P: simple pages 0..n-1 of 255 bytes (the last one
    shorter), then a last page; the data joined is the file."""
    with Server(users={USER: PASS}) as srv:
        data = os.urandom(PAGE_DATA * 40 + 17)
        (srv.home(USER) / "p.bin").write_bytes(data)
        (srv.home(USER) / "exact.bin").write_bytes(data[:PAGE_DATA * 2])
        (srv.home(USER) / "empty.bin").write_bytes(b"")
        srv.give(USER)
        f = _stru_p_ftp(srv)
        try:
            for name, want in (("p.bin", data),
                               ("exact.bin", data[:PAGE_DATA * 2]),
                               ("empty.bin", b"")):
                chunks = []
                f.retrbinary(f"RETR {name}", chunks.append)
                pages = decode_pages(b"".join(chunks))
                check(pages[-1][1] == T_LAST, "no last page")
                body = pages[:-1]
                check(all(t == T_SIMPLE for _, t, _ in body),
                      f"{name}: page types {[t for _, t, _ in body]}")
                check([i for i, _, _ in body] == list(range(len(body))),
                      f"{name}: indexes")
                check(all(len(d) == PAGE_DATA for _, _, d in body[:-1]),
                      f"{name}: page sizes")
                check(b"".join(d for _, _, d in body) == want,
                      f"{name}: data differs")
            # REST n restarts at page n.
            chunks = []
            f.retrbinary("RETR p.bin", chunks.append, rest=3)
            pages = decode_pages(b"".join(chunks))
            check([i for i, _, _ in pages[:-1]] == list(range(3, 41)),
                  "REST 3: page indexes")
            check(b"".join(d for _, _, d in pages[:-1]) ==
                  data[3 * PAGE_DATA:], "REST 3: data")
            f.sendcmd("REST 42")
            try:
                f.sendcmd("RETR p.bin")
                check(False, "REST past the last page accepted")
            except ftplib.error_perm as e:
                check(str(e).startswith("554"), f"REST 42: {e}")
        finally:
            f.quit()


def test_stru_p_stor_out_of_order_round_trip():
    """STOR in STRU P with the pages in a shuffled order, a descriptor
    page (dropped) and an access-controlled page: the file is right by
    hash, and RETR in STRU P gives the same pages back."""
    import random
    with Server(users={USER: PASS}) as srv:
        data = os.urandom(PAGE_DATA * 60 + 100)
        pages = pages_of(data)
        rnd = random.Random(22)
        rnd.shuffle(pages)
        wire = encode_page(0, b"descriptive text", T_DESC)
        for n, (i, chunk) in enumerate(pages):
            wire += (encode_page(i, chunk, T_ACCESS, access=7) if n == 3
                     else encode_page(i, chunk))
        wire += last_page()
        f = _stru_p_ftp(srv)
        try:
            check(_send_raw(f, "STOR up.bin", wire).startswith("226"),
                  "STOR")
            got = (srv.home(USER) / "up.bin").read_bytes()
            check(hashlib.sha256(got).hexdigest() ==
                  hashlib.sha256(data).hexdigest(),
                  f"stored file differs ({len(got)} of {len(data)})")
            chunks = []
            f.retrbinary("RETR up.bin", chunks.append)
            back = decode_pages(b"".join(chunks))
            check(b"".join(d for _, _, d in back[:-1]) == data,
                  "round trip differs")
            # STRU F again: the plain bytes.
            f.voidcmd("STRU F")
            chunks = []
            f.retrbinary("RETR up.bin", chunks.append)
            check(b"".join(chunks) == data, "STRU F after STRU P")
        finally:
            f.quit()


def test_stru_p_bad_input_and_combinations():
    """A page stream without its last page or with an unknown page type
    fails the upload (no file); the combinations STRU P has no meaning
    in answer 504 naming what is supported."""
    with Server(users={USER: PASS}) as srv:
        (srv.home(USER) / "big.bin").write_bytes(b"x" * (256 * 255 + 1))
        (srv.home(USER) / "s.bin").write_bytes(b"y" * 10)
        srv.give(USER)
        f = _stru_p_ftp(srv)
        try:
            for n, (what, wire) in enumerate((
                    ("no last page", encode_page(0, b"abc")),
                    ("unknown type", encode_page(0, b"abc", ptype=9) +
                     last_page()),
                    ("short header", bytes([2, 0, 0])))):
                bad = f"bad{n}.bin"
                try:
                    resp = _send_raw(f, f"STOR {bad}", wire)
                    check(False, f"{what}: accepted ({resp})")
                except ftplib.error_temp as e:
                    check(str(e)[:3] in ("426", "451"), f"{what}: {e}")
                # Without its last page the upload is a cut one, kept
                # for a resume like any other (DESIGN "Cut uploads").
                if what != "no last page":
                    check(not (srv.home(USER) / bad).exists(),
                          f"{what}: file left")
            for setup, cmd, text in (
                    ("TYPE A", "RETR s.bin", "TYPE I"),
                    ("REST 10", "STOR r.bin", "REST"),
                    (None, "APPE s.bin", "APPE")):
                f.voidcmd("TYPE I")
                f.voidcmd("MODE S")
                if setup:
                    f.sendcmd(setup)
                try:
                    f.sendcmd(cmd)
                    check(False, f"{setup} {cmd} accepted")
                except ftplib.error_perm as e:
                    check(str(e).startswith("504") and text in str(e) and
                          "supported" in str(e), f"{setup} {cmd}: {e}")
            f.voidcmd("TYPE I")
            f.voidcmd("MODE S")
            try:
                f.sendcmd("RETR big.bin")
                check(False, "a file past 256 pages was sent")
            except ftplib.error_perm as e:
                check(str(e).startswith("550") and "65280" in str(e),
                      f"too large: {e}")
        finally:
            f.quit()


def _mode_b(stream):
    """The byte stream as MODE B blocks (RFC 959 3.4.2), then EOF."""
    out = b""
    for o in range(0, len(stream), 1000):
        part = stream[o:o + 1000]
        out += bytes([0]) + struct.pack(">H", len(part)) + part
    return out + bytes([0x40, 0, 0])


def _unmode_b(wire):
    out, pos = b"", 0
    while True:
        check(pos + 3 <= len(wire), "MODE B: truncated block header")
        desc, n = wire[pos], struct.unpack(">H", wire[pos + 1:pos + 3])[0]
        out += wire[pos + 3:pos + 3 + n]
        pos += 3 + n
        if desc & 0x40:
            check(pos == len(wire), "MODE B: bytes after EOF")
            return out


def test_stru_p_in_mode_b_c_and_z():
    """Pages carried by MODE B blocks, MODE C and MODE Z (deflate): RETR's
    page stream inside the mode, and a shuffled page upload."""
    import random
    import zlib
    with Server(users={USER: PASS}, conf={"mode_z": "yes"}) as srv:
        data = os.urandom(PAGE_DATA * 30 + 9)
        (srv.home(USER) / "m.bin").write_bytes(data)
        srv.give(USER)
        f = _stru_p_ftp(srv)
        try:
            from test_modes import decode as m_decode, encode as m_encode
            for mode, unwrap, wrap in (
                    ("B", _unmode_b, _mode_b),
                    ("Z", zlib.decompress, zlib.compress),
                    # MODE C by test_modes' own codec (RFC 959 3.4.3).
                    ("C", lambda w: m_decode(w, "I", "N", "F", "C")[0],
                     lambda b: m_encode(b, "I", "N", "F", "C"))):
                f.voidcmd(f"MODE {mode}")
                chunks = []
                f.retrbinary("RETR m.bin", chunks.append)
                pages = decode_pages(unwrap(b"".join(chunks)))
                check(b"".join(d for _, _, d in pages[:-1]) == data,
                      f"MODE {mode} RETR")
                pl = pages_of(data)
                random.Random(mode).shuffle(pl)
                wire = b"".join(encode_page(i, c) for i, c in pl) + \
                    last_page()
                check(_send_raw(f, f"STOR {mode}.bin",
                                wrap(wire)).startswith("226"),
                      f"MODE {mode} STOR")
                got = (srv.home(USER) / f"{mode}.bin").read_bytes()
                check(got == data, f"MODE {mode} STOR differs")
        finally:
            f.quit()
