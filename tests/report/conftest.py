"""Report tests: hand-built frames for tables and charts; a small synthetic sample root (shared with the nbval
goldens, see tests/golden/sampleroot.py) for the end-to-end and error-path tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden"))

import sampleroot  # noqa: E402


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory) -> Path:
    """A project root with the small sample ingested and the cube built (once per session, across workers)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return sampleroot.build(shared / "tthc-golden-root")


def ind_rows(rows: list[tuple], unit="X001", unit_name="UBND xã Thanh An", level="xa") -> pd.DataFrame:
    """Indicator rows like tthc.engine.query.indicators: (indicator, numerator, denominator, value, target, status,
    gap, change, rank, peers)."""
    cols = ["indicator", "numerator", "denominator", "value", "target", "status", "gap", "change", "rank", "peers"]
    df = pd.DataFrame(rows, columns=cols)
    df.insert(0, "unit", unit)
    df.insert(1, "unit_name", unit_name)
    df.insert(2, "level", level)
    return df


@pytest.fixture
def on_sample(sample_root, monkeypatch):
    """The small sample as the project root (``TTHC_ROOT``), with no other warehouse or registry set."""
    monkeypatch.setenv("TTHC_ROOT", str(sample_root))
    monkeypatch.delenv("TTHC_WAREHOUSE", raising=False)
    monkeypatch.delenv("TTHC_UNITS", raising=False)
    from tthc import config

    config.project_root.cache_clear()
    yield sample_root
    config.project_root.cache_clear()


@pytest.fixture
def make_ind():
    return ind_rows


@pytest.fixture
def scorecard_frame() -> pd.DataFrame:
    # D1: 30/91 = 32.967..% → 32,97%; gap ceil(0.6·91 − 30) = ceil(24.6) = 25
    return ind_rows([
        ("D1", 30, 91, 32.97, 60.0, "Chưa đạt", 25, -1.5, 3, 21),
        ("D2", 6, 10, 60.0, 60.0, "Đạt", 0, 10.0, 1, 21),
        ("D3", 1234, 1234, 100.0, 100.0, "Đạt", 0, 0.0, 1, 21),
        ("D4", 0, 0, float("nan"), 100.0, "Không có dữ liệu", float("nan"), float("nan"), float("nan"), 21),
        ("D5", 3, 100, 3.0, 0.0, "Chưa đạt", 3, -2.0, 5, 21),
        ("D6", 81, 100, 81.0, 100.0, "Chưa đạt", 19, 4.25, 2, 21),
        ("D7", 50, 100, 50.0, 50.0, "Đạt", 0, 0.5, 1, 21),
    ])
