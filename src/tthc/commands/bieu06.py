"""``tthc bieu06``: Biểu 06 rows for a period. ``--format csv`` is a stable interface, exactly
``unit,linh_vuc,col3,...,col13`` with field rows (unknown field: empty linh_vuc) and one ``TONG`` row per unit."""

from __future__ import annotations

import csv
import sys

from . import add_common, add_period, add_table_options

CSV_COLUMNS = ["unit", "linh_vuc"] + [f"col{i}" for i in range(3, 14)]


def register(sub):
    p = sub.add_parser("bieu06", help="the official form Biểu 06 (per unit and field) for a period")
    add_common(p)
    add_period(p)
    add_table_options(p)
    return p


def run(args) -> int:
    from ..engine import ensure_cube, query
    from ..engine.cube import cube_dir_for
    from ..report.params import check_period, check_unit
    from ..units import load_registry

    code = check_period(args.period)
    reg = load_registry(args.units)
    if args.unit is not None:
        check_unit(args.unit, code, args.window, reg)  # the same rule as `tthc report`
    d = args.cube or cube_dir_for(args.warehouse)
    ensure_cube(args.warehouse, reg, periods=[code], out_dir=d)
    df = query.bieu06(code, args.window, unit=args.unit, cube_dir=d)
    df = df.sort_values(["unit"], kind="stable")
    cols = [f"col{i}" for i in range(3, 14)]
    if args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for r in df.itertuples(index=False):
            w.writerow([r.unit, r.ma_linh_vuc] + [int(getattr(r, c)) for c in cols])
        return 0
    print(f"Biểu 06 — kỳ {code} ({args.window})")
    print(df[["unit", "ma_linh_vuc", "ten_linh_vuc"] + cols].to_string(index=False))
    return 0
