"""credits refund-purchase against the local Stripe stand-in: the refund at Stripe, the credits
taken back in the same run, its later events recognised as the same refund, repeats, refusals; on
SQLite and PostgreSQL (the tests of Stripe's side and the usage errors only, on SQLite)."""
import json

import pytest

import stripe_objects
from conftest import query, start_qt
from stripe_events import event, invariant_holds, replay, session, use, user
from stripe_standin import Answer

REFUNDS = "/v1/refunds"


SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"])


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1, 2, 3)


def refund_purchase(qt, db, api, *args, json=True):
    r = qt("credits", "refund-purchase", *args, db=db, json=json, env=api.env())
    assert "sk_test_standin" not in r.out + r.err
    return r


def bought(qt, db, api, uid, pack):
    """A pack credited through its event, with its charge at the stand-in."""
    s = session(uid, pack)
    r = replay(qt, db, event("checkout.session.completed", s))
    assert r.rc == 0 and r.json["counts"]["credited"] == 1
    api.add(s)
    api.add(stripe_objects.charge(payment_intent=s["payment_intent"], amount=s["amount_total"]))
    return s


def audit_clean(qt, db):
    assert qt("credits", "audit", db=db, json=True).rc == 0
    assert invariant_holds(db)


def refunds_taken(db):
    return query(db, "SELECT count(*), coalesce(sum(amount), 0) FROM quicktools_ledger WHERE kind = 'purchase_refund'")[0]


def test_a_full_refund_takes_the_pack_back_and_its_events_take_nothing_more(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "pro")
    r = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "ticket 5120: bought twice")
    assert r.rc == 0, r.out + r.err
    doc = r.json
    assert doc["outcome"] == "refunded" and doc["amount"] == 3000 and doc["credits_taken"] == 1200
    assert doc["refund_status"] == "succeeded" and doc["shortfall"] == 0
    assert user(db, 1)[:4] == (10, 0, 0, 0)
    [post] = stripe_api.calls("POST", REFUNDS)
    assert post.answer == 200
    assert post.form["payment_intent"] == s["payment_intent"] and post.form["amount"] == "3000"
    assert post.form["metadata[user_id]"] == "1" and post.form["metadata[pack]"] == "pro"
    assert post.form["metadata[session]"] == s["id"] and post.form["metadata[reason]"] == "ticket 5120: bought twice"
    assert post.form["metadata[actor]"] and post.idempotency_key == doc["idempotency_key"]
    assert post.idempotency_key.startswith("quicktools-refund-")
    refund = stripe_api.refunds[doc["refund_id"]]
    assert query(db, "SELECT refund_id, session_id, amount, status FROM quicktools_refunds") == [
        (refund["id"], s["id"], 3000, "succeeded")]
    [(reason,)] = query(db, "SELECT reason FROM quicktools_ledger WHERE kind = 'purchase_refund'")
    assert "ticket 5120: bought twice" in reason
    audit_clean(qt, db)

    # Stripe's events for that refund arrive, each more than once: the same refund.
    charge = stripe_objects.charge(payment_intent=s["payment_intent"], amount=3000, amount_refunded=3000,
                                   refunds=[refund])
    later = replay(qt, db, event("charge.refunded", charge, created=refund["created"] + 1),
                   event("refund.created", refund, created=refund["created"]),
                   event("refund.updated", refund, created=refund["created"] + 2),
                   event("charge.refunded", charge, created=refund["created"] + 3))
    assert later.rc == 0, later.out
    assert later.json["counts"]["duplicate"] == 4 and later.json["credits_clawed_back"] == 0
    assert user(db, 1)[:4] == (10, 0, 0, 0) and refunds_taken(db) == (1, 1200)
    audit_clean(qt, db)

    # The same command again: refunded in full already, nothing sent.
    again = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "ticket 5120: bought twice")
    assert again.rc == 4 and "refunded in full" in again.json["error"]
    assert len(stripe_api.calls("POST", REFUNDS)) == 1


