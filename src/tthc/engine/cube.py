"""The indicator cube: every unit × period × window × indicator in one DuckDB pass (spec §6–§9).

Counting happens once per (period, attributed unit, field) over the dossier × period range join; the result is
rolled up to every ancestor through ``Registry.descendant_pairs()`` (a parent's figures = sum over its subtree,
itself included), then turned into indicators, Biểu 06 rows and 766 scores with vectorised pandas. Output:
``counts``, ``indicators``, ``bieu06``, ``index766`` DataFrames, written as Parquet with a ``meta.json`` stamp.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..periods import WINDOWS, Period, check_window, parse_period, periods_covering
from ..units import Registry, load_registry
from ..workdays import WorkCalendar, load_calendar
from . import index766 as i766
from . import sql
from .sql import catalogue_hash  # noqa: F401 - one home: tthc.engine.sql
from .classify import connection, resolve_rules
from .targets import (CHUA_DAT, DAT, INDICATORS, KHONG_DU_LIEU, Targets, gap, load_targets, pct_half_up,
                      round_half_up, status)

ENGINE_VERSION = "3"  # 2: hand-over of pending dossiers to successors (spec §2); 3: 766 rules by version
UNKNOWN_FIELD = ""  # ma_linh_vuc of the "unknown field" row of Biểu 06
UNKNOWN_FIELD_NAME = "Lĩnh vực chưa xác định"
TOTAL_FIELD = "TONG"

from .counters import COUNTERS, counter_sql, filter_sql  # noqa: E402,F401 - one home, shared with events and days

# extra (no-target) indicators: id → (numerator counter, denominator counter or None, kind, better)
EXTRA = {
    "ON_TIME": ("n_dung_han_hoac_truoc", "n_da_gq", "rate", "higher"),
    "BO_SUNG": ("n_moi_bo_sung", "n_moi", "rate", "lower"),
    "AVG_DAYS": ("sum_ngay_gq", "n_ngay_gq", "mean", "lower"),
    "DUE_SOON": ("n_sap_den_han", None, "count", None),
    "OVERDUE_APOLOGY": ("n_qua_han_xin_loi", "n_qua_han", "count", None),
    "OVERDUE_NO_APOLOGY": ("n_qua_han_khong_xin_loi", "n_qua_han", "count", None),
}
RATE_SPEC = {  # D-indicator → (numerator, denominator)
    "D1": ("n_moi_truc_tuyen", "n_moi"),
    "D2": ("n_moi_co_phi_tt", "n_moi_co_phi"),
    "D3": ("n_moi_so_hoa", "n_moi"),
    "D4": ("n_gq_kq_dien_tu", "n_da_gq"),
    "D5": ("n_qua_han", "n_tong"),
    "D6": ("n_gq_danh_gia", "n_da_gq"),
    "D7": ("n_moi_tai_su_dung", "n_moi"),
    "D8": ("n_tra_lai", "n_moi_d8"),
}
# D8 (spec §7), dossiers returned to the applicant: status 3 (not received; the one place they count) dated by
# ngay_tiep_nhan, else ngay_nop, in the period — counted apart from the classified dossiers, per (period, unit) —
# plus status 8 (stopped) ended in the period (n_gq_dung); denominator new dossiers + those status-3 dossiers
NOT_RECEIVED_COUNTER = "n_khong_tiep_nhan"


def cube_dir_for(warehouse=None) -> Path:
    """The cube of a warehouse (one cube per warehouse, never shared): ``data/processed/cube`` for the project's
    ``data/warehouse.duckdb``, otherwise the folder ``<name>.cube/`` beside the warehouse file."""
    wh = Path(warehouse) if warehouse else config.default_warehouse()
    if wh.resolve() == (config.data_dir() / "warehouse.duckdb").resolve():
        return config.processed_dir() / "cube"
    return wh.parent / f"{wh.stem}.cube"


def default_cube_dir() -> Path:
    """The cube of the default warehouse (``--warehouse`` / TTHC_WAREHOUSE), see :func:`cube_dir_for`."""
    return cube_dir_for(None)


def _as_periods(periods) -> list[Period]:
    return [p if isinstance(p, Period) else parse_period(p) for p in periods]


def expand_periods(periods: list[Period]) -> list[Period]:
    """The periods asked for, plus their previous periods and the 12 months ending with each (trends)."""
    out = []
    for p in periods:
        out += [p, p.previous(), *p.trailing_months(12)]
    return sorted(set(out), key=lambda p: (p.bounds("calendar"), p.kind))


def data_span(con) -> tuple[date, date] | None:
    row = con.execute("""SELECT min(CAST(ngay_tiep_nhan AS DATE)),
                                max(greatest(CAST(ngay_tiep_nhan AS DATE),
                                    coalesce(CAST(ngay_ket_thuc_xu_ly AS DATE), CAST(ngay_tiep_nhan AS DATE))))
                         FROM dossiers WHERE trang_thai NOT IN (1, 3)""").fetchall()[0]
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def default_periods(con) -> list[Period]:
    """Every month, quarter, half, 9M and year overlapping the data."""
    span = data_span(con)
    return periods_covering(*span) if span else []


def content_hash(con) -> str:
    """Fingerprint of the ``dossiers`` content: ``tthc.warehouse.dossiers_signature`` (the formula of
    ``tthc.warehouse.content_hash``, so cube meta and run records agree), computed on the open connection."""
    from ..warehouse import dossiers_signature

    return dossiers_signature(con)


def config_stamp(registry: Registry, rules, extra: str = "") -> str:
    h = hashlib.sha256()
    for p in (config.targets_file(), config.index766_file(), config.calendar_file()):
        h.update(p.read_bytes() if p.exists() else b"-")
    if registry.path and Path(registry.path).exists():
        h.update(Path(registry.path).read_bytes())
    else:
        h.update(repr(sorted((u.code, u.parent, u.level, str(u.valid_from), str(u.valid_to), u.successors)
                             for u in registry)).encode())
    hmap = getattr(registry, "handover_map", None)
    h.update(f"handover={getattr(registry, 'handover', True)}".encode())
    if hmap is not None and Path(hmap).exists():
        h.update(Path(hmap).read_bytes())
    h.update(f"{ENGINE_VERSION}|{rules.stamp()}|{extra}".encode())
    return h.hexdigest()[:16]


def _registry_frames(registry: Registry) -> tuple[pd.DataFrame, pd.DataFrame]:
    pairs = pd.DataFrame(registry.descendant_pairs(), columns=["ancestor", "unit"])
    units = pd.DataFrame([dict(unit=u.code, unit_name=u.name, level=u.level, parent=u.parent,
                               valid_from=u.valid_from, valid_to=u.valid_to or date(9999, 12, 31)) for u in registry])
    return pairs, units


def fine_reference_sql(rules, catalogue: bool, where: str = "", ho=None) -> str:
    """Counters per (pkey, attributed unit, field, field name) over the dossier × period join (reference); the
    unit is the one holding the dossier at the period end (hand-over ``ho``, :mod:`tthc.engine.handover`)."""
    from .handover import NONE

    aggs = ",\n      ".join(f"{e} AS {k}" for k, e in counter_sql().items())
    return sql.classified_sql(rules, catalogue=catalogue, where=where, ho=ho or NONE) + f"""
        SELECT pkey, ma_don_vi AS unit, coalesce(nullif(trim(ma_linh_vuc), ''), '{UNKNOWN_FIELD}') AS ma_linh_vuc,
               ten_linh_vuc, {aggs}
        FROM tthc_cls GROUP BY ALL"""


def build_cube(con_or_path=None, registry: Registry | None = None, periods=None, windows=WINDOWS,
               out_dir=None, calendar: WorkCalendar | None = None, rules=None, targets: Targets | None = None,
               write: bool = True, stamp: str | None = None, method: str = "events") -> dict[str, pd.DataFrame]:
    """Compute the whole cube in one pass; write Parquet to ``out_dir`` (default processed/cube) when ``write``.

    ``periods``: codes or Period objects (each gets its previous period and trailing 12 months added); default:
    every period overlapping the data. Returns dict with ``counts``, ``indicators``, ``bieu06``, ``index766``,
    ``index766_total`` and ``timing`` (seconds per step). ``method``: "events" (prefix sums, see
    :mod:`tthc.engine.events`) or "reference" (the dossier × period join; same results, slower, kept for tests).
    """
    if method not in ("events", "reference"):
        raise ValueError(f"method must be 'events' or 'reference', not {method!r}")
    t0 = time.perf_counter()
    timing: dict[str, float] = {}
    registry = registry or load_registry()
    cal = calendar or load_calendar()
    rules = resolve_rules(rules)
    targets = targets or load_targets()
    rules766 = i766.load_rules()
    cfg = rules766.versions[0]
    windows = tuple(check_window(w) for w in windows)
    with connection(con_or_path) as con:
        plist = _as_periods(periods) if periods else default_periods(con)
        if periods:
            plist = expand_periods(plist)
        prow = []
        for w in windows:
            for p in plist:
                a, b = p.bounds(w)
                prow.append(dict(pkey=len(prow), period=p.code, window=w, a=a, b=b))
        sql.register_calendar(con, cal)
        sql.register_periods(con, prow or [dict(pkey=0, period="none", window="calendar", a=date(1900, 1, 1),
                                                b=date(1900, 1, 1))], cal, rules)
        catalogue = sql.has_catalogue(con)
        from . import handover

        ho = handover.register(con, registry)
        whash = stamp or content_hash(con)
        chash = catalogue_hash(con)
        timing["setup"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        if method == "reference":
            con.execute(f"CREATE OR REPLACE TEMP TABLE tthc_fine AS {fine_reference_sql(rules, catalogue, ho=ho)}")
        else:
            from . import events

            ev = events.count_events(con, prow, cal, rules, catalogue, timing, signature=whash,
                                     handover=ho) if prow else None
            timing["events"] = time.perf_counter() - t1
            if ev is None or not len(ev):  # nothing counted: an empty table with the reference's column types
                con.execute(f"CREATE OR REPLACE TEMP TABLE tthc_fine AS "
                            f"{fine_reference_sql(rules, catalogue, where='AND FALSE')}")
            else:
                con.register("tthc_fine_ev", ev)
                cols = ", ".join(["pkey", "unit", "ma_linh_vuc", "ten_linh_vuc", *COUNTERS])
                con.execute(f"CREATE OR REPLACE TEMP TABLE tthc_fine AS SELECT {cols} FROM tthc_fine_ev")
                con.unregister("tthc_fine_ev")
        timing["classify_aggregate"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        pairs, units = _registry_frames(registry)
        con.register("tthc_pairs", pairs)
        sums = ", ".join(f"sum(f.{k})::BIGINT AS {k}" for k in COUNTERS)
        field_df = con.execute(f"""
            SELECT f.pkey, p.ancestor AS unit, f.ma_linh_vuc, max(f.ten_linh_vuc) AS ten_linh_vuc, {sums}
            FROM tthc_fine f JOIN tthc_pairs p ON p.unit = f.unit GROUP BY ALL""").df()
        unmatched = con.execute("SELECT count(DISTINCT unit), coalesce(sum(n_tong), 0) FROM tthc_fine "
                                "WHERE unit IS NULL OR unit NOT IN (SELECT unit FROM tthc_pairs)").fetchall()[0]
        proc = _procedure_counts(con, registry, pairs, rules, catalogue, ho) if catalogue else None
        not_recv = con.execute(f"""
            SELECT x.pkey, p.ancestor AS unit, count(*)::BIGINT AS {NOT_RECEIVED_COUNTER}
            FROM (SELECT t.pkey, d.ma_don_vi FROM dossiers d JOIN tthc_periods t
                    ON CAST(coalesce(d.ngay_tiep_nhan, d.ngay_nop) AS DATE) BETWEEN t.a AND t.b
                  WHERE d.trang_thai = 3) x
            JOIN tthc_pairs p ON p.unit = x.ma_don_vi GROUP BY ALL""").df()
        con.unregister("tthc_pairs")
        con.execute("DROP TABLE IF EXISTS tthc_fine")
        timing["rollup"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    pdf = pd.DataFrame(prow, columns=["pkey", "period", "window", "a", "b"])
    field_df = field_df.merge(pdf, on="pkey").drop(columns="pkey")
    counts = field_df.groupby(["period", "window", "unit"], sort=False)[list(COUNTERS)].sum().reset_index()
    not_recv = not_recv.merge(pdf[["pkey", "period", "window"]], on="pkey").drop(columns="pkey")
    counts = counts.merge(not_recv, on=["period", "window", "unit"], how="left")
    counts[NOT_RECEIVED_COUNTER] = counts[NOT_RECEIVED_COUNTER].fillna(0).astype("int64")
    counts = counts.merge(pdf.drop(columns="pkey"), on=["period", "window"])
    counts = counts.merge(units, on="unit", how="left")
    counts_all = counts
    # units reported for a period: validity overlaps it and something was counted in the subtree
    keep = (counts["n_tong"] > 0) & (counts["valid_from"] <= counts["b"]) & (counts["valid_to"] >= counts["a"])
    counts = counts[keep].reset_index(drop=True)
    cont = continuity_counts(counts_all, registry)
    kept_keys = counts[["period", "window", "unit"]]
    field_df = field_df.merge(kept_keys, on=["period", "window", "unit"])
    indicators, tien_than = compute_indicators(counts, targets, registry, continuity=cont)
    bieu06 = compute_bieu06(field_df, counts)
    if proc is not None:
        proc = proc.merge(pdf, on="pkey").drop(columns=["pkey", "a", "b"])
    items, tot = i766.score_by_version(counts, rules766, proc)  # each period: the 766 version in force at its end
    items = items.merge(counts[["period", "window", "unit", "unit_name", "level", "parent"]],
                        on=["period", "window", "unit"], how="left")
    tot = tot.merge(counts[["period", "window", "unit", "unit_name", "level", "parent"]],
                    on=["period", "window", "unit"], how="left")
    timing["indicators"] = time.perf_counter() - t1
    counts = counts.drop(columns=["valid_from", "valid_to"])
    out = dict(counts=counts, indicators=indicators, bieu06=bieu06, index766=items, index766_total=tot,
               indicators_tien_than=tien_than)
    meta = dict(engine_version=ENGINE_VERSION, warehouse_hash=whash,
                config_stamp=config_stamp(registry, rules, ",".join(windows) + chash),
                periods=sorted({p.code for p in plist}), windows=list(windows), catalogue=catalogue,
                unattributed_units=int(unmatched[0]), unattributed_dossier_periods=int(unmatched[1]),
                as_observed_note_vi=cfg.note_vi, as_observed_note_en=cfg.note_en,
                rules766={p.code: rules766.for_period(p).version for p in plist},
                generated=datetime.now().isoformat(timespec="seconds"))
    if write:
        t1 = time.perf_counter()
        write_cube(out, meta, out_dir)
        timing["write"] = time.perf_counter() - t1
    timing["total"] = time.perf_counter() - t0
    out["meta"] = meta
    out["timing"] = timing
    return out


def build_counts_reference(con_or_path=None, registry: Registry | None = None, periods=None,
                           windows=WINDOWS, calendar: WorkCalendar | None = None, rules=None
                           ) -> pd.DataFrame:
    """The ``counts`` frame from the dossier × period join (the original algorithm), for tests and audits."""
    return build_cube(con_or_path, registry, periods, windows, calendar=calendar, rules=rules, write=False,
                      stamp="reference", method="reference")["counts"]


#: the cube tables whose rows make a report's data slice (what ``tthc.report.data.slice_hash`` hashes)
CUBE_TABLES = ("counts", "indicators", "bieu06", "index766", "index766_total")
#: every file of a cube (``<name>.parquet``)
CUBE_FILES = (*CUBE_TABLES, "indicators_tien_than")


def damaged_cube_files(out_dir) -> list[str]:
    """Names of the cube's Parquet files that exist but are not readable Parquet (footer, schema, row-group
    statistics; no data read, milliseconds): a truncated or overwritten file."""
    import pyarrow.parquet as pq

    bad = []
    for n in CUBE_FILES:
        f = Path(out_dir) / f"{n}.parquet"
        if not f.exists():
            continue
        try:
            md = pq.read_metadata(f)
            if md.num_rows and md.num_row_groups:
                md.row_group(md.num_row_groups - 1)
        except Exception:  # noqa: BLE001 - any reader error means the file cannot be used
            bad.append(f.name)
    return bad


def write_cube(frames: dict, meta: dict, out_dir=None) -> Path:
    out_dir = Path(out_dir) if out_dir else default_cube_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in CUBE_FILES:
        if name not in frames:
            continue
        tmp = out_dir / f".{name}.parquet.tmp"
        frames[name].to_parquet(tmp, index=False)
        tmp.replace(out_dir / f"{name}.parquet")
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return out_dir


def ensure_cube(con_or_path=None, registry: Registry | None = None, periods=None, windows=WINDOWS,
                out_dir=None, rules=None, force: bool = False) -> dict:
    """Rebuild the cube only when the warehouse content or the configuration changed; returns its meta."""
    registry = registry or load_registry()
    rules = resolve_rules(rules)
    out_dir = Path(out_dir) if out_dir else cube_dir_for(con_or_path if isinstance(con_or_path, (str, Path)) else None)
    windows = tuple(check_window(w) for w in windows)
    with connection(con_or_path) as con:
        whash = content_hash(con)
        cstamp = config_stamp(registry, rules, ",".join(windows) + catalogue_hash(con))
        meta_path = out_dir / "meta.json"
        want = sorted({p.code for p in expand_periods(_as_periods(periods))}) if periods else None
        if not force and meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except ValueError:
                meta = {}
            if (meta.get("warehouse_hash") == whash and meta.get("config_stamp") == cstamp
                    and (want is None or set(want) <= set(meta.get("periods", [])))
                    and all((out_dir / f"{n}.parquet").exists() for n in ("indicators", "bieu06", "index766"))):
                bad = damaged_cube_files(out_dir)
                if not bad:
                    meta["rebuilt"] = False
                    return meta
                # the warehouse opened and hashed above, so it is sound: rebuild rather than fail on a pyarrow error
                print(f"tthc: cube file(s) {', '.join(bad)} in {out_dir} damaged; rebuilding the cube from the "
                      f"warehouse", file=sys.stderr, flush=True)
        res = build_cube(con, registry, periods, windows, out_dir, rules=rules, stamp=whash)
    meta = res["meta"]
    meta["rebuilt"] = True
    meta["timing"] = res["timing"]
    return meta


# -- indicators -------------------------------------------------------------------------------------------------
def rule_day(b, valid_to) -> date:
    """The day whose target rule judges a unit for a period ending ``b``: the period end, or the unit's last day
    when it closed within the period (a unit is judged by the rules that bound it)."""
    return b if valid_to is None else min(b, valid_to)


def _rule_columns(c: pd.DataFrame, targets: Targets, registry: Registry | None, ind: str):
    """Per row: target value and citation of the rule in force for the unit at :func:`rule_day` (NaN / "" when
    no rule applies)."""
    t = targets.indicators[ind]
    vt = c["valid_to"] if "valid_to" in c.columns else pd.Series([None] * len(c), index=c.index)
    # predecessor-aggregate rows are judged by their first predecessor's rules (continuity_counts)
    ru = c["rule_unit"] if "rule_unit" in c.columns else c["unit"]
    rl = c["rule_level"] if "rule_level" in c.columns else c["level"]
    keys = pd.DataFrame({"unit": ru.to_numpy(object), "level": rl.to_numpy(object),
                         "b": c["b"].to_numpy(object) if "b" in c.columns else [None] * len(c),
                         "vt": vt.to_numpy(object)})
    uniq = keys.drop_duplicates()
    tv, cite = [], []
    for u, lv, b, v in uniq.itertuples(index=False):
        if b is None or (isinstance(b, float) and np.isnan(b)):
            r = t.rules[0] if len(t.rules) == 1 else None
        else:
            anc = registry.ancestors(u) if registry is not None and u in registry else ()
            vt_day = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            if vt_day is not None and not isinstance(vt_day, date):
                vt_day = pd.Timestamp(vt_day).date()
            elif isinstance(vt_day, datetime):
                vt_day = vt_day.date()
            r = t.rule(u, lv, rule_day(pd.Timestamp(b).date(), vt_day), anc)
        tv.append(r.for_level(lv) if r is not None else np.nan)
        cite.append(r.cite() if r is not None else "")
    uniq = uniq.assign(_tv=tv, _cite=cite)
    m = keys.merge(uniq, on=["unit", "level", "b", "vt"], how="left")
    return m["_tv"].to_numpy("float64"), m["_cite"].to_numpy(object)


def continuity_counts(counts_all: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Counters standing for a successor before its ``valid_from`` (spec §2, "đơn vị tiền thân"): per successor and
    period ending before it began, the sum of its predecessors' counters (:meth:`Registry.continuity_predecessors`).
    Column ``unit`` is the successor, ``rule_unit`` / ``rule_level`` the first predecessor (whose target rules
    judged those months)."""
    frames = []
    for u in registry:
        preds = registry.continuity_predecessors(u.code)
        if not preds:
            continue
        x = counts_all[counts_all["unit"].isin(preds)]
        x = x[pd.to_datetime(x["b"]).dt.date < u.valid_from]
        if x.empty:
            continue
        g = x.groupby(["period", "window"], sort=False).agg(
            {**{k: "sum" for k in (*COUNTERS, NOT_RECEIVED_COUNTER)}, "a": "first", "b": "first"}).reset_index()
        p0 = registry.get(preds[0])
        g = g.assign(unit=u.code, unit_name=u.name, level=u.level, parent=u.parent, rule_unit=p0.code,
                     rule_level=p0.level, valid_to=p0.valid_to or date(9999, 12, 31))
        frames.append(g)
    if not frames:
        return pd.DataFrame(columns=["period", "window", "unit", "unit_name", "level", "parent", "a", "b",
                                     "rule_unit", "rule_level", "valid_to", *COUNTERS,
                                     NOT_RECEIVED_COUNTER])
    return pd.concat(frames, ignore_index=True)


