"""stripe sync against the local Stripe stand-in: paging, the cursor, --since, --dry-run, errors;
on SQLite and PostgreSQL (the tests of Stripe's side only, on SQLite)."""
import time

import pytest

from conftest import execute, query
from stripe_events import charge, completed, dispute, event, invariant_holds, tables, user
from stripe_standin import Answer

EVENTS = "/v1/events"
CURSOR = "SELECT value FROM quicktools_state WHERE name = 'stripe.sync.cursor'"


SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"])


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1, 2, 3)


def sync(qt, db, api, *args, json=True):
    r = qt("stripe", "sync", *args, db=db, json=json, env=api.env())
    assert "sk_test_standin" not in r.out + r.err
    return r


def buy(api, uid, pack, ago):
    """A paid checkout on the stand-in, `ago` seconds back."""
    e = completed(uid, pack, created=int(time.time()) - ago)
    api.events.append(e)
    return e


def cursor(db):
    import json
    rows = query(db, CURSOR)
    return json.loads(rows[0][0]) if rows else None


def error_lines(r):
    return [line for line in r.err.splitlines() if line.strip()]


def test_pages_through_everything_then_a_second_run_applies_nothing(qt, db, stripe_api):
    for i in range(230):
        buy(stripe_api, 1 + i % 3, "starter", 7200 - i)
    first = sync(qt, db, stripe_api)
    assert first.rc == 0, first.err
    doc = first.json
    assert doc["events"] == 230 and doc["counts"]["credited"] == 230 and doc["pages"] == 3
    assert doc["start"] == "default" and doc["cursor_before"] is None
    assert doc["cursor_after"]["event_id"] == stripe_api.events[-1]["id"]
    assert cursor(db) == doc["cursor_after"]
    assert [user(db, u)[0] for u in (1, 2, 3)] == [10 + 77 * 100, 10 + 77 * 100, 10 + 76 * 100]
    gets = stripe_api.calls("GET", EVENTS)
    assert len(gets) == 3 and gets[0].form["limit"] == "100" and "created[gte]" in gets[0].form
    assert {v for k, v in gets[0].pairs if k.startswith("types[")} >= {
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed", "charge.refunded", "charge.dispute.created", "refund.created",
        "refund.updated", "refund.failed", "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
        "charge.dispute.closed", "radar.early_fraud_warning.created"}

    # The next run lists again from an hour before the newest event applied: all 230 are
    # within that hour and come back as duplicates.
    second = sync(qt, db, stripe_api)
    assert second.rc == 0 and second.json["start"] == "cursor"
    assert second.json["events"] == 230 and second.json["counts"]["duplicate"] == 230
    assert second.json["cursor_after"] == doc["cursor_after"]
    last = stripe_api.calls("GET", EVENTS)[-1].form
    assert int(last["created[gte]"]) == doc["cursor_after"]["created"] - 3600 and "ending_before" not in last
    assert [user(db, u)[0] for u in (1, 2, 3)] == [7710, 7710, 7610]
    assert query(db, "SELECT count(*) FROM quicktools_ledger") == [(230,)]
    assert invariant_holds(db)


