"""Report PDF: A4 pages, letterhead text with diacritics, running header, "Trang x/y", banner on every page,
wide tables on landscape pages, tables inside the content box, embedded fonts with Vietnamese coverage."""

from __future__ import annotations

import re

import nbfactory
import pytest

from tthc.render import fonts, pdf, write_pdf

A4 = (595.276, 841.89)
MM = 72 / 25.4  # PDF points per mm


def is_a4(size) -> bool:
    w, h = sorted(size)
    return abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One Vietnamese synthetic report typeset once: (notebook, pdf path)."""
    nb = nbfactory.report_notebook()
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf.notebook_to_pdf(nb, path)
    return nb, path


@pytest.fixture(scope="module")
def pages_text(report):
    _, path = report
    return [fonts.pdf_text(path, i) for i in range(1, len(fonts.pdf_pages(path)) + 1)]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_page_a4_and_biểu06_landscape(report, pages_text):
    _, path = report
    sizes = fonts.pdf_pages(path)
    assert len(sizes) >= 4 and all(is_a4(s) for s in sizes)
    assert sizes[0][0] < sizes[0][1]  # portrait first page
    landscape = [i for i, (w, h) in enumerate(sizes) if w > h]
    assert landscape, "the wide Biểu 06 table must get a landscape page"
    assert all("Biểu số 06" not in pages_text[i] for i in range(len(sizes)) if i not in landscape)
    assert any("Biểu số 06" in pages_text[i] and "Thi đua – khen thưởng" in pages_text[i] for i in landscape)


def test_margins_per_decree_30(report):
    """Body text starts 30–35 mm from the left edge and ends before the 15–20 mm right margin on page 1."""
    _, path = report
    words = fonts.pdf_words(path, 1)
    body = [w for w in words if 25 * MM < w[2] < A4[1] - 25 * MM]
    assert 30 * MM - 1 <= min(w[0] for w in body) <= 35 * MM
    assert A4[0] - 20 * MM <= max(w[1] for w in body) <= A4[0] - 15 * MM + 1


def test_first_page_letterhead(report, pages_text):
    first = pages_text[0]
    reading = flat(fonts.pdf_text(report[1], 1, layout=False))  # table cells wrap: read them in order
    for text in ("UBND HUYỆN THANH HÀ", "VĂN PHÒNG HĐND VÀ UBND", "/BC-VP", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Thanh Hà, ngày 31 tháng 3 năm 2025", "BÁO CÁO",
                 "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "Tỷ lệ hồ sơ khai thác, tái sử dụng dữ liệu số hóa"):
        assert text in reading, text
    # left block and right block share lines: issuing body left of the national motto
    line = next(ln for ln in first.splitlines() if "CỘNG HÒA" in ln)
    assert line.index("UBND HUYỆN THANH HÀ") < line.index("CỘNG HÒA")


def test_footer_header_and_banner_on_every_page(pages_text):
    n = len(pages_text)
    for i, text in enumerate(pages_text, start=1):
        assert f"Trang {i}/{n}" in text, i
        assert "DỮ LIỆU MẪU – mô phỏng" in text, i
        # running header from page 2 on (page 1 carries the letterhead instead)
        assert ("UBND xã Thanh Hồng – Quý I năm 2025" in text) == (i > 1), i


def test_closing_block_on_last_page(pages_text):
    last = flat(pages_text[-1])
    assert "Nơi nhận:" in last and "KT. CHỦ TỊCH" in last and "PHÓ CHỦ TỊCH" in last
    assert "UBND xã Thanh Hồng;" in last and "Lưu: VT." in last
    assert all("Nơi nhận:" not in t for t in pages_text[:-1])


def test_overdue_table_rows_never_split_and_header_repeats(pages_text):
    with_rows = [t for t in pages_text if "000.00." in t]
    assert len(with_rows) >= 2  # the long table crosses pages ...
    for text in with_rows:
        assert "Mã hồ sơ" in text  # ... with its header repeated
    codes = re.findall(r"H23-?\s*-?250(\d{3})", "".join(with_rows))
    assert sorted(set(int(c) for c in codes)) == list(range(45))


def test_tables_fit_the_page(report):
    _, path = report
    assert pdf.text_overflows(path) == []


def test_overflow_check_detects_text_outside_the_page(tmp_path):
    from tthc.render import typeset

    data, _ = typeset.html_document("<p>x</p>")
    from tthc.render.blocks import make_table

    # 30 columns of 9-digit numbers cannot fit 165 mm: the last ones run past the right margin
    data["sections"] = [{"id": None, "title": None, "landscape": False, "blocks": [
        make_table([str(i) for i in range(30)], [["123456789"] * 30], num_cols=set())]}]
    typeset.compile_pdf(data, {}, tmp_path / "wide.pdf")
    found = pdf.text_overflows(tmp_path / "wide.pdf")
    assert found and {f[0] for f in found} == {1} and max(f[3] for f in found) > A4[0] - 15 * MM


def test_bookmarks_from_headings(report):
    _, path = report
    outline = fonts.pdf_outline(path)
    labels = [title for level, title in outline if level == 1]
    assert labels[0] == "BÁO CÁO"
    assert "II. Kết quả thực hiện chỉ tiêu" in labels and "VI. Chất lượng dữ liệu" in labels


def test_fonts_embedded_with_vietnamese_coverage(report):
    _, path = report
    names = fonts.check_pdf_fonts(path)
    assert "LiberationSerif" in names and "LiberationSans" in names
    assert not any("Mono" in n for n in names)
    assert fonts.fonts_without_vietnamese(path) == []
    assert "DejaVu Sans Mono" not in fonts.vietnamese_families()  # the check would catch it


def test_no_banner_when_real_data_and_english_footer(tmp_path, vi_meta):
    meta = {**vi_meta, "synthetic": False, "lang": "en", "unit_name": "Thanh Hong commune",
            "period_label": "Q1 2025", "subject": "Results on administrative-procedure targets"}
    path = write_pdf(nbfactory.report_notebook(meta, charts=1, overdue_rows=5), tmp_path / "en.pdf")
    n = len(fonts.pdf_pages(path))
    texts = [fonts.pdf_text(path, i) for i in range(1, n + 1)]
    assert all("SAMPLE DATA" not in t and "DỮ LIỆU MẪU" not in t for t in texts)
    assert all(f"Page {i}/{n}" in t for i, t in enumerate(texts, start=1))
    assert "SOCIALIST REPUBLIC OF VIET NAM" in texts[0] and "Thanh Ha, 31 March 2025" in texts[0]


def test_write_pdf_from_saved_html_and_string(tmp_path):
    from tthc.render import write_html

    nb = nbfactory.report_notebook(charts=1, overdue_rows=3)
    html_path = write_html(nb, tmp_path / "r.html")
    a = write_pdf(html_path, tmp_path / "a.pdf")
    b = write_pdf(html_path.read_text(encoding="utf-8"), tmp_path / "b.pdf")
    for p in (a, b):
        first = fonts.pdf_text(p, 1)
        assert "Độc lập - Tự do - Hạnh phúc" in first and re.search(r"Trang 1/\d", first)
        assert all(is_a4(s) for s in fonts.pdf_pages(p))


@pytest.mark.parametrize("filler, page", [(2, 1), (30, 2)])
def test_heading_moves_with_its_chart(tmp_path, filler, page):
    """A section title is never left alone at the foot of a page: it goes to the page of the chart after it."""
    from tthc.render import typeset

    png = nbfactory.chart_png(0, "x")
    import base64

    data, _ = typeset.html_document("<p>x</p>")
    data["sections"] = [
        {"id": None, "title": None, "landscape": False, "blocks": [
            {"kind": "paragraph", "text": f"Đoạn {i}. " + "Nội dung báo cáo. " * 30, "strong": False}
            for i in range(filler)]},
        {"id": None, "title": "HEADING", "landscape": False, "blocks": [
            {"kind": "chart", "image": "c.png", "alt": ""}]}]
    typeset.compile_pdf(data, {"c.png": base64.b64decode(png)}, tmp_path / "h.pdf")
    n = len(fonts.pdf_pages(tmp_path / "h.pdf"))
    found = [i for i in range(1, n + 1) if "HEADING" in fonts.pdf_text(tmp_path / "h.pdf", i)]
    assert len(found) == 1
    img_pages = fonts.pdf_image_pages(tmp_path / "h.pdf")
    assert img_pages == found
