"""Event (prefix-sum) counting of the cube: every counter of every period without a dossier × period join.

For a period [a, b] the classes of spec §6 are counts of day events per key k = (attributed unit, field, field
name):

* new (``moi_tiep_nhan``): receipt day R ∈ [a, b] → F(b) − F(a − 1) with F the prefix sum of receipts by day;
* resolved (``da_giai_quyet``): end day E ∈ [a, b] (E ≥ R, so every such dossier is counted); the class
  trước/đúng/quá hạn compares E with a due date that does not depend on the period;
* carried over (``ky_truoc``) = open at a − 1, pending (``dang_giai_quyet``) = open at b, where "open at t" means
  R ≤ t < E: an interval [R, E − 1] counted with +1 at R and −1 at E (difference array, prefix sum);
* pending overdue at b: b ∈ [max(R, due + 1), E − 1] (the whole [R, E − 1] when more than one supplement makes the
  dossier late); pending in time = pending − pending overdue;
* due soon at b (pending, in time, b ≤ due ≤ b + 2 working days): b ∈ [max(R, s(due)), min(due, E − 1)] with
  s(due) the earliest queried b whose horizon reaches due (the horizon is monotone in b).

Counters over all counted dossiers (n_tong and per-dossier flags) = open(a − 1) + new[a..b]. The counters are not
written here: each is a scope and a conjunction of flags in :mod:`tthc.engine.counters`, counted as a signed sum
of scope counts weighted by flag conjunctions (``counters.terms``); each scope has one formula here
(``scope_events`` in :func:`count_events`), and the stage sums the weights ``counters.stage_weights`` names.

One DuckDB pass (:func:`stage_sql`, parallel) over the dossier-days pre-aggregate (:mod:`tthc.engine.days`: interchangeable dossiers
grouped, with their counts) maps every event day to its bucket among the queried days Q (every a − 1 and b) and
groups by key and buckets; numpy turns the small result into cumulative arrays over Q and evaluates every
(period, window) at once by fancy indexing.

The one period-dependent case — exactly one supplement with the rule ``pause_without_completion: open``, neither
completion nor end date, so the pause runs to b and the due date at b is D + max(0, b − q) (q the request day) —
is worked out exactly: overdue at b ⟺ q > D and b > D (a supplement requested by D stops the clock for good); due
soon at b < q as any dossier due on D; at b ≥ q due soon ⟺ the horizon b_soon − b ≥ D − q, which is not an
interval of b, so the stage returns those dossiers' D − q and bucket of max(R, q), and numpy checks them per period
(:func:`_special_due_soon`). ``tests/engine/test_events.py`` checks all of it against the exact join.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import counters, days, sql
from .handover import NONE, Handover, chain_sql
from .targets import Rules

UNKNOWN_FIELD = ""
EPOCH = np.datetime64("1970-01-01", "D")


def special_days(rules: Rules) -> str:
    """Condition (on the columns of :mod:`tthc.engine.days`) for the dossiers whose due date moves with the period
    end: exactly one supplement, requested, never completed, not ended, rule ``pause_without_completion: open``."""
    if not rules.supplement_pause or rules.pause_without_completion != "open":
        return "FALSE"
    return "nbs = 1 AND req IS NOT NULL AND comp IS NULL AND e0 IS NULL"


def stage_sql(rules: Rules, nq: int, q0: int, source: str = days.TABLE, ho: Handover = NONE) -> str:
    """The only pass over the dossiers, read from ``source`` (:mod:`tthc.engine.days`: the pre-aggregate, or one row
    per dossier): per group of interchangeable, period-independent dossiers, its receipt/end/due days, the class of
    its resolution and its interval end points as *buckets* of the query days (bucket(x) = number of query days < x,
    from ``tthc_ev_days``), grouped by key (unit, raw field, field name) and those buckets, summing the dossier and
    flag counts. Exact day comparisons (end vs due) happen per row before bucketing. (Grouping by a 64-bit hash of
    the key instead of the three strings was measured: no faster, DuckDB keeps the strings dictionary-encoded.)"""
    weights = counters.stage_weights()
    # two counts per BIGINT sum (32-bit lanes: no group holds 2^32 dossiers): half the aggregate updates
    sums = ", ".join(
        f"sum(CAST({e1} AS BIGINT)" + (f" | (CAST({e2} AS BIGINT) << 32)" if e2 else "") + f")::BIGINT AS p_{i}"
        for i, ((_, e1), (_, e2)) in enumerate(zip(weights[0::2], weights[1::2] + [(None, None)])))
    m = nq + 1
    if m ** 5 * 4 >= 2 ** 63:
        raise ValueError(f"{nq} query days: too many periods for one cube pass")

    return f"""WITH {_prefix_sql(rules, nq, q0, source, ho)},
    w AS (
      SELECT *,
             CASE WHEN e IS NULL THEN 0 WHEN lf THEN 3 WHEN due IS NULL THEN 2 WHEN e < due THEN 1
                  WHEN e = due THEN 2 ELSE 3 END AS cls,
             -- a special dossier whose supplement was requested by its due date is never overdue
             CASE WHEN lf THEN br WHEN due IS NOT NULL AND NOT (sp AND req <= due) THEN greatest(br, bd1) END AS bod,
             CASE WHEN NOT lf AND due IS NOT NULL AND bsoon IS NOT NULL THEN greatest(br, bsoon) END AS bslo,
             -- first day no longer "due soon": the day after the due date, the end, or (special, requested by
             -- its due date) the request day: from then on the pause moves the due date with b, see ks below
             CASE WHEN sp AND req <= due THEN least(bq, be) ELSE least(bd1, be) END AS bsend,
             -- special, requested by its due date D, at a period end b ≥ max(R, request day q): the due date is
             -- D + (b − q), so it is due soon when the horizon b_soon − b reaches ks = D − q (count_events)
             CASE WHEN sp AND req <= due THEN due - req END AS ks,
             CASE WHEN sp AND req <= due THEN greatest(br, bq) END AS bks
      FROM z
    )
    -- the five buckets (NULL → {nq}, "never") and the class packed into one BIGINT key
    SELECT unit, field, name, ho,
           ((((br::BIGINT * {m} + be) * {m} + coalesce(bod, {nq})) * {m} + coalesce(bslo, {nq})) * {m}
             + coalesce(CASE WHEN bslo IS NOT NULL THEN greatest(bslo, bsend) END, {nq})) * 4 + cls AS pk,
           sum(n)::BIGINT AS n, {sums},
           coalesce(sum(n * (rk_e - rk_r)) FILTER (rk_r IS NOT NULL AND rk_e IS NOT NULL), 0)::BIGINT AS wd,
           ks, bks
    FROM w GROUP BY unit, field, name, ho, pk, ks, bks"""


def _prefix_sql(rules: Rules, nq: int, q0: int, source: str, ho: Handover = NONE) -> str:
    """CTEs x, y, z of the stage: per row of ``source``, days, due date, buckets, and ``sp`` (a special dossier:
    one supplement requested, never completed, not ended, rule ``pause_without_completion: open``)."""
    many = "TRUE" if rules.multiple_supplements_late else "FALSE"
    if rules.supplement_pause:
        pause_end = "coalesce(comp, e)" if rules.pause_without_completion == "open" else "comp"
        pause = f"CASE WHEN nbs = 1 AND req IS NOT NULL THEN greatest(0, coalesce({pause_end} - req, 0)) ELSE 0 END"
    else:
        pause = "0"

    def bucket(col, m):
        return f"coalesce({m}.b, CASE WHEN {col} <= {q0} THEN 0 ELSE {nq} END)"

    # hand-over steps (spec §2): "closing day:successor" for each step the dossier takes, ';'-joined (NULL: none)
    ho_join, ts, ss = chain_sql(ho, "src.unit", "CASE WHEN src.e0 < src.r THEN src.r ELSE src.e0 END",
                                "src.id" if ho.mapped else None, days=True)
    ho_col = (f"nullif(concat_ws(';', {', '.join(f'CAST({t} AS VARCHAR) || chr(58) || {s_}' for t, s_ in zip(ts, ss))}), '')"
              if ts else "CAST(NULL AS VARCHAR)")
    return f"""x AS (
      SELECT src.*, CASE WHEN e0 < r THEN r ELSE e0 END AS e, coalesce(e0 < r, false) AS inconsistent,
             ({many} AND nbs > 1) AS lf, coalesce({special_days(rules)}, false) AS sp, {ho_col} AS ho
      FROM {source} src {ho_join}
    ),
    y AS (
      SELECT x.*, mr.rk AS rk_r, {bucket('x.r', 'mr')} AS br,
             CASE WHEN hen IS NOT NULL THEN hen ELSE cw.day END + {pause} AS due,
             hen IS NULL AND cw.day IS NOT NULL AS recomputed
      FROM x LEFT JOIN tthc_ev_days mr ON mr.day = x.r
      LEFT JOIN tthc_ev_work cw ON cw.wrank = CASE WHEN x.hen IS NULL THEN mr.rk + x.th END
    ),
    z AS (
      SELECT y.*, me.rk AS rk_e, CASE WHEN e IS NULL THEN {nq} ELSE {bucket('y.e', 'me')} END AS be,
             coalesce(md.b1, CASE WHEN y.due + 1 <= {q0} THEN 0 ELSE {nq} END) AS bd1, md.bs AS bsoon,
             {bucket('y.req', 'mq')} AS bq
      FROM y LEFT JOIN tthc_ev_days me ON me.day = y.e
      LEFT JOIN tthc_ev_days md ON md.day = y.due
      LEFT JOIN tthc_ev_days mq ON mq.day = CASE WHEN y.sp THEN y.req END
    )"""


def query_days(prow: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct query days (every a − 1 and b, as day numbers) and each period's index of a − 1 and b."""
    a1 = np.array([(np.datetime64(r["a"], "D") - EPOCH).astype(int) - 1 for r in prow], dtype="int64")
    b = np.array([(np.datetime64(r["b"], "D") - EPOCH).astype(int) for r in prow], dtype="int64")
    q = np.unique(np.concatenate([a1, b]))
    return q, np.searchsorted(q, a1), np.searchsorted(q, b)


