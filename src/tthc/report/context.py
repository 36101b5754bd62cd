"""The object a report notebook talks to: ``r = tthc.report.load(unit, period, window, lang)`` validates the
parameters, makes sure data and cube exist, loads the slice; then each ``r.<section>()`` displays one section as
``text/html`` with its structure (``application/vnd.tthc.section+json``), charts as ``image/svg+xml`` with their
numbers. The first output, ``r.header()``, also carries the report metadata
(mimetype ``application/vnd.tthc.report+json``) the renderer uses for the first page, banner and running header.
"""

from __future__ import annotations

import os
from datetime import datetime

import numpy as np
import pandas as pd

from .. import __version__, config
from .fmt import fmt_date, fmt_datetime, fmt_int, fmt_num, fmt_pct, is_missing
from .i18n import band_label, indicator_name, level_name, period_label, status_key, t
from .params import ReportParams, validate
from . import tables as T
from ..render.layout import REPORT_MIMETYPE as META_MIME  # one home: the renderer, which reads it
TARGET_INDICATORS = T.TARGET_INDICATORS


def _display(bundle: dict) -> None:
    from IPython.display import display

    display(bundle, raw=True)


def show_html(html: str, extra: dict | None = None, section: dict | None = None) -> None:
    """Display report HTML with its structured form beside it (``application/vnd.tthc.section+json``, read from
    the HTML when ``section`` is not given): the PDF is typeset from that structure (tthc.render.blocks)."""
    from ..render.blocks import SECTION_MIMETYPE, html_to_section

    bundle = {"text/html": html}
    sec = section if section is not None else html_to_section(html)
    if sec.get("title") or sec.get("blocks"):
        bundle[SECTION_MIMETYPE] = sec
    if extra:
        bundle.update(extra)
    _display(bundle)


def show_section(section: dict, extra: dict | None = None) -> None:
    """Display a section given as structured blocks (see tthc.render.blocks): its HTML is drawn from the blocks,
    so the notebook, the HTML and the PDF show the same data."""
    from ..render.blocks import section_html

    show_html(section_html(section), extra, section=section)


def show_figure(fig, data: dict | None = None) -> None:
    """Display a chart as SVG (vector in HTML, JupyterLab and the PDF; see ``plots.to_svg``); ``data`` (the numbers
    it was drawn from, e.g. ``plots.scorecard_data``) travels beside it as ``application/vnd.tthc.chart+json``."""
    from ..render.blocks import CHART_MIMETYPE
    from .plots import to_svg

    bundle = {"image/svg+xml": to_svg(fig)}
    if data is not None:
        bundle[CHART_MIMETYPE] = data
    _display(bundle)


def is_synthetic(con) -> bool:
    """True when the warehouse holds the bundled synthetic sample (the sample helper decides how to tell)."""
    try:
        from ..sample import is_synthetic as sample_is_synthetic
    except ImportError:
        sample_is_synthetic = None
    if sample_is_synthetic is not None:
        return bool(sample_is_synthetic(con))
    row = con.execute("SELECT count(*) FROM dossiers WHERE lower(coalesce(tep_nguon, '')) LIKE '%sample%' "
                      "OR lower(coalesce(nguon, '')) LIKE '%sample%'").fetchone()
    return bool(row and row[0])


def data_sources(con) -> list[str]:
    """Names of the ingested source files (no paths)."""
    try:
        rows = con.execute("SELECT DISTINCT nguon, tep_nguon FROM dossiers ORDER BY 1, 2").fetchall()
    except Exception:  # noqa: BLE001 - an older warehouse without meta columns
        return []
    out = []
    for nguon, tep in rows:
        name = os.path.basename(str(tep)) if tep else ""
        out.append(f"{nguon}: {name}" if nguon and name else (nguon or name))
    return [o for o in out if o]


def portal_reconciliation(con, registry, unit: str, period: str, overview: bool, rules: str | None = None):
    """The reconciliation of the portal's published 766 figures for the period with the rules and the unit's own
    dossiers (an overview: the unit and its children), or None when none were imported (``tthc portal import``)."""
    from ..engine import query as q
    from ..portal.reconcile import unit_reconciliation
    from ..portal.store import figures, has_table

    if not has_table(con) or figures(con, period).empty:
        return None
    units = [unit, *(registry.children(unit) if overview else [])]
    own = []  # the cube's own items (calendar months, as the portal counts) when they use the portal's codes
    for u in units:
        it = q.index766(u, period, "calendar", rules=rules)
        if len(it):
            own.append(it.assign(unit=u))
    own_df = pd.concat(own, ignore_index=True) if own else None
    return unit_reconciliation(con, registry, unit, period, children=overview, own=own_df)


