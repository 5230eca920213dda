"""migrate packs on PostgreSQL: the same plan and result as on SQLite for the same generated rows,
the policy's refusals, one migration at a time, a run killed half-way, and the web app writing
meanwhile."""
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import dump, query, start_qt
import pg_cluster  # tests/tools/pg_cluster.py (conftest puts it on the path)


def volatile_free(doc):
    """The --json of a run without what differs between two runs (the moment, the database's name)."""
    doc = dict(doc)
    if doc.get("completed"):
        doc["completed"] = {k: v for k, v in doc["completed"].items() if k != "at"}
    return doc


def users_after(target):
    return query(target, "SELECT id, credits_balance, credits_purchased_total, credits_lifetime_used, "
                         "CASE WHEN api_access_unlocked THEN 1 ELSE 0 END FROM users ORDER BY id")


def recorded(target):
    return query(target, "SELECT user_id, old_tier, old_status, old_subscription_id, old_monthly_credits, "
                         "old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, "
                         "new_purchased_total, new_api_access, invariant_base, policy FROM quicktools_migrated_users "
                         "ORDER BY user_id")


def execute(target, sql):
    """Runs a statement that changes `target` and commits it (query() commits on PostgreSQL only)."""
    if str(target).startswith("postgresql://"):
        query(target, sql)
        return
    con = sqlite3.connect(str(target))
    try:
        con.execute(sql)
        con.commit()
    finally:
        con.close()


def audit_clean(qt, target):
    r = qt("credits", "audit", db=target, json=True)
    assert r.rc == 0 and r.json["violations"] == 0, r.out + r.err


POLICY = ('{"name": "mixed", "tiers": {"free": {"credits": 25, "purchased_equivalent": 3}, '
          '"basic": {"credits": "full"}, "pro": {"api_statuses": ["active", "past_due"]}, '
          '"business": {"credits": 7000, "api": true, "api_statuses": []}}}')


@pytest.mark.parametrize("state", ["legacy", "upgraded", "credit-packs", "final"])
@pytest.mark.parametrize("policy", ["default", "mixed"])
def test_same_plan_result_and_rerun_as_on_sqlite(qt, make_db, tmp_path, state, policy):
    extra = []
    if policy == "mixed":
        (tmp_path / "policy.json").write_text(POLICY)
        extra = ["--policy", str(tmp_path / "policy.json")]
    dbs = {engine: make_db(engine, users=400, state="legacy" if state == "upgraded" else state, seed=11)
           for engine in ("sqlite", "postgres")}
    if state == "upgraded":  # the tool's own upgrade: the credit columns at their defaults, then the app's writes
        for target in dbs.values():
            assert qt("db", "upgrade", db=target).rc == 0
            execute(target, "UPDATE users SET credits_balance = credits_balance - 3, credits_lifetime_used = 3 "
                            "WHERE id % 7 = 0")
            execute(target, "UPDATE users SET credits_balance = credits_balance + 50, credits_purchased_total = 50 "
                            "WHERE id % 11 = 0")
    docs = {}
    for engine, target in dbs.items():
        before = dump(target)
        dry = qt("migrate", "packs", "--dry-run", *extra, db=target, json=True)
        assert dry.rc == 0, dry.err
        assert dump(target) == before
        real = qt("migrate", "packs", "--no-backup", *extra, db=target, json=True)
        assert real.rc == 0, real.err
        again = qt("migrate", "packs", "--no-backup", *extra, db=target, json=True)
        assert again.rc == 0 and again.json["already_done"] and not again.json["changed"], again.err
        docs[engine] = (dry.json, real.json, again.json)
        audit_clean(qt, target)
    for sqlite_doc, pg_doc in zip(docs["sqlite"], docs["postgres"]):
        assert volatile_free(pg_doc) == volatile_free(sqlite_doc)
    # The plan is what the run did, and the run's breakdown is what a re-run reads back.
    dry, real, again = docs["postgres"]
    assert real["summary"] == dry["summary"] and real["by_tier"] == dry["by_tier"]
    assert again["by_tier_status"] == real["by_tier_status"]
    assert users_after(dbs["postgres"]) == users_after(dbs["sqlite"])
    assert recorded(dbs["postgres"]) == recorded(dbs["sqlite"])
    assert len(recorded(dbs["postgres"])) == 400
    # Text output too, past the database's name.
    for engine, target in dbs.items():
        text = qt("migrate", "packs", "--no-backup", *extra, db=target)
        assert text.rc == 0 and "was already migrated" in text.out


