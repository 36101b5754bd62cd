"""CSV fast path: a one-stop CSV export read by DuckDB and validated and mapped column-wise in SQL.

The general path (:func:`tthc.ingest.readers.read_chunks` + :func:`tthc.ingest.validate.validate_chunk`) turns every
cell into a Python object; at a million rows that is ~50 s. Here DuckDB parses the file (``read_csv``, all columns
text) and, in the same statement, strips, normalises, looks up and parses every mapped cell into the typed temp table
``csv_src`` (:func:`_typed_sql`; personal columns are parsed and dropped inside the reader, and the file's text is
never stored, not even in a temporary table); the checks of ``validate_chunk`` then run as set-based SQL over the
whole file, with the same reason codes, the same columns, the same values shown and the same order of lines per row.
Three things keep it exact:

* **One implementation of the value rules.** Words and codes (status, channel, payment, satisfaction, yes/no, counts)
  are looked up by the general path's own functions (:func:`~tthc.ingest.validate.code_values`,
  :func:`~tthc.ingest.validate.bool_values`) on the *distinct* values of each column — a few dozen in a million
  rows, read by one pass before the parse — and mapped by a ``CASE`` in the parse. Dates in the shapes whose
  meaning is unambiguous (``yyyyMMddHHmmss``, ``yyyyMMdd``, ``dd/mm/yyyy[ HH:MM[:SS]]`` and ISO
  ``yyyy-mm-dd[ |T]HH:MM[:SS]``, zero-padded, fields in range) are parsed by ``try_strptime`` (the value shown for
  one is the timestamp written back in its shape: exact, as the shapes are zero-padded); every other distinct date
  text goes through :func:`~tthc.ingest.validate.parse_dates`.
  Patterns with ``\\s``/``\\w`` get Python's Unicode meaning (:func:`~tthc.ingest.validate.sql_regex`).
* **Row numbers a person sees.** The header is found by the general reader (:func:`~tthc.ingest.readers.find_header`,
  same errors); DuckDB skips the lines above the first data line. When the file has exactly one record per line
  (the count of DuckDB rows equals the count of lines up to the last non-empty one) the row of record *i* is
  ``first data line + i``; otherwise the line breaks inside quoted cells are counted per record (a second scan) and
  summed. Blank lines and rows of empty cells are not records (as in the general path).
* **Anything unusual goes the general way.** UTF-16, a NUL character, a multi-line cell above the data, a lone
  CR line end, a row with more or fewer cells than the header, a stray quote DuckDB refuses, invalid UTF-8, blank
  lines between records together with multi-line cells: :func:`load` returns None and the file is read by the
  general path, which gives the same answer (or the same one-line error) slowly.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..schema import DOSSIER_COLUMNS, REQUIRED
from .fastpath import stored_column_sql
from .sources import SourceMap
from .validate import (BOOL_COLUMNS, CODE_COLUMNS, CODED, DATE_COLUMNS, END_COLUMNS, FINAL_STATUSES, MAX_TEXT,
                       MIN_DATE, NOT_RECEIVED_STATUSES, TEXT_COLUMNS, WHITESPACE, _CONTROL, _CONTROL_NAME, _FORMULA,
                       _HTML, _shown, bool_values, code_values, parse_dates, sql_regex)

CSV_EXT = (".csv", ".txt")
PARSE_MEMORY_MB = 1024  # DuckDB's cap while the file is parsed into csv_src (see _parse_memory)
_BLOCK = 16 << 20
_LONE_CR = re.compile(rb"\r(?=[^\n])")  # a CR line end without its LF (a CR last in a block: checked apart)
# date shapes parsed by DuckDB: (length, the character at a 1-based position, full pattern, strptime format). Each
# is zero-padded with every field in range (the day of the month is checked by try_strptime), and pandas reads it
# the same way; any other text goes to parse_dates, once per distinct value.
_HM = r"(?:[01]\d|2[0-3]):[0-5]\d"
_DMY = r"(?:0[1-9]|[12]\d|3[01])/(?:0[1-9]|1[0-2])/\d{4}"
_YMD = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_DATE_SHAPES = (
    (14, None, r"\d{8}(?:[01]\d|2[0-3])[0-5]\d[0-5]\d", "%Y%m%d%H%M%S"),
    (8, None, r"\d{8}", "%Y%m%d"),
    (16, (3, "/"), _DMY + " " + _HM, "%d/%m/%Y %H:%M"),
    (19, (3, "/"), _DMY + " " + _HM + r":[0-5]\d", "%d/%m/%Y %H:%M:%S"),
    (10, (3, "/"), _DMY, "%d/%m/%Y"),
    (19, (11, " "), _YMD + " " + _HM + r":[0-5]\d", "%Y-%m-%d %H:%M:%S"),
    (19, (11, "T"), _YMD + "T" + _HM + r":[0-5]\d", "%Y-%m-%dT%H:%M:%S"),
    (16, (11, " "), _YMD + " " + _HM, "%Y-%m-%d %H:%M"),
    (16, (11, "T"), _YMD + "T" + _HM, "%Y-%m-%dT%H:%M"),
    (10, (5, "-"), _YMD, "%Y-%m-%d"),
)


@functools.lru_cache(maxsize=1)
def _nfc_suspects() -> str:
    """An RE2 class of every character that can make a string not NFC: characters NFC changes, combining marks,
    the second character of a canonical composition pair and the Hangul vowel/final jamo (and, to be safe,
    everything from U+30000 on). A string without one of them is already NFC, so ``nfc_normalize`` (slow on
    Vietnamese text) runs only on the few that have one."""
    import unicodedata

    sus = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for i in range(0x30000):
        if 0xD800 <= i <= 0xDFFF:
            continue
        ch = chr(i)
        if unicodedata.combining(ch) or unicodedata.normalize("NFC", ch) != ch:
            sus.add(i)
        d = unicodedata.decomposition(ch)
        if d and not d.startswith("<") and len(d.split()) == 2:
            sus.add(int(d.split()[1], 16))
    spans: list[list[int]] = []
    for i in sorted(sus):
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    spans.append([0x30000, 0x10FFFF])
    return "[" + "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in spans) + "]"


def _nfc(col: str) -> str:
    return f"CASE WHEN regexp_matches({col}, {_q(_nfc_suspects())}) THEN nfc_normalize({col}) ELSE {col} END"


def _shape(t: str, shape) -> str:
    n, at, rx, _ = shape
    pick = f" AND {t}[{at[0]}] = {_q(at[1])}" if at else ""
    return f"(length({t}) = {n}{pick} AND regexp_full_match({t}, {_q(rx)}))"


#: (wall s, CPU s, statement) of the last statements of this process, for profiling (``csvpath.TIMES``)
TIMES: collections.deque = collections.deque(maxlen=500)


def _x(con, sql: str):
    import resource
    import time

    def cpu():
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    r = con.execute(sql)
    TIMES.append((time.perf_counter() - t0, cpu() - c0, sql[:150]))
    return r


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


_WS = _q(WHITESPACE)


def _t(col: str) -> str:
    """The cell as the general path sees it: stripped of Python whitespace, blank → NULL (the full trim only when
    the first or last character is one: trimming by a set of 29 characters is slow; ``x[-1]`` finds the last
    character without counting the others, as ``right`` does)."""
    return (f"NULLIF(CASE WHEN contains({_WS}, left({col}, 1)) OR contains({_WS}, {col}[-1]) "
            f"THEN trim({col}, {_WS}) ELSE {col} END, '')")


@dataclass
class CsvPlan:
    """What the Python reader learnt from the top of the file."""

    delim: str
    ncols: int
    data_start: int                         # line of the first record after the header
    pos: dict[int, str]                     # cell index → canonical column
    unmapped: list[str] = field(default_factory=list)
    first_cell: str | None = None           # the first data record's first mapped cell, as the csv module read it
    rows: str = ""                          # SQL giving the row of a csv_src record (alias s)
    join: str = ""                          # the join that SQL needs
    path: Path | None = None
    seen: set = field(default_factory=set)  # coded / yes-no columns with a non-blank value on some record


def plan(path: Path, sm: SourceMap) -> CsvPlan | None:
    """The plan for reading ``path`` with DuckDB, or None when the file is not a plain UTF-8 CSV with its header
    found (the general path then reads it, and raises the one-line error if there is one)."""
    from ..errors import InputError
    from .readers import _csv_rows, find_header

    if sm.format != "tabular" or path.suffix.lower() not in CSV_EXT or path.stat().st_size == 0:
        return None
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    rows, delim = _csv_rows(path)
    seen = [0]

    def counted():
        for r in rows:
            seen[0] += 1
            yield r

    it = counted()
    try:
        info: dict = {}
        _, hcells, pos = find_header(path, sm, it, info)
        first = next(it, None)
    except (InputError, UnicodeDecodeError):
        return None
    finally:
        it.close()
        rows.close()
    # DuckDB's skip counts records: it skips the lines above the data only when none of them is a multi-line record
    if first is None or delim not in (",", ";", "\t") or seen[0] != first[0]:
        return None
    j = min(pos)
    return CsvPlan(delim=delim, ncols=len(hcells), data_start=first[0], pos=pos, unmapped=info["unmapped"],
                   first_cell=first[1][j] if j < len(first[1]) else None)


def _scan(path: Path) -> int | None:
    """Line number of the last non-empty line, or None when the file has a lone CR line end or a NUL character."""
    nl = 0
    carry = b""
    with path.open("rb") as f:
        while True:
            block = f.read(_BLOCK)
            if not block:
                break
            if b"\x00" in block:  # DuckDB's regular expressions stop at a NUL character
                return None
            if (carry == b"\r" and block[:1] != b"\n") or _LONE_CR.search(block):
                return None
            nl += block.count(b"\n")
            carry = block[-1:]
        if carry == b"\r":
            return None
        size = f.tell()
        back = min(size, 1 << 20)
        f.seek(size - back)
        tail = f.read(back)
    body = tail.rstrip(b"\r\n")
    if not body and back < size:
        return None
    return nl - tail[len(body):].count(b"\n") + 1


_SCANS: dict = {}  # path → Future of its _scan, started by prescan


def prescan(path: Path) -> None:
    """Start :func:`_scan` of a CSV file in a thread; :func:`load` takes its result. The ingest computes the file's
    sha256 meanwhile, and ``hashlib`` lets go of the GIL: the two reads overlap (≈ 0.3 s on 428 MiB)."""
    import concurrent.futures
    import threading

    path = Path(path)
    if path.suffix.lower() not in CSV_EXT:
        return
    fut: concurrent.futures.Future = concurrent.futures.Future()

    def run():
        try:
            fut.set_result(_scan(path))
        except BaseException as e:  # noqa: BLE001 - handed to load, which raises it as _scan would
            fut.set_exception(e)

    threading.Thread(target=run, name="tthc-csv-scan", daemon=True).start()
    _SCANS[path] = fut


def forget(path: Path) -> None:
    """Drop a scan :func:`load` did not take (a file already ingested, or not read as CSV): waits for it to end."""
    fut = _SCANS.pop(Path(path), None)
    if fut is not None:
        fut.exception()


def _read_sql(path: Path, p: CsvPlan, select: str) -> str:
    cols = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(p.ncols)) + "}"
    return (f"SELECT {select} FROM read_csv({_q(str(path))}, columns = {cols}, header = false, "
            f"delim = {_q(p.delim)}, quote = '\"', escape = '\"', skip = {p.data_start - 1}, auto_detect = false, "
            f"null_padding = false, strict_mode = true, encoding = 'utf-8')")


class _Unusual(Exception):
    """A file the fast path leaves to the general path (raised while the SQL is built)."""


def _lookup_sql(c: str, kind: str, raw: str, vals: list, sm: SourceMap) -> tuple[str, str]:
    """(value SQL, bad SQL) of the coded or yes/no column ``c`` whose cell as written is ``raw``, from the general
    path's own lookup (:func:`code_values` / :func:`bool_values`) on its distinct values ``vals`` (None = empty)."""
    typ = "SMALLINT" if kind == "code" else "BOOLEAN"
    ser = pd.Series([None, *vals], dtype=object)
    val, bad = code_values(ser, c, sm) if kind == "code" else bool_values(ser, sm)
    vs = [None if x is pd.NA or x is None else (int(x) if kind == "code" else bool(x)) for x in val.astype(object)]
    bs = bad.astype(bool).tolist()
    if bs[0]:  # an empty cell that is bad (a map's "" word outside the code range): the general path says so
        raise _Unusual(c)
    null_v = _lit(vs[0])
    keyed = list(zip(vals, vs[1:], bs[1:]))
    whens = " ".join(f"WHEN {raw} = {_q(k)} THEN {_lit(v)}" for k, v, _ in keyed if v is not None)
    value = f"CAST(CASE WHEN {raw} IS NULL THEN {null_v} {whens} END AS {typ})" if whens or null_v != "NULL" \
        else f"CAST(NULL AS {typ})"
    bads = [_q(k) for k, _, b in keyed if b]
    oks = [_q(k) for k, _, b in keyed if not b]
    if not bads:
        badsql = "false"
    elif len(bads) <= len(oks):
        badsql = f"coalesce({raw} IN ({', '.join(bads)}), false)"
    else:  # many distinct bad values (garbage in a coded column): the few good ones are listed
        badsql = f"coalesce({raw} NOT IN ({', '.join(oks)}), false)" if oks else f"{raw} IS NOT NULL"
    return value, badsql


