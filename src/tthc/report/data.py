"""Load the slice of the cube (and the few warehouse facts) one report needs, through :mod:`tthc.engine.query`.

``ensure_data()`` makes "Run All" work on a fresh clone: when no warehouse (or an empty one) exists it runs the
synthetic sample (``tthc sample``) and builds the cube, saying so on stdout.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import config
from ..periods import parse_period

CUBE_TABLES = ("counts", "indicators", "bieu06", "index766", "index766_total")
#: months shown by the trend section (the period's last month and the 11 before it)
TREND_MONTHS = 12


def _say(msg: str) -> None:
    print(f"tthc: {msg}", file=sys.stderr, flush=True)


def warehouse_has_data(path: Path | None = None) -> bool:
    path = Path(path) if path else config.default_warehouse()
    if not path.exists():
        return False
    from ..warehouse import WarehouseError, open_duckdb

    try:
        con = open_duckdb(path, read_only=True, wait=0)  # a damaged or foreign file: one line, here
    except WarehouseError as e:
        if e.kind != "locked":
            raise
        return True  # locked by a writer: it exists and is being filled; do not regenerate over it
    try:
        n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'dossiers'").fetchone()[0]
        return bool(n) and con.execute("SELECT count(*) FROM dossiers").fetchone()[0] > 0
    finally:
        con.close()


def ensure_data(verbose: bool = True) -> dict:
    """Sample data if nothing was ingested, then the cube if missing or stale. Returns what was done.

    A batch that already checked the cube for all its reports sets ``TTHC_CUBE_READY`` (the warehouse hash), and
    each report then skips the check."""
    import os

    done = {"sample": False, "cube_rebuilt": False}
    if os.environ.get("TTHC_CUBE_READY"):
        done["cube_meta"] = {"warehouse_hash": os.environ["TTHC_CUBE_READY"], "rebuilt": False}
        return done
    wh = config.default_warehouse()
    if not warehouse_has_data(wh):
        if verbose:
            _say(f"no data ingested in {wh}: generating and ingesting the synthetic sample (tthc sample) …")
        from ..cli import main as cli_main

        rc = cli_main(["sample"])
        if rc:
            from ..errors import TthcError

            raise TthcError(f"tthc sample failed (exit {rc}); run it by hand to see why")
        done["sample"] = True
    from ..engine.cube import ensure_cube

    meta = ensure_cube(str(wh))
    done["cube_rebuilt"] = bool(meta.get("rebuilt"))
    if verbose and done["cube_rebuilt"]:
        _say(f"built the indicator cube in {config.processed_dir() / 'cube'}")
    done["cube_meta"] = meta
    return done


def cube_dir() -> Path:
    from ..engine.cube import default_cube_dir

    return default_cube_dir()


def slice_periods(period: str) -> list[str]:
    """The period, its previous period and the 12 trailing months: what a report reads."""
    p = parse_period(period)
    return sorted({p.code, p.previous().code, *(m.code for m in p.trailing_months(12))})


def slice_hash(units: list[str], period: str, window: str, directory: Path | None = None) -> str:
    """sha256 over the cube rows of ``units`` for the periods a report reads (cheap: Parquet with filters)."""
    import pyarrow.parquet as pq

    directory = Path(directory) if directory else cube_dir()
    h = hashlib.sha256()
    periods = slice_periods(period)
    for name in CUBE_TABLES:
        f = directory / f"{name}.parquet"
        if not f.exists():
            h.update(f"{name}:missing".encode())
            continue
        t = pq.read_table(f, filters=[("unit", "in", units), ("period", "in", periods), ("window", "=", window)])
        df = t.to_pandas()
        df = df[sorted(df.columns)]
        df = df.sort_values(list(df.columns), kind="stable").reset_index(drop=True)  # independent of file order
        h.update(name.encode())
        h.update(df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return h.hexdigest()


def report_slice_hash(units: list[str], period: str, window: str) -> str:
    """:func:`slice_hash` of a report, taken from the batch's slice-hash cache when the batch names it
    (``TTHC_SLICE_CACHE``) and it still matches the cube files; computed otherwise."""
    import os

    cache = os.environ.get("TTHC_SLICE_CACHE")
    if cache:
        from ..batch.plan import lookup_slice_hash

        try:
            hit = lookup_slice_hash(Path(cache), units, period, window)
        except (OSError, ValueError):
            hit = None
        if hit:
            return hit
    return slice_hash(units, period, window)


@dataclass
class Slice:
    """Everything one report shows, as DataFrames straight from the engine (values in %, counts as integers)."""

    indicators: pd.DataFrame                   # this unit (and for an overview, its children) for the period
    trend: pd.DataFrame | None = None
    bieu06: pd.DataFrame | None = None
    index766: pd.DataFrame | None = None
    index766_summary: dict = field(default_factory=dict)
    overdue: pd.DataFrame | None = None
    due_soon: pd.DataFrame | None = None
    quality: dict = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    children766: pd.DataFrame | None = None    # overview: one row per child with score, computable_max, band
    bieu06_all: pd.DataFrame | None = None     # overview: rows of the unit and all descendants


def load_slice(unit: str, period: str, window: str, kind: str, registry, con, lang: str = "vi") -> Slice:
    from ..engine import query as q

    ind_all = q.indicators(period, window, units=[unit])
    s = Slice(indicators=ind_all)
    s.trend = q.trend(unit, period, window, months=TREND_MONTHS)
    s.bieu06 = q.bieu06(period, window, unit=unit)
    s.index766 = q.index766(unit, period, window)
    s.index766_summary = dict(q.index766_summary(unit, period, window, lang=lang) or {})
    cls = q.classified(con, unit, period, window)  # one classification for the three dossier-level sections
    s.overdue = q.dossiers(con, unit, period, window, kind="overdue", classified_df=cls)
    s.due_soon = q.dossiers(con, unit, period, window, kind="due_soon", classified_df=cls)
    s.quality = dict(q.data_quality(con, unit, period, window, classified_df=cls) or {})
    if kind == "overview":
        kids = registry.children(unit)
        s.indicators = q.indicators(period, window, units=[unit, *kids])
        present = list(dict.fromkeys(s.indicators["unit"]))
        s.children = [k for k in kids if k in present]
        scores = q.index766_scores(period, window)
        s.children766 = scores[scores["unit"].isin(s.children)].reset_index(drop=True)
        desc = [unit, *registry.descendants(unit)]
        b = q.bieu06(period, window)
        s.bieu06_all = b[b["unit"].isin(desc)].reset_index(drop=True)
    return s
