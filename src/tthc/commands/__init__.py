"""One module per ``tthc`` subcommand: ``register(subparsers) -> parser`` and ``run(args) -> exit code``."""

from __future__ import annotations

import argparse


def add_common(p: argparse.ArgumentParser) -> None:
    """``--units`` and ``--warehouse``: every command that reads the registry or the warehouse accepts them."""
    p.add_argument("--units", metavar="PATH", default=None, help="unit registry (default params/units.yaml)")
    p.add_argument("--warehouse", metavar="PATH", default=None, help="DuckDB warehouse (default data/warehouse.duckdb)")


def add_period(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--period", required=required, help="2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025")
    p.add_argument("--window", default="calendar", choices=("calendar", "report"),
                   help="calendar months (default) or the 15th–14th statutory reporting window")
