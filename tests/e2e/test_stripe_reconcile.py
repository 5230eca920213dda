"""stripe reconcile against the local Stripe stand-in: sessions no event reported, refunds and
disputes not yet reflected, sessions Stripe does not confirm, paging, errors, resuming; on SQLite
and PostgreSQL (the tests of Stripe's side only, on SQLite)."""
import json
import time

import pytest

import stripe_objects
from conftest import query
from stripe_events import add_users, event, invariant_holds, replay, session, tables, user
from stripe_standin import Answer

SESSIONS = "/v1/checkout/sessions"
REFUNDS = "/v1/refunds"
DISPUTES = "/v1/disputes"


SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"])


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1, 2, 3)


def reconcile(qt, db, api, *args, json=True):
    r = qt("stripe", "reconcile", *args, db=db, json=json, env=api.env())
    assert "sk_test_standin" not in r.out + r.err
    return r


def paid(api, uid, pack, ago=3600, **kw):
    """A paid Checkout Session on the stand-in, `ago` seconds back, that no event reported."""
    s = session(uid, pack, **kw)
    s["created"] = int(time.time()) - ago
    return api.add(s)


def credited_by_event(qt, db, s):
    """The session credited through its own event (as the webhook or a replay would)."""
    r = replay(qt, db, event("checkout.session.completed", s))
    assert r.rc == 0 and r.json["counts"]["credited"] == 1, r.out
    return s


def audit_clean(qt, db):
    r = qt("credits", "audit", db=db, json=True)
    assert r.rc == 0, r.out
    assert invariant_holds(db)


def ledger_count(db):
    return query(db, "SELECT count(*) FROM quicktools_ledger")[0][0]


def test_a_paid_session_no_event_reported_is_credited_once_and_its_event_is_a_duplicate(qt, db, stripe_api):
    s = paid(stripe_api, 1, "pro")
    open_one = session(2, "pro")
    open_one.update(status="open", payment_status="unpaid", created=int(time.time()) - 60)
    stripe_api.add(open_one)
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0, r.out + r.err
    doc = r.json
    assert doc["counts"]["credited"] == 1 and doc["credits_added"] == 1200
    assert doc["listed"] == {"checkout_sessions": 1, "refunds": 0, "disputes": 0}
    assert user(db, 1)[:4] == (1210, 1200, 0, 1) and user(db, 2)[0] == 10
    assert query(db, "SELECT session_id, payment_intent FROM quicktools_checkout_sessions") == [
        (s["id"], s["payment_intent"])]
    assert query(db, "SELECT event_id, outcome FROM quicktools_stripe_events") == [
        ("reconcile:" + s["id"], "credited")]
    [get] = stripe_api.calls("GET", SESSIONS)
    assert get.answer == 200 and get.form["status"] == "complete" and get.form["limit"] == "100"
    assert abs(int(get.form["created[gte]"]) - (time.time() - 30 * 86400)) < 120
    # Every request passed the stand-in's checks of Stripe's parameters.
    assert {c.path for c in stripe_api.calls()} == {"/v1/account", SESSIONS, REFUNDS, DISPUTES}
    assert all(c.answer == 200 for c in stripe_api.calls())
    assert stripe_api.calls("GET", REFUNDS)[0].form["created[gte]"] == get.form["created[gte]"]
    audit_clean(qt, db)

    again = reconcile(qt, db, stripe_api)
    assert again.rc == 0 and again.json["counts"]["credited"] == 0 and again.json["in_sync"] == 1
    assert again.json["events"] == 0
    assert user(db, 1)[0] == 1210 and ledger_count(db) == 1

    # The real event arrives at last (a late webhook, a replay of an export): a duplicate.
    late = replay(qt, db, event("checkout.session.completed", s))
    assert late.rc == 0 and late.json["counts"]["duplicate"] == 1 and late.json["counts"]["credited"] == 0
    assert user(db, 1)[0] == 1210 and ledger_count(db) == 1
    audit_clean(qt, db)


def test_sessions_credited_by_their_events_are_in_sync(qt, db, stripe_api):
    s = credited_by_event(qt, db, paid(stripe_api, 1, "starter"))
    r = reconcile(qt, db, stripe_api, json=False)
    assert r.rc == 0, r.err
    assert "Already in the database: 1" in r.out and "the database agrees with Stripe" in r.out
    assert user(db, 1)[0] == 110 and ledger_count(db) == 1
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events WHERE event_id LIKE 'reconcile:%'") == [(0,)]
    assert s["id"] in query(db, "SELECT session_id FROM quicktools_checkout_sessions")[0]


