"""The lifecycle classification of spec §6 as DuckDB SQL, for many periods at once.

Period-independent work (dates, end of processing, due date, working-day ranks) happens once per dossier in
``tthc_base``; the dossier × period range join then only compares dates. Working days come from two small tables
registered on the connection: ``tthc_cal_days`` (every calendar day → number of working days up to it) and
``tthc_cal_work`` (rank → working day), so "d + n working days" is ``cal_work[rank(d) + n]`` — the receipt day is
day 0 — and "working days in (d1, d2]" is ``rank(d2) − rank(d1)``.
"""

from __future__ import annotations

import hashlib

from datetime import date

import numpy as np
import pandas as pd

from ..workdays import WorkCalendar
from .handover import NONE, Handover, chain_sql, holder_sql
from .targets import Rules

FAR = "DATE '9999-12-31'"


def calendar_frames(cal: WorkCalendar) -> tuple[pd.DataFrame, pd.DataFrame]:
    start = np.datetime64(date(cal.first_year, 1, 1), "D")
    end = np.datetime64(date(cal.last_year, 12, 31), "D")
    alldays = np.arange(start, end + 1, dtype="datetime64[D]")
    days = pd.DataFrame({"ngay": alldays.astype("datetime64[s]"), "wrank": cal.rank(alldays).astype("int64")})
    work = pd.DataFrame({"wrank": np.arange(1, len(cal.workdays) + 1, dtype="int64"),
                         "ngay": cal.workdays.astype("datetime64[s]")})
    return days, work


def register_calendar(con, cal: WorkCalendar) -> None:
    days, work = calendar_frames(cal)
    con.register("tthc_cal_days_df", days)
    con.register("tthc_cal_work_df", work)
    con.execute("CREATE OR REPLACE TEMP TABLE tthc_cal_days AS "
                "SELECT CAST(ngay AS DATE) AS ngay, wrank FROM tthc_cal_days_df")
    con.execute("CREATE OR REPLACE TEMP TABLE tthc_cal_work AS "
                "SELECT wrank, CAST(ngay AS DATE) AS ngay FROM tthc_cal_work_df")
    con.unregister("tthc_cal_days_df")
    con.unregister("tthc_cal_work_df")


def register_periods(con, rows: list[dict], cal: WorkCalendar, rules: Rules) -> None:
    """``tthc_periods(pkey, period, window, a, b, b_soon)``; ``b_soon`` = b + the due-soon working days."""
    df = pd.DataFrame(rows, columns=["pkey", "period", "window", "a", "b"])
    bs = cal.add_working_days_array(np.array(df["b"].tolist(), dtype="datetime64[D]"),
                                    np.full(len(df), rules.due_soon_working_days))
    df["b_soon"] = bs.astype("datetime64[s]")
    df["a"] = pd.to_datetime(df["a"])
    df["b"] = pd.to_datetime(df["b"])
    con.register("tthc_periods_df", df)
    con.execute("CREATE OR REPLACE TEMP TABLE tthc_periods AS SELECT CAST(pkey AS INTEGER) AS pkey, "
                "CAST(period AS VARCHAR) AS period, CAST(\"window\" AS VARCHAR) AS \"window\", CAST(a AS DATE) AS a, "
                "CAST(b AS DATE) AS b, CAST(b_soon AS DATE) AS b_soon FROM tthc_periods_df")
    con.unregister("tthc_periods_df")


def has_catalogue(con) -> bool:
    try:
        n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'catalogue'").fetchall()[0][0]
        if not n:
            return False
        return con.execute("SELECT count(*) FROM catalogue").fetchall()[0][0] > 0
    except Exception:  # noqa: BLE001 - a missing or unreadable catalogue is simply "not available"
        return False


