"""Charts are package functions returning Figures: check the data they draw, titles with diacritics, fonts and
deterministic PNG bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.patches import Rectangle

from tthc.report import plots as P


def bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_scorecard_chart_data(scorecard_frame):
    fig = P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025")
    ax = fig.axes[0]
    # rate indicators top-down: D1, D2, D3, D4, D6, D7 (D5 is a count, shown in the table)
    widths = [round(b.get_width(), 2) for b in sorted(bars(ax), key=lambda b: -b.get_y())]
    assert widths == [32.97, 60.0, 100.0, 0.0, 81.0, 50.0]
    colors = {round(b.get_width(), 2): b.get_facecolor()[:3] for b in bars(ax)}
    assert np.allclose(colors[32.97], (198 / 255, 40 / 255, 40 / 255))  # Chưa đạt: red
    assert np.allclose(colors[60.0], (46 / 255, 125 / 255, 50 / 255))   # Đạt: green
    targets = [c for c in ax.collections if isinstance(c, PathCollection)][0].get_offsets()
    assert sorted(np.asarray(targets)[:, 0].tolist(), reverse=True) == [100.0, 100.0, 100.0, 60.0, 60.0, 50.0]
    assert ax.get_title() == "Kết quả so với chỉ tiêu, Quý I năm 2025"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "D1 Trực tuyến" and "D6 Đánh giá hài lòng" in labels
    texts = [t.get_text() for t in ax.texts]
    assert "33,0%" in texts and "Không có dữ liệu" in texts  # 1 decimal in charts


def test_scorecard_chart_english(scorecard_frame):
    fig = P.fig_scorecard(scorecard_frame, "en", "Q1 2025")
    ax = fig.axes[0]
    assert ax.get_title() == "Results against targets, Q1 2025"
    assert "33.0%" in [t.get_text() for t in ax.texts]


def trend_frame():
    months = [f"2024-{m:02d}" for m in range(4, 13)] + ["2025-01", "2025-02", "2025-03"]
    rows = []
    for i, m in enumerate(months):
        for code, target in (("D1", 60.0), ("D2", 60.0), ("D3", 100.0), ("D4", 100.0), ("D5", 0.0), ("D6", 100.0),
                             ("D7", 50.0), ("ON_TIME", np.nan)):
            v = np.nan if (code == "D2" and i == 5) else float(i * 5 if code != "D5" else 12 - i)
            rows.append(dict(month=m, indicator=code, value=v, target=target))
    return pd.DataFrame(rows), months


def test_trend_chart_lines_and_targets():
    df, months = trend_frame()
    fig = P.fig_trends(df, "vi")
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert set(panels) == {"D1 Trực tuyến", "D2 Thanh toán TT", "D3 Số hóa hồ sơ", "D4 Kết quả điện tử",
                           "Số hồ sơ quá hạn", "D6 Đánh giá hài lòng", "D7 Tái sử dụng"}
    d1 = panels["D1 Trực tuyến"].get_lines()
    assert d1[0].get_ydata().tolist() == [i * 5.0 for i in range(12)]
    assert d1[1].get_ydata().tolist() == [60.0] * 12 and d1[1].get_linestyle() == "--"
    d2 = panels["D2 Thanh toán TT"].get_lines()[0].get_ydata()
    assert np.isnan(d2[5]) and d2[6] == 30.0          # a month without data is a gap
    d5 = panels["Số hồ sơ quá hạn"]
    assert d5.get_lines()[0].get_ydata().tolist() == [12.0 - i for i in range(12)]
    assert d5.get_lines()[1].get_ydata().tolist() == [0.0] * 12
    assert d5.get_ylabel() == "Số hồ sơ"
    # one month axis shared by all panels, labelled under the bottom panel of each column (D7 left, D6 right)
    for bottom in ("D7 Tái sử dụng", "D6 Đánh giá hài lòng"):
        ticks = [t.get_text() for t in panels[bottom].get_xticklabels()]
        assert len(ticks) == 12 and ticks[0] == "04/24" and ticks[-1] == "03/25"
    assert panels["D1 Trực tuyến"].get_xticklabels() == []
    assert panels["D1 Trực tuyến"].get_shared_x_axes().joined(panels["D1 Trực tuyến"], panels["D7 Tái sử dụng"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Kết quả", "Chỉ tiêu"]
    assert fig._suptitle.get_text() == "Diễn biến 12 tháng gần nhất"


def test_heatmap_attainment_matrix_and_chart():
    league = pd.DataFrame([
        dict(unit="X001", unit_name="UBND xã Thanh An", indicator="D1", value=30.0, target=60.0),
        dict(unit="X001", unit_name="UBND xã Thanh An", indicator="D5", value=3.0, target=0.0),
        dict(unit="X002", unit_name="UBND xã Thanh Lang", indicator="D1", value=90.0, target=60.0),
        dict(unit="X002", unit_name="UBND xã Thanh Lang", indicator="D5", value=0.0, target=0.0),
        dict(unit="X002", unit_name="UBND xã Thanh Lang", indicator="D2", value=np.nan, target=60.0),
    ])
    att, val = P.heatmap_matrix(league)
    assert att.loc["X001", "D1"] == 50.0 and att.loc["X002", "D1"] == 100.0   # capped at 100
    assert att.loc["X001", "D5"] == 0.0 and att.loc["X002", "D5"] == 100.0
    assert np.isnan(att.loc["X002", "D2"]) and np.isnan(att.loc["X001", "D7"])
    fig = P.fig_heatmap(league, "vi", "Quý I năm 2025")
    ax = fig.axes[0]
    assert ax.get_title() == "Mức độ đạt chỉ tiêu theo đơn vị, Quý I năm 2025"
    mesh = ax.collections[0]
    arr = np.ma.filled(mesh.get_array().astype(float), np.nan).reshape(2, 7)
    assert arr[0, 0] == 50.0 and arr[1, 4] == 100.0
    texts = {t.get_text() for t in ax.texts}
    assert {"30,0", "90,0", "3", "0"} <= texts
    assert [t.get_text() for t in ax.get_yticklabels()] == ["X001 UBND xã Thanh An", "X002 UBND xã Thanh Lang"]


def test_766_group_bars():
    items = pd.DataFrame([
        dict(item="1.1-1.3", group="1", group_name="Công khai, minh bạch", points_max=12.0, score=np.nan,
             computable=False, points_computable=0.0),
        dict(item="1.4", group="1", group_name="Công khai, minh bạch", points_max=6.0, score=5.5, computable=True,
             points_computable=6.0),
        dict(item="2.1", group="2", group_name="Tiến độ giải quyết", points_max=20.0, score=18.0, computable=True,
             points_computable=20.0),
        dict(item="TT", group="TT", group_name="Thanh toán trực tuyến", points_max=10.0, score=3.0, computable=True,
             points_computable=6.0),
    ])
    g = P.groups766(items)
    assert g[["points_max", "computable", "score"]].values.tolist() == [[18, 6, 5.5], [20, 20, 18], [10, 6, 3]]
    fig = P.fig_766(items, "vi")
    ax = fig.axes[0]
    heights = sorted(round(b.get_width(), 2) for b in bars(ax))
    assert heights == sorted([18, 20, 10, 6, 20, 6, 5.5, 18, 3])
    assert ax.get_title() == "Bộ chỉ số 766: điểm đạt so với điểm tối đa theo nhóm"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Công khai, minh bạch", "Tiến độ giải quyết",
                                                             "Thanh toán trực tuyến"]


def test_fonts_are_proportional_with_vietnamese_coverage(scorecard_frame):
    from matplotlib import font_manager

    fig = P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025")
    title = fig.axes[0].title
    path = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    assert "Mono" not in path and ("DejaVuSans" in path or "LiberationSans" in path)
    from matplotlib.ft2font import FT2Font

    font = FT2Font(path)
    cmap = font.get_charmap()
    assert all(ord(ch) in cmap for ch in "ếảởđĐưƯơỹ")


def test_png_is_deterministic_and_has_no_timestamp(scorecard_frame):
    a = P.to_png(P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025"))
    b = P.to_png(P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025"))
    assert a == b and a[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in a and b"matplotlib" not in a.lower()


@pytest.mark.parametrize("scale", [1, 1000, 10000])
def test_trend_chart_fixed_layout_keeps_labels_inside(scale):
    # the layout is fixed (no tight-layout pass); the count panel's widening margin must keep its labels in the figure
    df, _ = trend_frame()
    df.loc[df["indicator"] == "D5", "value"] *= scale
    fig = P.fig_trends(df, "vi")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # label positions are settled by the draw
    renderer = canvas.get_renderer()
    d5 = next(ax for ax in fig.axes if ax.get_title() == "Số hồ sơ quá hạn")
    boxes = [t.get_window_extent(renderer) for t in d5.get_yticklabels()] + [d5.yaxis.label.get_window_extent(renderer)]
    assert min(b.x0 for b in boxes) >= 0
    # the widest (left column) and bottom labels stay inside too
    for ax in fig.axes:
        for t in ax.get_xticklabels():
            assert t.get_window_extent(renderer).y0 >= 0


def _items766(scores):
    return pd.DataFrame([
        dict(item="1.4", group="1", group_name="Công khai, minh bạch", points_max=6.0, score=scores[0],
             computable=True, points_computable=6.0),
        dict(item="2.1", group="2", group_name="Tiến độ giải quyết", points_max=20.0, score=scores[1],
             computable=True, points_computable=20.0),
        dict(item="TT", group="TT", group_name="Thanh toán trực tuyến", points_max=10.0, score=scores[2],
             computable=True, points_computable=6.0),
    ])


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cached_chart_layout_equals_a_fresh_tight_layout(scorecard_frame, lang):
    """The scorecard and 766 charts reuse a tight layout computed for other values with the same labels: the PNG
    equals the one drawn with a fresh tight-layout pass, for extreme values (0, 100 %, no data, full scores)."""
    rng = np.random.default_rng(11)
    other = scorecard_frame.copy()
    for ind in (other, scorecard_frame.assign(value=100.0), scorecard_frame.assign(value=np.nan),
                scorecard_frame.assign(value=rng.uniform(0, 100, len(scorecard_frame)))):
        P._LAYOUTS.clear()
        fresh = P.to_png(P.fig_scorecard(ind, lang, "Quý I năm 2025"))
        P._LAYOUTS.clear()
        P.fig_scorecard(other.assign(value=0.0), lang, "Quý I năm 2025")  # fills the cache with other values
        assert len(P._LAYOUTS) == 1
        assert P.to_png(P.fig_scorecard(ind, lang, "Quý I năm 2025")) == fresh
    for scores in ([0.0, 0.0, 0.0], [6.0, 20.0, 6.0], [np.nan, 12.5, 3.0]):
        P._LAYOUTS.clear()
        fresh = P.to_png(P.fig_766(_items766(scores), lang))
        P._LAYOUTS.clear()
        P.fig_766(_items766([1.0, 1.0, 1.0]), lang)
        assert P.to_png(P.fig_766(_items766(scores), lang)) == fresh
    # a different title (another period) is another layout, not a reuse
    P.fig_scorecard(other, lang, "Năm 2025 và một tiêu đề dài hơn nhiều")
    assert len(P._LAYOUTS) == 2


def test_fixed_title_position_draws_the_same_pixels_as_the_automatic_one(scorecard_frame):
    """STYLE pins ``axes.titley`` (no per-draw measuring of tick labels): every chart's PNG equals the one drawn
    with matplotlib's automatic title placement."""
    import matplotlib as mpl

    df, _ = trend_frame()
    league = pd.DataFrame([dict(unit=u, unit_name=f"UBND xã {u}", indicator=c, value=v, target=60.0)
                           for u, v in (("X001", 30.0), ("X002", 90.0)) for c in P.TARGET_INDICATORS])
    charts = [lambda: P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025"), lambda: P.fig_trends(df, "en"),
              lambda: P.fig_766(_items766([1.0, 12.5, 3.0]), "vi"), lambda: P.fig_heatmap(league, "vi", "Quý I")]
    assert P.STYLE["axes.titley"] == 1.0
    for make in charts:
        P._LAYOUTS.clear()
        fixed = P.to_png(make())
        P._LAYOUTS.clear()
        auto = dict(P.STYLE, **{"axes.titley": None})
        with mpl.rc_context(auto):
            old, P.STYLE = P.STYLE, auto
            try:
                fig = make()
                assert fig.axes[0]._autotitlepos  # really the automatic placement
                automatic = P.to_png(fig)
            finally:
                P.STYLE = old
        assert fixed == automatic


