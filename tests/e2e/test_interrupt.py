"""Ctrl-C (SIGINT) and SIGTERM in the middle of a long `stripe replay`: the tool stops within
seconds, exits 130 with one line, and the database is exactly as before. From a file the events
are read and parsed on a second thread, from stdin on the main one: both must stop."""
import json
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BIN, dump, make_database, query, run_qt
from stripe_events import CREDITS, purchases_file

USERS = 2000
EVENTS = 100_000  # several seconds of work: the signal always lands mid-run


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("interrupt")
    db = make_database(d / "migrated.db", users=USERS, state="legacy")
    assert run_qt("migrate", "packs", "--no-backup", db=db).rc == 0
    return db, purchases_file(d / "events.ndjson", USERS, EVENTS)


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
        deadline = time.monotonic() + 30
        while not journal.exists():  # the replay has started writing
            assert p.poll() is None, "the replay ended before the signal"
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(0.1)
        assert p.poll() is None, "the replay ended before the signal"
        sent = time.monotonic()
        p.send_signal(sig)
        _, err = p.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert p.returncode == 130
    assert err.strip().splitlines() == ["quicktools: interrupted: the transaction was rolled back, nothing changed"]
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
