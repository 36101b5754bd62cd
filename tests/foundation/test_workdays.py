from datetime import date

import numpy as np
import pytest

from tthc.errors import ConfigError
from tthc.workdays import WorkCalendar, load_calendar


def test_spec_check_makeup_saturday(calendar):
    # spec §4: Sat 26/04/2025 is a make-up working day (swapped for Fri 02/05/2025)
    assert calendar.add_working_days(date(2025, 4, 25), 3) == date(2025, 4, 29)
    assert calendar.is_working_day(date(2025, 4, 26))
    assert not calendar.is_working_day(date(2025, 5, 2))
    assert not calendar.is_working_day(date(2025, 4, 30)) and not calendar.is_working_day(date(2025, 5, 1))


def test_without_override_the_saturday_is_not_worked():
    bare = WorkCalendar()
    assert bare.add_working_days(date(2025, 4, 25), 3) == date(2025, 5, 5)  # 28, 29, (30/4, 1/5, 2/5 off), 5


def test_tet_2025(calendar):
    # spec §6: 3 working days from Friday 24/01/2025 → Wednesday 05/02/2025 (Tết 27/01–01/02)
    assert calendar.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)
    for d in range(27, 32):
        assert not calendar.is_working_day(date(2025, 1, d))
    assert calendar.is_working_day(date(2025, 2, 3))


def test_receipt_on_non_working_day_counts_from_next(calendar):
    # received Saturday 18/01/2025 (day 0); Mon 20 is day 1
    assert calendar.add_working_days(date(2025, 1, 18), 1) == date(2025, 1, 20)
    assert calendar.add_working_days(date(2025, 1, 17), 0) == date(2025, 1, 17)


def test_working_days_between(calendar):
    assert calendar.working_days_between(date(2025, 4, 25), date(2025, 4, 29)) == 3
    assert calendar.working_days_between(date(2025, 4, 29), date(2025, 4, 25)) == -3
    assert calendar.working_days_between(date(2025, 1, 24), date(2025, 2, 5)) == 3
    assert calendar.working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0


def test_vectorised_matches_scalar(calendar):
    days = np.array(["2025-01-24", "2025-04-25", "2024-12-31", "2025-09-01"], dtype="datetime64[D]")
    n = np.array([3, 3, 1, 2])
    out = calendar.add_working_days_array(days, n)
    assert [str(x) for x in out] == [str(calendar.add_working_days(d.item(), int(k))) for d, k in zip(days, n)]


def test_national_day_2025(calendar):
    assert not calendar.is_working_day(date(2025, 9, 1)) and not calendar.is_working_day(date(2025, 9, 2))


def test_override_file_errors(tmp_path):
    p = tmp_path / "calendar.yaml"
    p.write_text("working_saturdays:\n  - {date: 2025-04-25}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a Saturday"):
        load_calendar(p)
    p.write_text("days_off: [2025-02-30]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="valid YYYY-MM-DD"):
        load_calendar(p)
    p.write_text("holidays: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_calendar(p)
    p.write_text("days_off: [2025-04-26]\nworking_saturdays: [2025-04-26]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="both"):
        load_calendar(p)
    p.write_text("days_off: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_calendar(p)


def test_extra_day_off(tmp_path):
    p = tmp_path / "calendar.yaml"
    p.write_text("days_off: [{date: 2025-03-03, reason: local}]\n", encoding="utf-8")
    cal = load_calendar(p)
    assert cal.add_working_days(date(2025, 2, 28), 1) == date(2025, 3, 4)
