"""checkout create against the local Stripe stand-in: parameters, errors, retries, timeouts. The
tests that read or write the database run on SQLite and PostgreSQL, the rest on SQLite."""
import re
import time

import pytest

from conftest import ENGINES, execute
from stripe_standin import Answer

KEY = "sk_test_checkoutSecret0123456789"
URLS = ["--success-url", "https://app.example.com/paid?session={CHECKOUT_SESSION_ID}",
        "--cancel-url", "https://app.example.com/pricing"]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SESSIONS = "/v1/checkout/sessions"


BOTH = pytest.mark.parametrize("engine", ENGINES)


@pytest.fixture
def engine():
    """SQLite unless a test names both engines (BOTH)."""
    return "sqlite"


@pytest.fixture
def shop(engine, make_db):
    return make_db(engine, users=5, state="credit-packs")


def create(qt, db, api, *extra, key=KEY, env=None, json=False):
    full_env = api.env(key) if key else {"STRIPE_API_BASE": api.base_url}
    full_env.update(env or {})
    r = qt("checkout", "create", *extra, db=db, json=json, env=full_env)
    assert KEY not in r.out and KEY not in r.err
    if key:
        assert key not in r.out and key not in r.err
    return r


def error_lines(r):
    return [line for line in r.err.splitlines() if line.startswith("quicktools:")]


@BOTH
def test_success_prints_the_url_and_sends_the_spec_parameters(qt, shop, stripe_api):
    r = create(qt, shop, stripe_api, "user2@example.com", "pro", *URLS)
    assert r.rc == 0, r.err
    [call] = stripe_api.calls("POST", SESSIONS)
    assert call.answer == 200
    session = stripe_api.sessions[next(iter(stripe_api.sessions))]
    assert r.out == session["url"] + "\n"
    assert r.out.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert call.form == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "3000",
        "line_items[0][price_data][product_data][name]": "Pro credit pack (1200 credits)",
        "line_items[0][quantity]": "1",
        "success_url": "https://app.example.com/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example.com/pricing",
        "client_reference_id": "2",
        "metadata[user_id]": "2",
        "metadata[pack]": "pro",
        "payment_intent_data[metadata][user_id]": "2",
        "payment_intent_data[metadata][pack]": "pro",
        "payment_intent_data[description]": "Pro credit pack (1200 credits) for user 2",
        "customer_email": "user2@example.com",
    }
    assert "%5B" in call.raw and "%7BCHECKOUT_SESSION_ID%7D" in call.raw
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.headers["stripe-version"] == "2025-10-29.clover"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert UUID4.match(call.idempotency_key)
    assert session["amount_total"] == 3000 and session["metadata"] == {"user_id": "2", "pack": "pro"}


@BOTH
def test_json_output_and_a_repeated_idempotency_key_returns_the_same_session(qt, shop, stripe_api):
    args = ["3", "starter", *URLS, "--idempotency-key", "order-3-starter"]
    first = create(qt, shop, stripe_api, *args, json=True)
    assert first.rc == 0, first.err
    doc = first.json
    assert doc["ok"] is True and doc["user_id"] == 3 and doc["pack"] == "starter"
    assert doc["amount"] == 500 and doc["credits"] == 100 and doc["currency"] == "usd"
    assert doc["idempotency_key"] == "order-3-starter" and doc["attempts"] == 1
    assert doc["session"]["client_reference_id"] == "3" and doc["url"] == doc["session"]["url"]
    second = create(qt, shop, stripe_api, *args, json=True)
    assert second.rc == 0 and second.json["id"] == doc["id"]
    assert len(stripe_api.sessions) == 1
    assert [c.idempotency_key for c in stripe_api.calls("POST", SESSIONS)] == ["order-3-starter"] * 2


def test_urls_from_the_environment_and_required_otherwise(qt, shop, stripe_api):
    env = {"QUICKTOOLS_SUCCESS_URL": "https://s.example/ok", "QUICKTOOLS_CANCEL_URL": "https://s.example/no"}
    r = create(qt, shop, stripe_api, "1", "business", env=env)
    assert r.rc == 0, r.err
    assert stripe_api.calls()[0].form["success_url"] == "https://s.example/ok"
    assert stripe_api.calls()[0].form["line_items[0][price_data][unit_amount]"] == "10000"
    r = create(qt, shop, stripe_api, "1", "business", "--cancel-url", "https://c.example")
    assert r.rc == 2 and "--success-url is required" in r.err and "QUICKTOOLS_SUCCESS_URL" in r.err
    assert len(error_lines(r)) == 1
    assert len(stripe_api.calls()) == 1


