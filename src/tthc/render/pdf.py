"""HTML → PDF with WeasyPrint, set up once per process.

Parsing the stylesheet and building the font configuration cost more than laying out a short report, so both are
cached at module level and reused by every call (batch workers render many reports in one process).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

CSS_FILE = Path(__file__).with_name("tthc.css")


@lru_cache(maxsize=1)
def css_text() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def stylesheet():
    """The report stylesheet compiled once (WeasyPrint CSS object bound to the shared font configuration)."""
    import weasyprint

    return weasyprint.CSS(string=css_text(), font_config=font_config())


def _quiet_weasyprint() -> None:
    # WeasyPrint logs every ignored CSS property at WARNING; report CSS is ours and tested.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)


# Report tables carry inline cell styles for JupyterLab, which has no report stylesheet. The print stylesheet styles
# the same classes, and WeasyPrint pays for every style attribute (≈ 0.5 CPU-s on an overview), so drop them here.
_CELL_STYLE = re.compile(r'(<t[dh]\b[^>]*?) style="[^"<>]*"')


def layout(html: str, base_url: str | None = None, with_stylesheet: bool = True):
    """Lay out an HTML string into a WeasyPrint Document (pages with their box trees)."""
    import weasyprint

    _quiet_weasyprint()
    html = _CELL_STYLE.sub(r"\1", html)
    doc = weasyprint.HTML(string=html, base_url=base_url or str(Path.cwd()))
    sheets = [stylesheet()] if with_stylesheet else []
    return doc.render(stylesheets=sheets, font_config=font_config())


def html_to_pdf(html: str, target: str | Path | None = None, base_url: str | None = None,
                with_stylesheet: bool = True) -> bytes | None:
    """Write the PDF of ``html`` to ``target`` (None: return the bytes).

    ``with_stylesheet`` adds the cached report stylesheet; pass False when the HTML already inlines it (a saved
    report HTML) so that it is not applied twice.
    """
    document = layout(html, base_url=base_url, with_stylesheet=with_stylesheet)
    return document.write_pdf(str(target) if target is not None else None)


def table_overflows(document, tolerance_px: float = 0.5) -> list[tuple[int, float, float]]:
    """Tables whose box is wider than the page content box: ``[(page number, table width, content width)]`` in
    CSS px. Empty when every table fits (the check the tests run on rendered reports)."""

    found = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        content_left = box.content_box_x()
        content_right = content_left + box.width
        for child in box.descendants():
            if type(child).__name__ in ("TableBox", "TableWrapperBox") and getattr(child, "width", None):
                left = child.border_box_x()
                right = left + child.border_width()
                if left < content_left - tolerance_px or right > content_right + tolerance_px:
                    found.append((number, float(child.border_width()), float(box.width)))
    return found
