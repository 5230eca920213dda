"""The web app keeps writing while each long write of the tool runs (webapp_writer.WebApp: usage,
its own purchase webhook, sign-ups; one short transaction each, on its own connection). For each
long write: the tool succeeds, every write of both sides is there -- each user's final credits
= before + what the tool's input says it adds + what the app committed, computed here from the
input and the app's own count, not from the tool's ledger --, `credits audit` is clean, and the
app committed writes while the tool ran. Then: each command family waits for a brief app
transaction and gives up on a long one with one line, the database unchanged. Each on both
engines: a file, and a PostgreSQL database with the app on a psql session (there the app's
transaction holds the rows it wrote, the tool's the rows it writes).
"""
import json
import random
import shutil
import time

import pytest

from conftest import drop_pg_database, dump, execute, is_url, make_target, new_name, pg_server_instance, query, run_qt
from stripe_events import CREDITS, completed
from webapp_writer import WebApp, hold_lock, run_through_brief_lock

# The sizes of each run: smaller on PostgreSQL, where every write of the app is a round trip to
# the server and a process of its own (the same checks; the suite's time).
SIZE = {"sqlite": {"users": 20000, "replay": 3000, "sync": 2000, "import": 20000},
        "postgres": {"users": 5000, "replay": 1200, "sync": 1000, "import": 5000}}
ACTIVE = range(1, 501)   # the users both sides write (the tool's input and the app's writes)
WAIT = ["--busy-timeout", "30000"]


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """templates(engine): a migrated database (subscriptions cancelled, so the drop is allowed),
    made once per engine and copied per test."""
    made = {}

    def template(engine):
        if engine not in made:
            path = make_target(engine, tmp_path_factory.mktemp("live"), users=SIZE[engine]["users"],
                               state="legacy", seed=3, tasks_per_user=2)
            assert run_qt("migrate", "packs", "--no-backup", db=path).rc == 0
            execute(path, "UPDATE users SET subscription_status = 'canceled', stripe_subscription_id = NULL")
            made[engine] = path
        return made[engine]
    yield template
    for path in made.values():
        if is_url(path):
            drop_pg_database(path)


@pytest.fixture
def migrated(engine, templates, tmp_path):
    """A copy of the engine's template: a file, or a database made from it (CREATE DATABASE ... TEMPLATE)."""
    template = templates(engine)
    if engine == "sqlite":
        yield shutil.copyfile(template, tmp_path / "quicktools.db")
        return
    name = new_name()
    pg_server_instance().psql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"')
    url = pg_server_instance().url(name)
    yield url
    drop_pg_database(url)


def credits(path):
    """user id -> (balance, purchased_total, lifetime_used)"""
    return {r[0]: r[1:] for r in query(path, "SELECT id, credits_balance, credits_purchased_total, "
                                             "credits_lifetime_used FROM users")}


def run_alongside(app, *args, db, env=None):
    """Runs the tool while the app writes; returns the result and the run's (start, end)."""
    started = time.monotonic()
    r = run_qt(*WAIT, *args, db=db, json_out=True, env=env, timeout=120)
    return r, (started, time.monotonic())


def assert_nothing_lost(path, before, tool_adds, app):
    after = credits(path)
    assert set(after) == set(before) | set(app.new_users)
    for uid, now in after.items():
        start = before.get(uid, (10, 0, 0))  # a sign-up starts with the column default of 10
        tool = tool_adds.get(uid, (0, 0, 0))
        expected = tuple(s + t + a for s, t, a in zip(start, tool, app.delta.get(uid, (0, 0, 0))))
        assert now == expected, f"user {uid}: {now} != before {start} + tool {tool} + app {app.delta.get(uid)}"
    # and the tool's ledger (empty before: the migration records a base, no rows) says the same
    ledger = {r[0]: r[1:] for r in query(path, "SELECT user_id, sum(balance_delta), sum(purchased_delta), "
                                               "sum(used_delta) FROM quicktools_ledger GROUP BY user_id")}
    assert ledger == tool_adds
    r = run_qt("credits", "audit", db=path, json_out=True)
    assert r.rc == 0 and r.json["violations"] == 0, r.out + r.err


