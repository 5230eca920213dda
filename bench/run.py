#!/usr/bin/python3
"""Benchmarks of quicktools against its peers, side by side in one run.

    bench/run.py [CASE ...] [--users N] [--rounds R] [--events N] [--work DIR]
                 [--only CONTENDER] [--quicktools BIN] [--engine sqlite|postgres]

(usually through `./scripts/dev.sh bench ...`, which builds first). Cases, all by default:

  migrate        `migrate packs` on a legacy database of --users users, against the SQLAlchemy
                 ORM script (peers/migrate_orm.py) and bare set-based SQL (peers/floor_migrate.sql)
  replay         `stripe replay` of --events events, against the Python webhook handler
                 (peers/replay_handler.py) and its bare-SQL floor (peers/floor_replay.py)
  credits        `credits import` of --events adjustment rows (grants and debits), against the
                 same rows as bare SQL; then `credits audit` of the imported database
  drop           `db drop-deprecated` on a migrated database, against ALTER TABLE DROP COLUMN
                 (peers/floor_drop.sql)
  import-memory  peak memory of `credits import` given a 256 MB malformed CSV (a header, then
                 commas), under an address-space cap of 2 GB so a tool without a bound fails
                 instead of taking the machine's memory

Inputs are generated once and cached under --work (tests/tools/make_legacy_db.py,
tests/tools/make_events.py, then `quicktools migrate packs`); every measured run gets a fresh
copy of its database, synced to disk before the clock starts. Each round runs every contender
once, in turn (A B C A B C ...). Wall time is measured here; peak RSS is that of the command
alone (GNU time's %M). After each run a few sums of the resulting database are read and must
agree between the contenders of a case, so a contender that does less work fails the run.

Prints per case the best and median time, the peak RSS, and for each peer the ratio on best
and on median times with the target, judged on medians. At the end, a summary of all cases.

--engine postgres runs the migrate, replay and drop cases on PostgreSQL instead: the run
starts its own throwaway PostgreSQL cluster (tests/tools/pg_cluster.py; durable settings,
autovacuum off so it cannot land inside a measurement) and every contender works on the same
server. The inputs are made there once per run (the same generator and seed, so the same rows
as the SQLite files); every measured run gets its own copy of the database (CREATE DATABASE
... TEMPLATE, then a CHECKPOINT before the clock starts). The peers are the same programs
given a postgresql:// URL (migrate_orm.py, replay_handler.py through psycopg2) and the floors
run through psql (floor_migrate.postgres.sql, floor_replay.py's output in PostgreSQL's
spelling, floor_drop.postgres.sql). The peak RSS is the client's (the tool, the Python peer,
or psql for a floor); the server's work is in the wall time. A quicktools that cannot do a
case on PostgreSQL is reported as failed (its message) and the peers still run.
"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / "peers"
TOOLS = ROOT / "tests" / "tools"
PYTHON = "/usr/bin/python3"
TIME = "/usr/bin/time"
MB = 1024 * 1024

IMPORT_MEMORY_MB = 256      # size of the malformed CSV
IMPORT_MEMORY_CAP_MB = 2048  # address-space cap of the import-memory run


@dataclass
class Target:
    kind: str               # "faster": peer / tool >= value; "within": tool / peer <= value;
    value: Optional[float]  # "ratio": tool / peer, no bound; "memory": tool peak < value MB
    peer: str = ""

    def failed_text(self):
        return {"faster": lambda: f"{self.value:g}x faster than {self.peer}",
                "within": lambda: f"within {self.value:g}x of {self.peer}",
                "ratio": lambda: f"ratio to {self.peer}",
                "memory": lambda: f"peak < {self.value:g} MB"}[self.kind]()

    def text(self):
        return {"faster": f">= {self.value:g}x faster", "within": f"<= {self.value:g}x",
                "ratio": "the limit", "memory": f"peak < {self.value:g} MB"}[self.kind]


@dataclass
class Contender:
    name: str
    command: Callable[[Path], List[str]]    # given the run's copy of the database
    stdin: Optional[Callable[[], Path]] = None
    source: Optional[Callable[[], Path]] = None  # its own database, else the case's
    ok_exit: Callable[[int], bool] = lambda rc: rc == 0
    compare: bool = True                     # its resulting state must match the others'
    exit_notes: dict = field(default_factory=dict)  # what an accepted non-zero exit means
    limit_as_mb: Optional[int] = None
    may_fail: bool = False                   # a failure is reported and the others go on


@dataclass
class Case:
    name: str
    what: str
    source: Callable[[], Path]
    contenders: List[Contender]
    targets: List[Target] = field(default_factory=list)
    state_sql: str = ""                      # read after each run; equal for every compared contender


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


class Inputs:
    """The generated inputs, built on first use and kept under the work directory."""

    def __init__(self, args):
        self.args = args
        self.work = Path(args.work)
        self.qt = str(Path(args.quicktools).resolve())

    def cached(self, name, build):
        path = self.work / name
        if not path.exists():
            tmp = self.work / f"making-{name}"
            if tmp.exists():
                tmp.unlink()
            log(f"making {path} (once; kept for later runs) ...")
            build(tmp)
            tmp.rename(path)
        return path

    def legacy(self, users):
        return self.cached(f"legacy-{users}.db", lambda out: sh(
            [PYTHON, TOOLS / "make_legacy_db.py", out, "--users", users], stdout=subprocess.DEVNULL))

    def packs(self, users):
        """A database migrated to credit packs by quicktools itself (its records and state row)."""
        def build(out):
            shutil.copyfile(self.legacy(users), out)
            sh([self.qt, "--db", out, "-q", "migrate", "packs", "--no-backup"], stdout=subprocess.DEVNULL)
        return self.cached(f"packs-{users}.db", build)

    def events(self):
        a = self.args
        return self.cached(f"events-{a.events}-{a.users}.json", lambda out: sh(
            [PYTHON, TOOLS / "make_events.py", out, "--events", a.events, "--users", a.users]))

    def floor_replay_sql(self):
        a = self.args
        return self.cached(f"floor-replay-{a.events}-{a.users}.sql", lambda out: sh(
            [PYTHON, PEERS / "floor_replay.py", self.packs(a.users), self.events(), out], stdout=subprocess.DEVNULL))

    def adjustments(self):
        """The CSV of --events adjustments and the same rows as bare SQL (cached together)."""
        a = self.args
        csv_path = self.work / f"adjust-{a.events}-{a.users}.csv"
        sql_path = self.cached(f"adjust-{a.events}-{a.users}.sql",
                               lambda out: write_adjustments(self.packs(a.users), a.events, csv_path, out))
        return csv_path, sql_path

    def imported(self):
        """The migrated database after the adjustments, for `credits audit`."""
        def build(out):
            shutil.copyfile(self.packs(self.args.users), out)
            sh([self.qt, "--db", out, "-q", "credits", "import", "--actor", "bench", self.adjustments()[0]],
               stdout=subprocess.DEVNULL)
        return self.cached(f"imported-{self.args.events}-{self.args.users}.db", build)

    def malformed_csv(self):
        def build(out):
            chunk = b"," * MB
            with open(out, "wb") as f:
                f.write(b"user,action,amount,reason,idempotency_key\n")
                for _ in range(IMPORT_MEMORY_MB):
                    f.write(chunk)
        return self.cached(f"malformed-{IMPORT_MEMORY_MB}mb.csv", build)


def write_adjustments(db, rows, csv_path, sql_path, seed=11):
    """Grants and debits that never go below zero (a fifth of the users named by email, half of
    the rows with an idempotency key), and the same rows as bare SQL: per row one UPDATE and one
    ledger INSERT with the balance after precomputed, in one transaction."""
    import sqlite3
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    balance = dict(con.execute("SELECT id, credits_balance FROM users"))
    con.close()
    ids = sorted(balance)
    rng = random.Random(seed)
    stamp = "2026-01-01 00:00:00.000000"
    with open(csv_path, "w") as csv, open(sql_path, "w") as sql:
        csv.write("user,action,amount,reason,idempotency_key\n")
        sql.write("BEGIN IMMEDIATE;\n")
        for i in range(rows):
            uid = rng.choice(ids)
            current = balance[uid]
            if current > 0 and rng.random() < 0.25:
                action, amount = "debit", rng.randrange(1, min(current, 50_000) + 1)
                delta = -amount
            else:
                action, amount = "grant", rng.randrange(1, 101)
                delta = amount
            balance[uid] = current + delta
            ref = f"user{uid}@example.com" if rng.random() < 0.2 else str(uid)
            key = f"bench-{seed}-{i}" if i % 2 == 0 else ""
            reason = f"bench row {i}, ticket {rng.randrange(10000)}"
            key_sql = f"'{key}'" if key else "NULL"
            csv.write(f'{ref},{action},{amount},"{reason}",{key}\n')
            sql.write(f"UPDATE users SET credits_balance = credits_balance + {delta} WHERE id = {uid};\n"
                      "INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, purchased_delta, "
                      "used_delta, balance_after, reason, actor, source, idempotency_key, created_at) VALUES "
                      f"({uid}, '{action}', {amount}, {delta}, 0, 0, {balance[uid]}, '{reason}', 'bench', "
                      f"'import:{csv_path.name}:{i + 2}', {key_sql}, '{stamp}');\n")
        sql.write("COMMIT;\n")


class SqliteStore:
    """Each measured run's copy of a database: a file copy, synced before the clock starts."""

    def __init__(self, work):
        self.work = work

    def copy(self, source, name):
        path = self.work / f"{name}.db"
        remove_db(path)
        shutil.copyfile(source, path)
        os.sync()  # the copy's write-back must not land inside the measurement
        return path

    def state(self, target, sql):
        return state_of(target, sql)

    def remove(self, target):
        remove_db(target)


