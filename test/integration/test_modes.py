"""test_modes.py - RFC 959 types, structures and modes end to end.

Files go up and down in every combination of TYPE A/E/I (form N and C),
STRU F/R and MODE S/B/C/Z.  The wire format is produced and checked by
the small codec below, written from RFC 959 (3.1-3.4), RFC 1950 and
draft-preston-ftpext-deflate alone and sharing no code with the server;
files are compared by SHA-256.  lftp checks MODE Z against a real client;
mode_z = no (the default) hides MODE Z from FEAT and refuses it.

Conventions the server documents and this codec follows:
  * TYPE E is code page 037 with NL (0x15) as the end of line.
  * STRU R: each LF-terminated line of the file is a record; a last line
    without LF is sent as data with no EOR.
  * FORM C: each line starts with an ASA control character (' ', or '1'
    for a line that began with a form feed).
  * MODE C: an EOR/EOF escape ends what came before it; an escape with
    the restart-marker bit makes the next literal string the marker.
"""

import ftplib
import re
import shutil
import tempfile
import zlib
from pathlib import Path

from harness import (Server, check, require_tool, run, sha256_bytes,
                     sha256_file)

USER, PASS = "carol", "Modes-s3cret"
# MODE Z is off unless mode_z = yes (lftp turns it on whenever offered).
ZCONF = {"mode_z": "yes"}
D_EOR, D_EOF, D_SUSPECT, D_MARK = 0x80, 0x40, 0x20, 0x10


# ------------------------------------------------------------ the codec

def _ebcdic_enc(b):
    # cp037 maps LF to 0x25 and NEL to 0x15; RFC 959 wants NL (0x15) to
    # end a line, so the two are swapped (as IBM's UNIX services do).
    e = bytearray(b.decode("latin-1").encode("cp037"))
    return bytes(0x15 if c == 0x25 else 0x25 if c == 0x15 else c for c in e)


def _ebcdic_dec(b):
    s = bytes(0x15 if c == 0x25 else 0x25 if c == 0x15 else c for c in b)
    return s.decode("cp037").encode("latin-1")


def _lines(data):
    """[(line, has_lf)]"""
    parts = data.split(b"\n")
    out = [(p, True) for p in parts[:-1]]
    if parts[-1]:
        out.append((parts[-1], False))
    return out


def _charset(b, typ):
    return _ebcdic_enc(b) if typ == "E" else b


def _uncharset(b, typ):
    if typ == "E":
        return _ebcdic_dec(b)
    if typ == "A":
        return b.replace(b"\r\n", b"\n")
    return b


def _asa(line):
    if line.startswith(b"\f"):
        return b"1" + line[1:]
    return b" " + line


def _unasa(text):
    """ASA carriage control (decoded charset, LF line ends) -> file."""
    out = bytearray()
    lines = text.split(b"\n")
    trailing = text.endswith(b"\n")
    if trailing:
        lines = lines[:-1]
    for i, line in enumerate(lines):
        ctl, body = (line[:1], line[1:]) if line else (b" ", b"")
        if i > 0:
            out += b"\r" if ctl == b"+" else b"\n"
        out += {b"0": b"\n", b"-": b"\n\n", b"1": b"\f"}.get(ctl, b"")
        out += body
    if trailing:
        out += b"\n"
    return bytes(out)


def records_of(data, typ, form):
    """File -> (list of wire records, final fragment or None)."""
    recs, frag = [], None
    for line, lf in _lines(data):
        if form == "C":
            line = _asa(line)
        if lf:
            recs.append(_charset(line, typ))
        else:
            frag = _charset(line, typ)
    return recs, frag


def stream_of(data, typ, form):
    """File -> STRU F wire bytes (before the mode)."""
    eol = {"A": b"\r\n", "E": b"\x15", "I": b"\n"}[typ]
    out = bytearray()
    for line, lf in _lines(data):
        if form == "C":
            line = _asa(line)
        out += _charset(line, typ) + (eol if lf else b"")
    return bytes(out)


def filler(typ):
    return {"A": 0x20, "E": 0x40, "I": 0}[typ]


