"""PostgreSQL: connecting (a URI, libpq's environment, a password file), the password never in
any output, db status / upgrade / verify, a lock held by another session, and the same results
as on SQLite for the commands that run on both engines (the same generated rows on each)."""
import os
import re
import sqlite3
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

import signal

from conftest import ROOT, make_target, query, start_qt


def dbname(url):
    return url.rsplit("/", 1)[1]


def password_url(pg_server, db, password=None):
    """The URL of database `db` as the password user, with a password in it."""
    return pg_server.url(db, user=pg_server.password_user, password=password or pg_server.password)


def assert_no_password(r, *secrets):
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            assert form not in r.out and form not in r.err, f"{form!r} shown"


def execute(db, sql):
    """Runs a statement that changes `db` and commits it (conftest's query() commits on
    PostgreSQL only)."""
    if str(db).startswith("postgresql://"):
        query(db, sql)
        return
    con = sqlite3.connect(str(db))
    try:
        con.execute(sql)
        con.commit()
    finally:
        con.close()


def one_line(text):
    lines = [line for line in text.strip().splitlines() if line]
    assert len(lines) == 1, text
    return lines[0]


# --- connecting ---------------------------------------------------------------------------

def test_uri_with_a_password_works_and_the_password_is_never_shown(qt, make_db, pg_server):
    url = make_db("postgres", users=5)
    full = password_url(pg_server, dbname(url))
    r = qt("db", "status", db=full)
    assert r.rc == 0, r.err
    # Messages call the database by its URI without the password.
    assert f"Database: postgresql://{pg_server.password_user}@127.0.0.1:{pg_server.port}/{dbname(url)}" in r.out
    assert_no_password(r, pg_server.password)
    r = qt("db", "status", db=full, json=True)
    assert r.rc == 0 and r.json["state"] == "legacy"
    assert_no_password(r, pg_server.password)
    # QUICKTOOLS_DB takes a URI too.
    r = qt("db", "verify", json=True, env={"QUICKTOOLS_DB": full})
    assert r.rc == 0 and r.json["state"] == "legacy", r.err
    assert_no_password(r, pg_server.password)


def test_libpq_environment_fills_in_the_uri(qt, make_db, pg_server):
    url = make_db("postgres", users=5)
    env = {"PGHOST": "127.0.0.1", "PGPORT": str(pg_server.port), "PGUSER": pg_server.password_user,
           "PGPASSWORD": pg_server.password, "PGDATABASE": dbname(url)}
    r = qt("db", "status", db="postgresql://", json=True, env=env)
    assert r.rc == 0 and r.json["state"] == "legacy", r.err
    assert_no_password(r, pg_server.password)
    # Without PGPASSWORD the server asks for one: a one-line error, exit 1.
    env.pop("PGPASSWORD")
    r = qt("db", "status", db="postgresql://", env={**env, "PGPASSFILE": "/nonexistent"})
    assert r.rc == 1
    assert "cannot connect to postgresql://" in one_line(r.err)


def test_password_file_works_as_with_psql(qt, make_db, pg_server, tmp_path):
    url = make_db("postgres", users=3, state="credit-packs")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_server.port}:*:{pg_server.password_user}:{pg_server.password}\n")
    passfile.chmod(0o600)
    target = pg_server.url(dbname(url), user=pg_server.password_user)
    r = qt("user", "list", db=target, json=True, env={"PGPASSFILE": str(passfile)})
    assert r.rc == 0, r.err
    assert_no_password(r, pg_server.password)


@pytest.mark.parametrize("json_out", [False, True])
def test_wrong_password_is_one_line_without_the_password(qt, make_db, pg_server, json_out):
    url = make_db("postgres", users=1)
    secret = "Wr0ng-secret-%-never-print"
    r = qt("credits", "grant", "1", "5", "--reason", "x", db=password_url(pg_server, dbname(url), secret),
           json=json_out)
    assert r.rc == 1
    assert_no_password(r, secret, pg_server.password)
    text = r.json["error"] if json_out else one_line(r.err)
    assert "refused the login" in text and "password authentication failed" in text
    assert f"postgresql://{pg_server.password_user}@127.0.0.1:{pg_server.port}/{dbname(url)}" in text


