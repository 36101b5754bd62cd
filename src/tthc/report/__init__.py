"""Report notebooks' package side (spec §10–§11): parameter validation, data slice, HTML tables, charts, formats.

Notebooks call ``r = tthc.report.load(unit, period, window, lang)`` (or ``kind="overview"``) and then display
sections: ``r.header()``, ``r.scorecard()``, ``r.trends()``, ``r.bieu06()``, ``r.index766()``, ``r.dossiers()``,
``r.quality()``; overviews add ``r.league()``, ``r.targets_met()``, ``r.ranking766()``, ``r.bieu06_levels()``,
``r.behind()``. ``r.values()`` prints the canonical indicator values (checked by the nbval goldens).
"""

from __future__ import annotations

from .params import ReportParams, validate  # noqa: F401


def load(unit="X001", period="2025-Q1", window="calendar", lang="vi", kind="unit", ensure=True, rules=None):
    """``rules``: the 766 rules version (the notebooks' ``rules`` parameter); None: the one in force at the period's
    end."""
    from .context import load as _load

    return _load(unit, period, window, lang, kind=kind, ensure=ensure, rules=rules)


def load_overview(unit="H001", period="2025-Q1", window="calendar", lang="vi", ensure=True, rules=None):
    return load(unit, period, window, lang, kind="overview", ensure=ensure, rules=rules)
