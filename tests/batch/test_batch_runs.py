"""End-to-end batch behaviour on a tiny project (see conftest): isolation, incremental skips, kill and re-run,
the lock, Dask parity. Each test drives ``tthc batch`` as a subprocess, like a user or the Makefile does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_helpers import batch, last_batch, records, root_env

pytestmark = [pytest.mark.xdist_group("batch"), pytest.mark.slow]


def _events(lines: list[str], kind: str) -> set[str]:
    """Units with a ``done``/``FAILED``/``skip`` line in the given batch.log lines."""
    out = set()
    for line in lines:
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[1] == kind:
            out.add(parts[2].rstrip(":"))
    return out


def test_failing_unit_is_isolated_and_reported(batch_root, tmp_path):
    out = tmp_path / "out"
    r = batch(batch_root, out, TTHC_TEST_FAIL_UNITS="X002")
    assert r.returncode == 1, r.stdout + r.stderr
    # summary names the failure and where to look; the others finished
    assert "1 failed" in r.stdout and "2 done" in r.stdout
    assert "FAILED X002" in r.stdout and "deliberate test failure for X002" in r.stdout
    recs = records(out)
    assert recs.pop("X002")["status"] == "failed"
    assert set(recs) == {"X001", "H001"}
    assert all(rec["status"] == "ok" for rec in recs.values())
    # H001 has children: its overview ran in the same run
    assert {"report.pdf", "overview.pdf", "overview.html", "report.html"} <= set(recs["H001"]["outputs"])
    x2 = out / "2025-Q1" / "X002"
    assert not (x2 / "report.pdf").exists() and not (x2 / "error.json").exists()
    err = json.loads((x2 / "run.json").read_text(encoding="utf-8"))   # one run.json schema, success or failure
    assert err["status"] == "failed" and "deliberate test failure" in err["error"]
    assert err["runner"] == "tthc batch" and err["outputs"] == [] and err["stamp"]
    assert (x2 / "report.error.ipynb").is_file()
    assert "deliberate test failure" in (x2 / "run.log").read_text(encoding="utf-8")
    lines = last_batch(out)
    assert _events(lines, "done") == {"X001", "H001"} and _events(lines, "FAILED") == {"X002"}
    # the output files run.json vouches for are the files on disk
    for u, rec in recs.items():
        for name, digest in rec["output_sha256"].items():
            from tthc.batch.atomic import sha256_file

            assert sha256_file(out / "2025-Q1" / u / name) == digest
    # progress accounting: every unit ends exactly once
    assert "3 units — 2 done, 1 failed, 0 skipped" in r.stdout


def _touch_unit_data(root: Path, unit: str) -> str:
    """Flip so_hoa_ho_so of one of the unit's dossiers received in 2025-Q1; returns its code."""
    import duckdb

    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        code = con.execute("""SELECT ma_ho_so FROM dossiers WHERE ma_don_vi = ? AND trang_thai NOT IN (1, 3)
                              AND ngay_tiep_nhan >= DATE '2025-01-01' AND ngay_tiep_nhan < DATE '2025-04-01'
                              ORDER BY ma_ho_so LIMIT 1""", [unit]).fetchone()[0]
        con.execute("UPDATE dossiers SET so_hoa_ho_so = NOT coalesce(so_hoa_ho_so, false) WHERE ma_ho_so = ?",
                    [code])
    finally:
        con.close()
    return code


def test_incremental_skip_touch_and_force(batch_root, tmp_path):
    out = tmp_path / "out"
    r1 = batch(batch_root, out)
    assert r1.returncode == 0, r1.stdout + r1.stderr
    first = records(out)
    assert set(first) == {"X001", "X002", "H001"}

    # nothing changed: everything skipped, quickly, without touching the outputs
    t = time.perf_counter()
    r2 = batch(batch_root, out)
    elapsed = time.perf_counter() - t
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert "0 done, 0 failed, 3 skipped" in r2.stdout
    assert _events(last_batch(out), "skip") == {"X001", "X002", "H001"}
    assert records(out) == first
    assert elapsed < 15  # generous for a loaded CI box; `tthc bench` measures the real no-op time

    # one unit's data changes: only it and its parent (whose overview aggregates it) re-run
    _touch_unit_data(batch_root, "X002")
    r3 = batch(batch_root, out)
    assert r3.returncode == 0, r3.stdout + r3.stderr
    lines = last_batch(out)
    assert _events(lines, "done") == {"X002", "H001"}
    assert _events(lines, "skip") == {"X001"}
    third = records(out)
    assert third["X001"] == first["X001"]
    assert third["X002"]["stamp"] != first["X002"]["stamp"]
    assert third["X002"]["indicators"]["D3"]["numerator"] != first["X002"]["indicators"]["D3"]["numerator"]

    # --force re-runs all
    r4 = batch(batch_root, out, "--force")
    assert r4.returncode == 0
    assert _events(last_batch(out), "done") == {"X001", "X002", "H001"}
    assert "3 done, 0 failed, 0 skipped" in r4.stdout


