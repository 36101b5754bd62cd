"""Validate report parameters (unit, period, window, lang) before anything runs.

Parameters reach the notebooks through papermill as a dict, so types are preserved; this module still rejects
anything that is not a plain string (papermill's ``-p unit 007`` would arrive as the int 7), path-like or hostile
values, look-alike Unicode, overlong input, and unit codes that are not in the registry *exactly* (no case folding,
no trimming). Each error is one line listing the valid choices.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..errors import ParameterError
from ..periods import EXAMPLES, WINDOWS, Period, parse_period
from ..periods import check_window as periods_check_window
from .i18n import LANGS

KINDS = ("unit", "overview")
MAX_LEN = 32
# Unit codes are ASCII letters, digits, '_' and '-'; the first character is alphanumeric (no '.', '/', '\\').
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_PERIOD = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]|9M))?$")


@dataclass(frozen=True)
class ReportParams:
    """Validated parameters of one report: canonical period code, the unit's registry entry fields."""

    unit: str
    period: str
    window: str
    lang: str
    kind: str = "unit"
    rules: str | None = None  # 766 rules version (``--rules``); None: the version in force at the period's end

    def as_dict(self) -> dict:
        return asdict(self)

    def papermill(self) -> dict:
        """The dict handed to papermill (the notebooks' ``parameters`` cell); ``rules`` only when one is asked, so
        a report with the default rules has the same parameters (and stamp) as before the parameter existed."""
        d = {"unit": self.unit, "period": self.period, "window": self.window, "lang": self.lang}
        if self.rules is not None:
            d["rules"] = self.rules
        return d


def _show(v) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def _plain_string(name: str, v, hint: str) -> str:
    if not isinstance(v, str):
        raise ParameterError(f"invalid {name} {_show(v)} ({type(v).__name__}): {name} must be a string, "
                             f"e.g. {hint}; pass parameters as a dict, not as papermill -p values")
    if len(v) > MAX_LEN:
        raise ParameterError(f"invalid {name}: {len(v)} characters (at most {MAX_LEN}); e.g. {hint}")
    if not v.isascii() or not v.isprintable():
        raise ParameterError(f"invalid {name} {_show(v)}: only ASCII letters and digits are allowed "
                             f"(look-alike or control characters found); e.g. {hint}")
    return v


def checked_period(period) -> Period:
    """The parsed period of a parameter (a plain string of one of the accepted forms; a :class:`Period` the caller
    already parsed is returned as it is); raises :class:`ParameterError`, one line, otherwise."""
    if isinstance(period, Period):  # parsed once by the caller (e.g. `tthc batch`)
        return period
    s = _plain_string("period", period, EXAMPLES)
    if not _PERIOD.match(s):
        raise ParameterError(f"invalid period {_show(s)}: use one of {EXAMPLES}")
    return parse_period(s)


def check_period(period) -> str:
    return checked_period(period).code


def check_window(window) -> str:
    """A plain string (see :func:`_plain_string`), then the one window rule, :func:`tthc.periods.check_window`."""
    return periods_check_window(_plain_string("window", window, " or ".join(WINDOWS)))


def check_lang(lang) -> str:
    s = _plain_string("lang", lang, " or ".join(LANGS))
    if s not in LANGS:
        raise ParameterError(f"invalid lang {_show(s)}: use one of {', '.join(LANGS)}")
    return s


def valid_units(registry, period: str, window: str) -> list[str]:
    """Codes of the units whose validity overlaps the period (a code or a parsed :class:`Period`), in registry
    order."""
    a, b = (period if isinstance(period, Period) else parse_period(period)).bounds(window)
    return [u.code for u in registry.valid_in(a, b)]


def _choices(codes: list[str], limit: int = 40) -> str:
    if len(codes) <= limit:
        return ", ".join(codes)
    return ", ".join(codes[:limit]) + f", … ({len(codes)} in all)"


def check_unit(unit, period: str, window: str = "calendar", registry=None) -> str:
    """The one rule for a unit × period, used by every command that takes both (report, batch --units-list, export,
    bieu06, indicators --unit): a plain ASCII code, exactly as in the registry, whose validity overlaps the period
    (``period`` already canonical, e.g. from :func:`check_period`). Returns the code; raises :class:`ParameterError`
    (one line, valid choices listed) otherwise."""
    from ..units import load_registry

    reg = registry if registry is not None else load_registry()
    codes = valid_units(reg, period, window)
    period = period.code if isinstance(period, Period) else period
    hint = _choices(codes) if codes else "(no unit is valid in this period)"
    if not isinstance(unit, str):
        raise ParameterError(f"invalid unit {_show(unit)} ({type(unit).__name__}): the unit code must be a string "
                             f"exactly as in the registry; valid units for {period}: {hint}")
    if len(unit) > MAX_LEN or not unit.isascii() or not unit.isprintable() or not _CODE.match(unit):
        raise ParameterError(f"invalid unit {_show(unit)}: a unit code is letters and digits only (no paths, spaces "
                             f"or symbols); valid units for {period}: {hint}")
    if unit not in reg:
        raise ParameterError(f"unknown unit {unit!r}: valid units for {period}: {hint}")
    if unit not in codes:
        u = reg.get(unit)
        raise ParameterError(f"unit {unit!r} is not valid in {period} (valid {u.valid_from}–{u.valid_to or '…'}); "
                             f"valid units for {period}: {hint}")
    return unit


def validate(unit, period, window="calendar", lang="vi", kind: str = "unit", registry=None,
             rules: str | None = None) -> ReportParams:
    """Check every parameter; raise :class:`ParameterError` (one line, valid choices listed) on the first bad one."""
    parsed = period if isinstance(period, Period) else None
    period = check_period(period)
    window = check_window(window)
    lang = check_lang(lang)
    if kind not in KINDS:
        raise ParameterError(f"invalid report kind {_show(kind)}: use one of {', '.join(KINDS)}")
    unit = check_unit(unit, parsed or period, window, registry)
    return ReportParams(unit=unit, period=period, window=window, lang=lang, kind=kind, rules=check_rules(rules))


def check_rules(rules) -> str | None:
    """The canonical name of a 766 rules version (``--rules``, the notebooks' ``rules`` parameter); None stays None
    (the version in force at the period's end). An unknown version: one line listing the known ones."""
    if rules is None:
        return None
    from ..engine.index766 import load_rules

    if not isinstance(rules, str):
        raise ParameterError(f"invalid rules {_show(rules)} ({type(rules).__name__}): a 766 rules version name, e.g. "
                             f"{', '.join(repr(n) for n in load_rules().names())}")
    return load_rules().get(rules).version  # an unknown version: ParameterError, one line with the choices
