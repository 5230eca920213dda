"""db drop-deprecated: refusals, dry-run, dependent objects, cascading children, kill -9, live writer."""
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, dump, query
from webapp_writer import hold_lock, run_through_brief_lock

DEPRECATED = ["subscription_tier", "subscription_status", "stripe_subscription_id", "monthly_credits",
              "credits_used_this_month", "credits_reset_date"]


def columns(path, table="users"):
    return [r[1] for r in query(path, f"PRAGMA table_info({table})")]


def execute(path, *statements):
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        for s in statements:
            con.execute(s)
    finally:
        con.close()


def mark_migrated(path):
    execute(path, "INSERT INTO quicktools_state (name, value, updated_at) "
                  "VALUES ('migrate.packs.completed_at', '2026-11-25 10:00:00.000000', '2026-11-25 10:00:00.000000')")


def cancel_all(path):
    execute(path, "UPDATE users SET subscription_status = 'canceled', stripe_subscription_id = NULL")


@pytest.fixture
def migrated(qt, make_db):
    """A credit-packs database, upgraded, marked as migrated, without active subscriptions."""
    def make(users=50, tasks_per_user=2, drift=False, cancel=True, setup=()):
        path = make_db(users=users, state="credit-packs", tasks_per_user=tasks_per_user, drift=drift)
        execute(path, *setup)
        assert qt("db", "upgrade", db=path).rc == 0
        mark_migrated(path)
        if cancel:
            cancel_all(path)
        return path
    return make


def row_counts(path):
    tables = [r[0] for r in query(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                        "'sqlite_%' AND name <> 'quicktools_schema_history'")]
    return {t: query(path, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def kept_rows(path):
    cols = ", ".join(c for c in columns(path) if c not in DEPRECATED)
    return query(path, f"SELECT {cols} FROM users ORDER BY id")


# --- refusals ---------------------------------------------------------------------------

def test_refuses_legacy_and_unknown(qt, make_db):
    legacy = make_db(state="legacy")
    before = dump(legacy)
    r = qt("db", "drop-deprecated", "--yes", db=legacy)
    assert r.rc == 4 and "no credit-pack columns yet" in r.err
    assert dump(legacy) == before
    unknown = make_db(state="credit-packs")
    execute(unknown, "ALTER TABLE users DROP COLUMN monthly_credits")
    r = qt("db", "drop-deprecated", "--yes", db=unknown)
    assert r.rc == 4 and "5 of the 6 subscription columns" in r.err


def test_refuses_without_history(qt, make_db):
    path = make_db(state="credit-packs")
    before = dump(path)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=path, json=True)
    assert r.rc == 4 and "no schema history" in r.json["error"]
    assert dump(path) == before


def test_refuses_until_migrated(qt, make_db):
    path = make_db(state="credit-packs")
    assert qt("db", "upgrade", db=path).rc == 0
    cancel_all(path)
    before = dump(path)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=path)
    assert r.rc == 4 and "migrate packs" in r.err
    assert dump(path) == before
    assert len(r.err.strip().splitlines()) == 1


def test_active_subscriptions_refuse_unless_forced(qt, migrated):
    path = migrated(cancel=False)
    active = query(path, "SELECT id FROM users WHERE stripe_subscription_id IS NOT NULL AND subscription_status IN "
                         "('active', 'trialing', 'past_due') ORDER BY id")
    assert active
    before = dump(path)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=path)
    assert r.rc == 4 and f"{len(active)} user(s)" in r.err and str(active[0][0]) in r.err and "--force" in r.err
    assert dump(path) == before
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", "--force", db=path, json=True)
    assert r.rc == 0, r.err
    assert r.json["active_subscriptions"] == len(active)
    assert not set(DEPRECATED) & set(columns(path))


def test_needs_yes_without_a_terminal(qt, migrated):
    path = migrated()
    before = dump(path)
    r = qt("db", "drop-deprecated", "--no-backup", db=path, input="drop\n")
    assert r.rc == 4 and "--yes" in r.err
    assert dump(path) == before


def test_final_is_nothing_to_do(qt, make_db):
    path = make_db(state="final")
    before = dump(path)
    r = qt("db", "drop-deprecated", "--yes", db=path, json=True)
    assert r.rc == 0 and r.json["nothing_to_do"] is True
    assert dump(path) == before
    assert not [p for p in os.listdir(path.parent) if ".backup-" in p]


# --- dry run ------------------------------------------------------------------------------

