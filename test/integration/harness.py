"""harness.py - start the real ftpd for integration tests, and helpers.

Every test gets a fresh temporary directory holding the configuration, the
anonymous root, virtual users' homes, run_dir, empty_dir and the server log.
The server is the built binary ftpd/ftpd, run in the foreground on a free
loopback port and always stopped (SIGTERM, then SIGKILL) when the test ends.

Typical use:

    from harness import Server, check, make_file, run, sha256_file

    def test_something():
        with Server(users={"alice": "pw"}) as srv:
            digest = make_file(srv.anon_root / "f.bin", 1 << 20)
            run(["curl", "-sS", srv.url("f.bin"), "-o", out])
            check(sha256_file(out) == digest, "download differs")
            f = srv.ftp("alice", "pw")      # logged-in ftplib.FTP
            c = srv.raw()                   # RawControl, 220 read

A test skips itself by raising Skip("reason"); any other exception fails
it.  On failure the server log is printed (run.py shows it).

Server keyword arguments (all optional):
    anonymous   allow anonymous logins (default True)
    anon_upload anonymous may create files in anon_root/upload
    users       {name: password} virtual users in a users_file; each gets
                a home srv.home(name)
    system_users  log in /etc/passwd accounts (default False)
    tls         "off" (default), "on" or "required"; with "on"/"required" a
                self-signed EC certificate made once per run is used
    deny        extra names written to the deny file (root is always there)
    conf        {key: value} of further configuration keys
    implicit_tls  also listen for implicit TLS; its port is srv.tls_port
    ipv6        also listen on [::1]:srv.port6 (srv.url(..., scheme="ftp6"))
    listen_in_file  write listen into the configuration file instead of
                passing it with -o (which a reload could not change)

srv.keys (the configuration) and srv.extra_text (appended verbatim, e.g.
[host] sections) may be changed between srv.stop() and srv.start().

Only the Python 3 standard library is used.  Clients are run through run(),
which always has a timeout.
"""

import contextlib
import errno
import ftplib
import hashlib
import os
import pwd
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FTPD = REPO / "ftpd" / "ftpd"
FTPASSWD = REPO / "ftpd" / "ftpasswd"
FTPWHO = REPO / "ftpd" / "ftpwho"
HOST = "127.0.0.1"

# Under AddressSanitizer everything is slower.
SLOW = 3 if os.environ.get("FTPD_ASAN") else 1
# Numeric ids that virtual users run as when the tests run as root; they
# need not exist in /etc/passwd.
VUSER_UID = 47001
VUSER_GID = 47001
# Marks every process a test starts, so run.py can find stragglers.
TOKEN_VAR = "FTPD_TEST_TOKEN"


class Skip(Exception):
    """Raised to skip a test for a real reason (missing client, not root)."""


class TestFailure(AssertionError):
    pass


def check(cond, msg="check failed"):
    """assert that survives python -O and says what went wrong."""
    if not cond:
        raise TestFailure(msg)


def is_root():
    return os.geteuid() == 0


def require_root(why="needs root"):
    if not is_root():
        raise Skip(why)


def require_tool(name):
    path = shutil.which(name)
    if path is None:
        raise Skip(f"{name} not installed")
    return path


# ---------------------------------------------------------------- files

@contextlib.contextmanager
def small_tmpfs(path, size="1m"):
    """A tmpfs of size mounted on the new directory path (a full disk to
    order); lazily unmounted on the way out.  Skips without root or
    mount(8)."""
    require_root("mounting a tmpfs needs root")
    if subprocess.run(["mount", "--version"], capture_output=True,
                      timeout=10).returncode != 0:
        raise Skip("mount not available")
    path.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}",
                        "tmpfs", str(path)], capture_output=True, timeout=30)
    if p.returncode != 0:
        raise Skip(f"cannot mount tmpfs: {p.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True,
                       timeout=30)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


def make_file(path, size, seed=None):
    """Write size random bytes to path (parents made); return the SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            chunk = rng.randbytes(n)
            h.update(chunk)
            f.write(chunk)
            left -= n
    return h.hexdigest()


def make_sparse(path, size):
    """A large file of zeros that costs no disk (for ABOR tests)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)


