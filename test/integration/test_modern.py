"""test_modern.py - the "modern FTP" extensions with real clients.

FEAT/OPTS (RFC 2389), EPSV/EPRT and IPv6 (RFC 2428), MLST/MLSD, SIZE,
MDTM, REST STREAM, TVFS (RFC 3659), UTF-8 names (RFC 2640), HOST
(RFC 7151), MFMT, HASH/RANG, AVBL, LANG and CLNT.  FileZilla's command
sequence is replayed on a raw control connection; curl and lftp run as
themselves; files are compared by hash.  Every network wait has a timeout
and every test is bounded by run.py.
"""

import calendar
import ftplib
import hashlib
import os
import re
import shutil
import socket
import struct
import tempfile
import time
import zlib
from pathlib import Path

import harness
from harness import (HOST, SLOW, RawControl, Server, Skip, TestFailure,
                     check, make_file, require_tool, retr_bytes, run,
                     sha256_file, stor_bytes, tree_hashes)

USER, PASS = "dora", "Dora-pw-4711"
V6 = "::1"
CURL = ["curl", "-sS", "--max-time", "60", "--connect-timeout", "10"]


def _tmpdir():
    return tempfile.TemporaryDirectory(prefix="ftpd-modern-")


# ---------------------------------------------------------------- servers

def _v6_listening(port):
    want = "00000000000000000000000001000000:%04X" % port
    with open("/proc/net/tcp6") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and parts[1] == want:
                return True
    return False


def _free_v6_port():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        raise Skip("no IPv6 sockets")
    try:
        s.bind((V6, 0))
        return s.getsockname()[1]
    except OSError:
        raise Skip("::1 not available")
    finally:
        s.close()


class DualServer(Server):
    """A Server that listens on 127.0.0.1:port and [::1]:port6."""

    def start(self):
        port6 = _free_v6_port()
        real = harness.FTPD

        # Server.start puts "-o listen=127.0.0.1:P" last on the command
        # line; wrap the binary so that the listen override names both.
        wrapper = self.tmp / "ftpd-dual"
        wrapper.write_text(
            "#!/bin/sh\n"
            "for a; do shift; case $a in\n"
            "listen=*) set -- \"$@\" \"$a, [::1]:" + str(port6) + "\";;\n"
            "*) set -- \"$@\" \"$a\";;\n"
            "esac; done\n"
            f"exec '{real}' \"$@\"\n")
        os.chmod(wrapper, 0o755)
        self.port6 = port6
        harness.FTPD = wrapper
        try:
            super().start()
        finally:
            harness.FTPD = real
        deadline = time.monotonic() + 10 * SLOW
        while not _v6_listening(port6):
            if time.monotonic() > deadline:
                raise TestFailure("ftpd not listening on [::1]:"
                                  f"{port6}:\n" + self.log_tail())
            time.sleep(0.02)
        return self

    def raw6(self, timeout=30):
        c = RawControl(V6, self.port6, timeout * SLOW)
        code, text = c.reply()
        check(code == 220, f"v6 greeting: {code} {text!r}")
        return c


class VhostServer(Server):
    """A Server whose configuration ends with [host NAME] sections."""

    def __init__(self, sections, **kw):
        super().__init__(**kw)
        self.sections = sections

    def _write_files(self):
        super()._write_files()
        with open(self.conf_path, "a") as f:
            for name, keys in self.sections.items():
                f.write(f"\n[host {name}]\n")
                for k, v in keys.items():
                    f.write(f"{k} = {v}\n")


# ---------------------------------------------------------------- helpers

def _login(c, user="anonymous", password="guest@example.org"):
    code, text = c.cmd(f"USER {user}")
    if code == 331:
        code, text = c.cmd(f"PASS {password}")
    check(code == 230, f"login as {user}: {code} {text!r}")


def _epsv_sock(c, host=HOST):
    code, text = c.cmd("EPSV")
    check(code == 229, f"EPSV: {code} {text!r}")
    m = re.search(r"\(\|\|\|(\d{1,5})\|\)", text)
    check(m is not None, f"EPSV reply unparsable: {text!r}")
    return socket.create_connection((host, int(m.group(1))),
                                    timeout=30 * SLOW)


def _read_all(sock, limit=64 << 20):
    chunks, n = [], 0
    while True:
        b = sock.recv(1 << 16)
        if not b:
            break
        chunks.append(b)
        n += len(b)
        check(n <= limit, "data connection sent too much")
    return b"".join(chunks)


def _raw_get(c, cmd, host=HOST):
    """EPSV, then cmd (RETR/LIST/MLSD...); return the data bytes."""
    d = _epsv_sock(c, host)
    try:
        code, text = c.cmd(cmd)
        check(code in (125, 150), f"{cmd}: {code} {text!r}")
        data = _read_all(d)
    finally:
        d.close()
    code, text = c.reply()
    check(code == 226, f"{cmd} end: {code} {text!r}")
    return data


def _raw_put(c, cmd, data, host=HOST):
    d = _epsv_sock(c, host)
    try:
        code, text = c.cmd(cmd)
        check(code in (125, 150), f"{cmd}: {code} {text!r}")
        d.sendall(data)
    finally:
        d.close()
    code, text = c.reply()
    check(code == 226, f"{cmd} end: {code} {text!r}")


def _mlsx_line(line):
    """'type=file;size=3; name' -> ({fact: value}, name)."""
    facts, _, name = line.partition(" ")
    check(facts.endswith(";"), f"MLSx line without facts: {line!r}")
    out = {}
    for f in facts[:-1].split(";"):
        k, eq, v = f.partition("=")
        check(eq == "=", f"bad fact {f!r} in {line!r}")
        out[k.lower()] = v
    return out, name


def _mlsd(data):
    """{name: facts} of raw MLSD bytes."""
    out = {}
    for line in data.decode("utf-8").split("\r\n"):
        if line:
            facts, name = _mlsx_line(line)
            out[name] = facts
    return out


def _mlst(c, path):
    """The facts and name of MLST path (raw control)."""
    code, text = c.cmd(f"MLST {path}" if path else "MLST")
    check(code == 250, f"MLST {path}: {code} {text!r}")
    lines = text.split("\n")
    check(len(lines) == 3 and lines[0].startswith("250-")
          and lines[2].startswith("250 ") and lines[1].startswith(" "),
          f"MLST reply format: {text!r}")
    return _mlsx_line(lines[1][1:])


# ---------------------------------------------------------------- FEAT

FEAT_WANT = ["UTF8", "EPSV", "EPRT", "SIZE", "MDTM", "MFMT", "REST STREAM",
             "TVFS", "HOST", "CLNT", "AVBL", "RANG STREAM"]


