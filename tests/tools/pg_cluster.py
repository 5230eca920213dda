#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for the test suite and the benchmarks.

    from pg_cluster import Cluster
    with Cluster() as pg:                  # initdb in a temporary folder, then pg_ctl start
        pg.create_database("t1")
        pg.url("t1")                       # postgresql://postgres@127.0.0.1:PORT/t1
        pg.psql("t1", "SELECT 1")

    pg_cluster.py [--keep-running]         # by hand: start one and print its URL

The cluster is Debian's PostgreSQL (the newest /usr/lib/postgresql/N/bin, 15 preferred;
QT_PG_BINDIR overrides). It listens on 127.0.0.1 only, on a free port, with its unix socket in
the temporary folder. Authentication: `trust` for local connections and for the superuser
`postgres` on 127.0.0.1; SCRAM (a password) for PASSWORD_USER, so a test can check PGPASSWORD
and that a password never shows in output. Run as root (as CI does), initdb and postgres run as
`nobody` (setpriv), the folder chowned to it: PostgreSQL refuses to run as root.

A small watchdog process holds the other end of a pipe from the process that started the
cluster. When that process ends in any way (stop(), an exception, kill -9), the pipe closes and
the watchdog stops the server (pg_ctl -m immediate) and removes the folder, so a crashed test
run leaves neither a server nor files behind.

