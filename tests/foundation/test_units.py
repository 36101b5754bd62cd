from datetime import date

import pytest

from tthc.errors import ConfigError
from tthc.units import parse_registry


def test_sample_registry(registry):
    assert registry.get("H001").level == "huyen"
    kids = registry.children("H001")
    assert sum(registry.get(k).level == "phong" for k in kids) == 12
    assert sum(registry.get(k).level == "xa" for k in kids) == 21
    assert registry.ancestors("X001") == ["H001"]
    valid_q1 = {u.code for u in registry.valid_in(date(2025, 1, 1), date(2025, 3, 31))}
    assert "X001" in valid_q1 and "X101" not in valid_q1
    valid_q3 = {u.code for u in registry.valid_in(date(2025, 7, 1), date(2025, 9, 30))}
    assert "X101" in valid_q3 and "X001" not in valid_q3 and "H001" not in valid_q3
    # a period straddling the reform sees both
    assert {"X001", "X101"} <= {u.code for u in registry.valid_in(date(2025, 1, 1), date(2025, 12, 31))}


def test_descendant_pairs(registry):
    pairs = set(registry.descendant_pairs())
    assert ("H001", "X001") in pairs and ("X001", "X001") in pairs and ("H001", "H001") in pairs
    assert ("X001", "H001") not in pairs


def _doc(*units):
    return {"units": list(units)}


BASE = dict(code="H1", name="Huyện", level="huyen", parent=None, valid_from="2015-01-01", valid_to=None)


@pytest.mark.parametrize("units,msg", [
    ([{**BASE, "level": "quan"}], "unknown level"),
    ([BASE, {**BASE}], "appears twice"),
    ([BASE, {**BASE, "code": "X1", "level": "xa", "parent": "H9"}], "parent 'H9'"),
    ([{**BASE, "parent": "X1"}, {**BASE, "code": "X1", "level": "xa", "parent": "H1"}], "cycle"),
    ([{**BASE, "valid_to": "2014-01-01"}], "before valid_from"),
    ([{**BASE, "valid_from": "2025-02-30"}], "not an ISO date"),
    ([{**BASE, "valid_to": "2025-06-30", "successors": ["H2"]}, {**BASE, "code": "H2", "valid_from": "2025-06-01"}],
     "overlaps"),
    ([{**BASE, "successors": ["H9"]}], "successor 'H9'"),
    ([{k: v for k, v in BASE.items() if k != "name"}], "missing required key 'name'"),
])
def test_registry_errors(units, msg):
    with pytest.raises(ConfigError, match=msg):
        parse_registry(_doc(*units), "units.yaml")


def test_registry_needs_units_list():
    with pytest.raises(ConfigError, match="top-level 'units:'"):
        parse_registry({"unit": []})


def test_extra_keys_ignored():
    reg = parse_registry(_doc({**BASE, "ghi_chu": "x"}))
    assert reg.get("H1").valid_to is None


def test_ma_dvcqg_and_handover_keys(tmp_path):
    from tthc.units import parse_registry

    doc = {"units": [{"code": "X1", "name": "Xã", "level": "xa", "parent": None, "valid_from": "2015-01-01",
                      "valid_to": "2025-06-30", "successors": ["X2"], "ma_dvcqg": " H31.1 "},
                     {"code": "X2", "name": "Xã mới", "level": "xa", "parent": None, "valid_from": "2025-07-01"}],
           "handover": {"pending_to_successor": False}}
    reg = parse_registry(doc, tmp_path / "u.yaml")
    assert reg.get("X1").ma_dvcqg == "H31.1" and reg.get("X2").ma_dvcqg is None
    assert reg.handover is False and reg.handover_steps() == []
    assert parse_registry({"units": doc["units"]}, tmp_path / "u.yaml").handover_steps()[0][2] == "X2"
    import pytest

    from tthc.errors import ConfigError

    with pytest.raises(ConfigError, match="pending_to_successor"):
        parse_registry({**doc, "handover": {"pending_to_successor": "yes"}}, tmp_path / "u.yaml")
