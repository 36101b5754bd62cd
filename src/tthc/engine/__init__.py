"""Indicator engine: lifecycle classification (spec §6), dispatch indicators D1–D7 (§7), Biểu 06 (§8), the 766
index (§9), computed for all units and periods in one DuckDB pass and stored as a Parquet cube.

Entry points: :func:`classify`, :func:`build_cube`, :func:`ensure_cube`; report code reads the cube through
:mod:`tthc.engine.query`.
"""

from .classify import classify
from .cube import build_cube, ensure_cube
from .targets import Rules, load_targets

__all__ = ["classify", "build_cube", "ensure_cube", "Rules", "load_targets"]
