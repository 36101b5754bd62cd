"""Targets of dispatch 353/UBND-VP (``params/targets.yaml``) and the exact arithmetic around them.

Rates are compared on the exact fraction with integers (n·10000 ≥ t·100·d), never on the rounded percentage; the
displayed value is rounded half-up to 2 decimals; the gap in dossiers is ``ceil(t·d − n)`` when positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..errors import ConfigError
from ..units import LEVELS
from ..yamlio import load_parsed

INDICATORS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")
DAT, CHUA_DAT, KHONG_DU_LIEU = "Đạt", "Chưa đạt", "Không có dữ liệu"
# targets are kept in hundredths of a percent so every comparison is an integer one
SCALE = 100


@dataclass(frozen=True)
class Rules:
    """Timeliness switches of spec §6 (Decisions, default on).

    ``supplement_pause``: exactly one supplement request extends the due date by the pause (calendar days).
    ``multiple_supplements_late``: more than one supplement request makes the dossier late.
    ``pause_without_completion``: "open" — a pause with no completion date runs until the end of processing (or
    the period end while pending); "ignore" — no extension.
    """

    supplement_pause: bool = True
    multiple_supplements_late: bool = True
    pause_without_completion: str = "open"
    due_soon_working_days: int = 2

    def stamp(self) -> str:
        return (f"{int(self.supplement_pause)}{int(self.multiple_supplements_late)}"
                f"{self.pause_without_completion}{self.due_soon_working_days}")


@dataclass(frozen=True)
class Target:
    indicator: str
    name_vi: str
    name_en: str
    kind: str          # rate | count
    better: str        # higher | lower
    target: float
    by_level: dict
    source: str        # the citation, e.g. "Công văn 353/UBND-VP ngày 31/03/2025"
    decision: str | None = None

    def for_level(self, level: str) -> float:
        return float(self.by_level.get(level, self.target))


@dataclass(frozen=True)
class Targets:
    indicators: dict[str, Target]
    rules: Rules
    path: Path

    def target(self, indicator: str, level: str) -> float:
        return self.indicators[indicator].for_level(level)


def load_targets(path: Path | str | None = None) -> Targets:
    path = Path(path) if path else config.targets_file()
    return load_parsed(path, _parse)


def _parse(doc, path: Path) -> Targets:
    if not isinstance(doc, dict) or not isinstance(doc.get("indicators"), dict):
        raise ConfigError(f"{path}: expected a mapping with 'sources', 'indicators' and 'rules'")
    sources = doc.get("sources") or {}
    extra = sorted(set(map(str, doc["indicators"])) - set(INDICATORS))
    if extra:
        raise ConfigError(f"{path}: indicators: unknown indicator id(s) {extra}; use {', '.join(INDICATORS)}")
    out = {}
    for ind in INDICATORS:
        item = doc["indicators"].get(ind)
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: indicators.{ind} is missing; every indicator D1–D7 needs a target")
        for key in ("kind", "target", "source"):
            if item.get(key) is None:
                raise ConfigError(f"{path}: indicators.{ind}: missing '{key}'")
        kind = item["kind"]
        if kind not in ("rate", "count"):
            raise ConfigError(f"{path}: indicators.{ind}.kind = {kind!r}; use rate or count")
        src = sources.get(item["source"])
        if not isinstance(src, dict):
            raise ConfigError(f"{path}: indicators.{ind}.source = {item['source']!r} is not listed under 'sources'")
        d = src.get("date")
        citation = f"{src.get('document', item['source'])} ngày {d.strftime('%d/%m/%Y') if hasattr(d, 'strftime') else d}"
        by_level = item.get("by_level") or {}
        bad = set(by_level) - set(LEVELS)
        if bad:
            raise ConfigError(f"{path}: indicators.{ind}.by_level: unknown level(s) {sorted(bad)}; use {LEVELS}")
        try:
            t = float(item["target"])
            by_level = {k: float(v) for k, v in by_level.items()}
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: indicators.{ind}: targets must be numbers (percent)") from None
        for v in (t, *by_level.values()):
            if kind == "rate" and not 0 <= v <= 100:
                raise ConfigError(f"{path}: indicators.{ind}: target {v} is not a percentage in [0, 100]")
            if kind == "count" and not (v >= 0 and v == v):
                raise ConfigError(f"{path}: indicators.{ind}: target {v} must be a count ≥ 0")
        out[ind] = Target(ind, str(item.get("name_vi", ind)), str(item.get("name_en", ind)), kind,
                          str(item.get("better", "lower" if kind == "count" else "higher")), t, by_level, citation,
                          item.get("decision"))
    r = doc.get("rules") or {}
    pwc = str(r.get("pause_without_completion", "open"))
    if pwc not in ("open", "ignore"):
        raise ConfigError(f"{path}: rules.pause_without_completion = {pwc!r}; use open or ignore")
    rules = Rules(bool(r.get("supplement_pause", True)), bool(r.get("multiple_supplements_late", True)), pwc,
                  int(r.get("due_soon_working_days", 2)))
    return Targets(out, rules, Path(path))


# -- exact arithmetic (vectorised over integer arrays) ------------------------------------------------------------
def pct_half_up(n, d):
    """100·n/d rounded half-up to 2 decimals (NaN when d = 0), computed with integers."""
    n = np.asarray(n, dtype="int64")
    d = np.asarray(d, dtype="int64")
    safe = np.where(d > 0, d, 1)
    hundredths = (2 * 10000 * n + safe) // (2 * safe)  # floor(10000·n/d + 1/2)
    return np.where(d > 0, hundredths / 100.0, np.nan)


def _t_int(t):
    return np.rint(np.asarray(t, dtype="float64") * SCALE).astype("int64")


def meets(n, d, t_pct):
    """Exact n/d ≥ t% test (bool array)."""
    n = np.asarray(n, dtype="int64")
    d = np.asarray(d, dtype="int64")
    return n * 100 * SCALE >= _t_int(t_pct) * d


def status(n, d, t_pct):
    """Đạt / Chưa đạt / Không có dữ liệu (empty denominator), decided on the exact fraction."""
    d = np.asarray(d, dtype="int64")
    ok = meets(n, d, t_pct)
    return np.where(d <= 0, KHONG_DU_LIEU, np.where(ok, DAT, CHUA_DAT))


def gap(n, d, t_pct):
    """Dossiers still missing to reach the target: ceil(t·d − n) when positive, else 0 (0 when d = 0)."""
    n = np.asarray(n, dtype="int64")
    d = np.asarray(d, dtype="int64")
    num = _t_int(t_pct) * d - n * 100 * SCALE  # (t·d − n) in units of 1/(100·SCALE)
    den = 100 * SCALE
    g = -((-num) // den)  # integer ceil
    return np.where((d > 0) & (g > 0), g, 0)


def round_half_up(x, digits: int = 2):
    """Half-up rounding of floats for display values that are not plain fractions (averages, scores)."""
    x = np.asarray(x, dtype="float64")
    f = 10.0 ** digits
    return np.floor(x * f + 0.5 + 1e-9) / f