def test_kill_mid_batch_then_rerun(batch_root, tmp_path):
    from tthc.batch.atomic import is_tmp, sha256_file

    out = tmp_path / "out"
    units = "X001,X002,X003,H001"
    cmd = [sys.executable, "-m", "tthc.cli", "batch", "--period", "2025-Q1", "--units-list", units, "--jobs", "1",
           "--out-root", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, env=root_env(batch_root, TTHC_TEST_DELAY="1.5"), cwd=str(batch_root),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and not list((out / "2025-Q1").glob("*/run.json")):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert list((out / "2025-Q1").glob("*/run.json")), "no report finished in time"
        time.sleep(0.3)  # now mid-way through the next report
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch, its workers, zygotes and kernels
        proc.wait(timeout=30)
    finished = records(out)
    assert 1 <= len(finished) < 4
    # nothing looks valid unless a successful run.json vouches for it with the same bytes
    for udir in (out / "2025-Q1").iterdir():
        if not udir.is_dir():
            continue
        rec = json.loads((udir / "run.json").read_text()) if (udir / "run.json").exists() else None
        for f in udir.iterdir():
            if f.suffix in (".pdf", ".html", ".ipynb", ".xlsx") and not is_tmp(f.name) and ".error." not in f.name:
                assert rec is not None and rec["status"] == "ok", f"{f} survives without a run.json"
                assert rec["output_sha256"][f.name] == sha256_file(f)
    # re-run: finished reports are kept, the rest complete
    r = subprocess.run(cmd, env=root_env(batch_root), cwd=str(batch_root), capture_output=True, text=True,
                       timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = last_batch(out)
    assert _events(lines, "skip") == set(finished)
    assert _events(lines, "done") == set(units.split(",")) - set(finished)
    after = records(out)
    assert set(after) == set(units.split(","))
    for u in finished:
        assert after[u] == finished[u]
    leftovers = [f for f in (out / "2025-Q1").rglob("*") if is_tmp(f.name)]
    assert leftovers == []


def test_second_batch_fails_fast_on_the_lock(batch_root, tmp_path):
    from tthc.batch.lock import BatchLock, BatchLocked

    out = tmp_path / "out"
    with BatchLock(out):
        with pytest.raises(BatchLocked, match="another tthc batch is already running"):
            BatchLock(out).acquire()
        t = time.perf_counter()
        r = batch(batch_root, out)
        assert time.perf_counter() - t < 30
        assert r.returncode == 2
        assert "another tthc batch is already running" in r.stderr and f"pid {os.getpid()}" in r.stderr
        assert not (out / "2025-Q1").exists()
    # released: the lock file does not block the next batch
    BatchLock(out).acquire().release()


def _sanitised_outputs(path: Path) -> list:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        outs = []
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                outs.append(("stream", o.get("name"), o.get("text")))
            elif "data" in o:
                outs.append((o["output_type"], o["data"].get("text/plain")))
            else:
                outs.append((o.get("output_type"), o.get("ename"), o.get("evalue")))
        cells.append((c.source, outs))
    return cells


def test_dask_localcluster_matches_local_pool(batch_root, tmp_path):
    distributed = pytest.importorskip("distributed")
    out_local, out_dask = tmp_path / "local", tmp_path / "dask"
    r = batch(batch_root, out_local, "--force")
    assert r.returncode == 0, r.stdout + r.stderr
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        r = batch(batch_root, out_dask, "--force", "--scheduler", cluster.scheduler_address)
        assert r.returncode == 0, r.stdout + r.stderr
        with distributed.Client(cluster) as client:
            hosts = {v for v in client.run(lambda: os.getpid()).values()}
    a, b = records(out_local), records(out_dask)
    assert set(a) == set(b) == {"X001", "X002", "H001"}
    assert len(hosts) == 2
    for u in a:
        assert a[u]["stamp"] == b[u]["stamp"]
        assert a[u]["indicators"] == b[u]["indicators"]
        assert sorted(a[u]["outputs"]) == sorted(b[u]["outputs"])
        for name in a[u]["outputs"]:
            if name.endswith(".ipynb"):
                assert _sanitised_outputs(out_local / "2025-Q1" / u / name) == \
                       _sanitised_outputs(out_dask / "2025-Q1" / u / name)
    # the runs really happened on the Dask workers (other pids than the local pool's)
    pids = {json.loads((out_dask / "2025-Q1" / u / "run.log").read_text().split("worker pid ")[1].split()[0])
            for u in b}
    assert pids <= hosts
    # the local batch's workers shared its one zygote; a Dask worker has its own
    for u in a:
        assert "kernels: forks of the batch's shared zygote" in (out_local / "2025-Q1" / u / "run.log").read_text()
        assert "kernels: forks of this worker's own zygote" in (out_dask / "2025-Q1" / u / "run.log").read_text()


def test_tthc_report_and_batch_agree_on_the_stamp(batch_root, tmp_path):
    """A unit reported with `tthc report` is up to date for `tthc batch` (same stamp formula, same slice)."""
    from batch_helpers import run_tthc

    out = tmp_path / "out"
    r = run_tthc(batch_root, "report", "--unit", "X001", "--period", "2025-Q1", "--out-root", out)
    assert r.returncode == 0, r.stdout + r.stderr
    single = records(out)["X001"]
    r = batch(batch_root, out, units="X001,X002")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = last_batch(out)
    assert _events(lines, "skip") == {"X001"} and _events(lines, "done") == {"X002"}
    assert records(out)["X001"] == single
