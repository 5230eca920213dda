#!/usr/bin/env python3
"""Make a quicktools.db for tests and benchmarks, in any state the tool must handle.

    make_legacy_db.py OUT.db [--users N] [--seed S] [--state legacy|credit-packs|final]
                             [--tasks-per-user K] [--drift]

Schema: the tool's own sql/sqlite/migrations/001_legacy_schema.sql (the web app's subscription
schema). Values as the web app wrote them
(SQLAlchemy): DATETIME 'YYYY-MM-DD HH:MM:SS.ffffff', BOOLEAN 0/1. Tier mix 80% free, 10% basic,
7% pro, 3% business; statuses active/trialing/past_due/canceled; the same seed gives the same file.
--state credit-packs adds the six credit-pack columns as the earlier one-off script did
(balance = unused allowance, API for active/trialing pro/business); --state final drops the
subscription columns after that. --drift adds objects the tool does not own (a table, a
column, an index, a view, a trigger) that every command must keep intact.
"""
import argparse, os, random, sqlite3, sys
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
SQL = os.path.join(HERE, "..", "..", "sql", "sqlite", "migrations")
TIERS = [("free", 10, 0.80), ("basic", 200, 0.10), ("pro", 1000, 0.07), ("business", 5000, 0.03)]
STATUSES = ["active"] * 8 + ["trialing", "past_due", "canceled"]


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def users(n, rng):
    base = datetime(2025, 1, 1)
    for uid in range(1, n + 1):
        r, acc = rng.random(), 0.0
        for tier, allowance, share in TIERS:
            acc += share
            if r < acc:
                break
        paid = tier != "free"
        status = rng.choice(STATUSES) if paid else None
        yield (uid, f"user{uid}@example.com", "$2b$12$" + "x" * 53, f"User {uid}", 1,
               stamp(base + timedelta(seconds=rng.randrange(0, 400 * 86400))),
               f"cus_{uid:014d}" if paid else None, tier, status,
               f"sub_{uid:014d}" if paid and status != "canceled" else None,
               allowance, rng.randrange(0, allowance + 1), stamp(datetime(2026, 12, 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--state", choices=["legacy", "credit-packs", "final"], default="legacy")
    ap.add_argument("--tasks-per-user", type=int, default=0)
    ap.add_argument("--drift", action="store_true")
    a = ap.parse_args()
    if os.path.exists(a.out):
        sys.exit(f"{a.out} exists; refusing to overwrite")
    rng = random.Random(a.seed)
    db = sqlite3.connect(a.out, isolation_level=None)
    db.executescript(open(os.path.join(SQL, "001_legacy_schema.sql")).read())
    db.execute("BEGIN")
    db.executemany("INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", users(a.users, rng))
    db.execute("""INSERT INTO api_keys (user_id, name, key_prefix, key_hash, created_at, is_active)
                  SELECT id, 'default', 'qt_' || id, 'hash' || id, created_at, 1
                  FROM users WHERE subscription_tier IN ('pro', 'business')""")
    for _ in range(a.tasks_per_user):
        db.execute("""INSERT INTO tasks (user_id, tool, status, credits_charged, created_at)
                      SELECT id, 'pdf-merge', 'done', 1, created_at FROM users""")
    if a.state != "legacy":
        for line in open(os.path.join(SQL, "002_credit_pack_columns.sql")):
            if line.startswith("ALTER"):
                db.execute(line)
        db.execute("""UPDATE users SET credits_balance = max(monthly_credits - credits_used_this_month, 0),
                      api_access_unlocked = (subscription_tier IN ('pro','business')
                                             AND subscription_status IN ('active','trialing'))""")
    if a.state == "final":
        for col in ("subscription_tier", "subscription_status", "stripe_subscription_id", "monthly_credits",
                    "credits_used_this_month", "credits_reset_date"):
            db.execute(f"ALTER TABLE users DROP COLUMN {col}")
    if a.drift:
        db.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, user_id INTEGER, note TEXT)")
        db.execute("INSERT INTO audit_log (user_id, note) SELECT id, 'created' FROM users")
        db.execute("ALTER TABLE users ADD COLUMN marketing_opt_in BOOLEAN NOT NULL DEFAULT 0")
        db.execute("CREATE INDEX ix_users_created_at ON users (created_at)")
        db.execute("CREATE VIEW active_users AS SELECT id, email FROM users WHERE is_active")
        db.execute("""CREATE TRIGGER users_audit AFTER INSERT ON users
                      BEGIN INSERT INTO audit_log (user_id, note) VALUES (new.id, 'signup'); END""")
    db.execute("COMMIT")
    db.close()


if __name__ == "__main__":
    main()