def assert_overlapped(name, app, run):
    """The app committed before the tool started (WebApp.__enter__) and after it ended
    (WebApp.__exit__), and was writing while it ran: writes that began before the tool ended and
    committed after it started (waiting for the tool's write lock, longest_wait, if need be)."""
    during, in_flight = app.commits_between(*run), app.in_flight_between(*run)
    print(f"\n{name}: the app committed {during} writes during the tool's {run[1] - run[0]:.2f} s run, "
          f"{in_flight} overlapping it ({app.committed} in all: {app.counts}); "
          f"its longest wait for the lock {app.longest_wait:.2f} s")
    assert in_flight > 0 and app.commits_between(0, run[0]) >= 20 and app.commits_between(run[1], 1e12) >= 20


def purchases(n, seed):
    """n paid Checkout Sessions of the active users: (session_id, user_id, pack)."""
    rnd = random.Random(seed)
    return [(f"cs_test_live{seed}_{i:05d}", rnd.choice(ACTIVE), rnd.choice(list(CREDITS))) for i in range(n)]


def expected_from_purchases(sessions, credited_by_app):
    adds = {}
    for sid, uid, pack in sessions:
        if sid not in credited_by_app:
            b, p, u = adds.get(uid, (0, 0, 0))
            adds[uid] = (b + CREDITS[pack], p + CREDITS[pack], u)
    return adds


def race_for_sessions(app, sessions, *args, db, env=None):
    """Runs the tool while the app writes, with both orders of crediting the same session: the
    app's webhook gets every 20th session before the tool runs (and credits it first), and every
    20th from the 10th on only after the tool's run (and finds it credited)."""
    app.deliver(sessions[::20])
    app.wait_for(60, drain=True)
    r, run = run_alongside(app, *args, db=db, env=env)
    app.deliver(sessions[10::20])
    return r, run


def assert_each_session_credited_once(path, sessions, app, report):
    by_app = app.credited & {s[0] for s in sessions}
    assert by_app == {s[0] for s in sessions[::20]}       # the app's webhook first
    assert app.skipped == {s[0] for s in sessions[10::20]}  # the tool first
    assert report["counts"]["credited"] == len(sessions) - len(by_app)
    assert report["counts"]["duplicate"] == len(by_app)
    rows = dict(query(path, "SELECT session_id, credited_by FROM quicktools_checkout_sessions "
                            "WHERE session_id LIKE 'cs_test_live%'"))
    assert rows == {sid: ("webapp" if sid in by_app else "quicktools") for sid, _, _ in sessions}
    unlocked = {uid for _, uid, pack in sessions if pack in ("pro", "business")} | app.api_unlocked
    assert query(path, f"SELECT count(*) FROM users WHERE id IN ({','.join(map(str, unlocked))}) "
                       "AND NOT api_access_unlocked") == [(0,)]
    print(f"  sessions: {len(by_app)} credited by the app's webhook first, {len(app.skipped)} by the tool first")


# --- each long write with the app writing ---------------------------------------------------