def _trend_variants():
    df, months = trend_frame()
    big = df.copy()
    big.loc[big["indicator"] == "D5", "value"] *= 10000
    no_target = df.copy()
    no_target.loc[no_target["indicator"] == "D1", "target"] = np.nan  # legend: one entry only
    empty = df.assign(value=np.nan)
    return months, (df, big, no_target, empty)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_prepared_trend_frame_draws_the_same_png_as_a_fresh_chart(lang):
    """A kernel forked from the batch's zygote takes a prepared, already drawn frame and only adds its lines: the
    PNG must equal the fresh chart's for any data (big counts widen the margin, a missing target shortens the
    legend, no data at all)."""
    months, variants = _trend_variants()
    for df in variants:
        P._TREND_FRAMES.clear()
        fresh = P.to_png(P.fig_trends(df, lang))
        P.prepare_trend_frames(months, (lang,))
        assert list(P._TREND_FRAMES) == [(tuple(months), lang)]
        framed = P.fig_trends(df, lang)
        assert P._TREND_FRAMES == {}  # used once: the next chart gets a fresh frame
        assert P.to_png(framed) == fresh
    # a frame for other months is not taken
    P.prepare_trend_frames(["2023-01"], (lang,))
    P.fig_trends(variants[0], lang)
    assert list(P._TREND_FRAMES) == [(("2023-01",), lang)]
    P._TREND_FRAMES.clear()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_prepared_scorecard_and_766_frames_draw_the_same_svg_as_fresh_charts(scorecard_frame, lang):
    """A kernel forked from the batch's zygote takes a prepared scorecard / 766 frame and only sets its unit's bars,
    colours and value labels: the SVG (what the report shows) equals the fresh chart's byte for byte, for extreme
    values (0, 100 %, no data at all, random); each frame is used once; a frame for other labels is not taken."""
    rng = np.random.default_rng(5)
    variants = [scorecard_frame, scorecard_frame.assign(value=100.0), scorecard_frame.assign(value=np.nan),
                scorecard_frame.assign(value=rng.uniform(0, 100, len(scorecard_frame)), target=np.nan)]
    label = "Quý I năm 2025"
    for ind, scores in zip(variants, ([0.0, 0.0, 0.0], [6.0, 20.0, 6.0], [np.nan, 12.5, 3.0], [1.0, 1.0, 1.0])):
        items = _items766(scores)
        P._FRAMES.clear()
        fresh = P.to_svg(P.fig_scorecard(ind, lang, label)), P.to_svg(P.fig_766(items, lang))
        P.prepare_frames(_items766([2.0, 3.0, 4.0]), {lang: label})  # other values, same labels
        assert len(P._FRAMES) == 2
        framed = P.to_svg(P.fig_scorecard(ind, lang, label)), P.to_svg(P.fig_766(items, lang))
        assert P._FRAMES == {}  # each used once
        assert framed == fresh
        assert "<text" in framed[0] and fmt_pct_or_nodata(ind, lang) in framed[0]
    # frames for another period's title or another 766 table stay where they are
    P.prepare_frames(_items766([2.0, 3.0, 4.0]).assign(points_max=[10.0, 30.0, 10.0]), {lang: "Năm 2025"})
    P.fig_scorecard(scorecard_frame, lang, label)
    P.fig_766(_items766([1.0, 1.0, 1.0]), lang)
    assert len(P._FRAMES) == 2
    P._FRAMES.clear()


