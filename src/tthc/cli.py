"""``tthc`` command line. Each subcommand lives in ``tthc.commands.<name>`` with ``register(subparsers)`` and
``run(args)``; heavy imports happen inside ``run`` so that ``tthc --help`` stays instant.

User errors (:class:`tthc.errors.TthcError`) print one line and exit 2; nothing else is caught.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import TthcError

COMMANDS = ("sample", "ingest", "cube", "indicators", "bieu06", "export", "report", "batch", "lab", "bench",
            "check", "due-soon", "publish", "portal", "reconcile")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tthc",
        description="Reports on administrative-procedure (TTHC) performance: dispatch targets D1–D7, Biểu 06, "
                    "Bộ chỉ số 766.")
    p.add_argument("--version", action="version", version=f"tthc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"tthc.commands.{name.replace('-', '_')}")
        except ModuleNotFoundError as e:
            if e.name != f"tthc.commands.{name.replace('-', '_')}":
                raise
            continue
        sp = mod.register(sub)
        sp.set_defaults(_run=mod.run)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        rc = args._run(args)
    except TthcError as e:
        print(f"tthc {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tthc {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