def test_pages_through_every_list(qt, db, stripe_api):
    made = [paid(stripe_api, 1 + i % 3, "starter", ago=7200 - i) for i in range(230)]
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0, r.err
    assert r.json["counts"]["credited"] == 230 and r.json["pages"] == 5   # 3 of sessions, 1 each of the rest
    gets = stripe_api.calls("GET", SESSIONS)
    assert len(gets) == 3 and "starting_after" not in gets[0].form
    # Newest first: the second page starts after the 100th newest, the third after the 200th.
    assert gets[1].form["starting_after"] == made[-100]["id"] and gets[2].form["starting_after"] == made[-200]["id"]
    assert all(g.answer == 200 for g in gets)
    assert [user(db, u)[0] for u in (1, 2, 3)] == [10 + 77 * 100, 10 + 77 * 100, 10 + 76 * 100]
    assert reconcile(qt, db, stripe_api).json["in_sync"] == 230 and ledger_count(db) == 230
    audit_clean(qt, db)


def test_a_dropped_connection_mid_listing_changes_nothing_and_a_rerun_does_it_all(qt, db, stripe_api):
    for i in range(150):
        paid(stripe_api, 2, "starter", ago=600 + i)
    # Sessions listed in full; the refunds list is dropped on every attempt.
    stripe_api.script(Answer.dropped(), Answer.dropped(), method="GET", path=REFUNDS)
    r = reconcile(qt, db, stripe_api, "--max-retries", "1", json=False)
    assert r.rc == 1 and r.out == "" and "Stripe" in r.err
    assert len(stripe_api.calls("GET", SESSIONS)) == 2
    assert user(db, 2)[0] == 10 and ledger_count(db) == 0
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(0,)]
    assert query(db, "SELECT count(*) FROM quicktools_state WHERE name = 'stripe.account'") == [(0,)]
    done = reconcile(qt, db, stripe_api)
    assert done.rc == 0 and done.json["counts"]["credited"] == 150 and user(db, 2)[0] == 15010
    audit_clean(qt, db)


@SQLITE_ONLY
def test_500_and_429_are_retried(qt, db, stripe_api):
    paid(stripe_api, 1, "starter")
    stripe_api.script(Answer.error(500, "api_error"),
                      Answer.error(429, "rate_limit_error", headers={"Retry-After": "1"}), method="GET",
                      path=SESSIONS)
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0, r.err
    assert [c.answer for c in stripe_api.calls("GET", SESSIONS)] == [500, 429, 200]
    assert "retrying" in r.err and user(db, 1)[0] == 110


@SQLITE_ONLY
def test_a_stripe_error_is_one_line_and_changes_nothing(qt, db, stripe_api):
    paid(stripe_api, 1, "starter")
    stripe_api.script(Answer.error(400, "invalid_request_error", "Invalid status.", param="status"), method="GET",
                      path=DISPUTES)
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 1 and r.json["ok"] is False and "Invalid status." in r.json["error"]
    assert user(db, 1)[0] == 10 and ledger_count(db) == 0


@SQLITE_ONLY
def test_a_server_repeating_a_page_stops_at_once(qt, db, stripe_api):
    s = paid(stripe_api, 1, "starter")
    looping = Answer(status=200, body=stripe_objects.list_object([s], SESSIONS, has_more=True))
    again = Answer(status=200, body=stripe_objects.list_object([s], SESSIONS, has_more=True))
    stripe_api.script(looping, again, method="GET", path=SESSIONS)
    r = reconcile(qt, db, stripe_api, json=False)
    assert r.rc == 1 and "so as not to loop" in r.err and "nothing was applied" in r.err
    assert len(stripe_api.calls("GET", SESSIONS)) == 2 and user(db, 1)[0] == 10


@SQLITE_ONLY
def test_max_pages_stops_with_nothing_applied(qt, db, stripe_api):
    for i in range(150):
        paid(stripe_api, 1, "starter", ago=600 + i)
    r = reconcile(qt, db, stripe_api, "--max-pages", "1", json=False)
    assert r.rc == 1 and "more than 1 pages for GET /v1/checkout/sessions" in r.err and "nothing was applied" in r.err
    assert user(db, 1)[0] == 10 and ledger_count(db) == 0


