"""Reconcile the portal's published 766 figures with the office's own dossiers (``tthc reconcile``, the report
section "Đối chiếu với Cổng DVCQG").

Per unit × metric: the portal's numerator, denominator and score; ``rule_score`` = this project's rule applied to
the portal's *own* numerator and denominator (PAYMENT: A, B and C from the portal's fields) — empty where the
portal's formula is not published (ONLINE, ELECTRONIC_CERTIFIED_COPY); ``own_*`` = the same metric from the
warehouse's dossiers (rules of the "2026 portal" version, :data:`tthc.engine.index766.PORTAL_INPUTS`) — empty where
the dossiers cannot give it or the unit is not matched to the registry.
"""

from __future__ import annotations

import math

import pandas as pd

from ..engine import index766 as i766

CSV_COLUMNS = ["unit", "metric", "portal_numerator", "portal_denominator", "portal_score", "rule_score",
               "own_numerator", "own_denominator", "own_score"]
#: how many dossier codes a report lists per reason (the rest is counted)
MAX_CODES = 20


def portal_version(rules: i766.RuleSet, period: str, override: str | None = None) -> i766.Index766Config:
    """The portal-code version to reconcile with: ``override``, else the one in force for the period if it uses the
    portal's codes, else the newest that does."""
    cfg = rules.for_period(period, override)
    if cfg.portal_codes:
        return cfg
    newer = [v for v in rules.versions if v.portal_codes]
    if override or not newer:
        from ..errors import ParameterError

        raise ParameterError(f"766 rules version {cfg.version!r} has no portal metric codes to reconcile with; "
                             f"use --rules with one of " + ", ".join(repr(v.version) for v in newer))
    return newer[-1]


def rule_score(cfg: i766.Index766Config, row) -> float:
    """The project's rule on the portal's own figures of one stored row (NaN where no rule is published or the
    figures are not)."""
    code = row["metric"]
    try:
        it = cfg.item(code)
    except StopIteration:
        return math.nan
    kind = it["scoring"]
    if kind in ("portal", "none"):
        return math.nan
    g = lambda k: row.get(k) if row.get(k) is not None else math.nan  # noqa: E731
    if kind == "payment":
        if _nan(g("numerator")) and _nan(g("denominator")):
            return math.nan
        return float(i766.payment_portal(g("numerator"), g("denominator"), g("b_numerator"), g("b_denominator"),
                                         g("c_numerator"), g("c_denominator"), it.get("a_points", 6),
                                         it.get("b_points", 2.5), it.get("b_cap", 2), it.get("c_points", 2.5)))
    if kind == "tracked":
        return 0.0
    return float(i766.score_metric(it, g("numerator"), g("denominator")))


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def own_items(con, registry, period: str, cfg: i766.Index766Config, units=None) -> pd.DataFrame:
    """The "2026 portal" metrics from the warehouse's dossiers for ``period`` (calendar months, as the portal):
    one row per unit × metric (all registry units in ``units``, zero counts where a unit had no dossier)."""
    from ..engine.cube import COUNTERS, build_cube

    res = build_cube(con, registry, periods=[period], windows=("calendar",), write=False)
    items = res["index766"]
    items = items[(items["period"] == period) & (items["window"] == "calendar")]
    counts = res["counts"]
    counts = counts[(counts["period"] == period) & (counts["window"] == "calendar")]
    if items.empty or set(items["rules_version"]) != {cfg.version}:
        items = i766.score_units_portal(counts, cfg) if len(counts) else items.iloc[0:0]
    if units:
        missing = sorted(set(units) - set(counts["unit"]))
        if missing:  # matched units without any dossier: their metrics over zero counts
            z = pd.DataFrame({"period": period, "window": "calendar", "unit": missing,
                              **{k: 0 for k in COUNTERS}})
            items = pd.concat([items, i766.score_units_portal(z, cfg)], ignore_index=True)
    return items.reset_index(drop=True)