# Events: ("data", bytes) ("eor",) ("eof",) ("mark", bytes)

def events_of(data, typ, form, stru, mark_every=0):
    if stru == "F":
        w = stream_of(data, typ, form)
        ev = []
        step = mark_every or len(w) or 1
        for i in range(0, len(w), step):
            ev.append(("data", w[i:i + step]))
            if mark_every and i + step < len(w):
                ev.append(("mark", b"m%d" % i))
        return ev + [("eof",)]
    recs, frag = records_of(data, typ, form)
    ev = []
    for r in recs:
        ev += [("data", r), ("eor",)]
    if frag is not None:
        ev.append(("data", frag))
    return ev + [("eof",)]


def enc_stream(ev, stru):
    out = bytearray()
    for e in ev:
        if e[0] == "data":
            out += e[1].replace(b"\xff", b"\xff\xff") if stru == "R" \
                else e[1]
        elif e[0] == "eor":
            out += b"\xff\x01"
        elif e[0] == "eof" and stru == "R":
            out += b"\xff\x02"
    return bytes(out)


def enc_block(ev):
    out = bytearray()

    def blk(desc, b):
        out.extend(bytes([desc, len(b) >> 8, len(b) & 255]) + b)
    for e in ev:
        if e[0] == "data":
            for i in range(0, len(e[1]), 50000):
                blk(0, e[1][i:i + 50000])
        elif e[0] == "mark":
            blk(D_MARK, e[1])
        else:
            blk(D_EOR if e[0] == "eor" else D_EOF, b"")
    return bytes(out)


def _compress(b, fill):
    """Runs of 4 or more as replicated/filler strings, else literals."""
    out, i = bytearray(), 0
    lit = bytearray()

    def flush():
        for j in range(0, len(lit), 100):
            out.append(len(lit[j:j + 100]))
            out.extend(lit[j:j + 100])
        lit.clear()
    while i < len(b):
        j = i
        while j < len(b) and b[j] == b[i]:
            j += 1
        if j - i >= 4:
            flush()
            n = j - i
            while n:
                k = min(n, 63)
                out += bytes([0xC0 | k]) if b[i] == fill else \
                    bytes([0x80 | k, b[i]])
                n -= k
        else:
            lit += b[i:j]
        i = j
    flush()
    return out


def enc_compressed(ev, fill):
    out = bytearray()
    for e in ev:
        if e[0] == "data":
            out += _compress(e[1], fill)
        elif e[0] == "mark":
            out += bytes([0, D_MARK, len(e[1])]) + e[1]
        else:
            out += bytes([0, D_EOR if e[0] == "eor" else D_EOF])
    return bytes(out)


def encode(data, typ, form, stru, mode, mark_every=0):
    ev = events_of(data, typ, form, stru, mark_every)
    if mode == "S":
        return enc_stream(ev, stru)
    if mode == "Z":
        return zlib.compress(enc_stream(ev, stru), 6)
    if mode == "B":
        return enc_block(ev)
    return enc_compressed(ev, filler(typ))


def dec_stream(w, stru):
    if stru == "F":
        return [("data", w), ("eof",)]
    ev, cur, i = [], bytearray(), 0
    while i < len(w):
        if w[i] != 0xFF:
            cur.append(w[i])
            i += 1
            continue
        code = w[i + 1]
        i += 2
        if code == 0xFF:
            cur.append(0xFF)
            continue
        check(code in (1, 2, 3), f"bad stream escape {code}")
        ev.append(("data", bytes(cur)))
        cur = bytearray()
        if code & 1:
            ev.append(("eor",))
        if code & 2:
            ev.append(("eof",))
            check(i == len(w), "data after EOF")
            return ev
    ev.append(("data", bytes(cur)))
    return ev + [("eof",)]


