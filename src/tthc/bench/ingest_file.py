"""A realistic one-stop CSV export for the ingest benchmark (``tthc bench --part ingest``).

The sample's export writer (:mod:`tthc.sample.exports`) writes XLSX and JSON row by row, which does not scale to a
million rows; this writes the same kind of file column-wise from the same generator
(:func:`tthc.sample.generate_frame` + :func:`tthc.sample.personal_columns`): the exact headers of
``params/sources/motcua_hd.yaml`` with its personal columns after the dossier code, ``;`` separated, UTF-8 with a BOM,
two title rows above the header, statuses, channels, payment, satisfaction and yes/no as the map's Vietnamese words,
dates as ``dd/mm/yyyy HH:MM``. A realistic share of rows (``bad_share``, default 0.5 %) carries one bad value each,
cycling through every kind a CSV can hold (:data:`BAD_KINDS`), so the quarantine is exercised; a few more rows write
their dates in other accepted forms (ISO 8601, ``yyyyMMddHHmmss``). Deterministic for a given ``(n, seed)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..sample.exports import _word_maps  # canonical value → first word of the map: one home
from ..schema import STATUSES
from ..yamlio import load_yaml

TITLE_ROWS = ("DANH SÁCH HỒ SƠ THỦ TỤC HÀNH CHÍNH", "Kỳ xuất: 01/01/2024 - 30/11/2026 (dữ liệu mô phỏng)")
PERSONAL = ("chu_ho_so", "so_giay_to", "so_dien_thoai", "email", "dia_chi")

# kind → (canonical column, bad cell) — one per quarantine reason a CSV cell can trigger; the reason code follows
# from the value (the ones named *_dup / *_end are built from the row itself below)
BAD_KINDS = {
    "missing_required": ("ma_tthc", ""),
    "bad_date": ("ngay_tiep_nhan", "31/02/2025 08:00"),
    "implausible_date": ("ngay_nop", "01/01/1990 08:00"),
    "end_before_received": ("ngay_hen_tra", "01/01/2024 08:00"),
    "supplement_end_before_start": ("ngay_hoan_thanh_bo_sung", None),
    "submitted_after_received": ("ngay_nop", "30/11/2026 17:00"),
    "missing_end_date": ("ngay_ket_thuc_xu_ly", ""),
    "unknown_status": ("trang_thai", "Đã hủy"),
    "unknown_channel": ("kenh", "Fax"),
    "bad_value": ("thanh_toan_truc_tuyen", "5"),
    "bad_boolean": ("so_hoa_ho_so", "có lẽ"),
    "bad_number": ("so_lan_bo_sung", "-1"),
    "bad_number_word": ("thoi_han_gq", "hai"),
    "unknown_unit": ("don_vi_xu_ly", "Z999"),
    "unit_not_valid": ("don_vi_xu_ly", None),
    "text_too_long": ("ten_tthc", "Đ" * 1001),
    "formula": ("ten_tthc", "=HYPERLINK(\"http://x\")"),
    "html": ("ten_tthc", "<script>alert(1)</script>"),
    "control_char": ("ma_ho_so", None),
    "duplicate": ("ma_ho_so", None),
    "duplicate_conflict": ("ma_ho_so", None),
}


def _dates(s: pd.Series) -> np.ndarray:
    return s.dt.strftime("%d/%m/%Y %H:%M").fillna("").to_numpy(dtype=object)


def export_frame(n: int, seed: int = 20250331, bad_share: float = 0.005, other_dates: float = 0.002,
                 map_path: Path | None = None) -> tuple[list[str], pd.DataFrame, dict]:
    """(header cells, frame of cell strings in header order, {kind: rows}) for ``n`` dossiers."""
    from ..sample import generate_frame, personal_columns
    from ..units import load_registry

    reg = load_registry()
    sm = load_yaml(map_path or config.sources_dir() / "motcua_hd.yaml")
    df = generate_frame(n, seed, units=reg)
    pers = personal_columns(df, seed, {u.code: u.name for u in reg})
    words = _word_maps(sm)
    yes, no = words["boolean"][True], words["boolean"][False]
    cells: dict[str, np.ndarray] = {}
    for c in sm["columns"].values():
        s = df[c]
        if c.startswith("ngay_"):
            cells[c] = _dates(s)
        elif c in ("kenh", "trang_thai", "thanh_toan_truc_tuyen"):
            m = {k: v for k, v in words[c].items()}
            if c == "trang_thai":
                m = {k: m.get(k, STATUSES[k]) for k in STATUSES}
            cells[c] = s.astype("int64").map(m).to_numpy(dtype=object)
        elif c == "muc_hai_long":
            cells[c] = s.astype("Int64").map(words[c]).astype(object).where(s.notna(), "").to_numpy(dtype=object)
        elif str(s.dtype) == "bool":
            cells[c] = np.where(s.to_numpy(dtype=bool), yes, no).astype(object)
        elif str(s.dtype) in ("category", "str", "string", "object"):
            cells[c] = s.astype(object).where(s.notna(), "").to_numpy(dtype=object)
        else:
            cells[c] = s.astype("Int64").astype(str).replace("<NA>", "").to_numpy(dtype=object)
    cells = {c: np.array(v, dtype=object) for c, v in cells.items()}  # writable copies
    rng = np.random.default_rng([seed, 17, n])
    kinds: dict[str, list[int]] = {k: [] for k in BAD_KINDS}
    nbad = int(n * bad_share)
    rows = np.sort(rng.choice(n, size=min(n, nbad + int(n * other_dates)), replace=False))
    rng.shuffle(rows)
    bad_rows, alt_rows = rows[:nbad], rows[nbad:]
    names = list(BAD_KINDS)
    expired = [u.code for u in reg if u.valid_to is not None]
    for i, r in enumerate(sorted(bad_rows)):
        kind = names[i % len(names)]
        col, val = BAD_KINDS[kind]
        if kind == "supplement_end_before_start":
            cells["so_lan_bo_sung"][r] = "1"
            cells["ngay_yeu_cau_bo_sung"][r] = "10/03/2025 09:00"
            val = "05/03/2025 09:00"
        elif kind == "missing_end_date":
            cells["trang_thai"][r] = words["trang_thai"].get(9, STATUSES[9])
        elif kind == "unit_not_valid":
            val = expired[i % len(expired)] if expired else "Z998"
            cells["ngay_tiep_nhan"][r] = "15/11/2026 08:00"
            for c in ("ngay_nop", "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_yeu_cau_bo_sung",
                      "ngay_hoan_thanh_bo_sung"):
                cells[c][r] = "" if c != "ngay_nop" else "15/11/2026 07:00"
            cells["trang_thai"][r] = words["trang_thai"].get(4, STATUSES[4])
        elif kind == "control_char":
            val = str(cells["ma_ho_so"][r])[:4] + "\t" + str(cells["ma_ho_so"][r])[4:]  # inside: a trailing one is stripped
        elif kind in ("duplicate", "duplicate_conflict"):
            src = (r + 1) % n  # a copy of the next row (identical, or with another procedure name)
            for c in cells:
                cells[c][r] = cells[c][src]
            if kind == "duplicate_conflict":
                cells["ten_tthc"][r] = str(cells["ten_tthc"][r]) + " (sửa)"
            kinds[kind].append(int(r))
            continue
        cells[col][r] = val
        kinds[kind].append(int(r))
    # other accepted date forms on a few rows: ISO 8601 and the national yyyyMMddHHmmss
    for j, r in enumerate(alt_rows):
        for c in ("ngay_nop", "ngay_tiep_nhan", "ngay_hen_tra"):
            v = df[c].iloc[r]
            if pd.notna(v):
                cells[c][r] = v.strftime("%Y-%m-%dT%H:%M:%S") if j % 2 else v.strftime("%Y%m%d%H%M%S")
    canon_of = sm["columns"]
    headers = list(canon_of)
    personal_headers = list(sm["drop"])
    headers = headers[:1] + personal_headers + headers[1:]
    pmap = dict(zip(personal_headers, PERSONAL))
    out = {}
    for h in headers:
        if h in pmap:
            out[h] = pers[pmap[h]].astype(object).where(pers[pmap[h]].notna(), "").to_numpy(dtype=object)
        else:
            out[h] = cells[canon_of[h]]
    return headers, pd.DataFrame(out), kinds


def write_export_csv(path: Path, n: int, seed: int = 20250331, bad_share: float = 0.005,
                     title: tuple[str, ...] = TITLE_ROWS) -> dict:
    """Write the export to ``path``; returns {kind: number of rows given that bad value}."""
    headers, frame, kinds = export_frame(n, seed, bad_share)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        for t in title:
            f.write(t + "\r\n")
        frame.to_csv(f, sep=";", index=False, header=headers, lineterminator="\r\n")
    return {k: len(v) for k, v in kinds.items()}
