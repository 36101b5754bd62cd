"""The export files of the sample: DVCQG-style JSON and one-stop XLSX (params/sources/*.yaml), determinism and
fake personal data."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from tthc.sample import JSON_NAME, PARQUET_NAME, XLSX_NAME, split_units, write_sample
from tthc.yamlio import load_yaml

SMALL_N, SMALL_SEED = 5000, 7  # as in conftest.py



def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _json(exports):
    return json.loads((exports[0] / JSON_NAME).read_text(encoding="utf-8"))


def _xlsx_rows(exports):
    wb = load_workbook(exports[0] / XLSX_NAME, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    return rows


def test_files_and_row_counts(exports, small_frame):
    out, paths = exports
    assert [p.name for p in paths] == [JSON_NAME, XLSX_NAME]
    objs, rows = _json(exports), _xlsx_rows(exports)
    assert len(objs) + len(rows) - 3 == SMALL_N == len(small_frame)
    js_units, xl_units = split_units(sorted(small_frame["ma_don_vi"].astype(str).unique()))
    assert {o["DonViXuLy"] for o in objs} == js_units
    assert len(js_units) in (len(xl_units), len(xl_units) + 1)


def test_same_seed_same_bytes_other_seed_differs(tmp_path, registry, exports):
    a = write_sample(tmp_path / "a", n=SMALL_N, seed=SMALL_SEED, units=registry)
    b = write_sample(tmp_path / "b", n=600, seed=SMALL_SEED + 1, units=registry)
    c = write_sample(tmp_path / "c", n=600, seed=SMALL_SEED + 1, units=registry)
    assert [_sha(p) for p in a] == [_sha(p) for p in exports[1]]
    assert [_sha(p) for p in b] == [_sha(p) for p in c]
    assert _sha(a[0]) != _sha(b[0]) and _sha(a[1]) != _sha(b[1])


def test_xlsx_title_rows_and_exact_headers(exports, project_root):
    rows = _xlsx_rows(exports)
    sm = load_yaml(project_root / "params" / "sources" / "motcua_hd.yaml")
    assert rows[0][0] == "DANH SÁCH HỒ SƠ TTHC"
    assert rows[1][0].startswith("Kỳ xuất: 01/01/2024 - 30/11/2026")
    header = list(rows[2])
    assert header[0] == sm["header_marker"]
    assert sorted(header) == sorted([*sm["columns"], *sm["drop"]])
    assert len(header) == len(set(header))


def test_xlsx_values_use_the_maps_words(exports, project_root, small_frame):
    rows = _xlsx_rows(exports)
    sm = load_yaml(project_root / "params" / "sources" / "motcua_hd.yaml")
    df = pd.DataFrame(rows[3:], columns=rows[2])
    v = sm["values"]
    assert set(df["Trạng thái"]) <= set(v["trang_thai"])
    assert set(df["Hình thức nộp"]) <= set(v["kenh"])
    assert set(df["Thanh toán trực tuyến"]) <= set(v["thanh_toan_truc_tuyen"])
    assert set(df["Mức độ hài lòng"].dropna()) <= set(v["muc_hai_long"])
    for h in ("Phiếu xin lỗi", "Có phí, lệ phí", "Hồ sơ được số hóa", "Kết quả điện tử", "Đồng bộ DVCQG"):
        assert set(df[h]) == {"Có", "Không"}, h
    assert df["Ngày tiếp nhận"].str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").all()
    # one row checked against the frame by hand: status word and dates of the same dossier
    f = small_frame.set_index("ma_ho_so")
    r = df.iloc[0]
    src = f.loc[r["Mã hồ sơ"]]
    assert v["trang_thai"][r["Trạng thái"]] == src["trang_thai"]
    assert r["Ngày tiếp nhận"] == src["ngay_tiep_nhan"].strftime("%d/%m/%Y %H:%M")
    assert r["Thời hạn giải quyết (ngày làm việc)"] == src["thoi_han_gq"]


def test_json_fields_and_nested_lists_agree_with_frame(exports, project_root, small_frame):
    objs = _json(exports)
    sm = load_yaml(project_root / "params" / "sources" / "dvcqg_json.yaml")
    f = small_frame.set_index("ma_ho_so")
    for o in objs:
        assert set(sm["fields"]) <= set(o)
        assert re.fullmatch(r"\d{14}", o["NgayTiepNhan"])
    checked = moved = 0
    for o in objs[:800]:
        r = f.loc[o["MaHoSo"]]
        req = [t for t in o["TaiLieuNop"] if t["BatBuoc"]]
        assert all(t["DuocSoHoa"] for t in req) == r["so_hoa_ho_so"]
        reuse = o["HoSoCoThanhPhanSoHoa"] or any(t["DuocTaiSuDung"] or t["DuocLayTuKhoDMQG"] for t in o["TaiLieuNop"])
        assert reuse == r["tai_su_dung"]
        assert any(t["DuocLayTuKhoDMQG"] for t in o["TaiLieuNop"]) == r["tu_kho_du_lieu"]
        assert any(g["DuongDanTepTinKetQua"] for g in o["DanhSachGiayToKetQua"]) == r["ket_qua_dien_tu"]
        assert any(p["Gia"] > 0 for p in o["DanhSachLePhi"]) == r["co_phi"]
        assert len(o["DanhSachHoSoBoSung"]) == r["so_lan_bo_sung"]
        if o["DanhSachHoSoBoSung"]:
            first = o["DanhSachHoSoBoSung"][0]  # national names: NgayBoSung = requested, NgayTiepNhanBoSung = back
            assert "NgayYeuCauBoSung" not in first and "NgayHoanThanhBoSung" not in first
            assert first["NgayBoSung"] == r["ngay_yeu_cau_bo_sung"].strftime("%Y%m%d%H%M%S")
            back = r["ngay_hoan_thanh_bo_sung"]
            assert first["NgayTiepNhanBoSung"] == (None if pd.isna(back) else back.strftime("%Y%m%d%H%M%S"))
            assert (first["NgayHenTraMoi"] is not None) == bool(r["han_da_doi"])
            if r["han_da_doi"]:
                assert first["NgayHenTraMoi"] == o["NgayHenTra"]
                pause = (back.normalize() - r["ngay_yeu_cau_bo_sung"].normalize()).days
                before = pd.Timestamp(datetime.strptime(first["NgayHenTraTruoc"], "%Y%m%d%H%M%S"))
                assert (r["ngay_hen_tra"] - before).days == pause
                moved += 1
        assert (o["DanhGiaHaiLong"] is not None) == r["co_danh_gia"]
        if o["DanhGiaHaiLong"]:
            assert o["DanhGiaHaiLong"]["MucDo"] == r["muc_hai_long"]
        assert o["TrangThaiHoSo"] == r["trang_thai"] and o["KenhThucHien"] == r["kenh"]
        checked += 1
    assert checked == min(800, len(objs))
    assert moved > 0, "the sample moves some due dates (han_da_doi)"


def test_personal_data_in_exports_only(exports, small_frame):
    objs, rows = _json(exports), _xlsx_rows(exports)
    cccd = [o["SoGiayToChuHoSo"] for o in objs]
    assert all(re.fullmatch(r"0\d{11}", c) for c in cccd)
    assert all(re.fullmatch(r"0\d{9}", o["SoDienThoaiChuHoSo"]) for o in objs)
    assert all(len(o["ChuHoSo"].split()) >= 3 for o in objs)
    assert sum(o["EmailChuHoSo"] is not None for o in objs) > len(objs) / 2
    assert all("Thanh Hà" in o["DiaChiChuHoSo"] for o in objs)
    header = rows[2]
    xcccd = [r[header.index("Số CCCD/CMND")] for r in rows[3:]]
    assert all(isinstance(c, str) and re.fullmatch(r"0\d{11}", c) for c in xcccd)  # text, leading zero kept
    # the canonical frame carries none of it
    values = set()
    for c in small_frame.columns:
        if str(small_frame[c].dtype) in ("str", "category"):
            values |= set(small_frame[c].astype(str))
    assert not values & (set(cccd) | set(xcccd) | {o["ChuHoSo"] for o in objs})


def test_parquet_format_is_the_canonical_frame(tmp_path, registry):
    from tthc.sample import generate_frame

    (p,) = write_sample(tmp_path, n=2000, seed=3, units=registry, fmt="parquet")
    assert p.name == PARQUET_NAME
    back = pd.read_parquet(p)
    df = generate_frame(2000, seed=3, units=registry)
    assert list(back.columns) == list(df.columns)
    assert (back["ma_ho_so"].to_numpy() == df["ma_ho_so"].to_numpy()).all()
    assert (back["ngay_hen_tra"].to_numpy() == df["ngay_hen_tra"].to_numpy()).all()
    assert not (tmp_path / JSON_NAME).exists()


def test_bad_format_is_a_clear_error(tmp_path):
    from tthc.errors import InputError

    with pytest.raises(InputError, match="exports or parquet"):
        write_sample(tmp_path, n=10, fmt="csv")