def dec_block(w):
    ev, i = [], 0
    while True:
        check(i + 3 <= len(w), "MODE B: no EOF block")
        desc, n = w[i], w[i + 1] << 8 | w[i + 2]
        body = w[i + 3:i + 3 + n]
        check(len(body) == n, "MODE B: short block")
        i += 3 + n
        if desc & D_MARK:
            ev.append(("mark", body))
        else:
            ev.append(("data", body))
        if desc & D_EOR:
            ev.append(("eor",))
        if desc & D_EOF:
            check(i == len(w), "MODE B: data after EOF")
            return ev + [("eof",)]


def dec_compressed(w, fill):
    ev, i, mark = [], 0, False
    cur = bytearray()
    while True:
        check(i < len(w), "MODE C: no EOF escape")
        h = w[i]
        i += 1
        if h == 0:
            d = w[i]
            i += 1
            ev.append(("data", bytes(cur)))
            cur = bytearray()
            if d & D_MARK:
                mark = True
            if d & D_EOR:
                ev.append(("eor",))
            if d & D_EOF:
                check(i == len(w), "MODE C: data after EOF")
                return ev + [("eof",)]
        elif h < 0x80:
            if mark:
                ev.append(("mark", w[i:i + h]))
                mark = False
            else:
                cur += w[i:i + h]
            i += h
        elif h < 0xC0:
            cur += bytes([w[i]]) * (h & 0x3F)
            i += 1
        else:
            cur += bytes([fill]) * (h & 0x3F)


def decode(w, typ, form, stru, mode):
    """Wire -> (file bytes, [markers])."""
    if mode == "Z":
        ev = dec_stream(zlib.decompress(w), stru)
    elif mode == "S":
        ev = dec_stream(w, stru)
    elif mode == "B":
        ev = dec_block(w)
    else:
        ev = dec_compressed(w, filler(typ))
    marks = [e[1] for e in ev if e[0] == "mark"]
    if stru == "F":
        text = _uncharset(b"".join(e[1] for e in ev if e[0] == "data"), typ)
    else:
        text, cur = bytearray(), bytearray()
        for e in ev:
            if e[0] == "data":
                cur += e[1]
            elif e[0] in ("eor", "eof"):
                text += _uncharset(bytes(cur), typ)
                cur = bytearray()
                if e[0] == "eor":
                    text += b"\n"
        text = bytes(text)
    if form == "C":
        text = _unasa(text)
    return text, marks


# ------------------------------------------------------------ helpers

def sample_text():
    rnd = __import__("random").Random(959)
    lines = []
    for i in range(3000):
        kind = i % 7
        if kind == 0:
            lines.append(b"")
        elif kind == 1:
            lines.append(b"\fpage %d" % i + b" " * rnd.randrange(200))
        elif kind == 2:
            lines.append(b"x" * rnd.randrange(1, 300) + b"\xff\xfe\r")
        else:
            lines.append(bytes(rnd.randrange(32, 256) for _ in range(60)))
    return b"\n".join(lines) + b"\nno newline at the end"


def sample_binary(n=1536 * 1024 + 7):
    rnd = __import__("random").Random(37)
    b = bytearray(rnd.randbytes(n))
    b[1000:5000] = b"\0" * 4000            # a filler run in TYPE I
    b[9000:9128] = b"\xff" * 128           # escape bytes in a run
    return bytes(b)


COMBOS = [(t, f) for t, f in (("A", "N"), ("A", "C"), ("E", "N"),
                              ("E", "C"), ("I", "N"))]


def _setup(ftp, typ, form, stru, mode):
    ftp.sendcmd(f"TYPE {typ}" + ("" if typ == "I" else f" {form}"))
    ftp.sendcmd(f"STRU {stru}")
    ftp.sendcmd(f"MODE {mode}")


def retr_raw(ftp, path, rest=None):
    conn = ftp.transfercmd(f"RETR {path}", rest)
    chunks = []
    while True:
        b = conn.recv(1 << 16)
        if not b:
            break
        chunks.append(b)
    conn.close()
    ftp.voidresp()
    return b"".join(chunks)


def stor_raw(ftp, path, wire):
    """Upload wire bytes; returns the 110 MARK replies seen."""
    conn = ftp.transfercmd(f"STOR {path}")
    conn.sendall(wire)
    conn.close()
    marks = []
    while True:
        resp = ftp.getresp() if not marks else ftp.getline()
        if resp.startswith("110"):
            marks.append(resp)
            continue
        if resp.startswith("226"):
            return marks
        raise ftplib.error_reply(resp)


