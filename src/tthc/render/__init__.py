"""Rendering of executed report notebooks: self-contained HTML and print-ready PDF (spec §10).

Batch workers call these many times in one process; exporters, the compiled stylesheet and WeasyPrint's font
configuration are built once and reused.

- ``render_html(nb) -> str``: report HTML (stylesheet inlined).
- ``write_html(nb, path)``: the same, written as UTF-8.
- ``write_pdf(nb_or_html, path)``: PDF from a notebook (NotebookNode or path to .ipynb) or an HTML string/path.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["render_html", "write_html", "write_pdf", "html_exporter", "pdf_exporter"]


@lru_cache(maxsize=None)
def html_exporter(inline_css: bool = True, report_settings: str = ""):
    from .exporters import TthcHTMLExporter

    return TthcHTMLExporter(inline_css=inline_css, report_settings=report_settings)


@lru_cache(maxsize=None)
def pdf_exporter(report_settings: str = ""):
    from .exporters import TthcPDFExporter

    return TthcPDFExporter(report_settings=report_settings)


def _notebook(nb: Any):
    """A NotebookNode and its name from a node or a path to an .ipynb file."""
    if isinstance(nb, (str, Path)):
        import nbformat

        path = Path(nb)
        return nbformat.read(path, as_version=4), path.stem, str(path.parent)
    return nb, None, None


def _resources(name: str | None, path: str | None) -> dict:
    meta = {}
    if name:
        meta["name"] = name
    if path:
        meta["path"] = path
    return {"metadata": meta} if meta else {}


def render_html(nb: Any, *, report_settings: str | Path | None = None, inline_css: bool = True) -> str:
    """The report HTML of an executed notebook (NotebookNode or .ipynb path)."""
    node, name, path = _notebook(nb)
    html, _ = html_exporter(inline_css, str(report_settings or "")).from_notebook_node(node, _resources(name, path))
    return html


def write_html(nb: Any, path: str | Path, *, report_settings: str | Path | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(nb, report_settings=report_settings), encoding="utf-8")
    return path


def write_pdf(nb_or_html: Any, path: str | Path, *, report_settings: str | Path | None = None) -> Path:
    """Write the PDF of a notebook (NotebookNode or .ipynb path) or of report HTML (a string starting with '<', or
    a path to an .html file, e.g. one written by :func:`write_html`)."""
    from . import pdf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = nb_or_html
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("<")):
        p = Path(source)
        if p.suffix.lower() in (".html", ".htm"):
            html = p.read_text(encoding="utf-8")
            pdf.html_to_pdf(html, path, base_url=str(p.parent), with_stylesheet=not _has_inline_css(html))
            return path
    if isinstance(source, str) and source.lstrip().startswith("<"):
        pdf.html_to_pdf(source, path, with_stylesheet=not _has_inline_css(source))
        return path
    node, name, nb_dir = _notebook(source)
    exporter = html_exporter(False, str(report_settings or ""))
    html, _ = exporter.from_notebook_node(node, _resources(name, nb_dir))
    pdf.html_to_pdf(html, path, base_url=nb_dir, with_stylesheet=True)
    return path


def _has_inline_css(html: str) -> bool:
    # The inlined report stylesheet starts with this comment; foreign HTML gets the report stylesheet added.
    return "tthc report style" in html[:20000]