def test_dry_run_prints_every_statement_and_changes_nothing(qt, migrated):
    path = migrated(drift=True)
    before = dump(path)
    r = qt("db", "drop-deprecated", "--dry-run", "--vacuum", db=path, json=True)
    assert r.rc == 0, r.err
    statements = r.json["statements"]
    assert statements[:3] == ["PRAGMA foreign_keys = OFF", "PRAGMA secure_delete = FAST", "BEGIN IMMEDIATE"]
    assert statements[-3:] == ["COMMIT", "PRAGMA foreign_keys = ON", "VACUUM"]
    assert "DROP TABLE users" in statements
    assert "ALTER TABLE quicktools_users_new RENAME TO users" in statements
    assert any(s.startswith("CREATE TABLE quicktools_users_new (") for s in statements)
    assert any(s.startswith("INSERT INTO quicktools_schema_history") for s in statements)
    assert "CREATE INDEX ix_users_created_at ON users (created_at)" in statements
    assert dump(path) == before
    text = qt("db", "drop-deprecated", "--dry-run", db=path)
    assert text.rc == 0 and "DROP TABLE users;" in text.out and "dry run: nothing changed" in text.out
    assert dump(path) == before


# --- the rewrite --------------------------------------------------------------------------

def test_drop_keeps_every_row_and_verify_is_clean(qt, migrated):
    path = migrated(users=300, tasks_per_user=3, drift=True)
    counts = row_counts(path)
    rows = kept_rows(path)
    r = qt("db", "drop-deprecated", "--yes", db=path, json=True)
    assert r.rc == 0, r.err
    doc = r.json
    assert doc["users"] == 300 and doc["state_after"] == "final"
    assert os.path.exists(doc["backup"]) and os.stat(doc["backup"]).st_mode & 0o777 == 0o600
    assert query(doc["backup"], "SELECT count(*) FROM users")[0][0] == 300
    assert set(DEPRECATED) <= set(columns(doc["backup"]))
    assert not set(DEPRECATED) & set(columns(path))
    after = row_counts(path)
    assert after == counts and after["tasks"] == 900 and after["api_keys"] > 0
    assert kept_rows(path) == rows
    assert query(path, "PRAGMA foreign_key_check") == []
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "PRAGMA foreign_keys") == [(0,)]  # a fresh connection: nothing persisted
    history = query(path, "SELECT version, kind FROM quicktools_schema_history WHERE version = 4")
    assert history == [(4, "applied")]
    v = qt("db", "verify", db=path, json=True)
    assert v.rc == 0, v.out
    # The children still cascade from the rebuilt users table.
    execute(path, "PRAGMA foreign_keys = ON", "DELETE FROM users WHERE id = 1")
    assert query(path, "SELECT count(*) FROM tasks WHERE user_id = 1") == [(0,)]


def test_backup_destination_is_honoured_and_never_overwritten(qt, migrated, tmp_path):
    path = migrated()
    dest = tmp_path / "taken.db"
    dest.write_text("mine")
    before = dump(path)
    r = qt("db", "drop-deprecated", "--yes", "--backup", dest, db=path)
    assert r.rc == 4 and "already exists" in r.err
    assert dump(path) == before and dest.read_text() == "mine"
    fresh = tmp_path / "fresh.db"
    r = qt("db", "drop-deprecated", "--yes", "--backup", fresh, db=path)
    assert r.rc == 0 and str(fresh) in r.out
    assert qt("db", "drop-deprecated", "--backup", "x", "--no-backup", db=path).rc == 2


DEPENDENTS = [
    "CREATE INDEX ix_users_tier ON users (subscription_tier)",
    "CREATE INDEX ix_users_tier_email ON users (email, subscription_status)",
    "CREATE INDEX ix_users_partial ON users (email) WHERE monthly_credits > 0",
    "CREATE INDEX ix_users_balance ON users (credits_balance)",
    "CREATE INDEX ix_users_lower_email ON users (lower(email)) WHERE is_active",
    "CREATE VIEW paying AS SELECT id, email, subscription_tier FROM users WHERE subscription_status = 'active'",
    "CREATE VIEW paying_emails AS SELECT email FROM paying",
    "CREATE VIEW rich AS SELECT id, credits_balance FROM users WHERE credits_balance > 100",
    "CREATE TABLE tier_log (user_id INTEGER, tier TEXT)",
    "CREATE TRIGGER users_tier_log AFTER UPDATE OF subscription_tier ON users "
    "BEGIN INSERT INTO tier_log VALUES (new.id, new.subscription_tier); END",
    "CREATE TRIGGER users_balance_log AFTER UPDATE OF credits_balance ON users "
    "BEGIN INSERT INTO tier_log VALUES (new.id, 'balance ' || 'subscription_tier'); END",
    "CREATE TRIGGER tasks_touch AFTER INSERT ON tasks "
    "BEGIN UPDATE users SET credits_reset_date = NULL WHERE id = new.user_id; END",
]


