"""The report PDF through the Typst typesetter (the compiler ships inside the ``typst`` wheel; no network).

The PDF is drawn from data, not from HTML layout: :func:`notebook_document` collects the report metadata, the
letterhead settings and each shown output's structured section (``application/vnd.tthc.section+json``, see
:mod:`tthc.render.blocks`; HTML outputs without it are read into the same blocks), and :func:`compile_pdf` hands
that data and the chart images to the one template ``templates/tthc.typ``, which holds the whole print look.

Fonts: only the Liberation / Noto / DejaVu serif and sans files fontconfig lists with Vietnamese coverage are given
to Typst (no system scan, none of Typst's bundled fonts), and the template turns font fallback off, so a PDF can
only embed fonts that cover Vietnamese. The font set is loaded once per process (batch workers compile many PDFs).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from ..errors import TthcError
from . import blocks, layout
from .fonts import SANS_FAMILIES, SERIF_FAMILIES

TEMPLATE = Path(__file__).with_name("templates") / "tthc.typ"
#: Debian's font folders, used when fontconfig cannot name the files.
FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
             "/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu")
_IMAGE_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}


@lru_cache(maxsize=1)
def template_text() -> bytes:
    return TEMPLATE.read_bytes()


@lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """The files of the serif and sans families the template names (fontconfig's answer, so the families are
    exactly those ``fc-list`` knows); the Debian folders when fontconfig is missing."""
    wanted = {f.lower() for f in (*SERIF_FAMILIES, *SANS_FAMILIES)}
    fc = shutil.which("fc-list")
    files: list[str] = []
    if fc:
        out = subprocess.run([fc, ":lang=vi", "family", "file"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            path, _, fams = line.partition(": ")
            if any(f.strip().lower() in wanted for f in fams.split(",")) and "mono" not in path.lower():
                files.append(path.strip())
    if not files:
        files = [d for d in FONT_DIRS if Path(d).is_dir()]
    if not files:
        raise TthcError("no Vietnamese fonts found: install fonts-liberation2 / fonts-noto-core "
                        "(tools/system-deps.sh)")
    return tuple(sorted(set(files)))


@lru_cache(maxsize=1)
def font_dir() -> str:
    """A folder holding links to exactly :func:`font_files` (Typst reads fonts by folder), removed at exit."""
    import atexit

    files = font_files()
    if all(Path(f).is_dir() for f in files):
        return ""
    folder = tempfile.mkdtemp(prefix="tthc-fonts-")
    atexit.register(shutil.rmtree, folder, True)
    for i, f in enumerate(files):
        (Path(folder) / f"{i:03d}-{Path(f).name}").symlink_to(f)
    return folder


@lru_cache(maxsize=1)
def fonts():
    """Typst's font book for the report fonts, built once per process."""
    import typst

    folder = font_dir()
    paths = [folder] if folder else list(font_files())
    book = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=paths)
    if not set(SERIF_FAMILIES).intersection(book.families()):
        raise TthcError(f"none of the report fonts {', '.join(SERIF_FAMILIES)} could be loaded: install "
                        "fonts-liberation2 / fonts-noto-core (tools/system-deps.sh)")
    return book


# ----------------------------------------------------------------------------------------------------------------
# Document data


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(value)
    return "" if value is None else str(value)


def _s(value: Any) -> str | None:
    return layout._s(value)


def front_matter(meta: Mapping, lh: Mapping, lang: str) -> dict:
    """The first-page block as plain strings (the template lays it out; nothing configured is invented)."""
    lab = layout.LABELS[lang]
    so = lh.get("so_ky_hieu")
    return {
        "cqcq": _s(lh.get("co_quan_chu_quan")), "cqbh": _s(lh.get("co_quan_ban_hanh")),
        "so_label": lab["so"], "so": str(so).strip("\n") if _s(so) else None,
        "quoc_hieu": lab["quoc_hieu"], "tieu_ngu": lab["tieu_ngu"],
        "place_date": layout.place_date(_s(lh.get("dia_danh")), layout._date_of(meta, lh), lang),
        "doc_type": lab["doc_type"], "subject": _s(meta.get("subject")) or _s(meta.get("title")),
    }


