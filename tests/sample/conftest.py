"""Fixtures for the sample generator tests: one default-size frame and one small set of export files per session."""

from __future__ import annotations

import pytest

SMALL_N = 5000
SMALL_SEED = 7


@pytest.fixture(scope="session")
def frame(registry, calendar):
    from tthc.sample import DEFAULT_DOSSIERS, DEFAULT_SEED, generate_frame

    return generate_frame(DEFAULT_DOSSIERS, seed=DEFAULT_SEED, units=registry, calendar=calendar)


@pytest.fixture(scope="session")
def exports(tmp_path_factory, registry):
    """(out_dir, [json_path, xlsx_path]) for SMALL_N dossiers, seed SMALL_SEED."""
    from tthc.sample import write_sample

    out = tmp_path_factory.mktemp("sample_exports")
    return out, write_sample(out, n=SMALL_N, seed=SMALL_SEED, units=registry)


@pytest.fixture(scope="session")
def small_frame(registry):
    from tthc.sample import generate_frame

    return generate_frame(SMALL_N, seed=SMALL_SEED, units=registry)
