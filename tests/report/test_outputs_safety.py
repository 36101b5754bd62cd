"""Issue #18 items 2 and 3: a report run never destroys the last good outputs before it has new ones (failure,
Ctrl-C), and two runs of the same report do not race (a lock per output folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sampleroot
from report_helpers import root_with_cell
from tthc.outputs import FolderBusy, FolderLock, commit, good_run, lock_path, new_stage

TTHC = [sys.executable, "-m", "tthc.cli"]
GOOD = {"report.ipynb": "good nb", "report.html": "<p>good</p>", "report.pdf": "%PDF good", "bieu06.xlsx": "xlsx"}


def good_folder(out: Path) -> Path:
    """``<out>/2025-Q1/X001`` holding a previous successful run."""
    d = out / "2025-Q1" / "X001"
    d.mkdir(parents=True)
    for n, text in GOOD.items():
        (d / n).write_text(text)
    (d / "run.json").write_text(json.dumps({"status": "ok", "outputs": sorted(GOOD), "stamp": "old"}))
    return d


def snapshot(d: Path) -> dict[str, str]:
    return {p.name: p.read_text(errors="replace") for p in sorted(d.iterdir()) if p.is_file()}


def env_for(root: Path, sample_root: Path) -> dict:
    env = sampleroot.env_for(root)
    env["TTHC_WAREHOUSE"] = str(sample_root / "data" / "warehouse.duckdb")
    return env


# -- units: the lock and the swap ---------------------------------------------------------------------------------
def test_folder_lock_second_run_waits_then_proceeds(tmp_path):
    out_dir = tmp_path / "2025-Q1" / "X001"
    said: list[str] = []
    first = FolderLock(out_dir).acquire()
    threading.Timer(0.5, first.release).start()
    t0 = time.monotonic()
    with FolderLock(out_dir, timeout=10, say=said.append):
        waited = time.monotonic() - t0
    assert 0.4 <= waited < 5
    assert len(said) == 1 and "being produced by another run" in said[0] and f"pid {os.getpid()}" in said[0]
    assert lock_path(out_dir) == tmp_path / "2025-Q1" / ".X001.lock"


def test_folder_lock_gives_up_with_one_line(tmp_path):
    out_dir = tmp_path / "2025-Q1" / "X001"
    with FolderLock(out_dir):
        with pytest.raises(FolderBusy) as e:
            FolderLock(out_dir, timeout=0.3).acquire()
    msg = str(e.value)
    assert "\n" not in msg and "being produced by another run" in msg and "0 s" in msg
    with FolderLock(out_dir, timeout=0.3):  # freed on release
        pass


def test_commit_swaps_in_new_files_and_drops_old_ones(tmp_path):
    final = good_folder(tmp_path)
    (final / "overview.html").write_text("old overview")
    (final / "run.log").write_text("log")  # not an output name: left alone
    stage = new_stage(final)
    assert stage.parent == final.parent and stage.name.startswith(".X001.staging-")
    (stage / "report.html").write_text("new")
    (stage / "run.json").write_text(json.dumps({"status": "ok"}))
    moved = commit(stage, final, ("report.html", "report.pdf", "overview.html", "run.json"))
    assert moved == ["report.html", "run.json"]
    assert snapshot(final) == {"bieu06.xlsx": "xlsx", "report.html": "new", "report.ipynb": "good nb",
                               "run.json": '{"status": "ok"}', "run.log": "log"}
    assert not stage.exists()
    assert good_run(final)


def test_new_stage_removes_what_a_killed_run_left(tmp_path):
    final = tmp_path / "2025-Q1" / "X001"
    dead = tmp_path / "2025-Q1" / ".X001.staging-999999"
    dead.mkdir(parents=True)
    (dead / "report.pdf").write_text("half")
    stage = new_stage(final)
    assert not dead.exists() and stage.is_dir() and list(stage.iterdir()) == []


# -- end to end: tthc report --------------------------------------------------------------------------------------
def test_failed_run_keeps_the_previous_good_outputs(tmp_path, sample_root):
    root = root_with_cell(tmp_path, sample_root, 'raise ValueError("công thức hỏng")')
    out = tmp_path / "out"
    d = good_folder(out)
    before = snapshot(d)
    r = subprocess.run([*TTHC, "report", "--unit", "X001", "--period", "2025-Q1", "--out-root", str(out)],
                       env=env_for(root, sample_root), cwd=root, capture_output=True, text=True, timeout=900)
    assert r.returncode == 1
    assert "công thức hỏng" in r.stdout
    after = snapshot(d)
    assert after.pop("report.error.ipynb")  # the traceback notebook is kept beside the good outputs
    assert after == before                   # good run.json not overwritten by the failed one
    assert [p.name for p in d.parent.iterdir() if p.name.startswith(".X001.staging")] == []


def test_ctrl_c_keeps_the_previous_outputs(tmp_path, sample_root, monkeypatch):
    """Ctrl-C while the notebook executes: KeyboardInterrupt reaches the run in the middle of execution."""
    from tthc import config
    from tthc import run as R

    for k, v in sampleroot.env_for(sample_root).items():
        if k.startswith("TTHC_") or k == "MPLBACKEND":
            monkeypatch.setenv(k, v)
    monkeypatch.delenv("TTHC_WAREHOUSE", raising=False)
    monkeypatch.delenv("TTHC_UNITS", raising=False)
    config.project_root.cache_clear()
    out = tmp_path / "out"
    d = good_folder(out)
    before = snapshot(d)

    def interrupted(nb, job, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(R, "execute", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            R.run_report("X001", "2025-Q1", out_root=out, ensure=False, xlsx=False)
    finally:
        config.project_root.cache_clear()
    assert snapshot(d) == before  # outputs and the good run.json untouched
    assert sorted(p.name for p in d.parent.iterdir()) == [".X001.lock", "X001"]  # no staging folder left


def test_second_report_of_the_same_folder_waits_or_says_so(tmp_path, sample_root):
    root = root_with_cell(tmp_path, sample_root, "pass")
    out = tmp_path / "out"
    d = good_folder(out)
    before = snapshot(d)
    with FolderLock(d):  # another run of X001 2025-Q1 is producing the report
        r = subprocess.run([*TTHC, "report", "--unit", "X001", "--period", "2025-Q1", "--out-root", str(out),
                            "--wait", "1"], env=env_for(root, sample_root), cwd=root, capture_output=True,
                           text=True, timeout=900)
    assert r.returncode != 0
    err = [ln for ln in (r.stdout + r.stderr).splitlines() if "being produced by another run" in ln]
    assert err, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(d) == before  # neither outputs nor the good run.json touched