class _Calendar:
    """Working-day ranks as a lookup table over the calendar's years (the same tables as ``sql.calendar_frames``:
    a day outside them has no rank)."""

    def __init__(self, cal):
        self.start = (np.datetime64(f"{cal.first_year}-01-01", "D") - EPOCH).astype("int64")
        end = (np.datetime64(f"{cal.last_year}-12-31", "D") - EPOCH).astype("int64")
        days = np.arange(self.start, end + 1, dtype="int64")
        self.work = (cal.workdays.astype("datetime64[D]") - EPOCH).astype("int64")
        self.lut = np.searchsorted(self.work, days, side="right").astype("int64")
        self.n = len(days)

    def rank(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = d - self.start
        ok = (i >= 0) & (i < self.n)
        return self.lut[np.where(ok, i, 0)], ok


def _register_days(con, q: np.ndarray, cal, prow: list[dict], rules: Rules) -> None:
    """Lookup tables for the stage query: ``tthc_ev_days(day, b, b1, rk, bs)`` — buckets of the day and of the
    next day among the query days, its working-day rank (NULL outside the calendar, as ``sql.calendar_frames``),
    and, read as a due day D, the bucket of s(D), the earliest queried period end whose due-soon horizon
    (+ n working days) reaches D (NULL when none does); ``tthc_ev_work(wrank, day)``."""
    ct = _Calendar(cal)
    bdays = np.unique(np.array([(np.datetime64(x["b"], "D") - EPOCH).astype(int) for x in prow], dtype="int64"))
    bsoon = (cal.add_working_days_array((bdays + EPOCH).astype("datetime64[D]"),
                                        np.full(len(bdays), rules.due_soon_working_days)) - EPOCH).astype("int64")
    if np.any(np.diff(bsoon) < 0):  # cannot happen with rank-based working days; guards the interval reasoning
        raise AssertionError("due-soon horizon is not monotone in the period end")
    lo = min(int(ct.start), int(q[0]) - 1)
    hi = max(int(ct.start) + ct.n - 1, int(q[-1]) + 2, int(bsoon.max()))
    days = np.arange(lo, hi + 1, dtype="int64")
    rk, ok = ct.rank(days)
    # s(D) for a due day D in [first b, last horizon]: a due day before every b is never "due soon" at a queried b
    in_soon = (days >= bdays[0]) & (days <= bsoon.max())
    s_day = bdays[np.minimum(np.searchsorted(bsoon, days, side="left"), len(bdays) - 1)]
    dm = pd.DataFrame({"day": days.astype("int32"), "b": np.searchsorted(q, days, side="left").astype("int32"),
                       "b1": np.searchsorted(q, days + 1, side="left").astype("int32"),
                       "rk": pd.Series(np.where(ok, rk, 0), dtype="Int32").where(ok),
                       "bs": pd.Series(np.searchsorted(q, s_day, side="left"), dtype="Int32").where(in_soon)})
    wk = pd.DataFrame({"wrank": np.arange(1, len(ct.work) + 1, dtype="int64"), "day": ct.work.astype("int32")})
    for name, df in (("tthc_ev_days", dm), ("tthc_ev_work", wk)):
        con.register(f"{name}_df", df)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")


def count_events(con, prow: list[dict], cal, rules: Rules, catalogue: bool, timing: dict | None = None,
                 signature: str | None = None, handover: Handover = NONE) -> pd.DataFrame:
    """Per (pkey, unit, field, field name) with something counted: every counter of ``counters.COUNTERS`` over all
    counted dossiers. ``signature``: the dossier signature, to use the
    stored pre-aggregate (:func:`tthc.engine.days.ensure`). Columns: pkey, unit, ma_linh_vuc, ten_linh_vuc,
    counters."""
    COUNTERS = counters.COUNTERS
    weights = counters.stage_weights()
    timing = timing if timing is not None else {}
    t0 = time.perf_counter()
    source, temporary = days.ensure(con, signature, catalogue, per_row=handover.mapped)
    timing["days_temporary" if temporary else "days_stored"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    q, ia, ib = query_days(prow)
    nq = len(q)
    _register_days(con, q, cal, prow, rules)
    g = con.execute(stage_sql(rules, nq, int(q[0]), source, handover)).df()
    for t in ("tthc_ev_days", "tthc_ev_work"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    if temporary:
        con.execute(f"DROP VIEW IF EXISTS {source}")
    timing["events_scan"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw_keys = g[["unit", "field", "name", "ho"]].astype("object")
    # the key trims the field code (an empty one is the unknown field): several raw keys may share one key
    fld = raw_keys["field"].astype("str").str.strip()
    raw_keys["field"] = fld.where(fld.notna() & (fld != ""), UNKNOWN_FIELD)
    kid, uniq = _factorize(raw_keys)
    nk = len(uniq)
    n = g["n"].to_numpy("int64")
    pk = g["pk"].to_numpy("int64")
    m = nq + 1
    cls, pk = pk % 4, pk // 4
    bshi, pk = pk % m, pk // m
    bslo, pk = pk % m, pk // m
    bod, pk = pk % m, pk // m
    be, br = pk % m, pk // m
    has_od = bod < nq
    f = {(): n}
    for i, ((k1, _), (k2, _)) in enumerate(zip(weights[0::2], weights[1::2] + [(None, None)])):
        v = g[f"p_{i}"].to_numpy("int64")
        f[k1] = v & 0xFFFFFFFF
        if k2:
            f[k2] = v >> 32

    def cum(bucket, w: np.ndarray) -> np.ndarray:
        """Prefix sums at the query days: out[k, j] = Σ w over rows with bucket ≤ j (bucket nq = never)."""
        grid = np.bincount(kid * (nq + 1) + bucket, weights=w.astype("float64"), minlength=nk * (nq + 1))
        return np.cumsum(np.rint(grid).astype("int64").reshape(nk, nq + 1), axis=1)[:, :nq]

    # the events of a dossier, as buckets: received (r), ended (e; open on [r, e − 1], e ≥ r so the buckets are
    # ordered), pending overdue on [od, e − 1] (an empty interval gets equal buckets); masks select rows
    buckets = {"r": br, "e": be, "od+": bod, "od-": np.where(has_od, np.maximum(bod, be), nq)}
    masks = {None: None, "cls1": cls == 1, "cls2": cls == 2, "cls3": cls == 3, "od": has_od}
    cache: dict = {}

    def C(bucket: str, key: tuple, mask: str | None = None) -> np.ndarray:
        """Prefix sums of the weight of flag conjunction ``key`` (masked) over ``bucket``, computed once."""
        ck = (bucket, key, mask)
        if ck not in cache:
            w = f[key] if mask is None else f[key] * masks[mask]
            cache[ck] = cum(buckets[bucket], w)
        return cache[ck]

    def at(arr, ix):  # (nk, nq) → (nperiods, nk)
        return arr[:, ix].T

    def span(arr):  # Σ over buckets (a − 1, b]
        return at(arr, ib) - at(arr, ia)

    def open_at(ix, plus, minus):
        return at(plus, ix) - at(minus, ix)

    # scope → (nperiods, nk) count of the dossiers of the scope weighted by a flag conjunction (counters.SCOPES)
    scope_events = {
        "moi": lambda k: span(C("r", k)),
        "ky_truoc": lambda k: open_at(ia, C("r", k), C("e", k)),
        "tong": lambda k: open_at(ia, C("r", k), C("e", k)) + span(C("r", k)),
        "da_gq": lambda k: span(C("e", k)),
        "truoc_han": lambda k: span(C("e", k, "cls1")),
        "dung_han": lambda k: span(C("e", k, "cls2")),
        "qua_han_gq": lambda k: span(C("e", k, "cls3")),
        "dang_gq": lambda k: open_at(ib, C("r", k), C("e", k)),
        "qua_han_dang": lambda k: open_at(ib, C("od+", k, "od"), C("od-", k, "od")),
        "trong_han": lambda k: scope_events["dang_gq"](k) - scope_events["qua_han_dang"](k),
        "qua_han": lambda k: scope_events["qua_han_gq"](k) + scope_events["qua_han_dang"](k),
    }
    assert set(scope_events) == set(counters.SCOPES), set(scope_events) ^ set(counters.SCOPES)
    # the special counters (counters.Counter.is_special): their own events
    has_s = bslo < nq
    special = {
        # due soon at b: b ∈ [bslo, bshi − 1], plus the period-dependent special dossiers
        "n_sap_den_han": lambda: (open_at(ib, cum(bslo, n * has_s), cum(np.where(has_s, bshi, nq), n * has_s))
                                  + _special_due_soon(g, kid, n, q, ib, nk, cal, rules)),
        "sum_ngay_gq": lambda: span(cum(be, g["wd"].to_numpy("int64"))),
    }
    assert set(special) == {k for k, v in COUNTERS.items() if v.is_special}, \
        "a special counter (engine/counters.py) needs its event formula here, in `special`"
    c: dict[str, np.ndarray] = {}
    for name, ctr in COUNTERS.items():
        # a counter = Σ ± scope counts of positive flag conjunctions (counters.terms)
        c[name] = special[name]() if ctr.is_special else \
            sum(sign * scope_events[scope](key) for sign, scope, key in counters.terms(ctr))

    pkeys = np.array([x["pkey"] for x in prow], dtype="int64")
    pi, ki = np.nonzero(c["n_tong"] > 0)
    units = uniq["unit"].to_numpy(object)[ki]
    ho = uniq["ho"].to_numpy(object)
    if pd.notna(ho).any():  # hand-over: the holder at each period's end (handover.holders)
        from .handover import holders

        chains = [[(int(t), s_) for t, s_ in (step.split(":", 1) for step in h.split(";"))] if isinstance(h, str)
                  else [] for h in ho]
        bday = q[ib]
        units = holders(units, chains, ki, bday[pi])
    out = pd.DataFrame({"pkey": pkeys[pi].astype("int32"),
                        "unit": pd.array(units, dtype="str"),
                        "ma_linh_vuc": pd.array(uniq["field"].to_numpy(object)[ki], dtype="str"),
                        "ten_linh_vuc": pd.array(uniq["name"].to_numpy(object)[ki], dtype="str")})
    for k in COUNTERS:
        out[k] = c[k][pi, ki]
    if pd.notna(ho).any():  # keys of several units now share a holder: one row per (period, unit, field, name)
        out = out.groupby(["pkey", "unit", "ma_linh_vuc", "ten_linh_vuc"], sort=False, dropna=False,
                          observed=True)[list(COUNTERS)].sum().reset_index()
    timing["events_prefix_sums"] = time.perf_counter() - t0
    return out


def _special_due_soon(g: pd.DataFrame, kid: np.ndarray, n: np.ndarray, q: np.ndarray, ib: np.ndarray, nk: int,
                      cal, rules: Rules) -> np.ndarray:
    """(nperiods, nk) due-soon counts of the special dossiers from their request day on (columns ks, bks of the
    stage): at period end b they count when b's bucket ≥ bks and b_soon − b ≥ ks (calendar days)."""
    out = np.zeros((len(ib), nk), dtype="int64")
    sel = g["ks"].notna().to_numpy()
    if not sel.any():
        return out
    b = q[ib]
    b_soon = (cal.add_working_days_array((b + EPOCH).astype("datetime64[D]"),
                                         np.full(len(b), rules.due_soon_working_days)) - EPOCH).astype("int64")
    ks = g["ks"].to_numpy()[sel].astype("int64")
    bks = g["bks"].to_numpy()[sel].astype("int64")
    hit = (bks[:, None] <= ib[None, :]) & (ks[:, None] <= (b_soon - b)[None, :])  # rows × periods
    rows, periods = np.nonzero(hit)
    np.add.at(out, (periods, kid[sel][rows]), n[sel][rows])
    return out


def _factorize(keys: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Row → key id, and the distinct keys (NULL unit, name or hand-over is a key value of its own)."""
    cols = [c for c in ("unit", "field", "name", "ho") if c in keys.columns]
    codes = [pd.factorize(keys[c].astype("object"), use_na_sentinel=False) for c in cols]
    sizes = [len(u) for _, u in codes]
    combo = np.zeros(len(keys), dtype="int64")
    for (cd, _), sz in zip(codes, sizes):
        combo = combo * sz + cd
    kid, uniq_combo = pd.factorize(combo)
    parts = {}
    rest = np.asarray(uniq_combo, dtype="int64")
    for c, (_, u), sz in reversed(list(zip(cols, codes, sizes))):
        parts[c] = np.asarray(u, dtype=object)[rest % sz]
        rest = rest // sz
    uniq = pd.DataFrame({c: parts[c] for c in cols})
    return kid.astype("int64"), uniq
