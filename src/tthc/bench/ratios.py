"""The arithmetic of the benchmarks, as pure functions (tested by hand-computed values).

Terms: a *rate* is reports per minute; a *speed-up* compares seconds per report of a baseline with ours (both from
the same run, so machine drift cancels); the *goals* are those of issue 17.
"""

from __future__ import annotations

#: Issue 17 goals: reports/min on 2 cores, × the naive batch, × the competent peer (xargs -P 2), province scale
#: within 15 % of the small batch, Dask ≥ 0.8 × the local pool.
GOAL_RATE = 100.0
GOAL_VS_NAIVE = 15.0
GOAL_VS_PEER = 3.0
GOAL_SCALE_TOLERANCE = 0.15
GOAL_DASK_RATIO = 0.8


def rate(reports: int, seconds: float) -> float:
    """Reports per minute: 35 reports in 21 s → 100.0."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    return reports * 60.0 / seconds


def per_report(seconds: float, reports: int) -> float:
    """Seconds per report: 42 s for 35 reports → 1.2."""
    if reports <= 0:
        raise ValueError("reports must be positive")
    return seconds / reports


def speedup(baseline_seconds_per_report: float, ours_seconds_per_report: float) -> float:
    """How many times faster per report: baseline 12 s, ours 0.6 s → 20.0."""
    if ours_seconds_per_report <= 0:
        raise ValueError("our seconds per report must be positive")
    return baseline_seconds_per_report / ours_seconds_per_report


def cpu_bound_rate(cpu_seconds_per_report: float, cores: int) -> float:
    """Reports/min an otherwise idle machine would reach with every core busy: 1.2 CPU-s on 2 cores → 100.0."""
    if cpu_seconds_per_report <= 0:
        raise ValueError("CPU seconds per report must be positive")
    return 60.0 * cores / cpu_seconds_per_report


def relative_change(small_rate: float, large_rate: float) -> float:
    """Signed change of the rate at scale against the small batch: 100/min → 90/min is −0.10."""
    if small_rate <= 0:
        raise ValueError("the small batch rate must be positive")
    return (large_rate - small_rate) / small_rate


def batch_goals(project_rate: float, vs_naive: float, vs_peer: float | None) -> dict:
    """Which of the batch goals a run meets (None: not measured)."""
    return {"rate_ge_100_per_min": project_rate >= GOAL_RATE,
            "ge_15x_naive": vs_naive >= GOAL_VS_NAIVE,
            "ge_3x_peer": None if vs_peer is None else vs_peer >= GOAL_VS_PEER}


def scale_goals(small_rate: float, scale_rate: float, local_rate: float | None = None,
                dask_rate: float | None = None) -> dict:
    """Province-scale goals: rate within 15 % of the small batch (a faster run also passes), Dask ≥ 0.8× local."""
    change = relative_change(small_rate, scale_rate)
    out = {"rate_change": round(change, 4), "within_15_percent": change >= -GOAL_SCALE_TOLERANCE}
    if local_rate and dask_rate is not None:
        out["dask_vs_local"] = round(dask_rate / local_rate, 4)
        out["dask_ge_0_8"] = dask_rate / local_rate >= GOAL_DASK_RATIO
    return out


def _yes(v) -> str:
    return "n/a" if v is None else ("yes" if v else "NO")


def summary_lines(results: dict[str, dict]) -> list[str]:
    """One line per goal of issue 17 from the results of one ``tthc bench`` run (part name → its JSON dict), in
    the order the parts ran; a part not run this time is not mentioned."""
    out = []
    b = results.get("batch")
    if b:
        p = b["project"]
        out.append(f"batch: {p['reports']} reports, {p['reports_per_min']:.1f}/min (goal ≥ {GOAL_RATE:.0f}: "
                   f"{_yes(b['goals'].get('rate_ge_100_per_min'))}); ×{b['speedup_per_report']} the naive batch "
                   f"(goal ≥ {GOAL_VS_NAIVE:.0f}: {_yes(b['goals'].get('ge_15x_naive'))}); ×{b['speedup_vs_peer']} "
                   f"the competent peer (goal ≥ {GOAL_VS_PEER:.0f}: {_yes(b['goals'].get('ge_3x_peer'))}); "
                   f"{p['cpu_seconds_per_report']:.2f} CPU-s per report")
    c = results.get("cube")
    if c:
        out.append(f"cube: {c['dossiers']:,} dossiers in {c['cube']['seconds']:.2f} s warm / {c['cold']['seconds']:.2f} s "
                   f"cold, ×{c['speedup']:.1f} the naive loop (goals met: "
                   + ", ".join(f"{k} {_yes(v)}" for k, v in c.get("met", {}).items()) + ")")
    i = results.get("ingest")
    if i:
        f, c, lim = i["ingest"], i["ingest_changed"], i["read_csv"]
        met = i.get("met", {}).get("first", {})
        out.append(f"ingest: {i['rows']:,} rows ({i['file_mib']:.0f} MiB CSV) in {f['seconds']:.1f} s "
                   f"({f['cpu_seconds']:.1f} CPU-s), peak {f['peak_rss_mib']:.0f} MiB (goals ≤ 10 s: "
                   f"{_yes(met.get('seconds_le_10'))}, ≤ 1 GiB: {_yes(met.get('rss_le_1gib'))}); ×"
                   f"{i['ratio_to_read_csv']:.1f} a plain duckdb.read_csv ({lim['seconds']:.1f} s); the same rows "
                   f"in a changed file {c['seconds']:.1f} s")
    sc = results.get("scale")
    if sc:
        g, pr = sc["goals"], sc["province"]
        line = (f"scale: {pr['reports']} reports of a {sc['units']}-unit province over {sc['months']} months at "
                f"{pr['reports_per_min']:.1f}/min, {g['rate_change']:+.1%} against the small batch (goal within "
                f"{GOAL_SCALE_TOLERANCE:.0%}: {_yes(g['within_15_percent'])}); peak memory of the process tree "
                f"{pr['peak_tree_rss_mib']:.0f} MiB RSS" + (f" / {pr['peak_tree_pss_mib']:.0f} MiB PSS" if pr.get("peak_tree_pss_mib")
                                                   else ""))
        if "dask_vs_local" in g:
            line += f"; Dask ×{g['dask_vs_local']} the local pool (goal ≥ {GOAL_DASK_RATIO}: {_yes(g['dask_ge_0_8'])})"
        out.append(line)
    return out
