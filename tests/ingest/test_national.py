"""The national DVCQG schema's supplement fields (spec §3, §6), ingested and counted: hand-computed figures.

In ``DanhSachHoSoBoSung[]`` the national schema writes ``NgayBoSung`` = the day the supplement was *requested*,
``NgayTiepNhanBoSung`` = the day the dossier came back, ``NgayHenTraTruoc`` / ``NgayHenTraMoi`` = the promised date
before / after. A set ``NgayHenTraMoi`` → ``han_da_doi``: the system's ``NgayHenTra`` is already the moved date and
no pause is added. Each case below is built so that a reader taking ``NgayBoSung`` as the completion day (the old
reading) or ignoring ``NgayHenTraMoi`` classifies it differently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from contextlib import redirect_stdout

import pytest
import yaml

from tthc.cli import main
from tthc.ingest import ingest_files

from ingest_helpers import dossier, query, write_json

UNITS = {"units": [
    {"code": "H001", "name": "UBND huyện A", "level": "huyen", "parent": None, "valid_from": "2015-01-01"},
    {"code": "X001", "name": "UBND xã Một", "level": "xa", "parent": "H001", "valid_from": "2015-01-01"},
]}


def bs(req, back=None, before=None, new=None, state=None):
    return {"NgayBoSung": req, "NgayTiepNhanBoSung": back, "NgayHenTraTruoc": before, "NgayHenTraMoi": new,
            "TrangThaiBoSung": state if state is not None else (2 if back else 1)}


def national_records():
    common = dict(NgayTiepNhan="20250303080000", NgayNopHoSo="20250303070000", TrangThaiHoSo=10, NgayTra=None)
    return [
        # A: due 10/03, not moved; requested 04/03, back 07/03 → pause 3 → due 13/03; ended 12/03 → trước hạn
        #    (old reading: no request date → no pause → 12/03 > 10/03 → quá hạn)
        dossier("A", **common, NgayHenTra="20250310170000", NgayKetThucXuLy="20250312100000",
                DanhSachHoSoBoSung=[bs("20250304090000", "20250307090000", "20250310170000")]),
        # B: moved 10/03 → 13/03 (NgayHenTra already 13/03); same pause; ended 14/03 → quá hạn
        #    (ignoring han_da_doi: 13/03 + 3 = 16/03 → trước hạn)
        dossier("B", **common, NgayHenTra="20250313170000", NgayKetThucXuLy="20250314100000",
                DanhSachHoSoBoSung=[bs("20250304090000", "20250307090000", "20250310170000", "20250313170000")]),
        # C: no supplement, ended on the due day → đúng hạn
        dossier("C", **common, NgayHenTra="20250310170000", NgayKetThucXuLy="20250310160000"),
        # D: supplement requested 05/03, not back (pending, status 5): the open pause runs to 31/03 → due 05/04
        #    → trong hạn at the end of March (old reading: no request → due 10/03 → quá hạn)
        dossier("D", **{**common, "TrangThaiHoSo": 5}, NgayHenTra="20250310170000", NgayKetThucXuLy=None,
                DanhSachHoSoBoSung=[bs("20250305090000", None, "20250310170000")]),
        # E: no NgayHenTra, moved date 20/03 in the supplement → due 20/03 (no pause); ended 21/03 → quá hạn
        dossier("E", **{k: v for k, v in common.items()}, NgayKetThucXuLy="20250321100000",
                DanhSachHoSoBoSung=[bs("20250305090000", "20250310090000", None, "20250320170000")]),
    ]


def _run(args) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(args) == 0
    return buf.getvalue()


@pytest.fixture
def national(tmp_path):
    units = tmp_path / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS), encoding="utf-8")
    recs = national_records()
    del recs[4]["NgayHenTra"]
    wh = tmp_path / "wh" / "warehouse.duckdb"
    f = write_json(tmp_path / "national.json", recs)
    (res,) = ingest_files([f], warehouse=wh, units=units)
    assert (res.rows_read, res.rows_stored, res.rows_quarantined) == (5, 5, 0)
    return dict(wh=wh, units=units, cube=tmp_path / "cube")


def test_national_supplement_fields_stored(national):
    got = query(national["wh"], "SELECT ma_ho_so, so_lan_bo_sung, ngay_yeu_cau_bo_sung, ngay_hoan_thanh_bo_sung, "
                                "han_da_doi, ngay_hen_tra FROM dossiers ORDER BY 1")
    d = dt.datetime
    assert got == [
        ("A", 1, d(2025, 3, 4, 9), d(2025, 3, 7, 9), False, d(2025, 3, 10, 17)),
        ("B", 1, d(2025, 3, 4, 9), d(2025, 3, 7, 9), True, d(2025, 3, 13, 17)),
        ("C", 0, None, None, None, d(2025, 3, 10, 17)),
        ("D", 1, d(2025, 3, 5, 9), None, False, d(2025, 3, 10, 17)),
        ("E", 1, d(2025, 3, 5, 9), d(2025, 3, 10, 9), True, d(2025, 3, 20, 17)),
    ]


def test_national_schema_through_bieu06_and_indicators(national):
    common = ["--period", "2025-03", "--warehouse", str(national["wh"]), "--units", str(national["units"]),
              "--cube", str(national["cube"]), "--format", "csv"]
    b06 = {(r["unit"], r["linh_vuc"]): r for r in csv.DictReader(io.StringIO(_run(["bieu06", *common])))}
    x = {k: int(v) for k, v in b06[("X001", "TONG")].items() if k.startswith("col")}
    # 5 new (all online), 4 resolved: A trước hạn, C đúng hạn, B and E quá hạn; D pending in time
    assert x == dict(col3=5, col4=5, col5=0, col6=0, col7=4, col8=1, col9=1, col10=2, col11=1, col12=1, col13=0)
    ind = {(r["unit"], r["indicator"]): r for r in csv.DictReader(io.StringIO(_run(["indicators", *common])))}
    assert (ind[("X001", "D5")]["numerator"], ind[("X001", "D5")]["status"]) == ("2", "Chưa đạt")
    on = ind[("X001", "ON_TIME")]
    assert (on["numerator"], on["denominator"], on["value"]) == ("2", "4", "50.00")


def test_returned_dossiers_dated_by_submission_and_bad_moved_date(tmp_path):
    """Status 3 without NgayTiepNhan is kept when NgayNopHoSo is given (D8 dates it by submission, spec §7), on the
    JSON path and the Parquet fast path alike; an unreadable NgayHenTraMoi quarantines its row (bad_date)."""
    import pandas as pd

    units = tmp_path / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS), encoding="utf-8")
    recs = [dossier("R1", TrangThaiHoSo=3, NgayTiepNhan=None, NgayNopHoSo="20250310080000", NgayHenTra=None,
                    NgayKetThucXuLy=None, NgayTra=None),
            dossier("R2", TrangThaiHoSo=4, NgayTiepNhan=None, NgayNopHoSo="20250310080000"),  # received: required
            dossier("M1", DanhSachHoSoBoSung=[bs("20250304090000", "20250305090000", None, "ngày mai")]),
            dossier("N1")]  # received 03/03 in X001, resolved 04/03
    wh = tmp_path / "w.duckdb"
    (r,) = ingest_files([write_json(tmp_path / "r.json", recs)], warehouse=wh, units=units)
    from ingest_helpers import qlines

    assert [(q["row"], q["column"], q["reason_code"]) for q in qlines(r)] == [
        ("2", "ngay_tiep_nhan", "missing_required"), ("3", "ngay_hen_tra_moi", "bad_date")]
    assert query(wh, "SELECT ma_ho_so, trang_thai, ngay_tiep_nhan FROM dossiers ORDER BY 1") == [
        ("N1", 10, dt.datetime(2025, 3, 3, 8)), ("R1", 3, None)]
    df = pd.DataFrame({"ma_ho_so": ["P1", "P2"], "ma_tthc": ["T", "T"], "ma_linh_vuc": ["L", "L"],
                       "don_vi_xu_ly": ["X001", "X001"], "trang_thai": pd.array([3, 4], dtype="Int8"),
                       "ngay_nop": [pd.Timestamp(2025, 3, 10)] * 2, "ngay_tiep_nhan": [pd.NaT, pd.NaT]})
    df.to_parquet(tmp_path / "p.parquet")
    (r,) = ingest_files([tmp_path / "p.parquet"], warehouse=wh, units=units)
    assert (r.rows_stored, [q["reason_code"] for q in qlines(r)]) == (1, ["missing_required"])
    cube = tmp_path / "cube"
    ind = {(x["unit"], x["indicator"]): x for x in csv.DictReader(io.StringIO(_run(
        ["indicators", "--period", "2025-03", "--warehouse", str(wh), "--units", str(units), "--cube", str(cube),
         "--format", "csv"])))}
    # X001 in March: R1 and P1 returned (status 3, submitted 10/03) over 1 new (N1) + 2 → D8 = 2, Chưa đạt, gap 2
    d8 = ind[("X001", "D8")]
    assert [d8[k] for k in ("numerator", "denominator", "value", "status", "gap")] == ["2", "3", "2", "Chưa đạt", "2"]
