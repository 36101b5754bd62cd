"""`jupyter nbconvert --to tthc_html / tthc_pdf` through the installed entry points (subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbfactory
import nbformat

from tthc.render import fonts


def test_nbconvert_entry_points(tmp_path):
    nbformat.write(nbfactory.report_notebook(charts=1, overdue_rows=5), tmp_path / "bao-cao.ipynb")
    nbformat.write(nbfactory.generic_notebook(), tmp_path / "khac.ipynb")
    jupyter = Path(sys.executable).with_name("jupyter")
    for fmt, files in (("tthc_html", ["bao-cao.ipynb", "khac.ipynb"]), ("tthc_pdf", ["bao-cao.ipynb", "khac.ipynb"])):
        r = subprocess.run([str(jupyter), "nbconvert", "--to", fmt, *files],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    html = (tmp_path / "bao-cao.html").read_text(encoding="utf-8")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "<script" not in html and "show_header" not in html
    assert "<title>khac</title>" in (tmp_path / "khac.html").read_text(encoding="utf-8")
    first = fonts.pdf_text(tmp_path / "bao-cao.pdf", 1)
    assert "Độc lập - Tự do - Hạnh phúc" in first and "DỮ LIỆU MẪU – mô phỏng" in first
    assert (tmp_path / "khac.pdf").read_bytes().startswith(b"%PDF-")
