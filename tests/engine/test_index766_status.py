"""766 item status and rounding (``tthc.engine.index766.item_status``, ``total_rounded``, ``full_points``,
``score_pct``): the one home that ``tthc indicators``, ``tthc reconcile`` and the reports use. Hand-computed values
at the boundaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tthc.engine import index766 as i766


@pytest.fixture(scope="module")
def rules():
    return i766.load_rules()


def _items(rows):
    cols = ["unit", "item", "numerator", "denominator", "rate", "score", "points_max", "computable"]
    return pd.DataFrame(rows, columns=cols)


def test_item_status_2025_rules(rules):
    cfg = rules.get("2022–2025, as observed")
    it = _items([
        ("U", "2.1", 1, 800, 1 / 800, 20 / 800, 20.0, True),      # 0,125 % → 0,13 (half-up, exact integers)
        ("U", "2.1", 2, 3, 2 / 3, 40 / 3, 20.0, True),            # 66,666… % → 66,67
        ("U", "2.1", 8, 8, 1.0, 20.0, 20.0, True),                # full points: Đạt
        ("U", "4.2", 4, 5, 0.8, 4.0 - 1e-12, 4.0, True),          # full up to float noise: Đạt; target 80 %
        ("U", "4.2", 79, 100, 0.79, 4 * 0.79 / 0.8, 4.0, True),   # below the threshold: Chưa đạt
        ("U", "3.3", 7, 10, 0.12345, 6 * 0.12345 / 0.5, 6.0, True),  # a product of rates: 12,345 % → 12,35
        ("U", "5.4", 0, 0, np.nan, np.nan, 6.0, True),            # no rate: Không có dữ liệu
        ("U", "4.1", 0, 0, np.nan, np.nan, 6.0, False),           # not computable
    ])
    out = i766.item_status(it, cfg)
    assert out["value_pct"].tolist()[:6] == [0.13, 66.67, 100.0, 80.0, 79.0, 12.35]
    assert math.isnan(out["value_pct"].iloc[6]) and math.isnan(out["value_pct"].iloc[7])
    assert out["target_pct"].tolist() == [100.0, 100.0, 100.0, 80.0, 80.0, 50.0, 90.0, 100.0]
    assert out["status"].tolist() == ["Chưa đạt", "Chưa đạt", "Đạt", "Đạt", "Chưa đạt", "Chưa đạt",
                                      "Không có dữ liệu", "Không có dữ liệu"]
    assert list(it.columns) == ["unit", "item", "numerator", "denominator", "rate", "score", "points_max",
                                "computable"]  # the input is not modified


def test_item_status_portal_metrics_are_exact_fractions(rules):
    cfg = rules.get("2026 portal")
    it = _items([
        ("U", "PROGRESS", 318, 325, 318 / 325, 19.0, 20.0, True),   # 97,846… % → 97,85
        ("U", "PAYMENT", 1, 8, 0.125, 1.0, 10.0, True),             # 12,5 % exactly
        ("U", "DOSSIER_SYNC", 1, 200, 0.005, 0.03, 6.0, True),      # 0,5 %
        ("U", "DOSSIER_SYNC", 1, 1600, 1 / 1600, 6 / 1600, 6.0, True),  # 0,0625 % → 0,06
    ])
    out = i766.item_status(it, cfg)
    assert out["value_pct"].tolist() == [97.85, 12.5, 0.5, 0.06]
    assert (out["status"] == "Chưa đạt").all()


def test_full_points_total_and_score_pct():
    assert i766.full_points([6.0, 6.0 - 1e-10, 6.0 - 1e-6, 7.0], 6.0).tolist() == [True, True, False, True]
    assert float(i766.total_rounded(61.445)) == 61.45  # half-up on the decimal value, not banker's
    assert float(i766.total_rounded(61.444)) == 61.44
    assert float(i766.total_rounded(0.005)) == 0.01
    pct = i766.score_pct([30.0, 5.0, np.nan], [40.0, 0.0, 10.0])
    assert pct[0] == 75.0 and math.isnan(pct[1]) and math.isnan(pct[2])
