"""stripe doctor against the local Stripe stand-in: the key against the database's binding, the
webhook endpoints (disabled, missing event types, the API version, paging), events whose
webhook delivery is pending, Stripe's errors and retries; exit 3 only for a problem. The tests of
the binding run on SQLite and PostgreSQL, the rest on SQLite."""
import json
import time

import pytest

import stripe_objects
from conftest import ENGINES, execute
from stripe_standin import Answer

ALL_TYPES = [
    "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed",
    "charge.refunded", "charge.refund.updated", "refund.created", "refund.updated", "refund.failed",
    "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated", "radar.early_fraud_warning.created"]
HOOK = "https://app.example.com/stripe/webhook"


BOTH = pytest.mark.parametrize("engine", ENGINES)


@pytest.fixture
def engine():
    """SQLite unless a test names both engines (BOTH)."""
    return "sqlite"


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1)


def bind(db, account_id, livemode=False):
    execute(db, "INSERT INTO quicktools_state (name, value, updated_at) VALUES ('stripe.account', ?, 'x')",
            (json.dumps({"account_id": account_id, "livemode": livemode}),))


def endpoint(api, **fields):
    fields.setdefault("url", HOOK)
    fields.setdefault("enabled_events", ALL_TYPES)
    return api.add(stripe_objects.webhook_endpoint(**fields))


def delivered(api, ago, pending=0, type_="checkout.session.completed"):
    event = stripe_objects.event(type_, stripe_objects.checkout_session(), created=int(time.time()) - ago,
                                 pending_webhooks=pending)
    api.events.append(event)
    return event


def doctor(qt, db, api, *args, json=True):
    r = qt("stripe", "doctor", *args, db=db, json=json, env=api.env())
    assert "sk_test_standin" not in r.out + r.err
    return r


def levels(doc):
    return [(f["check"], f["level"]) for f in doc["findings"]]


