"""Helpers for the ingest tests: writers for small export files and warehouse queries."""

from __future__ import annotations

import csv
import json
from pathlib import Path

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
UNITS = Path(__file__).resolve().parents[2] / "params" / "units.yaml"

# motcua_hd headers (params/sources/motcua_hd.yaml)
HEAD = ["Mã hồ sơ", "Mã TTHC", "Tên thủ tục hành chính", "Mã lĩnh vực", "Đơn vị xử lý", "Nơi tiếp nhận",
        "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả", "Trạng thái"]


def write_csv(path: Path, rows, head=HEAD, sep=",", bom=False, title_rows=()) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        for t in title_rows:
            f.write(t + "\n")
        w = csv.writer(f, delimiter=sep)
        w.writerow(head)
        w.writerows(rows)
    return path


def write_json(path: Path, records, shape="array") -> Path:
    if shape == "array":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    elif shape == "data":
        path.write_text(json.dumps({"data": records}, ensure_ascii=False), encoding="utf-8")
    elif shape == "lines":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def dossier(code="HS1", **kw) -> dict:
    """A valid DVCQG-style dossier object."""
    d = {"MaHoSo": code, "MaTTHC": "1.000001", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "HT",
         "TenLinhVuc": "Hộ tịch", "DonViXuLy": "X001", "NoiNopHoSo": "X001", "KenhThucHien": 2,
         "NgayNopHoSo": "20250303074500", "NgayTiepNhan": "20250303080000", "NgayHenTra": "20250305170000",
         "NgayKetThucXuLy": "20250304160000", "NgayTra": "20250304163000", "TrangThaiHoSo": 10}
    d.update(kw)
    return d


def query(wh: Path, sql: str, params=None):
    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def qlines(result) -> list[dict]:
    """Rows of a result's quarantine CSV."""
    if result.quarantine_path is None:
        return []
    with open(result.quarantine_path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
