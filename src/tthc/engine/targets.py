"""Targets (``params/targets.yaml``): dated rules per indicator (spec §1), and the exact arithmetic around them.

Each indicator has one or more rules: ``target`` (and ``by_level``), ``issued_by`` (a key of ``sources``: document
number, issuer, date), ``valid_from`` / ``valid_to`` (ISO dates, null = open), ``applies_to`` (``levels:`` and/or
``units:`` — a unit code covers its subtree) and ``verified`` (default: the source's, else true). A report uses,
for each indicator, the rule in force for its unit at the period's end (:meth:`Targets.rule`; a rule naming the
unit or an ancestor beats one naming its level) and cites it. An indicator written the old way (``target`` and
``source`` directly) is one rule valid always, for every unit.

Rates are compared on the exact fraction with integers (n·10000 ≥ t·100·d), never on the rounded percentage; the
displayed value is rounded half-up to 2 decimals; the gap in dossiers is ``ceil(t·d − n)`` when positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
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


UNVERIFIED_VI = "chưa kiểm chứng"
UNVERIFIED_EN = "unverified"


@dataclass(frozen=True)
class TargetRule:
    """One dated target rule of an indicator."""

    target: float
    by_level: dict
    citation: str                  # e.g. "Công văn 353/UBND-VP ngày 31/03/2025"
    valid_from: date | None = None
    valid_to: date | None = None
    levels: tuple[str, ...] | None = None   # None: every level
    units: tuple[str, ...] | None = None    # unit codes (with their subtrees); None: every unit
    verified: bool = True
    source_key: str = ""

    def for_level(self, level: str) -> float:
        return float(self.by_level.get(level, self.target))

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def applies(self, unit: str, level: str, ancestors=()) -> int:
        """0: does not apply; 1: applies by level (or to all); 2: applies by unit code (more specific)."""
        if self.units is not None and not ({unit, *ancestors} & set(self.units)):
            return 0
        if self.levels is not None and level not in self.levels:
            return 0
        return 2 if self.units is not None else 1

    def cite(self, lang: str = "vi") -> str:
        if self.verified:
            return self.citation
        return f"{self.citation} ({UNVERIFIED_EN if lang == 'en' else UNVERIFIED_VI})"


@dataclass(frozen=True)
class Target:
    indicator: str
    name_vi: str
    name_en: str
    kind: str          # rate | count
    better: str        # higher | lower
    target: float      # the first rule's (older callers)
    by_level: dict
    source: str        # the first rule's citation
    decision: str | None = None
    rules: tuple[TargetRule, ...] = field(default_factory=tuple)

    def for_level(self, level: str) -> float:
        return float(self.by_level.get(level, self.target))

    def rule(self, unit: str, level: str, day: date, ancestors=()) -> TargetRule | None:
        """The rule in force for the unit on ``day`` (unit-code rules beat level rules; None when none)."""
        best, rank = None, 0
        for r in self.rules:
            if r.in_force(day):
                a = r.applies(unit, level, ancestors)
                if a > rank:
                    best, rank = r, a
        return best


@dataclass(frozen=True)
class Targets:
    indicators: dict[str, Target]
    rules: Rules
    path: Path

    def target(self, indicator: str, level: str) -> float:
        return self.indicators[indicator].for_level(level)

    def rule(self, indicator: str, unit: str, level: str, day: date, ancestors=()) -> TargetRule | None:
        return self.indicators[indicator].rule(unit, level, day, ancestors)

    def check_coverage(self, registry, start: date | None = None, end: date | None = None) -> list[str]:
        """Problems of the dated rules over the registry (``tthc check``): for each indicator and unit, days of the
        unit's validity (within [start, end], default: from the earliest rule start to the latest dated end or
        today) where no rule applies (gap) or two equally specific rules apply (overlap). One line each."""
        out = []
        for ind, t in self.indicators.items():
            days = sorted({d for r in t.rules for d in (r.valid_from, r.valid_to) if d is not None})
            lo = start or (days[0] if days else None) or date(2024, 1, 1)
            hi = end or max([date.today(), *days])
            for u in registry:
                anc = registry.ancestors(u.code)
                a, b = max(lo, u.valid_from), min(hi, u.valid_to or hi)
                if a > b:
                    continue
                # candidate change points: rule boundaries within [a, b]
                pts = sorted({a, *[d for r in t.rules for d in (r.valid_from,) if d and a < d <= b],
                              *[date.fromordinal(r.valid_to.toordinal() + 1) for r in t.rules
                                if r.valid_to and a <= r.valid_to < b]})
                for i, p in enumerate(pts):
                    q = date.fromordinal(pts[i + 1].toordinal() - 1) if i + 1 < len(pts) else b
                    live = [(r.applies(u.code, u.level, anc), r) for r in t.rules if r.in_force(p)]
                    live = [(k, r) for k, r in live if k]
                    if not live:
                        out.append(f"{self.path}: indicators.{ind}: no rule applies to {u.code} ({u.level}) from "
                                   f"{p} to {q}; add a rule or extend valid_from/valid_to")
                        continue
                    top = max(k for k, _ in live)
                    same = [r for k, r in live if k == top]
                    if len(same) > 1:
                        out.append(f"{self.path}: indicators.{ind}: {len(same)} rules apply to {u.code} from {p} to "
                                   f"{q} ({'; '.join(r.citation for r in same)}); make their validity not overlap")
        return out


def load_targets(path: Path | str | None = None) -> Targets:
    path = Path(path) if path else config.targets_file()
    return load_parsed(path, _parse)


def _date(v, where: str, path) -> date | None:
    from ..yamlio import iso_date

    return iso_date(v, where, path)


def _citation(sources: dict, key, where: str, path) -> tuple[str, bool]:
    src = sources.get(key)
    if not isinstance(src, dict):
        raise ConfigError(f"{path}: {where} = {key!r} is not listed under 'sources'")
    d = src.get("date")
    when = d.strftime('%d/%m/%Y') if hasattr(d, 'strftime') else d
    return (f"{src.get('document', key)} ngày {when}" if when else str(src.get("document", key)),
            bool(src.get("verified", True)))


def _rule(item: dict, kind: str, sources: dict, where: str, path) -> TargetRule:
    key = item.get("issued_by", item.get("source"))
    if key is None:
        raise ConfigError(f"{path}: {where}: missing 'issued_by' (a key of 'sources')")
    if item.get("target") is None:
        raise ConfigError(f"{path}: {where}: missing 'target'")
    citation, verified = _citation(sources, key, f"{where}.issued_by", path)
    by_level = item.get("by_level") or {}
    bad = set(by_level) - set(LEVELS)
    if bad:
        raise ConfigError(f"{path}: {where}.by_level: unknown level(s) {sorted(bad)}; use {LEVELS}")
    try:
        t = float(item["target"])
        by_level = {k: float(v) for k, v in by_level.items()}
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: {where}: targets must be numbers (percent)") from None
    for v in (t, *by_level.values()):
        if kind == "rate" and not 0 <= v <= 100:
            raise ConfigError(f"{path}: {where}: target {v} is not a percentage in [0, 100]")
        if kind == "count" and not (v >= 0 and v == v):
            raise ConfigError(f"{path}: {where}: target {v} must be a count ≥ 0")
    vf = _date(item.get("valid_from"), f"{where}.valid_from", path)
    vt = _date(item.get("valid_to"), f"{where}.valid_to", path)
    if vf and vt and vt < vf:
        raise ConfigError(f"{path}: {where}: valid_to {vt} is before valid_from {vf}")
    ap = item.get("applies_to") or {}
    if not isinstance(ap, dict) or set(ap) - {"levels", "units"}:
        raise ConfigError(f"{path}: {where}.applies_to: expected a mapping with 'levels' and/or 'units' lists")
    levels = ap.get("levels")
    if levels is not None:
        if not isinstance(levels, list) or set(levels) - set(LEVELS):
            raise ConfigError(f"{path}: {where}.applies_to.levels: use a list of {', '.join(LEVELS)}")
        levels = tuple(levels)
    units = ap.get("units")
    if units is not None:
        if not isinstance(units, list) or not units:
            raise ConfigError(f"{path}: {where}.applies_to.units: use a list of unit codes")
        units = tuple(str(u) for u in units)
    ver = item.get("verified", verified)
    if not isinstance(ver, bool):
        raise ConfigError(f"{path}: {where}.verified = {ver!r}; write true or false")
    return TargetRule(t, by_level, citation, vf, vt, levels, units, ver, str(key))


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
            raise ConfigError(f"{path}: indicators.{ind} is missing; every indicator needs a target")
        kind = item.get("kind")
        if kind is None:
            raise ConfigError(f"{path}: indicators.{ind}: missing 'kind'")
        if kind not in ("rate", "count"):
            raise ConfigError(f"{path}: indicators.{ind}.kind = {kind!r}; use rate or count")
        if "rules" in item:
            if not isinstance(item["rules"], list) or not item["rules"]:
                raise ConfigError(f"{path}: indicators.{ind}.rules: expected a non-empty list of rules")
            rules_ = tuple(_rule(r if isinstance(r, dict) else {}, kind, sources, f"indicators.{ind}.rules[{i}]",
                                 path) for i, r in enumerate(item["rules"]))
        else:
            for key in ("target", "source"):
                if item.get(key) is None:
                    raise ConfigError(f"{path}: indicators.{ind}: missing '{key}' (or a 'rules' list)")
            rules_ = (_rule(item, kind, sources, f"indicators.{ind}", path),)
        first = rules_[0]
        out[ind] = Target(ind, str(item.get("name_vi", ind)), str(item.get("name_en", ind)), kind,
                          str(item.get("better", "lower" if kind == "count" else "higher")), first.target,
                          first.by_level, first.citation, item.get("decision"), rules_)
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
