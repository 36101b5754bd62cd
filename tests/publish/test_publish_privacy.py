"""Privacy sweep over the two new outputs on the sample root (whose raw exports carry fake applicant names, ID
numbers, phones, e-mails and addresses): the public site and the due-soon lists hold none of them, and the public
site holds no dossier code either (aggregates only). The end-to-end sweep in tests/hardening covers them too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardening"))

import hardening_helpers as hh  # noqa: E402
import sampleroot  # noqa: E402


def _views(folder: Path):
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            for label, text in hh.texts_of(p):
                yield p, label, (p.read_bytes() if text is None else text)


def test_no_personal_data_and_no_dossier_code(sample_root, sample_root_module, tmp_path):
    raw = sample_root / "data" / "raw" / "sample"
    personal = hh.Finder(hh.personal_values(raw / "dvcqg_sample.json", raw / "motcua_sample.xlsx"))
    assert len(personal.needles) > 1000
    assert personal.bytes((raw / "dvcqg_sample.json").read_bytes())  # the scanner finds what it looks for
    con = duckdb.connect(str(sample_root / "data" / "warehouse.duckdb"), read_only=True)
    codes = {r[0] for r in con.execute("SELECT ma_ho_so FROM dossiers").fetchall()}
    con.close()
    dossier = hh.Finder(codes)
    due = tmp_path / "due"
    r = subprocess.run([sys.executable, "-m", "tthc.cli", "due-soon", "--date", "2025-03-20", "--days", "5",
                        "--out", str(due)], env=sampleroot.env_for(sample_root), cwd=sample_root,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert not personal.text(r.stdout + r.stderr)
    site_hits, due_hits, n_due_codes = {}, {}, 0
    for p, label, v in _views(sample_root_module):
        found = (personal.bytes(v) + dossier.bytes(v)) if isinstance(v, bytes) else (personal.text(v)
                                                                                    + dossier.text(v))
        if found:
            site_hits[f"{p.name} [{label}]"] = found[:3]
    for p, label, v in _views(due):
        found = personal.bytes(v) if isinstance(v, bytes) else personal.text(v)
        if found:
            due_hits[f"{p.name} [{label}]"] = found[:3]
        if label == "cells":
            n_due_codes += len(dossier.text(v))
    assert site_hits == {} and due_hits == {}, (site_hits, due_hits)
    assert len(list(sample_root_module.glob("*.html"))) > 30 and len(list(due.glob("*.xlsx"))) > 30
    assert n_due_codes > 0  # the lists do name dossiers, by code only
