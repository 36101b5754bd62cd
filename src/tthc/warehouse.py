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


#: seconds a command waits for a warehouse that another process holds (an ingest writing, a report reading)
LOCK_WAIT_SECONDS = 60.0
#: DuckDB's file magic: the 4 bytes after the 8-byte checksum of the main header
DUCKDB_MAGIC = b"DUCK"


class WarehouseError(InputError):
    """The warehouse file cannot be used: ``kind`` is ``missing``, ``corrupt``, ``locked``, ``denied`` or ``full``."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def lock_wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("TTHC_WAREHOUSE_WAIT", LOCK_WAIT_SECONDS)))
    except ValueError:
        return LOCK_WAIT_SECONDS


def check_file(path=None, must_exist: bool = True) -> Path:
    """Before DuckDB sees it: the warehouse file exists (when ``must_exist``), is not empty and starts with DuckDB's
    magic. DuckDB must never be handed a foreign file: it would try to download a scanner extension for an SQLite
    file, for instance. Raises :class:`WarehouseError` (missing / corrupt / denied)."""
    p = warehouse_path(path)
    if not p.exists():
        if must_exist:
            raise WarehouseError(f"{p}: no warehouse yet; run `tthc ingest FILE...` (or `tthc sample`) first, or "
                                 f"pass --warehouse PATH", "missing")
        return p
    if not p.is_file():
        raise WarehouseError(f"{p}: the warehouse path is not a file; give --warehouse a .duckdb file", "corrupt")
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except PermissionError:
        raise WarehouseError(f"{p}: cannot read the warehouse (permission denied); check its owner and mode",
                             "denied") from None
    if not head:
        raise WarehouseError(f"{p}: the warehouse file is empty (0 bytes), not a DuckDB database; move it aside and "
                             f"run `tthc ingest` again (or restore it from a backup)", "corrupt")
    if len(head) < 12 or head[8:12] != DUCKDB_MAGIC:
        raise WarehouseError(f"{p}: not a DuckDB database (unknown file header); move it aside and run `tthc "
                             f"ingest` again (or restore it from a backup)", "corrupt")
    return p


def classify_error(p: Path, exc: BaseException) -> WarehouseError:
    """One line for a DuckDB (or OS) error met while opening or reading the warehouse ``p``: locked by another
    process, disk full, permission denied, else corrupt (truncated, damaged)."""
    import errno
    import re

    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    chain, e = [], exc
    while e is not None and len(chain) < 10:  # a failed rollback hides the first error (e.g. the full disk)
        chain.append(e)
        e = e.__cause__ or e.__context__
    if any(getattr(c, "errno", None) == errno.ENOSPC or "No space left on device" in str(c) for c in chain):
        return WarehouseError(f"{p}: no space left on the device holding the warehouse (nothing of the failed "
                              f"file was stored); free space and try again", "full")
    if "Could not set lock" in text or "Conflicting lock" in text:
        m = re.search(r"\(PID (\d+)\)", text)
        who = f"process {m.group(1)}" if m else "another process"
        return WarehouseError(f"{p}: the warehouse is in use by {who} (another tthc command or program); "
                              f"wait for it to finish and try again", "locked")
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return WarehouseError(f"{p}: permission denied; check the warehouse file's owner and mode", "denied")
    first = first.replace("IO Error: ", "")
    return WarehouseError(f"{p}: the warehouse file is damaged or truncated ({first[:160]}); restore it from a "
                          f"backup, or move it aside and run `tthc ingest` again", "corrupt")


def open_duckdb(path=None, read_only: bool = True, wait: float | None = None, say=None):
    """The one place that opens the warehouse file: checks it (:func:`check_file`), opens it with DuckDB, and turns
    every failure into one :class:`WarehouseError` line. A warehouse locked by another process is waited for up to
    ``wait`` seconds (default :func:`lock_wait_seconds`, env ``TTHC_WAREHOUSE_WAIT``), saying so once through
    ``say`` (default: a line on stderr). Read-only opens also read the catalog, so a truncated file fails here."""
    import sys

    import duckdb

    p = check_file(path, must_exist=read_only)
    wait = lock_wait_seconds() if wait is None else wait
    say = say or (lambda m: print(f"tthc: {m}", file=sys.stderr, flush=True))
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            con = duckdb.connect(str(p), read_only=read_only)
        except (duckdb.Error, OSError) as e:
            err = classify_error(p, e)
            if err.kind == "locked" and time.monotonic() < deadline:
                if not told:
                    say(str(err).split(";")[0] + f"; waiting up to {wait:.0f} s for it …")
                    told = True
                time.sleep(0.25)
                continue
            if err.kind == "locked":
                raise WarehouseError(f"{err} (waited {wait:.0f} s)", "locked") from None
            raise err from None
        if read_only:
            try:
                con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
            except duckdb.Error as e:
                con.close()
                raise classify_error(p, e) from None
        return con


def memory_override() -> str | None:
    """DuckDB's memory cap set by the user (env ``TTHC_DUCKDB_MEMORY``, e.g. ``4GB``): it wins over every cap the
    code would choose (the connection's, the ingest's parse and merge caps)."""
    return os.environ.get("TTHC_DUCKDB_MEMORY") or None


def connect(path=None, read_only: bool = False, memory_limit: str | None = None, wait: float | None = None):
    """A DuckDB connection to the warehouse (default ``config.default_warehouse()``) with the schema ensured.

    Opened through :func:`open_duckdb`: a missing (read-only), empty, foreign, truncated or locked warehouse is one
    :class:`WarehouseError` line."""
    p = warehouse_path(path)
    if read_only:
        return open_duckdb(p, read_only=True, wait=wait)
    p.parent.mkdir(parents=True, exist_ok=True)
    con = open_duckdb(p, read_only=False, wait=wait)
    try:
        con.execute("SET enable_progress_bar = false")  # DuckDB would draw on stdout, between our summary lines
        memory_limit = memory_override() or memory_limit
        if memory_limit:
            # large ingests spill to <warehouse>.tmp instead of growing without bound
            con.execute(f"SET memory_limit = '{memory_limit}'")
        ensure_schema(con)
    except Exception as e:  # noqa: BLE001 - a damaged file can open and fail on its first statement
        import duckdb

        con.close()
        if isinstance(e, (duckdb.Error, OSError)):
            raise classify_error(p, e) from None
        raise
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