# ------------------------------------------------------------ tests

def test_modes_feat_and_commands():
    with Server(users={USER: PASS}, conf=ZCONF) as srv:
        ftp = srv.ftp(USER, PASS)
        ftp.putcmd("FEAT")
        lines = ftp.getmultiline()
        check(" MODE Z" in lines.split("\n"), f"FEAT: {lines!r}")
        for ok in ("TYPE A", "TYPE A N", "TYPE A T", "TYPE A C", "TYPE E",
                   "TYPE E C", "TYPE I", "TYPE L 8", "STRU F", "STRU R",
                   "STRU P", "STRU F", "MODE S", "MODE B", "MODE C",
                   "MODE Z", "MODE S"):
            check(ftp.sendcmd(ok).startswith("200"), ok)
        for cmd, code in (("TYPE L 7", "504"),
                          ("TYPE A X", "501"), ("MODE Q", "501"),
                          ("STRU X", "501")):
            try:
                r = ftp.sendcmd(cmd)
            except ftplib.Error as e:
                r = str(e)
            check(r.startswith(code), f"{cmd}: {r}")
        ftp.sendcmd("MODE Z")
        try:
            r = ftp.sendcmd("OPTS MODE Z LEVEL 9")
            check("LEVEL 6" in r, f"level not capped: {r}")
        except ftplib.error_perm as e:
            # The OPTS dispatcher (cmd_misc.c) must call repr_opts_mode.
            check("not understood" in str(e), str(e))
        stat = ftp.sendcmd("STAT")
        check("MODE: Deflate" in stat, stat)
        ftp.quit()


def _roundtrip(srv, ftp, name, data, typ, form, stru, mode):
    what = f"TYPE {typ} {form} STRU {stru} MODE {mode}"
    (srv.home(USER) / name).write_bytes(data)
    srv.give(USER)
    _setup(ftp, typ, form, stru, mode)
    wire = retr_raw(ftp, name)
    got, marks = decode(wire, typ, form, stru, mode)
    check(sha256_bytes(got) == sha256_bytes(data), f"RETR differs: {what}")
    if mode in "BC" and len(data) > (1 << 20):
        check(marks, f"no restart markers: {what}")
        check(all(re.fullmatch(rb"\d+", m) for m in marks), repr(marks))
    up = "up-" + name
    seen = stor_raw(ftp, up, encode(data, typ, form, stru, mode,
                                    mark_every=70000 if mode in "BC" and
                                    stru == "F" else 0))
    check(sha256_file(srv.home(USER) / up) == sha256_bytes(data),
          f"STOR differs: {what}")
    if mode in "BC" and stru == "F" and len(data) > 70000:
        check(seen and all(re.fullmatch(r"110 MARK m\d+ = \d+", s)
                           for s in seen), f"110 replies {seen}")
    return marks


def _all_modes(modes):
    with Server(users={USER: PASS}, conf=ZCONF) as srv:
        ftp = srv.ftp(USER, PASS)
        text, binary = sample_text(), sample_binary()
        for mode in modes:
            for stru in "FR":
                for typ, form in COMBOS:
                    _roundtrip(srv, ftp, f"t{typ}{form}{stru}{mode}", text,
                               typ, form, stru, mode)
                _roundtrip(srv, ftp, f"b{stru}{mode}", binary, "I", "N",
                           stru, mode)
        ftp.quit()


def test_modes_stream():
    _all_modes("S")


def test_modes_block():
    _all_modes("B")


def test_modes_compressed():
    _all_modes("C")


def test_modes_deflate():
    _all_modes("Z")


