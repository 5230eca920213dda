"""migrate packs --cancel-subscriptions against the local Stripe stand-in: success, partial
failure and the re-run that finishes it, resource_missing, no key, dry run."""
import pytest

from conftest import dump, query
from stripe_standin import Answer
from test_migrate import migrated, set_users

ROWS = [(1, "pro", "active", 1000, 100, "sub_A"), (2, "basic", "trialing", 200, 0, "sub_B"),
        (3, "business", "past_due", 5000, 0, "sub_C"), (4, "pro", "canceled", 1000, 0, "sub_D"),
        (5, "free", "active", 10, 0, None)]


@pytest.fixture(params=["sqlite", "postgres"])
def shop(request, make_db, stripe_api):
    """The users above on each engine (the cancelling is the same code; the records differ)."""
    path = make_db(request.param, users=5, state="legacy")
    set_users(path, ROWS)
    # sub_C was cancelled in the dashboard long ago: DELETE answers resource_missing, GET canceled.
    stripe_api.subscriptions.update({"sub_A": "active", "sub_B": "trialing", "sub_C": "canceled",
                                     "sub_D": "canceled"})
    return path


def cancel(qt, db, api, *args, json=True):
    r = qt("migrate", "packs", "--no-backup", "--cancel-subscriptions", *args, db=db, json=json, env=api.env())
    assert "sk_test_standin" not in r.out + r.err
    return r


def deletes(api, sub=None):
    return [c for c in api.calls("DELETE") if sub is None or c.path == f"/v1/subscriptions/{sub}"]


def status(db):
    return query(db, "SELECT user_id, cancel_status FROM quicktools_migrated_users ORDER BY user_id")


def test_cancels_each_billing_subscription_once(qt, shop, stripe_api):
    r = cancel(qt, shop, stripe_api)
    assert r.rc == 0, r.err
    c = r.json["cancel_subscriptions"]
    assert (c["to_cancel"], c["canceled"], c["already_canceled"], c["failed"], c["done_before"]) == (3, 2, 1, 0, 0)
    assert c["ok"] is True and r.json["changed"] is True
    assert status(shop) == [(1, "canceled"), (2, "canceled"), (3, "canceled"), (4, None), (5, None)]
    assert migrated(shop, 1)["cancel_detail"] is None and migrated(shop, 1)["cancel_updated_at"]
    assert "already cancelled at Stripe" in migrated(shop, 3)["cancel_detail"]
    assert sorted(d.path for d in deletes(stripe_api)) == [f"/v1/subscriptions/sub_{x}" for x in "ABC"]
    assert [d.idempotency_key for d in deletes(stripe_api, "sub_A")] == ["quicktools-cancel-sub_A"]
    assert stripe_api.subscriptions["sub_A"] == "canceled" and stripe_api.subscriptions["sub_B"] == "canceled"
    # db drop-deprecated trusts cancel_status = 'canceled'
    drop = qt("db", "drop-deprecated", "--dry-run", "--no-backup", db=shop, json=True)
    assert drop.rc == 0, drop.err


def test_partial_failure_then_a_rerun_finishes_without_cancelling_twice(qt, shop, stripe_api):
    stripe_api.script(Answer.error(500, "api_error", "Something went wrong."), method="DELETE",
                      path="/v1/subscriptions/sub_B")
    r = cancel(qt, shop, stripe_api, "--max-retries", "0")
    assert r.rc == 1
    c = r.json["cancel_subscriptions"]
    assert (c["canceled"], c["already_canceled"], c["failed"]) == (1, 1, 1) and c["ok"] is False
    assert c["failures"][0]["user_id"] == 2 and c["failures"][0]["subscription_id"] == "sub_B"
    assert status(shop)[:3] == [(1, "canceled"), (2, "failed"), (3, "canceled")]
    assert "Something went wrong" in migrated(shop, 2)["cancel_detail"]
    assert r.json["changed"] is True  # the migration itself is done

    again = cancel(qt, shop, stripe_api)
    assert again.rc == 0, again.err
    c2 = again.json["cancel_subscriptions"]
    assert (c2["to_cancel"], c2["canceled"], c2["done_before"], c2["failed"]) == (1, 1, 2, 0)
    assert again.json["already_done"] is True
    assert len(deletes(stripe_api, "sub_A")) == 1 and len(deletes(stripe_api, "sub_C")) == 1
    assert len(deletes(stripe_api, "sub_B")) == 2
    assert status(shop)[:3] == [(1, "canceled"), (2, "canceled"), (3, "canceled")]
    assert migrated(shop, 2)["cancel_detail"] is None

    third = cancel(qt, shop, stripe_api)
    assert third.rc == 0 and third.json["cancel_subscriptions"]["to_cancel"] == 0
    assert len(deletes(stripe_api)) == 4


