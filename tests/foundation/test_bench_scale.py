"""The province-scale benchmark's own arithmetic and registry (no batch is run here)."""

from tthc.bench import scale as S
from tthc.units import load_registry


def test_province_shape_and_reports_per_month():
    units = S.province_units()
    # 1 province + 6 × (district + 12 offices + 21 communes)
    assert len(units) == 1 + 6 * 34 == 205
    # overviews: the province and the 6 districts
    assert S.reports_per_month(units) == 205 + 7
    # the months' reports with dossiers for the communes only: 6 × 21 + 7 overviews, × 12
    assert (6 * 21 + 7) * 12 == 1596 >= 1500
    assert S.reports_per_month(S.province_units(1, 2, 3)) == 7 + 2
    assert S.months(2024)[0] == "2024-01" and S.months(2024)[-1] == "2024-12" and len(S.months()) == 12


def test_generated_registry_loads(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(S.units_yaml(S.province_units()), encoding="utf-8")
    reg = load_registry(path)
    assert reg.get("X621").parent == "H006" and reg.get("H006").parent == "T001"
    assert len(reg.children("H002")) == 33 and len(reg.children("T001")) == 6
