"""db drop-deprecated on PostgreSQL: ALTER TABLE users DROP COLUMN in one transaction, with the views,
triggers, indexes and constraints on the columns reported as on SQLite; under a held lock it fails
within the lock timeout and changes nothing; killed mid-way, the columns stay; the backup taken
first is pg_dump's (see test_backup_postgres.py for db backup itself)."""
import os
import signal
import stat
import subprocess
import time

import pytest

from conftest import dump, query, start_qt
from test_postgres import dbname, hold_lock, one_line, password_url, wait_until_quicktools_waits_for_a_lock

DEPRECATED = ["subscription_tier", "subscription_status", "stripe_subscription_id", "monthly_credits",
              "credits_used_this_month", "credits_reset_date"]


def columns(url):
    return [r[0] for r in query(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                     "current_schema() AND table_name = 'users' ORDER BY ordinal_position")]


@pytest.fixture
def migrated(qt, make_db):
    """A credit-packs database on PostgreSQL, upgraded, marked as migrated, without active subscriptions."""
    def make(users=30, setup=(), cancel=True):
        url = make_db("postgres", users=users, state="credit-packs", tasks_per_user=1)
        for statement in setup:
            query(url, statement)
        assert qt("db", "upgrade", db=url).rc == 0
        query(url, "INSERT INTO quicktools_state (name, value, updated_at) VALUES "
                   "('migrate.packs.completed_at', '2026-11-25 10:00:00.000000', '2026-11-25 10:00:00.000000')")
        if cancel:
            query(url, "UPDATE users SET subscription_status = 'canceled', stripe_subscription_id = NULL")
        return url
    return make


DEPENDENTS = [
    "CREATE INDEX ix_users_tier ON users (subscription_tier)",
    "CREATE INDEX ix_users_partial ON users (email) WHERE monthly_credits > 0",
    "CREATE INDEX ix_users_lower_email ON users (lower(email))",
    "ALTER TABLE users ADD CONSTRAINT ck_users_credits CHECK (monthly_credits >= 0) NOT VALID",
    "CREATE VIEW paying AS SELECT id, email FROM users WHERE subscription_status = 'active'",
    "CREATE VIEW paying_emails AS SELECT email FROM paying",
    "CREATE VIEW rich AS SELECT id, credits_balance FROM users WHERE credits_balance > 100",
    "CREATE TABLE tier_log (user_id integer, tier text)",
    "CREATE FUNCTION log_tier() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN INSERT INTO tier_log VALUES (NEW.id, NEW.subscription_tier); RETURN NEW; END$$",
    "CREATE TRIGGER users_tier_log AFTER UPDATE OF subscription_tier ON users FOR EACH ROW EXECUTE FUNCTION log_tier()",
    "CREATE FUNCTION log_reset() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN INSERT INTO tier_log VALUES (NEW.id, NEW.credits_reset_date::text); RETURN NEW; END$$",
    "CREATE TRIGGER users_reset_log AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION log_reset()",
    "CREATE FUNCTION log_balance() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN INSERT INTO tier_log VALUES (NEW.id, 'balance ' || 'subscription_tier'); RETURN NEW; END$$",
    "CREATE TRIGGER users_balance_log AFTER UPDATE OF credits_balance ON users FOR EACH ROW "
    "EXECUTE FUNCTION log_balance()",
]


