"""Stripe events for the e2e tests, built from stripe_objects.py: purchases of the credit packs,
charges and disputes of them, and the database helpers the Stripe tests share."""
import itertools
import json
import re

import stripe_objects
from conftest import execute, query, run_qt

PRICES = dict(stripe_objects.PACK_PRICES)
CREDITS = {"starter": 100, "standard": 500, "pro": 1200, "business": 5000}
_ids = itertools.count(1)


def event(kind, obj, id=None, created=1767225600, livemode=False):
    return stripe_objects.event(kind, obj, id=id or f"evt_t{next(_ids):08d}", created=created, livemode=livemode)


def session(user, pack, id=None, paid=True, amount=None, currency="usd", mode="payment", metadata=None,
            client_ref="same", email=None, pi=None, livemode=False):
    """The session of a purchase of `pack` by `user` (metadata and client_reference_id name them),
    paid unless `paid=False`; `amount` replaces the pack's price."""
    sid = id or f"cs_test_{next(_ids):08d}"
    return stripe_objects.checkout_session(
        id=sid, amount=PRICES.get(pack, 999) if amount is None else amount, currency=currency, mode=mode,
        paid=paid, email=email, client_reference_id=(str(user) if client_ref == "same" else client_ref),
        metadata=({"user_id": str(user), "pack": pack} if metadata is None else metadata),
        payment_intent=pi or f"pi_{sid}", livemode=livemode)


def completed(user, pack, **kw):
    ev = {k: kw.pop(k) for k in ("id", "created", "livemode") if k in kw}
    sess_id = kw.pop("session_id", None)
    kw["livemode"] = ev.get("livemode", False)
    return event("checkout.session.completed", session(user, pack, id=sess_id, **kw), **ev)


def charge(pi, amount, refunded_amount=None, id=None):
    """The charge of payment intent `pi`, `refunded_amount` of it refunded (all unless given)."""
    refunded_amount = amount if refunded_amount is None else refunded_amount
    return stripe_objects.charge(id=id or f"ch_{next(_ids):08d}", payment_intent=pi, amount=amount,
                                 amount_refunded=refunded_amount)


def dispute(charge_id, pi, amount, status="warning_needs_response"):
    return stripe_objects.dispute(id=f"dp_{next(_ids):08d}", charge=charge_id, payment_intent=pi, amount=amount,
                                  status=status)


def write(path, events, fmt="list"):
    with open(path, "w") as f:
        if fmt == "ndjson":
            f.write("".join(json.dumps(e) + "\n" for e in events))
        elif fmt == "array":
            json.dump(events, f, indent=1)
        elif fmt == "single":
            assert len(events) == 1
            json.dump(events[0], f, indent=2)
        else:
            json.dump({"object": "list", "data": events, "has_more": False, "url": "/v1/events"}, f)
    return path


def replay(qt, db, *events, fmt="list", args=()):
    path = write(db.parent / f"ev{abs(hash(json.dumps(events, sort_keys=True)))}.json", list(events), fmt)
    return qt("stripe", "replay", path, *args, db=db, json=True)


def add_users(path, *ids):
    if ids:
        execute(path, "INSERT INTO users (id, email, hashed_password, is_active, created_at) VALUES "
                + ", ".join("(?, ?, 'x', TRUE, '2026-01-01 00:00:00.000000')" for _ in ids),
                [v for i in ids for v in (i, f"user{i}@example.com")])


def new_database(path, *ids):
    """A new database (`db init`) with these users signed up, as the Stripe tests start from: a
    file's path, or the URL of an empty PostgreSQL database (conftest's new_db makes either)."""
    assert run_qt("db", "init", db=path).rc == 0
    add_users(path, *ids)
    return path


def migration_gave_api(path, uid):
    """The user as the migration left them: API access unlocked by their old subscription."""
    execute(path, "INSERT INTO quicktools_migrated_users (user_id, new_balance, new_purchased_total, new_api_access, "
                  "invariant_base, policy, migrated_at) VALUES (?, 10, 0, 1, 10, 'default', '2026-01-01')", (uid,))
    execute(path, "UPDATE users SET api_access_unlocked = TRUE WHERE id = ?", (uid,))


