"""credits grant/refund/debit, import, history and audit on real files, and the product
document's journey with the web app writing users directly."""
import os
import pwd
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

def test_grant_records_actor_reason_time_and_source(qt, db):
    r = qt("credits", "grant", "user2@example.com", "50", "--reason", "  ticket 7 ", "--actor", "alice", db=db, json=True)
    assert r.rc == 0
    doc = r.json
    assert doc["replayed"] is False and doc["balance_before"] == 10 and doc["balance_after"] == 60
    assert doc["user_id"] == 2 and doc["actor"] == "alice" and doc["reason"] == "ticket 7"
    rows = query(db, "SELECT user_id, kind, amount, balance_delta, used_delta, balance_after, reason, actor, source, "
                     "created_at FROM quicktools_ledger")
    assert rows[0][:9] == (2, "grant", 50, 50, 0, 60, "ticket 7", "alice", "cli")
    assert len(rows[0][9]) == 26
    assert user(db, 2)[0] == 60


def test_actor_defaults_to_os_user(qt, db):
    expected = os.environ.get("SUDO_USER") or pwd.getpwuid(os.geteuid()).pw_name
    r = qt("credits", "grant", "1", "1", "--reason", "r", db=db, json=True)
    assert r.json["actor"] == expected


def test_same_key_same_request_applies_once(qt, db):
    args = ("credits", "grant", "1", "25", "--reason", "promo", "--idempotency-key", "promo-1")
    first = qt(*args, db=db, json=True)
    assert first.rc == 0 and first.json["replayed"] is False
    before = dump(db)
    again = qt(*args, "--actor", "someone-else", db=db, json=True)
    assert again.rc == 0 and again.json["replayed"] is True
    assert again.json["ledger_id"] == first.json["ledger_id"]
    assert again.json["created_at"] == first.json["created_at"] and again.json["balance_after"] == 35
    assert dump(db) == before
    text = qt(*args, db=db)
    assert text.rc == 0 and "Already applied at" in text.out and "Nothing changed" in text.out


def test_same_key_different_request_is_refused(qt, db):
    assert qt("credits", "grant", "1", "25", "--reason", "promo", "--idempotency-key", "k", db=db).rc == 0
    before = dump(db)
    r = qt("credits", "grant", "1", "26", "--reason", "promo", "--idempotency-key", "k", db=db)
    assert r.rc == 4 and one_line(r.err)
    assert "amount 25 there, 26 here" in r.err
    r = qt("credits", "debit", "2", "25", "--reason", "promo", "--idempotency-key", "k", db=db, json=True)
    assert r.rc == 4 and "action grant there, debit here" in r.json["error"] and "user id 1 there, 2 here" in r.json["error"]
    assert dump(db) == before


def test_debit_below_zero_is_refused_with_the_shortfall(qt, db):
    before = dump(db)
    r = qt("credits", "debit", "1", "15", "--reason", "x", db=db)
    assert r.rc == 4 and "short by 5" in r.err and one_line(r.err)
    assert dump(db) == before
    assert qt("credits", "debit", "1", "10", "--reason", "x", db=db).rc == 0
    assert user(db)[0] == 0


def test_refund_more_than_used_is_refused(qt, db):
    web_usage(db, 1, 4)
    before = dump(db)
    r = qt("credits", "refund", "1", "5", "--reason", "x", db=db)
    assert r.rc == 4 and "over by 1" in r.err
    assert dump(db) == before
    assert qt("credits", "refund", "1", "4", "--reason", "x", db=db).rc == 0
    assert user(db) == (10, 0, 0, 0)


@pytest.mark.parametrize("amount", ["0", "1e3", "+5", "0x10", "12abc", " 5", "05", "50001", "99999999999999999999999",
                                    "2.5", ""])
def test_bad_amounts_exit_2(qt, db, amount):
    before = dump(db)
    r = qt("credits", "grant", "1", amount, "--reason", "x", db=db)
    assert r.rc == 2 and one_line(r.err) and "amount" in r.err
    assert dump(db) == before


def test_largest_amount_is_accepted(qt, db):
    assert qt("credits", "grant", "1", "50000", "--reason", "x", db=db).rc == 0
    assert user(db)[0] == 50010


