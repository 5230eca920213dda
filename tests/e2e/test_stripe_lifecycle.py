"""stripe replay: refund and dispute lifecycles in every delivery order, every event delivered
twice (in one stream and again in a second run); `credits audit` clean after each. On SQLite and
PostgreSQL."""
import itertools

import pytest

from conftest import query
from stripe_events import charge, completed, dispute, event, migration_gave_api, replay, use, user

T0 = 1767225600
PRO = (1210, 1200, 0, 1)          # balance, purchased, used, API after buying a pro pack
PRO_TAKEN = (10, 0, 0, 0)         # ... after it was taken back


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1, 2)


def buy(qt, db, uid=1, pack="pro", **kw):
    e = completed(uid, pack, **kw)
    r = replay(qt, db, e)
    assert r.rc == 0, r.out
    return e["data"]["object"]["payment_intent"]


def refund_object(pi, rid, amount, status):
    return {"id": rid, "object": "refund", "amount": amount, "currency": "usd", "charge": f"ch_{pi}",
            "payment_intent": pi, "status": status, "reason": "requested_by_customer", "metadata": {},
            "created": T0}


def refunded_charge(pi, amount, refunded_amount, created):
    c = charge(pi, amount, refunded_amount, id=f"ch_{pi}")
    return event("charge.refunded", c, created=created)


def dispute_event(kind, pi, amount, status, transactions, created, did="dp_life1"):
    d = dispute(f"ch_{pi}", pi, amount)
    d.update(id=did, status=status, reason="fraudulent",
             balance_transactions=[{"id": f"txn_{i}", "object": "balance_transaction"} for i in range(transactions)])
    return event(kind, d, created=created)


def audit_clean(qt, db):
    r = qt("credits", "audit", db=db, json=True)
    return r.rc == 0


def every_order(qt, new_db, engine, lifecycle, expected, pack="pro", **buy_kw):
    """Builds the events once (so each keeps its id), then for every order of them: a fresh
    database, one purchase, the events in that order twice in one stream, and once more."""
    for n, order in enumerate(itertools.permutations(range(len(lifecycle)))):
        db = new_db(engine, 1, name=f"order{n}")
        pi = f"pi_life_{n}"
        buy(qt, db, 1, pack, pi=pi, **buy_kw)
        events = [make(pi) for make in lifecycle]
        stream = [events[i] for i in order]
        r = replay(qt, db, *(stream + stream))
        assert r.rc in (0, 3), r.out
        assert user(db, 1)[:4] == expected, (order, r.out)
        again = replay(qt, db, *reversed(stream))
        assert again.json["counts"]["duplicate"] == len(stream), again.out
        assert user(db, 1)[:4] == expected
        assert audit_clean(qt, db), order


def test_full_refund_then_failed_gives_everything_back_in_every_order(qt, new_db, engine):
    every_order(qt, new_db, engine, [
        lambda pi: refunded_charge(pi, 3000, 3000, T0 + 10),
        lambda pi: event("refund.created", refund_object(pi, "re_1", 3000, "pending"), created=T0 + 10),
        lambda pi: event("refund.failed", refund_object(pi, "re_1", 3000, "failed"), created=T0 + 20),
    ], PRO)


def test_full_refund_that_succeeds_takes_the_pack_once_in_every_order(qt, new_db, engine):
    every_order(qt, new_db, engine, [
        lambda pi: refunded_charge(pi, 3000, 3000, T0 + 10),
        lambda pi: event("refund.created", refund_object(pi, "re_1", 3000, "pending"), created=T0 + 10),
        lambda pi: event("refund.updated", refund_object(pi, "re_1", 3000, "succeeded"), created=T0 + 20),
    ], PRO_TAKEN)


def test_two_partial_refunds_by_id_add_up_to_the_whole_pack(qt, new_db, engine):
    every_order(qt, new_db, engine, [
        lambda pi: event("refund.created", refund_object(pi, "re_a", 1500, "succeeded"), created=T0 + 10),
        lambda pi: event("refund.created", refund_object(pi, "re_b", 1500, "succeeded"), created=T0 + 20),
        lambda pi: refunded_charge(pi, 3000, 1500, T0 + 10),
    ], PRO_TAKEN)


def test_cancelled_refund_is_given_back(qt, new_db, engine):
    every_order(qt, new_db, engine, [
        lambda pi: event("refund.created", refund_object(pi, "re_c", 1500, "pending"), created=T0 + 10),
        lambda pi: event("refund.updated", refund_object(pi, "re_c", 1500, "canceled"), created=T0 + 30),
    ], PRO)


def test_lost_dispute_takes_the_pack_and_the_api_in_every_order(qt, new_db, engine):
    every_order(qt, new_db, engine, [
        lambda pi: dispute_event("charge.dispute.created", pi, 3000, "needs_response", 1, T0 + 10),
        lambda pi: dispute_event("charge.dispute.funds_withdrawn", pi, 3000, "needs_response", 1, T0 + 10),
        lambda pi: dispute_event("charge.dispute.closed", pi, 3000, "lost", 1, T0 + 40),
    ], PRO_TAKEN)


