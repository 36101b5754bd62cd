"""The structured section model the PDF is drawn from (one source of truth beside each section's HTML).

A report section travels in its display bundle as ``application/vnd.tthc.section+json`` next to its ``text/html``::

    {"id": "sec-3", "title": "3. Biểu 06 …", "landscape": true, "blocks": [block, …]}

Blocks are generic kinds, so a new section needs no template change:

- ``{"kind": "heading", "level": 2|3|4, "text": …}``
- ``{"kind": "paragraph", "text": …, "strong": bool}`` and ``{"kind": "note", "text": …, "style": "synthetic"|""}``
- ``{"kind": "list", "items": [text, …]}``
- ``{"kind": "key_values", "items": [[key, value], …]}`` (a two-column label/value table without header)
- ``{"kind": "table", "classes": […], "caption": …, "header": [[cell, …], …], "rows": [{"class": …, "cells":
  [cell, …]}, …], "columns": n}`` where a cell is ``{"text", "colspan", "rowspan", "class", "th"}``: multi-level
  headers through colspan/rowspan, row classes ``total``/``group``, cell classes ``num``, ``dat``, ``chua-dat``,
  ``nodata``, ``colno`` (status colours are drawn by the template).
- ``{"kind": "chart", "image": file name or None, "svg": …, "alt": …, "data": {…}}``: a chart and the numbers it
  was drawn from.

The report code builds HTML with a small vocabulary (``tthc.report.tables``); :func:`html_to_section` reads that
vocabulary back into blocks. The report helpers (``tthc.report.context.show_html``) attach the result to every
section they display, and the PDF exporter falls back to the same reader for any HTML output without it — so a
section shown through the helpers, or any foreign HTML, reaches the PDF.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

SECTION_MIMETYPE = "application/vnd.tthc.section+json"
#: The numbers a chart was drawn from (beside its image), so the PDF and tests can read them.
CHART_MIMETYPE = "application/vnd.tthc.chart+json"

#: Class names that put a table (and so its section) on a landscape page.
LANDSCAPE_CLASSES = frozenset({"wide", "landscape"})
_BLOCK_TAGS = {"p", "div", "section", "header", "footer", "figure", "ul", "ol", "li", "table", "h1", "h2", "h3", "h4",
               "h5", "h6", "pre", "blockquote", "caption", "main", "article"}
_SKIP = {"script", "style", "head", "title", "template"}
#: The document frame the PDF template draws itself (letterhead, closing block, banner, page strings).
SKIP_CLASSES = frozenset({"tthc-front", "tthc-closing", "tthc-strings", "tthc-banner"})
_VOID = {"br", "img", "meta", "hr", "input", "link", "col", "wbr", "source", "area", "base"}
_WS = re.compile(r"[ \t\r\n\f]+")


def _clean(text: str) -> str:
    lines = [_WS.sub(" ", part).strip() for part in text.split("\n")]
    return "\n".join(p for p in lines if p)


class _Reader(HTMLParser):
    """A forgiving reader of report HTML: text runs are collected per block; tables cell by cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = []
        self.current: dict | None = None
        self.buf: list[str] = []       # text of the current inline run
        self.strong_all = True          # every text piece of the run is inside <strong>/<b>
        self.strong = 0
        self.pclass = ""
        self.heading: int | None = None
        self.table: dict | None = None
        self.in_head = False
        self.row: dict | None = None
        self.cell: dict | None = None
        self.list_items: list[str] | None = None
        self.skip = 0
        self.section_depth = 0

    # ---- structure ---------------------------------------------------------------------------------------------
    def _section(self) -> dict:
        if self.current is None:
            self.current = {"id": None, "title": None, "landscape": False, "blocks": []}
            self.sections.append(self.current)
        return self.current

    def _add(self, block: dict) -> None:
        self._section()["blocks"].append(block)

    def _flush(self) -> None:
        text = _clean("".join(self.buf))
        strong = self.strong_all
        self.buf, self.strong_all = [], True
        if not text:
            return
        if self.cell is not None:
            return
        if self.heading is not None:
            return
        if self.list_items is not None:
            self.list_items.append(text)
            return
        classes = self.pclass.split()
        if "note" in classes:
            self._add({"kind": "note", "text": text, "style": "synthetic" if "synthetic" in classes else "",
                       "strong": strong})
        else:
            self._add({"kind": "paragraph", "text": text, "strong": strong, "style": " ".join(classes)})

    # ---- parser callbacks --------------------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if self.skip:
            if tag not in _VOID:
                self.skip += 1
            return
        if tag in _SKIP or SKIP_CLASSES.intersection(cls.split()):
            if tag not in _VOID:
                self._flush()
                self.skip = 1
            return
        if tag == "section":
            self._flush()
            self.section_depth += 1
            if self.section_depth == 1:
                self.current = {"id": a.get("id"), "title": None, "landscape": False, "blocks": []}
                self.sections.append(self.current)
            return
        if tag == "table":
            self._flush()
            self.table = {"kind": "table", "classes": cls.split(), "caption": None, "header": [], "rows": []}
            return
        if self.table is not None:
            if tag == "thead":
                self.in_head = True
            elif tag == "tbody":
                self.in_head = False
            elif tag == "tr":
                self.row = {"class": cls, "cells": []}
            elif tag in ("td", "th"):
                if self.row is None:
                    self.row = {"class": "", "cells": []}
                self.buf, self.strong_all = [], True
                self.cell = {"text": "", "colspan": int(a.get("colspan") or 1), "rowspan": int(a.get("rowspan") or 1),
                             "class": cls, "th": tag == "th"}
            elif tag == "caption":
                self.buf = []
            elif tag == "br":
                self.buf.append("\n")
            elif tag in ("strong", "b"):
                self.strong += 1
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.heading = int(tag[1])
            return
        if tag in ("ul", "ol"):
            self._flush()
            self.list_items = []
            return
        if tag == "img":
            self._flush()
            self._add({"kind": "chart", "image": None, "src": a.get("src") or "", "alt": a.get("alt") or ""})
            return
        if tag == "br":
            self.buf.append("\n")
            return
        if tag in ("strong", "b"):
            self.strong += 1
            return
        if tag in _BLOCK_TAGS:
            self._flush()
            if tag == "p":
                self.pclass = cls
            return

    def handle_endtag(self, tag):
        if self.skip:
            if tag not in _VOID:
                self.skip -= 1
            return
        if self.table is not None:
            if tag in ("td", "th") and self.cell is not None:
                self.cell["text"] = _clean("".join(self.buf))
                self.buf, self.strong_all = [], True
                self.row["cells"].append(self.cell)
                self.cell = None
            elif tag == "tr" and self.row is not None:
                if self.row["cells"]:
                    if self.in_head:
                        self.table["header"].append(self.row["cells"])
                    else:
                        self.table["rows"].append(self.row)
                self.row = None
            elif tag == "caption":
                self.table["caption"] = _clean("".join(self.buf)) or None
                self.buf = []
            elif tag == "thead":
                self.in_head = False
            elif tag in ("strong", "b"):
                self.strong = max(0, self.strong - 1)
            elif tag == "table":
                self._add(_finish_table(self.table))
                self.table = None
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self.heading is not None:
            text = _clean("".join(self.buf)).replace("\n", " ")
            self.buf, self.strong_all = [], True
            sec = self._section()
            if self.heading <= 2 and sec["title"] is None and not sec["blocks"]:
                sec["title"] = text
            elif text:
                sec["blocks"].append({"kind": "heading", "level": max(2, min(4, self.heading)), "text": text})
            self.heading = None
            return
        if tag in ("ul", "ol") and self.list_items is not None:
            self._flush()
            items, self.list_items = self.list_items, None
            if items:
                self._add({"kind": "list", "items": items})
            return
        if tag == "li":
            self._flush()
            return
        if tag in ("strong", "b"):
            self.strong = max(0, self.strong - 1)
            return
        if tag == "section":
            self._flush()
            self.section_depth = max(0, self.section_depth - 1)
            if self.section_depth == 0:
                self.current = None
            return
        if tag in _BLOCK_TAGS:
            self._flush()
            if tag == "p":
                self.pclass = ""

    def handle_data(self, data):
        if self.skip:
            return
        if self.table is not None and self.cell is None and not data.strip():
            return
        if data.strip() and not self.strong:
            self.strong_all = False
        self.buf.append(data)

    def close(self):
        super().close()
        self._flush()