def test_dependent_objects_are_kept_or_dropped_and_reported(qt, migrated):
    url = migrated(setup=DEPENDENTS)
    users_before = query(url, "SELECT id, email, credits_balance FROM users ORDER BY id")
    plan = qt("db", "drop-deprecated", "--dry-run", db=url, json=True)
    assert plan.rc == 0, plan.err
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=url, json=True)
    assert r.rc == 0, r.err
    for key in ("dropped", "recreated", "removed_constraints"):
        assert plan.json[key] == r.json[key]
    dropped = {d["name"]: (d["type"], d["reason"]) for d in r.json["dropped"]}
    kept = {(d["type"], d["name"]) for d in r.json["recreated"]}
    assert set(dropped) == {"ix_users_tier", "ix_users_partial", "paying", "paying_emails", "users_tier_log",
                            "users_reset_log"}
    assert dropped["ix_users_tier"] == ("index", "uses the dropped column subscription_tier")
    assert dropped["ix_users_partial"] == ("index", "uses the dropped column monthly_credits")
    assert dropped["paying"] == ("view", "uses the dropped column subscription_status")
    assert dropped["paying_emails"] == ("view", "uses the view paying, which is dropped")
    assert dropped["users_tier_log"] == ("trigger", "uses the dropped column subscription_tier")
    assert dropped["users_reset_log"][0] == "trigger" and "log_reset" in dropped["users_reset_log"][1] \
        and "credits_reset_date" in dropped["users_reset_log"][1]
    assert {("index", "ix_users_lower_email"), ("view", "rich"), ("trigger", "users_balance_log")} <= kept
    assert not {name for _, name in kept} & set(dropped)
    assert [c for c in r.json["removed_constraints"] if c.startswith("ck_users_credits ")]
    assert r.json["state_after"] == "final" and r.json["users"] == len(users_before)

    assert not set(DEPRECATED) & set(columns(url))
    assert query(url, "SELECT id, email, credits_balance FROM users ORDER BY id") == users_before
    names = {row[0] for row in query(url, "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace")}
    assert {"ix_users_lower_email", "rich"} <= names and not {"ix_users_tier", "ix_users_partial", "paying",
                                                               "paying_emails"} & names
    triggers = {row[0] for row in query(url, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                                               "AND tgrelid = 'users'::regclass")}
    assert triggers == {"users_balance_log"}
    assert query(url, "SELECT conname FROM pg_constraint WHERE conname = 'ck_users_credits'") == []
    # What stays still works: the kept trigger fires, the kept view reads.
    query(url, "UPDATE users SET credits_balance = credits_balance + 1 WHERE id = 1")
    assert query(url, "SELECT tier FROM tier_log") == [("balance subscription_tier",)]
    assert query(url, "SELECT count(*) FROM rich") == query(url, "SELECT count(*) FROM users WHERE credits_balance > 100")
    assert query(url, "SELECT version, kind FROM quicktools_schema_history WHERE version = 4") == [(4, "applied")]
    again = qt("db", "drop-deprecated", "--dry-run", db=url)
    assert again.rc == 0 and "nothing to do" in again.out


def test_dry_run_lists_the_statements_and_changes_nothing(qt, migrated):
    url = migrated(setup=DEPENDENTS[:1])
    before = dump(url)
    r = qt("db", "drop-deprecated", "--dry-run", "--vacuum", db=url)
    assert r.rc == 0, r.err
    assert "Would drop from users" in r.out and "index ix_users_tier: dropped, uses the dropped column " \
                                                "subscription_tier" in r.out
    assert "LOCK TABLE users IN EXCLUSIVE MODE;" in r.out
    assert "ALTER TABLE users DROP COLUMN subscription_tier, DROP COLUMN subscription_status" in r.out
    assert "VACUUM" not in r.out
    assert dump(url) == before


def test_refusals_as_on_sqlite(qt, migrated, make_db):
    active = migrated()
    query(active, "UPDATE users SET subscription_status = 'active', stripe_subscription_id = 'sub_' || id "
                  "WHERE id IN (2, 3)")
    before = dump(active)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=active)
    assert r.rc == 4 and "2 user(s) still have a Stripe subscription" in r.err and "user ids 2, 3" in r.err
    assert dump(active) == before
    forced = qt("db", "drop-deprecated", "--yes", "--no-backup", "--force", db=active, json=True)
    assert forced.rc == 0 and forced.json["active_subscriptions"] == 2
    assert not set(DEPRECATED) & set(columns(active))

    not_migrated = make_db("postgres", users=5, state="credit-packs")
    assert qt("db", "upgrade", db=not_migrated).rc == 0
    before = dump(not_migrated)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=not_migrated)
    assert r.rc == 4 and "have not been moved to credit packs yet" in r.err
    assert dump(not_migrated) == before


def test_drop_then_verify_is_clean_and_vacuum_is_not_needed(qt, migrated):
    url = migrated()
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", "--vacuum", db=url)
    assert r.rc == 0, r.err
    assert "Dropped from users" in r.out and "No VACUUM: on PostgreSQL DROP COLUMN only marks" in r.out
    assert not set(DEPRECATED) & set(columns(url))
    v = qt("db", "verify", db=url)
    assert v.rc == 0, v.out + v.err
    s = qt("db", "status", db=url, json=True)
    assert s.rc == 0 and s.json["state"] == "final"


USERS_SIZE = "SELECT pg_total_relation_size('users')"


@pytest.mark.parametrize("indexed", [False, True])
def test_the_sizes_reported_are_the_users_tables_on_the_server(qt, migrated, indexed):
    url = migrated(users=300, setup=DEPENDENTS[:1] if indexed else ())
    query(url, "VACUUM users")  # its free space and visibility maps made now, not by autovacuum meanwhile
    plan = qt("db", "drop-deprecated", "--dry-run", db=url, json=True)
    dropped_indexes = [d["name"] for d in plan.json["dropped"] if d["type"] == "index"]
    assert dropped_indexes == (["ix_users_tier"] if indexed else [])
    before = query(url, USERS_SIZE)[0][0]
    index_bytes = sum(query(url, "SELECT pg_relation_size(?::regclass)", (name,))[0][0] for name in dropped_indexes)
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=url, json=True)
    assert r.rc == 0, r.err
    assert r.json["bytes_of"] == "users_table"
    assert r.json["bytes_before"] == before > 0
    # DROP COLUMN leaves the rows as they are: only a dropped index's space goes.
    assert r.json["bytes_after"] == query(url, USERS_SIZE)[0][0] == before - index_bytes
    assert (r.json["bytes_after"] < before) if indexed else (r.json["bytes_after"] == before)


