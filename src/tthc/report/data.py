"""Load the slice of the cube (and the few warehouse facts) one report needs, through :mod:`tthc.engine.query`.

Only reads: making the data (the synthetic sample on a fresh clone, the cube after an ingest) is the explicit step
:func:`tthc.bootstrap.ensure_data`, run by the command layer (``tthc report``, ``tthc batch``, ``make install``)
before a report. :func:`require_data` says in one line what to run when there is nothing to read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import config
from ..periods import Period, parse_period

from ..slicecache import CUBE_TABLES  # noqa: F401 - one home (tthc.slicecache)
#: months shown by the trend section (the period's last month and the 11 before it)
TREND_MONTHS = 12


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


def require_data() -> None:
    """Raise a one-line :class:`tthc.errors.InputError` when there is no ingested data or no cube to read."""
    from ..engine.cube import default_cube_dir
    from ..errors import InputError

    if (default_cube_dir() / "meta.json").exists():  # a cube is only ever built from ingested data
        return
    wh = config.default_warehouse()
    if not warehouse_has_data(wh):
        raise InputError(f"{wh}: no data ingested; run `tthc sample` (synthetic sample) or `tthc ingest` first "
                         f"(`make install` and `tthc report` do it for you)")
    raise InputError(f"{default_cube_dir()}: no indicator cube; run `tthc cube` first")


def cube_dir() -> Path:
    from ..engine.cube import default_cube_dir

    return default_cube_dir()


def slice_periods(period: str) -> list[str]:
    """The period (a code or a parsed :class:`Period`), its previous period and the 12 trailing months: what a report
    reads."""
    p = period if isinstance(period, Period) else parse_period(period)
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
    """:func:`slice_hash` of a report, taken from the batch's slice-hash cache beside the cube
    (:func:`tthc.slicecache.slice_cache_file`, found from the warehouse and period) when it holds these units and
    still matches the cube files; computed otherwise. Only reads."""
    from ..slicecache import lookup_slice_hash

    try:
        hit = lookup_slice_hash(None, units, period, window)
    except (OSError, ValueError):
        hit = None
    return hit or slice_hash(units, period, window)


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
    reception: pd.DataFrame | None = None      # flows received at one unit for another (unit, or whole subtree)
    portal: object = None                      # reconciliation with the portal's 766 figures (None: none imported)


def load_slice(unit: str, period: str, window: str, kind: str, registry, con, lang: str = "vi",
               rules: str | None = None) -> Slice:
    """The report's slice; ``rules``: the 766 rules version to score the index with (None: the cube's, i.e. the
    version in force at the period's end)."""
    from ..engine import query as q

    ind_all = q.indicators(period, window, units=[unit])
    s = Slice(indicators=ind_all)
    s.trend = q.trend(unit, period, window, months=TREND_MONTHS)
    s.bieu06 = q.bieu06(period, window, unit=unit)
    s.index766 = q.index766(unit, period, window, rules=rules)
    s.index766_summary = dict(q.index766_summary(unit, period, window, lang=lang, rules=rules) or {})
    cls = q.classified(con, unit, period, window)  # one classification for the three dossier-level sections
    s.overdue = q.dossiers(con, unit, period, window, kind="overdue", classified_df=cls)
    s.due_soon = q.dossiers(con, unit, period, window, kind="due_soon", classified_df=cls)
    s.quality = dict(q.data_quality(con, unit, period, window, classified_df=cls) or {})
    s.reception = q.reception(con, [unit, *registry.descendants(unit)] if kind == "overview" else [unit], period,
                              window)
    if kind == "overview":
        kids = registry.children(unit)
        s.indicators = q.indicators(period, window, units=[unit, *kids])
        present = list(dict.fromkeys(s.indicators["unit"]))
        s.children = [k for k in kids if k in present]
        scores = q.index766_scores(period, window, rules=rules)
        s.children766 = scores[scores["unit"].isin(s.children)].reset_index(drop=True)
        desc = [unit, *registry.descendants(unit)]
        b = q.bieu06(period, window)
        s.bieu06_all = b[b["unit"].isin(desc)].reset_index(drop=True)
    return s