class Report:
    """A loaded unit report. Methods display sections; ``values()`` prints canonical indicator values."""

    kind = "unit"

    def __init__(self, params: ReportParams, registry, data, meta: dict):
        self.params = params
        self.registry = registry
        self.data = data
        self.meta = meta
        self.lang = params.lang
        self._n = 0

    # -- helpers ------------------------------------------------------------------------------------------------
    def t(self, key, **kw) -> str:
        return t(key, self.lang, **kw)

    def _section(self, key: str, body: str, extra: dict | None = None) -> None:
        self._n += 1
        show_html(T.section(self.t(key), body, self._n), extra)

    def own(self) -> pd.DataFrame:
        ind = self.data.indicators
        return ind[ind["unit"] == self.params.unit].reset_index(drop=True)

    # -- sections -----------------------------------------------------------------------------------------------
    def header(self) -> None:
        m, L = self.meta, self.lang
        rows = [
            (self.t("unit"), f"{m['unit_name']} ({m['unit']})"),
            (self.t("level"), level_name(m["level"], L)),
            (self.t("parent"), m.get("parent_name") or "–"),
            (self.t("period"), f"{m['period_label']} ({m['period']})"),
            (self.t("window"), self.t(f"window_{m['window']}") + ", "
             + self.t("from_to", a=fmt_date(m["date_from"]), b=fmt_date(m["date_to"]))),
            (self.t("source"), "; ".join(m.get("sources") or []) or "–"),
            (self.t("data_hash"), m["data_hash"][:16]),
            (self.t("generated"), fmt_datetime(datetime.fromisoformat(m["generated"]))),
            (self.t("version"), f"tthc {m['version']}"),
        ]
        body = "".join(f"<tr><th>{T.esc(k)}</th>{T.td(v)}</tr>" for k, v in rows)
        html = f'<table class="tthc-table meta"><tbody>{body}</tbody></table>'
        if m.get("synthetic"):
            html = f'<p class="note synthetic"><strong>{T.esc(self.t("synthetic"))}</strong></p>' + html
        html += T.note(self.window_note())
        public = {k: v for k, v in m.items() if k != "sources"}
        self._section("sec_header", html, {META_MIME: public})

    def window_note(self) -> str:
        m = self.meta
        return self.t("window_note", window_text=self.t(f"window_{m['window']}"),
                      from_to=self.t("from_to", a=fmt_date(m["date_from"]), b=fmt_date(m["date_to"])))

    def scorecard(self) -> None:
        from .plots import fig_scorecard, scorecard_data

        own = self.own()
        if own.empty:
            self._section("sec_scorecard", T.note(self.t("no_data_unit")))
            return
        body = T.scorecard_html(own, self.lang) + T.note(self.t("legend_status")) + T.extras_html(own, self.lang)
        body += self.targets_note(own)
        # the dispatch's title only when every target comes from it (spec §1: targets are dated rules)
        srcs = own.loc[own["indicator"].isin(TARGET_INDICATORS), "source"].fillna("").astype(str) \
            if "source" in own.columns else pd.Series(dtype=str)
        only353 = srcs.str.startswith("Công văn 353/UBND-VP").all()
        self._section("sec_scorecard" if only353 else "sec_scorecard_rules", body)
        show_figure(fig_scorecard(own, self.lang, self.meta["period_label"]),
                    scorecard_data(own, self.lang, self.meta["period_label"]))

    def targets_note(self, own: pd.DataFrame) -> str:
        """The dated rules the scorecard used (spec §1), each cited once with its indicators; unverified ones
        flagged."""
        if "source" not in own.columns:
            return ""
        d = own[own["indicator"].isin(TARGET_INDICATORS) & own["source"].fillna("").astype(str).ne("")]
        if d.empty:
            return ""
        groups = d.groupby("source", sort=False)["indicator"].apply(lambda s: ", ".join(s))
        text = "; ".join(f"{ids}: {src}" for src, ids in groups.items())
        if self.lang == "en":
            text = text.replace("(chưa kiểm chứng)", "(unverified)").replace(" ngày ", " of ")
        out = T.note(self.t("targets_cited", items=text))
        if groups.index.str.contains("chưa kiểm chứng").any():
            out += T.note(self.t("targets_unverified"))
        return out

    def trends(self) -> None:
        from .plots import fig_trends, trends_data

        body = T.note(self.window_note())
        tr = self.data.trend
        if tr is not None and "tien_than" in tr.columns and tr["tien_than"].any():
            u = self.registry.get(self.params.unit)
            preds = self.registry.continuity_predecessors(u.code)
            body += T.note(self.t("trend_predecessors", d=fmt_date(u.valid_from.isoformat(), self.lang),
                                  units=", ".join(f"{p} {self.registry.get(p).name}" for p in preds)))
        self._section("sec_trends", body)
        show_figure(fig_trends(self.data.trend, self.lang), trends_data(self.data.trend, self.lang))

    def reception(self) -> None:
        """Reception regardless of administrative boundary (Decree 118/2025/NĐ-CP, spec §2): dossiers received
        here for other units and those processed here that others received (counts); an overview adds the
        largest flows between its units."""
        flows = self.data.reception
        if flows is None:
            return
        from ..engine.query import reception_counts

        c = reception_counts(flows, self.params.unit)
        rows = pd.DataFrame({"k": [self.t("reception_for_others"), self.t("reception_by_others")],
                             "v": [fmt_int(c["for_others"], self.lang), fmt_int(c["by_others"], self.lang)]})
        body = T.simple_table(rows, [self.t("indicator"), self.t("dossiers")], {1}) + T.note(self.t("reception_note"))
        if self.kind == "overview" and len(flows):
            from ..engine.query import reception_matrix

            m = reception_matrix(flows)
            name = lambda code: f"{code} {self.registry.get(code).name}" if code in self.registry else str(code)  # noqa: E731
            mt = pd.DataFrame({"a": [name(r) for r in m.index],
                               **{c: [fmt_int(v, self.lang) if v else "–" for v in m[c]] for c in m.columns}})
            body += T.note(self.t("reception_flows")) + T.simple_table(
                mt, [f"{self.t('receiving_unit')} \\ {self.t('processing_unit')}", *m.columns],
                set(range(1, len(m.columns) + 1)))
        self._section("sec_reception", body)

    def bieu06(self) -> None:
        m = self.meta
        head = T.note(f"{self.t('unit')}: {m['unit_name']} — {self.t('period')}: "
                      + self.t("from_to", a=fmt_date(m["date_from"]), b=fmt_date(m["date_to"]))
                      + f" — {self.t('unit_count')}")
        self._section("sec_bieu06", head + T.bieu06_html(self.data.bieu06, self.lang))

    def index766(self) -> None:
        from .plots import fig_766, index766_data

        self._section("sec_766", T.index766_html(self.data.index766, self.data.index766_summary, self.lang))
        show_figure(fig_766(self.data.index766, self.lang), index766_data(self.data.index766, self.lang))

    def portal766(self) -> None:
        """"Đối chiếu với Cổng DVCQG" (spec §9): the portal's published 766 figures for the period against the
        rules and the unit's own dossiers (an overview: the unit and its children); nothing when none were imported
        (``tthc portal import``). Computed at load (:func:`portal_reconciliation`)."""
        if self.data.portal is None:
            return
        names = {c: u.name for c, u in self.registry.units.items()}
        self._section("sec_portal", T.portal_html(self.data.portal, self.lang, names))

    def dossiers(self) -> None:
        body = (T.dossiers_html(self.data.overdue, "overdue", self.lang)
                + T.dossiers_html(self.data.due_soon, "due_soon", self.lang) + T.note(self.t("no_personal")))
        self._section("sec_dossiers", body)

    def quality(self) -> None:
        self._section("sec_quality", T.quality_html(self.data.quality, self.lang))

    def narrative_sentences(self) -> list:
        """The drafted "Nhận xét, đánh giá" as structured sentences (see :mod:`tthc.report.narrative`)."""
        from .assess import overview_sentences, unit_sentences

        m, p = self.meta, self.params
        if self.kind == "overview":
            return overview_sentences(p.unit, m["unit_name"], p.period, p.window, self.lang, self.data.indicators,
                                      self.data.children, self.data.bieu06)
        return unit_sentences(p.unit, m["unit_name"], p.period, p.window, self.lang, self.data.indicators,
                              self.data.bieu06)

    def narrative(self) -> None:
        """Section "Nhận xét, đánh giá": results, shortcomings, proposals (spec §10)."""
        from .narrative import load_templates, narrative_html

        tpl = load_templates()
        self._n += 1
        show_html(T.section(tpl.get(self.lang, "section_title"),
                            narrative_html(self.narrative_sentences(), self.lang, tpl), self._n))

    def plans(self) -> list:
        from .assess import unit_plans

        return unit_plans(self.params.unit, self.params.period, self.data.indicators)

    def plan(self) -> None:
        """Section "Kế hoạch đạt chỉ tiêu": per rate target missed year to date, dossiers needed per remaining
        month (spec §10); an overview adds its units' plans."""
        from .assess import children_plan_rows, kinds_and_names, plan_html
        from .narrative import load_templates

        tpl = load_templates()
        codes = list(dict.fromkeys(self.data.indicators["indicator"]))
        _, names = kinds_and_names(codes, self.lang)
        body = plan_html(self.plans(), self.lang, names, tpl)
        if self.kind == "overview" and self.data.children:
            reg = self.registry
            kids = [(c, reg.get(c).name) for c in self.data.children]
            rows = children_plan_rows(kids, self.params.period, self.data.indicators, self.lang)
            if len(rows):
                cols = tpl.lang[self.lang]["plan_columns"]
                body += T.note(tpl.get(self.lang, "plan_children")) + T.simple_table(
                    rows, [cols[c] for c in rows.columns], {3, 4, 5, 6})
        self._n += 1
        show_html(T.section(tpl.get(self.lang, "plan_title"), body, self._n))

    def values(self) -> None:
        """Print the canonical indicator values as plain text (checked by the nbval goldens)."""
        print(canonical_text(self.data.indicators))


