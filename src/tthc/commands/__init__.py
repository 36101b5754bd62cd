"""One module per ``tthc`` subcommand: ``register(subparsers) -> parser`` and ``run(args) -> exit code``."""

from __future__ import annotations

import argparse


def add_common(p: argparse.ArgumentParser) -> None:
    """``--units`` and ``--warehouse``: every command that reads the registry or the warehouse accepts them."""
    p.add_argument("--units", metavar="PATH", default=None, help="unit registry (default params/units.yaml)")
    p.add_argument("--warehouse", metavar="PATH", default=None, help="DuckDB warehouse (default data/warehouse.duckdb)")


def add_period(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--period", required=required, help="2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025")
    from ..periods import DEFAULT_WINDOW, WINDOWS

    p.add_argument("--window", default=DEFAULT_WINDOW, choices=WINDOWS,
                   help="calendar months (default) or the 15th–14th statutory reporting window")


def add_table_options(p: argparse.ArgumentParser) -> None:
    """``--unit``, ``--format`` and ``--cube``: the commands that print a table of the cube for a period."""
    p.add_argument("--unit", default=None, help="only this unit (default: all units of the period)")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("--cube", default=None, help="cube folder (default: the warehouse's own cube, data/processed/cube "
                   "for data/warehouse.duckdb, else <name>.cube/ beside the warehouse; built when needed)")


def add_rules(p: argparse.ArgumentParser) -> None:
    """``--rules VERSION``: the 766 rules version (default: the one in force at the period's end, spec §9)."""
    p.add_argument("--rules", metavar="VERSION", default=None,
                   help='766 rules version, e.g. "2026 portal" or "2022–2025, as observed" (default: the version in '
                        "force at the end of the period)")


def export_common_env(args) -> None:
    """Hand ``--units``/``--warehouse`` to child processes (kernels, workers) through the documented environment
    variables ``tthc.config`` reads (the project's locations; every other setting travels as
    :class:`tthc.settings.RunSettings`, see :func:`run_settings`)."""
    import os

    if getattr(args, "units", None):
        os.environ["TTHC_UNITS"] = os.path.abspath(args.units)
    if getattr(args, "warehouse", None):
        os.environ["TTHC_WAREHOUSE"] = os.path.abspath(args.warehouse)


def add_run_switches(p: argparse.ArgumentParser) -> None:
    """Hidden switches of the batch machinery (diagnostics and tests), fields of :class:`tthc.settings.RunSettings`."""
    for flag in ("--no-fork-kernels", "--no-shared-zygote", "--no-early-pool", "--no-gc-freeze"):
        p.add_argument(flag, action="store_true", help=argparse.SUPPRESS)


def run_settings(args):
    """The :class:`tthc.settings.RunSettings` of a command line: ``--rules`` checked now (an unknown version is one
    line listing the known ones) and the hidden switches of :func:`add_run_switches`."""
    from ..report.params import check_rules
    from ..settings import RunSettings

    return RunSettings(rules766=check_rules(getattr(args, "rules", None)),
                       fork_kernels=not getattr(args, "no_fork_kernels", False),
                       shared_zygote=not getattr(args, "no_shared_zygote", False),
                       early_pool=not getattr(args, "no_early_pool", False),
                       zygote_gc_freeze=not getattr(args, "no_gc_freeze", False))


def print_table(columns, rows, fmt: str, title: str) -> None:
    """A command's rows: ``csv`` is the stable machine interface (header ``columns``, then the rows); otherwise an
    aligned text table under ``title``."""
    import csv
    import sys

    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        return
    widths = [max(len(str(r[i])) for r in [*rows, columns]) for i in range(len(columns))]
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
