"""``tthc report``: one unit, one period → outputs/<PERIOD>/<UNIT>/report.ipynb, .html, .pdf, bieu06.xlsx, run.json
(and overview.* for a unit with children)."""

from __future__ import annotations

from . import add_common, add_rules, add_period, export_common_env, run_settings


def register(sub):
    p = sub.add_parser("report", help="execute and render the report of one unit for one period",
                       description="Validate the parameters, generate the sample if nothing was ingested, execute "
                                   "notebooks/unit_report.ipynb (and overview.ipynb for a unit with children) and "
                                   "write outputs/<PERIOD>/<UNIT>/{report.ipynb,report.html,report.pdf,bieu06.xlsx,"
                                   "run.json}.")
    p.add_argument("--unit", required=True, help="unit code exactly as in the registry (e.g. X001, P005, H001)")
    add_period(p)
    p.add_argument("--lang", default="vi", help="vi (default) or en")
    p.add_argument("--out-root", metavar="DIR", default=None, help="output root (default outputs/)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF (faster drafts)")
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for another run of the same report to finish (default 900)")
    add_common(p)
    add_rules(p)
    return p


def run(args) -> int:
    import os

    from ..run import ReportExecutionError, run_report

    export_common_env(args)
    settings = run_settings(args)
    formats = ("ipynb", "html") if args.no_pdf else ("ipynb", "html", "pdf")
    try:
        rec = run_report(args.unit, args.period, args.window, args.lang, out_root=args.out_root, formats=formats,
                         lock_timeout=args.wait, rules=settings.rules766)
    except ReportExecutionError as e:
        print(f"tthc report: error: {e}")
        return 1
    except OSError as e:  # unwritable or full output root: one line, not a traceback
        from ..errors import TthcError

        from .. import config
        from ..errors import os_error_line

        out_dir = os.path.join(args.out_root or config.outputs_dir(), str(args.period), str(args.unit))
        raise TthcError("cannot write the outputs: " + os_error_line(
            e, out_dir, "give a writable --out-root folder with free space")) from None
    for name in [*rec["outputs"], "run.json"]:
        print(os.path.join(rec["out_dir"], name))
    return 0