def tree_hashes(root):
    """{relative path: sha256} of every regular file under root."""
    root = Path(root)
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                out[str(p.relative_to(root))] = sha256_file(p)
    return out


def chown_tree(path, uid, gid):
    if not is_root():
        return
    path = Path(path)
    os.chown(path, uid, gid)
    for dirpath, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(dirpath, name), uid, gid)


def random_name(prefix="ft", n=8):
    return prefix + "".join(random.choice(string.ascii_lowercase)
                            for _ in range(n))


# ---------------------------------------------------------------- commands

def run(cmd, timeout=60, input=None, check_rc=True, env=None, cwd=None):
    """Run a client command with a timeout; return CompletedProcess (text).

    Raises TestFailure, with the output, on a timeout or (check_rc) a
    non-zero exit status.
    """
    timeout *= SLOW
    if isinstance(input, str):
        input = input.encode()
    try:
        p = _run_retry([str(c) for c in cmd], input=input, timeout=timeout,
                       env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise TestFailure(f"timed out after {timeout}s: {' '.join(map(str, cmd))}"
                          f"\nstdout: {_txt(e.stdout)}\nstderr: {_txt(e.stderr)}")
    p.stdout = _txt(p.stdout)
    p.stderr = _txt(p.stderr)
    if check_rc and p.returncode != 0:
        raise TestFailure(f"exit {p.returncode}: {' '.join(map(str, cmd))}"
                          f"\nstdout: {p.stdout[-2000:]}"
                          f"\nstderr: {p.stderr[-2000:]}")
    return p


def _run_retry(argv, input, timeout, env, cwd):
    """subprocess.run, retried while the binary is being relinked by make
    (ETXTBSY, or EACCES on a half-written file)."""
    for attempt in range(50):
        try:
            return subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout,
                                  env=env, cwd=cwd,
                                  stdin=None if input is not None
                                  else subprocess.DEVNULL)
        except OSError as e:
            if attempt == 49 or e.errno not in (errno.ETXTBSY, errno.EACCES):
                raise
            time.sleep(0.1)


def _txt(b):
    if b is None:
        return ""
    if isinstance(b, str):
        return b
    return b.decode("utf-8", "replace")


def crypt_hash(password):
    """A crypt(3) SHA-512 hash of password, for users_file lines."""
    try:
        p = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                           input=password.encode(), capture_output=True,
                           timeout=30)
        if p.returncode == 0 and p.stdout.startswith(b"$6$"):
            return p.stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt  # deprecated, still in 3.11/3.12
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


# ---------------------------------------------------------------- accounts

