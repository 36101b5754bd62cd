"""``tthc reconcile --period P [--format csv]``: the portal's published 766 figures against this project's rules and
the office's own dossiers.

``--format csv`` is a stable interface, exactly
``unit,metric,portal_numerator,portal_denominator,portal_score,rule_score,own_numerator,own_denominator,own_score``,
one row per unit × metric imported with ``tthc portal import``. ``rule_score`` applies the project's rule to the
portal's own numerator/denominator (PAYMENT: A, B, C from the portal's fields; the numerator/denominator columns
are A's), empty where the portal's formula is not published; ``own_*`` come from the warehouse's dossiers, empty
where they cannot be computed or the unit is not matched. The first line of the table format names the rules version.
"""

from __future__ import annotations


from . import add_common, print_table


def register(sub):
    p = sub.add_parser("reconcile", help="the portal's 766 figures vs the project's rules and own dossiers")
    add_common(p)
    p.add_argument("--period", required=True, help="2026-08, 2026-Q3, 2026-H1, 2026-9M or 2026")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("--rules", metavar="VERSION", default=None,
                   help="766 rules version (default: the one in force at the period's end), e.g. \"2026 portal\"")
    return p


def run(args) -> int:
    from ..errors import InputError
    from ..periods import parse_period
    from ..portal.reconcile import CSV_COLUMNS, fmt_csv, reconcile
    from ..units import load_registry
    from ..warehouse import connect

    period = parse_period(args.period).code
    registry = load_registry(args.units)
    con = connect(args.warehouse, read_only=True)
    try:
        df, version = reconcile(con, registry, period, override=args.rules)
    finally:
        con.close()
    if df.empty:
        raise InputError(f"no portal figures for {period} in the warehouse; import them first with "
                         f"`tthc portal import FILE... --period {period}`")
    rows = [[r["unit"], r["metric"], *(fmt_csv(r[c]) for c in CSV_COLUMNS[2:])] for r in df.to_dict("records")]
    print_table(CSV_COLUMNS, rows, args.format, f"Kỳ {period} — Bộ chỉ số 766, phiên bản quy tắc: {version}")
    return 0