def test_dependent_objects_are_kept_or_dropped_and_reported(qt, migrated):
    path = migrated(users=40, setup=DEPENDENTS)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=path, json=True)
    assert r.rc == 0, r.err
    dropped = {d["name"]: d["reason"] for d in r.json["dropped"]}
    recreated = {d["name"] for d in r.json["recreated"]}
    assert set(dropped) == {"ix_users_tier", "ix_users_tier_email", "ix_users_partial", "paying", "paying_emails",
                            "users_tier_log", "tasks_touch"}
    assert "subscription_tier" in dropped["ix_users_tier"] and "paying" in dropped["paying_emails"]
    assert recreated == {"ix_users_email", "ix_users_stripe_customer_id", "ix_users_balance", "ix_users_lower_email",
                         "rich", "users_balance_log"}
    names = {r[0] for r in query(path, "SELECT name FROM sqlite_master")}
    assert recreated <= names and not set(dropped) & names
    assert query(path, "SELECT count(*) FROM rich") == query(path, "SELECT count(*) FROM users WHERE "
                                                                   "credits_balance > 100")
    execute(path, "UPDATE users SET credits_balance = credits_balance + 1 WHERE id = 1")
    assert query(path, "SELECT tier FROM tier_log") == [("balance subscription_tier",)]
    assert qt("db", "verify", db=path).rc == 0
    text = qt("db", "drop-deprecated", "--dry-run", db=path)
    assert text.rc == 0 and "nothing to do" in text.out


def test_check_constraints_naming_dropped_columns_go_boolean_checks_stay(qt, make_db, tmp_path):
    # SQLAlchemy's Enum and Boolean types wrote CHECK constraints like these.
    path = tmp_path / "checks.db"
    legacy = (make_db(state="credit-packs", users=30, tasks_per_user=1))
    ddl = query(legacy, "SELECT sql FROM sqlite_master WHERE name = 'users'")[0][0]
    ddl = ddl.replace("\tPRIMARY KEY (id)",
                      "\tPRIMARY KEY (id),\n"
                      "\tCONSTRAINT subscriptiontier CHECK (subscription_tier IN ('free', 'basic', 'pro', "
                      "'business')),\n"
                      "\tCHECK (is_active IN (0, 1)),  -- Boolean\n"
                      "\tCHECK (\"subscription_status\" IN ('active', 'trialing', 'past_due', 'canceled'))")
    ddl = ddl.replace("monthly_credits INTEGER NOT NULL", "monthly_credits INTEGER NOT NULL CHECK (monthly_credits "
                                                          ">= 0)")
    ddl = ddl.replace("full_name VARCHAR,", "full_name VARCHAR CONSTRAINT ck_name CHECK (full_name IS NOT NULL OR "
                                            "subscription_tier = 'free'),")
    con = sqlite3.connect(str(path), isolation_level=None)
    src = sqlite3.connect(str(legacy))
    con.execute(ddl)
    for statement in src.iterdump():
        if not statement.startswith(("CREATE TABLE users", "BEGIN TRANSACTION", "COMMIT")):
            con.execute(statement)
    src.close()
    con.close()
    assert qt("db", "upgrade", db=path).rc == 0
    mark_migrated(path)
    cancel_all(path)
    before = row_counts(path)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=path, json=True)
    assert r.rc == 0, r.err
    assert len(r.json["removed_constraints"]) == 3
    new_ddl = query(path, "SELECT sql FROM sqlite_master WHERE name = 'users'")[0][0]
    assert "CHECK (is_active IN (0, 1))" in new_ddl
    for word in ["subscription", "monthly", "credits_used_this_month", "reset", ",\n)", ",)", "  ,", "\n\n"]:
        assert word not in new_ddl
    assert "full_name VARCHAR," in new_ddl
    assert new_ddl.count("CHECK") == 1 and new_ddl.count("(") == new_ddl.count(")")
    assert row_counts(path) == before
    with pytest.raises(sqlite3.IntegrityError):
        execute(path, "UPDATE users SET is_active = 5 WHERE id = 1")
    assert qt("db", "verify", db=path).rc == 0


