"""user show USER --stripe against the local Stripe stand-in: the customer, the purchases with
their amounts, discounts, refunds and disputes, and every difference from the local record; on
SQLite and PostgreSQL."""

import pytest

import stripe_objects
from conftest import execute
from stripe_events import event, replay, session
from stripe_standin import Answer

T0 = 1767225600


@pytest.fixture
def db(engine, new_db):
    target = new_db(engine, 1, 2)
    execute(target, "UPDATE users SET stripe_customer_id = 'cus_ONE' WHERE id = 1")
    return target


def purchase(api, uid, pack, sid, customer="cus_ONE", email=None, created=T0, **kw):
    return api.add(stripe_objects.pack_session(uid, pack, id=sid, email=email, payment_intent=f"pi_{sid}",
                                               customer=customer, created=created, **kw))


def credit(qt, db, s):
    r = replay(qt, db, event("checkout.session.completed", s))
    assert r.rc == 0, r.out
    return r


def show(qt, db, api, *args, json=True, user="1"):
    r = qt("user", "show", user, "--stripe", *args, db=db, json=json, env=api.env())
    assert "sk_test_standin" not in r.out + r.err
    return r


def test_a_user_whose_record_matches_stripe(qt, db, stripe_api):
    stripe_api.add(stripe_objects.customer(id="cus_ONE", email="user1@example.com", name="User One"))
    s = purchase(stripe_api, 1, "pro", "cs_test_match")
    credit(qt, db, s)
    r = show(qt, db, stripe_api)
    assert r.rc == 0, r.out + r.err
    doc = r.json
    assert doc["id"] == 1 and doc["credits_balance"] == 1210          # the local view is still there
    st = doc["stripe"]
    assert st["ok"] is True and st["differences"] == []
    assert st["customer"] == {"id": "cus_ONE", "found": True, "deleted": False, "email": "user1@example.com",
                              "name": "User One"}
    [p] = st["purchases"]
    assert (p["session_id"], p["status"], p["payment_status"], p["amount_total"], p["pack"]) == (
        "cs_test_match", "complete", "paid", 3000, "pro")
    assert p["local"]["credits"] == 1200 and p["refunds"] == [] and p["disputes"] == []
    paths = [c.path for c in stripe_api.requests]
    assert paths[:2] == ["/v1/account", "/v1/customers/cus_ONE"]
    assert stripe_api.calls("GET", "/v1/refunds")[0].form == {"payment_intent": "pi_cs_test_match", "limit": "100"}
    assert stripe_api.calls("GET", "/v1/disputes")[0].form["payment_intent"] == "pi_cs_test_match"
    sessions = stripe_api.calls("GET", "/v1/checkout/sessions")
    assert [c.form.get("customer") for c in sessions] == ["cus_ONE", None]
    assert sessions[1].form["customer_details[email]"] == "user1@example.com"
    text = show(qt, db, stripe_api, json=False)
    assert text.rc == 0 and "Balance:          1210 credits" in text.out
    assert "Customer:         cus_ONE <user1@example.com>" in text.out
    assert "cs_test_match  2026-01-01 00:00  pro  complete paid, 3000 usd; credited here: 1200 credits" in text.out
    assert "Differences:      none: this database matches Stripe" in text.out


def test_paid_at_stripe_but_not_credited_and_found_by_email_too(qt, db, stripe_api):
    stripe_api.add(stripe_objects.customer(id="cus_ONE", email="user1@example.com"))
    purchase(stripe_api, 1, "starter", "cs_test_missed", created=T0 + 10)
    purchase(stripe_api, 1, "standard", "cs_test_guest", customer=None, email="user1@example.com", created=T0 + 20,
             discount=300)
    purchase(stripe_api, 2, "pro", "cs_test_other", customer="cus_TWO")         # not this user's
    r = show(qt, db, stripe_api)
    assert r.rc == 3
    st = r.json["stripe"]
    assert [p["session_id"] for p in st["purchases"]] == ["cs_test_guest", "cs_test_missed"]
    guest = st["purchases"][0]
    assert (guest["amount_subtotal"], guest["amount_discount"], guest["amount_total"]) == (1500, 300, 1200)
    assert len(st["differences"]) == 2 and all("paid at Stripe" in d and "not credited here" in d
                                               for d in st["differences"])
    assert "cs_test_missed" in st["differences"][1] and "500 usd" in st["differences"][1]
    text = show(qt, db, stripe_api, json=False)
    assert text.rc == 3 and "(subtotal 1500, discount 300, tax 0)" in text.out and "Differences (2):" in text.out