def test_a_uri_libpq_cannot_read_does_not_show_its_password(qt, pg_server):
    # libpq's own message quotes the bad token: the password as written.
    r = qt("db", "status", db=f"postgresql://someone:se%zzcret@127.0.0.1:{pg_server.port}/postgres")
    assert r.rc == 1
    assert "se%zzcret" not in r.err and "zzcret" not in r.err
    assert "cannot connect to postgresql://someone@127.0.0.1" in one_line(r.err)
    r = qt("db", "status", db=f"postgresql://someone:topsecret@[::1:{pg_server.port}/postgres")
    assert r.rc == 1 and "topsecret" not in r.err
    r = qt("db", "status", db=f"postgresql://127.0.0.1:{pg_server.port}/postgres?password=qsecret&user=x&bogus=1")
    assert r.rc == 1 and "qsecret" not in r.err


def test_missing_database_and_server_are_one_line_each(qt, pg_server):
    r = qt("db", "status", db=pg_server.url("no_such_db"))
    assert r.rc == 1
    assert one_line(r.err).endswith(f'(the server has no database named "no_such_db")')
    assert "no database at postgresql://" in r.err
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    r = qt("db", "status", db=f"postgresql://postgres:pw-not-shown@127.0.0.1:{free}/x")
    assert r.rc == 1
    line = one_line(r.err)
    assert line.startswith(f"quicktools: cannot connect to postgresql://postgres@127.0.0.1:{free}/x") or \
        f"cannot connect to postgresql://postgres@127.0.0.1:{free}/x" in line
    assert "Connection refused" in line and "pw-not-shown" not in line


# --- db status / upgrade / verify ----------------------------------------------------------

TOOL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def normalised(doc, key=""):
    """A --json document with what differs by engine or by run blanked: paths and URIs, and the
    times the tool wrote during the run (keys ending in _at; the web app's times are compared)."""
    if isinstance(doc, dict):
        return {k: normalised(v, k) for k, v in doc.items() if k not in ("path", "database", "db")}
    if isinstance(doc, list):
        return [normalised(v, key) for v in doc]
    if isinstance(doc, str):
        if key.endswith("_at") and TOOL_TIME.fullmatch(doc):
            return "<time>"
        return re.sub(r"(postgresql://\S+|/\S+\.db)", "<db>", doc)
    return doc


def test_status_upgrade_verify_on_both_engines_agree(qt, tmp_path):
    runs = {}
    for engine in ("sqlite", "postgres"):
        db = make_target(engine, tmp_path, users=30, state="legacy", seed=11)
        steps = []
        for args in (["db", "status"], ["db", "verify"], ["db", "upgrade", "--dry-run"], ["db", "upgrade"],
                     ["db", "status"], ["db", "verify"], ["db", "upgrade"]):
            r = qt(*args, db=db, json=True)
            assert r.rc == 0, (engine, args, r.err)
            steps.append(normalised(r.json))
        runs[engine] = steps
    assert runs["postgres"][0]["state"] == "legacy"
    assert runs["postgres"][4]["state"] == "credit-packs"
    assert [s["version"] for s in runs["postgres"][4]["applied"]] == [1, 2, 3, 5]
    # Checksums are of each engine's own migration files; everything else is the same.
    for steps in runs.values():
        for step in steps:
            for row in step.get("applied", []):
                if isinstance(row, dict):
                    row.pop("checksum", None)
    assert runs["postgres"] == runs["sqlite"]


