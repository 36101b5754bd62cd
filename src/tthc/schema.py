"""The canonical dossier record (spec §3) and the warehouse schema.

Canonical names are snake_case versions of the DVCQG ``HoSoDongBoDVC`` fields. Personal data (applicant name, ID
number, phone, e-mail, address) has no column here, on purpose: it can never reach the warehouse or a report.
"""

from __future__ import annotations

# canonical column → DuckDB type. Dates are TIMESTAMP in local time (Asia/Ho_Chi_Minh), naive.
DOSSIER_COLUMNS: dict[str, str] = {
    "ma_ho_so": "VARCHAR",            # dossier code, unique
    "ma_tthc": "VARCHAR",             # procedure code
    "ten_tthc": "VARCHAR",            # procedure name
    "ma_linh_vuc": "VARCHAR",         # field (lĩnh vực) code
    "ten_linh_vuc": "VARCHAR",        # field name
    "don_vi_xu_ly": "VARCHAR",        # processing unit code
    "don_vi_tiep_nhan": "VARCHAR",    # receiving unit code
    "ma_don_vi": "VARCHAR",           # attributed unit: don_vi_xu_ly, else don_vi_tiep_nhan (spec §2)
    "kenh": "TINYINT",                # 1 in person, 2 online, 3 postal; null → 1
    "ngay_nop": "TIMESTAMP",
    "ngay_tiep_nhan": "TIMESTAMP",
    "ngay_hen_tra": "TIMESTAMP",
    "ngay_ket_thuc_xu_ly": "TIMESTAMP",
    "ngay_tra": "TIMESTAMP",
    "trang_thai": "TINYINT",          # 1..10, see STATUSES
    "so_lan_bo_sung": "SMALLINT",
    "ngay_yeu_cau_bo_sung": "TIMESTAMP",
    "ngay_hoan_thanh_bo_sung": "TIMESTAMP",
    "han_da_doi": "BOOLEAN",          # the due date was moved by a supplement (NgayHenTraMoi set): no pause (spec §6)
    "co_phieu_xin_loi": "BOOLEAN",
    "co_phi": "BOOLEAN",
    "thanh_toan_truc_tuyen": "TINYINT",  # 0 no, 1 national portal, 2 provincial
    "so_hoa_ho_so": "BOOLEAN",
    "ket_qua_dien_tu": "BOOLEAN",
    "tai_su_dung": "BOOLEAN",
    "tu_kho_du_lieu": "BOOLEAN",
    "dong_bo_dvcqg": "BOOLEAN",
    "co_danh_gia": "BOOLEAN",
    "muc_hai_long": "TINYINT",        # 1 không hài lòng, 2 hài lòng, 3 rất hài lòng
    "thoi_han_gq": "SMALLINT",        # statutory limit in working days (ThoiHanGiaiQuyet), if exported
}

# provenance columns added by ingest
META_COLUMNS: dict[str, str] = {
    "nguon": "VARCHAR",          # source system name
    "tep_nguon": "VARCHAR",      # file name
    "file_hash": "VARCHAR",      # sha256 of the file content
    "dong_nguon": "BIGINT",      # row number in the file (1-based data row, as reported in errors)
    "phien_ban": "TIMESTAMP",    # version stamp used for replacement (see ingest docs)
    "ingest_id": "BIGINT",
}

REQUIRED = ("ma_ho_so", "ma_tthc", "ma_linh_vuc", "ngay_tiep_nhan", "trang_thai")

STATUSES = {
    1: "Mới đăng ký", 2: "Đã tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý", 5: "Yêu cầu bổ sung",
    6: "Yêu cầu thanh toán", 7: "Công dân yêu cầu rút hồ sơ", 8: "Dừng xử lý", 9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
NOT_RECEIVED = (1, 3)  # excluded from every count (spec §6)
CHANNELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Dịch vụ bưu chính công ích"}

# Fields that must never be stored: recognised in exports so they can be dropped explicitly.
PERSONAL_FIELDS = (
    "ChuHoSo", "SoGiayToChuHoSo", "SoDienThoaiChuHoSo", "EmailChuHoSo", "DiaChiChuHoSo", "NguoiNop",
    "chu_ho_so", "so_giay_to", "so_dien_thoai", "email", "dia_chi",
)

# Procedure catalogue (optional, spec §3), table `catalogue` in the warehouse.
CATALOGUE_COLUMNS: dict[str, str] = {
    "ma_tthc": "VARCHAR",
    "ten_tthc": "VARCHAR",
    "ma_linh_vuc": "VARCHAR",
    "cap_thuc_hien": "VARCHAR",
    "muc_do_dvc": "VARCHAR",           # toan_trinh | mot_phan | none
    "co_phi": "BOOLEAN",
    "yeu_cau_ket_qua_giay": "BOOLEAN",
    "thoi_han_gq": "SMALLINT",          # working days
}


def dossiers_ddl(table: str = "dossiers") -> str:
    """One row per ``ma_ho_so``. The ingest keeps the key unique (copies within a file are quarantined, a dossier
    already stored is deleted before its newer version is inserted), so the table has no PRIMARY KEY: DuckDB's
    index would cost ~160 bytes of memory per dossier and most of the merge time. Warehouses created with the
    index keep it (and the merge then updates through it)."""
    cols = {**DOSSIER_COLUMNS, **META_COLUMNS}
    body = ",\n  ".join(f"{c} {t}" for c, t in cols.items())
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {body}\n)"
