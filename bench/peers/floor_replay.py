#!/usr/bin/python3
"""Floor of `quicktools stripe replay`: the writes a replay must make, as bare SQL.

    floor_replay.py DB EVENTS OUT.sql        (then, timed: sqlite3 DB < OUT.sql)
    floor_replay.py postgresql://... EVENTS OUT.sql     (then, timed: psql -d URL -f OUT.sql)

Reads DB (not written) and EVENTS, decides every event with the rules of replay_handler.py
(the tool's), and writes OUT.sql: one transaction with exactly the rows the tool writes, and
nothing else to do but write them:

- the users of the credited purchases, sorted by id, each updated once (its purchases added
  up), in batches of UPDATE ... FROM (VALUES ...);
- one quicktools_ledger row per credit, balance_after computed here;
- one quicktools_checkout_sessions row per credited session;
- one quicktools_stripe_events row per distinct event id, with the payload of the events a
  person must look at (as the tool keeps it).

No parsing, no lookups, no decisions are left for the timed part: the time of OUT.sql through
sqlite3 is the least a replay of these events can take on this database. The page cache is the
tool's (32 MB). DB must have the tool's tables (`quicktools db upgrade`). Given a PostgreSQL
URL, the users are read from there (psycopg2) and OUT.sql is written in PostgreSQL's spelling
(the VALUES' time cast to TIMESTAMP, a real BOOLEAN for the API unlock).
"""
import json
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_handler import PACKS, SESSION_EVENTS, load_events, text_of  # noqa: E402

NOW = "2026-01-01 00:00:00.000000"
BATCH = 1000


def q(value):
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


class Users:
    """Every user id, email and balance of DB, read once."""

    def __init__(self, path):
        if is_postgres(path):
            import psycopg2
            con = psycopg2.connect(path)
            rows = con.cursor()
            rows.execute("SELECT id, email, credits_balance FROM users")
        else:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            rows = con.execute("SELECT id, email, credits_balance FROM users")
        self.balance, self.by_email = {}, {}
        for uid, email, balance in rows:
            self.balance[uid] = balance
            if email is not None:
                self.by_email.setdefault(email.lower(), []).append((email, uid))
        con.close()

    def find(self, ref):
        if ref.isascii() and ref.isdigit() and len(ref) <= 18:
            return int(ref) if int(ref) in self.balance else None
        matches = self.by_email.get(ref.lower(), [])
        exact = [uid for email, uid in matches if email == ref]
        return (exact or [uid for _, uid in matches] or [None])[0]


def is_postgres(target):
    return target.startswith(("postgresql://", "postgres://"))


def decide(e, users, credited_sessions):
    """(outcome, purchase or None) of one new event: the rules of replay_handler.py."""
    if e.get("type") not in SESSION_EVENTS:
        return "ignored", None
    s = e["data"]["object"]
    if e.get("livemode") is not False or s.get("object") != "checkout.session" or not s.get("id"):
        return "needs_attention", None
    if s["id"] in credited_sessions:
        return "duplicate", None
    if e["type"] == "checkout.session.async_payment_failed":
        return "payment_failed", None
    if s.get("mode") != "payment":
        return "needs_attention", None
    meta = s.get("metadata") or {}
    meta_user, client_ref = text_of(meta.get("user_id")), text_of(s.get("client_reference_id"))
    if meta_user and client_ref and meta_user != client_ref:
        return "needs_attention", None
    ref = meta_user or client_ref or text_of((s.get("customer_details") or {}).get("email")) \
        or text_of(s.get("customer_email"))
    user = users.find(ref) if ref else None
    pack_name = text_of(meta.get("pack")) or text_of(meta.get("tier"))
    pack = PACKS.get(pack_name)
    if user is None or pack is None or s.get("amount_total") != pack[0] or s.get("currency") != "usd":
        return "needs_attention", None
    if e["type"] == "checkout.session.completed" and s.get("payment_status") != "paid":
        return ("pending" if s.get("payment_status") == "unpaid" else "needs_attention"), None
    credited_sessions.add(s["id"])
    return "credited", (user, pack_name, s, e)


