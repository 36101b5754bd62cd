"""Parse raw values into the canonical record and validate every row (vectorised, one chunk at a time).

Each problem found becomes one quarantine line (row, column, reason_code, value); a row with at least one problem is
quarantined as a whole. Reason codes are stable (tests and reports rely on them); :data:`REASONS` gives the
Vietnamese / English message for each.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from ..schema import DOSSIER_COLUMNS, REQUIRED
from .sources import SourceMap, norm_key

MAX_TEXT = 1000  # characters; longer text fields are quarantined (a code or a name is never that long)
VALUE_SHOWN = 80  # offending value is truncated to this many characters in the quarantine file

REASONS: dict[str, str] = {
    "missing_required": "Thiếu trường bắt buộc / missing required field",
    "bad_date": "Ngày không đọc được hoặc không tồn tại / unparseable or impossible date",
    "end_before_received": "Ngày trước ngày tiếp nhận / date before ngay_tiep_nhan (end before received)",
    "supplement_end_before_start": "Ngày hoàn thành bổ sung trước ngày yêu cầu / supplement completed before requested",
    "unknown_status": "Trạng thái không hợp lệ / unknown status code or word (1–10)",
    "unknown_channel": "Kênh nộp không hợp lệ / unknown channel (1 trực tiếp, 2 trực tuyến, 3 bưu chính)",
    "bad_value": "Giá trị không có trong bảng mã / value not in the code table",
    "bad_boolean": "Giá trị có/không không hợp lệ / not a yes/no value",
    "bad_number": "Số không hợp lệ hoặc ngoài phạm vi / not a valid number or out of range",
    "unknown_unit": "Mã đơn vị không có trong danh mục / unit code not in the unit registry",
    "text_too_long": f"Nội dung quá dài / text longer than {MAX_TEXT} characters",
    "formula": "Nội dung dạng công thức / formula-like text (=, +, -, @)",
    "html": "Nội dung chứa HTML / HTML markup in a text field",
    "bad_record": "Bản ghi không hợp lệ / record is not an object",
    "implausible_date": "Ngày trước 01/01/2000, không hợp lý / date before 01/01/2000, implausible",
    "control_char": "Mã chứa ký tự điều khiển (xuống dòng, tab…) / code contains a control character (newline, tab…)",
    "unit_not_valid": "Mã đơn vị chưa có hoặc đã hết hiệu lực vào ngày tiếp nhận / unit code not valid on the day "
                      "of receipt (use the code valid then, or its successor's)",
    "missing_end_date": "Trạng thái đã kết thúc (8, 9, 10) nhưng thiếu ngày kết thúc xử lý / final status (8, 9, 10) "
                        "without an end date (ngay_ket_thuc_xu_ly, or ngay_tra for status 10)",
    "submitted_after_received": "Ngày nộp sau ngày tiếp nhận / submitted (ngay_nop) after received (ngay_tiep_nhan)",
    "duplicate": "Mã hồ sơ trùng lặp (bản sao giống hệt) / duplicate ma_ho_so, identical copy",
    "duplicate_conflict": "Mã hồ sơ trùng lặp với nội dung khác nhau / duplicate ma_ho_so with conflicting content",
}

TEXT_COLUMNS = [c for c, t in DOSSIER_COLUMNS.items() if t == "VARCHAR" and c != "ma_don_vi"]
# codes: a control character (newline, tab, …) inside one quarantines the row (control_char); names may hold line
# breaks and tabs (a multi-line cell), no other control character. All text is Unicode-normalised to NFC, so a code
# typed two ways (precomposed or combining accents) is one code.
CODE_COLUMNS = ("ma_ho_so", "ma_tthc", "ma_linh_vuc", "don_vi_xu_ly", "don_vi_tiep_nhan")
MIN_DATE = "2000-01-01"  # any earlier date is implausible for a TTHC dossier (implausible_date)
FINAL_STATUSES = (8, 9, 10)
# a dossier never received (status 1 mới đăng ký, 3 không được tiếp nhận) may lack ngay_tiep_nhan when it has
# ngay_nop: D8 dates the returned (status 3) dossiers by ngay_tiep_nhan, else ngay_nop (spec §7)
NOT_RECEIVED_STATUSES = (1, 3)  # a dossier in one of these without an end date is quarantined (missing_end_date)
DATE_COLUMNS = [c for c, t in DOSSIER_COLUMNS.items() if t == "TIMESTAMP"]
BOOL_COLUMNS = [c for c, t in DOSSIER_COLUMNS.items() if t == "BOOLEAN"]
# coded integer columns: (lowest, highest, reason code when unknown/out of range)
CODED = {"kenh": (1, 3, "unknown_channel"), "trang_thai": (1, 10, "unknown_status"),
         "thanh_toan_truc_tuyen": (0, 2, "bad_value"), "muc_hai_long": (1, 3, "bad_value"),
         "so_lan_bo_sung": (0, 999, "bad_number"), "thoi_han_gq": (0, 3650, "bad_number")}
END_COLUMNS = ("ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_tra")
BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "có": True,
              "không": False, "co": True, "khong": False, "x": True, "đúng": True, "sai": False}

# pattern strings (not compiled) so pandas hands them to Arrow's RE2 engine
_FORMULA = r"^\s*(?:=|[+\-@]\s*[A-Za-z_][\w.]*\s*[(!|]|[+\-@]\s*\w*\|)"
_HTML = r"(?i)<\s*/?\s*[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?\s*>|<\s*script|javascript\s*:"
_DMY_HEAD = r"\d{1,2}/\d{1,2}/\d{4}"
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL_NAME = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # dd/mm/yyyy[ HH:MM[:SS]]; the exact shape is checked by strptime


# Python's str.isspace() characters: what str.strip() removes (pandas strips the same set); the SQL paths trim these
WHITESPACE = "".join(chr(i) for i in range(0x110000) if chr(i).isspace())
_RE2_CLASS = {"s": "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
                   "\\x{202f}\\x{205f}\\x{3000}",
              "w": "\\p{L}\\p{N}_", "d": "\\p{Nd}"}


def sql_regex(pattern: str) -> str:
    """A pattern of this module for DuckDB (RE2) with Python's meaning: pandas runs patterns using ``\\s``/``\\w``
    through Python's ``re``, where they are Unicode-aware (``\\s`` = :data:`WHITESPACE`, ``\\w`` = letters, digits
    and ``_`` of any script), while RE2's are ASCII. ``\\s``, ``\\w`` and ``\\d`` are spelled out as classes."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _RE2_CLASS:
                body = _RE2_CLASS[nxt]
                out.append(body if in_class else f"[{body}]")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class and pattern[i - 1] != "[":
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _text_of(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v)