def dossier_flag_columns(giay: str) -> str:
    """The supplement dates and 0/1 flags of a dossier (alias ``d``), nulls read as "no": shared by the reference
    join (``base_sql``) and the event counting (``events.stage_sql``) so that both count the same thing."""
    # a moved due date (han_da_doi, spec §6) already includes the supplement: no pause, so no pause dates
    return """CASE WHEN NOT coalesce(d.han_da_doi, false) THEN CAST(d.ngay_yeu_cau_bo_sung AS DATE) END AS d_req,
             CASE WHEN NOT coalesce(d.han_da_doi, false) THEN CAST(d.ngay_hoan_thanh_bo_sung AS DATE) END AS d_comp,
             coalesce(d.co_phieu_xin_loi, false) AS xin_loi, coalesce(d.co_phi, false) AS co_phi,
             coalesce(d.thanh_toan_truc_tuyen, 0) IN (1, 2) AS tt_truc_tuyen,
             coalesce(d.so_hoa_ho_so, false) AS so_hoa, coalesce(d.ket_qua_dien_tu, false) AS kq_dien_tu,
             coalesce(d.tai_su_dung, false) AS tai_su_dung, coalesce(d.tu_kho_du_lieu, false) AS tu_kho,
             coalesce(d.dong_bo_dvcqg, false) AS dong_bo, coalesce(d.co_danh_gia, false) AS co_danh_gia,
             coalesce(d.muc_hai_long = 1, false) AS khong_hai_long,
             coalesce(d.muc_hai_long IN (2, 3), false) AS hai_long,
             coalesce(d.so_lan_bo_sung, 0) >= 1 AS co_bo_sung, d.trang_thai = 8 AS dung_xu_ly, """ + \
        f"{giay} AS yeu_cau_giay"


def catalogue_parts(catalogue: bool) -> tuple[str, str, str]:
    """(join, statutory working days, paper result required) for ``dossiers`` alias d: with a catalogue, a missing
    ``thoi_han_gq`` comes from the procedure's entry, and the entry says whether a paper result is required."""
    if not catalogue:
        return "", "d.thoi_han_gq", "false"
    return ("LEFT JOIN (SELECT ma_tthc, max(thoi_han_gq) AS th_cat, bool_or(yeu_cau_ket_qua_giay) AS giay "
            "FROM catalogue GROUP BY ma_tthc) cat ON cat.ma_tthc = d.ma_tthc",
            "coalesce(d.thoi_han_gq, cat.th_cat)", "coalesce(cat.giay, false)")


def base_sql(table: str = "dossiers", catalogue: bool = False, where: str = "", ho: Handover = NONE) -> str:
    """One row per received dossier (status ∉ {1, 3}) with its dates, due date and flags; with hand-over steps
    (:mod:`tthc.engine.handover`) also ``ho_t<i>`` / ``ho_s<i>``, the closing days and successors it passes to."""
    cat_join, th, giay = catalogue_parts(catalogue)
    end_fixed = ("CASE WHEN CAST(coalesce(d.ngay_ket_thuc_xu_ly, CASE WHEN d.trang_thai = 10 THEN d.ngay_tra END) AS DATE)"
                 " < CAST(d.ngay_tiep_nhan AS DATE) THEN CAST(d.ngay_tiep_nhan AS DATE) ELSE "
                 "CAST(coalesce(d.ngay_ket_thuc_xu_ly, CASE WHEN d.trang_thai = 10 THEN d.ngay_tra END) AS DATE) END")
    ho_join, ts, ss = chain_sql(ho, "d.ma_don_vi", end_fixed, "d.ma_ho_so", days=False)
    ho_cols = "".join(f"{t} AS ho_t{i}, {s} AS ho_s{i}, " for i, (t, s) in enumerate(zip(ts, ss), start=1))
    return f"""
    raw AS (
      SELECT {ho_cols}d.ma_ho_so, d.ma_don_vi, d.ma_tthc, d.ma_linh_vuc, d.ten_linh_vuc, d.kenh, d.trang_thai,
             CAST(d.ngay_tiep_nhan AS DATE) AS d_recv,
             CAST(coalesce(d.ngay_ket_thuc_xu_ly, CASE WHEN d.trang_thai = 10 THEN d.ngay_tra END) AS DATE) AS d_end0,
             CAST(d.ngay_hen_tra AS DATE) AS d_hen, {th} AS th,
             coalesce(d.so_lan_bo_sung, 0) AS n_bs,
             {dossier_flag_columns(giay)}
      FROM {table} d {cat_join}
      {ho_join}
      WHERE d.trang_thai NOT IN (1, 3) AND d.ngay_tiep_nhan IS NOT NULL {where}
    ),
    tthc_base AS (
      SELECT raw.*,
             -- an end before receipt is inconsistent: counted as ending on the day of receipt (flagged)
             CASE WHEN d_end0 < d_recv THEN d_recv ELSE d_end0 END AS d_end,
             coalesce(d_end0 < d_recv, false) AS inconsistent,
             coalesce(d_hen, cw.ngay) AS due_base,
             d_hen IS NULL AND cw.ngay IS NOT NULL AS recomputed,
             cr.wrank AS r_recv, ce.wrank AS r_end
      FROM raw
      LEFT JOIN tthc_cal_days cr ON cr.ngay = raw.d_recv
      LEFT JOIN tthc_cal_work cw ON raw.d_hen IS NULL AND cw.wrank = cr.wrank + raw.th
      LEFT JOIN tthc_cal_days ce ON ce.ngay = CASE WHEN raw.d_end0 < raw.d_recv THEN raw.d_recv ELSE raw.d_end0 END
    )"""


