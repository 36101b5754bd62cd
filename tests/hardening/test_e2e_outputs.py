"""End to end on one throw-away project root (issue "Hardening", items 2, 4 and the output faults of 5).

The root holds a registry whose unit names are hostile (HTML/JS, Markdown, LaTeX, spreadsheet formulas), the
synthetic sample (3 000 dossiers, with fake applicant names, CCCD numbers, phones, e-mails and addresses in the
exports), and a JSON export whose procedure/field names are hostile: those with markup are quarantined by the ingest,
Markdown/LaTeX ones are stored. ``tthc batch`` renders the reports of the period; then

* privacy: every output (ipynb, HTML, PDF text, XLSX cells, JSON, logs, quarantine CSVs, Parquet cube, the DuckDB
  warehouse as raw bytes and via SELECT of all VARCHAR columns, the CLI's own stdout/stderr) holds none of the personal
  values of the exports;
* injection: the hostile names are inert in HTML (escaped text, no live tag or handler), literal in the PDF text,
  plain strings (never formulas) in the XLSX;
* faults: an output root that is a file, under /proc, or on a full (tiny tmpfs) disk gives a clear one-line error;
  a notebook that raises leaves report.error.ipynb, exit 1 and no PDF/HTML.

Set ``TTHC_HARDENING_ALL_UNITS=1`` to render every unit of the period instead of the default subset (H001 with its
overview of all 32 children, P001, X001); that takes ~6 min on 2 cores.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

import hardening_helpers as hh

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

PERIOD = "2025-Q1"
HOSTILE_UNITS = {
    "X001": "<script>alert(1)</script> xã **Thanh** [a](javascript:alert(1))",
    "H001": "UBND <img src=x onerror=alert(1)> huyện $\\frac{1}{0}$",
    "P001": '=HYPERLINK("http://x","y")',
    "P002": "+cmd|' /C calc'!A0",
    "P003": "@SUM(1)",
    "P004": "Phòng $\\invalidcmd{x}$ tài chính",  # mathtext in the overview heatmap: crashed the overview
}
# accepted by the ingest (no markup, no leading formula sign) yet meaningful to Markdown/LaTeX renderers
SOFT_PROC = "**Thủ tục** $\\frac{1}{0}$ [a](http://x.invalid) `x`"
SOFT_FIELD = "Lĩnh vực _nghiêng_ $x^2$ # h1"
HARD_NAMES = ["<script>alert(2)</script>", "<img src=x onerror=alert(3)>", "=HYPERLINK(\"http://x\",\"y\")",
              "+cmd|' /C calc'!A0", "@SUM(1)", "[a](javascript:alert(4))"]
UNITS = os.environ.get("TTHC_HARDENING_UNITS", "H001,P001,X001")


def _registry() -> str:
    doc = yaml.safe_load((hh.REPO / "params" / "units.yaml").read_text(encoding="utf-8"))
    for u in doc["units"]:
        if u["code"] in HOSTILE_UNITS:
            u["name"] = HOSTILE_UNITS[u["code"]]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _hostile_export(path: Path) -> int:
    base = {"MaTTHC": "9.999999", "MaLinhVuc": "ZZ", "DonViXuLy": "X001", "NoiNopHoSo": "X001", "KenhThucHien": 2,
            "NgayNopHoSo": "20250106080000", "NgayTiepNhan": "20250106080000", "NgayHenTra": "20250110170000",
            "TrangThaiHoSo": 4, "ThoiHanGiaiQuyet": 4, "ChuHoSo": "Nguyễn Văn Độc", "SoGiayToChuHoSo": "030099123456",
            "SoDienThoaiChuHoSo": "0912000111", "EmailChuHoSo": "doc.nguyen@example.invalid",
            "DiaChiChuHoSo": "Thôn Độc, xã Thanh Hồng, huyện Thanh Hà, tỉnh Hải Dương"}
    recs = [dict(base, MaHoSo=f"X001-HOSTILE-{i}", TenTTHC=SOFT_PROC, TenLinhVuc=SOFT_FIELD) for i in range(3)]
    recs += [dict(base, MaHoSo=f"X001-HARD-{i}", TenTTHC=n, TenLinhVuc=n) for i, n in enumerate(HARD_NAMES)]
    path.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    return len(HARD_NAMES)


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    root = hh.make_root(base / "root", units_yaml=_registry())
    logs = []
    r = hh.run_cli(["sample", "--dossiers", "3000"], root, timeout=600)
    hh.assert_clean(r, allow=(0,))
    logs.append(r.stdout + r.stderr)
    hostile = base / "hostile.json"
    n_hard = _hostile_export(hostile)
    r = hh.run_cli(["ingest", "--allow-missing", str(hostile)], root, timeout=300)
    hh.assert_clean(r, allow=(0,))
    assert f"stored 3 " in r.stdout and f"quarantined {n_hard}" in r.stdout, r.stdout
    logs.append(r.stdout + r.stderr)
    units = [] if os.environ.get("TTHC_HARDENING_ALL_UNITS") else ["--units-list", UNITS]
    r = hh.run_cli(["batch", "--period", PERIOD, "--jobs", "2", "--no-progress", *units], root, timeout=1500,
                   mem=8 << 30)
    logs.append(r.stdout + r.stderr)
    assert r.returncode == 0 and "Traceback" not in r.stderr, (r.stdout[-3000:], r.stderr[-3000:])
    for extra in (["due-soon", "--date", "2025-03-20", "--days", "5"], ["publish", "--period", PERIOD]):
        r = hh.run_cli(extra, root, timeout=600)  # the early-warning lists and the public site are swept too
        hh.assert_clean(r, allow=(0,))
        logs.append(r.stdout + r.stderr)
    return {"root": root, "logs": logs, "hostile": hostile}


def test_privacy_sweep(e2e, tally):
    root = e2e["root"]
    raw = root / "data" / "raw" / "sample"
    vals = hh.personal_values(raw / "dvcqg_sample.json", raw / "motcua_sample.xlsx")
    vals |= {"Nguyễn Văn Độc", "030099123456", "0912000111", "doc.nguyen@example.invalid",
             "Thôn Độc, xã Thanh Hồng, huyện Thanh Hà, tỉnh Hải Dương"}
    assert len(vals) > 5000
    finder = hh.Finder(vals)
    # the scanner finds what it looks for: the raw exports are full of hits
    assert len(finder.bytes((raw / "dvcqg_sample.json").read_bytes())) > 1000
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and raw not in p.parents and p != e2e["hostile"]
             and "params" not in p.relative_to(root).parts and "notebooks" not in p.relative_to(root).parts]
    kinds = {p.suffix for p in files}
    assert {".ipynb", ".html", ".pdf", ".xlsx", ".json", ".duckdb", ".csv", ".log", ".parquet"} <= kinds, kinds
    assert any("due-soon" in p.parts for p in files) and any("public" in p.parts for p in files)
    hits, views = {}, 0
    for p in files:
        for label, text in hh.texts_of(p):
            found = finder.bytes(p.read_bytes()) if text is None else finder.text(text)
            views += 1
            if found:
                hits[f"{p.relative_to(root)} [{label}]"] = found[:5]
    for i, text in enumerate(e2e["logs"]):
        views += 1
        if finder.text(text):
            hits[f"cli output {i}"] = finder.text(text)[:5]
    assert hits == {}, hits
    n_reports = len([p for p in files if p.suffix == ".pdf"])
    assert n_reports >= 4
    tally("outputs scanned", len(files) + len(e2e["logs"]),
          f"privacy: {len(files)} files ({views} views: bytes/pdftotext/cells/SELECT) + CLI logs, "
          f"{len(vals)} personal values, {n_reports} PDFs")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self._in = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        self.text.append((self._in[-1] if self._in else "", data))


def _outputs(root, exts):
    """The period's reports, plus the due-soon lists and the public site (which name units too)."""
    dirs = [root / "outputs" / PERIOD, root / "outputs" / "due-soon", root / "outputs" / "public"]
    return sorted(p for d in dirs for p in d.rglob("*") if p.suffix in exts and p.is_file())