def _finish_table(table: dict) -> dict:
    rows = table["rows"]
    header = table["header"]
    # A label/value table without header (th + td per row) is a key-value block.
    if not header and rows and all(len(r["cells"]) == 2 and r["cells"][0]["th"] and not r["cells"][1]["th"]
                                   for r in rows):
        return {"kind": "key_values", "items": [[r["cells"][0]["text"], r["cells"][1]["text"]] for r in rows],
                "classes": table["classes"]}
    table["columns"] = column_count(header, [r["cells"] for r in rows])
    table["widths"] = column_widths(table["columns"], [r["cells"] for r in rows], header)
    return table


#: Column weights are capped so that one long text column does not squeeze the others to nothing.
FR_MIN_CHARS = 3
FR_CAP_CHARS = 28
#: Inset and bold headers take about this many characters more than the text.
CELL_PAD_CHARS = 4


def column_widths(columns: int, rows: list[list[dict]], header: list[list[dict]] | None = None) -> list[int]:
    """Relative column widths (Typst ``fr``) from text lengths: per column the longest body text (cells spanning
    one column), at least the longest word of a one-row header, between :data:`FR_MIN_CHARS` and
    :data:`FR_CAP_CHARS`. So numbers, codes and statuses keep their line and long names wrap."""
    longest = [FR_MIN_CHARS] * columns
    heads = [header[0]] if header and len(header) == 1 else []
    for cells, words in [*[(h, True) for h in heads], *[(r, False) for r in rows]]:
        col = 0
        for cell in cells:
            span = max(1, int(cell.get("colspan", 1)))
            if span == 1 and col < columns:
                text = cell.get("text") or ""
                parts = text.split() if words else text.split("\n")
                longest[col] = max(longest[col], max((len(p) for p in parts), default=0))
            col += span
    return [min(n, FR_CAP_CHARS) + CELL_PAD_CHARS for n in longest]


