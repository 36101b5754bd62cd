"""HTML tables of the reports. Every data string (unit, field, procedure names, codes) goes through
:func:`html.escape`; classes follow the renderer's contract: ``tthc-section``, ``tthc-table`` (``wide`` for wide
tables, ``scorecard``), ``num`` numeric cells, ``dat`` / ``chua-dat`` / ``nodata`` status cells, ``p.note``."""

from __future__ import annotations

import html
import os

import numpy as np
import pandas as pd

from .fmt import fmt_date, fmt_int, fmt_num, fmt_pct, fmt_signed, is_missing
from .i18n import band_label, group_label, indicator_name, level_name, status_key, t

TARGET_INDICATORS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")
EXTRA_INDICATORS = ("ON_TIME", "BO_SUNG", "AVG_DAYS", "DUE_SOON", "OVERDUE_APOLOGY", "OVERDUE_NO_APOLOGY")
COUNT_INDICATORS = ("D5", "D8", "DUE_SOON", "OVERDUE_APOLOGY", "OVERDUE_NO_APOLOGY")
TARGET_COUNTS = ("D5", "D8")  # dispatch indicators that are counts (target 0): value, target and change in dossiers
BIEU06_COLS = [f"col{i}" for i in range(3, 14)]


def esc(x) -> str:
    return "" if is_missing(x) else html.escape(str(x), quote=True)


# Inline styles as well as classes: JupyterLab does not load the export stylesheet (tthc.css), and right-aligns
# every cell by default; the exported HTML/PDF use the same colours from the stylesheet.
_ALIGN = {True: "text-align:right", False: "text-align:left"}
STATUS_STYLE = {"dat": "color:#0a5c1f;font-weight:bold", "chua-dat": "color:#b00020;font-weight:bold",
                "nodata": "color:#666;font-style:italic"}
LEAGUE_BG = {"dat": "background:#e4f3e8", "chua-dat": "background:#fbe5e7", "nodata": "background:#f2f2f2"}


