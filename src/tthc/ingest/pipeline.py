"""Ingest one or more export files into the warehouse (see the package docstring for the rules)."""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from .. import warehouse as wh
from ..errors import InputError, TthcError
from ..schema import DOSSIER_COLUMNS, META_COLUMNS
from . import csvpath, fastpath
from .readers import detect_source, read_chunks
from .sources import PARQUET, SourceMap, load_all_sources
from .validate import REASONS, validate_chunk

CHUNK_ROWS = 20_000  # text rows are Python objects until validated: keep chunks small (bounded memory)
PARQUET_CHUNK_ROWS = 100_000  # typed Arrow columns are compact
FAST_PARQUET = True  # natively typed canonical Parquet is validated inside DuckDB (see fastpath.py)
FAST_CSV = True  # a plain UTF-8 CSV export is parsed by DuckDB and validated in SQL (see csvpath.py)
INGEST_MEMORY_MB = 512  # DuckDB's share while staging; spills to disk beyond it (env TTHC_DUCKDB_MEMORY overrides)
# A warehouse created with the primary-key index on `dossiers` (before it was dropped from the schema) must fit it
# in memory while rows are merged (DuckDB cannot spill it): the merge raises the cap to about this many bytes per
# dossier (warehouse + file), within half the machine's RAM.
INDEX_BYTES_PER_ROW = 160
PROGRESS_MIN_ROWS = 200_000  # a progress bar appears on a TTY once a file passes this many rows
QUARANTINE_COLUMNS = ("file", "row", "column", "reason_code", "reason", "value")
# canonical fields the indicators read → what goes wrong without them. A file in which one of them is empty on
# every row is refused (nothing stored) unless allow_missing: e.g. a dropped channel column would read D1 = 0 %.
# (ngay_hen_tra is satisfied by thoi_han_gq, from which the due date is recomputed.)
NEEDED_FIELDS = {
    "kenh": "D1, Biểu 06 col. 4–5 (every dossier would count as in person)",
    "ngay_hen_tra": "timeliness: D5, Biểu 06 col. 8–13, on-time rate (or give thoi_han_gq)",
    "co_phi": "D2", "thanh_toan_truc_tuyen": "D2", "so_hoa_ho_so": "D3", "ket_qua_dien_tu": "D4",
    "co_danh_gia": "D6", "tai_su_dung": "D7",
}


@dataclass
class IngestResult:
    """What happened to one file. rows_read = rows_stored + rows_quarantined;
    rows_stored = rows_new + rows_replaced + rows_unchanged + rows_older."""

    file: str
    source: str | None = None
    sha256: str | None = None
    ingest_id: int | None = None
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    rows_new: int = 0
    rows_replaced: int = 0
    rows_unchanged: int = 0
    rows_older: int = 0
    quarantine_path: Path | None = None
    already_ingested: bool = False
    reasons: dict[str, int] = field(default_factory=dict)  # reason_code → quarantine lines
    unmapped: list[str] = field(default_factory=list)  # the file's columns that map to nothing (read past)
    empty: list[str] = field(default_factory=list)  # canonical fields with no value on any row of the file

    def summary(self) -> str:
        if self.already_ingested:
            return f"{self.file}: already ingested (same content, sha256 {self.sha256[:12]}…); nothing changed"
        s = (f"{self.file}: read {self.rows_read}, stored {self.rows_stored} (new {self.rows_new}, "
             f"replaced {self.rows_replaced}, unchanged {self.rows_unchanged}")
        s += f", older kept {self.rows_older})" if self.rows_older else ")"
        s += f", quarantined {self.rows_quarantined}"
        if self.quarantine_path:
            s += f" → {self.quarantine_path}"
        if self.unmapped:
            s += f"; columns mapped to nothing: {', '.join(self.unmapped)}"
        if self.empty:
            s += f"; fields empty on every row: {', '.join(self.empty)}"
        return s


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def quarantine_dir_for(warehouse: Path) -> Path:
    return warehouse.parent / "quarantine"


