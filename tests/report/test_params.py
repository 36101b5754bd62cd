"""Parameter validation happens before anything runs: one-line errors that list valid choices."""

from __future__ import annotations

import pytest

from tthc.errors import ParameterError
from tthc.report.params import validate

VALID_Q1 = "H001, P001"


def test_valid_parameters_are_canonical(registry):
    p = validate("X001", "2025-Q1", "calendar", "vi", registry=registry)
    assert (p.unit, p.period, p.window, p.lang, p.kind) == ("X001", "2025-Q1", "calendar", "vi", "unit")
    assert p.papermill() == {"unit": "X001", "period": "2025-Q1", "window": "calendar", "lang": "vi"}
    assert validate("H001", "2025-03", "report", "en", kind="overview", registry=registry).kind == "overview"


def test_int_unit_is_rejected_as_a_type_error(registry):
    # papermill's `-p unit 007` would arrive as the int 7
    with pytest.raises(ParameterError, match=r"invalid unit 7 \(int\).*must be a string.*X001"):
        validate(7, "2025-Q1", registry=registry)


def test_string_007_is_an_unknown_unit_listing_valid_codes(registry):
    with pytest.raises(ParameterError) as e:
        validate("007", "2025-Q1", registry=registry)
    msg = str(e.value)
    assert msg.startswith("unknown unit '007': valid units for 2025-Q1: H001, P001")
    assert "X021" in msg and "X101" not in msg  # merged communes start 2025-07-01
    assert "\n" not in msg


@pytest.mark.parametrize("bad", ["../../etc", "/abs", "X001/..", "X001;rm -rf", "X001 ", " X001", "x001$(id)",
                                 "X001\n", "..", "X00\u0031\u0301", "Х001",  # Cyrillic Ha
                                 "Ｘ001",  # full-width X
                                 "X" * 200, "", "X001|cat"])
def test_hostile_or_path_like_units_are_rejected(registry, bad):
    with pytest.raises(ParameterError) as e:
        validate(bad, "2025-Q1", registry=registry)
    assert "valid units for 2025-Q1" in str(e.value) or "at most" in str(e.value)
    assert "\n" not in str(e.value)


def test_unit_codes_must_match_exactly(registry):
    with pytest.raises(ParameterError, match="unknown unit 'x001'"):
        validate("x001", "2025-Q1", registry=registry)


def test_unit_not_valid_in_the_period(registry):
    with pytest.raises(ParameterError, match=r"unit 'X101' is not valid in 2025-Q1 \(valid 2025-07-01"):
        validate("X101", "2025-Q1", registry=registry)
    # and the other way round: the district was abolished on 01/07/2025
    with pytest.raises(ParameterError, match=r"unit 'H001' is not valid in 2025-Q3.*X101"):
        validate("H001", "2025-Q3", registry=registry)


@pytest.mark.parametrize("bad", ["2025-Q5", "2025-13", "25-Q1", "2025Q1", "2025-q1", "../2025", "2025-Q1 ",
                                 "2025-Q1;ls", "２０２５"])
def test_bad_periods_list_the_syntax(registry, bad):
    with pytest.raises(ParameterError, match=r"period .*2025-03, 2025-Q1, 2025-H1, 2025-9M, 2025"):
        validate("X001", bad, registry=registry)


def test_int_period_is_rejected(registry):
    with pytest.raises(ParameterError, match=r"invalid period 2025 \(int\): period must be a string"):
        validate("X001", 2025, registry=registry)


def test_window_and_lang(registry):
    with pytest.raises(ParameterError, match="invalid window 'Calendar': use one of calendar, report"):
        validate("X001", "2025-Q1", "Calendar", registry=registry)
    with pytest.raises(ParameterError, match="invalid lang 'fr': use one of vi, en"):
        validate("X001", "2025-Q1", "calendar", "fr", registry=registry)
    with pytest.raises(ParameterError, match="invalid report kind"):
        validate("X001", "2025-Q1", kind="../x", registry=registry)


def test_cli_rejects_bad_parameters_with_exit_2_and_one_line(tmp_path, capsys):
    from tthc.cli import main

    rc = main(["report", "--unit", "../../etc", "--period", "2025-Q1", "--out-root", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count("\n") == 0 and "valid units for 2025-Q1: H001" in err
    rc = main(["report", "--unit", "X001", "--period", "2025-Q7", "--out-root", str(tmp_path)])
    assert rc == 2 and "2025-03, 2025-Q1, 2025-H1, 2025-9M, 2025" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing written before validation passed
