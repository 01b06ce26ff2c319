"""Events: event_exec hooks and event_socket JSON lines (DESIGN.md "Events").

A hook script records its environment (env -0) for each event; the tests
check the exact FTPD_* values after curl and lftp uploads, a download,
DELE, RNFR/RNTO, MKD, RMD, SITE CHMOD, a failed login, login and logout.
Bad hooks (one that hangs, one that prints megabytes, one that crashes,
a fork bomb) are bounded and sessions never wait for them; a full queue
drops and logs; event_socket readers get one JSON line per event, and a
reader that stops reading is dropped while sessions go on; -t refuses
an event_user of root or of nopriv_user.
"""

import ftplib
import io
import json
import os
import pwd
import signal
import socket
import subprocess
import threading
import time

from harness import (FTPD, Server, check, make_file, require_tool, run,
                     session_process, SLOW)
from harness import child_pids as harness_children

USER, PASS = "alice", "apw"
EVENT_UID = 65533       # event_user's default


def event_server(hook=None, event_socket=None, **conf):
    """A server whose hook is the shell script body hook (REC replaced
    by the records' directory, writable by event_user)."""
    srv = Server(users={USER: PASS})
    srv.rec = srv.tmp / "rec"
    srv.rec.mkdir()
    os.chmod(srv.rec, 0o777)
    if hook is not None:
        path = srv.tmp / "hook.sh"
        path.write_text(hook.replace("REC", str(srv.rec)))
        os.chmod(path, 0o755)
        srv.keys["event_exec"] = str(path)
    srv.keys.update({k: str(v) for k, v in conf.items()})
    return srv


RECORD = ("#!/bin/sh\n/usr/bin/env -0 > REC/t.$$ && mv REC/t.$$ REC/e.$$\n")


def records(srv):
    out = []
    for p in srv.rec.iterdir():
        if p.name.startswith("e."):
            env = {}
            for item in p.read_bytes().split(b"\0"):
                if item:
                    k, _, v = item.partition(b"=")
                    env[k.decode()] = v.decode("utf-8", "surrogateescape")
            env["_uid"] = p.stat().st_uid
            out.append(env)
    return out


def wait_records(srv, pred, n=1, timeout=10):
    deadline = time.monotonic() + timeout * SLOW
    while True:
        got = [r for r in records(srv) if pred(r)]
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def wait_log(srv, text, timeout=10):
    deadline = time.monotonic() + timeout * SLOW
    while text not in srv.log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def one(srv, event, vpath=None):
    got = wait_records(srv, lambda r: r.get("FTPD_EVENT") == event and
                       (vpath is None or r.get("FTPD_VPATH") == vpath))
    check(len(got) == 1, f"{event} {vpath}: {len(got)} records: {got}")
    return got[0]


def lftp(srv, script):
    return run(["lftp", "-c", "set net:max-retries 1; set cmd:fail-exit yes;"
                " set ftp:ssl-allow no; "
                f"open -u {USER},{PASS} -p {srv.port} 127.0.0.1; {script}"])


# ------------------------------------------------------------ hooks


