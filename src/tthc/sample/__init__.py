"""Synthetic Thanh Hà-like sample (issue "Foundation", item 4). See docs/sample.md.

- :func:`generate_frame` — ``n`` dossiers in canonical columns, vectorised (10 M rows in ~15 s, < 3 GB).
- :func:`write_sample` — the same frame written as real export files (DVCQG JSON + one-stop XLSX, with fake
  personal data) or as canonical Parquet.
- :func:`build_sample` — write, then ingest through :func:`tthc.ingest.ingest_files` and mark the warehouse as
  synthetic (table ``dataset_info``).
- :func:`is_synthetic` — does a warehouse hold sample data? (the report banner "DỮ LIỆU MẪU – mô phỏng", spec §10)
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from .exports import JSON_NAME, PARQUET_NAME, SAMPLE_FILES, XLSX_NAME, split_units, write_json, write_xlsx
from .frame import END, START, data_units, generate_frame, unit_profiles
from .personal import personal_columns

__all__ = ["generate_frame", "write_sample", "build_sample", "is_synthetic", "mark_synthetic", "default_out_dir",
           "unit_profiles", "data_units", "personal_columns", "START", "END", "SAMPLE_FILES", "JSON_NAME",
           "XLSX_NAME", "PARQUET_NAME", "DEFAULT_DOSSIERS", "DEFAULT_SEED"]

DEFAULT_DOSSIERS = 30_000
DEFAULT_SEED = 20250331  # the date of dispatch 353/UBND-VP
XLSX_MAX_ROWS = 1_048_576 - 3


def default_out_dir() -> Path:
    """``data/raw/sample`` under the project root."""
    return config.raw_dir() / "sample"


def write_sample(out_dir: Path | str | None = None, n: int = DEFAULT_DOSSIERS, seed: int = DEFAULT_SEED,
                 units=None, fmt: str = "exports", calendar=None) -> list[Path]:
    """Generate ``n`` dossiers and write them under ``out_dir``; returns the written files.

    ``fmt="exports"``: ``dvcqg_sample.json`` (units at even positions of the sorted code list) and
    ``motcua_sample.xlsx`` (the others), both with fake personal data. ``fmt="parquet"``: one canonical
    ``sample_dossiers.parquet`` without personal data (the path for the 10 M benchmark).
    """
    from ..errors import InputError
    from ..units import Registry, load_registry

    if fmt not in ("exports", "parquet"):
        raise InputError(f"--format {fmt!r}: use exports or parquet")
    reg = units if isinstance(units, Registry) else load_registry(units)
    out = Path(out_dir) if out_dir else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    df = generate_frame(n, seed=seed, units=reg, calendar=calendar)
    if fmt == "parquet":
        path = out / PARQUET_NAME
        df.to_parquet(path, index=False, compression="zstd")
        return [path]
    js_units, xl_units = split_units(sorted(df["ma_don_vi"].cat.categories))
    in_json = df["ma_don_vi"].astype(str).isin(js_units).to_numpy()
    if (~in_json).sum() > XLSX_MAX_ROWS:
        raise InputError(f"--dossiers {n}: the XLSX half would exceed Excel's 1,048,576 rows; "
                         "use --format parquet for large samples")
    pers = personal_columns(df, seed, {u.code: u.name for u in reg})
    paths = [write_json(df[in_json], pers[in_json], out / JSON_NAME),
             write_xlsx(df[~in_json], pers[~in_json], out / XLSX_NAME)]
    return paths


def mark_synthetic(warehouse=None, **info) -> None:
    """Record in table ``dataset_info(key, value)`` that the warehouse holds the synthetic sample."""
    from .. import warehouse as wh

    wpath = wh.warehouse_path(warehouse)
    with wh.write_lock(wpath):
        con = wh.connect(wpath)
        try:
            con.execute("CREATE TABLE IF NOT EXISTS dataset_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for k, v in {"synthetic": "true", **info}.items():
                con.execute("INSERT OR REPLACE INTO dataset_info VALUES (?, ?)", [k, str(v)])
        finally:
            con.close()


def is_synthetic(con) -> bool:
    """True when the warehouse (an open DuckDB connection) holds sample data: ``dataset_info.synthetic = 'true'``
    or any dossier whose source file is one of the sample files (``dossiers.tep_nguon``)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "dataset_info" in tables:
        r = con.execute("SELECT value FROM dataset_info WHERE key = 'synthetic'").fetchone()
        if r and str(r[0]).lower() == "true":
            return True
    if "dossiers" in tables:
        names = ", ".join(f"'{f}'" for f in SAMPLE_FILES)
        r = con.execute(f"SELECT 1 FROM dossiers WHERE tep_nguon IN ({names}) LIMIT 1").fetchone()
        return r is not None
    return False


def build_sample(out_dir=None, n: int = DEFAULT_DOSSIERS, seed: int = DEFAULT_SEED, units=None,
                 fmt: str = "exports", ingest: bool = True, warehouse=None, echo=None):
    """Write the sample, then (unless ``ingest=False``) ingest it and mark the warehouse synthetic.

    Returns ``(paths, ingest_results)``."""
    from ..units import Registry, load_registry

    reg = units if isinstance(units, Registry) else load_registry(units)
    paths = write_sample(out_dir, n=n, seed=seed, units=reg, fmt=fmt)
    results = []
    if ingest:
        from ..ingest import ingest_files

        results = ingest_files(paths, source="parquet" if fmt == "parquet" else None, warehouse=warehouse,
                               units=reg, echo=echo)
        mark_synthetic(warehouse, sample_seed=seed, sample_dossiers=n)
    return paths, results
