"""test_tools.py - ftpasswd(8) and ftpwho(8) against a running server."""

import time

from harness import (FTPASSWD, FTPWHO, Server, check, crypt_hash, run)


def _names(users):
    return [l.split(":", 1)[0] for l in users.read_text().splitlines()]


def test_ftpasswd_users_file():
    check(FTPASSWD.exists(), f"{FTPASSWD} not built")
    with Server() as srv:
        users = srv.tmp / "ftpd.passwd"
        home = srv.homes / "zoe"
        home.mkdir()
        run([FTPASSWD, "-f", users, "-u", srv.vuid, "-g", srv.vgid,
             "-d", home, "-s", "/bin/bash", "--stdin", "zoe"],
            input="Zoe-pass-1\n")
        run([FTPASSWD, "-f", users, "-u", srv.vuid, "-g", srv.vgid,
             "-d", home, "-s", "/bin/bash", "--stdin", "yan"],
            input="Yan-pass-2\n")
        text = users.read_text()
        lines = [l for l in text.splitlines() if l.startswith("zoe:")]
        check(len(lines) == 1, f"users file: {text!r}")
        fields = lines[0].split(":")
        check(len(fields) == 7, f"not 7 fields: {lines[0]!r}")
        check(fields[1].startswith("$y$"), f"not yescrypt: {fields[1]!r}")
        check(fields[2] == str(srv.vuid) and fields[5] == str(home),
              f"fields {fields}")
        check("Zoe-pass-1" not in text, "password in clear in users file")
        # Replacing the password keeps one line.
        run([FTPASSWD, "-f", users, "--stdin", "zoe"], input="Zoe-pass-3\n")
        check(_names(users).count("zoe") == 1, "zoe duplicated")
        # Bad names are refused.
        p = run([FTPASSWD, "-f", users, "--stdin", "bad:name"],
                input="x\n", check_rc=False)
        check(p.returncode != 0, "a name with ':' was accepted")
        srv.keys["users_file"] = str(users)
        srv.stop()
        srv.give("zoe")
        srv.start()
        f = srv.ftp("zoe", "Zoe-pass-3")
        f.quit()
        f.close()
        with srv.raw() as c:
            c.cmd("USER zoe")
            code, _ = c.cmd("PASS Zoe-pass-1")
            check(code == 530, "old password still works")
        run([FTPASSWD, "-f", users, "-D", "zoe"])
        check("zoe" not in _names(users), "-D left the user")
        check("yan" in _names(users), "-D removed another user")
        with srv.raw() as c:
            c.cmd("USER zoe")
            code, _ = c.cmd("PASS Zoe-pass-3")
            check(code == 530, "deleted user still logs in")


def test_ftpwho_lists_sessions():
    check(FTPWHO.exists(), f"{FTPWHO} not built")
    with Server(users={"wanda": "Wanda-pw-9"}) as srv:
        p = run([FTPWHO, "-d", srv.run_dir])
        check("wanda" not in p.stdout, "session listed before login")
        f = srv.ftp("wanda", "Wanda-pw-9")
        try:
            f.voidcmd("NOOP")
            deadline = time.monotonic() + 5
            while True:
                p = run([FTPWHO, "-d", srv.run_dir])
                if "wanda" in p.stdout or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            check("wanda" in p.stdout, f"ftpwho output:\n{p.stdout}")
            check("127.0.0.1" in p.stdout, f"no peer in:\n{p.stdout}")
            f.quit()
        finally:
            f.close()
        deadline = time.monotonic() + 5
        while True:
            p = run([FTPWHO, "-d", srv.run_dir])
            if "wanda" not in p.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check("wanda" not in p.stdout, f"ended session still listed:\n"
              f"{p.stdout}")