class PostgresStore:
    """Each measured run's copy of a database on the run's server: CREATE DATABASE ... TEMPLATE
    (a file copy), then a CHECKPOINT so its writes are on disk before the clock starts."""

    def __init__(self, cluster):
        self.pg = cluster

    def copy(self, source, name):
        name = name.replace("-", "_")
        self.pg.drop_database(name)
        self.pg.psql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        self.pg.psql("postgres", "CHECKPOINT")
        os.sync()
        return self.pg.url(name)

    def state(self, target, sql):
        if not sql:
            return None
        return self.pg.psql(target.rsplit("/", 1)[1], sql).stdout.strip()

    def remove(self, target):
        self.pg.drop_database(target.rsplit("/", 1)[1])


class PostgresInputs:
    """The inputs on the run's PostgreSQL server, made once per run (databases named
    legacy_N and packs_N, VACUUM FREEZE ANALYZE'd so no run pays for hint bits or statistics);
    the events file is the SQLite run's cached one."""

    def __init__(self, args, cluster, files):
        self.args, self.pg, self.files = args, cluster, files
        self.qt = files.qt
        self.made = set()
        self.notes = []

    def database(self, name, build):
        if name not in self.made:
            log(f"making database {name} on the run's PostgreSQL server ...")
            self.pg.drop_database(name)
            build(self.pg.url(name))
            self.pg.psql(name, "VACUUM (FREEZE, ANALYZE)")
            self.made.add(name)
        return name

    def legacy(self, users):
        return self.database(f"legacy_{users}", lambda url: sh(
            [PYTHON, TOOLS / "make_legacy_db.py", url, "--users", users], stdout=subprocess.DEVNULL))

    def packs(self, users):
        """Migrated to credit packs by quicktools itself; while it cannot do that on PostgreSQL,
        the generator's credit-pack state with the tool's tables (sql/postgres/migrations 003,
        005), which is what the peers need."""
        def build(url):
            self.pg.psql("postgres", f'CREATE DATABASE "packs_{users}" TEMPLATE "{self.legacy(users)}"')
            p = subprocess.run([self.qt, "--db", url, "-q", "migrate", "packs", "--no-backup"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if p.returncode == 0:
                return
            why = (p.stderr.strip().splitlines() or ["(no message)"])[-1][:200]
            self.notes.append(f"packs_{users} is the generator's credit-pack state with the tool's tables: "
                              f"quicktools migrate packs failed on PostgreSQL (exit {p.returncode}: {why})")
            log(f"  {self.notes[-1]}")
            self.pg.drop_database(f"packs_{users}")
            sh([PYTHON, TOOLS / "make_legacy_db.py", url, "--users", users, "--state", "credit-packs"],
               stdout=subprocess.DEVNULL)
            for name in ("003_tool_tables.sql", "005_stripe_lifecycle.sql"):
                self.pg.psql(f"packs_{users}", (ROOT / "sql" / "postgres" / "migrations" / name).read_text())
        return self.database(f"packs_{users}", build)

    def events(self):
        return self.files.events()

    def floor_replay_sql(self):
        """floor_replay.py's statements for the packs database on this server (made once per run:
        they depend on its balances)."""
        a = self.args
        out = self.files.work / f"floor-replay-postgres-{a.events}-{a.users}.sql"
        if "floor-replay" not in self.made:
            sh([PYTHON, PEERS / "floor_replay.py", self.pg.url(self.packs(a.users)), self.events(), out],
               stdout=subprocess.DEVNULL)
            self.made.add("floor-replay")
        return out


def make_postgres_cases(args, inputs, cluster):
    qt = inputs.qt
    users = args.users
    tool = lambda *words: (lambda db: [qt, "--db", db, "-q", *words])  # noqa: E731
    psql = lambda db: cluster.psql_command(str(db).rsplit("/", 1)[-1])  # noqa: E731
    return {
        "migrate": lambda: Case(
            "migrate", f"subscription -> credit packs, {users:,} users, on PostgreSQL",
            lambda: inputs.legacy(users),
            [Contender("quicktools", tool("migrate", "packs", "--no-backup"), may_fail=True),
             Contender("orm", lambda db: [PYTHON, PEERS / "migrate_orm.py", db]),
             Contender("floor", psql, stdin=lambda: PEERS / "floor_migrate.postgres.sql")],
            [Target("faster", 15, "orm"), Target("within", 1.5, "floor"), Target("memory", 64)],
            "SELECT count(*), sum(credits_balance), count(*) FILTER (WHERE api_access_unlocked) FROM users"),
        "replay": lambda: Case(
            "replay", f"{args.events:,} Stripe events into {users:,} users, on PostgreSQL",
            lambda: inputs.packs(users),
            [Contender("quicktools", lambda db: [qt, "--db", db, "-q", "--json", "stripe", "replay",
                                                 inputs.events()],
                       ok_exit=lambda rc: rc in (0, 3), may_fail=True,
                       exit_notes={3: "exit 3: events needing attention (the mix's unknown users)"}),
             Contender("handler", lambda db: [PYTHON, PEERS / "replay_handler.py", db, inputs.events()]),
             Contender("floor", psql, stdin=inputs.floor_replay_sql)],
            [Target("faster", 5, "handler"), Target("ratio", None, "floor"), Target("memory", 64)],
            "SELECT sum(credits_balance), sum(credits_purchased_total), count(*) FILTER (WHERE api_access_unlocked), "
            "count(last_purchase_date), max(last_purchase_date), sum(last_purchase_amount) FROM users"),
        "drop": lambda: Case(
            "drop", f"drop the six subscription columns, {users:,} users, on PostgreSQL",
            lambda: inputs.packs(users),
            [Contender("quicktools", tool("db", "drop-deprecated", "--yes", "--no-backup", "--force"), may_fail=True),
             Contender("floor", psql, stdin=lambda: PEERS / "floor_drop.postgres.sql")],
            [Target("ratio", None, "floor"), Target("memory", 64)],
            "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'users'"),
    }


def make_cases(args, inputs):
    qt = inputs.qt
    users = args.users
    tool = lambda *words: (lambda db: [qt, "--db", db, "-q", *words])  # noqa: E731
    sqlite = lambda db: ["sqlite3", db]  # noqa: E731
    return {
        "migrate": lambda: Case(
            "migrate", f"subscription -> credit packs, {users:,} users",
            lambda: inputs.legacy(users),
            [Contender("quicktools", tool("migrate", "packs", "--no-backup")),
             Contender("orm", lambda db: [PYTHON, PEERS / "migrate_orm.py", db]),
             Contender("floor", sqlite, stdin=lambda: PEERS / "floor_migrate.sql")],
            [Target("faster", 15, "orm"), Target("within", 1.5, "floor"), Target("memory", 64)],
            "SELECT count(*), sum(credits_balance), sum(api_access_unlocked) FROM users"),
        "replay": lambda: Case(
            "replay", f"{args.events:,} Stripe events into {users:,} users",
            lambda: inputs.packs(users),
            [Contender("quicktools", lambda db: [qt, "--db", db, "-q", "--json", "stripe", "replay",
                                                 inputs.events()],
                       ok_exit=lambda rc: rc in (0, 3),
                       exit_notes={3: "exit 3: events needing attention (the mix's unknown users)"}),
             Contender("handler", lambda db: [PYTHON, PEERS / "replay_handler.py", db, inputs.events()]),
             Contender("floor", sqlite, stdin=inputs.floor_replay_sql)],
            [Target("faster", 10, "handler"), Target("ratio", None, "floor"), Target("memory", 64)],
            "SELECT sum(credits_balance), sum(credits_purchased_total), sum(api_access_unlocked), "
            "count(last_purchase_date), max(last_purchase_date), sum(last_purchase_amount) FROM users"),
        "credits": lambda: Case(
            "credits", f"import {args.events:,} adjustments into {users:,} users; audit",
            lambda: inputs.packs(users),
            [Contender("quicktools", lambda db: [qt, "--db", db, "-q", "credits", "import", "--actor", "bench",
                                                 inputs.adjustments()[0]]),
             Contender("sql", sqlite, stdin=lambda: inputs.adjustments()[1]),
             Contender("audit", tool("credits", "audit"), source=inputs.imported, compare=False)],
            [Target("within", 2, "sql"), Target("memory", 64)],
            "SELECT (SELECT sum(credits_balance) FROM users), (SELECT count(*) FROM quicktools_ledger), "
            "(SELECT sum(balance_after) FROM quicktools_ledger)"),
        "drop": lambda: Case(
            "drop", f"drop the six subscription columns, {users:,} users",
            lambda: inputs.packs(users),
            [Contender("quicktools", tool("db", "drop-deprecated", "--yes", "--no-backup", "--force")),
             Contender("floor", sqlite, stdin=lambda: PEERS / "floor_drop.sql")],
            [Target("within", 0.8, "floor"), Target("memory", 64)],
            "SELECT group_concat(name) FROM (SELECT name FROM pragma_table_info('users') ORDER BY name)"),
        "import-memory": lambda: Case(
            "import-memory", f"credits import of a {IMPORT_MEMORY_MB} MB malformed CSV",
            lambda: inputs.packs(1000),
            [Contender("quicktools", lambda db: [qt, "--db", db, "-q", "credits", "import", inputs.malformed_csv()],
                       ok_exit=lambda rc: True, compare=False, limit_as_mb=IMPORT_MEMORY_CAP_MB)],
            [Target("memory", 64)]),
    }


def measure(cmd, stdin_path=None, limit_as_mb=None):
    """Wall time (s), peak RSS (MB) and exit status of one command. GNU time forks the command
    from its own small process, so the peak is the command's alone (a child forked from this
    Python would start with this Python's pages counted)."""
    def cap():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit_as_mb * MB, limit_as_mb * MB))
    with tempfile.NamedTemporaryFile("r") as out, \
            open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as stdin:
        start = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%x %M", "-o", out.name] + [str(c) for c in cmd], stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           preexec_fn=cap if limit_as_mb else None)
        wall = time.perf_counter() - start
        text = out.read()
    # Before the format's line GNU time writes "Command exited with non-zero status N", or
    # "Command terminated by signal N" (then %x is 0).
    fields = text.split()
    rc, peak_kb = int(fields[-2]), int(fields[-1])
    signal = re.search(r"terminated by signal (\d+)", text)
    if signal:
        rc = 128 + int(signal.group(1))
    return wall, peak_kb / 1024, rc, p.stderr.decode(errors="replace")


