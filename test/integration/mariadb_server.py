"""mariadb_server.py - a real, throwaway MariaDB for the account tests.

    from mariadb_server import MariaDB

    with MariaDB() as db:                      # Skip if not installed
        db.add_account("alice", "pw", uid, gid, home)
        conf = {"accounts": "sql", "sql_driver": "mysql",
                "sql_dsn": db.dsn(),
                "sql_password_file": db.password_file(dir)}
        db.stop(); db.start()                  # the same data again

Debian's mariadbd runs from a fresh temporary directory: its data
directory made by mariadb-install-db, its Unix socket there, and a free
loopback TCP port (127.0.0.1 only, so the account service may use
either transport).  A database "ftp" holds etc/ftpd-accounts.sql, loaded
unchanged with the mariadb client, and a SQL user "ftpd" with a random
password may SELECT from it, from the socket and from 127.0.0.1.

Every wait is bounded; the server is stopped by its PID (SIGTERM, then
SIGKILL) and the directory removed, also when the test fails.  Only the
Python standard library and the Debian programs are used.
"""

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from harness import REPO, SLOW, Skip, TestFailure, crypt_hash, is_root

SCHEMA = REPO / "etc" / "ftpd-accounts.sql"
DATABASE = "ftp"
SQL_USER = "ftpd"
PROGRAMS = ("mariadbd", "mariadb-install-db", "mariadb")
# Debian installs the server in /usr/sbin, not always on a user's PATH.
SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def find_programs():
    """{name: path} of the MariaDB programs; Skip if one is missing."""
    found = {}
    for name in PROGRAMS:
        path = shutil.which(name, path=SEARCH)
        if path is None:
            raise Skip(f"{name} not installed (apt-get install "
                       "mariadb-server mariadb-client)")
        found[name] = path
    return found


def sql_str(value):
    """value as a MariaDB hex literal: no quoting or escaping to get
    wrong, whatever bytes it holds."""
    data = value.encode() if isinstance(value, str) else bytes(value)
    return f"X'{data.hex()}'" if data else "''"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port):
    """True when something listens on 127.0.0.1:port (from /proc, no
    connection made)."""
    want = f"{socket.htonl(0x7f000001):08X}:{port:04X}"
    with open("/proc/net/tcp") as f:
        return any(p[3] == "0A" and p[1] == want
                   for p in (line.split() for line in f.readlines()[1:]))


