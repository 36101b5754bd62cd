"""nbconvert exporters for report notebooks: ``--to tthc_html`` and ``--to tthc_pdf`` (entry points in pyproject).

The HTML is a self-contained, script-free, print-ready document: no code, no prompts, no papermill parameter cells,
images as data URIs, the administrative letterhead (see :mod:`tthc.render.layout`) and the report stylesheet inlined.
The PDF is typeset by Typst from the notebook's structured sections (:mod:`tthc.render.typeset`, one template
``templates/tthc.typ`` for the whole print look).
Both work on any executed notebook; without report metadata they render it generically.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nbconvert.exporters import Exporter, HTMLExporter, TemplateExporter
from nbformat import NotebookNode
from traitlets import Bool, Unicode, default
from traitlets.config import Config

from . import layout, pdf
from .layout import DROP_TAGS, kept_cells, shown  # noqa: F401 - this module's names too

TEMPLATES_DIR = Path(__file__).with_name("templates")

_LANDSCAPE = re.compile(r"""class\s*=\s*["'][^"']*\b(?:wide|landscape)\b""", re.IGNORECASE)


def is_landscape(output) -> bool:
    """An output that holds a wide table (``class="… wide"``) or a ``landscape`` section goes on a landscape page."""
    html = (output.get("data") or {}).get("text/html")
    if isinstance(html, list):
        html = "".join(html)
    return bool(html) and _LANDSCAPE.search(html) is not None


_HEADING = re.compile(r"<h[1-4][\s>]", re.IGNORECASE)
_IMAGES = ("image/png", "image/jpeg", "image/svg+xml")


def _is_heading_html(output) -> bool:
    html = (output.get("data") or {}).get("text/html")
    if isinstance(html, list):
        html = "".join(html)
    if not html or len(html) > 3000:
        return False
    low = html.lower()
    return _HEADING.search(html) is not None and "<table" not in low and "<img" not in low


def _chart_follows(outputs: list, i: int) -> bool:
    return any(m in (outputs[i + 1].get("data") or {}) for m in _IMAGES)


def mark_leads(cells: list, is_report: bool = True) -> list:
    """Copies of ``cells`` without the outputs that are not shown (see :func:`shown`), and where a short
    heading-only HTML output directly followed by a chart in the same cell is marked ``metadata.tthc_lead``: it
    introduces that chart and must not be left alone at the foot of a page. The caller's notebook is not modified."""
    out = []
    for cell in cells:
        outputs = cell.get("outputs") or []
        if cell.get("cell_type") == "code" and not all(shown(o, is_report) for o in outputs):
            outputs = [o for o in outputs if shown(o, is_report)]
            cell = NotebookNode({**cell, "outputs": outputs})
        lead = [i for i in range(len(outputs) - 1) if _is_heading_html(outputs[i]) and _chart_follows(outputs, i)]
        if lead:
            outputs = list(outputs)
            for i in lead:
                outputs[i] = NotebookNode({**outputs[i], "metadata": NotebookNode(
                    {**(outputs[i].get("metadata") or {}), "tthc_lead": True})})
            cell = NotebookNode({**cell, "outputs": outputs})
        out.append(cell)
    return out


def is_lead(output) -> bool:
    return bool((output.get("metadata") or {}).get("tthc_lead"))


class TthcHTMLExporter(HTMLExporter):
    """Report HTML: self-contained, no inputs/prompts/scripts, letterhead and synthetic-data banner."""

    export_from_notebook = "TTHC report (HTML)"

    exclude_input = Bool(True, help="Never show code in a report.").tag(config=True)
    exclude_input_prompt = Bool(True).tag(config=True)
    exclude_output_prompt = Bool(True).tag(config=True)
    exclude_anchor_links = Bool(True, help="No pilcrow links after headings in a printed report.").tag(config=True)
    inline_css = Bool(True, help="Inline the report stylesheet (False only for the PDF path, which adds the cached "
                                 "compiled stylesheet itself).").tag(config=True)
    report_settings = Unicode("", help="params/report.yaml to read the letterhead from (default: project's)."
                              ).tag(config=True)

    @default("template_name")
    def _template_name_default(self):
        return "tthc"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):
        return [str(TEMPLATES_DIR)]

    @default("file_extension")
    def _file_extension_default(self):
        return ".html"

    @property
    def default_config(self):
        c = super().default_config.copy()
        # No widget or javascript reprs: the document carries no scripts.
        c.merge(Config({"NbConvertBase": {"display_data_priority": [
            "text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/latex", "text/plain",
        ]}, "HighlightMagicsPreprocessor": {"enabled": False}}))
        return c

    def default_filters(self):
        yield from super().default_filters()
        yield ("tthc_is_landscape", is_landscape)
        yield ("tthc_is_lead", is_lead)

    def _settings(self):
        return layout.load_report_settings(self.report_settings or None)

    def from_notebook_node(self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any):
        resources = self._init_resources(resources)
        name = (resources.get("metadata") or {}).get("name") or None
        kept = NotebookNode({**nb, "cells": kept_cells(nb)})
        trimmed = NotebookNode({**nb, "cells": mark_leads(kept.cells, layout.doc_meta(kept) is not None)})
        resources["tthc"] = layout.document_context(
            trimmed, name=name, settings=self._settings(), inline_css=self.inline_css,
            css=pdf.css_text() if self.inline_css else "")
        # TemplateExporter directly: HTMLExporter's version re-parses the page with BeautifulSoup to add lab
        # accessibility attributes we do not use, which costs time on image-heavy reports.
        self._nb_metadata.clear()
        return TemplateExporter.from_notebook_node(self, trimmed, resources, **kw)


class TthcPDFExporter(Exporter):
    """Report PDF (A4, letterhead, running header, "Trang x/y", bookmarks, landscape wide tables) typeset by Typst
    from each output's structured section (``application/vnd.tthc.section+json``; HTML outputs without it are read
    into the same blocks)."""

    export_from_notebook = "TTHC report (PDF)"
    output_mimetype = "application/pdf"
    report_settings = Unicode("", help="params/report.yaml to read the letterhead from (default: project's)."
                              ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    def from_notebook_node(self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any):
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        name = (resources.get("metadata") or {}).get("name") or None
        settings = layout.load_report_settings(self.report_settings or None)
        data = pdf.notebook_to_pdf(nb_copy, name=name, settings=settings)
        resources["output_extension"] = ".pdf"
        return data, resources
