"""credits grant/refund/debit, import, history and audit on real files, and the product
document's journey with the web app writing users directly."""
import sqlite3

import pytest

from conftest import dump, query

STAMP = "2026-11-20 10:00:00.000000"


@pytest.fixture
def db(qt, tmp_path):
    """A new database (`db init`) with three users signed up as the web app does (column defaults)."""
    path = tmp_path / "quicktools.db"
    assert qt("db", "init", db=path).rc == 0
    con = sqlite3.connect(str(path))
    for i in (1, 2, 3):
        con.execute("INSERT INTO users (email, hashed_password, is_active, created_at) VALUES (?, 'x', 1, ?)",
                    (f"user{i}@example.com", STAMP))
    con.commit()
    con.close()
    return path


def user(path, uid=1):
    return query(path, "SELECT credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked "
                       "FROM users WHERE id = ?", (uid,))[0]


def web_usage(path, uid, n):
    con = sqlite3.connect(str(path))
    con.execute("UPDATE users SET credits_balance = credits_balance - ?, credits_lifetime_used = credits_lifetime_used + ? "
                "WHERE id = ?", (n, n, uid))
    con.commit()
    con.close()


def web_purchase(path, uid, credits, api):
    con = sqlite3.connect(str(path))
    con.execute("UPDATE users SET credits_balance = credits_balance + ?, credits_purchased_total = credits_purchased_total + ?, "
                "last_purchase_date = ?, last_purchase_amount = ?, api_access_unlocked = api_access_unlocked OR ? "
                "WHERE id = ?", (credits, credits, STAMP, credits, 1 if api else 0, uid))
    con.commit()
    con.close()


def audit_clean(qt, path):
    r = qt("credits", "audit", db=path, json=True)
    assert r.rc == 0, r.out + r.err
    assert r.json["ok"] is True and r.json["violations"] == 0
    return r.json


def one_line(err):
    return len(err.strip().splitlines()) == 1


# --- the product document's journey ----------------------------------------------------------

def test_journey_with_web_app_writes_stays_audited(qt, db):
    steps = [("start", None, 10, 0, 0), ("use", 8, 2, 0, 0), ("buy", ("starter", 100, False), 102, 0, 0),
             ("use", 50, 52, 0, 0), ("buy", ("pro", 1200, True), 1252, 1, 1200), ("use", 500, 752, 1, 1200),
             ("buy", ("standard", 500, False), 1252, 1, 1700)]
    purchased = 0
    for kind, arg, balance, api, _ in steps:
        if kind == "use":
            web_usage(db, 1, arg)
        elif kind == "buy":
            web_purchase(db, 1, arg[1], arg[2])
            purchased += arg[1]
        b, p, _, a = user(db)
        assert (b, a) == (balance, api), kind
        assert p == purchased
        assert audit_clean(qt, db)["users_checked"] == 3
    assert query(db, "SELECT last_purchase_amount FROM users WHERE id = 1") == [(500,)]
    # Support adjustments on top keep the audit clean, and the trail shows them.
    assert qt("credits", "grant", "1", "48", "--reason", "goodwill", db=db).rc == 0
    assert qt("credits", "refund", "user1@example.com", "8", "--reason", "task 1 failed", db=db).rc == 0
    assert qt("credits", "debit", "1", "100", "--reason", "correction", db=db).rc == 0
    assert user(db) == (1208, 1800, 550, 1)
    audit_clean(qt, db)
    web_usage(db, 1, 8)
    audit_clean(qt, db)
    h = qt("credits", "history", "1", db=db, json=True).json
    assert [e["kind"] for e in h["entries"]] == ["grant", "refund", "debit"]
    assert [e["balance_after"] for e in h["entries"]] == [1300, 1308, 1208]
    assert h["user"]["balance"] == 1200


# --- adjustments ---------------------------------------------------------------------------

def test_database_without_tool_tables_is_refused(qt, make_db):
    path = make_db(state="credit-packs")
    before = dump(path)
    r = qt("credits", "grant", "1", "5", "--reason", "x", db=path)
    assert r.rc == 4 and "db upgrade" in r.err
    assert qt("credits", "audit", db=path).rc == 4
    assert dump(path) == before


def test_locked_database_is_one_line_and_changes_nothing(qt, db, tmp_path):
    con = sqlite3.connect(str(db), isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        r = qt("--busy-timeout", "200", "credits", "grant", "1", "5", "--reason", "x", db=db)
        assert r.rc == 1 and "locked" in r.err and one_line(r.err)
        csv = tmp_path / "a.csv"
        csv.write_text("user,action,amount,reason\n1,grant,5,x\n")
        r = qt("--busy-timeout", "200", "credits", "import", csv, db=db)
        assert r.rc == 1 and "locked" in r.err and one_line(r.err)
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert user(db)[0] == 10
    assert query(db, "SELECT count(*) FROM quicktools_ledger") == [(0,)]


# --- history -------------------------------------------------------------------------------

# --- audit ---------------------------------------------------------------------------------