def state_of(db, sql):
    if not sql:
        return None
    return subprocess.run(["sqlite3", str(db), sql], capture_output=True, text=True, check=True).stdout.strip()


def remove_db(path):
    for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists():
            p.unlink()


def run_case(case, work, rounds, only, store):
    contenders = [c for c in case.contenders if not only or c.name in only or c is case.contenders[0]]
    log(f"== {case.name}: {case.what}")
    case.source()
    for c in contenders:  # every input ready before the first measurement
        if c.source:
            c.source()
        if c.stdin:
            c.stdin()
        c.command(work / "probe")
    runs = {c.name: [] for c in contenders}
    states = {}
    notes = {}
    failed = {}
    for r in range(rounds):
        for c in contenders:
            if c.name in failed:
                continue
            copy = store.copy((c.source or case.source)(), f"run-{case.name}-{c.name}")
            wall, peak, rc, err = measure(c.command(copy), c.stdin() if c.stdin else None, c.limit_as_mb)
            if not c.ok_exit(rc) and c.may_fail:
                last = err.strip().splitlines()[-1][:200] if err.strip() else "(no message)"
                failed[c.name] = f"failed, exit {rc}: {last}"
                log(f"  round {r + 1}  {c.name:<11} {failed[c.name]}")
                del runs[c.name]
                store.remove(copy)
                continue
            if not c.ok_exit(rc):
                sys.exit(f"bench: {case.name}/{c.name} exited {rc}: {err.strip()[-2000:]}")
            if rc != 0:
                last = err.strip().splitlines()[-1][:160] if err.strip() else "(no message)"
                notes[c.name] = c.exit_notes.get(rc) or f"exit {rc}: {last}"
            runs[c.name].append((wall, peak))
            log(f"  round {r + 1}  {c.name:<11} {wall:8.2f} s {peak:9.1f} MB"
                + (f"   ({notes[c.name]})" if rc != 0 else ""))
            if c.compare and case.state_sql:
                states.setdefault(c.name, store.state(copy, case.state_sql))
            store.remove(copy)
    distinct = set(states.values())
    if len(distinct) > 1:
        sys.exit(f"bench: {case.name}: the contenders left different databases: {states}")
    return report(case, runs, notes, failed)


