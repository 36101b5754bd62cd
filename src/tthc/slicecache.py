"""The batch's cache of data-slice hashes, readable by a report.

Written by :func:`tthc.batch.plan.cached_slice_hashes` beside the cube it hashes (:func:`slice_cache_file`: one
file per period in the cube's folder, so a report finds it from the warehouse and period alone, with no hand-off);
a report finds its slice hash there (:func:`lookup_slice_hash`, reads only) instead of hashing its slice again,
while the cube files are the ones the hashes were computed from (their size and mtime, :func:`cube_signature`) and
the unit set is the same. A module of its own so that :mod:`tthc.report` reads it without importing
:mod:`tthc.batch`.
"""

from __future__ import annotations

import json
from pathlib import Path

from .engine.cube import CUBE_TABLES  # noqa: F401 - one home: the cube's tables (tthc.engine.cube)


def slice_cache_file(period: str, directory: Path | None = None) -> Path:
    """Where the slice hashes of ``period`` (a canonical code) over the cube in ``directory`` (default: the cube of
    the default warehouse) are kept: ``<cube>/.slice-hashes-<period>.json``."""
    from .engine.cube import default_cube_dir

    return (Path(directory) if directory else default_cube_dir()) / f".slice-hashes-{period}.json"


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def cube_signature(directory: Path | None = None) -> list:
    """Identity of the cube files (name, size, mtime): the cube is rewritten atomically whenever it is rebuilt."""
    from .engine.cube import default_cube_dir

    directory = Path(directory) if directory else default_cube_dir()
    sig = []
    for name in CUBE_TABLES:
        try:
            st = (directory / f"{name}.parquet").stat()
            sig.append([name, st.st_size, st.st_mtime_ns])
        except OSError:
            sig.append([name, None, None])
    return sig


def _valid_hashes(cache: dict, key: str, cube_sig: list) -> dict:
    """The cache's entries for ``key`` (period|window) if they were computed from these cube files, else none."""
    entry = cache.get(key) or {}
    return entry.get("hashes", {}) if entry.get("cube") == cube_sig else {}


def lookup_slice_hash(cache_file: Path | None, units: list[str], period: str, window: str,
                      directory: Path | None = None) -> str | None:
    """The slice hash :func:`cached_slice_hashes` stored for exactly these units, while the cube files are the ones
    it was computed from; None otherwise. Lets a report in a batch skip hashing its slice again."""
    cache_file = cache_file or slice_cache_file(period, directory)
    known = _valid_hashes(read_json(cache_file) or {}, f"{period}|{window}", cube_signature(directory))
    want = ",".join(units)
    for hit in known.values():
        if hit.get("units") == want:
            return hit.get("hash")
    return None