def test_modes_block_restart():
    """A marker from a MODE B download is a REST point."""
    with Server(users={USER: PASS}, conf=ZCONF) as srv:
        ftp = srv.ftp(USER, PASS)
        data = sample_binary(3 * 1024 * 1024)
        marks = _roundtrip(srv, ftp, "r.bin", data, "I", "N", "F", "B")
        off = int(marks[1])
        wire = retr_raw(ftp, "r.bin", rest=off)
        got, _ = decode(wire, "I", "N", "F", "B")
        check(got == data[off:], "REST at a marker")
        ftp.quit()


def test_modes_listings():
    with Server(users={USER: PASS}, conf=ZCONF) as srv:
        for i in range(50):
            (srv.home(USER) / f"file{i:03d}.txt").write_bytes(b"x" * i)
        srv.give(USER)
        ftp = srv.ftp(USER, PASS)
        ftp.sendcmd("TYPE A")
        plain = []
        ftp.retrlines("NLST", plain.append)
        want = sorted(p for p in plain)
        for typ in "AEI":
            for mode in "SBCZ":
                ftp.sendcmd(f"TYPE {typ}")
                ftp.sendcmd(f"MODE {mode}")
                for cmd in ("NLST", "LIST", "MLSD"):
                    conn = ftp.transfercmd(cmd)
                    w = b""
                    while True:
                        b = conn.recv(65536)
                        if not b:
                            break
                        w += b
                    conn.close()
                    ftp.voidresp()
                    got, _ = decode(w, typ if typ != "I" else "A", "N",
                                    "F", mode)
                    names = got.decode("latin-1").split("\n")
                    if cmd == "NLST":
                        check(sorted(n for n in names if n) == want,
                              f"{cmd} {typ} {mode}: {names[:3]}")
                    else:
                        check(sum("file0" in n for n in names) == 50,
                              f"{cmd} {typ} {mode}")
        ftp.quit()


def test_modes_lftp_mode_z():
    require_tool("lftp")
    with Server(users={USER: PASS}, conf=ZCONF) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-client-") as d:
        data = sample_binary(300000)
        (srv.home(USER) / "z.bin").write_bytes(data)
        (srv.home(USER) / "sub").mkdir()
        srv.give(USER)
        out = Path(d) / "z.bin"
        p = run(["lftp", "-d", "-c",
                 "set ftp:use-mode-z yes; set ftp:ssl-allow no; "
                 f"set net:max-retries 1; open -u {USER},{PASS} "
                 f"-p {srv.port} 127.0.0.1; cls -l; get z.bin -o {out}"],
                timeout=60)
        dbg = p.stdout + p.stderr
        check("---> MODE Z" in dbg, "lftp did not send MODE Z:\n" +
              dbg[-3000:])
        check("sub" in p.stdout, f"listing: {p.stdout!r}")
        check(sha256_file(out) == sha256_bytes(data), "lftp MODE Z get")


def test_modes_mode_z_off():
    """By default MODE Z is not offered: absent from FEAT, MODE Z and OPTS
    MODE Z answer 504 (a mode not implemented here), the mode stays S and
    lftp, left to itself, never sends MODE Z."""
    with Server(users={USER: PASS}) as srv:
        ftp = srv.ftp(USER, PASS)
        ftp.putcmd("FEAT")
        lines = ftp.getmultiline().split("\n")
        check(" MODE Z" not in lines and " SIZE" in lines, f"FEAT: {lines}")
        for cmd in ("MODE Z", "mode z", "OPTS MODE Z LEVEL 1"):
            try:
                r = ftp.sendcmd(cmd)
            except ftplib.Error as e:
                r = str(e)
            check(r.startswith("504"), f"{cmd}: {r}")
        check("MODE: Stream" in ftp.sendcmd("STAT"), "mode changed")
        ftp.quit()
        if not shutil.which("lftp"):
            return
        (srv.home(USER) / "f.txt").write_bytes(sample_text())
        srv.give(USER)
        with tempfile.TemporaryDirectory(prefix="ftpd-client-") as d:
            p = run(["lftp", "-d", "-c",
                     "set ftp:ssl-allow no; set net:max-retries 1; "
                     f"open -u {USER},{PASS} -p {srv.port} 127.0.0.1; "
                     f"get f.txt -o {d}/f.txt"], timeout=60)
            check("MODE Z" not in p.stdout + p.stderr, "lftp sent MODE Z")
            check(sha256_file(Path(d) / "f.txt") ==
                  sha256_bytes(sample_text()), "lftp get differs")