def td(text: str, cls: str | None = None, raw: bool = False, attrs: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    style = "" if "style=" in attrs else f' style="{_ALIGN["num" in (cls or "").split()]}"'
    return f"<td{c}{style}{attrs}>{text if raw else esc(text)}</td>"


def status_cell(status, lang: str) -> str:
    k = status_key(status).replace("_", "-")
    return f'<td class="{k}" style="text-align:center;{STATUS_STYLE.get(k, "")}">{esc(t(status_key(status), lang))}</td>'


def table(head: str, rows: list[str], cls: str = "", caption: str | None = None) -> str:
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<table class="tthc-table{" " + cls if cls else ""}">{cap}<thead>{head}</thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def section(title: str, body: str, number: int | None = None) -> str:
    h = f"{number}. {title}" if number else title
    return f'<section class="tthc-section"><h2>{esc(h)}</h2>{body}</section>'


def note(text: str, cls: str = "note") -> str:
    return f'<p class="{cls}">{esc(text)}</p>'


def fmt_value(code: str, value, lang: str) -> str:
    if is_missing(value):
        return t("nodata", lang)
    if code in COUNT_INDICATORS:
        return fmt_int(value, lang)
    if code == "AVG_DAYS":
        return fmt_num(value, 2, lang)
    return fmt_pct(value, 2, lang)


def fmt_target(code: str, target, lang: str) -> str:
    if is_missing(target):
        return "–"
    if code in TARGET_COUNTS:
        return fmt_int(target, lang)
    dec = 0 if float(target) == int(float(target)) else 2
    return ("" if float(target) >= 100 else "≥ ") + fmt_pct(target, dec, lang)


def fmt_change(code: str, change, lang: str) -> str:
    if is_missing(change):
        return "–"
    if code in COUNT_INDICATORS:
        return fmt_signed(change, 0, lang)
    return fmt_signed(change, 2, lang, " " + ("điểm %" if lang == "vi" else "pp"))


def fmt_rank(rank, peers, lang: str) -> str:
    if is_missing(rank):
        return "–"
    return t("rank_of", lang, rank=fmt_int(rank, lang), peers=fmt_int(peers, lang) if not is_missing(peers) else "–")


def _frac(num, den, lang) -> str:
    if is_missing(den):
        return ""
    return f"{fmt_int(num, lang)}/{fmt_int(den, lang)}"


def scorecard_html(ind: pd.DataFrame, lang: str = "vi") -> str:
    """The D1–D7 scorecard of one unit: value (numerator/denominator), target, status, gap, change, rank."""
    rows = ind.set_index("indicator")
    head = ("<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in
                             ("code", "indicator", "value", "target", "status", "gap", "change_pp", "rank"))
            + "</tr>")
    body = []
    for code in TARGET_INDICATORS:
        if code not in rows.index:
            continue
        r = rows.loc[code]
        val = fmt_value(code, r["value"], lang)
        frac = _frac(r["numerator"], r["denominator"], lang) if code not in TARGET_COUNTS else ""
        if code == "D5" and not is_missing(r.get("denominator")) and r.get("denominator"):
            frac = t("d5_rate", lang, rate=fmt_pct(100.0 * float(r["numerator"]) / float(r["denominator"]), 2, lang))
        val_html = esc(val) + (f'<br><span class="frac">{esc(frac)}</span>' if frac else "")
        gap = r["gap"]
        change = r.get("change")
        body.append(f'<tr data-indicator="{esc(code)}">' + td(code) + td(indicator_name(code, lang))
                    + td(val_html, "num", raw=True, attrs=' style="text-align:right" data-value="value"')
                    + td(fmt_target(code, r["target"], lang), "num")
                    + status_cell(r["status"], lang)
                    + td("–" if is_missing(gap) else fmt_int(gap, lang), "num")
                    + td("–" if is_missing(change) else fmt_signed(change, 0 if code in TARGET_COUNTS else 2, lang),
                         "num")
                    + td(fmt_rank(r.get("rank"), r.get("peers"), lang), "num") + "</tr>")
    return table(head, body, "scorecard")


