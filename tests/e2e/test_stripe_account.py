"""One database, one Stripe account and mode: the binding recorded on first use, a key of
another account or mode refused (exit 4) before anything changes, and cancelling for real. The
binding on SQLite and PostgreSQL; cancelling on SQLite."""
import json

import pytest

from conftest import dump, execute, query
from stripe_events import completed, replay, user
from test_migrate import set_users

BINDING = "SELECT value FROM quicktools_state WHERE name = 'stripe.account'"


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1, 2)


def bind(db, account_id, livemode):
    execute(db, "INSERT INTO quicktools_state (name, value, updated_at) VALUES ('stripe.account', ?, 'x')",
            (json.dumps({"account_id": account_id, "livemode": livemode}),))


def test_the_first_sync_binds_the_database_and_another_account_is_refused(qt, db, stripe_api):
    r = qt("stripe", "sync", db=db, json=True, env=stripe_api.env())
    assert r.rc == 0, r.err
    assert json.loads(query(db, BINDING)[0][0]) == {"account_id": stripe_api.account_id, "livemode": False}
    stripe_api.account_id = "acct_1OtherBusiness00"
    stripe_api.events.append(completed(1, "pro"))
    before, listed = dump(db), len(stripe_api.calls("GET", "/v1/events"))
    other = qt("stripe", "sync", db=db, env=stripe_api.env())
    assert other.rc == 4 and "acct_1OtherBusiness00" in other.err and "belongs to Stripe account" in other.err
    assert dump(db) == before and len(stripe_api.calls("GET", "/v1/events")) == listed


def test_a_test_key_on_a_live_database_is_refused_before_anything(qt, db, stripe_api):
    bind(db, stripe_api.account_id, True)
    stripe_api.events.append(completed(1, "pro"))
    r = qt("stripe", "sync", db=db, env=stripe_api.env())
    assert r.rc == 4 and "live mode" in r.err and "test key" in r.err
    assert stripe_api.calls("GET", "/v1/events") == [] and user(db, 1)[0] == 10


def test_replay_refuses_the_other_mode_of_a_bound_database(qt, db):
    bind(db, "acct_1Live", True)
    r = replay(qt, db, completed(1, "pro", livemode=True))
    assert r.rc == 4 and "--live" in r.json["error"] and user(db, 1)[0] == 10
    ok = replay(qt, db, completed(1, "pro", livemode=True), args=["--live"])
    assert ok.rc == 0 and user(db, 1)[0] == 1210


def test_retry_without_live_keeps_the_stored_reason_of_a_live_event(qt, db):
    e = completed(99, "pro", livemode=True)                 # unknown user, live
    assert replay(qt, db, e, args=["--live"]).rc == 3
    reason = query(db, "SELECT detail FROM quicktools_stripe_events")[0][0]
    assert "unknown user 99" in reason
    r = qt("stripe", "replay", "--retry", db=db, json=True)
    assert r.rc == 3 and "--live" in r.json["attention"][0]["reason"]
    assert query(db, "SELECT detail FROM quicktools_stripe_events")[0][0] == reason


ROWS = [(1, "pro", "active", 1000, 100, "sub_A"), (2, "basic", "active", 200, 0, "sub_LIVEONLY")]


@pytest.fixture
def billing(make_db, stripe_api):
    path = make_db(users=2, state="legacy")
    set_users(path, ROWS)
    stripe_api.subscriptions.update({"sub_A": "active"})      # sub_LIVEONLY exists only in live mode
    return path


def cancel(qt, db, api, *args, json=True):
    return qt("migrate", "packs", "--no-backup", "--cancel-subscriptions", *args, db=db, json=json, env=api.env())


def test_a_subscription_unknown_to_this_account_and_mode_is_a_failure_not_done(qt, billing, stripe_api):
    r = cancel(qt, billing, stripe_api)
    assert r.rc == 1 and r.json["ok"] is False and r.json["exit_code"] == 1
    c = r.json["cancel_subscriptions"]
    assert (c["canceled"], c["already_canceled"], c["failed"]) == (1, 0, 1)
    assert "no subscription sub_LIVEONLY in this account and test mode" in c["failures"][0]["detail"]
    assert query(billing, "SELECT user_id, cancel_status FROM quicktools_migrated_users ORDER BY user_id") == [
        (1, "canceled"), (2, "failed")]
    assert [c.path for c in stripe_api.calls("GET") if c.path.startswith("/v1/subscriptions/")] == [
        "/v1/subscriptions/sub_LIVEONLY"]
    # drop-deprecated still sees it billing
    drop = qt("db", "drop-deprecated", "--dry-run", "--no-backup", db=billing)
    assert drop.rc == 4
    quiet = qt("-q", "migrate", "packs", "--no-backup", "--cancel-subscriptions", db=billing, env=stripe_api.env())
    assert quiet.rc == 1 and quiet.out.startswith("Stripe subscriptions:") and "Migrated" not in quiet.out


def test_a_test_key_on_a_live_bound_database_cancels_nothing(qt, billing, stripe_api):
    assert qt("migrate", "packs", "--no-backup", db=billing).rc == 0
    bind(billing, stripe_api.account_id, True)
    r = cancel(qt, billing, stripe_api, json=False)
    assert r.rc == 4 and "live mode" in r.err
    assert stripe_api.calls("DELETE") == []
    assert query(billing, "SELECT count(*) FROM quicktools_migrated_users WHERE cancel_status IS NOT NULL") == [(0,)]
