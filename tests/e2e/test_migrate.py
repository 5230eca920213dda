"""migrate packs: the subscription -> credit packs migration on real files."""
import json
import os
import sqlite3
import stat

import pytest

from conftest import dump, execute, query

ALLOWANCE = {"free": 10, "basic": 200, "pro": 1000, "business": 5000}
STATUSES = ["active", "trialing", "past_due", "canceled"]


def set_users(path, rows):
    """Replaces every user with rows of (id, tier, status, monthly, used, subscription_id), on a
    SQLite file or a PostgreSQL URL."""
    values = ", ".join(
        "({}, 'u{}@example.com', 'x', TRUE, '2026-01-01 00:00:00.000000', {}, {}, {}, {}, {})".format(
            uid, uid, *(("NULL" if v is None else f"'{v}'") for v in (tier, status, sub)), monthly, used)
        for uid, tier, status, monthly, used, sub in rows)
    execute(path, "DELETE FROM api_keys")
    execute(path, "DELETE FROM users")
    execute(path, "INSERT INTO users (id, email, hashed_password, is_active, created_at, subscription_tier, "
                  "subscription_status, stripe_subscription_id, monthly_credits, credits_used_this_month) "
                  f"VALUES {values}")


def migrated(path, uid):
    """The migration's record of one user, as a dict (None if there is none)."""
    if str(path).startswith("postgresql://"):
        rows = query(path, f"SELECT row_to_json(m)::text FROM quicktools_migrated_users m WHERE user_id = {int(uid)}")
        return json.loads(rows[0][0]) if rows else None
    con = sqlite3.connect(str(path))
    con.row_factory = sqlite3.Row
    row = con.execute("SELECT * FROM quicktools_migrated_users WHERE user_id = ?", (uid,)).fetchone()
    con.close()
    return dict(row) if row else None


def audit_violations(path):
    """Users for whom balance - purchased + used != base + ledger (the credit invariant)."""
    return query(path, """
        SELECT u.id FROM users u LEFT JOIN quicktools_migrated_users m ON m.user_id = u.id
        WHERE u.credits_balance - u.credits_purchased_total + u.credits_lifetime_used
              != coalesce(m.invariant_base, 10)
                 + coalesce((SELECT sum(balance_delta - purchased_delta + used_delta) FROM quicktools_ledger l
                             WHERE l.user_id = u.id), 0)""")


# --- the product document's own case -----------------------------------------------------

def test_design_document_case(qt, make_db):
    path = make_db(users=1)
    set_users(path, [(1, "pro", "active", 1000, 0, "sub_1")])
    r = qt("migrate", "packs", "--no-backup", db=path)
    assert r.rc == 0, r.err
    assert "Total users: 1\nTotal credits in system: 1000\nUsers with API access: 1" in r.out
    assert r.err == ""  # no progress when stderr is not a terminal
    assert query(path, "SELECT credits_balance, api_access_unlocked FROM users") == [(1000, 1)]
    r = qt("report", db=path, json=True)
    assert r.json["summary"] == {"total_users": 1, "total_credits": 1000, "users_with_api": 1}


# --- every tier and status ----------------------------------------------------------------

