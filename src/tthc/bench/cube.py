"""Benchmark of the indicator cube (``tthc bench --part cube``).

Generates N synthetic canonical dossiers (``tthc.sample.generate_frame``), loads them into a temporary DuckDB file,
then, each in a fresh child process so that peak RSS is the step's own:

* ``cube``: :func:`tthc.engine.build_cube` for one period + its previous period + the 12 trailing months, all units,
  one pass (calendar window), Parquet written — *cold* (no stored dossier-days pre-aggregate: the cube builds it on
  the fly), then, after the refresh ``tthc ingest`` performs (dossier signature + pre-aggregate, timed as
  ``prepare``), *warm*; optionally (``reference=True``) also the original dossier × period join
  (``method="reference"``) for comparison;
* ``naive``: a pandas loop per unit and period (filter the unit's subtree, classify with pandas, count) — the way
  one would write it without the engine. Parent units are always measured; when the full loop would be too long,
  only an even sample of the leaf units is, and the leaves are extrapolated linearly (the output says so).

Data generation and loading are timed separately and not part of either figure. Wall and CPU time (all threads)
are both recorded, with the load average: the machine may be shared, and CPU time is the steadier figure.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd



def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return dict(cores=os.cpu_count(), usable_cores=len(os.sched_getaffinity(0)), cpu_model=model or platform.processor(),
                memory_gib=mem, python=platform.python_version())


def _cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (DuckDB's included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_rss_mib() -> float:
    """Peak RSS of this process. VmHWM is reset by exec, unlike ru_maxrss, which a spawned child inherits from the
    parent on Linux (and the parent holds the generated frame)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def load_warehouse(df: pd.DataFrame, path: Path) -> None:
    import duckdb

    from ..schema import DOSSIER_COLUMNS, META_COLUMNS, dossiers_ddl

    con = duckdb.connect(str(path))
    con.execute(dossiers_ddl())
    con.register("bench_df", df)
    sel = ", ".join(f"CAST({c} AS {t})" if c in df.columns else f"CAST(NULL AS {t})"
                    for c, t in {**DOSSIER_COLUMNS, **META_COLUMNS}.items())
    con.execute(f"INSERT INTO dossiers SELECT {sel} FROM bench_df")
    con.unregister("bench_df")
    con.close()


# -- child processes -----------------------------------------------------------------------------------------------
def _cube_child(path: str, period: str, out_dir: str, method: str, signature: str | None, q) -> None:
    import duckdb

    from ..engine import build_cube
    from ..engine.index766 import load_index766
    from ..engine.targets import load_targets
    from ..units import load_registry
    from ..workdays import load_calendar

    # configuration is read before the clock starts, as in the naive child (registry, calendar)
    reg, cal, targets = load_registry(), load_calendar(), load_targets()
    load_index766()
    load0 = os.getloadavg()[0]
    c0 = _cpu_seconds()
    t0 = time.perf_counter()
    con = duckdb.connect(path, read_only=True)
    res = build_cube(con, reg, periods=[period], windows=("calendar",), out_dir=out_dir, calendar=cal,
                     targets=targets, stamp=signature or "bench", method=method)
    con.close()
    dt = time.perf_counter() - t0
    q.put(dict(method=method, seconds=dt, cpu_seconds=_cpu_seconds() - c0, peak_rss_mib=_peak_rss_mib(),
               loadavg_before=load0, loadavg_after=os.getloadavg()[0], steps=res["timing"],
               pre_aggregate="stored" if "days_stored" in res["timing"] else "temporary",
               periods=len(res["meta"]["periods"]), rows_counts=len(res["counts"]),
               rows_indicators=len(res["indicators"])))


def _prepare_child(path: str, q) -> None:
    """What ``tthc ingest`` does after loading: the dossier signature and the dossier-days pre-aggregate."""
    import duckdb

    from ..engine import days
    from ..warehouse import dossiers_signature

    c0 = _cpu_seconds()
    t0 = time.perf_counter()
    con = duckdb.connect(path)
    sig = dossiers_signature(con)
    t_sig = time.perf_counter() - t0
    info = days.refresh(con, sig, force=True)
    con.close()
    q.put(dict(seconds=time.perf_counter() - t0, cpu_seconds=_cpu_seconds() - c0, signature_seconds=t_sig,
               pre_aggregate_seconds=info["seconds"], pre_aggregate_rows=info["rows"], signature=sig,
               peak_rss_mib=_peak_rss_mib()))