def test_the_text_says_what_the_size_is(qt, migrated):
    url = migrated()
    query(url, "VACUUM users")
    size = query(url, USERS_SIZE)[0][0]
    r = qt("db", "drop-deprecated", "--yes", "--no-backup", db=url)
    assert r.rc == 0, r.err
    assert f"Size of users on the server (table, TOAST and indexes): {size} -> {size} bytes. DROP COLUMN does " \
           "not rewrite the table: its rows keep their space (reused as they are updated); only the indexes " \
           "dropped with the columns give theirs back." in r.out
    assert "Vacuumed" not in r.out


@pytest.mark.parametrize("lock", ["LOCK TABLE users IN ACCESS SHARE MODE",
                                  "SELECT id FROM users WHERE id = 1 FOR UPDATE"])
def test_a_held_lock_makes_it_fail_within_the_timeout_and_change_nothing(qt, migrated, pg_server, lock):
    url = migrated()
    before = dump(url)
    holder = hold_lock(pg_server, dbname(url), lock, 8)
    try:
        started = time.time()
        r = qt("--busy-timeout", "400", "db", "drop-deprecated", "--yes", "--no-backup", db=url)
        elapsed = time.time() - started
    finally:
        holder.kill()
        holder.wait()
    assert r.rc == 1, r.err
    line = one_line(r.err)
    assert "is locked by another writer" in line and "400 ms" in line and "nothing was changed" in line
    assert elapsed < 4
    assert set(DEPRECATED) <= set(columns(url))
    assert dump(url) == before


def test_killed_while_waiting_for_the_lock_leaves_the_columns(qt, migrated, pg_server):
    url = migrated()
    before = dump(url)
    holder = hold_lock(pg_server, dbname(url), "LOCK TABLE users IN ACCESS SHARE MODE", 3)
    p = start_qt("--busy-timeout", "60000", "db", "drop-deprecated", "--yes", "--no-backup", db=url)
    try:
        wait_until_quicktools_waits_for_a_lock(url)
        p.send_signal(signal.SIGKILL)
        p.wait()
    finally:
        holder.wait()
    deadline = time.time() + 20
    while query(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'quicktools'")[0][0] > 0:
        assert time.time() < deadline, "the killed session never ended"
        time.sleep(0.1)
    assert set(DEPRECATED) <= set(columns(url))
    assert dump(url) == before
    # And a drop afterwards goes through.
    assert qt("db", "drop-deprecated", "--yes", "--no-backup", db=url).rc == 0


def test_backup_first_is_a_restorable_dump_named_without_the_password(qt, migrated, pg_server, tmp_path):
    url = migrated(setup=DEPENDENTS[:1])
    before = dump(url)
    full = password_url(pg_server, dbname(url))
    r = qt("db", "drop-deprecated", "--yes", db=full, json=True, cwd=tmp_path)
    assert r.rc == 0, r.err
    for secret in (pg_server.password,):
        assert secret not in r.out and secret not in r.err
    path = r.json["backup"]
    assert path.startswith(f"quicktools-{dbname(url)}-") and path.endswith(".dump") and "/" not in path
    assert pg_server.password not in path
    backup = tmp_path / path
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [path]
    restored = pg_server.create_database(dbname(url) + "_restored")
    try:
        subprocess.run([os.path.join(os.path.dirname(pg_server.psql_command()[0]), "pg_restore"), "--no-owner",
                        "-d", restored, str(backup)], check=True, capture_output=True)
        assert dump(restored) == before
    finally:
        pg_server.drop_database(dbname(url) + "_restored")
    assert not set(DEPRECATED) & set(columns(url))


def test_without_pg_dump_the_drop_says_what_to_do_and_changes_nothing(qt, migrated, tmp_path):
    url = migrated()
    before = dump(url)
    r = qt("db", "drop-deprecated", "--yes", "--backup", str(tmp_path / "b.dump"), db=url,
           env={"PATH": str(tmp_path)})
    assert r.rc == 1
    line = one_line(r.err)
    assert "pg_dump" in line and "install postgresql-client" in line and "--no-backup" in line
    assert dump(url) == before and list(tmp_path.iterdir()) == []
