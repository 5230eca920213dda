"""stripe replay: events of a newer or unknown shape never stop the others."""
import json

from conftest import query
from stripe_events import completed, new_database, write, user

import pytest


@pytest.fixture
def db(tmp_path):
    return new_database(tmp_path / "quicktools.db", 1, 2)


def thin_event():
    return {"id": "evt_test_65R4thin", "object": "v2.core.event", "type": "v1.checkout.session.completed",
            "created": "2026-01-01T00:00:00.000Z", "livemode": False,
            "related_object": {"id": "cs_test_thin", "type": "checkout.session", "url": "/v1/checkout/sessions/cs"},
            "reason": None}


def eventbridge(ev):
    return {"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": ev["type"],
            "source": "aws.partner/stripe.com/ed_test_61", "account": "123456789012", "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1", "resources": [], "detail": ev}


def test_a_thin_event_is_kept_for_a_person_and_the_purchases_around_it_are_applied(qt, db, tmp_path):
    r = qt("stripe", "replay", write(tmp_path / "e.json", [completed(1, "starter"), thin_event(),
                                                          completed(2, "pro")]), db=db, json=True)
    assert r.rc == 3 and r.json["counts"]["credited"] == 2 and r.json["counts"]["needs_attention"] == 1
    assert "thin event" in r.json["attention"][0]["reason"] and r.json["attention"][0]["id"] == "evt_test_65R4thin"
    assert user(db, 1)[0] == 110 and user(db, 2)[0] == 1210
    assert query(db, "SELECT outcome FROM quicktools_stripe_events WHERE event_id = 'evt_test_65R4thin'") == \
        [("needs_attention",)]


def test_an_eventbridge_envelope_is_unwrapped(qt, db, tmp_path):
    inner = completed(1, "pro")
    r = qt("stripe", "replay", write(tmp_path / "e.json", [eventbridge(inner)], fmt="ndjson"), db=db, json=True)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1, r.out
    assert query(db, "SELECT event_id FROM quicktools_stripe_events") == [(inner["id"],)]
    again = qt("stripe", "replay", write(tmp_path / "f.json", [inner]), db=db, json=True)
    assert again.json["counts"]["duplicate"] == 1 and user(db, 1)[0] == 1210


def test_json_without_an_id_gets_a_stable_one_and_is_reported_once(qt, db, tmp_path):
    odd = {"object": "event", "type": "checkout.session.completed", "created": 1767225600}
    path = write(tmp_path / "e.json", [odd, completed(2, "starter")])
    first = qt("stripe", "replay", path, db=db, json=True)
    assert first.rc == 3 and first.json["attention"][0]["id"].startswith("unidentified_")
    second = qt("stripe", "replay", path, db=db, json=True)
    assert second.json["attention"][0]["id"] == first.json["attention"][0]["id"]
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(2,)]


def test_one_page_of_a_longer_list_is_applied_with_a_warning(qt, db, tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"object": "list", "url": "/v1/events", "data": [completed(1, "starter")],
                                "has_more": True}))
    r = qt("stripe", "replay", path, db=db, json=True)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1
    assert len(r.json["warnings"]) == 1 and "has_more" in r.json["warnings"][0]
    text = qt("stripe", "replay", path, db=db)
    assert "Warning:" in text.out and "one page of a longer list" in text.out
    last = tmp_path / "last.json"
    last.write_text(json.dumps({"object": "list", "url": "/v1/events", "data": [], "has_more": False}))
    assert qt("stripe", "replay", last, db=db, json=True).json["warnings"] == []


def test_malformed_json_still_stops_the_file(qt, db, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(completed(1, "starter")) + "\n{\"id\": \n")
    r = qt("stripe", "replay", path, db=db)
    assert r.rc == 2 and user(db, 1)[0] == 10


def test_a_thin_event_is_fetched_by_id_when_a_key_is_given(qt, db, tmp_path, stripe_api):
    full = completed(2, "pro")
    full["id"] = "evt_test_65R4thin"
    stripe_api.events.append(full)
    path = write(tmp_path / "e.json", [completed(1, "starter"), thin_event()])
    r = qt("stripe", "replay", path, db=db, json=True, env=stripe_api.env())
    assert r.rc == 0 and r.json["counts"]["credited"] == 2, r.out + r.err
    assert [c.path for c in stripe_api.calls("GET")] == ["/v1/events/evt_test_65R4thin"]
    assert user(db, 2)[0] == 1210


def test_a_thin_event_that_cannot_be_fetched_is_kept_with_why(qt, db, tmp_path, stripe_api):
    path = write(tmp_path / "e.json", [thin_event(), completed(1, "starter")])
    r = qt("stripe", "replay", path, db=db, json=True, env=stripe_api.env())
    assert r.rc == 3 and r.json["counts"]["credited"] == 1
    reason = r.json["attention"][0]["reason"]
    assert "thin event" in reason and "fetching it failed" in reason and "No such event" in reason


def test_a_replay_without_thin_events_never_asks_stripe(qt, db, tmp_path, stripe_api):
    path = write(tmp_path / "e.json", [completed(1, "starter")])
    r = qt("stripe", "replay", path, db=db, json=True, env=stripe_api.env("sk_live_notNeeded0123456789"))
    assert r.rc == 0 and stripe_api.requests == []
