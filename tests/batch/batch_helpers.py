"""Helpers of the batch tests: run ``tthc`` as a subprocess on a test root, read run records and batch.log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
UNITS = "X001,X002,H001"


def root_env(root: Path, **extra) -> dict:
    env = dict(os.environ)
    env["TTHC_ROOT"] = str(root)
    for var in ("TTHC_WAREHOUSE", "TTHC_UNITS", "DASK_SCHEDULER_ADDRESS"):
        env.pop(var, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_tthc(root: Path, *args, timeout: float = 240, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tthc.cli", *map(str, args)], env=root_env(root, **extra),
                          cwd=str(root), capture_output=True, text=True, timeout=timeout)


def batch(root: Path, out: Path, *args, units: str = UNITS, **extra) -> subprocess.CompletedProcess:
    return run_tthc(root, "batch", "--period", "2025-Q1", "--units-list", units, "--jobs", "2", "--out-root", out,
                    "--no-progress", *args, **extra)


def records(out: Path, period: str = "2025-Q1") -> dict[str, dict]:
    res = {}
    for f in sorted((out / period).glob("*/run.json")):
        res[f.parent.name] = json.loads(f.read_text(encoding="utf-8"))
    return res


def batch_log_events(out: Path, period: str = "2025-Q1") -> list[str]:
    return (out / period / "batch.log").read_text(encoding="utf-8").splitlines()


def last_batch(out: Path, period: str = "2025-Q1") -> list[str]:
    lines = batch_log_events(out, period)
    start = max(i for i, l in enumerate(lines) if " batch start:" in l)
    return lines[start:]


