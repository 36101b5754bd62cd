"""Atomic file writes: a killed batch never leaves a half-written file under its final name.

Every output is written to a hidden temporary sibling (``.<name>.tmp-<pid>``) and renamed into place; ``run.json``
is written last and only on success, so a report counts as valid only when its ``run.json`` says so (with the
sha256 of every output file it vouches for).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

TMP_MARK = ".tmp-"


def tmp_path(final: str | os.PathLike) -> Path:
    """The hidden temporary sibling used while ``final`` is being written (ignored by index and validation)."""
    final = Path(final)
    return final.with_name(f".{final.name}{TMP_MARK}{os.getpid()}")


def is_tmp(path: str | os.PathLike) -> bool:
    """Ours (``.name.tmp-<pid>``) and tthc.run's (``.name.staged``, ``.name.<pid>.tmp``, ``.stem.<pid>.running.ipynb``)."""
    name = Path(path).name
    return name.startswith(".") and (TMP_MARK in name or name.endswith((".staged", ".tmp", ".running.ipynb")))


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace(tmp: str | os.PathLike, final: str | os.PathLike, fsync: bool = True) -> Path:
    """Rename a finished temporary file onto its final name (atomic on one filesystem)."""
    tmp, final = Path(tmp), Path(final)
    if fsync:
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, final)
    if fsync:
        _fsync_dir(final.parent)
    return final


def write_bytes(path: str | os.PathLike, data: bytes, fsync: bool = True) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        _fsync_dir(path.parent)
    return path


def write_text(path: str | os.PathLike, text: str, fsync: bool = True) -> Path:
    return write_bytes(path, text.encode("utf-8"), fsync=fsync)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def remove_stale_tmp(directory: str | os.PathLike) -> int:
    """Delete temporary files left by a killed run under ``directory`` (recursively); returns how many."""
    n = 0
    for root, _dirs, files in os.walk(directory):
        for f in files:
            if is_tmp(f):
                try:
                    os.unlink(os.path.join(root, f))
                    n += 1
                except OSError:
                    pass
    return n
