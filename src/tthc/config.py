"""The one place that knows where things live.

Paths are resolved from the project root (the folder holding ``pyproject.toml`` and ``params/``), found from the
``TTHC_ROOT`` environment variable, else by walking up from the current directory, else from this file. Notebooks
and commands never hard-code a path: they ask this module.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


def _looks_like_root(p: Path) -> bool:
    return (p / "params").is_dir() and (p / "pyproject.toml").is_file()


@lru_cache(maxsize=None)
def project_root() -> Path:
    env = os.environ.get("TTHC_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for p in (start, *start.parents):
            if _looks_like_root(p):
                return p
    return Path(__file__).resolve().parents[2]


def root() -> Path:
    return project_root()


def params_dir() -> Path:
    return root() / "params"


def data_dir() -> Path:
    return root() / "data"


def raw_dir() -> Path:
    """Exports as received (the synthetic sample writes its export files here)."""
    return data_dir() / "raw"


def interim_dir() -> Path:
    return data_dir() / "interim"


def processed_dir() -> Path:
    """Derived tables (the indicator cube as Parquet)."""
    return data_dir() / "processed"


def quarantine_dir() -> Path:
    return data_dir() / "quarantine"


def outputs_dir() -> Path:
    return root() / "outputs"


def notebooks_dir() -> Path:
    return root() / "notebooks"


def default_warehouse() -> Path:
    return Path(os.environ.get("TTHC_WAREHOUSE") or data_dir() / "warehouse.duckdb")


def default_units() -> Path:
    return Path(os.environ.get("TTHC_UNITS") or params_dir() / "units.yaml")


def calendar_file() -> Path:
    return params_dir() / "calendar.yaml"


def targets_file() -> Path:
    return params_dir() / "targets.yaml"


def index766_file() -> Path:
    return params_dir() / "index766.yaml"


def report_file() -> Path:
    return params_dir() / "report.yaml"


def sources_dir() -> Path:
    return params_dir() / "sources"