def closing(lh: Mapping, lang: str) -> dict | None:
    """Recipients and signer; None when neither is configured."""
    recipients = [_s(r) for r in (lh.get("noi_nhan") or []) if _s(r)]
    signer = {k: _s(v) for k, v in (lh.get("nguoi_ky") or {}).items()}
    if not recipients and not any(signer.values()):
        return None
    return {"noi_nhan_label": layout.LABELS[lang]["noi_nhan"], "noi_nhan": recipients,
            "quyen_han": signer.get("quyen_han"), "chuc_vu": signer.get("chuc_vu"), "ho_ten": signer.get("ho_ten")}


class _Collector:
    """Sections in document order, and the images they name (file name → bytes)."""

    def __init__(self):
        self.sections: list[dict] = []
        self.images: dict[str, bytes] = {}

    def image(self, data: bytes, ext: str) -> str:
        name = f"img{len(self.images) + 1}{ext}"
        self.images[name] = data
        return name

    def add(self, section: dict) -> None:
        section = {"id": section.get("id"), "title": section.get("title"),
                   "landscape": bool(section.get("landscape")), "blocks": [self._block(b) for b in
                                                                           section.get("blocks") or []]}
        section["blocks"] = [b for b in section["blocks"] if b is not None]
        if not section["title"] and not section["blocks"]:
            return
        last = self.sections[-1] if self.sections else None
        # Untitled content (a chart, a note under a table) continues the section before it on the same page kind.
        if not section["title"] and last is not None and last["landscape"] == section["landscape"]:
            last["blocks"].extend(section["blocks"])
            return
        self.sections.append(section)

    def _block(self, b: dict) -> dict | None:
        if b.get("kind") != "chart":
            return b
        if b.get("image") and b["image"] in self.images:
            return b
        src = b.get("src") or ""
        m = re.match(r"data:(image/[a-z+]+);base64,(.*)$", src, re.S)
        if b.get("svg"):
            return {**b, "image": self.image(_text(b["svg"]).encode("utf-8"), ".svg"), "svg": None}
        if m and m.group(1) in _IMAGE_EXT:
            try:
                data = base64.b64decode(m.group(2))
            except (binascii.Error, ValueError):
                return None
            return {"kind": "chart", "image": self.image(data, _IMAGE_EXT[m.group(1)]), "alt": b.get("alt") or "",
                    "data": b.get("data")}
        return None  # a remote or unreadable image never reaches the PDF


def _markdown_sections(source: str) -> list[dict]:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return blocks.html_to_sections(markdown2html_mistune(source))


def _output_sections(out, col: _Collector, is_report: bool, chart_alt: str) -> None:
    kind = out.get("output_type")
    if kind == "stream":
        if out.get("name") == "stdout" and not is_report and _text(out.get("text")).strip():
            col.add({"blocks": [{"kind": "text", "text": _text(out.get("text")).rstrip("\n")}]})
        return
    if kind == "error":
        col.add({"blocks": [{"kind": "text", "text": f"{out.get('ename')}: {out.get('evalue')}"}]})
        return
    data = out.get("data") or {}
    if blocks.SECTION_MIMETYPE in data and blocks.is_section(data[blocks.SECTION_MIMETYPE]):
        col.add(data[blocks.SECTION_MIMETYPE])
        return
    if "text/html" in data:
        for sec in blocks.html_to_sections(_text(data["text/html"])):
            col.add(sec)
        return
    if "text/markdown" in data:
        for sec in _markdown_sections(_text(data["text/markdown"])):
            col.add(sec)
        return
    for mime in ("image/svg+xml", "image/png", "image/jpeg"):
        if mime in data:
            raw = _text(data[mime])
            payload = raw.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(raw)
            col.add({"blocks": [{"kind": "chart", "image": col.image(payload, _IMAGE_EXT[mime]), "alt": chart_alt,
                                 "data": data.get(blocks.CHART_MIMETYPE)}]})
            return
    if "text/plain" in data and not is_report:
        col.add({"blocks": [{"kind": "text", "text": _text(data["text/plain"])}]})