def extras_html(ind: pd.DataFrame, lang: str = "vi") -> str:
    """Indicators shown without a target: on-time rate, average days, due soon, overdue with/without apology."""
    rows = ind.set_index("indicator")
    head = ("<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("indicator", "value", "change")) + "</tr>")
    body = []
    for code in EXTRA_INDICATORS:
        if code not in rows.index:
            continue
        r = rows.loc[code]
        frac = _frac(r["numerator"], r["denominator"], lang) if code in ("ON_TIME", "BO_SUNG") else ""
        val_html = esc(fmt_value(code, r["value"], lang)) + (f'<br><span class="frac">{esc(frac)}</span>'
                                                               if frac else "")
        body.append("<tr>" + td(indicator_name(code, lang)) + td(val_html, "num", raw=True)
                    + td(fmt_change(code, r.get("change"), lang) if code != "AVG_DAYS" else
                         (fmt_signed(r.get("change"), 2, lang) if not is_missing(r.get("change")) else "–"), "num")
                    + "</tr>")
    return table(head, body, caption=t("extra_title", lang))


def bieu06_head(lang: str, first: str = "stt") -> str:
    L = lambda k: esc(t(k, lang))  # noqa: E731
    r1 = (f'<tr><th rowspan="3">{L(first)}</th><th rowspan="3">{L("field")}</th>'
          f'<th colspan="4">{L("b_received")}</th><th colspan="4">{L("b_resolved")}</th>'
          f'<th colspan="3">{L("b_pending")}</th></tr>')
    r2 = (f'<tr><th rowspan="2">{L("b_total")}</th><th colspan="2">{L("b_of_which")}</th>'
          f'<th rowspan="2">{L("b_carried")}</th><th rowspan="2">{L("b_total")}</th>'
          f'<th rowspan="2">{L("b_early")}</th><th rowspan="2">{L("b_ontime")}</th><th rowspan="2">{L("b_late")}</th>'
          f'<th rowspan="2">{L("b_total")}</th><th rowspan="2">{L("b_within")}</th>'
          f'<th rowspan="2">{L("b_overdue")}</th></tr>')
    r3 = f'<tr><th>{L("b_online")}</th><th>{L("b_direct")}</th></tr>'
    r4 = "<tr>" + "".join(f'<th class="colno">({i})</th>' for i in range(1, 14)) + "</tr>"
    return r1 + r2 + r3 + r4


def _is_total(r) -> bool:
    return str(r.get("ma_linh_vuc", "")) == "TONG"


def field_label(r, lang: str) -> str:
    name = r.get("ten_linh_vuc")
    code = r.get("ma_linh_vuc")
    if is_missing(code) or str(code) in ("", "KHONG_XAC_DINH", "UNKNOWN", "__unknown__"):
        return t("unknown_field", lang) if is_missing(name) or not str(name) else str(name)
    return str(name) if not is_missing(name) and str(name) else str(code)


def _num_cells(r, lang) -> str:
    return "".join(td(fmt_int(r[c], lang), "num") for c in BIEU06_COLS)


def bieu06_html(rows: pd.DataFrame, lang: str = "vi") -> str:
    """Biểu số 06 of one unit: one row per field, then the total (the engine's ``TONG`` row)."""
    body = []
    fields = rows[rows["ma_linh_vuc"].astype(str) != "TONG"]
    total = rows[rows["ma_linh_vuc"].astype(str) == "TONG"]
    for i, (_, r) in enumerate(fields.iterrows(), 1):
        body.append("<tr>" + td(str(i), "num") + td(field_label(r, lang)) + _num_cells(r, lang) + "</tr>")
    for _, r in total.iterrows():
        body.append('<tr class="total">' + td("") + td(t("total", lang)) + _num_cells(r, lang) + "</tr>")
    return table(bieu06_head(lang), body, "wide bieu06")


def bieu06_by_level_html(own: pd.DataFrame, total: pd.Series | None, lang: str = "vi") -> str:
    """Biểu 06 aggregated by level (roman-numbered group rows with subtotals) and field."""
    body = []
    roman = ["I", "II", "III", "IV", "V", "VI"]
    for gi, (level, g) in enumerate(own.groupby("level", sort=False)):
        sub = g[BIEU06_COLS].sum()
        body.append('<tr class="group">' + td(roman[gi] if gi < len(roman) else str(gi + 1))
                    + td(level_name(level, lang)) + "".join(td(fmt_int(sub[c], lang), "num") for c in BIEU06_COLS)
                    + "</tr>")
        for i, (_, r) in enumerate(g.iterrows(), 1):
            body.append("<tr>" + td(str(i), "num") + td(field_label(r, lang)) + _num_cells(r, lang) + "</tr>")
    if total is not None:
        body.append('<tr class="total">' + td("") + td(t("total", lang)) + _num_cells(total, lang) + "</tr>")
    return table(bieu06_head(lang), body, "wide bieu06")


def index766_html(items: pd.DataFrame, summary: dict, lang: str = "vi") -> str:
    """766 groups: score, computable points, maximum, computable share; items that cannot be computed are marked."""
    from .plots import groups766

    g = groups766(items)
    head = ("<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("group", "score", "computable", "max_points"))
            + "</tr>")
    body = []
    for _, r in g.iterrows():
        body.append("<tr>" + td(group_label(r["group_name"], lang)) + td(fmt_num(r["score"], 2, lang), "num")
                    + td(fmt_num(r["computable"], 0, lang), "num") + td(fmt_num(r["points_max"], 0, lang), "num")
                    + "</tr>")
    tot_s, tot_c, tot_m = g["score"].sum(), g["computable"].sum(), g["points_max"].sum()
    body.append('<tr class="total">' + td(t("total", lang)) + td(fmt_num(tot_s, 2, lang), "num")
                + td(fmt_num(tot_c, 0, lang), "num") + td(fmt_num(tot_m, 0, lang), "num") + "</tr>")
    out = table(head, body)
    score = summary.get("score", tot_s)
    cmax = summary.get("computable_max", tot_c)
    out += f'<p class="score766"><strong>{esc(t("score_over", lang, score=fmt_num(score, 1, lang), max=fmt_num(cmax, 0, lang)))}</strong>'
    band = summary.get("band")
    if band and not is_missing(band):
        out += f' — {esc(t("band", lang))}: <strong>{esc(band_label(band, lang))}</strong>'
        if summary.get("band_assumed"):
            out += f' <em>{esc(t("band_assumed", lang))}</em>'
    out += "</p>"
    share = 100.0 * tot_c / tot_m if tot_m else np.nan
    out += note(t("computable_share", lang, share=fmt_pct(share, 2, lang)))
    out += note(summary.get("as_observed_note") or t("as_observed", lang))
    version = summary.get("rules_version")
    if version is None and "rules_version" in items.columns and len(items):
        version = items["rules_version"].iloc[0]
    if version and not is_missing(version):
        out += note(t("rules_version", lang, v=version))
    if "name" in items.columns and items["name"].notna().any():  # the portal's metric codes ("2026 portal")
        out += metrics766_html(items, lang)
    # items not computable, listed once
    nc = items[~items["computable"].fillna(False).astype(bool)]
    if len(nc):
        # the engine's notes are Vietnamese: English reports say "insufficient data"
        rows = ["<tr>" + td(r["item"]) + td(group_label(r["group_name"], lang))
                + td(fmt_num(r["points_max"], 0, lang), "num")
                + td(r["note"] if lang == "vi" and not is_missing(r.get("note")) and str(r.get("note"))
                     else t("not_computable", lang))
                + "</tr>" for _, r in nc.iterrows()]
        h = ("<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("item", "group", "max_points", "note"))
             + "</tr>")
        out += table(h, rows, caption=t("not_computable", lang))
    return out


def metrics766_html(items: pd.DataFrame, lang: str = "vi") -> str:
    """One row per portal metric: code, name, group, numerator / denominator, score, maximum; "không đủ dữ liệu"
    where the dossiers cannot give it."""
    head = ("<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("metric_code", "metric_name", "group",
                                                                     "numerator", "denominator", "score",
                                                                     "max_points")) + "</tr>")
    rows = []
    for _, r in items.iterrows():
        comp = bool(r["computable"]) if not is_missing(r["computable"]) else False
        sc = fmt_num(r["score"], 2, lang) if comp and not is_missing(r["score"]) else t("not_computable", lang)
        rows.append("<tr>" + td(r["item"]) + td(r["name"] if not is_missing(r["name"]) else r["item"])
                    + td(group_label(r["group_name"], lang))
                    + td(fmt_int(r["numerator"], lang) if not is_missing(r["numerator"]) else "–", "num")
                    + td(fmt_int(r["denominator"], lang) if not is_missing(r["denominator"]) else "–", "num")
                    + td(sc, "num") + td(fmt_num(r["points_max"], 0, lang), "num") + "</tr>")
    return table(head, rows, caption=t("metrics_766", lang))