def test_since_sets_the_window_at_any_age(qt, db, stripe_api):
    paid(stripe_api, 1, "starter", ago=60 * 86400)
    assert reconcile(qt, db, stripe_api).json["listed"]["checkout_sessions"] == 0
    r = reconcile(qt, db, stripe_api, "--since", "90d")
    assert r.rc == 0 and r.json["counts"]["credited"] == 1 and user(db, 1)[0] == 110
    assert abs(int(stripe_api.calls("GET", REFUNDS)[-1].form["created[gte]"]) - (time.time() - 90 * 86400)) < 120
    bad = reconcile(qt, db, stripe_api, "--since", "soon")
    assert bad.rc == 2 and "duration" in bad.err


def test_dry_run_reports_and_changes_nothing(qt, db, stripe_api):
    paid(stripe_api, 1, "pro")
    r = reconcile(qt, db, stripe_api, "--dry-run")
    assert r.rc == 0 and r.json["dry_run"] is True and r.json["counts"]["credited"] == 1
    assert user(db, 1)[0] == 10 and ledger_count(db) == 0
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(0,)]
    assert query(db, "SELECT count(*) FROM quicktools_state") == [(0,)]


def test_an_unpaid_session_waits_and_is_credited_once_paid(qt, db, stripe_api):
    s = paid(stripe_api, 1, "standard", paid=False)
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0 and r.json["unpaid"] == 1 and r.json["events"] == 0 and user(db, 1)[0] == 10
    s["payment_status"] = "paid"
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1 and user(db, 1)[0] == 510


def test_a_session_that_cannot_be_credited_needs_attention_until_it_can(qt, db, stripe_api):
    s = paid(stripe_api, 9, "starter")
    paid(stripe_api, 1, "starter")     # a purchase credited: the stored events are tried again
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 3 and r.json["counts"]["credited"] == 1
    assert r.json["attention_total"] == 1 and r.json["attention"][0]["id"] == "reconcile:" + s["id"]
    assert "unknown user 9" in r.json["attention"][0]["reason"]
    assert reconcile(qt, db, stripe_api).rc == 3
    add_users(db, 9)
    fixed = reconcile(qt, db, stripe_api)
    assert fixed.rc == 0 and fixed.json["counts"]["credited"] == 1 and user(db, 9)[0] == 110
    audit_clean(qt, db)


def test_sessions_credited_here_that_stripe_does_not_confirm_need_attention(qt, db, stripe_api):
    gone = credited_by_event(qt, db, session(1, "starter"))          # Stripe has no such session
    unpaid = credited_by_event(qt, db, session(2, "starter"))        # Stripe says it was never paid
    stripe_api.add(dict(unpaid, payment_status="unpaid", created=1767225600))
    older = credited_by_event(qt, db, session(3, "starter"))         # created before the window, paid
    stripe_api.add(dict(older, created=1767225600))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 3 and r.json["ok"] is False and r.json["attention_total"] == 2
    assert r.json["local_checked"] == 3 and r.json["in_sync"] == 1
    reasons = {u["session_id"]: u["reason"] for u in r.json["unconfirmed"]}
    assert set(reasons) == {gone["id"], unpaid["id"]}
    assert "no such Checkout Session" in reasons[gone["id"]] and "not paid" in reasons[unpaid["id"]]
    gets = [c.path for c in stripe_api.calls("GET") if c.path.startswith(SESSIONS + "/")]
    assert sorted(gets) == sorted(SESSIONS + "/" + s["id"] for s in (gone, unpaid, older))
    # Reported, never changed: the credits stay until a person decides.
    assert [user(db, u)[0] for u in (1, 2, 3)] == [110, 110, 110]
    text = reconcile(qt, db, stripe_api, json=False)
    assert text.rc == 3 and "Credited here but not confirmed by Stripe (2)" in text.out


def refund_of(s, amount, status="succeeded", ago=600):
    return stripe_objects.refund(amount=amount, payment_intent=s["payment_intent"], charge="ch_" + s["id"][-12:],
                                 status=status, created=int(time.time()) - ago)


