"""Hand-over of pending dossiers at a unit's closing (spec §2, Decision "successors").

A dossier attributed to unit U (``ma_don_vi``) that U closes on day T (``valid_to``) without having ended
(end of processing after T, or none) passes to U's first listed successor S — or to the successor the dossier-level
mapping names — and counts there from T + 1 on: for a period [a, b] it belongs to S when b > T, to U when b ≤ T.
So in the first period after the reform (a = T + 1) it is carried over (``ky_truoc``, Biểu 06 col 6) at S, and a
period spanning T (the year 2025, the report window 15/06–14/09) counts it once, at the unit holding it at the
period end. Chains follow first successors (S itself closing later). Every counter path applies the same rule:
the reference join (:mod:`tthc.engine.sql`), the per-dossier classification and the event counting
(:mod:`tthc.engine.events`, which keeps the hand-over steps in its key and picks the holder per period).

Temp tables on the connection (:func:`register`): ``tthc_ho_step(unit, t, t_day, succ)`` one row per closed unit
with a successor (``t_day``: days since 1970-01-01) and ``tthc_ho_map(ma_ho_so, succ)`` the optional mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

EPOCH = date(1970, 1, 1)
FAR_DAY = 2_000_000_000


@dataclass(frozen=True)
class Handover:
    depth: int      # longest chain of steps a dossier can take (0: no hand-over at all)
    mapped: bool    # a dossier-level mapping is registered (needs per-dossier rows)


NONE = Handover(0, False)


def register(con, registry) -> Handover:
    """Register the hand-over tables of ``registry`` on ``con``; returns the chain depth and whether a mapping
    applies. Nothing is registered (depth 0) when the registry has no closed unit with successors or the
    hand-over is switched off."""
    if registry is None:
        return NONE
    steps = registry.handover_steps()
    if not steps:
        return NONE
    st = pd.DataFrame(steps, columns=["unit", "t", "succ"])
    st["t_day"] = [(t - EPOCH).days for t in st["t"]]
    st["t"] = pd.to_datetime(st["t"])
    mp = registry.mapping_frame()
    mapped = mp is not None and len(mp) > 0
    if mp is None:
        mp = pd.DataFrame({"ma_ho_so": pd.Series(dtype="str"), "successor": pd.Series(dtype="str")})
    for name, df in (("tthc_ho_step", st), ("tthc_ho_map", mp.rename(columns={"successor": "succ"}))):
        con.register(f"{name}_df", df)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")
    con.execute("CREATE OR REPLACE TEMP TABLE tthc_ho_step AS SELECT CAST(unit AS VARCHAR) AS unit, "
                "CAST(t AS DATE) AS t, CAST(t_day AS INTEGER) AS t_day, CAST(succ AS VARCHAR) AS succ "
                "FROM tthc_ho_step")
    depth = registry.handover_depth()
    if mapped:  # a mapped successor may itself close later: its own chain follows
        nxt = {u: s for u, _, s in steps}
        for s in set(mp["successor"]):
            d, c = 1, s
            while c in nxt and d <= len(nxt) + 1:
                c, d = nxt[c], d + 1
            depth = max(depth, d)
    return Handover(depth, mapped)


def chain_sql(ho: Handover, unit: str, end: str, ident: str | None, days: bool) -> tuple[str, list[str], list[str]]:
    """(LEFT JOINs, [closing day expr per step], [successor expr per step]) for rows with unit column ``unit``, end
    column ``end`` (NULL while pending) and dossier code ``ident`` (None: no mapping available). A step is kept only
    when the dossier had not ended by that closing day (and by every earlier one); otherwise its columns are NULL.
    ``days``: closing days as integers (day numbers, as :mod:`tthc.engine.days`) instead of DATEs."""
    if ho.depth == 0:
        return "", [], []
    tcol = "t_day" if days else "t"
    far = str(FAR_DAY) if days else "DATE '9999-12-31'"
    joins = [f"LEFT JOIN tthc_ho_step h1 ON h1.unit = {unit}"]
    s1 = "h1.succ"
    if ho.mapped and ident is not None:
        joins.insert(0, f"LEFT JOIN tthc_ho_map hm ON hm.ma_ho_so = {ident}")
        s1 = "coalesce(hm.succ, h1.succ)"
    ts, ss = [], []
    alive = "TRUE"
    succ = s1
    for i in range(1, ho.depth + 1):
        if i > 1:
            joins.append(f"LEFT JOIN tthc_ho_step h{i} ON h{i}.unit = {succ}")
            succ = f"h{i}.succ"
        cond = f"{alive} AND h{i}.{tcol} IS NOT NULL AND coalesce({end}, {far}) > h{i}.{tcol}"
        ts.append(f"CASE WHEN {cond} THEN h{i}.{tcol} END")
        ss.append(f"CASE WHEN {cond} THEN {succ} END")
        alive = cond
    return "\n      ".join(joins), ts, ss


def holder_sql(unit: str, ts: list[str], ss: list[str], b: str) -> str:
    """The unit holding the dossier at period end ``b``: the last step whose closing day is before b."""
    if not ts:
        return unit
    whens = " ".join(f"WHEN {t} < {b} THEN {s}" for t, s in reversed(list(zip(ts, ss))))
    return f"CASE {whens} ELSE {unit} END"


def holders(units: np.ndarray, chains: list[list[tuple[int, str]]], ki: np.ndarray, b_days: np.ndarray
            ) -> np.ndarray:
    """Numpy counterpart of :func:`holder_sql` for the event path: ``units`` (per row), ``chains`` (per key, the
    kept steps as (closing day number, successor)), ``ki`` (per row, its key), ``b_days`` (per row, the period
    end's day number)."""
    out = np.asarray(units, dtype=object).copy()
    depth = max((len(c) for c in chains), default=0)
    for k in range(depth):
        t = np.array([c[k][0] if len(c) > k else FAR_DAY for c in chains], dtype="int64")
        s = np.array([c[k][1] if len(c) > k else None for c in chains], dtype=object)
        hit = t[ki] < b_days
        out[hit] = s[ki][hit]
    return out
