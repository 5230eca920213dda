"""db init / status / upgrade / verify / backup, and the global rules, on both engines (a real
file, a PostgreSQL database); what is about files (modes, a file that is not a database,
SQLite's write lock) on SQLite only. PostgreSQL's own: test_postgres.py, test_pg_migrations.py,
test_backup_postgres.py."""
import os
import sqlite3
import stat
import subprocess
import threading
import time

import pytest

import pg_cluster
from conftest import dump, execute, is_url, query
from webapp_writer import PsqlSession

CREDIT = ["credits_balance", "credits_purchased_total", "credits_lifetime_used", "api_access_unlocked",
          "last_purchase_date", "last_purchase_amount"]
DEPRECATED = ["subscription_tier", "subscription_status", "stripe_subscription_id", "monthly_credits",
              "credits_used_this_month", "credits_reset_date"]


def columns(path, table="users"):
    if is_url(path):
        return [r[0] for r in query(path, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                          "'public' AND table_name = ? ORDER BY ordinal_position", (table,))]
    return [r[1] for r in query(path, f"PRAGMA table_info({table})")]


def tables(path):
    if is_url(path):
        return {r[0] for r in query(path, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                          "'public' AND table_type = 'BASE TABLE'")}
    return {r[0] for r in query(path, "SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.fixture
def empty(engine, tmp_path, request):
    """Where `db init` makes a new database: a file not there yet, or an empty PostgreSQL database."""
    return tmp_path / "new.db" if engine == "sqlite" else request.getfixturevalue("pg_url")


# --- global behaviour -------------------------------------------------------------------

def test_env_names_the_database(qt, make_db, engine):
    path = make_db(engine)
    r = qt("db", "status", json=True, env={"QUICKTOOLS_DB": str(path)})
    assert r.rc == 0 and r.json["state"] == "legacy"


def test_not_a_database(qt, tmp_path):
    """SQLite only: a file that is not a database."""
    path = tmp_path / "junk.db"
    path.write_text("this is not sqlite at all, just text " * 100)
    before = path.read_bytes()
    r = qt("db", "upgrade", db=path)
    assert r.rc == 1 and "not a SQLite database" in r.err
    assert path.read_bytes() == before


# --- db init ------------------------------------------------------------------------------

def test_init_creates_final_schema(qt, empty):
    path = empty
    r = qt("db", "init", db=path, json=True)
    assert r.rc == 0 and r.json["state"] == "final"
    cols = columns(path)
    assert all(c in cols for c in CREDIT) and not any(c in cols for c in DEPRECATED)
    assert {"users", "api_keys", "tasks", "quicktools_ledger", "quicktools_schema_history"} <= tables(path)
    assert [r[0] for r in query(path, "SELECT version FROM quicktools_schema_history ORDER BY version")] \
        == [1, 2, 3, 4, 5]
    # the web app's default for new users
    execute(path, "INSERT INTO users (email, hashed_password, is_active, created_at) VALUES ('a@b', 'x', TRUE, "
                  "'2026-11-20 10:00:00')")
    assert query(path, "SELECT credits_balance, api_access_unlocked FROM users") == [(10, 0)]
    assert qt("db", "verify", db=path).rc == 0


# --- db status ----------------------------------------------------------------------------

@pytest.mark.parametrize("state,baseline", [("legacy", [1]), ("credit-packs", [1, 2]), ("final", [1, 2, 4])])
def test_status_detects_state(qt, make_db, engine, state, baseline):
    path = make_db(engine, state=state)
    r = qt("db", "status", db=path, json=True)
    assert r.rc == 0
    doc = r.json
    assert doc["state"] == state and doc["has_history"] is False
    assert doc["baseline_to_record"] == baseline
    assert 3 in [p["version"] for p in doc["pending"]]


# --- db upgrade ---------------------------------------------------------------------------

def test_upgrade_dry_run_changes_nothing(qt, make_db, engine):
    path = make_db(engine)
    before = dump(path)
    r = qt("db", "upgrade", "--dry-run", db=path, json=True)
    assert r.rc == 0 and r.json["applied"] == [2, 3, 5] and r.json["baseline"] == [1]
    assert r.json["state_after"] == "credit-packs" and r.json["changed"] is False
    assert dump(path) == before


def test_upgrade_legacy(qt, make_db, engine):
    path = make_db(engine, users=20, drift=True)
    users_before = query(path, "SELECT id, email, subscription_tier, monthly_credits FROM users ORDER BY id")
    r = qt("db", "upgrade", db=path, json=True)
    assert r.rc == 0 and r.json["state_after"] == "credit-packs"
    assert all(c in columns(path) for c in CREDIT)
    assert query(path, "SELECT id, email, subscription_tier, monthly_credits FROM users ORDER BY id") == users_before
    # defaults of the SPEC
    assert query(path, "SELECT DISTINCT credits_balance, credits_purchased_total, api_access_unlocked FROM users") \
        == [(10, 0, 0)]
    hist = query(path, "SELECT version, kind, applied_by FROM quicktools_schema_history ORDER BY version")
    assert [(v, k) for v, k, _ in hist] == [(1, "baseline"), (2, "applied"), (3, "applied"), (5, "applied")]
    assert all(by for _, _, by in hist)
    # drift the tool does not own is kept
    assert query(path, "SELECT count(*) FROM audit_log")[0][0] == 20
    assert "marketing_opt_in" in columns(path)
    # running again changes nothing
    before = dump(path)
    r = qt("db", "upgrade", db=path, json=True)
    assert r.rc == 0 and r.json["changed"] is False
    assert dump(path) == before


@pytest.mark.parametrize("state", ["credit-packs", "final"])
def test_upgrade_converted_databases_keeps_values(qt, make_db, engine, state):
    path = make_db(engine, users=30, state=state)
    balances = query(path, "SELECT id, credits_balance, api_access_unlocked FROM users ORDER BY id")
    r = qt("db", "upgrade", db=path, json=True)
    assert r.rc == 0 and r.json["applied"] == [3, 5] and r.json["state_after"] == state
    assert query(path, "SELECT id, credits_balance, api_access_unlocked FROM users ORDER BY id") == balances
    assert qt("db", "verify", db=path).rc == 0


def test_upgrade_refuses_unknown_schema(qt, empty):
    path = empty
    execute(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, subscription_tier TEXT, "
                  "credits_balance INT)")
    before = dump(path)
    r = qt("db", "upgrade", db=path)
    assert r.rc == 4 and "refusing" in r.err and len(r.err.strip().splitlines()) == 1
    assert dump(path) == before


def test_upgrade_detects_edited_migration(qt, make_db, engine):
    path = make_db(engine)
    assert qt("db", "upgrade", db=path).rc == 0
    execute(path, "UPDATE quicktools_schema_history SET checksum = 'deadbeef' WHERE version = 2")
    r = qt("db", "verify", db=path, json=True)
    assert r.rc == 3
    assert any("edited" in d["problem"] for d in r.json["drift"])
    st = qt("db", "status", db=path, json=True)
    assert [e["version"] for e in st.json["edited"]] == [2]


def test_upgrade_waits_for_and_then_reports_a_locked_database(qt, make_db):
    """SQLite's database write lock (PostgreSQL: test_upgrade_waits_for_a_table_lock_then_fails_in_one_line)."""
    path = make_db()
    con = sqlite3.connect(str(path), isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    before = time.monotonic()
    r = qt("--busy-timeout", "300", "db", "upgrade", db=path)
    waited = time.monotonic() - before
    con.execute("ROLLBACK")
    con.close()
    assert r.rc == 1 and "locked" in r.err and "--busy-timeout" in r.err
    assert waited >= 0.3
    assert "credits_balance" not in columns(path)


def test_upgrade_proceeds_when_the_lock_is_released_in_time(qt, make_db):
    """SQLite's database write lock (PostgreSQL: test_postgres.py::test_two_upgrades_at_once_apply_once)."""
    path = make_db()
    con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.5, lambda: con.execute("COMMIT"))
    timer.start()
    r = qt("--busy-timeout", "10000", "db", "upgrade", db=path)
    timer.join()
    con.close()
    assert r.rc == 0, r.err
    assert "credits_balance" in columns(path)


def run_as_nobody_prefix():
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_read_only_file_is_refused_for_writes():
    """SQLite only: a file's mode."""
    import shutil
    import tempfile
    from conftest import BIN, make_database
    folder = tempfile.mkdtemp(prefix="qt-readonly-")  # pytest's own folders are private to root
    os.chmod(folder, 0o755)
    path = make_database(os.path.join(folder, "ro.db"))
    os.chmod(path, 0o444)
    before = dump(path)
    cmd = run_as_nobody_prefix() + [BIN, "--db", str(path), "db", "upgrade"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 1 and "read-only" in p.stderr, p.stderr
    assert dump(path) == before
    # reading still works
    cmd = run_as_nobody_prefix() + [BIN, "--db", str(path), "db", "status"]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    shutil.rmtree(folder)


# --- db verify ----------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["legacy", "credit-packs", "final"])
def test_verify_clean_states(qt, make_db, engine, state):
    path = make_db(engine, state=state, drift=True)
    r = qt("db", "verify", db=path, json=True)
    assert r.rc == 0, r.out
    assert r.json["clean"] is True and r.json["baseline_pending"] is True
    assert qt("db", "upgrade", db=path).rc == 0
    r = qt("-v", "db", "verify", db=path)
    assert r.rc == 0
    assert "view active_users" in r.out and "column users.marketing_opt_in" in r.out


def test_verify_reports_wrong_default_and_missing_column(qt, empty):
    path = empty
    assert qt("db", "init", db=path).rc == 0
    if is_url(path):
        execute(path, "ALTER TABLE users ALTER COLUMN credits_balance SET DEFAULT 0")
    else:
        con = sqlite3.connect(str(path))
        con.executescript("""
            PRAGMA writable_schema = ON;
            UPDATE sqlite_master SET sql = replace(sql, 'credits_balance INTEGER NOT NULL DEFAULT 10',
                                                   'credits_balance INTEGER NOT NULL DEFAULT 0')
            WHERE name = 'users';
            PRAGMA writable_schema = OFF;
        """)
        con.close()
    r = qt("db", "verify", db=path, json=True)
    assert r.rc == 3
    problems = {d["object"]: d["problem"] for d in r.json["drift"]}
    assert "DEFAULT 0" in problems["users.credits_balance"] and "DEFAULT 10" in problems["users.credits_balance"]


# --- db backup ----------------------------------------------------------------------------

def test_backup_is_private_consistent_and_never_overwrites(qt, make_db, tmp_path):
    """SQLite's copy is a database file (PostgreSQL's pg_dump file: test_backup_postgres.py)."""
    path = make_db(users=200, drift=True)
    dest = tmp_path / "copy.db"
    r = qt("db", "backup", dest, db=path, json=True)
    assert r.rc == 0 and r.json["path"] == str(dest)
    assert r.json["format"] == "sqlite" and r.json["bytes"] == os.path.getsize(dest)
    assert r.json["pages"] == query(dest, "PRAGMA page_count")[0][0] > 0
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert dump(dest) == dump(path)
    dest.write_bytes(b"precious")
    r = qt("db", "backup", dest, db=path)
    assert r.rc == 4 and "already exists" in r.err
    assert dest.read_bytes() == b"precious"


def test_backup_while_the_app_writes(qt, make_db, tmp_path, engine, request):
    path = make_db(engine, users=3000, tasks_per_user=3)
    base_used = query(path, "SELECT sum(credits_used_this_month) FROM users")[0][0]
    stop = threading.Event()
    writes = []

    def one_write(run, i):
        """A usage update and its task insert, in one transaction."""
        run("BEGIN IMMEDIATE" if engine == "sqlite" else "BEGIN")
        run(f"UPDATE users SET credits_used_this_month = credits_used_this_month + 1 WHERE id = {i % 3000 + 1}")
        run("INSERT INTO tasks (user_id, tool, status, credits_charged, created_at) "
            f"VALUES ({i % 3000 + 1}, 'x', 'done', 1, '2026-11-20 10:00:00')")
        run("COMMIT")

    def writer():
        if engine == "sqlite":
            con = sqlite3.connect(str(path), timeout=10, isolation_level=None)
            run, close = con.execute, con.close
        else:
            session = PsqlSession(path)
            run, close = session.run, session.close
        i = 0
        while not stop.is_set():
            one_write(run, i)
            writes.append(i)
            i += 1
            time.sleep(0.001)  # a real app pauses between requests; SQLite's locks are not fair
        close()

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.2)
    dest = tmp_path / "live.db"
    r = qt("--busy-timeout", "10000", "db", "backup", dest, db=path)
    stop.set()
    t.join()
    assert r.rc == 0, r.err
    assert writes, "the writer never ran"
    if engine == "sqlite":
        copy = dest
        con = sqlite3.connect(str(dest))
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    else:  # the dump restores without an error into a new database
        copy = request.getfixturevalue("pg_url")
        subprocess.run([os.path.join(pg_cluster.bindir(), "pg_restore"), "--no-owner", "--exit-on-error", "-d",
                        copy, str(dest)], check=True, capture_output=True, env=pg_cluster.clean_env())
    # consistent: every task insert came with its usage update, in the same transaction
    used = query(copy, "SELECT sum(credits_used_this_month) FROM users")[0][0]
    extra_tasks = query(copy, "SELECT count(*) FROM tasks WHERE tool = 'x'")[0][0]
    assert query(copy, "SELECT count(*) FROM users") == [(3000,)]
    assert used - base_used == extra_tasks


def test_backup_of_missing_database(qt, tmp_path, engine, request):
    missing = tmp_path / "none.db" if engine == "sqlite" else request.getfixturevalue("pg_server").url("qt_none")
    r = qt("db", "backup", tmp_path / "b.db", db=missing)
    assert r.rc == 1 and not (tmp_path / "b.db").exists()


def test_ctrl_c_while_waiting_for_the_lock_exits_130_and_changes_nothing(make_db):
    """SQLite's database write lock (PostgreSQL: test_postgres.py::test_ctrl_c_ends_a_wait_for_a_lock_at_once)."""
    import signal
    from conftest import BIN
    path = make_db()
    before = dump(path)
    con = sqlite3.connect(str(path), isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    p = subprocess.Popen([BIN, "--db", str(path), "--busy-timeout", "20000", "db", "upgrade"],
                         stderr=subprocess.PIPE, text=True)
    # The tool has the database open (so its handlers are installed) and is waiting for the lock.
    deadline = time.monotonic() + 30
    while not any(os.path.realpath(f"/proc/{p.pid}/fd/{fd}") == os.path.realpath(path)
                  for fd in os.listdir(f"/proc/{p.pid}/fd")):
        assert p.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    assert p.poll() is None
    started = time.monotonic()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=10)
    stopped_after = time.monotonic() - started
    con.execute("ROLLBACK")
    con.close()
    assert p.returncode == 130 and "interrupted" in err
    assert stopped_after < 5
    assert dump(path) == before