def test_hook_environment_for_each_event():
    """Exact FTPD_* values after curl and lftp uploads, a download, the
    file operations, a failed login, login and logout; nothing else in
    the environment; the hook runs as event_user."""
    require_tool("curl")
    require_tool("lftp")
    srv = event_server(RECORD)
    with srv:
        home = srv.home(USER)
        src = srv.tmp / "src.bin"
        make_file(src, 300_001)
        run(["curl", "-sS", "--max-time", "60", "-T", src,
             srv.url("by%20curl.bin", USER, PASS)])
        lftp(srv, f"put {src} -o by_lftp.bin")
        out = srv.tmp / "down.bin"
        run(["curl", "-sS", "--max-time", "60", "-o", out,
             srv.url("by%20curl.bin", USER, PASS)])
        f = srv.ftp(USER, PASS)
        f.mkd("new dir")
        f.rename("new dir", "renamed")
        f.rmd("renamed")
        f.sendcmd("SITE CHMOD 600 by_lftp.bin")
        f.delete("by_lftp.bin")
        f.quit()
        bad = ftplib.FTP(timeout=30)
        bad.connect("127.0.0.1", srv.port)
        try:
            bad.login(USER, "wrong")
            check(False, "a wrong password logged in")
        except ftplib.error_perm:
            pass
        bad.close()

        up = one(srv, "upload", "/by curl.bin")
        check(up["FTPD_PATH"] == str(home / "by curl.bin") and
              up["FTPD_BYTES"] == "300001" and up["FTPD_USER"] == USER and
              up["FTPD_CLIENT"] == "127.0.0.1" and up["FTPD_HOST"] == "",
              f"curl upload: {up}")
        up = one(srv, "upload", "/by_lftp.bin")
        check(up["FTPD_PATH"] == str(home / "by_lftp.bin") and
              up["FTPD_BYTES"] == "300001", f"lftp upload: {up}")
        down = one(srv, "download", "/by curl.bin")
        check(down["FTPD_BYTES"] == "300001" and
              down["FTPD_PATH"] == str(home / "by curl.bin"),
              f"download: {down}")
        mk = one(srv, "mkdir", "/new dir")
        check(mk["FTPD_PATH"] == str(home / "new dir"), f"mkdir: {mk}")
        rn = one(srv, "rename", "/new dir")
        check(rn["FTPD_PATH"] == str(home / "new dir") and
              rn["FTPD_VPATH2"] == "/renamed" and
              rn["FTPD_PATH2"] == str(home / "renamed"), f"rename: {rn}")
        rm = one(srv, "rmdir", "/renamed")
        check(rm["FTPD_PATH"] == str(home / "renamed"), f"rmdir: {rm}")
        ch = one(srv, "chmod", "/by_lftp.bin")
        check(ch["FTPD_PATH"] == str(home / "by_lftp.bin"), f"chmod: {ch}")
        de = one(srv, "delete", "/by_lftp.bin")
        check(de["FTPD_PATH"] == str(home / "by_lftp.bin"), f"delete: {de}")
        # One session: login, mkdir... logout share FTPD_SESSION.
        sess = mk["FTPD_SESSION"]
        check(sess.isdigit() and rn["FTPD_SESSION"] == sess and
              de["FTPD_SESSION"] == sess, "one session, one FTPD_SESSION")
        logins = wait_records(srv, lambda r: r["FTPD_EVENT"] == "login" and
                              r["FTPD_SESSION"] == sess)
        logouts = wait_records(srv, lambda r: r["FTPD_EVENT"] == "logout"
                               and r["FTPD_SESSION"] == sess)
        check(len(logins) == 1 and len(logouts) == 1 and
              logins[0]["FTPD_USER"] == USER and
              logouts[0]["FTPD_BYTES"] == "0",
              f"login/logout of the session: {logins} {logouts}")
        # The curl download's session moved 300001 bytes.
        outs = wait_records(srv, lambda r: r["FTPD_EVENT"] == "logout" and
                            r["FTPD_SESSION"] == down["FTPD_SESSION"])
        check(len(outs) == 1 and outs[0]["FTPD_BYTES"] == "300001",
              f"logout after the download: {outs}")
        failed = one(srv, "login_failed")
        check(failed["FTPD_USER"] == USER and
              failed["FTPD_CLIENT"] == "127.0.0.1", f"failed: {failed}")
        want = {"PATH", "FTPD_EVENT", "FTPD_USER", "FTPD_PATH", "FTPD_VPATH",
                "FTPD_BYTES", "FTPD_CLIENT", "FTPD_HOST", "FTPD_SESSION",
                "FTPD_TIME", "FTPD_PATH2", "FTPD_VPATH2", "_uid"}
        for r in records(srv):
            # PWD is the shell's own (dash exports it).
            check(set(r) - {"PWD"} == want, f"environment: {sorted(r)}")
            check(r["PATH"] == "/usr/local/bin:/usr/bin:/bin", r["PATH"])
            check(r["_uid"] == EVENT_UID, f"hook ran as uid {r['_uid']}")
            check(abs(int(r["FTPD_TIME"]) - time.time()) < 120,
                  f"FTPD_TIME {r['FTPD_TIME']}")