`fast=True` (the tests) turns durability off (fsync, synchronous_commit, full_page_writes);
the benchmarks keep it on so the server does the work a real one does.
"""
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

SUPERUSER = "postgres"
PASSWORD_USER = "qt_password_user"
PASSWORD = "s3cret-Pa55word-do-not-print"
UNPRIVILEGED = "nobody"


def bindir():
    if os.environ.get("QT_PG_BINDIR"):
        return os.environ["QT_PG_BINDIR"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    preferred = [p for p in found if "/postgresql/15/" in p]
    if not (preferred or found):
        raise RuntimeError("no PostgreSQL server found under /usr/lib/postgresql "
                           "(Debian's postgresql-15; ./scripts/dev.sh test installs it)")
    return os.path.dirname((preferred or found)[-1])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    """The environment without libpq's variables, so nothing from outside picks a server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def world_traversable(path):
    """True when every folder on the way to path lets others in (for the unprivileged user)."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


class Cluster:
    def __init__(self, fast=True, settings=None, base=None):
        self.fast = fast
        self.settings = settings or {}
        self.base = base
        self.bin = bindir()
        self.host = "127.0.0.1"
        self.port = None
        self.superuser = SUPERUSER
        self.password_user = PASSWORD_USER
        self.password = PASSWORD
        self.dir = None
        self.watchdog = None
        self.as_user = None  # (uid, gid) when run as root

    # --- the server ---------------------------------------------------------------------

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def socket_dir(self):
        return os.path.join(self.dir, "socket")

    def _as_server(self, cmd):
        if self.as_user is None:
            return cmd
        uid, gid = self.as_user
        return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"] + cmd

    def _run(self, cmd, **kw):
        p = subprocess.run(self._as_server(cmd), cwd=self.dir, env=clean_env(), capture_output=True, text=True, **kw)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip() or p.stdout.strip()}")
        return p

    def start(self):
        base = self.base or tempfile.gettempdir()
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            self.as_user = (user.pw_uid, user.pw_gid)
            if not world_traversable(base):
                base = "/tmp"
        self.dir = tempfile.mkdtemp(prefix="qt-pg-", dir=base)
        os.mkdir(self.socket_dir)
        if self.as_user:
            for path in (self.dir, self.socket_dir):
                os.chown(path, *self.as_user)
        self._start_watchdog()
        self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", self.superuser, "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync", "--auth-local=trust", "--auth-host=trust"])
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("# written by pg_cluster.py: the password user needs its password, others are trusted\n"
                    "local all all trust\n"
                    f"host all {self.password_user} 127.0.0.1/32 scram-sha-256\n"
                    "host all all 127.0.0.1/32 trust\n")
        last = None
        for _ in range(5):  # another process may take the free port between the probe and the bind
            self.port = free_port()
            self._write_conf()
            try:
                self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                           "-w", "-t", "60", "start"], start_new_session=True)
                break
            except RuntimeError as e:
                last = e
        else:
            raise RuntimeError(f"PostgreSQL did not start: {last}\n{self.log_tail()}")
        self.psql("postgres", f"CREATE ROLE {self.password_user} LOGIN SUPERUSER PASSWORD '{self.password}'")
        return self

    def _write_conf(self):
        conf = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                "unix_socket_directories": f"'{self.socket_dir}'", "max_connections": "60",
                "password_encryption": "'scram-sha-256'", "dynamic_shared_memory_type": "posix",
                "log_min_messages": "warning", "log_statement": "'none'", "timezone": "'UTC'"}
        if self.fast:
            conf.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                         "shared_buffers": "32MB", "max_wal_size": "256MB"})
        else:
            conf.update({"shared_buffers": "256MB", "max_wal_size": "2GB", "checkpoint_timeout": "15min"})
        conf.update(self.settings)
        with open(os.path.join(self.data, "postgresql.auto.conf"), "w") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in conf.items()))

    def _start_watchdog(self):
        cmd = [sys.executable, os.path.abspath(__file__), "--watchdog", self.dir, self.bin]
        if self.as_user:
            cmd += [str(self.as_user[0]), str(self.as_user[1])]
        self.watchdog = subprocess.Popen(cmd, stdin=subprocess.PIPE, start_new_session=True, env=clean_env())

    def stop(self):
        """Stops the server and removes its folder (the watchdog does both once the pipe closes)."""
        if self.watchdog is None:
            return
        self.watchdog.stdin.close()
        try:
            self.watchdog.wait(timeout=60)
        finally:
            self.watchdog = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self, lines=20):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def server_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def restart(self, mode="fast"):
        """Restarts the server (for fault tests): every connection is cut."""
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                   "-w", "-t", "60", "-m", mode, "restart"], start_new_session=True)

    # --- clients ------------------------------------------------------------------------

    def url(self, dbname="postgres", user=None, password=None):
        """postgresql://USER@127.0.0.1:PORT/DBNAME (the password only when asked for)."""
        user = user or self.superuser
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def env(self, dbname="postgres", user=None):
        """libpq's environment naming this server (PGHOST, PGPORT, PGUSER, PGDATABASE)."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": user or self.superuser,
                "PGDATABASE": dbname}

    def psql_command(self, dbname="postgres", user=None):
        return [os.path.join(self.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host,
                "-p", str(self.port), "-U", user or self.superuser, "-d", dbname]

    def psql(self, dbname, sql, user=None, check=True):
        """Runs SQL through psql; returns the CompletedProcess (unaligned, tuples only output)."""
        p = subprocess.run(self.psql_command(dbname, user) + ["-A", "-t"], input=sql, capture_output=True,
                           text=True, env=clean_env())
        if check and p.returncode != 0:
            raise RuntimeError(f"psql on {dbname}: {p.stderr.strip()}")
        return p

    def create_database(self, name):
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name):
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def watchdog(folder, bin_dir, uid=None, gid=None):
    """Waits until its stdin closes (the owner stopped or died), then stops the server and
    removes the folder."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except OSError:
        pass
    data = os.path.join(folder, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        cmd = [os.path.join(bin_dir, "pg_ctl"), "-D", data, "-w", "-t", "30", "-m", "immediate", "stop"]
        if uid is not None:
            cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"] + cmd
        subprocess.run(cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):  # the postmaster's last children may still be leaving
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.exists(folder):
            break
        time.sleep(0.1)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--watchdog":
        args = sys.argv[2:]
        watchdog(args[0], args[1], *(int(a) for a in args[2:4]))
        return
    with Cluster(fast=True) as pg:
        print(pg.url(), flush=True)
        print(f"password user: {pg.url(user=pg.password_user)} (PGPASSWORD={pg.password})", flush=True)
        if "--keep-running" in sys.argv:
            print("running; Ctrl-C stops it and removes its folder", flush=True)
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
