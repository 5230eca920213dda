#!/usr/bin/python3
"""Peer of `quicktools stripe replay`: the web app's Stripe webhook handler, written the way a
web team writes one (json + sqlite3), run over a file of events.

    replay_handler.py DB EVENTS
    replay_handler.py postgresql://USER@HOST:PORT/DBNAME EVENTS     (Debian's python3-psycopg2)

DB is a quicktools.db with the credit-pack columns (after the migration). EVENTS is a list
object ({"object": "list", "data": [...]}), a JSON array, or one event per line (NDJSON).
All events are applied in one transaction. The rules are the tool's for checkout sessions
(docs/design.md, "Stripe events"):

- an event id seen before is a duplicate; a session credited before is a duplicate;
- checkout.session.completed credits when payment_status is "paid"; "unpaid" waits for
  checkout.session.async_payment_succeeded, which credits; async_payment_failed credits nothing;
- the buyer is metadata.user_id, else client_reference_id (both set and different: skipped),
  else the customer's email; an unknown buyer is skipped;
- the pack is metadata.pack (or metadata.tier); amount_total and currency must be the pack's;
- only test-mode events (livemode false), only sessions of mode "payment";
- a credit adds the pack's credits to credits_balance and credits_purchased_total, sets
  last_purchase_date (the event's time) and last_purchase_amount, and unlocks the API for pro
  and business.

On PostgreSQL the handler is the same code through psycopg2 (its statements in PostgreSQL's
spelling: %s placeholders, lower() for the case-insensitive email, real booleans), in one
transaction as well.

Other event types are recorded and ignored. The handler keeps its own two tables:
webhook_events (every event id, with what became of it) and webhook_sessions (every credited
session). Prints one line: events=N credited=C duplicate=D pending=P skipped=S failed=F
ignored=I credits=X.
"""
import json
import sqlite3
import sys
from datetime import datetime, timezone

# name: (price in cents, credits, unlocks the API)
PACKS = {"starter": (500, 100, False), "standard": (1500, 500, False),
         "pro": (3000, 1200, True), "business": (10000, 5000, True)}
SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                  "checkout.session.async_payment_failed")