def fmt_pct_or_nodata(ind, lang):
    """The first rate indicator's value label as the chart prints it."""
    from tthc.report.fmt import fmt_pct, is_missing
    from tthc.report.i18n import t

    v = ind.set_index("indicator").loc["D1", "value"]
    return t("nodata", lang) if is_missing(v) else fmt_pct(v, 1, lang)


def test_png_is_opaque_rgb_with_the_pixels_matplotlib_draws(scorecard_frame):
    """Charts go to the report as RGB PNGs (WeasyPrint would split an alpha channel into a mask): the pixels are the
    ones matplotlib's own RGBA PNG holds, whose alpha is opaque everywhere."""
    import io

    from PIL import Image

    fig = P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025")
    ours = Image.open(io.BytesIO(P.to_png(fig)))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=P.DPI)
    theirs = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    assert ours.mode == "RGB" and ours.size == (770, 374)  # 7.0 × 3.4 in at 110 dpi
    assert (theirs[..., 3] == 255).all()
    assert (np.asarray(ours) == theirs[..., :3]).all()


# -- the chart's numbers beside its image (application/vnd.tthc.chart+json): the same numbers the figure draws --

def test_scorecard_data_is_what_the_chart_draws(scorecard_frame):
    data = P.scorecard_data(scorecard_frame, "vi", "Quý I năm 2025")
    assert data["codes"] == ["D1", "D2", "D3", "D4", "D6", "D7"]
    # hand values of the fixture: D4 has no data (None, drawn as a 0-length bar)
    assert data["series"][0]["values"] == [32.97, 60.0, 100.0, None, 81.0, 50.0]
    assert data["series"][1]["values"] == [60.0, 60.0, 100.0, 100.0, 100.0, 50.0]
    assert data["status"] == ["chua_dat", "dat", "dat", "nodata", "chua_dat", "dat"]
    ax = P.fig_scorecard(scorecard_frame, "vi", "Quý I năm 2025").axes[0]
    widths = [round(b.get_width(), 2) for b in sorted(bars(ax), key=lambda b: -b.get_y())]
    assert widths == [0.0 if v is None else v for v in data["series"][0]["values"]]
    drawn = [c for c in ax.collections if isinstance(c, PathCollection)][0].get_offsets()
    ys = np.asarray(drawn)[:, 1]
    by_row = [float(x) for _, x in sorted(zip(-ys, np.asarray(drawn)[:, 0]))]
    assert by_row == data["series"][1]["values"]
    assert data["title"] == ax.get_title()


