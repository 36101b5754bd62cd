"""Unit registry (spec §2): ``params/units.yaml``.

Format (an interface other offices write): a top-level ``units:`` list; each item has ``code``, ``name``,
``level`` (tinh, so, huyen, phong, xa), ``parent`` (a code or null), ``valid_from``, ``valid_to`` (ISO dates;
null = open) and optional ``successors`` (codes that took over after a merger) and ``ma_dvcqg`` (the unit's code on
the national portal). Extra keys are ignored.

Hand-over (spec §2, Decision "successors"): a dossier still pending when its unit closes passes to the unit's first
listed successor — or to the successor a dossier-level mapping names — and counts there as carried over
(``ky_truoc``) from the next day. Optional top-level block::

    handover:
      pending_to_successor: true   # false: pending dossiers stay with the closed unit
      mapping: null                # CSV ma_ho_so,successor (relative to the registry file)

:meth:`Registry.handover_steps` gives the engine the (unit, closing day, successor) steps.
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

    def __init__(self, units: list[Unit], path: Path | None = None, handover: bool = True,
                 handover_map: Path | None = None):
        self.path = path
        self.handover = handover          # spec §2 Decision: pending dossiers pass to the successor
        self.handover_map = handover_map  # optional CSV ma_ho_so,successor
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

    def predecessors(self, code: str) -> list[str]:
        """Units that list ``code`` among their successors (the merged units it took over)."""
        return sorted(u.code for u in self.units.values() if code in u.successors)

    def ancestry(self, code: str) -> list[str]:
        """Every unit whose dossiers can end up at ``code`` through hand-overs (predecessors, theirs, ...)."""
        out, stack = [], self.predecessors(code)
        while stack:
            c = stack.pop()
            if c not in out:
                out.append(c)
                stack.extend(self.predecessors(c))
        return sorted(out)

    def continuity_predecessors(self, code: str) -> list[str]:
        """The predecessors whose aggregate stands for ``code`` in trends and period comparisons before its
        ``valid_from`` (spec §2, "đơn vị tiền thân"): units listing it among their successors at the corresponding
        level (commune ← commune, department ← district office, province ← district), without those inside another
        one's subtree (a district already includes its offices)."""
        same = {"xa": {"xa"}, "so": {"so", "phong"}, "tinh": {"tinh", "huyen"}, "huyen": {"huyen"},
                "phong": {"phong"}}
        lv = self.units[code].level
        preds = [p for p in self.predecessors(code) if self.units[p].level in same.get(lv, {lv})]
        return sorted(p for p in preds if not set(self.ancestors(p)) & set(preds))

    def handover_steps(self) -> list[tuple[str, "date", str]]:
        """(unit, closing day, first successor) for every closed unit with a successor; empty when the hand-over
        is switched off. A dossier of ``unit`` not ended by the closing day is the successor's from the next day."""
        if not self.handover:
            return []
        return sorted((u.code, u.valid_to, u.successors[0]) for u in self.units.values()
                      if u.successors and u.valid_to is not None)

    def handover_depth(self) -> int:
        """Longest chain of hand-overs (0: none), e.g. 2 when a successor itself closes into another."""
        nxt = {u: s for u, _, s in self.handover_steps()}
        best = 0
        for u in nxt:
            d, c = 0, u
            while c in nxt and d <= len(nxt):
                c, d = nxt[c], d + 1
            best = max(best, d)
        return best

    def mapping_frame(self):
        """The dossier-level hand-over mapping (ma_ho_so, successor) as a DataFrame, or None."""
        if not self.handover or self.handover_map is None:
            return None
        return load_handover_map(self.handover_map, self)

    def parent_at(self, code: str, day: "date") -> str | None:
        """The parent of ``code`` as valid on ``day`` (None when the parent is not valid then)."""
        p = self.units[code].parent
        if p and self.units[p].valid_from <= day <= (self.units[p].valid_to or OPEN_END):
            return p
        return None

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
    from .yamlio import iso_date

    return iso_date(v, f"units[{i}] ({code}): {key}", path)


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
        dv = item.get("ma_dvcqg")
        units.append(Unit(code=code, name=str(item["name"]).strip(), level=level,
                          parent=str(parent).strip() if parent not in (None, "") else None,
                          valid_from=vf, valid_to=vt, successors=tuple(str(s).strip() for s in succ),
                          ma_dvcqg=str(dv).strip() if dv not in (None, "") else None))
    ho = doc.get("handover") or {}
    if not isinstance(ho, dict):
        raise ConfigError(f"{path}: handover: expected a mapping with pending_to_successor and mapping")
    enabled = ho.get("pending_to_successor", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{path}: handover.pending_to_successor = {enabled!r}; write true or false")
    hmap = ho.get("mapping")
    hmap = (Path(path).parent / str(hmap)) if hmap not in (None, "") else None
    reg = Registry(units, Path(path), handover=enabled, handover_map=hmap)
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


def load_handover_map(path: Path | str, registry: Registry):
    """The dossier-level hand-over mapping: a CSV with columns ``ma_ho_so`` and ``successor`` (a unit code of the
    registry that starts after the dossier's unit closes — checked by the engine per dossier). One-line errors name
    file, row and column."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{registry.path}: handover.mapping: {path} not found; fix the path or set mapping: null")
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except Exception as e:  # noqa: BLE001 - any unreadable CSV is one error line
        raise ConfigError(f"{path}: not a readable CSV ({type(e).__name__}); write columns ma_ho_so,successor") from None
    missing = {"ma_ho_so", "successor"} - set(df.columns)
    if missing:
        raise ConfigError(f"{path}: missing column(s) {sorted(missing)}; write a header ma_ho_so,successor")
    df = df[["ma_ho_so", "successor"]].apply(lambda c: c.str.strip())
    for i, r in enumerate(df.itertuples(index=False), start=2):
        if not r.ma_ho_so:
            raise ConfigError(f"{path}: row {i}, column ma_ho_so: empty; give the dossier code")
        if r.successor not in registry:
            raise ConfigError(f"{path}: row {i}, column successor: {r.successor!r} is not a unit code of "
                              f"{registry.path}; use a code listed there")
    dup = df["ma_ho_so"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0]) + 2
        raise ConfigError(f"{path}: row {i}, column ma_ho_so: {df['ma_ho_so'].iloc[i - 2]!r} is mapped twice; "
                          "keep one row per dossier")
    return df.reset_index(drop=True)
