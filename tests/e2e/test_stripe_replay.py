"""stripe replay: purchases, formats, validation, duplicates, async payments, retries."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, dump, execute, query, start_qt

from stripe_events import (CREDITS, add_users, completed, event, invariant_holds, invariant_terms, new_database,
                           purchases_file, replay, session, use, user, write)


@pytest.fixture
def db(engine, new_db):
    return new_db(engine, 1, 2, 3)


def test_the_design_documents_journey(qt, db):
    assert user(db, 1)[0] == 10
    use(db, 1, 8)
    buys = [completed(1, "starter", created=1767225600), completed(1, "pro", created=1767312000),
            completed(1, "standard", created=1767398400)]
    assert user(db, 1)[0] == 2
    r = replay(qt, db, buys[0])
    assert r.rc == 0 and r.json["counts"]["credited"] == 1
    assert user(db, 1)[:4] == (102, 100, 8, 0)
    use(db, 1, 50)
    assert replay(qt, db, buys[1]).rc == 0
    assert user(db, 1)[:4] == (1252, 1300, 58, 1)
    use(db, 1, 500)
    assert user(db, 1)[0] == 752 and user(db, 1)[3] == 1
    assert replay(qt, db, buys[2]).rc == 0
    assert user(db, 1) == (1252, 1800, 558, 1, 500)
    assert query(db, "SELECT last_purchase_date FROM users WHERE id = 1") == [("2026-01-03 00:00:00.000000",)]
    assert query(db, "SELECT kind, balance_delta, purchased_delta, source FROM quicktools_ledger ORDER BY id") == [
        ("purchase", c, c, f"stripe:{e['id']}") for c, e in zip((100, 1200, 500), buys)]
    assert invariant_holds(db)
    before = dump(db)
    r = replay(qt, db, *buys)
    assert r.rc == 0 and r.json["counts"]["duplicate"] == 3 and r.json["counts"]["credited"] == 0
    assert dump(db) == before


@pytest.mark.parametrize("fmt", ["list", "array", "ndjson", "single"])
def test_every_input_format(qt, db, fmt):
    events = [completed(1, "starter")] if fmt == "single" else [completed(1, "starter"), completed(2, "pro"),
                                                                   event("customer.created", {"id": "cus_1", "object": "customer"})]
    r = replay(qt, db, *events, fmt=fmt)
    assert r.rc == 0, r.err
    assert r.json["events"] == len(events)
    assert r.json["counts"]["credited"] == min(2, len(events))
    assert user(db, 1)[0] == 110


def test_stdin_and_several_files(qt, db, tmp_path):
    a = write(tmp_path / "a.ndjson", [completed(1, "starter")], "ndjson")
    body = json.dumps([completed(2, "standard")])
    r = qt("stripe", "replay", a, "-", db=db, json=True, input=body)
    assert r.rc == 0, r.err
    assert r.json["counts"]["credited"] == 2 and r.json["inputs"] == [str(a), "-"]
    assert user(db, 2)[0] == 510


@pytest.mark.parametrize("cut", [0.5, 0.999])
def test_truncated_file_applies_nothing_and_names_the_offset(qt, db, tmp_path, cut):
    path = write(tmp_path / "ev.json", [completed(1, "starter"), completed(2, "pro"), completed(3, "business")])
    text = path.read_text()
    path.write_text(text[:int(len(text) * cut)])
    before = dump(db)
    r = qt("stripe", "replay", path, db=db)
    assert r.rc == 2
    assert str(path) in r.err and "byte" in r.err and "truncated" in r.err and "nothing from" in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert dump(db) == before
    r = qt("stripe", "replay", path, db=db, json=True)
    assert r.rc == 2 and r.json["ok"] is False and "byte" in r.json["error"]


def test_malformed_ndjson_line_is_named(qt, db, tmp_path):
    lines = [json.dumps(completed(1, "starter")), json.dumps(completed(2, "starter")), '{"id": "evt_x", "type": tru}']
    path = tmp_path / "ev.ndjson"
    path.write_text("\n".join(lines) + "\n")
    before = dump(db)
    r = qt("stripe", "replay", path, db=db)
    assert r.rc == 2 and "line 3" in r.err and "malformed JSON" in r.err
    assert dump(db) == before


def test_an_earlier_file_stays_applied_when_a_later_one_is_malformed(qt, db, tmp_path):
    good = write(tmp_path / "good.json", [completed(1, "starter")])
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "evt_1", "type": "x", "data": {"object": {}}},')
    r = qt("stripe", "replay", good, bad, db=db)
    assert r.rc == 2 and "bad.json" in r.err
    assert user(db, 1)[0] == 110


@pytest.mark.parametrize("make,reason", [
    (lambda: completed(99, "pro"), "unknown user 99"),
    (lambda: completed(1, "gold"), "unknown pack gold"),
    (lambda: completed(1, "pro", amount=2900), "does not match the pro pack"),
    (lambda: completed(1, "pro", currency="eur"), "does not match the pro pack"),
    (lambda: completed(1, "pro", mode="subscription"), "mode is subscription"),
    (lambda: completed(1, "pro", livemode=True), "live-mode event"),
    (lambda: completed(1, "pro", client_ref="2"), "disagree"),
    (lambda: completed(1, "pro", metadata={"pack": "pro"}, client_ref=None), "no buyer"),
    (lambda: completed(1, "pro", metadata={"user_id": "1"}), "no pack"),
])
def test_validation_failures_are_kept_and_reported(qt, db, make, reason):
    e = make()
    before = query(db, "SELECT * FROM users")
    r = replay(qt, db, e)
    assert r.rc == 3
    doc = r.json
    assert doc["ok"] is False and doc["counts"]["needs_attention"] == 1
    assert doc["attention"][0]["id"] == e["id"] and reason in doc["attention"][0]["reason"]
    assert query(db, "SELECT * FROM users") == before
    stored = query(db, "SELECT outcome, detail, payload FROM quicktools_stripe_events")
    assert stored[0][0] == "needs_attention" and reason in stored[0][1] and json.loads(stored[0][2])["id"] == e["id"]
    assert reason in qt("stripe", "replay", write(db.parent / "again.json", [e]), db=db).out


def test_live_events_need_live(qt, db):
    assert replay(qt, db, completed(1, "pro", livemode=True), args=["--live"]).rc == 0
    assert user(db, 1)[0] == 1210
    r = replay(qt, db, completed(2, "pro"), args=["--live"])
    assert r.rc == 3 and "test-mode event" in r.json["attention"][0]["reason"]


def test_buyer_by_client_reference_or_email_and_pack_by_tier(qt, db):
    r = replay(qt, db, completed(1, "starter", metadata={"pack": "starter"}),
               completed(2, "x", metadata={"tier": "standard"}, client_ref=None, email="USER2@example.com",
                         amount=1500))
    assert r.rc == 0, r.out
    assert user(db, 1)[0] == 110 and user(db, 2)[0] == 510


def test_duplicates_by_event_and_by_session(qt, db):
    a = completed(1, "pro", session_id="cs_test_same")
    b = completed(1, "pro", session_id="cs_test_same")
    r = replay(qt, db, a, a, b)
    assert r.json["counts"] == dict(r.json["counts"], credited=1, duplicate=2)
    assert user(db, 1)[0] == 1210
    assert query(db, "SELECT count(*) FROM quicktools_checkout_sessions") == [(1,)]


def test_async_payment_in_either_order_credits_once(qt, db):
    s1 = session(1, "pro", paid=False)
    paid1 = dict(s1, payment_status="paid")
    r = replay(qt, db, event("checkout.session.completed", s1),
               event("checkout.session.async_payment_succeeded", paid1))
    assert [r.json["counts"][k] for k in ("pending", "credited")] == [1, 1]
    s2 = session(2, "standard", paid=False)
    later_completed = event("checkout.session.completed", s2)
    r = replay(qt, db, event("checkout.session.async_payment_succeeded", dict(s2, payment_status="paid")),
               later_completed, completed(2, "standard", session_id=s2["id"]))
    assert [r.json["counts"][k] for k in ("credited", "duplicate", "pending")] == [1, 2, 0]
    assert user(db, 1)[0] == 1210 and user(db, 2)[0] == 510


def test_async_payment_failed_is_reported(qt, db):
    s = session(1, "pro", paid=False)
    r = replay(qt, db, event("checkout.session.completed", s), event("checkout.session.async_payment_failed", s))
    assert r.rc == 3 and r.json["counts"]["payment_failed"] == 1 and r.json["counts"]["pending"] == 1
    assert "failed" in r.json["attention"][0]["reason"] and user(db, 1)[0] == 10


def test_other_types_are_ignored(qt, db):
    r = replay(qt, db, event("customer.created", {"id": "cus_1", "object": "customer"}), event("plan.created", {}))
    assert r.rc == 0 and r.json["counts"]["ignored"] == 2


def test_a_session_the_web_app_credited_is_not_credited_again(qt, db):
    e = completed(1, "pro")
    sid = e["data"]["object"]["id"]
    # What the web app's webhook did: its own credit, and the session it recorded.
    execute(db, "UPDATE users SET credits_balance = credits_balance + 1200, credits_purchased_total = "
                "credits_purchased_total + 1200, api_access_unlocked = TRUE WHERE id = 1")
    execute(db, "INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, "
                "payment_intent, credited_by, credited_at) VALUES (?, 1, 'pro', 1200, 3000, ?, 'webapp', "
                "'2026-01-01 00:00:00.000000')", (sid, e["data"]["object"]["payment_intent"]))
    r = replay(qt, db, e)
    assert r.rc == 0 and r.json["counts"]["duplicate"] == 1
    assert user(db, 1)[0] == 1210 and invariant_holds(db)


def test_needs_attention_is_retried_once_the_user_exists(qt, db, tmp_path):
    e, f = completed(50, "pro"), completed(51, "starter")
    path = write(tmp_path / "ev.json", [e, f])
    assert qt("stripe", "replay", path, db=db).rc == 3
    add_users(db, 50, 51)
    r = qt("stripe", "replay", path, db=db, json=True)        # the same file again
    assert r.rc == 0 and r.json["counts"]["credited"] == 2 and r.json["retried"] == 2
    assert user(db, 50)[0] == 1210
    assert query(db, "SELECT outcome, payload FROM quicktools_stripe_events WHERE event_id = ?", (e["id"],)) == [
        ("credited", None)]
    r = qt("stripe", "replay", path, db=db, json=True)
    assert r.json["counts"]["duplicate"] == 2 and user(db, 50)[0] == 1210


def test_retry_uses_the_stored_payloads(qt, db):
    e = completed(60, "business")
    assert replay(qt, db, e).rc == 3
    assert qt("stripe", "replay", "--retry", db=db).rc == 3
    add_users(db, 60)
    r = qt("stripe", "replay", "--retry", db=db, json=True)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1 and user(db, 60)[0] == 5010
    assert qt("stripe", "replay", "--retry", db=db, json=True).json["events"] == 0


def test_generated_stream_agrees_with_the_peer(qt, make_db, tmp_path):
    """tests/tools/make_events.py's mix (repeats, unknown users, async payments) against the
    benchmark's peer, the web app's webhook handler (bench/peers/replay_handler.py)."""
    ours = make_db(users=300, state="final")
    assert qt("db", "upgrade", db=ours).rc == 0
    peer = tmp_path / "peer.db"
    peer.write_bytes(ours.read_bytes())
    events = tmp_path / "events.json"
    subprocess.run([sys.executable, str(ROOT / "tests" / "tools" / "make_events.py"), str(events), "--events", "3000",
                    "--users", "300"], check=True)
    terms = invariant_terms(ours)
    r = qt("stripe", "replay", events, db=ours, json=True)
    assert r.rc == 3      # some events name users that do not exist
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "peers" / "replay_handler.py"), str(peer), str(events)],
                         check=True, capture_output=True, text=True).stdout
    seen = {k: int(v) for k, v in (kv.split("=") for kv in out.split())}
    counts = r.json["counts"]
    assert seen["events"] == r.json["events"] == 3000
    assert counts["credited"] == seen["credited"] > 2500 and counts["duplicate"] == seen["duplicate"] > 50
    assert counts["ignored"] == seen["ignored"] > 0
    # the peer skips the sessions of unknown users; we keep them for attention
    assert counts["pending"] + counts["needs_attention"] == seen["pending"] + seen["skipped"]
    assert counts["needs_attention"] > 0 and seen["failed"] == 0
    cols = "id, credits_balance, credits_purchased_total, api_access_unlocked, last_purchase_amount, last_purchase_date"
    assert query(ours, f"SELECT {cols} FROM users ORDER BY id") == query(peer, f"SELECT {cols} FROM users ORDER BY id")
    assert invariant_terms(ours) == terms


def test_retry_pages_through_many_stored_events(qt, db):
    events = [completed(1000 + i, "starter") for i in range(1100)]
    assert replay(qt, db, *events).json["attention_total"] == 1100
    add_users(db, *range(1000, 1000 + 1100, 2))              # half of the buyers now exist
    r = qt("stripe", "replay", "--retry", db=db, json=True)
    assert r.rc == 3
    assert r.json["events"] == 1100 and r.json["counts"]["credited"] == 550
    assert r.json["attention_total"] == 550 and r.json["retried"] == 1100
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events WHERE outcome = 'needs_attention'") == [(550,)]


def test_two_replays_of_the_same_file_at_once_apply_each_event_once(qt, engine, new_db, tmp_path):
    """The second run waits for the first to commit (--busy-timeout), then finds every event
    recorded: on PostgreSQL too, where both would otherwise credit the same events at once."""
    users, count = 40, 6000
    db = new_db(engine, *range(1, users + 1))
    events = purchases_file(tmp_path / "purchases.ndjson", users, count)
    runs = [start_qt("--json", "--busy-timeout", "120000", "stripe", "replay", events, db=db) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [err for _, err in outs]
    docs = [json.loads(out) for out, _ in outs]
    assert sorted(d["counts"]["credited"] for d in docs) == [0, count]
    assert sorted(d["counts"]["duplicate"] for d in docs) == [0, count]
    assert query(db, "SELECT count(*), count(DISTINCT event_id) FROM quicktools_stripe_events") == [(count, count)]
    assert query(db, "SELECT count(*) FROM quicktools_ledger") == [(count,)]
    credits = sum(CREDITS[json.loads(line)["data"]["object"]["metadata"]["pack"]] for line in open(events))
    assert query(db, "SELECT sum(credits_balance) FROM users") == [(10 * users + credits,)]
    assert qt("credits", "audit", db=db).rc == 0 and invariant_holds(db)



def refuse_event(db, engine, event_id):
    """A trigger that refuses to record one event id (as a constraint or a full disk would)."""
    if engine == "postgres":
        execute(db, "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.event_id = '{event_id}' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; "
                    "RETURN NEW; END $$")
        execute(db, "CREATE TRIGGER refuse_event BEFORE INSERT ON quicktools_stripe_events FOR EACH ROW "
                    "EXECUTE FUNCTION refuse_event()")
    else:
        execute(db, "CREATE TRIGGER refuse_event BEFORE INSERT ON quicktools_stripe_events "
                    f"WHEN NEW.event_id = '{event_id}' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")


def test_a_write_that_fails_late_fails_the_input_and_changes_nothing(qt, engine, db):
    """On PostgreSQL the replay's writes are queued in a pipeline and their outcomes read later: a
    write refused there (here by a trigger, on the 300th event, after its session and many other
    writes were queued) must still fail the input with one line and leave nothing of it."""
    add_users(db, *range(4, 51))
    refuse_event(db, engine, "evt_refused")
    events = [completed(1 + i % 50, "starter", created=1767225600 + i) for i in range(400)]
    events[299] = dict(events[299], id="evt_refused")
    before = dump(db)
    r = replay(qt, db, *events)
    assert r.rc == 1, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "refused by a trigger" in lines[0] and "nothing from" in lines[0], r.err
    assert dump(db) == before


def test_lookups_stay_index_lookups_as_the_runs_own_tables_grow(qt, new_db, tmp_path):
    """PostgreSQL plans each run of a prepared statement for the tables as they are then: the
    events and sessions tables start empty and grow within the run's own transaction, and a plan
    made while they were small (a sequential scan) would be kept for every later lookup, making a
    replay quadratic. The server's own counters show how the lookups read the tables."""
    db = new_db("postgres", *range(1, 201))
    path = tmp_path / "purchases.ndjson"
    purchases_file(path, 200, 4000)
    assert qt("stripe", "replay", path, db=db, json=True).rc == 0
    rows = dict(((t, (s, i)) for t, s, i in query(
        db, "SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables "
            "WHERE relname IN ('quicktools_stripe_events', 'quicktools_checkout_sessions')")))
    # While a table has a page or two a scan is the better plan; after that, lookups by index.
    for table, (seq_scans, index_scans) in rows.items():
        assert seq_scans * 10 < index_scans, (table, seq_scans, index_scans)


