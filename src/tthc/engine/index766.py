"""Bộ chỉ số 766 (spec §9) as observed on the national portal: points, thresholds and bands come from
``params/index766.yaml``, which says so; every output carries that note.

Scoring helpers: :func:`proportional` ``min(max, max·r)``; :func:`threshold` ``min(max, max·r/t)`` (full points at
rate ``t``); :func:`payment_score` ``6·A + min(2, 2.5·B) + 2.5·C`` capped at the group maximum.
The band is decided on the score scaled to the computable maximum: ``100 · score / computable_max``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..errors import ConfigError
from ..yamlio import load_parsed

SCORINGS = ("proportional", "threshold", "payment", "none")


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


@dataclass(frozen=True)
class Index766Config:
    groups: list[dict]
    items: list[dict]
    bands: list[dict]          # sorted by min, descending
    note_vi: str
    note_en: str
    as_observed: bool
    total: float

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


def load_index766(path: Path | str | None = None) -> Index766Config:
    path = Path(path) if path else config.index766_file()
    return load_parsed(path, _parse)


def _parse(doc, path: Path) -> Index766Config:
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping with groups, items and bands")
    for key in ("groups", "items", "bands"):
        if not isinstance(doc.get(key), list) or not doc[key]:
            raise ConfigError(f"{path}: '{key}' must be a non-empty list")
    for key in ("groups", "items", "bands"):  # malformed entries: a ConfigError naming the key, not a traceback
        num = {"groups": ("max",), "items": ("points",), "bands": ("min",)}[key]
        for i, x in enumerate(doc[key]):
            if not isinstance(x, dict):
                raise ConfigError(f"{path}: {key}[{i}] must be a mapping {{...}}, not {x!r}")
            for k in num:
                try:
                    if float(x[k]) < 0:
                        raise ValueError
                except (KeyError, TypeError, ValueError):
                    raise ConfigError(f"{path}: {key}[{i}] ({x.get('item', x.get('id', x.get('name_vi')))}): "
                                      f"'{k}' must be a number ≥ 0, got {x.get(k)!r}") from None
    gids = {g.get("id") for g in doc["groups"]}
    for i, it in enumerate(doc["items"]):
        if it.get("group") not in gids:
            raise ConfigError(f"{path}: items[{i}] ({it.get('item')}): group {it.get('group')!r} is not a group id")
        if it.get("scoring") not in SCORINGS:
            raise ConfigError(f"{path}: items[{i}] ({it.get('item')}): scoring must be one of {SCORINGS}")
        if it["scoring"] == "threshold" and not 0 < float(it.get("threshold", 0)) <= 1:
            raise ConfigError(f"{path}: items[{i}] ({it.get('item')}): threshold must be a fraction in (0, 1]")
        it["points"] = float(it["points"])
    for g in doc["groups"]:
        s = sum(it["points"] for it in doc["items"] if it["group"] == g["id"])
        if abs(s - float(g["max"])) > 1e-9:
            raise ConfigError(f"{path}: group {g['id']}: items add up to {s} points, the group max is {g['max']}")
    total = float(doc.get("total", 100))
    if abs(sum(float(g["max"]) for g in doc["groups"]) - total) > 1e-9:
        raise ConfigError(f"{path}: group maxima do not add up to total {total}")
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
    return out


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
    with np.errstate(invalid="ignore", divide="ignore"):
        t["score_pct"] = np.where(t["computable_max"] > 0, 100.0 * t["score"] / t["computable_max"].where(
            t["computable_max"] > 0, 1), np.nan)
    bands = [cfg.band(p) for p in t["score_pct"]]
    t["band"] = [b[0] for b in bands]
    t["band_assumed"] = [b[1] for b in bands]
    return t