def reconcile(con, registry, period: str, rules: i766.RuleSet | None = None, override: str | None = None,
              portal: pd.DataFrame | None = None, own: pd.DataFrame | None = None) -> tuple[pd.DataFrame, str]:
    """(table with :data:`CSV_COLUMNS` + matched, metric_name, grp, points; the rules version) for a period.

    ``own``: the own items already at hand (e.g. a report's cube slice, calendar window, this version); computed
    from the warehouse by :func:`own_items` when None."""
    from .store import figures

    rules = rules or i766.load_rules()
    cfg = portal_version(rules, period, override)
    portal = figures(con, period) if portal is None else portal
    out = []
    if portal.empty:
        return pd.DataFrame(columns=[*CSV_COLUMNS, "matched", "metric_name", "grp", "points"]), cfg.version
    matched = sorted(set(portal.loc[portal["matched"].astype(bool), "unit"]))
    if (own is None or not len(own) or "rules_version" not in own or set(own["rules_version"]) != {cfg.version}
            or not set(matched) <= set(own["unit"])):
        own = None
    own = own if own is not None else own_items(con, registry, period, cfg, matched) if matched else pd.DataFrame(
        columns=["unit", "item", "numerator", "denominator", "score", "points_computable", "points_max"])
    own = own.set_index(["unit", "item"]) if len(own) else own
    for r in portal.to_dict("records"):
        r = {k: (None if _nan(v) else v) for k, v in r.items()}
        rs = rule_score(cfg, r)
        on = od = osc = math.nan
        if r["matched"] and r["metric"] in i766.PORTAL_INPUTS and (r["unit"], r["metric"]) in own.index:
            o = own.loc[(r["unit"], r["metric"])]
            on, od = float(o["numerator"]), float(o["denominator"])
            full = bool(i766.full_points(o["points_computable"], o["points_max"]))
            osc = float(o["score"]) if (bool(o["computable"]) and full) else math.nan
        try:
            pts = float(cfg.item(r["metric"])["points"])
        except StopIteration:
            pts = r.get("max_score")
        out.append(dict(unit=r["unit"], metric=r["metric"], portal_numerator=r["numerator"],
                        portal_denominator=r["denominator"], portal_score=r["score"], rule_score=rs,
                        own_numerator=on, own_denominator=od, own_score=osc, matched=bool(r["matched"]),
                        metric_name=r.get("metric_name") or _name(cfg, r["metric"]), grp=r.get("grp"), points=pts))
    df = pd.DataFrame(out).sort_values(["unit", "metric"], kind="stable").reset_index(drop=True)
    for c in CSV_COLUMNS[2:]:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df, cfg.version


def _name(cfg, code) -> str:
    try:
        return cfg.item(code).get("name_vi", code)
    except StopIteration:
        return code


