"""Slow bodies: the Stripe stand-in sends the status and headers at once and then the body slowly
(trickled in pieces, or stalled part-way), for checkout create, stripe sync and migrate packs
--cancel-subscriptions. A body slower than --timeout fails the attempt: one line naming the
timeout, or a retry with the same Idempotency-Key; Stripe acted once, and nothing is applied
twice. A body that is slow but within the timeout is read completely."""
import re
import time

import pytest

from conftest import query
from stripe_events import completed, invariant_holds, new_database, user
from stripe_standin import Answer

URLS = ["--success-url", "https://app.example.com/paid", "--cancel-url", "https://app.example.com/pricing"]
SESSIONS = "/v1/checkout/sessions"
EVENTS = "/v1/events"


def error_line(r):
    """The one-line error of a failed --json run (one document on stdout)."""
    doc = r.json
    assert doc["ok"] is False and "\n" not in doc["error"]
    return doc["error"]


# --- checkout create --------------------------------------------------------------------------

@pytest.fixture
def shop(make_db):
    return make_db(users=5, state="credit-packs")


def checkout(qt, db, api, *args):
    return qt("checkout", "create", "2", "pro", *URLS, *args, db=db, json=True, env=api.env())


def test_checkout_body_slower_than_the_timeout_fails_in_one_line_and_a_repeat_creates_nothing_new(
        qt, shop, stripe_api):
    stripe_api.script(Answer.trickle(30.0), method="POST", path=SESSIONS)
    started = time.monotonic()
    r = checkout(qt, shop, stripe_api, "--timeout", "0.5", "--max-retries", "0")
    assert time.monotonic() - started < 15  # gave up at the timeout, did not read the 30 s body
    assert r.rc == 1
    line = error_line(r)
    assert line.startswith("an incomplete answer from Stripe at")
    assert "HTTP 200 arrived but its body did not arrive completely within the timeout (500 ms total" in line
    # Stripe created the session; the error names the key that makes a repeat safe.
    key = re.search(r"a repeat with idempotency key (\S+) is safe", line).group(1)
    assert len(stripe_api.sessions) == 1
    again = checkout(qt, shop, stripe_api, "--idempotency-key", key)
    assert again.rc == 0, again.err
    assert again.json["id"] == next(iter(stripe_api.sessions)) and len(stripe_api.sessions) == 1
    assert stripe_api.calls()[-1].replayed


@pytest.mark.parametrize("fault", [Answer.trickle(4.0), Answer.stall(after=100, seconds=4.0),
                                   Answer.stall(after=100, seconds=0.1, then="close")],
                         ids=["trickled", "stalled", "cut-short"])
def test_checkout_slow_or_cut_body_is_retried_with_the_same_key_and_creates_one_session(
        qt, shop, stripe_api, fault):
    stripe_api.script(fault, method="POST", path=SESSIONS)
    r = checkout(qt, shop, stripe_api, "--timeout", "0.5", "--max-retries", "1")
    assert r.rc == 0, r.err
    first, second = stripe_api.calls("POST", SESSIONS)
    assert first.idempotency_key == second.idempotency_key == r.json["idempotency_key"]
    assert second.replayed and len(stripe_api.sessions) == 1
    assert r.json["id"] == next(iter(stripe_api.sessions)) and r.json["attempts"] == 2
    assert "retrying" in r.err


@pytest.mark.parametrize("fault", [Answer.trickle(1.0, pieces=25), Answer.stall(after=700, seconds=0.8)],
                         ids=["trickled", "stalled"])
def test_checkout_body_slow_within_the_timeout_is_read_completely(qt, shop, stripe_api, fault):
    stripe_api.script(fault, method="POST", path=SESSIONS)
    r = checkout(qt, shop, stripe_api, "--timeout", "5", "--max-retries", "0")
    assert r.rc == 0, r.err
    [session] = stripe_api.sessions.values()
    assert r.json["session"] == session and r.json["attempts"] == 1
    assert len(r.json["session"]["url"]) > 40 and r.err == ""


# --- stripe sync ------------------------------------------------------------------------------

@pytest.fixture
def synced(tmp_path, stripe_api):
    """A database with users 1-3 and 250 paid starter packs on the stand-in (3 pages)."""
    path = new_database(tmp_path / "quicktools.db", 1, 2, 3)
    now = int(time.time())
    for i in range(250):
        stripe_api.events.append(completed(1 + i % 3, "starter", created=now - 3600 + i))
    return path


def sync(qt, db, api, *args):
    return qt("stripe", "sync", *args, db=db, json=True, env=api.env())