def test_modes_deflate_incompressible():
    """Random data (incompressible: the server sends it as stored deflate
    blocks after a probe) goes down and up byte-exact in MODE Z at every
    level, and down costs no more than the stored-block overhead."""
    rnd = __import__("random").Random(1950)
    data = rnd.randbytes(3 * 1024 * 1024) + sample_text() + \
        rnd.randbytes(300000)
    with Server(users={USER: PASS}, conf=ZCONF) as srv:
        (srv.home(USER) / "r.bin").write_bytes(data)
        srv.give(USER)
        ftp = srv.ftp(USER, PASS)
        _setup(ftp, "I", "N", "F", "Z")
        for level in (1, 6, 0):
            ftp.sendcmd(f"OPTS MODE Z LEVEL {level}")
            wire = retr_raw(ftp, "r.bin")
            check(len(wire) < len(data) + len(data) // 1000 + 4096,
                  f"level {level}: {len(wire)} wire bytes for {len(data)}")
            check(sha256_bytes(zlib.decompress(wire)) == sha256_bytes(data),
                  f"level {level}: RETR differs")
            stor_raw(ftp, f"up{level}.bin", zlib.compress(data, level))
            check(sha256_file(srv.home(USER) / f"up{level}.bin") ==
                  sha256_bytes(data), f"level {level}: STOR differs")
        ftp.quit()


def test_modes_lftp_mirror_mode_z():
    """lftp mirrors a tree of small files down and up with MODE Z (which
    it uses by itself when offered), byte-exact."""
    require_tool("lftp")
    rnd = __import__("random").Random(1951)
    with Server(users={USER: PASS}, conf=ZCONF) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-client-") as d:
        tree = srv.home(USER) / "tree"
        want = {}
        for i in range(40):
            data = rnd.randbytes(rnd.randint(0, 9000)) if i % 2 else \
                sample_text()[:rnd.randint(0, 20000)]
            (tree / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
            (tree / f"d{i % 4}" / f"f{i}").write_bytes(data)
            want[f"d{i % 4}/f{i}"] = sha256_bytes(data)
        srv.give(USER)
        pre = (f"set ftp:ssl-allow no; set net:max-retries 1; "
               "set cmd:fail-exit yes; "
               f"open -u {USER},{PASS} -p {srv.port} 127.0.0.1; ")
        p = run(["lftp", "-d", "-c", pre + f"mirror /tree {d}/down"],
                timeout=120)
        check("---> MODE Z" in p.stdout + p.stderr, "lftp did not use Z")
        run(["lftp", "-c", pre + f"mirror -R {d}/down /back"], timeout=120)
        for name, h in want.items():
            check(sha256_file(Path(d) / "down" / name) == h, f"down {name}")
            check(sha256_file(srv.home(USER) / "back" / name) == h,
                  f"up {name}")


def test_restart_marker_replies_are_bounded():
    """A MODE B upload made of tiny blocks, each followed by a restart
    marker: the file is stored whole, but only the first 1000 markers get
    a 110 reply, so the control connection cannot carry ten times what
    the client sends."""
    with Server(users={USER: PASS}, conf=ZCONF) as srv:
        srv.give(USER)
        data = sample_binary()[:1600 * 40]
        ftp = srv.ftp(USER, PASS)
        _setup(ftp, "I", "N", "F", "B")
        seen = stor_raw(ftp, "marks.bin", encode(data, "I", "N", "F", "B",
                                                 mark_every=40))
        check(sha256_file(srv.home(USER) / "marks.bin") ==
              sha256_bytes(data), "upload with 1600 markers differs")
        check(len(seen) == 1000, f"{len(seen)} 110 replies, want 1000")
        check(ftp.sendcmd("NOOP").startswith("200"), "session after it")
        ftp.quit()
        check("more than 1000 restart markers" in srv.log(),
              "the cut is not logged")
