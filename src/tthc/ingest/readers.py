"""Readers: one export file → chunks of raw records under canonical names, with their source row numbers.

Every reader streams (bounded memory) and yields ``pandas.DataFrame`` chunks holding the mapped canonical columns
(raw values, not yet parsed), ``_row`` (the record's number as a person would count it: the spreadsheet row for
CSV/XLSX, the line for JSON Lines, the 1-based record index for a JSON array or Parquet) and ``_err`` (a record-level
problem, e.g. a JSON item that is not an object). Personal fields are never copied out of the source: only mapped
columns are kept.

A file that cannot be read at all raises :class:`tthc.errors.InputError` naming the file and the fix.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..schema import DOSSIER_COLUMNS
from .sources import BUILT_IN, CANONICAL, PARQUET, SourceMap, is_map_path, load_map_file, norm_key
from .validate import BOOL_WORDS

HEADER_SCAN_ROWS = 50
JSON_EXT = (".json", ".jsonl", ".ndjson")
CSV_EXT = (".csv", ".txt")
XLSX_EXT = (".xlsx", ".xlsm")
PARQUET_EXT = (".parquet", ".pq")
_BLOCK = 1 << 16


def _frame(records: list[dict], rows: list[int], errs: list[str | None], cols: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records, columns=cols) if records else pd.DataFrame(columns=cols)
    df = df.astype(object)
    df["_row"] = rows
    df["_err"] = errs
    return df


# ---------------------------------------------------------------- detection
def detect_source(path: Path, maps: dict[str, SourceMap], name: str | None = None) -> SourceMap:
    """The map for ``path``: ``name`` if given, else by extension (and, for CSV/XLSX, by the header row)."""
    if name:
        if name in BUILT_IN:
            return BUILT_IN[name]
        if name not in maps and is_map_path(name):
            return load_map_file(name)
        if name not in maps:
            raise InputError(f"{path}: unknown --source {name!r}; known: {', '.join(sorted([*maps, *BUILT_IN]))}, "
                             f"or the path of a map file (docs/column-maps.md)")
        return maps[name]
    ext = path.suffix.lower()
    if ext in PARQUET_EXT:
        return PARQUET
    if ext in JSON_EXT:
        js = [m for m in maps.values() if m.format == "json"]
        if not js:
            raise InputError(f"{path}: no JSON source map under params/sources/")
        return js[0]
    if ext in CSV_EXT + XLSX_EXT:
        tab = [m for m in maps.values() if m.format == "tabular"] + [CANONICAL]
        rows = list(_peek_rows(path, HEADER_SCAN_ROWS, {norm_key(m.header_marker) for m in tab}))
        best, score = None, 0
        for m in tab:
            nf = m.norm_fields
            for _, cells in rows:
                keys = {norm_key(c) for c in cells if c not in (None, "")}
                if norm_key(m.header_marker) in keys:
                    s = len(keys & set(nf))
                    if s > score:
                        best, score = m, s
                    break
        if best is None and len(tab) == 2:
            return tab[0]  # the one map of params/sources/: its reader says what its header lacks
        if best is None:
            raise InputError(f"{path}: no header row of a known source found in the first {HEADER_SCAN_ROWS} rows; "
                             f"expected a row containing one of: "
                             f"{', '.join(repr(m.header_marker) for m in tab)}; or write a column map for this "
                             f"layout and pass it with --source PATH/TO/map.yaml (docs/column-maps.md)")
        return best
    raise InputError(f"{path}: unsupported file type {ext or '(none)'!r}; accepted: "
                     f"{', '.join(JSON_EXT + CSV_EXT + XLSX_EXT + PARQUET_EXT)}")


def _peek_rows(path: Path, n: int, markers: set[str]):
    it = _xlsx_rows(path, markers) if path.suffix.lower() in XLSX_EXT else _csv_rows(path)[0]
    for i, r in enumerate(it):
        if i >= n:
            break
        yield r


def read_chunks(path: Path, sm: SourceMap, chunk_rows: int = 100_000, info: dict | None = None) \
        -> Iterator[pd.DataFrame]:
    """Chunks of ``path`` read with ``sm``. ``info`` (a dict), when given, receives ``unmapped``: the file's columns
    (CSV/XLSX headers, JSON keys of the first records, Parquet columns) that map to nothing and are not dropped
    personal fields; they are read past."""
    info = {} if info is None else info
    info.setdefault("unmapped", [])
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); export it again")
    if sm.format == "parquet":
        return _read_parquet(path, chunk_rows, info)
    if sm.format == "json":
        return _read_json(path, sm, chunk_rows, info)
    if path.suffix.lower() in XLSX_EXT:
        return _read_tabular(path, sm, _xlsx_rows(path, {norm_key(sm.header_marker)}), chunk_rows, info)
    rows, _ = _csv_rows(path)
    return _read_tabular(path, sm, rows, chunk_rows, info)


# ---------------------------------------------------------------- CSV / XLSX
def _open_text(path: Path):
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return path.open(encoding="utf-16", newline="")
    return path.open(encoding="utf-8-sig", newline="")  # BOM or not


def _sniff_delimiter(path: Path) -> str:
    try:
        with _open_text(path) as f:
            sample = f.read(_BLOCK)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the export as 'CSV UTF-8'") from None
    lines = [ln for ln in sample.splitlines() if ln.strip()][:HEADER_SCAN_ROWS]
    # the header row has the most separators; title rows above it have few or none
    best = max(lines, key=lambda ln: max(ln.count(";"), ln.count(","), ln.count("\t")), default="")
    counts = {d: best.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


# Python's csv module stops at 128 KiB per field and the file cannot be read past that point; with a larger limit
# an oversized cell reaches validation and only its row is quarantined (text_too_long), as in JSON
CSV_FIELD_LIMIT = 64 << 20


def _csv_rows(path: Path):
    delim = _sniff_delimiter(path)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)

    def gen():
        with _open_text(path) as f:
            r = csv.reader(f, delimiter=delim)
            start = 1
            try:
                for cells in r:
                    yield start, cells
                    start = r.line_num + 1  # spreadsheet row of the next record, multi-line cells included
            except UnicodeDecodeError:
                raise InputError(f"{path}: not UTF-8 text near line {start}; save the export as 'CSV UTF-8'") from None
            except csv.Error as e:
                raise InputError(f"{path}: line {start}: malformed CSV ({e}); check the quotes") from None
    return gen(), delim


def _xlsx_rows(path: Path, markers: set[str]):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a non-workbook
        raise InputError(f"{path}: cannot open as an Excel workbook ({type(e).__name__}); save it as .xlsx") from None
    try:
        ws = _pick_sheet(wb, markers)
        for i, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, list(cells)
    finally:
        wb.close()


def _pick_sheet(wb, markers: set[str]):
    # the first sheet whose first rows hold a known header marker; else the first sheet
    for ws in wb.worksheets:
        for i, cells in enumerate(ws.iter_rows(values_only=True)):
            if i >= HEADER_SCAN_ROWS:
                break
            if any(c is not None and norm_key(c) in markers for c in cells):
                return ws
    return wb.worksheets[0]


def _read_tabular(path: Path, sm: SourceMap, rows, chunk_rows: int, info: dict) -> Iterator[pd.DataFrame]:
    rows = iter(rows)
    _, _, pos = find_header(path, sm, rows, info)
    cols = list(pos.values())
    idx = list(pos)
    recs: list[list] = []
    nums: list[int] = []
    for n, cells in rows:
        if not any(c not in (None, "") and not (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # blank line: not a record
        recs.append([cells[j] if j < len(cells) else None for j in idx])
        nums.append(n)
        if len(recs) >= chunk_rows:
            yield _tab_frame(recs, nums, cols)
            recs, nums = [], []
    if recs:
        yield _tab_frame(recs, nums, cols)


def find_header(path: Path, sm: SourceMap, rows, info: dict) -> tuple[int, list, dict[int, str]]:
    """Read ``rows`` (an iterator of (row number, cells)) up to the header row; returns (its row number, its cells,
    {cell index: canonical column}) and sets ``info["unmapped"]``. The iterator is left at the first data row.
    A missing header row, a required column missing or a column given twice raises InputError."""
    marker = norm_key(sm.header_marker)
    nf = sm.norm_fields
    header = None
    for n, cells in rows:
        if n > HEADER_SCAN_ROWS and header is None:
            break
        if any(c is not None and norm_key(c) == marker for c in cells):
            header = (n, cells)
            break
    if header is None:
        raise InputError(f"{path}: no header row found: none of the first {HEADER_SCAN_ROWS} rows has a cell "
                         f"{sm.header_marker!r} (source map {sm.name}). Expected headers: "
                         f"{', '.join(repr(k) for k in sm.fields)}")
    hrow, hcells = header
    pos: dict[int, str] = {}
    for j, c in enumerate(hcells):
        canon = nf.get(norm_key(c)) if c is not None else None
        if canon and canon in pos.values():
            k = next(i for i, v in pos.items() if v == canon)
            raise InputError(f"{path}: row {hrow}: column {hcells[k]!r} (column {_col_letter(k)}) and column "
                             f"{c!r} (column {_col_letter(j)}) both give {canon}; an export with a duplicated "
                             f"column is ambiguous: delete or rename one of them")
        if canon:
            pos[j] = canon
    missing = [k for k, v in sm.fields.items() if v in ("ma_ho_so", "ma_tthc", "ma_linh_vuc", "ngay_tiep_nhan",
                                                          "trang_thai") and v not in pos.values()]
    if missing:
        found = [str(c) for c in hcells if c not in (None, "")]
        raise InputError(f"{path}: row {hrow}: header lacks required column(s) {', '.join(map(repr, missing))}; "
                         f"found {', '.join(map(repr, found))}. Cột tiêu đề khác mẫu: viết một tệp ánh xạ cột "
                         f"(YAML) cho mẫu xuất này và chạy `tthc ingest FILE --source map.yaml`; hướng dẫn: "
                         f"docs/column-maps.md. / The headers differ from {sm.path or 'the built-in ' + sm.name + ' layout'}: "
                         f"write a column map for this layout and pass it with --source PATH/TO/map.yaml; "
                         f"reference: docs/column-maps.md")
    dropped = {norm_key(d) for d in sm.drop}
    info["unmapped"] = [str(c) for j, c in enumerate(hcells) if j not in pos and c not in (None, "")
                        and norm_key(c) not in dropped]
    return hrow, hcells, pos


def _col_letter(j: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 26 → AA)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _tab_frame(recs, nums, cols) -> pd.DataFrame:
    df = pd.DataFrame(recs, columns=cols, dtype=object)
    df["_row"] = nums
    df["_err"] = None
    return df


# ---------------------------------------------------------------- JSON
def _first_char(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as f:
        while True:
            block = f.read(4096)
            if not block:
                return ""
            s = block.lstrip()
            if s:
                return s[0]


def _iter_array(f, path: Path, pos_after_bracket: str) -> Iterator[object]:
    """Items of a JSON array, streamed: ``pos_after_bracket`` is the text right after '['."""
    dec = json.JSONDecoder()
    buf, pos, eof, n = pos_after_bracket, 0, False, 0
    ws = re.compile(r"[\s,]*")
    while True:
        pos = ws.match(buf, pos).end()
        if pos >= len(buf) - 1 and not eof:
            more = f.read(_BLOCK)
            eof = not more
            buf, pos = buf[pos:] + more, 0
            continue
        if pos < len(buf) and buf[pos] == "]":
            return
        if pos >= len(buf):
            raise InputError(f"{path}: the JSON array is not closed (truncated file?) after record {n}")
        try:
            obj, end = dec.raw_decode(buf, pos)
        except json.JSONDecodeError as e:
            if eof:
                raise InputError(f"{path}: malformed JSON in record {n + 1} ({e.msg}); fix or export again") from None
            more = f.read(max(_BLOCK, len(buf) - pos))  # doubling: a huge record is re-scanned O(log n) times, not O(n)
            eof = not more
            buf, pos = buf[pos:] + more, 0
            continue
        n += 1
        yield obj
        pos = end
        if pos > _BLOCK:
            buf, pos = buf[pos:], 0


def _seek_data_array(f, head: str) -> str | None:
    """For a document ``{"meta": …, "data": [ … ], …}``: skip the top-level members before ``"data"`` (each is
    decoded on its own, so only the largest of them is ever in memory) and return the text right after the ``[`` of
    the data array, the rest of ``f`` following it; None when the document is not such an object (JSON Lines, or no
    ``"data"`` array), and the caller falls back."""
    dec = json.JSONDecoder()
    buf, pos, eof = head, 0, False
    ws = re.compile(r"\s*")

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = f.read(max(_BLOCK, len(buf) - pos))
        eof = not chunk
        buf, pos = buf[pos:] + chunk, 0
        return bool(chunk)

    def decode():
        nonlocal pos
        while True:
            pos = ws.match(buf, pos).end()
            try:
                obj, end = dec.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if more():
                    continue
                return None, False
            if end >= len(buf) and not eof and isinstance(obj, (int, float)):
                if more():  # a number at the end of the buffer may continue in the next block
                    continue
            pos = end
            return obj, True

    def char() -> str:
        nonlocal pos
        while True:
            pos = ws.match(buf, pos).end()
            if pos < len(buf):
                return buf[pos]
            if not more():
                return ""

    if char() != "{":
        return None
    pos += 1
    while True:
        c = char()
        if c != '"':
            return None
        key, ok = decode()
        if not ok or char() != ":":
            return None
        pos += 1
        if key == "data" and char() == "[":
            return buf[pos + 1:]
        _, ok = decode()  # a member before the data: decoded and dropped
        if not ok:
            return None
        c = char()
        if c == ",":
            pos += 1
            continue
        return None  # "}" without a data array, or not JSON


def _json_items(path: Path) -> Iterator[tuple[int, object]]:
    """(record number, item) for a JSON array, {"data": [...]} (the array streamed wherever "data" stands among
    the top-level members, e.g. after a "meta" object) or JSON Lines."""
    first = _first_char(path)
    if first == "[":
        with path.open(encoding="utf-8-sig") as f:
            head = f.read(_BLOCK)
            i = head.index("[")
            yield from enumerate(_iter_array(f, path, head[i + 1:]), start=1)
        return
    if first != "{":
        raise InputError(f"{path}: not JSON: expected a JSON array '[...]', an object {{\"data\": [...]}} or "
                         f"JSON Lines (one object per line)")
    with path.open(encoding="utf-8-sig") as f:
        head = f.read(_BLOCK)
        rest = _seek_data_array(f, head)
        if rest is not None:
            yield from enumerate(_iter_array(f, path, rest), start=1)
            return
    # JSON Lines, or a whole object that is not one per line
    with path.open(encoding="utf-8-sig") as f:
        first_line = None
        for ln, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                if first_line is None:
                    break  # not JSON Lines: fall back to reading the whole document
                raise InputError(f"{path}: line {ln}: malformed JSON ({e.msg}); each line must be one object") \
                    from None
            first_line = first_line or ln
            yield ln, obj
        else:
            return
    try:
        with path.open(encoding="utf-8-sig") as f:
            doc = json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: malformed JSON at line {e.lineno}, column {e.colno} ({e.msg})") from None
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        yield from enumerate(doc["data"], start=1)
    else:
        raise InputError(f"{path}: a JSON object must hold the dossiers as a list under \"data\"")


def _get(d: dict, names) -> tuple[bool, object]:
    """(present, value) for the first of ``names`` in ``d``; exact spelling first, then ignoring case."""
    for nm in names:
        if nm in d:
            return True, d[nm]
    for nm in names:
        low = nm.lower()
        for k in d:
            if k.lower() == low:
                return True, d[k]
    return False, None


def _yes_no(v):
    """A nested yes/no value read as a CSV yes/no cell is: (True | False | None, bad). "maybe", 2 or a list is bad,
    so the JSON path quarantines what the CSV path quarantines (bad_boolean), instead of reading it as "no"."""
    if v is None or (isinstance(v, float) and v != v):
        return None, False
    if isinstance(v, bool):
        return v, False
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v), False
    if isinstance(v, str):
        k = norm_key(v)
        if k == "":
            return None, False
        if k in BOOL_WORDS:
            return BOOL_WORDS[k], False
    return None, True


def _gia(v):
    """A fee amount: (amount, bad); None/"" → 0."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return 0.0, False
    if isinstance(v, bool):
        return 0.0, True
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0, True
    return (x, False) if x == x and x >= 0 and x != float("inf") else (0.0, True)


def _set(v) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


def flatten_dvcqg(obj: dict, sm: SourceMap, fields: dict[str, str]) -> dict:
    """One DVCQG object → raw canonical values (nested lists reduced per spec §3; rules in the map's comments).

    ``fields`` maps lower-cased source names to canonical names; unmapped keys (personal data included) are skipped.
    A nested value that cannot be read (a yes/no that is "maybe", a fee that is not a number, a supplement list
    that is a number or a word) is handed on raw in the canonical column it feeds, so validation quarantines the
    row with the reason code a CSV cell with that value gets (bad_boolean, bad_number)."""
    out: dict = {}
    for k, v in obj.items():
        canon = fields.get(k.lower())
        if canon is not None:
            out[canon] = v
    nz = sm.nested
    has, tl = _get(obj, nz["tai_lieu_nop"])
    flag = out.get("tai_su_dung")
    reuse, bad = _yes_no(flag)
    bad_reuse = flag if bad else None
    if has and tl is not None:
        items = [x for x in (tl if isinstance(tl, list) else [tl]) if isinstance(x, dict)]

        def yn(x, key, first_bad):
            v = _get(x, nz[key])[1]
            b, bad = _yes_no(v)
            return b, (v if bad and first_bad[0] is None else None)

        bad_sh, bad_k, bad_t = [None], [None], [None]

        def keep(slot, v):
            if v is not None and slot[0] is None:
                slot[0] = v

        comp = []
        for x in items:
            hb = _get(x, nz["bat_buoc"])[0]
            b, bv = yn(x, "bat_buoc", bad_sh)
            keep(bad_sh, bv)
            comp.append((x, (not hb) or b is None or b))
        req = [x for x, r in comp if r] or [x for x, _ in comp]
        so_hoa = []
        for x in req:
            b, bv = yn(x, "duoc_so_hoa", bad_sh)
            keep(bad_sh, bv)
            so_hoa.append(bool(b))
        kho = tsd = False
        for x, _ in comp:
            b, bv = yn(x, "duoc_lay_tu_kho", bad_k)
            keep(bad_k, bv)
            kho = kho or bool(b)
            b, bv = yn(x, "duoc_tai_su_dung", bad_t)
            keep(bad_t, bv)
            tsd = tsd or bool(b)
        out["so_hoa_ho_so"] = bad_sh[0] if bad_sh[0] is not None else (bool(req) and all(so_hoa))
        out["tu_kho_du_lieu"] = bad_k[0] if bad_k[0] is not None else kho
        if bad_reuse is None:
            bad_reuse = bad_t[0] if bad_t[0] is not None else bad_k[0]
        reuse = bool(reuse) or kho or tsd
    out["tai_su_dung"] = bad_reuse if bad_reuse is not None else reuse
    has, kq = _get(obj, nz["giay_to_ket_qua"])
    if has and kq is not None:
        out["ket_qua_dien_tu"] = any(isinstance(x, dict) and str(_get(x, nz["duong_dan_ket_qua"])[1] or "").strip()
                                     for x in (kq if isinstance(kq, list) else [kq]))
    has, lp = _get(obj, nz["le_phi"])
    if has and lp is not None:
        fee, bad_g = False, None
        for x in (lp if isinstance(lp, list) else [lp]):
            if isinstance(x, dict):
                v = _get(x, nz["gia"])[1]
                g, bad = _gia(v)
                if bad and bad_g is None:
                    bad_g = v if v is not None else "?"
                fee = fee or g > 0
        out["co_phi"] = bad_g if bad_g is not None else fee
    has, bs = _get(obj, nz["ho_so_bo_sung"])
    if has and bs is not None:
        if isinstance(bs, dict):
            bs = [bs]
        if isinstance(bs, list):
            out["so_lan_bo_sung"] = len(bs)
            items = [x for x in bs if isinstance(x, dict)]
            if items:
                out["ngay_yeu_cau_bo_sung"] = _get(items[0], nz["ngay_yeu_cau_bo_sung"])[1]
                out["ngay_hoan_thanh_bo_sung"] = _get(items[0], nz["ngay_hoan_thanh_bo_sung"])[1]
                moved = [v for v in (_get(x, nz["ngay_hen_tra_moi"])[1] for x in items) if _set(v)]
                out["han_da_doi"] = bool(moved)
                if moved:
                    out["_hen_moi"] = moved[-1]  # validated as a date (bad_date) though only its presence counts
                    if not _set(out.get("ngay_hen_tra")):
                        out["ngay_hen_tra"] = moved[-1]
            else:
                out["han_da_doi"] = False
        else:
            out["so_lan_bo_sung"] = bs  # a number or a word where a list belongs: validated as a count
    has, dg = _get(obj, nz["danh_gia"])
    if has:
        if isinstance(dg, list):
            dg = [x for x in dg if isinstance(x, dict)]
            dg = dg[-1] if dg else None
        out["co_danh_gia"] = isinstance(dg, dict)
        if isinstance(dg, dict):
            out["muc_hai_long"] = _get(dg, nz["muc_do"])[1]
    return out


JSON_KEYS_SCANNED = 1000  # records whose keys are checked for unmapped names


def _read_json(path: Path, sm: SourceMap, chunk_rows: int, info: dict) -> Iterator[pd.DataFrame]:
    fields = {k.lower(): v for k, v in sm.fields.items()}
    known = set(fields) | {d.lower() for d in sm.drop} | {
        n.lower() for k in ("tai_lieu_nop", "giay_to_ket_qua", "le_phi", "ho_so_bo_sung", "danh_gia")
        for n in sm.nested.get(k, ())}
    unmapped: dict[str, None] = {}
    cols = [*DOSSIER_COLUMNS, "_hen_moi"]
    recs, nums, errs = [], [], []
    seen = False
    try:
        for n, obj in _json_items(path):
            seen = True
            if isinstance(obj, dict):
                if n <= JSON_KEYS_SCANNED:
                    for k in obj:
                        if k.lower() not in known and k not in unmapped:
                            unmapped[k] = None
                            info["unmapped"] = list(unmapped)
                recs.append(flatten_dvcqg(obj, sm, fields))
                errs.append(None)
            else:
                recs.append({})
                errs.append(f"record is a {type(obj).__name__}, not an object")
            nums.append(n)
            if len(recs) >= chunk_rows:
                yield _frame(recs, nums, errs, cols)
                recs, nums, errs = [], [], []
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the JSON as UTF-8") from None
    except RecursionError:  # the json scanner recurses once per nesting level
        raise InputError(f"{path}: JSON nested too deeply (hundreds of levels of [ or {{); a dossier is a flat "
                         f"object with shallow lists: export it again") from None
    if not seen:
        raise InputError(f"{path}: the JSON holds no dossier records")
    if recs:
        yield _frame(recs, nums, errs, cols)


# ---------------------------------------------------------------- Parquet
def _read_parquet(path: Path, chunk_rows: int, info: dict) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise InputError(f"{path}: not a Parquet file ({type(e).__name__}: {e})") from None
    names = set(pf.schema_arrow.names)
    cols = [c for c in DOSSIER_COLUMNS if c in names]
    info["unmapped"] = sorted(names - set(cols))
    if "ma_ho_so" not in cols:
        raise InputError(f"{path}: Parquet input must use canonical column names (tthc.schema.DOSSIER_COLUMNS); "
                         f"found {', '.join(sorted(names)[:20])}")
    start = 1
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=cols):
        df = batch.to_pandas()
        n = len(df)
        df["_row"] = range(start, start + n)
        df["_err"] = None
        start += n
        yield df
