"""Every accepted input shape ends up as the same canonical dossiers."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
import pytest

from tthc.errors import InputError
from tthc.ingest import ingest_files

from ingest_helpers import HEAD, dossier, qlines, query, write_csv, write_json

ROW = ["HS1", "1.000001", "Đăng ký khai sinh", "HT", "X001", "X001", "Trực tuyến", "03/03/2025 08:00",
       "05/03/2025", "04/03/2025 16:30", "Đã trả kết quả"]
ROW2 = ["HS2", "1.000002", "Đăng ký kết hôn", "HT", "", "X002", "Trực tiếp", "2025-03-04T09:00:00",
        "20250310170000", "", "Đang xử lý"]


def _check_two(wh):
    got = query(wh, "SELECT ma_ho_so, ma_don_vi, kenh, ngay_tiep_nhan, ngay_hen_tra, ngay_tra, trang_thai "
                    "FROM dossiers ORDER BY ma_ho_so")
    assert got == [
        ("HS1", "X001", 2, dt.datetime(2025, 3, 3, 8, 0), dt.datetime(2025, 3, 5), dt.datetime(2025, 3, 4, 16, 30),
         10),
        ("HS2", "X002", 1, dt.datetime(2025, 3, 4, 9, 0), dt.datetime(2025, 3, 10, 17, 0), None, 4),
    ]


@pytest.mark.parametrize("sep,bom,titles", [(",", False, ()), (";", False, ()), (",", True, ()),
                                            (";", True, ("SỞ NỘI VỤ", "DANH SÁCH HỒ SƠ QUÝ I/2025", ""))])
def test_csv_variants(tmp_path, wh, sep, bom, titles):
    f = write_csv(tmp_path / "e.csv", [ROW, ROW2], sep=sep, bom=bom, title_rows=titles)
    (r,) = ingest_files([f], warehouse=wh)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined, r.source) == (2, 2, 0, "motcua_hd")
    _check_two(wh)
    # row numbers are spreadsheet rows: header at len(titles)+1
    assert query(wh, "SELECT dong_nguon FROM dossiers ORDER BY ma_ho_so") == [(len(titles) + 2,), (len(titles) + 3,)]


def test_xlsx_with_title_rows_and_typed_cells(tmp_path, wh):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["BÁO CÁO HỒ SƠ"])
    ws.append([])
    ws.append(HEAD)
    r1 = list(ROW)
    r1[7] = dt.datetime(2025, 3, 3, 8, 0)  # a real date cell
    ws.append(r1)
    r2 = list(ROW2)
    r2[4] = None
    ws.append(r2)
    wb.save(tmp_path / "e.xlsx")
    (r,) = ingest_files([tmp_path / "e.xlsx"], warehouse=wh)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 2, 0)
    _check_two(wh)
    assert query(wh, "SELECT dong_nguon FROM dossiers ORDER BY ma_ho_so") == [(4,), (5,)]


def _json_records():
    return [dossier("HS1", DonViXuLy="X001", NgayTiepNhan="20250303080000", NgayHenTra="05/03/2025",
                    NgayTra="2025-03-04T16:30:00", NgayKetThucXuLy=None),
            dossier("HS2", MaTTHC="1.000002", DonViXuLy=None, NoiNopHoSo="X002", KenhThucHien=None,
                    NgayTiepNhan="04/03/2025 09:00:00", NgayHenTra="20250310170000", NgayTra=None,
                    NgayKetThucXuLy=None, TrangThaiHoSo=4)]


@pytest.mark.parametrize("shape,ext", [("array", "json"), ("data", "json"), ("lines", "jsonl")])
def test_json_shapes(tmp_path, wh, shape, ext):
    f = write_json(tmp_path / f"e.{ext}", _json_records(), shape)
    (r,) = ingest_files([f], warehouse=wh)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined, r.source) == (2, 2, 0, "dvcqg_json")
    _check_two(wh)


def test_json_array_streams_across_blocks(tmp_path, wh):
    # 3,000 records of ~600 bytes: the streaming reader has to refill its 64 KiB buffer many times
    recs = [dossier(f"HS{i:05d}", TenTTHC="Đăng ký khai sinh " + "x" * 400) for i in range(3000)]
    f = write_json(tmp_path / "big.json", recs)
    (r,) = ingest_files([f], warehouse=wh)
    assert (r.rows_read, r.rows_stored) == (3000, 3000)
    assert query(wh, "SELECT max(dong_nguon), count(DISTINCT ma_ho_so) FROM dossiers") == [(3000, 3000)]


def test_parquet_canonical(tmp_path, wh):
    df = pd.DataFrame({"ma_ho_so": ["HS1", "HS2"], "ma_tthc": ["1.000001", "1.000002"],
                       "ma_linh_vuc": ["HT", "HT"], "don_vi_xu_ly": ["X001", None], "don_vi_tiep_nhan": [None, "X002"],
                       "kenh": pd.array([2, None], dtype="Int8"),
                       "ngay_tiep_nhan": pd.to_datetime(["2025-03-03 08:00", "2025-03-04 09:00"]),
                       "ngay_hen_tra": pd.to_datetime(["2025-03-05 00:00", "2025-03-10 17:00"]),
                       "ngay_tra": pd.to_datetime(["2025-03-04 16:30", None]),
                       "trang_thai": [10, 4], "so_hoa_ho_so": [True, False],
                       "chu_ho_so": ["Nguyễn Văn A", "Trần Thị B"]})
    df.to_parquet(tmp_path / "e.parquet")
    (r,) = ingest_files([tmp_path / "e.parquet"], warehouse=wh)
    assert (r.rows_read, r.rows_stored, r.source) == (2, 2, "parquet")
    _check_two(wh)
    assert query(wh, "SELECT so_hoa_ho_so FROM dossiers ORDER BY ma_ho_so") == [(True,), (False,)]


def test_nfd_headers_and_words(tmp_path, wh):
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    head = [nfd(h).upper() if i % 2 else nfd(h) for i, h in enumerate(HEAD)]
    row = list(ROW)
    row[6] = "  " + nfd("TRỰC TUYẾN") + " "
    row[10] = nfd("đã  trả kết quả")
    f = write_csv(tmp_path / "e.csv", [row], head=head)
    (r,) = ingest_files([f], warehouse=wh)
    assert r.rows_stored == 1
    assert query(wh, "SELECT kenh, trang_thai FROM dossiers") == [(2, 10)]


def test_source_option_and_unsupported_type(tmp_path, wh):
    f = write_csv(tmp_path / "e.txt", [ROW])
    (r,) = ingest_files([f], warehouse=wh, source="motcua_hd")
    assert r.rows_stored == 1
    g = tmp_path / "e.xml"
    g.write_text("<x/>")
    with pytest.raises(InputError, match=r"e\.xml: unsupported file type '\.xml'"):
        ingest_files([g], warehouse=wh)


def test_csv_multiline_cell_keeps_spreadsheet_row_numbers(tmp_path, wh):
    row1 = list(ROW)
    row1[2] = "Đăng ký\nkhai sinh"  # a quoted cell spanning two lines
    bad = list(ROW2)
    bad[10] = "Đã hủy"
    f = write_csv(tmp_path / "m.csv", [row1, [], bad])
    (r,) = ingest_files([f], warehouse=wh)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 1, 1)  # the blank line is not a record
    assert query(wh, "SELECT dong_nguon, ten_tthc FROM dossiers") == [(2, "Đăng ký\nkhai sinh")]
    import csv

    (q,) = list(csv.DictReader(open(r.quarantine_path, encoding="utf-8-sig")))
    assert (q["row"], q["reason_code"], q["value"]) == ("5", "unknown_status", "Đã hủy")


def test_utf16_csv_and_xlsx_sheet_choice(tmp_path, wh):
    from openpyxl import Workbook

    f = tmp_path / "u.csv"
    f.write_text("\t".join(HEAD) + "\n" + "\t".join(ROW) + "\n", encoding="utf-16")
    wb = Workbook()
    wb.active.title = "Ghi chú"
    wb.active.append(["Sheet này không có dữ liệu"])
    ws = wb.create_sheet("Danh sách")
    ws.append(HEAD)
    ws.append(ROW2)
    wb.save(tmp_path / "s.xlsx")
    r1, r2 = ingest_files([f, tmp_path / "s.xlsx"], warehouse=wh)
    assert (r1.rows_stored, r2.rows_stored) == (1, 1)
    _check_two(wh)


def test_progress_bar_on_stderr(tmp_path, wh, capsys):
    f = write_csv(tmp_path / "e.csv", [ROW, ROW2])
    ingest_files([f], warehouse=wh, progress=True)
    err = capsys.readouterr().err
    assert "e.csv" in err and "rows" in err


def test_parquet_fast_path_matches_general_path(tmp_path, monkeypatch):
    """The DuckDB-only Parquet path and the pandas path give the same rows, quarantine lines and counts."""
    from tthc.ingest import pipeline

    ts = lambda *a: pd.Timestamp(*a)  # noqa: E731
    df = pd.DataFrame({
        "ma_ho_so": ["A", "B", "C", "D", "E", "F", "G", "G", "H", "H"],
        "ma_tthc": ["T", "T", None, "=HYPERLINK(\"x\")", "T", "T", "T", "T", "T", "T"],
        "ten_tthc": ["Khai sinh", "<b>x</b>", "ok", "ok", "y" * 1001, "ok", "ok", "ok", "ok", "ok"],
        "ma_linh_vuc": ["L"] * 10,
        "don_vi_xu_ly": ["X001", "X001", "Z9", None, "P001", None, "X002", "X002", "X003", "X003"],
        "don_vi_tiep_nhan": [None, None, None, None, None, "X005", None, None, None, None],
        "kenh": pd.array([2, None, 5, 1, 1, 3, 1, 1, 1, 2], dtype="Int16"),
        "ngay_tiep_nhan": [ts(2025, 3, 3, 8), ts(2025, 3, 3), ts(2025, 3, 3), None, ts(2025, 3, 3), ts(2025, 3, 3),
                           ts(2025, 3, 3), ts(2025, 3, 3), ts(2025, 3, 3), ts(2025, 3, 3)],
        "ngay_hen_tra": [ts(2025, 3, 5), ts(2025, 3, 2), None, None, None, ts(2025, 3, 3, 7), None, None, None, None],
        "ngay_ket_thuc_xu_ly": [ts(2025, 3, 4)] + [None] * 9,  # status 10 needs an end date (missing_end_date)
        "trang_thai": pd.array([10, 4, 11, 4, 4, 4, 4, 4, 4, 4], dtype="Int8"),
        "co_phi": [True, False, None, None, None, True, None, None, None, None],
        "muc_hai_long": pd.array([3, None, 0, None, None, None, None, None, None, None], dtype="Int8"),
    })
    f = tmp_path / "p.parquet"
    df.to_parquet(f)
    out = {}
    for fast in (True, False):
        monkeypatch.setattr(pipeline, "FAST_PARQUET", fast)
        w = tmp_path / str(fast) / "w.duckdb"
        (r,) = ingest_files([f], warehouse=w)
        lines = [(q["row"], q["column"], q["reason_code"], q["value"]) for q in qlines(r)]
        rows = query(w, "SELECT * EXCLUDE (ingest_id) FROM dossiers ORDER BY ma_ho_so")
        out[fast] = (r.rows_read, r.rows_stored, r.rows_quarantined, lines, rows)
    assert out[True] == out[False]
    assert out[True][:3] == (10, 3, 7)
    assert [x[0] for x in out[True][4]] == ["A", "F", "G"]
    assert out[True][3] == [
        ("2", "ten_tthc", "html", "<b>x</b>"), ("2", "ngay_hen_tra", "end_before_received", "2025-03-02T00:00:00"),
        ("3", "kenh", "unknown_channel", "5"), ("3", "trang_thai", "unknown_status", "11"),
        ("3", "muc_hai_long", "bad_value", "0"), ("3", "ma_tthc", "missing_required", ""),
        ("3", "ma_don_vi", "unknown_unit", "Z9"),
        ("4", "ma_tthc", "formula", "'=HYPERLINK(\"x\")"), ("4", "ngay_tiep_nhan", "missing_required", ""),
        ("4", "don_vi_xu_ly", "missing_required", ""),
        ("5", "ten_tthc", "text_too_long", "y" * 80 + "…"),
        ("8", "ma_ho_so", "duplicate", "G"),
        ("9", "ma_ho_so", "duplicate_conflict", "H"), ("10", "ma_ho_so", "duplicate_conflict", "H")]
