"""``tthc ingest FILE...``: load DVCQG JSON, CSV/XLSX exports or Parquet into the warehouse
(and, with ``--catalogue``, the procedure catalogue)."""

from __future__ import annotations

import sys

from . import add_common


def register(sub):
    p = sub.add_parser("ingest", help="load export files (JSON, CSV, XLSX, Parquet) into the warehouse",
                       description="Validate and store dossier exports; rejected rows go to <warehouse dir>/"
                                   "quarantine/. Re-ingesting the same file changes nothing.")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--source", default=None,
                   help="column map: a name under params/sources/ (dvcqg_json, motcua_hd), a built-in "
                        "(parquet; canonical = CSV/XLSX headed by the canonical names), or the path of a map "
                        "file (PATH/TO/map.yaml, see docs/column-maps.md); default: by extension and header row")
    p.add_argument("--allow-missing", action="store_true",
                   help="store a file even when a field the indicators need (channel, due date, fee, "
                        "digitisation, e-result, evaluation, reuse) is empty on every row")
    p.add_argument("--catalogue", metavar="FILE", default=None,
                   help="also load a procedure catalogue (CSV or YAML with the canonical catalogue columns)")
    p.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="wait this long for another running ingest (default 30)")
    p.add_argument("--progress", action="store_true", help="always show a progress bar on stderr")
    add_common(p)
    return p


def run(args) -> int:
    from ..errors import ParameterError

    if not args.files and not args.catalogue:
        raise ParameterError("nothing to ingest: give one or more FILEs and/or --catalogue FILE")
    if args.catalogue:
        from ..ingest.catalogue import ingest_catalogue

        n = ingest_catalogue(args.catalogue, warehouse=args.warehouse, lock_timeout=args.lock_timeout)
        print(f"{args.catalogue}: catalogue, {n} procedures stored")
    if args.files:
        from ..ingest import ingest_files

        ingest_files(args.files, source=args.source, warehouse=args.warehouse, units=args.units,
                     progress=args.progress, lock_timeout=args.lock_timeout, echo=print,
                     allow_missing=args.allow_missing)
    sys.stdout.flush()
    return 0