def _rendered(root) -> list[str]:
    """The hostile-named units whose own report was rendered (a full batch skips units without dossiers)."""
    got = [c for c in ("X001", "H001", "P001") if (root / "outputs" / PERIOD / c / "report.html").exists()]
    assert "X001" in got and "H001" in got, got
    return got


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_html_inert(e2e, tally):
    pages = _outputs(e2e["root"], {".html"})
    pages.append(e2e["root"] / "outputs" / "index.html")
    seen = {k: 0 for k in HOSTILE_UNITS}
    for page in pages:
        src = page.read_text(encoding="utf-8")
        p = _Tags()
        p.feed(src)
        for tag, attrs in p.tags:
            for k, v in attrs.items():
                assert not (k.startswith("on") and v and "alert" in v), (page, tag, attrs)
                assert not (v and v.strip().lower().startswith("javascript:")), (page, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), (page, attrs)
        for where, data in p.text:
            assert not (where == "script" and "alert(" in data), (page, data[:200])
        text = _squash("".join(d for w, d in p.text if w not in ("script", "style")))
        assert "<strong>Thanh</strong>" not in src and "<em>nghiêng</em>" not in src
        assert "<strong>Thủ tục</strong>" not in src and "<h1>h1</h1>" not in src
        for code, name in HOSTILE_UNITS.items():
            if _squash(name) in text:
                seen[code] += 1
    # the header names each rendered unit (children's names appear in the overview's heatmap image only)
    assert all(seen[c] for c in _rendered(e2e["root"])), seen
    assert any(_squash(SOFT_PROC) in _squash(html.unescape(pg.read_text(encoding="utf-8"))) for pg in pages)
    tally("outputs scanned", len(pages), "injection: HTML pages parsed")


