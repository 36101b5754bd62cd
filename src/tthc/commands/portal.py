"""``tthc portal import FILE... --period P``: store the national portal's published 766 figures (spec §9, both
response shapes of its evaluation API) per unit × period × metric in the warehouse table ``portal_figures``.

Units are matched to the registry through the optional key ``ma_dvcqg``; units it cannot match are listed and kept
under the portal's own code (departmentCode, else departmentId). Re-importing the same file changes nothing.
"""

from __future__ import annotations

from . import add_common


def register(sub):
    p = sub.add_parser("portal", help="the national portal's published 766 figures (import)",
                       description="Import the evaluation files the national portal (DVCQG) publishes for the 766 "
                                   "index; see docs/portal.md.")
    ps = p.add_subparsers(dest="portal_action", metavar="ACTION")
    imp = ps.add_parser("import", help="store evaluation files (shape A overview/evaluation or shape B "
                                       "parent/children) for one period")
    imp.add_argument("files", nargs="+", metavar="FILE", help="JSON responses of the portal's evaluation API")
    imp.add_argument("--period", required=True, help="the period the files are for (a file does not say): "
                                                     "2026-08, 2026-Q3, 2026-H1, 2026-9M or 2026")
    add_common(imp)
    return p


def run(args) -> int:
    from ..errors import ParameterError
    from ..periods import parse_period
    from ..portal.store import import_files
    from ..units import load_registry
    from ..warehouse import connect, write_lock

    if getattr(args, "portal_action", None) != "import":
        raise ParameterError("tthc portal: give an action: `tthc portal import FILE... --period P`")
    period = parse_period(args.period).code
    registry = load_registry(args.units)
    with write_lock(args.warehouse):
        con = connect(args.warehouse)
        try:
            st = import_files(args.files, period, con, registry)
        finally:
            con.close()
    for f, shape, n in st["files"]:
        print(f"{f}: shape {shape}, {n} figures")
    print(f"kỳ {period}: {st['rows']} figures — {st['new']} new, {st['replaced']} replaced, "
          f"{st['unchanged']} unchanged")
    if st["unmatched"]:
        print(f"{len(st['unmatched'])} units not in the registry (kept under the portal's code; add `ma_dvcqg` to "
              f"the registry to match them): " + ", ".join(st["unmatched"]))
    return 0
