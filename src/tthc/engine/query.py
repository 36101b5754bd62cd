"""Read-side helpers the reports call. They read the Parquet cube (``config.processed_dir()/cube`` unless
``cube_dir`` is given) and never write: a missing cube, or one without the period asked for, is a one-line
:class:`~tthc.errors.InputError` saying to build it (``tthc cube``, ``make install``). Building it is the explicit
step :func:`tthc.engine.ensure_cube` / :func:`tthc.bootstrap.ensure_data`, run by the commands before they query.

Dossier lists and data-quality notes read the warehouse directly (they need per-dossier rows); dossiers are only
ever identified by ``ma_ho_so`` — no personal data exists in the warehouse or leaves these functions.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..errors import InputError, ParameterError
from ..periods import Period, check_window, parse_period
from .cube import TOTAL_FIELD, default_cube_dir

D_INDICATORS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")
TREND_INDICATORS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "ON_TIME")  # the 12-month trend charts
INDICATOR_ORDER = D_INDICATORS + ("ON_TIME", "BO_SUNG", "AVG_DAYS", "DUE_SOON", "OVERDUE_APOLOGY", "OVERDUE_NO_APOLOGY")
INDICATOR_COLUMNS = ["unit", "unit_name", "level", "parent", "indicator", "numerator", "denominator", "value",
                     "target", "status", "gap", "prev_value", "change", "rank", "peers", "rate", "source"]


def _code(period) -> str:
    return period.code if isinstance(period, Period) else parse_period(period).code


def _dir(cube_dir, period: str | None = None) -> Path:
    if cube_dir is not None:
        d = Path(cube_dir)
        if not (d / "meta.json").exists():
            raise InputError(f"{d}: no indicator cube here; build it with `tthc cube`")
        return d
    d = default_cube_dir()
    meta = d / "meta.json"
    if not meta.exists():
        raise InputError(f"{d}: no indicator cube; build it with `tthc cube` (or `make install`)")
    if period is not None:
        try:
            have = json.loads(meta.read_text(encoding="utf-8")).get("periods", [])
        except ValueError:
            raise InputError(f"{meta}: damaged; rebuild the cube with `tthc cube`") from None
        if period not in have:
            raise InputError(f"{d}: the indicator cube has no period {period} (it holds the periods of the data); "
                             f"build it with `tthc cube --period {period}`")
    return d


def meta(cube_dir=None) -> dict:
    return json.loads((_dir(cube_dir) / "meta.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=16)
def _read(path: str, _mtime: int) -> pd.DataFrame:
    return pd.read_parquet(path)


def _table(name: str, d: Path) -> pd.DataFrame:
    p = d / f"{name}.parquet"
    if not p.exists():
        raise InputError(f"{p}: missing; rebuild the cube with `tthc cube`")
    try:
        return _read(str(p), p.stat().st_mtime_ns)
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError: a damaged file, one line
        raise InputError(f"{p}: damaged cube file ({str(e).splitlines()[0][:160]}); rebuild the cube with "
                         f"`tthc cube --force`") from None


#: row positions of a cube table grouped by some of its key columns, by (table object, columns): tables come from
#: :func:`_read`'s cache, so one index serves every query of a process. A boolean mask over the whole table costs in
#: proportion to the table, i.e. to the number of units, on every report: quadratic over a province's batch.
_POSITIONS: dict[tuple, tuple[pd.DataFrame, dict]] = {}


def _rows(df: pd.DataFrame, cols: tuple[str, ...], key: tuple) -> pd.DataFrame:
    """The rows of ``df`` whose ``cols`` equal ``key``, in file order (the same frame as a boolean mask gives)."""
    hit = _POSITIONS.get((id(df), cols))
    if hit is None or hit[0] is not df:
        if len(_POSITIONS) > 64:
            _POSITIONS.clear()
        hit = (df, df.groupby(list(cols), observed=True, sort=False).indices if len(df) else {})
        _POSITIONS[(id(df), cols)] = hit
    pos = hit[1].get(key)
    return df.iloc[pos] if pos is not None else df.iloc[0:0]


def _select(df: pd.DataFrame, period: str, window: str) -> pd.DataFrame:
    """The rows of one period and window, in file order."""
    return _rows(df, ("period", "window"), (period, window))


def indicators(period, window: str = "calendar", units=None, cube_dir=None) -> pd.DataFrame:
    """One row per unit × indicator (D1–D7, ON_TIME, AVG_DAYS, DUE_SOON, OVERDUE_APOLOGY, OVERDUE_NO_APOLOGY).

    value: % with 2 decimals (half-up) for rates, the count for D5/DUE_SOON/OVERDUE_*, working days for AVG_DAYS;
    NaN when there is no data. status: Đạt / Chưa đạt / Không có dữ liệu (empty for indicators without target);
    gap: dossiers missing to reach the target; rank: 1 = best among units of the same level (``peers`` of them).
    """
    code, window = _code(period), check_window(window)
    df = _select(_table("indicators", _dir(cube_dir, code)), code, window)
    if units is not None:
        units = [units] if isinstance(units, str) else list(units)
        df = df[df["unit"].isin(units)]
    df = df.assign(_o=df["indicator"].map({k: i for i, k in enumerate(INDICATOR_ORDER)}))
    return df.sort_values(["unit", "_o"])[INDICATOR_COLUMNS].reset_index(drop=True)


def cube_indicator_rows(periods: list[str], window: str, units: list[str], d: Path) -> pd.DataFrame:
    """Stored indicator rows (period, window, unit, indicator, numerator, denominator, value) of ``units`` for
    ``periods`` in the cube folder ``d``, from the process's table cache; no cube or no such periods: no rows."""
    cols = ["period", "window", "unit", "indicator", "numerator", "denominator", "value"]
    if not (Path(d) / "indicators.parquet").exists() or not periods:
        return pd.DataFrame(columns=cols)
    df = _table("indicators", Path(d))
    return df.loc[df["period"].isin(periods) & (df["window"] == window) & df["unit"].isin(units), cols
                  ].reset_index(drop=True)


