"""Fixtures for render tests: executed report notebooks built with nbformat (see nbfactory)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import nbfactory  # noqa: E402


@pytest.fixture
def report_nb():
    return nbfactory.report_notebook()


@pytest.fixture(scope="module")
def vi_meta():
    return dict(nbfactory.VI_META)
