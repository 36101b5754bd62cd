"""Report charts as plain functions returning matplotlib Figures (tests inspect bar heights, line data, titles).

Deterministic output: Agg backend, fixed dpi, a proportional sans-serif face with full Vietnamese coverage set
explicitly (DejaVu Sans, then Liberation Sans — never a monospace, which lacks ế ả ở), ``svg.hashsalt`` fixed and no
software/date metadata in the PNG. Figures are created with ``matplotlib.figure.Figure`` (not pyplot), so a kernel's
inline backend never displays them twice.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib as mpl  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .fmt import fmt_num, fmt_pct, is_missing  # noqa: E402
from .i18n import LANGS, group_label, indicator_name, short_name, status_key, t  # noqa: E402

DPI = 110
FONTS = ["DejaVu Sans", "Liberation Sans"]
COLORS = {"dat": "#2e7d32", "chua_dat": "#c62828", "nodata": "#9e9e9e", "target": "#1a237e", "line": "#1565c0"}
RATE_INDICATORS = ("D1", "D2", "D3", "D4", "D6", "D7")
TARGET_INDICATORS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7")

STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": 9,
    "axes.titlesize": 10,
    # A title at its default place (pad above the axes). Left automatic (None), matplotlib measures every y tick
    # label of the axes at each draw, only to lift the title over x tick labels placed on top, which no chart has:
    # same pixels, ≈ 0.03 CPU-s less per report (tested against the automatic position).
    "axes.titley": 1.0,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "svg.hashsalt": "tthc",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
}


def apply_style() -> None:
    mpl.rcParams.update(STYLE)


apply_style()


def to_png(fig: Figure) -> bytes:
    """PNG bytes with no timestamp or software tag, so the same figure always gives the same bytes.

    RGB, not matplotlib's RGBA: the charts are opaque (white face), and an alpha channel makes WeasyPrint split
    every image into colour and mask and re-encode both for the PDF (same pixels, ≈ 0.04 CPU-s less per report)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    with mpl.rc_context(STYLE):
        fig.set_dpi(DPI)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA",
                                0, 1)
        buf = io.BytesIO()
        rgba.convert("RGB").save(buf, format="png", dpi=(DPI, DPI))
    return buf.getvalue()


def to_svg(fig: Figure) -> str:
    """The chart as SVG, the form reports display (HTML, JupyterLab and the Typst PDF all draw it as vectors).

    Text stays text (``svg.fonttype: none``: the font stack of the style, DejaVu Sans → Liberation Sans, both with
    Vietnamese coverage), so the PDF's chart labels are extractable; no date in the metadata and a fixed hash salt,
    so the same figure always gives the same bytes. Cheaper than :func:`to_png` (no rasterising, no PNG encoding):
    ≈ 0.06 CPU-s less for the trend chart."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    with mpl.rc_context({**STYLE, "svg.fonttype": "none"}):
        buf = io.StringIO()
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _tight_layout(fig: Figure) -> None:
    """``fig.tight_layout()`` without leaving a layout engine on the figure: with one attached, savefig runs an
    extra full draw before the real one; the subplot positions are the same either way."""
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine().execute(fig)


#: Tight-layout subplot parameters of the scorecard and 766 charts, by everything outside the axes that decides
#: them: figure size, title, axis labels, tick labels, x range, legend, language. Those are the same for every unit
#: of a period, so a batch kernel (a fork of a zygote that drew both charts once, see ``warm_layouts``) skips the
#: tight-layout pass, ≈ 0.09 CPU-s per report. Bars and value labels stay inside the axes and do not move it.
_LAYOUTS: dict[tuple, dict] = {}


def _layout_key(fig: Figure, lang: str) -> tuple:
    ax = fig.axes[0]
    leg = ax.get_legend()
    return (lang, tuple(float(v) for v in fig.get_size_inches()), float(fig.dpi), ax.get_title(), ax.get_xlabel(),
            ax.get_ylabel(), tuple(x.get_text() for x in ax.get_yticklabels()),
            tuple(float(v) for v in ax.get_yticks()), tuple(float(v) for v in ax.get_xlim()),
            tuple(x.get_text() for x in leg.get_texts()) if leg else ())


def _cached_tight_layout(fig: Figure, lang: str) -> None:
    """:func:`_tight_layout` for a one-axes chart, remembered by :func:`_layout_key`."""
    key = _layout_key(fig, lang)
    pars = _LAYOUTS.get(key)
    if pars is None:
        _tight_layout(fig)
        sp = fig.subplotpars
        pars = dict(left=sp.left, right=sp.right, bottom=sp.bottom, top=sp.top)
        if len(_LAYOUTS) >= 64:
            _LAYOUTS.clear()
        _LAYOUTS[key] = pars
    else:
        fig.subplots_adjust(**pars)


def warm_layouts(own: pd.DataFrame, items766: pd.DataFrame, period_label_by_lang: dict[str, str]) -> None:
    """Draw the scorecard and 766 charts once per language so that :data:`_LAYOUTS` holds their layouts (the
    batch's kernel zygote calls this before forking kernels)."""
    for lang, plabel in period_label_by_lang.items():
        fig_scorecard(own, lang, plabel)
        fig_766(items766, lang)


def _pct_axis(ax, lang):
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: fmt_num(v, 0, lang) + "%"))