def trend(unit: str, period, window: str = "calendar", months: int = 12, cube_dir=None) -> pd.DataFrame:
    """The ``months`` months ending with the period's last month: month (code), indicator, value, target
    (D1–D7 and ON_TIME; months without data → NaN value), tien_than (True for months before the unit began,
    whose values are its predecessors' aggregate — spec §2 "đơn vị tiền thân")."""
    p = period if isinstance(period, Period) else parse_period(period)
    window = check_window(window)
    mcodes = [m.code for m in p.trailing_months(months)]
    d = _dir(cube_dir, p.code)
    df = _rows(_table("indicators", d), ("unit", "window"), (unit, window))
    df = df[df["period"].isin(mcodes) & df["indicator"].isin(TREND_INDICATORS)]
    grid = pd.MultiIndex.from_product([mcodes, list(TREND_INDICATORS)], names=["month", "indicator"]).to_frame(
        index=False)
    df = df.assign(tien_than=False)
    pt = d / "indicators_tien_than.parquet"
    if pt.exists():
        tt = _table("indicators_tien_than", d)
        if not {"window", "unit", "period", "indicator", "value", "target"} <= set(tt.columns):
            tt = df.iloc[0:0]  # an empty file written without columns
        if len(tt):
            tt = _rows(tt, ("unit", "window"), (unit, window))
        tt = tt[tt["period"].isin(mcodes) & tt["indicator"].isin(TREND_INDICATORS) & ~tt["period"].isin(df["period"])]
        if len(tt):
            df = pd.concat([df, tt.assign(tien_than=True)], ignore_index=True)
    out = grid.merge(df.rename(columns={"period": "month"})[["month", "indicator", "value", "target", "tien_than"]],
                     on=["month", "indicator"], how="left")
    out["tien_than"] = out["tien_than"].fillna(False).astype(bool)
    # the target does not depend on data: fill it for empty months from the unit's level
    from ..units import load_registry
    from .targets import load_targets

    try:
        reg = load_registry()
        u = reg.get(unit)
        tg = load_targets()
        anc = reg.ancestors(unit)
        ends = {m.code: m.bounds(window)[1] for m in p.trailing_months(months)}
        fill = {}
        for mc, end in ends.items():
            day = min(end, u.valid_to) if u.valid_to else end
            for i in D_INDICATORS:
                r = tg.rule(i, unit, u.level, day, anc)
                fill[(mc, i)] = r.for_level(u.level) if r is not None else np.nan
        key = pd.Series(list(zip(out["month"], out["indicator"])), index=out.index)
        out["target"] = out["target"].fillna(key.map(fill))
    except Exception:  # noqa: BLE001 - unit from another registry: keep the cube's targets only
        pass
    return out