def test_events_added_between_runs_are_picked_up_once(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 600)
    assert sync(qt, db, stripe_api).json["counts"]["credited"] == 1
    for i in range(120):
        buy(stripe_api, 2, "starter", 300 - i)
    r = sync(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["credited"] == 120 and r.json["counts"]["duplicate"] == 1
    assert cursor(db)["event_id"] == stripe_api.events[-1]["id"]
    again = sync(qt, db, stripe_api)
    assert again.json["counts"]["credited"] == 0 and again.json["counts"]["duplicate"] == 121
    assert user(db, 1)[0] == 110 and user(db, 2)[0] == 10 + 120 * 100


def test_an_event_replayed_before_is_not_applied_twice(qt, db, stripe_api, tmp_path):
    e = buy(stripe_api, 1, "pro", 60)
    from stripe_events import replay
    assert replay(qt, db, e).json["counts"]["credited"] == 1
    r = sync(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["duplicate"] == 1 and r.json["counts"]["credited"] == 0
    assert user(db, 1)[0] == 1210


def test_since_lists_from_a_date_and_ignores_the_cursor(qt, db, stripe_api):
    old = buy(stripe_api, 1, "starter", 10 * 86400)
    buy(stripe_api, 2, "starter", 3600)
    r = sync(qt, db, stripe_api, "--since", "1d")
    assert r.rc == 0 and r.json["events"] == 1 and r.json["start"] == "since"
    since = int(stripe_api.calls("GET", EVENTS)[-1].form["created[gte]"])
    assert abs(since - (time.time() - 86400)) < 60
    assert user(db, 1)[0] == 10 and user(db, 2)[0] == 110
    wider = sync(qt, db, stripe_api, "--since", "2w")
    assert wider.json["events"] == 2 and wider.json["counts"]["credited"] == 1 and wider.json["counts"]["duplicate"] == 1
    assert user(db, 1)[0] == 110 and cursor(db)["event_id"] != old["id"]


def test_since_past_30_days_warns_on_stderr_and_still_syncs(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 3600)
    r = sync(qt, db, stripe_api, "--since", "45d")
    assert r.rc == 0, r.err
    assert "30 days" in r.err and "warning" in r.err
    assert r.json["counts"]["credited"] == 1 and any("30 days" in w for w in r.json["warnings"])
    quiet = sync(qt, db, stripe_api, "--since", "7d")
    assert "30 days" not in quiet.err and quiet.json["warnings"] == []


@SQLITE_ONLY
@pytest.mark.parametrize("value", ["0", "yesterday", "5y", "-3d", "400d"])
def test_bad_since_is_a_usage_error(qt, db, stripe_api, value):
    r = sync(qt, db, stripe_api, f"--since={value}")
    assert r.rc == 2 and "duration" in r.err
    assert stripe_api.calls() == []


def test_dry_run_fetches_reports_and_changes_nothing(qt, db, stripe_api):
    buy(stripe_api, 1, "pro", 60)
    r = sync(qt, db, stripe_api, "--dry-run")
    assert r.rc == 0 and r.json["dry_run"] is True and r.json["counts"]["credited"] == 1
    assert user(db, 1)[0] == 10 and cursor(db) is None
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(0,)]
    text = sync(qt, db, stripe_api, "--dry-run", json=False)
    assert "Would replay 1 events" in text.out and "Dry run: nothing was changed." in text.out
    assert sync(qt, db, stripe_api).json["counts"]["credited"] == 1 and user(db, 1)[0] == 1210


@SQLITE_ONLY
def test_500_and_429_are_retried(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 60)
    stripe_api.script(Answer.error(500, "api_error"),
                      Answer.error(429, "rate_limit_error", headers={"Retry-After": "1"}), method="GET", path=EVENTS)
    r = sync(qt, db, stripe_api)
    assert r.rc == 0, r.err
    assert [c.answer for c in stripe_api.calls("GET", EVENTS)] == [500, 429, 200]
    assert "retrying" in r.err and r.json["counts"]["credited"] == 1 and user(db, 1)[0] == 110


def test_dropped_connection_applies_nothing_and_keeps_the_cursor(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 900)
    first = sync(qt, db, stripe_api).json["cursor_after"]
    for i in range(150):
        buy(stripe_api, 2, "starter", 600 - i)
    # The first page comes; the second is dropped on every attempt.
    stripe_api.script(Answer.slow(0), Answer.dropped(), Answer.dropped(), method="GET", path=EVENTS)
    r = sync(qt, db, stripe_api, "--max-retries", "1", json=False)
    assert r.rc == 1 and r.out == ""
    [line] = [x for x in error_lines(r) if x.startswith("quicktools:")]
    assert "Stripe" in line
    assert cursor(db) == first and user(db, 2)[0] == 10
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(1,)]
    assert sync(qt, db, stripe_api).json["counts"]["credited"] == 150 and user(db, 2)[0] == 15010


@SQLITE_ONLY
def test_stripe_error_answer_is_one_line_and_changes_nothing(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 60)
    stripe_api.script(Answer.error(401, "invalid_request_error", "Invalid API Key provided."), method="GET")
    r = sync(qt, db, stripe_api, json=False)
    assert r.rc == 1 and r.out == "" and len(error_lines(r)) == 1 and "Invalid API Key" in r.err
    assert cursor(db) is None and user(db, 1)[0] == 10
    stripe_api.script(Answer.error(401, "invalid_request_error", "Invalid API Key provided."), method="GET")
    doc = sync(qt, db, stripe_api).json
    assert doc["ok"] is False and doc["exit_code"] == 1 and "Invalid API Key" in doc["error"]


def test_events_needing_attention_exit_3_and_the_cursor_moves_on(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 120)
    bad = buy(stripe_api, 99, "starter", 60)
    r = sync(qt, db, stripe_api)
    assert r.rc == 3 and r.json["ok"] is False and r.json["attention"][0]["id"] == bad["id"]
    assert cursor(db)["event_id"] == bad["id"]
    assert query(db, "SELECT outcome FROM quicktools_stripe_events WHERE event_id = ?", (bad["id"],)) == [
        ("needs_attention",)]
    # Listed again within the overlap, it still needs attention; once the user exists it applies.
    again = sync(qt, db, stripe_api)
    assert again.rc == 3 and again.json["retried"] == 1 and again.json["counts"]["duplicate"] == 1
    from stripe_events import add_users
    add_users(db, 99)
    fixed = sync(qt, db, stripe_api)
    assert fixed.rc == 0 and fixed.json["counts"]["credited"] == 1 and user(db, 99)[0] == 110


