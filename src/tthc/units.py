"""Unit registry (spec §2): ``params/units.yaml``.

Format (an interface other offices write): a top-level ``units:`` list; each item has ``code``, ``name``,
``level`` (tinh, so, huyen, phong, xa), ``parent`` (a code or null), ``valid_from``, ``valid_to`` (ISO dates;
null = open) and optional ``successors`` (codes that took over after a merger). Extra keys are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import config
from .errors import ConfigError
from .yamlio import load_parsed

LEVELS = ("tinh", "so", "huyen", "phong", "xa")
LEVEL_NAMES_VI = {"tinh": "Cấp tỉnh", "so": "Sở, ban, ngành", "huyen": "Cấp huyện", "phong": "Phòng chuyên môn",
                  "xa": "Cấp xã"}
LEVEL_NAMES_EN = {"tinh": "Province", "so": "Provincial department", "huyen": "District", "phong": "District office",
                  "xa": "Commune"}
OPEN_END = date(9999, 12, 31)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    valid_from: date
    valid_to: date | None
    successors: tuple[str, ...] = field(default_factory=tuple)
    ma_dvcqg: str | None = None

    def overlaps(self, a: date, b: date) -> bool:
        return self.valid_from <= b and (self.valid_to or OPEN_END) >= a


class Registry:
    """The validated unit tree."""

    def __init__(self, units: list[Unit], path: Path | None = None):
        self.path = path
        self.units: dict[str, Unit] = {u.code: u for u in units}
        self._children: dict[str, list[str]] = {}
        for u in units:
            if u.parent:
                self._children.setdefault(u.parent, []).append(u.code)

    def __contains__(self, code: object) -> bool:
        return code in self.units

    def __iter__(self):
        return iter(self.units.values())

    def __len__(self) -> int:
        return len(self.units)

    def get(self, code: str) -> Unit:
        try:
            return self.units[code]
        except KeyError:
            raise ConfigError(f"unknown unit {code!r}") from None

    def children(self, code: str) -> list[str]:
        return list(self._children.get(code, []))

    def descendants(self, code: str) -> list[str]:
        out, stack = [], list(self._children.get(code, []))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self._children.get(c, []))
        return out

    def ancestors(self, code: str) -> list[str]:
        out, p = [], self.units[code].parent
        while p:
            out.append(p)
            p = self.units[p].parent
        return out

    def valid_in(self, a: date, b: date) -> list[Unit]:
        return [u for u in self.units.values() if u.overlaps(a, b)]

    def roots(self) -> list[str]:
        return [u.code for u in self.units.values() if not u.parent]

    def descendant_pairs(self) -> list[tuple[str, str]]:
        """(ancestor, unit) for every unit and every ancestor including itself: the roll-up table for the cube."""
        pairs = []
        for code in self.units:
            pairs.append((code, code))
            pairs.extend((a, code) for a in self.ancestors(code))
        return pairs


def _parse_date(v, path, i, key, code) -> date | None:
    if v is None:
        return None
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise ConfigError(f"{path}: units[{i}] ({code}): {key} = {v!r} is not an ISO date; write YYYY-MM-DD or null")


def parse_registry(doc, path: Path | str = "units.yaml") -> Registry:
    if not isinstance(doc, dict) or not isinstance(doc.get("units"), list):
        raise ConfigError(f"{path}: expected a top-level 'units:' list (see spec §2)")
    units: list[Unit] = []
    seen: set[str] = set()
    for i, item in enumerate(doc["units"]):
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: units[{i}] must be a mapping with code, name, level, parent, valid_from")
        for key in ("code", "name", "level", "valid_from"):
            if item.get(key) in (None, ""):
                raise ConfigError(f"{path}: units[{i}]: missing required key '{key}'")
        code = str(item["code"]).strip()
        if code in seen:
            raise ConfigError(f"{path}: units[{i}]: code {code!r} appears twice; codes are unique and never reused")
        seen.add(code)
        level = str(item["level"]).strip()
        if level not in LEVELS:
            raise ConfigError(f"{path}: units[{i}] ({code}): unknown level {level!r}; use one of {', '.join(LEVELS)}")
        vf = _parse_date(item["valid_from"], path, i, "valid_from", code)
        vt = _parse_date(item.get("valid_to"), path, i, "valid_to", code)
        if vt is not None and vt < vf:
            raise ConfigError(f"{path}: units[{i}] ({code}): valid_to {vt} is before valid_from {vf}")
        succ = item.get("successors") or []
        if not isinstance(succ, list):
            raise ConfigError(f"{path}: units[{i}] ({code}): successors must be a list of codes")
        parent = item.get("parent")
        units.append(Unit(code=code, name=str(item["name"]).strip(), level=level,
                          parent=str(parent).strip() if parent not in (None, "") else None,
                          valid_from=vf, valid_to=vt, successors=tuple(str(s).strip() for s in succ),
                          ma_dvcqg=str(item["ma_dvcqg"]).strip() if item.get("ma_dvcqg") not in (None, "") else None))
    reg = Registry(units, Path(path))
    for i, u in enumerate(units):
        if u.parent and u.parent not in reg.units:
            raise ConfigError(f"{path}: units[{i}] ({u.code}): parent {u.parent!r} is not a unit code in this file")
        if u.parent == u.code:
            raise ConfigError(f"{path}: units[{i}] ({u.code}): a unit cannot be its own parent")
        for s in u.successors:
            if s not in reg.units:
                raise ConfigError(f"{path}: units[{i}] ({u.code}): successor {s!r} is not a unit code in this file")
            sv = reg.units[s]
            if u.valid_to is None or sv.valid_from <= u.valid_to:
                raise ConfigError(f"{path}: units[{i}] ({u.code}): successor {s} starts {sv.valid_from}, which overlaps "
                                  f"the validity of {u.code} (ends {u.valid_to}); close {u.code} before {s} begins")
    for i, u in enumerate(units):  # cycles
        seen_chain, p = [u.code], u.parent
        while p:
            if p in seen_chain:
                raise ConfigError(f"{path}: units[{i}] ({u.code}): cycle in the unit tree "
                                  f"({' → '.join(seen_chain + [p])}); fix the parent keys")
            seen_chain.append(p)
            p = reg.units[p].parent
    return reg


def load_registry(path: Path | str | None = None) -> Registry:
    """The registry at ``path`` (default ``config.default_units()``), parsed once per file version
    (:func:`tthc.yamlio.load_parsed`: the same Registry object while the file's bytes are unchanged). Callers treat
    it as read-only."""
    return load_parsed(Path(path) if path else config.default_units(), parse_registry)