def canonical_text(ind: pd.DataFrame) -> str:
    """unit, indicator, numerator, denominator, value for D1–D7 and the extras: a stable plain-text table."""
    d = ind[["unit", "indicator", "numerator", "denominator", "value"]].copy()
    d["numerator"] = [("" if is_missing(v) else f"{float(v):g}") for v in d["numerator"]]
    d["denominator"] = [("" if is_missing(v) else f"{float(v):g}") for v in d["denominator"]]
    d["value"] = ["NA" if is_missing(v) else f"{float(v):.2f}" for v in d["value"]]
    order = {c: i for i, c in enumerate(T.TARGET_INDICATORS + T.EXTRA_INDICATORS)}
    d["_o"] = d["indicator"].map(order).fillna(len(order))
    d = d.sort_values(["unit", "_o", "indicator"], kind="stable").drop(columns="_o")
    lines = ["unit,indicator,numerator,denominator,value"]
    lines += [",".join(map(str, r)) for r in d.itertuples(index=False)]
    return "\n".join(lines)


class Overview(Report):
    """A parent unit and its children: league table, targets met, 766 ranking, Biểu 06 by level, units behind."""

    kind = "overview"

    def league_rows(self) -> pd.DataFrame:
        ind = self.data.indicators
        ind = ind[ind["indicator"].isin(TARGET_INDICATORS)].copy()
        ind["is_parent"] = ind["unit"] == self.params.unit
        order = [self.params.unit, *self.data.children]
        ind["_o"] = ind["unit"].map({u: i for i, u in enumerate(order)})
        return ind.dropna(subset=["_o"]).sort_values(["_o"], kind="stable").drop(columns="_o")

    def children_rows(self) -> pd.DataFrame:
        d = self.league_rows()
        return d[~d["is_parent"]]

    def league(self) -> None:
        from .plots import fig_heatmap

        rows = self.league_rows()
        body = T.league_html(rows, self.lang) + T.note(self.t("legend_status"))
        if not self.data.children:
            body += T.note(self.t("no_children"))
        self._section("sec_league", body)
        if self.data.children:
            show_figure(fig_heatmap(self.children_rows(), self.lang, self.meta["period_label"]))
            show_html(T.note(self.t("heat_note")))

    def targets_met(self) -> None:
        self._section("sec_targets_met", T.simple_table(
            targets_met_table(self.children_rows(), self.lang),
            [self.t("indicator"), self.t("units_meeting"), self.t("units_total"), self.t("share_meeting")],
            {1, 2, 3}))

    def ranking766(self) -> None:
        d = ranking766_table(self.data.children766, self.lang)
        self._section("sec_rank766", T.simple_table(
            d, [self.t("rank"), self.t("code"), self.t("unit"), self.t("level"), self.t("score"),
                self.t("computable"), self.t("score_pct"), self.t("band")], {0, 4, 5, 6})
            + T.note("* " + self.t("band_assumed")) + T.note(self.t("as_observed")))

    def bieu06_levels(self) -> None:
        own, total = bieu06_by_level(self.data.bieu06_all, self.params.unit, self.registry)
        self._section("sec_bieu06_levels", T.note(self.t("unit_count"))
                      + T.bieu06_by_level_html(own, total, self.lang))

    def behind(self, n: int = 10) -> None:
        d = furthest_behind(self.children_rows(), n)
        rows = pd.DataFrame({
            "code": d["unit"], "name": d["unit_name"],
            "missed": [fmt_int(v, self.lang) for v in d["missed"]],
            "gap": [fmt_int(v, self.lang) for v in d["gap"]],
            "detail": d["detail"].map(lambda s: s),
        })
        self._section("sec_behind", T.simple_table(
            rows, [self.t("code"), self.t("unit"), self.t("targets_missed"), self.t("total_gap"),
                   self.t("gap")], {2, 3}))