def test_trends_data_is_what_the_chart_draws():
    df, months = trend_frame()
    data = P.trends_data(df, "vi")
    assert data["months"] == months
    panels = {p["code"]: p for p in data["panels"]}
    assert panels["D1"]["values"] == [i * 5.0 for i in range(12)] and panels["D1"]["target"] == 60.0
    assert panels["D2"]["values"][5] is None and panels["D2"]["values"][6] == 30.0
    fig = P.fig_trends(df, "vi")
    for ax, code in zip(fig.axes, ["D1", "D2", "D3", "D4", "D5", "D6", "D7"]):
        drawn = ax.get_lines()[0].get_ydata().tolist()
        assert [None if np.isnan(v) else v for v in drawn] == panels[code]["values"]
        assert ax.get_lines()[1].get_ydata().tolist() == [panels[code]["target"]] * 12


def test_766_data_is_what_the_chart_draws():
    items = pd.DataFrame([
        dict(item="1.4", group="1", group_name="Công khai, minh bạch", points_max=6.0, score=5.5, computable=True,
             points_computable=6.0),
        dict(item="TT", group="TT", group_name="Thanh toán trực tuyến", points_max=10.0, score=3.0, computable=True,
             points_computable=6.0),
    ])
    data = P.index766_data(items, "vi")
    assert [s["values"] for s in data["series"]] == [[6.0, 10.0], [6.0, 6.0], [5.5, 3.0]]
    ax = P.fig_766(items, "vi").axes[0]
    assert sorted(round(b.get_width(), 2) for b in bars(ax)) == sorted(v for s in data["series"] for v in s["values"])