def column_count(header: list[list[dict]], rows: list[list[dict]]) -> int:
    """Number of grid columns of a table whose rows use colspan/rowspan (cells covered by a rowspan from above
    take no cell of their own in the rows below)."""
    width = 0
    pending: dict[int, int] = {}  # column -> rows below the current one still covered by a rowspan
    for cells in [*header, *rows]:
        covered = {c for c, n in pending.items() if n > 0}
        fresh: dict[int, int] = {}
        col = 0
        for cell in cells:
            while col in covered:
                col += 1
            span = max(1, int(cell.get("colspan", 1)))
            rows_down = max(1, int(cell.get("rowspan", 1)))
            for k in range(col, col + span):
                if rows_down > 1:
                    fresh[k] = rows_down - 1
            col += span
        width = max(width, col, max(covered, default=-1) + 1)
        pending = {c: n - 1 for c, n in pending.items() if n - 1 > 0}
        pending.update(fresh)
    return width


def html_to_sections(html: str) -> list[dict]:
    """Read report HTML into sections of blocks (a ``<section>`` with its ``h2`` gives one titled section; other
    content goes into untitled ones)."""
    reader = _Reader()
    reader.feed(html or "")
    reader.close()
    out = []
    for sec in reader.sections:
        if not sec["blocks"] and not sec["title"]:
            continue
        sec["landscape"] = any(b.get("kind") == "table" and LANDSCAPE_CLASSES.intersection(b.get("classes") or ())
                               for b in sec["blocks"]) or False
        out.append(sec)
    return out