def batches(rows):
    for i in range(0, len(rows), BATCH):
        yield rows[i:i + BATCH]


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: floor_replay.py DB EVENTS OUT.sql")
    users = Users(sys.argv[1])
    seen, credited_sessions = set(), set()
    event_rows, purchases = [], []
    for e in load_events(sys.argv[2]):
        if e["id"] in seen:
            continue
        seen.add(e["id"])
        outcome, purchase = decide(e, users, credited_sessions)
        obj = (e.get("data") or {}).get("object") or {}
        payload = json.dumps(e) if outcome == "needs_attention" else None
        detail = f"user {purchase[0]} +{PACKS[purchase[1]][1]} credits ({purchase[1]} pack)" if purchase else None
        event_rows.append((e["id"], e["type"], e["created"], 1 if e.get("livemode") else 0, obj.get("id"),
                           outcome, detail, payload, NOW, NOW))
        if purchase:
            purchases.append(purchase)
    purchases.sort(key=lambda p: p[0])  # stable: a user's purchases stay in event order

    updates, ledger, sessions = {}, [], []
    for user, pack_name, s, e in purchases:
        credits, unlocks = PACKS[pack_name][1], PACKS[pack_name][2]
        when = datetime.fromtimestamp(e["created"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        total, _, _, api = updates.get(user, (0, None, None, False))
        updates[user] = (total + credits, when, credits, api or unlocks)
        users.balance[user] += credits
        ledger.append((user, "purchase", credits, credits, credits, 0, users.balance[user],
                       f"{pack_name} pack bought (checkout session {s['id']})", "bench", f"stripe:{e['id']}", NOW))
        sessions.append((s["id"], user, pack_name, credits, s["amount_total"], s.get("payment_intent"),
                         "quicktools", NOW))

    pg = is_postgres(sys.argv[1])
    with open(sys.argv[3], "w") as out:
        out.write("BEGIN;\n" if pg else "PRAGMA cache_size = -32768;\nBEGIN IMMEDIATE;\n")
        when, unlock = ("v.column3::timestamp", "v.column5 = 1 THEN true") if pg else ("v.column3", "v.column5 THEN 1")
        for chunk in batches(sorted(updates.items())):
            values = ",".join(f"({uid},{t},{q(w)},{a},{int(api)})" for uid, (t, w, a, api) in chunk)
            out.write("UPDATE users SET credits_balance = credits_balance + v.column2, "
                      "credits_purchased_total = credits_purchased_total + v.column2, "
                      f"last_purchase_date = {when}, last_purchase_amount = v.column4, "
                      f"api_access_unlocked = CASE WHEN {unlock} ELSE api_access_unlocked END "
                      f"FROM (VALUES {values}) AS v WHERE users.id = v.column1;\n")
        for table, columns, rows in (
                ("quicktools_ledger", "user_id, kind, amount, balance_delta, purchased_delta, used_delta, "
                 "balance_after, reason, actor, source, created_at", ledger),
                ("quicktools_checkout_sessions", "session_id, user_id, pack, credits, amount_total, "
                 "payment_intent, credited_by, credited_at", sessions),
                ("quicktools_stripe_events", "event_id, type, created, livemode, object_id, outcome, detail, "
                 "payload, first_seen_at, updated_at", event_rows)):
            for chunk in batches(rows):
                values = ",".join("(" + ",".join(q(v) for v in row) + ")" for row in chunk)
                out.write(f"INSERT INTO {table} ({columns}) VALUES {values};\n")
        out.write("COMMIT;\n")
    print(f"events={len(seen)} credited={len(purchases)} users={len(updates)}")


if __name__ == "__main__":
    main()