class _Quarantine:
    """Quarantine lines for one file, streamed to a temporary CSV renamed into place on commit."""

    def __init__(self, final: Path, file_label: str):
        self.final, self.tmp, self.label = final, final.with_suffix(".csv.part"), file_label
        self.f = None
        self.lines = 0
        self.reasons: dict[str, int] = {}

    def write(self, problems: pd.DataFrame) -> None:
        if problems.empty:
            return
        if self.f is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.f = self.tmp.open("w", encoding="utf-8-sig", newline="")
            self.w = csv.writer(self.f)
            self.w.writerow(QUARANTINE_COLUMNS)
        problems = problems.sort_values("row", kind="stable")
        for r in problems.itertuples(index=False):
            self.w.writerow((self.label, r.row, r.column, r.reason_code, REASONS[r.reason_code], r.value))
            self.reasons[r.reason_code] = self.reasons.get(r.reason_code, 0) + 1
        self.lines += len(problems)

    def commit(self) -> Path | None:
        if self.f is None:
            return None
        self.f.close()
        os.replace(self.tmp, self.final)
        return self.final

    def discard(self) -> None:
        if self.f is not None:
            self.f.close()
            self.tmp.unlink(missing_ok=True)


_ALL = [*DOSSIER_COLUMNS, *META_COLUMNS]


def _arrow_chunk(clean: pd.DataFrame, meta: dict):
    import pyarrow as pa

    types = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "TINYINT": pa.int8(),
             "SMALLINT": pa.int16(), "BOOLEAN": pa.bool_(), "BIGINT": pa.int64()}
    arrays = []
    for c in _ALL:
        t = types[{**DOSSIER_COLUMNS, **META_COLUMNS}[c]]
        if c in clean:
            arrays.append(pa.array(clean[c], type=t, from_pandas=True))
        else:
            arrays.append(pa.array([meta[c]] * len(clean), type=t))
    return pa.Table.from_arrays(arrays, names=_ALL)


def _filled(raw: pd.DataFrame, cols, seen: set) -> None:
    """Add to ``seen`` the canonical columns of ``raw`` with at least one non-blank value (each column is looked at
    until it is found filled, so this costs about one chunk)."""
    for c in cols:
        if c in seen or c not in raw:
            continue
        s = raw[c]
        nn = s.notna()
        if not nn.any():
            continue
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            if not s[nn].map(lambda v: not (isinstance(v, str) and not v.strip())).any():
                continue
        seen.add(c)


def coverage(sm: SourceMap, seen: set) -> tuple[list[str], list[str]]:
    """(canonical fields empty on every row, those of them the indicators need) for a file read with ``sm``."""
    seen = set(seen)
    for c, (src, _) in sm.derived.items():
        if src in seen:
            seen.add(c)
    if "thoi_han_gq" in seen:
        seen.add("ngay_hen_tra")
    empty = [c for c in DOSSIER_COLUMNS if c not in seen and c != "ma_don_vi"]
    return empty, [c for c in NEEDED_FIELDS if c in empty]


