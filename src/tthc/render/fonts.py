"""Font checks for rendered PDFs: which fonts got embedded, and do they cover Vietnamese.

Coverage is checked, never guessed: fontconfig's ``fc-list :lang=vi`` lists the families whose charset covers
Vietnamese (DejaVu Sans Mono is not among them: it lacks ế ả ở). ``pdffonts`` (poppler-utils) lists what a PDF
embeds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from ..errors import TthcError

#: Families the report stylesheet names, in order of preference (serif body; sans tables).
SERIF_FAMILIES = ("Liberation Serif", "Noto Serif", "DejaVu Serif")
SANS_FAMILIES = ("Liberation Sans", "Noto Sans", "DejaVu Sans")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise TthcError(f"'{name}' not found: install poppler-utils / fontconfig (tools/system-deps.sh)")
    return path


def check_pdf_fonts(pdf_path: str | Path) -> list[str]:
    """Names of the fonts embedded in ``pdf_path`` (subset prefix ``ABCDEF+`` removed), in ``pdffonts`` order.
    Raises TthcError if a font is used without being embedded (the PDF would not look the same elsewhere)."""
    out = subprocess.run([_tool("pdffonts"), str(pdf_path)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    names = []
    for line in lines[2:]:  # header + dashes
        if not line.strip():
            continue
        # name, type (may contain spaces), encoding, emb, sub, uni, object id, gen
        m = re.match(r"^(\S+)\s+.*?\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if not m:
            raise TthcError(f"{pdf_path}: cannot read pdffonts line: {line!r}")
        name, embedded = m.group(1), m.group(2) == "yes"
        name = re.sub(r"^[A-Z]{6}\+", "", name)
        if not embedded:
            raise TthcError(f"{pdf_path}: font {name} is not embedded")
        names.append(name)
    return names


@lru_cache(maxsize=1)
def vietnamese_families() -> frozenset[str]:
    """Font families fontconfig reports as covering Vietnamese (``fc-list :lang=vi family``)."""
    out = subprocess.run([_tool("fc-list"), ":lang=vi", "family"], capture_output=True, text=True, check=True).stdout
    fams = set()
    for line in out.splitlines():
        for fam in line.split(","):
            if fam.strip():
                fams.add(fam.strip())
    return frozenset(fams)


def _family_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


_STYLE_SUFFIX = re.compile(r"[-,]?(Bold|Italic|Oblique|Regular|Book|BoldItalic|BoldOblique|Condensed|Light|"
                           r"ExtraLight)+$")


def family_of(pdf_font_name: str) -> str:
    """'Liberation-Serif-Bold-Italic' → 'Liberation-Serif' (style words stripped), for matching fontconfig."""
    name = re.sub(r"^[A-Z]{6}\+", "", pdf_font_name)
    prev = None
    while prev != name:
        prev = name
        name = _STYLE_SUFFIX.sub("", name)
    return name


def fonts_without_vietnamese(pdf_path: str | Path) -> list[str]:
    """Embedded fonts of ``pdf_path`` that are monospace or whose family lacks Vietnamese coverage (empty = good)."""
    vi = {_family_key(f) for f in vietnamese_families()}
    bad = []
    for name in check_pdf_fonts(pdf_path):
        fam = _family_key(family_of(name))
        if "mono" in fam or fam not in vi:
            bad.append(name)
    return bad


def pdf_text(pdf_path: str | Path, page: int | None = None, layout: bool = True) -> str:
    """Text of a PDF (or of one 1-based page) via ``pdftotext``: physical layout kept, or reading order."""
    args = [_tool("pdftotext"), "-enc", "UTF-8"] + (["-layout"] if layout else [])
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(args + [str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf_path: str | Path) -> list[tuple[float, float]]:
    """Page sizes in points [(width, height)] via ``pdfinfo -f 1 -l N``."""
    info = subprocess.run([_tool("pdfinfo"), str(pdf_path)], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    out = subprocess.run([_tool("pdfinfo"), "-f", "1", "-l", str(n), str(pdf_path)], capture_output=True, text=True,
                         check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out, re.M)]


def pdf_words(pdf_path: str | Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """Words of one page with their boxes ``(x_min, x_max, y_min, y_max, word)`` in PDF points
    (``pdftotext -bbox``)."""
    out = subprocess.run([_tool("pdftotext"), "-bbox", "-f", str(page), "-l", str(page), str(pdf_path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(a), float(c), float(b), float(d), w) for a, b, c, d, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', out)]


def pdf_outline(pdf_path: str | Path) -> list[tuple[int, str]]:
    """The PDF's bookmarks in order as ``(level, title)`` (level 1 = top), via ``pdftohtml -xml``."""
    import html as _html

    out = subprocess.run([_tool("pdftohtml"), "-xml", "-i", "-q", "-stdout", str(pdf_path)], capture_output=True,
                         text=True, check=True).stdout
    found, level = [], 0
    for m in re.finditer(r"<outline>|</outline>|<item[^>]*>(.*?)</item>", out, re.S):
        tok = m.group(0)
        if tok == "<outline>":
            level += 1
        elif tok == "</outline>":
            level -= 1
        else:
            found.append((level, _html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()))
    return found


def pdf_image_pages(pdf_path: str | Path) -> list[int]:
    """Pages that show at least one image (``pdfimages -list``)."""
    out = subprocess.run([_tool("pdfimages"), "-list", str(pdf_path)], capture_output=True, text=True,
                         check=True).stdout
    return sorted({int(line.split()[0]) for line in out.splitlines()[2:] if line.strip()})
