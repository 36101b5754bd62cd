"""Engine test helpers: tiny DuckDB warehouses built from hand-written canonical rows."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tthc.schema import DOSSIER_COLUMNS, META_COLUMNS, dossiers_ddl
from tthc.units import parse_registry

DEFAULTS = dict(ma_tthc="T1", ten_tthc="Thủ tục 1", ma_linh_vuc="LV1", ten_linh_vuc="Lĩnh vực 1", ma_don_vi="X001",
                trang_thai=4, kenh=1)


def make_con(rows: list[dict], path=None) -> duckdb.DuckDBPyConnection:
    """A DuckDB warehouse whose ``dossiers`` table holds ``rows`` (unset columns NULL; codes auto-numbered)."""
    con = duckdb.connect(str(path) if path else ":memory:")
    con.execute(dossiers_ddl())
    full = []
    for i, r in enumerate(rows):
        x = {**DEFAULTS, "ma_ho_so": f"HS{i:04d}", **r}
        x.setdefault("don_vi_xu_ly", x["ma_don_vi"])
        full.append(x)
    cols = [*DOSSIER_COLUMNS, *META_COLUMNS]
    df = pd.DataFrame(full).reindex(columns=cols)
    for c, t in {**DOSSIER_COLUMNS, **META_COLUMNS}.items():
        if t == "TIMESTAMP":
            df[c] = pd.to_datetime(df[c])
    con.register("rows_df", df)
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in {**DOSSIER_COLUMNS, **META_COLUMNS}.items())
    con.execute(f"INSERT INTO dossiers SELECT {casts} FROM rows_df")
    con.unregister("rows_df")
    return con


SMALL_UNITS = {"units": [
    {"code": "H001", "name": "UBND huyện A", "level": "huyen", "parent": None, "valid_from": "2015-01-01",
     "valid_to": "2025-06-30"},
    {"code": "P001", "name": "Phòng Tư pháp", "level": "phong", "parent": "H001", "valid_from": "2015-01-01",
     "valid_to": "2025-06-30"},
    {"code": "X001", "name": "UBND xã Một", "level": "xa", "parent": "H001", "valid_from": "2015-01-01",
     "valid_to": "2025-06-30"},
    {"code": "X002", "name": "UBND xã Hai", "level": "xa", "parent": "H001", "valid_from": "2015-01-01",
     "valid_to": "2025-03-15"},
    {"code": "X003", "name": "UBND xã Ba", "level": "xa", "parent": "H001", "valid_from": "2015-01-01",
     "valid_to": "2025-06-30"},
]}


D = dict(ngay_hen_tra="2025-06-01")
ROWS = [
    # X001: 5 new, 3 online; one resolved early, one resolved late (with apology), three pending in time
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-03", kenh=2, ngay_hen_tra="2025-03-10", trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-03-07", ket_qua_dien_tu=True, co_danh_gia=True, dong_bo_dvcqg=True),
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-03", kenh=2, ngay_hen_tra="2025-03-10", trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-03-12", co_phieu_xin_loi=True),
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-04", kenh=2, **D),
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-05", kenh=None, **D),
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-05", kenh=3, ma_linh_vuc="LV2", ten_linh_vuc="Lĩnh vực 2", **D),
    # X002 (closed 15/03, still reported for March): 2 new (1 online); 1 carried over from February, overdue
    dict(ma_don_vi="X002", ngay_tiep_nhan="2025-03-10", kenh=2, **D),
    dict(ma_don_vi="X002", ngay_tiep_nhan="2025-03-11", kenh=1, **D),
    dict(ma_don_vi="X002", ngay_tiep_nhan="2025-02-20", kenh=1, ngay_hen_tra="2025-03-05"),
    # P001: one online dossier without a field, paid online
    dict(ma_don_vi="P001", ngay_tiep_nhan="2025-03-20", kenh=2, ma_linh_vuc=None, co_phi=True,
         thanh_toan_truc_tuyen=1, **D),
    # not counted anywhere: not received
    dict(ma_don_vi="X003", ngay_tiep_nhan="2025-03-20", trang_thai=3),
]
