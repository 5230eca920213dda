"""Crash harness: every long write is killed with SIGKILL at several points of its run; the database
must then be exactly as before or exactly as after a clean run (never anything in between), and
running the command again must complete the work once (the clean run's content, audit clean).

The databases are generated once per session and copied for each kill point. Content is compared
through a digest of the schema and every row; the moments a run records (columns ending in `_at`
in the tool tables, `quicktools_state` values named `*_at`) are left out, since two clean runs
differ only there (checked below).
"""
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, make_database, run_qt

USERS = int(os.environ.get("QUICKTOOLS_CRASH_USERS", "100000"))
EVENTS = 3000
IMPORT_ROWS = 20000
# Kill points as fractions of the clean run's measured wall time (a kill after the process ended
# is not counted as a kill).
FRACTIONS = (0.0, 0.05, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9)
KILLS = {}  # command -> number of kills that landed while the process was running


def volatile(table, column):
    return table != "users" and column.endswith("_at")


def digest(path):
    """sha256 of the schema and all rows (the run's own moments left out)."""
    con = sqlite3.connect(str(path))  # opening it rolls a hot journal back
    try:
        assert con.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        h = hashlib.sha256()
        schema = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        h.update(repr(schema).encode())
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            sel = ", ".join("NULL" if volatile(table, c) else f'"{c}"' for c in cols)
            if table == "quicktools_state":
                sel = "name, CASE WHEN name LIKE '%\\_at' ESCAPE '\\' THEN NULL ELSE value END"
            rows = con.execute(f'SELECT {sel} FROM "{table}" ORDER BY {", ".join(map(str, range(1, len(cols) + 1)))}')
            h.update(table.encode())
            h.update(repr(rows.fetchall()).encode())
        return h.hexdigest()
    finally:
        con.close()


def copy(src, dst):
    shutil.copyfile(src, dst)
    return dst


def audit_clean(path):
    r = run_qt("credits", "audit", db=path, json_out=True)
    assert r.rc == 0 and r.json["violations"] == 0, r.out + r.err


def events_file(path, users):
    rnd = random.Random(9)
    prices = {"starter": 500, "standard": 1500, "pro": 3000, "business": 10000}
    with open(path, "w") as f:
        for i in range(EVENTS):
            uid = rnd.randint(1, users)
            pack = rnd.choice(list(prices))
            sid = f"cs_test_crash{i:06d}"
            f.write(f'{{"id":"evt_crash{i:06d}","object":"event","type":"checkout.session.completed",'
                    f'"created":{1767225600 + i},"livemode":false,"data":{{"object":{{"id":"{sid}",'
                    f'"object":"checkout.session","mode":"payment","status":"complete","payment_status":"paid",'
                    f'"amount_total":{prices[pack]},"currency":"usd","client_reference_id":"{uid}",'
                    f'"metadata":{{"user_id":"{uid}","pack":"{pack}"}},"payment_intent":"pi_{sid}",'
                    f'"customer_details":{{"email":null}}}}}}}}\n')
    return path


def import_file(path, users):
    rnd = random.Random(11)
    with open(path, "w") as f:
        f.write("user,action,amount,reason,idempotency_key\n")
        for i in range(IMPORT_ROWS):
            f.write(f"{rnd.randint(1, users)},grant,{rnd.randint(1, 50)},crash test row {i},crash-{i}\n")
    return path


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """The four long writes: (args, the database before, its digest, the digest after a clean run)."""
    d = tmp_path_factory.mktemp("crash")
    legacy = make_database(d / "legacy.db", users=USERS, state="legacy", seed=5)
    cases = {
        "migrate packs": (["migrate", "packs", "--no-backup"], legacy),
    }
    migrated = copy(legacy, d / "migrated.db")
    assert run_qt("migrate", "packs", "--no-backup", db=migrated).rc == 0
    con = sqlite3.connect(str(migrated))
    with con:
        con.execute("UPDATE users SET subscription_status = 'canceled', stripe_subscription_id = NULL")
    con.close()
    cases["stripe replay"] = (["stripe", "replay", events_file(d / "events.ndjson", USERS)], migrated)
    cases["credits import"] = (["credits", "import", import_file(d / "grants.csv", USERS)], migrated)
    cases["db drop-deprecated"] = (["db", "drop-deprecated", "--yes", "--no-backup"], migrated)
    out = {}
    for name, (args, base) in cases.items():
        before = digest(base)
        runs = []
        for i in range(2):  # two clean runs: the digest is the same (only the moments differ)
            path = copy(base, d / f"clean{i}.db")
            start = time.monotonic()
            r = run_qt(*args, db=path)
            runs.append(time.monotonic() - start)
            assert r.rc == 0, (name, r.err)
            after = digest(path)
            assert i == 0 or after == out[name][2]
            out[name] = (args, base, before, after, min(runs))
            assert after != before
    return d, out


@pytest.mark.parametrize("name", ["migrate packs", "stripe replay", "credits import", "db drop-deprecated"])
def test_sigkill_leaves_before_or_after_and_a_rerun_completes_once(world, name):
    d, cases = world
    args, base, before, after, seconds = cases[name]
    seen = {"before": 0, "after": 0}
    kills = 0
    for n, fraction in enumerate(FRACTIONS):
        path = copy(base, d / f"kill{n}.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUICKTOOLS_DB", "STRIPE_"))}
        p = subprocess.Popen([BIN, "--db", str(path), *map(str, args)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
        time.sleep(seconds * fraction)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        now = digest(path)
        assert now in (before, after), f"{name}: killed at {fraction:.0%} of the run left a third state"
        seen["before" if now == before else "after"] += 1
        r = run_qt(*args, db=path)
        assert r.rc == 0, (name, r.err)
        assert digest(path) == after, f"{name}: the re-run after a kill at {fraction:.0%} did not end as a clean run"
        audit_clean(path)
    KILLS[name] = kills
    print(f"{name}: {kills} kills over {seconds:.2f} s, {seen}")
    assert kills >= len(FRACTIONS) // 2, f"{name}: only {kills} kills landed while the process ran"
    assert seen["before"] >= 1
