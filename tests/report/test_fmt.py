"""Vietnamese number and date formats (spec §11), half-up rounding."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from tthc.report.fmt import fmt_date, fmt_int, fmt_num, fmt_pct, fmt_signed, round_half_up


def test_percentages():
    assert fmt_pct(32.97) == "32,97%"
    assert fmt_pct(100 * 30 / 91) == "32,97%"      # 32.967…
    assert fmt_pct(32.97, lang="en") == "32.97%"
    assert fmt_pct(75.45, 1) == "75,5%"            # charts: 1 decimal, half-up
    assert fmt_pct(2.1) == "2,10%"
    assert fmt_pct(None) == "–" and fmt_pct(float("nan")) == "–" and fmt_pct(pd.NA) == "–"


def test_thousands():
    assert fmt_int(1234) == "1.234"
    assert fmt_int(1234567) == "1.234.567"
    assert fmt_int(1234, "en") == "1,234"
    assert fmt_int(999) == "999" and fmt_int(0) == "0"
    assert fmt_num(1234.5, 2) == "1.234,50"
    assert fmt_num(-1234.5, 1) == "−1.234,5"
    assert fmt_int(np.int64(30000)) == "30.000"


@pytest.mark.parametrize("x, d, want", [(0.125, 2, "0,13"), (2.675, 2, "2,68"), (0.5, 0, "1"), (1.5, 0, "2"),
                                         (2.5, 0, "3"), (32.965, 2, "32,97"), (-0.125, 2, "−0,13")])
def test_half_up_not_bankers(x, d, want):
    assert fmt_num(x, d) == want


def test_round_half_up_decimal():
    assert str(round_half_up(0.005, 2)) == "0.01"
    assert str(round_half_up(1.005, 2)) == "1.01"   # binary 1.00499… would round down with round()


def test_signed_change():
    assert fmt_signed(1.5) == "+1,50"
    assert fmt_signed(-0.25) == "−0,25"
    assert fmt_signed(0.0) == "0,00"
    assert fmt_signed(-2, 0) == "−2"


def test_dates():
    assert fmt_date(date(2025, 3, 1)) == "01/03/2025"
    assert fmt_date(datetime(2024, 12, 15, 23, 59)) == "15/12/2024"
    assert fmt_date("2025-03-14") == "14/03/2025"
    assert fmt_date(pd.Timestamp("2025-02-05")) == "05/02/2025"
    assert fmt_date(np.datetime64("2025-04-29")) == "29/04/2025"
    assert fmt_date(date(2025, 3, 1), "en") == "01/03/2025"
    assert fmt_date(None) == "–" and fmt_date(pd.NaT) == "–"


def test_period_labels():
    from tthc.report.i18n import period_label

    assert period_label("2025-Q1") == "Quý I năm 2025"
    assert period_label("2025-Q4") == "Quý IV năm 2025"
    assert period_label("2025-03") == "Tháng 3 năm 2025"
    assert period_label("2025-H1") == "6 tháng đầu năm 2025"
    assert period_label("2025-H2") == "6 tháng cuối năm 2025"
    assert period_label("2025-9M") == "9 tháng năm 2025"
    assert period_label("2025") == "Năm 2025"
    assert period_label("2025-Q1", "en") == "Q1 2025"
    assert period_label("2025-03", "en") == "March 2025"