def use(path, user, n):
    """Usage as the web app writes it."""
    execute(path, "UPDATE users SET credits_balance = credits_balance - ?, "
                  "credits_lifetime_used = credits_lifetime_used + ? WHERE id = ?", (n, n, user))


def user(path, uid):
    """(balance, purchased, used, API access as 0/1, last purchase amount)."""
    row = query(path, "SELECT credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked, "
                      "last_purchase_amount FROM users WHERE id = ?", (uid,))[0]
    return tuple(int(v) if isinstance(v, bool) else v for v in row)


STRIPE_TABLES = ("users", "quicktools_checkout_sessions", "quicktools_stripe_events", "quicktools_ledger",
                 "quicktools_refunds", "quicktools_disputes", "quicktools_state")
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def tables(path, run=None):
    """Every row of the tables the Stripe commands write, comparable across engines: booleans as
    0/1, times blanked (the tool writes the time of the run, and unix times within `run`, a
    (first, last) pair, are the time of a run), rows sorted; the ledger in its order without its
    ids (a PostgreSQL sequence does not give back the ids of a rolled-back transaction, e.g. a
    dry run's)."""
    def value(v):
        if isinstance(v, bool):
            return int(v)
        if run and isinstance(v, int) and run[0] <= v <= run[1]:
            return "<run>"
        return "<time>" if isinstance(v, str) and TIME.fullmatch(v) else v
    rows = {t: sorted((tuple(value(v) for v in row) for row in query(path, f"SELECT * FROM {t}")), key=repr)
            for t in STRIPE_TABLES if t != "quicktools_ledger"}
    rows["quicktools_ledger"] = [tuple(value(v) for v in row[1:])
                                 for row in query(path, "SELECT * FROM quicktools_ledger ORDER BY id")]
    return rows


def invariant_terms(path):
    """Per user: balance - purchased + used - (the ledger's deltas); the tool's writes keep it."""
    return query(path, """SELECT u.id, u.credits_balance - u.credits_purchased_total + u.credits_lifetime_used
        - COALESCE((SELECT SUM(balance_delta - purchased_delta + used_delta) FROM quicktools_ledger l
        WHERE l.user_id = u.id), 0) FROM users u ORDER BY u.id""")


def invariant_holds(path):
    rows = query(path, """SELECT u.id FROM users u WHERE u.credits_balance - u.credits_purchased_total
        + u.credits_lifetime_used <> COALESCE((SELECT invariant_base FROM quicktools_migrated_users m
        WHERE m.user_id = u.id), 10) + COALESCE((SELECT SUM(balance_delta - purchased_delta + used_delta)
        FROM quicktools_ledger l WHERE l.user_id = u.id), 0)""")
    return rows == []




def purchases_file(path, users, count, seed=9):
    """NDJSON of `count` paid purchases by random users 1..users, written fast (no fixtures): for
    the tests that need a long replay (kill points, signals)."""
    import random
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for i in range(count):
            uid = rnd.randint(1, users)
            pack = rnd.choice(list(PRICES))
            sid = f"cs_test_bulk{i:06d}"
            f.write(f'{{"id":"evt_bulk{i:06d}","object":"event","type":"checkout.session.completed",'
                    f'"created":{1767225600 + i},"livemode":false,"data":{{"object":{{"id":"{sid}",'
                    f'"object":"checkout.session","mode":"payment","status":"complete","payment_status":"paid",'
                    f'"amount_total":{PRICES[pack]},"currency":"usd","client_reference_id":"{uid}",'
                    f'"metadata":{{"user_id":"{uid}","pack":"{pack}"}},"payment_intent":"pi_{sid}",'
                    f'"customer_details":{{"email":null}}}}}}}}\n')
    return path
