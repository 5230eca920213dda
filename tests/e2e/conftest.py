"""End-to-end test harness: runs the real quicktools binary on real SQLite files and on a
throwaway PostgreSQL server.

QUICKTOOLS_BIN (set by CTest) names the binary. Fixtures:
  qt          -- run the binary: qt("db", "status", db=path, json=True) -> Result
  make_db     -- make_db(users=10, state="legacy", drift=False) -> path of a fresh database;
                 make_db(engine, users=...) -> the --db target on that engine ("sqlite": a path,
                 "postgres": a postgresql:// URL of a fresh database on pg_server)
  engine      -- parametrised "sqlite" and "postgres": def test_x(engine, make_db, qt): db = make_db(engine)
  pg_server   -- the session's PostgreSQL 15 cluster (tests/tools/pg_cluster.py, one per xdist worker):
                 .host, .port, .superuser, .password_user, .password, .url(dbname, user=, password=),
                 .env(dbname) (PGHOST/PGPORT/PGUSER/PGDATABASE), .psql(dbname, sql), .restart()
  pg_url      -- a fresh empty database per test: postgresql://postgres@127.0.0.1:PORT/DBNAME
  sqlite      -- sqlite(path, "SELECT ...") -> list of rows (a plain Python connection)
  stripe_api  -- a local Stripe stand-in on 127.0.0.1 (stripe_fixtures.py, stripe_standin.py)
  stripe_api_tls -- the same over https, for live keys (STRIPE_CA_BUNDLE in its env())
  new_db      -- new_db(engine, *ids): a new database (`db init`) with these users signed up, as the
                 Stripe tests start from (a PgTarget on PostgreSQL)
query(target, sql), execute(target, sql) and dump(target) take a path or a postgresql:// URL;
make_target(engine, tmp_path, **kw) is make_db outside a fixture.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stripe_fixtures import stripe_api, stripe_api_tls  # noqa: F401  (the Stripe stand-in fixtures)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tools"))
import pg_cluster  # noqa: E402  (tests/tools/pg_cluster.py)
BIN = os.environ.get("QUICKTOOLS_BIN", str(ROOT / "build" / "quicktools"))
MAKE_DB = ROOT / "tests" / "tools" / "make_legacy_db.py"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a crash harness, a real terminal or a large database; CI runs them, "
                                       "`./scripts/dev.sh test --quick` leaves them out")


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


def qt_command(args, db=None, json_out=False, env=None):
    """The command line and environment of one run: no QUICKTOOLS_DB or STRIPE_* from outside."""
    cmd = [BIN]
    if db is not None:
        cmd += ["--db", str(db)]
    if json_out:
        cmd.append("--json")
    cmd += [str(a) for a in args]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("QUICKTOOLS_DB", "STRIPE_"))}
    full_env.update(env or {})
    return cmd, full_env


def run_qt(*args, db=None, json_out=False, input=None, env=None, timeout=120, cwd=None):
    cmd, full_env = qt_command(args, db, json_out, env)
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, env=full_env, timeout=timeout,
                       cwd=cwd)
    return Result(p.returncode, p.stdout, p.stderr)


def start_qt(*args, db=None, env=None):
    """Starts the binary without waiting: a Popen with text stdout and stderr pipes."""
    cmd, full_env = qt_command(args, db, False, env)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)


@pytest.fixture
def qt():
    def call(*args, db=None, json=False, **kw):
        return run_qt(*args, db=db, json_out=json, **kw)
    return call


def make_database(path, users=10, state="legacy", drift=False, seed=7, tasks_per_user=0):
    args = [sys.executable, str(MAKE_DB), str(path), "--users", str(users), "--state", state, "--seed", str(seed),
            "--tasks-per-user", str(tasks_per_user)]
    if drift:
        args.append("--drift")
    subprocess.run(args, check=True)
    return str(path) if is_url(path) else Path(path)


ENGINES = ["sqlite", "postgres"]
_pg = {"cluster": None, "databases": 0}


def pg_server_instance():
    """This process's PostgreSQL cluster, started on first use (each xdist worker has its own;
    its watchdog stops it and removes its folder when the process ends, however it ends)."""
    if _pg["cluster"] is None:
        _pg["cluster"] = pg_cluster.Cluster(fast=True).start()
    return _pg["cluster"]


def is_url(target):
    return str(target).startswith(("postgresql://", "postgres://"))


def new_name():
    """A name unique in this run: for a database on the server (shared by the tests of this
    process) or a file."""
    _pg["databases"] += 1
    return f"qt_{os.getpid()}_{_pg['databases']}"


def make_target(engine, tmp_path, **kw):
    """make_database on either engine: a file under tmp_path, or a new database on this
    process's server (its URL). kw as make_database's."""
    if engine == "sqlite":
        return make_database(Path(tmp_path) / f"{new_name()}.db", **kw)
    if engine != "postgres":
        raise ValueError(f"unknown engine {engine}")
    url = pg_server_instance().url(new_name())
    make_database(url, **kw)
    return url


class PgTarget(str):
    """A postgresql:// URL that, like a database file's path, has a .parent: the test's folder
    for the files it writes beside its database (events files)."""

    def __new__(cls, url, parent):
        target = super().__new__(cls, url)
        target.parent = Path(parent)
        return target


def drop_pg_database(url):
    """Drops a test database (a server a test stopped is left as it is)."""
    cluster = _pg["cluster"]
    if cluster is not None:
        cluster.psql("postgres", f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)', check=False)


def pytest_sessionfinish(session):
    """The server a test started through make_db or make_target stops with the session (its
    watchdog would stop it when this process ends anyway)."""
    if _pg["cluster"] is not None:
        _pg["cluster"].stop()
        _pg["cluster"] = None


@pytest.fixture(scope="session")
def pg_server():
    cluster = pg_server_instance()
    yield cluster
    cluster.stop()
    _pg["cluster"] = None


@pytest.fixture
def pg_url(pg_server):
    url = pg_server.create_database(new_name())
    yield url
    drop_pg_database(url)


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture
def new_db(tmp_path):
    from stripe_events import new_database
    counter, made = iter(range(1000)), []

    def make(engine, *ids, name="quicktools"):
        if engine == "sqlite":
            return new_database(tmp_path / f"{name}{next(counter)}.db", *ids)
        made.append(PgTarget(pg_server_instance().create_database(new_name()), tmp_path))
        return new_database(made[-1], *ids)
    yield make
    for url in made:
        drop_pg_database(url)


@pytest.fixture
def make_db(tmp_path):
    counter = iter(range(1000))
    made = []

    def make(engine="sqlite", **kw):
        if engine == "sqlite":
            return make_database(tmp_path / f"db{next(counter)}.db", **kw)
        made.append(make_target(engine, tmp_path, **kw))
        return made[-1]
    yield make
    for url in made:
        drop_pg_database(url)


def pg_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def pg_bind(sql, params):
    """sqlite3's ? placeholders filled in as SQL literals (outside quoted text)."""
    out, values, quote = [], iter(params), None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append(pg_literal(next(values)))
            continue
        out.append(ch)
    return "".join(out)