def per_round(numerators, denominators):
    """The ratio within each round: the two ran a few seconds apart, so under the same load."""
    return ", ".join(f"{a / b:.2f}" if a / b < 10 else f"{a / b:.1f}"
                     for (a, _), (b, _) in zip(numerators, denominators))


def ratio_text(x):
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def report(case, runs, notes, failed=None):
    failed = failed or {}
    best = {n: min(w for w, _ in rs) for n, rs in runs.items()}
    median = {n: statistics.median(w for w, _ in rs) for n, rs in runs.items()}
    peak = {n: max(m for _, m in rs) for n, rs in runs.items()}
    rounds = max((len(rs) for rs in runs.values()), default=0)
    print(f"\n{case.name}: {case.what} ({rounds} round(s), side by side)")
    print(f"  {'contender':<11} {'best s':>9} {'median s':>9} {'peak MB':>9}")
    for n in runs:
        print(f"  {n:<11} {best[n]:9.2f} {median[n]:9.2f} {peak[n]:9.1f}" + (f"   {notes[n]}" if n in notes else ""))
    for n, why in failed.items():
        print(f"  {n:<11} {why}")
    tool = case.contenders[0].name
    lines = []
    for t in case.targets:
        if tool in failed:
            line = f"{tool} failed, so its target is not measured ({t.failed_text()})"
        elif t.kind == "memory":
            ok = peak[tool] < t.value
            line = f"{tool} peak {peak[tool]:.1f} MB (target < {t.value:g} MB): {'met' if ok else 'NOT met'}"
            if case.contenders[0].limit_as_mb:
                line += f" [run under a {case.contenders[0].limit_as_mb} MB address-space cap]"
        elif t.peer not in runs:
            continue
        elif t.kind == "faster":
            b, m = best[t.peer] / best[tool], median[t.peer] / median[tool]
            ok = m >= t.value
            line = (f"{tool} is {ratio_text(m)} faster than {t.peer} on medians, {ratio_text(b)} on best "
                    f"(per round {per_round(runs[t.peer], runs[tool])}; target >= {t.value:g}x): "
                    f"{'met' if ok else 'NOT met'}")
        else:
            b, m = best[tool] / best[t.peer], median[tool] / median[t.peer]
            line = (f"{tool} / {t.peer} = {ratio_text(m)} on medians, {ratio_text(b)} on best "
                    f"(per round {per_round(runs[tool], runs[t.peer])}")
            if t.kind == "within":
                line += f"; target <= {t.value:g}x): {'met' if m <= t.value else 'NOT met'}"
            else:
                line += f"; {t.peer} is the least this work can take)"
        print(f"  {line}")
        lines.append(line)
    return {"case": case, "best": best, "median": median, "peak": peak, "lines": lines, "rounds": rounds,
            "failed": failed}