def _typed_sql(p: CsvPlan, sm: SourceMap, distinct: dict) -> str:
    """The SELECT (over ``read_csv``) that gives ``csv_src``: one row per record of the file, in file order (its
    rowid is the record index), the mapped canonical columns typed, plus what the checks need, kept narrow (DuckDB
    stores the table in parallel only while a row group of every thread fits its memory cap): ``_blank`` (a record
    of empty cells, not counted); per date column ``_w_`` (the cell as written where stripping changed it),
    ``_rq_`` (the stripped text DuckDB did not parse: parsed later by ``parse_dates``; also the value shown) and
    ``_s_`` (which of :data:`_DATE_SHAPES` it had: the value shown is the timestamp written back in that shape,
    exact for those zero-padded shapes); per coded or yes/no column ``_rq_`` (a bad cell as written: the row is
    bad exactly when it is set); ``_has_trang_thai``. The text of the file itself is never stored. :func:`view_sql`
    completes the columns the checks read."""
    present = {c: j for j, c in p.pos.items()}
    first = min(p.pos)
    blank = " AND ".join(f"coalesce(trim(c{j}, {_WS}), '') = ''" for j in range(p.ncols))
    l1 = [f"CASE WHEN {_t(f'c{first}')} IS NULL THEN {blank} ELSE false END AS _blank"]
    l2, l3, l4 = ["_blank"], ["_blank"], ["_blank"]
    for c in TEXT_COLUMNS:
        if c in present:
            l1.append(f'{_t(f"c{present[c]}")} AS {c}')
            l2.append(f"{_nfc(c)} AS {c}")
            l3.append(c)
            l4.append(c)
    for c in DATE_COLUMNS:
        if c not in present:
            continue
        j, t = present[c], _t(f"c{present[c]}")
        l1.append(f"{t} AS _t_{c}, CASE WHEN c{j} IS DISTINCT FROM {t} THEN c{j} END AS _w_{c}")
        shape = " ".join(f"WHEN {_shape(f'_t_{c}', sh)} THEN {k}" for k, sh in enumerate(_DATE_SHAPES))
        l2.append(f"_t_{c}, _w_{c}, CAST(CASE {shape} END AS TINYINT) AS _s_{c}")
        parse = " ".join(f"WHEN {k} THEN try_strptime(_t_{c}, {_q(sh[3])})" for k, sh in enumerate(_DATE_SHAPES))
        l3.append(f"CASE WHEN year(CASE _s_{c} {parse} END) BETWEEN 1900 AND 2100 "
                  f"THEN CASE _s_{c} {parse} END END AS {c}, _w_{c}, _s_{c}, _t_{c}")
        l4.append(f"{c}, _w_{c}, CASE WHEN {c} IS NULL THEN _t_{c} END AS _rq_{c}, "
                  f"CASE WHEN {c} IS NOT NULL THEN _s_{c} END AS _s_{c}")
    for c, kind in [(c, "code") for c in CODED] + [(c, "bool") for c in BOOL_COLUMNS]:
        if c not in present:
            continue
        raw = f"_c_{c}"
        l1.append(f"c{present[c]} AS {raw}")
        value, bad = _lookup_sql(c, kind, raw, distinct[c], sm)
        l2.append(f"{value} AS {c}, CASE WHEN {bad} THEN {raw} END AS _rq_{c}")
        l3.append(f"{c}, _rq_{c}")
        l4.append(f"{c}, _rq_{c}")
    if "trang_thai" in present:  # a blank status cell may map to a code (a map's "" word) and still be missing
        l1.append(f"{_t('c' + str(present['trang_thai']))} IS NOT NULL AS _has_trang_thai")
        for lv in (l2, l3, l4):
            lv.append("_has_trang_thai")
    inner = _read_sql(p.path, p, ", ".join(l1))
    sparse = _sparse(p)
    l5 = [x for x in ["_blank", *TEXT_COLUMNS, *DATE_COLUMNS, *[f"_s_{c}" for c in DATE_COLUMNS], *CODED,
                      *BOOL_COLUMNS, "_has_trang_thai"] if x.removeprefix("_s_").removeprefix("_has_") in present
          or x == "_blank"]
    if sparse:
        l5.append(f"CASE WHEN coalesce({', '.join(sparse)}) IS NOT NULL THEN [{', '.join(sparse)}] END AS _odd")
    return (f"SELECT {', '.join(l5)} FROM (SELECT {', '.join(l4)} FROM (SELECT {', '.join(l3)} FROM "
            f"(SELECT {', '.join(l2)} FROM ({inner}) l1) l2) l3) l4")


