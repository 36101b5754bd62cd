"""Per-dossier lifecycle classification for one period (spec §6) — the reference the cube aggregates.

Vocabulary (spec §6): ``ky_truoc`` carried over (received before a, not ended before a); ``moi_tiep_nhan`` new
(received in [a, b]); ``da_giai_quyet`` resolved in [a, b], split ``truoc_han`` / ``dung_han`` / ``qua_han`` by end
date vs due date; ``dang_giai_quyet`` pending at b, split ``trong_han`` (b ≤ due) / ``qua_han``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from ..periods import Period, check_window, parse_period
from ..workdays import WorkCalendar, load_calendar
from . import sql
from .targets import Rules, load_targets


@contextmanager
def connection(con_or_path=None, read_only: bool = True):
    """Yield a DuckDB connection: the one given, or a new one on a warehouse path (closed afterwards)."""
    if isinstance(con_or_path, duckdb.DuckDBPyConnection):
        yield con_or_path
        return
    from .. import config

    path = Path(con_or_path) if con_or_path else config.default_warehouse()
    if not path.exists():
        from ..errors import InputError

        raise InputError(f"warehouse {path} not found: run `tthc ingest` (or `tthc sample`) first, "
                         "or pass --warehouse PATH")
    from ..warehouse import open_duckdb

    con = open_duckdb(path, read_only=read_only)  # one line for a damaged, foreign or locked file
    try:
        yield con
    finally:
        con.close()


def resolve_rules(rules) -> Rules:
    if rules is None:
        return load_targets().rules
    if isinstance(rules, dict):
        base = load_targets().rules
        return Rules(**{**base.__dict__, **rules})
    return rules


def classify(con, period, window: str = "calendar", calendar: WorkCalendar | None = None, rules=None,
             unit=None, registry=None) -> pd.DataFrame:
    """One row per dossier counted in ``period`` (optionally only those attributed to ``unit``, a code or a list).

    Columns: ma_ho_so, ma_don_vi, ma_tthc, ma_linh_vuc, kenh, nhom (ky_truoc | moi_tiep_nhan), trang_thai_gq
    (da_giai_quyet | dang_giai_quyet), tien_do (truoc_han | dung_han | qua_han | trong_han), ngay_tiep_nhan,
    ngay_ket_thuc, han_xu_ly (due date after any pause extension), so_ngay_tre (working days late, 0 when not late),
    sap_den_han (pending, due within the due-soon horizon), co_phieu_xin_loi, han_tinh_lai (due date recomputed),
    khong_co_han (no due date), ngay_bat_thuong (end before receipt), ma_don_vi_goc (the attributed unit as
    stored; ``ma_don_vi`` is the unit holding the dossier at the period end after any hand-over of spec §2, with
    ``registry``'s successors — default the default registry).
    """
    from .handover import register
    p: Period = period if isinstance(period, Period) else parse_period(period)
    window = check_window(window)
    cal = calendar or load_calendar()
    rules = resolve_rules(rules)
    a, b = p.bounds(window)
    with connection(con) as c:
        sql.register_calendar(c, cal)
        sql.register_periods(c, [dict(pkey=0, period=p.code, window=window, a=a, b=b)], cal, rules)
        reg = registry if registry is not None else _default_registry()
        ho = register(c, reg)
        where = ""
        params = []
        outer = ""
        if unit is not None:
            units = [unit] if isinstance(unit, str) else list(unit)
            # dossiers handed over to these units come from their predecessors: read those too, keep the holders
            wide = sorted(set(units) | {p for u in units if reg is not None and u in reg for p in reg.ancestry(u)}) \
                if ho.depth else units
            where, params = f"AND d.ma_don_vi IN ({', '.join('?' * len(wide))})", wide
            outer = f"WHERE ma_don_vi IN ({', '.join('?' * len(units))})"
            params = params + units
        q = sql.classified_sql(rules, catalogue=sql.has_catalogue(c), where=where, ho=ho) + f"""
        SELECT ma_ho_so, ma_don_vi, ma_tthc, ma_linh_vuc, kenh,
               CASE WHEN ky_truoc THEN 'ky_truoc' ELSE 'moi_tiep_nhan' END AS nhom,
               CASE WHEN da_giai_quyet THEN 'da_giai_quyet' ELSE 'dang_giai_quyet' END AS trang_thai_gq,
               tien_do, d_recv AS ngay_tiep_nhan, d_end AS ngay_ket_thuc, due AS han_xu_ly,
               CASE WHEN tien_do <> 'qua_han' OR due IS NULL THEN 0
                    ELSE greatest(0, CASE WHEN da_giai_quyet THEN r_end ELSE cb.wrank END - cd.wrank) END
                 AS so_ngay_tre,
               (NOT da_giai_quyet AND tien_do = 'trong_han' AND due IS NOT NULL AND due <= b_soon) AS sap_den_han,
               xin_loi AS co_phieu_xin_loi, recomputed AS han_tinh_lai, no_due AS khong_co_han,
               inconsistent AS ngay_bat_thuong, ma_don_vi_goc
        FROM tthc_cls
        LEFT JOIN tthc_cal_days cd ON cd.ngay = tthc_cls.due
        LEFT JOIN tthc_cal_days cb ON cb.ngay = tthc_cls.b
        {outer}
        ORDER BY ma_ho_so"""
        df = c.execute(q, params).df()
    for col in ("ngay_tiep_nhan", "ngay_ket_thuc", "han_xu_ly"):
        df[col] = pd.to_datetime(df[col])
    df["so_ngay_tre"] = df["so_ngay_tre"].astype("int64")
    return df


def _default_registry():
    """The default registry, or None when it cannot be read (a warehouse checked without one: no hand-over)."""
    from ..errors import ConfigError
    from ..units import load_registry

    try:
        return load_registry()
    except (ConfigError, OSError):
        return None