def test_a_refund_no_event_reported_is_taken_back_once(qt, db, stripe_api):
    s = credited_by_event(qt, db, paid(stripe_api, 1, "pro"))
    refund = stripe_api.add(refund_of(s, 3000))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0, r.out
    assert r.json["counts"]["refunded"] == 1 and r.json["credits_clawed_back"] == 1200
    assert user(db, 1)[:4] == (10, 0, 0, 0)
    assert query(db, "SELECT refund_id, status, amount FROM quicktools_refunds") == [(refund["id"], "succeeded", 3000)]
    again = reconcile(qt, db, stripe_api)
    assert again.rc == 0 and again.json["events"] == 0 and again.json["in_sync"] == 2
    # Its own events later: the same refund, nothing more taken.
    late = replay(qt, db, event("refund.updated", refund),
                  event("charge.refunded", stripe_objects.charge(payment_intent=s["payment_intent"], amount=3000,
                                                                 amount_refunded=3000, refunds=[refund])))
    assert late.rc == 0 and late.json["counts"]["duplicate"] == 2 and user(db, 1)[0] == 10
    assert query(db, "SELECT count(*) FROM quicktools_ledger WHERE kind = 'purchase_refund'") == [(1,)]
    audit_clean(qt, db)


def test_a_refund_that_failed_at_stripe_gives_back_what_its_event_took(qt, db, stripe_api):
    s = credited_by_event(qt, db, paid(stripe_api, 1, "business"))
    refund = refund_of(s, 5000, ago=900)
    assert replay(qt, db, event("refund.created", refund, created=int(time.time()) - 900)).json["counts"][
        "refunded"] == 1
    assert user(db, 1)[0] == 2510
    stripe_api.add(dict(refund, status="failed", failure_reason="expired_or_canceled_card"))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["restored"] == 1 and r.json["credits_restored"] == 2500
    assert user(db, 1)[0] == 5010
    assert reconcile(qt, db, stripe_api).json["events"] == 0
    audit_clean(qt, db)


def test_disputes_are_applied_by_their_rules_and_a_won_one_gives_back(qt, db, stripe_api):
    s = credited_by_event(qt, db, paid(stripe_api, 2, "pro"))
    d = stripe_objects.dispute(charge="ch_x", payment_intent=s["payment_intent"], amount=3000,
                               status="needs_response", created=int(time.time()) - 300)
    stripe_api.add(d)
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 3 and r.json["counts"]["disputed"] == 1 and r.json["credits_clawed_back"] == 1200
    assert user(db, 2)[:4] == (10, 0, 0, 0)
    assert query(db, "SELECT status, funds_withdrawn, funds_reinstated FROM quicktools_disputes") == [
        ("needs_response", 1, 0)]
    assert reconcile(qt, db, stripe_api).json["events"] == 0
    won = stripe_objects.dispute(id=d["id"], charge="ch_x", payment_intent=s["payment_intent"], amount=3000,
                                 status="won", created=d["created"])
    stripe_api.add(won)
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["restored"] == 1 and user(db, 2)[:4] == (1210, 1200, 0, 1)
    audit_clean(qt, db)


def test_an_inquiry_is_reported_and_changes_nothing(qt, db, stripe_api):
    s = credited_by_event(qt, db, paid(stripe_api, 1, "standard"))
    stripe_api.add(stripe_objects.dispute(charge="ch_y", payment_intent=s["payment_intent"], amount=1500,
                                          status="warning_under_review", created=int(time.time()) - 60))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["reported"] == 1 and user(db, 1)[0] == 510


def test_a_refund_listed_before_its_session_is_credited_applies_in_the_same_run(qt, db, stripe_api):
    s = paid(stripe_api, 3, "standard", ago=7200)
    stripe_api.add(refund_of(s, 1500, ago=60))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 0, r.out
    assert r.json["counts"]["credited"] == 1 and r.json["counts"]["refunded"] == 1
    assert user(db, 3)[:2] == (10, 0)
    audit_clean(qt, db)


def test_binds_the_database_and_refuses_another_account_before_listing(qt, db, stripe_api):
    paid(stripe_api, 1, "starter")
    assert reconcile(qt, db, stripe_api).rc == 0
    bound = json.loads(query(db, "SELECT value FROM quicktools_state WHERE name = 'stripe.account'")[0][0])
    assert bound == {"account_id": stripe_api.account_id, "livemode": False}
    stripe_api.account_id = "acct_1QtSomeoneElse0001"
    before = len(stripe_api.calls("GET", SESSIONS))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 4 and "acct_1QtSomeoneElse0001" in r.json["error"]
    assert len(stripe_api.calls("GET", SESSIONS)) == before