def _sparse(p: CsvPlan) -> list[str]:
    """The rarely set text columns of ``csv_src``, kept in one list ``_odd`` (NULL on an ordinary row): one narrow
    column instead of a VARCHAR column each."""
    present = set(p.pos.values())
    return ([f"_{k}_{c}" for c in DATE_COLUMNS if c in present for k in ("w", "rq")]
            + [f"_rq_{c}" for c in [*CODED, *BOOL_COLUMNS] if c in present])


def view_sql(p: CsvPlan) -> str:
    """``csv_v``: the non-blank records of ``csv_src`` with every column the checks and the staging read (NULL for
    a column the file lacks), ``_i`` (record index), ``_row`` (the spreadsheet row), ``_bad_<coded>`` and
    ``_has_<required>``."""
    present = set(p.pos.values())
    odd = {c: f"s._odd[{k + 1}]" for k, c in enumerate(_sparse(p))}
    sel = ["s.rowid AS _i", f"{p.rows} AS _row"]
    for c in TEXT_COLUMNS:
        sel.append(f"s.{c}" if c in present else f"CAST(NULL AS VARCHAR) AS {c}")
    for c in DATE_COLUMNS:
        sel.append(f"s.{c}, {odd.get(f'_w_{c}')} AS _w_{c}, {odd.get(f'_rq_{c}')} AS _rq_{c}, s._s_{c}" if c in present else
                   f"CAST(NULL AS TIMESTAMP) AS {c}, CAST(NULL AS VARCHAR) AS _w_{c}, CAST(NULL AS VARCHAR) AS _rq_{c}, "
                   f"CAST(NULL AS TINYINT) AS _s_{c}")
    for c in [*CODED, *BOOL_COLUMNS]:
        typ = "SMALLINT" if c in CODED else "BOOLEAN"
        rq = odd.get(f"_rq_{c}")
        sel.append(f"s.{c}, {rq} AS _rq_{c}, {rq} IS NOT NULL AS _bad_{c}" if c in present else
                   f"CAST(NULL AS {typ}) AS {c}, CAST(NULL AS VARCHAR) AS _rq_{c}, false AS _bad_{c}")
    for c in REQUIRED:  # present in the file as text (a bad value is present)
        if c not in present:
            sel.append(f"false AS _has_{c}")
        elif c == "trang_thai":
            sel.append("s._has_trang_thai")
        elif c in DATE_COLUMNS:
            sel.append(f"(s.{c} IS NOT NULL OR {odd[f'_rq_{c}']} IS NOT NULL) AS _has_{c}")
        else:
            sel.append(f"s.{c} IS NOT NULL AS _has_{c}")
    return f"SELECT {', '.join(sel)} FROM csv_src s {p.join} WHERE NOT s._blank"


