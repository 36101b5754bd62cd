"""``tthc export``: the official Biểu 06 workbook (.xlsx) for a unit and period."""

from __future__ import annotations

from . import add_common, add_period


def register(sub):
    p = sub.add_parser("export", help="write the Biểu 06 Excel workbook for a unit and period")
    add_common(p)
    add_period(p)
    p.add_argument("--unit", required=True, help="unit code")
    p.add_argument("--out", default=None, help="output .xlsx (default outputs/<period>/<unit>/bieu06.xlsx, beside the reports)")
    p.add_argument("--cube", default=None, help="cube folder (default: the warehouse's own cube, data/processed/cube for data/warehouse.duckdb, else <name>.cube/ beside the warehouse; built when needed)")
    return p


def run(args) -> int:
    from pathlib import Path

    from .. import config
    from ..engine import ensure_cube
    from ..engine.cube import cube_dir_for
    from ..export_xlsx import write_bieu06_workbook
    from ..report.params import check_period, check_unit
    from ..units import load_registry

    reg = load_registry(args.units)
    code = check_period(args.period)
    check_unit(args.unit, code, args.window, reg)  # the same rule as `tthc report`
    d = Path(args.cube) if args.cube else cube_dir_for(args.warehouse)
    ensure_cube(args.warehouse, reg, periods=[code], out_dir=d)
    out = Path(args.out) if args.out else config.outputs_dir() / code / args.unit / "bieu06.xlsx"
    try:
        write_bieu06_workbook(out, args.unit, code, args.window, cube_dir=d, registry=reg)
    except OSError as e:  # unwritable --out: one line, not a traceback
        from ..errors import TthcError

        raise TthcError(f"cannot write {out}: {e.strerror or e}; give a writable --out path") from None
    print(out)
    return 0