def naive_counts(df: pd.DataFrame, units: list[str], subtree: dict, periods: list, cal) -> list[dict]:
    """The straightforward per-unit, per-period pandas loop (reference for the speed-up; same rules, simplified
    outputs: the Biểu 06 totals and the D1–D7 numerators/denominators)."""
    out = []
    recv = df["ngay_tiep_nhan"].dt.normalize()
    end = df["ngay_ket_thuc_xu_ly"].where(df["ngay_ket_thuc_xu_ly"].notna(),
                                          df["ngay_tra"].where(df["trang_thai"] == 10)).dt.normalize()
    for u in units:
        m = df["ma_don_vi"].isin(subtree[u]) & ~df["trang_thai"].isin([1, 3])
        d = df[m]
        r, e = recv[m], end[m]
        due = d["ngay_hen_tra"].dt.normalize()
        miss = due.isna() & d["thoi_han_gq"].notna()
        if miss.any():
            add = cal.add_working_days_array(r[miss].to_numpy().astype("datetime64[D]"),
                                             d.loc[miss, "thoi_han_gq"].to_numpy())
            due = due.copy()
            due[miss] = pd.to_datetime(add)
        nbs = d["so_lan_bo_sung"].fillna(0)
        pause = (d["ngay_hoan_thanh_bo_sung"].dt.normalize() - d["ngay_yeu_cau_bo_sung"].dt.normalize()).dt.days
        pause = pause.where(nbs == 1, 0).fillna(0).clip(lower=0)
        due_eff = due + pd.to_timedelta(pause, unit="D")
        for p in periods:
            a, b = (pd.Timestamp(x) for x in p.bounds("calendar"))
            counted = (r <= b) & (e.isna() | (e >= a))
            new = counted & (r >= a)
            res = counted & e.notna() & (e <= b)
            pend = counted & ~res
            late_res = res & ((nbs > 1) | (e > due_eff))
            late_pend = pend & ((nbs > 1) | (b > due_eff))
            out.append(dict(unit=u, period=p.code, col3=int(counted.sum()), col4=int((new & (d["kenh"] == 2)).sum()),
                            col7=int(res.sum()), col10=int(late_res.sum()), col13=int(late_pend.sum()),
                            d3=int((new & d["so_hoa_ho_so"]).sum()), d4=int((res & d["ket_qua_dien_tu"]).sum())))
    return out


