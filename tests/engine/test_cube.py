"""The cube and the query helpers on a hand-built warehouse (period 2025-03, calendar window)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from tthc.engine import build_cube, ensure_cube, query
from tthc.engine.targets import Rules

from engine_fixtures import ROWS


@pytest.fixture
def cube(con_factory, small_registry, calendar, tmp_path):
    con = con_factory(ROWS)
    res = build_cube(con, small_registry, periods=["2025-03"], windows=("calendar",), out_dir=tmp_path / "cube",
                     calendar=calendar, rules=Rules())
    res["dir"] = tmp_path / "cube"
    return res


def _ind(cube, unit, ind, period="2025-03"):
    df = query.indicators(period, "calendar", cube_dir=cube["dir"])
    return df[(df["unit"] == unit) & (df["indicator"] == ind)].iloc[0]


def test_d1_values_status_gap_rank(cube):
    x1, x2, h = _ind(cube, "X001", "D1"), _ind(cube, "X002", "D1"), _ind(cube, "H001", "D1")
    assert (x1["numerator"], x1["denominator"], x1["value"], x1["status"], x1["gap"]) == (3, 5, 60.0, "Đạt", 0)
    assert (x2["numerator"], x2["denominator"], x2["value"], x2["status"], x2["gap"]) == (1, 2, 50.0, "Chưa đạt", 1)
    assert (h["numerator"], h["denominator"], h["value"], h["status"]) == (5, 8, 62.5, "Đạt")
    assert (x1["rank"], x2["rank"], x1["peers"]) == (1, 2, 2)
    assert h["level"] == "huyen" and x1["parent"] == "H001" and x1["unit_name"] == "UBND xã Một"


def test_change_vs_previous_period(cube):
    x2 = _ind(cube, "X002", "D1")
    assert x2["prev_value"] == 0.0 and x2["change"] == 50.0  # February: one new dossier, in person
    assert math.isnan(_ind(cube, "X001", "D1")["prev_value"])


def test_d5_overdue_and_apology(cube):
    x1, h = _ind(cube, "X001", "D5"), _ind(cube, "H001", "D5")
    assert (x1["value"], x1["target"], x1["status"], x1["gap"], x1["rate"]) == (1, 0, "Chưa đạt", 1, 20.0)
    assert (h["value"], h["denominator"], h["rate"]) == (2, 9, 22.22)
    assert _ind(cube, "H001", "OVERDUE_APOLOGY")["value"] == 1
    assert _ind(cube, "H001", "OVERDUE_NO_APOLOGY")["value"] == 1
    assert _ind(cube, "P001", "D5")["status"] == "Đạt"
    assert _ind(cube, "H001", "ON_TIME")["value"] == 50.0


def test_d6_target_by_level_and_no_data(cube):
    x1 = _ind(cube, "X001", "D6")
    assert (x1["value"], x1["target"], x1["status"], x1["gap"]) == (50.0, 100, "Chưa đạt", 1)
    p = _ind(cube, "P001", "D6")
    assert (p["target"], p["status"], p["gap"]) == (80, "Không có dữ liệu", 0) and math.isnan(p["value"])
    d2 = _ind(cube, "P001", "D2")
    assert (d2["value"], d2["status"]) == (100.0, "Đạt")


def test_units_reported(cube):
    units = set(query.indicators("2025-03", cube_dir=cube["dir"])["unit"])
    assert units == {"H001", "P001", "X001", "X002"}  # X003 counted nothing


def test_bieu06_rows(cube):
    b = query.bieu06("2025-03", unit="H001", cube_dir=cube["dir"])
    tot = b[b["ma_linh_vuc"] == "TONG"].iloc[0]
    assert [int(tot[f"col{i}"]) for i in range(3, 14)] == [9, 5, 3, 1, 2, 1, 0, 1, 7, 6, 1]
    unknown = b[b["ma_linh_vuc"] == ""].iloc[0]
    assert unknown["ten_linh_vuc"] == "Lĩnh vực chưa xác định" and unknown["col4"] == 1
    assert set(b["ma_linh_vuc"]) == {"LV1", "LV2", "", "TONG"}
    x1 = query.bieu06("2025-03", unit="X001", cube_dir=cube["dir"])
    assert x1[x1["ma_linh_vuc"] == "LV2"]["col5"].item() == 1
    withsub = query.bieu06("2025-03", unit="H001", cube_dir=cube["dir"], descendants=True)
    assert set(withsub["unit"]) == {"H001", "P001", "X001", "X002"}


def test_parent_is_sum_of_children(cube):
    c = cube["counts"]
    c = c[c["period"] == "2025-03"].set_index("unit")
    num = [k for k in c.columns if k.startswith(("n_", "sum_")) and k != "n_khong_tiep_nhan"]
    assert (c.loc["H001", num] == c.loc[["P001", "X001", "X002"], num].sum()).all()
    # the not-received dossier of X003 (no counted dossier, so X003 itself is not reported) counts in H001's D8
    assert "X003" not in c.index and c.loc["H001", "n_khong_tiep_nhan"] == 1
    assert c.loc[["P001", "X001", "X002"], "n_khong_tiep_nhan"].sum() == 0


def test_index766(cube):
    it = query.index766("X001", "2025-03", cube_dir=cube["dir"]).set_index("item")
    assert it.loc["2.1", "score"] == pytest.approx(16.0)          # (1 early + 3 in time) / 5 × 20
    assert it.loc["1.4", "score"] == pytest.approx(6 * 1 / 5)
    assert it.loc["5.4", "score"] == pytest.approx(6 * 0.8 / 0.9)  # 1 − 1/5 overdue, threshold 90 %
    assert it.loc["4.1", "score"] == pytest.approx(3.0)            # 1 of 2 resolved with an electronic result
    assert not it.loc["TT", "computable"]                          # no fee-bearing dossier
    assert not it.loc["1.1-1.3", "computable"] and math.isnan(it.loc["1.1-1.3", "score"])
    s = query.index766_summary("X001", "2025-03", cube_dir=cube["dir"])
    # computable: 1.4 (6) + 2.1 (20) + 3.3 (6) + 4.1..4.4 (16) + 5.4 (6) = 54
    assert s["computable_max"] == 54
    assert s["score"] == pytest.approx(sum(it["score"].dropna()))
    assert "quan sát" in s["as_observed_note"]
    assert s["text"].endswith("/ 54 điểm có dữ liệu")
    p = query.index766("P001", "2025-03", cube_dir=cube["dir"]).set_index("item")
    assert p.loc["TT", "score"] == pytest.approx(6.0) and p.loc["TT", "points_computable"] == 6


def test_trend(cube):
    t = query.trend("X001", "2025-03", cube_dir=cube["dir"])
    assert len(t) == 12 * 8
    assert t["month"].iloc[0] == "2024-04" and t["month"].iloc[-1] == "2025-03"
    m = t[(t["month"] == "2025-03") & (t["indicator"] == "D1")].iloc[0]
    assert (m["value"], m["target"]) == (60.0, 60.0)
    f = t[(t["month"] == "2025-01") & (t["indicator"] == "D1")].iloc[0]
    assert math.isnan(f["value"])


def test_meta_and_parquet(cube):
    meta = json.loads((cube["dir"] / "meta.json").read_text())
    assert "2025-03" in meta["periods"] and "2025-02" in meta["periods"] and "2024-04" in meta["periods"]
    for n in ("indicators", "bieu06", "index766", "counts"):
        assert (cube["dir"] / f"{n}.parquet").exists()


def test_dossier_lists_and_quality(con_factory, small_registry, calendar):
    con = con_factory(ROWS + [dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-27", thoi_han_gq=3),
                              dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-26")])
    od = query.dossiers(con, "H001", "2025-03", "calendar", "overdue", registry=small_registry, calendar=calendar,
                        rules=Rules())
    assert od["ma_ho_so"].tolist() == ["HS0007", "HS0001"]  # most late first
    assert od["so_ngay_tre"].tolist() == [18, 2] and od["co_phieu_xin_loi"].tolist() == [False, True]
    assert od["ten_tthc"].tolist() == ["Thủ tục 1", "Thủ tục 1"]
    assert list(od.columns) == ["ma_ho_so", "ma_don_vi", "ma_tthc", "ten_tthc", "trang_thai_gq", "ngay_hen_tra",
                                "so_ngay_tre", "co_phieu_xin_loi"]
    soon = query.dossiers(con, "X001", "2025-03", "calendar", "due_soon", registry=small_registry, calendar=calendar,
                          rules=Rules())
    assert soon["ma_ho_so"].tolist() == ["HS0010"]  # Thu 27/03 + 3 working days = Tue 01/04 ≤ 31/03 + 2
    dq = query.data_quality(con, "X001", "2025-03", "calendar", registry=small_registry, calendar=calendar,
                            rules=Rules())
    assert dq["recomputed_deadlines"] == 1 and dq["no_due_date"] == 1 and dq["counted"] == 7


def test_ensure_cube_stamp(con_factory, small_registry, calendar, tmp_path):
    path = tmp_path / "w.duckdb"
    con = con_factory(ROWS, path)
    con.close()
    m1 = ensure_cube(path, small_registry, periods=["2025-03"], windows=("calendar",), out_dir=tmp_path / "c")
    m2 = ensure_cube(path, small_registry, periods=["2025-03"], windows=("calendar",), out_dir=tmp_path / "c")
    assert m1["rebuilt"] and not m2["rebuilt"]
    import duckdb

    c = duckdb.connect(str(path))
    c.execute("UPDATE dossiers SET kenh = 2 WHERE ma_ho_so = 'HS0003'")
    c.close()
    m3 = ensure_cube(path, small_registry, periods=["2025-03"], windows=("calendar",), out_dir=tmp_path / "c")
    assert m3["rebuilt"]
    assert query.indicators("2025-03", cube_dir=tmp_path / "c").query("unit == 'X001' and indicator == 'D1'")[
        "numerator"].item() == 4