def test_verify_lists_drift_as_on_sqlite(qt, tmp_path):
    reports = {}
    for engine in ("sqlite", "postgres"):
        db = make_target(engine, tmp_path, users=5, state="legacy")
        assert qt("db", "upgrade", db=db).rc == 0
        for sql in ("ALTER TABLE quicktools_state DROP COLUMN updated_at",
                    "CREATE TABLE app_notes (id INTEGER PRIMARY KEY, body TEXT)",
                    "DROP INDEX ix_quicktools_stripe_events_outcome"):
            execute(db, sql)
        r = qt("db", "verify", db=db, json=True)
        assert r.rc == 3, (engine, r.out, r.err)
        reports[engine] = r.json
    pg, lite = reports["postgres"], reports["sqlite"]
    assert sorted(d["object"] for d in pg["drift"]) == sorted(d["object"] for d in lite["drift"])
    assert pg["not_owned"] == lite["not_owned"] == ["table app_notes"]
    assert any(d["object"] == "quicktools_state.updated_at" and "missing" in d["problem"] for d in pg["drift"])
    assert any("ix_quicktools_stripe_events_outcome" in str(d) for d in pg["drift"])


def test_upgrade_on_postgres_is_one_transaction(qt, make_db, pg_server):
    url = make_db("postgres", users=5)
    # A table of the tool's already there (made by hand): the upgrade fails part-way and leaves
    # nothing of its own behind.
    query(url, "CREATE TABLE quicktools_state (name TEXT)")
    before = query(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'")
    r = qt("db", "upgrade", db=url)
    assert r.rc != 0
    one_line(r.err)
    after = query(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'")
    assert before == after
    assert query(url, "SELECT to_regclass('quicktools_schema_history') IS NULL") == [(True,)]


def test_init_makes_an_empty_database_final_and_refuses_one_with_tables(qt, pg_url, make_db):
    r = qt("db", "init", db=pg_url)
    assert r.rc == 0, r.err
    assert "final schema, migration 005" in r.out
    assert qt("db", "verify", db=pg_url).rc == 0
    # Again on the same database, and on one with the web app's tables: refused, nothing changed.
    for url in (pg_url, make_db("postgres", users=3)):
        before = query(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'")
        r = qt("db", "init", db=url)
        assert r.rc == 4, r.err
        assert "already has the web app's tables; `db init` only initialises an empty database" in one_line(r.err)
        assert query(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'") == before


def test_two_upgrades_at_once_apply_once(make_db, pg_server, qt):
    url = make_db("postgres", users=5)
    # Both start while the app reads users, so both wait: one for the table, the other for the
    # first one's schema lock.
    holder = hold_lock(pg_server, dbname(url), "LOCK TABLE users IN ACCESS SHARE MODE", 1.5)
    runs = [start_qt("--busy-timeout", "20000", "--json", "db", "upgrade", db=url) for _ in range(2)]
    results = [p.communicate(timeout=30) for p in runs]
    holder.wait()
    assert [p.returncode for p in runs] == [0, 0], results
    docs = sorted((__import__("json").loads(out) for out, _ in results), key=lambda d: len(d["applied"]))
    assert docs[0]["applied"] == [] and docs[1]["applied"] == [2, 3, 5]
    assert query(url, "SELECT version, kind FROM quicktools_schema_history ORDER BY version") == \
        [(1, "baseline"), (2, "applied"), (3, "applied"), (5, "applied")]


# --- locks ---------------------------------------------------------------------------------

def hold_lock(pg_server, db, sql, seconds):
    """A psql session that runs `sql` in a transaction and keeps it open for `seconds`."""
    env = {**pg_server.env(db)}
    p = subprocess.Popen([*pg_server.psql_command(db), "-v", "ON_ERROR_STOP=1", "-c",
                          f"BEGIN; {sql}; SELECT 'locked'; SELECT pg_sleep({seconds}); COMMIT;"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, **env})
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = query(pg_server.url(db), "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                                        "WHERE a.query LIKE '%pg_sleep%' AND a.pid <> pg_backend_pid() AND l.granted "
                                        "AND l.locktype IN ('transactionid', 'relation')")
        if rows[0][0] > 0:
            return p
        time.sleep(0.05)
    p.kill()
    raise AssertionError("the lock was not taken")


def test_adjustment_waits_for_a_row_lock_then_fails_in_one_line(qt, make_db, pg_server):
    url = make_db("postgres", users=5, state="credit-packs")
    assert qt("db", "upgrade", db=url).rc == 0
    before = query(url, "SELECT credits_balance FROM users WHERE id = 1")
    holder = hold_lock(pg_server, dbname(url), "SELECT id FROM users WHERE id = 1 FOR UPDATE", 6)
    try:
        started = time.time()
        r = qt("--busy-timeout", "400", "credits", "grant", "1", "5", "--reason", "test", db=url)
        elapsed = time.time() - started
    finally:
        holder.kill()
        holder.wait()
    assert r.rc == 1
    line = one_line(r.err)
    assert "is locked by another writer" in line and "400 ms" in line and "nothing was changed" in line
    assert "--busy-timeout" in line
    assert 0.3 < elapsed < 4
    assert query(url, "SELECT credits_balance FROM users WHERE id = 1") == before
    assert query(url, "SELECT count(*) FROM quicktools_ledger") == [(0,)]
    # Another user's row is not locked: its adjustment goes through meanwhile.
    holder = hold_lock(pg_server, dbname(url), "SELECT id FROM users WHERE id = 1 FOR UPDATE", 6)
    try:
        r = qt("--busy-timeout", "400", "credits", "grant", "2", "5", "--reason", "test", db=url)
    finally:
        holder.kill()
        holder.wait()
    assert r.rc == 0, r.err


def test_upgrade_waits_for_a_table_lock_then_fails_in_one_line(qt, make_db, pg_server):
    url = make_db("postgres", users=5)
    holder = hold_lock(pg_server, dbname(url), "LOCK TABLE users IN ACCESS SHARE MODE", 6)
    try:
        started = time.time()
        r = qt("--busy-timeout", "300", "db", "upgrade", db=url)
        elapsed = time.time() - started
    finally:
        holder.kill()
        holder.wait()
    assert r.rc == 1
    assert "is locked by another writer" in one_line(r.err)
    assert elapsed < 4
    assert qt("db", "status", db=url, json=True).json["state"] == "legacy"


def wait_until_quicktools_waits_for_a_lock(url):
    deadline = time.time() + 10
    while time.time() < deadline:
        if query(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'quicktools' "
                      "AND wait_event_type = 'Lock'")[0][0] > 0:
            return
        time.sleep(0.05)
    raise AssertionError("quicktools never waited for the lock")


def test_ctrl_c_ends_a_wait_for_a_lock_at_once(make_db, pg_server, qt):
    url = make_db("postgres", users=5, state="credit-packs")
    assert qt("db", "upgrade", db=url).rc == 0
    holder = hold_lock(pg_server, dbname(url), "SELECT id FROM users WHERE id = 1 FOR UPDATE", 30)
    try:
        p = start_qt("--busy-timeout", "60000", "credits", "grant", "1", "5", "--reason", "x", db=url)
        wait_until_quicktools_waits_for_a_lock(url)
        started = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        elapsed = time.time() - started
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 130, err
    assert "interrupted" in one_line(err) and "nothing changed" in err
    assert elapsed < 3
    assert query(url, "SELECT count(*) FROM quicktools_ledger") == [(0,)]
    # The server stopped the statement: no session of the tool is left.
    assert query(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'quicktools'") == [(0,)]


def test_server_restart_mid_transaction_loses_nothing_and_a_rerun_completes(make_db, pg_server, qt):
    url = make_db("postgres", users=5, state="credit-packs")
    assert qt("db", "upgrade", db=url).rc == 0
    before = query(url, "SELECT credits_balance FROM users WHERE id = 1")[0][0]
    holder = hold_lock(pg_server, dbname(url), "SELECT id FROM users WHERE id = 1 FOR UPDATE", 30)
    try:
        p = start_qt("--busy-timeout", "60000", "credits", "grant", "1", "5", "--reason", "x",
                     "--idempotency-key", "restart-1", db=url)
        wait_until_quicktools_waits_for_a_lock(url)
        pg_server.restart("fast")
        out, err = p.communicate(timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 1, err
    line = one_line(err)
    assert "lost the connection to postgresql://" in line and "nothing was committed" in line
    assert query(url, "SELECT count(*) FROM quicktools_ledger") == [(0,)]
    assert query(url, "SELECT credits_balance FROM users WHERE id = 1")[0][0] == before
    r = qt("credits", "grant", "1", "5", "--reason", "x", "--idempotency-key", "restart-1", db=url)
    assert r.rc == 0, r.err
    assert query(url, "SELECT credits_balance FROM users WHERE id = 1")[0][0] == before + 5


def test_the_same_key_from_two_processes_at_once_applies_once(make_db, pg_server, qt):
    url = make_db("postgres", users=5, state="credit-packs")
    assert qt("db", "upgrade", db=url).rc == 0
    before = query(url, "SELECT credits_balance FROM users WHERE id = 2")[0][0]
    # Both start while the row is locked, so both are past their checks when it is free.
    holder = hold_lock(pg_server, dbname(url), "SELECT id FROM users WHERE id = 2 FOR UPDATE", 1.5)
    runs = [start_qt("--busy-timeout", "20000", "--json", "credits", "grant", "2", "7", "--reason", "twice",
                     "--idempotency-key", "same-key", db=url) for _ in range(2)]
    results = [p.communicate(timeout=30) for p in runs]
    holder.wait()
    assert [p.returncode for p in runs] == [0, 0], results
    docs = [__import__("json").loads(out) for out, _ in results]
    assert sorted(d["replayed"] for d in docs) == [False, True]
    assert docs[0]["ledger_id"] == docs[1]["ledger_id"]
    assert query(url, "SELECT count(*) FROM quicktools_ledger") == [(1,)]
    assert query(url, "SELECT credits_balance FROM users WHERE id = 2")[0][0] == before + 7


def test_the_web_apps_usage_meanwhile_is_not_lost(make_db, pg_server, qt):
    url = make_db("postgres", users=5, state="credit-packs")
    assert qt("db", "upgrade", db=url).rc == 0
    balance, used = query(url, "SELECT credits_balance, credits_lifetime_used FROM users WHERE id = 3")[0]
    # The web app: 200 usage updates of user 3, one transaction each, while the tool grants.
    app = subprocess.Popen([*pg_server.psql_command(dbname(url)), "-c",
                            "DO $$ BEGIN FOR i IN 1..200 LOOP UPDATE users SET credits_balance = "
                            "credits_balance - 1, credits_lifetime_used = credits_lifetime_used + 1 "
                            "WHERE id = 3; COMMIT; PERFORM pg_sleep(0.005); END LOOP; END $$"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for i in range(10):
        r = qt("credits", "grant", "3", "50", "--reason", f"grant {i}", db=url)
        assert r.rc == 0, r.err
    _, err = app.communicate(timeout=60)
    assert app.returncode == 0, err
    assert query(url, "SELECT credits_balance, credits_lifetime_used FROM users WHERE id = 3")[0] == \
        (balance + 500 - 200, used + 200)
    assert query(url, "SELECT count(*) FROM quicktools_ledger WHERE user_id = 3") == [(10,)]


# --- the same results on both engines ------------------------------------------------------

COMMANDS = [
    ["credits", "grant", "3", "25", "--reason", "goodwill", "--idempotency-key", "k-1"],
    ["credits", "grant", "3", "25", "--reason", "goodwill", "--idempotency-key", "k-1"],
    ["credits", "debit", "3", "5", "--reason", "correction"],
    ["credits", "refund", "3", "2", "--reason", "failed task"],
    ["credits", "debit", "4", "40", "--reason", "more than the balance"],
    ["credits", "import", "IMPORT_CSV"],
    ["credits", "import", "IMPORT_CSV"],
    ["credits", "history", "3"],
    ["credits", "history", "3", "--limit", "1"],
    ["credits", "audit"],
    ["user", "show", "3"],
    ["user", "show", "USER3_EMAIL"],
    ["user", "list"],
    ["user", "list", "--api"],
    ["user", "list", "--no-api", "--min-balance", "20", "--limit", "5"],
    ["user", "list", "--tier", "email"],
    ["packs", "list"],
    ["report"],
]


def test_commands_give_the_same_results_on_both_engines(qt, tmp_path):
    csv = tmp_path / "adjustments.csv"
    csv.write_text("user,action,amount,reason,idempotency_key\n3,refund,1,bulk,imp-1\n6,grant,9,bulk,imp-2\n"
                   "7,debit,1,bulk,\n")
    outputs = {}
    for engine in ("sqlite", "postgres"):
        db = make_target(engine, tmp_path, users=40, state="credit-packs", seed=5)
        assert qt("db", "upgrade", db=db).rc == 0
        # What a migration and the purchase webhook recorded, for the report's breakdowns.
        for sql in (
            "INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, "
            "old_monthly_credits, old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, "
            "new_purchased_total, new_api_access, invariant_base, policy, migrated_at) VALUES "
            "(3, 'pro', 'active', 'sub_3', 1000, 10, NULL, NULL, NULL, 990, 0, 1, 990, 'default', "
            "'2026-01-02 03:04:05.000000'), "
            "(4, 'basic', 'canceled', NULL, 200, 0, NULL, NULL, NULL, 200, 0, 0, 200, 'default', "
            "'2026-01-02 03:04:05.000000'), "
            "(5, 'pro', 'trialing', 'sub_5', 1000, 0, NULL, NULL, 0, 1000, 0, 1, 1000, 'default', "
            "'2026-01-02 03:04:05.000000')",
            "INSERT INTO quicktools_state (name, value, updated_at) VALUES "
            "('migrate.packs.completed_at', '2026-01-02 03:04:05.000000', '2026-01-02 03:04:05.000000'), "
            "('migrate.packs.completed_by', 'ops', '2026-01-02 03:04:05.000000'), "
            "('migrate.packs.policy', 'default', '2026-01-02 03:04:05.000000'), "
            "('migrate.packs.mode', 'convert', '2026-01-02 03:04:05.000000'), "
            "('migrate.packs.users', '3', '2026-01-02 03:04:05.000000')",
            "INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, credited_by, "
            "credited_at, refunded_credits) VALUES "
            "('cs_1', 6, 'starter', 100, 500, 'webapp', '2026-01-03 00:00:00.000000', 0), "
            "('cs_2', 7, 'pro', 1200, 3000, 'quicktools', '2026-01-03 00:00:00.000000', 100), "
            "('cs_3', 8, 'starter', 100, 500, 'webapp', '2026-01-03 00:00:00.000000', 0)",
            # As SQLAlchemy writes a DATETIME on SQLite; a TIMESTAMP on PostgreSQL.
            "UPDATE users SET last_purchase_date = '2026-02-03 04:05:06.500000', last_purchase_amount = 500 "
            "WHERE id = 3",
        ):
            execute(db, sql)
        # The web app's usage: 4 credits used by user 3 (what a refund gives back).
        execute(db, "UPDATE users SET credits_balance = credits_balance - 4, "
                  "credits_lifetime_used = credits_lifetime_used + 4 WHERE id = 3")
        email = query(db, "SELECT email FROM users WHERE id = 3")[0][0]
        runs = []
        for args in COMMANDS:
            args = [email if a == "USER3_EMAIL" else str(csv) if a == "IMPORT_CSV" else a for a in args]
            r = qt(*args, db=db, json=True)
            runs.append((args[:2], r.rc, normalised(r.json) if r.out.strip() else normalised(r.err)))
        outputs[engine] = runs
    for lite, pg in zip(outputs["sqlite"], outputs["postgres"]):
        assert pg == lite
    # Something really happened: the grant, its replay, the debit, the refund and a refusal; every
    # read ran.
    # (The generated credit-pack balances were not set by a recorded migration: the audit finds
    # them, exit 3, on both engines.)
    # The second import finds the keys of its keyed rows used: user 3's refund is applied once.
    assert [rc for _, rc, _ in outputs["postgres"]] == [0, 0, 0, 0, 4, 0, 0, 0, 0, 3] + [0] * (len(COMMANDS) - 10)
    assert outputs["postgres"][9][2]["violations"] > 0
    assert outputs["postgres"][10][2]["last_purchase_date"] == "2026-02-03 04:05:06.500000"
    report = outputs["postgres"][-1][2]
    assert report["packs_bought"] and report["migration"], report
    history = outputs["postgres"][7][2]
    assert [e["kind"] for e in history["entries"]] == ["grant", "debit", "refund", "refund"], history


def test_email_lookup_ignores_ascii_case_only(qt, make_db):
    url = make_db("postgres", users=5, state="credit-packs")
    email = query(url, "SELECT email FROM users WHERE id = 2")[0][0]
    r = qt("user", "show", email.upper(), db=url, json=True)
    assert r.rc == 0, r.err
    assert r.json["id"] == 2
    # Only ASCII letters fold, as SQLite's NOCASE folds them.
    query(url, "UPDATE users SET email = 'ÄRGER@example.com' WHERE id = 4")
    assert qt("user", "show", "ärger@example.com", db=url).rc != 0
    assert qt("user", "show", "ÄRGER@EXAMPLE.COM", db=url, json=True).json["id"] == 4


def rows(db, sql):
    """Rows with PostgreSQL's booleans as SQLite's 0/1."""
    return [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in query(db, sql)]


def test_stripe_replay_gives_the_same_results_on_both_engines(qt, tmp_path):
    events = tmp_path / "events.json"
    subprocess.run([sys.executable, str(ROOT / "tests" / "tools" / "make_events.py"), str(events), "--events", "1500",
                    "--users", "60", "--seed", "3"], check=True)
    runs, tables = {}, {}
    for engine in ("sqlite", "postgres"):
        db = make_target(engine, tmp_path, users=60, state="credit-packs", seed=3)
        assert qt("db", "upgrade", db=db).rc == 0
        runs[engine] = []
        for args in (["--dry-run"], [], [], ["--retry"]):
            r = qt("stripe", "replay", *args, str(events), db=db, json=True)
            runs[engine].append((r.rc, normalised(r.json)))
        tables[engine] = [rows(db, sql) for sql in (
            "SELECT id, credits_balance, credits_purchased_total, api_access_unlocked, last_purchase_date, "
            "last_purchase_amount FROM users ORDER BY id",
            "SELECT session_id, user_id, pack, credits, amount_total, payment_intent, credited_by, refunded_credits, "
            "currency, amount_subtotal FROM quicktools_checkout_sessions ORDER BY session_id",
            "SELECT event_id, type, created, livemode, object_id, outcome, detail FROM quicktools_stripe_events "
            "ORDER BY event_id")]
    assert runs["postgres"] == runs["sqlite"]
    assert tables["postgres"] == tables["sqlite"]
    # The first run credited purchases; the second credits nothing again.
    first, second = runs["postgres"][1][1], runs["postgres"][2][1]
    assert first["counts"]["credited"] > 1000 and first["credits_added"] > 0
    assert second["counts"]["credited"] == 0 and second["credits_added"] == 0
    assert second["counts"]["duplicate"] > 1000
    assert len(tables["postgres"][1]) == first["counts"]["credited"]
