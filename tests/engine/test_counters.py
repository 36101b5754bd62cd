"""Each counter is defined once (``tthc.engine.counters``): a counter added or changed there changes the SQL of the
reference join, the pre-aggregate's flag columns and the event path alike — checked against hand-computed counts
on a four-dossier warehouse."""

from __future__ import annotations

import pandas as pd
import pytest

from tthc.engine import counters, days, events
from tthc.engine.counters import COUNTERS, Counter
from tthc.engine.cube import build_cube, fine_reference_sql
from tthc.engine.targets import Rules
from tthc.units import parse_registry
from tthc.warehouse import dossiers_signature

from engine_fixtures import SMALL_UNITS, make_con

# March 2025, unit X001 (due dates given, so no working-day arithmetic):
#   A received 03-03 online, fee paid online, ended 03-07, due 03-10 → resolved before the due date
#   B received 03-03 at the desk, fee not paid online, ended 03-12, due 03-10 → resolved late, apology
#   C received 02-20 online, no fee, pending, due 03-05 → carried over, pending overdue at 03-31
#   D received 03-10, channel unknown, fee paid online (2), pending, due 06-01 → pending in time
ROWS = [
    dict(ngay_tiep_nhan="2025-03-03", kenh=2, co_phi=True, thanh_toan_truc_tuyen=1, trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-03-07", ngay_hen_tra="2025-03-10"),
    dict(ngay_tiep_nhan="2025-03-03", kenh=1, co_phi=True, thanh_toan_truc_tuyen=0, trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-03-12", ngay_hen_tra="2025-03-10", co_phieu_xin_loi=True),
    dict(ngay_tiep_nhan="2025-02-20", kenh=2, co_phi=False, ngay_hen_tra="2025-03-05"),
    dict(ngay_tiep_nhan="2025-03-10", kenh=None, co_phi=True, thanh_toan_truc_tuyen=2, ngay_hen_tra="2025-06-01"),
]
NEW = {  # counter → its count for X001 in 2025-03 (calendar window), by hand
    "t_qua_han_phi_truc_tiep": (Counter("qua_han", ("co_phi",), without=("truc_tuyen",)), 1),  # B
    "t_moi_phi_khong_tt": (Counter("moi", ("co_phi",), without=("tt_truc_tuyen",)), 1),        # B
    "t_dang_truc_tuyen": (Counter("dang_gq", ("truc_tuyen",)), 1),                              # C
    "t_tong_khong_truc_tuyen": (Counter("tong", without=("truc_tuyen",)), 2),                   # B, D (NULL channel)
    "t_gq_co_han": (Counter("da_gq", without=("khong_co_han",)), 2),                            # A, B
    "t_moi_tt_khong_xin_loi": (Counter("moi", ("tt_truc_tuyen",), without=("xin_loi", "truc_tuyen")), 1),  # D
}
# an existing counter redefined: n_dong_bo as "every counted dossier with a fee" → A, B, D
CHANGED = ("n_dong_bo", Counter("tong", ("co_phi",)), 3)


def _x001_march(counts: pd.DataFrame) -> pd.Series:
    r = counts[(counts["period"] == "2025-03") & (counts["window"] == "calendar") & (counts["unit"] == "X001")]
    assert len(r) == 1
    return r.iloc[0]


def test_generated_sql_and_terms():
    c = Counter("qua_han", ("co_phi",), without=("truc_tuyen", "xin_loi"))
    assert counters.filter_sql(c) == ("tien_do = 'qua_han' AND co_phi AND NOT coalesce(kenh = 2, false) "
                                      "AND NOT coalesce(xin_loi, false)")
    assert counters.aggregate_sql(Counter("tong")) == "count(*)"
    # inclusion–exclusion: F ∧ ¬G ∧ ¬H = F − F∧G − F∧H + F∧G∧H (flags in canonical order)
    assert counters.terms(c) == [(1, "qua_han", ("co_phi",)), (-1, "qua_han", ("truc_tuyen", "co_phi")),
                                 (-1, "qua_han", ("co_phi", "xin_loi")),
                                 (1, "qua_han", ("truc_tuyen", "co_phi", "xin_loi"))]
    # the historic texts of two counters (the reference join's SQL)
    assert counters.counter_sql()["n_moi_truc_tuyen_kq"] == \
        "count(*) FILTER (NOT ky_truoc AND kenh = 2 AND (NOT yeu_cau_giay OR kq_dien_tu))"
    assert counters.counter_sql()["n_ngay_gq"] == \
        "count(*) FILTER (da_giai_quyet AND r_end IS NOT NULL AND r_recv IS NOT NULL)"
    with pytest.raises(ValueError, match="scope 'nowhere'"):
        counters.filter_sql(Counter("nowhere"))
    with pytest.raises(ValueError, match="flag 'blue'"):
        counters.terms(Counter("moi", ("blue",)))


def test_existing_counters_by_hand(calendar):
    """The shipped counters on the four dossiers, all three paths."""
    reg = parse_registry(SMALL_UNITS, "small_units.yaml")
    kw = dict(periods=["2025-03"], windows=("calendar",), calendar=calendar, rules=Rules(), write=False, stamp="t")
    con = make_con([dict(r, ma_don_vi="X001") for r in ROWS])
    want = dict(n_tong=4, n_moi=3, n_ky_truoc=1, n_moi_truc_tuyen=1, n_moi_truc_tiep=2, n_da_gq=2, n_truoc_han=1,
                n_qua_han_gq=1, n_dang_gq=2, n_trong_han=1, n_qua_han_dang=1, n_moi_co_phi=3, n_moi_co_phi_tt=2,
                n_qua_han_xin_loi=1, n_qua_han_khong_xin_loi=1)
    for method in ("events", "reference"):
        got = _x001_march(build_cube(con, reg, method=method, **kw)["counts"])
        assert {k: int(got[k]) for k in want} == want, method
    con.close()


def test_added_and_changed_counters_reach_all_three_paths(calendar, monkeypatch):
    for name, (ctr, _) in NEW.items():
        monkeypatch.setitem(COUNTERS, name, ctr)
    monkeypatch.setitem(COUNTERS, CHANGED[0], CHANGED[1])
    want = {**{k: v for k, (_, v) in NEW.items()}, CHANGED[0]: CHANGED[2]}
    reg = parse_registry(SMALL_UNITS, "small_units.yaml")
    kw = dict(periods=["2025-03"], windows=("calendar",), calendar=calendar, rules=Rules(), write=False, stamp="t")
    con = make_con([dict(r, ma_don_vi="X001") for r in ROWS])

    # 1. SQL: the reference join's aggregates come from the definitions
    assert "count(*) FILTER (NOT ky_truoc AND tt_truc_tuyen AND NOT coalesce(xin_loi, false) AND " \
           "NOT coalesce(kenh = 2, false)) AS t_moi_tt_khong_xin_loi" in \
           fine_reference_sql(Rules(), False)
    ref = _x001_march(build_cube(con, reg, method="reference", **kw)["counts"])
    assert {k: int(ref[k]) for k in want} == want

    # 2. the pre-aggregate stores the new flag conjunctions (and its stamp changes with them)
    cols = set(con.execute(days.days_sql(False)).df().columns)
    assert {"f_truc_tuyen__co_phi", "f_co_phi__tt_truc_tuyen", "f_tt_truc_tuyen__xin_loi",
            "f_truc_tuyen__tt_truc_tuyen__xin_loi"} <= cols

    # 3. the event path, from the per-dossier view and from the stored pre-aggregate
    ev = _x001_march(build_cube(con, reg, method="events", **kw)["counts"])
    assert {k: int(ev[k]) for k in want} == want
    sig = dossiers_signature(con)
    assert days.refresh(con, sig)["rebuilt"]
    prow = [dict(pkey=0, period="2025-03", window="calendar", a=pd.Timestamp("2025-03-01").date(),
                 b=pd.Timestamp("2025-03-31").date())]
    t: dict = {}
    warm = events.count_events(con, prow, calendar, Rules(), False, t, signature=sig)
    assert "days_stored" in t
    assert {k: int(warm[k].sum()) for k in want} == want
    con.close()


def test_pre_aggregate_stamp_follows_the_flag_columns(monkeypatch):
    con = make_con([dict(r, ma_don_vi="X001") for r in ROWS])
    sig = dossiers_signature(con)
    before = days.stamp(con, sig)
    monkeypatch.setitem(COUNTERS, "t_new", Counter("moi", ("so_hoa", "hai_long")))
    assert days.stamp(con, sig) != before  # a stored table without f_so_hoa__hai_long is stale
    con.close()
