"""Fixtures for the ingest tests (helpers live in ingest_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def wh(tmp_path) -> Path:
    """A fresh warehouse path per test (its quarantine folder is its sibling)."""
    return tmp_path / "wh" / "warehouse.duckdb"
