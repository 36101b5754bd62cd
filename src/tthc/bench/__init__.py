"""Benchmarks behind ``tthc bench`` (one module per part): ``cube`` (the indicator engine), ``batch`` (report batch
against the naive and the competent-peer way), ``scale`` (a synthetic province of many units over 12 months, local
pool and Dask), ``ingest`` (a 1,000,000-row export beside a plain DuckDB read); ``ratios`` holds the pure arithmetic
every part reports with."""

from __future__ import annotations

from pathlib import Path


def write_result(res: dict, part: str, out=None, echo=print) -> Path:
    """Write a part's result as ``outputs/bench/<part>.json`` (or ``out``), say so, and note the path in ``res``."""
    import json

    from .. import config

    out = Path(out) if out else config.outputs_dir() / "bench" / f"{part}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=float), encoding="utf-8")
    echo(f"wrote {out}")
    res["out"] = str(out)
    return out
