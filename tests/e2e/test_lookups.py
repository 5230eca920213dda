"""user show / user list / packs list / report on real files."""
import sqlite3

from conftest import dump, query


def migrated_db(qt, make_db, users=40):
    path = make_db(users=users)
    assert qt("migrate", "packs", "--no-backup", db=path).rc == 0
    return path


def execute(path, *statements):
    con = sqlite3.connect(str(path))
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()


def test_user_show_by_id_and_email(qt, make_db):
    path = migrated_db(qt, make_db)
    execute(path, "UPDATE users SET credits_purchased_total = 1200, credits_balance = credits_balance + 1200, "
                  "credits_lifetime_used = 5, last_purchase_date = '2026-02-09 10:00:00.000000', "
                  "last_purchase_amount = 1200, api_access_unlocked = 1 WHERE id = 7")
    before = dump(path)
    by_id = qt("user", "show", "7", db=path, json=True)
    assert by_id.rc == 0, by_id.err
    doc = by_id.json
    assert doc["id"] == 7 and doc["email"] == "user7@example.com"
    assert doc["credits_purchased_total"] == 1200 and doc["credits_lifetime_used"] == 5 and doc["api_access"] is True
    assert doc["support_tier"] == "Priority (24h response)"
    assert doc["last_purchase_date"] == "2026-02-09 10:00:00.000000" and doc["last_purchase_amount"] == 1200
    assert doc["migrated_from"]["policy"] == "default"
    assert qt("user", "show", "USER7@example.com", db=path, json=True).json == doc
    text = qt("user", "show", "user7@example.com", db=path).out
    assert "Priority (24h response)" in text and "unlocked" in text and "1200 credits on 2026-02-09" in text
    assert dump(path) == before


def test_user_show_errors(qt, make_db):
    path = migrated_db(qt, make_db, users=3)
    r = qt("user", "show", "999", db=path)
    assert r.rc == 1 and "no user 999" in r.err
    legacy = make_db(users=3)
    r = qt("user", "show", "1", db=legacy)
    assert r.rc == 4 and "no credit columns" in r.err


def test_user_list_filters(qt, make_db):
    path = migrated_db(qt, make_db, users=60)
    execute(path, "UPDATE users SET credits_purchased_total = 600 WHERE id IN (1, 2)",
            "UPDATE users SET credits_purchased_total = 6000 WHERE id = 3",
            "UPDATE users SET api_access_unlocked = 0",
            "UPDATE users SET api_access_unlocked = 1, credits_balance = 2000 WHERE id IN (2, 3, 4)")
    doc = qt("user", "list", "--api", db=path, json=True).json
    assert [u["id"] for u in doc["users"]] == [2, 3, 4] and doc["matching"] == 3
    doc = qt("user", "list", "--tier", "email", db=path, json=True).json
    assert [u["id"] for u in doc["users"]] == [1, 2]
    doc = qt("user", "list", "--tier", "dedicated", "--api", db=path, json=True).json
    assert [u["id"] for u in doc["users"]] == [3]
    doc = qt("user", "list", "--tier", "community", "--min-balance", "2000", db=path, json=True).json
    assert [u["id"] for u in doc["users"]] == [4]
    doc = qt("user", "list", "--no-api", "--limit", "5", db=path, json=True).json
    assert len(doc["users"]) == 5 and doc["matching"] == 57 and doc["shown"] == 5
    doc = qt("user", "list", db=path, json=True).json
    assert len(doc["users"]) == 50 and doc["matching"] == 60
    text = qt("user", "list", "--api", db=path).out
    assert "3 of 3 matching users" in text


def test_user_list_bad_filters(qt, make_db):
    path = migrated_db(qt, make_db, users=3)
    r = qt("user", "list", "--tier", "gold", db=path)
    assert r.rc == 2 and "community, email, priority, dedicated" in r.err
    assert qt("user", "list", "--limit", "0", db=path).rc == 2
    assert qt("user", "list", "--api", "--no-api", db=path).rc == 2


def test_packs_list(qt):
    r = qt("packs", "list", json=True)
    assert r.rc == 0
    packs = {p["name"]: p for p in r.json["packs"]}
    assert list(packs) == ["starter", "standard", "pro", "business"]
    assert packs["starter"]["cents_per_credit"] == 5.0 and packs["business"]["cents_per_credit"] == 2.0
    assert packs["pro"]["unlocks_api"] and not packs["standard"]["unlocks_api"]
    assert packs["standard"]["badge"] == "Popular" and packs["starter"]["badge"] is None
    text = qt("packs", "list").out
    assert "$30.00" in text and "Best Value + API" in text and "2.50" in text


def test_report_after_migration(qt, make_db):
    path = migrated_db(qt, make_db, users=100)
    execute(path, "UPDATE users SET credits_purchased_total = 5000 WHERE id = 1",
            "INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, "
            "credited_at) VALUES ('cs_1', 1, 'business', 5000, 10000, 'now'), ('cs_2', 2, 'pro', 1200, 3000, 'now'), "
            "('cs_3', 3, 'pro', 1200, 3000, 'now')")
    before = dump(path)
    doc = qt("report", db=path, json=True).json
    totals = query(path, "SELECT count(*), sum(credits_balance), sum(api_access_unlocked) FROM users")[0]
    assert doc["summary"] == {"total_users": totals[0], "total_credits": totals[1], "users_with_api": totals[2]}
    tiers = {t["support_tier"]: t["users"] for t in doc["support_tiers"]}
    assert tiers["Dedicated (12h response)"] == 1 and tiers["Community"] == 99
    packs = {p["pack"]: p for p in doc["packs_bought"]}
    assert packs["pro"]["sessions"] == 2 and packs["pro"]["credits"] == 2400 and packs["business"]["amount_cents"] == 10000
    assert doc["migration"]["users"] == 100 and doc["migration"]["mode"] == "convert"
    assert sum(t["users"] for t in doc["migration"]["by_tier"]) == 100
    text = qt("report", db=path).out
    assert f"Total users: {totals[0]}" in text and "Migrated to credit packs on" in text and "pro" in text
    assert dump(path) == before


def test_report_before_migration(qt, make_db):
    path = make_db(users=12)
    r = qt("report", db=path, json=True)
    assert r.rc == 0, r.err
    assert r.json["summary"]["total_users"] == 12 and r.json["migration"] is None and r.json["state"] == "legacy"
    assert "Not migrated to credit packs yet" in qt("report", db=path).out


def test_help_of_every_command(qt):
    for args in (["migrate", "packs"], ["user", "show"], ["user", "list"], ["packs", "list"], ["report"]):
        r = qt(*args, "--help")
        assert r.rc == 0 and "Example" in r.out, args