def classified_sql(rules: Rules, table: str = "dossiers", catalogue: bool = False, where: str = "",
                   ho: Handover = NONE) -> str:
    """``WITH … tthc_cls``: one row per (period, counted dossier) with the class booleans of spec §6.
    ``ma_don_vi`` is the unit holding the dossier at the period end (after any hand-over, spec §2);
    ``ma_don_vi_goc`` the attributed unit as stored."""
    one = "TRUE" if rules.supplement_pause else "FALSE"
    many = "TRUE" if rules.multiple_supplements_late else "FALSE"
    pause_end = "coalesce(d_comp, d_end, p.b)" if rules.pause_without_completion == "open" else "d_comp"
    ts = [f"x.ho_t{i}" for i in range(1, ho.depth + 1)]
    ss = [f"x.ho_s{i}" for i in range(1, ho.depth + 1)]
    holder = holder_sql("x.ma_don_vi", ts, ss, "p.b")
    return f"""WITH {base_sql(table, catalogue, where, ho)},
    joined AS (
      SELECT p.pkey, p.a, p.b, p.b_soon, x.* REPLACE ({holder} AS ma_don_vi), x.ma_don_vi AS ma_don_vi_goc,
             x.d_recv < p.a AS ky_truoc,
             x.d_end IS NOT NULL AND x.d_end <= p.b AS da_giai_quyet,
             ({many} AND x.n_bs > 1) AS late_forced,
             CASE WHEN {one} AND x.n_bs = 1 AND x.d_req IS NOT NULL
                  THEN greatest(0, coalesce(date_diff('day', x.d_req, {pause_end}), 0)) ELSE 0 END AS pause_days
      FROM tthc_base x JOIN tthc_periods p
        ON x.d_recv <= p.b AND coalesce(x.d_end, {FAR}) >= p.a
    ),
    tthc_cls AS (
      SELECT j.*,
             CAST(j.due_base + CAST(j.pause_days AS INTEGER) AS DATE) AS due,
             j.due_base IS NULL AS no_due,
             CASE WHEN j.da_giai_quyet THEN
                  CASE WHEN j.late_forced THEN 'qua_han'
                       WHEN j.due_base IS NULL THEN 'dung_han'
                       WHEN j.d_end < j.due_base + CAST(j.pause_days AS INTEGER) THEN 'truoc_han'
                       WHEN j.d_end = j.due_base + CAST(j.pause_days AS INTEGER) THEN 'dung_han'
                       ELSE 'qua_han' END
                  ELSE
                  CASE WHEN j.late_forced THEN 'qua_han'
                       WHEN j.due_base IS NULL THEN 'trong_han'
                       WHEN j.b <= j.due_base + CAST(j.pause_days AS INTEGER) THEN 'trong_han'
                       ELSE 'qua_han' END
             END AS tien_do
      FROM joined j
    )"""


def catalogue_hash(con) -> str:
    if not has_catalogue(con):
        return "-"
    row = con.execute("SELECT count(*), bit_xor(hash(c)) FROM catalogue c").fetchall()[0]
    return hashlib.sha256(repr(row).encode()).hexdigest()[:16]