def test_vacuum_gives_space_back(qt, migrated):
    path = migrated(users=3000, tasks_per_user=0)
    plain = migrated(users=3000, tasks_per_user=0)
    assert qt("db", "drop-deprecated", "--yes", "--no-backup", db=plain).rc == 0
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", "--vacuum", db=path, json=True)
    assert r.rc == 0 and r.json["vacuumed"] is True
    assert r.json["bytes_of"] == "database_file"
    assert r.json["bytes_after"] < r.json["bytes_before"]
    assert os.path.getsize(path) < os.path.getsize(plain)
    assert query(path, "PRAGMA freelist_count") == [(0,)]


# --- interruptions and other writers -----------------------------------------------------------

@pytest.mark.slow
def test_kill_9_mid_rewrite_leaves_before_or_after(qt, migrated, tmp_path):
    original = migrated(users=200_000, tasks_per_user=1)
    before = dump(original)
    outcomes = set()
    for delay in (0.1, 0.3, 0.6, 1.0, 1.5, 2.5):
        path = tmp_path / f"kill{delay}.db"
        path.write_bytes(original.read_bytes())
        p = subprocess.Popen([BIN, "--db", str(path), "db", "drop-deprecated", "--yes", "--no-backup"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        journal = tmp_path / f"kill{delay}.db-journal"
        hot = journal.exists() and journal.stat().st_size > 0  # killed while writing
        now = dump(path)  # opening it rolls a hot journal back
        if now == before:
            outcomes.add("rolled back" if hot else "before")
        else:
            assert not set(DEPRECATED) & set(columns(path))
            assert query(path, "SELECT count(*) FROM users") == [(200_000,)]
            assert query(path, "SELECT count(*) FROM tasks") == [(200_000,)]
            assert query(path, "PRAGMA integrity_check") == [("ok",)]
            outcomes.add("after")
    assert "rolled back" in outcomes, outcomes  # at least one kill landed mid-rewrite


def test_waits_for_a_brief_writer(migrated):
    path = migrated()
    used = query(path, "SELECT sum(credits_lifetime_used) FROM users")[0][0]
    waiting, r = run_through_brief_lock(path, "db", "drop-deprecated", "--yes", "--no-backup")
    assert waiting, "drop-deprecated finished while the app held the write lock"
    assert r.rc == 0, r.err
    assert query(path, "SELECT sum(credits_lifetime_used) FROM users") == [(used + 1,)]
    assert not set(DEPRECATED) & set(columns(path))


def test_gives_up_on_a_long_writer_and_changes_nothing(qt, migrated):
    path = migrated()
    before = dump(path)
    holder = hold_lock(path, 60, commit=False)  # held until the tool gave up
    r = qt("--busy-timeout", "300", "db", "drop-deprecated", "--yes", "--no-backup", db=path)
    holder.release.set()
    holder.join()
    assert r.rc == 1
    assert "locked" in r.err and len(r.err.strip().splitlines()) == 1
    assert dump(path) == before


def run_on_terminal(path, answer):
    """Runs the drop with a terminal as stdin and types `answer` at the question."""
    import pty
    leader, follower = pty.openpty()
    p = subprocess.Popen([BIN, "--db", str(path), "db", "drop-deprecated", "--no-backup"], stdin=follower,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(follower)
    os.write(leader, answer.encode())
    out, err = p.communicate(timeout=60)
    os.close(leader)
    return p.returncode, out, err


def test_ctrl_c_at_the_question_exits_130_and_changes_nothing(migrated):
    import pty
    import signal
    path = migrated()
    before = dump(path)
    leader, follower = pty.openpty()
    p = subprocess.Popen([BIN, "--db", str(path), "db", "drop-deprecated", "--no-backup"], stdin=follower,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(follower)
    err = b""
    while b'Type "drop"' not in err:  # the question is on the screen; the tool waits for the answer
        chunk = os.read(p.stderr.fileno(), 4096)
        assert chunk, err
        err += chunk
    p.send_signal(signal.SIGINT)
    rest = p.communicate(timeout=10)[1]
    os.close(leader)
    assert p.returncode == 130
    assert (err + rest).decode().splitlines()[-1] == ("quicktools: interrupted: the transaction was rolled back, "
                                                       "nothing changed")
    assert dump(path) == before


def test_asks_on_a_terminal(migrated):
    path = migrated()
    before = dump(path)
    rc, _, err = run_on_terminal(path, "yes\n")
    assert rc == 4 and 'Type "drop"' in err and "not confirmed" in err
    assert dump(path) == before
    rc, out, err = run_on_terminal(path, "drop\n")
    assert rc == 0, err
    assert "Rewrote users" in out and not set(DEPRECATED) & set(columns(path))
