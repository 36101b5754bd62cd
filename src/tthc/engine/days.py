"""The dossier-days pre-aggregate ``tthc_dossier_days``: counted dossiers grouped by everything the cube reads.

Per dossier the cube reads only the attributed unit, the field code and name, the receipt, end and due days (or
the statutory working days when the due date is missing), the supplement count and pause dates, and 0/1 flags.
Dossiers that agree on all of these count the same in every indicator of every period, so the cube can read one
row per distinct combination with its number of dossiers (``n``) and flag counts (``f_*``) instead of one row per
dossier: 10 M synthetic dossiers make about 1.1 M rows.

The grouping depends on the dossiers and the procedure catalogue only — the rules (supplement pauses), the
working-day calendar and the periods are applied by the cube (:func:`tthc.engine.events.stage_sql`) — so it is a
derived table of the warehouse, like an index: ``tthc ingest`` refreshes it once per command, under the write
lock (:func:`refresh`), and stamps it with the dossier signature and the catalogue hash. The cube uses it while the
stamp matches and otherwise reads the same columns one row per dossier (:func:`ensure`), so a stale or missing
pre-aggregate costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import time

from . import counters, sql

VERSION = "5"  # 2: 2026 766 counters; 3: successor hand-over; 4: han_da_doi (no pause on a moved due date), flags co_bo_sung, dung;
# 5: flag columns generated from engine/counters.py (named f_<flag>__<flag>; the stamp also hashes their conditions)
TABLE = "tthc_dossier_days"
META_TABLE = "tthc_dossier_days_meta"
TEMP_VIEW = "tthc_dossier_rows"



def flag_columns() -> dict[str, str]:
    """The pre-aggregate's flag-count columns ``f_*`` → condition on the columns of ``sql.dossier_flag_columns``:
    every row-flag conjunction a counter needs, generated from :data:`tthc.engine.counters.COUNTERS`."""
    return counters.row_flag_columns()


# the grouping key (besides unit, field, name): day numbers since 1970-01-01
KEY = ("r", "e0", "hen", "th", "nbs", "req", "comp")


def _day(expr: str) -> str:
    return f"CAST(CAST({expr} AS DATE) - DATE '1970-01-01' AS INTEGER)"


def _raw_sql(catalogue: bool, table: str, ident: bool = False) -> str:
    cat_join, th, giay = sql.catalogue_parts(catalogue)
    # pause dates only for exactly one supplement whose due date was not moved (han_da_doi, spec §6)
    one = "coalesce(d.so_lan_bo_sung, 0) = 1 AND NOT coalesce(d.han_da_doi, false)"
    idc = "d.ma_ho_so AS id, " if ident else ""
    return f"""raw AS (
      SELECT {idc}d.ma_don_vi AS unit, d.ma_linh_vuc AS field, d.ten_linh_vuc AS name, d.kenh,
             {_day('d.ngay_tiep_nhan')} AS r,
             {_day("coalesce(d.ngay_ket_thuc_xu_ly, CASE WHEN d.trang_thai = 10 THEN d.ngay_tra END)")} AS e0,
             {_day('d.ngay_hen_tra')} AS hen, CASE WHEN d.ngay_hen_tra IS NULL THEN {th} END AS th,
             CAST(least(coalesce(d.so_lan_bo_sung, 0), 2) AS TINYINT) AS nbs,
             CASE WHEN {one} THEN {_day('d.ngay_yeu_cau_bo_sung')} END AS req,
             CASE WHEN {one} THEN {_day('d.ngay_hoan_thanh_bo_sung')} END AS comp,
             {sql.dossier_flag_columns(giay)}
      FROM {table} d {cat_join}
      WHERE d.trang_thai NOT IN (1, 3) AND d.ngay_tiep_nhan IS NOT NULL
    )"""


def days_sql(catalogue: bool, table: str = "dossiers") -> str:
    """``SELECT`` of the pre-aggregate from ``table`` (and ``catalogue`` when present). Columns: unit, field, name
    (as stored), r (receipt day), e0 (end of processing day, NULL while pending), hen (due day), th (statutory
    working days, only where the due day is missing), nbs (supplements, capped at 2: only 0, 1 or more matter), req
    and comp (supplement request and completion days, only for exactly one supplement), n, f_<flag>."""
    flags = ",\n           ".join(f"count(*) FILTER (coalesce({c}, false))::BIGINT AS {k}"
                                  for k, c in flag_columns().items())
    return f"""WITH {_raw_sql(catalogue, table)}
    SELECT unit, field, name, {', '.join(KEY)}, count(*)::BIGINT AS n,
           {flags}
    FROM raw GROUP BY unit, field, name, {', '.join(KEY)}"""


def rows_sql(catalogue: bool, table: str = "dossiers", ident: bool = False) -> str:
    """The same columns as :func:`days_sql`, one row per dossier (n = 1): what the cube reads when no fresh
    pre-aggregate is stored — cheaper than grouping for a single use. ``ident``: also the dossier code as ``id``
    (for a dossier-level hand-over mapping)."""
    flags = ", ".join(f"CAST(coalesce({c}, false) AS BIGINT) AS {k}" for k, c in flag_columns().items())
    return f"""WITH {_raw_sql(catalogue, table, ident)}
    SELECT {"id, " if ident else ""}unit, field, name, {', '.join(KEY)}, CAST(1 AS BIGINT) AS n, {flags} FROM raw"""


def stamp(con, signature: str | None = None) -> str:
    """What the pre-aggregate was built from: the dossier signature (``tthc.warehouse.dossiers_signature``, computed
    when not given), the catalogue hash and this module's version."""
    from ..warehouse import dossiers_signature
    from .sql import catalogue_hash

    sig = signature or dossiers_signature(con)
    cols = repr(sorted(flag_columns().items()))  # a counter needing another flag column invalidates the table
    return hashlib.sha256(f"days-v{VERSION}|{cols}|{sig}|{catalogue_hash(con)}".encode()).hexdigest()[:32]