def anon_account():
    """The account anonymous sessions run as: ftp (made if missing and
    root), else nobody.  Returns a pwd struct."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam("ftp")
    if is_root() and shutil.which("useradd"):
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--home-dir", "/srv/ftp", "--shell",
                        "/usr/sbin/nologin", "ftp"],
                       capture_output=True, timeout=30)
        with contextlib.suppress(KeyError):
            return pwd.getpwnam("ftp")
    return pwd.getpwnam("nobody")


def child_pids(pid):
    """The live children of pid (all its threads'), from /proc."""
    out = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    return out


def session_process(srv, uid, timeout=10):
    """(monitor, pid) of a session process (a grandchild of the master)
    running as uid, waiting up to timeout seconds; (None, None) if none."""
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        for mon in child_pids(srv.proc.pid):
            for pid in child_pids(mon):
                with contextlib.suppress(OSError):
                    if os.stat(f"/proc/{pid}").st_uid == uid:
                        return mon, pid
        time.sleep(0.05)
    return None, None


def process_holds(pid, needles):
    """Which of needles {label: str or bytes} are in pid's writable
    memory (read through /proc/PID/mem: root, or the same uid)."""
    needles = {k: v.encode() if isinstance(v, str) else v
               for k, v in needles.items()}
    found = set()
    with open(f"/proc/{pid}/maps") as maps, \
            open(f"/proc/{pid}/mem", "rb") as mem:
        for line in maps:
            f = line.split()
            if "w" not in f[1]:
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            # Sanitizer shadow and allocator reserves are terabytes of
            # untouched address space; the heaps we look for are small.
            if hi - lo > 256 << 20:
                continue
            step, overlap = 16 << 20, 256
            for at in range(lo, hi, step):
                try:
                    mem.seek(at)
                    data = mem.read(min(step + overlap, hi - at))
                except OSError:
                    continue
                found |= {k for k, v in needles.items() if v in data}
    return sorted(found)


class SystemUser:
    """A throwaway /etc/passwd account with a password, home under base.

    Root only (raises Skip otherwise).  Deleted with userdel -r on exit.
    """

    def __init__(self, base, password=None, shell="/bin/bash"):
        require_root("system users need root")
        if shutil.which("useradd") is None or shutil.which("chpasswd") is None:
            raise Skip("useradd/chpasswd not installed")
        self.name = random_name("ftpt")
        self.password = password or secrets.token_hex(8)
        self.home = Path(base) / ("sys-" + self.name)
        self.shell = shell

    def __enter__(self):
        run(["useradd", "--create-home", "--home-dir", self.home,
             "--shell", self.shell, "--user-group", self.name], timeout=30)
        try:
            run(["chpasswd"], input=f"{self.name}:{self.password}\n",
                timeout=30)
            pw = pwd.getpwnam(self.name)
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
        except BaseException:
            self._delete()
            raise
        return self

    def _delete(self):
        subprocess.run(["userdel", "-r", self.name], capture_output=True,
                       timeout=30)
        # userdel -r complains about a missing mail spool; the home may
        # still be there if it failed outright.
        shutil.rmtree(self.home, ignore_errors=True)

    def __exit__(self, *exc):
        self._delete()
        return False


# ---------------------------------------------------------------- certs

def cert_pair():
    """(cert, key) paths of a self-signed EC P-256 certificate for
    CN=localhost, made once per run (run.py sets FTPD_TEST_CERTDIR)."""
    d = os.environ.get("FTPD_TEST_CERTDIR")
    if not d:
        d = os.path.join(tempfile.gettempdir(), f"ftpd-test-certs-{os.getuid()}")
    d = Path(d)
    cert, key = d / "cert.pem", d / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    if shutil.which("openssl") is None:
        raise Skip("openssl not installed")
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    tmpc, tmpk = d / f"cert.{os.getpid()}", d / f"key.{os.getpid()}"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
         "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", tmpk, "-out", tmpc], timeout=60)
    os.chmod(tmpk, 0o600)
    os.replace(tmpk, key)
    os.replace(tmpc, cert)
    return cert, key


# ---------------------------------------------------------------- ports

def _port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A free loopback port P whose P-1 is free too (active_from_port_20
    binds L-1 for active data connections)."""
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((HOST, 0))
        port = s.getsockname()[1]
        s.close()
        if port > 1025 and _port_free(port - 1):
            return port
    raise TestFailure("no free port pair found")


def have_ipv6():
    """True when ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port6():
    for _ in range(100):
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.bind(("::1", port - 1))
            return port
        except OSError:
            continue
    raise TestFailure("no free IPv6 port pair found")


def _listening6(port):
    want = "0" * 24 + "01000000" + f":{port:04X}"
    try:
        with open("/proc/net/tcp6") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and parts[1] in (
                        want, "0" * 32 + f":{port:04X}"):
                    return True
        return False
    except OSError:
        with socket.socket(socket.AF_INET6) as s:
            s.settimeout(1)
            return s.connect_ex(("::1", port)) == 0


def _listening(port):
    """True when something listens on HOST:port, judged from /proc so that
    no connection is made (a probe would count as a session)."""
    want = f"{socket.htonl(0x7f000001):08X}:{port:04X}"
    want_any = f"00000000:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and parts[1] in (want, want_any):
                    return True
        return False
    except OSError:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex((HOST, port)) == 0


# ---------------------------------------------------------------- server


def _close_std():
    os.close(1)
    os.close(2)


