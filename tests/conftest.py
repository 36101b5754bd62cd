"""Shared fixtures. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TTHC_ROOT", str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def calendar():
    from tthc.workdays import load_calendar

    return load_calendar(ROOT / "params" / "calendar.yaml")


@pytest.fixture(scope="session")
def registry():
    from tthc.units import load_registry

    return load_registry(ROOT / "params" / "units.yaml")
