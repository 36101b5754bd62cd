"""Early warning (`tthc due-soon`): hand-made dossiers around Tết 2025, 30/4–1/5 and the make-up Saturday
26/04/2025 (params/calendar.yaml), checked against working days counted by hand."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from engine_fixtures import SMALL_UNITS, make_con  # noqa: E402
from tthc import duesoon  # noqa: E402
from tthc.units import parse_registry  # noqa: E402

# Tết 2025: Monday 27/01 – Friday 31/01 are days off (spec §6 example). From Friday 24/01:
# Mon 03/02 = 1 working day, Tue 04/02 = 2, Wed 05/02 = 3.
TET = [
    dict(ma_ho_so="A-DUE-0402", ngay_tiep_nhan="2025-01-20", ngay_hen_tra="2025-02-04", ma_tthc="1.001",
         ten_tthc="Đăng ký khai sinh", don_vi_tiep_nhan="X001"),
    dict(ma_ho_so="B-DUE-0502", ngay_tiep_nhan="2025-01-20", ngay_hen_tra="2025-02-05"),
    dict(ma_ho_so="C-DUE-TODAY", ngay_tiep_nhan="2025-01-21", ngay_hen_tra="2025-01-24"),
    dict(ma_ho_so="D-DUE-IN-TET", ngay_tiep_nhan="2025-01-21", ngay_hen_tra="2025-01-31"),
    dict(ma_ho_so="E-LATE-2", ngay_tiep_nhan="2025-01-15", ngay_hen_tra="2025-01-22", co_phieu_xin_loi=True),
    dict(ma_ho_so="F-ENDED-BEFORE", ngay_tiep_nhan="2025-01-15", ngay_hen_tra="2025-01-20", trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-01-23"),
    dict(ma_ho_so="G-RECEIVED-AFTER", ngay_tiep_nhan="2025-01-25", ngay_hen_tra="2025-01-27"),
    dict(ma_ho_so="H-ENDED-TODAY", ngay_tiep_nhan="2025-01-15", ngay_hen_tra="2025-01-24", trang_thai=9,
         ngay_ket_thuc_xu_ly="2025-01-24"),
    dict(ma_ho_so="I-ENDS-LATER", ngay_tiep_nhan="2025-01-20", ngay_hen_tra="2025-02-03", trang_thai=9,
         ngay_ket_thuc_xu_ly="2025-01-28", ma_don_vi="X003"),
    dict(ma_ho_so="J-NOT-RECEIVED", ngay_tiep_nhan="2025-01-20", ngay_hen_tra="2025-01-22", trang_thai=3),
]

# 30/4–1/5 2025 with Friday 02/05 swapped for Saturday 26/04 (a working day). From Friday 25/04:
# Sat 26/04 = 1, Mon 28/04 = 2, Tue 29/04 = 3 (the spec §4 check), Fri 02/05 (off) still 3, Mon 05/05 = 4.
APRIL = [
    dict(ma_ho_so="K-SAT-2604", ngay_tiep_nhan="2025-04-21", ngay_hen_tra="2025-04-26"),
    dict(ma_ho_so="L-TUE-2904", ngay_tiep_nhan="2025-04-21", ngay_hen_tra="2025-04-29"),
    dict(ma_ho_so="M-FRI-0205", ngay_tiep_nhan="2025-04-21", ngay_hen_tra="2025-05-02"),
    dict(ma_ho_so="N-MON-0505", ngay_tiep_nhan="2025-04-21", ngay_hen_tra="2025-05-05"),
    # one supplement 10/04 → 15/04 (5 calendar days) moves 22/04 to Sunday 27/04: 1 working day left
    dict(ma_ho_so="O-PAUSED", ngay_tiep_nhan="2025-04-07", ngay_hen_tra="2025-04-22", so_lan_bo_sung=1,
         ngay_yeu_cau_bo_sung="2025-04-10", ngay_hoan_thanh_bo_sung="2025-04-15"),
    # two supplement requests: late by rule (spec §6) although the date is ahead
    dict(ma_ho_so="P-TWO-SUPPL", ngay_tiep_nhan="2025-04-07", ngay_hen_tra="2025-05-05", so_lan_bo_sung=2,
         ngay_yeu_cau_bo_sung="2025-04-10", ngay_hoan_thanh_bo_sung="2025-04-11", ma_don_vi="P001"),
]


def listing(df):
    return [(r.ma_ho_so, r.so_ngay_con_lai, r.muc) for r in df.itertuples()]


def test_around_tet():
    con = make_con(TET)
    df = duesoon.pending_on(con, date(2025, 1, 24), 2)
    assert listing(df) == [
        ("E-LATE-2", -2, "qua_han"),        # due Wed 22/01: Thu 23, Fri 24 → 2 working days late
        ("C-DUE-TODAY", 0, "sap_den_han"),
        ("D-DUE-IN-TET", 0, "sap_den_han"),  # due on a Tết holiday: no working day before it
        ("I-ENDS-LATER", 1, "sap_den_han"),  # ends 28/01, pending on 24/01; due Mon 03/02
        ("A-DUE-0402", 2, "sap_den_han"),
    ]
    r = df.iloc[-1]
    assert (r.ngay_hen_tra, r.ma_tthc, r.ten_tthc, r.don_vi_tiep_nhan) == (date(2025, 2, 4), "1.001",
                                                                            "Đăng ký khai sinh", "X001")
    # one more working day reaches Wed 05/02
    assert "B-DUE-0502" in set(duesoon.pending_on(con, date(2025, 1, 24), 3)["ma_ho_so"])
    # --unit restricts to the units given
    assert listing(duesoon.pending_on(con, date(2025, 1, 24), 2, units=["X003"])) == [("I-ENDS-LATER", 1,
                                                                                       "sap_den_han")]


def test_around_30_4_and_make_up_saturday():
    con = make_con(APRIL)
    d = duesoon.pending_on(con, date(2025, 4, 25), 3)
    assert listing(d) == [
        ("P-TWO-SUPPL", 4, "qua_han"),
        ("K-SAT-2604", 1, "sap_den_han"),
        ("O-PAUSED", 1, "sap_den_han"),
        ("L-TUE-2904", 3, "sap_den_han"),
        ("M-FRI-0205", 3, "sap_den_han"),
    ]
    assert d.set_index("ma_ho_so").loc["O-PAUSED", "ngay_hen_tra"] == date(2025, 4, 27)
    # the default horizon (2 working days) reaches Monday 28/04 only
    assert list(duesoon.pending_on(con, date(2025, 4, 25))["ma_ho_so"]) == ["P-TWO-SUPPL", "K-SAT-2604", "O-PAUSED"]
    # on Saturday 26/04 (make-up working day) K is due today; on Tuesday 06/05, everything left is overdue:
    # K: 26/04 → 06/05 = Mon 28, Tue 29, Mon 05, Tue 06 = 4 working days late
    assert listing(duesoon.pending_on(con, date(2025, 4, 26), 0))[:2] == [("P-TWO-SUPPL", 3, "qua_han"),
                                                                          ("K-SAT-2604", 0, "sap_den_han")]
    late = dict((c, n) for c, n, m in listing(duesoon.pending_on(con, date(2025, 5, 6), 0)) if m == "qua_han")
    assert late["K-SAT-2604"] == -4 and late["M-FRI-0205"] == -2 and late["N-MON-0505"] == -1


def test_outputs_per_unit_and_summary(tmp_path):
    from openpyxl import load_workbook

    reg = parse_registry(SMALL_UNITS, "small_units.yaml")
    con = make_con(TET)
    day = date(2025, 1, 24)
    df = duesoon.pending_on(con, day, 2)
    units = duesoon.units_for(reg, day, "H001")
    assert units == ["H001", "P001", "X001", "X002", "X003"]
    summ = duesoon.write_all(df, tmp_path, reg, day, 2, date(2025, 2, 4), units)
    assert [(s.unit, s.overdue, s.due_today, s.due_soon) for s in summ] == [("X001", 1, 2, 3), ("X003", 0, 0, 1)]
    page = (tmp_path / "X001.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html><html lang="vi">') and "<script" not in page and "http" not in page
    assert page.index("E-LATE-2") < page.index("C-DUE-TODAY") < page.index("A-DUE-0402")
    assert "Quá hạn 2 ngày làm việc (đã có phiếu xin lỗi)" in page and "04/02/2025" in page
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="X001.html"' in index and "Tổng cộng" in index
    assert (tmp_path / "P001.html").exists() and "Không có hồ sơ" in (tmp_path / "P001.html").read_text("utf-8")
    ws = load_workbook(tmp_path / "X001.xlsx").active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=8)]
    assert [r[1] for r in rows] == ["E-LATE-2", "C-DUE-TODAY", "D-DUE-IN-TET", "A-DUE-0402"]
    assert [r[5] for r in rows] == [-2, 0, 0, 2]
    assert rows[3][4].date() == date(2025, 2, 4)


def test_parse_day_errors():
    from tthc.errors import ParameterError

    assert duesoon.parse_day("25/04/2025") == date(2025, 4, 25)
    with pytest.raises(ParameterError, match="not a date; write YYYY-MM-DD"):
        duesoon.parse_day("2025-13-01")


def test_cli_one_line_errors(capsys):
    from tthc.cli import main

    assert main(["due-soon", "--date", "hôm qua"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tthc due-soon: error: --date 'hôm qua'") and "Traceback" not in err
    assert main(["due-soon", "--unit", "NOPE", "--date", "2025-01-24"]) == 2
    assert "unknown unit" in capsys.readouterr().err


def test_due_date_outside_the_calendar_and_day_outside_it():
    from tthc.errors import ParameterError

    # pending since 2009 (before the calendar's first year): overdue, days late counted on the clipped calendar
    con = make_con([dict(ma_ho_so="Q-OLD", ngay_tiep_nhan="2009-12-01", ngay_hen_tra="2009-12-20")])
    d = duesoon.pending_on(con, date(2010, 1, 8), 2)
    # working days in (20/12/2009, 08/01/2010] counted from the calendar's start: Mon 04/01 … Fri 08/01 = 5
    assert listing(d) == [("Q-OLD", -5, "qua_han")]
    with pytest.raises(ParameterError, match="outside the working-day calendar"):
        duesoon.pending_on(con, date(2040, 1, 1), 2)
