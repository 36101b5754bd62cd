"""What a batch has to do: the units of the period, their stamps, and which runs can be skipped.

Units (spec §2, §10): every unit whose validity overlaps the period and which has counted dossiers in its subtree
(the cube keeps exactly those); a unit with valid children also gets its overview (same folder, same run.json, as
``tthc report`` does). ``--units-list`` restricts the batch to the listed codes.

Incremental runs: a run is skipped when the stamp :func:`tthc.run.compute_stamp` gives for the current inputs equals
the stamp in its ``run.json`` and every output that run.json lists still exists. The expensive parts of the stamp are
computed once per batch: package/environment hashes are cached by :mod:`tthc.run`, and the data slice of every unit
(:func:`tthc.report.data.slice_hash`) is computed here from one read of each cube table instead of one per unit.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import config
from ..errors import ParameterError

from ..slicecache import (CUBE_TABLES, _valid_hashes, cube_signature, lookup_slice_hash, read_json,  # noqa: F401
                          slice_cache_file)


@dataclass
class Plan:
    period: str
    window: str
    lang: str
    out_root: Path
    runs: list[dict] = field(default_factory=list)       # specs to execute
    skipped: list[dict] = field(default_factory=list)    # up-to-date runs: {id, unit, out_dir, stamp}
    units: list[str] = field(default_factory=list)
    cube_rebuilt: bool = False
    timing: dict = field(default_factory=dict)


def slice_hashes(unit_sets: dict[str, list[str]], period: str, window: str, directory: Path | None = None
                 ) -> dict[str, str]:
    """:func:`tthc.report.data.slice_hash` for many units at once (one Parquet read per cube table).

    Must give byte-for-byte the same hashes (a test checks it, and :func:`cached_slice_hashes` checks one unit
    against the report's own function on every recomputation and falls back to it if they differ)."""
    import pyarrow.parquet as pq

    from ..report.data import cube_dir, slice_periods

    directory = Path(directory) if directory else cube_dir()
    periods = slice_periods(period)  # a code or a parsed Period
    tables = {}
    for name in CUBE_TABLES:
        f = directory / f"{name}.parquet"
        tables[name] = (pq.read_table(f, filters=[("period", "in", periods), ("window", "=", window)]).to_pandas()
                        if f.exists() else None)
    # Each table is sorted and written as CSV once; a unit set's text is the header plus its rows' lines, in the
    # sorted order — the same bytes as sorting and writing the subset (a subsequence of a stably sorted table is
    # sorted the same way, and CSV formats each value on its own).
    prepared = {}
    for name, df in tables.items():
        if df is None:
            continue
        df = df[sorted(df.columns)]
        df = df.sort_values(list(df.columns), kind="stable").reset_index(drop=True)
        text = df.to_csv(index=False, lineterminator="\n")
        header, _, body = text.partition("\n")
        lines = body.split("\n")[:-1] if body else []
        if len(lines) != len(df):  # a value with a line break: rows are not lines, fall back to one write per set
            prepared[name] = (df, None, None)
        else:
            prepared[name] = (df, header, np.asarray(lines, dtype=object))
    out = {}
    for key, units in unit_sets.items():
        h = hashlib.sha256()
        for name in CUBE_TABLES:
            if name not in prepared:
                h.update(f"{name}:missing".encode())
                continue
            df, header, lines = prepared[name]
            mask = df["unit"].isin(units).to_numpy()
            h.update(name.encode())
            if lines is None:
                h.update(df[mask].to_csv(index=False, lineterminator="\n").encode("utf-8"))
            else:
                h.update(("\n".join([header, *lines[mask]]) + "\n").encode("utf-8"))
        out[key] = h.hexdigest()
    return out


def cached_slice_hashes(unit_sets: dict[str, list[str]], period, window: str, cache_file: Path | None = None,
                        directory: Path | None = None) -> dict[str, str]:
    """:func:`slice_hashes`, remembered in ``cache_file`` (default :func:`tthc.slicecache.slice_cache_file`, where
    a report finds it) for as long as the cube files are the same ones: a re-run with nothing changed reads no
    Parquet at all. ``period``: a code or a parsed Period."""
    code = getattr(period, "code", period)
    cache_file = Path(cache_file) if cache_file else slice_cache_file(code, directory)
    sig = cube_signature(directory)
    key = f"{code}|{window}"
    cache = read_json(cache_file) or {}
    known = _valid_hashes(cache, key, sig)
    want = {u: ",".join(s) for u, s in unit_sets.items()}
    out = {u: known[u]["hash"] for u in want if u in known and known[u].get("units") == want[u]}
    missing = {u: unit_sets[u] for u in want if u not in out}
    if missing:
        fresh = slice_hashes(missing, period, window, directory)
        probe = min(missing, key=lambda u: len(missing[u]))  # the guard below re-hashes one slice: the smallest
        from ..report.data import slice_hash

        if slice_hash(missing[probe], period, window, directory) != fresh[probe]:
            # the report's formula changed and this copy of it did not follow: be right rather than fast
            fresh = {u: slice_hash(s, period, window, directory) for u, s in missing.items()}
        out.update(fresh)
        hashes = dict(known)
        hashes.update({u: {"hash": out[u], "units": want[u]} for u in missing})
        cache[key] = {"cube": sig, "hashes": hashes}
        try:
            from . import atomic

            atomic.write_text(cache_file, json.dumps(cache), fsync=False)
        except OSError:
            pass
    return out


def period_units(period: str, window: str, directory: Path | None = None) -> list[str]:
    """Units the cube reports for the period (validity overlaps it, counted dossiers in the subtree)."""
    import pyarrow.parquet as pq

    from ..report.data import cube_dir

    f = Path(directory or cube_dir()) / "counts.parquet"
    if not f.exists():
        return []
    t = pq.read_table(f, columns=["unit", "n_tong"], filters=[("period", "=", period), ("window", "=", window)])
    df = t.to_pandas()
    return sorted(set(df.loc[df["n_tong"] > 0, "unit"]))


def outputs_exist(out_dir: Path, record: dict) -> bool:
    names = record.get("outputs") or []
    return bool(names) and all((out_dir / n).is_file() for n in names)


def is_up_to_date(out_dir: Path, stamp: str) -> bool:
    rec = read_json(out_dir / "run.json")
    return bool(rec and rec.get("status") == "ok" and rec.get("stamp") == stamp and outputs_exist(out_dir, rec))


def env_for_workers() -> dict[str, str]:
    """The documented locations the workers and their kernels must share with this process (absolute paths); the
    run settings travel as :class:`tthc.settings.RunSettings`, not in the environment."""
    env = {"TTHC_ROOT": str(config.project_root())}
    for var in ("TTHC_WAREHOUSE", "TTHC_UNITS"):
        if os.environ.get(var):
            env[var] = os.path.abspath(os.environ[var])
    return env


def plan_batch(period, window: str = "calendar", lang: str = "vi", out_root=None, units_list=None,
               force: bool = False, formats=("ipynb", "html", "pdf"), xlsx: bool = True, ensure: bool = True,
               registry=None, echo=None, settings=None) -> Plan:
    """The plan of a batch. ``period``: a code, or the :class:`tthc.periods.Period` the command parsed (then it is
    not parsed again); ``settings``: the :class:`tthc.settings.RunSettings` every run spec carries."""
    from .. import run as tthc_run
    from ..periods import Period, check_window, parse_period
    from ..report.params import check_lang
    from ..settings import RunSettings
    from ..units import load_registry

    t0 = time.perf_counter()
    settings = settings or RunSettings()
    p = period if isinstance(period, Period) else parse_period(period)
    window = check_window(window)
    lang = check_lang(lang)
    reg = registry if registry is not None else load_registry()
    out_root = Path(out_root) if out_root else config.outputs_dir()
    plan = Plan(period=p.code, window=window, lang=lang, out_root=out_root)
    warehouse_hash = None
    if units_list:  # bad codes are rejected before anything runs (sample generation, cube)
        from ..report.params import check_unit

        for u in (units_list.split(",") if isinstance(units_list, str) else units_list):
            if u and u.strip():
                try:
                    check_unit(u.strip(), p, window, reg)  # the same rule as `tthc report`
                except ParameterError as e:
                    raise ParameterError(f"--units-list: {e}") from None
    if ensure:
        from ..bootstrap import ensure_data

        done = ensure_data(verbose=echo is not None, period=p)
        plan.cube_rebuilt = bool(done.get("cube_rebuilt"))
        warehouse_hash = (done.get("cube_meta") or {}).get("warehouse_hash")
    plan.timing["ensure_data"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    units = period_units(p.code, window)
    if units_list:
        wanted = [u.strip() for u in (units_list.split(",") if isinstance(units_list, str) else units_list)
                  if u and u.strip()]
        units = list(dict.fromkeys(wanted))
    plan.units = units
    params = {u: _validate(u, p, window, lang, reg, settings.rules766) for u in units}
    subtree = {u: [u, *reg.descendants(u)] for u in units}
    hashes = cached_slice_hashes(subtree, p, window)  # where the reports find them (tthc.slicecache)
    nb_dir = config.notebooks_dir()
    env = env_for_workers()
    for u in units:
        overview = tthc_run.has_children(u, p, window, reg)
        notebooks = [nb_dir / tthc_run.NOTEBOOKS["unit"]] + ([nb_dir / tthc_run.NOTEBOOKS["overview"]]
                                                             if overview else [])
        st = tthc_run.compute_stamp(params[u], notebooks, hashes[u])
        out_dir = out_root / p.code / u
        base = dict(id=f"{p.code}/{u}", unit=u, period=p.code, window=window, lang=lang, kind="unit",
                    out_dir=str(out_dir), out_root=str(out_root), stamp=st["stamp"])
        if not force and is_up_to_date(out_dir, st["stamp"]):
            plan.skipped.append(base)
            continue
        plan.runs.append(dict(base, pipeline=settings.test_pipeline or "tthc", overview=overview,
                              stamp_parts=st["parts"], data_hash=hashes[u], warehouse_hash=warehouse_hash,
                              formats=list(formats), xlsx=xlsx, env=env, settings=settings.as_dict(),
                              cwd=str(config.project_root())))
    plan.timing["stamps"] = time.perf_counter() - t1
    plan.timing["total"] = time.perf_counter() - t0
    return plan


def _validate(unit, period, window, lang, reg, rules=None):
    from ..report.params import validate

    return validate(unit, period, window, lang, kind="unit", registry=reg, rules=rules)
