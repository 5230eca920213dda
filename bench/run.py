#!/usr/bin/python3
"""Benchmarks of quicktools against its peers, side by side in one run (A B C A B C ...).

    bench/run.py --quicktools BIN [CASE ...] [--users N] [--rounds R] [--work DIR]

Each case builds its input once (cached under --work), copies it per run, and runs every
contender in turn, measuring wall time and peak RSS of the child (resource.getrusage
RUSAGE_CHILDREN, which reports the largest child so far, so each run is its own process here).
Add a case: write a function returning a Case and list it in CASES.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QUICKTOOLS_SHARED", ROOT.parent / "shared"))
PYTHON = "/usr/bin/python3"


@dataclass
class Contender:
    name: str
    command: Callable[[Path], List[str]]  # the command, given the per-run copy of the input
    stdin: Callable[[Path], str] = None   # a file to feed on stdin, if any


@dataclass
class Case:
    name: str
    prepare: Callable[[Path], Path]  # builds (or reuses) the cached input under the work dir
    contenders: List[Contender]
    targets: List[str] = field(default_factory=list)  # printed with the ratios


def measure(cmd, stdin_path=None):
    """Runs cmd in its own process via a tiny Python wrapper so ru_maxrss is this child's alone."""
    wrapper = ("import resource,subprocess,sys,time;"
               "f=open(sys.argv[1]) if sys.argv[1] else None;t=time.perf_counter();"
               "p=subprocess.run(sys.argv[2:],stdin=f,stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
               "w=time.perf_counter()-t;"
               "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
               "sys.stderr.write(p.stderr.decode()[-2000:] if p.returncode else '');"
               "print(p.returncode,w,r)")
    out = subprocess.run([PYTHON, "-c", wrapper, str(stdin_path or "")] + cmd, capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"benchmark wrapper failed for {cmd}: {out.stderr}")
    rc, wall, rss_kb = out.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {rc}: {out.stderr.strip()}")
    return float(wall), int(rss_kb) / 1024.0


def migrate_case(args):
    def prepare(work: Path) -> Path:
        cached = work / f"legacy-{args.users}.db"
        if not cached.exists():
            print(f"building a legacy database of {args.users} users (once, cached at {cached}) ...", file=sys.stderr)
            tmp = cached.with_suffix(".tmp")
            if tmp.exists():
                tmp.unlink()
            subprocess.run([PYTHON, str(SHARED / "bench" / "make_legacy_db.py"), str(tmp), "--users",
                            str(args.users)], check=True)
            tmp.rename(cached)
        return cached

    qt = str(Path(args.quicktools).resolve())
    return Case(
        name="migrate",
        prepare=prepare,
        contenders=[
            Contender("quicktools", lambda db: [qt, "--db", str(db), "-q", "migrate", "packs", "--no-backup"]),
            Contender("orm", lambda db: [PYTHON, str(SHARED / "bench" / "peer_migrate_orm.py"), str(db)]),
            Contender("floor", lambda db: ["sqlite3", str(db)], stdin=lambda db: SHARED / "bench" / "floor_migrate.sql"),
        ],
        targets=["quicktools >= 15x faster than orm", "quicktools <= 1.5x floor", "quicktools peak < 64 MB"])


CASES = {"migrate": migrate_case}


def run_case(case: Case, work: Path, rounds: int, only=None):
    source = case.prepare(work)
    contenders = [c for c in case.contenders if not only or c.name in only]
    results = {c.name: [] for c in contenders}
    for r in range(rounds):
        for c in contenders:
            copy = work / f"run-{case.name}-{c.name}.db"
            for p in (copy, Path(str(copy) + "-journal"), Path(str(copy) + "-wal")):
                if p.exists():
                    p.unlink()
            shutil.copyfile(source, copy)
            os.sync()  # the copy's write-back must not land in the middle of the next measurement
            wall, rss = measure(c.command(copy), c.stdin(copy) if c.stdin else None)
            results[c.name].append((wall, rss))
            print(f"  round {r + 1} {c.name:<12} {wall:8.2f} s {rss:8.1f} MB", file=sys.stderr)
            copy.unlink()
    print(f"\n{case.name}: best of {rounds} round(s), side by side")
    print(f"  {'contender':<12} {'best s':>9} {'median s':>9} {'peak MB':>9}")
    best = {}
    for name, runs in results.items():
        walls = sorted(w for w, _ in runs)
        best[name] = walls[0]
        print(f"  {name:<12} {walls[0]:9.2f} {statistics.median(walls):9.2f} {max(m for _, m in runs):9.1f}")
    first = contenders[0].name
    median = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    for other in list(best)[1:]:
        for label, t in (("best", best), ("median", median)):
            ratio = t[other] / t[first] if t[first] else float("inf")
            print(f"  {label:<6} {other} / {first} = {ratio:.2f}x   ({first} / {other} = {1 / ratio if ratio else 0:.2f}x)")
    for t in case.targets:
        print(f"  target: {t}")
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quicktools", required=True, help="the quicktools binary")
    ap.add_argument("cases", nargs="*", default=list(CASES), help=f"cases to run (default all: {', '.join(CASES)})")
    ap.add_argument("--users", type=int, default=1_000_000, help="users in the generated database")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of A B C (default 3)")
    ap.add_argument("--only", action="append", help="run only this contender (repeatable), e.g. --only quicktools")
    ap.add_argument("--work", default=str(ROOT / "build" / "bench"), help="where inputs are cached and copied")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for name in args.cases:
        if name not in CASES:
            ap.error(f"unknown case {name}; cases are {', '.join(CASES)}")
        run_case(CASES[name](args), work, args.rounds, args.only)


if __name__ == "__main__":
    main()