def test_uncovered_tier_is_refused_and_nothing_changes(qt, make_db, engine):
    target = make_db(engine, users=50, seed=3)
    execute(target, "UPDATE users SET subscription_tier = 'enterprise' WHERE id IN (3, 9)")
    before = dump(target)
    for args in (["--dry-run"], ["--no-backup"]):
        r = qt("migrate", "packs", *args, db=target, json=True)
        assert r.rc == 4, r.out + r.err
        assert "subscription tier 'enterprise' (2 users) is not one the policy 'default' covers" in r.err
        assert dump(target) == before


def test_balance_past_the_64_bit_range_is_refused_with_the_same_sentence(qt, make_db, engine):
    target = make_db(engine, users=20, seed=3)
    # The tool's own upgrade made the credit columns: the migration converts them.
    assert qt("db", "upgrade", db=target).rc == 0
    execute(target, "UPDATE users SET credits_balance = 9223372036854775800, subscription_tier = 'pro', "
                    "monthly_credits = 1000, credits_used_this_month = 0 WHERE id = 7")
    before = dump(target)
    for args in (["--dry-run"], ["--no-backup"]):
        r = qt("migrate", "packs", *args, db=target)
        assert r.rc == 4, r.out + r.err
        assert "user 7: the policy's credits from monthly_credits 1000, credits_used_this_month 0 and " \
               "credits_balance 9223372036854775800 fall outside the 64-bit range; correct the row first; " \
               "nothing was changed" in r.err
        assert dump(target) == before


# monthly_credits and credits_used_this_month are INTEGER in the web app's schema; the balance is
# BIGINT: the bounds of the bigint path (2^61), past them, and past the 64-bit range (refused).
@pytest.mark.parametrize("monthly, used, balance", [
    (1000, 0, 2 ** 61), (1000, 0, 2 ** 61 + 1), (2147483647, -2147483648, 2 ** 62), (5, 0, -(2 ** 61) - 1),
    (3, 1, -(2 ** 61)), (1000, 0, 9223372036854775807 - 2000), (1000, 0, 9223372036854775807 - 500)])
def test_large_values_come_out_the_same_on_both_engines(qt, make_db, monthly, used, balance):
    """Where every value is within 2^61 PostgreSQL computes the new balance in bigint; past it, in
    numeric: both ways (and SQLite's) give the same balances."""
    results = []
    for engine in ("sqlite", "postgres"):
        target = make_db(engine, users=10, seed=3)
        assert qt("db", "upgrade", db=target).rc == 0
        execute(target, "UPDATE users SET subscription_tier = 'pro', subscription_status = 'active', "
                        f"monthly_credits = {monthly}, credits_used_this_month = {used}, "
                        f"credits_balance = {balance} WHERE id = 4")
        r = qt("migrate", "packs", "--no-backup", db=target, json=True)
        results.append((r.rc, r.err.strip(), query(target, "SELECT id, credits_balance FROM users ORDER BY id")))
    assert results[0] == results[1]
    assert results[0][0] in (0, 4)


