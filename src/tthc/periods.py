"""Reporting periods (spec §5).

Syntax: ``2025-03`` (month), ``2025-Q1`` (quarter), ``2025-H1`` (half), ``2025-9M`` (first nine months), ``2025``
(year). Two windows:

* ``calendar``: the calendar months the period names (the national 766 index counts this way);
* ``report``: the statutory cut-off of Decree 09/2019 — from the 15th of the month before the period's first month
  to the 14th of its last month (2025-Q1 → 15/12/2024–14/03/2025).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import ParameterError

WINDOWS = ("calendar", "report")
DEFAULT_WINDOW = "calendar"
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")

_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{2})|Q(?P<q>[1-4])|H(?P<h>[12])|(?P<nm>9M)))?$")
EXAMPLES = "2025-03, 2025-Q1, 2025-H1, 2025-9M, 2025"


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole calendar months ``first_month..last_month`` of ``year``, with its canonical code."""

    year: int
    first_month: int
    last_month: int
    kind: str  # "M", "Q", "H", "9M", "Y"

    @property
    def number(self) -> int:
        """Its place among the periods of its kind in the year: month 1–12, quarter 1–4, half 1–2 (1 for 9M and a
        year)."""
        months = {"M": 1, "Q": 3, "H": 6}.get(self.kind)
        return (self.first_month - 1) // months + 1 if months else 1

    @property
    def code(self) -> str:
        if self.kind == "M":
            return f"{self.year}-{self.first_month:02d}"
        if self.kind == "Q":
            return f"{self.year}-Q{self.number}"
        if self.kind == "H":
            return f"{self.year}-H{self.number}"
        if self.kind == "9M":
            return f"{self.year}-9M"
        return f"{self.year}"

    def __str__(self) -> str:
        return self.code

    def bounds(self, window: str = DEFAULT_WINDOW) -> tuple[date, date]:
        """Inclusive first and last day of the period in ``window``."""
        window = check_window(window)
        if window == "calendar":
            a = date(self.year, self.first_month, 1)
            b = _month_end(self.year, self.last_month)
        else:
            py, pm = (self.year - 1, 12) if self.first_month == 1 else (self.year, self.first_month - 1)
            a = date(py, pm, 15)
            b = date(self.year, self.last_month, 14)
        return a, b

    def previous(self) -> "Period":
        """The period of the same kind just before (2025-Q1 → 2024-Q4; 2025-9M → 2024-9M; 2025-H1 → 2024-H2)."""
        n = self.last_month - self.first_month + 1
        if self.kind == "9M" or self.kind == "Y":
            return Period(self.year - 1, self.first_month, self.last_month, self.kind)
        fm = self.first_month - n
        if fm < 1:
            return Period(self.year - 1, fm + 12, fm + 12 + n - 1, self.kind)
        return Period(self.year, fm, fm + n - 1, self.kind)

    def months(self) -> list["Period"]:
        return [Period(self.year, m, m, "M") for m in range(self.first_month, self.last_month + 1)]

    def last_month_period(self) -> "Period":
        return Period(self.year, self.last_month, self.last_month, "M")

    def trailing_months(self, n: int = 12) -> list["Period"]:
        """The ``n`` months ending with this period's last month, oldest first."""
        out = []
        y, m = self.year, self.last_month
        for _ in range(n):
            out.append(Period(y, m, m, "M"))
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        return out[::-1]


def _month_end(y: int, m: int) -> date:
    nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return nxt - timedelta(days=1)


def parse_period(text: object) -> Period:
    """Parse a period code; raises :class:`ParameterError` listing the accepted forms."""
    s = str(text).strip() if text is not None else ""
    m = _RE.match(s)
    if not m or len(s) > 8:
        raise ParameterError(f"invalid period {str(text)[:40]!r}: use one of {EXAMPLES}")
    y = int(m["y"])
    if not 2000 <= y <= 2100:
        raise ParameterError(f"invalid period {s!r}: year must be between 2000 and 2100")
    if m["m"]:
        mm = int(m["m"])
        if not 1 <= mm <= 12:
            raise ParameterError(f"invalid period {s!r}: month must be 01–12 (e.g. {y}-03)")
        return Period(y, mm, mm, "M")
    if m["q"]:
        q = int(m["q"])
        return Period(y, 3 * q - 2, 3 * q, "Q")
    if m["h"]:
        h = int(m["h"])
        return Period(y, 6 * h - 5, 6 * h, "H")
    if m["nm"]:
        return Period(y, 1, 9, "9M")
    return Period(y, 1, 12, "Y")


def check_window(window: object) -> str:
    """``window`` when it is exactly one of :data:`WINDOWS` (no case folding, no trimming: the CLI's choices and
    the report parameters accept nothing else), else a one-line :class:`ParameterError`."""
    if not isinstance(window, str) or window not in WINDOWS:
        raise ParameterError(f"invalid window {str(window)[:40]!r}: use one of {', '.join(WINDOWS)}")
    return window


def periods_covering(first: date, last: date) -> list[Period]:
    """Every month, quarter, half, nine-months and year that overlaps [first, last] (calendar window)."""
    out: list[Period] = []
    for y in range(first.year, last.year + 1):
        cands = [Period(y, m, m, "M") for m in range(1, 13)]
        cands += [Period(y, 3 * q - 2, 3 * q, "Q") for q in range(1, 5)]
        cands += [Period(y, 1, 6, "H"), Period(y, 7, 12, "H"), Period(y, 1, 9, "9M"), Period(y, 1, 12, "Y")]
        for p in cands:
            a, b = p.bounds("calendar")
            if a <= last and b >= first:
                out.append(p)
    return out
