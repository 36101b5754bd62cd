"""Province-scale benchmark (``tthc bench --part scale``): a synthetic province of ≥ 130 units, 12 monthly batches
(≥ 1,500 reports), against the small batch (the sample's 35 reports) measured in the same run; and the Dask path
(``LocalCluster``, 2 single-threaded worker processes) against the local pool on the same months.

The province lives in its own scaffold project root under ``outputs/bench/scale/root`` (``params/`` linked from the
project except ``units.yaml``, ``notebooks/`` linked, its own ``data/``), so nothing of the real data or outputs is
touched. Every batch is a ``tthc batch --force`` subprocess with ``TTHC_ROOT`` / ``TTHC_UNITS`` /
``TTHC_WAREHOUSE`` pointing at the scaffold; the memory of the whole process tree (batch, workers, zygote,
kernels) is sampled every 0.5 s and its peak reported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from .. import config
from . import ratios

#: Synthetic province shape: 1 province, ``districts`` districts, each with ``offices`` district offices (phòng) and
#: ``communes`` communes (xã) — the sample district's 12 + 21, repeated: 205 units. The sample generator gives a
#: month's dossiers to the communes (and through them the districts and the province), not to these offices, so a
#: month has 6 × 21 communes + 7 overviews = 133 reports and 12 months 1,596 (measured with 4 districts: 94 a month).
DISTRICTS, OFFICES, COMMUNES = 6, 12, 21


def province_units(districts: int = DISTRICTS, offices: int = OFFICES, communes: int = COMMUNES) -> list[dict]:
    """The registry entries of a synthetic province (codes T001, H001…, P101…, X101…): 1 + d × (1 + o + c) units."""
    units = [dict(code="T001", name="UBND tỉnh Mô Phỏng", level="tinh", parent=None, valid_from="2015-01-01",
                  valid_to=None)]
    for d in range(1, districts + 1):
        h = f"H{d:03d}"
        units.append(dict(code=h, name=f"UBND huyện Mô Phỏng {d}", level="huyen", parent="T001",
                          valid_from="2015-01-01", valid_to=None))
        for i in range(1, offices + 1):
            units.append(dict(code=f"P{d}{i:02d}", name=f"Phòng chuyên môn {i} huyện {d}", level="phong", parent=h,
                              valid_from="2015-01-01", valid_to=None))
        for i in range(1, communes + 1):
            units.append(dict(code=f"X{d}{i:02d}", name=f"UBND xã Mô Phỏng {d}-{i}", level="xa", parent=h,
                              valid_from="2015-01-01", valid_to=None))
    return units


def reports_per_month(units: list[dict]) -> int:
    """At most one report per unit plus an overview per unit with children: 205 units, 7 parents → 212 (units
    without counted dossiers in the month get none)."""
    parents = {u["parent"] for u in units if u["parent"]}
    return len(units) + len(parents)


def months(year: int = 2024) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def units_yaml(units: list[dict]) -> str:
    def v(x):
        return "null" if x is None else json.dumps(x, ensure_ascii=False)

    lines = ["# synthetic province for tthc bench --part scale (generated)", "units:"]
    for u in units:
        lines.append("  - {" + ", ".join(f"{k}: {v(u[k])}" for k in
                                         ("code", "name", "level", "parent", "valid_from", "valid_to")) + "}")
    return "\n".join(lines) + "\n"


def scaffold(root: Path, units: list[dict]) -> dict:
    """A project root for the synthetic province; returns the environment that points ``tthc`` at it."""
    src = config.project_root()
    if root.exists():
        shutil.rmtree(root)
    (root / "params").mkdir(parents=True)
    for p in (src / "params").iterdir():
        if p.name != "units.yaml":
            (root / "params" / p.name).symlink_to(p)
    (root / "params" / "units.yaml").write_text(units_yaml(units), encoding="utf-8")
    (root / "notebooks").symlink_to(src / "notebooks")
    (root / "pyproject.toml").symlink_to(src / "pyproject.toml")
    (root / "data").mkdir()
    return {"TTHC_ROOT": str(root), "TTHC_UNITS": str(root / "params" / "units.yaml"),
            "TTHC_WAREHOUSE": str(root / "data" / "warehouse.duckdb")}


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval, self.peak, self.peak_single, self.peak_pss = pid, interval, 0, 0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        import psutil

        while not self._stop.is_set():
            try:
                top = psutil.Process(self.pid)
                procs = [top, *top.children(recursive=True)]
                rss, pss = [], []
                for p in procs:
                    try:
                        rss.append(p.memory_info().rss)
                        # PSS shares each page among the processes mapping it: forked kernels share most of the
                        # zygote's pages, which a sum of RSS counts once per kernel
                        pss.append(p.memory_full_info().pss)
                    except (psutil.Error, AttributeError):
                        pass
                self.peak = max(self.peak, sum(rss))
                self.peak_pss = max(self.peak_pss, sum(pss))
                self.peak_single = max(self.peak_single, max(rss, default=0))
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def run_batch_subprocess(period: str, env: dict, out_root: Path, jobs: int = 2, scheduler: str | None = None) -> dict:
    """``tthc batch --force`` for one period in a subprocess: wall seconds, reports, peak memory of its tree."""
    cmd = [sys.executable, "-m", "tthc.cli", "batch", "--period", period, "--jobs", str(jobs), "--force",
           "--out-root", str(out_root), "--no-progress"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(proc.pid) as mem:
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    reports = sum(1 for _ in (out_root / period).glob("*/report.pdf")) + \
        sum(1 for _ in (out_root / period).glob("*/overview.pdf"))
    return dict(period=period, seconds=round(wall, 3), reports=reports, exit_code=proc.returncode,
                reports_per_min=round(ratios.rate(reports, wall), 2) if reports else 0.0,
                peak_tree_rss_mib=round(mem.peak / 2**20, 1), peak_tree_pss_mib=round(mem.peak_pss / 2**20, 1),
                peak_process_rss_mib=round(mem.peak_single / 2**20, 1),
                summary=(out.strip().splitlines() or [""])[-1][:300], stderr_tail=err[-500:] if proc.returncode else "")


def run(year: int = 2024, n_months: int = 12, dossiers: int = 160_000, jobs: int = 2, dask_months: int = 1,
        out: Path | None = None, echo=print, shape: tuple[int, int, int] = (DISTRICTS, OFFICES, COMMUNES),
        small: bool = True) -> dict:
    """Build the province, run ``n_months`` monthly batches, the small batch and the Dask comparison; write
    ``outputs/bench/scale.json``."""
    from .batch import machine

    base = config.outputs_dir() / "bench" / "scale"
    out = Path(out) if out else config.outputs_dir() / "bench" / "scale.json"
    units = province_units(*shape)
    env = scaffold(base / "root", units)
    result = dict(part="scale", started=datetime.now().isoformat(timespec="seconds"), machine=machine(),
                  units=len(units), reports_per_month_expected=reports_per_month(units), months=n_months,
                  dossiers=dossiers, jobs=jobs)
    echo(f"bench scale: synthetic province of {len(units)} units, {dossiers:,} dossiers …")
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "tthc.cli", "sample", "--dossiers", str(dossiers), "--format",
                        "parquet", "--units", env["TTHC_UNITS"], "--warehouse", env["TTHC_WAREHOUSE"]],
                       env={**os.environ, **env}, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"tthc sample for the province failed: {r.stderr[-1500:]}")
    result["sample_seconds"] = round(time.perf_counter() - t, 2)
    # the small batch in the same run: the project's own sample, 2025-Q1
    if small:
        echo("bench scale: small batch (the sample's reports, 2025-Q1) …")
        small = run_batch_subprocess("2025-Q1", {}, base / "small", jobs)
        echo(f"  {small['reports']} reports in {small['seconds']:.1f} s, {small['reports_per_min']:.1f}/min")
    else:  # a smoke run: the province's own first month stands in for the small batch
        small = None
    result["small"] = small
    rows = []
    for period in months(year)[:n_months]:
        row = run_batch_subprocess(period, env, base / "province", jobs)
        rows.append(row)
        echo(f"  {period}: {row['reports']} reports in {row['seconds']:.1f} s ({row['reports_per_min']:.1f}/min), "
             f"peak tree RSS {row['peak_tree_rss_mib']:.0f} MiB (PSS {row['peak_tree_pss_mib']:.0f} MiB)")
    if small:
        # the machine may be shared: the small batch again after the province, and its mean is the yardstick
        echo("bench scale: small batch again (the load may have changed during the province run) …")
        again = run_batch_subprocess("2025-Q1", {}, base / "small", jobs)
        echo(f"  {again['reports']} reports in {again['seconds']:.1f} s, {again['reports_per_min']:.1f}/min")
        small = dict(small, again=again, reports_per_min_first=small["reports_per_min"],
                     reports_per_min=round(ratios.rate(small["reports"] + again["reports"],
                                                       small["seconds"] + again["seconds"]), 2))
        result["small"] = small
    total_reports = sum(r["reports"] for r in rows)
    total_seconds = sum(r["seconds"] for r in rows)
    result["province"] = dict(rows=rows, reports=total_reports, seconds=round(total_seconds, 2),
                              reports_per_min=round(ratios.rate(total_reports, total_seconds), 2),
                              peak_tree_rss_mib=max(r["peak_tree_rss_mib"] for r in rows),
                              peak_tree_pss_mib=max(r["peak_tree_pss_mib"] for r in rows),
                              peak_process_rss_mib=max(r["peak_process_rss_mib"] for r in rows))
    # Dask LocalCluster (2 worker processes, 1 thread each) against the local pool on the same months
    dask_res = None
    if dask_months:
        from distributed import LocalCluster

        # the specs carry TTHC_ROOT / TTHC_UNITS / TTHC_WAREHOUSE to the workers (tthc.batch.daskrun)
        # each Dask month right after the local pool on the same month (pairs: a load change hits both alike)
        drows, local = [], []
        with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            for p in months(year)[:dask_months]:
                local.append(run_batch_subprocess(p, env, base / "province", jobs))
                drows.append(run_batch_subprocess(p, env, base / "dask", jobs, scheduler=cluster.scheduler_address))
                echo(f"  {p}: local pool {local[-1]['reports_per_min']:.1f}/min, Dask "
                     f"{drows[-1]['reports_per_min']:.1f}/min")
        dask_res = dict(rows=drows, local_rows=local, reports_per_min=round(ratios.rate(sum(r["reports"] for r in drows),
                                                                      sum(r["seconds"] for r in drows)), 2),
                        local_reports_per_min=round(ratios.rate(sum(r["reports"] for r in local),
                                                                sum(r["seconds"] for r in local)), 2))
        result["dask"] = dask_res
    small_rate = small["reports_per_min"] if small else rows[0]["reports_per_min"]
    result["goals"] = ratios.scale_goals(small_rate, result["province"]["reports_per_min"],
                                         dask_res["local_reports_per_min"] if dask_res else None,
                                         dask_res["reports_per_min"] if dask_res else None)
    result["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result["note"] = "shared machine: absolute rates are noisy; compare the ratios of this one run"
    result["finished"] = datetime.now().isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    echo(f"bench scale: {total_reports} reports in {total_seconds:.0f} s = "
         f"{result['province']['reports_per_min']:.1f}/min; goals {result['goals']}; wrote {out}")
    return result