def test_event_on_selects_events():
    """event_on = upload: only uploads run the hook."""
    srv = event_server(RECORD, event_on="upload")
    with srv:
        f = srv.ftp(USER, PASS)
        f.mkd("d")
        f.storbinary("STOR x.bin", io.BytesIO(b"12345"))
        f.quit()
        one(srv, "upload", "/x.bin")
        time.sleep(0.5)
        kinds = sorted(r["FTPD_EVENT"] for r in records(srv))
        check(kinds == ["upload"], f"events run: {kinds}")


def _sockets(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("socket:"):
            out.add(t)
    return out


def test_roles_hold_no_channel_and_anonymous_paths():
    """The front and the user process hold none of the master's sockets
    (the runner's channel among them); an anonymous upload's FTPD_PATH
    is beneath anon_root."""
    srv = event_server(RECORD, event_on="upload")
    srv.keys["anon_upload"] = "yes"
    (srv.anon_root / "upload").mkdir()
    os.chown(srv.anon_root / "upload", srv.anon.pw_uid, srv.anon.pw_gid)
    with srv:
        master = _sockets(srv.proc.pid)
        front = srv.ftp(login=False)
        _mon, pid = session_process(srv, pwd.getpwnam("nobody").pw_uid)
        check(pid is not None, "no front process")
        check(not (_sockets(pid) & master), "the front holds a socket of "
              "the master's")
        front.close()
        f = srv.ftp()
        _mon, pid = session_process(srv, srv.anon.pw_uid)
        check(pid is not None, "no user process")
        check(not (_sockets(pid) & master), "the user process holds a "
              "socket of the master's")
        f.storbinary("STOR upload/anon.bin", io.BytesIO(b"a" * 77))
        f.quit()
        r = one(srv, "upload", "/upload/anon.bin")
        check(r["FTPD_PATH"] == str(srv.anon_root / "upload" / "anon.bin")
              and r["FTPD_BYTES"] == "77" and r["FTPD_USER"] == "anonymous",
              f"anonymous upload: {r}")


def test_hanging_hook_is_killed_and_sessions_go_on():
    """A hook that hangs (and leaves a child behind) is killed with its
    process group at event_timeout; a transfer meanwhile is not slowed."""
    hook = ("#!/bin/sh\nsleep 300 &\necho $! > REC/child.$$\n"
            "echo $$ > REC/hook.$$\nwait\n")
    srv = event_server(hook, event_on="upload", event_timeout=4,
                       event_max_running=1)
    with srv:
        f = srv.ftp(USER, PASS)
        f.storbinary("STOR first.bin", io.BytesIO(b"x" * 1000))
        deadline = time.monotonic() + 10
        while not any(p.name.startswith("child.") for p in
                      srv.rec.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        # The first hook's file: the second upload's hook starts once the
        # first is killed, and may itself be killed before it writes.
        first = next(p for p in srv.rec.iterdir()
                     if p.name.startswith("child."))
        hook_pid = first.name.split(".")[1]
        with open(f"/proc/{hook_pid}/stat") as st:
            nice = int(st.read().rsplit(")", 1)[1].split()[16])
        check(nice == 10, f"the hook runs at nice {nice}, not 10")
        t0 = time.monotonic()
        data = os.urandom(4 << 20)
        f.storbinary("STOR second.bin", io.BytesIO(data))
        f.retrbinary("RETR second.bin", lambda b: None)
        spent = time.monotonic() - t0
        check(spent < 3, f"transfers took {spent:.1f}s while a hook hung")
        f.quit()
        check(wait_log(srv, "timed out after 4 s: its process group was "
                       "killed", 15), "no timeout line")
        child = int(first.read_text())
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not _alive(child), "the hook's child outlived the timeout")


def test_bad_hooks_are_bounded():
    """Megabytes of output are drained and capped (4 KiB logged, the rest
    counted); a crash is logged with its signal; a fork bomb meets
    RLIMIT_NPROC and dies with its process group; hooks go on after."""
    hook = ("#!/bin/bash\ncase \"$FTPD_VPATH\" in\n"
            "/loud) head -c 3000000 /dev/zero | tr '\\0' x; echo;"
            " echo tail-line;;\n"
            "/crash) kill -SEGV $$;;\n"
            "/bomb) b() { b | b & }; b;;\n"
            "*) /usr/bin/env -0 > REC/t.$$ && mv REC/t.$$ REC/e.$$;;\n"
            "esac\n")
    srv = event_server(hook, event_on="mkdir", event_timeout=3)
    with srv:
        f = srv.ftp(USER, PASS)
        t0 = time.monotonic()
        for d in ("loud", "crash", "bomb"):
            f.mkd(d)
        check(time.monotonic() - t0 < 2, "MKD waited for the hooks")
        # 3000000 x, a newline, "tail-line\n": 4096 logged.
        check(wait_log(srv, "2995915 more bytes of output discarded", 20),
              "no discard line")
        check(wait_log(srv, "(mkdir) killed by signal 11", 10),
              "no crash line")
        # Nothing of event_user but the runner is left.
        deadline = time.monotonic() + 15 * SLOW
        while True:
            left = _event_procs(srv)
            if len(left) <= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(len(left) == 1, f"{len(left)} processes of event_user left")
        f.mkd("after")
        r = one(srv, "mkdir", "/after")
        check(r["FTPD_PATH"] == str(srv.home(USER) / "after"), str(r))
        f.quit()
        kept = [ln.split("(mkdir): ", 1)[1] for ln in srv.log().splitlines()
                if "(mkdir): xxxx" in ln]
        check(sum(len(k) for k in kept) == 4096 and
              all(set(k) == {"x"} for k in kept),
              f"logged output: {[len(k) for k in kept]}")


def _alive(pid):
    """pid runs (a zombie, left to a subreaper that has not reaped it
    yet, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as st:
            return st.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _event_procs(srv):
    """Live processes of event_user in the server's session (the runner,
    its hooks and what they started), not another server's."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or _uid_of(p) != EVENT_UID or not _alive(p):
            continue
        try:
            with open(f"/proc/{p}/stat") as st:
                sid = int(st.read().rsplit(")", 1)[1].split()[3])
        except (OSError, ValueError, IndexError):
            continue
        if sid == srv.proc.pid:
            out.append(p)
    return out


