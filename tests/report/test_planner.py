"""Kế hoạch đạt chỉ tiêu (spec §10): hand-computed plans, and the year-to-date sums checked against the cube."""

from __future__ import annotations

import pytest

from tthc.report import planner as P
from tthc.report.assess import plan_sentences
from tthc.report.narrative import load_templates


def test_plan_feasible_from_last_year():
    # YTD 13/111 (11,71%) after 3 months, target 60%, last year Apr–Dec: 386 new dossiers.
    # needed = ceil(0,6·(111 + 386) − 13) = ceil(298,2 − 13) = 286; per month ceil(286/9) = 32; 286 ≤ 386
    p = P.plan_rate("D1", 13, 111, 60.0, 3, 386)
    assert (p.needed, p.per_month, p.months_left, p.volume, p.basis, p.feasible) == (286, 32, 9, 386, "last_year",
                                                                                    True)
    assert p.share == pytest.approx(100 * 286 / 386)


def test_plan_infeasible_at_100_percent():
    # 67/111 digitised, target 100%: needed = 497 − 67 = 430 > 386 expected → cannot be reached
    p = P.plan_rate("D3", 67, 111, 100.0, 3, 386)
    assert (p.needed, p.per_month, p.feasible) == (430, 48, False)


def test_plan_met_or_no_data_gives_none():
    assert P.plan_rate("D1", 60, 100, 60.0, 6, 100) is None       # exactly 60% is Đạt
    assert P.plan_rate("D1", 0, 0, 60.0, 6, 100) is None          # nothing to plan
    assert P.is_missed(59, 100, 60.0) and not P.is_missed(60, 100, 60.0)


def test_plan_without_last_year_uses_ytd_average():
    # 59/100 after 6 months, no data last year: V = ceil(100·6/6) = 100; needed = ceil(0,6·200 − 59) = 61;
    # per month ceil(61/6) = 11
    p = P.plan_rate("D7", 59, 100, 60.0, 6, 0)
    assert (p.volume, p.basis, p.needed, p.per_month, p.feasible) == (100, "ytd_average", 61, 11, True)



def test_plan_text_names_each_basis():
    """A unit without last year's data (its first year in the system) gets the year-to-date wording, in both
    languages (the province-scale run of 2024-01 found the key missing)."""
    from tthc.report.assess import plan_html

    ytd = P.plan_rate("D7", 59, 100, 60.0, 6, 0)
    last = P.plan_rate("D1", 50, 100, 60.0, 6, 120)
    assert last.basis == "last_year"
    vi = plan_html([ytd, last], "vi", {"D7": "D7", "D1": "D1"})
    assert "bình quân tháng từ đầu năm" in vi and "cùng các tháng của năm trước" in vi
    en = plan_html([ytd], "en", {"D7": "D7"})
    assert "the monthly average so far this year" in en


def test_plan_fractional_target_and_rounding_up():
    # target 33,33%: 0/3 after 11 months, V = ceil(3·1/11) = 1; needed = ceil(0,3333·4) = ceil(1,3332) = 2 > 1
    p = P.plan_rate("D2", 0, 3, 33.33, 11, None)
    assert (p.volume, p.needed, p.per_month, p.feasible) == (1, 2, 2, False)
    assert P.needed_dossiers(1, 3, 33.33, 0) == 0                    # 1/3 = 33,33…% ≥ 33,33%


def test_plan_december_has_no_month_left():
    p = P.plan_rate("D1", 59, 100, 60.0, 12, 500)
    assert (p.months_left, p.needed, p.per_month, p.feasible) == (0, 1, 0, False)


def test_plan_sentence_vi():
    p = P.plan_rate("D1", 13, 111, 60.0, 3, 386)
    s = plan_sentences([p], "vi", {"D1": "Tỷ lệ hồ sơ tiếp nhận trực tuyến"}, load_templates())[0]
    # 13/111 = 11,711…% → 11,71%; 286/386 = 74,09…%
    assert s.text == ("Tỷ lệ hồ sơ tiếp nhận trực tuyến: lũy kế đạt 11,71% (chỉ tiêu: từ 60% trở lên); để đạt chỉ "
                      "tiêu đến hết năm, mỗi tháng còn lại cần thêm bình quân 32 hồ sơ đạt yêu cầu (286 hồ sơ trong 9 "
                      "tháng), tương đương 74,09% số hồ sơ dự kiến phát sinh (386 hồ sơ); có khả năng đạt được.")


def test_plans_skip_counts_and_met():
    ytd = {"D1": (13, 111), "D5": (7, 7), "D3": (111, 111)}
    out = P.plans(ytd, {"D1": (100, 386)}, {"D1": 60.0, "D5": 0.0, "D3": 100.0}, 3,
                  {"D1": "rate", "D5": "count", "D3": "rate"})
    assert [p.indicator for p in out] == ["D1"] and out[0].needed == 286


@pytest.mark.parametrize("period", ["2025-Q1", "2025-H1", "2024-9M", "2024"])
def test_ytd_sums_equal_the_period_figures(on_sample, period):
    """A period starting in January is its own year to date: the months' sums equal the cube's period figures."""
    from tthc.engine import query as q
    from tthc.report.assess import year_figures

    if period not in q.meta()["periods"]:
        pytest.skip(f"the sample does not reach {period}")
    ind = q.indicators(period, "calendar")
    for unit in ["H001", "X001", "P005"]:
        ytd, rest, elapsed = year_figures(unit, period)
        for code in ("D1", "D2", "D3", "D4", "D6", "D7"):
            r = ind[(ind["unit"] == unit) & (ind["indicator"] == code)].iloc[0]
            assert ytd[code] == (int(r["numerator"]), int(r["denominator"])), (unit, code)
        assert elapsed == {"2025-Q1": 3, "2025-H1": 6, "2024-9M": 9, "2024": 12}[period]