@contextlib.contextmanager
def _parse_memory(con, restore_mb: int | None):
    """DuckDB's cap raised to :data:`PARSE_MEMORY_MB` while ``csv_src`` is written (not when the user set
    ``TTHC_DUCKDB_MEMORY``). The table must keep the file's order, and DuckDB writes such a table with more than one
    thread only when a row group of every thread fits its cap: under the ingest's 512 MB it parses on one core.
    Measured on the 1,000,000-row export: two threads, and the same peak RSS (≈ 720 MB) as with one. The cap
    goes back to ``restore_mb`` (the ingest's) afterwards."""
    from ..warehouse import memory_override

    cap = f"{restore_mb}MB" if restore_mb else con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    raise_it = not memory_override()
    if raise_it:
        con.execute(f"SET memory_limit = '{PARSE_MEMORY_MB}MB'")
    try:
        yield
    finally:
        if raise_it:
            con.execute(f"SET memory_limit = '{cap}'")


def load(con, path: Path, sm: SourceMap, restore_mb: int | None = None) -> CsvPlan | None:
    """Parse ``path`` into the temp table ``csv_src`` (typed and flagged, see :func:`_typed_sql`; its rowid is the
    record index); None when the file must take the general path. Runs outside the file's transaction: a refused
    parse must not abort it."""
    import duckdb

    p = plan(path, sm)
    if p is None:
        return None
    fut = _SCANS.pop(Path(path), None)
    last = fut.result() if fut is not None else _scan(path)
    if last is None:
        return None
    p.path = path
    first = min(p.pos)
    try:
        got = _x(con, _read_sql(path, p, f"c{first}") + " LIMIT 1").fetchone()
        if ((got[0] if got else None) or "").strip() != (p.first_cell or "").strip():  # DuckDB began elsewhere
            return None
        # the distinct cells of the coded and yes/no columns (a few dozen in a million rows), one pass, nothing kept
        coded = [(j, c) for j, c in p.pos.items() if c in CODED or c in BOOL_COLUMNS]
        distinct: dict[str, list] = {}
        if coded:
            got = _x(con, _read_sql(path, p, ", ".join(f"list(DISTINCT c{j})" for j, _ in coded))).fetchone()
            for (_, c), vals in zip(coded, got):
                distinct[c] = sorted(v for v in (vals or []) if v is not None)
                if any(v.strip() for v in distinct[c]):
                    p.seen.add(c)
        with _parse_memory(con, restore_mb):
            _x(con, "CREATE OR REPLACE TEMP TABLE csv_src AS " + _typed_sql(p, sm, distinct))
        n = _x(con, "SELECT count(*) FROM csv_src").fetchone()[0]
        if n == last - p.data_start + 1:  # one record per line
            p.rows = f"{p.data_start} + s.rowid"
        else:  # records spanning lines: count the line breaks inside each record's cells (all columns)
            nl = " + ".join(f"coalesce(strlen(c{j}) - strlen(replace(c{j}, chr(10), '')), 0)" for j in range(p.ncols))
            _x(con, "CREATE OR REPLACE TEMP TABLE csv_nl AS " + _read_sql(path, p, f"{nl} AS nl"))
            _x(con, f"""CREATE OR REPLACE TEMP TABLE csv_lines AS SELECT rowid AS i, {p.data_start} + rowid
                                + coalesce(sum(nl) OVER (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING
                                                         AND 1 PRECEDING), 0) AS line, nl FROM csv_nl""")
            end = _x(con, "SELECT max(line + nl) FROM csv_lines").fetchone()[0]
            _x(con, "DROP TABLE csv_nl")
            if end != last:  # blank lines between records and multi-line cells: not both here
                drop(con)
                return None
            p.rows, p.join = "CAST(csv_lines.line AS BIGINT)", "JOIN csv_lines ON csv_lines.i = s.rowid"
    except (duckdb.Error, _Unusual):
        drop(con)
        return None
    return p


