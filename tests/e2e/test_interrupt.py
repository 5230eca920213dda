"""Ctrl-C (SIGINT) and SIGTERM in the middle of a long `stripe replay`: the tool stops within
seconds, exits 130 with one line, and the database is exactly as before. From a file the events
are read and parsed on a second thread, from stdin on the main one: both must stop.

A signal that lands between two SQL statements is one SQLite forgets (the next statement clears
sqlite3_interrupt), so the tool keeps its own flag: a replay waiting on a pipe, a command waiting
on Stripe (the transfer or a retry's wait) and the cancelling of subscriptions all stop on it,
and nothing commits after it."""
import json
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BIN, dump, make_database, query, run_qt, start_qt
from stripe_events import CREDITS, purchases_file
from stripe_standin import Answer

USERS = 2000
EVENTS = 100_000  # several seconds of work: the signal always lands mid-run


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("interrupt")
    db = make_database(d / "migrated.db", users=USERS, state="legacy")
    assert run_qt("migrate", "packs", "--no-backup", db=db).rc == 0
    return db, purchases_file(d / "events.ndjson", USERS, EVENTS)


def wait_for(condition, what, running=None, seconds=30):
    """Waits until `condition()`; the process `running` (if given) must not end meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert running is None or running.poll() is None, f"the tool ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def stopped_by(p, sig=signal.SIGINT, seconds=5, then=lambda: None):
    """Sends `sig` (then calls `then`) and returns stderr's lines once the tool has exited 130
    within `seconds`."""
    sent = time.monotonic()
    p.send_signal(sig)
    then()
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        pytest.fail(f"still running {seconds} s after the signal")
    assert time.monotonic() - sent < seconds
    assert p.returncode == 130
    return p.stderr.read().strip().splitlines()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_signal_mid_replay_rolls_back_and_exits_130(world, tmp_path, sig, source):
    base, events = world
    db = tmp_path / "db.db"
    shutil.copyfile(base, db)
    before = dump(db)
    journal = db.with_name(db.name + "-journal")
    with open(events) as stdin:
        args = [BIN, "--db", str(db), "stripe", "replay", str(events) if source == "file" else "-"]
        p = subprocess.Popen(args, stdin=stdin if source == "stdin" else subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(journal.exists, "the replay started writing", running=p)
        time.sleep(0.1)
        assert p.poll() is None, "the replay ended before the signal"
        lines = stopped_by(p, sig)
    assert lines == ["quicktools: interrupted: the transaction was rolled back, nothing changed"]
    assert not journal.exists()
    assert dump(db) == before


def test_the_same_replay_left_to_finish_credits_every_event_once(world, tmp_path):
    """The uninterrupted run: 100,000 purchases is several batches of sorted purchase writes
    (20,000 each) and many hand-overs from the reading thread; every one lands exactly once."""
    base, events = world
    db = tmp_path / "db.db"
    shutil.copyfile(base, db)
    expected = {}
    with open(events) as f:
        for line in f:
            e = json.loads(line)["data"]["object"]
            uid = int(e["metadata"]["user_id"])
            expected[uid] = expected.get(uid, 0) + CREDITS[e["metadata"]["pack"]]
    before = dict(query(db, "SELECT id, credits_balance FROM users"))
    r = run_qt("stripe", "replay", events, db=db, json_out=True)
    assert r.rc == 0, r.err
    assert r.json["counts"]["credited"] == EVENTS
    after = dict(query(db, "SELECT id, credits_balance FROM users"))
    assert {uid: after[uid] - before[uid] for uid in after if after[uid] != before[uid]} == expected
    assert query(db, "SELECT count(*), count(DISTINCT source) FROM quicktools_ledger") == [(EVENTS, EVENTS)]
    audit = run_qt("credits", "audit", db=db, json_out=True)
    assert audit.rc == 0 and audit.json["violations"] == 0


@pytest.mark.parametrize("then", ["pipe-held-open", "pipe-closed"])
def test_a_signal_while_the_replay_waits_on_its_pipe_stops_it_and_commits_nothing(world, tmp_path, then):
    """The tool has applied what came and waits in read() for more, outside any SQL statement:
    held open, the pipe would keep it waiting forever; closed, it would reach the commit."""
    base, events = world
    db = tmp_path / "db.db"
    shutil.copyfile(base, db)
    before = dump(db)
    journal = db.with_name(db.name + "-journal")
    with open(events) as f:
        first = "".join(next(f) for _ in range(200))
    p = subprocess.Popen([BIN, "--db", str(db), "stripe", "replay", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    p.stdin.write(first)
    p.stdin.flush()
    wait_for(journal.exists, "the replay started writing", running=p)
    time.sleep(0.5)  # the 200 events are applied: the tool is waiting for more
    assert p.poll() is None
    lines = stopped_by(p, then=p.stdin.close if then == "pipe-closed" else lambda: None)
    assert lines == ["quicktools: interrupted: the transaction was rolled back, nothing changed"]
    assert not journal.exists()
    assert dump(db) == before


# --- waiting on Stripe --------------------------------------------------------------------------

URLS = ["--success-url", "https://app.example.com/paid", "--cancel-url", "https://app.example.com/pricing"]
SESSIONS = "/v1/checkout/sessions"


def test_a_signal_while_stripe_answers_slowly_stops_the_request_and_names_the_key(make_db, stripe_api):
    shop = make_db(users=5, state="credit-packs")
    stripe_api.script(Answer.trickle(30.0), method="POST", path=SESSIONS)
    p = start_qt("checkout", "create", "2", "pro", *URLS, "--timeout", "60", db=shop, env=stripe_api.env())
    wait_for(lambda: stripe_api.calls("POST", SESSIONS), "the request reached the stand-in", running=p)
    time.sleep(0.3)  # the headers came; the body is trickling in over 30 s
    [line] = stopped_by(p)
    key = re.fullmatch(r"quicktools: interrupted during Stripe POST /v1/checkout/sessions: Stripe may have acted "
                       r"on it; a repeat with idempotency key (\S+) is safe", line).group(1)
    again = run_qt("checkout", "create", "2", "pro", *URLS, "--idempotency-key", key, db=shop, json_out=True,
                   env=stripe_api.env())
    assert again.rc == 0, again.err
    assert len(stripe_api.sessions) == 1 and stripe_api.calls()[-1].replayed


def test_a_signal_during_a_retry_wait_stops_the_sync_and_applies_nothing(tmp_path, stripe_api):
    from stripe_events import completed, new_database
    db = new_database(tmp_path / "quicktools.db", 1)
    stripe_api.events.append(completed(1, "starter", created=int(time.time()) - 60))
    before = dump(db)
    stripe_api.script(Answer.error(429, "rate_limit_error", headers={"Retry-After": "50"}), method="GET",
                      path="/v1/events")
    p = start_qt("stripe", "sync", db=db, env=stripe_api.env())
    wait_for(lambda: stripe_api.calls("GET", "/v1/events"), "the first page request", running=p)
    time.sleep(0.3)  # answered 429: the tool waits 50 s before asking again
    assert stopped_by(p, signal.SIGTERM) == ["Stripe GET /v1/events answered: HTTP 429; retrying in 50.0 s "
                                             "(attempt 2 of 3)", "quicktools: interrupted during Stripe GET /v1/events"]
    assert len(stripe_api.calls("GET", "/v1/events")) == 1
    assert dump(db) == before


def test_a_signal_while_cancelling_keeps_what_stripe_did_and_a_rerun_finishes(make_db, stripe_api):
    from test_migrate import set_users
    db = make_db(users=3, state="legacy")
    set_users(db, [(1, "pro", "active", 1000, 100, "sub_A"), (2, "basic", "trialing", 200, 0, "sub_B"),
                   (3, "free", "active", 10, 0, None)])
    stripe_api.subscriptions.update({"sub_A": "active", "sub_B": "active"})
    stripe_api.script(Answer.trickle(30.0), method="DELETE", path="/v1/subscriptions/sub_B")
    p = start_qt("migrate", "packs", "--no-backup", "--cancel-subscriptions", "--timeout", "60", db=db,
                 env=stripe_api.env())
    wait_for(lambda: stripe_api.calls("DELETE", "/v1/subscriptions/sub_B"), "the second cancellation", running=p)
    time.sleep(0.3)
    assert stopped_by(p) == ["quicktools: interrupted: 1 of 2 subscriptions were handled and recorded before the "
                             "signal; run the same command again to cancel the rest"]
    status = "SELECT user_id, cancel_status FROM quicktools_migrated_users ORDER BY user_id"
    assert query(db, status) == [(1, "canceled"), (2, None), (3, None)]  # sub_A's cancellation is kept
    again = run_qt("migrate", "packs", "--no-backup", "--cancel-subscriptions", db=db, json_out=True,
                   env=stripe_api.env())
    assert again.rc == 0, again.err
    assert again.json["cancel_subscriptions"]["canceled"] == 1
    assert query(db, status) == [(1, "canceled"), (2, "canceled"), (3, None)]
    assert len(stripe_api.calls("DELETE", "/v1/subscriptions/sub_A")) == 1


def test_a_signal_while_an_import_waits_on_its_pipe_imports_nothing(make_db):
    """A stream read cut short by the signal would have looked like the end of the file: the
    rows that had come would have been imported."""
    db = make_db(users=5, state="credit-packs")
    # The tool's tables first: the import streams its rows into them, so it checks for them
    # after the header and would refuse at once without them.
    assert subprocess.run([BIN, "--db", str(db), "db", "upgrade"], capture_output=True).returncode == 0
    before = dump(db)
    p = subprocess.Popen([BIN, "--db", str(db), "credits", "import", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    p.stdin.write("user,action,amount,reason,idempotency_key\n1,grant,5,promo,\n2,grant,5,promo,\n")
    p.stdin.flush()
    time.sleep(0.5)  # the tool waits for the rest of the file
    assert p.poll() is None
    assert stopped_by(p) == ["quicktools: interrupted: the transaction was rolled back, nothing changed"]
    assert dump(db) == before