def _num(v) -> float | None:
    return None if is_missing(v) else float(v)


def scorecard_data(ind: pd.DataFrame, lang: str = "vi", period_label: str = "") -> dict:
    """The numbers of :func:`fig_scorecard` (the figure is drawn from exactly these): rate indicators D1–D4, D6,
    D7 in order, value and target in %, status key; ``None`` where there is no data."""
    rows = ind.set_index("indicator").reindex(list(RATE_INDICATORS))
    return {"chart": "scorecard", "title": t("scorecard_chart_title", lang, period_label=period_label),
            "unit_of_value": "%", "codes": list(RATE_INDICATORS),
            "categories": [short_name(c, lang) for c in RATE_INDICATORS],
            "series": [{"name": t("value", lang), "values": [_num(v) for v in rows["value"]]},
                       {"name": t("target_line", lang), "values": [_num(v) for v in rows["target"]]}],
            "status": [status_key(s) for s in rows["status"]]}


def trends_data(trend: pd.DataFrame, lang: str = "vi") -> dict:
    """The numbers of :func:`fig_trends`: months, and per indicator D1–D7 the monthly values (``None`` = gap) and
    the target line (the latest target of the window, as drawn)."""
    months = sorted(trend["month"].astype(str).unique())
    panels = []
    for code in TARGET_INDICATORS:
        d = trend[trend["indicator"] == code].assign(month=lambda f: f["month"].astype(str))
        d = d.set_index("month").reindex(months)
        tgt = [v for v in d["target"] if not is_missing(v)]
        pre = d["tien_than"].fillna(False).astype(bool).tolist() if "tien_than" in d.columns else [False] * len(d)
        panels.append({"code": code, "values": [_num(v) for v in d["value"]],
                       "target": float(tgt[-1]) if tgt else None, "tien_than": pre})
    return {"chart": "trends", "title": t("sec_trends", lang), "months": months, "panels": panels}


def index766_data(items: pd.DataFrame, lang: str = "vi") -> dict:
    """The numbers of :func:`fig_766`: per group maximum, computable points and score."""
    g = groups766(items)
    return {"chart": "index766", "title": t("bars766_title", lang),
            "categories": [group_label(n, lang) for n in g["group_name"]],
            "series": [{"name": t(k, lang), "values": [float(v) for v in g[col]]}
                       for k, col in (("max_points", "points_max"), ("computable", "computable"),
                                      ("score", "score"))]}


#: Unit-independent chart frames of the scorecard and 766 charts (figure, axes, bars at zero, tick labels, scale,
#: titles; the legend too where it does not depend on the data), keyed by everything they show, made by
#: :func:`prepare_frames` in the batch's kernel zygote: a kernel forked from it takes one (each kernel is its own
#: copy; used once) and only sets its unit's bar lengths, colours and value labels, ≈ 0.03 CPU-s less per report.
#: The same artists end in the same state, so the chart is the same (tested against a fresh one).
_FRAMES: dict[tuple, dict] = {}


def _key_scorecard(labels: list[str], lang: str, period_label: str) -> tuple:
    return ("scorecard", lang, period_label, tuple(labels))


def _scorecard_frame(labels: list[str], lang: str, period_label: str) -> dict:
    fig = Figure(figsize=(7.0, 3.4))
    ax = fig.add_subplot()
    y = np.arange(len(labels))[::-1]
    bars = ax.barh(y, np.zeros(len(labels)), color=COLORS["nodata"], height=0.6, label=t("value", lang))
    sc = ax.scatter(np.full(len(labels), np.nan), y, marker="|", s=400, linewidths=2.5, color=COLORS["target"],
                    zorder=3, label=t("target_line", lang))
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 115)
    _pct_axis(ax, lang)
    ax.set_xlabel(t("rate_axis", lang))
    ax.set_title(t("scorecard_chart_title", lang, period_label=period_label))
    return dict(fig=fig, ax=ax, y=y, bars=bars, scatter=sc)