def _feat(c):
    code, text = c.cmd("FEAT")
    check(code == 211, f"FEAT: {code} {text!r}")
    lines = text.split("\n")
    check(lines[0].startswith("211-"), f"FEAT first line {lines[0]!r}")
    check(lines[-1].startswith("211 "), f"FEAT last line {lines[-1]!r}")
    feats = lines[1:-1]
    for f in feats:
        check(f.startswith(" ") and not f.startswith("  ") and f.strip(),
              f"FEAT line not ' feature': {f!r}")
    return [f[1:] for f in feats]


def _check_feats(feats, tls):
    for want in FEAT_WANT:
        check(want in feats, f"FEAT lacks {want}: {feats}")
    mlst = [f for f in feats if f.startswith("MLST ")]
    check(len(mlst) == 1, f"FEAT MLST line: {feats}")
    facts = mlst[0][5:].lower().split(";")
    for fact in ("type*", "size*", "modify*", "perm*", "unique*"):
        check(fact in facts, f"MLST line lacks {fact}: {mlst[0]!r}")
    check(any(f.startswith("HASH ") and "SHA-256" in f for f in feats),
          f"FEAT HASH line: {feats}")
    check(any(f.startswith("LANG ") and "EN" in f for f in feats),
          f"FEAT LANG line: {feats}")
    auth = [f for f in feats if f.startswith("AUTH")]
    if tls:
        check("AUTH TLS" in feats and "PBSZ" in feats and "PROT" in feats,
              f"TLS on but FEAT lacks AUTH TLS/PBSZ/PROT: {feats}")
    else:
        check(not auth and "PBSZ" not in feats,
              f"TLS off but FEAT offers {auth}")


