"""Value mapping: status/channel words, booleans, satisfaction levels, nested DVCQG lists, date formats."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tthc.ingest import ingest_files
from tthc.ingest.sources import load_source
from tthc.ingest.validate import parse_dates

from ingest_helpers import dossier, query, write_csv, write_json

FULL_HEAD = ["Mã hồ sơ", "Mã TTHC", "Mã lĩnh vực", "Đơn vị xử lý", "Ngày tiếp nhận", "Trạng thái", "Hình thức nộp",
             "Phiếu xin lỗi", "Có phí, lệ phí", "Thanh toán trực tuyến", "Hồ sơ được số hóa", "Kết quả điện tử",
             "Mức độ hài lòng", "Số lần yêu cầu bổ sung", "Ngày yêu cầu bổ sung", "Ngày hoàn thành bổ sung"]


def test_words_booleans_and_satisfaction(tmp_path, wh):
    base = ["", "T1", "L1", "P001", "03/03/2025", "", "", "", "", "", "", "", "", "", "", ""]

    def r(code, **kw):
        row = list(base)
        row[0] = code
        for k, v in kw.items():
            row[FULL_HEAD.index(k.replace("_", " "))] = v
        return row

    rows = [
        r("A", **{"Trạng_thái": "Mới đăng ký", "Hình_thức_nộp": "Trực tiếp", "Phiếu_xin_lỗi": "Có",
                  "Thanh_toán_trực_tuyến": "Cổng DVC quốc gia", "Mức_độ_hài_lòng": "Rất hài lòng"}),
        r("B", **{"Trạng_thái": "chờ bổ sung", "Hình_thức_nộp": "Bưu chính công ích", "Phiếu_xin_lỗi": "Không",
                  "Thanh_toán_trực_tuyến": "Cổng DVC tỉnh", "Mức_độ_hài_lòng": "Không hài lòng",
                  "Có_phí,_lệ_phí": "x", "Số_lần_yêu_cầu_bổ_sung": "2", "Ngày_yêu_cầu_bổ_sung": "04/03/2025",
                  "Ngày_hoàn_thành_bổ_sung": "06/03/2025 10:00"}),
        r("C", **{"Trạng_thái": "7", "Hình_thức_nộp": "", "Hồ_sơ_được_số_hóa": "có", "Kết_quả_điện_tử": "KHÔNG",
                  "Mức_độ_hài_lòng": "Hài lòng"}),
    ]
    f = write_csv(tmp_path / "w.csv", rows, head=FULL_HEAD, sep=";")
    (res,) = ingest_files([f], warehouse=wh)
    assert (res.rows_read, res.rows_stored, res.rows_quarantined) == (3, 3, 0)
    got = query(wh, "SELECT ma_ho_so, trang_thai, kenh, co_phieu_xin_loi, co_phi, thanh_toan_truc_tuyen, "
                    "so_hoa_ho_so, ket_qua_dien_tu, muc_hai_long, co_danh_gia, so_lan_bo_sung, "
                    "ngay_yeu_cau_bo_sung, ngay_hoan_thanh_bo_sung FROM dossiers ORDER BY 1")
    assert got == [
        ("A", 1, 1, True, False, 1, False, False, 3, True, 0, None, None),
        ("B", 5, 3, False, True, 2, False, False, 1, True, 2, dt.datetime(2025, 3, 4), dt.datetime(2025, 3, 6, 10)),
        # blank channel → 1 (spec §3), blank yes/no → false per the map's "" entry, blank payment → 0
        ("C", 7, 1, False, False, 0, True, False, 2, True, 0, None, None),
    ]


def test_nested_lists_reduced(tmp_path, wh):
    recs = [
        # all required components digitised (the optional one is not); reuse via DuocTaiSuDung; e-result; fee
        dossier("N1", TaiLieuNop=[{"DuocSoHoa": True, "DuocTaiSuDung": True, "DuocLayTuKhoDMQG": False},
                                  {"DuocSoHoa": False, "DuocTaiSuDung": False, "DuocLayTuKhoDMQG": False,
                                   "BatBuoc": False}],
                DanhSachGiayToKetQua=[{"DuongDanTepTinKetQua": ""}, {"DuongDanTepTinKetQua": "/kq/1.pdf"}],
                DanhSachLePhi=[{"Gia": 0}, {"Gia": "50000"}], DanhGiaHaiLong={"MucDo": 2},
                DanhSachHoSoBoSung=[{"NgayYeuCauBoSung": "20250303100000", "NgayHoanThanhBoSung": "20250304090000"}],
                DuocThanhToanTrucTuyen=1, CoPhieuXinLoi=False, DongBoDVCQG=True, ThoiHanGiaiQuyet=3),
        # a required component not digitised; data from the national store → tu_kho and reuse; no e-result; no fee
        dossier("N2", TaiLieuNop=[{"DuocSoHoa": True, "DuocTaiSuDung": False, "DuocLayTuKhoDMQG": True},
                                  {"DuocSoHoa": False, "DuocTaiSuDung": False, "DuocLayTuKhoDMQG": False,
                                   "BatBuoc": True}],
                DanhSachGiayToKetQua=[{"DuongDanTepTinKetQua": None}], DanhSachLePhi=[{"Gia": 0}],
                DanhGiaHaiLong=None, DanhSachHoSoBoSung=[], HoSoCoThanhPhanSoHoa=False),
        # empty component list → not digitised; HoSoCoThanhPhanSoHoa alone → reuse; lists absent → unknown
        dossier("N3", TaiLieuNop=[], HoSoCoThanhPhanSoHoa=True),
        # nothing nested at all
        dossier("N4"),
    ]
    (res,) = ingest_files([write_json(tmp_path / "n.json", recs)], warehouse=wh)
    assert res.rows_stored == 4
    got = query(wh, "SELECT ma_ho_so, so_hoa_ho_so, tai_su_dung, tu_kho_du_lieu, ket_qua_dien_tu, co_phi, "
                    "co_danh_gia, muc_hai_long, so_lan_bo_sung, ngay_yeu_cau_bo_sung, ngay_hoan_thanh_bo_sung, "
                    "thanh_toan_truc_tuyen, co_phieu_xin_loi, dong_bo_dvcqg, thoi_han_gq FROM dossiers ORDER BY 1")
    assert got == [
        ("N1", True, True, False, True, True, True, 2, 1, dt.datetime(2025, 3, 3, 10), dt.datetime(2025, 3, 4, 9),
         1, False, True, 3),
        ("N2", False, True, True, False, False, False, None, 0, None, None, None, None, None, None),
        ("N3", False, True, False, None, None, None, None, 0, None, None, None, None, None, None),
        ("N4", None, None, None, None, None, None, None, 0, None, None, None, None, None, None),
    ]


def test_date_formats():
    s = pd.Series(["20250301083015", "2025-03-01T08:30:15", "2025-03-01 08:30", "01/03/2025 08:30:15",
                   "1/3/2025 8:30", "01/03/2025", "2025-03-01T01:30:15Z", "2025-03-01T08:30:15+07:00", "20250301",
                   "31/02/2025", "2025-02-30", "hôm qua", "", None, "20251301000000"], dtype=object)
    out, bad = parse_dates(s)
    d = dt.datetime
    assert out.tolist()[:9] == [pd.Timestamp(x) for x in (
        d(2025, 3, 1, 8, 30, 15), d(2025, 3, 1, 8, 30, 15), d(2025, 3, 1, 8, 30), d(2025, 3, 1, 8, 30, 15),
        d(2025, 3, 1, 8, 30), d(2025, 3, 1), d(2025, 3, 1, 8, 30, 15), d(2025, 3, 1, 8, 30, 15), d(2025, 3, 1))]
    assert bad.tolist() == [False] * 9 + [True, True, True, False, False, True]


def test_source_maps_load_and_reject_bad_keys(tmp_path):
    from tthc.errors import ConfigError
    from tthc.ingest.sources import load_all_sources, parse_source

    maps = load_all_sources()
    assert set(maps) == {"dvcqg_json", "motcua_hd"}
    assert load_source("motcua_hd").values["trang_thai"]["đã trả kết quả"] == 10
    with pytest.raises(ConfigError, match=r"x\.yaml: columns\.Foo: 'ho_ten' is not a canonical column"):
        parse_source({"name": "x", "format": "tabular", "header_marker": "Foo", "columns": {"Foo": "ho_ten"}},
                     tmp_path / "x.yaml")
    with pytest.raises(ConfigError, match=r"y\.yaml: values\.trang_thai\.'Xong': 'chín' must be an integer"):
        parse_source({"format": "tabular", "header_marker": "A", "columns": {"A": "ma_ho_so"},
                      "values": {"trang_thai": {"Xong": "chín"}}}, tmp_path / "y.yaml")
    with pytest.raises(ConfigError, match=r"z\.yaml: drop: \['email'\] also mapped"):
        parse_source({"format": "json", "fields": {"Email": "ten_tthc"}, "drop": ["Email"]}, tmp_path / "z.yaml")
