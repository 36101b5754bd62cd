"""Public pages from hand-made aggregates: the indicator list is the engine's (a D8 row shows up without code
changes), values and targets are formatted as in the reports, names are escaped, the trend chart is inline SVG."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from tthc import publish as P


def _ind(rows):
    cols = ["unit", "unit_name", "indicator", "numerator", "denominator", "value", "target", "status", "gap"]
    return pd.DataFrame([("X001", "UBND xã A", *r) for r in rows], columns=cols)


IND = _ind([
    ("D1", 30, 91, 32.97, 60.0, "Chưa đạt", 25),
    ("D5", 0, 10, 0.0, 0.0, "Đạt", 0),
    ("D8", 2, 93, 2.0, 0.0, "Chưa đạt", 2),          # added by the engine: no code here names it
    ("ON_TIME", 9, 10, 90.0, np.nan, "", np.nan),    # no target: not on the public scorecard
])


def test_indicator_rows_follow_the_engine():
    rows = P.indicator_rows(IND, "X001")
    assert [r[0][0].split(".")[0] for r in rows] == ["D1", "D5", "D8"]
    assert rows[0][1:] == [("32,97%", "num"), ("từ 60% trở lên", ""), ("Chưa đạt", "chua_dat")]
    assert rows[1][1:] == [("0", "num"), ("0 hồ sơ", ""), ("Đạt", "dat")]
    assert rows[2][1] == ("2", "num")


def test_unit_page_is_self_contained_and_escaped():
    tr = pd.DataFrame({"month": ["2025-01", "2025-02", "2025-03"] * 2, "indicator": ["D1"] * 3 + ["D5"] * 3,
                       "value": [10.0, np.nan, 32.97, 1, 0, 0], "target": [60.0] * 3 + [0.0] * 3})
    total = {f"col{i}": i for i in range(3, 14)}
    html = P.unit_page("X001", "<script>alert(1)</script> xã A", "Cấp xã", "Quý I năm 2025", date(2025, 1, 1),
                       date(2025, 3, 31), IND, total, tr, "08:00 01/04/2025", True)
    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; xã A" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count('<svg viewBox') == 2 and html.count('<th scope="col">') >= 9
    assert "<td class=\"num\">32,97%</td>" in html
    assert "<td class=\"num\">33,0%</td>" in html      # the trend table: 1 decimal as in charts (spec §11)
    assert "DỮ LIỆU MẪU" in html
    # Biểu 06 totals: col3 … col13 in order
    assert html.index("Tổng số hồ sơ nhận giải quyết") < html.index("Quá hạn</th>")


def test_svg_trend_gap_and_target():
    svg = P.svg_trend(["2025-01", "2025-02", "2025-03"], [10.0, None, 50.0], 60.0, "D1")
    assert svg.count("<circle") == 2 and "<polyline" not in svg      # a missing month breaks the line
    assert 'stroke-dasharray="5 3"' in svg and 'aria-label="D1"' in svg
