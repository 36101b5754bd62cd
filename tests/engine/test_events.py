"""The event (prefix-sum) cube equals the reference dossier × period join, frame by frame and column by column."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tthc.engine import build_cube
from tthc.engine.cube import build_counts_reference
from tthc.engine.targets import Rules
from tthc.units import parse_registry

from engine_fixtures import SMALL_UNITS, make_con

KEYS = {"counts": ["period", "window", "unit"], "bieu06": ["period", "window", "unit", "ma_linh_vuc"],
        "indicators": ["period", "window", "unit", "indicator"], "index766": ["period", "window", "unit", "item"],
        "index766_total": ["period", "window", "unit"]}
D0 = date(2024, 12, 1)


def assert_same_cube(ev: dict, ref: dict) -> None:
    for name, key in KEYS.items():
        a = ev[name].sort_values(key).reset_index(drop=True)
        b = ref[name].sort_values(key).reset_index(drop=True)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
        for col in a.columns:  # column by column, so a failure names the counter
            pd.testing.assert_series_equal(a[col], b[col], check_names=True, obj=f"{name}.{col}")
    for k in ("unattributed_units", "unattributed_dossier_periods", "periods"):
        assert ev["meta"][k] == ref["meta"][k], k


def both(con, reg, calendar, rules, periods=("2025-03",), windows=("calendar", "report")):
    kw = dict(periods=list(periods), windows=windows, calendar=calendar, rules=rules, write=False, stamp="t")
    return build_cube(con, reg, **kw), build_cube(con, reg, method="reference", **kw)


def day(d: date, time: str = "00:00:00") -> str:
    return f"{d.isoformat()} {time}"


@st.composite
def dossier(draw):
    recv = D0 + timedelta(days=draw(st.integers(0, 150)))
    row = dict(ngay_tiep_nhan=day(recv, draw(st.sampled_from(["00:00:00", "08:30:00", "16:59:00"]))),
               ma_don_vi=draw(st.sampled_from(["H001", "P001", "X001", "X002", "X003", "Z999"])),
               trang_thai=draw(st.integers(1, 10)), kenh=draw(st.sampled_from([None, 1, 2, 3])),
               ma_linh_vuc=draw(st.sampled_from([None, "", "  ", "LV1", " LV1", "LV2"])),
               ten_linh_vuc=draw(st.sampled_from([None, "Lĩnh vực A", "Lĩnh vực B"])),
               co_phi=draw(st.sampled_from([None, False, True])), thanh_toan_truc_tuyen=draw(st.sampled_from([None, 0, 1, 2])),
               so_hoa_ho_so=draw(st.booleans()), ket_qua_dien_tu=draw(st.booleans()),
               co_danh_gia=draw(st.booleans()), tai_su_dung=draw(st.booleans()), tu_kho_du_lieu=draw(st.booleans()),
               dong_bo_dvcqg=draw(st.sampled_from([None, True, False])), co_phieu_xin_loi=draw(st.booleans()),
               muc_hai_long=draw(st.sampled_from([None, 1, 2, 3])),
               so_lan_bo_sung=draw(st.sampled_from([None, 0, 1, 1, 2])))
    due = draw(st.sampled_from(["hen", "hen", "thoi_han", "none"]))
    if due == "hen":
        row["ngay_hen_tra"] = day(recv + timedelta(days=draw(st.integers(-3, 45))))
    elif due == "thoi_han":
        row["thoi_han_gq"] = draw(st.integers(0, 20))
    end = draw(st.sampled_from(["ket_thuc", "ket_thuc", "tra", "none"]))
    if end == "ket_thuc":  # may lie before receipt (inconsistent)
        row["ngay_ket_thuc_xu_ly"] = day(recv + timedelta(days=draw(st.integers(-4, 70))))
    elif end == "tra":
        row["ngay_tra"] = day(recv + timedelta(days=draw(st.integers(0, 70))))
    if row["so_lan_bo_sung"] in (1, 2) and draw(st.booleans()):
        req = recv + timedelta(days=draw(st.integers(-2, 20)))
        row["ngay_yeu_cau_bo_sung"] = day(req)
        if draw(st.booleans()):
            row["ngay_hoan_thanh_bo_sung"] = day(req + timedelta(days=draw(st.integers(-3, 30))))
        row["han_da_doi"] = draw(st.sampled_from([None, False, True]))  # a moved due date: no pause
    return row


rules_st = st.builds(Rules, supplement_pause=st.booleans(), multiple_supplements_late=st.booleans(),
                     pause_without_completion=st.sampled_from(["open", "ignore"]),
                     due_soon_working_days=st.sampled_from([0, 2, 5]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(dossier(), min_size=1, max_size=60), rules=rules_st,
       periods=st.sampled_from([("2025-03",), ("2025-Q1", "2025-02"), ("2025-H1",), ("2025-04", "2024-12")]))
def test_events_equal_reference(rows, rules, periods, calendar):
    """Event counting equals the dossier × period join, read row by row (no stored pre-aggregate) and from the
    stored dossier-days pre-aggregate."""
    from tthc.engine import days
    from tthc.warehouse import dossiers_signature

    reg = parse_registry(SMALL_UNITS, "u.yaml")
    con = make_con(rows)
    try:
        ev, ref = both(con, reg, calendar, rules, periods)
        assert "days_temporary" in ev["timing"]
        assert_same_cube(ev, ref)
        sig = dossiers_signature(con)
        days.refresh(con, sig)
        warm = build_cube(con, reg, periods=list(periods), calendar=calendar, rules=rules, write=False, stamp=sig)
        assert "days_stored" in warm["timing"]
        assert_same_cube(warm, ref)
    finally:
        con.close()


def test_open_pause_without_completion_moves_the_due_date_with_b(calendar):
    """Pending with one supplement, no completion date: the pause runs to b, so the due date moves with b
    (counted by the events with the rule worked out in ``events.stage_sql``, checked against the join)."""
    reg = parse_registry(SMALL_UNITS, "u.yaml")
    row = dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-10", so_lan_bo_sung=1,
               ngay_yeu_cau_bo_sung="2025-03-05")
    con = make_con([row])
    ev, ref = both(con, reg, calendar, Rules(), ("2025-03", "2025-04"), ("calendar",))
    assert_same_cube(ev, ref)
    c = ev["counts"].set_index(["period", "unit"])
    # March: pause 05/03 → 31/03 = 26 days, due 05/04 ≥ 31/03 → in time; April: pause to 30/04, due 05/05
    assert c.loc[("2025-03", "X001"), ["n_trong_han", "n_qua_han_dang"]].tolist() == [1, 0]
    assert c.loc[("2025-04", "X001"), ["n_trong_han", "n_qua_han_dang", "n_ky_truoc"]].tolist() == [1, 0, 1]
    ev2, ref2 = both(con, reg, calendar, Rules(pause_without_completion="ignore"), ("2025-03",), ("calendar",))
    assert_same_cube(ev2, ref2)
    c2 = ev2["counts"].set_index(["period", "unit"])
    assert c2.loc[("2025-03", "X001"), ["n_trong_han", "n_qua_han_dang"]].tolist() == [0, 1]  # due 10/03 < 31/03
    con.close()


def test_open_pause_due_soon_and_overdue_by_request_day(calendar):
    """Pending, one supplement requested on q, never completed, due date D, rule ``open``: at a period end b ≥ q the
    due date is D + (b − q). Requested by D: never overdue, and due soon at b exactly when b + 2 working days
    reaches D + (b − q), i.e. when the horizon (31/03 Mon → 02/04 Wed: 2 days) is ≥ D − q. Requested after D:
    overdue from D + 1."""
    reg = parse_registry(SMALL_UNITS, "u.yaml")
    base = dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-03", so_lan_bo_sung=1)
    rows = [dict(base, ngay_hen_tra="2025-03-20", ngay_yeu_cau_bo_sung="2025-03-19"),  # D − q = 1: due soon
            dict(base, ngay_hen_tra="2025-03-21", ngay_yeu_cau_bo_sung="2025-03-19"),  # 2: due soon (horizon 2)
            dict(base, ngay_hen_tra="2025-03-22", ngay_yeu_cau_bo_sung="2025-03-19"),  # 3: in time, not soon
            dict(base, ngay_hen_tra="2025-03-10", ngay_yeu_cau_bo_sung="2025-03-12")]  # asked after D: overdue
    con = make_con(rows)
    ev, ref = both(con, reg, calendar, Rules(), ("2025-03", "2025-02"), ("calendar",))
    assert_same_cube(ev, ref)
    c = ev["counts"].set_index(["period", "unit"]).loc[("2025-03", "X001")]
    assert (c["n_dang_gq"], c["n_trong_han"], c["n_qua_han_dang"], c["n_sap_den_han"]) == (4, 3, 1, 2)
    # report window 15/02–14/03: b = Fri 14/03, before the requests, so the plain due dates apply
    ev2, ref2 = both(con, reg, calendar, Rules(), ("2025-03",), ("report",))
    assert_same_cube(ev2, ref2)
    c2 = ev2["counts"].set_index(["period", "unit"]).loc[("2025-03", "X001")]
    # b = 14/03: due 20/03, 21/03, 22/03 lie beyond 18/03 (Fri + 2 working days): none soon; 10/03 < 14/03 overdue
    assert (c2["n_trong_han"], c2["n_qua_han_dang"], c2["n_sap_den_han"]) == (3, 1, 0)
    con.close()


def test_due_soon_horizon(calendar):
    """Due soon at b = 31/03/2025 (Mon): pending, b ≤ due ≤ b + 2 working days = Wed 02/04."""
    reg = parse_registry(SMALL_UNITS, "u.yaml")
    rows = [dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-20", ngay_hen_tra=d)
            for d in ("2025-03-31", "2025-04-01", "2025-04-02", "2025-04-03")]
    con = make_con(rows)
    ev, ref = both(con, reg, calendar, Rules(), ("2025-03",), ("calendar",))
    assert_same_cube(ev, ref)
    c = ev["counts"].set_index(["period", "unit"])
    assert c.loc[("2025-03", "X001"), "n_sap_den_han"] == 3
    con.close()


def test_build_counts_reference_matches(calendar):
    from engine_fixtures import ROWS

    reg = parse_registry(SMALL_UNITS, "u.yaml")
    con = make_con(ROWS)
    ref = build_counts_reference(con, reg, periods=["2025-03"], windows=("calendar",), calendar=calendar,
                                 rules=Rules())
    ev = build_cube(con, reg, periods=["2025-03"], windows=("calendar",), calendar=calendar, rules=Rules(),
                    write=False)["counts"]
    pd.testing.assert_frame_equal(ev.sort_values(KEYS["counts"]).reset_index(drop=True),
                                  ref.sort_values(KEYS["counts"]).reset_index(drop=True))
    row = ev.set_index(["period", "unit"]).loc[("2025-03", "H001")]
    assert (row["n_tong"], row["n_moi"], row["n_ky_truoc"], row["n_da_gq"], row["n_dang_gq"]) == (9, 8, 1, 2, 7)
    con.close()


@pytest.mark.slow
def test_sample_frame_30k(tmp_path, calendar):
    from tthc.bench.cube import load_warehouse
    from tthc.sample.frame import generate_frame
    from tthc.units import load_registry

    df = generate_frame(30_000, 20250331)
    load_warehouse(df, tmp_path / "w.duckdb")
    import duckdb

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    reg = load_registry()
    ev, ref = both(con, reg, calendar, Rules(), ("2025-Q1", "2025-06"))
    assert len(ev["counts"]) > 100
    assert_same_cube(ev, ref)
    con.close()


def test_cube_stamp_is_the_warehouse_hash(tmp_path):
    """The cube's warehouse stamp and run records use one formula (tthc.warehouse.dossiers_signature)."""
    import duckdb

    from tthc import warehouse
    from tthc.engine.cube import content_hash
    from engine_fixtures import ROWS

    path = tmp_path / "w.duckdb"
    make_con(ROWS, path).close()
    with duckdb.connect(str(path), read_only=True) as con:
        h = content_hash(con)
    assert h == warehouse.content_hash(path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE dossiers SET kenh = 3 WHERE ma_ho_so = 'HS0003'")
    assert warehouse.content_hash(path) != h
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE dossiers SET kenh = NULL WHERE ma_ho_so = 'HS0003'")
    assert warehouse.content_hash(path) == h  # HS0003 had kenh NULL


def test_events_equal_reference_with_catalogue(calendar):
    """With a catalogue: statutory limits from it (due dates recomputed) and the paper-result rule of 3.3."""
    from engine_fixtures import ROWS

    reg = parse_registry(SMALL_UNITS, "u.yaml")
    extra = [dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-27", ma_tthc="T2", kenh=2, ket_qua_dien_tu=False),
             dict(ma_don_vi="X003", ngay_tiep_nhan="2025-03-24", ma_tthc="T2", kenh=2, ket_qua_dien_tu=True,
                  ngay_ket_thuc_xu_ly="2025-03-28", trang_thai=10),
             dict(ma_don_vi="X001", ngay_tiep_nhan="2025-02-26", ma_tthc="T3", thoi_han_gq=1)]
    con = make_con(ROWS + extra)
    con.execute("CREATE TABLE catalogue (ma_tthc VARCHAR, ten_tthc VARCHAR, ma_linh_vuc VARCHAR, cap_thuc_hien VARCHAR, "
                "muc_do_dvc VARCHAR, co_phi BOOLEAN, yeu_cau_ket_qua_giay BOOLEAN, thoi_han_gq SMALLINT)")
    con.execute("INSERT INTO catalogue VALUES ('T2', 'Thủ tục 2', 'LV1', 'xa', 'toan_trinh', true, true, 2), "
                "('T3', 'Thủ tục 3', 'LV1', NULL, 'none', false, false, 9)")
    ev, ref = both(con, reg, calendar, Rules(), ("2025-03",))
    assert_same_cube(ev, ref)
    c = ev["counts"].set_index(["period", "window", "unit"]).loc[("2025-03", "calendar", "X001")]
    # T2 from 27/03 (Thu) + 2 working days = 31/03 (recomputed, pending, in time); T3 uses its own limit
    assert c["n_han_tinh_lai"] == 2 and c["n_moi_truc_tuyen_kq"] == 3  # the T2 dossier lacks the e-result
    con.close()
