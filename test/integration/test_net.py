"""test_net.py - IPv6 (EPSV/EPRT over ::1), inetd mode (ftpd -i) and
virtual hosts (RFC 7151 HOST with [host] sections)."""

import ftplib
import os
import socket
import subprocess
import tempfile
from pathlib import Path

from harness import (FTPD, HOST, SLOW, RawControl, Server, Skip, check,
                     ftplib_on, have_ipv6, inetd_session, make_file,
                     require_tool, retr_bytes, run, sha256_file)

CURL = ["curl", "-sS", "--max-time", "60", "--connect-timeout", "10"]
USER, PASS = "ivan", "Ivan-pw-6"


def test_ipv6_passive_and_active():
    require_tool("curl")
    if not have_ipv6():
        raise Skip("no IPv6 loopback")
    with Server(users={USER: PASS}, ipv6=True) as srv, \
            tempfile.TemporaryDirectory(prefix="ftpd-v6-") as d:
        digest = make_file(srv.home(USER) / "six.bin", 1 << 20)
        srv.give(USER)
        out = Path(d) / "out"
        url = srv.url("six.bin", USER, PASS, scheme="ftp6")
        run(CURL + ["-g", url, "-o", out])
        check(sha256_file(out) == digest, "IPv6 EPSV download differs")
        out.unlink()
        run(CURL + ["-g", "-P", "::1", url, "-o", out])
        check(sha256_file(out) == digest, "IPv6 EPRT download differs")
        src = Path(d) / "src"
        up = make_file(src, 300000)
        run(CURL + ["-g", "-T", src, srv.url("up6.bin", USER, PASS,
                                             scheme="ftp6")])
        check(sha256_file(srv.home(USER) / "up6.bin") == up,
              "IPv6 upload differs")
        c = RawControl("::1", srv.port6, 30 * SLOW)
        try:
            code, _ = c.reply()
            check(code == 220, "IPv6 greeting")
            c.cmd(f"USER {USER}")
            code, _ = c.cmd(f"PASS {PASS}")
            check(code == 230, "IPv6 login")
            # PASV has no IPv6 form (RFC 2428): refused on an IPv6 session.
            code, text = c.cmd("PASV")
            check(code in (500, 501, 502, 504, 522), f"PASV on IPv6: {text!r}")
            code, text = c.cmd("EPSV")
            check(code == 229, f"EPSV on IPv6: {text!r}")
            # An EPRT naming the IPv4 loopback is another host: refused.
            code, text = c.cmd("EPRT |1|127.0.0.1|40000|")
            check(str(code)[0] == "5", f"EPRT to IPv4 from IPv6: {text!r}")
        finally:
            c.close()


def test_inetd_mode():
    with Server() as srv:
        data = os.urandom(150000)
        (srv.anon_root / "i.bin").write_bytes(data)
        with inetd_session(srv) as (client, p):
            f = ftplib_on(client)
            check(f.welcome.startswith("220"), f"greeting {f.welcome!r}")
            f.login("anonymous", "x@y")
            check(retr_bytes(f, "i.bin") == data, "inetd RETR differs")
            f.quit()
            f.close()
            rc = p.wait(timeout=15 * SLOW)
            check(rc == 0, f"ftpd -i exit status {rc}")


def test_virtual_hosts():
    with Server(anonymous=False) as srv:
        a = srv.tmp / "site-a"
        b = srv.tmp / "site-b"
        a.mkdir()
        b.mkdir()
        (a / "a.txt").write_bytes(b"site a\n")
        (b / "b.txt").write_bytes(b"site b\n")
        srv.stop()
        srv.extra_text = (f"\n[host a.example]\nbanner = Site A ready\n"
                          f"anonymous = yes\nanon_root = {a}\n"
                          f"[host b.example]\nanonymous = yes\n"
                          f"anon_root = {b}\n")
        srv.start()
        with srv.raw() as c:
            code, text = c.cmd("HOST a.example")
            check(code == 220 and "Site A" in text, f"HOST a: {text!r}")
            c.cmd("USER anonymous")
            code, text = c.cmd("PASS x@y")
            check(code == 230, f"anonymous on a.example: {text!r}")
        f = srv.ftp(login=False)
        try:
            resp = f.sendcmd("HOST b.example")
            check(resp.startswith("220"), f"HOST b: {resp!r}")
            f.login("anonymous", "x@y")
            check(f.nlst() == ["b.txt"], f"b.example root: {f.nlst()}")
            check(retr_bytes(f, "b.txt") == b"site b\n", "b.txt")
            f.quit()
        finally:
            f.close()
        with srv.raw() as c:
            code, text = c.cmd("HOST nowhere.example")
            check(code == 504, f"unknown HOST: {text!r}")
            # Without HOST, the top level (anonymous = no) applies.
            code, _ = c.cmd("USER anonymous")
            if code == 331:
                code, _ = c.cmd("PASS x@y")
            check(code == 530, f"anonymous without HOST: {code}")
        with srv.raw() as c:
            c.cmd("USER someone")
            code, text = c.cmd("HOST a.example")
            check(code == 503, f"HOST after USER: {text!r}")