def drop(con) -> None:
    _x(con, "DROP VIEW IF EXISTS csv_v")
    for t in ("csv_nl", "csv_lines", "csv_src", "csv_probs", "csv_units"):
        _x(con, f"DROP TABLE IF EXISTS {t}")
    for t in list(_REGISTERED):
        try:
            con.unregister(t)
        except Exception:  # noqa: BLE001 - already gone with the connection
            pass
        _REGISTERED.discard(t)


_REGISTERED: set[str] = set()


def _register(con, name: str, df: pd.DataFrame) -> str:
    con.register(name, df)
    _REGISTERED.add(name)
    return name


def _lit(v) -> str:
    return "NULL" if v is None else "true" if v is True else "false" if v is False else str(int(v))


def _date_shown(c: str) -> str:
    """The value shown for the date column ``c`` of a ``csv_v`` row: the cell as written (whitespace kept), the
    unparsed text, or the parsed timestamp written back in the shape it had (exact: the shapes are zero-padded)."""
    back = " ".join(f"WHEN {k} THEN strftime(s.{c}, {_q(sh[3])})" for k, sh in enumerate(_DATE_SHAPES))
    return f"coalesce(s._w_{c}, s._rq_{c}, CASE s._s_{c} {back} END)"


def stage(con, p: CsvPlan, sm: SourceMap, units, meta: dict) -> tuple[int, pd.DataFrame, set]:
    """Validate ``csv_src`` and insert its valid rows into ``stg``; returns (rows read, problems, canonical columns
    with a value on some row). The problems frame is the one :func:`~tthc.ingest.validate.validate_chunk` gives."""
    import pyarrow as pa

    present = set(p.pos.values())
    for c in DATE_COLUMNS:
        if c not in present:
            continue
        # every text DuckDB did not parse (other shapes, and a shaped one try_strptime refused): the general
        # path's parser, once per distinct value
        rq = f"_odd[{_sparse(p).index(f'_rq_{c}') + 1}]"
        rest = [r[0] for r in _x(con, f"SELECT DISTINCT {rq} FROM csv_src WHERE {rq} IS NOT NULL").fetchall()]
        if rest:
            ts, _ = parse_dates(pd.Series(rest, dtype=object))
            _register(con, f"csv_d_{c}", pa.table({"v": pa.array(rest, pa.string()),
                                                   "ts": pa.array(ts.to_numpy(), pa.timestamp("us"))}))
            _x(con, f"UPDATE csv_src SET {c} = CASE WHEN year(d.ts) BETWEEN 1900 AND 2100 THEN d.ts END "
                    f"FROM csv_d_{c} d WHERE d.v = csv_src.{rq}")
    _x(con, f"CREATE OR REPLACE TEMP VIEW csv_v AS {view_sql(p)}")
    derived = {c: f"({src} IS {'NOT ' if nn else ''}NULL)" for c, (src, nn) in sm.derived.items() if c not in present}
    problems = _problems(con, present, units)
    cols = [stored_column_sql(c, derived.get(c, c)) for c in DOSSIER_COLUMNS]
    metas = [_q(meta["nguon"]), _q(meta["tep_nguon"]), _q(meta["file_hash"]), "_row",
             f"greatest({', '.join(DATE_COLUMNS)})", str(int(meta["ingest_id"]))]
    _x(con, f"INSERT INTO stg SELECT {', '.join(cols + metas)} FROM csv_v "
            f"WHERE _i NOT IN (SELECT _i FROM csv_probs)")
    plain = sorted(c for c in present if c in TEXT_COLUMNS or c in DATE_COLUMNS)
    # rows read, and which columns have a value somewhere (each search stops at the first row that has one)
    has = [f"(SELECT 1 FROM csv_v WHERE {c} IS NOT NULL{f' OR _rq_{c} IS NOT NULL' if c in DATE_COLUMNS else ''} "
           "LIMIT 1) IS NOT NULL" for c in plain]
    counts = _x(con, "SELECT (SELECT count(*) FROM csv_src WHERE NOT _blank)" + "".join(f", {h}" for h in has)
                ).fetchone()
    n = counts[0]
    seen = set(p.seen) | {c for c, k in zip(plain, counts[1:]) if k}
    drop(con)
    return n, problems, seen