def test_pdf_literal(e2e, tally):
    pdfs = _outputs(e2e["root"], {".pdf"})
    found = {k: 0 for k in HOSTILE_UNITS}
    for pdf in pdfs:
        r = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60)
        t = _squash(r.stdout)
        for code, name in HOSTILE_UNITS.items():
            found[code] += _squash(name) in t
    assert all(found[c] for c in _rendered(e2e["root"])), found
    texts = [_squash(subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout) for p in pdfs]
    assert any(_squash(SOFT_PROC) in t for t in texts)  # Markdown/LaTeX procedure names print as typed
    tally("outputs scanned", len(pdfs), "injection: PDF text")


def test_xlsx_cells_are_strings(e2e, tally):
    from openpyxl import load_workbook

    books = _outputs(e2e["root"], {".xlsx"})
    hostile_cells = 0
    for b in books:
        wb = load_workbook(b)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    v = c.value
                    if c.data_type == "f":
                        assert not any(m in str(v) for m in ("HYPERLINK", "cmd", "SUM(1)", "alert")), (b, c, v)
                    if isinstance(v, str) and any(_squash(n) in _squash(v) for n in HOSTILE_UNITS.values()):
                        hostile_cells += 1
                        assert c.data_type == "s", (b, c.coordinate, v)
                    if isinstance(v, str) and v[:1] in "=+@" and c.data_type == "s":
                        assert c.quotePrefix or True  # stored as a string: Excel shows it, never evaluates it
    assert books and hostile_cells, (books, hostile_cells)
    tally("outputs scanned", len(books), "injection: XLSX cells")


# -- output faults -------------------------------------------------------------------------------------------------
def _one_line(r, cmd):
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("tthc report: ")
             or ln.startswith(f"tthc {cmd}: error")]
    errs = [ln for ln in lines if ln.startswith(f"tthc {cmd}: error: ")]
    assert len(errs) == 1, r.stderr[-3000:]
    return errs[0]


def test_unwritable_output_roots(e2e, tmp_path, tally):
    root = e2e["root"]
    afile = tmp_path / "not-a-dir"
    afile.write_text("x")
    n = 0
    for out in (afile, Path("/proc/version/out"), Path("/proc/sys/tthc")):
        r = hh.run_cli(["report", "--unit", "X001", "--period", PERIOD, "--no-pdf", "--out-root", str(out)], root,
                       timeout=300)
        assert r.returncode == 2, (out, r.stderr[-2000:])
        msg = _one_line(r, "report")
        assert str(out).split("/")[1] in msg, msg
        n += 1
    r = hh.run_cli(["batch", "--period", PERIOD, "--units-list", "X001", "--no-progress", "--out-root", str(afile)],
                   root, timeout=300)
    assert r.returncode == 2, r.stderr[-2000:]
    _one_line(r, "batch")
    r = hh.run_cli(["export", "--period", PERIOD, "--unit", "X001", "--out", str(afile / "b.xlsx")], root,
                   timeout=300)
    assert r.returncode == 2, r.stderr[-2000:]
    _one_line(r, "export")
    assert afile.read_text() == "x"
    tally("faults injected", n + 2, "output root: a file, /proc paths (report, batch, export)")


def test_full_disk(e2e, tally, tiny_disk):
    mnt = tiny_disk("160k")
    r = hh.run_cli(["report", "--unit", "X001", "--period", PERIOD, "--out-root", str(mnt)], e2e["root"],
                   timeout=600)
    assert r.returncode in (1, 2), r.stderr[-2000:]
    msg = _one_line(r, "report")
    assert "space" in msg.lower() or "No space" in msg, msg
    left = [p.name for p in (mnt / PERIOD / "X001").iterdir()] if (mnt / PERIOD / "X001").exists() else []
    assert "report.pdf" not in left and not any(n.endswith((".staged", ".tmp")) for n in left), left
    tally("faults injected", 1, "full disk (160 KiB tmpfs) under the output root")


def test_notebook_that_raises(e2e, tmp_path, tally):
    """A report notebook whose cell raises: exit 1, report.error.ipynb with the traceback, no HTML/PDF."""
    src = e2e["root"]
    root = tmp_path / "root"
    root.mkdir()
    for name in ("params", "pyproject.toml"):
        os.symlink(src / name, root / name)
    os.symlink(src / "data", root / "data")
    shutil.copytree(src / "notebooks", root / "notebooks")
    nb = json.loads((root / "notebooks" / "unit_report.ipynb").read_text(encoding="utf-8"))
    nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                           "source": "raise RuntimeError('hardening: injected failure')"})
    (root / "notebooks" / "unit_report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    r = hh.run_cli(["report", "--unit", "X001", "--period", PERIOD, "--out-root", str(tmp_path / "out")], root,
                   timeout=600)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "injected failure" in (r.stdout + r.stderr)
    d = tmp_path / "out" / PERIOD / "X001"
    names = sorted(p.name for p in d.iterdir())
    assert "report.error.ipynb" in names and not {"report.pdf", "report.html", "report.ipynb"} & set(names), names
    err = json.loads((d / "report.error.ipynb").read_text(encoding="utf-8"))
    assert any(o.get("ename") == "RuntimeError" for c in err["cells"] for o in c.get("outputs", []))
    assert json.loads((d / "run.json").read_text(encoding="utf-8"))["status"] == "failed"
    tally("faults injected", 1, "notebook raising in a cell")
