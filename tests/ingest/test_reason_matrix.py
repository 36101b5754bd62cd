"""Every reason code on every input shape: the same bad value gets the same reason code whether it arrives in a CSV,
an XLSX, a DVCQG JSON, a Parquet file with text columns or (where the value can be typed) a natively typed Parquet
file (the DuckDB fast path); the good row beside it is stored, and rows read = stored + quarantined."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from openpyxl import Workbook

from tthc.ingest import ingest_files
from tthc.ingest.sources import load_source

from ingest_helpers import qlines, query, write_csv, write_json

UNITS = {"units": [
    {"code": "H001", "name": "UBND huyện A", "level": "huyen", "parent": None, "valid_from": "2015-01-01"},
    {"code": "X001", "name": "UBND xã Một", "level": "xa", "parent": "H001", "valid_from": "2015-01-01"},
    {"code": "X002", "name": "UBND xã Hai", "level": "xa", "parent": "H001", "valid_from": "2015-01-01",
     "valid_to": "2025-03-01"},
]}

# a valid dossier, canonical names and text values as a one-stop export writes them
GOOD = dict(ma_ho_so="G1", ma_tthc="T1", ten_tthc="Khai sinh", ma_linh_vuc="HT", don_vi_xu_ly="X001", kenh="2",
            ngay_nop="2025-03-03 07:00:00", ngay_tiep_nhan="2025-03-03 08:00:00", ngay_hen_tra="2025-03-10 17:00:00",
            ngay_ket_thuc_xu_ly="2025-03-07 10:00:00", trang_thai="10")

# reason code → (override of the bad row B1 in canonical terms, the same value in DVCQG JSON terms, column)
CASES = {
    "missing_required": ({"ma_tthc": ""}, {"MaTTHC": ""}, "ma_tthc"),
    "bad_date": ({"ngay_tiep_nhan": "31/02/2025"}, {"NgayTiepNhan": "31/02/2025"}, "ngay_tiep_nhan"),
    "implausible_date": ({"ngay_nop": "1900-01-01 00:00:00"}, {"NgayNopHoSo": "19000101000000"}, "ngay_nop"),
    "end_before_received": ({"ngay_ket_thuc_xu_ly": "2025-03-01 10:00:00"}, {"NgayKetThucXuLy": "20250301100000"},
                            "ngay_ket_thuc_xu_ly"),
    "supplement_end_before_start": (
        {"so_lan_bo_sung": "1", "ngay_yeu_cau_bo_sung": "2025-03-05 09:00:00",
         "ngay_hoan_thanh_bo_sung": "2025-03-04 09:00:00"},
        {"DanhSachHoSoBoSung": [{"NgayBoSung": "20250305090000", "NgayTiepNhanBoSung": "20250304090000"}]},
        "ngay_hoan_thanh_bo_sung"),
    "submitted_after_received": ({"ngay_nop": "2025-03-05 07:00:00"}, {"NgayNopHoSo": "20250305070000"}, "ngay_nop"),
    "missing_end_date": ({"trang_thai": "9", "ngay_ket_thuc_xu_ly": ""},
                         {"TrangThaiHoSo": 9, "NgayKetThucXuLy": None}, "ngay_ket_thuc_xu_ly"),
    "unknown_status": ({"trang_thai": "12"}, {"TrangThaiHoSo": 12}, "trang_thai"),
    "unknown_channel": ({"kenh": "7"}, {"KenhThucHien": 7}, "kenh"),
    "bad_value": ({"thanh_toan_truc_tuyen": "5"}, {"DuocThanhToanTrucTuyen": 5}, "thanh_toan_truc_tuyen"),
    "bad_boolean": ({"so_hoa_ho_so": "maybe"}, {"TaiLieuNop": [{"DuocSoHoa": "maybe"}]}, "so_hoa_ho_so"),
    "bad_number": ({"so_lan_bo_sung": "-1"}, {"DanhSachHoSoBoSung": -1}, "so_lan_bo_sung"),
    "bad_number_word": ({"so_lan_bo_sung": "two"}, {"DanhSachHoSoBoSung": "two"}, "so_lan_bo_sung"),
    "unknown_unit": ({"don_vi_xu_ly": "Z999"}, {"DonViXuLy": "Z999"}, "ma_don_vi"),
    "unit_not_valid": ({"don_vi_xu_ly": "X002"}, {"DonViXuLy": "X002"}, "ma_don_vi"),
    "text_too_long": ({"ten_tthc": "A" * 1001}, {"TenTTHC": "A" * 1001}, "ten_tthc"),
    "formula": ({"ten_tthc": "=SUM(A1)"}, {"TenTTHC": "=SUM(A1)"}, "ten_tthc"),
    "html": ({"ten_tthc": "<b>x</b>"}, {"TenTTHC": "<b>x</b>"}, "ten_tthc"),
    "control_char": ({"ma_ho_so": "B\n1"}, {"MaHoSo": "B\n1"}, "ma_ho_so"),
    "duplicate": ({"ma_ho_so": "G1"}, {"MaHoSo": "G1"}, "ma_ho_so"),  # an identical copy: the first is stored
    "duplicate_conflict": ({"ma_ho_so": "G1", "ten_tthc": "Khác"}, {"MaHoSo": "G1", "TenTTHC": "Khác"}, "ma_ho_so"),
}
SHAPES = ("csv", "xlsx", "json", "parquet_text", "parquet_typed")


def _code(case: str) -> str:
    return "bad_number" if case == "bad_number_word" else case


def _rows(case):
    over = CASES[case][0]
    bad = {**GOOD, "ma_ho_so": "B1", **over}
    return [dict(GOOD), bad]


def _json_records(case):
    def obj(ma):
        return {"MaHoSo": ma, "MaTTHC": "T1", "TenTTHC": "Khai sinh", "MaLinhVuc": "HT", "DonViXuLy": "X001",
                "KenhThucHien": 2, "NgayNopHoSo": "20250303070000", "NgayTiepNhan": "20250303080000",
                "NgayHenTra": "20250310170000", "NgayKetThucXuLy": "20250307100000", "TrangThaiHoSo": 10}
    return [obj("G1"), {**obj("B1"), **CASES[case][1]}]


def _tabular(case, path, kind):
    inv = {v: k for k, v in load_source("motcua_hd").fields.items()}
    rows = _rows(case)
    cols = sorted({c for r in rows for c in r})
    head = [inv[c] for c in cols]
    body = [[r.get(c, "") for c in cols] for r in rows]
    if kind == "csv":
        return write_csv(path, body, head=head)
    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for r in body:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as an export writes it (not a live formula)
    wb.save(path)
    return path


def _parquet(case, path, typed):
    df = pd.DataFrame(_rows(case)).fillna("")
    if not typed:
        df.astype(object).to_parquet(path)
        return path
    try:
        for c in df.columns:
            if c.startswith("ngay_"):
                df[c] = pd.to_datetime(df[c].replace("", None), format="%Y-%m-%d %H:%M:%S")
            elif c in ("kenh", "trang_thai", "so_lan_bo_sung", "thanh_toan_truc_tuyen"):
                df[c] = pd.array([None if v == "" else int(v) for v in df[c]], dtype="Int16")
            elif c == "so_hoa_ho_so":
                raise ValueError(c)
    except ValueError:
        return None  # the bad value has no native type: a typed Parquet file cannot hold it
    df.to_parquet(path)
    return path


def _write(case, shape, tmp_path):
    if shape == "json":
        return write_json(tmp_path / "f.json", _json_records(case))
    if shape in ("csv", "xlsx"):
        return _tabular(case, tmp_path / f"f.{shape}", shape)
    return _parquet(case, tmp_path / "f.parquet", shape == "parquet_typed")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", list(CASES))
def test_reason_code_on_every_shape(tmp_path, case, shape):
    units = tmp_path / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS), encoding="utf-8")
    f = _write(case, shape, tmp_path)
    if f is None:
        pytest.skip("value not expressible in a typed Parquet column")
    wh = tmp_path / "wh" / "w.duckdb"
    (r,) = ingest_files([f], warehouse=wh, units=units)
    assert r.rows_read == 2 and r.rows_read == r.rows_stored + r.rows_quarantined
    lines = [(q["column"], q["reason_code"]) for q in qlines(r)]
    col = CASES[case][2]
    if case == "duplicate_conflict":  # both copies go: neither can be trusted
        assert lines == [(col, "duplicate_conflict")] * 2 and r.rows_stored == 0
        return
    assert lines == [(col, _code(case))], lines
    assert query(wh, "SELECT ma_ho_so FROM dossiers") == [("G1",)]


def test_receipt_in_1900_quarantined(tmp_path):
    """A receipt date in 1900 is implausible (and its unit was not valid then): the row is quarantined."""
    units = tmp_path / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS), encoding="utf-8")
    recs = _json_records("html")
    recs[1] = {**recs[1], "TenTTHC": "ok", "NgayTiepNhan": "19000105080000", "NgayNopHoSo": None}
    (r,) = ingest_files([write_json(tmp_path / "f.json", recs)], warehouse=tmp_path / "w.duckdb", units=units)
    codes = [(q["row"], q["reason_code"]) for q in qlines(r)]
    assert codes == [("2", "implausible_date"), ("2", "unit_not_valid")]
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 1, 1)


def test_nfc_codes_are_one_dossier(tmp_path):
    """The same code typed precomposed (NFC) and with combining accents (NFD) is one dossier (#18 item 4)."""
    import unicodedata

    units = tmp_path / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS), encoding="utf-8")
    recs = _json_records("html")
    recs[0]["MaHoSo"] = unicodedata.normalize("NFC", "HS-Đồng-1")
    recs[1] = {**recs[0], "MaHoSo": unicodedata.normalize("NFD", "HS-Đồng-1")}
    assert recs[0]["MaHoSo"] != recs[1]["MaHoSo"]
    (r,) = ingest_files([write_json(tmp_path / "f.json", recs)], warehouse=tmp_path / "w.duckdb", units=units)
    assert [q["reason_code"] for q in qlines(r)] == ["duplicate"]
    assert query(tmp_path / "w.duckdb", "SELECT ma_ho_so FROM dossiers") == [
        (unicodedata.normalize("NFC", "HS-Đồng-1"),)]


