#!/usr/bin/env python3
"""Benchmark: `quicktools stripe replay` against ../shared/bench/peer_replay.py, side by side.

    bench/replay_bench.py [--events 100000] [--users 1000000] [--runs 3] [--workdir DIR] [--bin PATH]

Makes (once, cached in --workdir) a legacy database of --users users, migrates it with
floor_migrate.sql and `quicktools db upgrade`, and --events events with make_events.py. Then
alternates runs (quicktools, peer, quicktools, peer, ...), each on a fresh copy of the database,
and prints wall time and peak RSS (/usr/bin/time -f %M) of each, the medians and the ratios.
Compare only ratios from one run: these machines are shared and noisy.

A third column, "floor", is SQLite alone doing only the users updates of the credited purchases
(sorted by user id, through the sqlite3 shell): no parsing, no ledger, no event records. It shows
how much of the time is the database's own page I/O, which no replay can avoid.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QUICKTOOLS_SHARED", ROOT.parent / "shared"))
PY = "/usr/bin/python3"


def sh(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (seconds, peak RSS in MB, stdout)."""
    with tempfile.NamedTemporaryFile("r") as t:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + [str(c) for c in cmd],
                           capture_output=True, text=True)
        if p.returncode not in (0, 3):   # 3: some events need attention (unknown users in the mix)
            sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.strip()}")
        seconds, kb = t.read().split()[-2:]
    return float(seconds), int(kb) / 1024, p.stdout


def prepare(work, users, events, qt):
    base, ev = work / f"base-{users}.db", work / f"events-{events}.json"
    if not base.exists():
        print(f"making {base} ({users} users, migrated) ...", flush=True)
        tmp = work / "making.db"
        tmp.unlink(missing_ok=True)
        sh([PY, SHARED / "bench" / "make_legacy_db.py", tmp, "--users", users], stdout=subprocess.DEVNULL)
        with open(SHARED / "bench" / "floor_migrate.sql") as f:
            sh(["sqlite3", tmp], stdin=f, stdout=subprocess.DEVNULL)
        sh([qt, "--db", tmp, "-q", "db", "upgrade"])
        tmp.rename(base)
    if not ev.exists():
        print(f"making {ev} ({events} events) ...", flush=True)
        sh([PY, SHARED / "bench" / "make_events.py", ev, "--events", events, "--users", users])
    return base, ev


def floor_script(db, path):
    """The users updates quicktools made (from its ledger), sorted, as bare SQL."""
    import sqlite3
    con = sqlite3.connect(str(db))
    rows = con.execute("SELECT user_id, amount FROM quicktools_ledger WHERE kind = 'purchase' "
                       "ORDER BY user_id, id").fetchall()
    con.close()
    with open(path, "w") as f:
        f.write("PRAGMA cache_size = -32768;\nBEGIN IMMEDIATE;\n")
        for uid, credits in rows:
            f.write(f"UPDATE users SET credits_balance = credits_balance + {credits}, credits_purchased_total = "
                    f"credits_purchased_total + {credits}, last_purchase_amount = {credits} WHERE id = {uid};\n")
        f.write("COMMIT;\n")


def fresh_copy(base, dest):
    shutil.copyfile(base, dest)
    os.sync()   # so the copy's write-back does not land inside the timed run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "quicktools-replay-bench")
    ap.add_argument("--bin", type=Path, default=ROOT / "build" / "quicktools")
    a = ap.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    base, ev = prepare(a.workdir, a.users, a.events, a.bin)
    print(f"input: {ev.stat().st_size / 1e6:.0f} MB, database: {base.stat().st_size / 1e6:.0f} MB", flush=True)
    db = a.workdir / "run.db"
    floor_sql = a.workdir / "floor.sql"
    ours, peer, floor = [], [], []
    for i in range(a.runs):
        fresh_copy(base, db)
        s, mb, out = timed([a.bin, "--db", db, "-q", "--json", "stripe", "replay", ev])
        credited = json.loads(out)["counts"]["credited"]
        ours.append((s, mb))
        print(f"run {i + 1}: quicktools stripe replay  {s:7.2f} s  {mb:7.1f} MB  credited={credited}", flush=True)
        if i == 0:
            floor_script(db, floor_sql)
        fresh_copy(base, db)
        s, mb, _ = timed(["sh", "-c", f'sqlite3 "{db}" < "{floor_sql}"'])
        floor.append(s)
        print(f"run {i + 1}: floor (sqlite3 updates)   {s:7.2f} s", flush=True)
        fresh_copy(base, db)
        s, mb, out = timed([PY, SHARED / "bench" / "peer_replay.py", db, ev])
        peer.append((s, mb))
        print(f"run {i + 1}: peer_replay.py            {s:7.2f} s  {mb:7.1f} MB  {out.strip()}", flush=True)
    db.unlink(missing_ok=True)
    qt_s, qt_mb = statistics.median(s for s, _ in ours), max(mb for _, mb in ours)
    pr_s, pr_mb = statistics.median(s for s, _ in peer), max(mb for _, mb in peer)
    print(f"median time: quicktools {qt_s:.2f} s, peer {pr_s:.2f} s -> {pr_s / qt_s:.1f}x faster "
          f"(per-run ratios: {', '.join(f'{p[0] / q[0]:.1f}' for q, p in zip(ours, peer))})")
    print(f"floor (SQLite alone, users updates only): median {statistics.median(floor):.2f} s")
    print(f"peak RSS: quicktools {qt_mb:.1f} MB, peer {pr_mb:.1f} MB (target: quicktools < 64 MB)")


if __name__ == "__main__":
    main()
