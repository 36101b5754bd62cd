"""Parquet fast path: validate and stage a canonical Parquet file entirely inside DuckDB (no pandas round trip).

Used when every canonical column present in the file already has its natural type (text as VARCHAR, dates as
TIMESTAMP/DATE without time zone, codes as integers, flags as BOOLEAN) — the shape ``tthc sample --format parquet``
and the 10-million-row benchmark write. Any other Parquet goes through the general chunked reader. The checks are the
same as :func:`tthc.ingest.validate.validate_chunk` (same reason codes, same order of lines per row); a test runs
both paths on the same file and compares the results.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import DOSSIER_COLUMNS, REQUIRED
from .validate import (CODE_COLUMNS, CODED, DATE_COLUMNS, END_COLUMNS, FINAL_STATUSES, MAX_TEXT, MIN_DATE,
                       NOT_RECEIVED_STATUSES,
                       TEXT_COLUMNS, _CONTROL, _CONTROL_NAME, _FORMULA, _HTML, _shown, sql_regex)

# UBIGINT/HUGEINT can exceed BIGINT (CAST fails): such files take the general path, which quarantines the values
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_DATE_TYPES = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE")


#: stored columns whose value is derived when the export leaves them empty (the same rule as the general path)
_DEFAULTS = {"ma_don_vi": "coalesce(don_vi_xu_ly, don_vi_tiep_nhan)", "kenh": "coalesce(kenh, 1)",
             "so_lan_bo_sung": "coalesce(so_lan_bo_sung, 0)"}


def stored_column_sql(column: str, expr: str | None = None) -> str:
    """The SQL of a stored dossier column over a staged row: its default rule, or ``expr`` (default: the column)."""
    return _DEFAULTS.get(column, expr or column)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def eligible(con, path: Path) -> dict[str, str] | None:
    """{column: DuckDB type} of the canonical columns present when the fast path applies, else None."""
    try:
        desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_q(str(path))})").fetchall()
    except Exception:
        return None
    types = {r[0]: r[1] for r in desc if r[0] in DOSSIER_COLUMNS}
    if "ma_ho_so" not in types:
        return None
    for c, t in types.items():
        want = DOSSIER_COLUMNS[c]
        ok = (t == "VARCHAR" if want == "VARCHAR" else t in _DATE_TYPES if want == "TIMESTAMP"
              else t == "BOOLEAN" if want == "BOOLEAN" else t in _INT_TYPES)
        if not ok:
            return None
    return types


def stage_parquet(con, path: Path, types: dict[str, str], units, meta: dict) -> tuple[int, pd.DataFrame]:
    """Insert the valid rows of ``path`` into the temp table ``stg``; returns (rows read, problems frame)."""
    sel = ["file_row_number + 1 AS _row"]
    for c, t in DOSSIER_COLUMNS.items():
        if c == "ma_don_vi":
            continue
        if c not in types:
            sel.append(f"CAST(NULL AS {'BIGINT' if c in CODED else t}) AS {c}")
        elif c in CODE_COLUMNS:
            sel.append(f"nfc_normalize(NULLIF(trim({c}), '')) AS {c}")
        elif c in TEXT_COLUMNS:
            sel.append(f"nfc_normalize(NULLIF(trim({c}), '')) AS {c}")
        elif c in DATE_COLUMNS:
            sel.append(f"CAST({c} AS TIMESTAMP) AS {c}")
        elif c in CODED:
            sel.append(f"CAST({c} AS BIGINT) AS {c}")
        else:
            sel.append(c)
    con.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT {', '.join(sel)} "
                f"FROM read_parquet({_q(str(path))}, file_row_number = true)")
    codes = sorted(units)
    valid = units if isinstance(units, dict) else {}
    units_df = pd.DataFrame({"code": codes,  # noqa: F841 (scanned by DuckDB by name)
                             "valid_from": pd.to_datetime([valid.get(c, (None, None))[0] for c in codes]),
                             "valid_to": pd.to_datetime([valid.get(c, (None, None))[1] for c in codes])})
    con.execute("CREATE OR REPLACE TEMP TABLE units_known AS SELECT code, CAST(valid_from AS DATE) AS valid_from, "
                "CAST(valid_to AS DATE) AS valid_to FROM units_df")
    checks: list[str] = []

    def check(cond: str, column: str, code: str, value: str = "NULL", join: str = ""):
        k = len(checks)
        checks.append(f"SELECT _row, {k} AS _k, {_q(column)} AS col, {_q(code)} AS reason_code, "
                      f"CAST({value} AS VARCHAR) AS value FROM src {join} WHERE {cond}")

    iso = "strftime({c}, '%Y-%m-%dT%H:%M:%S')"
    for c in TEXT_COLUMNS:
        if c in types:
            check(f"length({c}) > {MAX_TEXT}", c, "text_too_long", c)
            check(f"regexp_matches({c}, {_q(sql_regex(_FORMULA))})", c, "formula", c)  # Python's \s, \w
            check(f"regexp_matches({c}, {_q(sql_regex(_HTML))})", c, "html", c)
            ctl = _q(_CONTROL if c in CODE_COLUMNS else _CONTROL_NAME)
            check(f"regexp_matches({c}, {ctl})", c, "control_char", f"regexp_replace({c}, {ctl}, '?', 'g')")
    for c in DATE_COLUMNS:
        if c in types:
            check(f"{c} < TIMESTAMP '{MIN_DATE}'", c, "implausible_date", iso.format(c=c))
    for c, (lo, hi, code) in CODED.items():
        if c in types:
            check(f"{c} < {lo} OR {c} > {hi}", c, code, c)
    for c in REQUIRED:
        if c == "ngay_tiep_nhan":
            check(f"{c} IS NULL AND NOT coalesce(trang_thai IN {NOT_RECEIVED_STATUSES} AND ngay_nop IS NOT NULL, "
                  "false)", c, "missing_required")
        else:
            check(f"{c} IS NULL", c, "missing_required")
    check("coalesce(don_vi_xu_ly, don_vi_tiep_nhan) IS NULL", "don_vi_xu_ly", "missing_required")
    check("coalesce(don_vi_xu_ly, don_vi_tiep_nhan) NOT IN (SELECT code FROM units_known)", "ma_don_vi",
          "unknown_unit", "coalesce(don_vi_xu_ly, don_vi_tiep_nhan)")
    # a join on the units with a validity range (codes are unique), not a correlated EXISTS: 2 CPU-s a million rows
    check("CAST(ngay_tiep_nhan AS DATE) < u.valid_from OR CAST(ngay_tiep_nhan AS DATE) > u.valid_to",
          "ma_don_vi", "unit_not_valid", "coalesce(don_vi_xu_ly, don_vi_tiep_nhan)",
          join="JOIN (SELECT * FROM units_known WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL) u "
               "ON u.code = coalesce(don_vi_xu_ly, don_vi_tiep_nhan)")
    for c in END_COLUMNS:
        check(f"CAST({c} AS DATE) < CAST(ngay_tiep_nhan AS DATE)", c, "end_before_received", iso.format(c=c))
    check("CAST(ngay_hoan_thanh_bo_sung AS DATE) < CAST(ngay_yeu_cau_bo_sung AS DATE)", "ngay_hoan_thanh_bo_sung",
          "supplement_end_before_start", iso.format(c="ngay_hoan_thanh_bo_sung"))
    check("CAST(ngay_nop AS DATE) > CAST(ngay_tiep_nhan AS DATE)", "ngay_nop", "submitted_after_received",
          iso.format(c="ngay_nop"))
    check(f"trang_thai IN {FINAL_STATUSES} AND ngay_ket_thuc_xu_ly IS NULL "
          "AND NOT (trang_thai = 10 AND ngay_tra IS NOT NULL)", "ngay_ket_thuc_xu_ly", "missing_end_date",
          "trang_thai")
    con.execute("CREATE OR REPLACE TEMP TABLE probs AS " + " UNION ALL ".join(checks))
    problems = con.execute("SELECT _row AS row, col AS \"column\", reason_code, value FROM probs "
                           "ORDER BY _row, _k").fetchdf()
    problems["value"] = [_shown(v) for v in problems["value"]]
    n = con.execute("SELECT count(*) FROM src").fetchone()[0]
    dates = ", ".join(DATE_COLUMNS)
    cols = [stored_column_sql(c) for c in DOSSIER_COLUMNS]
    metas = [_q(meta["nguon"]), _q(meta["tep_nguon"]), _q(meta["file_hash"]), "_row", f"greatest({dates})",
             str(int(meta["ingest_id"]))]
    con.execute(f"INSERT INTO stg SELECT {', '.join(cols + metas)} FROM src "
                f"WHERE _row NOT IN (SELECT _row FROM probs)")
    con.execute("DROP TABLE src")
    con.execute("DROP TABLE probs")
    con.execute("DROP TABLE units_known")
    return n, problems