def test_sync_page_slower_than_the_timeout_applies_nothing_then_a_rerun_applies_each_once(qt, synced, stripe_api):
    stripe_api.script(Answer.slow(0), Answer.trickle(4.0), Answer.stall(after=5000, seconds=4.0),
                      method="GET", path=EVENTS)
    r = sync(qt, synced, stripe_api, "--timeout", "0.5", "--max-retries", "1")
    assert r.rc == 1
    line = error_line(r)
    assert "did not arrive completely within the timeout (500 ms total" in line and "(after 2 attempts)" in line
    assert [user(synced, u)[0] for u in (1, 2, 3)] == [10, 10, 10]
    assert query(synced, "SELECT count(*) FROM quicktools_ledger") == [(0,)]
    assert query(synced, "SELECT count(*) FROM quicktools_state") == [(0,)]
    again = sync(qt, synced, stripe_api)
    assert again.rc == 0 and again.json["counts"]["credited"] == 250
    assert [user(synced, u)[0] for u in (1, 2, 3)] == [10 + 84 * 100, 10 + 83 * 100, 10 + 83 * 100]
    assert query(synced, "SELECT count(*) FROM quicktools_ledger") == [(250,)] and invariant_holds(synced)


def test_sync_pages_slow_within_the_timeout_or_cut_and_retried_apply_each_event_once(qt, synced, stripe_api):
    # page 1 trickled (within the timeout), page 2 stalled then finished, page 3 cut short and retried
    stripe_api.script(Answer.trickle(0.6, pieces=30), Answer.stall(after=20000, seconds=0.5),
                      Answer.stall(after=3000, seconds=0.1, then="close"), method="GET", path=EVENTS)
    r = sync(qt, synced, stripe_api, "--timeout", "5", "--max-retries", "1")
    assert r.rc == 0, r.err
    assert r.json["pages"] == 3 and r.json["counts"]["credited"] == 250
    assert len(stripe_api.calls("GET", EVENTS)) == 4 and r.err.count("retrying") == 1
    assert [user(synced, u)[0] for u in (1, 2, 3)] == [10 + 84 * 100, 10 + 83 * 100, 10 + 83 * 100]
    assert query(synced, "SELECT count(*) FROM quicktools_ledger") == [(250,)] and invariant_holds(synced)


# --- migrate packs --cancel-subscriptions -----------------------------------------------------

@pytest.fixture
def billing(make_db, stripe_api):
    from test_migrate import set_users
    path = make_db(users=3, state="legacy")
    set_users(path, [(1, "pro", "active", 1000, 100, "sub_A"), (2, "basic", "trialing", 200, 0, "sub_B"),
                     (3, "free", "active", 10, 0, None)])
    stripe_api.subscriptions.update({"sub_A": "active", "sub_B": "active"})
    return path


def cancel(qt, db, api, *args):
    return qt("migrate", "packs", "--no-backup", "--cancel-subscriptions", *args, db=db, json=True, env=api.env())


def cancel_status(db):
    return query(db, "SELECT user_id, cancel_status FROM quicktools_migrated_users ORDER BY user_id")


def test_cancel_answer_slower_than_the_timeout_is_a_failure_and_the_rerun_cancels_nothing_twice(
        qt, billing, stripe_api):
    stripe_api.script(Answer.trickle(4.0), method="DELETE", path="/v1/subscriptions/sub_A")
    r = cancel(qt, billing, stripe_api, "--timeout", "0.5", "--max-retries", "0")
    assert r.rc == 1
    c = r.json["cancel_subscriptions"]
    assert (c["canceled"], c["failed"], c["not_attempted"]) == (0, 1, 1)  # no answer: it stops there
    assert "did not arrive completely within the timeout" in c["failures"][0]["detail"]
    assert cancel_status(billing) == [(1, "failed"), (2, None), (3, None)]
    assert stripe_api.subscriptions["sub_A"] == "canceled"  # Stripe did cancel it
    again = cancel(qt, billing, stripe_api)
    assert again.rc == 0 and again.json["cancel_subscriptions"]["canceled"] == 2
    first, second = stripe_api.calls("DELETE", "/v1/subscriptions/sub_A")
    assert first.idempotency_key == second.idempotency_key and second.replayed
    assert cancel_status(billing)[:2] == [(1, "canceled"), (2, "canceled")]


@pytest.mark.parametrize("fault, timeout, calls", [(Answer.trickle(4.0), "0.5", 2),
                                                   (Answer.trickle(0.8, pieces=40), "5", 1),
                                                   (Answer.stall(after=50, seconds=0.1, then="close"), "5", 2)],
                         ids=["too-slow-retried", "slow-within", "cut-short-retried"])
def test_cancel_with_a_slow_body_cancels_each_subscription_once(qt, billing, stripe_api, fault, timeout, calls):
    stripe_api.script(fault, method="DELETE", path="/v1/subscriptions/sub_A")
    r = cancel(qt, billing, stripe_api, "--timeout", timeout, "--max-retries", "1")
    assert r.rc == 0, r.err
    assert r.json["cancel_subscriptions"]["canceled"] == 2
    sub_a = stripe_api.calls("DELETE", "/v1/subscriptions/sub_A")
    assert len(sub_a) == calls and len({d.idempotency_key for d in sub_a}) == 1
    assert [d.replayed for d in sub_a] == [False] + [True] * (calls - 1)
    assert cancel_status(billing) == [(1, "canceled"), (2, "canceled"), (3, None)]
