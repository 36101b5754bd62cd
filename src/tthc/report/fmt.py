"""Display formats (spec §11): Vietnamese numbers (``32,97%``, thousands ``1.234``) and dates ``dd/mm/yyyy``.

Rounding is half-up on the decimal representation of the number (``0,125`` → ``0,13``), never banker's rounding.
English reports use ``32.97%`` and ``1,234``; dates stay ``dd/mm/yyyy`` in both languages.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

DASH = "–"


def is_missing(x) -> bool:
    """None, NaN, NA and NaT (pandas' notion of missing, for scalars)."""
    import pandas as pd

    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def round_half_up(x: float, decimals: int = 2) -> Decimal:
    """Half-up rounding on the shortest decimal representation of ``x`` (so 32.965 → 32.97)."""
    q = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)


def _group(int_digits: str, sep: str) -> str:
    out = []
    while len(int_digits) > 3:
        out.insert(0, int_digits[-3:])
        int_digits = int_digits[:-3]
    out.insert(0, int_digits)
    return sep.join(out)


def fmt_num(x, decimals: int = 0, lang: str = "vi") -> str:
    """A number with thousands separators and ``decimals`` digits, half-up; missing → ``–``."""
    if is_missing(x):
        return DASH
    if isinstance(x, float) and math.isinf(x):
        return DASH
    d = round_half_up(x, decimals)
    neg = d < 0
    s = f"{abs(d):f}"
    ip, _, fp = s.partition(".")
    thousands, dec = (".", ",") if lang == "vi" else (",", ".")
    out = _group(ip, thousands) + (dec + fp if decimals > 0 else "")
    if neg and d != 0:
        out = "−" + out
    return out


def fmt_int(x, lang: str = "vi") -> str:
    return fmt_num(x, 0, lang)


def fmt_pct(x, decimals: int = 2, lang: str = "vi") -> str:
    """``x`` is a percentage (0–100): 32.965 → ``32,97%`` (vi) / ``32.97%`` (en)."""
    if is_missing(x):
        return DASH
    return fmt_num(x, decimals, lang) + "%"


def fmt_signed(x, decimals: int = 2, lang: str = "vi", unit: str = "") -> str:
    """A change with an explicit sign: ``+1,50`` / ``−0,25``; zero shows as ``0,00``."""
    if is_missing(x):
        return DASH
    d = round_half_up(x, decimals)
    body = fmt_num(abs(float(d)), decimals, lang)
    sign = "+" if d > 0 else ("−" if d < 0 else "")
    return f"{sign}{body}{unit}"


def fmt_date(d, lang: str = "vi") -> str:
    """``dd/mm/yyyy`` in both languages (the format of Vietnamese administrative documents)."""
    if is_missing(d):
        return DASH
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    if hasattr(d, "to_pydatetime"):
        d = d.to_pydatetime()
    if isinstance(d, np.datetime64):
        d = d.astype("datetime64[D]").item()
    if isinstance(d, datetime):
        d = d.date()
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def fmt_datetime(dt: datetime, lang: str = "vi") -> str:
    return f"{dt.hour:02d}:{dt.minute:02d} {fmt_date(dt, lang)}"