def test_a_refund_of_a_payment_no_session_has_needs_attention_and_changes_nothing(qt, db, stripe_api):
    stripe_api.add(stripe_objects.refund(amount=2000, payment_intent="pi_old_subscription_invoice",
                                         created=int(time.time()) - 60))
    r = reconcile(qt, db, stripe_api)
    assert r.rc == 3 and r.json["counts"]["needs_attention"] == 1
    assert "pi_old_subscription_invoice" in r.json["attention"][0]["reason"]
    assert query(db, "SELECT count(*) FROM quicktools_refunds") == [(0,)] and ledger_count(db) == 0
    again = reconcile(qt, db, stripe_api)
    assert again.rc == 3 and again.json["retried"] == 1 and again.json["attention_total"] == 1


def test_metrics_file_counts_what_was_applied_and_what_needs_a_person(qt, db, stripe_api, tmp_path):
    from test_metrics import common, parse_prometheus, value
    paid(stripe_api, 1, "pro")
    credited_by_event(qt, db, session(2, "starter"))          # Stripe has no such session: unconfirmed
    path = tmp_path / "reconcile.prom"
    r = reconcile(qt, db, stripe_api, "--metrics-file", str(path))
    assert r.rc == 3
    families = parse_prometheus(path.read_text())
    common(families, "stripe_reconcile", True, 3)
    assert value(families, "quicktools_last_run_events", command="stripe_reconcile", outcome="credited") == 1
    assert value(families, "quicktools_last_run_items", command="stripe_reconcile", outcome="unconfirmed") == 1
    assert value(families, "quicktools_last_run_items", command="stripe_reconcile", outcome="in_sync") == 0
    assert value(families, "quicktools_attention_items", command="stripe_reconcile") == 1
    assert value(families, "quicktools_last_run_credits", command="stripe_reconcile", kind="added") == 1200
    # A failed run keeps the last success time.
    success = value(families, "quicktools_last_success_timestamp_seconds", command="stripe_reconcile")
    stripe_api.script(Answer.error(500, "api_error"), Answer.error(500, "api_error"), Answer.error(500, "api_error"),
                      method="GET", path=SESSIONS)
    failed = reconcile(qt, db, stripe_api, "--metrics-file", str(path))
    assert failed.rc == 1
    families = parse_prometheus(path.read_text())
    common(families, "stripe_reconcile", False, 1)
    assert value(families, "quicktools_last_success_timestamp_seconds", command="stripe_reconcile") == success


def test_the_same_reconcile_gives_the_same_results_on_both_engines(qt, new_db, stripe_api):
    from test_postgres import normalised
    made = [paid(stripe_api, 1 + i % 3, pack, ago=5000 - 100 * i)
            for i, pack in enumerate(["starter", "pro", "business", "standard", "pro"])]
    paid(stripe_api, 9, "pro", ago=4000)                               # an unknown user: needs attention
    stripe_api.add(refund_of(made[1], 1500, ago=900))
    stripe_api.add(stripe_objects.dispute(charge="ch_z", payment_intent=made[2]["payment_intent"], amount=10000,
                                          status="needs_response", created=int(time.time()) - 300))
    runs, rows, dbs, started = {}, {}, {}, int(time.time())
    for engine in ("sqlite", "postgres"):
        db = dbs[engine] = new_db(engine, 1, 2, 3)
        # All but the start of the window listed (the time of the run less 30 days).
        runs[engine] = [(r.rc, normalised({k: v for k, v in r.json.items() if k != "since"})) for r in (
            reconcile(qt, db, stripe_api, "--dry-run"), reconcile(qt, db, stripe_api), reconcile(qt, db, stripe_api))]
    for engine, db in dbs.items():
        # A dispute listed without a time of its status is dated by the run that found it.
        rows[engine] = tables(db, run=(started, int(time.time()) + 1))
    assert runs["postgres"] == runs["sqlite"]
    assert rows["postgres"] == rows["sqlite"]
    # Something happened: the sessions credited, one partly refunded, one disputed, one left.
    first = runs["postgres"][1][1]
    assert runs["postgres"][1][0] == 3 and first["counts"]["credited"] == 5, first
    assert first["counts"]["refunded"] == 1 and first["counts"]["disputed"] == 1
    assert runs["postgres"][2][1]["counts"]["credited"] == 0
    assert len(rows["postgres"]["quicktools_refunds"]) == 1 and len(rows["postgres"]["quicktools_disputes"]) == 1

