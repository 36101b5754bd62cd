"""The DuckDB warehouse: table ``dossiers`` (one row per ``ma_ho_so``, canonical record + provenance), table
``ingest_log`` (one row per ingest attempt) and the optional ``catalogue``.

Writers (``tthc ingest``) hold an exclusive lock file ``<warehouse>.lock`` (fcntl) for the whole run, so two ingests
never interleave; readers open the database read-only.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path

from . import config
from .errors import InputError, TthcError
from .schema import CATALOGUE_COLUMNS, DOSSIER_COLUMNS, dossiers_ddl

INGEST_LOG_COLUMNS: dict[str, str] = {
    "ingest_id": "BIGINT",
    "file": "VARCHAR",
    "source": "VARCHAR",
    "sha256": "VARCHAR",            # content hash of the input file (idempotence key)
    "status": "VARCHAR",            # ok | error
    "rows_read": "BIGINT",
    "rows_stored": "BIGINT",        # = new + replaced + unchanged + older
    "rows_quarantined": "BIGINT",
    "rows_new": "BIGINT",
    "rows_replaced": "BIGINT",
    "rows_unchanged": "BIGINT",     # identical content already in the warehouse
    "rows_older": "BIGINT",         # the warehouse already held a newer version (phien_ban), kept
    "quarantine_file": "VARCHAR",
    "message": "VARCHAR",
    "started": "TIMESTAMP",
    "finished": "TIMESTAMP",
}


def ingest_log_ddl() -> str:
    body = ",\n  ".join(f"{c} {t}" for c, t in INGEST_LOG_COLUMNS.items())
    return f"CREATE TABLE IF NOT EXISTS ingest_log (\n  {body}\n)"


def catalogue_ddl() -> str:
    body = ",\n  ".join(f"{c} {t}" for c, t in CATALOGUE_COLUMNS.items())
    return f"CREATE TABLE IF NOT EXISTS catalogue (\n  {body},\n  PRIMARY KEY (ma_tthc)\n)"


def ensure_schema(con) -> None:
    con.execute(dossiers_ddl())
    # a warehouse written before a canonical column was added gets it (NULL = unknown) on its next write
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'dossiers'").fetchall()}
    for c, t in DOSSIER_COLUMNS.items():
        if c not in have:
            con.execute(f"ALTER TABLE dossiers ADD COLUMN {c} {t}")
    con.execute(ingest_log_ddl())
    con.execute(catalogue_ddl())


def warehouse_path(path=None) -> Path:
    return Path(path) if path else config.default_warehouse()


def connect(path=None, read_only: bool = False, memory_limit: str | None = None):
    """A DuckDB connection to the warehouse (default ``config.default_warehouse()``) with the schema ensured.

    Read-only connections need an existing warehouse (InputError otherwise: run ``tthc ingest`` or ``make sample``)."""
    import duckdb

    p = warehouse_path(path)
    if read_only:
        if not p.is_file():
            raise InputError(f"{p}: no warehouse yet; run `tthc ingest FILE...` (or `make sample`) first")
        try:
            return duckdb.connect(str(p), read_only=True)
        except duckdb.IOException as e:
            raise TthcError(f"{p}: cannot open the warehouse read-only ({e}); is an ingest running?") from None
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(p))
    except duckdb.IOException as e:
        raise TthcError(f"{p}: cannot open the warehouse for writing ({e}); another process holds it") from None
    con.execute("SET enable_progress_bar = false")  # DuckDB would draw on stdout, between our summary lines
    memory_limit = os.environ.get("TTHC_DUCKDB_MEMORY") or memory_limit
    if memory_limit:
        # large ingests spill to <warehouse>.tmp instead of growing without bound
        con.execute(f"SET memory_limit = '{memory_limit}'")
    ensure_schema(con)
    return con


@contextmanager
def write_lock(path=None, timeout: float = 30.0):
    """Exclusive lock ``<warehouse>.lock`` for writers; waits up to ``timeout`` seconds, then TthcError."""
    p = warehouse_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    lock = p.with_name(p.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TthcError(f"{p}: another ingest is running (lock {lock} held for {timeout:.0f} s); "
                                    f"wait for it to finish and try again") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield lock
    finally:
        os.close(fd)  # closing releases the flock


def dossiers_signature(con) -> str:
    """Content hash of ``dossiers`` on an open connection (canonical columns, order-independent, provenance
    excluded): DuckDB's row hash over the canonical columns, summed and xor-ed over all rows. About 20× cheaper than
    MD5 of each row's text (≈ 1 CPU-s for 10 M rows). DuckDB's hash function may change between DuckDB versions, so
    an upgrade can change the signature once (the cube is then rebuilt)."""
    cols = ", ".join(DOSSIER_COLUMNS)
    n, s, x = con.execute(f"SELECT count(*), coalesce(sum(h), 0), coalesce(bit_xor(h), 0) "
                          f"FROM (SELECT hash({cols}) AS h FROM dossiers)").fetchall()[0]
    return hashlib.sha256(f"dossiers-v2|{n}|{s}|{x}".encode()).hexdigest()


def content_hash(path=None) -> str:
    """A stable hash of the ``dossiers`` content (canonical columns, order-independent; provenance excluded), for
    run.json: two warehouses holding the same dossiers give the same hash whatever the ingest order.
    Same formula as the cube stamp (:func:`dossiers_signature`)."""
    con = connect(path, read_only=True)
    try:
        return dossiers_signature(con)
    finally:
        con.close()