def bieu06(period, window: str = "calendar", unit=None, cube_dir=None, descendants: bool = False) -> pd.DataFrame:
    """Biểu 06 rows: unit, unit_name, level, parent, ma_linh_vuc, ten_linh_vuc, col3..col13 — field rows
    (unknown field: ma_linh_vuc '') and a ``TONG`` row per unit. ``descendants=True`` adds the unit's subtree."""
    code, window = _code(period), check_window(window)
    df = _select(_table("bieu06", _dir(cube_dir, code)), code, window)
    if unit is not None:
        keep = {unit}
        if descendants:
            from ..units import load_registry

            keep |= set(load_registry().descendants(unit))
        df = df[df["unit"].isin(keep)]
    cols = ["unit", "unit_name", "level", "parent", "ma_linh_vuc", "ten_linh_vuc"] + [f"col{i}" for i in range(3, 14)]
    return df[cols].reset_index(drop=True)


def _tables766(code: str, window: str, d: Path, rules: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(items, totals) of the 766 index for a period: as the cube stored them (the version in force at the period's
    end), or rescored from the cube's counts with ``rules`` (``--rules``, the reports' ``rules`` parameter) when that
    names another version. Rescoring has no procedure catalogue at hand: PAYMENT is then A only."""
    from . import index766 as i766

    items = _select(_table("index766", d), code, window)
    tot = _select(_table("index766_total", d), code, window)
    want = rules
    if not want:
        return items, tot
    cfg = i766.load_rules().get(want)
    if "rules_version" in items.columns and len(items) and set(items["rules_version"]) == {cfg.version}:
        return items, tot
    counts = _select(_table("counts", d), code, window)
    it = i766.score_any(counts, cfg)
    tt = i766.totals(it, cfg)
    tt["rules_version"] = cfg.version
    info = counts[["period", "window", "unit", "unit_name", "level", "parent"]]
    return (it.merge(info, on=["period", "window", "unit"], how="left"),
            tt.merge(info, on=["period", "window", "unit"], how="left"))


def index766_status(period, window: str = "calendar", cube_dir=None, rules: str | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every unit's 766 items and total for a period, as ``tthc indicators`` shows them: (items, totals). Items: the
    columns of :func:`index766` plus unit, ``value_pct`` (rate in %, 2 decimals half-up), ``target_pct`` and
    ``status`` (Đạt / Chưa đạt / Không có dữ liệu), see :func:`tthc.engine.index766.item_status`; totals: the
    columns of :func:`index766_scores` plus ``score_rounded`` (2 decimals half-up). ``rules``: a 766 rules version
    to rescore with (default: the one in force at the period's end)."""
    from . import index766 as i766

    code, window = _code(period), check_window(window)
    items, tot = _tables766(code, window, _dir(cube_dir, code), rules)
    cfg = i766.load_rules().for_period(code, rules)
    tot = tot.copy()
    tot["score_rounded"] = i766.total_rounded(tot["score"].to_numpy("float64")) if len(tot) else []
    return i766.item_status(items, cfg).reset_index(drop=True), tot.reset_index(drop=True)