def load_events(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(doc, dict) and doc.get("object") == "list":
        return doc["data"]
    return doc if isinstance(doc, list) else [doc]


def text_of(value):
    """Metadata set by hand sometimes holds a number instead of a string."""
    if isinstance(value, bool) or value is None:
        return ""
    return str(value)


class Postgres:
    """The two calls the handler makes (execute(sql, args).fetchone()), on psycopg2, with the
    handler's SQLite statements written for PostgreSQL."""
    SPELLING = {
        "SELECT id FROM users WHERE email = ?1 COLLATE NOCASE ORDER BY email = ?1 DESC LIMIT 1":
            "SELECT id FROM users WHERE lower(email) = lower(%(1)s) ORDER BY email = %(1)s DESC LIMIT 1",
        "api_access_unlocked = CASE WHEN ?3 THEN 1 ELSE api_access_unlocked END":
            "api_access_unlocked = CASE WHEN %(3)s THEN true ELSE api_access_unlocked END",
    }

    def __init__(self, url):
        import psycopg2
        self.conn = psycopg2.connect(url)  # not autocommit: everything is one transaction
        self.cur = self.conn.cursor()

    def execute(self, sql, args=()):
        if sql in ("BEGIN IMMEDIATE", "COMMIT"):
            if sql == "COMMIT":
                self.conn.commit()
            return self.cur
        sql = " ".join(sql.split())
        numbered = "?1" in sql
        for lite, pg in self.SPELLING.items():
            sql = sql.replace(lite, pg)
        if numbered:  # ?1 ?2 ...: a dict
            for n in range(1, len(args) + 1):
                sql = sql.replace(f"?{n}", f"%({n})s")
            self.cur.execute(sql, {str(n): a for n, a in enumerate(args, 1)})
        else:
            self.cur.execute(sql.replace("?", "%s"), args)
        return self.cur

    def close(self):
        self.conn.close()


class Handler:
    def __init__(self, db):
        self.db = db
        db.execute("CREATE TABLE IF NOT EXISTS webhook_events (id TEXT PRIMARY KEY, type TEXT, outcome TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS webhook_sessions (id TEXT PRIMARY KEY, user_id INTEGER, "
                   "pack TEXT, credits INTEGER, event_id TEXT)")
        self.counts = dict.fromkeys(("credited", "duplicate", "pending", "skipped", "failed", "ignored"), 0)
        self.credits = 0

    def find_user(self, ref):
        if ref.isascii() and ref.isdigit() and len(ref) <= 18:
            row = self.db.execute("SELECT id FROM users WHERE id = ?", (int(ref),)).fetchone()
        else:
            row = self.db.execute("SELECT id FROM users WHERE email = ?1 COLLATE NOCASE "
                                  "ORDER BY email = ?1 DESC LIMIT 1", (ref,)).fetchone()
        return row[0] if row else None

    def buyer(self, s):
        meta = s.get("metadata") or {}
        meta_user, client_ref = text_of(meta.get("user_id")), text_of(s.get("client_reference_id"))
        if meta_user and client_ref and meta_user != client_ref:
            return None
        ref = meta_user or client_ref
        if not ref:
            ref = text_of((s.get("customer_details") or {}).get("email")) or text_of(s.get("customer_email"))
        return self.find_user(ref) if ref else None

    def session_event(self, e):
        s = e["data"]["object"]
        if e.get("livemode") is not False or s.get("object") != "checkout.session" or not s.get("id"):
            return "skipped"
        if self.db.execute("SELECT 1 FROM webhook_sessions WHERE id = ?", (s["id"],)).fetchone():
            return "duplicate"
        if e["type"] == "checkout.session.async_payment_failed":
            return "failed"
        if s.get("mode") != "payment":
            return "skipped"
        user = self.buyer(s)
        if user is None:
            return "skipped"
        meta = s.get("metadata") or {}
        pack_name = text_of(meta.get("pack")) or text_of(meta.get("tier"))
        pack = PACKS.get(pack_name)
        if pack is None or s.get("amount_total") != pack[0] or s.get("currency") != "usd":
            return "skipped"
        if e["type"] == "checkout.session.completed" and s.get("payment_status") != "paid":
            return "pending" if s.get("payment_status") == "unpaid" else "skipped"
        price, credits, unlocks_api = pack
        when = datetime.fromtimestamp(e["created"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        self.db.execute("""UPDATE users SET credits_balance = credits_balance + ?1,
                                            credits_purchased_total = credits_purchased_total + ?1,
                                            last_purchase_date = ?2, last_purchase_amount = ?1,
                                            api_access_unlocked = CASE WHEN ?3 THEN 1 ELSE api_access_unlocked END
                           WHERE id = ?4""", (credits, when, unlocks_api, user))
        self.db.execute("INSERT INTO webhook_sessions VALUES (?, ?, ?, ?, ?)",
                        (s["id"], user, pack_name, credits, e["id"]))
        self.credits += credits
        return "credited"

    def handle(self, e):
        if self.db.execute("SELECT 1 FROM webhook_events WHERE id = ?", (e["id"],)).fetchone():
            self.counts["duplicate"] += 1
            return
        outcome = self.session_event(e) if e.get("type") in SESSION_EVENTS else "ignored"
        self.db.execute("INSERT INTO webhook_events VALUES (?, ?, ?)", (e["id"], e.get("type"), outcome))
        self.counts[outcome] += 1


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    if sys.argv[1].startswith(("postgresql://", "postgres://")):
        db = Postgres(sys.argv[1])
    else:
        db = sqlite3.connect(sys.argv[1], isolation_level=None)
    events = load_events(sys.argv[2])
    handler = Handler(db)
    db.execute("BEGIN IMMEDIATE")
    for e in events:
        handler.handle(e)
    db.execute("COMMIT")
    db.close()
    counts = " ".join(f"{k}={v}" for k, v in handler.counts.items())
    print(f"events={len(events)} {counts} credits={handler.credits}")


if __name__ == "__main__":
    main()