def every_tier_and_status(path):
    rows, uid = [], 0
    for tier in ALLOWANCE:
        for status in ([None] if tier == "free" else STATUSES):
            for used in (0, ALLOWANCE[tier] // 3, ALLOWANCE[tier] + 5):  # none, some, over the allowance
                uid += 1
                sub = f"sub_{uid}" if status not in (None, "canceled") else None
                rows.append((uid, tier, status, ALLOWANCE[tier], used, sub))
    set_users(path, rows)
    return rows


def test_every_tier_and_status_by_default_policy(qt, make_db):
    path = make_db(users=1)
    rows = every_tier_and_status(path)
    r = qt("migrate", "packs", "--no-backup", db=path, json=True)
    assert r.rc == 0, r.err
    doc = r.json
    assert doc["changed"] and doc["mode"] == "convert" and doc["policy"] == "default"
    assert doc["schema_applied"] == [2, 3, 5] and doc["state_before"] == "legacy"
    expected_credits = 0
    for uid, tier, status, monthly, used, sub in rows:
        credits = max(monthly - used, 0)
        api = int(tier in ("pro", "business") and status in ("active", "trialing"))
        expected_credits += credits
        assert query(path, "SELECT credits_balance, credits_purchased_total, credits_lifetime_used, "
                           "api_access_unlocked FROM users WHERE id = ?", (uid,)) == [(credits, 0, 0, api)], uid
        m = migrated(path, uid)
        assert (m["old_tier"], m["old_status"], m["old_subscription_id"]) == (tier, status, sub)
        assert (m["old_monthly_credits"], m["old_used_this_month"], m["old_balance"]) == (monthly, used, 10)
        assert (m["new_balance"], m["new_api_access"], m["policy"]) == (credits, api, "default")
        assert m["invariant_base"] == credits and m["cancel_status"] is None
    assert doc["summary"] == {"total_users": len(rows), "total_credits": expected_credits, "users_with_api": 12}
    by_tier = {t["tier"]: t for t in doc["by_tier"]}
    assert by_tier["pro"]["users"] == 12 and by_tier["pro"]["api_unlocks"] == 6
    assert by_tier["free"]["users"] == 3 and by_tier["free"]["api_unlocks"] == 0
    for tier in ALLOWANCE:
        assert by_tier[tier]["credits"] == sum(max(m - u, 0) for _, t, _, m, u, _ in rows if t == tier)
    billing = doc["billing_subscriptions"]
    assert billing["count"] == 27 and not billing["truncated"]
    assert {s["status"] for s in billing["shown"]} == {"active", "trialing", "past_due"}
    assert "--cancel-subscriptions" in billing["note"]
    assert audit_violations(path) == []


def test_text_lists_the_subscriptions_still_billing(qt, make_db):
    path = make_db(users=1)
    set_users(path, [(1, "pro", "active", 1000, 10, "sub_A"), (2, "basic", "canceled", 200, 0, None),
                     (3, "basic", "past_due", 200, 0, "sub_C")])
    r = qt("migrate", "packs", "--no-backup", db=path)
    assert r.rc == 0, r.err
    assert "Stripe keeps billing 2 subscriptions" in r.out and "sub_A" in r.out and "sub_C" in r.out
    assert "--cancel-subscriptions" in r.out


# --- dry run and re-run -------------------------------------------------------------------

def test_dry_run_changes_nothing(qt, make_db, tmp_path):
    path = make_db(users=300, drift=True)
    before = dump(path)
    r = qt("migrate", "packs", "--dry-run", db=path, json=True)
    assert r.rc == 0, r.err
    doc = r.json
    assert doc["dry_run"] and not doc["changed"] and doc["schema_applied"] == [2, 3, 5]
    assert sum(row["users"] for row in doc["by_tier_status"]) == 300
    assert {(row["tier"], row["status"]) for row in doc["by_tier_status"]} >= {("free", None), ("pro", "active")}
    assert dump(path) == before
    assert [p for p in os.listdir(tmp_path) if "backup" in p] == []
    text = qt("migrate", "packs", "--dry-run", db=path)
    assert "Dry run: nothing changed." in text.out and "Would migrate 300 users" in text.out
    # the plan is what the migration then does
    real = qt("migrate", "packs", "--no-backup", db=path, json=True).json
    assert real["summary"] == doc["summary"] and real["by_tier"] == doc["by_tier"]


def test_users_created_afterwards_are_left_alone(qt, make_db):
    path = make_db(users=20)
    assert qt("migrate", "packs", "--no-backup", db=path).rc == 0
    con = sqlite3.connect(str(path))
    con.execute("INSERT INTO users (id, email, hashed_password, is_active, created_at, subscription_tier, "
                "monthly_credits, credits_used_this_month) VALUES (500, 'new@example.com', 'x', 1, 'now', 'free', 0, 0)")
    con.execute("UPDATE users SET credits_balance = credits_balance - 3, credits_lifetime_used = 3 WHERE id = 500")
    con.commit()
    con.close()
    assert qt("migrate", "packs", "--no-backup", db=path).rc == 0
    assert query(path, "SELECT credits_balance FROM users WHERE id = 500") == [(7,)]
    assert migrated(path, 500) is None
    assert audit_violations(path) == []


# --- policy files -------------------------------------------------------------------------

def write_policy(tmp_path, doc, name="policy.json"):
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return p


def test_policy_file_full_fixed_and_purchased_equivalent(qt, make_db, tmp_path):
    path = make_db(users=1)
    set_users(path, [(1, "free", None, 10, 4, None), (2, "basic", "active", 200, 150, "s2"),
                     (3, "pro", "past_due", 1000, 900, "s3"), (4, "business", "canceled", 5000, 5000, None)])
    policy = write_policy(tmp_path, {
        "name": "generous",
        "tiers": {"basic": {"credits": 300}, "pro": {"credits": "full", "api_statuses": ["active", "past_due"],
                                                   "purchased_equivalent": 1200},
                  "business": {"credits": "full", "api": True, "api_statuses": ["canceled"],
                               "purchased_equivalent": 5000}}})
    r = qt("migrate", "packs", "--no-backup", "--policy", policy, db=path, json=True)
    assert r.rc == 0, r.err
    assert r.json["policy"] == "generous"
    got = query(path, "SELECT id, credits_balance, credits_purchased_total, api_access_unlocked FROM users ORDER BY id")
    assert got == [(1, 6, 0, 0), (2, 300, 0, 0), (3, 1000, 1200, 1), (4, 5000, 5000, 1)]
    assert migrated(path, 3)["invariant_base"] == 1000 - 1200 and migrated(path, 3)["policy"] == "generous"
    assert qt("user", "show", "3", db=path, json=True).json["support_tier"] == "Priority (24h response)"
    assert qt("user", "show", "4", db=path, json=True).json["support_tier"] == "Dedicated (12h response)"
    assert audit_violations(path) == []


MALFORMED = [
    ("{not json", "not valid JSON"),
    ('["free"]', "must be an object"),
    ({"tiers": {}, "extra": 1}, "extra"),
    ({"tiers": {"gold": {}}}, "tiers.gold"),
    ({"tiers": {"pro": {"credits": "lots"}}}, "tiers.pro.credits"),
    ({"tiers": {"pro": {"credits": -5}}}, "tiers.pro.credits"),
    ({"tiers": {"pro": {"credits": 1.5}}}, "tiers.pro.credits"),
    ({"tiers": {"pro": {"credits": 10 ** 12}}}, "tiers.pro.credits"),
    ({"tiers": {"pro": {"credits": 10 ** 30}}}, "tiers.pro.credits"),
    ({"tiers": {"pro": {"api": "yes"}}}, "tiers.pro.api"),
    ({"tiers": {"pro": {"api_statuses": "active"}}}, "tiers.pro.api_statuses"),
    ({"tiers": {"pro": {"api_statuses": ["paid"]}}}, "tiers.pro.api_statuses"),
    ({"tiers": {"pro": {"purchased_equivalent": -1}}}, "tiers.pro.purchased_equivalent"),
    ({"tiers": {"pro": {"bonus": 1}}}, "tiers.pro.bonus"),
    ({"tiers": {"pro": 5}}, "tiers.pro"),
    ({"tiers": []}, "tiers"),
    ({"name": 3, "tiers": {}}, "name"),
    ({"name": "adopted"}, "name"),
]


@pytest.mark.parametrize("doc,key", MALFORMED, ids=[k for _, k in MALFORMED])
def test_malformed_policy_is_rejected_before_anything_changes(qt, make_db, tmp_path, doc, key):
    path = make_db(users=30)
    before = dump(path)
    policy = write_policy(tmp_path, doc)
    r = qt("migrate", "packs", "--policy", policy, db=path)
    assert r.rc == 2, r.err
    assert key in r.err and len(r.err.strip().splitlines()) == 1
    assert dump(path) == before
    assert [p for p in os.listdir(tmp_path) if "backup" in p] == []


# --- databases in other states ------------------------------------------------------------

def test_database_converted_earlier_by_a_script_is_adopted(qt, make_db):
    path = make_db(users=200, state="credit-packs")
    con = sqlite3.connect(str(path))
    con.execute("UPDATE users SET credits_purchased_total = 1200, credits_lifetime_used = 7, "
                "credits_balance = credits_balance + 1200 WHERE id = 5")
    con.commit()
    con.close()
    balances = query(path, "SELECT id, credits_balance, api_access_unlocked FROM users ORDER BY id")
    r = qt("migrate", "packs", "--no-backup", db=path, json=True)
    assert r.rc == 0, r.err
    assert r.json["mode"] == "adopt" and r.json["policy"] == "adopted" and r.json["changed"]
    assert query(path, "SELECT id, credits_balance, api_access_unlocked FROM users ORDER BY id") == balances
    assert query(path, "SELECT count(*), min(policy), max(policy) FROM quicktools_migrated_users") == [
        (200, "adopted", "adopted")]
    m = migrated(path, 5)
    assert m["invariant_base"] == m["new_balance"] - 1200 + 7 and m["old_tier"] is not None
    assert audit_violations(path) == []
    text = qt("migrate", "packs", db=path)
    assert "already migrated" in text.out and "adopted" in text.out


def test_adoption_is_explained_in_text(qt, make_db):
    path = make_db(users=5, state="credit-packs")
    r = qt("migrate", "packs", "--no-backup", db=path)
    assert r.rc == 0 and "already converted" in r.out and "'adopted'" in r.out


def test_the_product_database_one_user_1000_credits_is_adopted(qt, make_db):
    path = make_db(users=1, state="credit-packs")
    con = sqlite3.connect(str(path))
    con.execute("UPDATE users SET credits_balance = 1000, api_access_unlocked = 1")
    con.commit()
    con.close()
    r = qt("migrate", "packs", "--no-backup", db=path)
    assert r.rc == 0, r.err
    assert "Total users: 1\nTotal credits in system: 1000\nUsers with API access: 1" in r.out


def test_final_state_database_is_adopted(qt, make_db):
    path = make_db(users=50, state="final")
    balances = query(path, "SELECT id, credits_balance FROM users ORDER BY id")
    r = qt("migrate", "packs", "--no-backup", db=path, json=True)
    assert r.rc == 0, r.err
    assert r.json["mode"] == "adopt" and r.json["billing_subscriptions"]["count"] == 0
    assert query(path, "SELECT id, credits_balance FROM users ORDER BY id") == balances
    assert query(path, "SELECT count(*) FROM quicktools_migrated_users WHERE old_tier IS NULL") == [(50,)]
    assert audit_violations(path) == []


def test_upgraded_by_the_tool_is_converted(qt, make_db):
    path = make_db(users=50)
    assert qt("db", "upgrade", db=path).rc == 0
    r = qt("migrate", "packs", "--no-backup", db=path, json=True)
    assert r.rc == 0 and r.json["mode"] == "convert" and r.json["schema_applied"] == []


def test_unknown_schema_is_refused(qt, make_db):
    path = make_db(users=10)
    con = sqlite3.connect(str(path))
    con.execute("ALTER TABLE users ADD COLUMN credits_balance INTEGER NOT NULL DEFAULT 10")
    con.commit()
    con.close()
    before = dump(path)
    r = qt("migrate", "packs", db=path)
    assert r.rc == 4 and "refusing to migrate" in r.err
    assert dump(path) == before
    assert qt("migrate", "packs", "--dry-run", db=path).rc == 4


def test_drift_is_kept(qt, make_db):
    path = make_db(users=40, drift=True)
    assert qt("migrate", "packs", "--no-backup", db=path).rc == 0
    assert query(path, "SELECT count(*) FROM audit_log") == [(40,)]
    assert query(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                       "('active_users', 'users_audit', 'ix_users_created_at')") == [(3,)]


# --- backups ------------------------------------------------------------------------------

def test_backup_by_default_next_to_the_database(qt, make_db, tmp_path):
    path = make_db(users=25)
    before = dump(path)
    r = qt("migrate", "packs", db=path, json=True)
    assert r.rc == 0, r.err
    backup = r.json["backup"]["path"]
    assert backup.startswith(str(path) + ".backup-")
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert dump(backup) == before
    text_db = make_db(users=5)
    r = qt("migrate", "packs", db=text_db)
    assert "Backup: " + str(text_db) + ".backup-" in r.out


def test_no_backup_and_explicit_backup(qt, make_db, tmp_path):
    path = make_db(users=10)
    assert qt("migrate", "packs", "--no-backup", db=path).rc == 0
    assert [p for p in os.listdir(tmp_path) if "backup" in p] == []
    other = make_db(users=10)
    dest = tmp_path / "pre-packs.db"
    r = qt("migrate", "packs", "--backup", dest, db=other, json=True)
    assert r.rc == 0 and r.json["backup"]["path"] == str(dest) and dest.exists()
    assert qt("migrate", "packs", "--backup", dest, "--no-backup", db=other).rc == 2


def test_existing_backup_destination_is_refused_before_anything_changes(qt, make_db, tmp_path):
    path = make_db(users=10)
    dest = tmp_path / "taken.db"
    dest.write_text("mine")
    before = dump(path)
    r = qt("migrate", "packs", "--backup", dest, db=path)
    assert r.rc == 4 and "already exists" in r.err
    assert dump(path) == before and dest.read_text() == "mine"


def test_existing_ledger_rows_keep_the_invariant(qt, make_db):
    path = make_db(users=5)
    assert qt("db", "upgrade", db=path).rc == 0
    con = sqlite3.connect(str(path))
    con.execute("UPDATE users SET credits_balance = credits_balance + 50 WHERE id = 2")
    con.execute("INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, balance_after, reason, actor, "
                "source, created_at) VALUES (2, 'grant', 50, 50, 60, 'goodwill', 'me', 'cli', 'now')")
    con.commit()
    con.close()
    assert audit_violations(path) == []
    assert qt("migrate", "packs", "--no-backup", db=path).rc == 0
    assert audit_violations(path) == []


def test_progress_on_a_terminal(make_db):
    import pty
    import subprocess
    from conftest import BIN
    path = make_db(users=50)
    leader, follower = pty.openpty()
    p = subprocess.run([BIN, "--db", str(path), "migrate", "packs", "--no-backup"], stdout=subprocess.PIPE,
                       stderr=follower, timeout=60)
    os.close(follower)
    err = os.read(leader, 65536).decode()
    os.close(leader)
    assert p.returncode == 0
    assert "migrate packs: 50/50 (100%)" in err and "Total users: 50" not in err
