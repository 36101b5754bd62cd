"""``tthc publish``: the static public site of a period (aggregates only; index + one page per unit)."""

from __future__ import annotations

from . import add_common, add_period, export_common_env


def register(sub):
    p = sub.add_parser("publish", help="write the public site of a period: aggregates only, one page per unit")
    add_common(p)
    add_period(p)
    p.add_argument("--out", default=None, help="output folder (default outputs/public/<period>/)")
    return p


def run(args) -> int:
    from pathlib import Path

    from ..publish import publish
    from ..bootstrap import ensure_data
    from ..units import load_registry

    export_common_env(args)
    reg = load_registry(args.units)
    ensure_data(verbose=True, period=args.period)  # queries only read: the cube must hold the period
    try:
        out, units = publish(args.period, args.window, Path(args.out) if args.out else None, reg)
    except OSError as e:
        from ..errors import TthcError

        raise TthcError(f"cannot write the site: {e.strerror or e}; give a writable --out folder") from None
    print(f"{out}/index.html: {len(units)} unit pages")
    return 0
