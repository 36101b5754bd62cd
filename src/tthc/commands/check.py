"""``tthc check``: validate every configuration file under params/ and report the first problem found."""

from __future__ import annotations

from . import add_common


def register(sub):
    p = sub.add_parser("check", help="validate the configuration files (units, calendar, targets, 766, sources)")
    add_common(p)
    return p


def run(args) -> int:
    from ..config_check import check_all

    for line in check_all(units=args.units):
        print(line)
    return 0