def fmt_csv(x) -> str:
    """Numbers for the CSV: empty when unknown; integers without decimals; scores with at most 4 decimals."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4f}".rstrip("0").rstrip(".")


# -- dossiers that explain a difference ------------------------------------------------------------------------
NOT_SYNCED_SQL = "NOT coalesce(d.dong_bo_dvcqg, false)"


def _not_synced(condition: str = NOT_SYNCED_SQL, dossiers: str = "moi") -> tuple[str, str, str, str, str]:
    """The reason most portal metrics share: the dossier was not synchronised to the portal."""
    return ("not_synced", "chưa đồng bộ lên Cổng DVCQG", "not synchronised to the portal", condition, dossiers)


#: metric → [(reason id, reason in Vietnamese, reason in English, SQL condition on a dossier d, dossier set)]
#: dossier set: "tong" = counted in the period (carried over or received), "moi" = received in the period
REASONS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "DOSSIER_SYNC": [_not_synced(dossiers="tong")],
    "PROGRESS": [_not_synced(dossiers="tong")],
    "ORIGINAL_RESULT_AVAILABLE": [("no_e_result", "không có kết quả điện tử", "no electronic result",
                                   "NOT coalesce(d.ket_qua_dien_tu, false)", "moi")],
    "DOSSIER_RECEIVING_SATISFACTION": [("no_evaluation", "chưa có đánh giá", "evaluation missing",
                                        "d.muc_hai_long IS NULL AND NOT coalesce(d.co_danh_gia, false)", "moi")],
    "ONLINE": [("no_channel", "không ghi nhận kênh nộp", "no channel recorded", "d.kenh IS NULL", "moi")],
    "PAYMENT": [_not_synced("d.co_phi AND " + NOT_SYNCED_SQL)],
    "SO_HOA_GIAY_TO_GIAI_QUYET": [_not_synced()],
    "REUSED_DIGITIZED_DATA": [_not_synced()],
}


def explain(con, units: list[str], period: str, metric: str, limit: int = MAX_CODES) -> list[dict]:
    """For one metric: each reason the data can give, with how many dossiers and their codes (``ma_ho_so`` only,
    sorted, at most ``limit``). Dossiers: those of ``units`` (the unit and its subtree) counted in the period."""
    from ..periods import parse_period

    a, b = parse_period(period).bounds("calendar")
    out = []
    ph = ", ".join("?" for _ in units)
    for rid, vi, en, cond, which in REASONS.get(metric, []):
        scope = ("CAST(d.ngay_tiep_nhan AS DATE) BETWEEN ? AND ?" if which == "moi" else
                 "CAST(d.ngay_tiep_nhan AS DATE) <= ? AND coalesce(CAST(coalesce(d.ngay_ket_thuc_xu_ly, CASE WHEN "
                 "d.trang_thai = 10 THEN d.ngay_tra END) AS DATE), DATE '9999-12-31') >= ?")
        params = [a, b] if which == "moi" else [b, a]
        q = (f"SELECT d.ma_ho_so FROM dossiers d WHERE d.trang_thai NOT IN (1, 3) AND d.ngay_tiep_nhan IS NOT NULL "
             f"AND d.ma_don_vi IN ({ph}) AND {scope} AND ({cond}) ORDER BY d.ma_ho_so")
        codes = [x[0] for x in con.execute(q, [*units, *params]).fetchall()]
        if codes:
            out.append(dict(reason=rid, reason_vi=vi, reason_en=en, n=len(codes), codes=codes[:limit]))
    return out


def unit_reconciliation(con, registry, unit: str, period: str, override: str | None = None,
                        children: bool = False, own: pd.DataFrame | None = None) -> dict | None:
    """Everything the report section needs for one unit (``children``: and its direct children, for the
    overview): dict(version, rows (DataFrame), reasons {(unit, metric): [...]}) or None without portal figures."""
    from .store import figures, has_table

    if not has_table(con):
        return None
    portal = figures(con, period)
    if portal.empty:
        return None
    want = [unit, *([c for c in registry.units if registry.units[c].parent == unit] if children else [])]
    portal = portal[portal["unit"].isin(want)]
    if portal.empty:
        return None
    df, version = reconcile(con, registry, period, override=override, portal=portal, own=own)
    reasons = {}
    for r in df.itertuples(index=False):
        if not r.matched:
            continue
        dn = _diff(r.own_numerator, r.portal_numerator)
        dd = _diff(r.own_denominator, r.portal_denominator)
        ds = _diff(r.own_score, r.portal_score)
        if any(x is not None and abs(x) > 1e-9 for x in (dn, dd)) or (ds is not None and abs(ds) >= 0.01) \
                or r.metric in ("ONLINE",):
            subtree = [r.unit, *registry.descendants(r.unit)]
            reasons[(r.unit, r.metric)] = explain(con, subtree, period, r.metric)
    return dict(version=version, rows=df, reasons=reasons)


def _diff(own, portal):
    if own is None or portal is None or (isinstance(own, float) and math.isnan(own)) or \
            (isinstance(portal, float) and math.isnan(portal)):
        return None
    return float(own) - float(portal)


def with_differences(df: pd.DataFrame) -> pd.DataFrame:
    """The reconciliation rows plus diff_numerator, diff_denominator (own − portal, in dossiers) and diff_score."""
    d = df.copy()
    d["diff_numerator"] = d["own_numerator"] - d["portal_numerator"]
    d["diff_denominator"] = d["own_denominator"] - d["portal_denominator"]
    d["diff_score"] = d["own_score"] - d["portal_score"]
    return d


__all__ = ["CSV_COLUMNS", "reconcile", "rule_score", "own_items", "explain", "unit_reconciliation", "fmt_csv",
           "with_differences"]