def _uid_of(pid):
    try:
        with open(f"/proc/{pid}/status") as s:
            for line in s:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def test_full_queue_drops_and_logs():
    """event_queue 2, one hook at a time that sleeps: of 30 MKDs one
    runs, two wait, 27 are dropped and logged; MKD never waits."""
    hook = "#!/bin/sh\nexec sleep 20\n"
    srv = event_server(hook, event_on="mkdir", event_queue=2,
                       event_max_running=1, event_timeout=60)
    with srv:
        f = srv.ftp(USER, PASS)
        t0 = time.monotonic()
        for i in range(30):
            f.mkd(f"d{i}")
        check(time.monotonic() - t0 < 5, "MKDs waited for the hook")
        f.quit()
        check(wait_log(srv, "queue full (event_queue 2)"), "no drop line")
        srv.stop()
        check("2 event(s) still queued, 27 dropped in all" in srv.log(),
              "drop count at the runner's end")


def test_runner_restarts():
    """A runner that dies is started again; sessions do not notice."""
    srv = event_server(RECORD, event_on="mkdir")
    with srv:
        # The master forks it before its first accept; it takes its ids
        # a moment later, on a loaded machine after the greeting.
        deadline = time.monotonic() + 10 * SLOW
        while not (runner := _event_procs(srv)) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        check(len(runner) == 1, f"runners: {runner}")
        os.kill(int(runner[0]), signal.SIGKILL)
        f = srv.ftp(USER, PASS)
        f.mkd("while down")
        check(wait_log(srv, "event runner was killed by signal 9; "
                       "restarting it in"), "no restart line")
        f.mkd("after")
        f.quit()
        one(srv, "mkdir", "/after")


