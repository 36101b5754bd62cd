"""``tthc indicators``: D1–D7, ON_TIME and the 766 items per unit for one period.

``--format csv`` is a stable machine interface, exactly ``unit,indicator,numerator,denominator,value,target,status,gap``.
Rows: D1–D8 (D5 and D8 are counts: value = the count, target 0), ON_TIME and BO_SUNG (share of new dossiers with a
supplement request, no target) (value = % with 2 decimals, half-up; empty when no data), then 766_2.1, 766_3.3, 766_4.1,
766_4.2, 766_4.3, 766_5.4 (value = the item's rate in %, numerator/denominator its counts, target = the rate that
earns full points, status Đạt when the item earns full points) and 766_TOTAL (value = score, numerator = score,
denominator = the computable maximum, status = the band). Under the "2026 portal" rules (periods ending from
01/01/2026, or ``--rules``) the 766 rows are ``766_<portal metric code>`` for the metrics computed from dossiers.
The rules version is named in the table's first line (on stderr with ``--format csv``, keeping the CSV's columns).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from . import add_common, add_period, add_rules, add_table_options, print_table

CSV_COLUMNS = ["unit", "indicator", "numerator", "denominator", "value", "target", "status", "gap"]
ITEMS_766 = ("2.1", "3.3", "4.1", "4.2", "4.3", "5.4")
COUNTS = ("D5", "D8")  # count indicators: value and target are whole numbers


def register(sub):
    p = sub.add_parser("indicators", help="dispatch indicators D1–D7 and 766 items per unit for a period")
    add_common(p)
    add_rules(p)
    add_period(p)
    add_table_options(p)
    return p


def _num(x, digits=None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if digits is None:
        return str(int(round(float(x))))
    return f"{float(x):.{digits}f}"


def rules_version(period, rules=None) -> str:
    from ..engine.index766 import load_rules

    return load_rules().for_period(period, rules).version


def rows(period, window, warehouse=None, units=None, cube=None, rules=None, unit=None) -> list[list[str]]:
    from ..engine import ensure_cube, query
    from ..engine.index766 import PORTAL_INPUTS, load_rules
    from ..units import load_registry

    from ..engine.cube import cube_dir_for

    d = Path(cube) if cube else cube_dir_for(warehouse)
    ensure_cube(warehouse, load_registry(units), periods=[period], out_dir=d)
    code = query._code(period)
    ind = query.indicators(code, window, cube_dir=d)
    ind = ind[ind["indicator"].isin(query.D_INDICATORS + ("ON_TIME", "BO_SUNG"))]
    items, tot = query.index766_status(code, window, cube_dir=d, rules=rules)  # 766 status and rounding
    item_ids = tuple(PORTAL_INPUTS) if load_rules().for_period(code, rules).portal_codes else ITEMS_766
    out = []
    if unit is not None:
        ind = ind[ind["unit"] == unit]
    for unit, g in ind.groupby("unit", sort=True):
        for r in g.itertuples(index=False):
            out.append([unit, r.indicator, _num(r.numerator), _num(r.denominator),
                        _num(r.value, 0 if r.indicator in COUNTS else 2), _num(r.target, None if r.indicator in COUNTS
                                                                                 else 2),
                        r.status, _num(r.gap) if r.status else ""])
        it = items[items["unit"] == unit].set_index("item")
        for iid in item_ids:
            if iid not in it.index:
                continue
            x = it.loc[iid]
            out.append([unit, f"766_{iid}", _num(x["numerator"]), _num(x["denominator"]), _num(x["value_pct"], 2),
                        _num(x["target_pct"], 2), x["status"], ""])
        tt = tot[tot["unit"] == unit]
        if len(tt):
            x = tt.iloc[0]
            s = float(x["score_rounded"])
            out.append([unit, "766_TOTAL", _num(s, 2), _num(x["computable_max"], 2), _num(s, 2), "",
                        x["band"] or "", ""])
    return out


def run(args) -> int:
    from ..report.params import check_period, check_unit

    code = check_period(args.period)
    if args.unit is not None:
        from ..units import load_registry

        check_unit(args.unit, code, args.window, load_registry(args.units))  # the same rule as `tthc report`
    data = rows(code, args.window, args.warehouse, args.units, args.cube, args.rules, unit=args.unit)
    version = rules_version(code, args.rules)
    if args.format == "csv":
        print(f"766 rules version: {version}", file=sys.stderr)
    print_table(CSV_COLUMNS, data, args.format, f"Kỳ {code} ({args.window}) — Bộ chỉ số 766: {version}")
    return 0