def machine(qt):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    version = subprocess.run([qt, "--version"], capture_output=True, text=True).stdout.strip()
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs ({cpu}), {mem:,} MB RAM, "
            f"Debian {debian}, load average {os.getloadavg()[0]:.2f} at the start; {version}")


def summary(results):
    print("\nsummary (medians; ratios only compare within this run)")
    print("| case | contender | median s | best s | peak MB |")
    print("|---|---|---|---|---|")
    for res in results:
        for n in res["median"]:
            print(f"| {res['case'].name} | {n} | {res['median'][n]:.2f} | {res['best'][n]:.2f} | "
                  f"{res['peak'][n]:.1f} |")
        for n, why in res["failed"].items():
            print(f"| {res['case'].name} | {n} | {why} | | |")
    for res in results:
        for line in res["lines"]:
            print(f"- {res['case'].name}: {line}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", metavar="CASE",
                    help="migrate, replay, credits, drop, import-memory (default: all)")
    ap.add_argument("--users", type=int, default=1_000_000, help="users in the database (default 1,000,000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of A B C ... (default 3)")
    ap.add_argument("--events", type=int, default=100_000,
                    help="Stripe events to replay, and adjustment rows to import (default 100,000)")
    ap.add_argument("--work", default=str(ROOT / "build" / "bench"),
                    help="where inputs are cached and copied (default build/bench)")
    ap.add_argument("--only", action="append", metavar="CONTENDER",
                    help="run only this peer beside quicktools (repeatable), e.g. --only floor")
    ap.add_argument("--quicktools", default=str(ROOT / "build" / "quicktools"), help="the binary (default build/)")
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite",
                    help="postgres: the migrate, replay and drop cases on a throwaway PostgreSQL server")
    args = ap.parse_args()
    if args.users < 1000 or args.rounds < 1 or args.events < 1:
        ap.error("--users must be at least 1000, --rounds and --events at least 1")
    for needed in (TIME, args.quicktools):
        if not os.access(needed, os.X_OK):
            ap.error(f"{needed} not found (./scripts/dev.sh bench installs and builds what is missing)")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.engine == "postgres":
        run_postgres(ap, args, work)
        return
    cases = make_cases(args, Inputs(args))
    for name in args.cases:
        if name not in cases:
            ap.error(f"unknown case {name}; the cases are {', '.join(cases)}")
    print(f"bench: {machine(args.quicktools)}", flush=True)
    results = [run_case(cases[name](), work, args.rounds, args.only, SqliteStore(work))
               for name in (args.cases or list(cases))]
    summary(results)


def run_postgres(ap, args, work):
    sys.path.insert(0, str(TOOLS))
    import pg_cluster
    names = ["migrate", "replay", "drop"]
    for name in args.cases:
        if name not in names:
            ap.error(f"unknown case {name} on PostgreSQL; the cases are {', '.join(names)}")
    cluster = pg_cluster.Cluster(fast=False, settings={"autovacuum": "off"})
    cluster.start()
    try:
        inputs = PostgresInputs(args, cluster, Inputs(args))
        cases = make_postgres_cases(args, inputs, cluster)
        version = cluster.psql("postgres", "SHOW server_version").stdout.strip()
        print(f"bench: {machine(args.quicktools)}; PostgreSQL {version} on 127.0.0.1 (a throwaway cluster, "
              f"durable settings, autovacuum off)", flush=True)
        results = [run_case(cases[name](), work, args.rounds, args.only, PostgresStore(cluster))
                   for name in (args.cases or names)]
        summary(results)
        for note in inputs.notes:
            print(f"- note: {note}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