def test_a_partial_refund_by_payment_intent_and_its_repeat_refund_once(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 2, "business")
    args = (s["payment_intent"], "--amount", "5000", "--reason", "half, ticket 77")
    r = refund_purchase(qt, db, stripe_api, *args)
    assert r.rc == 0 and r.json["credits_taken"] == 2500 and r.json["session_id"] == s["id"]
    assert user(db, 2)[:4] == (2510, 2500, 0, 1)
    # Repeated (an operator unsure it went through): the same key, Stripe's stored answer, no second refund.
    again = refund_purchase(qt, db, stripe_api, *args)
    assert again.rc == 0 and again.json["outcome"] == "duplicate" and again.json["credits_taken"] == 0
    text = refund_purchase(qt, db, stripe_api, *args, json=False)
    assert text.rc == 0 and text.out.startswith("Already refunded 50.00 USD of checkout session")
    posts = stripe_api.calls("POST", REFUNDS)
    assert len(posts) == 3 and posts[1].replayed and posts[2].replayed
    assert posts[0].idempotency_key == posts[1].idempotency_key == posts[2].idempotency_key
    assert len(stripe_api.refunds) == 1 and user(db, 2)[0] == 2510
    # The rest, by default all that is left.
    rest = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "the rest, ticket 78")
    assert rest.rc == 0 and rest.json["amount"] == 5000 and rest.json["credits_taken"] == 2500
    assert user(db, 2)[:4] == (10, 0, 0, 0) and len(stripe_api.refunds) == 2
    audit_clean(qt, db)


def test_a_user_who_spent_the_credits_is_refused_unless_allowed(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 3, "starter")
    use(db, 3, 100)
    r = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "chargeback threat")
    assert r.rc == 4 and "--allow-shortfall" in r.json["error"] and "90 already spent" in r.json["error"]
    assert stripe_api.calls("POST", REFUNDS) == [] and user(db, 3)[:3] == (10, 100, 100)
    dry = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "chargeback threat", "--allow-shortfall",
                          "--dry-run")
    assert dry.rc == 0 and dry.json["credits_to_take"] == 100 and dry.json["shortfall"] == 90
    assert stripe_api.calls("POST", REFUNDS) == [] and user(db, 3)[0] == 10
    ok = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "chargeback threat", "--allow-shortfall")
    assert ok.rc == 0 and ok.json["credits_taken"] == 10 and ok.json["shortfall"] == 90
    assert user(db, 3)[:3] == (0, 0, 100)
    audit_clean(qt, db)


def test_dry_run_sends_nothing_and_changes_nothing(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "standard")
    r = refund_purchase(qt, db, stripe_api, s["id"], "--amount", "750", "--reason", "x", "--dry-run", json=False)
    assert r.rc == 0 and "Would refund 7.50 USD" in r.out and "takes back 250 credits" in r.out
    assert stripe_api.calls("POST", REFUNDS) == [] and user(db, 1)[0] == 510
    assert query(db, "SELECT count(*) FROM quicktools_refunds") == [(0,)]
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(1,)]


@SQLITE_ONLY
@pytest.mark.parametrize("amount", ["0", "1501", "-5", "ten"])
def test_an_amount_out_of_range_is_a_usage_error_and_nothing_is_sent(qt, db, stripe_api, amount):
    s = bought(qt, db, stripe_api, 1, "standard")
    r = refund_purchase(qt, db, stripe_api, s["id"], f"--amount={amount}", "--reason", "x")
    assert r.rc == 2
    assert stripe_api.calls("POST", REFUNDS) == [] and user(db, 1)[0] == 510


def test_an_unknown_purchase_and_a_missing_reason_are_usage_errors(qt, db, stripe_api):
    bought(qt, db, stripe_api, 1, "standard")
    r = refund_purchase(qt, db, stripe_api, "cs_test_nosuch", "--reason", "x")
    assert r.rc == 2 and "cs_test_nosuch" in r.json["error"]
    assert refund_purchase(qt, db, stripe_api, "pi_nosuch", "--reason", "x").rc == 2
    assert refund_purchase(qt, db, stripe_api, "cs_test_nosuch").rc == 2
    assert refund_purchase(qt, db, stripe_api, "cs_test_nosuch", "--reason", "").rc == 2
    assert stripe_api.calls("POST", REFUNDS) == []


def test_stripe_refusing_records_nothing(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "pro")
    # Refunded in the Dashboard, and no event of it seen yet: Stripe refuses a second refund.
    charge = next(c for c in stripe_api.charges.values() if c["payment_intent"] == s["payment_intent"])
    charge["amount_refunded"] = 3000
    r = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "x", json=False)
    assert r.rc == 1 and r.out == "" and "already been refunded" in r.err and "nothing was refunded" in r.err
    assert user(db, 1)[0] == 1210 and query(db, "SELECT count(*) FROM quicktools_refunds") == [(0,)]


