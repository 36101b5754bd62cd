"""Exact arithmetic of spec §7/§11 and the 766 scoring helpers of §9."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tthc.engine.index766 import load_index766, payment_score, proportional, threshold
from tthc.engine.targets import CHUA_DAT, DAT, KHONG_DU_LIEU, gap, load_targets, pct_half_up, status


@pytest.mark.parametrize("n, d, expected", [
    (1, 3, 33.33), (2, 3, 66.67), (1, 800, 0.13), (3, 800, 0.38), (1, 8, 12.5), (0, 5, 0.0), (5, 5, 100.0),
    (11999, 20000, 60.0),
])
def test_pct_half_up(n, d, expected):
    assert pct_half_up(n, d) == pytest.approx(expected, abs=1e-12)


def test_pct_zero_denominator_is_nan():
    assert math.isnan(pct_half_up(0, 0))


def test_status_on_exact_fraction():
    # 59.995 % shows as 60,00 % but does not reach 60 %
    assert status(11999, 20000, 60) == CHUA_DAT
    assert gap(11999, 20000, 60) == 1
    assert status(12000, 20000, 60) == DAT
    assert gap(12000, 20000, 60) == 0
    assert status(0, 0, 60) == KHONG_DU_LIEU
    assert gap(0, 0, 60) == 0


@pytest.mark.parametrize("n, d, t, g", [(0, 7, 60, 5), (4, 7, 60, 1), (5, 7, 60, 0), (3, 10, 50, 2),
                                        (2, 3, 100, 1), (1, 3, 80, 2), (0, 1, 62.5, 1), (5, 8, 62.5, 0)])
def test_gap_is_ceiling(n, d, t, g):
    assert gap(n, d, t) == g


def test_vectorised():
    n = np.array([0, 3, 6])
    d = np.array([0, 5, 5])
    assert status(n, d, 60).tolist() == [KHONG_DU_LIEU, DAT, DAT]
    assert gap(n, d, 80).tolist() == [0, 1, 0]


def test_targets_file(project_root):
    t = load_targets(project_root / "params" / "targets.yaml")
    assert t.target("D6", "xa") == 100 and t.target("D6", "huyen") == 80 and t.target("D6", "phong") == 80
    assert t.target("D6", "tinh") == 80 and t.target("D6", "so") == 80
    assert t.target("D1", "xa") == 60 and t.target("D2", "phong") == 60 and t.target("D3", "xa") == 100
    assert t.target("D5", "xa") == 0 and t.indicators["D5"].kind == "count"
    assert "353/UBND-VP" in t.indicators["D1"].source and "31/03/2025" in t.indicators["D1"].source
    assert t.indicators["D2"].decision
    assert t.rules.supplement_pause and t.rules.multiple_supplements_late


def test_scoring_helpers():
    assert proportional(6, 0.5) == 3
    assert proportional(6, 1.2) == 6
    assert proportional(20, 0.0) == 0
    assert threshold(6, 0.25, 0.5) == 3
    assert threshold(6, 0.6, 0.5) == 6
    assert threshold(4, 0.6, 0.8) == pytest.approx(3.0)
    assert threshold(6, 0.81, 0.9) == pytest.approx(5.4)


def test_payment_formula():
    assert payment_score(0.5, 0.4, 0.2) == pytest.approx(3 + 1.0 + 0.5)
    assert payment_score(0.5, 0.9, 0.2) == pytest.approx(3 + 2.0 + 0.5)  # B capped at 2 points
    assert payment_score(1, 1, 1) == 10  # 6 + 2 + 2.5 capped at the group maximum
    assert payment_score(0.25) == pytest.approx(1.5)  # without the catalogue: A only


@pytest.mark.parametrize("pct, band, assumed", [
    (100, "Xuất sắc", False), (90, "Xuất sắc", False), (89.99, "Tốt", True), (80, "Tốt", True),
    (79.99, "Khá", True), (65, "Khá", True), (64.99, "Trung bình", True), (50, "Trung bình", True),
    (49.99, "Yếu", False), (0, "Yếu", False),
])
def test_band_edges(project_root, pct, band, assumed):
    cfg = load_index766(project_root / "params" / "index766.yaml")
    assert cfg.band(pct) == (band, assumed)


def test_index766_config_sums(project_root):
    cfg = load_index766(project_root / "params" / "index766.yaml")
    assert cfg.total == 100 and cfg.as_observed and "quan sát" in cfg.note_vi
    assert sum(i["points"] for i in cfg.items) == 100