def compute_indicators(counts: pd.DataFrame, targets: Targets, registry: Registry | None = None,
                       continuity: pd.DataFrame | None = None):
    """Long table: one row per period × window × unit × indicator (D1–D7 and the extras). Targets: the dated rule
    in force for the unit at the period end (:meth:`Targets.rule`), cited in ``source``; no rule → no target
    (status and gap empty).

    With ``continuity`` (:func:`continuity_counts`): returns ``(indicators, tien_than)``, the second the
    predecessors' aggregate as the successor's rows for periods before it began (no rank); a successor's change
    against a previous period before it began uses them."""
    if continuity is None:
        return _indicators(counts, targets, registry)
    tt = pd.DataFrame()
    if len(continuity):
        tt = _indicators(continuity, targets, registry)
        tt[["rank", "peers"]] = np.nan
    out = _indicators(counts, targets, registry, prev_extra=tt if len(tt) else None)
    if not len(tt):
        tt = out.iloc[0:0].copy()
    return out, tt


def _indicators(counts: pd.DataFrame, targets: Targets, registry: Registry | None = None,
                prev_extra: pd.DataFrame | None = None) -> pd.DataFrame:
    c = counts.copy()
    c["n_qua_han"] = c["n_qua_han_gq"] + c["n_qua_han_dang"]
    c["n_dung_han_hoac_truoc"] = c["n_truoc_han"] + c["n_dung_han"]
    c["n_tra_lai"] = c[NOT_RECEIVED_COUNTER] + c["n_gq_dung"]
    c["n_moi_d8"] = c["n_moi"] + c[NOT_RECEIVED_COUNTER]
    key = ["period", "window", "unit", "unit_name", "level", "parent"]
    keys = {k: c[k] for k in key}
    frames = []
    # one DataFrame per indicator from a dict of columns: inserting ~20 columns one by one cost ~0.1 s per cube
    for ind in INDICATORS:
        t = targets.indicators[ind]
        num, den = RATE_SPEC[ind]
        n = c[num].to_numpy("int64")
        d = c[den].to_numpy("int64")
        tv, cite = _rule_columns(c, targets, registry, ind)
        has = ~np.isnan(tv)
        tz = np.where(has, tv, 0.0)
        rate = pct_half_up(n, d)
        if t.kind == "count":  # D5: value = count; Đạt when count ≤ target; gap = dossiers above target
            value = np.where(d > 0, n.astype("float64"), np.nan)
            st = np.where(d <= 0, KHONG_DU_LIEU, np.where(n <= tz, DAT, CHUA_DAT))
            gp = np.where(d > 0, np.maximum(0, n - tz), 0).astype("int64")
        else:
            value, st, gp = rate, status(n, d, tz), gap(n, d, tz)
        st = np.where(has, st, "")
        gp = np.where(has, gp, np.nan)
        score = np.where(d > 0, n / np.where(d > 0, d, 1), np.nan) if t.kind == "rate" else \
            np.where(d > 0, n.astype("float64"), np.nan)
        frames.append(pd.DataFrame({**keys, "indicator": ind, "numerator": n, "denominator": d, "rate": rate,
                                    "target": tv, "value": value, "status": st, "gap": gp, "better": t.better,
                                    "source": cite, "_score": score}, index=c.index))
    for ind, (num, den, kind, better) in EXTRA.items():
        n = c[num].to_numpy("int64")
        d = c[den].to_numpy("int64") if den else np.full(len(c), -1, dtype="int64")
        if kind == "rate":
            value = pct_half_up(n, d)
            score = np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)
        elif kind == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(d > 0, round_half_up(n / np.where(d > 0, d, 1)), np.nan)
            score = np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)
        else:
            value = np.where(c["n_tong"] > 0, n.astype("float64"), np.nan)
            score = np.nan
        frames.append(pd.DataFrame({**keys, "indicator": ind, "numerator": n,
                                    "denominator": d if den else np.full(len(c), np.nan), "value": value,
                                    "_score": score, "rate": pct_half_up(n, d) if kind == "rate" else np.nan,
                                    "target": np.nan, "status": "", "gap": np.nan, "better": better or "",
                                    "source": ""}, index=c.index))
    out = pd.concat(frames, ignore_index=True)
    out["gap"] = out["gap"].astype("float64")
    out["denominator"] = out["denominator"].astype("float64")
    out["numerator"] = out["numerator"].astype("float64")
    # rank among units of the same level (1 = best), on the exact fraction
    asc = out["better"] == "lower"
    s = np.where(asc, out["_score"], -out["_score"])
    out["_s"] = s
    grp = out.groupby(["period", "window", "level", "indicator"], sort=False)["_s"]
    out["rank"] = grp.rank(method="min")
    out["peers"] = grp.transform("count").astype("float64")
    out.loc[out["better"] == "", ["rank", "peers"]] = np.nan
    # change against the previous period (same window)
    prev_code = {p: parse_period(p).previous().code for p in out["period"].unique()}
    out["prev_period"] = out["period"].map(prev_code)
    src = out if prev_extra is None else pd.concat([out, prev_extra[out.columns.intersection(prev_extra.columns)]],
                                                   ignore_index=True)
    prev = src[["period", "window", "unit", "indicator", "value"]].drop_duplicates(
        ["period", "window", "unit", "indicator"]).rename(columns={"period": "prev_period", "value": "prev_value"})
    out = out.merge(prev, on=["prev_period", "window", "unit", "indicator"], how="left")
    out["change"] = round_half_up(out["value"] - out["prev_value"])
    return out.drop(columns=["_score", "_s"])