def portal_html(rec: dict, lang: str = "vi", unit_names: dict | None = None) -> str:
    """The reconciliation section: per unit × metric the portal's and the own figures and scores, the difference
    in dossiers, and the dossiers that explain it (codes only)."""
    from ..portal.reconcile import with_differences

    df = with_differences(rec["rows"])
    names = unit_names or {}
    multi = df["unit"].nunique() > 1
    cols = (["unit"] if multi else []) + ["metric_code", "metric_name", "portal_nd", "portal_score", "rule_score",
                                          "own_nd", "own_score", "diff_dossiers"]
    head = "<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in cols) + "</tr>"

    def nd(n, d):
        if is_missing(n) and is_missing(d):
            return "–"
        return f"{fmt_int(n, lang) if not is_missing(n) else '–'} / {fmt_int(d, lang) if not is_missing(d) else '–'}"

    def sc(x):
        return fmt_num(x, 2, lang) if not is_missing(x) else "–"

    def sgn(x):
        return "–" if is_missing(x) else (("+" if x > 0 else "") + fmt_int(x, lang))

    rows, expl = [], []
    for r in df.itertuples(index=False):
        cells = ([td(f"{names.get(r.unit, r.unit)} ({r.unit})")] if multi else []) + [
            td(r.metric), td(r.metric_name if not is_missing(r.metric_name) else r.metric),
            td(nd(r.portal_numerator, r.portal_denominator), "num"), td(sc(r.portal_score), "num"),
            td(sc(r.rule_score), "num"), td(nd(r.own_numerator, r.own_denominator), "num"), td(sc(r.own_score), "num"),
            td(f"{sgn(r.diff_numerator)} / {sgn(r.diff_denominator)}", "num")]
        rows.append("<tr>" + "".join(cells) + "</tr>")
        for x in rec["reasons"].get((r.unit, r.metric), []):
            codes = ", ".join(x["codes"])
            if x["n"] > len(x["codes"]):
                codes += " " + t("and_more", lang, n=fmt_int(x["n"] - len(x["codes"]), lang))
            expl.append("<tr>" + td(r.unit) + td(r.metric) + td(x["reason_en"] if lang == "en" else x["reason_vi"])
                        + td(fmt_int(x["n"], lang), "num") + td(codes) + "</tr>")
    out = note(t("rules_version", lang, v=rec["version"])) + table(head, rows, "wide")
    if expl:
        h = ("<tr>" + "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("unit", "metric_code", "note")) +
             f"<th>{esc(t('total', lang))}</th><th>{esc(t('ma_ho_so', lang))}</th></tr>")
        out += table(h, expl, caption=t("explain", lang))
    out += note(t("portal_note", lang))
    return out