def targets_met_table(children: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per indicator: units Đạt, units with data, share."""
    out = []
    for code in TARGET_INDICATORS:
        g = children[children["indicator"] == code]
        keys = [status_key(s) for s in g["status"]]
        met = sum(k == "dat" for k in keys)
        with_data = sum(k != "nodata" for k in keys)
        out.append((f"{code}. {indicator_name(code, lang)}", fmt_int(met, lang), fmt_int(with_data, lang),
                    fmt_pct(100.0 * met / with_data, 2, lang) if with_data else "–"))
    return pd.DataFrame(out, columns=["indicator", "met", "with_data", "share"])


def ranking766_table(children766: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Children ranked by their 766 score over the points that could be computed (units differ in computable
    points, so the raw score is not comparable); ties share a rank. Assumed bands carry a '*'."""
    cols = ["rank", "unit", "unit_name", "level", "score", "computable_max", "score_pct", "band"]
    if children766 is None or not len(children766):
        return pd.DataFrame(columns=cols)
    d = children766.copy()
    d["score"] = pd.to_numeric(d["score"], errors="coerce")
    d["computable_max"] = pd.to_numeric(d["computable_max"], errors="coerce")
    from ..engine.index766 import score_pct

    d["score_pct"] = score_pct(d["score"], d["computable_max"])  # the engine's rule
    d = d.sort_values(["score_pct", "unit"], ascending=[False, True], kind="stable", na_position="last")
    d["rank"] = d["score_pct"].round(6).rank(method="min", ascending=False)
    band = []
    for b, a in zip(d["band"], d["band_assumed"]):
        s = "" if b is None or is_missing(b) else band_label(b, lang)
        band.append(s + (" *" if s and not is_missing(a) and bool(a) else ""))
    return pd.DataFrame({
        "rank": [fmt_int(v, lang) for v in d["rank"]], "unit": d["unit"], "unit_name": d["unit_name"],
        "level": [level_name(v, lang) for v in d["level"]], "score": [fmt_num(v, 2, lang) for v in d["score"]],
        "computable_max": [fmt_num(v, 0, lang) for v in d["computable_max"]],
        "score_pct": [fmt_pct(v, 2, lang) for v in d["score_pct"]], "band": band})


def bieu06_by_level(rows: pd.DataFrame, parent: str, registry) -> tuple[pd.DataFrame, pd.Series | None]:
    """Biểu 06 by level of the units and field, from rolled-up rows: a unit's *own* figures are its roll-up minus
    its children's roll-ups (exact, the roll-up is a sum), so nothing is counted twice across levels."""
    cols = T.BIEU06_COLS
    d = rows[rows["ma_linh_vuc"].astype(str) != "TONG"].copy()
    d["ma_linh_vuc"] = d["ma_linh_vuc"].fillna("").astype(str)
    key = ["unit", "ma_linh_vuc"]
    roll = d.groupby(key, sort=False)[cols].sum()
    names = d.groupby("ma_linh_vuc", sort=False)["ten_linh_vuc"].first()
    own_parts = []
    for u in [parent, *registry.descendants(parent)]:
        if u not in roll.index.get_level_values(0):
            continue
        mine = roll.loc[u]
        for c in registry.children(u):
            if c in roll.index.get_level_values(0):
                mine = mine.sub(roll.loc[c], fill_value=0)
        mine = mine.reset_index()
        mine["unit"] = u
        own_parts.append(mine)
    if not own_parts:
        return pd.DataFrame(columns=["level", "ma_linh_vuc", "ten_linh_vuc", *cols]), None
    own = pd.concat(own_parts, ignore_index=True)
    own["level"] = own["unit"].map(lambda u: registry.get(u).level)
    from ..units import LEVELS

    own["_l"] = own["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    agg = own.groupby(["_l", "level", "ma_linh_vuc"], sort=True)[cols].sum().reset_index()
    agg = agg[agg[cols].sum(axis=1) != 0]
    agg["ten_linh_vuc"] = agg["ma_linh_vuc"].map(names)
    agg[cols] = agg[cols].astype("int64")
    total_rows = rows[(rows["unit"] == parent) & (rows["ma_linh_vuc"].astype(str) == "TONG")]
    total = total_rows.iloc[0] if len(total_rows) else agg[cols].sum()
    return agg.drop(columns="_l").reset_index(drop=True), total


def furthest_behind(children: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Children with the most dossiers missing to reach their targets (sum of gaps over D1–D7), then most targets
    missed. ``detail`` lists the gap per indicator not met."""
    out = []
    for unit, g in children.groupby("unit", sort=False):
        miss = g[[status_key(s) == "chua_dat" for s in g["status"]]]
        gaps = pd.to_numeric(miss["gap"], errors="coerce").fillna(0)
        detail = ", ".join(f"{i}: {int(v)}" for i, v in zip(miss["indicator"], gaps))
        out.append(dict(unit=unit, unit_name=g["unit_name"].iloc[0], missed=len(miss), gap=int(gaps.sum()),
                        detail=detail))
    d = pd.DataFrame(out, columns=["unit", "unit_name", "missed", "gap", "detail"])
    d = d.sort_values(["gap", "missed", "unit"], ascending=[False, False, True], kind="stable")
    return d[d["missed"] > 0].head(n).reset_index(drop=True)


def build_meta(params: ReportParams, registry, synthetic: bool, data_hash: str, sources: list[str]) -> dict:
    from ..periods import parse_period

    u = registry.get(params.unit)
    a, b = parse_period(params.period).bounds(params.window)
    plabel = period_label(params.period, params.lang)
    subject_key = "subject_overview" if params.kind == "overview" else "subject_unit"
    generated = os.environ.get("TTHC_GENERATED") or datetime.now().isoformat(timespec="seconds")
    # the registry as valid in the period (spec §2): the parent and the letterhead's chain of units
    chain = [x for x in reversed(registry.ancestors(u.code)) if registry.get(x).overlaps(a, b)]
    return {
        "kind": params.kind, "unit": u.code, "unit_name": u.name, "level": u.level,
        "parent_name": registry.get(u.parent).name if u.parent and registry.get(u.parent).overlaps(a, b) else None,
        "letterhead_units": [*chain, u.code],
        "period": params.period, "period_label": plabel, "window": params.window,
        "date_from": a.isoformat(), "date_to": b.isoformat(), "lang": params.lang,
        "synthetic": bool(synthetic), "data_hash": data_hash, "generated": generated, "version": __version__,
        "title": t("title_unit", params.lang),
        "subject": t(subject_key, params.lang, unit_name=u.name, period_label=plabel),
        "sources": sources,
    }


def load(unit="X001", period="2025-Q1", window="calendar", lang="vi", kind="unit", ensure: bool = True,
         rules: str | None = None) -> Report:
    """Validate parameters, check that data and cube exist (one-line error naming what to run, see
    :func:`tthc.bootstrap.ensure_data`), load the report's slice. Only reads. ``rules``: the 766 rules version
    (the notebooks' ``rules`` parameter, ``--rules``); None: the version in force at the period's end."""
    from ..units import load_registry
    from ..warehouse import connect
    from .data import load_slice, report_slice_hash, require_data

    registry = load_registry()
    params = validate(unit, period, window, lang, kind=kind, registry=registry, rules=rules)
    if ensure:
        require_data()
    con = connect(read_only=True)
    try:
        data = load_slice(params.unit, params.period, params.window, params.kind, registry, con, params.lang,
                          rules=params.rules)
        data.portal = portal_reconciliation(con, registry, params.unit, params.period, params.kind == "overview",
                                            rules=params.rules)
        synthetic = is_synthetic(con)
        sources = data_sources(con)
    finally:
        con.close()
    dhash = report_slice_hash([params.unit, *registry.descendants(params.unit)], params.period, params.window)
    meta = build_meta(params, registry, synthetic, dhash, sources)
    cls = Overview if kind == "overview" else Report
    return cls(params, registry, data, meta)
