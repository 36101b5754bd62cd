"""Vectorised generator of synthetic dossiers in canonical columns (``tthc.schema.DOSSIER_COLUMNS``).

Everything is drawn with numpy from one seeded generator, so the same ``(n, seed, units, calendar)`` always gives the
same frame. Unit *profiles* (online share, digitisation, late rate, ...) come from a separate generator seeded only
by ``seed``, so a unit keeps its character whatever ``n`` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..schema import DOSSIER_COLUMNS
from ..units import Registry, load_registry
from ..workdays import WorkCalendar, load_calendar
from .catalogue import FIELDS, PROCEDURES

START = date(2024, 1, 1)
END = date(2026, 11, 30)  # extraction date: dossiers still open at the end of this day are pending
COMMUNE_SHARE = 0.62      # share of dossiers handled at commune level (hộ tịch / chứng thực dominate)
CHUNK = 1_000_000         # rows generated at a time (memory bound for the 10 M benchmark)
DESK_SHARE = 0.15         # share of district-level dossiers processed by the one-stop desk (huyện) itself
# after the 01/07/2025 reform: where the former district procedures went (keyword of the district office in the
# catalogue → keyword of the department's name, or "xa": devolved to the communes; unmatched: the province's centre)
POST_REFORM_OFFICE = {"tài nguyên": "môi trường", "nông nghiệp": "nông nghiệp", "tư pháp": "tư pháp",
                      "lao động": "nội vụ", "nội vụ": "nội vụ", "y tế": "y tế", "giáo dục": "giáo dục",
                      "kinh tế": "xa", "tài chính": "xa"}
CROSS_COMMUNE = 0.07      # commune dossiers received at another commune's centre (Decree 118/2025, no boundary)
DEPT_AT_COMMUNE = 0.55    # department dossiers received for it at a commune's centre ("tiếp nhận hộ")
HANDOVER_DELAY = 0.5      # share of dossiers pending at their unit's closing that the hand-over delays

# profile tiers: (online, digitised, e-result, reuse, evaluation at xa, evaluation elsewhere, late) ranges
TIERS = {
    "tot": dict(online=(0.66, 0.88), so_hoa=(1.0, 1.0), kq_dt=(1.0, 1.0), tai_sd=(0.55, 0.75),
                dg_xa=(1.0, 1.0), dg_huyen=(0.82, 0.95), late=(0.0, 0.015), apology=(0.6, 0.9)),
    "kha": dict(online=(0.35, 0.60), so_hoa=(0.90, 0.99), kq_dt=(0.85, 0.98), tai_sd=(0.20, 0.50),
                dg_xa=(0.70, 0.97), dg_huyen=(0.60, 0.85), late=(0.03, 0.06), apology=(0.3, 0.7)),
    "yeu": dict(online=(0.08, 0.26), so_hoa=(0.50, 0.85), kq_dt=(0.40, 0.80), tai_sd=(0.02, 0.15),
                dg_xa=(0.20, 0.60), dg_huyen=(0.20, 0.60), late=(0.07, 0.11), apology=(0.1, 0.4)),
}


@dataclass
class UnitProfile:
    """Per-unit behaviour of the simulation (rates are probabilities per dossier)."""

    code: str
    level: str
    tier: str
    online: float
    so_hoa: float
    kq_dt: float
    tai_sd: float
    danh_gia: float
    late: float
    apology: float
    sync: float


def eras(registry: Registry, start: date = START, end: date = END) -> list[tuple[date, date]]:
    """The sample range cut at every validity boundary of the registry (for the sample: before and after the
    01/07/2025 reform); within an era the set of valid units does not change."""
    cuts = {start}
    for u in registry:
        for d in (u.valid_from, (u.valid_to + timedelta(days=1)) if u.valid_to else None):
            if d is not None and start < d <= end:
                cuts.add(d)
    cuts = sorted(cuts)
    return [(a, (cuts[i + 1] - timedelta(days=1)) if i + 1 < len(cuts) else end) for i, a in enumerate(cuts)]


def era_units(registry: Registry, a: date, b: date):
    """Units valid over the whole era [a, b]."""
    return sorted((u for u in registry if u.valid_from <= a and (u.valid_to is None or u.valid_to >= b)),
                  key=lambda u: u.code)


def data_units(registry: Registry, start: date = START, end: date = END):
    """Units that get dossiers: valid over a whole era of the sample range (:func:`eras`)."""
    out = {u.code: u for a, b in eras(registry, start, end) for u in era_units(registry, a, b)}
    return sorted(out.values(), key=lambda u: u.code)


def unit_profiles(registry: Registry, seed: int = 0) -> dict[str, UnitProfile]:
    """Deterministic per-unit profiles: about 30% 'tốt' (meet every target), 40% 'khá', 30% 'yếu'."""
    units = data_units(registry)
    rng = np.random.default_rng([seed, 7919])
    k = len(units)
    n_tot = max(1, round(0.3 * k)) if k else 0
    n_yeu = max(1, round(0.3 * k)) if k > 1 else 0
    tiers = ["tot"] * n_tot + ["yeu"] * n_yeu + ["kha"] * max(0, k - n_tot - n_yeu)
    tiers = [tiers[i] for i in rng.permutation(k)]
    out = {}
    for u, tier in zip(units, tiers):
        t = TIERS[tier]
        draw = {key: float(rng.uniform(*t[key])) for key in ("online", "so_hoa", "kq_dt", "tai_sd", "late",
                                                               "apology")}
        dg = float(rng.uniform(*(t["dg_xa"] if u.level == "xa" else t["dg_huyen"])))
        sync = float(rng.uniform(0.93, 1.0))
        out[u.code] = UnitProfile(code=u.code, level=u.level, tier=tier, danh_gia=dg, sync=sync, **draw)
    return out


def _lanes(registry: Registry, seed: int, a: date = START, b: date = END):
    """(processing unit, receiving unit, procedure) combinations with their probability, for the era [a, b].

    District era: commune procedures at each commune; district procedures received at the one-stop desk
    (huyện) and processed by the office whose name matches the procedure (or the desk). Province era (a ``tinh``
    unit with departments): commune procedures at each commune, some received at another commune's centre
    (Decree 118/2025); district procedures devolved to the communes or processed by the matching department
    (:data:`POST_REFORM_OFFICE`), received at the province's centre or for it at a commune's centre."""
    units = era_units(registry, a, b)
    communes = [u for u in units if u.level == "xa"]
    desks = [u for u in units if u.level in ("huyen", "tinh")]
    if not units:
        raise InputError(f"{registry.path}: no unit is valid over {a}–{b}; the sample needs at least one")
    rng = np.random.default_rng([seed, 104729])
    size = {u.code: (1.8 if ("thị trấn" in u.name.lower() or "phường" in u.name.lower())
                     else float(rng.uniform(0.6, 1.4))) for u in sorted(communes, key=lambda u: u.code)}
    xa_procs = [i for i, p in enumerate(PROCEDURES) if p.level == "xa"]
    hu_procs = [i for i, p in enumerate(PROCEDURES) if p.level == "huyen"]
    w_xa = np.array([PROCEDURES[i].weight for i in xa_procs])
    w_hu = np.array([PROCEDURES[i].weight for i in hu_procs])
    w_xa, w_hu = w_xa / w_xa.sum(), w_hu / w_hu.sum()
    share_xa = COMMUNE_SHARE if desks else 1.0
    share_hu = 1.0 - share_xa if communes else 1.0
    lanes: list[tuple[str, str, int, float]] = []
    tot = sum(size.values())
    two_tier = any(d.level == "tinh" for d in desks)
    for u in communes:
        others = [o for o in communes if o.code != u.code]
        for j, w in zip(xa_procs, w_xa):
            lw = share_xa * size[u.code] / tot * w
            if two_tier and others:
                lanes.append((u.code, u.code, j, lw * (1 - CROSS_COMMUNE)))
                lanes.extend((u.code, o.code, j, lw * CROSS_COMMUNE / len(others)) for o in others)
            else:
                lanes.append((u.code, u.code, j, lw))
    for d in desks:
        offices = [u for u in units if u.parent == d.code and u.level in ("phong", "so")]
        for j, w in zip(hu_procs, w_hu):
            kw = PROCEDURES[j].office.lower()
            lane_w = share_hu / len(desks) * w
            if d.level == "tinh":
                target = POST_REFORM_OFFICE.get(kw, "")
                if target == "xa" and communes:
                    lanes.extend((c.code, c.code, j, lane_w * size[c.code] / tot) for c in communes)
                    continue
                match = [o for o in offices if target and target in o.name.lower()]
                if match:
                    lanes.append((match[0].code, d.code, j, lane_w * (1 - DEPT_AT_COMMUNE)))
                    lanes.extend((match[0].code, c.code, j, lane_w * DEPT_AT_COMMUNE * size[c.code] / tot)
                                 for c in communes)
                else:
                    lanes.append((d.code, d.code, j, lane_w))
                continue
            match = [o for o in offices if kw and kw in o.name.lower()]
            if match:
                lanes.append((match[0].code, d.code, j, lane_w * (1 - DESK_SHARE)))
                lanes.append((d.code, d.code, j, lane_w * DESK_SHARE))
            else:
                lanes.append((d.code, d.code, j, lane_w))
    p = np.array([lane[3] for lane in lanes])
    return lanes, p / p.sum()


def _day_weights(cal: WorkCalendar, days: np.ndarray) -> np.ndarray:
    """Receipt intensity per working day: month-end surge, the Tết dip, a mild Monday peak and growth."""
    w = np.ones(len(days))
    month = days.astype("datetime64[M]")
    last_of_month = np.r_[month[1:] != month[:-1], True]
    # last three working days of each month
    idx_last = np.flatnonzero(last_of_month)
    for k in (0, 1, 2):
        w[np.clip(idx_last - k, 0, None)] *= (1.7, 1.45, 1.25)[k]
    tet = np.array(sorted(d for d, name in cal.holiday_names.items() if "Lunar New Year" in name),
                   dtype="datetime64[D]")
    if len(tet):
        dist = np.min(np.abs(days[:, None] - tet[None, :]).astype("int64"), axis=1)
        w[dist <= 7] *= 0.55
        w[(dist > 7) & (dist <= 14)] *= 0.8
    weekday = (days.astype("int64") - 4) % 7
    w[weekday == 0] *= 1.15
    w[weekday == 5] *= 0.7  # make-up Saturdays are quieter
    t = (days - days[0]).astype("int64") / max(1, int((days[-1] - days[0]).astype("int64")))
    return w * (0.9 + 0.2 * t)


def _ts(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[s]") + (minutes * 60).astype("timedelta64[s]")


def generate_frame(n: int = 30_000, seed: int = 20250331, units: Registry | str | None = None,
                   calendar: WorkCalendar | None = None) -> pd.DataFrame:
    """``n`` synthetic dossiers in canonical columns (spec §3), received 2024-01-01 .. 2026-11-30.

    The range is cut into eras at the registry's validity boundaries (:func:`eras`): each era's dossiers go to the
    units valid over it (the district and its communes up to 30/06/2025, then the province, its departments and
    communes). Dossiers left pending by a closing unit are delayed by the hand-over with probability
    :data:`HANDOVER_DELAY`; they keep their original unit code, the engine passes them to the successor.

    Low-cardinality strings (procedure, field, unit codes and names) are pandas Categoricals (dictionary-encoded in
    Parquet); ``ma_ho_so`` is a string ``<unit>-<yymmdd>-<seq>``; dates are ``datetime64[us]`` (NaT when absent);
    ``muc_hai_long`` is nullable Int8.
    """
    if n < 0:
        raise InputError(f"--dossiers must be ≥ 0, got {n}")
    reg = units if isinstance(units, Registry) else load_registry(units)
    cal = calendar or load_calendar()
    profiles = unit_profiles(reg, seed)
    era_list = eras(reg)
    era_lanes = [_lanes(reg, seed, a, b) for a, b in era_list]
    wd = cal.workdays
    lo, hi = np.datetime64(START, "D"), np.datetime64(END, "D")
    days = wd[(wd >= lo) & (wd <= hi)]
    dw = _day_weights(cal, days)
    rng = np.random.default_rng([seed, n])
    day_all = np.sort(rng.choice(len(days), size=n, p=dw / dw.sum()).astype(np.int32))
    # chunks of whole days (never across an era) keep memory bounded at 10 M rows; codes are numbered within
    # (unit, day)
    close = {u.code: np.datetime64(u.valid_to, "D") for u in reg if u.valid_to is not None and u.code in profiles}
    era_end = [int(np.searchsorted(day_all, np.searchsorted(days, np.datetime64(b, "D"), side="right")))
               for _, b in era_list]
    parts, k, lo_i = [], 0, 0
    for (lanes, lane_p), hi_i in zip(era_lanes, era_end):
        bounds = [lo_i]
        while bounds[-1] < hi_i:
            j = min(bounds[-1] + CHUNK, hi_i)
            if j < hi_i:
                j = int(np.searchsorted(day_all, day_all[j], side="right"))
            bounds.append(j)
        for a, b in zip(bounds[:-1], bounds[1:]):
            parts.append(_chunk(np.random.default_rng([seed, n, k]), day_all[a:b], days, lanes, lane_p, profiles,
                                cal, close))
            k += 1
        lo_i = hi_i
    del day_all
    if not parts:
        lanes, lane_p = era_lanes[0]
        parts = [_chunk(np.random.default_rng([seed, 0]), np.zeros(0, np.int32), days, lanes, lane_p, profiles, cal,
                        close)]
    df = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    assert list(df.columns) == list(DOSSIER_COLUMNS)
    return df


def _chunk(rng, day_i, days, lanes, lane_p, profiles, cal, close=None) -> pd.DataFrame:
    n = len(day_i)
    wd = cal.workdays
    codes = sorted(profiles)
    uidx = {c: i for i, c in enumerate(codes)}
    prof = {f: np.array([getattr(profiles[c], f) for c in codes]) for f in
            ("online", "so_hoa", "kq_dt", "tai_sd", "danh_gia", "late", "apology", "sync")}
    lane_xl = np.array([uidx[lane[0]] for lane in lanes], dtype=np.int16)
    lane_tn = np.array([uidx[lane[1]] for lane in lanes], dtype=np.int16)
    lane_tt = np.array([lane[2] for lane in lanes], dtype=np.int16)
    limit_p = np.array([p.thoi_han_gq for p in PROCEDURES], dtype=np.int64)
    fee_p = np.array([p.le_phi > 0 for p in PROCEDURES])

    lane = rng.choice(len(lanes), size=n, p=lane_p)
    xl, tn, tt = lane_xl[lane], lane_tn[lane], lane_tt[lane]
    del lane
    # sort by receipt so that codes and sequence numbers run in time order
    recv_min = day_i.astype(np.int64) * 1440 + 450 + rng.integers(0, 540, size=n)  # 07:30–16:30
    order = np.lexsort((xl, recv_min))
    xl, tn, tt, day_i, recv_min = xl[order], tn[order], tt[order], day_i[order], recv_min[order]
    del order
    day = days[day_i]
    recv_ts = _ts(day, recv_min % 1440) + rng.integers(0, 60, size=n).astype("timedelta64[s]")
    limit = limit_p[tt]
    co_phi = fee_p[tt]

    # channel: online share by unit, rising over time (the 2025 push for online services)
    trend = 0.85 + 0.25 * (day_i / max(1, len(days) - 1))
    online = rng.random(n) < np.minimum(prof["online"][xl] * trend, 0.98)
    kenh = np.where(online, 2, np.where(rng.random(n) < 0.02, 3, 1)).astype(np.int8)
    nop_ts = np.where(online, recv_ts - rng.integers(5, 2 * 1440, size=n).astype("timedelta64[m]"), recv_ts)

    due = cal.add_working_days_array(day, limit)
    due_ts = _ts(due, np.full(n, 17 * 60))

    # supplements: mostly none, sometimes one, rarely two (two makes a dossier overdue by the portal's rule)
    u = rng.random(n)
    p_bs = np.where(limit >= 5, 0.10, 0.03)
    so_bs = np.where(u < 0.004, 2, np.where(u < p_bs, 1, 0)).astype(np.int16)
    has_bs = so_bs > 0
    bs_off = (rng.random(n) * np.maximum(limit, 1)).astype(np.int64)
    bs_req_day = cal.add_working_days_array(day, bs_off)
    pause1 = rng.integers(1, 15, size=n)
    pause2 = np.where(so_bs == 2, rng.integers(1, 10, size=n), 0)
    bs_req_ts = np.maximum(_ts(bs_req_day, rng.integers(480, 1020, size=n)), recv_ts + np.timedelta64(3600, "s"))
    bs_done_ts = bs_req_ts + (pause1 * 86400).astype("timedelta64[s]")
    pause_tot = np.where(has_bs, pause1 + pause2 + np.where(so_bs == 2, 1, 0), 0)

    # processing time in working days: early/on time, or late by a geometric number of days
    late_plan = rng.random(n) < prof["late"][xl]
    dur = np.where(late_plan, limit + rng.geometric(0.25, size=n),
                   np.floor(limit * rng.beta(2.0, 1.6, size=n))).astype(np.int64)
    end_day = cal.add_working_days_array(day, dur)
    shifted = end_day + pause_tot.astype("timedelta64[D]")
    prev_wd = wd[np.clip(cal.rank(shifted) - 1, 0, len(wd) - 1)]
    end_day = np.where(has_bs, np.maximum(prev_wd, bs_done_ts.astype("datetime64[D]")), end_day)
    if close:  # the hand-over at a unit's closing delays part of its pending dossiers (files moved, new staff)
        t_close = np.array([close.get(c, np.datetime64("NaT")) for c in codes], dtype="datetime64[D]")[xl]
        caught = ~np.isnat(t_close) & (end_day > t_close) & (rng.random(n) < HANDOVER_DELAY)
        extra = np.where(caught, rng.geometric(0.3, size=n), 0).astype(np.int64)
        end_day = np.where(caught, cal.add_working_days_array(end_day, extra), end_day)
    end_ts = np.maximum(_ts(end_day, rng.integers(480, 1020, size=n)), recv_ts + np.timedelta64(1800, "s"))
    cutoff = np.datetime64(END, "D") + np.timedelta64(1, "D")
    ended = end_ts < cutoff

    # statuses
    trang_thai = np.where(ended, 10, 4).astype(np.int8)
    tra_ts = end_ts + (rng.integers(0, 3, size=n) * 86400 + rng.integers(0, 7200, size=n)).astype("timedelta64[s]")
    trang_thai[ended & ((tra_ts >= cutoff) | (rng.random(n) < 0.03))] = 9
    stopped = ended & (rng.random(n) < 0.003)
    trang_thai[stopped] = 8
    pend = ~ended
    near_end = day_i >= len(days) - 2
    r = rng.random(n)
    trang_thai[pend & co_phi & (r < 0.2)] = 6
    trang_thai[pend & near_end & (r >= 0.2) & (r < 0.6)] = 2
    trang_thai[pend & (r >= 0.985)] = 7
    # supplement state at the extraction date
    bs_open = has_bs & (bs_req_ts < cutoff) & (bs_done_ts >= cutoff)
    bs_future = has_bs & (bs_req_ts >= cutoff)
    trang_thai[pend & bs_open] = 5
    so_bs = np.where(bs_future, 0, so_bs).astype(np.int16)
    so_bs = np.where(bs_open & (so_bs == 2), 1, so_bs).astype(np.int16)
    has_bs = so_bs > 0
    # not received (excluded from every count): rejected at intake, or online and not yet received
    rej = rng.random(n) < np.where(online, 0.02, 0.006)
    trang_thai[rej] = 3
    moi = online & near_end & pend & (rng.random(n) < 0.3)
    trang_thai[moi] = 1
    not_recv = rej | moi

    resolved = np.isin(trang_thai, (9, 10))
    has_end = resolved | (trang_thai == 8) | (trang_thai == 3)
    end_ts = np.where(trang_thai == 3, recv_ts + rng.integers(600, 14400, size=n).astype("timedelta64[s]"), end_ts)
    so_bs[trang_thai == 3] = 0
    has_bs = so_bs > 0

    # timeliness by the spec's rule (dates only; one supplement extends the due date by the pause)
    end_d = end_ts.astype("datetime64[D]")
    pause_d = np.where(so_bs == 1, np.maximum((bs_done_ts.astype("datetime64[D]")
                                               - bs_req_ts.astype("datetime64[D]")).astype(np.int64), 0), 0)
    due_ext = due + pause_d.astype("timedelta64[D]")
    late_res = resolved & ((end_d > due_ext) | (so_bs > 1))
    late_pend = ~has_end & ~not_recv & ((np.datetime64(END, "D") > due_ext) | (so_bs > 1))
    xin_loi = (late_res | late_pend) & (rng.random(n) < prof["apology"][xl])
    # due date moved by the supplement (DVCQG NgayHenTraMoi, spec §3/§6) for every third completed single
    # supplement: the moved date includes the pause and no pause is added to it, so the classes are unchanged
    moved = (so_bs == 1) & (bs_done_ts < cutoff) & (day_i % 3 == 0)
    due_ts = np.where(moved, due_ts + (pause_d * 86400).astype("timedelta64[s]"), due_ts)

    # payment, digitisation, results, reuse, evaluation, synchronisation
    tt_u = rng.random(n)
    paid = co_phi & ~not_recv & np.where(online, tt_u < np.minimum(prof["online"][xl] + 0.15, 0.97), tt_u < 0.03)
    thanh_toan = np.where(paid, np.where(rng.random(n) < 0.65, 1, 2), 0).astype(np.int8)
    so_hoa = rng.random(n) < prof["so_hoa"][xl]
    # a stopped dossier (8) also counts as resolved in the period (spec §6): it gets a notice and may be evaluated
    closed = resolved | (trang_thai == 8)
    kq_dt = closed & (rng.random(n) < prof["kq_dt"][xl])
    tai_sd = rng.random(n) < prof["tai_sd"][xl]
    tu_kho = tai_sd & online & (rng.random(n) < 0.5)
    danh_gia = closed & (rng.random(n) < prof["danh_gia"][xl])
    late_any = late_res | late_pend
    m = rng.random(n)
    p1 = np.where(late_any, 0.25, 0.03)
    muc = np.where(m < p1, 1, np.where(m < p1 + 0.40, 2, 3)).astype(np.int8)
    dong_bo = rng.random(n) < prof["sync"][xl]

    # dossier code: <unit>-<yymmdd>-<sequence within unit and day>
    key = xl.astype(np.int64) * 100_000 + day_i
    o = np.argsort(key, kind="stable")
    ks = key[o]
    start_idx = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1]
    grp_start = np.repeat(start_idx, np.diff(np.r_[start_idx, n]))
    seq = np.empty(n, dtype=np.int64)
    seq[o] = np.arange(n) - grp_start + 1
    del o, ks, grp_start, key
    code_arr = pa.array(np.array(codes, dtype=object)).take(pa.array(xl))
    ymd = pc.strftime(pa.array(day.astype("datetime64[s]")), format="%y%m%d")
    seq_s = pc.utf8_lpad(pc.cast(pa.array(seq), pa.string()), 4, "0")
    ma_ho_so = pc.binary_join_element_wise(code_arr, ymd, seq_s, "-")
    del code_arr, ymd, seq_s, seq

    nat = np.datetime64("NaT", "s")
    tthc_codes = [p.ma_tthc for p in PROCEDURES]
    field_codes = list(FIELDS)
    field_of = np.array([field_codes.index(p.ma_linh_vuc) for p in PROCEDURES], dtype=np.int16)

    def cat(idx, cats):
        return pd.Categorical.from_codes(idx, categories=cats)

    def tscol(a):
        return a.astype("datetime64[us]")

    return pd.DataFrame({
        "ma_ho_so": ma_ho_so.to_pandas(),
        "ma_tthc": cat(tt, tthc_codes),
        "ten_tthc": cat(tt, [p.ten_tthc for p in PROCEDURES]),
        "ma_linh_vuc": cat(field_of[tt], field_codes),
        "ten_linh_vuc": cat(field_of[tt], list(FIELDS.values())),
        "don_vi_xu_ly": cat(xl, codes),
        "don_vi_tiep_nhan": cat(tn, codes),
        "ma_don_vi": cat(xl, codes),
        "kenh": kenh,
        "ngay_nop": tscol(nop_ts),
        "ngay_tiep_nhan": tscol(recv_ts),
        "ngay_hen_tra": tscol(due_ts),
        "ngay_ket_thuc_xu_ly": tscol(np.where(has_end, end_ts, nat)),
        "ngay_tra": tscol(np.where(trang_thai == 10, tra_ts, nat)),
        "trang_thai": trang_thai,
        "so_lan_bo_sung": so_bs,
        "ngay_yeu_cau_bo_sung": tscol(np.where(has_bs, bs_req_ts, nat)),
        "ngay_hoan_thanh_bo_sung": tscol(np.where(has_bs & (bs_done_ts < cutoff), bs_done_ts, nat)),
        "han_da_doi": moved,
        "co_phieu_xin_loi": xin_loi,
        "co_phi": co_phi,
        "thanh_toan_truc_tuyen": thanh_toan,
        "so_hoa_ho_so": so_hoa,
        "ket_qua_dien_tu": kq_dt,
        "tai_su_dung": tai_sd,
        "tu_kho_du_lieu": tu_kho,
        "dong_bo_dvcqg": dong_bo,
        "co_danh_gia": danh_gia,
        "muc_hai_long": pd.arrays.IntegerArray(np.where(danh_gia, muc, 0).astype(np.int8), ~danh_gia),
        "thoi_han_gq": limit.astype(np.int16),
    })