def html_to_section(html: str, section_id: str | None = None) -> dict:
    """One section from one display output's HTML: the first titled section, and the blocks of any others
    appended to it (a display output is one section in the report code)."""
    secs = html_to_sections(html)
    if not secs:
        return {"id": section_id, "title": None, "landscape": False, "blocks": []}
    first = dict(secs[0])
    first["blocks"] = list(first["blocks"])
    for other in secs[1:]:
        if other["title"]:
            first["blocks"].append({"kind": "heading", "level": 2, "text": other["title"]})
        first["blocks"].extend(other["blocks"])
        first["landscape"] = first["landscape"] or other["landscape"]
    if section_id is not None:
        first["id"] = section_id
    return first


def is_section(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("blocks"), list)


def _esc(value: Any) -> str:
    import html

    return html.escape("" if value is None else str(value), quote=True).replace("\n", "<br>")


def _cell_html(cell: dict, tag: str) -> str:
    attrs = ""
    if cell.get("class"):
        attrs += f' class="{_esc(cell["class"])}"'
    for key in ("colspan", "rowspan"):
        if int(cell.get(key, 1) or 1) > 1:
            attrs += f' {key}="{int(cell[key])}"'
    return f"<{tag}{attrs}>{_esc(cell.get('text'))}</{tag}>"


def block_html(b: dict) -> str:
    """The HTML of one block, in the vocabulary of tthc.report.tables (so the stylesheet styles it)."""
    kind = b.get("kind")
    if kind == "heading":
        level = max(2, min(4, int(b.get("level", 3))))
        return f"<h{level}>{_esc(b.get('text'))}</h{level}>"
    if kind in ("paragraph", "note"):
        text = _esc(b.get("text"))
        if b.get("strong"):
            text = f"<strong>{text}</strong>"
        cls = "note" + (" " + b["style"] if b.get("style") else "") if kind == "note" else (b.get("style") or "")
        return f'<p class="{_esc(cls)}">{text}</p>' if cls else f"<p>{text}</p>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in b.get("items") or []) + "</ul>"
    if kind == "key_values":
        rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in b.get("items") or [])
        return f'<table class="tthc-table meta"><tbody>{rows}</tbody></table>'
    if kind == "table":
        cls = " ".join(["tthc-table", *[c for c in b.get("classes") or [] if c != "tthc-table"]])
        cap = f"<caption>{_esc(b['caption'])}</caption>" if b.get("caption") else ""
        head = "".join("<tr>" + "".join(_cell_html(c, "th") for c in row) + "</tr>" for row in b.get("header") or [])
        body = "".join((f'<tr class="{_esc(r["class"])}">' if r.get("class") else "<tr>")
                       + "".join(_cell_html(c, "th" if c.get("th") else "td") for c in r.get("cells") or [])
                       + "</tr>" for r in b.get("rows") or [])
        return (f'<table class="{_esc(cls)}">{cap}' + (f"<thead>{head}</thead>" if head else "")
                + f"<tbody>{body}</tbody></table>")
    if kind == "text":
        return f'<pre class="tthc-text">{_esc(b.get("text"))}</pre>'
    return ""


def section_html(section: dict) -> str:
    """A section's HTML from its blocks (``show_section``): ``<section class="tthc-section">`` with its ``h2``."""
    title = f"<h2>{_esc(section['title'])}</h2>" if section.get("title") else ""
    return f'<section class="tthc-section">{title}{"".join(block_html(b) for b in section.get("blocks") or [])}' \
           "</section>"


def make_table(columns: list[str], rows: list[list[Any]], *, num_cols: set[int] = frozenset(),
               classes: tuple[str, ...] = (), caption: str | None = None, row_classes: list[str] | None = None) -> dict:
    """A table block from plain values (one header row): the structured variant of ``tables.simple_table``."""
    header = [[{"text": str(c), "colspan": 1, "rowspan": 1, "class": "", "th": True} for c in columns]]
    body = [{"class": (row_classes or [""] * len(rows))[i],
             "cells": [{"text": "" if v is None else str(v), "colspan": 1, "rowspan": 1,
                        "class": "num" if j in num_cols else "", "th": False} for j, v in enumerate(r)]}
            for i, r in enumerate(rows)]
    return _finish_table({"kind": "table", "classes": ["tthc-table", *classes], "caption": caption,
                          "header": header, "rows": body})
