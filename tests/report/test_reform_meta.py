"""The report header and letterhead follow the registry as valid in the period (spec §2, §10)."""

from __future__ import annotations

from tthc.report.context import build_meta
from tthc.report.params import validate
from tthc.units import load_registry


def _meta(unit, period):
    reg = load_registry()
    return build_meta(validate(unit, period, registry=reg), reg, True, "h", [])


def test_successor_commune_2026_has_the_city_as_parent_and_letterhead_chain():
    m = _meta("X101", "2026-Q3")
    assert m["parent_name"] == "UBND thành phố Hải Phòng"
    assert m["letterhead_units"] == ["T001", "X101"]


def test_pre_reform_commune_keeps_the_district():
    m = _meta("X001", "2025-Q1")
    assert m["parent_name"] == "UBND huyện Thanh Hà"
    assert m["letterhead_units"] == ["H001", "X001"]


def test_department_and_province_overview():
    assert _meta("S001", "2026-Q3")["letterhead_units"] == ["T001", "S001"]
    m = _meta("T001", "2026")
    assert m["parent_name"] is None and m["letterhead_units"] == ["T001"]
