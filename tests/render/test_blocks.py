"""The structured section model: report HTML read into blocks, blocks drawn back into HTML, the notebook's
section bundles used by the PDF, and foreign HTML / generic notebooks still typeset."""

from __future__ import annotations

import nbfactory
from nbformat.v4 import new_code_cell, new_output

from tthc.render import blocks as B
from tthc.render import fonts, typeset
from tthc.report import tables as T


def test_header_table_becomes_key_values_and_section_title():
    sec = B.html_to_section(nbfactory.header_html(nbfactory.VI_META))
    assert sec["title"] == "I. Thông tin chung" and not sec["landscape"]
    assert sec["blocks"] == [{"kind": "key_values", "classes": ["tthc-table"], "items": [
        ["Đơn vị", "UBND xã Thanh Hồng"], ["Kỳ báo cáo", "Quý I năm 2025 (01/01/2025 – 31/03/2025)"],
        ["Nguồn dữ liệu", "Tệp xuất DVCQG, mã băm 3f9a1c2b7d"]]}]


def test_scorecard_cells_keep_status_classes_and_note():
    sec = B.html_to_section(nbfactory.scorecard_html())
    table, note = sec["blocks"]
    assert table["kind"] == "table" and table["columns"] == 8 and len(table["rows"]) == 7
    assert [c["text"] for c in table["header"][0]][:3] == ["Mã", "Chỉ tiêu", "Kết quả"]
    d2 = table["rows"][1]["cells"]
    assert (d2[0]["text"], d2[2]["text"], d2[2]["class"], d2[4]["text"], d2[4]["class"]) == \
        ("D2", "48,10%", "num", "Chưa đạt", "chua-dat")
    assert note == {"kind": "note", "text": "Tỷ lệ làm tròn 2 chữ số thập phân; “—”: không đủ dữ liệu.",
                    "style": "", "strong": False}


def test_bieu06_multilevel_header_has_13_columns_and_goes_landscape():
    html = T.section("Biểu 06", '<table class="tthc-table wide bieu06"><thead>' + T.bieu06_head("vi")
                     + '</thead><tbody><tr class="total"><td></td><td>Tổng số</td>'
                     + "".join(f'<td class="num">{i}</td>' for i in range(11)) + "</tr></tbody></table>")
    sec = B.html_to_section(html)
    table = sec["blocks"][0]
    assert sec["landscape"] is True
    assert len(table["header"]) == 4 and table["columns"] == 13
    assert [(c["colspan"], c["rowspan"]) for c in table["header"][0][:3]] == [(1, 3), (1, 3), (4, 1)]
    assert table["rows"][0]["class"] == "total" and table["rows"][0]["cells"][12]["text"] == "10"


def test_column_count_with_rowspans():
    cell = lambda c=1, r=1: {"colspan": c, "rowspan": r}  # noqa: E731
    # | a (2 rows) | b c (colspan 2) |  /  | b1 | c1 |  → 3 columns
    assert B.column_count([[cell(1, 2), cell(2)], [cell(), cell()]], [[cell(), cell(), cell()]]) == 3


def test_column_widths_follow_text_lengths():
    t = B.make_table(["Mã", "Thủ tục"], [["X1", "Đăng ký khai sinh, kết hợp cấp thẻ bảo hiểm y tế"]])
    # "Mã"/"X1": min 3 chars; the name: 48 chars capped at 28; both + 4 for inset and bold
    assert t["widths"] == [3 + 4, 28 + 4]


def test_blocks_to_html_and_back_round_trip_with_escaping():
    t = B.make_table(["Mã", "Tên"], [["X1", "Xã <A> & B"]], num_cols={0}, caption="Danh sách",
                     row_classes=["total"])
    sec = {"id": None, "title": "9. Mục mới", "landscape": False, "blocks": [
        {"kind": "paragraph", "text": "Kết quả đạt được.", "strong": False, "style": ""},
        {"kind": "list", "items": ["một", "hai"]}, t]}
    html = B.section_html(sec)
    assert "Xã &lt;A&gt; &amp; B" in html and "<script" not in html
    assert B.html_to_section(html) == sec


def test_skipped_frame_and_scripts():
    html = ('<html><head><title>T</title><style>p{}</style></head><body><header class="tthc-front"><p>FRONT</p>'
            '</header><section class="tthc-section"><h2>A</h2><p>x<br>y</p><script>bad()</script></section>'
            '<footer class="tthc-closing"><p>CLOSE</p></footer></body></html>')
    secs = B.html_to_sections(html)
    assert secs == [{"id": None, "title": "A", "landscape": False, "blocks": [
        {"kind": "paragraph", "text": "x\ny", "strong": False, "style": ""}]}]


def test_section_bundle_wins_over_html_in_the_pdf(tmp_path):
    """A section displayed with its structure reaches the PDF from that structure (e.g. a new section added
    through show_section); the HTML beside it is for the notebook and the HTML export."""
    nb = nbfactory.report_notebook(charts=1, overdue_rows=2)
    sec = {"id": "plan", "title": "VII. Kế hoạch đạt chỉ tiêu", "landscape": False, "blocks": [
        {"kind": "paragraph", "text": "Cần thêm 12 hồ sơ trực tuyến mỗi tháng.", "strong": False}]}
    cell = new_code_cell("r.plan()", execution_count=9)
    cell.outputs = [new_output("display_data", data={"text/html": "<p>HTML_ONLY_MARKER</p>",
                                                       B.SECTION_MIMETYPE: sec})]
    nb.cells.append(cell)
    data, images = typeset.notebook_document(nb)
    titles = [s["title"] for s in data["sections"]]
    assert "VII. Kế hoạch đạt chỉ tiêu" in titles and len(images) == 1
    path = tmp_path / "r.pdf"
    typeset.compile_pdf(data, images, path)
    text = fonts.pdf_text(path, layout=False)
    assert "Cần thêm 12 hồ sơ trực tuyến mỗi tháng." in text and "HTML_ONLY_MARKER" not in text
    assert (1, "VII. Kế hoạch đạt chỉ tiêu") in fonts.pdf_outline(path)


def test_generic_notebook_typesets_without_letterhead(tmp_path):
    data, _ = typeset.notebook_document(nbfactory.generic_notebook(), name="phan-tich")
    assert data["front"] is None and data["closing"] is None and data["title"] == "phan-tich"
    path = tmp_path / "g.pdf"
    typeset.compile_pdf(data, {}, path)
    text = fonts.pdf_text(path)
    assert "Phân tích nhanh" in text and "Tiếp nhận: 1.234 hồ sơ" in text and "Trang 1/1" in text
    assert fonts.fonts_without_vietnamese(path) == []