def _ingest_one(con, path: Path, sm: SourceMap, units: dict, sha: str, ingest_id: int, qdir: Path,
                progress: bool, allow_missing: bool = True) -> IngestResult:
    res = IngestResult(file=str(path), source=sm.name, sha256=sha, ingest_id=ingest_id)
    q = _Quarantine(qdir / f"{ingest_id:05d}-{path.stem}.csv", str(path))
    meta = {"nguon": sm.name, "tep_nguon": path.name, "file_hash": sha, "ingest_id": ingest_id}
    bar = None
    # parsed before the transaction: a file DuckDB refuses must not abort it (it then takes the general path)
    csvp = csvpath.load(con, path, sm, INGEST_MEMORY_MB) if sm.format == "tabular" and FAST_CSV else None
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE stg AS SELECT * FROM dossiers LIMIT 0")
        bad_rows = 0
        fast = fastpath.eligible(con, path) if sm.format == "parquet" and FAST_PARQUET else None
        if csvp is not None:
            res.rows_read, problems, seen = csvpath.stage(con, csvp, sm, units, meta)
            bad_rows = problems["row"].nunique()
            q.write(problems)
            res.unmapped = list(csvp.unmapped)
            if progress or (sys.stderr.isatty() and res.rows_read >= PROGRESS_MIN_ROWS):
                from tqdm import tqdm  # validated in one pass: the bar reports the rows when they are done

                bar = tqdm(desc=path.name, unit=" rows", file=sys.stderr, initial=res.rows_read)
        elif fast is not None:
            res.rows_read, problems = fastpath.stage_parquet(con, path, fast, units, meta)
            bad_rows = problems["row"].nunique()
            q.write(problems)
            counts = con.execute("SELECT " + ", ".join(f"count({c})" for c in fast) + " FROM stg").fetchone()
            seen = {c for c, k in zip(fast, counts) if k}
            res.unmapped = sorted(set(c for (c, *_) in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({fastpath._q(str(path))})").fetchall()) - set(fast))
        else:
            seen = set()
        info: dict = {}
        for raw in ([] if fast is not None or csvp is not None else
                    read_chunks(path, sm, PARQUET_CHUNK_ROWS if sm.format == "parquet" else CHUNK_ROWS, info)):
            _filled(raw, DOSSIER_COLUMNS, seen)
            clean, problems = validate_chunk(raw, sm, units)
            res.rows_read += len(raw)
            bad_rows += len(raw) - len(clean)
            q.write(problems)
            if len(clean):
                tbl = _arrow_chunk(clean, meta)  # noqa: F841 (scanned by DuckDB by name)
                con.execute("INSERT INTO stg SELECT * FROM tbl")
            if bar is None and (progress or (sys.stderr.isatty() and res.rows_read >= PROGRESS_MIN_ROWS)):
                from tqdm import tqdm

                bar = tqdm(desc=path.name, unit=" rows", file=sys.stderr, initial=res.rows_read)
            elif bar is not None:
                bar.update(len(raw))
        # duplicates within the file: identical copies count once, conflicting copies are all quarantined
        cols = ", ".join(DOSSIER_COLUMNS)
        dups = con.execute(f"""
            WITH k AS (SELECT ma_ho_so FROM stg GROUP BY ma_ho_so HAVING count(*) > 1),
                 h AS (SELECT ma_ho_so, dong_nguon, hash({cols}) AS h FROM stg SEMI JOIN k USING (ma_ho_so)),
                 g AS (SELECT ma_ho_so, count(DISTINCT h) AS nh, min(dong_nguon) AS first
                       FROM h GROUP BY ma_ho_so HAVING count(*) > 1)
            SELECT h.dong_nguon, h.ma_ho_so, CASE WHEN g.nh > 1 THEN 'duplicate_conflict' ELSE 'duplicate' END
            FROM h JOIN g USING (ma_ho_so)
            WHERE g.nh > 1 OR h.dong_nguon <> g.first ORDER BY h.dong_nguon""").fetchall()
        if dups:
            q.write(pd.DataFrame({"row": [d[0] for d in dups], "column": "ma_ho_so",
                                  "reason_code": [d[2] for d in dups], "value": [d[1] for d in dups]}))
            bad_rows += len(dups)
            dup_rows = pd.DataFrame({"dong_nguon": [d[0] for d in dups]})  # noqa: F841
            con.execute("DELETE FROM stg WHERE dong_nguon IN (SELECT dong_nguon FROM dup_rows)")
        res.rows_quarantined = bad_rows
        if fast is None and csvp is None:
            res.unmapped = list(info.get("unmapped", []))
        res.empty, needed = coverage(sm, seen)
        if needed and res.rows_read and not allow_missing:
            what = "; ".join(f"{c} ({NEEDED_FIELDS[c]})" for c in needed)
            raise InputError(f"{path}: field(s) the indicators need are empty on every row: {what}. Map the column "
                             f"that holds them in the column map ({sm.path or sm.name}; docs/column-maps.md) and "
                             f"ingest again, or pass --allow-missing if this export truly lacks them. "
                             f"Columns mapped to nothing: {', '.join(res.unmapped) or 'none'}")
        _merge(con, res)
        assert res.rows_read == res.rows_stored + res.rows_quarantined, "row accounting broken"
        res.reasons = dict(q.reasons)
        qpath = q.final if q.f is not None else None
        _log(con, res, "ok", qpath, None)
        con.execute("DROP TABLE stg")
        con.execute("COMMIT")
    except BaseException as e:
        con.execute("ROLLBACK")
        q.discard()
        import duckdb

        if isinstance(e, duckdb.OutOfMemoryException):
            raise TthcError(f"{path}: DuckDB ran out of memory while storing ({e}); nothing of this file was "
                            f"stored. Set TTHC_DUCKDB_MEMORY (e.g. 4GB) and run the ingest again") from None
        raise
    finally:
        if bar is not None:
            bar.close()
        if csvp is not None:
            csvpath.drop(con)
    res.quarantine_path = q.commit()
    return res


def _merge(con, res: IngestResult) -> None:
    """Merge ``stg`` (one row per dossier) into ``dossiers`` and count new / replaced / unchanged / older. When no
    staged dossier is stored yet (always on a first load) every row is new: one plain INSERT. Otherwise the rows
    are classified against the stored ones and the replaced versions are deleted before the new and replaced ones
    are inserted (a warehouse created with the old PRIMARY KEY updates through the index instead)."""
    empty = con.execute("SELECT NOT EXISTS (SELECT 1 FROM dossiers)").fetchone()[0]
    overlap = 0 if empty else con.execute(
        "SELECT count(*) FROM stg SEMI JOIN dossiers USING (ma_ho_so)").fetchone()[0]
    if not overlap:
        res.rows_new = res.rows_stored = con.execute("SELECT count(*) FROM stg").fetchone()[0]
        if res.rows_new:
            _merge_memory(con)
            # the order of the rows on disk means nothing (readers sort; content_hash ignores it): DuckDB may then
            # compress and write them on every core
            con.execute("SET preserve_insertion_order = false")
            try:
                con.execute("INSERT INTO dossiers SELECT * FROM stg")
            finally:
                con.execute("RESET preserve_insertion_order")
        return
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM d.{c}" for c in DOSSIER_COLUMNS)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE cls AS
        SELECT s.ma_ho_so, CASE WHEN d.ma_ho_so IS NULL THEN 'new' WHEN {same} THEN 'unchanged'
                                WHEN s.phien_ban >= d.phien_ban THEN 'replaced' ELSE 'older' END AS k
        FROM stg s LEFT JOIN dossiers d ON s.ma_ho_so = d.ma_ho_so""")
    counts = dict(con.execute("SELECT k, count(*) FROM cls GROUP BY k").fetchall())
    res.rows_new, res.rows_replaced = counts.get("new", 0), counts.get("replaced", 0)
    res.rows_unchanged, res.rows_older = counts.get("unchanged", 0), counts.get("older", 0)
    res.rows_stored = sum(counts.values())
    _merge_memory(con)
    if res.rows_replaced and _has_primary_key(con):
        sets = ", ".join(f"{c} = excluded.{c}" for c in _ALL if c != "ma_ho_so")
        con.execute(f"""INSERT INTO dossiers SELECT s.* FROM stg s JOIN cls USING (ma_ho_so)
                        WHERE cls.k = 'replaced' ON CONFLICT (ma_ho_so) DO UPDATE SET {sets}""")
    elif res.rows_replaced:
        con.execute("DELETE FROM dossiers WHERE ma_ho_so IN (SELECT ma_ho_so FROM cls WHERE k = 'replaced')")
        con.execute("INSERT INTO dossiers SELECT s.* FROM stg s JOIN cls USING (ma_ho_so) WHERE cls.k = 'replaced'")
    if res.rows_new:
        con.execute("INSERT INTO dossiers SELECT s.* FROM stg s JOIN cls USING (ma_ho_so) WHERE cls.k = 'new'")
    con.execute("DROP TABLE cls")


def _has_primary_key(con) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'dossiers' "
                       "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] > 0


def _merge_memory(con) -> None:
    """A warehouse created with the PRIMARY KEY on ``dossiers`` keeps its index in memory while rows are merged:
    the cap is raised to about :data:`INDEX_BYTES_PER_ROW` per dossier (warehouse + file), within half the RAM."""
    if not _has_primary_key(con):
        return
    if wh.memory_override():
        return
    import psutil

    n = con.execute("SELECT (SELECT count(*) FROM dossiers) + (SELECT count(*) FROM stg)").fetchone()[0]
    want = max(INGEST_MEMORY_MB << 20, n * INDEX_BYTES_PER_ROW)
    cap = max(INGEST_MEMORY_MB << 20, psutil.virtual_memory().total // 2)
    con.execute(f"SET memory_limit = '{min(want, cap) >> 20}MB'")


_STARTED: dict[int, datetime] = {}


def _log(con, res: IngestResult, status: str, qpath: Path | None, message: str | None) -> None:
    con.execute("INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [res.ingest_id, res.file, res.source, res.sha256, status, res.rows_read, res.rows_stored,
                 res.rows_quarantined, res.rows_new, res.rows_replaced, res.rows_unchanged, res.rows_older,
                 str(qpath) if qpath else None, message, _STARTED.get(res.ingest_id, datetime.now()),
                 datetime.now()])


def ingest_files(paths, source: str | None = None, warehouse=None, units=None, progress: bool = False,
                 lock_timeout: float = 30.0, echo=None, allow_missing: bool = True) -> list[IngestResult]:
    """Ingest ``paths`` (each in its own transaction) into the warehouse; returns one IngestResult per file.

    ``units`` is a registry path or a loaded :class:`tthc.units.Registry`. ``echo`` (e.g. ``print``) receives the
    one-line summary of each file as soon as it is done. A file that cannot be read raises InputError after the
    files before it have been committed; the failure is recorded in ``ingest_log``. ``source``: a map name, a built-in
    (``parquet``, ``canonical``) or the path of a map file. ``allow_missing`` False refuses a file in which a field
    of :data:`NEEDED_FIELDS` is empty on every row (the CLI's default; ``--allow-missing`` turns it on)."""
    from ..units import Registry, load_registry

    reg = units if isinstance(units, Registry) else load_registry(units)
    # code → (valid_from, valid_to): a dossier received outside its unit's validity is quarantined (unit_not_valid)
    codes = {c: (u.valid_from, u.valid_to) for c, u in reg.units.items()}
    maps = load_all_sources()
    wpath = wh.warehouse_path(warehouse)
    qdir = quarantine_dir_for(wpath)
    results: list[IngestResult] = []
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    for p in paths:
        if not p.is_file():
            raise InputError(f"{p}: file not found")
    with wh.write_lock(wpath, lock_timeout):
        _drop_stale_parts(qdir)
        con = wh.connect(wpath, memory_limit=f"{INGEST_MEMORY_MB}MB")
        try:
            for p in paths:
                if FAST_CSV:
                    csvpath.prescan(p)  # the CSV line scan runs while the file is hashed
                try:
                    sha = file_sha256(p)
                except BaseException:
                    csvpath.forget(p)
                    raise
                done = con.execute("SELECT ingest_id FROM ingest_log WHERE sha256 = ? AND status = 'ok' LIMIT 1",
                                   [sha]).fetchone()
                if done:
                    res = IngestResult(file=str(p), sha256=sha, ingest_id=done[0], already_ingested=True)
                else:
                    ingest_id = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchone()[0]
                    _STARTED[ingest_id] = datetime.now()
                    sm = None
                    try:
                        sm = PARQUET if source == "parquet" else detect_source(p, maps, source)
                        res = _ingest_one(con, p, sm, codes, sha, ingest_id, qdir, progress, allow_missing)
                    except TthcError as e:
                        fail = IngestResult(file=str(p), source=sm.name if sm else source, sha256=sha,
                                            ingest_id=ingest_id)
                        _log(con, fail, "error", None, str(e))
                        raise
                    finally:
                        csvpath.forget(p)
                csvpath.forget(p)
                results.append(res)
                if echo:
                    echo(res.summary())
        finally:
            try:
                if any(not r.already_ingested for r in results):
                    _refresh_days(con)
            finally:
                con.close()
    return results


def _drop_stale_parts(qdir: Path) -> None:
    """Quarantine files still named ``.part`` belong to an ingest that was killed before its commit (its rows were
    rolled back): with the write lock held no other ingest is writing one, so they can go."""
    if qdir.is_dir():
        for part in qdir.glob("*.csv.part"):
            part.unlink(missing_ok=True)


def _refresh_days(con) -> None:
    """Bring the cube's dossier-days pre-aggregate up to date while the write lock is held (also after a failed
    file: the files before it are committed)."""
    from ..engine import days

    days.refresh(con)
