"""Gathers the figures :mod:`tthc.report.narrative` and :mod:`tthc.report.planner` need for one report, from the
report's slice and the cube (same period last year, the months of the year for the planner), and returns sentences.

Indicators are those the engine provides with a target (D1–D7, and D8 once the engine has it), in engine order.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..periods import Period, parse_period
from .fmt import fmt_int, fmt_pct, is_missing
from .i18n import indicator_name, status_key
from .narrative import Sentence, Templates, _fields, fmt_target_text, load_templates, overview_narrative, \
    unit_narrative
from .planner import Plan, plans


def _targets():
    from ..engine.targets import load_targets

    return load_targets()


def kinds_and_names(codes, lang: str) -> tuple[dict, dict]:
    """Indicator → rate | count, and → display name (the report's i18n name, else the targets file's)."""
    try:
        tg = _targets().indicators
    except Exception:  # noqa: BLE001 - targets are validated elsewhere; fall back to the report's own lists
        tg = {}
    kinds, names = {}, {}
    for c in codes:
        t = tg.get(c)
        kinds[c] = getattr(t, "kind", None) or ("count" if c in ("D5", "D8") else "rate")
        nm = indicator_name(c, lang)
        if nm == c and t is not None:
            nm = t.name_en if lang == "en" else t.name_vi
        names[c] = nm
    return kinds, names


def target_rows(ind: pd.DataFrame, unit: str) -> list[dict]:
    """The unit's indicator rows that carry a target, in engine order."""
    d = ind[(ind["unit"] == unit) & ind["target"].notna()]
    return d.to_dict("records")


def _cube_indicators(periods: list[str], window: str, units: list[str], cube_dir: Path | None = None
                     ) -> pd.DataFrame:
    """Indicator rows of the cube for the given periods (no rebuild: absent periods just give no rows)."""
    from ..engine.query import cube_indicator_rows

    from .data import cube_dir as default_dir

    return cube_indicator_rows(periods, window, units, Path(cube_dir or default_dir()))


def same_period_last_year(period: str) -> str:
    p = parse_period(period)
    return Period(p.year - 1, p.first_month, p.last_month, p.kind).code


def last_year_values(unit: str, period: str, window: str, cube_dir=None) -> dict:
    d = _cube_indicators([same_period_last_year(period)], window, [unit], cube_dir)
    return {r.indicator: r.value for r in d.itertuples() if not is_missing(r.value)}


def year_figures(unit: str, period: str, cube_dir=None) -> tuple[dict, dict, int]:
    """(year-to-date indicator → (n, d), last year's remaining months indicator → (n, d), months elapsed), summed
    over calendar months (every rate's numerator and denominator is additive over months)."""
    p = parse_period(period)
    ytd_m = [f"{p.year}-{m:02d}" for m in range(1, p.last_month + 1)]
    rest_m = [f"{p.year - 1}-{m:02d}" for m in range(p.last_month + 1, 13)]
    d = _cube_indicators(ytd_m + rest_m, "calendar", [unit], cube_dir)

    def sums(months):
        g = d[d["period"].isin(months)].groupby("indicator")[["numerator", "denominator"]].sum()
        return {i: (int(r.numerator), int(r.denominator)) for i, r in g.iterrows()}

    return sums(ytd_m), sums(rest_m), p.last_month


def _bieu06_total(b: pd.DataFrame | None, unit: str) -> dict | None:
    if b is None or not len(b):
        return None
    r = b[(b["unit"] == unit) & (b["ma_linh_vuc"].astype(str) == "TONG")]
    return r.iloc[0].to_dict() if len(r) else None


def _no_apology(ind: pd.DataFrame, unit: str):
    r = ind[(ind["unit"] == unit) & (ind["indicator"] == "OVERDUE_NO_APOLOGY")]
    return r["value"].iloc[0] if len(r) else None


def unit_sentences(unit: str, unit_name: str, period: str, window: str, lang: str, ind: pd.DataFrame,
                   bieu06: pd.DataFrame | None, tpl: Templates | None = None, cube_dir=None) -> list[Sentence]:
    rows = target_rows(ind, unit)
    kinds, names = kinds_and_names([r["indicator"] for r in rows], lang)
    return unit_narrative(rows, kinds, names, lang, unit_name, last_year_values(unit, period, window, cube_dir),
                          _bieu06_total(bieu06, unit), _no_apology(ind, unit), tpl)


def behind_units(children: pd.DataFrame, n: int = 5) -> list[dict]:
    """Children with the largest total gap in dossiers over the targets they miss, then most targets missed."""
    out = []
    for unit, g in children.groupby("unit", sort=False):
        miss = g[[status_key(s) == "chua_dat" for s in g["status"]]]
        gaps = {i: int(v) for i, v in zip(miss["indicator"], pd.to_numeric(miss["gap"], errors="coerce").fillna(0))}
        if gaps:
            out.append(dict(unit=unit, unit_name=g["unit_name"].iloc[0], missed=len(gaps), gap=sum(gaps.values()),
                            gaps=gaps))
    out.sort(key=lambda b: (-b["gap"], -b["missed"], b["unit"]))
    return out[:n]