@BOTH
def test_unknown_user_or_pack_sends_nothing(qt, shop, stripe_api):
    r = create(qt, shop, stripe_api, "nobody@example.com", "pro", *URLS)
    assert r.rc == 1 and "no user nobody@example.com" in r.err and len(error_lines(r)) == 1
    r = create(qt, shop, stripe_api, "2", "platinum", *URLS)
    assert r.rc == 2 and "no pack named platinum" in r.err
    r = create(qt, shop, stripe_api, "999", "pro", *URLS, json=True)
    assert r.rc == 1 and r.json["ok"] is False
    assert stripe_api.requests == []


def test_missing_key_exits_2_with_a_hint(qt, shop, stripe_api):
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, key=None)
    assert r.rc == 2 and "STRIPE_API_KEY" in r.err and "--api-key-file" in r.err
    assert stripe_api.requests == []


def test_key_from_a_file(qt, shop, stripe_api, tmp_path):
    key_file = tmp_path / "stripe.key"
    key_file.write_text(KEY + "\n")
    r = create(qt, shop, stripe_api, "2", "standard", *URLS, "--api-key-file", key_file, key=None)
    assert r.rc == 0, r.err
    assert stripe_api.calls()[0].headers["authorization"] == f"Bearer {KEY}"


def test_live_key_needs_live(qt, shop, stripe_api):
    live = "sk_live_realMoney0123456789"
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, key=live)
    assert r.rc == 4 and "--live" in r.err
    assert stripe_api.requests == []
    # A live key never leaves over plain http://, not even to this machine.
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, "--live", key=live, json=True)
    assert r.rc == 4 and "never sent over plain http://" in r.json["error"]
    assert stripe_api.requests == []


def test_live_key_with_live_over_https(qt, shop, stripe_api_tls):
    live = "sk_live_realMoney0123456789"
    r = create(qt, shop, stripe_api_tls, "2", "pro", *URLS, "--live", key=live, json=True)
    assert r.rc == 0 and r.json["livemode"] is True and r.json["id"].startswith("cs_live_"), r.err
    assert stripe_api_tls.base_url.startswith("https://")


@pytest.mark.parametrize("base", ["http://api.example.com", "http://10.0.0.5:12111", "http://127.0.0.1.evil.com",
                                  "http://user@example.com"])
def test_a_key_goes_over_plain_http_only_to_this_machine(qt, shop, stripe_api, base):
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, env={"STRIPE_API_BASE": base})
    assert r.rc == 4 and "only sent over http:// to this machine" in r.err
    assert stripe_api.requests == []


def test_stripe_error_becomes_one_line_and_is_not_retried(qt, shop, stripe_api):
    stripe_api.script(Answer.error(400, "invalid_request_error", "Received unknown parameter: foo\nsecond line",
                                   code="parameter_unknown", param="foo"))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    assert r.rc == 1
    [line] = error_lines(r)
    assert "HTTP 400" in line and "invalid_request_error (parameter_unknown)" in line
    assert "[param: foo]" in line and "second line" in line and "[request: req_" in line
    assert r.out == "" and len(stripe_api.requests) == 1


def test_card_error_402(qt, shop, stripe_api):
    stripe_api.script(Answer.error(402, "card_error", "Your card was declined.", code="card_declined"))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    assert r.rc == 1 and "card_error (card_declined): Your card was declined." in r.err
    assert len(stripe_api.requests) == 1


def test_429_then_success_honours_retry_after_with_the_same_key(qt, shop, stripe_api):
    stripe_api.script(Answer.error(429, "rate_limit_error", "Too many requests", headers={"Retry-After": "2"}))
    started = time.monotonic()
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    elapsed = time.monotonic() - started
    assert r.rc == 0, r.err
    calls = stripe_api.calls("POST", SESSIONS)
    assert [c.answer for c in calls] == [429, 200]
    assert calls[0].idempotency_key == calls[1].idempotency_key
    assert elapsed >= 2.0
    assert "HTTP 429; retrying in 2.0 s (attempt 2 of 3)" in r.err


def test_500_three_times_fails_after_the_retries(qt, shop, stripe_api):
    stripe_api.script(*[Answer.error(500, "api_error", "Something went wrong") for _ in range(3)])
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, "--idempotency-key", "k-500")
    assert r.rc == 1
    [line] = error_lines(r)
    assert "HTTP 500" in line and "after 3 attempts" in line and "k-500" in line
    calls = stripe_api.calls()
    assert len(calls) == 3 and {c.idempotency_key for c in calls} == {"k-500"}
    assert stripe_api.sessions == {}


def test_should_retry_false_stops_and_true_retries(qt, shop, stripe_api):
    stripe_api.script(Answer(status=503, body={"error": {"type": "api_error", "message": "x"}},
                             headers={"Stripe-Should-Retry": "false"}))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    assert r.rc == 1 and len(stripe_api.requests) == 1
    stripe_api.script(Answer(status=400, body={"error": {"type": "invalid_request_error", "message": "lock"}},
                             headers={"Stripe-Should-Retry": "true"}))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    assert r.rc == 0 and [c.answer for c in stripe_api.requests[1:]] == [400, 200]