def _naive_child(parquet: str, period: str, max_units: int, q) -> None:
    from ..periods import parse_period
    from ..units import load_registry
    from ..workdays import load_calendar

    cal = load_calendar()
    reg = load_registry()
    df = pd.read_parquet(parquet)
    p = parse_period(period)
    plist = sorted({p, p.previous(), *p.trailing_months(12)}, key=lambda x: x.bounds("calendar"))
    a, b = min(x.bounds("calendar")[0] for x in plist), max(x.bounds("calendar")[1] for x in plist)
    units = [u.code for u in reg.valid_in(a, b)]
    subtree = {u: [u, *reg.descendants(u)] for u in units}
    # A parent's subtree holds many more dossiers than a leaf's, so parents are always measured and only leaves are
    # sampled (evenly over the list) and extrapolated: sampling the first units would over-weight the district.
    parents = [u for u in units if len(subtree[u]) > 1]
    leaves = [u for u in units if len(subtree[u]) == 1]
    k = max(0, (max_units or len(units)) - len(parents))
    sampled = leaves if k >= len(leaves) else leaves[:: max(1, len(leaves) // max(1, k))][:max(1, k)]
    timings = {}
    for group in (parents, sampled):
        c0 = _cpu_seconds()
        t0 = time.perf_counter()
        naive_counts(df, group, subtree, plist, cal)
        timings[id(group)] = (time.perf_counter() - t0, _cpu_seconds() - c0)
    (tp, cp), (tl, cl) = timings[id(parents)], timings[id(sampled)]
    scale = len(leaves) / max(1, len(sampled))
    q.put(dict(seconds_measured=tp + tl, cpu_seconds_measured=cp + cl, units_measured=len(parents) + len(sampled),
               units_total=len(units), parents_measured=len(parents), leaves_measured=len(sampled),
               leaves_total=len(leaves), periods=len(plist), seconds=tp + tl * scale, cpu_seconds=cp + cl * scale,
               extrapolated=len(sampled) < len(leaves), peak_rss_mib=_peak_rss_mib(), loadavg=os.getloadavg()[0]))


def _in_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    pr = ctx.Process(target=target, args=(*args, q))
    pr.start()
    res = q.get()
    pr.join()
    return res


def run(n: int = 10_000_000, period: str = "2025-Q1", seed: int = 20250331, naive_units: int | None = None,
        out: Path | None = None, workdir: Path | None = None, echo=print, reference: bool = False) -> dict:
    """Run the benchmark and write ``outputs/bench/cube.json``; returns the result dict."""
    from ..sample.frame import generate_frame

    tmp = tempfile.TemporaryDirectory(dir=workdir, prefix="tthc-bench-")
    wd = Path(tmp.name)
    try:
        t0 = time.perf_counter()
        df = generate_frame(n, seed)
        t_gen = time.perf_counter() - t0
        echo(f"generated {n:,} synthetic dossiers in {t_gen:.1f} s")
        t0 = time.perf_counter()
        wpath = wd / "bench.duckdb"
        load_warehouse(df, wpath)
        pq = wd / "dossiers.parquet"
        df.to_parquet(pq, index=False)
        del df
        t_load = time.perf_counter() - t0
        echo(f"loaded into DuckDB (+ Parquet for the naive loop) in {t_load:.1f} s")
        # cold: no stored pre-aggregate yet, the cube builds a temporary one from the dossiers
        cold = _in_child(_cube_child, str(wpath), period, str(wd / "cube_cold"), "events", None)
        echo(f"cube, cold (pre-aggregate built on the fly): {cold['seconds']:.2f} s wall, {cold['cpu_seconds']:.2f} s "
             f"CPU, peak RSS {cold['peak_rss_mib']:.0f} MiB (load average {cold['loadavg_before']:.1f})")
        prep = _in_child(_prepare_child, str(wpath))
        echo(f"ingest's refresh: dossier signature {prep['signature_seconds']:.2f} s + dossier-days pre-aggregate "
             f"{prep['pre_aggregate_seconds']:.2f} s ({prep['pre_aggregate_rows']:,} rows for {n:,} dossiers)")
        cube = _in_child(_cube_child, str(wpath), period, str(wd / "cube"), "events", prep["signature"])
        if cube["pre_aggregate"] != "stored":
            raise AssertionError("the warm cube did not use the stored pre-aggregate")
        echo(f"cube, warm (stored pre-aggregate, as after `tthc ingest`): {cube['seconds']:.2f} s wall, "
             f"{cube['cpu_seconds']:.2f} s CPU, peak RSS {cube['peak_rss_mib']:.0f} MiB "
             f"(load average {cube['loadavg_before']:.1f})")
        ref = None
        if reference:
            ref = _in_child(_cube_child, str(wpath), period, str(wd / "cube_ref"), "reference", None)
            echo(f"cube (reference join): {ref['seconds']:.2f} s wall, {ref['cpu_seconds']:.2f} s CPU, "
                 f"peak RSS {ref['peak_rss_mib']:.0f} MiB")
        if naive_units is None:  # keep the naive loop to about a minute of measuring
            naive_units = max(1, min(34, int(34 * 2_000_000 / max(n, 1))))
        naive = _in_child(_naive_child, str(pq), period, naive_units)
        how = (f" (measured on {naive['parents_measured']} parent and {naive['leaves_measured']} of "
               f"{naive['leaves_total']} leaf units in {naive['seconds_measured']:.1f} s, leaves extrapolated "
               f"linearly)" if naive["extrapolated"] else "")
        echo(f"naive pandas loop per unit: {naive['seconds']:.1f} s wall, {naive['cpu_seconds']:.1f} s CPU{how}, "
             f"peak RSS {naive['peak_rss_mib']:.0f} MiB")
    finally:
        tmp.cleanup()
    ratio = naive["seconds"] / cube["seconds"] if cube["seconds"] else float("nan")
    cpu_ratio = naive["cpu_seconds"] / cube["cpu_seconds"] if cube["cpu_seconds"] else float("nan")
    cold_ratio = naive["seconds"] / cold["seconds"] if cold["seconds"] else float("nan")
    res = dict(part="cube", dossiers=n, period=period, window="calendar", seed=seed, generate_seconds=t_gen,
               load_seconds=t_load, measured="build_cube from a DuckDB warehouse file already holding the rows, in "
               "a fresh process (generation and loading excluded, timed separately); 'cube' = warm: with the "
               "dossier-days pre-aggregate that `tthc ingest` stores (its refresh timed as 'prepare'); 'cold' = "
               "without it (the cube builds it on the fly); peak RSS = VmHWM of that process",
               cube=cube, cold=cold, prepare={k: v for k, v in prep.items() if k != "signature"}, reference=ref,
               naive=naive, speedup=ratio, speedup_cpu=cpu_ratio, speedup_cold=cold_ratio,
               speedup_cold_cpu=naive["cpu_seconds"] / cold["cpu_seconds"] if cold["cpu_seconds"] else float("nan"),
               machine=machine(),
               goals=dict(seconds=5.0, peak_rss_mib=3072, speedup=20.0),
               met=dict(seconds=cube["seconds"] <= 5.0 and cold["seconds"] <= 5.0,
                        memory=max(cube["peak_rss_mib"], cold["peak_rss_mib"]) <= 3072, speedup=ratio >= 20,
                        speedup_cold=cold_ratio >= 20))
    m = res["machine"]
    echo(f"speed-up warm ×{ratio:.1f} wall (×{cpu_ratio:.1f} CPU); cold ×{cold_ratio:.1f} wall "
         f"(×{res['speedup_cold_cpu']:.1f} CPU); machine: {m['usable_cores']} cores, {m['cpu_model']}, "
         f"{m['memory_gib']} GiB")
    from . import write_result

    write_result(res, "cube", out, echo)
    return res
