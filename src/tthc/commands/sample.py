"""``tthc sample``: generate the synthetic Thanh Hà-like sample, write it as export files and ingest it."""

from __future__ import annotations

from . import add_common


def register(sub):
    p = sub.add_parser("sample", help="generate the synthetic sample (export files or Parquet) and ingest it")
    p.add_argument("--dossiers", type=int, default=30_000, metavar="N", help="number of dossiers (default 30000)")
    p.add_argument("--seed", type=int, default=20250331, metavar="S", help="random seed (default 20250331)")
    p.add_argument("--out", metavar="DIR", default=None, help="output folder (default data/raw/sample)")
    p.add_argument("--format", dest="fmt", choices=("exports", "parquet"), default="exports",
                   help="exports: DVCQG JSON + one-stop XLSX with fake personal data (default); "
                        "parquet: canonical Parquet (large N)")
    p.add_argument("--no-ingest", action="store_true", help="only write the files")
    add_common(p)
    return p


def run(args) -> int:
    import time

    from ..sample import build_sample

    t = time.perf_counter()
    paths, results = build_sample(args.out, n=args.dossiers, seed=args.seed, units=args.units, fmt=args.fmt,
                                  ingest=not args.no_ingest, warehouse=args.warehouse, echo=print)
    for p in paths:
        print(f"wrote {p} ({p.stat().st_size:,} bytes)")
    if not args.no_ingest:
        print("warehouse marked as synthetic sample (dataset_info.synthetic = true)")
    print(f"sample: {args.dossiers} dossiers, seed {args.seed}, {time.perf_counter() - t:.1f} s")
    return 0
