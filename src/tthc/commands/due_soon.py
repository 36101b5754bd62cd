"""``tthc due-soon``: the early-warning lists of pending dossiers overdue or due within N working days of a day."""

from __future__ import annotations

from . import add_common, export_common_env


def register(sub):
    p = sub.add_parser("due-soon", help="per unit, pending dossiers overdue or due within N working days of a day "
                                        "(HTML + XLSX, and a one-page summary)")
    add_common(p)
    p.add_argument("--date", default=None, help="the day (YYYY-MM-DD or dd/mm/yyyy; default today)")
    p.add_argument("--days", type=int, default=None, help="horizon in working days (default 2, params/targets.yaml)")
    p.add_argument("--unit", default=None, help="a unit code: that unit and its subtree (default every unit)")
    p.add_argument("--out", default=None, help="output folder (default outputs/due-soon/<date>/)")
    return p


def run(args) -> int:
    from pathlib import Path

    from .. import duesoon
    from ..errors import ParameterError
    from ..units import load_registry

    export_common_env(args)
    reg = load_registry(args.units)
    if args.unit is not None and args.unit not in reg:
        raise ParameterError(f"--unit {args.unit!r}: unknown unit; see {reg.path}")
    if args.days is not None and not 0 <= args.days <= 60:
        raise ParameterError(f"--days {args.days}: give a number of working days from 0 to 60")
    if args.days is None:
        from ..engine.targets import load_targets

        args.days = load_targets().rules.due_soon_working_days
    day = duesoon.parse_day(args.date)
    out, summ, df, secs = duesoon.run(day, args.days, args.unit, Path(args.out) if args.out else None,
                                      args.warehouse, reg)
    n_over = int((df["muc"] == "qua_han").sum())
    print(f"{out}/index.html: {len(summ)} units with dossiers, {n_over} overdue, {len(df) - n_over} due within "
          f"{args.days} working days (query {secs:.2f} s)")
    return 0
