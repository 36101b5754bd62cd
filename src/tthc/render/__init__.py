"""Rendering of executed report notebooks: self-contained HTML and print-ready PDF (spec §10).

Batch workers call these many times in one process; the exporters and Typst's font book are built once and
reused. The PDF is typeset by Typst from the notebook's structured sections (:mod:`tthc.render.typeset`).

- ``render_html(nb) -> str``: report HTML (stylesheet inlined).
- ``write_html(nb, path)``: the same, written as UTF-8.
- ``write_pdf(nb_or_html, path)``: PDF (Typst) from a notebook (NotebookNode or path to .ipynb) or an HTML
  string/path.
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
    a path to an .html file, e.g. one written by :func:`write_html`), typeset by Typst (:mod:`tthc.render.typeset`)."""
    from . import layout, pdf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = layout.load_report_settings(report_settings or None)
    source = nb_or_html
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("<")):
        p = Path(source)
        if p.suffix.lower() in (".html", ".htm"):
            pdf.html_to_pdf(p.read_text(encoding="utf-8"), path, settings=settings)
            return path
    if isinstance(source, str) and source.lstrip().startswith("<"):
        pdf.html_to_pdf(source, path, settings=settings)
        return path
    node, name, _ = _notebook(source)
    pdf.notebook_to_pdf(node, path, name=name, settings=settings)
    return path
