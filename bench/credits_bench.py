#!/usr/bin/env python3
"""Benchmark of `credits import` and `credits audit` against bare SQL.

    credits_bench.py [--quicktools BIN] [--users 1000000] [--rows 100000] [--rounds 2] [--workdir DIR]

Builds (or reuses, in --workdir) a database of N users with ../shared/bench/make_legacy_db.py
and `quicktools db upgrade`, writes a CSV of R adjustments (grants and debits that never go
below zero; a fifth of the users named by email, half of the rows with an idempotency key),
and the same rows as a bare SQL script (one UPDATE and one ledger INSERT per row, in one
transaction, the balance after precomputed: the least work the import can be). Each round
copies the database twice and times, side by side, `quicktools credits import` and
`sqlite3 < script.sql`; then `quicktools credits audit` on the imported database. Both
results are checked to be the same database state. Prints rows per second and the ratio.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QUICKTOOLS_SHARED", ROOT.parent / "shared"))
STAMP = "2026-11-25 12:00:00.000000"


def run(cmd, **kw):
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - start
    return p, elapsed


def base_database(args, qt):
    path = Path(args.workdir) / f"base-{args.users}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    if tmp.exists():
        tmp.unlink()
    print(f"building {path} ({args.users} users)...", file=sys.stderr)
    subprocess.run([sys.executable, str(SHARED / "bench" / "make_legacy_db.py"), str(tmp), "--users", str(args.users)],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([qt, "--db", str(tmp), "db", "upgrade"], check=True, stdout=subprocess.DEVNULL)
    tmp.rename(path)
    return path


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def make_inputs(args, workdir):
    """The CSV and the equivalent bare SQL; every user starts at balance 10 after `db upgrade`."""
    rng = random.Random(args.seed)
    balance = {}
    csv_lines = ["user,action,amount,reason,idempotency_key"]
    sql_lines = ["BEGIN IMMEDIATE;"]
    for i in range(args.rows):
        uid = rng.randrange(1, args.users + 1)
        current = balance.get(uid, 10)
        if current > 0 and rng.random() < 0.25:
            action, amount, delta = "debit", rng.randrange(1, current + 1), None
            delta = -amount
        else:
            action, amount = "grant", rng.randrange(1, 101)
            delta = amount
        balance[uid] = current + delta
        ref = f"user{uid}@example.com" if rng.random() < 0.2 else str(uid)
        key = f"bench-{args.seed}-{i}" if i % 2 == 0 else ""
        reason = f"bench row {i}, ticket {rng.randrange(10000)}"
        csv_lines.append(f'{ref},{action},{amount},"{reason}",{key}')
        sql_lines.append(f"UPDATE users SET credits_balance = credits_balance + {delta} WHERE id = {uid};")
        sql_lines.append(
            "INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, purchased_delta, used_delta, "
            "balance_after, reason, actor, source, idempotency_key, request_fingerprint, created_at) VALUES "
            f"({uid}, '{action}', {amount}, {delta}, 0, 0, {balance[uid]}, {sql_text(reason)}, 'bench', "
            f"'import:bench.csv:{i + 2}', {sql_text(key) if key else 'NULL'}, NULL, '{STAMP}');")
    sql_lines.append("COMMIT;")
    csv_path = workdir / f"adjust-{args.rows}.csv"
    sql_path = workdir / f"adjust-{args.rows}.sql"
    csv_path.write_text("\n".join(csv_lines) + "\n")
    sql_path.write_text("\n".join(sql_lines) + "\n")
    return csv_path, sql_path


def state(qt, db):
    p = subprocess.run(["sqlite3", str(db), "SELECT sum(credits_balance), count(*) FROM users; "
                                            "SELECT count(*), sum(balance_after) FROM quicktools_ledger;"],
                       capture_output=True, text=True, check=True)
    return p.stdout.split()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quicktools", default=str(ROOT / "build" / "quicktools"))
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workdir", default="/tmp/quicktools-credits-bench")
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    qt = args.quicktools
    base = base_database(args, qt)
    csv_path, sql_path = make_inputs(args, workdir)
    work = workdir / "work.db"
    times = {"import": [], "sql": [], "audit": []}
    for round_no in range(args.rounds):
        for which in ("import", "sql") if round_no % 2 == 0 else ("sql", "import"):
            shutil.copyfile(base, work)
            if which == "import":
                p, t = run([qt, "--db", str(work), "-q", "credits", "import", str(csv_path)])
            else:
                with open(sql_path) as f:
                    p, t = run(["sqlite3", str(work)], stdin=f)
            if p.returncode != 0:
                sys.exit(f"{which} failed: {p.stderr.strip()}")
            times[which].append(t)
            print(f"round {round_no + 1}: {which:<6} {t:7.2f} s", file=sys.stderr)
            after = state(qt, work)
            if which == "import":
                p, t = run([qt, "--db", str(work), "credits", "audit"])
                if p.returncode != 0:
                    sys.exit(f"audit found problems after the import: {p.stdout[-500:]}")
                times["audit"].append(t)
                print(f"round {round_no + 1}: audit  {t:7.2f} s", file=sys.stderr)
                imported_state = after
            else:
                sql_state = after
    if imported_state[:3] != sql_state[:3]:
        sys.exit(f"the import and the bare SQL left different states: {imported_state} vs {sql_state}")
    best = {k: min(v) for k, v in times.items()}
    print(f"users: {args.users}, rows: {args.rows}, rounds: {args.rounds} (best of each)")
    print(f"credits import   {best['import']:7.2f} s  {args.rows / best['import']:10.0f} rows/s")
    print(f"bare SQL         {best['sql']:7.2f} s  {args.rows / best['sql']:10.0f} rows/s")
    print(f"ratio import / bare SQL: {best['import'] / best['sql']:.2f}x")
    print(f"credits audit    {best['audit']:7.2f} s  {args.users / best['audit']:10.0f} users/s "
          f"({args.rows} ledger rows)")
    work.unlink()


if __name__ == "__main__":
    main()
