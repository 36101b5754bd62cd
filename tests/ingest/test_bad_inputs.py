"""The committed bad-input set (tests/data/bad/, regenerate with make_bad.py): each file's exact reason code or
error message, and rows read = stored + quarantined."""

from __future__ import annotations

import pytest

from tthc.errors import InputError
from tthc.ingest import ingest_files

from ingest_helpers import BAD, UNITS, qlines, query


def _ingest(name, wh):
    (r,) = ingest_files([BAD / name], warehouse=wh, units=UNITS)
    assert r.rows_read == r.rows_stored + r.rows_quarantined
    return r


@pytest.mark.parametrize("name,lines", [
    ("impossible_date.csv", [("3", "ngay_tiep_nhan", "bad_date", "31/02/2025")]),
    ("end_before_received.csv", [("3", "ngay_hen_tra", "end_before_received", "07/03/2025"),
                                 ("3", "ngay_tra", "end_before_received", "04/03/2025 10:00")]),
    ("unknown_status.csv", [("3", "trang_thai", "unknown_status", "Đã hủy"),
                            ("4", "trang_thai", "unknown_status", "12")]),
    ("unknown_channel.csv", [("3", "kenh", "unknown_channel", "Fax"), ("4", "kenh", "unknown_channel", "7")]),
    ("unknown_unit.csv", [("3", "ma_don_vi", "unknown_unit", "Z999")]),
    ("long_field.csv", [("3", "ten_tthc", "text_too_long", "A" * 80 + "…")]),
    ("formula.csv", [("3", "ten_tthc", "formula", "'=HYPERLINK(\"http://evil.example\",\"bấm\")")]),
    ("html.csv", [("3", "ten_tthc", "html", "<script>alert(1)</script>"), ("4", "ma_tthc", "html", "<b>T1</b>")]),
    ("duplicate_codes.csv", [("3", "ma_ho_so", "duplicate_conflict", "D1"),
                             ("4", "ma_ho_so", "duplicate_conflict", "D1"), ("6", "ma_ho_so", "duplicate", "D2")]),
])
def test_row_rejections(wh, name, lines):
    r = _ingest(name, wh)
    got = [(q["row"], q["column"], q["reason_code"], q["value"]) for q in qlines(r)]
    assert got == lines
    bad_rows = {x[0] for x in lines}
    assert r.rows_quarantined == len(bad_rows)
    stored = [c for (c,) in query(wh, "SELECT ma_ho_so FROM dossiers ORDER BY dong_nguon")]
    assert stored[0] == "G1"  # the good first row is always kept
    assert r.rows_stored == len(stored) == r.rows_read - len(bad_rows)
    assert all(q["file"] == str(BAD / name) and q["reason"] for q in qlines(r))
    assert r.quarantine_path.parent == wh.parent / "quarantine"
    log = query(wh, "SELECT status, rows_read, rows_stored, rows_quarantined FROM ingest_log")
    assert log == [("ok", r.rows_read, r.rows_stored, r.rows_quarantined)]


def test_duplicate_identical_counts_once(wh):
    r = _ingest("duplicate_codes.csv", wh)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (5, 2, 3)
    assert query(wh, "SELECT ma_ho_so, dong_nguon FROM dossiers ORDER BY 1") == [("D2", 5), ("G1", 2)]


@pytest.mark.parametrize("name,message", [
    ("empty.csv", r"empty\.csv: the file is empty \(0 bytes\); export it again"),
    ("wrong_headers.csv", r"wrong_headers\.csv: no header row found: none of the first 50 rows has a cell "
                          r"'Mã hồ sơ' \(source map motcua_hd\)\. Expected headers: 'Mã hồ sơ', 'Mã TTHC'"),
    ("not_json.json", r"not_json\.json: not JSON: expected a JSON array"),
])
def test_unreadable_files(wh, name, message):
    with pytest.raises(InputError, match=message):
        ingest_files([BAD / name], warehouse=wh, units=UNITS)
    assert query(wh, "SELECT count(*) FROM dossiers") == [(0,)]
    (log,) = query(wh, "SELECT status, file, message FROM ingest_log")
    assert log[0] == "error" and log[1] == str(BAD / name) and name in log[2]
    assert not (wh.parent / "quarantine").exists()


def test_missing_required_column_names_found_headers(tmp_path, wh):
    f = tmp_path / "m.csv"
    f.write_text("Mã hồ sơ,Mã lĩnh vực,Ngày tiếp nhận,Trạng thái\nA,L1,01/03/2025,Đang xử lý\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"m\.csv: row 1: header lacks required column\(s\) 'Mã TTHC'; found "
                                         r"'Mã hồ sơ', 'Mã lĩnh vực', 'Ngày tiếp nhận', 'Trạng thái'"):
        ingest_files([f], warehouse=wh, units=UNITS)


def test_missing_values_and_bad_numbers(tmp_path, wh):
    f = tmp_path / "m.csv"
    f.write_text("Mã hồ sơ,Mã TTHC,Mã lĩnh vực,Đơn vị xử lý,Ngày tiếp nhận,Trạng thái,Số lần yêu cầu bổ sung,"
                 "Hồ sơ được số hóa\n"
                 "A,,L1,X001,01/03/2025,Đang xử lý,1,Có\n"
                 "B,T1,L1,,01/03/2025,Đang xử lý,-1,Có\n"
                 "C,T1,L1,X001,01/03/2025,Đang xử lý,hai,Chắc chắn\n", encoding="utf-8")
    (r,) = ingest_files([f], warehouse=wh, units=UNITS)
    got = [(q["row"], q["column"], q["reason_code"], q["value"]) for q in qlines(r)]
    assert got == [("2", "ma_tthc", "missing_required", ""),
                   ("3", "so_lan_bo_sung", "bad_number", "-1"), ("3", "don_vi_xu_ly", "missing_required", ""),
                   ("4", "so_lan_bo_sung", "bad_number", "hai"), ("4", "so_hoa_ho_so", "bad_boolean", "Chắc chắn")]
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (3, 0, 3)


def test_json_non_object_record(tmp_path, wh):
    f = tmp_path / "x.json"
    f.write_text('[1, {"MaHoSo": "A"}]', encoding="utf-8")
    (r,) = ingest_files([f], warehouse=wh, units=UNITS)
    codes = [(q["row"], q["reason_code"]) for q in qlines(r)]
    assert ("1", "bad_record") in codes and ("2", "missing_required") in codes
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 0, 2)
