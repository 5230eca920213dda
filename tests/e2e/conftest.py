"""End-to-end test harness: runs the real quicktools binary on real SQLite files.

QUICKTOOLS_BIN (set by CTest) names the binary. Fixtures:
  qt          -- run the binary: qt("db", "status", db=path, json=True) -> Result
  make_db     -- make_db(users=10, state="legacy", drift=False) -> path of a fresh database
  sqlite      -- sqlite(path, "SELECT ...") -> list of rows (a plain Python connection)
  stripe_api  -- a local Stripe stand-in on 127.0.0.1 (stripe_fixtures.py, stripe_standin.py)
  stripe_api_tls -- the same over https, for live keys (STRIPE_CA_BUNDLE in its env())
"""
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stripe_fixtures import stripe_api, stripe_api_tls  # noqa: F401  (the Stripe stand-in fixtures)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
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
    return Path(path)


@pytest.fixture
def make_db(tmp_path):
    counter = iter(range(1000))

    def make(**kw):
        return make_database(tmp_path / f"db{next(counter)}.db", **kw)
    return make


def query(path, sql, params=()):
    con = sqlite3.connect(str(path))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture
def sqlite():
    return query


def dump(path):
    """Everything in a database (schema and rows), to check that nothing changed."""
    con = sqlite3.connect(str(path))
    try:
        return list(con.iterdump())
    finally:
        con.close()
