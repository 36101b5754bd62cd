"""The cube's counters, each defined once: a *scope* (which dossiers of the period it looks at) and a conjunction
of named per-dossier *flags* (with optional negated flags). Everything that counts is generated from
:data:`COUNTERS`:

* the SQL aggregates over ``tthc_cls`` (one row per period × counted dossier; :func:`aggregate_sql`), used by the
  reference join of :mod:`tthc.engine.cube` and the cube's other SQL (:func:`filter_sql`);
* the per-dossier flag counts of the dossier-days pre-aggregate (:func:`row_flag_columns`, the ``f_*`` columns of
  :mod:`tthc.engine.days`);
* the weights summed by the event stage and the prefix-sum formula of every counter in :mod:`tthc.engine.events`
  (:func:`stage_weights`, :func:`terms`; each scope has one event formula there, ``events.SCOPE_EVENTS``).

So adding or changing a counter here changes all three paths; ``tests/engine/test_counters.py`` checks it.

Scopes (spec §6, for a period [a, b]; the names are the classes of the Biểu 06 columns):

* ``tong``: every counted dossier (received by b, not ended before a) = ``ky_truoc`` + ``moi``;
* ``moi`` (moi_tiep_nhan): received in the period; ``ky_truoc``: received before a and still open at a − 1;
* ``da_gq`` (da_giai_quyet): ended in the period, split by its end against its due date into ``truoc_han`` (before),
  ``dung_han`` (on the day, or no due date) and ``qua_han_gq`` (after, or forced late by several supplements);
* ``dang_gq`` (dang_giai_quyet): still open at b, split into ``trong_han`` (in time at b) and ``qua_han_dang``
  (overdue at b);
* ``qua_han``: overdue, ended or pending (``qua_han_gq`` + ``qua_han_dang``).

Flags: :data:`ROW_FLAGS` are conditions on one dossier's own columns (``kenh`` and the columns of
:func:`tthc.engine.sql.dossier_flag_columns`), stored per group in the pre-aggregate; :data:`DERIVED_FLAGS`
depend on the rules or the working-day calendar, so the event stage computes them per row (they are written once
for ``tthc_cls`` and once for the stage's columns, side by side). A flag that is NULL counts as false, also when
negated (``without``).

Two counters are special, each with its own event formula in :mod:`tthc.engine.events` (``count_events``,
``special``): ``n_sap_den_han`` (pending, in time, due within the due-soon horizon of b: a period-dependent
condition, not a flag, so its SQL aggregate is written by hand) and ``sum_ngay_gq`` (a sum of working days, not a
count: its SQL is generated from its scope, flags and ``measure``).
``n_khong_tiep_nhan`` (status 3, not received) is not a counter of ``tthc_cls`` at all: the cube counts it apart
(``cube.NOT_RECEIVED_COUNTER``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: scope → condition on ``tthc_cls`` (None: every row)
SCOPES: dict[str, str | None] = {
    "tong": None,
    "moi": "NOT ky_truoc",
    "ky_truoc": "ky_truoc",
    "da_gq": "da_giai_quyet",
    "truoc_han": "da_giai_quyet AND tien_do = 'truoc_han'",
    "dung_han": "da_giai_quyet AND tien_do = 'dung_han'",
    "qua_han_gq": "da_giai_quyet AND tien_do = 'qua_han'",
    "dang_gq": "NOT da_giai_quyet",
    "trong_han": "NOT da_giai_quyet AND tien_do = 'trong_han'",
    "qua_han_dang": "NOT da_giai_quyet AND tien_do = 'qua_han'",
    "qua_han": "tien_do = 'qua_han'",
}

#: flag → condition on the dossier's own columns (the same names in ``tthc_cls`` and in the pre-aggregate's source)
ROW_FLAGS: dict[str, str] = {
    "truc_tuyen": "kenh = 2",
    "co_phi": "co_phi",
    "tt_truc_tuyen": "tt_truc_tuyen",
    "so_hoa": "so_hoa",
    "tai_su_dung": "tai_su_dung",
    "tu_kho": "tu_kho",
    "kq_truc_tuyen": "(NOT yeu_cau_giay OR kq_dien_tu)",  # the result reaches the applicant online
    "kq_dien_tu": "kq_dien_tu",
    "hai_long": "hai_long",          # evaluation at level 2 or 3
    "khong_hai_long": "khong_hai_long",
    "co_bo_sung": "co_bo_sung",      # at least one supplement request
    "dung_xu_ly": "dung_xu_ly",      # status 8, processing stopped
    "co_danh_gia": "co_danh_gia",
    "xin_loi": "xin_loi",
    "dong_bo": "dong_bo",
}

#: flag → (condition on ``tthc_cls``, condition on the columns of the event stage, ``events.stage_sql``)
DERIVED_FLAGS: dict[str, tuple[str, str]] = {
    "han_tinh_lai": ("recomputed", "recomputed"),        # due date computed from the statutory working days
    "khong_co_han": ("no_due", "due IS NULL"),            # no due date at all
    "ngay_bat_thuong": ("inconsistent", "inconsistent"),  # ended before received
    "co_ngay_lam_viec": ("r_end IS NOT NULL AND r_recv IS NOT NULL",  # both days inside the calendar
                         "rk_r IS NOT NULL AND rk_e IS NOT NULL"),
}


@dataclass(frozen=True)
class Counter:
    """Dossiers of ``scope`` with every flag of ``flags`` and none of ``without``. ``special``: a hand-written SQL
    aggregate replacing the generated one; ``measure``: sum this expression on ``tthc_cls`` (working days) over
    those dossiers instead of counting them. Either makes the counter special: the event path computes it by name
    (``events.count_events``, ``special``)."""
    scope: str
    flags: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    special: str | None = None
    measure: str | None = None

    @property
    def is_special(self) -> bool:
        return bool(self.special or self.measure)


COUNTERS: dict[str, Counter] = {
    "n_tong": Counter("tong"),
    "n_moi": Counter("moi"),
    "n_moi_truc_tuyen": Counter("moi", ("truc_tuyen",)),
    "n_moi_truc_tiep": Counter("moi", without=("truc_tuyen",)),
    "n_ky_truoc": Counter("ky_truoc"),
    "n_da_gq": Counter("da_gq"),
    "n_truoc_han": Counter("truoc_han"),
    "n_dung_han": Counter("dung_han"),
    "n_qua_han_gq": Counter("qua_han_gq"),
    "n_dang_gq": Counter("dang_gq"),
    "n_trong_han": Counter("trong_han"),
    "n_qua_han_dang": Counter("qua_han_dang"),
    "n_moi_co_phi": Counter("moi", ("co_phi",)),
    "n_moi_co_phi_tt": Counter("moi", ("co_phi", "tt_truc_tuyen")),
    "n_moi_so_hoa": Counter("moi", ("so_hoa",)),
    "n_moi_tai_su_dung": Counter("moi", ("tai_su_dung",)),
    "n_moi_tu_kho": Counter("moi", ("tu_kho",)),
    "n_moi_truc_tuyen_kq": Counter("moi", ("truc_tuyen", "kq_truc_tuyen")),
    "n_moi_kq_dien_tu": Counter("moi", ("kq_dien_tu",)),  # 766 "2026 portal": electronic results over received
    "n_moi_hai_long": Counter("moi", ("hai_long",)),      # 766 "2026 portal": satisfied over received
    "n_moi_bo_sung": Counter("moi", ("co_bo_sung",)),
    "n_gq_dung": Counter("da_gq", ("dung_xu_ly",)),
    "n_gq_kq_dien_tu": Counter("da_gq", ("kq_dien_tu",)),
    "n_gq_danh_gia": Counter("da_gq", ("co_danh_gia",)),
    "n_qua_han_xin_loi": Counter("qua_han", ("xin_loi",)),
    "n_qua_han_khong_xin_loi": Counter("qua_han", without=("xin_loi",)),
    "n_sap_den_han": Counter("trong_han", special="count(*) FILTER (NOT da_giai_quyet AND tien_do = 'trong_han' "
                                                  "AND due <= b_soon)"),
    "sum_ngay_gq": Counter("da_gq", ("co_ngay_lam_viec",), measure="r_end - r_recv"),
    "n_ngay_gq": Counter("da_gq", ("co_ngay_lam_viec",)),
    "n_dong_bo": Counter("tong", ("dong_bo",)),
    "n_khong_hai_long": Counter("tong", ("khong_hai_long",)),
    "n_han_tinh_lai": Counter("tong", ("han_tinh_lai",)),
    "n_khong_co_han": Counter("tong", ("khong_co_han",)),
    "n_ngay_bat_thuong": Counter("tong", ("ngay_bat_thuong",)),
}


def _check(c: Counter) -> None:
    if c.scope not in SCOPES:
        raise ValueError(f"counter scope {c.scope!r} is not one of {', '.join(SCOPES)}")
    for f in (*c.flags, *c.without):
        if f not in ROW_FLAGS and f not in DERIVED_FLAGS:
            raise ValueError(f"counter flag {f!r} is neither a row flag nor a derived flag (engine/counters.py)")


def _flag_sql(f: str) -> str:
    return ROW_FLAGS[f] if f in ROW_FLAGS else DERIVED_FLAGS[f][0]


def filter_sql(c: Counter | str) -> str:
    """The condition of counter ``c`` (or its name) on ``tthc_cls`` ("TRUE" for every row)."""
    c = COUNTERS[c] if isinstance(c, str) else c
    _check(c)
    parts = [SCOPES[c.scope]] if SCOPES[c.scope] else []
    parts += [_flag_sql(f) for f in c.flags]
    parts += [f"NOT coalesce({_flag_sql(f)}, false)" for f in c.without]
    return " AND ".join(parts) or "TRUE"


def aggregate_sql(c: Counter) -> str:
    """The SQL aggregate of counter ``c`` over ``tthc_cls``."""
    if c.special:
        return c.special
    cond = filter_sql(c)
    if c.measure:
        return f"coalesce(sum({c.measure}) FILTER ({cond}), 0)"
    return "count(*)" if cond == "TRUE" else f"count(*) FILTER ({cond})"


def counter_sql() -> dict[str, str]:
    """counter → SQL aggregate over ``tthc_cls``, for every counter of :data:`COUNTERS`."""
    return {k: aggregate_sql(c) for k, c in COUNTERS.items()}


# -- the event path ----------------------------------------------------------------------------------------------
def _canon(flags) -> tuple[str, ...]:
    order = {f: i for i, f in enumerate((*ROW_FLAGS, *DERIVED_FLAGS))}
    return tuple(sorted(set(flags), key=order.__getitem__))


def terms(c: Counter) -> list[tuple[int, str, tuple[str, ...]]]:
    """Counter ``c`` as a signed sum of positive conjunctions (inclusion–exclusion over ``without``):
    [(sign, scope, flags)], so that count(scope ∧ F ∧ ¬G) = Σ_{S ⊆ G} (−1)^|S| count(scope ∧ F ∧ S)."""
    _check(c)
    out = [(1, c.scope, _canon(c.flags))]
    for g in c.without:
        out += [(-s, sc, _canon((*fl, g))) for s, sc, fl in out]
    return out


def weight_keys() -> list[tuple[str, ...]]:
    """Every flag conjunction the event path sums (besides the plain dossier count, the empty conjunction), in a
    stable order."""
    keys: dict[tuple[str, ...], None] = {}
    for c in COUNTERS.values():
        if not c.is_special:
            for _, _, fl in terms(c):
                if fl:
                    keys[fl] = None
    return list(keys)


def _row_part(key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in key if f in ROW_FLAGS)


def column_name(row_flags: tuple[str, ...]) -> str:
    """The pre-aggregate's column of a row-flag conjunction: ``f_<flag>__<flag>…``."""
    return "f_" + "__".join(row_flags)


def row_flag_columns() -> dict[str, str]:
    """Pre-aggregate column → condition on the dossier's columns, for every row-flag conjunction the counters
    need (:mod:`tthc.engine.days` stores their counts per group)."""
    cols: dict[str, str] = {}
    for key in weight_keys():
        rp = _row_part(key)
        if rp:
            cols[column_name(rp)] = " AND ".join(ROW_FLAGS[f] for f in rp)
    return cols


def stage_weights() -> list[tuple[tuple[str, ...], str]]:
    """(conjunction, SQL expression of its count per stage row) for :func:`weight_keys`: the pre-aggregate's
    count of the row-flag part (``n`` when none), kept where the derived flags hold."""
    out = []
    for key in weight_keys():
        rp = _row_part(key)
        base = column_name(rp) if rp else "n"
        dp = [DERIVED_FLAGS[f][1] for f in key if f in DERIVED_FLAGS]
        out.append((key, f"CASE WHEN {' AND '.join(dp)} THEN {base} ELSE 0 END" if dp else base))
    return out