def test_filezilla_session():
    """What FileZilla sends on connect and for an upload, in order."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        content = os.urandom(123457)
        (home / "existing.bin").write_bytes(content)
        (home / "sub").mkdir()
        srv.give(USER)
        with srv.raw() as c:
            _check_feats(_feat(c), tls=False)      # before login too
            _login(c, USER, PASS)
            _check_feats(_feat(c), tls=False)
            code, text = c.cmd("OPTS UTF8 ON")
            check(code == 200, f"OPTS UTF8 ON: {code} {text!r}")
            code, text = c.cmd("PWD")
            check(code == 257 and '"/"' in text, f"PWD: {code} {text!r}")
            code, _ = c.cmd("TYPE I")
            check(code == 200, f"TYPE I: {code}")
            listing = _mlsd(_raw_get(c, "MLSD"))
            check(set(listing) >= {"existing.bin", "sub"},
                  f"MLSD names: {sorted(listing)}")
            f = listing["existing.bin"]
            check(f.get("type") == "file", f"type fact: {f}")
            check(f.get("size") == str(len(content)), f"size fact: {f}")
            check(re.fullmatch(r"\d{14}(\.\d+)?", f.get("modify", "")),
                  f"modify fact: {f}")
            check("r" in f.get("perm", ""), f"perm fact: {f}")
            check(f.get("unique"), f"unique fact: {f}")
            check(listing["sub"].get("type") == "dir",
                  f"dir type fact: {listing['sub']}")
            check(listing["sub"].get("unique") != f["unique"],
                  "unique facts collide")
            mtime = int(os.stat(home / "existing.bin").st_mtime)
            check(f["modify"][:14] == time.strftime(
                "%Y%m%d%H%M%S", time.gmtime(mtime)),
                f"modify {f['modify']} vs mtime {mtime}")
            code, text = c.cmd("SIZE existing.bin")
            check(code == 213 and text[4:] == str(len(content)),
                  f"SIZE: {code} {text!r}")
            code, text = c.cmd("MDTM existing.bin")
            check(code == 213 and text[4:] == f["modify"][:14],
                  f"MDTM: {code} {text!r}")
            # Upload: STOR, then set the time as FileZilla does.
            up = os.urandom(70001)
            _raw_put(c, "STOR up.bin", up)
            check((home / "up.bin").read_bytes() == up, "STOR content")
            code, text = c.cmd("MFMT 20200102030405 up.bin")
            check(code == 213 and text == "213 Modify=20200102030405; up.bin",
                  f"MFMT: {code} {text!r}")
            code, text = c.cmd("MDTM up.bin")
            check(code == 213 and text == "213 20200102030405",
                  f"MDTM after MFMT: {code} {text!r}")
            want = calendar.timegm((2020, 1, 2, 3, 4, 5))
            check(int(os.stat(home / "up.bin").st_mtime) == want,
                  "MFMT did not set the file's mtime")
            # MDTM with a time is not a setter here: the whole argument is
            # a name, which does not exist.
            code, text = c.cmd("MDTM 19990101000000 up.bin")
            check(code >= 500, f"MDTM with a time: {code} {text!r}")
            check(int(os.stat(home / "up.bin").st_mtime) == want,
                  "MDTM with a time changed the mtime")
            code, text = c.cmd("QUIT")
            check(code == 221, f"QUIT: {code}")


def test_feat_with_tls():
    with Server(tls="on") as srv, srv.raw() as c:
        _check_feats(_feat(c), tls=True)


# ---------------------------------------------------------------- RFC 2428

def test_epsv_all():
    with Server() as srv:
        (srv.anon_root / "f.txt").write_bytes(b"hello\n")
        with srv.raw() as c:
            _login(c)
            code, text = c.cmd("EPSV ALL")
            check(code == 200, f"EPSV ALL: {code} {text!r}")
            for cmd in ("PASV", "PORT 127,0,0,1,200,10",
                        "EPRT |1|127.0.0.1|51210|"):
                code, text = c.cmd(cmd)
                check(code == 503, f"{cmd} after EPSV ALL: {code} {text!r}")
            code, _ = c.cmd("TYPE I")
            check(_raw_get(c, "RETR f.txt") == b"hello\n",
                  "EPSV after EPSV ALL")


def test_ipv6_control():
    with DualServer(users={USER: PASS}) as srv:
        data = os.urandom(200000)
        (srv.anon_root / "f.bin").write_bytes(data)
        with srv.raw6() as c:
            _login(c)
            code, text = c.cmd("PASV")
            check(500 <= code < 600, f"PASV over IPv6: {code} {text!r}")
            code, text = c.cmd("EPSV 1")
            check(code == 522, f"EPSV 1 over IPv6: {code} {text!r}")
            code, _ = c.cmd("TYPE I")
            check(_raw_get(c, "RETR f.bin", host=V6) == data,
                  "EPSV RETR over IPv6")
            # Active mode over IPv6 with EPRT |2|.
            ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                ls.bind((V6, 0))
                ls.listen(1)
                ls.settimeout(30 * SLOW)
                port = ls.getsockname()[1]
                code, text = c.cmd(f"EPRT |2|::1|{port}|")
                check(code == 200, f"EPRT |2|: {code} {text!r}")
                c.send("RETR f.bin\r\n")
                d, peer = ls.accept()
                check(peer[0] == V6, f"data connection from {peer}")
                code, text = c.reply()
                check(code in (125, 150), f"RETR: {code} {text!r}")
                with d:
                    d.settimeout(30 * SLOW)
                    got = _read_all(d)
                code, text = c.reply()
                check(code == 226, f"RETR end: {code} {text!r}")
                check(got == data, "EPRT RETR over IPv6 differs")
            finally:
                ls.close()
        # The IPv4 listener of the same server still works.
        with srv.raw() as c:
            _login(c)
            code, text = c.cmd("PASV")
            check(code == 227, f"PASV over IPv4: {code} {text!r}")


def test_curl_ipv6():
    require_tool("curl")
    with DualServer(users={USER: PASS}) as srv, _tmpdir() as d:
        digest = make_file(srv.anon_root / "big.bin", 3 * 1024 * 1024 + 5)
        base = f"ftp://[::1]:{srv.port6}"
        out = Path(d) / "out"
        run(CURL + ["-g", f"{base}/big.bin", "-o", out])
        check(sha256_file(out) == digest, "curl EPSV over IPv6 differs")
        out.unlink()
        run(CURL + ["-g", "--ftp-port", V6, f"{base}/big.bin", "-o", out])
        check(sha256_file(out) == digest, "curl EPRT over IPv6 differs")
        src = Path(d) / "src"
        up = make_file(src, 1024 * 1024 + 99)
        run(CURL + ["-g", "-T", src,
                    f"ftp://{USER}:{PASS}@[::1]:{srv.port6}/up.bin"])
        check(sha256_file(srv.home(USER) / "up.bin") == up,
              "curl upload over IPv6 differs")
        run(CURL + ["-g", "--ftp-port", V6, "-T", src,
                    f"ftp://{USER}:{PASS}@[::1]:{srv.port6}/up2.bin"])
        check(sha256_file(srv.home(USER) / "up2.bin") == up,
              "curl active upload over IPv6 differs")
        log = srv.log()
        check("EPRT |2|::1|" in log, "no EPRT |2| in the server log")


# ---------------------------------------------------------------- lftp

def _make_tree(root):
    root = Path(root)
    n = 0
    for sub in ["", "a", "a/b", "a/b c", "ünï/cödé"]:
        for k in range(5):
            size = (1 << 20) + n if n % 7 == 0 else (n * 7919) % 30000
            make_file(root / sub / f"f{n:02d} ✓.bin", size, seed=n)
            n += 1
    return tree_hashes(root)


def test_lftp_mirror_mlsd_on_off():
    require_tool("lftp")
    with Server(users={USER: PASS}) as srv, _tmpdir() as d:
        want = _make_tree(srv.home(USER) / "tree")
        srv.give(USER)
        for mlsd in ("true", "false"):
            local = Path(d) / f"down-{mlsd}"
            before = len(srv.log())
            pre = ("set ftp:ssl-allow no; set net:max-retries 2; "
                   "set net:timeout 20; set cmd:fail-exit yes; "
                   f"set ftp:use-mlsd {mlsd}; ")
            run(["lftp", "-u", f"{USER},{PASS}", "-p", str(srv.port),
                 "-e", pre + f"mirror /tree {local}; quit", HOST],
                timeout=180, cwd=d)
            got = tree_hashes(local)
            check(got == want, f"mirror (use-mlsd {mlsd}) differs: "
                  f"missing {sorted(set(want) - set(got))[:5]}, extra "
                  f"{sorted(set(got) - set(want))[:5]}")
            used = "command: MLSD" in srv.log()[before:]
            check(used == (mlsd == "true"),
                  f"use-mlsd {mlsd} but MLSD used: {used}")


# ---------------------------------------------------------------- RFC 2640

NAMES = ["naïve café ✓.txt", "name with spaces.txt", '-dash "quoted".txt',
         "日本語.bin"]


def test_utf8_names():
    with Server(users={USER: PASS}) as srv:
        f = ftplib.FTP(encoding="utf-8", timeout=30 * SLOW)
        try:
            f.connect(HOST, srv.port)
            f.login(USER, PASS)
            check(f.sendcmd("OPTS UTF8 ON").startswith("200"), "OPTS UTF8")
            contents = {}
            for i, name in enumerate(NAMES):
                contents[name] = os.urandom(1000 + i)
                resp = stor_bytes(f, name, contents[name])
                check(resp.startswith("226"), f"STOR {name!r}: {resp!r}")
            on_disk = set(os.listdir(os.fsencode(srv.home(USER))))
            for name in NAMES:
                check(name.encode() in on_disk,
                      f"{name!r} not on disk as UTF-8: {on_disk}")
            check(set(f.nlst()) >= set(NAMES), f"NLST: {f.nlst()}")
            raw = []
            f.retrbinary("MLSD", raw.append)
            listing = _mlsd(b"".join(raw))
            for name in NAMES:
                check(name in listing, f"MLSD lacks {name!r}: "
                      f"{sorted(listing)}")
                check(listing[name].get("size") == str(len(contents[name])),
                      f"MLSD size of {name!r}")
                check(retr_bytes(f, name) == contents[name],
                      f"RETR {name!r} differs")
                check(f.sendcmd(f"SIZE {name}") ==
                      f"213 {len(contents[name])}", f"SIZE {name!r}")
            lines = []
            f.retrlines("LIST", lines.append)
            for name in NAMES:
                check(any(line.endswith(" " + name) for line in lines),
                      f"LIST lacks {name!r}: {lines}")
            resp = f.sendcmd('MKD dir "q" ✓')
            check(resp == '257 "/dir ""q"" ✓" created.' or
                  (resp.startswith('257 "/dir ""q"" ✓"')),
                  f"MKD reply does not double quotes: {resp!r}")
            check((srv.home(USER) / 'dir "q" ✓').is_dir(), "MKD dir")
            f.cwd('dir "q" ✓')
            resp = f.sendcmd("PWD")
            check(resp.startswith('257 "/dir ""q"" ✓"'), f"PWD {resp!r}")
            resp = f.sendcmd("MLST")
            check('/dir "q" ✓' in resp, f"MLST of cwd: {resp!r}")
            f.quit()
        finally:
            f.close()


# ---------------------------------------------------------------- RFC 3659

def test_mlst_and_opts_mlst():
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        (home / "f.txt").write_bytes(b"x" * 4321)
        (home / "d").mkdir()
        (home / "d" / "inner").write_bytes(b"y")
        srv.give(USER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            facts, name = _mlst(c, "f.txt")
            check(name == "/f.txt", f"MLST file name {name!r}")
            check(facts.get("type") == "file" and facts.get("size") == "4321",
                  f"MLST file facts {facts}")
            for k in ("modify", "perm", "unique"):
                check(k in facts, f"MLST file lacks {k}: {facts}")
            facts, name = _mlst(c, "d")
            check(name == "/d" and facts.get("type") == "dir",
                  f"MLST dir: {facts} {name!r}")
            check("size" not in facts or facts["size"].isdigit(),
                  f"MLST dir size {facts}")
            facts, name = _mlst(c, None)
            check(facts.get("type") == "cdir", f"MLST of cwd: {facts}")
            code, text = c.cmd("MLST nothere")
            check(code == 550, f"MLST missing: {code} {text!r}")
            code, text = c.cmd("OPTS MLST type;size;")
            check(code == 200 and text.lower().endswith("type;size;"),
                  f"OPTS MLST: {code} {text!r}")
            listing = _mlsd(_raw_get(c, "MLSD"))
            check(set(listing) >= {"f.txt", "d"}, f"MLSD {listing}")
            for n, fc in listing.items():
                check(set(fc) <= {"type", "size"},
                      f"MLSD shows unrequested facts for {n!r}: {fc}")
            check(listing["f.txt"] == {"type": "file", "size": "4321"},
                  f"MLSD f.txt facts {listing['f.txt']}")
            check(listing["d"].get("type") == "dir", "MLSD d type")
            facts, _ = _mlst(c, "f.txt")
            check(set(facts) == {"type", "size"}, f"MLST after OPTS {facts}")
            feats = _feat(c)
            mlst = [f for f in feats if f.startswith("MLST ")][0].lower()
            check("type*;" in mlst and "size*;" in mlst and
                  "modify;" in mlst and "modify*" not in mlst,
                  f"FEAT after OPTS MLST: {mlst!r}")
            code, text = c.cmd("OPTS MLST bogus;Type;")
            check(code == 200, f"OPTS MLST unknown fact: {code} {text!r}")
            check(set(_mlst(c, "f.txt")[0]) == {"type"},
                  "unknown fact not ignored")
            # MLSD of a file is an error (RFC 3659 7.2.1).
            d = _epsv_sock(c)
            with d:
                code, text = c.cmd("MLSD f.txt")
            check(code == 501, f"MLSD of a file: {code} {text!r}")


def _perm_of(c, path):
    return _mlst(c, path)[0].get("perm", "")


def test_mlsx_perm_anonymous_vs_user():
    with Server(users={USER: PASS}) as srv:
        (srv.anon_root / "pub.txt").write_bytes(b"pub")
        (srv.anon_root / "pubdir").mkdir()
        home = srv.home(USER)
        (home / "mine.txt").write_bytes(b"mine")
        (home / "mydir").mkdir()
        srv.give(USER)
        with srv.raw() as c:
            _login(c)
            p = _perm_of(c, "pub.txt")
            check("r" in p and not set(p) & set("adfw"),
                  f"anonymous file perm {p!r}")
            p = _perm_of(c, "pubdir")
            check("e" in p and "l" in p and not set(p) & set("cdfmp"),
                  f"anonymous dir perm {p!r}")
            listing = _mlsd(_raw_get(c, "MLSD"))
            p = listing["pub.txt"].get("perm", "")
            check(not set(p) & set("adfw"), f"anonymous MLSD perm {p!r}")
        with srv.raw() as c:
            _login(c, USER, PASS)
            p = _perm_of(c, "mine.txt")
            check(set("adfrw") <= set(p), f"user file perm {p!r}")
            p = _perm_of(c, "mydir")
            check(set("cdeflm") <= set(p), f"user dir perm {p!r}")
            listing = _mlsd(_raw_get(c, "MLSD"))
            p = listing["mine.txt"].get("perm", "")
            check(set("adfrw") <= set(p), f"user MLSD file perm {p!r}")


# ---------------------------------------------------------------- HASH etc.

def test_hash_rang_avbl_lang_clnt():
    with Server() as srv:
        path = srv.anon_root / "five.bin"
        make_file(path, 5 * 1024 * 1024, seed=5)
        data = path.read_bytes()
        with srv.raw() as c:
            code, text = c.cmd("CLNT FileZilla 3.66.0")
            check(code == 200, f"CLNT: {code} {text!r}")
            code, text = c.cmd("LANG")
            check(code == 200, f"LANG: {code} {text!r}")
            code, text = c.cmd("LANG EN")
            check(code == 200, f"LANG EN: {code} {text!r}")
            code, text = c.cmd("LANG tlh")
            check(code == 504, f"LANG tlh: {code} {text!r}")
            _login(c)
            code, text = c.cmd("HASH five.bin")
            check(code == 213, f"HASH: {code} {text!r}")
            want = (f"213 SHA-256 0-{len(data) - 1} "
                    f"{hashlib.sha256(data).hexdigest()} five.bin")
            check(text.lower() == want.lower(), f"HASH {text!r} != {want!r}")
            code, text = c.cmd("OPTS HASH MD5")
            check(code == 200 and "MD5" in text, f"OPTS HASH MD5: {text!r}")
            code, text = c.cmd("OPTS HASH")
            check(code == 200 and "MD5" in text, f"OPTS HASH: {text!r}")
            code, text = c.cmd("HASH five.bin")
            check(code == 213 and hashlib.md5(data).hexdigest()
                  in text.lower() and text.startswith("213 MD5 "),
                  f"HASH MD5: {text!r}")
            code, text = c.cmd("OPTS HASH SHA-256")
            check(code == 200, f"OPTS HASH SHA-256: {text!r}")
            code, text = c.cmd("RANG 0 1023")
            check(code == 350, f"RANG: {code} {text!r}")
            code, text = c.cmd("HASH five.bin")
            want = (f"213 SHA-256 0-1023 "
                    f"{hashlib.sha256(data[:1024]).hexdigest()} five.bin")
            check(text.lower() == want.lower(), f"RANG HASH {text!r}")
            # The range applied to one HASH only.
            code, text = c.cmd("HASH five.bin")
            check(hashlib.sha256(data).hexdigest() in text.lower(),
                  f"HASH after ranged HASH: {text!r}")
            code, text = c.cmd("RANG 1000 1999")
            code, text = c.cmd("HASH five.bin")
            check(hashlib.sha256(data[1000:2000]).hexdigest()
                  in text.lower() and "1000-1999" in text,
                  f"RANG 1000 1999 HASH {text!r}")
            code, text = c.cmd("OPTS HASH CRC-99")
            check(code == 501, f"OPTS HASH unknown: {code} {text!r}")
            code, text = c.cmd("HASH nothere")
            check(code == 550, f"HASH missing file: {code} {text!r}")
            code, text = c.cmd("HASH /")
            check(code == 550, f"HASH of a directory: {code} {text!r}")
            code, text = c.cmd("AVBL")
            check(code == 213 and text[4:].isdigit() and int(text[4:]) > 0,
                  f"AVBL: {code} {text!r}")


def test_edge_replies():
    """Error paths and less common forms of the extension commands."""
    with Server(users={USER: PASS}) as srv:
        home = srv.home(USER)
        data = os.urandom(5000)
        (home / "f.bin").write_bytes(data)
        (home / "sp ace ✓.txt").write_bytes(b"z" * 77)
        (home / "d").mkdir()
        srv.give(USER)
        with srv.raw() as c:
            code, text = c.cmd("OPTS UTF8 ON")      # before login
            check(code == 200, f"OPTS UTF8 ON before login: {code}")
            code, text = c.cmd("OPTS BOGUS")
            check(code == 501, f"OPTS BOGUS: {code} {text!r}")
            _login(c, USER, PASS)
            c.cmd("TYPE I")
            # REST STREAM.
            code, text = c.cmd("REST 4000")
            check(code == 350, f"REST: {code} {text!r}")
            check(_raw_get(c, "RETR f.bin") == data[4000:], "REST+RETR")
            # MLST, SIZE, MDTM, HASH on a name with spaces and UTF-8.
            facts, name = _mlst(c, "sp ace ✓.txt")
            check(name == "/sp ace ✓.txt" and facts.get("size") == "77",
                  f"MLST of a spaced name: {facts} {name!r}")
            code, text = c.cmd("SIZE sp ace ✓.txt")
            check(text == "213 77", f"SIZE spaced: {text!r}")
            code, text = c.cmd("HASH sp ace ✓.txt")
            check(code == 213 and text.endswith(
                hashlib.sha256(b"z" * 77).hexdigest() + " sp ace ✓.txt"),
                f"HASH spaced: {text!r}")
            # TVFS: absolute paths and ".." anywhere.
            code, text = c.cmd("SIZE /d/../f.bin")
            check(text == f"213 {len(data)}", f"TVFS SIZE: {text!r}")
            code, text = c.cmd("CWD /d")
            check(code == 250, f"CWD /d: {code}")
            code, text = c.cmd("MDTM /f.bin")
            check(code == 213, f"MDTM absolute from /d: {code} {text!r}")
            code, text = c.cmd("CWD /")
            # SIZE and MFMT errors.
            code, text = c.cmd("SIZE d")
            check(code == 550, f"SIZE of a directory: {code} {text!r}")
            code, text = c.cmd("SIZE nothere")
            check(code == 550, f"SIZE missing: {code} {text!r}")
            code, text = c.cmd("MFMT 20201301000000 f.bin")
            check(code == 501, f"MFMT month 13: {code} {text!r}")
            code, text = c.cmd("MFMT 2020 f.bin")
            check(code == 501, f"MFMT short time: {code} {text!r}")
            code, text = c.cmd("MFMT 20200102030405")
            check(code == 501, f"MFMT without a path: {code} {text!r}")
            code, text = c.cmd("MFMT 20200102030405 nothere")
            check(code == 550, f"MFMT missing file: {code} {text!r}")
            code, text = c.cmd("MFMT 20210203040506.123 f.bin")
            check(code == 213 and "Modify=20210203040506" in text,
                  f"MFMT with fraction: {code} {text!r}")
            code, text = c.cmd("MFMT 20210203040506 d")
            check(code == 213, f"MFMT on a directory: {code} {text!r}")
            check(int(os.stat(home / "d").st_mtime) ==
                  calendar.timegm((2021, 2, 3, 4, 5, 6)), "MFMT dir mtime")
            # RANG: end beyond the file is clamped; bad ranges refused.
            code, text = c.cmd("RANG 4990 99999999")
            check(code == 350, f"RANG long: {code} {text!r}")
            code, text = c.cmd("HASH f.bin")
            check(f"4990-{len(data) - 1} " in text and
                  hashlib.sha256(data[4990:]).hexdigest() in text,
                  f"clamped RANG HASH: {text!r}")
            code, text = c.cmd("RANG 5 4")
            check(code == 501, f"RANG 5 4: {code} {text!r}")
            code, text = c.cmd("RANG x y")
            check(code == 501, f"RANG x y: {code} {text!r}")
            code, text = c.cmd("RANG 6000 7000")
            code, text = c.cmd("HASH f.bin")
            check(code == 501, f"RANG beyond EOF: {code} {text!r}")
            code, text = c.cmd("AVBL d")
            check(code == 213 and int(text[4:]) > 0, f"AVBL d: {text!r}")
            code, text = c.cmd("AVBL f.bin")
            check(code == 550, f"AVBL of a file: {code} {text!r}")
            # EPSV/EPRT argument forms on an IPv4 connection.
            code, text = c.cmd("EPSV 2")
            check(code == 522, f"EPSV 2 over IPv4: {code} {text!r}")
            code, text = c.cmd("EPSV 1")
            check(code == 229, f"EPSV 1: {code} {text!r}")
            code, text = c.cmd("EPRT |3|1.2.3.4|5000|")
            check(code == 522, f"EPRT |3|: {code} {text!r}")
            code, text = c.cmd("EPRT |1|127.0.0.1|99999|")
            check(code == 501, f"EPRT bad port: {code} {text!r}")
            code, text = c.cmd("EPRT |1|10.9.8.7|5000|")
            check(500 <= code < 600, f"EPRT to a third host: {code}")
            # OPTS MLST with no facts: entries are " name" only.
            code, text = c.cmd("OPTS MLST")
            check(code == 200, f"OPTS MLST (none): {code} {text!r}")
            code, text = c.cmd("MLST f.bin")
            check(code == 250 and "\n  /f.bin\n" in text,
                  f"MLST without facts: {text!r}")


def test_rang_retr_and_restart_edges():
    """RANG bounds a RETR and is used up by it; REST in TYPE A between a
    CR and its LF resumes with the bare LF; failed commands change
    nothing (REST+STOR of a missing file, a refused RNTO)."""
    with Server(users={USER: PASS}, conf={"mode_z": "yes"}) as srv:
        home = srv.home(USER)
        data = os.urandom(70000)
        (home / "r.bin").write_bytes(data)
        (home / "t.txt").write_bytes(b"ab\ncd\n")
        (home / "old").write_bytes(b"x")
        srv.give(USER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            c.cmd("TYPE I")
            code, text = c.cmd("RANG 1000 1999")
            check(code == 350, f"RANG: {code} {text!r}")
            got = _raw_get(c, "RETR r.bin")
            check(got == data[1000:2000], f"RANG RETR: {len(got)} bytes")
            # Used up: the next RETR and HASH see the whole file.
            check(_raw_get(c, "RETR r.bin") == data, "RETR after RANG RETR")
            code, text = c.cmd("HASH r.bin")
            check(f"0-{len(data) - 1} " in text, f"HASH after: {text!r}")
            # An end past the file is its last byte.
            c.cmd("RANG 69990 99999999")
            check(_raw_get(c, "RETR r.bin") == data[69990:], "clamped RANG")
            code, text = c.cmd("RANG 70000 70001")
            code, text = c.cmd("RETR r.bin")
            check(code == 554, f"RANG beyond EOF: {code} {text!r}")
            # A listing uses the range up too.
            c.cmd("RANG 0 9")
            _raw_get(c, "NLST")
            check(_raw_get(c, "RETR r.bin") == data, "RANG after NLST")
            # The later of REST and RANG counts.
            c.cmd("RANG 0 9")
            c.cmd("REST 69000")
            check(_raw_get(c, "RETR r.bin") == data[69000:], "REST after RANG")
            c.cmd("REST 5")
            c.cmd("RANG 0 9")
            check(_raw_get(c, "RETR r.bin") == data[:10], "RANG after REST")
            # Only binary stream downloads take a range.
            c.cmd("TYPE A")
            c.cmd("RANG 0 9")
            code, text = c.cmd("RETR r.bin")
            check(code == 504, f"RANG in TYPE A: {code} {text!r}")
            c.cmd("TYPE I")
            c.cmd("RANG 0 9")
            code, text = c.cmd("STOR new.bin")
            check(code == 504, f"RANG STOR: {code} {text!r}")
            check(not (home / "new.bin").exists(), "RANG STOR made a file")
            check(_raw_get(c, "RETR r.bin") == data, "range kept after 504")
            # TYPE A: wire form "ab\r\ncd\r\n"; offset 3 is after the CR.
            c.cmd("TYPE A")
            for off, want in ((3, b"\ncd\r\n"), (2, b"\r\ncd\r\n"),
                              (4, b"cd\r\n")):
                c.cmd(f"REST {off}")
                got = _raw_get(c, "RETR t.txt")
                check(got == want, f"TYPE A REST {off}: {got!r}")
            c.cmd("MODE Z")
            c.cmd("REST 3")
            got = zlib.decompress(_raw_get(c, "RETR t.txt"))
            check(got == b"\ncd\r\n", f"MODE Z REST 3: {got!r}")
            c.cmd("MODE S")
            c.cmd("TYPE I")
            # REST + STOR of a missing file: refused, nothing created.
            c.cmd("REST 100")
            code, text = c.cmd("STOR missing.bin")
            check(code == 550, f"REST STOR missing: {code} {text!r}")
            check(not (home / "missing.bin").exists(),
                  "REST STOR left a file behind")
            # RNTO only right after RNFR, even after a refused RNTO.
            code, text = c.cmd("RNFR old")
            check(code == 350, f"RNFR: {code} {text!r}")
            code, text = c.cmd("RNTO")
            check(code == 501, f"RNTO without a name: {code} {text!r}")
            c.cmd("NOOP")
            code, text = c.cmd("RNTO new")
            check(code == 503, f"late RNTO: {code} {text!r}")
            check((home / "old").exists() and not (home / "new").exists(),
                  "late RNTO renamed")
            # MODE with a space for its letter; ALLO's syntax.
            code, text = c.cmd("MODE  ")
            check(code == 501, f"MODE space: {code} {text!r}")
            check("MODE: Stream" in c.cmd("STAT")[1], "MODE after 501")
            for arg, want in (("", 501), ("x", 501), ("10 R", 501),
                              ("10 X 5", 501), ("10", 202),
                              ("10 R 5", 202)):
                code, text = c.cmd(f"ALLO {arg}".rstrip())
                check(code == want, f"ALLO {arg!r}: {code} {text!r}")


# ---------------------------------------------------------------- RFC 7151

def test_host_command():
    tmp = Path(tempfile.mkdtemp(prefix="ftpd-vhost-"))
    try:
        os.chmod(tmp, 0o755)
        vroot = tmp / "files-root"
        vroot.mkdir()
        os.chmod(vroot, 0o755)
        (vroot / "vhost-only.txt").write_bytes(b"served by files.example\n")
        vusers = tmp / "vusers"
        vhome = tmp / "vic-home"
        vhome.mkdir()
        (vhome / "vic.txt").write_bytes(b"vic")
        sections = {"files.example": {
            "banner": "Welcome to files.example",
            "anon_root": str(vroot)},
            "closed.example": {"anonymous": "no",
                               "banner": "closed host"},
            "users.example": {"users_file": str(vusers)}}
        with VhostServer(sections, users={USER: PASS}) as srv:
            vusers.write_text(f"vic:{harness.crypt_hash('Vic-pw-1')}:"
                              f"{srv.vuid}:{srv.vgid}:vhost user:{vhome}:"
                              "/bin/bash\n")
            os.chmod(vusers, 0o600)
            harness.chown_tree(vhome, srv.vuid, srv.vgid)
            with srv.raw() as c:
                code, text = c.cmd("HOST closed.example")
                check(code == 220 and "closed host" in text,
                      f"HOST closed.example: {code} {text!r}")
                code, text = c.cmd("USER anonymous")
                if code == 331:
                    code, text = c.cmd("PASS guest@example.org")
                check(code == 530, f"anonymous on closed.example: {code}")
            with srv.raw() as c:
                code, text = c.cmd("HOST users.example")
                check(code == 220, f"HOST users.example: {code} {text!r}")
                _login(c, "vic", "Vic-pw-1")
                names = _raw_get(c, "NLST").decode().split()
                check(names == ["vic.txt"], f"vic's home: {names}")
            with srv.raw() as c:
                code, text = c.cmd("USER vic")
                if code == 331:
                    code, text = c.cmd("PASS Vic-pw-1")
                check(code == 530, f"vic without HOST: {code} {text!r}")
            with srv.raw() as c:
                code, text = c.cmd("HOST users.example")
                code, text = c.cmd(f"USER {USER}")
                if code == 331:
                    code, text = c.cmd(f"PASS {PASS}")
                check(code == 530, f"{USER} on users.example: {code}")
            (srv.anon_root / "default-only.txt").write_bytes(b"default\n")
            with srv.raw() as c:
                code, text = c.cmd("HOST files.example")
                check(code == 220 and "Welcome to files.example" in text,
                      f"HOST files.example: {code} {text!r}")
                _login(c)
                names = _raw_get(c, "NLST").decode().split()
                check("vhost-only.txt" in names and
                      "default-only.txt" not in names,
                      f"vhost anonymous root shows {names}")
                code, _ = c.cmd("TYPE I")
                check(_raw_get(c, "RETR vhost-only.txt") ==
                      b"served by files.example\n", "vhost RETR")
            with srv.raw() as c:
                _login(c)
                names = _raw_get(c, "NLST").decode().split()
                check("default-only.txt" in names, f"default root {names}")
            with srv.raw() as c:
                code, text = c.cmd("HOST FILES.EXAMPLE")
                check(code == 220, f"HOST is case-insensitive: {code}")
            with srv.raw() as c:
                code, text = c.cmd("HOST unknown.example")
                check(code == 504, f"HOST unknown: {code} {text!r}")
            with srv.raw() as c:
                code, _ = c.cmd("USER anonymous")
                check(code == 331, f"USER: {code}")
                code, text = c.cmd("HOST files.example")
                check(code == 503, f"HOST after USER: {code} {text!r}")
            with srv.raw() as c:
                _login(c)
                code, text = c.cmd("HOST files.example")
                check(code == 503, f"HOST after login: {code} {text!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- big dirs

BIG_N = 100000


def test_large_directory_listings():
    with Server() as srv:
        big = srv.anon_root / "big"
        big.mkdir()
        t0 = time.monotonic()
        dfd = os.open(big, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for i in range(BIG_N):
                os.close(os.open(f"entry-{i:06d}.dat",
                                 os.O_WRONLY | os.O_CREAT, 0o644,
                                 dir_fd=dfd))
        finally:
            os.close(dfd)
        made = time.monotonic() - t0
        print(f"created {BIG_N} files in {made:.1f}s")
        limit = 60 * SLOW
        f = srv.ftp(timeout=120)
        try:
            f.cwd("big")
            for cmd in ("LIST", "NLST", "MLSD"):
                t0 = time.monotonic()
                lines = []
                f.retrlines(cmd, lines.append)
                dt = time.monotonic() - t0
                print(f"{cmd}: {len(lines)} lines in {dt:.1f}s")
                check(dt < limit, f"{cmd} took {dt:.1f}s")
                if cmd == "MLSD":
                    files = [l for l in lines if "type=file;" in l]
                    check(len(files) == BIG_N,
                          f"MLSD listed {len(files)} files")
                    check(len(lines) == BIG_N + 2, f"MLSD {len(lines)} "
                          "lines (files, cdir and pdir)")
                    names = {l.split(" ", 1)[1] for l in files}
                else:
                    check(len(lines) == BIG_N, f"{cmd}: {len(lines)} lines")
                    names = {l.rsplit(" ", 1)[-1] for l in lines}
                check(len(names) == BIG_N and "entry-099999.dat" in names
                      and "entry-000000.dat" in names,
                      f"{cmd}: {len(names)} distinct names")
            # STAT of the directory goes on the control connection, capped.
            t0 = time.monotonic()
            resp = f.sendcmd("STAT .")
            lines = resp.split("\n")
            check(resp.startswith("213-") and lines[-1].startswith("213 "),
                  f"STAT of a big directory: {lines[:2]} {lines[-2:]}")
            check(10000 <= len(lines) <= 10010, f"STAT gave {len(lines)} "
                  "lines (cap is 10000)")
            check(time.monotonic() - t0 < limit, "STAT too slow")
            f.quit()
        finally:
            f.close()


def test_trailing_slash_names_a_directory():
    """"name/" names a directory, as in POSIX: for a file it is 550 Not a
    directory (no SIZE of a file, no RETR, no STOR over it), while
    directories work with or without the slash."""
    with Server(anonymous=False, users={USER: PASS}) as srv:
        home = srv.home(USER)
        (home / "f.txt").write_bytes(b"data\n")
        (home / "d").mkdir()
        (home / "d" / "in.txt").write_bytes(b"in\n")
        srv.give(USER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            for cmd in ("SIZE f.txt/", "MDTM f.txt/", "CWD f.txt",
                        "CWD f.txt/", "DELE f.txt/", "RNFR f.txt/"):
                code, text = c.cmd(cmd)
                check(code == 550 and "Not a directory" in text,
                      f"{cmd}: {code} {text!r}")
            c.cmd("TYPE I")
            d = _epsv_sock(c)
            code, text = c.cmd("RETR f.txt/")
            d.close()
            check(code == 550, f"RETR f.txt/: {code} {text!r}")
            for name in ("f.txt/", "new.txt/"):
                d = _epsv_sock(c)
                code, text = c.cmd(f"STOR {name}")
                d.close()
                check(code == 550, f"STOR {name}: {code} {text!r}")
            check(not (home / "new.txt").exists(), "STOR new.txt/ made it")
            check((home / "f.txt").read_bytes() == b"data\n", "f.txt changed")
            listing = _raw_get(c, "NLST d/")
            check(b"in.txt" in listing, f"NLST d/: {listing!r}")
            check(c.cmd("MKD new/")[0] == 257, "MKD new/")
            check(c.cmd("CWD new/")[0] == 250, "CWD new/")
            check(c.cmd("CWD /d/")[0] == 250, "CWD /d/")
            check(c.cmd("SIZE in.txt")[0] == 213, "SIZE in d")


def test_listing_names_with_line_breaks():
    """A name holding CR or LF is one listing line (shown with '?'), not
    two entries that do not exist."""
    with Server(anonymous=False, users={USER: PASS}) as srv:
        d = srv.home(USER) / "odd"
        d.mkdir()
        for name in ("new\nline", "cr\rname", "plain"):
            (d / name).write_bytes(b"x")
        srv.give(USER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            for cmd, extra in (("NLST odd", 0), ("LIST odd", 0),
                               ("MLSD odd", 2)):
                lines = _raw_get(c, cmd).decode().split("\r\n")[:-1]
                lines = [l for l in lines if not l.startswith("total")]
                check(len(lines) == 3 + extra, f"{cmd}: {lines!r}")
                text = "\n".join(lines)
                check("new?line" in text and "cr?name" in text and
                      "plain" in text, f"{cmd}: {lines!r}")


def test_list_d_names_the_directory_itself():
    """LIST -d DIR (ls -d) shows DIR's own line, not its contents, as
    clients that probe a directory with it expect."""
    with Server(anonymous=False, users={USER: PASS}) as srv:
        d = srv.home(USER) / "box"
        d.mkdir()
        for name in ("one", "two"):
            (d / name).write_bytes(b"x")
        srv.give(USER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            lines = _raw_get(c, "LIST -d box").decode().split("\r\n")[:-1]
            check(len(lines) == 1 and lines[0].startswith("d") and
                  lines[0].endswith(" box"), f"LIST -d box: {lines!r}")
            lines = _raw_get(c, "LIST -ld").decode().split("\r\n")[:-1]
            check(len(lines) == 1 and lines[0].endswith(" ."),
                  f"LIST -ld: {lines!r}")
            lines = _raw_get(c, "NLST -d box").decode().split("\r\n")[:-1]
            check(lines == ["box"], f"NLST -d box: {lines!r}")
            lines = _raw_get(c, "LIST -d box/one").decode().split("\r\n")
            check(len(lines) == 2 and lines[0].endswith(" box/one"),
                  f"LIST -d of a file: {lines!r}")
            lines = _raw_get(c, "LIST box").decode().split("\r\n")[:-1]
            lines = [l for l in lines if not l.startswith("total")]
            check(len(lines) == 2, f"LIST box still lists it: {lines!r}")
            # A link to a directory is shown as the link, as ls -ld does.
            os.symlink("box", srv.home(USER) / "lnk")
            lines = _raw_get(c, "LIST -d lnk").decode().split("\r\n")[:-1]
            check(len(lines) == 1 and lines[0].startswith("l") and
                  lines[0].endswith(" lnk -> box"), f"LIST -d lnk: {lines!r}")
            lines = _raw_get(c, "LIST -d /").decode().split("\r\n")[:-1]
            check(len(lines) == 1 and lines[0].startswith("d") and
                  lines[0].endswith(" /"), f"LIST -d /: {lines!r}")
        # Search permission on the parent is enough, as for ls -d.
        (srv.home(USER) / "box").chmod(0o311)
        try:
            with srv.raw() as c:
                _login(c, USER, PASS)
                lines = _raw_get(c, "LIST -d box").decode().split(
                    "\r\n")[:-1]
                check(len(lines) == 1 and lines[0].startswith("d-wx"),
                      f"LIST -d of an unreadable directory: {lines!r}")
        finally:
            (srv.home(USER) / "box").chmod(0o755)


def _raw_reply_bytes(c):
    """The next reply line as bytes (RawControl decodes them)."""
    while b"\r\n" not in c.rbuf:
        chunk = c.sock.recv(65536)
        check(chunk != b"", "connection closed")
        c.rbuf += chunk
    line, c.rbuf = c.rbuf.split(b"\r\n", 1)
    return line


def test_telnet_iac_in_names():
    """The control connection is a Telnet stream: a 0xFF byte in a name
    (Latin-1 y-umlaut) comes in as IAC IAC and goes out as IAC IAC in
    replies, while the data connection carries it as it is."""
    with Server(anonymous=False, users={USER: PASS}) as srv:
        srv.give(USER)
        with srv.raw() as c:
            _login(c, USER, PASS)
            c.send(b"MKD x\xff\xffy\r\n")
            line = _raw_reply_bytes(c)
            check(line.startswith(b"257 ") and b'"/x\xff\xffy"' in line,
                  f"MKD reply: {line!r}")
            check((srv.home(USER) / os.fsdecode(b"x\xffy")).is_dir(),
                  "the directory is not named with one 0xFF")
            names = _raw_get(c, "NLST").split(b"\r\n")
            check(b"x\xffy" in names, f"NLST (data connection): {names!r}")
            c.send(b"STAT x\xff\xffy\r\n")
            line = _raw_reply_bytes(c)
            check(line.startswith(b"213-"), f"STAT: {line!r}")
            c.send(b"CWD x\xff\xffy\r\n")
            while True:
                line = _raw_reply_bytes(c)
                if line.startswith(b"250"):
                    break
                check(not line.startswith((b"5", b"4")), f"CWD: {line!r}")
            c.send(b"PWD\r\n")
            line = _raw_reply_bytes(c)
            check(line == b'257 "/x\xff\xffy" is the current directory.',
                  f"PWD: {line!r}")



def _narrow(sock):
    """A receiver with a tiny window and small segments: the server's
    first write of 64 KiB cannot all be taken, so its next one waits."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)


