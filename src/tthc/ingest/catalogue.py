"""The optional procedure catalogue (spec §3) → warehouse table ``catalogue`` (``tthc.schema.CATALOGUE_COLUMNS``).

Accepted files: CSV (UTF-8, ``,`` or ``;``) whose header row uses the canonical names, or YAML with a top-level
``catalogue:`` list of mappings with the same keys. ``ma_tthc`` is required; ``muc_do_dvc`` is ``toan_trinh``,
``mot_phan`` or ``none``; ``co_phi`` / ``yeu_cau_ket_qua_giay`` yes/no; ``thoi_han_gq`` working days (integer ≥ 0).
The whole file is checked first: any bad value raises InputError naming file, row, column and fix, and nothing is
stored. Entries are upserted by ``ma_tthc`` in one transaction.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .. import warehouse as wh
from ..errors import InputError
from ..schema import CATALOGUE_COLUMNS
from ..yamlio import load_yaml
from .validate import BOOL_WORDS

SERVICE_LEVELS = ("toan_trinh", "mot_phan", "none")


def _rows(path: Path) -> list[tuple[int, dict]]:
    if path.suffix.lower() in (".yaml", ".yml"):
        doc = load_yaml(path)
        items = doc.get("catalogue") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise InputError(f"{path}: expected a top-level 'catalogue:' list of procedures")
        return [(i + 1, it if isinstance(it, dict) else {}) for i, it in enumerate(items)]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save it as 'CSV UTF-8'") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    first = text.splitlines()[0]
    reader = csv.DictReader(text.splitlines(), delimiter=";" if first.count(";") > first.count(",") else ",")
    head = [h.strip() for h in (reader.fieldnames or [])]
    if "ma_tthc" not in head:
        raise InputError(f"{path}: row 1: no 'ma_tthc' column; expected headers {', '.join(CATALOGUE_COLUMNS)}; "
                         f"found {', '.join(head)}")
    return [(i + 2, {(k or "").strip(): v for k, v in r.items()}) for i, r in enumerate(reader)]


def read_catalogue(path) -> list[dict]:
    """Validated catalogue entries (InputError on the first bad value)."""
    path = Path(path)
    out, seen = [], {}
    for n, r in _rows(path):
        rec = {}
        for c, t in CATALOGUE_COLUMNS.items():
            v = r.get(c)
            v = None if v is None or (isinstance(v, str) and not v.strip()) else v
            where = f"{path}: row {n}, column {c}"
            if v is None:
                rec[c] = None
            elif t == "BOOLEAN":
                b = v if isinstance(v, bool) else BOOL_WORDS.get(str(v).strip().casefold())
                if b is None:
                    raise InputError(f"{where}: {v!r} is not yes/no; write true/false (có/không)")
                rec[c] = b
            elif t == "SMALLINT":
                try:
                    rec[c] = int(str(v).strip())
                except ValueError:
                    rec[c] = -1
                if rec[c] < 0:
                    raise InputError(f"{where}: {v!r} is not a number of working days (integer ≥ 0)")
            else:
                rec[c] = str(v).strip()
        if not rec["ma_tthc"]:
            raise InputError(f"{path}: row {n}, column ma_tthc: empty; every procedure needs its code")
        if rec["muc_do_dvc"] is not None and rec["muc_do_dvc"] not in SERVICE_LEVELS:
            raise InputError(f"{path}: row {n}, column muc_do_dvc: {rec['muc_do_dvc']!r}; use "
                             f"{', '.join(SERVICE_LEVELS)}")
        if rec["ma_tthc"] in seen:
            raise InputError(f"{path}: row {n}, column ma_tthc: {rec['ma_tthc']!r} already listed on row "
                             f"{seen[rec['ma_tthc']]}")
        seen[rec["ma_tthc"]] = n
        out.append(rec)
    return out


def ingest_catalogue(path, warehouse=None, lock_timeout: float = 30.0) -> int:
    """Upsert the catalogue file into the warehouse; returns the number of entries."""
    import pandas as pd

    recs = read_catalogue(path)
    df = pd.DataFrame(recs, columns=list(CATALOGUE_COLUMNS))  # noqa: F841 (scanned by DuckDB by name)
    cols = ", ".join(CATALOGUE_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in CATALOGUE_COLUMNS if c != "ma_tthc")
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in CATALOGUE_COLUMNS.items())
    with wh.write_lock(warehouse, lock_timeout):
        con = wh.connect(warehouse)
        try:
            con.execute("BEGIN TRANSACTION")
            if recs:
                con.execute(f"INSERT INTO catalogue ({cols}) SELECT {casts} FROM df "
                            f"ON CONFLICT (ma_tthc) DO UPDATE SET {sets}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            con.close()
            raise
        try:
            from ..engine import days

            days.refresh(con)  # the pre-aggregate holds catalogue-derived deadlines and flags
        finally:
            con.close()
    return len(recs)