@BOTH
def test_all_well_is_exit_0_with_one_ok_line_per_check(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    endpoint(stripe_api)
    delivered(stripe_api, 3600)
    delivered(stripe_api, 30, pending=1)          # younger than 10 minutes: still being delivered
    r = doctor(qt, db, stripe_api)
    assert r.rc == 0, r.out + r.err
    doc = r.json
    assert doc["ok"] is True and doc["problems"] == 0 and doc["warnings"] == 0
    assert levels(doc) == [("key", "ok"), ("account", "ok"), ("webhook_endpoint", "ok"), ("pending_events", "ok")]
    assert doc["account"]["id"] == stripe_api.account_id and doc["account"]["key_type"] == "secret"
    assert doc["pending_events"]["checked"] == 1 and doc["pending_events"]["pending"] == 0
    events = stripe_api.calls("GET", "/v1/events")[0]
    now = int(time.time())
    assert now - 700 < int(events.form["created[lte]"]) <= now - 600
    assert {v for k, v in events.pairs if k.startswith("types[")} == set(ALL_TYPES)
    text = doctor(qt, db, stripe_api, json=False)
    assert text.rc == 0
    lines = text.out.splitlines()
    assert lines[0].startswith("ok       key: a secret key in test mode")
    assert lines[1].startswith(f"ok       account: account {stripe_api.account_id} (Quicktools Credits), test mode")
    assert lines[-1] == "No problem found (0 warnings)."


def test_finds_a_disabled_endpoint_and_a_missing_event_type(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    off = endpoint(stripe_api, status="disabled", enabled_events=["*"])
    few = endpoint(stripe_api, url="https://app.example.com/other",
                   enabled_events=[t for t in ALL_TYPES if t != "refund.failed"])
    r = doctor(qt, db, stripe_api)
    assert r.rc == 3, r.err
    doc = r.json
    assert doc["ok"] is False and doc["problems"] == 2
    messages = [f["message"] for f in doc["findings"] if f["level"] == "problem"]
    assert any(off["id"] in m and "is disabled" in m for m in messages), messages
    assert any(few["id"] in m and "1 of the event types" in m and m.endswith("refund.failed") for m in messages)
    by_id = {e["id"]: e for e in doc["webhook_endpoints"]}
    assert by_id[few["id"]]["missing_event_types"] == ["refund.failed"] and by_id[off["id"]]["all_events"] is True
    text = doctor(qt, db, stripe_api, json=False)
    assert text.rc == 3 and "2 problems to fix, 0 warnings." in text.out
    assert sum(line.startswith("problem  webhook_endpoint:") for line in text.out.splitlines()) == 2
    # the app's own endpoint only
    only = doctor(qt, db, stripe_api, "--webhook-url", "https://app.example.com/other")
    assert only.rc == 3 and [e["id"] for e in only.json["webhook_endpoints"]] == [few["id"]]
    nowhere = doctor(qt, db, stripe_api, "--webhook-url", "https://nowhere.example.com/hook")
    assert nowhere.rc == 3 and "no webhook endpoint in test mode sends to https://nowhere.example.com/hook" in \
        nowhere.out


def test_the_default_endpoint_of_the_app_misses_the_refund_and_dispute_types(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    stripe_api.add(stripe_objects.webhook_endpoint())      # four types only
    doc = doctor(qt, db, stripe_api).json
    missing = doc["webhook_endpoints"][0]["missing_event_types"]
    assert "charge.dispute.funds_withdrawn" in missing and "refund.updated" in missing and len(missing) == 10


def test_no_endpoint_at_all_is_a_problem_and_paging_reaches_every_endpoint(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    r = doctor(qt, db, stripe_api)
    assert r.rc == 3 and "no webhook endpoint in test mode" in r.json["findings"][2]["message"]
    for i in range(130):
        endpoint(stripe_api, url=f"https://app.example.com/hook{i}", created=1_700_000_000 + i)
    endpoint(stripe_api, url="https://app.example.com/hook-old", created=1_600_000_000, status="disabled")
    r = doctor(qt, db, stripe_api)
    assert r.rc == 3 and len(r.json["webhook_endpoints"]) == 131 and r.json["problems"] == 1
    pages = stripe_api.calls("GET", "/v1/webhook_endpoints")[1:]
    assert [p.form.get("starting_after") is None for p in pages] == [True, False]
    assert all(p.form["limit"] == "100" for p in pages)


def test_an_api_version_other_than_the_pin_is_a_warning_not_a_failure(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    endpoint(stripe_api, api_version="2024-06-20")
    endpoint(stripe_api, url="https://app.example.com/v2", api_version=None)
    r = doctor(qt, db, stripe_api)
    assert r.rc == 0 and r.json["warnings"] == 2 and r.json["problems"] == 0
    warnings = [f["message"] for f in r.json["findings"] if f["level"] == "warning"]
    assert any("API version 2024-06-20; the tool is pinned to 2025-10-29.clover" in w for w in warnings)
    assert any("the account's default API version" in w for w in warnings)


def test_events_still_pending_after_ten_minutes_mean_the_webhook_fails(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    endpoint(stripe_api)
    delivered(stripe_api, 7200, pending=1)
    oldest = delivered(stripe_api, 9000, pending=2, type_="charge.refunded")
    stripe_api.events.sort(key=lambda e: e["created"])
    delivered(stripe_api, 1800)
    delivered(stripe_api, 120, pending=1)        # too young to count
    delivered(stripe_api, 5 * 86400, pending=1)  # outside the window
    r = doctor(qt, db, stripe_api)
    assert r.rc == 3
    pending = r.json["pending_events"]
    assert (pending["checked"], pending["pending"]) == (3, 2) and pending["oldest"]["id"] == oldest["id"]
    problem = [f for f in r.json["findings"] if f["check"] == "pending_events"][0]
    assert problem["level"] == "problem" and "2 of 3 events" in problem["message"]
    assert "the app's webhook is failing" in problem["message"] and oldest["id"] in problem["message"]
    # a longer grace period: the two are within it
    assert doctor(qt, db, stripe_api, "--pending-after", "3h").rc == 0
    assert doctor(qt, db, stripe_api, "--pending-after", "soon").rc == 2


@BOTH
def test_the_key_against_the_binding(qt, db, stripe_api):
    endpoint(stripe_api)
    unbound = doctor(qt, db, stripe_api)
    assert unbound.rc == 0 and ("account", "warning") in levels(unbound.json)
    assert "not bound to an account yet" in unbound.json["findings"][1]["message"]
    bind(db, "acct_1OtherBusiness00")
    other = doctor(qt, db, stripe_api)
    assert other.rc == 3 and ("account", "problem") in levels(other.json)
    assert "the database belongs to account acct_1OtherBusiness00" in other.json["findings"][1]["message"]
    execute(db, "UPDATE quicktools_state SET value = ? WHERE name = 'stripe.account'",
            (json.dumps({"account_id": stripe_api.account_id, "livemode": True}),))
    live = doctor(qt, db, stripe_api)
    assert live.rc == 3 and "use the live key" in live.json["findings"][1]["message"]
    restricted = qt("stripe", "doctor", db=db, json=True, env=stripe_api.env("rk_test_standin0123456789"))
    assert restricted.json["account"]["key_type"] == "restricted"
    assert restricted.json["findings"][0]["message"] == "a restricted key in test mode"


def test_no_database_is_a_warning(qt, tmp_path, stripe_api):
    endpoint(stripe_api)
    r = qt("stripe", "doctor", db=tmp_path / "none.db", json=True, env=stripe_api.env())
    assert r.rc == 0 and "no database" in r.json["findings"][1]["message"]
    assert not (tmp_path / "none.db").exists()


def test_a_key_stripe_refuses_stops_the_checks(qt, db, stripe_api):
    stripe_api.script(Answer.error(401, "invalid_request_error", "Invalid API Key provided: sk_test_****6789"),
                      path="/v1/account")
    r = doctor(qt, db, stripe_api)
    assert r.rc == 3 and levels(r.json) == [("key", "ok"), ("account", "problem")]
    assert "Stripe does not accept the key" in r.json["findings"][1]["message"]
    assert [c.path for c in stripe_api.requests] == ["/v1/account"]


def test_an_error_of_one_check_is_that_checks_problem(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    endpoint(stripe_api)
    stripe_api.script(Answer.error(403, "permission_error", "The provided key does not have the required "
                                   "permissions for this endpoint."), path="/v1/webhook_endpoints")
    r = doctor(qt, db, stripe_api)
    assert r.rc == 3 and levels(r.json) == [("key", "ok"), ("account", "ok"), ("webhook_endpoint", "problem"),
                                            ("pending_events", "ok")]
    assert "read access to Webhook Endpoints" in r.json["findings"][2]["message"]


def test_retries_a_failing_page_and_fails_when_stripe_cannot_be_reached(qt, db, stripe_api):
    bind(db, stripe_api.account_id)
    endpoint(stripe_api)
    stripe_api.script(Answer.error(500, "api_error"), Answer.dropped(), path="/v1/webhook_endpoints")
    r = doctor(qt, db, stripe_api)
    assert r.rc == 0, r.err
    assert "retrying" in r.err and len(stripe_api.calls("GET", "/v1/webhook_endpoints")) == 3
    stripe_api.script(Answer.dropped(), path="/v1/events")
    down = doctor(qt, db, stripe_api, "--max-retries", "0", json=False)
    assert down.rc == 1 and down.out == ""
    assert "could not reach Stripe" in down.err and "GET /v1/events" in down.err


def test_a_postgresql_uri_is_opened_not_looked_for_as_a_file(qt, make_db, stripe_api):
    from conftest import query
    endpoint(stripe_api)
    url = make_db("postgres", users=3, state="credit-packs")
    assert qt("db", "upgrade", db=url).rc == 0
    query(url, "INSERT INTO quicktools_state (name, value, updated_at) VALUES ('stripe.account', ?, 'x')",
          (json.dumps({"account_id": "acct_1OtherBusiness00", "livemode": False}),))
    r = doctor(qt, url, stripe_api)
    assert r.rc == 3 and ("account", "problem") in levels(r.json)
    assert "the database belongs to account acct_1OtherBusiness00" in r.json["findings"][1]["message"]
