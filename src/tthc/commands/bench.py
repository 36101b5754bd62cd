"""``tthc bench``: performance measurements. Parts are registered in :data:`PARTS` (name → runner); add one by
writing a ``run_<name>(args)`` function and listing it there."""

from __future__ import annotations

from pathlib import Path


def run_cube(args) -> int:
    from ..bench_cube import run as bench

    bench(n=args.dossiers or 10_000_000, period=args.bench_period or "2025-Q1", seed=args.seed,
          naive_units=args.naive_units, out=Path(args.out) if args.out else None,
          reference=getattr(args, "reference", False))
    return 0


def run_batch(args) -> int:
    from ..bench_batch import run as bench

    only = (args.part or []) == ["batch"]
    bench(period=args.bench_period or "2025-Q1", naive_units=args.naive_units, jobs=getattr(args, "jobs", None),
          out=Path(args.out) if args.out and only else None)
    return 0


PARTS = {"cube": run_cube, "batch": run_batch}


def register(sub):
    p = sub.add_parser("bench", help="benchmarks: the indicator cube on N synthetic dossiers vs a naive loop")
    p.add_argument("--part", action="append", choices=sorted(PARTS), default=None,
                   help="which benchmark(s) to run (default: all)")
    p.add_argument("--dossiers", type=int, default=None, help="synthetic dossiers (cube default 10 000 000)")
    p.add_argument("--bench-period", dest="bench_period", default=None, help="period measured (default 2025-Q1)")
    p.add_argument("--seed", type=int, default=20250331)
    p.add_argument("--naive-units", dest="naive_units", type=int, default=None,
                   help="units the naive loop really runs (the rest is extrapolated); default: adaptive")
    p.add_argument("--reference", action="store_true",
                   help="cube: also time the reference dossier × period join")
    p.add_argument("--out", default=None, help="result JSON (default outputs/bench/<part>.json)")
    p.add_argument("--jobs", type=int, default=None, help="batch part: worker processes (default: CPU cores)")
    return p


def run(args) -> int:
    rc = 0
    for part in args.part or sorted(PARTS):
        rc = PARTS[part](args) or rc
    return rc