def test_an_event_that_appears_behind_the_cursor_is_picked_up(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 60)
    assert sync(qt, db, stripe_api).json["counts"]["credited"] == 1
    late = completed(2, "pro", created=int(time.time()) - 300)   # older than the cursor, listed only now
    stripe_api.events.insert(0, late)
    r = sync(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1 and user(db, 2)[0] == 1210


def test_a_cursor_older_than_30_days_falls_back_to_the_window_by_itself(qt, db, stripe_api):
    import json
    old = int(time.time()) - 40 * 86400
    execute(db, "INSERT INTO quicktools_state (name, value, updated_at) VALUES ('stripe.sync.cursor', ?, 'x')",
            (json.dumps({"event_id": "evt_quiet_month", "created": old}),))
    buy(stripe_api, 1, "starter", 3600)
    r = sync(qt, db, stripe_api)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1, r.err
    assert "warning" in r.err and "30 days" in r.err
    since = int(stripe_api.calls("GET", EVENTS)[-1].form["created[gte]"])
    assert abs(since - (time.time() - 30 * 86400 + 300)) < 60
    assert cursor(db)["event_id"] != "evt_quiet_month"


@SQLITE_ONLY
def test_a_server_that_repeats_a_page_forever_is_stopped(qt, db, stripe_api):
    page = {"object": "list", "url": EVENTS, "has_more": True, "data": [completed(1, "starter")]}
    stripe_api.script(*[Answer(body=page) for _ in range(50)], method="GET", path=EVENTS)
    r = sync(qt, db, stripe_api, json=False)
    assert r.rc == 1 and "not to loop" in r.err and len(error_lines(r)) == 1
    assert len(stripe_api.calls("GET", EVENTS)) == 2
    assert user(db, 1)[0] == 10 and cursor(db) is None


@SQLITE_ONLY
def test_more_pages_than_allowed_applies_nothing(qt, db, stripe_api):
    for i in range(150):
        buy(stripe_api, 1, "starter", 600 - i)
    r = sync(qt, db, stripe_api, "--max-pages", "1", json=False)
    assert r.rc == 1 and "--max-pages" in r.err and user(db, 1)[0] == 10


@SQLITE_ONLY
def test_needs_a_key_and_refuses_a_live_key_without_live(qt, db, stripe_api):
    r = qt("stripe", "sync", db=db, env={"STRIPE_API_BASE": stripe_api.base_url})
    assert r.rc == 2 and "STRIPE_API_KEY" in r.err
    live = qt("stripe", "sync", db=db, env=stripe_api.env("sk_live_abcdef0123456789"))
    assert live.rc == 4 and "--live" in live.err and "sk_live_abcdef" not in live.err
    assert stripe_api.calls() == []


def test_text_report(qt, db, stripe_api):
    buy(stripe_api, 1, "starter", 60)
    r = sync(qt, db, stripe_api, json=False)
    assert r.rc == 0 and "Listed 1 events since" in r.out and "1 credited" in r.out and "Cursor: evt_" in r.out
    again = sync(qt, db, stripe_api, json=False)
    assert "the last sync's newest event evt_" in again.out and "(unchanged)" in again.out


def test_the_same_sync_gives_the_same_results_on_both_engines(qt, new_db, stripe_api):
    from test_postgres import normalised
    now = int(time.time())
    bought = [buy(stripe_api, 1 + i % 3, pack, 3000 - 10 * i)
              for i, pack in enumerate(["starter", "pro", "business", "standard", "pro", "starter"])]
    buy(stripe_api, 99, "pro", 2000)                                  # an unknown user: needs attention
    refunded, disputed = (e["data"]["object"]["payment_intent"] for e in bought[1:3])
    stripe_api.events.append(event("charge.refunded", charge(refunded, 3000, 1500), created=now - 1500))
    d = dispute(f"ch_{disputed}", disputed, 10000, status="needs_response")
    d["balance_transactions"] = [{"id": "txn_1", "object": "balance_transaction"}]
    stripe_api.events.append(event("charge.dispute.funds_withdrawn", d, created=now - 1000))
    runs, rows = {}, {}
    for engine in ("sqlite", "postgres"):
        db = new_db(engine, 1, 2, 3)
        # All but the start of the window listed (the time of the run less 30 days).
        runs[engine] = [(r.rc, normalised({k: v for k, v in r.json.items() if k != "since"}))
                        for r in (sync(qt, db, stripe_api, "--dry-run"), sync(qt, db, stripe_api),
                                  sync(qt, db, stripe_api))]
        rows[engine] = tables(db)
    assert runs["postgres"] == runs["sqlite"]
    assert rows["postgres"] == rows["sqlite"]
    # Something happened: purchases credited, one partly refunded, one disputed, one left.
    first = runs["postgres"][1][1]
    assert runs["postgres"][1][0] == 3 and first["counts"]["credited"] == 6, first
    assert first["counts"]["duplicate"] == 0 and runs["postgres"][2][1]["counts"]["duplicate"] == 8
    assert len(rows["postgres"]["quicktools_ledger"]) >= 8 and len(rows["postgres"]["quicktools_disputes"]) == 1

