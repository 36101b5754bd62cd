"""The benchmark arithmetic (tthc.bench.ratios), by hand-computed values."""

import pytest

from tthc.bench import ratios as R


def test_rate_and_per_report():
    assert R.rate(35, 21.0) == pytest.approx(100.0)
    assert R.rate(1560, 936.0) == pytest.approx(100.0)
    assert R.per_report(42.0, 35) == pytest.approx(1.2)
    with pytest.raises(ValueError):
        R.rate(35, 0)
    with pytest.raises(ValueError):
        R.per_report(1.0, 0)


def test_speedup_and_cpu_bound_rate():
    assert R.speedup(12.0, 0.6) == pytest.approx(20.0)
    assert R.speedup(1.8, 0.6) == pytest.approx(3.0)
    assert R.cpu_bound_rate(1.2, 2) == pytest.approx(100.0)
    assert R.cpu_bound_rate(0.8, 2) == pytest.approx(150.0)


def test_batch_goals():
    # 35 reports in 20 s = 105/min; naive 12 s vs 0.571 s → ×21; peer 1.5 s → ×2.63 (missed)
    ours = R.per_report(20.0, 35)
    g = R.batch_goals(R.rate(35, 20.0), R.speedup(12.0, ours), R.speedup(1.5, ours))
    assert g == {"rate_ge_100_per_min": True, "ge_15x_naive": True, "ge_3x_peer": False}
    assert R.batch_goals(99.9, 15.0, None) == {"rate_ge_100_per_min": False, "ge_15x_naive": True,
                                                "ge_3x_peer": None}


def test_scale_goals():
    assert R.relative_change(100.0, 90.0) == pytest.approx(-0.10)
    g = R.scale_goals(100.0, 84.0, local_rate=84.0, dask_rate=70.0)
    assert g["rate_change"] == pytest.approx(-0.16) and g["within_15_percent"] is False
    assert g["dask_vs_local"] == pytest.approx(0.8333) and g["dask_ge_0_8"] is True
    assert R.scale_goals(100.0, 110.0) == {"rate_change": 0.1, "within_15_percent": True}


def test_summary_lines_state_every_goal_from_one_run():
    """The summary printed at the end of `tthc bench`: the figures and yes/NO per goal, from the parts' results."""
    from tthc.bench.ratios import batch_goals, scale_goals, summary_lines

    batch = {"project": {"reports": 34, "reports_per_min": 85.0, "cpu_seconds_per_report": 1.1},
             "speedup_per_report": 16.2, "speedup_vs_peer": 3.4,
             "goals": batch_goals(85.0, 16.2, 3.4)}
    scale = {"units": 205, "months": 12, "province": {"reports": 1596, "reports_per_min": 80.0,
                                                       "peak_tree_rss_mib": 1234.4},
             "goals": scale_goals(85.0, 80.0, 70.0, 63.0)}
    lines = summary_lines({"batch": batch, "scale": scale})
    assert lines[0] == ("batch: 34 reports, 85.0/min (goal ≥ 100: NO); ×16.2 the naive batch (goal ≥ 15: yes); "
                        "×3.4 the competent peer (goal ≥ 3: yes); 1.10 CPU-s per report")
    # 80 against 85 is −5.9 %: within 15 %; Dask 63 / local 70 = 0.9 ≥ 0.8
    assert lines[1] == ("scale: 1596 reports of a 205-unit province over 12 months at 80.0/min, -5.9% against the "
                        "small batch (goal within 15%: yes); peak memory of the process tree 1234 MiB RSS; Dask ×0.9 the "
                        "local pool (goal ≥ 0.8: yes)")
    ingest = {"rows": 1_000_000, "file_mib": 428.0, "read_csv": {"seconds": 7.5},
              "ingest": {"seconds": 12.25, "cpu_seconds": 22.8, "peak_rss_mib": 719.4},
              "ingest_changed": {"seconds": 10.0}, "ratio_to_read_csv": 12.25 / 7.5,
              "met": {"first": {"seconds_le_10": False, "rss_le_1gib": True}}}
    assert summary_lines({"ingest": ingest}) == [
        "ingest: 1,000,000 rows (428 MiB CSV) in 12.2 s (22.8 CPU-s), peak 719 MiB (goals ≤ 10 s: NO, ≤ 1 GiB: yes); "
        "×1.6 a plain duckdb.read_csv (7.5 s); the same rows in a changed file 10.0 s"]
    assert summary_lines({}) == []


def test_bench_cpu_counts_workers_forked_by_the_forkserver(tmp_path):
    """The batch's workers are children of multiprocessing's forkserver, which outlives the batch: the bench's CPU
    figure must still count them (a worker burning 0.4 CPU-s shows up), not only what this process reaped."""
    import subprocess
    import sys

    code = ("import multiprocessing as mp, time\n"
            "from tthc.bench.batch import cpu_seconds\n"
            "def burn():\n"
            "    t = time.process_time()\n"
            "    while time.process_time() - t < 0.4: pass\n"
            "if __name__ == '__main__':\n"
            "    c0 = cpu_seconds()\n"
            "    p = mp.get_context('forkserver').Process(target=burn); p.start(); p.join(); time.sleep(0.3)\n"
            "    print(round(cpu_seconds() - c0, 3))\n")
    script = tmp_path / "burn.py"  # a file: the forkserver's child imports its target from the main module
    script.write_text(code, encoding="utf-8")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert float(r.stdout.split()[-1]) >= 0.4