def notebook_document(nb, name: str | None = None, settings: Mapping | None = None) -> tuple[dict, dict]:
    """``(data, images)`` for the template from an executed notebook (report or any other)."""
    meta = layout.doc_meta(nb)
    is_report = meta is not None
    lang = layout.lang_of(meta)
    col = _Collector()
    chart_alt = layout.LABELS[lang]["chart_alt"]
    for cell in layout.kept_cells(nb):
        if cell.get("cell_type") == "markdown":
            for sec in _markdown_sections(_text(cell.get("source"))):
                col.add(sec)
        elif cell.get("cell_type") == "code":
            for out in cell.get("outputs") or []:
                if layout.shown(out, is_report):
                    _output_sections(out, col, is_report, chart_alt)
    return _document(meta, name, settings, col), col.images


def html_document(html: str, settings: Mapping | None = None) -> tuple[dict, dict]:
    """``(data, images)`` from report HTML written by the HTML exporter (its report metadata travels in a
    ``<meta name="tthc-report">`` tag) or from any other HTML (rendered generically)."""
    meta = None
    m = re.search(r'<meta name="tthc-report" content="([^"]*)"', html[:200000])
    if m:
        import html as _html

        try:
            meta = json.loads(_html.unescape(m.group(1)))
        except ValueError:
            meta = None
    col = _Collector()
    for sec in blocks.html_to_sections(html):
        col.add(sec)
    title = re.search(r"<title>(.*?)</title>", html[:20000], re.S)
    import html as _html

    return _document(meta, _html.unescape(title.group(1)).strip() if title else None, settings, col), col.images


def _document(meta: Mapping | None, name: str | None, settings: Mapping | None, col: _Collector) -> dict:
    lang = layout.lang_of(meta)
    title = layout.document_title(meta, name)
    data = {
        "lang": lang, "labels": layout.LABELS[lang], "title": title,
        "author": [_s(meta.get("unit_name"))] if meta and _s(meta.get("unit_name")) else [],
        "keywords": (["tthc", str(meta.get("period") or ""), f"data {meta['data_hash']}"]
                     if meta and _s(meta.get("data_hash")) else ["tthc"]),
        "synthetic": layout.is_synthetic(meta),
        "running": layout.running_header(meta, title) if meta else None,
        "front": None, "closing": None, "sections": col.sections,
    }
    if meta is not None:
        lh = layout.report_letterhead(meta, settings, lang)
        data["front"] = front_matter(meta, lh, lang)
        data["closing"] = closing(lh, lang)
    return data


# ----------------------------------------------------------------------------------------------------------------
# Compile


def compile_pdf(data: Mapping, images: Mapping[str, bytes] | None = None, target: str | Path | None = None,
                fmt: str = "pdf") -> bytes | None:
    """Typeset ``data`` with the report template; write ``target`` (None: return the bytes)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="tthc-typst-") as tmp:
        root = Path(tmp)
        (root / "main.typ").write_bytes(template_text())
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
        for fname, payload in (images or {}).items():
            (root / fname).write_bytes(payload)
        try:
            compiler = typst.Compiler(str(root / "main.typ"), root=str(root), font_paths=fonts())
            pdf = compiler.compile(format=fmt)
        except typst.TypstError as exc:  # a template or data fault: one line, not a Rust trace
            raise TthcError(f"PDF typesetting failed: {getattr(exc, 'message', exc)}") from None
    if isinstance(pdf, list):  # png/svg: one item per page
        return pdf
    if target is not None:
        Path(target).write_bytes(pdf)
        return None
    return pdf