def fig_scorecard(ind: pd.DataFrame, lang: str = "vi", period_label: str = "") -> Figure:
    """Horizontal bars of the rate indicators (D1–D4, D6, D7) coloured by status, with the target as a marker.

    ``ind`` has one row per indicator with columns indicator, value (%), target (%), status. D5 is a count and is
    shown in the table, not here. Bars are drawn top-down in indicator order; bars with no data have height 0.
    """
    with mpl.rc_context(STYLE):
        rows = ind.set_index("indicator").reindex(list(RATE_INDICATORS))
        data = scorecard_data(ind, lang, period_label)
        labels = data["categories"]
        values = np.array([0.0 if v is None else v for v in data["series"][0]["values"]])
        targets = np.array([np.nan if v is None else v for v in data["series"][1]["values"]])
        colors = [COLORS[k] for k in data["status"]]
        f = _FRAMES.pop(_key_scorecard(labels, lang, period_label), None) or _scorecard_frame(labels, lang,
                                                                                             period_label)
        fig, ax, y, bars = f["fig"], f["ax"], f["y"], f["bars"]
        for b, v, c in zip(bars, values, colors):
            b.set_width(v)
            b.set_facecolor(c)
        # as ``scatter`` stores them: points without a target masked, not dropped
        gap = np.isnan(targets)
        f["scatter"].set_offsets(np.ma.column_stack([np.ma.array(targets, mask=gap), np.ma.array(y, mask=gap)]))
        for b, v, s in zip(bars, rows["value"], rows["status"]):
            txt = t("nodata", lang) if is_missing(v) else fmt_pct(v, 1, lang)
            ax.text(b.get_width() + 1.5, b.get_y() + b.get_height() / 2, txt, va="center", fontsize=8)
        # the legend's swatches copy the bars' colours when made: made here, after the colours are set
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7, frameon=False)
        _cached_tight_layout(fig, lang)
    return fig


#: Fixed subplot layout of :func:`fig_trends` (fractions of the 7.6 × 8.2 in figure). The panels' labels are the
#: same for every unit (month ticks, 0/50/100 %, short titles), so a fixed layout fits them all; the tight-layout
#: engine would measure every tick label again for each report (≈ 0.15 CPU-s). Only the count panel's tick labels
#: grow with the data: the left margin widens by one digit's width per digit beyond two.
TRENDS_LAYOUT = dict(left=0.08, right=0.98, bottom=0.07, top=0.925, wspace=0.2, hspace=0.42)
_DIGIT_WIDTH = 0.0095


#: Trend-chart frames (axes, titles, month ticks, rate scales, suptitle, already drawn once so that their ticks
#: exist) by (months, language), made by :func:`prepare_trend_frames` in the batch's kernel zygote: a kernel forked
#: from it takes one (each kernel is its own copy) and only adds its unit's lines, ≈ 0.1 CPU-s less per report.
_TREND_FRAMES: dict[tuple, Figure] = {}