def test_stopped_runner_never_blocks_sessions():
    """A runner that reads nothing (stopped) fills its channel: the
    monitor drops the events and says so, and the session goes on; once
    the runner runs again, events flow again."""
    srv = event_server()
    sock = srv.tmp / "events.sock"
    srv.keys["event_socket"] = str(sock)
    with srv:
        check(wait_log(srv, "event runner started"), "no runner")
        runner = _event_procs(srv)
        check(len(runner) == 1, f"runners: {runner}")
        reader = connect(sock, timeout=1)
        wait_log(srv, "event_socket reader connected")
        got_after = threading.Event()

        def read():
            tail = b""
            deadline = time.monotonic() + 120 * SLOW
            while time.monotonic() < deadline:
                try:
                    chunk = reader.recv(1 << 20)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                tail = (tail + chunk)[-8192:]
                if b'"vpath":"/after"' in tail:
                    got_after.set()
                    return
        t = threading.Thread(target=read, daemon=True)
        t.start()
        # Records of about 8 KiB (a deep directory): the channel's
        # 4 MiB fill after a few hundred.
        f = srv.ftp(USER, PASS)
        for k in range(15):
            f.mkd("p" * 240 + str(k))
            f.cwd("p" * 240 + str(k))
        os.kill(int(runner[0]), signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            i = 0
            while "the runner's channel is full" not in srv.log() and \
                    time.monotonic() - t0 < 60 * SLOW:
                for _ in range(100):
                    f.mkd(f"{'n' * 200}{i}")
                    f.rmd(f"{'n' * 200}{i}")
                    i += 1
            spent = time.monotonic() - t0
            check("the runner's channel is full" in srv.log(),
                  f"no drop line after {i} MKDs")
        finally:
            os.kill(int(runner[0]), signal.SIGCONT)
        print(f"channel full after {i} MKD+RMD pairs in {spent:.1f}s")
        # The backlog drains to the reader; an event after it arrives.
        f.mkd("/after")
        f.quit()
        t.join(60 * SLOW)
        check(got_after.is_set(), "no event after the runner ran again")
        reader.close()


def test_tls_session_events():
    """Under TLS (the front relays) the same events come, and neither the
    relay nor the user process holds the master's sockets."""
    require_tool("curl")
    srv = Server(users={USER: PASS}, tls="on",
                 conf={"tls_reuse_required": "no"})
    srv.rec = srv.tmp / "rec"
    srv.rec.mkdir()
    os.chmod(srv.rec, 0o777)
    hook = srv.tmp / "hook.sh"
    hook.write_text(RECORD.replace("REC", str(srv.rec)))
    os.chmod(hook, 0o755)
    srv.keys["event_exec"] = str(hook)
    with srv:
        master = _sockets(srv.proc.pid)
        f = ftplib.FTP_TLS(timeout=30)
        f.connect("127.0.0.1", srv.port)
        f.login(USER, PASS)
        f.prot_p()
        _mon, pid = session_process(srv, srv.vuid)
        check(pid is not None, "no user process")
        relay = [p for p in harness_children(_mon) if p != pid]
        for p in [pid] + relay:
            check(not (_sockets(p) & master), f"process {p} holds a socket "
                  "of the master's")
        f.storbinary("STOR tls.bin", io.BytesIO(b"t" * 12345))
        f.quit()
        r = one(srv, "upload", "/tls.bin")
        check(r["FTPD_BYTES"] == "12345" and
              r["FTPD_PATH"] == str(srv.home(USER) / "tls.bin"), str(r))


def test_sighup_restarts_runner():
    """SIGHUP starts a fresh runner (it reopens the log with the master);
    events go on."""
    srv = event_server(RECORD, event_on="mkdir")
    with srv:
        check(wait_log(srv, "event runner started"), "no runner")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10 * SLOW
        while srv.log().count("event runner started") < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        check(srv.log().count("event runner started") == 2,
              "no second runner after SIGHUP")
        runners = _event_procs(srv)
        check(len(runners) == 1, f"runners after SIGHUP: {runners}")
        f = srv.ftp(USER, PASS)
        f.mkd("after hup")
        f.quit()
        one(srv, "mkdir", "/after hup")


# ------------------------------------------------------------ event_socket


def connect(path, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(path))
    return s


def read_lines(s, n, timeout=10):
    buf = b""
    deadline = time.monotonic() + timeout * SLOW
    while buf.count(b"\n") < n and time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk
    return [json.loads(ln) for ln in buf.split(b"\n") if ln]


def test_event_socket_json():
    """Each event as one JSON line with exact fields; a name with a quote,
    a backslash and a Latin-1 byte comes out as valid JSON; the socket
    is event_user's, mode 0660."""
    srv = event_server(event_socket=None)
    sock = srv.tmp / "events.sock"
    srv.keys["event_socket"] = str(sock)
    with srv:
        st = os.stat(sock)
        check(st.st_uid == EVENT_UID and (st.st_mode & 0o777) == 0o660,
              f"socket owner {st.st_uid} mode {oct(st.st_mode)}")
        s = connect(sock)
        wait_log(srv, "event_socket reader connected")
        f = ftplib.FTP(timeout=30, encoding="latin-1")
        f.connect("127.0.0.1", srv.port)
        f.login(USER, PASS)
        name = 'we"ird\\name\xe9.bin'
        f.storbinary("STOR " + name, io.BytesIO(b"z" * 4321))
        f.quit()
        lines = read_lines(s, 3)
        kinds = [ln["event"] for ln in lines]
        check(kinds == ["login", "upload", "logout"], f"events {kinds}")
        up = lines[1]
        home = str(srv.home(USER))
        check(set(up) == {"event", "user", "path", "vpath", "bytes",
                          "client", "host", "session", "time"},
              f"keys {sorted(up)}")
        check(up["vpath"] == "/" + name and up["path"] == home + "/" + name
              and up["bytes"] == 4321 and up["user"] == USER and
              up["client"] == "127.0.0.1" and up["host"] == "" and
              up["session"] == lines[0]["session"] and
              up["time"].endswith("Z"), f"upload line {up}")
        s.close()


def test_stuck_reader_is_dropped():
    """A reader that never reads is dropped once its buffer fills; a
    reader that reads gets every line; the session is not slowed."""
    srv = event_server(event_socket=None, event_on="mkdir")
    sock = srv.tmp / "events.sock"
    srv.keys["event_socket"] = str(sock)
    with srv:
        stuck = connect(sock)
        good = connect(sock)
        wait_log(srv, "event_socket reader connected")
        got = []
        n = 300
        t = threading.Thread(target=lambda: got.extend(
            read_lines(good, 2 * n + 2, 60)))
        t.start()
        f = srv.ftp(USER, PASS)
        long = "n" * 200
        t0 = time.monotonic()
        for i in range(n):
            f.mkd(f"{long}{i}")
            f.rmd(f"{long}{i}")
        spent = time.monotonic() - t0
        f.quit()
        t.join(90)
        check(wait_log(srv, "reader dropped: it stopped reading"),
              "the stuck reader was not dropped")
        check(len([ln for ln in got if ln["event"] in ("mkdir", "rmdir")])
              == 2 * n, f"the reading reader got {len(got)} lines")
        check(spent < 30 * SLOW, f"{2 * n} commands took {spent:.1f}s")
        stuck.close()
        good.close()


# ------------------------------------------------------------ -t


def test_t_refuses_event_user_root_or_shared():
    base = ["-f", "/dev/null", "-o", "tls=off", "-o", "listen=127.0.0.1:0"]
    conf = base + ["-o", "event_exec=/bin/true"]
    for user, words in (("root", "id 0"), ("0", "not UID"),
                        ("nobody", "shares its ids with nobody")):
        p = run([FTPD, "-t", *conf, "-o", f"event_user={user}"],
                check_rc=False)
        out = p.stdout + p.stderr
        check(p.returncode != 0 and "event_user" in out and words in out,
              f"event_user={user}: rc {p.returncode} {out!r}")
    p = run([FTPD, "-t", *conf, "-o", "event_on=upload, uploads"],
            check_rc=False)
    check(p.returncode != 0 and "uploads" in p.stdout + p.stderr,
          f"event_on: {p.stdout + p.stderr!r}")
    p = run([FTPD, "-t", *base, "-o", "event_exec=relative/prog"],
            check_rc=False)
    check(p.returncode != 0 and "absolute" in p.stdout + p.stderr,
          f"event_exec relative: {p.stdout + p.stderr!r}")
    p = run([FTPD, "-t", *conf], check_rc=False)
    check(p.returncode == 0, f"a good event config: {p.stdout + p.stderr!r}")


def test_quota_and_ban_events():
    """A quota refusal and a ban reach the socket too; with a [host]
    section the login names its RFC 7151 host."""
    srv = event_server(ban_after=2, login_attempts=1)
    sock = srv.tmp / "events.sock"
    srv.keys["event_socket"] = str(sock)
    srv.keys["quota_dir"] = str(srv.tmp / "quota")
    srv.extra_text = (f"[user {USER}]\nquota_bytes = 1000\n"
                      "[host ftp.example.test]\n")
    with srv:
        s = connect(sock)
        wait_log(srv, "event_socket reader connected")
        f = srv.ftp(login=False)
        f.sendcmd("HOST ftp.example.test")
        f.login(USER, PASS)
        try:
            f.storbinary("STOR big.bin", io.BytesIO(b"q" * 5000))
        except ftplib.error_perm:
            pass
        f.quit()
        for _ in range(2):
            bad = ftplib.FTP(timeout=30)
            bad.connect("127.0.0.1", srv.port)
            try:
                bad.login(USER, "wrong")
            except ftplib.all_errors:
                pass
            bad.close()
        lines = read_lines(s, 7)
        kinds = [ln["event"] for ln in lines]
        check("quota" in kinds and "ban" in kinds and
              kinds.count("login_failed") == 2, f"events {kinds}")
        login = next(ln for ln in lines if ln["event"] == "login")
        check(login["host"] == "ftp.example.test", f"login {login}")
        quota = next(ln for ln in lines if ln["event"] == "quota")
        check(quota["user"] == USER and quota["host"] == "ftp.example.test",
              f"quota {quota}")
        ban = next(ln for ln in lines if ln["event"] == "ban")
        check(ban["client"] == "127.0.0.1" and ban["bytes"] == 600,
              f"ban {ban}")
        s.close()


def test_rein_ends_the_accounts_session():
    """REIN after a login ends that account's session as a QUIT would:
    its logout event carries its bytes; the next login after the REIN
    reports a login of its own, on the same connection."""
    srv = event_server(RECORD, event_on="login, logout")
    with srv:
        f = srv.ftp(USER, PASS)
        f.storbinary("STOR r.bin", io.BytesIO(b"x" * 1000))
        check(f.sendcmd("REIN").startswith("220"), "REIN: no 220")
        f.login(USER, PASS)
        out = wait_records(srv, lambda r: r.get("FTPD_EVENT") == "logout")
        check(len(out) == 1 and out[0]["FTPD_BYTES"] == "1000" and
              out[0]["FTPD_USER"] == USER,
              f"logout records after REIN: {out}")
        ins = wait_records(srv, lambda r: r.get("FTPD_EVENT") == "login",
                           n=2)
        check(len(ins) == 2 and ins[0]["FTPD_SESSION"] ==
              ins[1]["FTPD_SESSION"], f"logins: {ins}")
        f.quit()
        out = wait_records(srv, lambda r: r.get("FTPD_EVENT") == "logout",
                           n=2)
        check(len(out) == 2, f"logouts after QUIT: {out}")
