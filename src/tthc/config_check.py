"""Validate all configuration files at once (``tthc check``)."""

from __future__ import annotations

import importlib

from . import config


def check_all(units=None) -> list[str]:
    from .units import load_registry
    from .workdays import load_calendar

    out = []
    reg = load_registry(units)
    out.append(f"ok  {reg.path}: {len(reg)} units")
    load_calendar()
    out.append(f"ok  {config.calendar_file()}")
    # Each later module contributes its own loader; a missing module is simply not checked yet.
    for mod, fn, path in (("tthc.engine.targets", "load_targets", config.targets_file()),
                          ("tthc.engine.index766", "load_index766", config.index766_file()),
                          ("tthc.ingest.sources", "load_all_sources", config.sources_dir()),
                          ("tthc.report.narrative", "load_templates", config.params_dir() / "narrative.yaml")):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError:
            continue
        loaded = getattr(m, fn)()
        if fn == "load_targets":  # dated rules: no gap, no overlap for any unit of the registry (spec §1)
            problems = loaded.check_coverage(reg)
            if problems:
                from .errors import ConfigError

                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise ConfigError(problems[0] + more)
        out.append(f"ok  {path}")
    return out