# -- Biểu 06 ----------------------------------------------------------------------------------------------------
BIEU06_COLS = {
    "col4": "n_moi_truc_tuyen", "col5": "n_moi_truc_tiep", "col6": "n_ky_truoc",
    "col8": "n_truoc_han", "col9": "n_dung_han", "col10": "n_qua_han_gq",
    "col12": "n_trong_han", "col13": "n_qua_han_dang",
}


def _bieu06_from(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({k: df[v].astype("int64") for k, v in BIEU06_COLS.items()})
    out["col3"] = out["col4"] + out["col5"] + out["col6"]
    out["col7"] = out["col8"] + out["col9"] + out["col10"]
    out["col11"] = out["col12"] + out["col13"]
    return out[[f"col{i}" for i in range(3, 14)]]


def compute_bieu06(field_df: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Rows per period × window × unit × field (unknown field → ma_linh_vuc ''), plus a ``TONG`` row per unit."""
    key = ["period", "window", "unit"]
    f = field_df[key + ["ma_linh_vuc", "ten_linh_vuc"]].copy()
    f["ten_linh_vuc"] = np.where(f["ma_linh_vuc"] == UNKNOWN_FIELD, UNKNOWN_FIELD_NAME,
                                 f["ten_linh_vuc"].fillna(f["ma_linh_vuc"]))
    f = pd.concat([f.reset_index(drop=True), _bieu06_from(field_df.reset_index(drop=True))], axis=1)
    t = counts[key].copy()
    t["ma_linh_vuc"] = TOTAL_FIELD
    t["ten_linh_vuc"] = "Tổng số"
    t = pd.concat([t.reset_index(drop=True), _bieu06_from(counts.reset_index(drop=True))], axis=1)
    out = pd.concat([f, t], ignore_index=True)
    out = out.merge(counts[key + ["unit_name", "level", "parent"]], on=key, how="left")
    out["_tot"] = out["ma_linh_vuc"] == TOTAL_FIELD
    out = out.sort_values(key + ["_tot", "ma_linh_vuc"]).drop(columns="_tot").reset_index(drop=True)
    return out


# -- payment B and C (catalogue) ---------------------------------------------------------------------------------
_LEVEL_WORDS = {"tinh": "tinh", "tỉnh": "tinh", "so": "so", "sở": "so", "huyen": "huyen", "huyện": "huyen",
                "phong": "phong", "phòng": "phong", "xa": "xa", "xã": "xa"}


def _level_of(text) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text).strip().lower().replace("cấp ", "").replace("cap ", "")
    return _LEVEL_WORDS.get(s)


def _procedure_counts(con, registry: Registry, pairs: pd.DataFrame, rules, catalogue: bool, ho=None) -> pd.DataFrame:
    """Per period × unit: B = fee procedures with ≥ 1 dossier paid online, C = fee procedures with ≥ 1
    fee-bearing dossier, each over the catalogue's fee procedures at the levels present in the unit's subtree
    (a catalogue row without a level counts for every unit)."""
    from .handover import NONE

    per = con.execute(sql.classified_sql(rules, catalogue=catalogue, ho=ho or NONE) + f"""
        SELECT pkey, ma_don_vi AS unit, ma_tthc,
               bool_or({filter_sql("n_moi_co_phi_tt")}) AS paid_online,
               bool_or({filter_sql("n_moi_co_phi")}) AS fee_dossier
        FROM tthc_cls GROUP BY ALL""").df()
    cat = con.execute("SELECT ma_tthc, any_value(cap_thuc_hien) AS cap FROM catalogue "
                      "WHERE coalesce(co_phi, false) GROUP BY ma_tthc").df()
    cat["lvl"] = cat["cap"].map(_level_of)
    levels = pd.DataFrame([(u.code, u.level) for u in registry], columns=["unit", "level"])
    sub_levels = pairs.merge(levels, on="unit")[["ancestor", "level"]].drop_duplicates()
    # denominator: fee procedures at a level present in the subtree (or without a level)
    den = sub_levels.merge(cat.dropna(subset=["lvl"]), left_on="level", right_on="lvl")[["ancestor", "ma_tthc"]]
    anyl = cat[cat["lvl"].isna()][["ma_tthc"]]
    den = pd.concat([den, sub_levels[["ancestor"]].drop_duplicates().merge(anyl, how="cross")]).drop_duplicates()
    den_n = den.groupby("ancestor").size().rename("b_den").reset_index()
    x = per.merge(pairs, on="unit").merge(den, on=["ancestor", "ma_tthc"])
    g = x.groupby(["pkey", "ancestor", "ma_tthc"]).agg(paid=("paid_online", "any"), fee=("fee_dossier", "any"))
    g = g.reset_index().groupby(["pkey", "ancestor"]).agg(b_num=("paid", "sum"), c_num=("fee", "sum")).reset_index()
    keys = per[["pkey"]].drop_duplicates().merge(den_n, how="cross")
    res = keys.merge(g, on=["pkey", "ancestor"], how="left").fillna({"b_num": 0, "c_num": 0})
    res["c_den"] = res["b_den"]
    return res.rename(columns={"ancestor": "unit"})