@SQLITE_ONLY
def test_500_is_retried_with_the_same_idempotency_key(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "pro")
    stripe_api.script(Answer.error(500, "api_error"), method="POST", path=REFUNDS)
    r = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "x")
    assert r.rc == 0, r.err
    posts = stripe_api.calls("POST", REFUNDS)
    assert [p.answer for p in posts] == [500, 200] and posts[0].idempotency_key == posts[1].idempotency_key
    assert user(db, 1)[0] == 10 and len(stripe_api.refunds) == 1


def test_an_answer_lost_after_stripe_refunded_is_recovered_by_the_same_command(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "pro")
    # Stripe makes the refund, but the connection closes in the middle of its answer.
    stripe_api.script(Answer.stall(after=20, seconds=0.1, then="close"), method="POST", path=REFUNDS)
    lost = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "x", "--max-retries", "0", json=False)
    assert lost.rc == 1 and len(stripe_api.refunds) == 1
    assert user(db, 1)[0] == 1210 and query(db, "SELECT count(*) FROM quicktools_refunds") == [(0,)]
    again = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "x")
    assert again.rc == 0 and again.json["outcome"] == "refunded" and again.json["credits_taken"] == 1200
    assert stripe_api.calls("POST", REFUNDS)[-1].replayed and len(stripe_api.refunds) == 1
    assert user(db, 1)[0] == 10 and refunds_taken(db) == (1, 1200)
    audit_clean(qt, db)


def test_reconcile_after_a_refund_purchase_finds_it_in_sync(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 2, "pro")
    assert refund_purchase(qt, db, stripe_api, s["id"], "--reason", "x").rc == 0
    r = qt("stripe", "reconcile", db=db, json=True, env=stripe_api.env())
    assert r.rc == 0 and r.json["listed"]["refunds"] == 1 and r.json["events"] == 0
    assert user(db, 2)[0] == 10


def test_another_account_is_refused_before_anything_is_sent(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "pro")
    assert qt("stripe", "reconcile", db=db, env=stripe_api.env()).rc == 0     # binds the database
    stripe_api.account_id = "acct_1QtSomeoneElse0001"
    r = refund_purchase(qt, db, stripe_api, s["id"], "--reason", "x")
    assert r.rc == 4 and stripe_api.calls("POST", REFUNDS) == [] and user(db, 1)[0] == 1210


def test_the_same_request_by_a_colleague_refunds_nothing_again(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "business")
    args = ("credits", "refund-purchase", s["id"], "--amount", "2000", "--reason", "ticket 90")
    first = qt(*args, db=db, json=True, env=dict(stripe_api.env(), SUDO_USER="alice"))
    assert first.rc == 0 and first.json["credits_taken"] == 1000
    assert stripe_api.calls("POST", REFUNDS)[0].form["metadata[actor]"] == "alice"
    again = qt(*args, db=db, json=True, env=dict(stripe_api.env(), SUDO_USER="bob"))
    assert again.rc == 1 and "requested before" in again.json["error"] and "nothing was refunded again" in again.json["error"]
    assert len(stripe_api.refunds) == 1 and user(db, 1)[0] == 4010
    assert refunds_taken(db) == (1, 1000)


def test_the_same_refund_from_two_processes_at_once_is_made_and_taken_back_once(qt, db, stripe_api):
    s = bought(qt, db, stripe_api, 1, "business")
    args = ("--json", "credits", "refund-purchase", s["id"], "--amount", "4000", "--reason", "ticket 12")
    runs = [start_qt(*args, db=db, env=stripe_api.env()) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [err for _, err in outs]
    docs = [json.loads(out) for out, _ in outs]
    assert sorted(d["outcome"] for d in docs) == ["duplicate", "refunded"]
    assert sorted(d["credits_taken"] for d in docs) == [0, 2000]
    assert docs[0]["idempotency_key"] == docs[1]["idempotency_key"] and len(stripe_api.refunds) == 1
    assert user(db, 1)[:2] == (3010, 3000) and refunds_taken(db) == (1, 2000)
    assert query(db, "SELECT count(*) FROM quicktools_refunds") == [(1,)]
    audit_clean(qt, db)