def _trend_frame(months: list[str], lang: str) -> Figure:
    """The unit-independent part of :func:`fig_trends`: seven panels sharing the month axis, titles, tick layout,
    fixed 0/50/100 % scales of the rate panels, count-axis label and the figure title."""
    fig = Figure(figsize=(7.6, 8.2))
    gs = fig.add_gridspec(4, 2)
    axes = []
    for i in range(len(TARGET_INDICATORS)):
        axes.append(fig.add_subplot(gs[i // 2, i % 2], sharex=axes[0] if axes else None))
    axes[0].set_xticks(np.arange(len(months)), [f"{m[5:7]}/{m[2:4]}" for m in months])
    last_row = {len(TARGET_INDICATORS) - 1, len(TARGET_INDICATORS) - 2}  # bottom panel of each column
    for i, (ax, code) in enumerate(zip(axes, TARGET_INDICATORS)):
        ax.set_title(short_name(code, lang) if code != "D5" else indicator_name("D5", lang))
        ax.tick_params(axis="x", labelrotation=90, labelsize=7, labelbottom=i in last_row)
        if code == "D5":
            ax.set_ylabel(t("count_axis", lang))
        else:
            ax.set_ylim(0, 105)
            ax.set_yticks([0, 50, 100])
            ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: fmt_num(v, 0, lang) + "%"))
    fig.suptitle(t("sec_trends", lang))
    return fig


def prepare_trend_frames(months: list[str], langs=LANGS) -> None:
    """Build and draw (without rendering) the trend frame of ``months`` for each language, for the next
    :func:`fig_trends` calls of this process (the batch's kernel zygote calls this before forking kernels)."""
    with mpl.rc_context(STYLE):
        for lang in langs:
            fig = _trend_frame(list(months), lang)
            fig.draw_without_rendering()
            _TREND_FRAMES[(tuple(months), lang)] = fig


def fig_trends(trend: pd.DataFrame, lang: str = "vi") -> Figure:
    """Small multiples: one panel per indicator D1–D7, monthly values (line) against the target (dashed line).

    ``trend`` has columns month (e.g. "2025-03" or a Period), indicator, value, target. Missing months (no
    denominator) are gaps in the line. Each panel's first line is the data, the second the target line. The panels
    share the month axis: its labels are drawn under the bottom panel of each column; the legend fills the eighth
    cell.
    """
    with mpl.rc_context(STYLE):
        data = trends_data(trend, lang)
        months = data["months"]
        panel = {p["code"]: p for p in data["panels"]}
        fig = _TREND_FRAMES.pop((tuple(months), lang), None) or _trend_frame(months, lang)
        axes = fig.axes
        x = np.arange(len(months))
        widest = 0
        for ax, code in zip(axes, TARGET_INDICATORS):
            vals = np.array([np.nan if v is None else v for v in panel[code]["values"]])
            ax.plot(x, vals, marker="o", markersize=3, color=COLORS["line"], label=t("value", lang))
            pre = np.array(panel[code].get("tien_than") or [False] * len(x), dtype=bool)
            if pre.any():
                # months before the unit began: its predecessors' aggregate (spec §2), hollow grey markers
                ax.plot(x[pre], vals[pre], linestyle="none", marker="o", markersize=4, markerfacecolor="white",
                        color="#7f7f7f", label=t("predecessors", lang))
            if panel[code]["target"] is not None:
                ax.plot(x, np.full(len(x), panel[code]["target"]), linestyle="--", color=COLORS["chua_dat"],
                        linewidth=1.2, label=t("target_line", lang))
            if code == "D5":
                top = np.nanmax(vals) if np.isfinite(vals).any() else 1
                ax.set_ylim(0, max(1.0, top * 1.15))
                ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=3, integer=True))
                widest = max(widest, len(str(int(max(1.0, top * 1.15)))))
        h, lab = axes[0].get_legend_handles_labels()
        fig.legend(h, lab, loc="center", bbox_to_anchor=(0.76, 0.16), frameon=False)
        layout = dict(TRENDS_LAYOUT)
        layout["left"] += _DIGIT_WIDTH * max(0, widest - 2)
        fig.subplots_adjust(**layout)
    return fig


def attainment(indicator: str, value, target) -> float:
    """Attainment in % used for heatmap colours: value ÷ target capped at 100; D5 is 100 when nothing is overdue,
    otherwise 0. Missing value → NaN."""
    if is_missing(value):
        return np.nan
    if indicator == "D5":
        return 100.0 if float(value) <= (0 if is_missing(target) else float(target)) else 0.0
    if is_missing(target) or float(target) <= 0:
        return 100.0
    return float(min(100.0, 100.0 * float(value) / float(target)))


