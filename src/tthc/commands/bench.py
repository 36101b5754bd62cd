"""``tthc bench``: performance measurements. Parts are registered in :data:`PARTS` (name → runner); add one by
writing a ``run_<name>(args)`` function and listing it there."""

from __future__ import annotations

from pathlib import Path


def run_cube(args) -> dict:
    from ..bench.cube import run as bench

    return bench(n=args.dossiers or 10_000_000, period=args.bench_period or "2025-Q1", seed=args.seed,
                 naive_units=args.naive_units, out=Path(args.out) if args.out else None,
                 reference=getattr(args, "reference", False))


def run_batch(args) -> dict:
    from ..bench.batch import run as bench

    only = (args.part or []) == ["batch"]
    return bench(period=args.bench_period or "2025-Q1", naive_units=args.naive_units,
                 jobs=getattr(args, "jobs", None), out=Path(args.out) if args.out and only else None)


def run_scale(args) -> dict:
    from ..bench.scale import run as bench

    only = (args.part or []) == ["scale"]
    return bench(n_months=args.months, dossiers=args.dossiers or 160_000, jobs=getattr(args, "jobs", None) or 2,
                 dask_months=args.dask_months, out=Path(args.out) if args.out and only else None)


def run_ingest(args) -> dict:
    from ..bench.ingest import run as bench

    only = (args.part or []) == ["ingest"]
    return bench(n=args.dossiers or 1_000_000, seed=args.seed, reference=getattr(args, "reference", False),
                 out=Path(args.out) if args.out and only else None)


#: Parts run by a bare ``tthc bench`` (``make bench``), in this order, so that one run prints every goal's ratio;
#: ``scale`` is long (≈ 1,600 reports, ≈ 30 min on 2 idle cores): ``make bench-quick`` leaves it out.
PARTS = {"cube": run_cube, "batch": run_batch, "scale": run_scale, "ingest": run_ingest}
DEFAULT_PARTS = ("batch", "cube", "ingest", "scale")


def register(sub):
    p = sub.add_parser("bench", help="benchmarks: the indicator cube on N synthetic dossiers vs a naive loop")
    p.add_argument("--part", action="append", choices=sorted(PARTS), default=None,
                   help="which benchmark(s) to run (default: all)")
    p.add_argument("--dossiers", type=int, default=None,
                   help="synthetic dossiers (cube default 10 000 000, ingest 1 000 000)")
    p.add_argument("--bench-period", dest="bench_period", default=None, help="period measured (default 2025-Q1)")
    p.add_argument("--seed", type=int, default=20250331)
    p.add_argument("--naive-units", dest="naive_units", type=int, default=None,
                   help="units the naive loop really runs (the rest is extrapolated); default: adaptive")
    p.add_argument("--reference", action="store_true",
                   help="cube: also time the reference dossier × period join; ingest: also the general row-wise path")
    p.add_argument("--out", default=None, help="result JSON (default outputs/bench/<part>.json)")
    p.add_argument("--jobs", type=int, default=None, help="batch part: worker processes (default: CPU cores)")
    p.add_argument("--months", type=int, default=12, help="scale part: monthly batches of the province (default 12)")
    p.add_argument("--dask-months", dest="dask_months", type=int, default=1,
                   help="scale part: months also run on a Dask LocalCluster (default 1; 0 = skip)")
    return p


def run(args) -> int:
    """Run the asked parts in order (each writes outputs/bench/<part>.json), then one summary line per goal."""
    from ..bench.ratios import summary_lines

    results = {}
    for part in args.part or DEFAULT_PARTS:
        results[part] = PARTS[part](args)
    lines = summary_lines({k: v for k, v in results.items() if isinstance(v, dict)})
    if lines:
        print("\nbench summary (one run, this machine):")
        for line in lines:
            print("  " + line)
    return 0