def dossiers_html(df: pd.DataFrame, kind: str, lang: str = "vi", limit: int = 30) -> str:
    """Overdue / due-soon dossiers: code, procedure, due date, working days late, apology letter. No personal data."""
    if df is None or len(df) == 0:
        return note(t("none_overdue" if kind == "overdue" else "none_due_soon", lang))
    cols = ["ma_ho_so", "ma_tthc", "ten_tthc", "ngay_hen_tra"]
    if kind == "overdue":
        cols += ["so_ngay_tre", "co_phieu_xin_loi"]
    head = "<tr>" + "".join(f"<th>{esc(t(c, lang))}</th>" for c in cols) + "</tr>"
    body = []
    for _, r in df.head(limit).iterrows():
        cells = [td(r["ma_ho_so"]), td(r["ma_tthc"]), td(r.get("ten_tthc")), td(fmt_date(r["ngay_hen_tra"], lang), "num")]
        if kind == "overdue":
            cells.append(td(fmt_int(r.get("so_ngay_tre"), lang), "num"))
            ap = r.get("co_phieu_xin_loi")
            cells.append(td(t("yes", lang) if (not is_missing(ap) and bool(ap)) else t("no", lang)))
        body.append("<tr>" + "".join(cells) + "</tr>")
    out = table(head, body, "dossiers", caption=t(kind, lang) + f" ({fmt_int(len(df), lang)})")
    if len(df) > limit:
        out += note(t("more_rows", lang, n=fmt_int(len(df) - limit, lang)))
    return out