def test_chart_data_reaches_the_pdf_document():
    """show_figure's data travels with the chart block the PDF is drawn from."""
    import base64

    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from tthc.render import blocks as B
    from tthc.render import typeset

    df, _ = trend_frame()
    data = P.trends_data(df, "vi")
    png = base64.b64encode(P.to_png(P.fig_trends(df, "vi"))).decode()
    nb = new_notebook()
    cell = new_code_cell("r.trends()", execution_count=1)
    cell.outputs = [new_output("display_data", data={"image/png": png, B.CHART_MIMETYPE: data})]
    nb.cells = [cell]
    doc, images = typeset.notebook_document(nb)
    block = doc["sections"][0]["blocks"][0]
    assert block["kind"] == "chart" and block["data"] == data and len(images) == 1


def test_svg_charts_are_deterministic_text_as_text_and_typeset_as_vectors(tmp_path):
    """Reports display charts as SVG: same bytes for the same figure, labels as text in a Vietnamese-capable font
    stack, and Typst draws them into the PDF with extractable text."""
    from tthc.render import fonts, typeset

    df, _ = trend_frame()
    a, b = P.to_svg(P.fig_trends(df, "vi")), P.to_svg(P.fig_trends(df, "vi"))
    assert a == b and "<dc:date>" not in a
    assert "D1 Trực tuyến" in a and "font-family: 'DejaVu Sans', 'Liberation Sans', sans-serif" in a
    data, _ = typeset.html_document("<p>x</p>")
    data["sections"] = [{"id": None, "title": "Chart", "landscape": False,
                         "blocks": [{"kind": "chart", "image": "c.svg", "alt": ""}]}]
    typeset.compile_pdf(data, {"c.svg": a.encode()}, tmp_path / "c.pdf")
    text = fonts.pdf_text(tmp_path / "c.pdf")
    assert "D1 Trực tuyến" in text and "Diễn biến 12 tháng gần nhất" in text
    assert fonts.fonts_without_vietnamese(tmp_path / "c.pdf") == []
    assert fonts.pdf_image_pages(tmp_path / "c.pdf") == []  # vector, no raster image
