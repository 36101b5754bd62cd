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


def _one_line(e: Exception, args) -> str | None:
    """The message for an OS error (disk full, unwritable path) or a DuckDB error (a warehouse damaged in a way only a
    query finds) that reached the top; None for anything else (a bug: its traceback is wanted)."""
    if isinstance(e, OSError):
        from .errors import os_error_line

        return os_error_line(e)
    if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb"):
        from .warehouse import classify_error, warehouse_path

        return str(classify_error(warehouse_path(getattr(args, "warehouse", None)), e))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    import signal

    from .errors import raise_interrupted

    if argv is None and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        # the `tthc` program itself (not a nested call, e.g. the sample from a kernel): SIGTERM stops like Ctrl-C,
        # so cleanup runs and the logs get their last line
        signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        rc = args._run(args)
    except TthcError as e:
        print(f"tthc {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"tthc {args.command}: interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # noqa: BLE001 - a full disk or a damaged warehouse met deep inside: one line
        msg = _one_line(e, args)
        if msg is None:
            raise
        print(f"tthc {args.command}: error: {msg}", file=sys.stderr)
        return 2
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
