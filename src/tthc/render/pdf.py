"""Report PDF through the Typst typesetter (:mod:`tthc.render.typeset`), and the report stylesheet of the HTML.

``notebook_to_pdf`` draws the PDF from the notebook's structured sections; ``html_to_pdf`` from report HTML (a
saved ``report.html``: its report metadata travels in a ``<meta name="tthc-report">`` tag). Both use the one
template ``templates/tthc.typ``. ``text_overflows`` checks a written PDF: no word outside the page's content box.
"""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from . import typeset

CSS_FILE = Path(__file__).with_name("tthc.css")
MM = 72 / 25.4  # PDF points per mm
#: Content box margins (mm) of portrait and landscape pages: top, right, bottom, left (spec §10, Decree 30).
MARGINS = {"portrait": (20, 15, 20, 30), "landscape": (20, 20, 15, 20)}


@lru_cache(maxsize=1)
def css_text() -> str:
    """The report stylesheet (inlined into the HTML; the PDF's look lives in the Typst template)."""
    return CSS_FILE.read_text(encoding="utf-8")


def notebook_to_pdf(nb, target: str | Path | None = None, name: str | None = None,
                    settings: Mapping | None = None) -> bytes | None:
    """Write the PDF of an executed notebook to ``target`` (None: return the bytes)."""
    data, images = typeset.notebook_document(nb, name=name, settings=settings)
    return typeset.compile_pdf(data, images, target)


def html_to_pdf(html: str, target: str | Path | None = None, settings: Mapping | None = None,
                **_: Any) -> bytes | None:
    """Write the PDF of report HTML (or any HTML, rendered generically) to ``target`` (None: return the bytes)."""
    data, images = typeset.html_document(html, settings=settings)
    return typeset.compile_pdf(data, images, target)


def text_overflows(pdf_path: str | Path, tolerance_pt: float = 1.0) -> list[tuple[int, str, float, float]]:
    """Words of body text outside the content box of their page (a table wider than the page shows up here):
    ``[(page, word, x_min, x_max)]`` in PDF points, from ``pdftotext -bbox``. Running header and footer sit in the
    top and bottom margins and are not checked. Empty when everything fits."""
    from .fonts import _tool

    out = subprocess.run([_tool("pdftotext"), "-bbox", str(pdf_path), "-"], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), start=1):
        w, h = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        top, right, bottom, left = MARGINS["landscape" if w > h else "portrait"]
        for x0, y0, x1, y1, word in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page):
            x0, y0, x1, y1 = float(x0), float(y0), float(x1), float(y1)
            if y0 < top * MM or y1 > h - bottom * MM:
                continue  # running header, banner, footer
            if x0 < left * MM - tolerance_pt or x1 > w - right * MM + tolerance_pt:
                found.append((number, word, x0, x1))
    return found
