"""Issue #18 item 8: ``--jobs`` above what the machine holds (cores × 2, available memory ÷ per-worker memory) is
capped with a message (found: ``--jobs 500`` started 97 workers and finished nothing in 5 minutes)."""

from __future__ import annotations

import os

import pytest

from tthc.batch import pool


def test_cap_jobs_values():
    assert pool.cap_jobs(4, cores=2, mem_mb=8000) == (4, None)
    n, why = pool.cap_jobs(500, cores=2, mem_mb=8000)
    assert n == 4 and why == ("--jobs 500 capped to 4 (2 CPU core(s) × 2); more workers would only slow every "
                              "report down")
    n, why = pool.cap_jobs(500, cores=32, mem_mb=2000)  # 2000 // 350 = 5
    assert n == 5 and "2,000 MB available memory ÷ 350 MB per worker" in why
    assert pool.cap_jobs(3, cores=1, mem_mb=100) == (1, pool.cap_jobs(3, cores=1, mem_mb=100)[1])  # at least 1
    assert pool.cap_jobs(64, cores=8, mem_mb=None) == (16, pool.cap_jobs(64, cores=8, mem_mb=None)[1])
    assert pool.cap_jobs(16, cores=8, mem_mb=None) == (16, None)


def test_available_memory_is_read():
    mb = pool.available_memory_mb()
    if os.path.exists("/proc/meminfo"):
        assert mb is not None and mb > 0


def test_batch_command_caps_jobs(monkeypatch, capsys):
    from tthc import cli
    from tthc.batch import runner

    seen = {}

    class Res:
        exit_code = 0

        def summary(self):
            return "ok"

    def fake(period, window, lang, **kw):
        seen.update(kw)
        return Res()

    monkeypatch.setattr(runner, "run_batch", fake)
    monkeypatch.setattr(pool, "available_memory_mb", lambda: 1400)  # 1400 // 350 = 4 workers
    monkeypatch.setattr(os, "cpu_count", lambda: 8)  # 16 by cores: memory decides
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert cli.main(["batch", "--period", "2025-Q1", "--jobs", "500", "--no-progress"]) == 0
    assert seen["jobs"] == 4
    err = capsys.readouterr().err
    assert "tthc batch: --jobs 500 capped to 4 (1,400 MB available memory ÷ 350 MB per worker)" in err
    seen.clear()
    assert cli.main(["batch", "--period", "2025-Q1", "--jobs", "3", "--no-progress"]) == 0
    assert seen["jobs"] == 3 and "capped" not in capsys.readouterr().err


def test_default_jobs_is_one_more_than_the_cores():
    """Without --jobs a batch starts cores + 1 workers (a worker exports while another's kernel runs), which the cap
    (cores × 2) always allows."""
    assert pool.default_jobs(2) == 3 and pool.default_jobs(1) == 2 and pool.default_jobs(8) == 9
    for cores in (1, 2, 8):
        assert pool.cap_jobs(pool.default_jobs(cores), cores=cores, mem_mb=64_000) == (cores + 1, None)


def test_worker_takes_the_next_kernel_after_a_start_race():
    """A kernel that died before answering (its port taken between choice and bind) costs a log line and the next
    pre-started kernel, not the report; any other start failure fails the run with one line."""
    import pytest

    from tthc.batch.worker import Runner

    class Pool:
        def __init__(self, errors):
            self.errors = list(errors)

        def get(self):
            if self.errors:
                raise self.errors.pop(0)
            return "km"

    r = Runner.__new__(Runner)
    r.fork = False
    lines = []
    r.kernels = Pool([RuntimeError("Kernel died before replying to kernel_info")])
    assert r._kernel(lines.append) == "km"
    assert any("taking the next one (1/2)" in x for x in lines)
    r.kernels = Pool([RuntimeError("Kernel died before replying to kernel_info")] * 3)
    with pytest.raises(RuntimeError, match="could not start a kernel"):
        r._kernel(lines.append)
    r.kernels = Pool([RuntimeError("No such kernel named tthc")])
    with pytest.raises(RuntimeError, match="could not start a kernel: RuntimeError: No such kernel"):
        r._kernel(lines.append)
