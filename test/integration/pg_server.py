"""pg_server.py - a real PostgreSQL for the account tests.

    with PostgresServer() as pg:
        pg.load_schema()                       # etc/ftpd-accounts.sql
        pg.add_account("bob", "pw", 47001, 47001, "/home/bob")
        conf = pg.ftpd_conf()                  # accounts keys for Server

initdb into a fresh temporary directory, owned by the postgres system
user (initdb and postgres refuse root); the server listens only on a
Unix socket in that directory (listen_addresses = '').  The database
"ftp" belongs to a role "ftpd" that logs in with a password
(scram-sha-256), which ftpd reads from a 0600 root file.  stop() and
start() stop and start the same cluster (to test an outage); the
context exit stops it by PID and removes the directory.
"""

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness import REPO, Skip, crypt_hash, is_root

PG_BIN = Path("/usr/lib/postgresql")
SCHEMA = REPO / "etc" / "ftpd-accounts.sql"


def _bindir():
    if not PG_BIN.is_dir():
        return None
    versions = sorted((p for p in PG_BIN.iterdir()
                       if (p / "bin" / "initdb").exists()),
                      key=lambda p: int(p.name) if p.name.isdigit() else 0)
    return versions[-1] / "bin" if versions else None


class PostgresServer:
    def __init__(self):
        if not is_root():
            raise Skip("PostgreSQL tests need root (to run it as postgres)")
        self.bin = _bindir()
        if self.bin is None:
            raise Skip("PostgreSQL server not installed (postgresql)")
        try:
            self.pw = pwd.getpwnam("postgres")
        except KeyError:
            raise Skip("no postgres system user")
        self.dir = Path(tempfile.mkdtemp(prefix="ftpd-pg-"))
        os.chmod(self.dir, 0o755)
        self.data = self.dir / "data"
        self.sock = self.dir / "sock"
        self.sock.mkdir()
        os.chmod(self.sock, 0o755)
        os.chown(self.sock, self.pw.pw_uid, self.pw.pw_gid)
        self.password = secrets.token_hex(12)
        self.password_file = self.dir / "dbpass"
        self.password_file.write_text(self.password + "\n")
        os.chmod(self.password_file, 0o600)
        self.proc = None

    def _as_pg(self, argv, timeout=60, input=None):
        def drop():
            os.setgid(self.pw.pw_gid)
            os.setuid(self.pw.pw_uid)
        p = subprocess.run([str(a) for a in argv], preexec_fn=drop,
                           capture_output=True, timeout=timeout,
                           input=input, cwd=self.dir)
        if p.returncode != 0:
            raise RuntimeError(f"{argv[0]}: {p.stderr.decode()[-2000:]}")
        return p.stdout.decode()

    def __enter__(self):
        try:
            os.chown(self.dir, self.pw.pw_uid, self.pw.pw_gid)
            pwfile = self.dir / "initpw"
            self._as_pg([self.bin / "initdb", "-D", self.data, "-U",
                         "postgres", "--auth-local=peer",
                         "--auth-host=reject", "-E", "UTF8", "--no-sync"],
                        timeout=120)
            os.chown(self.dir, 0, 0)
            hba = self.data / "pg_hba.conf"
            hba.write_text("local all postgres peer\n"
                           "local all all scram-sha-256\n")
            self.start()
            self.psql("CREATE ROLE ftpd LOGIN PASSWORD "
                      f"'{self.password}'", db="postgres")
            self.psql("CREATE DATABASE ftp OWNER ftpd", db="postgres")
            del pwfile
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def start(self):
        def drop():
            os.setsid()
            os.setgid(self.pw.pw_gid)
            os.setuid(self.pw.pw_uid)
        self.log = open(self.dir / "pg.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-c",
             "listen_addresses=", "-c",
             f"unix_socket_directories={self.sock}", "-c", "fsync=off",
             "-c", "max_connections=50"],
            preexec_fn=drop, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            p = subprocess.run([str(self.bin / "pg_isready"), "-h",
                                str(self.sock), "-t", "1"],
                               capture_output=True, timeout=10)
            if p.returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("postgres did not start: " +
                           (self.dir / "pg.log").read_text()[-2000:])

    def stop(self):
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)   # fast shutdown
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None
        self.log.close()

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def psql(self, sql, db="ftp", user="postgres"):
        """Run sql as the superuser (peer authentication); stdout."""
        return self._as_pg(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "-h", self.sock, "-U", user, "-d", db,
                            "-At", "-c", sql])

    def load_schema(self):
        self._as_pg(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                     self.sock, "-d", "ftp", "-f", "-"],
                    input=SCHEMA.read_bytes())
        self.psql("GRANT ALL ON ALL TABLES IN SCHEMA public TO ftpd")

    def add_account(self, name, password, uid, gid, home, enabled=1):
        h = crypt_hash(password).replace("'", "''")
        n = name.replace("'", "''")
        self.psql("INSERT INTO ftp_accounts (name, password, uid, gid, "
                  f"home, enabled) VALUES ('{n}', '{h}', {uid}, {gid}, "
                  f"'{home}', {enabled})")

    def dsn(self):
        return f"host={self.sock} dbname=ftp user=ftpd"

    def ftpd_conf(self, **more):
        conf = {"accounts": "sql", "sql_driver": "postgresql",
                "sql_dsn": self.dsn(),
                "sql_password_file": str(self.password_file)}
        conf.update(more)
        return conf