def heatmap_matrix(league: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From long rows (unit, unit_name, indicator, value, target) to (attainment matrix, value matrix), units ×
    D1–D7, units in first-appearance order."""
    order = list(dict.fromkeys(league["unit"]))
    d = league[league["indicator"].isin(TARGET_INDICATORS)].copy()
    d["att"] = [attainment(i, v, tg) for i, v, tg in zip(d["indicator"], d["value"], d["target"])]
    att = d.pivot(index="unit", columns="indicator", values="att").reindex(index=order,
                                                                          columns=list(TARGET_INDICATORS))
    val = d.pivot(index="unit", columns="indicator", values="value").reindex(index=order,
                                                                            columns=list(TARGET_INDICATORS))
    return att.astype(float), val.astype(float)


def fig_heatmap(league: pd.DataFrame, lang: str = "vi", period_label: str = "") -> Figure:
    """Units × D1–D7 coloured by attainment (red → green); cells annotated with the value (1 decimal, D5 a count)."""
    import seaborn as sns

    with mpl.rc_context(STYLE):
        att, val = heatmap_matrix(league)
        names = league.drop_duplicates("unit").set_index("unit")["unit_name"].reindex(att.index)
        annot = np.empty(val.shape, dtype=object)
        for i in range(val.shape[0]):
            for j, code in enumerate(val.columns):
                v = val.iat[i, j]
                annot[i, j] = "–" if is_missing(v) else (fmt_num(v, 0, lang) if code == "D5" else fmt_num(v, 1, lang))
        h = max(3.0, 0.28 * len(att) + 1.6)
        fig = Figure(figsize=(7.4, h))
        ax = fig.add_subplot()
        sns.heatmap(att, ax=ax, vmin=0, vmax=100, cmap="RdYlGn", annot=annot, fmt="", annot_kws={"fontsize": 7},
                    linewidths=0.5, linecolor="white", cbar_kws={"label": t("heatmap_cbar", lang)})
        ax.set_xticks(np.arange(len(att.columns)) + 0.5, [short_name(c, lang) for c in att.columns], rotation=30,
                      ha="right", fontsize=7)
        # "$" would start matplotlib mathtext: a unit name like "$\\x$" would render as math or crash the report
        ax.set_yticks(np.arange(len(att)) + 0.5, [f"{c} {n}".replace("$", r"\$") for c, n in zip(att.index, names)],
                      rotation=0, fontsize=7)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title(t("heatmap_title", lang, period_label=period_label))
        _tight_layout(fig)
    return fig


def groups766(items: pd.DataFrame) -> pd.DataFrame:
    """766 items → one row per group: points_max, computable points, score (NaN scores count 0)."""
    d = items.copy()
    d["computable"] = d["computable"].fillna(False).astype(bool)
    d["score"] = pd.to_numeric(d["score"], errors="coerce")
    # an item can be partly computable (payment: only A's 6 of 10 points without the catalogue)
    pc = d["points_computable"] if "points_computable" in d else d["points_max"]
    d["comp_pts"] = np.where(d["computable"], pd.to_numeric(pc, errors="coerce").fillna(0.0), 0.0)
    d["score0"] = np.where(d["computable"], d["score"].fillna(0.0), 0.0)
    g = (d.groupby(["group", "group_name"], sort=False)
         .agg(points_max=("points_max", "sum"), computable=("comp_pts", "sum"), score=("score0", "sum"))
         .reset_index())
    return g


def _frame_766(g: pd.DataFrame, lang: str) -> dict:
    fig = Figure(figsize=(7.0, 0.45 * len(g) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(g))[::-1]
    zero = np.zeros(len(g))
    ax.barh(y, g["points_max"], color="#e0e0e0", height=0.7, label=t("max_points", lang))
    comp = ax.barh(y, zero, color="#90caf9", height=0.7, label=t("computable", lang))
    score = ax.barh(y, zero, color="#1565c0", height=0.4, label=t("score", lang))
    ax.set_yticks(y, [group_label(n, lang) for n in g["group_name"]])
    ax.set_xlim(0, float(g["points_max"].max()) * 1.35 if len(g) else 1)
    ax.set_xlabel(t("points", lang))
    ax.set_title(t("bars766_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=7, frameon=False)
    return dict(fig=fig, ax=ax, y=y, computable=comp, score=score)


def _key_766(g: pd.DataFrame, lang: str) -> tuple:
    return ("766", lang, tuple(g["group_name"]), tuple(float(v) for v in g["points_max"]))


def fig_766(items: pd.DataFrame, lang: str = "vi") -> Figure:
    """Per 766 group: maximum (light), computable points (medium) and score (dark) as overlaid horizontal bars."""
    with mpl.rc_context(STYLE):
        g = groups766(items)
        f = _FRAMES.pop(_key_766(g, lang), None) or _frame_766(g, lang)
        fig, ax, y = f["fig"], f["ax"], f["y"]
        for series, col in ((f["computable"], "computable"), (f["score"], "score")):
            for b, v in zip(series, g[col]):
                b.set_width(v)
        for yy, s, c, m in zip(y, g["score"], g["computable"], g["points_max"]):
            ax.text(m + 0.4, yy, f"{fmt_num(s, 1, lang)} / {fmt_num(c, 0, lang)} / {fmt_num(m, 0, lang)}",
                    va="center", fontsize=7)
        _cached_tight_layout(fig, lang)
    return fig


def prepare_frames(items766: pd.DataFrame, period_label_by_lang: dict[str, str]) -> None:
    """Build the scorecard and 766 frames (see :data:`_FRAMES`) for each language, for the next
    :func:`fig_scorecard` / :func:`fig_766` call of this process (the batch's kernel zygote calls this, after
    :func:`warm_layouts`, before forking kernels)."""
    with mpl.rc_context(STYLE):
        g = groups766(items766)
        for lang, plabel in period_label_by_lang.items():
            labels = [short_name(c, lang) for c in RATE_INDICATORS]
            _FRAMES[_key_scorecard(labels, lang, plabel)] = _scorecard_frame(labels, lang, plabel)
            _FRAMES[_key_766(g, lang)] = _frame_766(g, lang)