@pytest.mark.parametrize("extra", [["--reason", ""], ["--reason", "   "], [], ["--reason", "x" * 501],
                                   ["--reason", "ok", "--idempotency-key", ""], ["--reason", "ok", "--actor", " "]])
def test_bad_reason_key_or_actor_exit_2(qt, db, extra):
    before = dump(db)
    r = qt("credits", "grant", "1", "5", *extra, db=db)
    assert r.rc == 2
    assert dump(db) == before


def test_unknown_user(qt, db):
    before = dump(db)
    for ref in ("99", "nobody@example.com"):
        r = qt("credits", "grant", ref, "5", "--reason", "x", db=db)
        assert r.rc == 1 and f"no user {ref}" in r.err and one_line(r.err)
    assert dump(db) == before


def test_email_is_matched_without_case(qt, db):
    r = qt("credits", "grant", "USER3@Example.com", "5", "--reason", "x", db=db, json=True)
    assert r.rc == 0 and r.json["user_id"] == 3


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

def test_history_lists_the_trail_with_limit(qt, db):
    for n in (1, 2, 3):
        assert qt("credits", "grant", "2", str(n), "--reason", f"r{n}", "--idempotency-key", f"k{n}", db=db).rc == 0
    doc = qt("credits", "history", "user2@example.com", db=db, json=True).json
    assert [e["amount"] for e in doc["entries"]] == [1, 2, 3]
    assert doc["entries"][0]["idempotency_key"] == "k1" and doc["entries"][0]["source"] == "cli"
    doc = qt("credits", "history", "2", "--limit", "2", db=db, json=True).json
    assert [e["amount"] for e in doc["entries"]] == [2, 3] and doc["total_entries"] == 3
    text = qt("credits", "history", "2", db=db).out
    assert "r3 [k3]" in text and "+3" in text
    assert "No adjustments" in qt("credits", "history", "1", db=db).out
    assert qt("credits", "history", "42", db=db).rc == 1
    assert qt("credits", "history", "2", "--limit", "0", db=db).rc == 2


# --- audit ---------------------------------------------------------------------------------

def test_audit_catches_an_edit_behind_the_tools_back_and_a_negative_balance(qt, db):
    audit_clean(qt, db)
    con = sqlite3.connect(str(db))
    con.execute("UPDATE users SET credits_balance = credits_balance + 5 WHERE id = 2")
    con.execute("UPDATE users SET credits_balance = -3, credits_lifetime_used = 13 WHERE id = 3")
    con.commit()
    con.close()
    r = qt("credits", "audit", db=db, json=True)
    assert r.rc == 3
    doc = r.json
    assert doc["violations"] == 2 and doc["negative_balances"] == 1 and doc["invariant_broken"] == 1
    first, second = doc["listed"]
    assert first["user_id"] == 2 and first["problems"] == ["invariant"]
    assert (first["expected"], first["actual"], first["difference"], first["expected_balance"]) == (10, 15, 5, 10)
    assert second["user_id"] == 3 and second["problems"] == ["negative_balance"]
    r = qt("credits", "audit", db=db)
    assert r.rc == 3 and "user 2 (user2@example.com)" in r.out and "off by +5" in r.out and "negative balance -3" in r.out
    r = qt("credits", "audit", "--limit", "1", db=db, json=True)
    assert r.rc == 3 and r.json["violations"] == 2 and len(r.json["listed"]) == 1


def test_audit_uses_the_migration_base(qt, db):
    con = sqlite3.connect(str(db))
    con.execute("UPDATE users SET credits_balance = 700 WHERE id = 1")
    con.execute("INSERT INTO quicktools_migrated_users (user_id, new_balance, new_purchased_total, new_api_access, "
                "invariant_base, policy, migrated_at) VALUES (1, 700, 0, 0, 700, 'default', ?)", (STAMP,))
    con.commit()
    con.close()
    audit_clean(qt, db)


def test_audit_after_upgrading_a_legacy_database(qt, make_db):
    path = make_db(users=200, state="legacy")
    assert qt("db", "upgrade", db=path).rc == 0
    assert audit_clean(qt, path)["users_checked"] == 200
