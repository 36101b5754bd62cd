"""Working-day calendar (spec §4).

A working day is Monday–Friday minus Vietnamese public holidays (package ``holidays``, country VN), corrected by
``params/calendar.yaml``: ``days_off`` (extra days off) and ``working_saturdays`` (make-up working days, which
``holidays`` does not model). The day of receipt is day 0 when counting.

Check from the spec: with Saturday 26/04/2025 a make-up working day, Friday 25/04/2025 + 3 working days is
Tuesday 29/04/2025.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np

from . import config
from .errors import ConfigError
from .yamlio import iso_date, load_parsed

FIRST_YEAR, LAST_YEAR = 2010, 2035


@dataclass
class WorkCalendar:
    """Working days as a sorted array of ``datetime64[D]``; all arithmetic is vectorised with ``searchsorted``."""

    days_off: set[date] = field(default_factory=set)
    working_days_extra: set[date] = field(default_factory=set)
    first_year: int = FIRST_YEAR
    last_year: int = LAST_YEAR

    def __post_init__(self) -> None:
        years = range(self.first_year, self.last_year + 1)
        vn = holidays.country_holidays("VN", years=years)
        off = set(vn.keys()) | set(self.days_off)
        start = np.datetime64(date(self.first_year, 1, 1), "D")
        end = np.datetime64(date(self.last_year, 12, 31), "D")
        alldays = np.arange(start, end + 1, dtype="datetime64[D]")
        weekday = (alldays.astype("int64") - 4) % 7  # 1970-01-01 was a Thursday (3); Monday = 0
        is_work = weekday < 5
        off_arr = np.array(sorted(off), dtype="datetime64[D]")
        is_work &= ~np.isin(alldays, off_arr)
        if self.working_days_extra:
            is_work |= np.isin(alldays, np.array(sorted(self.working_days_extra), dtype="datetime64[D]"))
        self.workdays = alldays[is_work]
        self.holiday_names = {d: n for d, n in vn.items()}

    # -- scalar helpers -------------------------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        x = np.datetime64(d, "D")
        i = np.searchsorted(self.workdays, x)
        return bool(i < len(self.workdays) and self.workdays[i] == x)

    def add_working_days(self, d: date, n: int) -> date:
        """``d`` plus ``n`` working days, ``d`` being day 0 (it need not be a working day)."""
        return self.add_working_days_array(np.array([d], dtype="datetime64[D]"), np.array([n]))[0].item()

    def working_days_between(self, d1: date, d2: date) -> int:
        """Working days in (d1, d2]; negative when d2 < d1."""
        a = np.array([d1], dtype="datetime64[D]")
        b = np.array([d2], dtype="datetime64[D]")
        return int(self.working_days_between_array(a, b)[0])

    # -- vectorised -----------------------------------------------------------------------------------------------
    def rank(self, days: np.ndarray) -> np.ndarray:
        """Number of working days ≤ each day (monotone; equal for a non-working day and the working day before)."""
        return np.searchsorted(self.workdays, days.astype("datetime64[D]"), side="right")

    def add_working_days_array(self, days: np.ndarray, n: np.ndarray) -> np.ndarray:
        idx = self.rank(days) - 1 + np.asarray(n, dtype="int64")
        idx = np.clip(idx, 0, len(self.workdays) - 1)
        return self.workdays[idx]

    def working_days_between_array(self, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
        return self.rank(d2) - self.rank(d1)

    def workdays_frame(self):
        """Working days as a one-column DataFrame (``ngay``) with their rank, for joins inside DuckDB."""
        import pandas as pd

        return pd.DataFrame({"ngay": self.workdays.astype("datetime64[s]").astype("datetime64[us]"),
                             "rank": np.arange(1, len(self.workdays) + 1, dtype="int64")})


def load_calendar(path: Path | str | None = None) -> WorkCalendar:
    path = Path(path) if path else config.calendar_file()
    return load_parsed(path, _parse_calendar)


def _parse_calendar(doc, path: Path) -> WorkCalendar:
    doc = doc or {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping with keys days_off and working_saturdays")
    unknown = set(doc) - {"days_off", "working_saturdays"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: days_off, working_saturdays")
    off, extra = set(), set()
    for key, target in (("days_off", off), ("working_saturdays", extra)):
        items = doc.get(key) or []
        if not isinstance(items, list):
            raise ConfigError(f"{path}: {key} must be a list of {{date: YYYY-MM-DD, reason: ...}}")
        for i, item in enumerate(items):
            v = item.get("date") if isinstance(item, dict) else item
            d = iso_date(v, f"{key}[{i}]", path, required=True)
            if key == "working_saturdays" and d.weekday() != 5:
                raise ConfigError(f"{path}: {key}[{i}]: {d.isoformat()} is not a Saturday; "
                                  "list only make-up working Saturdays here")
            target.add(d)
    both = off & extra
    if both:
        raise ConfigError(f"{path}: {sorted(d.isoformat() for d in both)} listed both as day off and working day")
    return WorkCalendar(days_off=off, working_days_extra=extra)


def date_range(a: date, b: date):
    d = a
    while d <= b:
        yield d
        d += timedelta(days=1)
