"""Report HTML: no code, no prompts, no scripts or remote resources, embedded images, letterhead, banner."""

from __future__ import annotations

import re
from html import unescape

import nbfactory
import nbformat
import pytest

from tthc.render import render_html, write_html

REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def html():
    return render_html(nbfactory.report_notebook())


def test_no_code_no_prompts_no_dropped_cells(html):
    for source in ("show_scorecard(ctx)", "from tthc.report import", "plot_trends", "debug()"):
        assert source not in html
    assert "In&nbsp;[" not in html and "In [" not in html and "Out[" not in html
    assert "jp-InputPrompt" not in html and "jp-OutputPrompt" not in html
    # papermill's parameters cells (unicode-escaped strings) and cells tagged "remove" are dropped whole
    assert "INJECTED_MARKER" not in html and "\\u00e3" not in html and "REMOVED_MARKER" not in html
    assert "Notebook title cell" not in html
    # warnings on stderr and object reprs are not report content
    assert "STDERR_MARKER" not in html and "&lt;Figure size" not in html and "&lt;Axes:" not in html
    # ... and leave no empty boxes behind
    assert re.search(r'<div class="tthc-output[^"]*">\s*</div>', html) is None


def test_self_contained_no_scripts(html):
    assert "<script" not in html.lower()
    assert REMOTE.search(html) is None
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html.lower()
    imgs = re.findall(r'<img\s+src="([^"]{0,30})', html)
    assert len(imgs) == 4 and all(s.startswith("data:image/png;base64,") for s in imgs)
    # stylesheet inlined
    assert "<style>" in html and "Liberation Serif" in html


def test_fonts_never_monospace(html):
    css = html[html.index("<style>"):html.index("</style>")]
    for decl in re.findall(r"font-family\s*:\s*([^;]+);", css):
        assert "mono" not in decl.lower(), decl
        assert decl.strip().startswith('"Liberation'), decl
    assert re.search(r"pre,\s*code", css)  # pre/code overridden to the sans stack


def test_letterhead_and_content(html):
    for text in ("UBND HUYỆN THANH HÀ", "VĂN PHÒNG HĐND VÀ UBND", "/BC-VP", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Thanh Hà, ngày 31 tháng 3 năm 2025", "BÁO CÁO",
                 "Kết quả thực hiện các chỉ tiêu giải quyết thủ tục hành chính Quý I năm 2025",
                 "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "Nơi nhận:", "UBND xã Thanh Hồng;", "KT. CHỦ TỊCH",
                 "PHÓ CHỦ TỊCH"):
        assert text in html, text
    assert html.index("CỘNG HÒA") < html.index("I. Thông tin chung") < html.index("Nơi nhận:")
    assert '<html lang="vi">' in html
    assert "<title>Báo cáo kết quả giải quyết TTHC – UBND xã Thanh Hồng – Quý I năm 2025</title>" in html
    # the running-header string for the PDF margin boxes
    assert "UBND xã Thanh Hồng – Quý I năm 2025</div>" in html


def test_wide_table_marked_landscape(html):
    landscape = re.findall(r'<div class="tthc-output tthc-landscape">\s*<div class="tthc-html">\s*(.{0,120})',
                           html, re.S)
    assert len(landscape) == 1 and "Biểu số 06" in landscape[0]


def test_banner_iff_synthetic(vi_meta):
    on = render_html(nbfactory.report_notebook(vi_meta))
    off = render_html(nbfactory.report_notebook({**vi_meta, "synthetic": False}))
    assert on.count("DỮ LIỆU MẪU – mô phỏng") == 2  # visible banner + the string for PDF margin boxes
    assert "tthc-banner" in on and "DỮ LIỆU MẪU" not in off and 'class="tthc-banner"' not in off


def test_metadata_values_are_escaped(vi_meta):
    evil = {**vi_meta, "unit_name": "<script>alert('x')</script>", "subject": '"><img src=x onerror=1>',
            "title": "</title><script>t()</script>"}
    html = render_html(nbfactory.report_notebook(evil, in_metadata=True))
    assert "<script" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;/title&gt;&lt;script&gt;t()&lt;/script&gt;" in html


def test_metadata_in_notebook_metadata_is_used_first(vi_meta):
    nb = nbfactory.report_notebook({**vi_meta, "unit_name": "Output name"})
    nb.metadata["tthc"] = {**vi_meta, "unit_name": "Metadata name"}
    html = render_html(nb)
    assert "Metadata name – Quý I năm 2025" in html and "Output name – " not in html


def test_english_labels(vi_meta):
    meta = {**vi_meta, "lang": "en", "unit_name": "Thanh Hong commune", "period_label": "Q1 2025",
            "subject": "Results on administrative-procedure targets, Q1 2025"}
    html = render_html(nbfactory.report_notebook(meta))
    for text in ("SAMPLE DATA – simulated", "SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness",
                 "Thanh Ha, 31 March 2025", ">REPORT<", "Recipients:", "P.P. CHAIRMAN", ">Page<"):
        assert text in html, text
    assert "DỮ LIỆU MẪU" not in html and "CỘNG HÒA" not in html and '<html lang="en">' in html


def test_generic_notebook(tmp_path):
    path = tmp_path / "phan-tich.ipynb"
    nbformat.write(nbfactory.generic_notebook(), path)
    html = render_html(path)
    assert "<title>phan-tich</title>" in html
    text = unescape(html)
    assert "Tiếp nhận: 1.234 hồ sơ" in text and "Phân tích nhanh" in text and "¶" not in text
    assert "print(" not in html and "CỘNG HÒA" not in html and "BÁO CÁO" not in html and "Nơi nhận" not in html
    out = write_html(nbfactory.generic_notebook(), tmp_path / "sub" / "g.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_heading_only_output_kept_with_next(html):
    leads = re.findall(r'<div class="tthc-output tthc-lead">\s*<div class="tthc-html">\s*(.{0,80})', html, re.S)
    assert len(leads) == 1 and "IV. Xu hướng 12 tháng" in leads[0]
