"""The canonical frame of the synthetic sample: shape, calendar, patterns and rates (spec §3, §4, §6, §7)."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tthc.sample import generate_frame
from tthc.schema import DOSSIER_COLUMNS, PERSONAL_FIELDS



def _late_resolved(df: pd.DataFrame) -> pd.Series:
    """Spec §6: resolved (9/10) and end date > due date (+ the pause with exactly one supplement), or > 1 supplement."""
    end = df["ngay_ket_thuc_xu_ly"].dt.normalize()
    due = df["ngay_hen_tra"].dt.normalize()
    pause = (df["ngay_hoan_thanh_bo_sung"].dt.normalize() - df["ngay_yeu_cau_bo_sung"].dt.normalize()).dt.days
    # a moved due date (han_da_doi) already holds the pause (spec §6)
    pause = pause.fillna(0).clip(lower=0).where((df["so_lan_bo_sung"] == 1) & ~df["han_da_doi"], 0)
    resolved = df["trang_thai"].isin([9, 10])
    return resolved & ((end > due + pd.to_timedelta(pause, unit="D")) | (df["so_lan_bo_sung"] > 1))


def _received(df):
    return df[~df["trang_thai"].isin([1, 3])]


def test_columns_are_canonical_and_no_personal_data(frame):
    assert list(frame.columns) == list(DOSSIER_COLUMNS)
    assert not set(frame.columns) & set(PERSONAL_FIELDS)
    assert frame["ma_ho_so"].is_unique
    assert frame[["ma_ho_so", "ma_tthc", "ma_linh_vuc", "ngay_tiep_nhan", "trang_thai"]].notna().all().all()


def test_row_count_and_scaling(registry, calendar):
    for n in (0, 1, 1234):
        assert len(generate_frame(n, seed=3, units=registry, calendar=calendar)) == n


def test_same_seed_same_frame_other_seed_differs(registry, calendar):
    a = generate_frame(3000, seed=11, units=registry, calendar=calendar)
    b = generate_frame(3000, seed=11, units=registry, calendar=calendar)
    c = generate_frame(3000, seed=12, units=registry, calendar=calendar)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_date_range(frame):
    r = frame["ngay_tiep_nhan"]
    assert r.min() >= pd.Timestamp("2024-01-01") and r.max() < pd.Timestamp("2026-12-01")
    # both ends of the range are used: the first working day of 2024 and the last of November 2026
    assert r.min().date() == date(2024, 1, 2)
    assert r.max().date() == date(2026, 11, 30)
    for c in ("ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_yeu_cau_bo_sung", "ngay_hoan_thanh_bo_sung"):
        assert frame[c].max() < pd.Timestamp("2026-12-01"), c


def test_receipts_only_on_working_days(frame, calendar):
    days = frame["ngay_tiep_nhan"].dt.normalize().to_numpy().astype("datetime64[D]")
    assert np.isin(days, calendar.workdays).all()
    got = set(frame["ngay_tiep_nhan"].dt.date)
    tet_2025 = {date(2025, 1, d) for d in range(27, 32)} | {date(2025, 2, 1)}
    holidays_ = {date(2024, 1, 1), date(2024, 4, 18), date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1),
                 date(2024, 9, 2), date(2024, 9, 3), date(2025, 1, 1), date(2025, 4, 7), date(2025, 4, 30),
                 date(2025, 5, 1), date(2025, 5, 2)} | {date(2024, 2, d) for d in range(8, 15)}
    assert not got & tet_2025
    assert not got & holidays_
    assert not any(d.weekday() == 6 for d in got)
    # make-up Saturday 26/04/2025 is a working day; an ordinary Saturday is not
    assert date(2025, 4, 26) in got and date(2025, 4, 19) not in got


def _per_day(frame, calendar):
    wd = calendar.workdays
    days = wd[(wd >= np.datetime64("2024-01-01")) & (wd <= np.datetime64("2026-11-30"))]
    counts = frame["ngay_tiep_nhan"].dt.normalize().value_counts()
    return pd.Series([counts.get(pd.Timestamp(d), 0) for d in days], index=pd.DatetimeIndex(days))


def test_tet_dip_and_month_end_surge(frame, calendar):
    per_day = _per_day(frame, calendar)
    near_tet = per_day[(per_day.index >= "2025-01-20") & (per_day.index <= "2025-02-07")]
    assert near_tet.mean() < 0.8 * per_day.mean()
    month = per_day.index.to_period("M")
    last3 = per_day.groupby(month).transform(lambda s: np.arange(len(s)) >= len(s) - 3).astype(bool)
    assert per_day[last3].mean() > 1.25 * per_day[~last3].mean()


def test_late_share_of_resolved_between_3_and_8_percent(frame):
    resolved = frame["trang_thai"].isin([9, 10])
    share = _late_resolved(frame).sum() / resolved.sum()
    assert 0.03 <= share <= 0.08


def test_apology_letters_only_on_late_dossiers(frame):
    late = _late_resolved(frame)
    pending = ~frame["trang_thai"].isin([1, 3, 8, 9, 10])
    late_pending = pending & ((frame["ngay_hen_tra"].dt.normalize() < pd.Timestamp("2026-11-30"))
                              | (frame["so_lan_bo_sung"] > 1))
    apology = frame["co_phieu_xin_loi"]
    assert apology.sum() > 0
    assert not (apology & ~(late | late_pending)).any()
    # on part of the late ones, not all
    assert 0.1 < apology[late].mean() < 0.95


def test_online_share_spreads_across_units(frame):
    rec = _received(frame)
    share = (rec["kenh"] == 2).groupby(rec["ma_don_vi"], observed=True).mean()
    assert share.max() >= 0.60
    assert share.min() < 0.30
    assert (share >= 0.60).sum() >= 3 and (share < 0.30).sum() >= 3


def test_field_mix_by_level(frame):
    rec = _received(frame)
    commune = rec[rec["ma_don_vi"].astype(str).str.startswith("X")]
    mix = commune["ten_linh_vuc"].astype(str).value_counts(normalize=True)
    assert mix.index[0] in ("Chứng thực", "Hộ tịch") and mix.index[1] in ("Chứng thực", "Hộ tịch")
    assert mix["Chứng thực"] + mix["Hộ tịch"] > 0.8
    district = rec[~rec["ma_don_vi"].astype(str).str.startswith("X")]
    dmix = district["ten_linh_vuc"].astype(str).value_counts(normalize=True)
    assert dmix.index[0] == "Đất đai" and dmix["Đất đai"] > 0.4
    tnmt = rec[rec["ma_don_vi"] == "P005"]["ten_linh_vuc"].astype(str).value_counts(normalize=True)
    assert tnmt.index[0] == "Đất đai"
    # about 30 procedures over about 10 fields
    assert 25 <= frame["ma_tthc"].nunique() <= 45 and 8 <= frame["ma_linh_vuc"].nunique() <= 16


def test_units_with_data(frame, registry):
    got = set(frame["ma_don_vi"].astype(str))
    assert got == {u.code for u in registry}
    # every dossier is received while its processing unit is valid: the district up to 30/06/2025, then the province
    recv = frame["ngay_tiep_nhan"].dt.date
    valid = {u.code: (u.valid_from, u.valid_to or date(9999, 12, 31)) for u in registry}
    for code, (a, b) in valid.items():
        r = recv[frame["ma_don_vi"].astype(str) == code]
        assert len(r) and r.min() >= a and r.max() <= b, code
    before = frame[frame["ngay_tiep_nhan"] < pd.Timestamp("2025-07-01")]
    after = frame[frame["ngay_tiep_nhan"] >= pd.Timestamp("2025-07-01")]
    # district-level dossiers are received at the one-stop desk H001, which also processes some itself
    offices = before[before["ma_don_vi"].astype(str).str.startswith("P")]
    assert (offices["don_vi_tiep_nhan"] == "H001").all()
    assert (before["ma_don_vi"] == "H001").sum() > 0
    commune = before[before["ma_don_vi"].astype(str).str.startswith("X")]
    assert (commune["don_vi_tiep_nhan"].astype(str) == commune["ma_don_vi"].astype(str)).all()
    # after the reform, reception regardless of boundary (Decree 118/2025): some commune dossiers are received at
    # another commune, department dossiers at the province's centre or at a commune's
    xa = after[after["ma_don_vi"].astype(str).str.startswith("X")]
    cross = (xa["don_vi_tiep_nhan"].astype(str) != xa["ma_don_vi"].astype(str)).mean()
    assert 0.03 < cross < 0.12
    so = after[after["ma_don_vi"].astype(str).str.startswith("S")]
    at = so["don_vi_tiep_nhan"].astype(str).str[0].value_counts(normalize=True)
    assert set(at.index) == {"T", "X"} and 0.3 < at["X"] < 0.8


def test_pending_dossiers_handed_over_at_the_reform(frame, registry):
    """About a hundred dossiers of the closing units are still pending at 30/06/2025, and the hand-over delays
    part of them: more of them end late than of those received the same weeks by units that do not close."""
    closing = {u.code for u in registry if u.valid_to == date(2025, 6, 30)}
    recv = frame["ngay_tiep_nhan"]
    end = frame["ngay_ket_thuc_xu_ly"]
    pend = (recv < pd.Timestamp("2025-07-01")) & (end.isna() | (end >= pd.Timestamp("2025-07-01"))) \
        & ~frame["trang_thai"].isin([1, 3])
    assert frame.loc[pend, "ma_don_vi"].astype(str).isin(closing).all()
    assert 80 <= pend.sum() <= 400


def test_due_date_is_receipt_plus_limit_on_working_days(frame, calendar):
    recv = frame["ngay_tiep_nhan"].dt.normalize().to_numpy().astype("datetime64[D]")
    due = frame["ngay_hen_tra"].dt.normalize().to_numpy().astype("datetime64[D]")
    expect = calendar.add_working_days_array(recv, frame["thoi_han_gq"].to_numpy())
    # a due date moved by its supplement (han_da_doi) is the original one + the pause in calendar days
    moved = frame["han_da_doi"].to_numpy()
    pause = (frame["ngay_hoan_thanh_bo_sung"].dt.normalize() - frame["ngay_yeu_cau_bo_sung"].dt.normalize()).dt.days
    expect = np.where(moved, expect + pause.fillna(0).to_numpy().astype("timedelta64[D]"), expect)
    assert moved.sum() > 0 and (due == expect).all()
    # the spec's example: Friday 24/01/2025 + 3 working days = Wednesday 05/02/2025 (Tết 27/01–01/02)
    rows = frame[(frame["ngay_tiep_nhan"].dt.date == date(2025, 1, 24)) & (frame["thoi_han_gq"] == 3)
                 & ~frame["han_da_doi"]]
    assert len(rows) > 0 and (rows["ngay_hen_tra"].dt.date == date(2025, 2, 5)).all()


def test_status_mix_and_pending_tail(frame):
    st = frame["trang_thai"]
    assert set(st.unique()) == set(range(1, 11))
    pending = st.isin([2, 4, 5, 6, 7])
    # pending dossiers have no end of processing and sit near the end of the data
    assert frame.loc[pending, "ngay_ket_thuc_xu_ly"].isna().all()
    assert frame.loc[pending, "ngay_tiep_nhan"].median() > pd.Timestamp("2025-05-01")
    assert frame.loc[st.isin([8, 9, 10]), "ngay_ket_thuc_xu_ly"].notna().all()
    assert frame.loc[st == 10, "ngay_tra"].notna().all() and frame.loc[st != 10, "ngay_tra"].isna().all()
    assert 0.003 < st.isin([1, 3]).mean() < 0.03
    assert (st.isin([7, 8])).sum() >= 10 and (st.isin([7, 8])).mean() < 0.01
    assert (st.isin([4, 5, 6])).sum() >= 100
    # status 5: a supplement requested and not completed at the extraction date
    s5 = frame[st == 5]
    assert (s5["so_lan_bo_sung"] >= 1).all() and s5["ngay_hoan_thanh_bo_sung"].isna().all()


def test_supplements(frame):
    n = frame["so_lan_bo_sung"].value_counts()
    assert set(n.index) == {0, 1, 2}
    assert n[0] > n[1] > n[2] > 0
    bs = frame[frame["so_lan_bo_sung"] > 0]
    assert bs["ngay_yeu_cau_bo_sung"].notna().all()
    assert (bs["ngay_yeu_cau_bo_sung"] > bs["ngay_tiep_nhan"]).all()
    done = bs["ngay_hoan_thanh_bo_sung"].notna()
    assert (bs.loc[done, "ngay_hoan_thanh_bo_sung"] > bs.loc[done, "ngay_yeu_cau_bo_sung"]).all()
    none = frame[frame["so_lan_bo_sung"] == 0]
    assert none["ngay_yeu_cau_bo_sung"].isna().all() and none["ngay_hoan_thanh_bo_sung"].isna().all()


def test_payment_only_for_fee_bearing_and_mostly_online(frame):
    paid = frame["thanh_toan_truc_tuyen"] > 0
    assert set(frame["thanh_toan_truc_tuyen"].unique()) == {0, 1, 2}
    assert not (paid & ~frame["co_phi"]).any()
    assert 0.2 < frame["co_phi"].mean() < 0.9
    assert (frame.loc[paid, "kenh"] == 2).mean() > 0.8


def test_targets_met_by_some_units_missed_by_others(frame, registry):
    """D3/D4 100%, D6 100% at communes / 80% at the district, D7 ≥ 50%: some units meet them, some are far off."""
    rec = _received(frame)
    resolved = frame[frame["trang_thai"].isin([9, 10])]
    by = lambda d, c: d[c].groupby(d["ma_don_vi"], observed=True).mean()  # noqa: E731
    d3, d4, d6, d7 = by(rec, "so_hoa_ho_so"), by(resolved, "ket_qua_dien_tu"), by(resolved, "co_danh_gia"), \
        by(rec, "tai_su_dung")
    assert (d3 == 1.0).sum() >= 3 and (d3 < 0.85).sum() >= 3
    assert (d4 == 1.0).sum() >= 3 and (d4 < 0.80).sum() >= 3
    assert (d7 >= 0.5).sum() >= 3 and (d7 < 0.15).sum() >= 3
    level = {u.code: u.level for u in registry}
    xa = [c for c in d6.index if level[c] == "xa"]
    other = [c for c in d6.index if level[c] != "xa"]
    assert (d6[xa] == 1.0).sum() >= 2 and (d6[xa] < 0.6).sum() >= 2
    assert (d6[other] >= 0.8).sum() >= 1 and (d6[other] < 0.6).sum() >= 1
    # evaluations only on ended dossiers (9, 10, or 8 stopped), with a level 1..3
    assert not (frame["co_danh_gia"] & ~frame["trang_thai"].isin([8, 9, 10])).any()
    assert (frame["co_danh_gia"] == frame["muc_hai_long"].notna()).all()
    assert set(frame["muc_hai_long"].dropna().unique()) == {1, 2, 3}
    # e-results (or the stop notice) only for ended dossiers; sync to DVCQG mostly true
    assert not (frame["ket_qua_dien_tu"] & ~frame["trang_thai"].isin([8, 9, 10])).any()
    # a unit with the 'tốt' profile reaches D4 = D6 = 100% over everything that ended, stopped dossiers included
    ended = frame[frame["trang_thai"].isin([8, 9, 10])]
    full = ended.groupby("ma_don_vi", observed=True)[["ket_qua_dien_tu", "co_danh_gia"]].mean()
    assert ((full["ket_qua_dien_tu"] == 1.0) & (full["co_danh_gia"] == 1.0)).sum() >= 2
    assert frame["dong_bo_dvcqg"].mean() > 0.9
    assert not (frame["tu_kho_du_lieu"] & ~frame["tai_su_dung"]).any()


def test_generate_200k_is_vectorised(registry, calendar):
    t = time.perf_counter()
    df = generate_frame(200_000, seed=5, units=registry, calendar=calendar)
    # loose sanity bound: a per-row Python loop would take far longer
    assert time.perf_counter() - t < 20
    assert len(df) == 200_000 and df["ma_ho_so"].is_unique
