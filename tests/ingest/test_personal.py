"""Personal data never reaches the warehouse or the quarantine files (spec §3)."""

from __future__ import annotations

from tthc.ingest import ingest_files
from tthc.schema import DOSSIER_COLUMNS, META_COLUMNS, PERSONAL_FIELDS
from tthc.warehouse import INGEST_LOG_COLUMNS

from ingest_helpers import HEAD, dossier, query, write_csv, write_json

NAME, CCCD, PHONE, EMAIL, ADDR = "Phạm Thị Quỳnh Hoa", "034199012345", "0987654321", "hoa.pham@example.vn", \
    "Thôn Đông Phong, xã Thanh Hồng"
SECRETS = [NAME, CCCD, PHONE, EMAIL, ADDR]


def test_schema_has_no_personal_column(wh):
    cols = {c for (c,) in query_cols(wh)}
    assert cols == set(DOSSIER_COLUMNS) | set(META_COLUMNS)
    lowered = {c.lower() for c in cols | set(INGEST_LOG_COLUMNS)}
    for bad in [*PERSONAL_FIELDS, "ho_ten", "cccd", "phone", "ten_chu_ho_so"]:
        assert bad.lower() not in lowered


def query_cols(wh):
    from tthc.warehouse import connect

    connect(wh).close()
    return query(wh, "SELECT column_name FROM information_schema.columns WHERE table_name = 'dossiers'")


def test_personal_values_not_stored_anywhere(tmp_path, wh):
    personal = {"ChuHoSo": NAME, "SoGiayToChuHoSo": CCCD, "SoDienThoaiChuHoSo": PHONE, "EmailChuHoSo": EMAIL,
                "DiaChiChuHoSo": ADDR, "HoTenNguoiNop": NAME}  # the last one is unmapped and unknown
    recs = [dossier("P1", **personal), dossier("P2", TrangThaiHoSo=99, **personal),  # quarantined row
            dossier("P2", TrangThaiHoSo=4, **personal), dossier("P2", TrangThaiHoSo=5, **personal)]
    head = [*HEAD, "Chủ hồ sơ", "Số CCCD/CMND", "Số điện thoại", "Email", "Địa chỉ", "Họ tên người nộp"]
    good = ["C1", "T1", "Tên", "L1", "X001", "", "Trực tuyến", "03/03/2025", "05/03/2025", "", "Đang xử lý"]
    bad = ["C2", "T1", "Tên", "L1", "Z999", "", "Fax", "31/02/2025", "", "", "Huỷ"]
    csvf = write_csv(tmp_path / "p.csv", [good + SECRETS + [NAME], bad + SECRETS + [NAME]], head=head)
    res = ingest_files([write_json(tmp_path / "p.json", recs), csvf], warehouse=wh)
    assert [r.rows_quarantined for r in res] == [3, 1] and [r.rows_stored for r in res] == [1, 1]
    files = [p for p in wh.parent.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files) and len([p for p in files if "quarantine" in p.parts]) == 2
    for p in files:
        blob = p.read_bytes()
        for s in SECRETS:
            for enc in ("utf-8", "utf-16-le"):
                assert s.encode(enc) not in blob, (p, s)
