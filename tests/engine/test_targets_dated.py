"""Dated target rules (spec §1): the rule in force for the unit at the period end, cited; gaps and overlaps."""

from __future__ import annotations

from datetime import date

import pytest

from tthc.engine.targets import INDICATORS, _parse, load_targets
from tthc.errors import ConfigError
from tthc.units import load_registry, parse_registry

SOURCES = {"a": {"document": "CV 1", "date": date(2025, 3, 31)}, "n": {"document": "QĐ 2", "date": date(2025, 9, 11),
                                                                      "verified": False}}


def _doc(rules_d1):
    ind = {i: {"kind": "count" if i == "D5" else "rate", "target": 0 if i == "D5" else 50, "source": "a"}
           for i in INDICATORS}
    ind["D1"] = {"kind": "rate", "rules": rules_d1}
    return {"sources": SOURCES, "indicators": ind}


REG = parse_registry({"units": [
    {"code": "H1", "name": "Huyện", "level": "huyen", "parent": None, "valid_from": "2015-01-01",
     "valid_to": "2025-06-30"},
    {"code": "X1", "name": "Xã", "level": "xa", "parent": "H1", "valid_from": "2015-01-01", "valid_to": "2025-06-30"},
    {"code": "X9", "name": "Xã mới", "level": "xa", "parent": None, "valid_from": "2025-07-01", "valid_to": None}]},
    "u.yaml")


def test_rule_in_force_at_period_end_and_citation():
    t = _parse(_doc([{"issued_by": "a", "target": 60, "valid_to": "2025-06-30", "applies_to": {"units": ["H1"]}},
                     {"issued_by": "n", "target": 80, "valid_from": "2025-07-01"}]), "t.yaml")
    r = t.rule("D1", "X1", "xa", date(2025, 3, 31), REG.ancestors("X1"))
    assert (r.for_level("xa"), r.cite()) == (60.0, "CV 1 ngày 31/03/2025")
    r = t.rule("D1", "X9", "xa", date(2026, 9, 30))
    assert (r.for_level("xa"), r.cite(), r.cite("en")) == (80.0, "QĐ 2 ngày 11/09/2025 (chưa kiểm chứng)",
                                                          "QĐ 2 ngày 11/09/2025 (unverified)")
    # the short form (one rule, always, everyone) still parses: room for new indicators written that way
    assert t.rule("D2", "X9", "xa", date(2030, 1, 1)).target == 50.0
    assert t.check_coverage(REG, date(2025, 1, 1), date(2026, 12, 31)) == []


def test_unit_rule_beats_level_rule_and_gap_and_overlap_are_reported():
    t = _parse(_doc([{"issued_by": "a", "target": 60, "applies_to": {"units": ["H1"]}, "valid_to": "2025-06-30"},
                     {"issued_by": "a", "target": 70, "applies_to": {"levels": ["xa"]}, "valid_to": "2025-06-30"},
                     {"issued_by": "n", "target": 80, "valid_from": "2025-08-01"},
                     {"issued_by": "n", "target": 90, "valid_from": "2026-01-01", "applies_to": {"levels": ["xa"]}}]),
               "t.yaml")
    assert t.rule("D1", "X1", "xa", date(2025, 6, 30), REG.ancestors("X1")).target == 60
    problems = t.check_coverage(REG, date(2025, 1, 1), date(2026, 12, 31))
    assert any("no rule applies to X9 (xa) from 2025-07-01 to 2025-07-31" in p for p in problems)
    assert any("2 rules apply to X9 from 2026-01-01" in p for p in problems)


@pytest.mark.parametrize("rule, msg", [
    ({"issued_by": "zz", "target": 60}, "is not listed under 'sources'"),
    ({"issued_by": "a", "target": 60, "valid_from": "2025-13-01"}, "not an ISO date"),
    ({"issued_by": "a", "target": 60, "applies_to": {"levels": ["tỉnh"]}}, "applies_to.levels"),
    ({"issued_by": "a", "target": 160}, "not a percentage"),
])
def test_bad_rules_are_one_line(rule, msg):
    with pytest.raises(ConfigError, match=msg) as e:
        _parse(_doc([rule]), "t.yaml")
    assert "\n" not in str(e.value)


def test_project_targets_cover_the_registry():
    """The dispatch binds Thanh Hà's units up to 30/06/2025 only; later periods use unverified national or
    carried-on rules, and no unit of the registry is ever without a target."""
    t, reg = load_targets(), load_registry()
    assert t.check_coverage(reg) == []
    r = t.rule("D1", "X001", "xa", date(2025, 6, 30), reg.ancestors("X001"))
    assert r.citation.startswith("Công văn 353/UBND-VP") and r.verified
    r = t.rule("D1", "X101", "xa", date(2026, 9, 30), reg.ancestors("X101"))
    assert "353" not in r.citation and not r.verified and r.target == 80


def test_tthc_check_reports_a_gap(tmp_path, monkeypatch, project_root):
    """``tthc check`` (config_check.check_all) fails with one line when a unit has no rule for some days."""
    import shutil

    from tthc import config
    from tthc.config_check import check_all

    params = tmp_path / "params"
    shutil.copytree(project_root / "params", params)
    p = params / "targets.yaml"
    text = p.read_text(encoding="utf-8")
    # the national D1 rule starting a month late leaves July 2025 without a D1 target for the city's units
    p.write_text(text.replace("{issued_by: qd126, target: 80, valid_from: 2025-07-01",
                              "{issued_by: qd126, target: 80, valid_from: 2025-08-01", 1), encoding="utf-8")
    monkeypatch.setattr(config, "params_dir", lambda: params)
    with pytest.raises(ConfigError) as e:
        check_all(params / "units.yaml")
    msg = str(e.value)
    assert "indicators.D1: no rule applies to" in msg and "from 2025-07-01 to 2025-07-31" in msg
    assert "more)" in msg and "\n" not in msg