PG_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$")


def pg_value(v):
    """A value as the SQLite side gives it: TIMESTAMP columns as 'YYYY-MM-DD HH:MM:SS.ffffff'
    (as the web app writes them there); BOOLEANs stay True/False (== 1/0)."""
    if isinstance(v, str):
        m = PG_TIMESTAMP.match(v)
        if m:
            return f"{m.group(1)} {m.group(2)}.{(m.group(3) or '').ljust(6, '0')}"
    return v


def pg_query(url, sql, params=()):
    """Rows of one statement on PostgreSQL, as tuples of Python values (through psql and JSON;
    a statement that returns no rows, e.g. an UPDATE, returns [])."""
    sql = pg_bind(sql.strip().rstrip(";"), params)
    returns_rows = re.match(r"(?is)^\s*(select|with|values|table)\b", sql)
    psql = [os.path.join(pg_cluster.bindir(), "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url]
    text = f"SELECT coalesce(json_agg(q), '[]') FROM ({sql}) q" if returns_rows else sql
    p = subprocess.run(psql, input=text, capture_output=True, text=True, env=pg_cluster.clean_env())
    if p.returncode != 0:
        raise RuntimeError(f"psql: {p.stderr.strip()}")
    if not returns_rows:
        return []
    rows = json.loads(p.stdout, object_pairs_hook=lambda pairs: tuple(pg_value(v) for _, v in pairs))
    return list(rows)


def query(path, sql, params=()):
    if is_url(path):
        return pg_query(str(path), sql, params)
    con = sqlite3.connect(str(path))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def execute(path, sql, params=()):
    """Runs a statement that changes the database and commits it."""
    if is_url(path):
        pg_query(str(path), sql, params)
        return
    con = sqlite3.connect(str(path))
    try:
        with con:
            con.execute(sql, params)
    finally:
        con.close()


@pytest.fixture
def sqlite():
    return query


def dump(path):
    """Everything in a database (schema and rows), to check that nothing changed. On PostgreSQL:
    pg_dump's schema, then its rows (one INSERT each, sorted)."""
    if is_url(path):
        pg_dump = os.path.join(pg_cluster.bindir(), "pg_dump")
        run = lambda *a: subprocess.run([pg_dump, "--no-owner", *a, "-d", str(path)], capture_output=True,  # noqa
                                        text=True, check=True, env=pg_cluster.clean_env()).stdout.splitlines()
        keep = lambda line: line and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict",
                                                          "\\unrestrict"))  # noqa
        return ([line for line in run("--schema-only") if keep(line)]
                + sorted(line for line in run("--data-only", "--inserts") if keep(line)))
    con = sqlite3.connect(str(path))
    try:
        return list(con.iterdump())
    finally:
        con.close()