def test_won_dispute_gives_back_exactly_what_was_taken_in_every_order(qt, new_db, engine):
    every_order(qt, new_db, engine, [
        lambda pi: dispute_event("charge.dispute.funds_withdrawn", pi, 3000, "needs_response", 1, T0 + 10),
        lambda pi: dispute_event("charge.dispute.funds_reinstated", pi, 3000, "won", 2, T0 + 40),
        lambda pi: dispute_event("charge.dispute.closed", pi, 3000, "won", 2, T0 + 40),
    ], PRO)


def test_inquiry_is_reported_and_changes_nothing(qt, db):
    pi = buy(qt, db)
    r = replay(qt, db, dispute_event("charge.dispute.created", pi, 3000, "warning_needs_response", 0, T0 + 5))
    assert r.rc == 3 and r.json["counts"]["reported"] == 1
    assert "no money moved" in r.json["attention"][0]["reason"]
    closed = replay(qt, db, dispute_event("charge.dispute.closed", pi, 3000, "warning_closed", 0, T0 + 9))
    assert closed.rc == 0 and closed.json["counts"]["reported"] == 1
    assert user(db, 1)[:4] == PRO
    assert query(db, "SELECT status, funds_withdrawn FROM quicktools_disputes") == [("warning_closed", 0)]


def test_withdrawn_funds_never_go_below_zero_and_give_back_only_what_was_taken(qt, db):
    pi = buy(qt, db, pack="starter")
    use(db, 1, 80)                                          # 110 - 80 = 30 left
    w = replay(qt, db, dispute_event("charge.dispute.funds_withdrawn", pi, 500, "needs_response", 1, T0 + 5))
    assert w.rc == 3 and "shortfall 70" in w.json["attention"][0]["reason"]
    assert user(db, 1)[:3] == (0, 0, 80)
    won = replay(qt, db, dispute_event("charge.dispute.funds_reinstated", pi, 500, "won", 2, T0 + 50))
    assert won.rc == 0 and won.json["counts"]["restored"] == 1 and won.json["credits_restored"] == 30
    assert user(db, 1)[:3] == (30, 100, 80)
    assert audit_clean(qt, db)
    kinds = query(db, "SELECT kind, balance_delta, purchased_delta FROM quicktools_ledger WHERE kind LIKE 'dispute%' "
                      "ORDER BY id")
    assert kinds == [("dispute_withdrawal", -30, -100), ("dispute_reinstated", 30, 100)]
    assert all("dp_life1" in reason for (reason,) in query(db, "SELECT reason FROM quicktools_ledger "
                                                               "WHERE kind LIKE 'dispute%'"))


def test_dispute_keeps_the_api_that_the_migration_gave(qt, db):
    migration_gave_api(db, 1)
    pi = buy(qt, db)
    r = replay(qt, db, dispute_event("charge.dispute.funds_withdrawn", pi, 3000, "needs_response", 1, T0 + 5))
    assert r.rc == 3 and "suspended" not in r.out
    assert user(db, 1)[:4] == (10, 0, 0, 1)


def test_early_fraud_warning_is_reported(qt, db):
    pi = buy(qt, db)
    warning = {"id": "issfr_1", "object": "radar.early_fraud_warning", "actionable": True, "charge": f"ch_{pi}",
               "payment_intent": pi, "fraud_type": "made_with_stolen_card", "created": T0, "livemode": False}
    r = replay(qt, db, event("radar.early_fraud_warning.created", warning))
    assert r.rc == 3 and r.json["counts"]["reported"] == 1
    assert "made_with_stolen_card" in r.json["attention"][0]["reason"] and "user 1" in r.json["attention"][0]["reason"]
    assert user(db, 1)[:4] == PRO


@pytest.mark.parametrize("subtotal,discount,tax,total", [(500, 100, 0, 400), (1500, 0, 150, 1650),
                                                         (3000, 600, 240, 2640)])
def test_discounted_and_taxed_purchases_are_credited_by_subtotal(qt, db, subtotal, discount, tax, total):
    pack = {500: "starter", 1500: "standard", 3000: "pro"}[subtotal]
    e = completed(1, pack, amount=total)
    s = e["data"]["object"]
    s.update(amount_subtotal=subtotal, total_details={"amount_discount": discount, "amount_shipping": 0,
                                                      "amount_tax": tax})
    r = replay(qt, db, e)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1, r.out
    assert query(db, "SELECT amount_total, amount_subtotal, amount_discount, amount_tax FROM "
                     "quicktools_checkout_sessions") == [(total, subtotal, discount, tax)]
    # a full refund is of what was paid, the total
    refund = replay(qt, db, refunded_charge(s["payment_intent"], total, total, T0 + 9))
    assert refund.rc == 0 and user(db, 1)[:2] == (10, 0)


def test_a_subtotal_that_matches_no_pack_needs_attention(qt, db):
    e = completed(1, "pro", amount=2400)
    e["data"]["object"].update(amount_subtotal=2400, total_details={"amount_discount": 0, "amount_tax": 0})
    r = replay(qt, db, e)
    assert r.rc == 3 and "amount 2400 usd does not match the pro pack" in r.json["attention"][0]["reason"]


def test_event_api_version_is_stored(qt, db):
    e = completed(2, "starter")
    e["api_version"] = "2023-08-16"
    assert replay(qt, db, e).rc == 0
    assert query(db, "SELECT api_version FROM quicktools_stripe_events") == [("2023-08-16",)]
