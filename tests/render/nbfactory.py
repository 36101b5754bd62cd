"""Executed report notebooks built with nbformat (no kernel): the shape papermill leaves behind for a report."""

from __future__ import annotations

import base64
import html as _html
import io
from functools import lru_cache

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

MIMETYPE = "application/vnd.tthc.report+json"

VI_META = {
    "kind": "unit", "unit": "X006", "unit_name": "UBND xã Thanh Hồng", "level": "xa",
    "parent_name": "UBND huyện Thanh Hà", "period": "2025-Q1", "period_label": "Quý I năm 2025",
    "window": "calendar", "date_from": "2025-01-01", "date_to": "2025-03-31", "lang": "vi", "synthetic": True,
    "data_hash": "3f9a1c2b7d", "generated": "2025-03-31T08:15:00+07:00", "version": "0.1.0",
    "title": "Báo cáo kết quả giải quyết TTHC – UBND xã Thanh Hồng – Quý I năm 2025",
    "subject": "Kết quả thực hiện các chỉ tiêu giải quyết thủ tục hành chính Quý I năm 2025",
}

INDICATORS = [
    ("D1", "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "61,25%", "≥ 60%", "dat", "Đạt"),
    ("D2", "Tỷ lệ hồ sơ thanh toán trực tuyến", "48,10%", "≥ 60%", "chua-dat", "Chưa đạt"),
    ("D3", "Tỷ lệ hồ sơ được số hóa", "97,32%", "100%", "chua-dat", "Chưa đạt"),
    ("D4", "Tỷ lệ kết quả giải quyết được số hóa", "100,00%", "100%", "dat", "Đạt"),
    ("D5", "Số hồ sơ quá hạn", "3", "0", "chua-dat", "Chưa đạt"),
    ("D6", "Tỷ lệ hồ sơ có phiếu đánh giá mức độ hài lòng", "—", "100%", "nodata", "Không đủ dữ liệu"),
    ("D7", "Tỷ lệ hồ sơ khai thác, tái sử dụng dữ liệu số hóa", "12,40%", "≥ 50%", "chua-dat", "Chưa đạt"),
]


def html_output(html: str, extra: dict | None = None, execute_result: bool = False):
    data = {"text/html": html, "text/plain": "<IPython.core.display.HTML object>"}
    data.update(extra or {})
    if execute_result:
        return new_output("execute_result", data=data, execution_count=3)
    return new_output("display_data", data=data)


@lru_cache(maxsize=None)
def chart_png(seed: int, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    months = np.arange(1, 13)
    ax.plot(months, 40 + rng.normal(0, 8, 12).cumsum() / 3 + months * 2, marker="o", label="Thực hiện")
    ax.axhline(60, color="red", linestyle="--", label="Chỉ tiêu")
    ax.set_title(title)
    ax.set_xlabel("Tháng")
    ax.set_ylabel("%")
    ax.legend(loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def esc(value) -> str:
    # the report code escapes every data string before display (contract with the renderer)
    return _html.escape(str(value), quote=True)


def header_html(meta: dict) -> str:
    return (
        '<section class="tthc-section"><h2>I. Thông tin chung</h2>'
        '<table class="tthc-table"><tbody>'
        f'<tr><th>Đơn vị</th><td>{esc(meta["unit_name"])}</td></tr>'
        f'<tr><th>Kỳ báo cáo</th><td>{esc(meta["period_label"])} (01/01/2025 – 31/03/2025)</td></tr>'
        f'<tr><th>Nguồn dữ liệu</th><td>Tệp xuất DVCQG, mã băm {esc(meta["data_hash"])}</td></tr>'
        '</tbody></table></section>'
    )


def scorecard_html() -> str:
    rows = "".join(
        f'<tr><td>{code}</td><td>{name}</td><td class="num">{value}</td><td class="num">{target}</td>'
        f'<td class="{cls}">{label}</td><td class="num">12</td><td class="num">+1,20</td><td class="num">3/21</td></tr>'
        for code, name, value, target, cls, label in INDICATORS
    )
    return (
        '<section class="tthc-section"><h2>II. Kết quả thực hiện chỉ tiêu</h2>'
        '<table class="tthc-table scorecard"><thead><tr><th>Mã</th><th>Chỉ tiêu</th><th>Kết quả</th>'
        '<th>Chỉ tiêu giao</th><th>Đánh giá</th><th>Thiếu (hồ sơ)</th><th>So kỳ trước</th><th>Xếp hạng</th>'
        f'</tr></thead><tbody>{rows}</tbody></table>'
        '<p class="note">Tỷ lệ làm tròn 2 chữ số thập phân; “—”: không đủ dữ liệu.</p></section>'
    )


def bieu06_html() -> str:
    cols = ["Lĩnh vực", "Tổng số", "Trực tuyến", "Kỳ trước", "Mới tiếp nhận", "Đã giải quyết", "Trước hạn",
            "Đúng hạn", "Quá hạn", "Đang giải quyết", "Trong hạn", "Quá hạn ", "Rút", "Ghi chú"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    fields = ["Hộ tịch", "Chứng thực", "Đất đai", "Bảo trợ xã hội", "Người có công", "Nông nghiệp",
              "Văn hóa cơ sở", "Thi đua – khen thưởng"]
    body = "".join(
        f"<tr><td>{f}</td>" + "".join(f'<td class="num">{(i + 3) * (j + 7) * 13:,}</td>'.replace(",", ".")
                                       for j in range(12)) + "<td>Đã đối soát</td></tr>"
        for i, f in enumerate(fields)
    )
    return (
        '<section class="tthc-section"><h2>III. Biểu số 06 – Tình hình giải quyết TTHC</h2>'
        f'<table class="tthc-table wide"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>'
    )


def overdue_html(n: int = 45) -> str:
    rows = "".join(
        f'<tr><td>000.00.{i:02d}.H23-250{i:03d}</td><td>Đăng ký khai sinh, kết hợp cấp thẻ bảo hiểm y tế '
        f'cho trẻ em dưới 6 tuổi</td><td class="num">{(i % 28) + 1:02d}/03/2025</td><td class="num">{i % 7}</td>'
        f'<td>{"Có" if i % 2 else "Chưa"}</td></tr>'
        for i in range(n)
    )
    return (
        '<section class="tthc-section"><h2>V. Hồ sơ quá hạn và sắp đến hạn</h2>'
        '<table class="tthc-table"><thead><tr><th>Mã hồ sơ</th><th>Thủ tục</th><th>Hạn giải quyết</th>'
        f'<th>Số ngày quá hạn</th><th>Thư xin lỗi</th></tr></thead><tbody>{rows}</tbody></table></section>'
    )


def report_notebook(meta: dict | None = None, *, in_metadata: bool = False, charts: int = 4,
                    overdue_rows: int = 45) -> nbformat.NotebookNode:
    """An executed unit report: injected-parameters cell, parameters cell, header output carrying the report
    metadata, scorecard, charts, a wide Biểu 06 table, a long overdue table, a stderr warning, a Figure repr."""
    meta = dict(VI_META if meta is None else meta)
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if in_metadata:
        nb.metadata["tthc"] = meta
    params = new_code_cell('unit = "X006"\nperiod = "2025-Q1"', metadata={"tags": ["parameters"]})
    injected = new_code_cell('# Parameters\nunit_name = "UBND x\\u00e3 Thanh H\\u1ed3ng"\n',
                             metadata={"tags": ["injected-parameters"]})
    injected.outputs = [new_output("stream", name="stdout", text="INJECTED_MARKER \\u00e3\n")]
    first = new_code_cell("from tthc.report import show_header\nshow_header(ctx)", execution_count=1)
    first.outputs = [html_output(header_html(meta), {} if in_metadata else {MIMETYPE: meta})]
    score = new_code_cell("show_scorecard(ctx)", execution_count=2)
    score.outputs = [html_output(scorecard_html(), execute_result=True)]
    trend = new_code_cell("plot_trends(ctx)", execution_count=3)
    trend.outputs = [html_output('<section class="tthc-section"><h2>IV. Xu hướng 12 tháng</h2></section>'),
                     new_output("stream", name="stderr", text="UserWarning: STDERR_MARKER tight_layout\n")]
    for k in range(charts):
        trend.outputs.append(new_output("display_data", data={
            "image/png": chart_png(k, f"D{k + 1} – Tỷ lệ theo tháng (%)"), "text/plain": "<Figure size 800x320>"}))
    trend.outputs.append(new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'D4'}>"},
                                    execution_count=3))
    bieu = new_code_cell("show_bieu06(ctx)", execution_count=4)
    bieu.outputs = [html_output(bieu06_html())]
    overdue = new_code_cell("show_overdue(ctx)", execution_count=5)
    overdue.outputs = [html_output(overdue_html(overdue_rows))]
    removed = new_code_cell("debug()", execution_count=6, metadata={"tags": ["remove"]})
    removed.outputs = [html_output("<p>REMOVED_MARKER</p>")]
    quality = new_code_cell("show_quality(ctx)", execution_count=7)
    quality.outputs = [html_output('<section class="tthc-section"><h2>VI. Chất lượng dữ liệu</h2>'
                                   '<p>Số dòng đưa vào khu cách ly: 2. Hạn giải quyết được tính lại: 5 hồ sơ.</p>'
                                   '<p class="note">Ghi chú: dữ liệu mô phỏng, không phản ánh kết quả thực tế.</p>'
                                   '</section>')]
    nb.cells = [new_markdown_cell("# Notebook title cell"), params, injected, first, score, trend, bieu,
                overdue, removed, quality]
    nb.cells[0].metadata["tags"] = ["remove"]
    return nb


def generic_notebook() -> nbformat.NotebookNode:
    """Any executed notebook without report metadata."""
    nb = new_notebook()
    md = new_markdown_cell("# Phân tích nhanh\n\nHồ sơ tiếp nhận trực tuyến theo tháng.")
    code = new_code_cell("print('xin chào')\n1 + 1", execution_count=1)
    code.outputs = [new_output("stream", name="stdout", text="Tiếp nhận: 1.234 hồ sơ\n"),
                    new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    nb.cells = [md, code]
    return nb
