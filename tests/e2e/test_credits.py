"""credits grant/refund/debit, import, history and audit on both engines (a real file, a
PostgreSQL database), and the product document's journey with the web app writing users
directly."""
import sqlite3

import pytest

from conftest import dump, execute, is_url, query
from webapp_writer import PsqlSession

STAMP = "2026-11-20 10:00:00.000000"


def sign_up_three(path):
    """Three users signed up as the web app does (column defaults) on a new database (`db init`)."""
    for i in (1, 2, 3):
        execute(path, "INSERT INTO users (email, hashed_password, is_active, created_at) VALUES (?, 'x', TRUE, ?)",
                (f"user{i}@example.com", STAMP))
    return path


@pytest.fixture
def db(new_db):
    """sign_up_three on a file (test_hostile*.py)."""
    return sign_up_three(new_db("sqlite"))


@pytest.fixture
def app_db(engine, new_db):
    """sign_up_three on each engine."""
    return sign_up_three(new_db(engine))


class AppTransaction:
    """The web app's transaction, open until commit() or rollback(): on SQLite it holds the
    database's write lock (BEGIN IMMEDIATE), on PostgreSQL the row locks of what it ran."""

    def __init__(self, path, *statements):
        if is_url(path):
            self.session = PsqlSession(path)
            self.session.run("BEGIN; " + "; ".join(statements) + ";")
            self.end = lambda sql: (self.session.run(sql + ";"), self.session.close())
        else:
            con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            con.execute("BEGIN IMMEDIATE")
            for sql in statements:
                con.execute(sql)
            self.end = lambda sql: (con.execute(sql), con.close())

    def commit(self):
        self.end("COMMIT")

    def rollback(self):
        self.end("ROLLBACK")


def user(path, uid=1):
    return query(path, "SELECT credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked "
                       "FROM users WHERE id = ?", (uid,))[0]


def web_usage(path, uid, n):
    execute(path, "UPDATE users SET credits_balance = credits_balance - ?, credits_lifetime_used = "
                  "credits_lifetime_used + ? WHERE id = ?", (n, n, uid))


def web_purchase(path, uid, credits, api):
    execute(path, "UPDATE users SET credits_balance = credits_balance + ?, credits_purchased_total = "
                  "credits_purchased_total + ?, last_purchase_date = ?, last_purchase_amount = ?, "
                  "api_access_unlocked = api_access_unlocked OR ? WHERE id = ?",
            (credits, credits, STAMP, credits, bool(api), uid))


def audit_clean(qt, path):
    r = qt("credits", "audit", db=path, json=True)
    assert r.rc == 0, r.out + r.err
    assert r.json["ok"] is True and r.json["violations"] == 0
    return r.json


def one_line(err):
    return len(err.strip().splitlines()) == 1


# --- the product document's journey ----------------------------------------------------------

def test_journey_with_web_app_writes_stays_audited(qt, app_db):
    steps = [("start", None, 10, 0, 0), ("use", 8, 2, 0, 0), ("buy", ("starter", 100, False), 102, 0, 0),
             ("use", 50, 52, 0, 0), ("buy", ("pro", 1200, True), 1252, 1, 1200), ("use", 500, 752, 1, 1200),
             ("buy", ("standard", 500, False), 1252, 1, 1700)]
    purchased = 0
    for kind, arg, balance, api, _ in steps:
        if kind == "use":
            web_usage(app_db, 1, arg)
        elif kind == "buy":
            web_purchase(app_db, 1, arg[1], arg[2])
            purchased += arg[1]
        b, p, _, a = user(app_db)
        assert (b, a) == (balance, api), kind
        assert p == purchased
        assert audit_clean(qt, app_db)["users_checked"] == 3
    assert query(app_db, "SELECT last_purchase_amount FROM users WHERE id = 1") == [(500,)]
    # Support adjustments on top keep the audit clean, and the trail shows them.
    assert qt("credits", "grant", "1", "48", "--reason", "goodwill", db=app_db).rc == 0
    assert qt("credits", "refund", "user1@example.com", "8", "--reason", "task 1 failed", db=app_db).rc == 0
    assert qt("credits", "debit", "1", "100", "--reason", "correction", db=app_db).rc == 0
    assert user(app_db) == (1208, 1800, 550, 1)
    audit_clean(qt, app_db)
    web_usage(app_db, 1, 8)
    audit_clean(qt, app_db)
    h = qt("credits", "history", "1", db=app_db, json=True).json
    assert [e["kind"] for e in h["entries"]] == ["grant", "refund", "debit"]
    assert [e["balance_after"] for e in h["entries"]] == [1300, 1308, 1208]
    assert h["user"]["balance"] == 1200


# --- adjustments ---------------------------------------------------------------------------

def test_database_without_tool_tables_is_refused(qt, make_db, engine):
    path = make_db(engine, state="credit-packs")
    before = dump(path)
    r = qt("credits", "grant", "1", "5", "--reason", "x", db=path)
    assert r.rc == 4 and "db upgrade" in r.err
    assert qt("credits", "audit", db=path).rc == 4
    assert dump(path) == before


def test_locked_database_is_one_line_and_changes_nothing(qt, app_db, tmp_path):
    # The app's write of user 1 in flight (on SQLite the whole database is locked).
    app = AppTransaction(app_db, "UPDATE users SET is_active = is_active WHERE id = 1")
    try:
        r = qt("--busy-timeout", "200", "credits", "grant", "1", "5", "--reason", "x", db=app_db)
        assert r.rc == 1 and "locked" in r.err and one_line(r.err)
        csv = tmp_path / "a.csv"
        csv.write_text("user,action,amount,reason\n1,grant,5,x\n")
        r = qt("--busy-timeout", "200", "credits", "import", csv, db=app_db)
        assert r.rc == 1 and "locked" in r.err and one_line(r.err)
    finally:
        app.rollback()
    assert user(app_db)[0] == 10
    assert query(app_db, "SELECT count(*) FROM quicktools_ledger") == [(0,)]


# --- history -------------------------------------------------------------------------------

# --- audit ---------------------------------------------------------------------------------