def index766(unit: str, period, window: str = "calendar", cube_dir=None, rules: str | None = None) -> pd.DataFrame:
    """Items of the 766 index: item, group, group_name, points_max, score (NaN when not computable), computable,
    note, numerator, denominator, rate (fraction), and (cubes from this version on) name, rules_version."""
    code, window = _code(period), check_window(window)
    df = _tables766(code, window, _dir(cube_dir, code), rules)[0]
    df = df[df["unit"] == unit]
    cols = ["item", "group", "group_name", "points_max", "score", "computable", "note", "numerator", "denominator",
            "rate", "points_computable"]
    cols += [c for c in ("name", "rules_version") if c in df.columns]  # the 766 rules version (spec §9)
    return df[cols].reset_index(drop=True)


def index766_summary(unit: str, period, window: str = "calendar", cube_dir=None, lang: str = "vi",
                     rules: str | None = None) -> dict:
    """dict(score, computable_max, score_pct, band, band_assumed, as_observed_note, text) — ``text`` like
    "61,4 / 74 điểm có dữ liệu". The band is decided on 100·score/computable_max."""
    code, window = _code(period), check_window(window)
    d = _dir(cube_dir, code)
    t = _tables766(code, window, d, rules)[1]
    t = t[t["unit"] == unit]
    m = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    note = m.get("as_observed_note_en" if lang == "en" else "as_observed_note_vi", "")
    if t.empty:
        return dict(score=np.nan, computable_max=0.0, score_pct=np.nan, band=None, band_assumed=False,
                    as_observed_note=note, text="")
    r = t.iloc[0]
    score, cmax = float(r["score"]), float(r["computable_max"])
    if lang == "en":
        text = f"{score:.1f} / {cmax:g} points with data"
    else:
        text = f"{score:.1f}".replace(".", ",") + f" / {cmax:g}".replace(".", ",") + " điểm có dữ liệu"
    return dict(score=score, computable_max=cmax, score_pct=float(r["score_pct"]), band=r["band"],
                band_assumed=bool(r["band_assumed"]), as_observed_note=note, text=text,
                rules_version=r["rules_version"] if "rules_version" in t.columns else None)


def index766_scores(period, window: str = "calendar", cube_dir=None, rules: str | None = None) -> pd.DataFrame:
    """All units' 766 totals for a period (for the overview ranking): unit, unit_name, level, parent, score,
    computable_max, score_pct, band, band_assumed."""
    code, window = _code(period), check_window(window)
    t = _tables766(code, window, _dir(cube_dir, code), rules)[1]
    return t[["unit", "unit_name", "level", "parent", "score", "computable_max", "score_pct", "band",
              "band_assumed"]].sort_values("score_pct", ascending=False).reset_index(drop=True)


def counts(period, window: str = "calendar", units=None, cube_dir=None) -> pd.DataFrame:
    """The raw counters behind every indicator (one row per unit)."""
    code, window = _code(period), check_window(window)
    df = _select(_table("counts", _dir(cube_dir, code)), code, window)
    if units is not None:
        df = df[df["unit"].isin([units] if isinstance(units, str) else list(units))]
    return df.reset_index(drop=True)


# -- warehouse-side helpers --------------------------------------------------------------------------------------
def _subtree(unit: str, registry=None) -> list[str]:
    from ..units import load_registry

    reg = registry or load_registry()
    if unit not in reg:
        raise ParameterError(f"unknown unit {unit!r}: not in {reg.path}")
    return [unit, *reg.descendants(unit)]