def test_batches_commit_on_their_own_and_the_same_command_applies_the_rest(qt, engine, new_db, tmp_path):
    """--batch 500: a write refused at the 1,300th event leaves the first 1,000 events committed
    and says so; once the cause is gone, the same command applies the rest, each event once, and
    the balances are those of one run without batches."""
    events = [completed(1 + i % 50, "starter", created=1767225600 + i) for i in range(2000)]
    events[1299] = dict(events[1299], id="evt_refused")
    path = write(tmp_path / "events.json", events)
    whole = new_db(engine, *range(1, 51))
    assert qt("stripe", "replay", path, db=whole, json=True).rc == 0
    db = new_db(engine, *range(1, 51))
    refuse_event(db, engine, "evt_refused")
    r = qt("stripe", "replay", "--batch", "500", path, db=db, json=True)
    assert r.rc == 1 and len(r.err.strip().splitlines()) == 1, r.err
    assert "refused by a trigger; the batch in progress was not applied; the first 1000 events of " in r.err
    assert "were applied and committed (--batch 500); running the command again applies the rest" in r.err
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events") == [(1000,)]
    assert query(db, "SELECT count(*) FROM quicktools_ledger") == [(1000,)]
    execute(db, "DROP TRIGGER refuse_event" + (" ON quicktools_stripe_events" if engine == "postgres" else ""))
    r = qt("stripe", "replay", "--batch", "500", path, db=db, json=True)
    assert r.rc == 0 and r.json["counts"]["credited"] == 1000 and r.json["counts"]["duplicate"] == 1000
    balances = "SELECT id, credits_balance, credits_purchased_total FROM users ORDER BY id"
    assert query(db, balances) == query(whole, balances)
    assert invariant_holds(db)
