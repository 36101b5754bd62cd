"""Bộ chỉ số 766 (spec §9) as observed on the national portal: points, thresholds and bands come from
``params/index766.yaml``, which says so; every output carries that note.

The rules are versioned with effective dates (:class:`RuleSet`): "2022–2025, as observed" (items 1.4, 2.1, …) and
"2026 portal" (the portal's own metric codes: DOSSIER_SYNC, PROGRESS, PAYMENT, …). A period uses the version in force
at its last day (:meth:`RuleSet.for_period`); ``--rules VERSION`` overrides. :func:`score_units` scores the first kind,
:func:`score_units_portal` the second; both return the same long table, with the version in ``rules_version``.
The 2026 scoring kinds are small pure functions (:func:`proportional_nd`, :func:`threshold_nd`, :func:`progress_score`,
:func:`payment_portal`, :func:`score_metric`) used alike for the project's own counts and for the portal's
published numerators and denominators (``tthc reconcile``): always n/d, never the rounded published ratio.

Scoring helpers: :func:`proportional` ``min(max, max·r)``; :func:`threshold` ``min(max, max·r/t)`` (full points at
rate ``t``); :func:`payment_score` ``6·A + min(2, 2.5·B) + 2.5·C`` capped at the group maximum.
The band is decided on the score scaled to the computable maximum: ``100 · score / computable_max``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..errors import ConfigError, ParameterError
from ..yamlio import load_parsed

SCORINGS = ("proportional", "threshold", "payment", "none", "progress", "portal", "tracked")
ZERO_POLICIES = ("na", "zero", "full")


def proportional(max_points, r):
    """``min(max, max·r)`` (r a fraction in [0, 1]; NaN stays NaN)."""
    return np.minimum(max_points, np.multiply(max_points, r))


def threshold(max_points, r, t):
    """``min(max, max·r/t)``: full points from rate ``t`` on, linear below."""
    return np.minimum(max_points, np.multiply(max_points, r) / t)


def payment_score(a, b=None, c=None, a_points=6.0, b_points=2.5, b_cap=2.0, c_points=2.5, cap=10.0):
    """Online-payment group: ``6·A + min(2, 2.5·B) + 2.5·C``, at most ``cap``; B and C are left out when None."""
    s = np.multiply(a_points, a)
    if b is not None:
        s = s + np.minimum(b_cap, np.multiply(b_points, b))
    if c is not None:
        s = s + np.multiply(c_points, c)
    return np.minimum(cap, s)


def _ratio0(n, d):
    """n/d with a zero (or missing) denominator giving 0 (the portal's PAYMENT ratios)."""
    n = np.asarray(n, dtype="float64")
    d = np.asarray(d, dtype="float64")
    ok = np.nan_to_num(d) > 0
    return np.where(ok, np.nan_to_num(n) / np.where(ok, d, 1.0), 0.0)


def _apply_zero(score, d, max_points, zero: str):
    """Where the denominator is 0: NaN (``na``: not computable), 0 (``zero``) or ``max_points`` (``full``)."""
    d = np.asarray(d, dtype="float64")
    fill = {"na": np.nan, "zero": 0.0, "full": float(max_points)}[zero]
    return np.where(d > 0, score, np.where(np.isnan(d), np.nan, fill))


def proportional_nd(max_points, n, d, zero: str = "na"):
    """``min(max, max·n/d)``; a zero denominator gives what ``zero`` says (na → NaN, zero → 0, full → max)."""
    r = _rate(n, d)
    return _apply_zero(np.minimum(max_points, np.multiply(max_points, r)), d, max_points, zero)


def threshold_nd(max_points, n, d, t, zero: str = "na"):
    """``min(max, max·(n/d)/t)``: full points from rate ``t``; zero denominators as in :func:`proportional_nd`."""
    r = _rate(n, d)
    return _apply_zero(np.minimum(max_points, np.multiply(max_points, r) / t), d, max_points, zero)


def progress_score(on_time, received, max_points=20.0):
    """PROGRESS (2026 portal): ``20·totalOnTime ÷ totalReceived``; on time = resolved early or on time + pending
    within the deadline; nothing received → 0."""
    return _apply_zero(np.multiply(max_points, _rate(on_time, received)), received, max_points, "zero")


def payment_portal(a_num, a_den, b_num=0, b_den=0, c_num=0, c_den=0, a_points=6.0, b_points=2.5, b_cap=2.0,
                   c_points=2.5):
    """PAYMENT (2026 portal): ``6·A + min(2, 2.5·B) + 2.5·C`` with A = totalDossierOnlinePaymentSuccess ÷
    totalDossierFinancialObligation, B = totalDossierOnlineFormalityPaymentSuccess ÷ totalFeeFormality, C =
    totalFeeDossierFormality ÷ totalFeeFormality; a zero denominator makes that ratio 0. Not capped further (the
    three parts add up to at most 10 when the ratios are at most 1)."""
    a, b, c = _ratio0(a_num, a_den), _ratio0(b_num, b_den), _ratio0(c_num, c_den)
    return a_points * a + np.minimum(b_cap, b_points * b) + c_points * c


def score_metric(item: dict, n, d):
    """The score of one 2026 metric from its numerator and denominator, by the item's scoring kind: proportional,
    threshold and progress as above; tracked → 0; portal and none → NaN (no published formula). PAYMENT needs its
    three ratios: use :func:`payment_portal`."""
    kind, pts, zero = item["scoring"], float(item["points"]), item.get("zero", "na")
    if kind == "proportional":
        return proportional_nd(pts, n, d, zero)
    if kind == "threshold":
        return threshold_nd(pts, n, d, float(item["threshold"]), zero)
    if kind == "progress":
        return progress_score(n, d, pts)
    if kind == "tracked":
        return np.zeros(np.shape(np.asarray(n, dtype="float64")))
    if kind == "payment":
        return payment_portal(n, d, a_points=item.get("a_points", 6), b_points=item.get("b_points", 2.5),
                              b_cap=item.get("b_cap", 2), c_points=item.get("c_points", 2.5))
    return np.full(np.shape(np.asarray(n, dtype="float64")), np.nan)


@dataclass(frozen=True)
class Index766Config:
    groups: list[dict]
    items: list[dict]
    bands: list[dict]          # sorted by min, descending
    note_vi: str
    note_en: str
    as_observed: bool
    total: float
    version: str = "2022–2025, as observed"
    effective_from: date | None = None
    portal_codes: bool = False   # True: items are the portal's metric codes (the "2026 portal" version)

    def group(self, gid: str) -> dict:
        return next(g for g in self.groups if g["id"] == gid)

    def item(self, iid: str) -> dict:
        return next(i for i in self.items if i["item"] == iid)

    def band(self, pct: float) -> tuple[str | None, bool]:
        """(band name, assumed?) for a score in percent of the computable maximum."""
        if pct is None or not np.isfinite(pct):
            return None, False
        for b in self.bands:
            if pct >= b["min"]:
                return b["name_vi"], bool(b.get("assumed", False))
        return self.bands[-1]["name_vi"], bool(self.bands[-1].get("assumed", False))


def _norm_name(s: str) -> str:
    return str(s).strip().lower().replace("–", "-").replace("—", "-")


@dataclass(frozen=True)
class RuleSet:
    """The rule versions of ``params/index766.yaml``, oldest first."""

    versions: tuple[Index766Config, ...]
    path: Path | None = None

    def names(self) -> list[str]:
        return [v.version for v in self.versions]

    def get(self, name: str) -> Index766Config:
        """A version by name; dashes and case do not matter, and the year of its start is enough ("2026")."""
        key = _norm_name(name)
        for v in self.versions:
            if _norm_name(v.version) == key or (v.effective_from and key == str(v.effective_from.year)):
                return v
        raise ParameterError(f"unknown 766 rules version {name!r}: choose one of "
                             + ", ".join(repr(n) for n in self.names()) + f" (see {self.path})")

    def for_date(self, day: date) -> Index766Config:
        """The version in force on ``day``: the latest ``effective_from`` on or before it (else the oldest)."""
        best = self.versions[0]
        for v in self.versions:
            if v.effective_from is not None and v.effective_from <= day:
                best = v
        return best

    def for_period(self, period, override: str | None = None) -> Index766Config:
        """The version for a period (code or Period): in force at the period's last calendar day, or ``override``."""
        if override:
            return self.get(override)
        from ..periods import parse_period

        p = parse_period(period) if not hasattr(period, "bounds") else period
        return self.for_date(p.bounds("calendar")[1])


def load_rules(path: Path | str | None = None) -> RuleSet:
    path = Path(path) if path else config.index766_file()
    return load_parsed(path, _parse_rules)


def load_index766(path: Path | str | None = None, version: str | None = None) -> Index766Config:
    """One rule version (default: the oldest, "2022–2025, as observed")."""
    rs = load_rules(path)
    return rs.get(version) if version else rs.versions[0]


def _parse_rules(doc, path: Path) -> RuleSet:
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping with versions and bands")
    if "versions" not in doc:  # a single-version file (the layout before versions)
        return RuleSet((_parse(doc, path),), path)
    vs = doc["versions"]
    if not isinstance(vs, list) or not vs:
        raise ConfigError(f"{path}: 'versions' must be a non-empty list of rule versions")
    out = []
    for i, v in enumerate(vs):
        if not isinstance(v, dict):
            raise ConfigError(f"{path}: versions[{i}] must be a mapping {{name, effective_from, groups, items}}")
        name = v.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{path}: versions[{i}]: 'name' must be a non-empty text")
        eff = v.get("effective_from")
        if isinstance(eff, str):
            try:
                eff = date.fromisoformat(eff)
            except ValueError:
                eff = None
        if not isinstance(eff, date):
            raise ConfigError(f"{path}: versions[{i}] ({name}): 'effective_from' must be an ISO date, e.g. 2026-01-01")
        merged = {k: x for k, x in doc.items() if k != "versions"}
        merged.update({k: x for k, x in v.items() if k not in ("name", "effective_from")})
        cfg = _parse(merged, path, where=f"versions[{i}] ({name}): ")
        out.append(Index766Config(**{**cfg.__dict__, "version": name.strip(), "effective_from": eff,
                                     "portal_codes": any(it["scoring"] in ("progress", "portal", "tracked")
                                                         or "from_dossiers" in it for it in cfg.items)}))
    out.sort(key=lambda c: c.effective_from)
    if len({c.version for c in out}) != len(out):
        raise ConfigError(f"{path}: two rule versions have the same name")
    return RuleSet(tuple(out), path)


def _parse(doc, path: Path, where: str = "") -> Index766Config:
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: {where}expected a mapping with groups, items and bands")
    for key in ("groups", "items", "bands"):
        if not isinstance(doc.get(key), list) or not doc[key]:
            raise ConfigError(f"{path}: {where}'{key}' must be a non-empty list")
    for key in ("groups", "items", "bands"):  # malformed entries: a ConfigError naming the key, not a traceback
        num = {"groups": ("max",), "items": ("points",), "bands": ("min",)}[key]
        for i, x in enumerate(doc[key]):
            if not isinstance(x, dict):
                raise ConfigError(f"{path}: {where}{key}[{i}] must be a mapping {{...}}, not {x!r}")
            for k in num:
                try:
                    if float(x[k]) < 0:
                        raise ValueError
                except (KeyError, TypeError, ValueError):
                    raise ConfigError(f"{path}: {where}{key}[{i}] ({x.get('item', x.get('id', x.get('name_vi')))}): "
                                      f"'{k}' must be a number ≥ 0, got {x.get(k)!r}") from None
    gids = {g.get("id") for g in doc["groups"]}
    for i, it in enumerate(doc["items"]):
        if it.get("group") not in gids:
            raise ConfigError(f"{path}: {where}items[{i}] ({it.get('item')}): group {it.get('group')!r} is not a group id")
        if it.get("scoring") not in SCORINGS:
            raise ConfigError(f"{path}: {where}items[{i}] ({it.get('item')}): scoring must be one of {SCORINGS}")
        if it.get("zero", "na") not in ZERO_POLICIES:
            raise ConfigError(f"{path}: {where}items[{i}] ({it.get('item')}): zero must be one of {ZERO_POLICIES}")
        if it["scoring"] == "threshold" and not 0 < float(it.get("threshold", 0)) <= 1:
            raise ConfigError(f"{path}: {where}items[{i}] ({it.get('item')}): threshold must be a fraction in (0, 1]")
        it["points"] = float(it["points"])
    for g in doc["groups"]:
        s = sum(it["points"] for it in doc["items"] if it["group"] == g["id"])
        if abs(s - float(g["max"])) > 1e-9:
            raise ConfigError(f"{path}: {where}group {g['id']}: items add up to {s} points, the group max is {g['max']}")
    total = float(doc.get("total", 100))
    if abs(sum(float(g["max"]) for g in doc["groups"]) - total) > 1e-9:
        raise ConfigError(f"{path}: {where}group maxima do not add up to total {total}")
    bands = sorted(doc["bands"], key=lambda b: -float(b["min"]))
    return Index766Config(doc["groups"], doc["items"], bands, str(doc.get("as_observed_note_vi", "")),
                          str(doc.get("as_observed_note_en", "")), bool(doc.get("as_observed", True)), total)


def _rate(n, d):
    n = np.asarray(n, dtype="float64")
    d = np.asarray(d, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)


def score_units(counts: pd.DataFrame, cfg: Index766Config, proc: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long table of item scores for every row of ``counts`` (one row per period × window × unit).

    ``proc`` (only with a catalogue): columns period, window, unit, b_num, b_den, c_num, c_den for payment B and C.
    Columns: period, window, unit, item, group, group_name, points_max, points_computable, numerator, denominator,
    rate (fraction), score (NaN when not computable), computable, note.
    """
    keys = counts[["period", "window", "unit"]].reset_index(drop=True)
    c = counts.reset_index(drop=True)
    n_tong = c["n_tong"].to_numpy()
    sync = _rate(c["n_dong_bo"], n_tong)
    ontime = c["n_truoc_han"] + c["n_dung_han"] + c["n_trong_han"]
    online_rate = _rate(c["n_moi_truc_tuyen_kq"], c["n_moi"])
    spec = {  # item → (numerator, denominator, rate)
        "1.4": (c["n_dong_bo"], n_tong, sync),
        "2.1": (ontime, n_tong, _rate(ontime, n_tong)),
        "3.3": (c["n_moi_truc_tuyen_kq"], c["n_moi"], online_rate * sync),
        "4.1": (c["n_gq_kq_dien_tu"], c["n_da_gq"], _rate(c["n_gq_kq_dien_tu"], c["n_da_gq"])),
        "4.2": (c["n_moi_so_hoa"], c["n_moi"], _rate(c["n_moi_so_hoa"], c["n_moi"])),
        "4.3": (c["n_moi_tai_su_dung"], c["n_moi"], _rate(c["n_moi_tai_su_dung"], c["n_moi"])),
        "4.4": (c["n_moi_tu_kho"], c["n_moi"], _rate(c["n_moi_tu_kho"], c["n_moi"])),
    }
    bad = c["n_qua_han_gq"] + c["n_qua_han_dang"] + c["n_khong_hai_long"]
    r54 = np.where(n_tong > 0, np.maximum(0.0, 1.0 - _rate(bad, n_tong)), np.nan)
    spec["5.4"] = (bad, n_tong, r54)
    rows = []
    for it in cfg.items:
        iid, pts, scoring = it["item"], it["points"], it["scoring"]
        g = cfg.group(it["group"])
        base = dict(item=iid, group=it["group"], group_name=g["name_vi"], points_max=pts)
        df = keys.copy()
        for k, v in base.items():
            df[k] = v
        note = it.get("note_vi", "")
        if scoring == "none":
            df["numerator"], df["denominator"], df["rate"] = np.nan, np.nan, np.nan
            df["score"], df["computable"], df["points_computable"] = np.nan, False, 0.0
            df["note"] = note or "không đủ dữ liệu"
        elif scoring == "payment":
            a = _rate(c["n_moi_co_phi_tt"], c["n_moi_co_phi"])
            df["numerator"], df["denominator"], df["rate"] = c["n_moi_co_phi_tt"], c["n_moi_co_phi"], a
            if proc is not None and len(proc):
                m = keys.merge(proc, on=["period", "window", "unit"], how="left")
                b = _rate(m["b_num"].fillna(0), m["b_den"].fillna(0))
                cc = _rate(m["c_num"].fillna(0), m["c_den"].fillna(0))
                b = np.where(np.isnan(b), 0.0, b)
                cc = np.where(np.isnan(cc), 0.0, cc)
                sc = payment_score(a, b, cc, it.get("a_points", 6), it.get("b_points", 2.5), it.get("b_cap", 2),
                                   it.get("c_points", 2.5), pts)
                df["points_computable"] = pts
                df["note"] = "A, B, C từ hồ sơ và danh mục TTHC"
            else:
                sc = payment_score(a, a_points=it.get("a_points", 6), cap=pts)
                df["points_computable"] = float(it.get("a_points", 6))
                df["note"] = "chỉ tính A (6 điểm); B, C cần danh mục TTHC: không đủ dữ liệu"
            df["score"] = sc
            df["computable"] = ~np.isnan(a)
            df.loc[~df["computable"], "points_computable"] = 0.0
            df.loc[~df["computable"], "note"] = "N/A: không có hồ sơ có phí"
        else:
            n, d, r = spec[iid]
            df["numerator"], df["denominator"], df["rate"] = np.asarray(n), np.asarray(d), np.asarray(r)
            if scoring == "proportional":
                sc = proportional(pts, r)
            else:
                sc = threshold(pts, r, float(it["threshold"]))
            ok = ~np.isnan(np.asarray(r, dtype="float64"))
            df["note"] = np.where(ok, note, "N/A: mẫu số bằng 0")
            if iid == "5.4":  # spec: 0 points when there is no dossier
                sc = np.where(ok, sc, 0.0)
                df["note"] = np.where(ok, note, "không có hồ sơ: 0 điểm")
                ok = np.ones(len(df), dtype=bool)
            df["score"] = np.where(ok, sc, np.nan)
            df["computable"] = ok
            df["points_computable"] = np.where(ok, pts, 0.0)
        rows.append(df)
    out = pd.concat(rows, ignore_index=True)
    out["numerator"] = out["numerator"].astype("float64")
    out["denominator"] = out["denominator"].astype("float64")
    out["rules_version"] = cfg.version
    return out


#: 2026 portal metrics computed from the dossiers: metric code → (numerator counter, denominator counter) of the
#: cube's ``counts`` (engine/counters.py COUNTERS). "Dossiers" (n_tong) = carried over + received in the period;
#: "received" (n_moi) = received in the period. The one home of these definitions (the cube, ``tthc reconcile`` and
#: the reconciliation section read them from here).
PORTAL_INPUTS: dict[str, tuple[str, str]] = {
    "DOSSIER_SYNC": ("n_dong_bo", "n_tong"),
    "PROGRESS": ("n_dung_han_hoac_trong_han", "n_tong"),
    "PAYMENT": ("n_moi_co_phi_tt", "n_moi_co_phi"),
    "ORIGINAL_RESULT_AVAILABLE": ("n_moi_kq_dien_tu", "n_moi"),
    "SO_HOA_GIAY_TO_GIAI_QUYET": ("n_moi_so_hoa", "n_moi"),
    "REUSED_DIGITIZED_DATA": ("n_moi_tai_su_dung", "n_moi"),
    # Decision (spec §9): evaluations at level 2 or 3 ÷ dossiers received
    "DOSSIER_RECEIVING_SATISFACTION": ("n_moi_hai_long", "n_moi"),
}
NOT_ENOUGH_DATA = "không đủ dữ liệu"


def portal_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` plus the derived counters :data:`PORTAL_INPUTS` names (on time or pending within the deadline)."""
    c = counts.reset_index(drop=True).copy()
    c["n_dung_han_hoac_trong_han"] = c["n_truoc_han"] + c["n_dung_han"] + c["n_trong_han"]
    for k in ("n_moi_kq_dien_tu", "n_moi_hai_long"):  # cubes written before these counters existed
        if k not in c:
            c[k] = np.nan
    return c


def score_units_portal(counts: pd.DataFrame, cfg: Index766Config, proc: pd.DataFrame | None = None) -> pd.DataFrame:
    """The "2026 portal" version: same long table as :func:`score_units`, one row per portal metric code. Metrics
    the dossiers cannot give are "không đủ dữ liệu" (score NaN, 0 computable points); PAYMENT is A only (6 points
    computable) without the catalogue, A, B, C with it (``proc`` as in :func:`score_units`)."""
    keys = counts[["period", "window", "unit"]].reset_index(drop=True)
    c = portal_counts(counts)
    if proc is not None and len(proc):
        m = keys.merge(proc, on=["period", "window", "unit"], how="left")
    else:
        m = None
    rows = []
    for it in cfg.items:
        iid, pts, kind = it["item"], it["points"], it["scoring"]
        g = cfg.group(it["group"])
        df = keys.copy()
        df["item"], df["group"], df["group_name"], df["points_max"] = iid, it["group"], g["name_vi"], pts
        df["name"] = it.get("name_vi", iid)
        if iid not in PORTAL_INPUTS:
            df["numerator"] = df["denominator"] = df["rate"] = df["score"] = np.nan
            df["computable"], df["points_computable"] = False, 0.0
            df["note"] = NOT_ENOUGH_DATA if kind != "tracked" else "theo dõi, không tính điểm"
            if kind == "tracked":
                df["score"], df["computable"] = 0.0, True
            rows.append(df)
            continue
        nk, dk = PORTAL_INPUTS[iid]
        n = c[nk].to_numpy("float64")
        d = c[dk].to_numpy("float64")
        df["numerator"], df["denominator"], df["rate"] = n, d, _rate(n, d)
        if kind == "payment":
            if m is not None:
                sc = payment_portal(n, d, m["b_num"].fillna(0), m["b_den"].fillna(0), m["c_num"].fillna(0),
                                    m["c_den"].fillna(0), it.get("a_points", 6), it.get("b_points", 2.5),
                                    it.get("b_cap", 2), it.get("c_points", 2.5))
                df["points_computable"] = pts
                df["note"] = "A, B, C từ hồ sơ và danh mục TTHC"
            else:
                sc = it.get("a_points", 6) * _ratio0(n, d)
                df["points_computable"] = float(it.get("a_points", 6))
                df["note"] = "chỉ tính A (6 điểm); B, C cần danh mục TTHC: không đủ dữ liệu"
            df["score"] = sc
            df["computable"] = ~np.isnan(d)
        else:
            sc = score_metric(it, n, d)
            ok = ~np.isnan(sc)
            df["score"] = sc
            df["computable"] = ok
            df["points_computable"] = np.where(ok, pts, 0.0)
            zero_note = {"na": "N/A: mẫu số bằng 0", "zero": "mẫu số bằng 0: 0 điểm",
                         "full": "mẫu số bằng 0: đủ điểm"}[it.get("zero", "na")]
            df["note"] = np.where(d > 0, "", np.where(ok, zero_note, "N/A: mẫu số bằng 0"))
        rows.append(df)
    out = pd.concat(rows, ignore_index=True)
    for k in ("numerator", "denominator", "rate", "score", "points_computable", "points_max"):
        out[k] = out[k].astype("float64")
    out["computable"] = out["computable"].astype(bool)
    out["rules_version"] = cfg.version
    return out


def score_any(counts: pd.DataFrame, cfg: Index766Config, proc: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score ``counts`` with one version, whichever kind it is."""
    return (score_units_portal if cfg.portal_codes else score_units)(counts, cfg, proc)


def score_by_version(counts: pd.DataFrame, rules: RuleSet, proc: pd.DataFrame | None = None,
                     override: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(items, totals) with each period scored by the version in force at its end (or ``override``)."""
    if counts.empty:
        cfg = rules.get(override) if override else rules.versions[0]
        items = score_any(counts, cfg, proc)
        return items, totals(items, cfg)
    ver = {p: rules.for_period(p, override).version for p in counts["period"].unique()}
    vcol = counts["period"].map(ver)
    its, tots = [], []
    for name in dict.fromkeys(vcol):
        cfg = rules.get(name)
        sub = counts[vcol == name]
        items = score_any(sub, cfg, proc)
        t = totals(items, cfg)
        t["rules_version"] = name
        its.append(items)
        tots.append(t)
    return pd.concat(its, ignore_index=True), pd.concat(tots, ignore_index=True)


def totals(items: pd.DataFrame, cfg: Index766Config) -> pd.DataFrame:
    """One row per period × window × unit: score, computable_max, score_pct, band, band_assumed."""
    gb = items.groupby(["period", "window", "unit", "group"], sort=False)
    g = pd.DataFrame({"score": gb["score"].sum(min_count=1), "pc": gb["points_computable"].sum()}).reset_index()
    gmax = {x["id"]: float(x["max"]) for x in cfg.groups}
    g["score"] = np.minimum(g["score"], g["group"].map(gmax))
    g["pc"] = np.minimum(g["pc"], g["group"].map(gmax))
    tb = g.groupby(["period", "window", "unit"], sort=False)
    t = pd.DataFrame({"score": tb["score"].sum(min_count=1), "computable_max": tb["pc"].sum()}).reset_index()
    t["score"] = t["score"].fillna(0.0)
    t["score_pct"] = score_pct(t["score"], t["computable_max"])
    bands = [cfg.band(p) for p in t["score_pct"]]
    t["band"] = [b[0] for b in bands]
    t["band_assumed"] = [b[1] for b in bands]
    return t


# -- status and rounding of the 766 items (one home: `tthc indicators`, `tthc reconcile`, the reports) -------------
#: items of the 2022–2025 rules whose rate is the plain fraction numerator / denominator (their % is computed with
#: integers, :func:`tthc.engine.targets.pct_half_up`); every "2026 portal" metric is such a fraction. The others
#: (3.3 = online share × sync share, 5.4 = 1 − overdue and dissatisfied shares) are products or differences of
#: rates, rounded half-up from the float.
FRACTION_ITEMS = ("1.4", "2.1", "4.1", "4.2", "4.3", "4.4", "TT")
#: a sum of float points counts as full when within this of the maximum
FULL_POINTS_TOLERANCE = 1e-9


def full_points(score, points_max):
    """Whether ``score`` reaches ``points_max`` (element-wise, up to :data:`FULL_POINTS_TOLERANCE`)."""
    return np.asarray(score, dtype="float64") >= np.asarray(points_max, dtype="float64") - FULL_POINTS_TOLERANCE


def item_status(items: pd.DataFrame, cfg: Index766Config) -> pd.DataFrame:
    """``items`` (as :func:`score_units` / :func:`score_units_portal` return them) with three more columns:

    * ``value_pct``: the item's rate in %, 2 decimals half-up (exact for :data:`FRACTION_ITEMS` and every portal
      metric with a positive denominator), NaN when not computable;
    * ``target_pct``: the rate earning full points, 100 · the item's threshold (100 without one);
    * ``status``: Đạt when the item earns its full points, Chưa đạt when not, Không có dữ liệu when not computable.
    """
    from .targets import CHUA_DAT, DAT, KHONG_DU_LIEU, pct_half_up, round_half_up

    out = items.copy()
    rate = out["rate"].to_numpy("float64")
    comp = out["computable"].fillna(False).astype(bool).to_numpy() & ~np.isnan(rate)
    num = out["numerator"].to_numpy("float64")
    den = out["denominator"].to_numpy("float64")
    with np.errstate(invalid="ignore"):
        value = np.where(comp, round_half_up(100.0 * rate), np.nan)
    frac = np.full(len(out), bool(cfg.portal_codes)) | out["item"].isin(FRACTION_ITEMS).to_numpy()
    exact = comp & frac & (np.nan_to_num(den) > 0)
    if exact.any():
        value[exact] = pct_half_up(num[exact].astype("int64"), den[exact].astype("int64"))
    thr = {it["item"]: float(it.get("threshold", 1.0)) for it in cfg.items}
    out["value_pct"] = value
    out["target_pct"] = 100.0 * out["item"].map(thr).astype("float64")
    out["status"] = np.where(comp, np.where(full_points(out["score"], out["points_max"]), DAT, CHUA_DAT),
                             KHONG_DU_LIEU)
    return out


def score_pct(score, computable_max):
    """The score over the points that could be computed, in % (NaN without any): what the band and the rankings
    are decided on (units differ in computable points, so raw scores are not comparable)."""
    s = np.asarray(score, dtype="float64")
    m = np.asarray(computable_max, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m > 0, 100.0 * s / np.where(m > 0, m, 1), np.nan)


def total_rounded(score):
    """The 766 total as shown: 2 decimals, half-up."""
    from .targets import round_half_up

    return round_half_up(score)
