"""Warehouse table ``portal_figures``: the portal's published 766 figures per period × unit × metric.

``unit`` is the registry code when the portal's ``departmentCode`` (else ``departmentId``) matches a unit's
``ma_dvcqg`` (``matched`` true), otherwise the portal's own code (``matched`` false) — unmatched units are kept,
never dropped. Importing a file replaces the rows of the same period × unit × metric with the file's values, so
re-importing the same file changes nothing. Null stays null.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .figures import FIELDS, read_file

TABLE = "portal_figures"
COLUMNS: dict[str, str] = {
    "period": "VARCHAR", "unit": "VARCHAR", "matched": "BOOLEAN", **{f: "VARCHAR" for f in FIELDS[:6]},
    **{f: "DOUBLE" for f in FIELDS[6:]}, "source_file": "VARCHAR", "source_sha256": "VARCHAR",
}
KEY = ("period", "unit", "metric")


def ddl() -> str:
    body = ",\n  ".join(f"{c} {t}" for c, t in COLUMNS.items())
    return f"CREATE TABLE IF NOT EXISTS {TABLE} (\n  {body},\n  PRIMARY KEY (period, unit, metric)\n)"


def has_table(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [TABLE]).fetchall()[0][0])


def match_units(rows: list[dict], registry, period_end: date) -> list[dict]:
    """Set ``unit``/``matched``: the registry unit whose ``ma_dvcqg`` equals the portal's departmentCode (else
    departmentId); when several units share it, the one valid at the period's end. Otherwise the portal's code."""
    by_code: dict[str, list] = {}
    for u in registry.units.values():
        if getattr(u, "ma_dvcqg", None):
            by_code.setdefault(u.ma_dvcqg, []).append(u)
    out = []
    for r in rows:
        cands = []
        for k in (r["portal_code"], r["portal_id"]):
            if k and k in by_code:
                cands = by_code[k]
                break
        if cands:
            valid = [u for u in cands if u.overlaps(period_end, period_end)]
            u = (valid or cands)[0]
            out.append({**r, "unit": u.code, "matched": True})
        else:
            out.append({**r, "unit": r["portal_code"] or r["portal_id"], "matched": False})
    return out


def import_files(files, period: str, con, registry) -> dict:
    """Read, match and store evaluation files for ``period`` (a canonical code). Returns a summary dict: files
    (list of (file, shape, rows)), rows, new, replaced, unchanged, unmatched (sorted portal codes)."""
    from ..periods import parse_period

    end = parse_period(period).bounds("calendar")[1]
    con.execute(ddl())
    allrows: dict[tuple, dict] = {}
    per_file = []
    for f in files:
        shape, rows, sha = read_file(f)
        rows = match_units(rows, registry, end)
        for r in rows:
            r.update(period=period, source_file=str(Path(f).name), source_sha256=sha)
            allrows[(period, r["unit"], r["metric"])] = r
        per_file.append((str(f), shape, len(rows)))
    df = pd.DataFrame(list(allrows.values()), columns=list(COLUMNS))
    stats = dict(files=per_file, rows=len(df), new=0, replaced=0, unchanged=0,
                 unmatched=sorted({r["unit"] for r in allrows.values() if not r["matched"]}))
    if df.empty:
        return stats
    old = con.execute(f"SELECT * FROM {TABLE} WHERE period = ?", [period]).df()
    old_by_key = {tuple(k): row for k, row in zip(old[list(KEY)].itertuples(index=False, name=None),
                                                  old.to_dict("records"))}
    value_cols = [c for c in COLUMNS if c not in ("source_file", "source_sha256")]
    changed = []
    for rec in df.to_dict("records"):
        k = tuple(rec[c] for c in KEY)
        o = old_by_key.get(k)
        if o is None:
            stats["new"] += 1
            changed.append(rec)
        elif all(_same(o[c], rec[c]) for c in value_cols):
            stats["unchanged"] += 1
        else:
            stats["replaced"] += 1
            changed.append(rec)
    if changed:
        ch = pd.DataFrame(changed, columns=list(COLUMNS))
        for c, t in COLUMNS.items():
            if t == "DOUBLE":
                ch[c] = pd.to_numeric(ch[c], errors="coerce").astype("float64")
            elif t == "BOOLEAN":
                ch[c] = ch[c].astype(bool)
            else:
                ch[c] = ch[c].astype(object).where(ch[c].notna(), None)
        con.register("portal_new_df", ch)
        con.execute("BEGIN")
        try:
            con.execute(f"DELETE FROM {TABLE} t USING portal_new_df n WHERE t.period = n.period AND "
                        f"t.unit = n.unit AND t.metric = n.metric")
            casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in COLUMNS.items())
            con.execute(f"INSERT INTO {TABLE} SELECT {casts} FROM portal_new_df")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("portal_new_df")
    return stats


def _same(a, b) -> bool:
    na = a is None or (isinstance(a, float) and a != a)
    nb = b is None or (isinstance(b, float) and b != b)
    if na or nb:
        return na and nb
    if isinstance(a, float) or isinstance(b, float):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return a == b


def figures(con, period: str) -> pd.DataFrame:
    """The stored figures of a period (empty frame with the columns when none)."""
    if not has_table(con):
        return pd.DataFrame(columns=list(COLUMNS))
    return con.execute(f"SELECT * FROM {TABLE} WHERE period = ? ORDER BY unit, metric", [period]).df()