def _narrow_epsv(c):
    code, text = c.cmd("EPSV")
    check(code == 229, f"EPSV: {code} {text!r}")
    port = int(re.search(r"\(\|\|\|(\d{1,5})\|\)", text).group(1))
    d = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    _narrow(d)
    d.settimeout(30 * SLOW)
    d.connect((HOST, port))
    return d


def _data_segments_in(sock):
    """tcp_info.tcpi_data_segs_in (Linux >= 4.6): segments with data."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    check(len(info) >= 156, f"tcp_info of {len(info)} bytes")
    return struct.unpack_from("I", info, 152)[0]


def test_small_download_150_comes_with_226_never_after_a_wait():
    """A small download's 150 goes out with its 226, in one write (a
    mirror's small files: one wake-up each), but never after the server
    would wait for the client: one that reads the data only once it has
    the 150, as ftplib and curl do, still gets it, passive and active,
    and can abort it."""
    with Server() as srv:
        small = os.urandom(4096)
        (srv.anon_root / "small").write_bytes(small)
        held = os.urandom(64 * 1024)        # DATA_HOLD_MAX
        (srv.anon_root / "held").write_bytes(held)
        with srv.raw() as c:
            _login(c)
            check(c.cmd("TYPE I")[0] == 200, "TYPE I")
            # The 150 and the 226 in one segment (one write).
            n = _data_segments_in(c.sock)
            check(c.cmd("NOOP")[0] == 200, "NOOP")
            check(_data_segments_in(c.sock) == n + 1, "one reply, one "
                  "segment: the count is not what this test thinks")
            d = _epsv_sock(c)
            n = _data_segments_in(c.sock)
            c.send("RETR small\r\n")
            d.settimeout(20 * SLOW)
            check(_read_all(d) == small, "small file differs")
            d.close()
            code, text = c.reply()
            check(code == 150 and "4096 bytes" in text, f"{code} {text!r}")
            code, text = c.reply()
            check(code == 226, f"small end: {code} {text!r}")
            check(_data_segments_in(c.sock) == n + 1,
                  f"150 and 226 came in {_data_segments_in(c.sock) - n} "
                  "segments, not one")
            # Passive, a receiver that cannot take 64 KiB at once and
            # waits for the 150: the server sends it when it would wait.
            for _ in range(2):
                d = _narrow_epsv(c)
                c.send("RETR held\r\n")
                code, text = c.reply()
                check(code == 150, f"no 150 before the data: {code} {text!r}")
                check(_read_all(d) == held, "64 KiB file differs")
                d.close()
                code, text = c.reply()
                check(code == 226, f"end: {code} {text!r}")
            # The same, aborted before reading a byte: 150, 426, 226.
            d = _narrow_epsv(c)
            c.send("RETR held\r\n")
            code, text = c.reply()
            check(code == 150, f"no 150 before ABOR: {code} {text!r}")
            c.send("ABOR\r\n")
            codes = [c.reply()[0], c.reply()[0]]
            d.close()
            check(codes == [426, 226], f"ABOR: {codes}")
            # Active: the client accepts only after the 150.
            lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                _narrow(lst)
                lst.bind((HOST, 0))
                lst.listen(1)
                port = lst.getsockname()[1]
                code, text = c.cmd(f"EPRT |1|{HOST}|{port}|")
                check(code == 200, f"EPRT: {code} {text!r}")
                c.send("RETR held\r\n")
                code, text = c.reply()
                check(code == 150, f"active, no 150: {code} {text!r}")
                lst.settimeout(20 * SLOW)
                d, _ = lst.accept()
                d.settimeout(20 * SLOW)
                data = _read_all(d)
                d.close()
            finally:
                lst.close()
            check(data == held, "active 64 KiB file differs")
            code, text = c.reply()
            check(code == 226, f"active end: {code} {text!r}")
            check(c.cmd("NOOP")[0] == 200, "session after all that")