def test_slow_response_times_out(qt, shop, stripe_api):
    stripe_api.script(Answer.slow(3))
    started = time.monotonic()
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, "--timeout", "0.5", "--max-retries", "0")
    assert time.monotonic() - started < 2.5
    assert r.rc == 1
    [line] = error_lines(r)
    assert "no answer within the timeout (500 ms total" in line and "could not reach Stripe" in line


def test_slow_response_then_retry_succeeds_with_the_same_key(qt, shop, stripe_api):
    stripe_api.script(Answer.slow(2))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, "--timeout", "0.5", "--max-retries", "1")
    assert r.rc == 0, r.err
    calls = stripe_api.calls()
    assert len(calls) == 2 and calls[0].idempotency_key == calls[1].idempotency_key


def test_dropped_connection_is_retried(qt, shop, stripe_api):
    stripe_api.script(Answer.dropped())
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    assert r.rc == 0, r.err
    calls = stripe_api.calls()
    assert [c.answer for c in calls] == ["dropped", 200]
    assert calls[0].idempotency_key == calls[1].idempotency_key
    assert "connection closed without an answer" in r.err


def test_unreachable_stripe(qt, shop, stripe_api):
    port = stripe_api.base_url.rsplit(":", 1)[1]
    stripe_api.stop()
    r = qt("checkout", "create", "2", "pro", *URLS, "--max-retries", "1", db=shop,
           env={"STRIPE_API_KEY": KEY, "STRIPE_API_BASE": f"http://127.0.0.1:{port}"})
    assert r.rc == 1 and "could not reach Stripe" in r.err and "cannot connect" in r.err
    assert KEY not in r.err


def test_json_error_is_one_document_without_the_key(qt, shop, stripe_api):
    stripe_api.script(Answer.error(404, "invalid_request_error", f"No such thing for key {KEY}",
                                   code="resource_missing", param="id"))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, json=True)
    assert r.rc == 1
    doc = r.json
    assert doc["ok"] is False and "resource_missing" in doc["error"] and "[redacted]" in doc["error"]


def test_unreadable_key_file_and_409_conflict(qt, shop, stripe_api, tmp_path):
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, "--api-key-file", tmp_path / "missing.key", key=None)
    assert r.rc == 2 and "cannot read the API key file" in r.err
    stripe_api.script(Answer.error(409, "idempotency_error", "A request with this key is in progress."))
    r = create(qt, shop, stripe_api, "2", "pro", *URLS)
    assert r.rc == 0 and [c.answer for c in stripe_api.requests] == [409, 200]


def test_bad_idempotency_key_is_refused_before_sending(qt, shop, stripe_api):
    r = create(qt, shop, stripe_api, "2", "pro", *URLS, "--idempotency-key", "two words")
    assert r.rc == 2 and "idempotency key" in r.err
    assert stripe_api.requests == []


@BOTH
def test_a_known_stripe_customer_is_used_and_the_session_recorded(qt, engine, make_db, stripe_api, sqlite):
    db = make_db(engine, users=3, state="credit-packs")
    assert qt("db", "upgrade", db=db).rc == 0
    execute(db, "UPDATE users SET stripe_customer_id = 'cus_known2' WHERE id = 2")
    customer = "cus_known2"
    r = create(qt, db, stripe_api, "2", "standard", *URLS, "--idempotency-key", "order-77", json=True)
    assert r.rc == 0, r.err
    [call] = stripe_api.calls("POST", SESSIONS)
    assert call.form["customer"] == customer and "customer_email" not in call.form
    assert r.json["customer"] == customer
    assert sqlite(db, "SELECT session_id, user_id, pack, amount, livemode, idempotency_key FROM "
                      "quicktools_checkout_created") == [(r.json["id"], 2, "standard", 1500, 0, "order-77")]
    again = create(qt, db, stripe_api, "2", "standard", *URLS, "--idempotency-key", "order-77", json=True)
    assert again.json["id"] == r.json["id"]
    assert sqlite(db, "SELECT count(*) FROM quicktools_checkout_created") == [(1,)]


@pytest.mark.parametrize("extra,phrase", [(URLS + ["--idempotency-key", ""], "--idempotency-key is empty"),
                                          (["--success-url", "https://", URLS[2], URLS[3]], "has no host"),
                                          ([URLS[0], URLS[1], "--cancel-url", "https:///pricing"], "has no host")])
def test_empty_key_and_hostless_urls_are_usage_errors(qt, shop, stripe_api, extra, phrase):
    r = create(qt, shop, stripe_api, "2", "pro", *extra)
    assert r.rc == 2 and phrase in r.err
    assert stripe_api.requests == []
