"""Write the synthetic frame as real export files: a DVCQG-style JSON and a one-stop-system XLSX (spec §3).

Both follow the column maps in ``params/sources/`` (``dvcqg_json.yaml`` and ``motcua_hd.yaml``) and carry the fake
personal fields, which the ingest must drop. Files are byte-identical for the same frame: no wall-clock time goes
into them (the XLSX zip entries and document properties get a fixed timestamp).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..schema import STATUSES
from ..yamlio import load_yaml
from .catalogue import PROCEDURES
from .frame import END, START

JSON_NAME = "dvcqg_sample.json"
XLSX_NAME = "motcua_sample.xlsx"
PARQUET_NAME = "sample_dossiers.parquet"
SAMPLE_FILES = (JSON_NAME, XLSX_NAME, PARQUET_NAME)
FIXED_TIME = datetime(2025, 7, 1, 0, 0, 0)  # the day after the data's end date: stands in for "exported at"

_PROC = {p.ma_tthc: p for p in PROCEDURES}


def _fmt(s: pd.Series, fmt: str) -> list:
    out = s.dt.strftime(fmt)
    return [None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else v for v in out]


def split_units(codes: list[str]) -> tuple[set[str], set[str]]:
    """Alternate units (sorted by code) between the JSON export and the XLSX export."""
    codes = sorted(codes)
    return set(codes[0::2]), set(codes[1::2])


def _json_objects(df: pd.DataFrame, pers: pd.DataFrame) -> list[dict]:
    d = {c: _fmt(df[c], "%Y%m%d%H%M%S") for c in ("ngay_nop", "ngay_tiep_nhan", "ngay_hen_tra",
                                                  "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_yeu_cau_bo_sung",
                                                  "ngay_hoan_thanh_bo_sung")}
    # the promised date before the supplement: a moved date (han_da_doi) includes the pause (calendar days)
    moved = df["han_da_doi"].to_numpy(dtype=bool)
    pause = (df["ngay_hoan_thanh_bo_sung"].dt.normalize() - df["ngay_yeu_cau_bo_sung"].dt.normalize()).fillna(
        pd.Timedelta(0))
    d["hen_truoc"] = _fmt(df["ngay_hen_tra"] - pause.where(moved, pd.Timedelta(0)), "%Y%m%d%H%M%S")
    req2 = _fmt(df["ngay_hoan_thanh_bo_sung"] + pd.Timedelta(days=1), "%Y%m%d%H%M%S")
    done2 = _fmt(df["ngay_hoan_thanh_bo_sung"] + pd.Timedelta(days=4), "%Y%m%d%H%M%S")
    cols = {c: df[c].astype(object).tolist() if str(df[c].dtype) in ("category", "str") else df[c].tolist()
            for c in df.columns if not c.startswith("ngay_")}
    pc = {c: pers[c].tolist() for c in pers.columns}
    out = []
    for i in range(len(df)):
        ma = cols["ma_ho_so"][i]
        proc = _PROC[cols["ma_tthc"][i]]
        so_hoa, tai_sd, tu_kho = cols["so_hoa_ho_so"][i], cols["tai_su_dung"][i], cols["tu_kho_du_lieu"][i]
        # components: the first is required and carries the digitised flag; reuse flags sit on the last one
        tl = []
        for k in range(proc.n_tai_lieu):
            tl.append({"TepDinhKemId": f"{ma}-TL{k + 1}", "TenTepDinhKem": f"Thành phần hồ sơ {k + 1}",
                       "BatBuoc": k == 0 or k < proc.n_tai_lieu - 1,
                       "DuocSoHoa": bool(so_hoa) if k == 0 else True,
                       "DuocTaiSuDung": bool(tai_sd) and k == proc.n_tai_lieu - 1,
                       "DuocLayTuKhoDMQG": bool(tu_kho) and k == proc.n_tai_lieu - 1})
        tt = int(cols["trang_thai"][i])
        kq = []
        if tt in (8, 9, 10):
            kq.append({"TenGiayTo": "Thông báo dừng xử lý hồ sơ" if tt == 8 else proc.giay_to,
                       "DuongDanTepTinKetQua": (f"https://dichvucong.haiduong.gov.vn/ketqua/{ma}.pdf"
                                                if cols["ket_qua_dien_tu"][i] else "")})
        lp = [{"TenPhiLePhi": "Lệ phí", "Gia": proc.le_phi}] if proc.le_phi else []
        nbs = int(cols["so_lan_bo_sung"][i])
        bs = []
        # national schema (spec §3): NgayBoSung = requested, NgayTiepNhanBoSung = received back (empty while
        # open), NgayHenTraTruoc / NgayHenTraMoi = promised date before / after (empty when not moved)
        if nbs:
            back = d["ngay_hoan_thanh_bo_sung"][i]
            bs.append({"NgayBoSung": d["ngay_yeu_cau_bo_sung"][i], "NgayTiepNhanBoSung": back,
                       "NgayHenTraTruoc": d["hen_truoc"][i],
                       "NgayHenTraMoi": d["ngay_hen_tra"][i] if moved[i] else None,
                       "TrangThaiBoSung": 2 if back else 1})
        if nbs > 1:
            bs.append({"NgayBoSung": req2[i], "NgayTiepNhanBoSung": done2[i], "NgayHenTraTruoc": d["ngay_hen_tra"][i],
                       "NgayHenTraMoi": None, "TrangThaiBoSung": 2})
        muc = cols["muc_hai_long"][i]
        out.append({
            "MaHoSo": ma, "MaTTHC": proc.ma_tthc, "TenTTHC": cols["ten_tthc"][i],
            "MaLinhVuc": cols["ma_linh_vuc"][i], "TenLinhVuc": cols["ten_linh_vuc"][i],
            "DonViXuLy": cols["don_vi_xu_ly"][i], "NoiNopHoSo": cols["don_vi_tiep_nhan"][i],
            "KenhThucHien": int(cols["kenh"][i]),
            "ChuHoSo": pc["chu_ho_so"][i], "SoGiayToChuHoSo": pc["so_giay_to"][i],
            "SoDienThoaiChuHoSo": pc["so_dien_thoai"][i],
            "EmailChuHoSo": pc["email"][i] if isinstance(pc["email"][i], str) else None,  # NaN is not JSON
            "DiaChiChuHoSo": pc["dia_chi"][i],
            "NgayNopHoSo": d["ngay_nop"][i], "NgayTiepNhan": d["ngay_tiep_nhan"][i],
            "NgayHenTra": d["ngay_hen_tra"][i], "NgayKetThucXuLy": d["ngay_ket_thuc_xu_ly"][i],
            "NgayTra": d["ngay_tra"][i], "TrangThaiHoSo": tt, "ThoiHanGiaiQuyet": int(cols["thoi_han_gq"][i]),
            "DuocThanhToanTrucTuyen": int(cols["thanh_toan_truc_tuyen"][i]),
            "HoSoCoThanhPhanSoHoa": bool(tai_sd), "CoPhieuXinLoi": bool(cols["co_phieu_xin_loi"][i]),
            "DongBoDVCQG": bool(cols["dong_bo_dvcqg"][i]),
            "TaiLieuNop": tl, "DanhSachGiayToKetQua": kq, "DanhSachLePhi": lp, "DanhSachHoSoBoSung": bs,
            "DanhGiaHaiLong": None if muc is pd.NA or muc is None else {"MucDo": int(muc)},
        })
    return out


def write_json(df: pd.DataFrame, pers: pd.DataFrame, path: Path) -> Path:
    """DVCQG-style JSON array, one dossier object per line."""
    objs = _json_objects(df, pers)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in objs))
        f.write("\n]\n")
    return path


def _word_maps(sm: dict) -> dict:
    """canonical value → first Vietnamese word of the map (the map's ``values``, inverted)."""
    inv = {}
    for col, words in (sm.get("values") or {}).items():
        m = {}
        for w, v in words.items():
            if w != "" and v not in m:
                m[v] = w
        inv[col] = m
    return inv


def write_xlsx(df: pd.DataFrame, pers: pd.DataFrame, path: Path, source_map: Path | None = None) -> Path:
    """One-stop system XLSX: two title rows, then the exact headers of ``motcua_hd.yaml`` plus its personal
    columns; statuses, channels and yes/no as Vietnamese words; dates as dd/mm/yyyy HH:MM."""
    from openpyxl import Workbook

    sm = load_yaml(source_map or config.sources_dir() / "motcua_hd.yaml")
    words = _word_maps(sm)
    col_of = {v: k for k, v in sm["columns"].items()}
    personal_headers = list(sm["drop"])
    headers = list(sm["columns"])
    # personal columns right after the dossier code, as the real exports put them
    headers = headers[:1] + personal_headers + headers[1:]
    pers_col = dict(zip(personal_headers, ["chu_ho_so", "so_giay_to", "so_dien_thoai", "email", "dia_chi"]))
    yes, no = words["boolean"][True], words["boolean"][False]
    values: dict[str, list] = {}
    for h in headers:
        if h in pers_col:
            values[h] = pers[pers_col[h]].tolist()
            continue
        c = sm["columns"][h]
        s = df[c]
        if c.startswith("ngay_"):
            values[h] = _fmt(s, "%d/%m/%Y %H:%M")
        elif c in ("kenh", "trang_thai", "thanh_toan_truc_tuyen"):
            m = words[c]
            values[h] = [m.get(int(v), STATUSES.get(int(v)) if c == "trang_thai" else None) for v in s.tolist()]
        elif c == "muc_hai_long":
            m = words[c]
            values[h] = [None if v is pd.NA or v is None else m[int(v)] for v in s.tolist()]
        elif str(s.dtype) == "bool":
            values[h] = [yes if v else no for v in s.tolist()]
        elif str(s.dtype) in ("category", "str"):
            values[h] = s.astype(object).tolist()
        else:
            values[h] = [int(v) for v in s.tolist()]
    # so_lan_bo_sung is a count, thoi_han_gq a number of days: numbers, not words
    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "tthc sample"
    ws = wb.create_sheet("DanhSachHoSo")
    ws.append(["DANH SÁCH HỒ SƠ TTHC"])
    ws.append([f"Kỳ xuất: {START:%d/%m/%Y} - {END:%d/%m/%Y} (dữ liệu mẫu, mô phỏng)"])
    ws.append(headers)
    cols = [values[h] for h in headers]
    for row in zip(*cols):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    _normalise_zip(buf.getvalue(), path)
    assert col_of  # headers come from the map, nothing else
    return path


def _normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite the zip with fixed entry timestamps so that the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 7, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the clock on save
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", body)
            dst.writestr(zi, body)
