"""``tthc cube``: build the indicator cube (all units × periods × indicators) and print the timing."""

from __future__ import annotations

from ..periods import WINDOWS
from . import add_common


def register(sub):
    p = sub.add_parser("cube", help="compute D1–D7, Biểu 06 and the 766 index for every unit and period (Parquet)")
    add_common(p)
    p.add_argument("--period", action="append", default=None,
                   help="period(s) to include (with previous period and 12 trailing months); default: all in the data")
    p.add_argument("--window", action="append", choices=WINDOWS, default=None,
                   help="window(s) (default both)")
    p.add_argument("--out", default=None, help="cube folder (default: the warehouse's own cube, see tthc.engine.cube.cube_dir_for)")
    p.add_argument("--force", action="store_true", help="rebuild even if the warehouse and config are unchanged")
    p.add_argument("--refresh", action="store_true",
                   help="first bring the warehouse's dossier-days pre-aggregate up to date (tthc ingest does this; "
                        "needed once for a warehouse written before it existed)")
    return p


def run(args) -> int:
    from ..engine import ensure_cube
    from ..units import load_registry

    if args.refresh:
        from .. import warehouse as wh
        from ..engine import days

        if not wh.warehouse_path(args.warehouse).exists():
            from ..errors import InputError

            raise InputError(f"warehouse {wh.warehouse_path(args.warehouse)} not found: run `tthc ingest` (or "
                             "`tthc sample`) first, or pass --warehouse PATH")
        with wh.write_lock(args.warehouse):
            con = wh.connect(args.warehouse)
            try:
                info = days.refresh(con)
            finally:
                con.close()
        state = f"rebuilt, {info['rows']:,} rows" if info["rebuilt"] else "up to date"
        print(f"dossier-days pre-aggregate: {state} ({info['seconds']:.2f} s)")

    meta = ensure_cube(args.warehouse, load_registry(args.units), periods=args.period,
                       windows=tuple(args.window or WINDOWS), out_dir=args.out, force=args.force)
    if not meta.get("rebuilt"):
        print(f"cube up to date ({len(meta['periods'])} periods, warehouse {meta['warehouse_hash'][:12]})")
        return 0
    t = meta["timing"]
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in t.items() if k != "total")
    print(f"cube built in {t['total']:.2f} s ({steps}); {len(meta['periods'])} periods × {len(meta['windows'])} "
          f"window(s), warehouse {meta['warehouse_hash'][:12]}")
    return 0