def test_canonical_headers_need_no_map(tmp_path):
    """A CSV headed by the canonical names is read by the built-in `canonical` layout, detected without --source."""
    units = tmp_path / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS), encoding="utf-8")
    head = list(GOOD) + ["so_hoa_ho_so", "chu_ho_so", "ghi_chu"]
    rows = [[*GOOD.values(), "true", "Nguyễn Văn A", ""], [*{**GOOD, "ma_ho_so": "G2", "kenh": "1"}.values(), "0", "B", "x"]]
    f = write_csv(tmp_path / "c.csv", rows, head=head)
    (r,) = ingest_files([f], warehouse=tmp_path / "w.duckdb", units=units)
    assert (r.source, r.rows_read, r.rows_stored) == ("canonical", 2, 2)
    assert r.unmapped == ["ghi_chu"]  # the personal column is dropped, not listed
    assert query(tmp_path / "w.duckdb", "SELECT ma_ho_so, kenh, trang_thai, so_hoa_ho_so FROM dossiers ORDER BY 1") \
        == [("G1", 2, 10, True), ("G2", 1, 10, False)]


def test_header_message_points_to_column_maps(tmp_path):
    from tthc.errors import InputError

    f = tmp_path / "m.csv"
    f.write_text("Mã hồ sơ,Mã lĩnh vực,Ngày tiếp nhận,Trạng thái\nA,L1,01/03/2025,Đang xử lý\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"viết một tệp ánh xạ cột .* docs/column-maps\.md.* write a column map for "
                                         r"this layout and pass it with --source PATH/TO/map\.yaml"):
        ingest_files([f], warehouse=tmp_path / "w.duckdb")
