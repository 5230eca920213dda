"""Crash harness: every long write is killed with SIGKILL at several points of its run; the database
must then be exactly as before or exactly as after a clean run (never anything in between), and
running the command again must complete the work once (the clean run's content, audit clean).

The databases are generated once per session and copied for each kill point. Content is compared
through a digest of the schema and every row; the moments a run records (columns ending in `_at`
in the tool tables, `quicktools_state` values named `*_at`) are left out, since two clean runs
differ only there (checked below).

On PostgreSQL the same, with a database per kill point made from the base one (CREATE DATABASE
... TEMPLATE), the write phase from the moment the tool's session has a transaction id (its first
write; pg_stat_activity.backend_xid) and the digest computed by the server (md5 of each table's
rows in order, of the catalog's description of the schema). There the ids a sequence gave a
killed transaction are not given back, so the tool's own BIGSERIAL ids are left out of the
digest as well. Smaller runs there (the suite's time): still several kills mid-write each.
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import (BIN, drop_pg_database, execute, make_database, make_target, new_name, pg_server_instance, query,
                      run_qt)
from stripe_events import purchases_file
from webapp_writer import PsqlSession

# kill -9 at many points of each bulk write: a minute or more (`./scripts/dev.sh test --quick` skips it).
pytestmark = pytest.mark.slow

USERS = int(os.environ.get("QUICKTOOLS_CRASH_USERS", "100000"))
EVENTS = 3000
IMPORT_ROWS = 20000
PG = {"users": 10000, "events": 1500, "import_rows": 2000}
PG_FRACTIONS = (-1, 0.0, 0.3, 0.7)
# Kill points: once early (before any write), then at fractions of the clean run's write phase,
# counted from the moment its rollback journal appears (a kill after the end is no kill).
FRACTIONS = (-1, 0.0, 0.2, 0.4, 0.6, 0.85)  # -1: before the write starts


def check_after_kill(name, fraction, args, target, digest_of, before, after, seen):
    """After a kill: the database exactly as before or as after a clean run; the same command
    then completes the work once (the clean run's content, audit clean)."""
    now = digest_of(target)
    assert now in (before, after), f"{name}: killed at {fraction:.0%} of the write left a third state"
    seen["before" if now == before else "after"] += 1
    r = run_qt(*args, db=target)
    assert r.rc == 0, (name, r.err)
    assert digest_of(target) == after, f"{name}: the re-run after a kill at {fraction:.0%} did not end as a clean run"
    audit_clean(target)


def volatile(table, column):
    return table != "users" and column.endswith("_at")


def digest(path):
    """Per table, SHA3 of its rows in order (the run's own moments left out), and of the schema;
    hashed by the sqlite3 shell's sha3_query, in C."""
    con = sqlite3.connect(str(path))  # opening it rolls a hot journal back
    try:
        assert con.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        queries = {"schema": "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            exprs = ["NULL" if volatile(table, c) else f'"{c}"' for c in cols]
            if table == "quicktools_state":
                exprs = ["name", "CASE WHEN name LIKE '%\\_at' ESCAPE '\\' THEN NULL ELSE value END"]
            order = ", ".join(map(str, range(1, len(exprs) + 1)))
            queries[table] = f'SELECT {", ".join(exprs)} FROM "{table}" ORDER BY {order}'
    finally:
        con.close()
    script = "".join("SELECT '{}', hex(sha3_query('{}'));\n".format(t, q.replace("'", "''")) for t, q in queries.items())
    out = subprocess.run(["sqlite3", "-readonly", str(path)], input=script, capture_output=True, text=True, check=True)
    return dict(line.split("|") for line in out.stdout.splitlines())


def copy(src, dst):
    shutil.copyfile(src, dst)
    return dst


def audit_clean(path):
    r = run_qt("credits", "audit", db=path, json_out=True)
    assert r.rc == 0 and r.json["violations"] == 0, r.out + r.err


def import_file(path, users, rows=IMPORT_ROWS):
    rnd = random.Random(11)
    with open(path, "w") as f:
        f.write("user,action,amount,reason,idempotency_key\n")
        for i in range(rows):
            f.write(f"{rnd.randint(1, users)},grant,{rnd.randint(1, 50)},crash test row {i},crash-{i}\n")
    return path


def start(args, path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUICKTOOLS_DB", "STRIPE_"))}
    return subprocess.Popen([BIN, "--db", str(path), *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)


def wait_for_writing(p, path):
    """Seconds until the rollback journal appears (the first page written), or None if it ended first."""
    journal = path.with_name(path.name + "-journal")
    t0 = time.monotonic()
    while not journal.exists():
        if p.poll() is not None:
            return None
        time.sleep(0.0005)
    return time.monotonic() - t0


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """The four long writes: args, the database before, its digest, the digest after a clean run,
    and how long the clean run wrote (from the journal's appearance to the end)."""
    d = tmp_path_factory.mktemp("crash")
    legacy = make_database(d / "legacy.db", users=USERS, state="legacy", seed=5)
    cases = {"migrate packs": (["migrate", "packs", "--no-backup"], legacy)}
    migrated = copy(legacy, d / "migrated.db")
    assert run_qt("migrate", "packs", "--no-backup", db=migrated).rc == 0
    con = sqlite3.connect(str(migrated))
    with con:
        con.execute("UPDATE users SET subscription_status = 'canceled', stripe_subscription_id = NULL")
    con.close()
    cases["stripe replay"] = (["stripe", "replay", purchases_file(d / "events.ndjson", USERS, EVENTS)], migrated)
    cases["credits import"] = (["credits", "import", import_file(d / "grants.csv", USERS)], migrated)
    cases["db drop-deprecated"] = (["db", "drop-deprecated", "--yes", "--no-backup"], migrated)
    out = {}
    for name, (args, base) in cases.items():
        path = copy(base, d / "clean.db")
        p = start(args, path)
        waited = wait_for_writing(p, path)
        t0 = time.monotonic()
        assert p.wait() == 0 and waited is not None, name
        writing = time.monotonic() - t0
        out[name] = (args, base, digest(base), digest(path), writing)
        assert out[name][2] != out[name][3]
    return d, out


@pytest.mark.parametrize("name", ["migrate packs", "stripe replay", "credits import", "db drop-deprecated"])
def test_sigkill_leaves_before_or_after_and_a_rerun_completes_once(world, name):
    d, cases = world
    args, base, before, after, writing = cases[name]
    seen = {"before": 0, "after": 0}
    kills = mid_write = 0
    for n, fraction in enumerate(FRACTIONS):
        path = copy(base, d / f"kill{n}.db")
        p = start(args, path)
        if fraction < 0:  # before it writes: while it starts, reads and checks
            time.sleep(0.02)
        elif wait_for_writing(p, path) is not None:
            time.sleep(writing * fraction)
        if p.poll() is None:
            journal = path.with_name(path.name + "-journal")
            p.send_signal(signal.SIGKILL)
            kills += 1
            mid_write += journal.exists() and journal.stat().st_size > 0
        p.wait()
        check_after_kill(name, fraction, args, path, digest, before, after, seen)
    # And once more on the completed database: nothing applies twice (the replay's events are
    # duplicates, the import's keyed rows are skipped, the migration and the drop say they ran).
    r = run_qt(*args, db=path)
    assert r.rc in (0, 4) and digest(path) == after, (name, r.rc, r.err)
    print(f"{name}: {kills} kills ({mid_write} with a hot journal) over a write of {writing:.2f} s, {seen}")
    assert kills >= len(FRACTIONS) // 2, f"{name}: only {kills} kills landed while the process ran"
    assert mid_write >= 2, f"{name}: only {mid_write} kills landed mid-write"


# --- PostgreSQL ------------------------------------------------------------------------------

def pg_volatile(table, column, default):
    return volatile(table, column) or (table.startswith("quicktools_") and "nextval(" in (default or ""))


def pg_digest(url):
    """Per table, md5 of its rows in order (the run's own moments and the tool's serial ids left
    out), and of the schema (columns, constraints, indexes, views); computed by the server."""
    cols = {}
    for table, column, default in query(url, "SELECT table_name, column_name, column_default FROM "
                                             "information_schema.columns c JOIN information_schema.tables t "
                                             "USING (table_schema, table_name) WHERE table_schema = 'public' "
                                             "AND table_type = 'BASE TABLE' ORDER BY table_name, ordinal_position"):
        cols.setdefault(table, []).append("NULL" if pg_volatile(table, column, default) else f'"{column}"')
    if "quicktools_state" in cols:
        cols["quicktools_state"] = ["name", "CASE WHEN name LIKE '%\\_at' THEN NULL ELSE value END"]
    parts = ["""SELECT 'schema', md5(string_agg(x, E'\\n' ORDER BY x)) FROM (
        SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '
               || coalesce(column_default, '') AS x FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL SELECT viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'
        UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                  WHERE connamespace = 'public'::regnamespace) s"""]
    for table, exprs in sorted(cols.items()):
        parts.append(f"SELECT '{table}', md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) "
                     f'FROM (SELECT {", ".join(exprs)} FROM "{table}") r')
    return dict(query(url, "SELECT * FROM (" + " UNION ALL ".join(f"({p})" for p in parts) + ") d"))


def pg_copy(template):
    """A new database with the content of `template` (no session may be on it)."""
    name = new_name()
    pg_server_instance().psql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"')
    return pg_server_instance().url(name)


class ToolSessions:
    """The server's view of the tool's sessions on one database, through a psql session of its
    own (a query in about a millisecond)."""

    def __init__(self, url):
        self.db = url.rsplit("/", 1)[1]
        self.psql = PsqlSession(pg_server_instance().url("postgres"))

    def count(self, writing=False):
        [[n]] = self.psql.run(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{self.db}' AND "
                              "application_name = 'quicktools'" + (" AND backend_xid IS NOT NULL;" if writing else ";"))
        return int(n)

    def wait_for_writing(self, p):
        """Seconds until the tool's transaction wrote its first row, or None if it ended first."""
        t0 = time.monotonic()
        while not self.count(writing=True):
            if p.poll() is not None:
                return None
        return time.monotonic() - t0

    def wait_until_gone(self):
        """Until the server has ended the killed tool's session (its transaction rolled back)."""
        deadline = time.monotonic() + 30
        while self.count():
            assert time.monotonic() < deadline, "the killed tool's session stayed on the server"
            time.sleep(0.01)

    def close(self):
        self.psql.close()


@pytest.fixture(scope="session")
def pg_world(tmp_path_factory):
    """world() on PostgreSQL (PG's sizes), made as each case is first asked for (an xdist worker
    makes only what its tests need): pg_world(name) -> (args, base, before, after, writing); the
    base databases are templates."""
    d = tmp_path_factory.mktemp("crash_pg")
    bases, out = {}, {}

    def base(kind):
        if kind not in bases:
            if kind == "legacy":
                bases[kind] = make_target("postgres", d, users=PG["users"], state="legacy", seed=5)
            elif kind == "slow ddl":
                # The drop's ALTER TABLE takes milliseconds, too short a write for kills to land in:
                # an event trigger that sleeps after each DDL command keeps its transaction open.
                bases[kind] = pg_copy(base("migrated"))
                execute(bases[kind], "CREATE FUNCTION slow_ddl() RETURNS event_trigger LANGUAGE plpgsql AS "
                                     "$$ BEGIN PERFORM pg_sleep(0.2); END $$")
                execute(bases[kind], "CREATE EVENT TRIGGER slow_ddl ON ddl_command_end EXECUTE FUNCTION slow_ddl()")
            else:
                bases[kind] = pg_copy(base("legacy"))
                assert run_qt("migrate", "packs", "--no-backup", db=bases[kind]).rc == 0
                execute(bases[kind], "UPDATE users SET subscription_status = 'canceled', stripe_subscription_id = NULL")
        return bases[kind]

    def case(name):
        if name not in out:
            args = {"migrate packs": ["migrate", "packs", "--no-backup"],
                    "stripe replay": ["stripe", "replay",
                                      purchases_file(d / "events.ndjson", PG["users"], PG["events"])],
                    "credits import": ["credits", "import",
                                       import_file(d / "grants.csv", PG["users"], PG["import_rows"])],
                    "db drop-deprecated": ["db", "drop-deprecated", "--yes", "--no-backup"]}[name]
            start_from = base({"migrate packs": "legacy", "db drop-deprecated": "slow ddl"}.get(name, "migrated"))
            url = pg_copy(start_from)
            sessions = ToolSessions(url)
            p = start(args, url)
            waited = sessions.wait_for_writing(p)
            t0 = time.monotonic()
            assert p.wait() == 0 and waited is not None, name
            writing = time.monotonic() - t0
            sessions.close()
            out[name] = (args, start_from, pg_digest(start_from), pg_digest(url), writing)
            assert out[name][2] != out[name][3]
            drop_pg_database(url)
        return out[name]
    yield case
    for url in bases.values():
        drop_pg_database(url)


@pytest.mark.parametrize("name", ["migrate packs", "stripe replay", "credits import", "db drop-deprecated"])
def test_sigkill_on_postgres_leaves_before_or_after_and_a_rerun_completes_once(pg_world, name):
    args, base, before, after, writing = pg_world(name)
    seen = {"before": 0, "after": 0}
    kills = mid_write = 0
    for fraction in PG_FRACTIONS:
        url = pg_copy(base)
        sessions = ToolSessions(url)
        try:
            p = start(args, url)
            if fraction < 0:  # before it writes: while it starts, reads and checks
                time.sleep(0.02)
            elif sessions.wait_for_writing(p) is not None:
                time.sleep(writing * fraction)
            if p.poll() is None:
                in_write = sessions.count(writing=True) > 0
                p.send_signal(signal.SIGKILL)
                kills += 1
                mid_write += in_write
            p.wait()
            sessions.wait_until_gone()
        finally:
            sessions.close()
        check_after_kill(name, fraction, args, url, pg_digest, before, after, seen)
        if fraction != PG_FRACTIONS[-1]:
            drop_pg_database(url)
    r = run_qt(*args, db=url)
    assert r.rc in (0, 4) and pg_digest(url) == after, (name, r.rc, r.err)
    drop_pg_database(url)
    print(f"{name} (PostgreSQL): {kills} kills ({mid_write} mid-transaction) over a write of {writing:.2f} s, {seen}")
    assert kills >= len(PG_FRACTIONS) // 2, f"{name}: only {kills} kills landed while the process ran"
    assert mid_write >= 2, f"{name}: only {mid_write} kills landed mid-write"