def test_two_runs_at_once_apply_once(qt, make_db):
    target = make_db("postgres", users=20000, seed=5)
    runs = [start_qt("--json", "--busy-timeout", "120000", "migrate", "packs", "--no-backup", db=target)
            for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    docs = [json.loads(out) for out, _ in outs]
    assert sorted(d["changed"] for d in docs) == [False, True]
    done = next(d for d in docs if d["changed"])
    waited = next(d for d in docs if not d["changed"])
    assert waited["already_done"] and waited["summary"] == done["summary"]
    assert query(target, "SELECT count(*) FROM quicktools_migrated_users") == [(20000,)]
    audit_clean(qt, target)


def holding(target, sql, answer):
    """A psql session that ran `sql` (answering `answer`) in a transaction it keeps open: another
    session's lock, until ROLLBACK is written to its stdin."""
    psql = subprocess.Popen([os.path.join(pg_cluster.bindir(), "psql"), "-X", "-q", "-A", "-t", "-d", target],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=pg_cluster.clean_env())
    psql.stdin.write(f"BEGIN; {sql}; SELECT 'held';\n")
    psql.stdin.flush()
    assert [psql.stdout.readline(), psql.stdout.readline()] == [f"{answer}\n", "held\n"]
    return psql


@pytest.mark.parametrize("batch", [[], ["--batch", "10"]], ids=["one transaction", "batched"])
def test_a_run_gives_up_after_the_busy_timeout_while_another_holds_the_lock(qt, make_db, pg_server, batch):
    target = make_db("postgres", users=30, seed=5)
    # Another migration holding the advisory lock, as a psql session in a transaction.
    psql = holding(target, "SELECT pg_advisory_xact_lock(125762734909810) IS NULL", "f")
    try:
        before = dump(target)
        t0 = time.monotonic()
        r = qt("--busy-timeout", "300", "migrate", "packs", "--no-backup", *batch, db=target)
        assert r.rc == 1 and "locked by another writer" in r.err and len(r.err.splitlines()) == 1, r.err
        assert time.monotonic() - t0 < 10
        assert dump(target) == before
    finally:
        psql.stdin.write("ROLLBACK;\n")
        psql.stdin.close()
        psql.wait(timeout=30)
    r = qt("migrate", "packs", "--no-backup", *batch, db=target, json=True)
    assert r.rc == 0 and r.json["completed"]["users"] == 30, r.err


def waiting(target, wait_event_type, wait_event=None, needle=""):
    """How many sessions of quicktools wait for a lock of that kind, running a statement with `needle`."""
    rows = query(target, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'quicktools' "
                         "AND wait_event_type = ? AND wait_event LIKE ? AND query LIKE ?",
                 (wait_event_type, wait_event or "%", f"%{needle}%"))
    return rows[0][0]


def wait_for(condition, what, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_second_run_waits_for_the_whole_batched_run_not_one_batch(qt, make_db, pg_server):
    target = make_db("postgres", users=30, state="credit-packs", seed=5)
    assert qt("db", "upgrade", db=target).rc == 0
    # The web app holding user 15's row: the batched run commits its first batch (users 1-10),
    # then waits in its second.
    psql = holding(target, "SELECT id FROM users WHERE id = 15 FOR UPDATE", "15")
    try:
        batched = start_qt("--json", "--busy-timeout", "60000", "migrate", "packs", "--no-backup", "--batch", "10",
                           db=target)
        wait_for(lambda: recorded_count(target) == 10 and waiting(target, "Lock", needle="quicktools_migrated_users"),
                 "the batched run never waited in its second batch")
        # A second run now waits for the first; a lock per batch would let it in as soon as the
        # first commits its second batch, and it would migrate the third batch itself.
        second = start_qt("--json", "--busy-timeout", "60000", "migrate", "packs", "--no-backup", db=target)
        wait_for(lambda: waiting(target, "Lock", "advisory") == 1, "the second run never waited for the first")
    finally:
        psql.stdin.write("ROLLBACK;\n")
        psql.stdin.close()
        psql.wait(timeout=30)
    outs = [p.communicate(timeout=120) for p in (batched, second)]
    assert [batched.returncode, second.returncode] == [0, 0], outs
    first_doc, second_doc = (json.loads(out) for out, _ in outs)
    assert first_doc["changed"] and first_doc["completed"]["users"] == 30
    assert second_doc["already_done"] and not second_doc["changed"]
    # Every user recorded by the batched run (one run, one moment).
    assert query(target, "SELECT count(DISTINCT migrated_at), count(*) FROM quicktools_migrated_users") == [(1, 30)]
    audit_clean(qt, target)


def active_statement(target, needle):
    rows = query(target, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE ?",
                 (f"%{needle}%",))
    return rows[0][0] > 0


@pytest.mark.parametrize("state", ["legacy", "credit-packs"])
def test_sigkill_mid_run_leaves_nothing_and_a_rerun_completes(qt, make_db, state):
    target = make_db("postgres", users=60000, state=state, seed=5)
    reference = make_db("postgres", users=60000, state=state, seed=5)
    clean = qt("migrate", "packs", "--no-backup", db=reference, json=True)
    assert clean.rc == 0, clean.err
    before = dump(target)
    p = start_qt("migrate", "packs", "--no-backup", db=target)
    deadline = time.monotonic() + 60
    while not active_statement(target, "quicktools_migrated_users") and time.monotonic() < deadline:
        assert p.poll() is None, "finished before it could be killed"
        time.sleep(0.005)
    assert p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.wait()
    # The server rolls the transaction back once it notices; until then a re-run waits for it.
    r = qt("--busy-timeout", "60000", "migrate", "packs", "--dry-run", db=target, json=True)
    assert r.rc == 0 and not r.json["already_done"], r.err
    assert dump(target) == before
    r = qt("--busy-timeout", "60000", "migrate", "packs", "--no-backup", db=target, json=True)
    assert r.rc == 0 and r.json["changed"], r.err
    assert volatile_free(r.json) == volatile_free(clean.json)
    assert users_after(target) == users_after(reference)
    assert recorded(target) == recorded(reference)
    audit_clean(qt, target)


class PsqlWriter(threading.Thread):
    """The web app on PostgreSQL: one psql session spending a credit of random users, one
    autocommitted UPDATE each (as the app's usage endpoint), counting what it committed."""

    def __init__(self, target, user_ids, seed=1):
        super().__init__(daemon=True)
        import random
        self.rnd = random.Random(seed)
        self.target, self.user_ids = target, list(user_ids)
        self.used = {}
        self.halt = threading.Event()
        self.sent = 0

    def run(self):
        psql = subprocess.Popen([os.path.join(pg_cluster.bindir(), "psql"), "-X", "-v", "ON_ERROR_STOP=1",
                                 "-d", self.target], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=pg_cluster.clean_env())
        while not self.halt.is_set():
            uid = self.rnd.choice(self.user_ids)
            psql.stdin.write(f"UPDATE users SET credits_balance = credits_balance - 1, credits_lifetime_used = "
                             f"credits_lifetime_used + 1 WHERE id = {uid} AND credits_balance >= 1;\n")
            psql.stdin.flush()
            line = psql.stdout.readline().strip()
            assert line.startswith("UPDATE "), line
            if line == "UPDATE 1":
                self.used[uid] = self.used.get(uid, 0) + 1
            self.sent += 1
        psql.stdin.close()
        psql.wait(timeout=30)


def test_the_web_apps_writes_meanwhile_are_kept(qt, make_db):
    target = make_db("postgres", users=20000, state="legacy", seed=5)
    assert qt("db", "upgrade", db=target).rc == 0  # the app spends credits from here on
    policy = dict(query(target, "SELECT id, greatest(monthly_credits - credits_used_this_month, 0) FROM users"))
    writer = PsqlWriter(target, range(1, 20001))
    writer.start()
    try:
        while writer.sent < 100:
            time.sleep(0.01)
        sent_before = writer.sent
        r = qt("--busy-timeout", "60000", "migrate", "packs", "--no-backup", db=target, json=True)
        sent_during = writer.sent
        time.sleep(0.3)
    finally:
        writer.halt.set()
        writer.join(timeout=60)
    assert r.rc == 0, r.err
    assert writer.sent > sent_during > sent_before  # the app wrote during the migration and after it
    after = {uid: (b, p, u) for uid, b, p, u, _ in users_after(target)}
    for uid, (balance, purchased, used) in after.items():
        assert used == writer.used.get(uid, 0), uid
        # New balance = the policy's credits replacing the default 10, less what the app spent
        # (a user who spent more than the policy gives ends at 0 or above, never below).
        if policy[uid] >= 10:
            assert balance == policy[uid] - used, uid
        else:
            assert balance >= policy[uid] - used, uid
    audit_clean(qt, target)


# --- --batch: each batch of users commits on its own, a re-run resumes ------------------------

@pytest.mark.parametrize("state", ["legacy", "upgraded"])
def test_batches_give_the_result_of_one_transaction(qt, make_db, engine, state):
    dbs = [make_db(engine, users=500, seed=13) for _ in range(2)]
    if state == "upgraded":
        for target in dbs:
            assert qt("db", "upgrade", db=target).rc == 0
            execute(target, "UPDATE users SET credits_balance = credits_balance - 4, credits_lifetime_used = 4 "
                            "WHERE id % 5 = 0")
    whole = qt("migrate", "packs", "--no-backup", db=dbs[0], json=True)
    batched = qt("migrate", "packs", "--no-backup", "--batch", "64", db=dbs[1], json=True)
    assert whole.rc == 0 and batched.rc == 0, whole.err + batched.err
    assert volatile_free(batched.json) == volatile_free(whole.json)
    assert users_after(dbs[1]) == users_after(dbs[0])
    assert recorded(dbs[1]) == recorded(dbs[0])
    audit_clean(qt, dbs[1])
    again = qt("migrate", "packs", "--no-backup", "--batch", "64", db=dbs[1], json=True)
    assert again.rc == 0 and again.json["already_done"]


def recorded_count(target):
    try:
        return query(target, "SELECT count(*) FROM quicktools_migrated_users")[0][0]
    except Exception:  # the table comes with the first batch
        return 0


def test_sigkill_between_batches_keeps_them_and_a_rerun_resumes(qt, make_db, engine):
    target = make_db(engine, users=60000, seed=5)
    reference = make_db(engine, users=60000, seed=5)
    clean = qt("migrate", "packs", "--no-backup", db=reference, json=True)
    assert clean.rc == 0, clean.err
    p = start_qt("migrate", "packs", "--no-backup", "--batch", "500", db=target)
    deadline = time.monotonic() + 60
    while recorded_count(target) < 2000 and time.monotonic() < deadline:
        assert p.poll() is None, "finished before it could be killed"
        time.sleep(0.01)
    assert p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.wait()
    kept = recorded_count(target)
    assert 2000 <= kept < 60000 and kept % 500 == 0
    # Every committed batch is whole: its users recorded and set, the rest untouched.
    assert query(target, "SELECT count(*) FROM users u JOIN quicktools_migrated_users m ON m.user_id = u.id "
                         "WHERE u.credits_balance <> m.new_balance") == [(0,)]
    r = qt("--busy-timeout", "60000", "migrate", "packs", "--no-backup", db=target, json=True)
    assert r.rc == 0 and r.json["changed"], r.err
    # The first batch committed the schema upgrade: the re-run starts from there.
    assert (r.json["state_before"], r.json["schema_applied"]) == ("credit-packs", [])
    resumed = {k: v for k, v in volatile_free(r.json).items() if k not in ("state_before", "schema_applied")}
    assert resumed == {k: v for k, v in volatile_free(clean.json).items()
                       if k not in ("state_before", "schema_applied")}
    assert users_after(target) == users_after(reference)
    assert recorded(target) == recorded(reference)
    audit_clean(qt, target)


def test_ctrl_c_between_batches_says_what_stays_and_a_rerun_finishes(qt, make_db, engine):
    target = make_db(engine, users=60000, seed=5)
    p = start_qt("migrate", "packs", "--no-backup", "--batch", "500", db=target)
    deadline = time.monotonic() + 60
    while recorded_count(target) < 1000 and time.monotonic() < deadline:
        assert p.poll() is None, "finished before it could be interrupted"
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "the batches committed before stay migrated" in err and "nothing changed" not in err
    kept = recorded_count(target)
    assert 1000 <= kept < 60000
    r = qt("migrate", "packs", "--no-backup", db=target, json=True)
    assert r.rc == 0 and r.json["completed"]["users"] == 60000, r.err
    audit_clean(qt, target)