def test_stripe_replay_while_the_app_writes(migrated, engine, tmp_path):
    n = SIZE[engine]["replay"]
    sessions = purchases(n, seed=1)
    files = []
    for k in range(6):  # six files: six transactions, the app writes between them
        path = tmp_path / f"events{k}.ndjson"
        with open(path, "w") as f:
            for i, (sid, uid, pack) in enumerate(sessions[k * n // 6:(k + 1) * n // 6]):
                f.write(json.dumps(completed(uid, pack, session_id=sid, id=f"evt_live_{sid}",
                                             created=1767225600 + k * n // 6 + i)) + "\n")
        files.append(path)
    before = credits(migrated)
    with WebApp(migrated, ACTIVE) as app:
        r, run = race_for_sessions(app, sessions, "stripe", "replay", *files, db=migrated)
    assert r.rc == 0, r.err
    assert_each_session_credited_once(migrated, sessions, app, r.json)
    assert_nothing_lost(migrated, before, expected_from_purchases(sessions, app.credited), app)
    assert_overlapped(f"stripe replay ({n:,} events, 6 files)", app, run)


def test_stripe_sync_while_the_app_writes(migrated, engine, stripe_api):
    n = SIZE[engine]["sync"]
    sessions = purchases(n, seed=2)
    now = int(time.time())
    for i, (sid, uid, pack) in enumerate(sessions):
        stripe_api.events.append(completed(uid, pack, session_id=sid, created=now - 86400 + i))
    before = credits(migrated)
    with WebApp(migrated, ACTIVE) as app:
        r, run = race_for_sessions(app, sessions, "stripe", "sync", db=migrated, env=stripe_api.env())
    assert r.rc == 0, r.err
    assert r.json["pages"] == n // 100 and r.json["cursor_after"]["event_id"] == stripe_api.events[-1]["id"]
    assert_each_session_credited_once(migrated, sessions, app, r.json)
    assert_nothing_lost(migrated, before, expected_from_purchases(sessions, app.credited), app)
    assert_overlapped(f"stripe sync ({n:,} events, {n // 100} pages)", app, run)


def test_credits_import_while_the_app_writes(migrated, engine, tmp_path):
    count = SIZE[engine]["import"]
    rnd = random.Random(4)
    rows = [(rnd.choice(ACTIVE), rnd.randint(1, 50)) for _ in range(count)]
    csv = tmp_path / "grants.csv"
    csv.write_text("user,action,amount,reason,idempotency_key\n"
                   + "".join(f"{uid},grant,{n},live writer test,live-{i}\n" for i, (uid, n) in enumerate(rows)))
    adds = {}
    for uid, n in rows:
        adds[uid] = (adds.get(uid, (0, 0, 0))[0] + n, 0, 0)
    before = credits(migrated)
    with WebApp(migrated, ACTIVE) as app:
        r, run = run_alongside(app, "credits", "import", csv, db=migrated)
    assert r.rc == 0, r.err
    assert r.json["totals"]["applied"] == count
    assert_nothing_lost(migrated, before, adds, app)
    assert_overlapped(f"credits import ({count:,} rows)", app, run)


def test_migrate_packs_while_the_app_writes(make_db, engine):
    path = make_db(engine, users=SIZE[engine]["users"], state="legacy", seed=5)
    assert run_qt("db", "upgrade", db=path).rc == 0  # the app writes credits from here on
    policy = dict(query(path, "SELECT id, CASE WHEN monthly_credits > credits_used_this_month "
                              "THEN monthly_credits - credits_used_this_month ELSE 0 END FROM users"))
    with WebApp(path, ACTIVE) as app:
        app.wait_for(200)  # the app used and bought credits before the migration
        r, run = run_alongside(app, "migrate", "packs", "--no-backup", db=path)
    assert r.rc == 0, r.err
    # New balance = the policy's credits (replacing the default 10) + what the app added or took,
    # before the migration or after it; exact unless the app's usage before the migration went
    # beyond the policy's credits (the balance is then 0, never below).
    after = credits(path)
    exact_among_written = 0
    for uid, (balance, purchased, used) in after.items():
        d = app.delta.get(uid, (0, 0, 0))
        assert (purchased, used) == (d[1], d[2]), uid
        if policy.get(uid, 10) + app.lowest.get(uid, 0) >= 0:
            assert balance == policy.get(uid, 10) + d[0], uid
            exact_among_written += uid in app.delta
        else:
            assert balance >= policy[uid] + d[0], uid
    # The exact comparison ran for most of the users the app wrote, not only for untouched ones.
    assert exact_among_written > len(app.delta) // 2
    assert set(after) == set(policy) | set(app.new_users)
    assert query(path, "SELECT count(*) FROM quicktools_migrated_users WHERE old_balance <> 10") != [(0,)]
    assert query(path, f"SELECT count(*) FROM users WHERE NOT api_access_unlocked AND id IN "
                       f"({','.join(map(str, app.api_unlocked))})") == [(0,)]
    r = run_qt("credits", "audit", db=path, json_out=True)
    assert r.rc == 0 and r.json["violations"] == 0, r.out + r.err
    assert_overlapped(f"migrate packs ({SIZE[engine]['users']:,} users)", app, run)


def test_drop_deprecated_while_the_app_writes(migrated, engine):
    before = credits(migrated)
    with WebApp(migrated, ACTIVE) as app:
        r, run = run_alongside(app, "db", "drop-deprecated", "--yes", "--no-backup", db=migrated)
        app.wait_for(app.committed + 30)  # sign-ups into the new table too
    assert r.rc == 0, r.err
    cols = [c[0] for c in query(migrated, "SELECT name FROM pragma_table_info('users')")] if not is_url(migrated) \
        else [c[0] for c in query(migrated, "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_schema = 'public' AND table_name = 'users'")]
    assert "credits_balance" in cols
    assert "subscription_tier" not in cols and "monthly_credits" not in cols
    assert_nothing_lost(migrated, before, {}, app)
    assert app.counts["signup"] > 0
    assert_overlapped(f"db drop-deprecated ({SIZE[engine]['users']:,} users)", app, run)


# --- the app holds the lock: wait for a brief transaction, give up on a long one ---------------

@pytest.fixture(params=["stripe replay", "stripe sync", "migrate packs"])
def command(request, engine, make_db, tmp_path, stripe_api):
    """(args, env, database, done(path) -> whether the command's work is there, the user whose
    row the app's write locks: one the command writes)."""
    if request.param == "migrate packs":
        path = make_db(engine, users=50, state="legacy")
        assert run_qt("db", "upgrade", db=path).rc == 0
        return (["migrate", "packs", "--no-backup"], None, path,
                lambda p: query(p, "SELECT count(*) FROM quicktools_migrated_users") == [(50,)], None)
    migrated = request.getfixturevalue("migrated")
    [(uid,)] = query(migrated, "SELECT min(id) FROM users WHERE id >= 2 AND credits_balance >= 1")
    sid, pack = "cs_test_lock", "pro"
    event = completed(uid, pack, session_id=sid)
    done = lambda p: query(p, "SELECT credited_by FROM quicktools_checkout_sessions WHERE session_id = ?",  # noqa
                           (sid,)) == [("quicktools",)]
    if request.param == "stripe sync":
        event["created"] = int(time.time()) - 60
        stripe_api.events.append(event)
        return ["stripe", "sync"], stripe_api.env(), migrated, done, uid
    events = tmp_path / "lock.json"
    events.write_text(json.dumps(event))
    return ["stripe", "replay", events], None, migrated, done, uid


def test_waits_for_a_brief_app_transaction(command):
    args, env, path, done, uid = command
    used_before = query(path, "SELECT sum(credits_lifetime_used) FROM users")[0][0]
    waiting, r = run_through_brief_lock(path, *args, env=env, uid=uid)
    assert waiting, "the tool finished while the app held the write lock"
    assert r.rc == 0, r.err
    assert done(path)
    assert query(path, "SELECT sum(credits_lifetime_used) FROM users") == [(used_before + 1,)]


def test_gives_up_on_a_long_app_transaction_in_one_line_and_changes_nothing(command):
    args, env, path, done, uid = command
    before = dump(path)
    holder = hold_lock(path, 60, commit=False, uid=uid)  # held until the tool gave up, however slow the machine
    r = run_qt("--busy-timeout", "300", *args, db=path, env=env)
    holder.release.set()
    holder.join()
    assert r.rc == 1
    [line] = r.err.strip().splitlines()
    assert "locked" in line and "--busy-timeout" in line
    assert dump(path) == before and not done(path)
