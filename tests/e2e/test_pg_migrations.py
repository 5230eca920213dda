"""sql/postgres/migrations/ on a real PostgreSQL 15: each file runs as one simple query (as
libpq's PQexec sends it), in order, and gives the same tables and columns as the SQLite files,
with PostgreSQL's types; the ledger is append-only; 004 refuses a column a view uses and
leaves everything as it was."""
import os
import sqlite3
import subprocess

import pytest

import pg_cluster
from conftest import ROOT, query

PG_DIR = ROOT / "sql" / "postgres" / "migrations"
NAMES = ["001_legacy_schema.sql", "002_credit_pack_columns.sql", "003_tool_tables.sql", "004_drop_deprecated.sql",
         "005_stripe_lifecycle.sql"]
DEPRECATED = ["subscription_tier", "subscription_status", "stripe_subscription_id", "monthly_credits",
              "credits_used_this_month", "credits_reset_date"]


def sqlite_file(name):
    for folder in (ROOT / "sql" / "sqlite" / "migrations", ROOT / "sql" / "migrations"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


def apply(url, name):
    """One file as one simple-query message (psql -c), so its statements run in one implicit
    transaction as they do through PQexec."""
    return subprocess.run([os.path.join(pg_cluster.bindir(), "psql"), "-X", "-q", "-d", url,
                           "-c", (PG_DIR / name).read_text()], capture_output=True, text=True,
                          env=pg_cluster.clean_env())


def pg_columns(url):
    rows = query(url, "SELECT table_name, column_name, data_type, is_nullable, column_default "
                      "FROM information_schema.columns WHERE table_schema = 'public' "
                      "ORDER BY table_name, ordinal_position")
    out = {}
    for table, column, data_type, nullable, default in rows:
        out.setdefault(table, []).append((column, data_type, nullable == "NO", default))
    return out


def sqlite_columns(names):
    con = sqlite3.connect(":memory:")
    for name in names:
        con.executescript(sqlite_file(name).read_text())
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: [(r[1], r[2], bool(r[3] or r[5]), r[4]) for r in con.execute(f"PRAGMA table_info({t})")]
            for t in tables}


def test_the_same_file_names_as_on_sqlite():
    assert sorted(p.name for p in PG_DIR.glob("*.sql")) == NAMES
    for name in NAMES:
        assert sqlite_file(name).exists()


# SQLite declared type -> PostgreSQL type, for the web app's columns (as SQLAlchemy makes them)
# and for the tool's own (64-bit integers, TEXT times).
WEBAPP_TYPES = {"VARCHAR": "character varying", "VARCHAR(16)": "character varying", "BOOLEAN": "boolean",
                "DATETIME": "timestamp without time zone"}
TOOL_TYPES = {"INTEGER": "bigint", "TEXT": "text"}
WEBAPP_TABLES = {"users", "api_keys", "tasks"}
SQLALCHEMY_INTEGER = {("users", c) for c in ("id", "monthly_credits", "credits_used_this_month")} | \
    {(t, c) for t in ("api_keys", "tasks") for c in ("id", "user_id", "credits_charged")}


@pytest.mark.parametrize("upto", [1, 2, 3, 4, 5])
def test_each_prefix_gives_the_sqlite_tables_with_postgresql_types(pg_url, upto):
    for name in NAMES[:upto]:
        p = apply(pg_url, name)
        assert p.returncode == 0 and p.stderr == "", (name, p.stderr)
    pg = pg_columns(pg_url)
    lite = sqlite_columns(NAMES[:upto])
    assert sorted(pg) == sorted(lite)
    for table, cols in lite.items():
        assert [c[0] for c in pg[table]] == [c[0] for c in cols], table
        for (name, lite_type, lite_notnull, lite_default), (_, pg_type, pg_notnull, pg_default) in zip(cols, pg[table]):
            where = f"{table}.{name}"
            if (table, name) in SQLALCHEMY_INTEGER:
                expected = "integer"
            elif lite_type in WEBAPP_TYPES:
                expected = WEBAPP_TYPES[lite_type]
            elif table in WEBAPP_TABLES and lite_type == "INTEGER":
                expected = "bigint"  # the credit-pack counters: SQLite's 64-bit range
            else:
                expected = TOOL_TYPES[lite_type]
            assert pg_type == expected, where
            assert pg_notnull == lite_notnull, where
            if lite_default is not None:
                assert pg_default is not None, where
                expected_default = {"0": ("0", "false"), "10": ("10",)}.get(lite_default, (lite_default,))
                assert pg_default.split("::")[0] in expected_default, where
    if upto >= 1:
        assert query(pg_url, "SELECT pg_get_serial_sequence('users', 'id') IS NOT NULL") == [(True,)]
    if upto >= 3:
        query(pg_url, "INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, balance_after, reason, "
                      "actor, source, created_at) VALUES (1, 'grant', 5, 5, 15, 'r', 'a', 's', 't')")
        assert query(pg_url, "SELECT id, purchased_delta, used_delta FROM quicktools_ledger") == [(1, 0, 0)]


