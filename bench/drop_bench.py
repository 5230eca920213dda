#!/usr/bin/env python3
"""Benchmark `db drop-deprecated` against the floor: plain ALTER TABLE DROP COLUMN x6 via sqlite3.

    drop_bench.py [--users N] [--rounds R] [--quicktools BIN] [--workdir DIR]

Builds one migrated database (../shared/bench/make_legacy_db.py, floor_migrate.sql through
sqlite3, `quicktools db upgrade`, the 'migrate.packs.completed_at' state row), then runs side by
side, alternating A B A B on fresh copies: `quicktools db drop-deprecated --yes --no-backup
--force` (--force: the generated data keeps its Stripe subscriptions recorded as active) and
`sqlite3 COPY < floor_drop.sql`. Prints wall times, the ratio of the medians and peak RSS.
"""
import argparse, os, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared", "bench")


def run(cmd, stdin_path=None):
    """Wall time (s) and peak RSS (MB, from /usr/bin/time: a forked child's own rusage would
    include the Python parent's pages it starts with) of one command."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.monotonic() - start
        peak_kb = int(rss.read().split()[-1])
    if stdin_path:
        stdin.close()
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {p.stderr.decode()}")
    return elapsed, peak_kb / 1024


def build(base, users, quicktools):
    subprocess.run([sys.executable, os.path.join(SHARED, "make_legacy_db.py"), base, "--users", str(users)],
                   check=True)
    with open(os.path.join(SHARED, "floor_migrate.sql"), "rb") as sql:
        subprocess.run(["sqlite3", base], stdin=sql, stdout=subprocess.DEVNULL, check=True)
    subprocess.run([quicktools, "--db", base, "db", "upgrade"], stdout=subprocess.DEVNULL, check=True)
    con = sqlite3.connect(base)
    con.execute("INSERT INTO quicktools_state (name, value, updated_at) VALUES "
                "('migrate.packs.completed_at', datetime('now'), datetime('now'))")
    con.commit()
    con.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quicktools", default=os.path.join(ROOT, "build", "quicktools"))
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="drop_bench_")
    base = os.path.join(work, "base.db")
    if not os.path.exists(base):
        print(f"building a migrated {a.users:,}-user database in {work} ...", flush=True)
        build(base, a.users, a.quicktools)
    print(f"database: {os.path.getsize(base) / 1e6:.0f} MB")
    peers = {
        "quicktools": lambda db: run([a.quicktools, "--db", db, "db", "drop-deprecated", "--yes", "--no-backup",
                                      "--force"]),
        "floor_drop.sql": lambda db: run(["sqlite3", db], os.path.join(SHARED, "floor_drop.sql")),
    }
    results = {name: [] for name in peers}
    for r in range(a.rounds):
        for name, go in peers.items():
            copy = os.path.join(work, "run.db")
            shutil.copyfile(base, copy)
            elapsed, rss = go(copy)
            results[name].append((elapsed, rss))
            print(f"round {r + 1}: {name:15s} {elapsed:6.2f} s  peak RSS {rss:6.1f} MB", flush=True)
            os.remove(copy)
    med = {name: statistics.median(t for t, _ in runs) for name, runs in results.items()}
    print()
    for name, runs in results.items():
        print(f"{name:15s} median {med[name]:6.2f} s  peak RSS max {max(m for _, m in runs):6.1f} MB")
    print(f"ratio quicktools / floor: {med['quicktools'] / med['floor_drop.sql']:.2f}x (target <= 0.8x)")
    if not a.workdir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