def test_text_report_and_the_failure_listed(qt, shop, stripe_api):
    stripe_api.script(Answer.error(402, "invalid_request_error", "This subscription cannot be cancelled."),
                      method="DELETE", path="/v1/subscriptions/sub_A")
    r = cancel(qt, shop, stripe_api, json=False)
    assert r.rc == 1
    assert "1 cancelled now, 1 already cancelled at Stripe, 0 cancelled by an earlier run, 1 failed" in r.out
    assert "sub_A" in r.out and "cannot be cancelled" in r.out and "again to finish" in r.out


def test_stripe_unreachable_stops_and_leaves_the_rest_for_a_rerun(qt, shop, stripe_api):
    stripe_api.script(Answer.dropped(), method="DELETE")
    r = cancel(qt, shop, stripe_api, "--max-retries", "0")
    assert r.rc == 1
    c = r.json["cancel_subscriptions"]
    assert (c["failed"], c["not_attempted"], c["canceled"]) == (1, 2, 0)
    assert len(deletes(stripe_api)) == 1
    assert status(shop)[:3] == [(1, "failed"), (2, None), (3, None)]
    assert cancel(qt, shop, stripe_api).json["cancel_subscriptions"]["canceled"] == 2


def test_after_an_earlier_migration_without_the_option(qt, shop, stripe_api):
    first = qt("migrate", "packs", "--no-backup", db=shop, json=True)
    assert first.rc == 0 and "--cancel-subscriptions" in first.json["billing_subscriptions"]["note"]
    assert "coming" not in first.json["billing_subscriptions"]["note"]
    balances = query(shop, "SELECT id, credits_balance FROM users ORDER BY id")
    r = cancel(qt, shop, stripe_api)
    assert r.rc == 0 and r.json["already_done"] is True and r.json["cancel_subscriptions"]["canceled"] == 2
    assert query(shop, "SELECT id, credits_balance FROM users ORDER BY id") == balances


def test_without_a_key_nothing_happens(qt, shop, stripe_api):
    before = dump(shop)
    r = qt("migrate", "packs", "--no-backup", "--cancel-subscriptions", db=shop,
           env={"STRIPE_API_BASE": stripe_api.base_url})
    assert r.rc == 2 and "STRIPE_API_KEY" in r.err
    assert dump(shop) == before and stripe_api.calls() == []


def test_dry_run_sends_nothing(qt, shop, stripe_api):
    before = dump(shop)
    r = cancel(qt, shop, stripe_api, "--dry-run")
    assert r.rc == 0 and r.json["cancel_subscriptions"]["dry_run"] is True
    assert r.json["cancel_subscriptions"]["to_cancel"] == 3
    assert dump(shop) == before and stripe_api.calls() == []
    assert qt("migrate", "packs", "--no-backup", db=shop).rc == 0
    done = cancel(qt, shop, stripe_api, "--dry-run", json=False)
    assert done.rc == 0 and "Would cancel 3 Stripe subscriptions" in done.out and stripe_api.calls() == []


def test_cancelled_ones_no_longer_count_as_billing(qt, shop, stripe_api):
    stripe_api.script(Answer.error(500, "api_error"), method="DELETE", path="/v1/subscriptions/sub_C")
    assert cancel(qt, shop, stripe_api, "--max-retries", "0").rc == 1
    rerun = qt("migrate", "packs", "--no-backup", db=shop, json=True)
    billing = rerun.json["billing_subscriptions"]
    assert billing["count"] == 1 and [s["subscription_id"] for s in billing["shown"]] == ["sub_C"]
    assert qt("report", db=shop, json=True).json["migration"]["billing_subscriptions"] == 1
    assert qt("db", "drop-deprecated", "--dry-run", "--no-backup", db=shop).rc == 4
    assert cancel(qt, shop, stripe_api).rc == 0
    text = qt("migrate", "packs", "--no-backup", db=shop)
    assert "No Stripe subscription is still billing." in text.out
    assert qt("report", db=shop, json=True).json["migration"]["billing_subscriptions"] == 0