def test_refunds_and_disputes_not_reflected_here_then_reflected(qt, db, stripe_api):
    s = purchase(stripe_api, 1, "pro", "cs_test_refund")
    stripe_api.add(stripe_objects.customer(id="cus_ONE", email="user1@example.com"))
    credit(qt, db, s)
    pi = s["payment_intent"]
    re = stripe_api.add(stripe_objects.refund(id="re_ONE", amount=3000, payment_intent=pi, charge=f"ch_{pi}"))
    stripe_api.add(stripe_objects.refund(id="re_FAILED", amount=3000, payment_intent=pi, charge=f"ch_{pi}",
                                         status="failed"))
    dp = stripe_api.add(stripe_objects.dispute(id="dp_ONE", amount=3000, payment_intent=pi, charge=f"ch_{pi}",
                                               status="needs_response"))
    stripe_api.add(stripe_objects.refund(id="re_ELSE", amount=100, payment_intent="pi_someone_else"))
    r = show(qt, db, stripe_api)
    assert r.rc == 3
    st = r.json["stripe"]
    [p] = st["purchases"]
    assert {x["id"]: (x["status"], x["local_status"]) for x in p["refunds"]} == {
        "re_ONE": ("succeeded", None), "re_FAILED": ("failed", None)}
    assert [(x["id"], x["status"], x["local_status"]) for x in p["disputes"]] == [("dp_ONE", "needs_response", None)]
    assert st["differences"] == [
        "refund re_ONE of session cs_test_refund (3000 usd, succeeded) at Stripe is not reflected here: its credits "
        "were not taken back",
        "dispute dp_ONE of session cs_test_refund (3000 usd, needs_response) at Stripe is not reflected here"]
    assert replay(qt, db, event("refund.created", re), event("charge.dispute.created", dp)).rc in (0, 3)
    after = show(qt, db, stripe_api)
    assert after.rc == 0, after.json["stripe"]["differences"]
    [p] = after.json["stripe"]["purchases"]
    assert {x["id"]: x["local_status"] for x in p["refunds"]} == {"re_ONE": "succeeded", "re_FAILED": None}
    assert p["local"]["clawed_credits"] == 1200
    # the refund then fails at Stripe: the local record still holds the credits taken
    re["status"] = "failed"
    failed = show(qt, db, stripe_api)
    assert failed.rc == 3 and failed.json["stripe"]["differences"] == [
        "refund re_ONE of session cs_test_refund: succeeded here, failed at Stripe"]


def test_credited_here_but_unknown_or_unpaid_at_stripe(qt, db, stripe_api):
    stripe_api.add(stripe_objects.customer(id="cus_ONE", email="user1@example.com"))
    gone = session(1, "starter", id="cs_test_gone", pi="pi_gone")
    credit(qt, db, gone)                                    # never at this Stripe account
    unpaid = purchase(stripe_api, 1, "standard", "cs_test_unpaid", customer=None)
    credit(qt, db, unpaid)
    unpaid["payment_status"] = "unpaid"
    r = show(qt, db, stripe_api)
    assert r.rc == 3
    diffs = r.json["stripe"]["differences"]
    assert "session cs_test_unpaid is credited here, but at Stripe it is complete and unpaid" in diffs
    assert "session cs_test_gone is credited here (100 credits), but Stripe has no such session in this account " \
           "and mode" in diffs
    gone_view = [p for p in r.json["stripe"]["purchases"] if p["session_id"] == "cs_test_gone"][0]
    assert gone_view["found_at_stripe"] is False and gone_view["local"]["credits"] == 100
    assert stripe_api.calls("GET", "/v1/checkout/sessions/cs_test_gone")


def test_a_customer_id_stripe_does_not_know_and_a_user_without_one(qt, db, stripe_api):
    r = show(qt, db, stripe_api)
    assert r.rc == 3 and r.json["stripe"]["customer"] == {"id": "cus_ONE", "found": False}
    assert "users.stripe_customer_id is cus_ONE, but Stripe has no such customer" in r.json["stripe"]["differences"][0]
    assert stripe_api.calls("GET", "/v1/checkout/sessions")[0].form.get("customer") is None
    two = show(qt, db, stripe_api, user="user2@example.com", json=False)
    assert two.rc == 0 and "Customer:         none recorded" in two.out and "Purchases:        none" in two.out


def test_pages_through_the_customers_sessions(qt, db, stripe_api):
    stripe_api.add(stripe_objects.customer(id="cus_ONE", email="user1@example.com"))
    for i in range(130):
        purchase(stripe_api, 1, "pro", f"cs_test_x{i:03d}", created=T0 + i, status="expired", paid=False)
    r = show(qt, db, stripe_api)
    assert r.rc == 0 and len(r.json["stripe"]["purchases"]) == 130
    assert r.json["stripe"]["purchases"][0]["session_id"] == "cs_test_x129"
    by_customer = [c for c in stripe_api.calls("GET", "/v1/checkout/sessions") if c.form.get("customer")]
    assert len(by_customer) == 2 and by_customer[1].form["starting_after"] == "cs_test_x030"
    assert stripe_api.calls("GET", "/v1/refunds") == []    # nothing paid, nothing to refund


def test_retries_and_errors(qt, db, stripe_api):
    stripe_api.add(stripe_objects.customer(id="cus_ONE", email="user1@example.com"))
    stripe_api.script(Answer.error(429, "rate_limit_error", headers={"Retry-After": "0"}), path="/v1/customers/cus_ONE")
    r = show(qt, db, stripe_api)
    assert r.rc == 0 and "retrying" in r.err and len(stripe_api.calls("GET", "/v1/customers/cus_ONE")) == 2
    stripe_api.script(Answer.dropped(), path="/v1/checkout/sessions")
    down = show(qt, db, stripe_api, "--max-retries", "0")
    assert down.rc == 1 and down.json["ok"] is False and "could not reach Stripe" in down.json["error"]
    stripe_api.account_id = "acct_1OtherBusiness00"
    execute(db, "INSERT INTO quicktools_state (name, value, updated_at) VALUES ('stripe.account', ?, 'x')",
            ('{"account_id": "acct_1QtStandinAcct01", "livemode": false}',))
    other = show(qt, db, stripe_api)
    assert other.rc == 4 and "belongs to Stripe account" in other.json["error"]


def test_the_api_options_need_stripe(qt, db):
    r = qt("user", "show", "1", "--live", db=db)
    assert r.rc == 2 and "--stripe" in r.err
    plain = qt("user", "show", "1", db=db, json=True)
    assert plain.rc == 0 and "stripe" not in plain.json
