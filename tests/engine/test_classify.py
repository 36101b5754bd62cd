"""Hand-computed lifecycle classification (spec §6)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tthc.engine import classify
from tthc.engine.targets import Rules


def _one(con_factory, calendar, row, period="2025-03", window="calendar", rules=None):
    con = con_factory([row])
    df = classify(con, period, window, calendar=calendar, rules=rules or Rules())
    return None if df.empty else df.iloc[0]


@pytest.mark.parametrize("recv, counted, nhom", [
    ("2025-02-28 16:00", True, "ky_truoc"),       # the day before a, still pending
    ("2025-03-01 07:30", True, "moi_tiep_nhan"),  # on a
    ("2025-03-31 23:59", True, "moi_tiep_nhan"),  # on b
    ("2025-04-01 00:00", False, None),            # after b
])
def test_class_boundaries(con_factory, calendar, recv, counted, nhom):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan=recv, ngay_hen_tra="2025-06-01"))
    assert (r is not None) == counted
    if counted:
        assert r["nhom"] == nhom
        assert r["trang_thai_gq"] == "dang_giai_quyet"


def test_ended_before_a_not_counted_and_ended_on_a_counted(con_factory, calendar):
    con = con_factory([
        dict(ngay_tiep_nhan="2025-02-10", ngay_ket_thuc_xu_ly="2025-02-28 17:00", trang_thai=10,
             ngay_hen_tra="2025-03-05"),
        dict(ngay_tiep_nhan="2025-02-10", ngay_ket_thuc_xu_ly="2025-03-01 08:00", trang_thai=10,
             ngay_hen_tra="2025-03-05"),
    ])
    df = classify(con, "2025-03", calendar=calendar, rules=Rules())
    assert df["ma_ho_so"].tolist() == ["HS0001"]
    r = df.iloc[0]
    assert (r["nhom"], r["trang_thai_gq"], r["tien_do"]) == ("ky_truoc", "da_giai_quyet", "truoc_han")


@pytest.mark.parametrize("status", [1, 3])
def test_not_received_statuses_excluded(con_factory, calendar, status):
    assert _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-03-03", trang_thai=status)) is None


@pytest.mark.parametrize("end, expected", [
    ("2025-03-09 10:00", "truoc_han"),
    ("2025-03-10 17:45", "dung_han"),   # same date as the due date, later time: still on time
    ("2025-03-11 08:00", "qua_han"),
])
def test_due_date_compared_by_date(con_factory, calendar, end, expected):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-10 08:00",
                                         ngay_ket_thuc_xu_ly=end, trang_thai=9))
    assert r["trang_thai_gq"] == "da_giai_quyet"
    assert r["tien_do"] == expected


@pytest.mark.parametrize("due, expected, late", [("2025-03-31", "trong_han", 0), ("2025-03-28", "qua_han", 1)])
def test_pending_split_at_b(con_factory, calendar, due, expected, late):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra=due))
    assert r["tien_do"] == expected
    assert r["so_ngay_tre"] == late  # Fri 28/03 → Mon 31/03 is one working day


def test_withdrawal_with_end_date_is_resolved(con_factory, calendar):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-20", trang_thai=7,
                                         ngay_ket_thuc_xu_ly="2025-03-05"))
    assert (r["trang_thai_gq"], r["tien_do"]) == ("da_giai_quyet", "truoc_han")


def test_end_of_processing_sources(con_factory, calendar):
    con = con_factory([
        # status 10 without ngay_ket_thuc_xu_ly: ngay_tra is the end
        dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-10", trang_thai=10, ngay_tra="2025-03-12"),
        # status 9 without ngay_ket_thuc_xu_ly: pending (ngay_tra is ignored)
        dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-04-10", trang_thai=9, ngay_tra="2025-03-12"),
        # ngay_ket_thuc_xu_ly wins over ngay_tra whatever the status
        dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-10", trang_thai=8,
             ngay_ket_thuc_xu_ly="2025-03-07", ngay_tra="2025-03-20"),
    ])
    df = classify(con, "2025-03", calendar=calendar, rules=Rules()).set_index("ma_ho_so")
    assert df.loc["HS0000", "tien_do"] == "qua_han" and df.loc["HS0000", "so_ngay_tre"] == 2
    assert df.loc["HS0001", "trang_thai_gq"] == "dang_giai_quyet"
    assert df.loc["HS0002", "tien_do"] == "truoc_han"


def test_two_supplements_late(con_factory, calendar):
    base = dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-20", so_lan_bo_sung=2,
                ngay_yeu_cau_bo_sung="2025-03-04", ngay_hoan_thanh_bo_sung="2025-03-06")
    resolved = _one(con_factory, calendar, {**base, "ngay_ket_thuc_xu_ly": "2025-03-10", "trang_thai": 10})
    assert resolved["tien_do"] == "qua_han"
    pending = _one(con_factory, calendar, base, period="2025-03")
    assert pending["tien_do"] == "qua_han"
    off = _one(con_factory, calendar, {**base, "ngay_ket_thuc_xu_ly": "2025-03-10", "trang_thai": 10},
               rules=Rules(multiple_supplements_late=False))
    assert off["tien_do"] == "truoc_han"


def test_one_supplement_pause_extends_due(con_factory, calendar):
    # due 10/03; pause 02/03 → 07/03 = 5 calendar days → effective due 15/03
    row = dict(ngay_tiep_nhan="2025-03-01", ngay_hen_tra="2025-03-10", so_lan_bo_sung=1,
               ngay_yeu_cau_bo_sung="2025-03-02 09:00", ngay_hoan_thanh_bo_sung="2025-03-07 15:00",
               ngay_ket_thuc_xu_ly="2025-03-14", trang_thai=10)
    r = _one(con_factory, calendar, row)
    assert r["tien_do"] == "truoc_han"
    assert r["han_xu_ly"] == pd.Timestamp("2025-03-15")
    r = _one(con_factory, calendar, {**row, "ngay_ket_thuc_xu_ly": "2025-03-15"})
    assert r["tien_do"] == "dung_han"
    off = _one(con_factory, calendar, row, rules=Rules(supplement_pause=False))
    assert off["tien_do"] == "qua_han"
    # completion before request never shortens the deadline
    neg = _one(con_factory, calendar, {**row, "ngay_hoan_thanh_bo_sung": "2025-03-01", "ngay_ket_thuc_xu_ly": "2025-03-10"})
    assert neg["tien_do"] == "dung_han"


def test_moved_due_date_has_no_pause(con_factory, calendar):
    """han_da_doi (spec §6): the system's ngay_hen_tra already is the moved date, so the pause is not added again.
    Due 15/03 (moved from 10/03); pause 02/03 → 07/03 = 5 days would make it 20/03."""
    row = dict(ngay_tiep_nhan="2025-03-01", ngay_hen_tra="2025-03-15", so_lan_bo_sung=1, han_da_doi=True,
               ngay_yeu_cau_bo_sung="2025-03-02", ngay_hoan_thanh_bo_sung="2025-03-07",
               ngay_ket_thuc_xu_ly="2025-03-17", trang_thai=10)
    r = _one(con_factory, calendar, row)
    assert r["tien_do"] == "qua_han" and r["han_xu_ly"] == pd.Timestamp("2025-03-15")
    r = _one(con_factory, calendar, {**row, "han_da_doi": False})  # not moved: 15/03 + 5 = 20/03 ≥ 17/03
    assert r["tien_do"] == "truoc_han" and r["han_xu_ly"] == pd.Timestamp("2025-03-20")
    # pending, moved, request never answered: no open pause either; b = 31/03 > 15/03 → overdue
    r = _one(con_factory, calendar, {**row, "ngay_hoan_thanh_bo_sung": None, "ngay_ket_thuc_xu_ly": None,
                                     "trang_thai": 5})
    assert r["tien_do"] == "qua_han" and r["han_xu_ly"] == pd.Timestamp("2025-03-15")
    # more than one supplement stays late whether or not the date moved (the portal's rule)
    r = _one(con_factory, calendar, {**row, "so_lan_bo_sung": 2, "ngay_ket_thuc_xu_ly": "2025-03-10"})
    assert r["tien_do"] == "qua_han"


def test_open_pause_runs_to_period_end(con_factory, calendar):
    row = dict(ngay_tiep_nhan="2025-03-01", ngay_hen_tra="2025-03-10", so_lan_bo_sung=1, trang_thai=5,
               ngay_yeu_cau_bo_sung="2025-03-02")
    r = _one(con_factory, calendar, row)  # pause 02/03 → 31/03 = 29 days: due 08/04 ≥ b
    assert r["tien_do"] == "trong_han"
    assert r["han_xu_ly"] == pd.Timestamp("2025-04-08")
    r = _one(con_factory, calendar, row, rules=Rules(pause_without_completion="ignore"))
    assert r["tien_do"] == "qua_han"


def test_no_due_date(con_factory, calendar):
    con = con_factory([
        dict(ngay_tiep_nhan="2025-03-03", ngay_ket_thuc_xu_ly="2025-03-30", trang_thai=10),
        dict(ngay_tiep_nhan="2025-03-03"),
    ])
    df = classify(con, "2025-03", calendar=calendar, rules=Rules())
    assert df["tien_do"].tolist() == ["dung_han", "trong_han"]
    assert df["khong_co_han"].tolist() == [True, True]
    assert df["han_tinh_lai"].tolist() == [False, False]


def test_recomputed_deadline_across_tet_2025(con_factory, calendar):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-01-24 14:00", thoi_han_gq=3), period="2025-02")
    assert r["han_xu_ly"] == pd.Timestamp("2025-02-05")
    assert bool(r["han_tinh_lai"]) is True
    # the system's own ngay_hen_tra is authoritative when present
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-01-24", thoi_han_gq=3, ngay_hen_tra="2025-02-03"),
             period="2025-02")
    assert r["han_xu_ly"] == pd.Timestamp("2025-02-03") and not r["han_tinh_lai"]


def test_make_up_saturday(con_factory, calendar):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-04-25", thoi_han_gq=3), period="2025-04")
    assert r["han_xu_ly"] == pd.Timestamp("2025-04-29")


@pytest.mark.parametrize("recv, counted, nhom", [
    ("2024-12-14", True, "ky_truoc"), ("2024-12-15", True, "moi_tiep_nhan"),
    ("2025-03-14", True, "moi_tiep_nhan"), ("2025-03-15", False, None),
])
def test_report_window_edges(con_factory, calendar, recv, counted, nhom):
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan=recv, ngay_hen_tra="2025-12-01"), period="2025-Q1",
             window="report")
    assert (r is not None) == counted
    if counted:
        assert r["nhom"] == nhom


def test_report_window_resolution_edge(con_factory, calendar):
    # ended 15/03: after b of 2025-Q1 (report window) → still pending at b
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-20",
                                         ngay_ket_thuc_xu_ly="2025-03-15", trang_thai=10),
             period="2025-Q1", window="report")
    assert r["trang_thai_gq"] == "dang_giai_quyet"
    r = _one(con_factory, calendar, dict(ngay_tiep_nhan="2025-03-03", ngay_hen_tra="2025-03-20",
                                         ngay_ket_thuc_xu_ly="2025-03-14", trang_thai=10),
             period="2025-Q1", window="report")
    assert r["trang_thai_gq"] == "da_giai_quyet"


def test_due_soon(con_factory, calendar):
    # March 2025 ends Monday 31/03; + 2 working days = Wednesday 02/04
    con = con_factory([dict(ngay_tiep_nhan="2025-03-20", ngay_hen_tra=d) for d in
                       ("2025-03-31", "2025-04-02", "2025-04-03")])
    df = classify(con, "2025-03", calendar=calendar, rules=Rules())
    assert df["sap_den_han"].tolist() == [True, True, False]
