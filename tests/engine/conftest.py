"""Engine fixtures."""

from __future__ import annotations

import pytest

from engine_fixtures import SMALL_UNITS, make_con
from tthc.units import parse_registry


@pytest.fixture
def small_registry():
    return parse_registry(SMALL_UNITS, "small_units.yaml")


@pytest.fixture
def con_factory():
    made = []

    def make(rows, path=None):
        c = make_con(rows, path)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