def met_counts(children: pd.DataFrame, codes) -> list[tuple[str, int, int]]:
    out = []
    for c in codes:
        keys = [status_key(s) for s in children.loc[children["indicator"] == c, "status"]]
        out.append((c, sum(k == "dat" for k in keys), sum(k != "nodata" for k in keys)))
    return out


def overview_sentences(unit: str, unit_name: str, period: str, window: str, lang: str, ind: pd.DataFrame,
                       children: list[str], bieu06: pd.DataFrame | None, tpl: Templates | None = None,
                       cube_dir=None, n_behind: int = 5) -> list[Sentence]:
    rows = target_rows(ind, unit)
    codes = [r["indicator"] for r in rows]
    kinds, names = kinds_and_names(codes, lang)
    kids = ind[ind["unit"].isin(children) & ind["target"].notna()]
    return overview_narrative(rows, kinds, names, lang, unit_name, met_counts(kids, codes),
                              behind_units(kids, n_behind), last_year_values(unit, period, window, cube_dir),
                              _bieu06_total(bieu06, unit), _no_apology(ind, unit), tpl)


# -- planner ---------------------------------------------------------------------------------------------------
def unit_plans(unit: str, period: str, ind: pd.DataFrame, cube_dir=None) -> list[Plan]:
    rows = target_rows(ind, unit)
    codes = [r["indicator"] for r in rows]
    kinds, _ = kinds_and_names(codes, "vi")
    targets = {r["indicator"]: float(r["target"]) for r in rows}
    ytd, rest, elapsed = year_figures(unit, period, cube_dir)
    return plans({k: v for k, v in ytd.items() if k in targets}, rest, targets, elapsed, kinds)


def plan_sentences(plan_list: list[Plan], lang: str, names: dict, tpl: Templates | None = None,
                   unit: str | None = None, unit_name: str | None = None) -> list[Sentence]:
    """One sentence per plan (``figures``: the raw numbers shown)."""
    tpl = tpl or load_templates()
    out = []
    for p in plan_list:
        key = "plan_no_months" if p.months_left == 0 else ("plan_feasible" if p.feasible else "plan_infeasible")
        kw = dict(name=names.get(p.indicator, p.indicator), value=fmt_pct(p.value, 2, lang),
                  target=fmt_target_text("rate", p.target, lang, tpl), needed=fmt_int(p.needed, lang),
                  per_month=fmt_int(p.per_month, lang), months=fmt_int(p.months_left, lang),
                  share=fmt_pct(p.share, 2, lang), volume=fmt_int(p.volume, lang))
        used = _fields(tpl.get(lang, key))
        allf = dict(value=p.value, target=p.target, needed=p.needed, per_month=p.per_month, months=p.months_left,
                    share=p.share, volume=p.volume)
        figs = {k: v for k, v in allf.items() if k in used}
        text = tpl.get(lang, key).format(**kw)
        if unit_name:
            text = f"{unit_name}: {text[:1].lower()}{text[1:]}" if lang == "vi" else f"{unit_name}: {text}"
        out.append(Sentence("plan", key, text, p.indicator, unit, figs))
    return out


def plan_html(plan_list: list[Plan], lang: str, names: dict, tpl: Templates | None = None) -> str:
    """The unit's plan: which basis the volume estimate uses, then one item per missed rate target."""
    from .planner import BASIS_TEMPLATE
    from .tables import esc

    tpl = tpl or load_templates()
    if not plan_list:
        return f'<p class="note">{esc(tpl.get(lang, "plan_none"))}</p>'
    bases = sorted({p.basis for p in plan_list})
    intro = " ".join(tpl.get(lang, "plan_intro").format(basis=tpl.get(lang, BASIS_TEMPLATE[b])) for b in bases)
    items = "".join(f"<li>{esc(s.text)}</li>" for s in plan_sentences(plan_list, lang, names, tpl))
    return f'<p class="note">{esc(intro)}</p><ul class="narrative plan">{items}</ul>'


def children_plan_rows(children: list[tuple[str, str]], period: str, ind: pd.DataFrame, lang: str,
                       cube_dir=None) -> pd.DataFrame:
    """Overview: one row per child × missed rate target (unit, name, indicator, year-to-date value, target,
    needed, per month, achievable)."""
    from .i18n import t as tr

    rows = []
    for code, name in children:
        for p in unit_plans(code, period, ind, cube_dir):
            rows.append((code, name, p.indicator, fmt_pct(p.value, 2, lang), fmt_target_text("rate", p.target, lang),
                         fmt_int(p.needed, lang), fmt_int(p.per_month, lang),
                         tr("yes", lang) if p.feasible else tr("no", lang)))
    return pd.DataFrame(rows, columns=["code", "unit", "indicator", "ytd", "target", "needed", "per_month",
                                       "feasible"])