class Server:
    """One ftpd master in a fresh temporary directory (see module doc)."""

    def __init__(self, anonymous=True, anon_upload=False, users=None,
                 system_users=False, tls="off", deny=(), conf=None,
                 implicit_tls=False, ipv6=False, closed_std=False,
                 listen_in_file=False):
        self.tmp = Path(tempfile.mkdtemp(prefix="ftpd-it-"))
        os.chmod(self.tmp, 0o755)
        self.anon_root = self.tmp / "anon"
        self.anon_root.mkdir()
        self.homes = self.tmp / "home"
        self.homes.mkdir()
        self.run_dir = self.tmp / "run"
        self.run_dir.mkdir()
        self.empty_dir = self.tmp / "empty"
        self.empty_dir.mkdir()
        os.chmod(self.empty_dir, 0o755)
        self.log_path = self.tmp / "ftpd.log"
        self.conf_path = self.tmp / "ftpd.conf"
        self.deny_path = self.tmp / "ftpusers"
        self.users_path = self.tmp / "users"
        self.users = dict(users or {})
        self.anon = anon_account()
        self.vuid = VUSER_UID if is_root() else os.getuid()
        self.vgid = VUSER_GID if is_root() else os.getgid()
        self.proc = None
        self.port = None
        self.tls_port = None
        self.implicit_tls = implicit_tls
        self.ipv6 = ipv6
        # Start ftpd with its stdout and stderr closed (as some service
        # managers do).
        self.closed_std = closed_std
        self.listen_in_file = listen_in_file
        # Appended to the configuration file as is ([host] sections).
        self.extra_text = ""
        self.port6 = None
        self.cert = self.key = None
        self.keys = {
            "anonymous": "yes" if anonymous else "no",
            "anon_root": str(self.anon_root),
            "anon_user": self.anon.pw_name,
            "anon_upload": "yes" if anon_upload else "no",
            "system_users": "yes" if system_users else "no",
            "deny_file": str(self.deny_path),
            "run_dir": str(self.run_dir),
            "empty_dir": str(self.empty_dir),
            "nopriv_user": "nobody",
            "log": "stderr",
            "log_level": "debug",
            "tls": tls,
            "pasv_address": HOST,
            "idle_timeout": "120",
            "data_timeout": "60",
        }
        if tls != "off" or implicit_tls:
            self.cert, self.key = cert_pair()
            self.keys["tls_cert"] = str(self.cert)
            self.keys["tls_key"] = str(self.key)
            if tls == "off":
                self.keys["tls"] = "on"
        if self.users:
            self.keys["users_file"] = str(self.users_path)
        if anon_upload:
            up = self.anon_root / "upload"
            up.mkdir()
            if is_root():
                os.chown(up, self.anon.pw_uid, self.anon.pw_gid)
            else:
                os.chmod(up, 0o755)
        self.deny = ["root"] + list(deny)
        self.keys.update({k: str(v) for k, v in (conf or {}).items()})
        for name in self.users:
            self.home(name).mkdir(parents=True, exist_ok=True)

    # -- paths and urls

    def home(self, name):
        return self.homes / name

    def url(self, path="", user=None, password=None, scheme="ftp"):
        cred = ""
        if user is not None:
            cred = user if password is None else f"{user}:{password}"
            cred += "@"
        port = self.tls_port if scheme == "ftps" else self.port
        host = HOST
        if scheme == "ftp6":
            scheme, host, port = "ftp", "[::1]", self.port6
        return f"{scheme}://{cred}{host}:{port}/{path.lstrip('/')}"

    def give(self, name):
        """chown a virtual user's home (and all in it) to that user, for
        files a test created as root after the server started."""
        chown_tree(self.home(name), self.vuid, self.vgid)

    # -- lifecycle

    def _write_files(self):
        lines = [f"{k} = {v}" for k, v in self.keys.items()]
        self.conf_path.write_text("# written by test/integration/harness.py\n"
                                  + "\n".join(lines) + "\n"
                                  + self.extra_text)
        self.deny_path.write_text("".join(n + "\n" for n in self.deny))
        if self.users:
            with open(self.users_path, "w") as f:
                for name, password in self.users.items():
                    f.write(f"{name}:{crypt_hash(password)}:{self.vuid}:"
                            f"{self.vgid}:test user:{self.home(name)}:"
                            f"/bin/bash\n")
            os.chmod(self.users_path, 0o600)
        for name in self.users:
            self.give(name)

    def start(self):
        if not FTPD.exists():
            raise TestFailure(f"{FTPD} not built (run make)")
        self.port = free_port()
        listen = f"{HOST}:{self.port}"
        if self.ipv6:
            self.port6 = free_port6()
            listen += f", [::1]:{self.port6}"
        args = [str(FTPD), "-f", str(self.conf_path)]
        if self.listen_in_file:
            self.keys["listen"] = listen
        else:
            args += ["-o", f"listen={listen}"]
        self._write_files()
        if self.implicit_tls:
            self.tls_port = free_port()
            args += ["-o", f"implicit_tls_listen={HOST}:{self.tls_port}"]
        env = dict(os.environ)
        env.setdefault(TOKEN_VAR, secrets.token_hex(8))
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        self.logf = open(self.log_path, "wb")
        for attempt in range(50):
            try:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=self.logf,
                    stderr=self.logf, env=env, start_new_session=True,
                    cwd=str(self.tmp), preexec_fn=_close_std
                    if self.closed_std else None)
                break
            except (PermissionError, OSError) as e:
                # ETXTBSY/EACCES while make relinks the binary.
                if attempt == 49 or e.errno not in (errno.ETXTBSY,
                                                    errno.EACCES):
                    raise
                time.sleep(0.1)
        deadline = time.monotonic() + 10 * SLOW
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise TestFailure(f"ftpd exited with {rc} at start-up:\n"
                                  + self.log_tail())
            if _listening(self.port) and (
                    self.tls_port is None or _listening(self.tls_port)) and (
                    self.port6 is None or _listening6(self.port6)):
                return self
            if time.monotonic() > deadline:
                raise TestFailure("ftpd did not listen within "
                                  f"{10 * SLOW}s:\n" + self.log_tail())
            time.sleep(0.02)

    def stop(self):
        """SIGTERM the master, SIGKILL after 5 s, then kill anything left in
        its process group.  Returns the exit status."""
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        rc = None
        with contextlib.suppress(ProcessLookupError):
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=5 * SLOW)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            rc = p.wait(timeout=10)
        # Sessions the master did not take down with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)
        self.logf.close()
        return rc

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=80):
        lines = self.log().splitlines()
        return "\n".join(lines[-n:])

    def sanitizer_errors(self):
        text = self.log()
        for marker in ("ERROR: AddressSanitizer", "runtime error:",
                       "ERROR: LeakSanitizer"):
            if marker in text:
                return marker
        return None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup(failed=True)
            raise

    def __exit__(self, et, ev, tb):
        failed = et is not None
        self.cleanup(failed)
        return False

    def cleanup(self, failed):
        self.stop()
        bad = self.sanitizer_errors()
        if failed or bad:
            print(f"--- ftpd log ({self.log_path}) ---\n{self.log_tail()}\n"
                  "--- end of log ---", flush=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if bad and not failed:
            raise TestFailure(f"sanitizer report in ftpd log: {bad}")

    # -- clients

    def ftp(self, user="anonymous", password="test@example.org",
            login=True, timeout=30):
        """A logged-in ftplib.FTP (passive mode)."""
        f = ftplib.FTP(timeout=timeout * SLOW)
        f.connect(HOST, self.port)
        if login:
            f.login(user, password)
        return f

    def raw(self, timeout=30):
        """A RawControl connected to the control port (220 read)."""
        c = RawControl(HOST, self.port, timeout * SLOW)
        code, text = c.reply()
        check(code == 220, f"greeting: {code} {text!r}")
        return c


def recv_all(sock, tolerate_errors=False):
    """Read sock to EOF and close it.  With tolerate_errors, a reset or a
    timeout ends the read and what arrived so far is returned."""
    chunks = []
    with sock:
        try:
            while True:
                c = sock.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except OSError:
            if not tolerate_errors:
                raise
    return b"".join(chunks)


def wait_lines(path, n, timeout=5):
    """The lines of a log file once it has at least n (the monitor writes
    xferlog lines after the reply), or what it has after timeout s."""
    deadline = time.monotonic() + timeout * SLOW
    lines = []
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= n or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@contextlib.contextmanager
def inetd_session(srv, log_name="inetd.log"):
    """ftpd -i serving one connection, as inetd would start it: yields
    (client socket, process).  The process is killed if still running at
    the end; its stderr goes to srv.tmp / log_name."""
    lsock = socket.socket()
    lsock.bind((HOST, 0))
    lsock.listen(1)
    client = socket.create_connection(lsock.getsockname(),
                                      timeout=30 * SLOW)
    conn, _ = lsock.accept()
    lsock.close()
    log = open(srv.tmp / log_name, "wb")
    p = subprocess.Popen([str(FTPD), "-i", "-f", str(srv.conf_path)],
                         stdin=conn, stdout=conn, stderr=log,
                         start_new_session=True)
    conn.close()
    try:
        yield client, p
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log.close()
        client.close()


def ftplib_on(sock):
    """An ftplib.FTP on an already connected control socket (220 read)."""
    f = ftplib.FTP(timeout=30 * SLOW)
    f.sock = sock
    f.af = sock.family
    f.file = sock.makefile("r", encoding=f.encoding)
    f.welcome = f.getresp()
    return f


def greeting_line(port, timeout=10):
    """Connect, return the first line the server sends (b"" when it closes
    or resets at once): what a refused client sees."""
    data = b""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        with contextlib.suppress(OSError):
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    return data


class RawControl:
    """A bare control connection: send exact bytes, read replies."""

    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.rbuf = b""

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def cmd(self, line):
        """Send one command line, return (code, text) of its reply."""
        self.send(line.encode() + b"\r\n" if isinstance(line, str)
                  else line + b"\r\n")
        return self.reply()

    def _line(self):
        while b"\n" not in self.rbuf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed by server")
            self.rbuf += chunk
            if len(self.rbuf) > 1 << 20:
                raise TestFailure("reply line longer than 1 MiB")
        line, self.rbuf = self.rbuf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One reply, multi-line aware (RFC 959 4.2): (code, full text)."""
        first = self._line()
        if len(first) < 3 or not first[:3].isdigit():
            raise TestFailure(f"malformed reply line: {first!r}")
        code = first[:3]
        lines = [first]
        if first[3:4] == "-":
            for _ in range(100000):
                line = self._line()
                lines.append(line)
                if line.startswith(code + " "):
                    break
            else:
                raise TestFailure("multi-line reply never ended")
        return int(code), "\n".join(lines)

    def closed(self, timeout=10):
        """True if the server closes the connection (EOF or reset) within
        timeout, after any pending replies."""
        self.sock.settimeout(timeout * SLOW)
        try:
            for _ in range(1000):
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False


def expect_code(fn, codes, what=""):
    """Call fn (an ftplib call); check it fails with one of codes (strings
    like "550") or succeeds with one.  Returns the reply text."""
    try:
        resp = fn()
    except ftplib.all_errors as e:
        resp = str(e)
    resp = resp if isinstance(resp, str) else str(resp)
    check(resp[:3] in codes, f"{what}: expected {codes}, got {resp!r}")
    return resp


def retr_started(ftp, path, at_least):
    """Start a binary RETR of path and read at least at_least bytes of it;
    returns the data connection with the rest unread (for ABOR and
    cut-off tests)."""
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd(f"RETR {path}")
    got = 0
    while got < at_least:
        chunk = conn.recv(65536)
        check(chunk, "data connection closed early")
        got += len(chunk)
    return conn


def retr_bytes(ftp, path, rest=None):
    """RETR path in binary over ftp; return the bytes."""
    chunks = []
    ftp.retrbinary(f"RETR {path}", chunks.append, rest=rest)
    return b"".join(chunks)


def stor_bytes(ftp, path, data, cmd="STOR"):
    import io
    return ftp.storbinary(f"{cmd} {path}", io.BytesIO(data))
