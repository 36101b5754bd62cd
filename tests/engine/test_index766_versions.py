"""766 rule versions (spec §9): the 2026 portal scoring kinds with hand-computed values, zero-denominator policies,
the version switch at 01/01/2026, and a 2026 cube scored from hand-made dossiers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine_fixtures import make_con
from tthc.engine import query
from tthc.engine.cube import build_cube
from tthc.engine.index766 import (load_rules, payment_portal, progress_score, proportional_nd, score_metric,
                                  threshold_nd)
from tthc.errors import ParameterError
from tthc.units import parse_registry

OLD, NEW = "2022–2025, as observed", "2026 portal"


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def item(rules, code):
    return rules.get(NEW).item(code)


def test_proportional_and_zero_policies():
    assert proportional_nd(6, 45, 50) == pytest.approx(5.4)
    assert proportional_nd(6, 60, 50) == pytest.approx(6.0)          # capped at the maximum
    assert math.isnan(proportional_nd(6, 0, 0, "na"))
    assert proportional_nd(6, 0, 0, "zero") == 0.0
    assert proportional_nd(6, 0, 0, "full") == 6.0
    assert math.isnan(proportional_nd(6, np.nan, np.nan, "full"))     # not published stays unknown


def test_threshold():
    assert threshold_nd(2, 7, 10, 0.8) == pytest.approx(1.75)        # 2 · 0.7 / 0.8
    assert threshold_nd(2, 9, 10, 0.8) == pytest.approx(2.0)
    assert threshold_nd(6, 8, 10, 0.9) == pytest.approx(6 * 0.8 / 0.9)   # 5.3333…
    assert threshold_nd(6, 0, 0, 0.9, "zero") == 0.0


def test_progress():
    assert progress_score(17, 20) == pytest.approx(17.0)
    assert progress_score(2, 3) == pytest.approx(13.333333, abs=1e-6)
    assert progress_score(0, 0) == 0.0                                 # nothing received → 0


def test_payment():
    # A = 3/4, B = 1/5, C = 2/5 → 4.5 + min(2, 0.5) + 1.0 = 6.0
    assert payment_portal(3, 4, 1, 5, 2, 5) == pytest.approx(6.0)
    # B = 1 → min(2, 2.5) = 2: 6 + 2 + 2.5 = 10.5 is not reachable with C ≤ 1, here C = 0.8 → 6 + 2 + 2 = 10
    assert payment_portal(4, 4, 5, 5, 4, 5) == pytest.approx(10.0)
    assert payment_portal(0, 0, 0, 0, 0, 0) == 0.0                      # every ratio 0
    assert payment_portal(5, 10, 3, 0, 1, 0) == pytest.approx(3.0)     # B, C denominators 0 → those ratios 0
    assert payment_portal(0, 0, 2, 4, 1, 4) == pytest.approx(min(2, 1.25) + 0.625)


def test_metric_table(rules):
    cfg = rules.get(NEW)
    assert cfg.total == 100 and sum(i["points"] for i in cfg.items) == 100
    gmax = {g["id"]: g["max"] for g in cfg.groups}
    assert gmax == {"transparency": 18, "progress": 20, "online": 12, "payment": 10, "digitized": 22,
                    "satisfaction": 18}
    # zero denominators per metric: N/A, 0 or full
    assert math.isnan(score_metric(item(rules, "DOSSIER_SYNC"), 0, 0))
    assert math.isnan(score_metric(item(rules, "ORIGINAL_RESULT_AVAILABLE"), 0, 0))
    assert math.isnan(score_metric(item(rules, "REUSED_DIGITIZED_DATA"), 0, 0))
    assert score_metric(item(rules, "DOSSIER_RECEIVING_SATISFACTION"), 0, 0) == 0.0
    assert score_metric(item(rules, "PETITION_PROCESSING_ON_TIME"), 0, 0) == 6.0
    assert score_metric(item(rules, "PETITION_HANDLING_SATISFACTION"), 0, 0) == 6.0
    assert score_metric(item(rules, "PROGRESS"), 0, 0) == 0.0
    assert score_metric(item(rules, "PETITION_CLASSIFICATION_TTHC"), 3, 7) == 0.0     # tracked, never scored
    assert math.isnan(score_metric(item(rules, "ONLINE"), 5, 10))                     # formula not published
    assert math.isnan(score_metric(item(rules, "ELECTRONIC_CERTIFIED_COPY"), 5, 10))
    # values
    assert score_metric(item(rules, "DOSSIER_SYNC"), 97, 100) == pytest.approx(5.82)
    assert score_metric(item(rules, "SO_HOA_GIAY_TO_GIAI_QUYET"), 30, 40) == pytest.approx(3.0)
    assert score_metric(item(rules, "REUSED_DIGITIZED_DATA"), 3, 5) == pytest.approx(1.5)     # 2·0.6/0.8
    assert score_metric(item(rules, "DOSSIER_RECEIVING_SATISFACTION"), 45, 50) == pytest.approx(6.0)
    assert score_metric(item(rules, "DOSSIER_RECEIVING_SATISFACTION"), 36, 50) == pytest.approx(4.8)  # 6·.72/.9
    assert score_metric(item(rules, "PUBLISH_ON_TIME"), 9, 12) == pytest.approx(4.5)
    assert score_metric(item(rules, "PETITION_PROCESSING_ON_TIME"), 1, 4) == pytest.approx(1.5)


@pytest.mark.parametrize("period, version", [
    ("2025-12", OLD), ("2026-01", NEW), ("2025", OLD), ("2026", NEW), ("2025-Q4", OLD), ("2026-Q1", NEW),
    ("2025-H2", OLD), ("2024-03", OLD),
])
def test_version_in_force_at_period_end(rules, period, version):
    assert rules.for_period(period).version == version


def test_override(rules):
    assert rules.for_period("2025-12", "2026 portal").version == NEW
    assert rules.for_period("2026-03", "2022-2025, as observed").version == OLD   # plain hyphen accepted
    assert rules.for_period("2026-03", "2022").version == OLD
    with pytest.raises(ParameterError, match="unknown 766 rules version"):
        rules.for_period("2026-03", "2019")


UNITS = {"units": [
    {"code": "T01", "name": "UBND tỉnh", "level": "tinh", "parent": None, "valid_from": "2015-01-01",
     "valid_to": None},
    {"code": "X101", "name": "UBND xã Mới", "level": "xa", "parent": "T01", "valid_from": "2025-07-01",
     "valid_to": None, "ma_dvcqg": "G22.1.01"},
]}
DEC = dict(ma_don_vi="X101", ngay_tiep_nhan="2025-12-03", ngay_hen_tra="2025-12-10")
JAN = dict(ma_don_vi="X101", ngay_tiep_nhan="2026-01-05", ngay_hen_tra="2026-01-12")
ROWS = [
    # December 2025: 2 dossiers, both resolved early and synchronised
    dict(**DEC, trang_thai=10, ngay_ket_thuc_xu_ly="2025-12-05", dong_bo_dvcqg=True),
    dict(**DEC, trang_thai=10, ngay_ket_thuc_xu_ly="2025-12-08", dong_bo_dvcqg=True),
    # January 2026: 5 received
    dict(**JAN, trang_thai=10, ngay_ket_thuc_xu_ly="2026-01-07", dong_bo_dvcqg=True, ket_qua_dien_tu=True,
         so_hoa_ho_so=True, tai_su_dung=True, co_danh_gia=True, muc_hai_long=3, co_phi=True,
         thanh_toan_truc_tuyen=1, kenh=2),
    dict(**JAN, trang_thai=10, ngay_ket_thuc_xu_ly="2026-01-20", dong_bo_dvcqg=True, ket_qua_dien_tu=True,
         so_hoa_ho_so=True, co_danh_gia=True, muc_hai_long=1, co_phi=True),                       # late
    dict(**JAN, trang_thai=4, dong_bo_dvcqg=True, so_hoa_ho_so=True, co_danh_gia=True, muc_hai_long=2),
    dict(**JAN, trang_thai=4, so_hoa_ho_so=True),
    dict(ma_don_vi="X101", ngay_tiep_nhan="2026-01-06", ngay_hen_tra="2026-01-09", trang_thai=4),  # pending, late
]


@pytest.fixture(scope="module")
def cube2026(tmp_path_factory):
    d = tmp_path_factory.mktemp("cube2026")
    con = make_con(ROWS)
    reg = parse_registry(UNITS, "u.yaml")
    res = build_cube(con, reg, periods=["2025-12", "2026-01"], windows=("calendar",), out_dir=d / "cube")
    con.close()
    return res, d / "cube"


def test_cube_switches_version(cube2026):
    res, d = cube2026
    it = res["index766"]
    dec = it[(it["period"] == "2025-12") & (it["unit"] == "X101")]
    jan = it[(it["period"] == "2026-01") & (it["unit"] == "X101")]
    assert set(dec["rules_version"]) == {OLD} and "2.1" in set(dec["item"])
    assert set(jan["rules_version"]) == {NEW} and "PROGRESS" in set(jan["item"])
    assert res["meta"]["rules766"]["2025-12"] == OLD and res["meta"]["rules766"]["2026-01"] == NEW
    old = dec.set_index("item")
    assert old.loc["1.4", "score"] == pytest.approx(6.0) and old.loc["2.1", "score"] == pytest.approx(20.0)


def test_cube_2026_metrics(cube2026):
    res, d = cube2026
    it = query.index766("X101", "2026-01", cube_dir=d).set_index("item")
    # 5 received in January (n_tong = 5: nothing carried over)
    assert it.loc["DOSSIER_SYNC", ["numerator", "denominator"]].tolist() == [3, 5]
    assert it.loc["DOSSIER_SYNC", "score"] == pytest.approx(6 * 3 / 5)
    # on time: 1 early + 2 pending within the deadline (due 12/01, period ends 31/01? no: both pending are due
    # 12/01 and 09/01 → overdue at 31/01); so on time = 1 resolved early of 5
    assert it.loc["PROGRESS", ["numerator", "denominator"]].tolist() == [1, 5]
    assert it.loc["PROGRESS", "score"] == pytest.approx(4.0)
    assert it.loc["ORIGINAL_RESULT_AVAILABLE", ["numerator", "denominator"]].tolist() == [2, 5]
    assert it.loc["ORIGINAL_RESULT_AVAILABLE", "score"] == pytest.approx(2.4)
    assert it.loc["SO_HOA_GIAY_TO_GIAI_QUYET", "score"] == pytest.approx(4 * 4 / 5)
    assert it.loc["REUSED_DIGITIZED_DATA", "score"] == pytest.approx(2 * 0.2 / 0.8)
    assert it.loc["DOSSIER_RECEIVING_SATISFACTION", ["numerator", "denominator"]].tolist() == [2, 5]
    assert it.loc["DOSSIER_RECEIVING_SATISFACTION", "score"] == pytest.approx(6 * 0.4 / 0.9)
    # PAYMENT without catalogue: A only = 1 paid online of 2 with a fee → 3 of 6 computable points
    assert it.loc["PAYMENT", "score"] == pytest.approx(3.0) and it.loc["PAYMENT", "points_computable"] == 6
    assert not it.loc["PUBLISH_ON_TIME", "computable"] and it.loc["PUBLISH_ON_TIME", "note"] == "không đủ dữ liệu"
    assert not it.loc["ONLINE", "computable"]
    s = query.index766_summary("X101", "2026-01", cube_dir=d)
    expect = 6 * 3 / 5 + 4 + 2.4 + 3.2 + 0.5 + 6 * 0.4 / 0.9 + 3
    assert s["score"] == pytest.approx(expect)
    assert s["computable_max"] == 6 + 20 + 6 + 6 + 4 + 2 + 6
    assert s["text"] == f"{expect:.1f}".replace(".", ",") + " / 50 điểm có dữ liệu"


def test_override_rescoring_from_the_cube(cube2026, monkeypatch):
    """``--rules`` (the reports' ``rules`` parameter) rescored from the cube's counts: December 2025 under the 2026
    portal rules and January 2026 under the old rules."""
    res, d = cube2026
    dec = query.index766("X101", "2025-12", cube_dir=d, rules="2026 portal").set_index("item")
    assert set(dec["rules_version"]) == {NEW}
    assert dec.loc["PROGRESS", "score"] == pytest.approx(20.0) and dec.loc["DOSSIER_SYNC", "score"] == 6.0
    jan = query.index766("X101", "2026-01", cube_dir=d, rules=OLD).set_index("item")
    assert set(jan["rules_version"]) == {OLD} and jan.loc["2.1", "score"] == pytest.approx(4.0)
    assert query.index766_summary("X101", "2026-01", cube_dir=d, rules=OLD)["rules_version"] == OLD


def test_indicators_cli_names_version(tmp_path, capsys):
    import yaml

    from tthc.cli import main
    from tthc.commands.indicators import rules_version

    assert rules_version("2026-01") == NEW and rules_version("2025-12") == OLD
    assert rules_version("2025-12", "2026") == NEW
    reg = tmp_path / "u.yaml"
    reg.write_text(yaml.safe_dump(UNITS, allow_unicode=True), encoding="utf-8")
    make_con(ROWS, tmp_path / "wh.duckdb").close()
    args = ["--units", str(reg), "--warehouse", str(tmp_path / "wh.duckdb"), "--cube", str(tmp_path / "c"),
            "--format", "csv"]
    assert main(["indicators", "--period", "2026-01", *args]) == 0
    out, err = capsys.readouterr()
    assert "766 rules version: 2026 portal" in err
    lines = out.splitlines()
    assert lines[0] == "unit,indicator,numerator,denominator,value,target,status,gap"
    assert "X101,766_PROGRESS,1,5,20.00,100.00,Chưa đạt," in lines
    assert "X101,766_DOSSIER_SYNC,3,5,60.00,100.00,Chưa đạt," in lines
    assert main(["indicators", "--period", "2025-12", *args]) == 0
    out, err = capsys.readouterr()
    assert "766 rules version: 2022–2025, as observed" in err and "X101,766_2.1,2,2,100.00,100.00,Đạt," in out
    assert main(["indicators", "--period", "2025-12", "--rules", "2026", *args]) == 0
    out, err = capsys.readouterr()
    assert "766 rules version: 2026 portal" in err and "X101,766_PROGRESS,2,2,100.00,100.00,Đạt," in out


def test_workbook_names_version(cube2026, tmp_path):
    from openpyxl import load_workbook

    from tthc.export_xlsx import write_bieu06_workbook

    res, d = cube2026
    reg = parse_registry(UNITS, "u.yaml")
    for period, version, code in (("2026-01", NEW, "PROGRESS"), ("2025-12", OLD, "2.1")):
        p = write_bieu06_workbook(tmp_path / f"{period}.xlsx", "X101", period, cube_dir=d, registry=reg)
        ws = load_workbook(p)["BoChiSo766"]
        assert ws.cell(1, 1).value == f"Bộ chỉ số 766 — phiên bản quy tắc: {version}"
        assert code in [ws.cell(r, 1).value for r in range(3, ws.max_row + 1)]
