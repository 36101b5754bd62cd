"""tthc report end to end, the error path, run.json and the stamp."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import sampleroot
from report_helpers import root_with_cell

TTHC = [sys.executable, "-m", "tthc.cli"]


def cli(args, root: Path, **env_extra):
    env = sampleroot.env_for(root)
    env.update(env_extra)
    return subprocess.run([*TTHC, *args], env=env, cwd=root, capture_output=True, text=True, timeout=900)


def failing_root(tmp_path: Path, sample_root: Path) -> Path:
    """A project root whose unit notebook raises in its third cell; data from the shared sample warehouse."""
    return root_with_cell(tmp_path, sample_root, 'raise ValueError("công thức hỏng")')


def test_failed_execution_leaves_error_notebook_and_no_pdf(tmp_path, sample_root):
    root = failing_root(tmp_path, sample_root)
    out = tmp_path / "out"
    stale = out / "2025-Q1" / "X001"
    stale.mkdir(parents=True)
    for name in ("report.pdf", "report.html", "bieu06.xlsx"):
        (stale / name).write_text("from an older run")
    r = cli(["report", "--unit", "X001", "--period", "2025-Q1", "--out-root", str(out)], root,
            TTHC_WAREHOUSE=str(sample_root / "data" / "warehouse.duckdb"))
    assert r.returncode == 1, r.stderr
    assert "ValueError: công thức hỏng" in r.stdout and "report.error.ipynb" in r.stdout
    files = sorted(p.name for p in stale.iterdir())
    # nothing half-written; files of an older run stay until a new run is complete (issue #18: never lose an output)
    assert files == ["bieu06.xlsx", "report.error.ipynb", "report.html", "report.pdf", "run.json"]
    assert (stale / "report.pdf").read_text() == "from an older run"
    err = nbformat.read(stale / "report.error.ipynb", as_version=4)
    tb = [o for c in err.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert tb and tb[0]["ename"] == "ValueError"
    run = json.loads((stale / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "failed" and "công thức hỏng" in run["error"]
    assert run["parameters"] == {"unit": "X001", "period": "2025-Q1", "window": "calendar", "lang": "vi"}


def test_papermill_receives_strings_not_ints(tmp_path, sample_root, monkeypatch):
    """A unit code like "007" would become the int 7 through `papermill -p`; the runner passes a dict."""
    from tthc.report.params import ReportParams

    p = ReportParams(unit="007", period="2025", window="calendar", lang="vi")
    assert p.papermill() == {"unit": "007", "period": "2025", "window": "calendar", "lang": "vi"}
    assert all(isinstance(v, str) for v in p.papermill().values())


@pytest.mark.slow
def test_end_to_end_commune_and_district(tmp_path, sample_root):
    out = tmp_path / "out"
    r = cli(["report", "--unit", "X001", "--period", "2025-Q1", "--out-root", str(out)], sample_root)
    assert r.returncode == 0, r.stderr[-3000:]
    d = out / "2025-Q1" / "X001"
    assert sorted(p.name for p in d.iterdir()) == ["bieu06.xlsx", "report.html", "report.ipynb", "report.pdf",
                                                  "run.json"]
    assert "executing unit_report.ipynb" in r.stderr
    run = json.loads((d / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "ok" and run["parameters"]["unit"] == "X001"
    assert len(run["stamp"]) == 64 and len(run["data_hash"]) == 64
    assert set(run["stamp_parts"]) == {"parameters", "notebooks", "package", "config", "data", "environment"}
    assert run["git_commit"] == "unknown" or len(run["git_commit"]) == 40
    assert {"validate", "execute_report", "html_report", "pdf_report", "xlsx", "total"} <= set(run["timings"])
    assert run["meta"]["synthetic"] is True
    nb = nbformat.read(d / "report.ipynb", as_version=4)
    assert nb.metadata["tthc"]["unit"] == "X001" and nb.metadata["tthc"]["period_label"] == "Quý I năm 2025"
    html = (d / "report.html").read_text(encoding="utf-8")
    assert "UBND xã Thanh An" in html and "Biểu số 06" in html
    text = subprocess.run(["pdftotext", str(d / "report.pdf"), "-"], capture_output=True, text=True).stdout
    text = " ".join(text.split())  # table cells wrap
    for s in ("UBND xã Thanh An", "Quý I năm 2025", "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "Chưa đạt",
              "Bộ chỉ số 766"):
        assert s in text
    fonts = subprocess.run(["pdffonts", str(d / "report.pdf")], capture_output=True, text=True).stdout
    assert "DejaVuSansMono" not in fonts.replace(" ", "") and "DejaVu Sans Mono" not in fonts

    r = cli(["report", "--unit", "H001", "--period", "2025-Q1", "--out-root", str(out), "--lang", "en"], sample_root)
    assert r.returncode == 0, r.stderr[-3000:]
    d = out / "2025-Q1" / "H001"
    assert sorted(p.name for p in d.iterdir()) == ["bieu06.xlsx", "overview.html", "overview.ipynb", "overview.pdf",
                                                  "report.html", "report.ipynb", "report.pdf", "run.json"]
    ov = nbformat.read(d / "overview.ipynb", as_version=4)
    assert ov.metadata["tthc"]["kind"] == "overview" and ov.metadata["tthc"]["lang"] == "en"
    text = subprocess.run(["pdftotext", str(d / "overview.pdf"), "-"], capture_output=True, text=True).stdout
    assert "League table" in text and "UBND xã Thanh An" in text


def test_stamp_changes_with_each_input(tmp_path):
    from tthc.report.params import ReportParams
    from tthc.run import compute_stamp

    nb = tmp_path / "a.ipynb"
    nb.write_text('{"cells": []}')
    p = ReportParams(unit="X001", period="2025-Q1", window="calendar", lang="vi")
    base = compute_stamp(p, [nb], "d" * 64)
    assert base == compute_stamp(p, [nb], "d" * 64)                      # deterministic
    assert set(base["parts"]) == {"parameters", "notebooks", "package", "config", "data", "environment"}
    en = compute_stamp(ReportParams(unit="X001", period="2025-Q1", window="calendar", lang="en"), [nb], "d" * 64)
    assert en["stamp"] != base["stamp"] and en["parts"]["notebooks"] == base["parts"]["notebooks"]
    assert compute_stamp(p, [nb], "e" * 64)["stamp"] != base["stamp"]
    nb.write_text('{"cells": [1]}')
    changed = compute_stamp(p, [nb], "d" * 64)
    assert changed["stamp"] != base["stamp"] and changed["parts"]["notebooks"] != base["parts"]["notebooks"]


def test_slice_hash_reads_only_the_units_slice(sample_root, monkeypatch):
    from tthc.report.data import slice_hash

    cube = sample_root / "data" / "processed" / "cube"
    a = slice_hash(["X001"], "2025-Q1", "calendar", cube)
    assert a == slice_hash(["X001"], "2025-Q1", "calendar", cube)
    assert a != slice_hash(["X002"], "2025-Q1", "calendar", cube)
    assert a != slice_hash(["X001"], "2025-Q1", "report", cube)
    assert slice_hash(["H001", "X001"], "2025-Q1", "calendar", cube) != a


def test_report_kernel_runs_this_python():
    from jupyter_client.kernelspec import KernelSpecManager

    from tthc.run import KERNEL_NAME, ensure_kernelspec

    assert ensure_kernelspec() == KERNEL_NAME
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert spec.argv[0] == sys.executable and spec.argv[1:3] == ["-m", "ipykernel_launcher"]
    assert "TTHC_ROOT" not in (spec.env or {})   # the kernel inherits the caller's TTHC_ROOT / TTHC_WAREHOUSE
