"""Kế hoạch đạt chỉ tiêu (spec §10): for each rate target missed year to date, how many more qualifying dossiers
per remaining month of the year would reach it by 31/12.

The arithmetic (all integers, like the engine's status and gap): with year-to-date numerator ``n`` and denominator
``d``, target ``t`` % and an expected volume ``V`` of denominator dossiers in the ``R`` remaining months (last year's
volume for the same months, or the monthly average so far this year when last year has no data), the target is reached
on 31/12 when ``(n + x) / (d + V) ≥ t/100``, so ``x = ceil(t·(d + V)/100 − n)`` qualifying dossiers are needed,
``ceil(x / R)`` per month. It is achievable from new dossiers only when ``x ≤ V``. The year is the calendar year
(31/12), whatever the report's window.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALE = 100  # targets in hundredths of a percent: integer comparisons, as in engine.targets


#: the wording of each volume basis in params/narrative.yaml (keys kept from the first release, so that offices'
#: edited copies of that file stay valid)
BASIS_TEMPLATE = {"last_year": "basis_last_year", "ytd_average": "basis_ytd"}


@dataclass(frozen=True)
class Plan:
    indicator: str
    numerator: int            # year to date
    denominator: int
    target: float             # %
    months_left: int
    volume: int               # expected denominator dossiers in the remaining months
    basis: str                # last_year | ytd_average (its wording: BASIS_TEMPLATE)
    needed: int               # qualifying dossiers still needed by 31/12
    per_month: int            # ceil(needed / months_left); 0 when no month is left
    feasible: bool            # needed ≤ volume (and a month is left)

    @property
    def value(self) -> float:
        """Year-to-date rate in % (exact; display rounds)."""
        return 100.0 * self.numerator / self.denominator if self.denominator else float("nan")

    @property
    def share(self) -> float:
        """The needed dossiers as a % of the expected volume."""
        return 100.0 * self.needed / self.volume if self.volume else float("nan")


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def needed_dossiers(n: int, d: int, target_pct: float, volume: int) -> int:
    """``max(0, ceil(t·(d + V)/100 − n))`` in integers."""
    t = int(round(float(target_pct) * SCALE))
    return max(0, _ceil_div(t * (int(d) + int(volume)) - 100 * SCALE * int(n), 100 * SCALE))


def is_missed(n: int, d: int, target_pct: float) -> bool:
    """Below the target on the exact fraction (no data → not missed: there is nothing to plan)."""
    t = int(round(float(target_pct) * SCALE))
    return d > 0 and 100 * SCALE * int(n) < t * int(d)


def plan_rate(indicator: str, n: int, d: int, target_pct: float, months_elapsed: int, volume_last_year: int | None
              ) -> Plan | None:
    """The plan for one rate indicator, or None when the year-to-date figure meets the target (or has no data).

    ``months_elapsed``: months of the year covered by ``n``/``d`` (the period's last month); ``volume_last_year``:
    denominator dossiers of the same remaining months last year (None or 0 → the year-to-date monthly average)."""
    n, d = int(n), int(d)
    if not is_missed(n, d, target_pct):
        return None
    left = 12 - int(months_elapsed)
    if volume_last_year:
        volume, basis = int(volume_last_year), "last_year"
    else:
        volume, basis = (_ceil_div(d * left, int(months_elapsed)) if months_elapsed else 0), "ytd_average"
    if left <= 0:
        return Plan(indicator, n, d, float(target_pct), 0, 0, basis, needed_dossiers(n, d, target_pct, 0), 0, False)
    need = needed_dossiers(n, d, target_pct, volume)
    return Plan(indicator, n, d, float(target_pct), left, volume, basis, need, _ceil_div(need, left),
                need <= volume)


def plans(ytd: dict, last_year_rest: dict, targets: dict, months_elapsed: int, kinds: dict) -> list[Plan]:
    """Plans for every rate indicator: ``ytd``/``last_year_rest``: indicator → (numerator, denominator) summed over
    the months; ``targets``: indicator → target %; ``kinds``: indicator → rate | count (counts have no plan)."""
    out = []
    for ind, (n, d) in ytd.items():
        if kinds.get(ind) != "rate" or ind not in targets:
            continue
        vol = last_year_rest.get(ind, (0, 0))[1]
        p = plan_rate(ind, n, d, targets[ind], months_elapsed, vol)
        if p is not None:
            out.append(p)
    return out