class MariaDB:
    """One mariadbd in a temporary directory (see the module doc)."""

    def __init__(self):
        self.bin = find_programs()
        self.dir = Path(tempfile.mkdtemp(prefix="ftpd-mariadb-"))
        # The account service runs as an unprivileged uid of its own and
        # must reach the socket in here.
        os.chmod(self.dir, 0o755)
        self.data = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"
        self.log_path = self.dir / "mariadbd.log"
        self.port = None
        self.proc = None
        self.logf = None
        self.password = "p" + secrets.token_hex(12)
        atexit.register(self.close)

    # -- lifecycle

    def __enter__(self):
        try:
            self._install()
            self.start()
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _server_args(self):
        args = [self.bin["mariadbd"], "--no-defaults",
                f"--datadir={self.data}", f"--socket={self.socket}",
                f"--pid-file={self.dir / 'mariadbd.pid'}",
                "--bind-address=127.0.0.1", f"--port={self.port}",
                "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=4M", "--performance-schema=off",
                "--skip-log-bin", f"--tmpdir={self.dir}",
                # Debian's own configuration says so (--no-defaults
                # drops it); the built-in default is still latin1.
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci"]
        if is_root():
            args.append("--user=root")
        return args

    def _install(self):
        args = [self.bin["mariadb-install-db"], "--no-defaults",
                f"--datadir={self.data}", "--skip-test-db",
                # Its own temporary directory: the bootstrap's temporary
                # tables have names that two runs at once share in /tmp.
                f"--tmpdir={self.dir}",
                "--auth-root-authentication-method=normal",
                "--innodb-log-file-size=4M"]
        if is_root():
            args.append("--user=root")
        try:
            p = subprocess.run(args, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=120 * SLOW)
        except subprocess.TimeoutExpired:
            raise TestFailure("mariadb-install-db took over 120 s")
        if p.returncode != 0:
            raise TestFailure("mariadb-install-db failed:\n"
                              + p.stdout.decode(errors="replace")[-2000:]
                              + p.stderr.decode(errors="replace")[-2000:])

    def start(self, timeout=60):
        """Start mariadbd on the data there is; return once it answers.
        The port stays the same across a stop() and start()."""
        if self.proc is not None:
            return
        if self.port is None:
            self.port = _free_port()
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self._server_args(),
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout * SLOW
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise TestFailure(f"mariadbd exited with {rc}:\n"
                                  + self.log_tail())
            if self.socket.is_socket() and _listening(self.port) and \
                    self._ping():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise TestFailure(f"mariadbd not ready in {timeout}s:\n"
                                  + self.log_tail())
            time.sleep(0.1)

    def _ping(self):
        p = subprocess.run(self._client() + ["-e", "SELECT 1"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=30)
        return p.returncode == 0

    def stop(self, timeout=30):
        """SIGTERM mariadbd (by its PID), SIGKILL after timeout seconds."""
        p, self.proc = self.proc, None
        if p is None:
            return
        with contextlib.suppress(ProcessLookupError):
            p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                p.kill()
            p.wait(timeout=30)
        if self.logf is not None:
            self.logf.close()
            self.logf = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=30):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    # -- SQL as the administrator

    def _client(self, database=None):
        args = [self.bin["mariadb"], "--no-defaults",
                f"--socket={self.socket}", "--user=root",
                "--default-character-set=utf8mb4",
                "--batch", "--skip-column-names"]
        if database:
            args.append(f"--database={database}")
        return args

    def sql(self, text, database=DATABASE, check_rc=True):
        """Run SQL text as root with the mariadb client; its output."""
        try:
            p = subprocess.run(self._client(database), input=text.encode(),
                               capture_output=True, timeout=60 * SLOW)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"mariadb client timed out on: {text[:200]}")
        if check_rc and p.returncode != 0:
            raise TestFailure(f"SQL failed: {text[:500]}\n"
                              + p.stderr.decode(errors="replace"))
        return p.stdout.decode(errors="replace")

    def _setup(self):
        self.sql(f"CREATE DATABASE {DATABASE};", database=None)
        with open(SCHEMA, "rb") as f:
            p = subprocess.run(self._client(DATABASE), stdin=f,
                               capture_output=True, timeout=60 * SLOW)
        if p.returncode != 0:
            raise TestFailure(f"loading {SCHEMA} failed:\n"
                              + p.stderr.decode(errors="replace"))
        grants = []
        for host in ("localhost", "127.0.0.1"):
            grants.append(f"CREATE USER '{SQL_USER}'@'{host}' IDENTIFIED "
                          f"BY '{self.password}';")
            grants.append(f"GRANT SELECT ON {DATABASE}.* TO "
                          f"'{SQL_USER}'@'{host}';")
        self.sql("\n".join(grants), database=None)

    # -- what ftpd is given

    def dsn(self, tcp=False, user=SQL_USER):
        """sql_dsn for sql_driver = mysql: the socket, or 127.0.0.1."""
        where = (f"host=127.0.0.1 port={self.port}" if tcp
                 else f"socket={self.socket}")
        return f"{where} database={DATABASE} user={user}"

    def password_file(self, directory, password=None):
        """The SQL user's password in directory/sql-password, mode 0600
        (root's when run as root), with the trailing newline an editor
        leaves."""
        path = Path(directory) / "sql-password"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write((self.password if password is None else password)
                    + "\n")
        os.chmod(path, 0o600)
        return path

    # -- accounts

    def add_account(self, name, password, uid, gid, home, enabled=1,
                    **cols):
        """A row of ftp_accounts; password hashed with crypt(3) SHA-512
        (a value starting with '$' is taken as a hash already)."""
        row = {"name": name,
               "password": password if password.startswith("$")
               else crypt_hash(password),
               "uid": uid, "gid": gid, "home": str(home),
               "enabled": enabled, **cols}
        names = ", ".join(row)
        values = ", ".join("NULL" if v is None else
                           str(v) if isinstance(v, int) else sql_str(v)
                           for v in row.values())
        self.sql(f"INSERT INTO ftp_accounts ({names}) VALUES ({values});")

    def accounts(self):
        """The names in ftp_accounts, sorted."""
        out = self.sql("SELECT name FROM ftp_accounts ORDER BY name;")
        return out.splitlines()
