"""The public page (spec §10, the dispatch's "công khai … để người dân theo dõi, giám sát"): ``tthc publish --period P``
writes a static, self-contained site an office can put on its portal — ``index.html`` and one page per unit.

Aggregates only: the indicators the engine provides with a target (D1–D7, D8 once the engine has it) against their
targets, the Biểu 06 totals and the 12-month trend (an inline SVG chart per indicator and the same figures as a
table). No dossier code, no name of a person: the pages are built from the cube (unit × period aggregates) alone and
never read the dossiers table. Vietnamese (``lang="vi"``), real ``<th scope>`` headers, text contrast ≥ 4.5:1, one
column on a phone; no script, no external resource.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pandas as pd

from .report.fmt import fmt_date, fmt_int, fmt_num, fmt_pct, is_missing

LANG = "vi"
B06 = [("col3", "Tổng số hồ sơ nhận giải quyết"), ("col4", "Tiếp nhận trực tuyến"),
       ("col5", "Tiếp nhận trực tiếp, dịch vụ bưu chính"), ("col6", "Từ kỳ trước chuyển sang"),
       ("col7", "Tổng số hồ sơ đã giải quyết"), ("col8", "Trả trước hạn"), ("col9", "Trả đúng hạn"),
       ("col10", "Trả quá hạn"), ("col11", "Tổng số hồ sơ đang giải quyết"), ("col12", "Trong hạn"),
       ("col13", "Quá hạn")]
STATUS = {"dat": "Đạt", "chua_dat": "Chưa đạt", "nodata": "Không có dữ liệu"}

CSS = """:root{--ink:#1a1a1a;--muted:#3d3d3d;--line:#8a8a8a;--head:#e6edf5;--ok:#1b5e20;--bad:#a31515;--link:#0b4f9c}
*{box-sizing:border-box}body{margin:0;font-family:"Liberation Sans","Noto Sans",Arial,sans-serif;color:var(--ink);
background:#fff;line-height:1.5}header,main,footer{max-width:64rem;margin:0 auto;padding:1rem}
header{border-bottom:3px solid #0b4f9c}h1{font-size:1.45rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.6rem}
p.sub{color:var(--muted);margin:.2rem 0}a{color:var(--link)}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;width:100%;font-size:.95rem;margin:.4rem 0}
caption{text-align:left;font-weight:bold;padding:.3rem 0}th,td{border:1px solid var(--line);padding:.35rem .5rem;
text-align:left;vertical-align:top}thead th{background:var(--head)}td.num{text-align:right;white-space:nowrap}
.dat{color:var(--ok);font-weight:bold}.chua_dat{color:var(--bad);font-weight:bold}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}
figure{margin:0;border:1px solid #c8c8c8;padding:.5rem}figcaption{font-size:.9rem;font-weight:bold}
svg{width:100%;height:auto}footer{color:var(--muted);font-size:.85rem;border-top:1px solid #c8c8c8}
@media (max-width:600px){body{font-size:15px}table{font-size:.85rem}th,td{padding:.3rem}}"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _page(title: str, header: str, main: str, footer: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{LANG}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<header>{header}</header><main>{main}</main><footer>{footer}</footer></body></html>\n")


def _table(caption: str, head: list[str], rows: list[list[tuple[str, str]]], row_header: bool = True) -> str:
    """``rows``: cells as (text, css class); the first cell of a row is a ``<th scope="row">`` when ``row_header``."""
    th = "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
    body = []
    for r in rows:
        cells = []
        for j, cell in enumerate(r):
            text, cls = cell[0], cell[1]
            body_html = cell[2] if len(cell) > 2 else _e(text)  # a third item: ready HTML (a link built here)
            c = f' class="{cls}"' if cls else ""
            cells.append(f'<th scope="row"{c}>{body_html}</th>' if j == 0 and row_header else f"<td{c}>{body_html}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(caption)}"><table>'
            f"<caption>{_e(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def indicator_rows(ind: pd.DataFrame, unit: str) -> list[list[tuple[str, str]]]:
    """Indicators with a target, in engine order: name, value, target, status."""
    from .report.assess import kinds_and_names, target_rows
    from .report.i18n import status_key
    from .report.narrative import fmt_target_text

    rows = target_rows(ind, unit)
    kinds, names = kinds_and_names([r["indicator"] for r in rows], LANG)
    out = []
    for r in rows:
        c, k = r["indicator"], kinds[r["indicator"]]
        st = status_key(r.get("status"))
        val = ("–" if is_missing(r["value"]) else fmt_int(r["value"], LANG) if k == "count"
               else fmt_pct(r["value"], 2, LANG))
        tgt = fmt_target_text(k, r["target"], LANG) if k == "rate" else fmt_int(r["target"], LANG) + " hồ sơ"
        out.append([(f"{c}. {names[c]}", ""), (val, "num"), (tgt, ""), (STATUS[st], st)])
    return out


def svg_trend(months: list[str], values: list, target, label: str, pct: bool = True) -> str:
    """A small line chart (0–100% for rates) with the target as a dashed line; decorative for screen readers
    beyond its label — the same figures are in the table below it."""
    w, h, l, r, t, b = 320, 150, 34, 8, 10, 24
    vals = [None if is_missing(v) else float(v) for v in values]
    import math

    top = 100.0 if pct else float(max(1, math.ceil(max([v for v in vals if v is not None] + [float(target or 0)]))))
    x = lambda i: l + (w - l - r) * (i / max(len(months) - 1, 1))  # noqa: E731
    y = lambda v: t + (h - t - b) * (1 - v / top)  # noqa: E731
    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">']
    for g in ((0, 0.5, 1) if pct or top % 2 == 0 else (0, 1)):
        yy = y(top * g)
        parts.append(f'<line x1="{l}" x2="{w - r}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#d0d0d0"/>')
        parts.append(f'<text x="{l - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end" fill="#3d3d3d">'
                     f"{_e(fmt_num(top * g, 0, LANG))}</text>")
    if target is not None and not is_missing(target):
        ty = y(min(float(target), top))
        parts.append(f'<line x1="{l}" x2="{w - r}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#a31515" '
                     f'stroke-dasharray="5 3" stroke-width="1.5"/>')
    seg, pts = [], []
    for i, v in enumerate(vals):
        if v is None:
            if len(seg) > 1:
                pts.append(seg)
            seg = []
            continue
        seg.append(f"{x(i):.1f},{y(min(v, top)):.1f}")
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(min(v, top)):.1f}" r="2.5" fill="#0b4f9c"/>')
    if len(seg) > 1:
        pts.append(seg)
    for s in pts:
        parts.append(f'<polyline points="{" ".join(s)}" fill="none" stroke="#0b4f9c" stroke-width="2"/>')
    for i in (0, len(months) - 1):
        parts.append(f'<text x="{x(i):.1f}" y="{h - 6}" font-size="10" text-anchor="{"start" if i == 0 else "end"}" '
                     f'fill="#3d3d3d">{_e(months[i][5:] + "/" + months[i][:4])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def trend_html(tr: pd.DataFrame, names: dict, kinds: dict) -> str:
    if tr is None or not len(tr):
        return "<p>Không có dữ liệu.</p>"
    months = list(dict.fromkeys(tr["month"]))
    codes = [c for c in dict.fromkeys(tr["indicator"]) if c in names]
    figs, rows = [], []
    for c in codes:
        g = tr[tr["indicator"] == c].set_index("month").reindex(months)
        tgt = g["target"].dropna()
        figs.append(f"<figure><figcaption>{_e(c)}. {_e(names[c])}</figcaption>"
                    + svg_trend(months, list(g["value"]), tgt.iloc[0] if len(tgt) else None,
                                f"Diễn biến 12 tháng: {names[c]}", kinds.get(c) != "count") + "</figure>")
    for m in months:
        row = [(f"{m[5:]}/{m[:4]}", "")]
        for c in codes:
            v = tr[(tr["month"] == m) & (tr["indicator"] == c)]["value"]
            v = v.iloc[0] if len(v) else None
            row.append(("–" if v is None or is_missing(v) else fmt_int(v, LANG) if kinds.get(c) == "count"
                        else fmt_pct(v, 1, LANG), "num"))
        rows.append(row)
    table = _table("Số liệu 12 tháng gần nhất", ["Tháng", *codes], rows)
    return f'<div class="charts">{"".join(figs)}</div>' + table


def unit_page(unit: str, name: str, level_name: str, period_label: str, a: date, b: date, ind: pd.DataFrame,
              total: dict | None, tr: pd.DataFrame, generated: str, synthetic: bool) -> str:
    from .report.assess import kinds_and_names

    rows = indicator_rows(ind, unit)
    codes = [r[0][0].split(".")[0] for r in rows]
    kinds, names = kinds_and_names(list(dict.fromkeys(list(codes) + list(tr["indicator"].unique()
                                                                         if tr is not None else []))), LANG)
    header = (f'<p class="sub"><a href="index.html">Trang chủ: kết quả giải quyết thủ tục hành chính</a></p>'
              f"<h1>{_e(name)}</h1><p class=\"sub\">{_e(level_name)} · {_e(period_label)} "
              f"(từ ngày {fmt_date(a)} đến ngày {fmt_date(b)})</p>")
    main = "<h2>Kết quả thực hiện các chỉ tiêu</h2>" + _table(
        "Kết quả so với chỉ tiêu", ["Chỉ tiêu", "Kết quả", "Chỉ tiêu đề ra", "Đánh giá"], rows)
    if total:
        main += "<h2>Tình hình giải quyết hồ sơ (Biểu số 06)</h2>" + _table(
            "Tổng hợp số hồ sơ thủ tục hành chính", ["Nội dung", "Số hồ sơ"],
            [[(lab, ""), (fmt_int(total[c], LANG), "num")] for c, lab in B06])
    main += "<h2>Diễn biến 12 tháng gần nhất</h2>" + trend_html(
        tr, {c: names[c] for c in names if c in set(codes)}, kinds)
    return _page(f"{name}: kết quả giải quyết TTHC, {period_label}", header, main, _footer(generated, synthetic))


def _footer(generated: str, synthetic: bool) -> str:
    s = ("<p>Số liệu tổng hợp từ hệ thống thông tin giải quyết thủ tục hành chính; chỉ công bố số liệu tổng hợp, "
         f"không có thông tin cá nhân. Cập nhật: {_e(generated)}.</p>")
    if synthetic:
        s = "<p><strong>DỮ LIỆU MẪU – mô phỏng, không phải số liệu thật.</strong></p>" + s
    return s


def index_page(period_label: str, a: date, b: date, units: list[tuple[str, str, str, int, int]], generated: str,
               synthetic: bool) -> str:
    rows = [[(name, "", f'<a href="{_e(code)}.html">{_e(name)}</a>'), (level, ""),
             (f"{fmt_int(met)}/{fmt_int(total)}", "num")]
            for code, name, level, met, total in units]
    th = _table("Các đơn vị (chọn tên đơn vị để xem chi tiết)", ["Đơn vị", "Cấp", "Số chỉ tiêu đạt"], rows)
    header = (f"<h1>Kết quả giải quyết thủ tục hành chính</h1><p class=\"sub\">{_e(period_label)} (từ ngày "
              f"{fmt_date(a)} đến ngày {fmt_date(b)})</p>")
    return _page(f"Kết quả giải quyết thủ tục hành chính, {period_label}", header, th, _footer(generated, synthetic))


def publish(period: str, window: str = "calendar", out_dir: Path | None = None, registry=None,
            generated: str | None = None) -> tuple[Path, list[str]]:
    """Write the site; returns (folder, unit codes with a page)."""
    from datetime import datetime

    from . import config
    from .engine import query as q
    from .periods import parse_period
    from .report.i18n import level_name, period_label, status_key
    from .units import load_registry
    from .warehouse import connect

    reg = registry or load_registry()
    p = parse_period(period)
    a, b = p.bounds(window)
    ind = q.indicators(p.code, window)
    b06 = q.bieu06(p.code, window)
    try:
        con = connect(read_only=True)
        try:
            from .report.context import is_synthetic

            synthetic = is_synthetic(con)
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - no warehouse beside the cube: say nothing about its origin
        synthetic = False
    generated = generated or datetime.now().strftime("%H:%M %d/%m/%Y")
    plabel = period_label(p.code, LANG)
    out = Path(out_dir) if out_dir else config.outputs_dir() / "public" / p.code
    out.mkdir(parents=True, exist_ok=True)
    units = [u for u in dict.fromkeys(ind["unit"]) if u in reg]
    listing = []
    for u in units:
        unit = reg.get(u)
        tot = b06[(b06["unit"] == u) & (b06["ma_linh_vuc"].astype(str) == "TONG")]
        total = tot.iloc[0].to_dict() if len(tot) else None
        tr = q.trend(u, p.code, window, months=12)
        page = unit_page(u, unit.name, level_name(unit.level, LANG), plabel, a, b, ind, total, tr, generated,
                         synthetic)
        (out / f"{u}.html").write_text(page, encoding="utf-8")
        own = ind[(ind["unit"] == u) & ind["target"].notna()]
        keys = [status_key(s) for s in own["status"]]
        listing.append((u, unit.name, level_name(unit.level, LANG), sum(k == "dat" for k in keys),
                        sum(k != "nodata" for k in keys)))
    (out / "index.html").write_text(index_page(plabel, a, b, listing, generated, synthetic), encoding="utf-8")
    return out, units