def _problems(con, present: set, units) -> pd.DataFrame:
    """The quarantine lines of ``csv_src``, in :func:`validate_chunk`'s order (row, then check)."""
    codes = sorted(units)
    valid = units if isinstance(units, dict) else {}
    _register(con, "csv_units_df", pd.DataFrame({
        "code": pd.Series(codes, dtype=object),
        "valid_from": pd.to_datetime([valid.get(c, (None, None))[0] for c in codes]),
        "valid_to": pd.to_datetime([valid.get(c, (None, None))[1] for c in codes])}))
    _x(con, "CREATE OR REPLACE TEMP TABLE csv_units AS SELECT code, CAST(valid_from AS DATE) AS valid_from, "
                "CAST(valid_to AS DATE) AS valid_to FROM csv_units_df")
    checks: list[str] = []

    def check(cond: str, column: str, code: str, value: str = "NULL", join: str = ""):
        checks.append(f"SELECT s._i, s._row, {len(checks)} AS _k, {_q(column)} AS col, {_q(code)} AS reason_code, "
                      f"CAST({value} AS VARCHAR) AS value FROM csv_v s {join} WHERE {cond}")

    formula, html = _q(sql_regex(_FORMULA)), _q(sql_regex(_HTML))
    for c in TEXT_COLUMNS:
        if c in present:
            check(f"strlen(s.{c}) > {MAX_TEXT} AND length(s.{c}) > {MAX_TEXT}", c, "text_too_long", f"s.{c}")
            # cheap exact preconditions first: the text is stripped, so a formula starts with = + - @; markup
            # needs a < (or the : of javascript:)
            check(f"left(s.{c}, 1) IN ('=', '+', '-', '@') AND regexp_matches(s.{c}, {formula})", c, "formula",
                  f"s.{c}")
            check(f"(strpos(s.{c}, '<') > 0 OR strpos(s.{c}, ':') > 0) AND regexp_matches(s.{c}, {html})", c, "html",
                  f"s.{c}")
            ctl = _q(sql_regex(_CONTROL if c in CODE_COLUMNS else _CONTROL_NAME))
            check(f"regexp_matches(s.{c}, {ctl})", c, "control_char", f"regexp_replace(s.{c}, {ctl}, '?', 'g')")
    for c in DATE_COLUMNS:
        if c in present:
            check(f"s._rq_{c} IS NOT NULL AND s.{c} IS NULL", c, "bad_date", f"coalesce(s._w_{c}, s._rq_{c})")
            check(f"s.{c} < TIMESTAMP '{MIN_DATE}'", c, "implausible_date", _date_shown(c))
    for c, (_, _, code) in CODED.items():
        if c in present:
            check(f"s._bad_{c}", c, code, f"s._rq_{c}")
    for c in BOOL_COLUMNS:
        if c in present:
            check(f"s._bad_{c}", c, "bad_boolean", f"s._rq_{c}")
    for c in REQUIRED:
        has = f"s._has_{c}"
        if c == "ngay_tiep_nhan":
            has = f"({has} OR coalesce(s.trang_thai IN {NOT_RECEIVED_STATUSES} AND s.ngay_nop IS NOT NULL, false))"
        check(f"NOT {has}", c, "missing_required")
    unit = "coalesce(s.don_vi_xu_ly, s.don_vi_tiep_nhan)"
    check(f"{unit} IS NULL", "don_vi_xu_ly", "missing_required")
    check(f"{unit} NOT IN (SELECT code FROM csv_units)", "ma_don_vi", "unknown_unit", unit)
    if valid:  # a join, not EXISTS (DuckDB's correlated subquery cost 2 CPU-s a million rows); codes are unique
        check("CAST(s.ngay_tiep_nhan AS DATE) < u.valid_from OR CAST(s.ngay_tiep_nhan AS DATE) > u.valid_to",
              "ma_don_vi", "unit_not_valid", unit,
              join=f"JOIN (SELECT * FROM csv_units WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL) u "
                   f"ON u.code = {unit}")
    raw = {c: (_date_shown(c) if c in present else "NULL") for c in DATE_COLUMNS}
    for c in END_COLUMNS:
        check(f"CAST(s.{c} AS DATE) < CAST(s.ngay_tiep_nhan AS DATE)", c, "end_before_received", raw[c])
    check("CAST(s.ngay_hoan_thanh_bo_sung AS DATE) < CAST(s.ngay_yeu_cau_bo_sung AS DATE)", "ngay_hoan_thanh_bo_sung",
          "supplement_end_before_start", raw["ngay_hoan_thanh_bo_sung"])
    check("CAST(s.ngay_nop AS DATE) > CAST(s.ngay_tiep_nhan AS DATE)", "ngay_nop", "submitted_after_received",
          raw["ngay_nop"])
    check(f"s.trang_thai IN {FINAL_STATUSES} AND s.ngay_ket_thuc_xu_ly IS NULL "
          "AND NOT (s.trang_thai = 10 AND s.ngay_tra IS NOT NULL)", "ngay_ket_thuc_xu_ly", "missing_end_date",
          "s.trang_thai")
    _x(con, "CREATE OR REPLACE TEMP TABLE csv_probs AS " + " UNION ALL ".join(checks))
    problems = _x(con, "SELECT _row AS row, col AS \"column\", reason_code, value FROM csv_probs "
                       "ORDER BY _row, _k").fetchdf()
    problems["value"] = [_shown(v) for v in problems["value"]]
    return problems