def stored_stamp(con) -> str | None:
    try:
        rows = con.execute(f"SELECT stamp FROM {META_TABLE}").fetchall()
    except Exception:  # noqa: BLE001 - no pre-aggregate yet (older warehouse, or built outside ingest)
        return None
    return rows[0][0] if rows else None


def refresh(con, signature: str | None = None, force: bool = False) -> dict:
    """Rebuild the persistent pre-aggregate on a writable connection when its stamp is stale (one transaction).
    Called by ingest under the warehouse write lock. Returns rebuilt, rows, seconds."""
    t0 = time.perf_counter()
    want = stamp(con, signature)
    if not force and stored_stamp(con) == want:
        return dict(rebuilt=False, rows=None, seconds=time.perf_counter() - t0)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {days_sql(sql.has_catalogue(con))}")
        con.execute(f"CREATE OR REPLACE TABLE {META_TABLE} (stamp VARCHAR, built TIMESTAMP, rows BIGINT)")
        con.execute(f"INSERT INTO {META_TABLE} SELECT ?, now()::TIMESTAMP, count(*) FROM {TABLE}", [want])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    rows = con.execute(f"SELECT rows FROM {META_TABLE}").fetchall()[0][0]
    return dict(rebuilt=True, rows=rows, seconds=time.perf_counter() - t0)


def ensure(con, signature: str | None = None, catalogue: bool | None = None, per_row: bool = False
           ) -> tuple[str, bool]:
    """What the cube should read: the stored pre-aggregate when its stamp matches ``signature`` (the dossier
    signature; computed when None), else a temporary view with one row per dossier (:func:`rows_sql`).
    ``per_row``: always the per-dossier view, with the dossier code as ``id`` (a dossier-level hand-over mapping
    needs it). Returns (table or view name, is_temporary)."""
    if not per_row:
        stored = stored_stamp(con)
        if stored is not None and stored == stamp(con, signature):
            return TABLE, False
    cat = sql.has_catalogue(con) if catalogue is None else catalogue
    con.execute(f"CREATE OR REPLACE TEMP VIEW {TEMP_VIEW} AS {rows_sql(cat, ident=per_row)}")
    return TEMP_VIEW, True
