from datetime import date

import pytest

from tthc.errors import ParameterError
from tthc.periods import parse_period, periods_covering


@pytest.mark.parametrize("code,calendar,report", [
    ("2025-03", (date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 2, 15), date(2025, 3, 14))),
    ("2025-01", (date(2025, 1, 1), date(2025, 1, 31)), (date(2024, 12, 15), date(2025, 1, 14))),
    ("2025-12", (date(2025, 12, 1), date(2025, 12, 31)), (date(2025, 11, 15), date(2025, 12, 14))),
    ("2024-02", (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 1, 15), date(2024, 2, 14))),
    ("2025-Q1", (date(2025, 1, 1), date(2025, 3, 31)), (date(2024, 12, 15), date(2025, 3, 14))),
    ("2025-Q4", (date(2025, 10, 1), date(2025, 12, 31)), (date(2025, 9, 15), date(2025, 12, 14))),
    ("2025-H1", (date(2025, 1, 1), date(2025, 6, 30)), (date(2024, 12, 15), date(2025, 6, 14))),
    ("2025-H2", (date(2025, 7, 1), date(2025, 12, 31)), (date(2025, 6, 15), date(2025, 12, 14))),
    ("2025-9M", (date(2025, 1, 1), date(2025, 9, 30)), (date(2024, 12, 15), date(2025, 9, 14))),
    ("2025", (date(2025, 1, 1), date(2025, 12, 31)), (date(2024, 12, 15), date(2025, 12, 14))),
])
def test_bounds(code, calendar, report):
    p = parse_period(code)
    assert p.code == code
    assert p.bounds("calendar") == calendar
    assert p.bounds("report") == report


def test_report_windows_tile_without_gap_or_overlap():
    # consecutive months in the report window: the 14th ends one, the 15th starts the next
    months = parse_period("2025").months()
    for m1, m2 in zip(months, months[1:]):
        assert (m2.bounds("report")[0] - m1.bounds("report")[1]).days == 1
    # the year's report window is exactly the union of its months
    assert parse_period("2025").bounds("report") == (months[0].bounds("report")[0], months[-1].bounds("report")[1])


@pytest.mark.parametrize("code,prev", [("2025-01", "2024-12"), ("2025-03", "2025-02"), ("2025-Q1", "2024-Q4"),
                                       ("2025-Q3", "2025-Q2"), ("2025-H1", "2024-H2"), ("2025-H2", "2025-H1"),
                                       ("2025-9M", "2024-9M"), ("2025", "2024")])
def test_previous(code, prev):
    assert parse_period(code).previous().code == prev


def test_trailing_months_cross_year():
    codes = [p.code for p in parse_period("2025-Q1").trailing_months(12)]
    assert codes[0] == "2024-04" and codes[-1] == "2025-03" and len(codes) == 12


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "2025-Q5", "2025-H3", "25-01", "2025-1", "", None, "../../etc",
                                 "2025-Q1; rm -rf /", "2025-６", "1999", "2025-9m", "x" * 500, 2025.5])
def test_invalid(bad):
    with pytest.raises(ParameterError) as e:
        parse_period(bad)
    assert "2025-Q1" in str(e.value) or "year" in str(e.value) or "month" in str(e.value)


def test_int_year_accepted():
    # papermill may hand over a bare year as an int
    assert parse_period(2025).code == "2025"


def test_periods_covering():
    ps = {p.code for p in periods_covering(date(2024, 12, 20), date(2025, 1, 5))}
    assert {"2024-12", "2025-01", "2024-Q4", "2025-Q1", "2024-H2", "2025-H1", "2024", "2025", "2025-9M"} <= ps
    assert "2024-9M" not in ps and "2024-11" not in ps


def test_period_number_is_its_place_in_the_year():
    from tthc.periods import parse_period

    assert [parse_period(c).number for c in ("2025-03", "2025-12", "2025-Q1", "2025-Q4", "2025-H1", "2025-H2",
                                             "2025-9M", "2025")] == [3, 12, 1, 4, 1, 2, 1, 1]


def test_check_window_is_exact():
    """One window rule (tthc.periods.check_window) for the engine, the CLI and the report parameters: exactly
    ``calendar`` or ``report``, no case folding or trimming."""
    from tthc.errors import ParameterError
    from tthc.periods import check_window
    from tthc.report.params import check_window as report_check_window

    assert check_window("calendar") == "calendar" and check_window("report") == "report"
    for bad in ("Calendar", " calendar", "REPORT", "", None, 1):
        with pytest.raises(ParameterError, match="invalid window .*use one of calendar, report"):
            check_window(bad)
        with pytest.raises(ParameterError, match="invalid window"):
            report_check_window(bad)


def test_months_en_one_home():
    from tthc.periods import MONTHS_EN
    from tthc.render import layout
    from tthc.report import i18n

    assert MONTHS_EN[0] == "January" and MONTHS_EN[11] == "December" and len(MONTHS_EN) == 12
    assert i18n.MONTHS_EN is MONTHS_EN and layout._MONTHS_EN is MONTHS_EN