DQ_LABELS = {
    "vi": {
        "counted": "Số hồ sơ được tính trong kỳ (gồm kỳ trước chuyển sang)",
        "recomputed_deadlines": "Hồ sơ thiếu ngày hẹn trả, đã tính lại theo thời hạn giải quyết",
        "no_due_date": "Hồ sơ không có ngày hẹn trả và không có thời hạn giải quyết",
        "inconsistent_dates": "Hồ sơ có ngày kết thúc trước ngày tiếp nhận",
        "quarantined_unit_rows": "Dòng dữ liệu của đơn vị bị cách ly khi nạp",
        "quarantined_total": "Tổng số dòng bị cách ly khi nạp (mọi đơn vị)",
        "quarantine_files": "Tệp cách ly",
    },
    "en": {
        "counted": "Dossiers counted in the period (incl. carried over)",
        "recomputed_deadlines": "Dossiers without a due date, recomputed from the time limit",
        "no_due_date": "Dossiers with neither a due date nor a time limit",
        "inconsistent_dates": "Dossiers ending before they were received",
        "quarantined_unit_rows": "Rows of this unit quarantined at ingest",
        "quarantined_total": "Rows quarantined at ingest (all units)",
        "quarantine_files": "Quarantine files",
    },
}


def quality_html(dq: dict, lang: str = "vi") -> str:
    """Data-quality notes: one row per check (count, or text)."""
    if not dq:
        return note(t("dq_none", lang))
    head = f"<tr><th>{esc(t('dq_item', lang))}</th><th>{esc(t('dq_count', lang))}</th></tr>"
    body = []
    for k, v in dq.items():
        label = DQ_LABELS[lang].get(k, str(k))
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            body.append("<tr>" + td(label) + td(fmt_num(v, 0 if float(v) == int(v) else 2, lang), "num") + "</tr>")
        elif isinstance(v, dict):
            body.append("<tr>" + td(label) + td("; ".join(f"{a}: {b}" for a, b in v.items())) + "</tr>")
        elif isinstance(v, (list, tuple)):
            # file names only: paths of the machine that ran the report are not report content
            names = [os.path.basename(str(x)) for x in v]
            body.append("<tr>" + td(label) + td("; ".join(names) if names else "–") + "</tr>")
        else:
            body.append("<tr>" + td(label) + td(str(v)) + "</tr>")
    return table(head, body)


def league_html(league: pd.DataFrame, lang: str = "vi") -> str:
    """Units × D1–D7; each cell shows the value and is coloured by status (dat / chua-dat / nodata)."""
    from .i18n import short_name

    head = (f"<tr><th>{esc(t('code', lang))}</th><th>{esc(t('unit', lang))}</th>"
            + "".join(f"<th>{esc(short_name(c, lang))}</th>" for c in TARGET_INDICATORS) + "</tr>")
    body = []
    for unit, g in league.groupby("unit", sort=False):
        rows = g.set_index("indicator")
        cells = [td(unit), td(g["unit_name"].iloc[0])]
        for code in TARGET_INDICATORS:
            if code not in rows.index:
                cells.append(f'<td class="nodata" style="text-align:center;{LEAGUE_BG["nodata"]}">–</td>')
                continue
            r = rows.loc[code]
            k = status_key(r["status"]).replace("_", "-")
            v = "–" if is_missing(r["value"]) else (fmt_int(r["value"], lang) if code in TARGET_COUNTS
                                                    else fmt_pct(r["value"], 2, lang))
            cells.append(f'<td class="num {k}" style="text-align:right;{LEAGUE_BG.get(k, "")}">{esc(v)}</td>')
        cls = ' class="total"' if g.get("is_parent", pd.Series([False])).iloc[0] else ""
        body.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    return table(head, body, "wide league")


def simple_table(df: pd.DataFrame, headers: list[str], num_cols: set[int] = frozenset(), cls: str = "") -> str:
    """A table from already formatted strings (escaped here)."""
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"
    body = []
    for row in df.itertuples(index=False):
        body.append("<tr>" + "".join(td(v, "num" if i in num_cols else None) for i, v in enumerate(row)) + "</tr>")
    return table(head, body, cls)