def classified(con, unit, period, window, registry=None, calendar=None, rules=None) -> pd.DataFrame:
    """The classified dossiers (``classify.classify``) of the unit and its subtree in the period: what
    :func:`dossiers` and :func:`data_quality` read — a report computes it once and passes it to both."""
    from .classify import classify

    from ..units import load_registry

    reg = registry or load_registry()
    return classify(con, period, window, calendar=calendar, rules=rules, unit=_subtree(unit, reg), registry=reg)



def dossiers(con, unit: str, period, window: str = "calendar", kind: str = "overdue", registry=None,
             calendar=None, rules=None, classified_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Overdue (``kind="overdue"``) or due-soon (``"due_soon"``) dossiers of the unit and its subtree.

    Columns: ma_ho_so, ma_don_vi, ma_tthc, ten_tthc, trang_thai_gq, ngay_hen_tra (due date, after any pause
    extension), so_ngay_tre (working days late at the end of processing or at the period end), co_phieu_xin_loi.
    Most late first. Never personal data. ``classified_df``: :func:`classified` for the same arguments, when the
    caller already has it.
    """
    if kind not in ("overdue", "due_soon"):
        raise ParameterError(f"kind must be 'overdue' or 'due_soon', not {kind!r}")
    from .classify import connection

    with connection(con) as c:
        df = classified_df if classified_df is not None else classified(c, unit, period, window, registry, calendar,
                                                                        rules)
        df = df[df["tien_do"] == "qua_han"] if kind == "overdue" else df[df["sap_den_han"]]
        if len(df):
            c.register("tthc_ids", df[["ma_ho_so"]])
            names = c.execute("SELECT d.ma_ho_so, d.ten_tthc FROM dossiers d JOIN tthc_ids USING (ma_ho_so)").df()
            c.unregister("tthc_ids")
        else:
            names = pd.DataFrame({"ma_ho_so": pd.Series(dtype="str"), "ten_tthc": pd.Series(dtype="str")})
    df = df.merge(names, on="ma_ho_so", how="left").rename(columns={"han_xu_ly": "ngay_hen_tra"})
    cols = ["ma_ho_so", "ma_don_vi", "ma_tthc", "ten_tthc", "trang_thai_gq", "ngay_hen_tra", "so_ngay_tre",
            "co_phieu_xin_loi"]
    order = ["so_ngay_tre", "ma_ho_so"] if kind == "overdue" else ["ngay_hen_tra", "ma_ho_so"]
    asc = [False, True] if kind == "overdue" else [True, True]
    return df.sort_values(order, ascending=asc)[cols].reset_index(drop=True)


def data_quality(con, unit: str, period, window: str = "calendar", registry=None, calendar=None,
                 rules=None, classified_df: pd.DataFrame | None = None) -> dict:
    """Data-quality notes for the unit and its subtree in the period:

    counted, recomputed_deadlines (ngay_hen_tra missing, recomputed from the statutory limit), no_due_date,
    inconsistent_dates (end before receipt), quarantined_unit_rows (quarantine lines naming one of the unit codes —
    other quarantined rows cannot be attributed to a unit), quarantined_total (all rows quarantined by ingest, from
    ingest_log), quarantine_files.
    """
    from .classify import connection

    units = _subtree(unit, registry)
    with connection(con) as c:
        df = classified_df if classified_df is not None else classified(c, unit, period, window, registry, calendar,
                                                                        rules)
        total_q = None
        try:
            total_q = int(c.execute("SELECT coalesce(sum(rows_quarantined), 0) FROM ingest_log").fetchall()[0][0])
        except Exception:  # noqa: BLE001 - warehouses built without the ingest have no log
            pass
        wpath = None
        try:
            row = c.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
            wpath = Path(row[0][0]) if row and row[0][0] else None
        except Exception:  # noqa: BLE001
            pass
    qdirs = [config.quarantine_dir()] + ([wpath.parent / "quarantine"] if wpath else [])
    files, unit_rows = [], 0
    for qd in dict.fromkeys(qdirs):
        if not qd.is_dir():
            continue
        for f in sorted(qd.glob("*.csv")):
            try:
                q = pd.read_csv(f, dtype=str, encoding="utf-8-sig")
            except Exception:  # noqa: BLE001 - an unreadable quarantine file is reported, not fatal
                continue
            files.append(str(f))
            if {"column", "value"} <= set(q.columns):
                hit = q[q["column"].isin(["don_vi_xu_ly", "don_vi_tiep_nhan", "ma_don_vi"])
                        & q["value"].isin(units)]
                key = [k for k in ("file", "row") if k in q.columns]
                unit_rows += len(hit.drop_duplicates(key)) if key else len(hit)
    return dict(counted=int(len(df)), recomputed_deadlines=int(df["han_tinh_lai"].sum()),
                no_due_date=int(df["khong_co_han"].sum()), inconsistent_dates=int(df["ngay_bat_thuong"].sum()),
                quarantined_unit_rows=int(unit_rows), quarantined_total=total_q, quarantine_files=files)


def reception(con, units, period, window: str = "calendar") -> pd.DataFrame:
    """Reception regardless of administrative boundary (Decree 118/2025/NĐ-CP, spec §2): new dossiers of the period
    (received in [a, b], status ∉ {1, 3}) whose receiving unit (``don_vi_tiep_nhan``) differs from the unit they
    are attributed to (``ma_don_vi``), where either is one of ``units``. Columns: tiep_nhan (receiving unit),
    xu_ly (processing unit), so_ho_so (count), most first. Counts only — no dossier codes."""
    from .classify import connection

    p = period if isinstance(period, Period) else parse_period(period)
    a, b = p.bounds(check_window(window))
    units = [units] if isinstance(units, str) else list(units)
    marks = ", ".join("?" * len(units))
    with connection(con) as c:
        df = c.execute(f"""
            SELECT don_vi_tiep_nhan AS tiep_nhan, ma_don_vi AS xu_ly, count(*) AS so_ho_so
            FROM dossiers
            WHERE trang_thai NOT IN (1, 3) AND ngay_tiep_nhan IS NOT NULL
              AND CAST(ngay_tiep_nhan AS DATE) BETWEEN ? AND ?
              AND don_vi_tiep_nhan IS NOT NULL AND ma_don_vi IS NOT NULL AND don_vi_tiep_nhan <> ma_don_vi
              AND (don_vi_tiep_nhan IN ({marks}) OR ma_don_vi IN ({marks}))
            GROUP BY ALL ORDER BY so_ho_so DESC, tiep_nhan, xu_ly""", [a, b, *units, *units]).df()
    df["so_ho_so"] = df["so_ho_so"].astype("int64")
    return df


def reception_counts(flows: pd.DataFrame, unit: str) -> dict:
    """From :func:`reception` flows: ``for_others`` (received here for other units, "tiếp nhận hộ") and
    ``by_others`` (processed here, received elsewhere)."""
    return dict(for_others=int(flows.loc[flows["tiep_nhan"] == unit, "so_ho_so"].sum()),
                by_others=int(flows.loc[flows["xu_ly"] == unit, "so_ho_so"].sum()))


def reception_matrix(flows: pd.DataFrame, top: int = 8) -> pd.DataFrame:
    """The largest flows as a matrix: the ``top`` receiving units (rows) × the ``top`` processing units (columns)
    by volume, cells = dossiers received at the row for the column (0 where none)."""
    if flows.empty:
        return pd.DataFrame()
    rows = flows.groupby("tiep_nhan")["so_ho_so"].sum().sort_values(ascending=False, kind="stable").head(top).index
    cols = flows.groupby("xu_ly")["so_ho_so"].sum().sort_values(ascending=False, kind="stable").head(top).index
    m = flows.pivot_table(index="tiep_nhan", columns="xu_ly", values="so_ho_so", aggfunc="sum", fill_value=0)
    return m.reindex(index=list(rows), columns=list(cols), fill_value=0).astype("int64")
