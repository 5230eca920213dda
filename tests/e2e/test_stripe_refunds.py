"""stripe replay: charge.refunded and charge.dispute.created."""
import pytest

from conftest import query
from stripe_events import (charge, completed, dispute, event, invariant_holds, migration_gave_api,
                           new_database, replay, use, user)


@pytest.fixture
def db(tmp_path):
    return new_database(tmp_path / "quicktools.db", 1, 2)


def buy(qt, db, uid, pack):
    e = completed(uid, pack)
    assert replay(qt, db, e).rc == 0
    return e["data"]["object"]["payment_intent"]


def refund(qt, db, pi, amount, refunded=None):
    return replay(qt, db, event("charge.refunded", charge(pi, amount, refunded)))


def test_full_refund_takes_the_pack_back_and_the_api_access_it_gave(qt, db):
    pi = buy(qt, db, 1, "pro")
    assert user(db, 1)[:4] == (1210, 1200, 0, 1)
    r = refund(qt, db, pi, 3000)
    assert r.rc == 0, r.out
    assert r.json["counts"]["refunded"] == 1 and r.json["credits_clawed_back"] == 1200
    assert user(db, 1)[:4] == (10, 0, 0, 0)
    assert query(db, "SELECT kind, amount, balance_delta, purchased_delta FROM quicktools_ledger "
                     "WHERE kind = 'purchase_refund'") == [("purchase_refund", 1200, -1200, -1200)]
    assert query(db, "SELECT refunded_credits FROM quicktools_checkout_sessions") == [(1200,)]
    assert invariant_holds(db)
    again = refund(qt, db, pi, 3000)                       # a new event for the same refund
    assert again.rc == 0 and again.json["counts"]["duplicate"] == 1 and user(db, 1)[0] == 10


def test_api_access_stays_with_another_unlocking_pack(qt, db):
    buy(qt, db, 1, "business")
    pi = buy(qt, db, 1, "pro")
    assert refund(qt, db, pi, 3000).rc == 0
    assert user(db, 1)[:4] == (5010, 5000, 0, 1)


def test_refund_never_goes_below_zero_and_reports_the_shortfall(qt, db):
    pi = buy(qt, db, 1, "starter")
    use(db, 1, 100)
    r = refund(qt, db, pi, 500)
    assert r.rc == 3
    assert "shortfall 90" in r.json["attention"][0]["reason"]
    assert user(db, 1)[:3] == (0, 0, 100)
    assert invariant_holds(db)


def test_partial_then_full_refund(qt, db):
    pi = buy(qt, db, 1, "business")
    r = refund(qt, db, pi, 10000, 5000)
    assert r.rc == 0 and "partial" in r.out
    assert user(db, 1)[:2] == (2510, 2500) and user(db, 1)[3] == 1
    assert refund(qt, db, pi, 10000).rc == 0
    assert user(db, 1)[:4] == (10, 0, 0, 0)
    assert invariant_holds(db)


def test_refund_of_an_unknown_payment_is_kept_for_attention(qt, db):
    r = refund(qt, db, "pi_unknown", 3000)
    assert r.rc == 3 and "pi_unknown" in r.json["attention"][0]["reason"]
    assert query(db, "SELECT outcome FROM quicktools_stripe_events") == [("needs_attention",)]


def test_dispute_is_reported_with_its_buyer(qt, db):
    pi = buy(qt, db, 2, "standard")
    c = charge(pi, 1500, 0)
    d = dispute(c["id"], pi, 1500)
    d.update(status="needs_response", balance_transactions=[])
    r = replay(qt, db, event("charge.dispute.created", d))
    assert r.rc == 3 and r.json["counts"]["disputed"] == 1
    assert "user 2" in r.json["attention"][0]["reason"] and c["id"] in r.json["attention"][0]["reason"]
    assert user(db, 2)[0] == 510


def test_purchase_and_refund_in_one_stream(qt, db):
    e = completed(1, "pro")
    pi = e["data"]["object"]["payment_intent"]
    r = replay(qt, db, completed(2, "starter"), e, event("charge.refunded", charge(pi, 3000)), completed(1, "starter"))
    assert r.rc == 0 and r.json["counts"]["credited"] == 3 and r.json["counts"]["refunded"] == 1
    assert user(db, 1)[:4] == (110, 100, 0, 0)
    assert query(db, "SELECT balance_after FROM quicktools_ledger WHERE user_id = 1 ORDER BY id") == [(1210,), (10,), (110,)]
    assert invariant_holds(db)


def test_api_access_the_migration_gave_stays(qt, db):
    migration_gave_api(db, 2)
    pi = buy(qt, db, 2, "pro")
    r = refund(qt, db, pi, 3000)
    assert r.rc == 0 and "revoked" not in r.out
    assert user(db, 2)[:4] == (10, 0, 0, 1)