def test_the_ledger_is_append_only(pg_url):
    for name in NAMES[:3]:
        assert apply(pg_url, name).returncode == 0
    query(pg_url, "INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, balance_after, reason, "
                  "actor, source, created_at) VALUES (1, 'grant', 5, 5, 15, 'r', 'a', 's', 't')")
    for sql in ("UPDATE quicktools_ledger SET amount = 6", "DELETE FROM quicktools_ledger",
                "TRUNCATE quicktools_ledger"):
        with pytest.raises(RuntimeError, match="quicktools_ledger is append-only"):
            query(pg_url, sql)
    assert query(pg_url, "SELECT amount FROM quicktools_ledger") == [(5,)]


def test_idempotency_keys_and_event_ids_are_unique(pg_url):
    for name in NAMES:
        if name != "004_drop_deprecated.sql":
            assert apply(pg_url, name).returncode == 0
    row = ("INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, balance_after, reason, actor, "
           "source, idempotency_key, created_at) VALUES (1, 'grant', 5, 5, 15, 'r', 'a', 's', 'k1', 't')")
    query(pg_url, row)
    with pytest.raises(RuntimeError, match="duplicate key"):
        query(pg_url, row)
    event = ("INSERT INTO quicktools_stripe_events (event_id, type, created, livemode, outcome, first_seen_at, "
             "updated_at) VALUES ('evt_1', 'x', 1, 0, 'credited', 't', 't')")
    query(pg_url, event)
    with pytest.raises(RuntimeError, match="duplicate key"):
        query(pg_url, event)


def test_004_drops_the_six_columns_and_keeps_the_rows(make_db):
    db = make_db("postgres", users=30, state="credit-packs")
    before = query(db, "SELECT id, email, credits_balance FROM users ORDER BY id")
    assert apply(db, "004_drop_deprecated.sql").returncode == 0
    names = [r[0] for r in query(db, "SELECT column_name FROM information_schema.columns "
                                     "WHERE table_name = 'users'")]
    assert not set(DEPRECATED) & set(names) and "credits_balance" in names
    assert query(db, "SELECT id, email, credits_balance FROM users ORDER BY id") == before


@pytest.mark.parametrize("dependent", [
    "CREATE VIEW paid AS SELECT id FROM users WHERE subscription_tier <> 'free'",
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; "
    "CREATE TRIGGER t BEFORE UPDATE OF monthly_credits ON users FOR EACH ROW EXECUTE FUNCTION f()",
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; "
    "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW WHEN (NEW.subscription_status IS NULL) "
    "EXECUTE FUNCTION f()",
], ids=["view", "trigger-update-of", "trigger-when"])
def test_004_refuses_a_column_something_depends_on_and_changes_nothing(make_db, dependent):
    db = make_db("postgres", users=5, state="credit-packs")
    query(db, dependent)
    p = apply(db, "004_drop_deprecated.sql")
    assert p.returncode != 0 and "other objects depend on it" in p.stderr
    names = {r[0] for r in query(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")}
    assert set(DEPRECATED) <= names


def test_004_takes_indexes_and_checks_on_the_columns_with_it(make_db):
    """What drop-deprecated must list before it drops: these go silently."""
    db = make_db("postgres", users=5, state="credit-packs")
    query(db, "CREATE INDEX ix_tier_email ON users (subscription_tier, email)")
    query(db, "ALTER TABLE users ADD CONSTRAINT ck_credits CHECK (monthly_credits >= 0)")
    assert apply(db, "004_drop_deprecated.sql").returncode == 0
    assert query(db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_tier_email'") == [(0,)]
    assert query(db, "SELECT count(*) FROM pg_constraint WHERE conname = 'ck_credits'") == [(0,)]
    assert query(db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_users_email'") == [(1,)]


def test_005_copies_refunded_credits_into_what_was_taken(pg_url):
    for name in NAMES[:3]:
        assert apply(pg_url, name).returncode == 0
    query(pg_url, "INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, credited_at, "
                  "refunded_credits) VALUES ('cs_1', 1, 'starter', 100, 't', 40)")
    assert apply(pg_url, "005_stripe_lifecycle.sql").returncode == 0
    assert query(pg_url, "SELECT clawed_credits, purchased_taken, charge_refunded_amount, api_suspended "
                         "FROM quicktools_checkout_sessions") == [(40, 40, 0, 0)]