def as_text(s: pd.Series) -> pd.Series:
    """Values as stripped strings, blanks → missing."""
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        s = s.astype("str")  # all text already (CSV): no per-value Python call
    elif not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        s = s.map(_text_of)
    s = s.astype("str").str.strip()
    return s.mask(s == "")


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(timestamps, bad mask). Accepts yyyyMMddHHmmss, yyyyMMdd, ISO 8601 (an offset is converted to
    Asia/Ho_Chi_Minh) and dd/mm/yyyy[ HH:MM[:SS]] (also with '-' or '.'); all local time, returned naive."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.tz_convert("Asia/Ho_Chi_Minh").dt.tz_localize(None) if s.dt.tz is not None else s
        return out.astype("datetime64[us]"), pd.Series(False, index=s.index)
    t = as_text(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    ok = t.notna()
    if ok.any():
        m14 = ok & t.str.fullmatch(r"\d{14}").fillna(False).astype(bool)
        m8 = ok & t.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
        if m14.any():
            out[m14] = pd.to_datetime(t[m14], format="%Y%m%d%H%M%S", errors="coerce")
        if m8.any():
            out[m8] = pd.to_datetime(t[m8], format="%Y%m%d", errors="coerce")
        rest = ok & ~m14 & ~m8
        if rest.any():
            tr = t[rest]
            dmy = tr.str.match(_DMY_HEAD).fillna(False).astype(bool)
            if dmy.any():
                left = tr[dmy]
                got = pd.Series(pd.NaT, index=left.index, dtype="datetime64[us]")
                for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%YT%H:%M:%S", "%d/%m/%YT%H:%M"):
                    todo = got.isna()
                    if not todo.any():
                        break
                    got[todo] = pd.to_datetime(left[todo], format=fmt, errors="coerce")
                out[got.index] = got
            iso = rest.copy()
            iso[dmy[dmy].index] = False
            if iso.any():
                ti = t[iso]
                tz = ti.str.contains(_TZ_SUFFIX, regex=True).fillna(False).astype(bool)
                if (~tz).any():
                    out[ti[~tz].index] = _iso(ti[~tz], utc=False)
                if tz.any():
                    out[ti[tz].index] = _iso(ti[tz], utc=True)
        yr = out.dt.year
        out = out.mask((yr < 1900) | (yr > 2100))
    return out, ok & out.isna()


# a time-zone designator after a time: Z, ±hh, ±hhmm, ±hh:mm (ISO 8601 allows all four)
_TZ_SUFFIX = r"\d[T ]\d{1,2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _iso_one(v: str):
    try:
        t = pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if t is pd.NaT:
        return pd.NaT
    return t.tz_convert("Asia/Ho_Chi_Minh").tz_localize(None) if t.tzinfo is not None else t


def _iso(t: pd.Series, utc: bool) -> pd.Series:
    """ISO 8601 strings → naive local timestamps (an offset is converted to Asia/Ho_Chi_Minh). A value pandas'
    vectorised parser trips over (any exception, e.g. mixed offsets) is parsed on its own, or is a bad date: one odd
    value never sinks the chunk."""
    try:
        if utc:
            u = pd.to_datetime(t, format="ISO8601", errors="coerce", utc=True)
            return u.dt.tz_convert("Asia/Ho_Chi_Minh").dt.tz_localize(None).astype("datetime64[us]")
        r = pd.to_datetime(t, format="ISO8601", errors="coerce")
        if getattr(r.dt, "tz", None) is not None:
            raise ValueError("offset in a value without a designator match")
        return r.astype("datetime64[us]")
    except (ValueError, TypeError, OverflowError, AttributeError):
        vals = [_iso_one(v) for v in t.tolist()]
        r = pd.Series(vals, index=t.index, dtype=object)
        return pd.to_datetime(r, errors="coerce").astype("datetime64[us]")


def _as_code(x) -> tuple:
    """(int, False) when ``x`` fits a code column, else (None, True): e.g. 9.4e18 or 1e400 in a status cell."""
    try:
        i = int(x)
    except (OverflowError, ValueError):
        return None, True
    return (i, False) if -2**62 < i < 2**62 else (None, True)


def _lookup_factory(table: dict | None, blank_is_empty: bool, words: dict | None = None):
    def lookup(v):
        """→ (value, bad)"""
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            if blank_is_empty and table is not None and "" in table:
                return table[""], False
            return None, False
        if isinstance(v, (bool, np.bool_)):
            return (bool(v), False) if words is not None else (None, True)
        if isinstance(v, (int, np.integer)):
            return _as_code(v)
        if isinstance(v, (float, np.floating)):
            return _as_code(v) if float(v).is_integer() else (None, True)
        k = norm_key(v)
        if table is not None and k in table:
            return table[k], False
        if words is not None and k in words:
            return words[k], False
        if k == "" :
            return (table[""], False) if (blank_is_empty and table and "" in table) else (None, False)
        if re.fullmatch(r"[+-]?\d+(?:\.0+)?", k):
            return _as_code(float(k))
        return None, True
    return lookup


def _map_unique(s: pd.Series, lookup) -> tuple[pd.Series, pd.Series]:
    s = s.astype(object)
    try:
        uniq = pd.unique(s)
    except TypeError:  # unhashable (a list/dict where a scalar belongs)
        s = s.map(lambda v: repr(v) if isinstance(v, (list, dict)) else v)
        uniq = pd.unique(s)
    vals, bads, null_val = {}, {}, lookup(None)
    for u in uniq:
        if u is None or u != u:
            continue
        vals[u], bads[u] = lookup(u)
    nn = s.notna()
    val = s.map(vals).astype(object).where(nn, null_val[0])
    bad = s.map(bads).where(nn, False).astype(bool)
    return val, bad


def code_values(s: pd.Series, column: str, sm: SourceMap) -> tuple[pd.Series, pd.Series]:
    """Raw values of the coded column ``column`` (:data:`CODED`) → (Int16 codes, bad mask): a word of the map's
    ``values`` table or a whole number; a word not in the table, a fraction or a code outside the column's range is
    bad (and its code missing). The CSV fast path (:mod:`tthc.ingest.csvpath`) calls this on the distinct values."""
    lo, hi, _ = CODED[column]
    if pd.api.types.is_signed_integer_dtype(s.dtype):  # uint64 may not fit Int64: per-value lookup below
        val, bad = s.astype("Int64"), pd.Series(False, index=s.index)
    else:
        val, bad = _map_unique(s, _lookup_factory(sm.values.get(column), sm.format == "tabular"))
        val = pd.Series(pd.array(val.tolist(), dtype="Int64"), index=s.index)
    rng = (val.notna() & ((val < lo) | (val > hi))).fillna(False).astype(bool)
    bad = bad | rng
    return val.mask(bad).astype("Int16"), bad


def bool_values(s: pd.Series, sm: SourceMap) -> tuple[pd.Series, pd.Series]:
    """Raw yes/no values → (nullable booleans, bad mask): the map's ``boolean`` words, :data:`BOOL_WORDS`, 1/0."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    val, bad = _map_unique(s, _lookup_factory(sm.values.get("boolean"), sm.format == "tabular", BOOL_WORDS))
    val = val.map(lambda v: None if v is None or v != v else v)
    ints = val.map(lambda v: v not in (None, True, False, 0, 1))
    bad = bad | ints.astype(bool)
    out = pd.Series(pd.array([None if b else (None if v is None else bool(v)) for v, b in zip(val, bad)],
                             dtype="boolean"), index=s.index)
    return out, bad


def _shown(v) -> str:
    t = _text_of(v)
    if t is None:
        return ""
    t = t if len(t) <= VALUE_SHOWN else t[:VALUE_SHOWN] + "…"
    # the quarantine CSV is opened in spreadsheets: never let a value become a live formula there
    return "'" + t if t[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"[+-]?\d+(?:\.\d+)?", t) else t


def validate_chunk(raw: pd.DataFrame, sm: SourceMap, unit_codes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """raw canonical chunk → (clean typed rows with DOSSIER_COLUMNS + dong_nguon + phien_ban, problems).

    ``unit_codes``: the registry's codes, or {code: (valid_from, valid_to)} to also check that the unit was valid on
    the day of receipt. ``problems`` has columns row, column, reason_code, value (one line per problem)."""
    idx = raw.index
    rows = raw["_row"]
    probs: list[pd.DataFrame] = []

    def flag(mask: pd.Series, column: str, code: str, values: pd.Series | None = None):
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            v = (values if values is not None else raw.get(column, pd.Series(None, index=idx)))[mask]
            probs.append(pd.DataFrame({"row": rows[mask].to_numpy(), "column": column, "reason_code": code,
                                       "value": [_shown(x) for x in v]}))

    out = pd.DataFrame(index=idx)
    none = pd.Series(None, index=idx, dtype=object)
    if "_err" in raw:
        flag(raw["_err"].notna(), "", "bad_record", raw["_err"])
    for c in TEXT_COLUMNS:
        t = as_text(raw[c]) if c in raw else pd.Series(None, index=idx, dtype="str")
        if t.notna().any():
            t = t.str.normalize("NFC")
        out[c] = t
        if t.notna().any():
            flag(t.str.len() > MAX_TEXT, c, "text_too_long", t)
            flag(t.str.contains(_FORMULA, regex=True), c, "formula", t)
            flag(t.str.contains(_HTML, regex=True), c, "html", t)
            ctl = _CONTROL if c in CODE_COLUMNS else _CONTROL_NAME
            flag(t.str.contains(ctl, regex=True), c, "control_char", t.str.replace(ctl, "?", regex=True))
    for c in DATE_COLUMNS:
        if c in raw:
            out[c], bad = parse_dates(raw[c])
            flag(bad, c, "bad_date")
            flag(out[c] < pd.Timestamp(MIN_DATE), c, "implausible_date")
        else:
            out[c] = pd.Series(pd.NaT, index=idx, dtype="datetime64[us]")
    if "_hen_moi" in raw:  # DVCQG DanhSachHoSoBoSung[].NgayHenTraMoi: only its presence is kept (han_da_doi)
        flag(parse_dates(raw["_hen_moi"])[1], "ngay_hen_tra_moi", "bad_date", raw["_hen_moi"])
    for c, (_, _, code) in CODED.items():
        if c not in raw:
            out[c] = pd.array([pd.NA] * len(idx), dtype="Int16")
            continue
        s = raw[c]
        out[c], bad = code_values(s, c, sm)
        flag(bad, c, code, s)
    for c in BOOL_COLUMNS:
        if c not in raw:
            out[c] = pd.array([pd.NA] * len(idx), dtype="boolean")
            continue
        s = raw[c]
        out[c], bad = bool_values(s, sm)
        flag(bad, c, "bad_boolean", s)
    for c, (src, not_null) in sm.derived.items():
        if c not in raw:
            out[c] = (out[src].notna() if not_null else out[src].isna()).astype("boolean")
    # attribution (spec §2) and defaults (spec §3)
    out["ma_don_vi"] = out["don_vi_xu_ly"].fillna(out["don_vi_tiep_nhan"])
    for c in REQUIRED:
        if c not in raw:
            present = pd.Series(False, index=idx)
        elif raw[c].dtype == object or pd.api.types.is_string_dtype(raw[c].dtype):
            present = as_text(raw[c]).notna()
        else:
            present = raw[c].notna()
        if c == "ngay_tiep_nhan":
            present = present | (out["trang_thai"].isin(NOT_RECEIVED_STATUSES).fillna(False).astype(bool)
                                 & out["ngay_nop"].notna())
        flag(~present, c, "missing_required", none)
    flag(out["ma_don_vi"].isna(), "don_vi_xu_ly", "missing_required", none)
    known = out["ma_don_vi"].isin(list(unit_codes))
    flag(out["ma_don_vi"].notna() & ~known, "ma_don_vi", "unknown_unit", out["ma_don_vi"])
    recv = out["ngay_tiep_nhan"].dt.normalize()
    if isinstance(unit_codes, dict) and known.any():
        vf = out["ma_don_vi"].map({k: pd.Timestamp(v[0]) for k, v in unit_codes.items()})
        vt = out["ma_don_vi"].map({k: pd.Timestamp(v[1]) if v[1] else pd.Timestamp.max for k, v in unit_codes.items()})
        vf, vt = pd.to_datetime(vf), pd.to_datetime(vt)
        flag(known & recv.notna() & ((recv < vf) | (recv > vt)), "ma_don_vi", "unit_not_valid", out["ma_don_vi"])
    for c in END_COLUMNS:
        flag(out[c].dt.normalize() < recv, c, "end_before_received", raw[c] if c in raw else out[c])
    flag(out["ngay_hoan_thanh_bo_sung"].dt.normalize() < out["ngay_yeu_cau_bo_sung"].dt.normalize(),
         "ngay_hoan_thanh_bo_sung", "supplement_end_before_start", raw.get("ngay_hoan_thanh_bo_sung"))
    flag(out["ngay_nop"].dt.normalize() > recv, "ngay_nop", "submitted_after_received", raw.get("ngay_nop"))
    st = out["trang_thai"]
    no_end = out["ngay_ket_thuc_xu_ly"].isna() & ~((st == 10) & out["ngay_tra"].notna()).fillna(False)
    flag(st.isin(FINAL_STATUSES).fillna(False).astype(bool) & no_end, "ngay_ket_thuc_xu_ly", "missing_end_date",
         st.astype(object))
    out["kenh"] = out["kenh"].fillna(1).astype("Int16")
    out["so_lan_bo_sung"] = out["so_lan_bo_sung"].fillna(0).astype("Int16")
    out["dong_nguon"] = rows.astype("int64")
    out["phien_ban"] = out[DATE_COLUMNS].max(axis=1).astype("datetime64[us]")
    problems = pd.concat(probs, ignore_index=True) if probs else \
        pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype="str"),
                      "reason_code": pd.Series(dtype="str"), "value": pd.Series(dtype="str")})
    bad_rows = set(problems["row"].tolist())
    clean = out[~rows.isin(bad_rows)]
    return clean[[*DOSSIER_COLUMNS, "dong_nguon", "phien_ban"]], problems
