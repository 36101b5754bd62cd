"""``tthc batch``: every unit report (and parent overview) of a period, in parallel and incrementally."""

from __future__ import annotations

import os

from . import add_common, add_rules, add_period, add_run_switches, export_common_env, run_settings


def register(sub):
    p = sub.add_parser(
        "batch", help="all reports of a period, in parallel, skipping those already up to date",
        description="Run the report of every unit valid in the period that has counted dossiers (and the overview of "
                    "every unit with children) into <out-root>/<PERIOD>/<UNIT>/, in long-lived worker processes with "
                    "pre-warmed kernels. A run whose stamp (parameters, notebooks, package, config, data slice, "
                    "environment) matches its run.json is skipped. Writes <out-root>/index.html. Exit code 1 if any "
                    "unit failed (the others still finish), 2 on a usage error (e.g. another batch holds the lock).")
    add_period(p)
    p.add_argument("--lang", default="vi", help="vi (default) or en")
    p.add_argument("--units-list", metavar="X001,X002", default=None, help="only these unit codes (comma-separated)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes (default: the number of CPU cores + 1)")
    p.add_argument("--force", action="store_true", help="re-run every unit even if up to date")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", default=None,
                   help="run on a Dask distributed cluster (default: env DASK_SCHEDULER_ADDRESS, else the local pool); "
                        "--out-root must be a path every worker sees")
    p.add_argument("--out-root", metavar="DIR", default=None, help="output root (default outputs/)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs (faster drafts)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_common(p)
    add_rules(p)
    add_run_switches(p)
    return p


def run(args) -> int:
    from ..batch.runner import run_batch
    from ..periods import parse_period

    period = parse_period(args.period)  # the one parse of the batch process: the Period goes down from here
    export_common_env(args)
    settings = run_settings(args)
    from ..batch.pool import default_jobs

    jobs = args.jobs or default_jobs()
    if jobs < 1:
        from ..errors import ParameterError

        raise ParameterError(f"--jobs {jobs}: give a number of worker processes ≥ 1")
    if not (args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")):  # local workers: bounded by this machine
        import sys

        from ..batch.pool import cap_jobs

        jobs, why = cap_jobs(jobs)
        if why:
            print(f"tthc batch: {why}", file=sys.stderr, flush=True)
    scheduler = args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    out_root = os.path.abspath(args.out_root) if args.out_root else None
    formats = ("ipynb", "html") if args.no_pdf else ("ipynb", "html", "pdf")
    try:
        res = run_batch(period, args.window, args.lang, units_list=args.units_list, jobs=jobs, force=args.force,
                        scheduler=scheduler, out_root=out_root, progress=not args.no_progress, formats=formats,
                        settings=settings)
    except OSError as e:  # unwritable or full output root: one line, not a traceback
        from ..errors import TthcError

        from .. import config
        from ..errors import os_error_line

        raise TthcError("cannot write the outputs: " + os_error_line(
            e, out_root or str(config.outputs_dir()), "give a writable --out-root folder with free space")) from None
    print(res.summary())
    return res.exit_code
