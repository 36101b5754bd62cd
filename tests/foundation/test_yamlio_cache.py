"""The parse cache shared by the configuration loaders (``tthc.yamlio.load_parsed``)."""

from __future__ import annotations

import os

import pytest

from tthc.errors import ConfigError
from tthc.yamlio import load_parsed

CALLS: list[str] = []


def _parse(doc, path):
    CALLS.append(str(path))
    return dict(doc)


def test_same_object_while_the_bytes_are_unchanged(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("x: 1\n", encoding="utf-8")
    CALLS.clear()
    first = load_parsed(p, _parse)
    assert load_parsed(p, _parse) is first and CALLS == [str(p)]
    st = p.stat()
    p.write_text("x: 2\n", encoding="utf-8")  # same size, and the old mtime put back: content decides
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert load_parsed(p, _parse) == {"x": 2} and len(CALLS) == 2


def test_missing_file_names_it_and_is_not_cached(tmp_path):
    with pytest.raises(ConfigError, match="none.yaml: file not found"):
        load_parsed(tmp_path / "none.yaml", _parse)


def test_loaders_share_it(tmp_path):
    """Calendar, targets, index766 and the registry return the same object on a second call."""
    from tthc.engine.index766 import load_index766
    from tthc.engine.targets import load_targets
    from tthc.units import load_registry
    from tthc.workdays import load_calendar

    for load in (load_calendar, load_targets, load_index766, load_registry):
        assert load() is load()
