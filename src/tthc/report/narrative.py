"""The drafted "Nhận xét, đánh giá" (assessment) of a unit or overview report (spec §10).

Pure functions: they take the computed figures (the cube's indicator rows, last year's values, the Biểu 06 total row,
the units furthest behind) and return :class:`Sentence` objects in the order a Vietnamese report uses — kết quả đạt
được (results), tồn tại, hạn chế (shortcomings), đề xuất, kiến nghị (proposals). Wording comes from
``params/narrative.yaml`` (an office edits it without touching code); every figure in a sentence is a template field
filled with the computed value formatted by :mod:`tthc.report.fmt`, and each sentence also carries those raw values
in ``figures`` so a test can check the text against them. No language model, no randomness.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..errors import ConfigError
from ..yamlio import load_parsed
from .fmt import fmt_int, fmt_num, fmt_pct, is_missing, round_half_up
from .i18n import LANGS, status_key

PARTS = ("results", "shortcomings", "proposals")
#: template fields a template may use; any other name is a configuration error (`tthc check`)
PLACEHOLDERS = frozenset({
    "name", "name_lc", "name_short", "value", "target", "gap", "delta", "count", "units", "detail", "needed",
    "per_month", "months", "share", "volume", "basis", "unit_name", "changes", "apology", "new", "online", "carried",
    "resolved", "on_time", "late", "pending", "pct"})
REQUIRED = ("title_results", "title_shortcomings", "title_proposals", "volume", "volume_empty", "rate_met",
            "rate_missed", "rate_nodata", "count_met", "count_missed", "count_nodata", "apology", "changes_lead",
            "changes_lead_ly_only", "changes_join", "rate_up", "rate_down", "rate_same", "count_up", "count_down",
            "count_same", "all_met", "none_met", "no_shortcomings", "behind_lead", "behind_unit", "behind_detail",
            "units_met", "proposal", "proposal_none", "proposal_behind", "plan_title", "plan_intro",
            "basis_last_year", "basis_ytd", "plan_feasible", "plan_infeasible", "plan_no_months", "plan_none",
            "short", "section_title", "units_met_item", "plan_columns", "plan_children", "target_min", "target_full")
#: templates given per indicator, with a ``default`` entry
PER_INDICATOR = ("count_met", "count_missed", "proposal")


@dataclass(frozen=True)
class Sentence:
    """One drafted sentence. ``figures`` maps each template field that holds a number to its computed (raw) value."""

    part: str                  # results | shortcomings | proposals | plan
    key: str                   # the template used
    text: str
    indicator: str | None = None
    unit: str | None = None
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Templates:
    lang: dict                 # lang → {key: template or {indicator: template}}
    path: Path

    def get(self, lang: str, key: str, indicator: str | None = None) -> str:
        v = self.lang[lang][key]
        if isinstance(v, dict):
            return v.get(indicator) or v["default"]
        return v


def _fields(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as e:
        raise ValueError(str(e)) from None


def _parse(doc, path: Path) -> Templates:
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping with keys 'vi' and 'en'")
    out = {}
    for lang in LANGS:
        d = doc.get(lang)
        if not isinstance(d, dict):
            raise ConfigError(f"{path}: missing section '{lang}:'; copy it from the bundled params/narrative.yaml")
        for k in REQUIRED:
            if k not in d:
                raise ConfigError(f"{path}: {lang}.{k}: missing template; add it (see the bundled file)")
        for k, v in d.items():
            items = v.items() if isinstance(v, dict) else [(None, v)]
            if k in PER_INDICATOR and isinstance(v, dict) and "default" not in v:
                raise ConfigError(f"{path}: {lang}.{k}: needs a 'default' entry besides the per-indicator ones")
            for sub, text in items:
                where = f"{lang}.{k}" + (f".{sub}" if sub else "")
                if not isinstance(text, str):
                    raise ConfigError(f"{path}: {where}: expected text, got {type(text).__name__}")
                try:
                    names = _fields(text)
                except ValueError as e:
                    raise ConfigError(f"{path}: {where}: malformed template field ({e}); write {{name}}") from None
                bad = sorted(n for n in names if n not in PLACEHOLDERS)
                if bad:
                    raise ConfigError(f"{path}: {where}: unknown template field {{{bad[0]}}}; allowed: "
                                      + ", ".join(sorted(PLACEHOLDERS)))
        out[lang] = d
    return Templates(out, path)


def narrative_file() -> Path:
    return config.params_dir() / "narrative.yaml"


def load_templates(path: Path | str | None = None) -> Templates:
    return load_parsed(Path(path) if path else narrative_file(), _parse)


# -- figures -----------------------------------------------------------------------------------------------------
def _num(x) -> float | None:
    return None if x is None or is_missing(x) else float(x)


def yoy_change(value, ly_value, kind: str) -> float | None:
    """Change against the same period last year, rounded like the cube's ``change`` (2 decimals half-up on the
    displayed values; whole dossiers for counts)."""
    v, w = _num(value), _num(ly_value)
    if v is None or w is None:
        return None
    return float(round_half_up(v - w, 0 if kind == "count" else 2))


def fmt_target_text(kind: str, target, lang: str, tpl: "Templates | None" = None) -> str:
    """A target in words for a sentence: "từ 60% trở lên" / "100%" (the percentage formatted as in the scorecard);
    a count target as a whole number."""
    if kind == "count" or is_missing(target):
        return fmt_int(target, lang)
    tpl = tpl or load_templates()
    t = float(target)
    pct = fmt_pct(t, 0 if t == int(t) else 2, lang)
    return tpl.get(lang, "target_full" if t >= 100 else "target_min").format(pct=pct)


class _Writer:
    def __init__(self, tpl: Templates, lang: str):
        self.tpl, self.lang = tpl, lang

    def text(self, key, indicator=None, **kw) -> str:
        return self.tpl.get(self.lang, key, indicator).format(**kw)

    def num(self, kind: str, x) -> str:
        return fmt_int(x, self.lang) if kind == "count" else fmt_pct(x, 2, self.lang)

    def delta(self, kind: str, x) -> str:
        return fmt_int(abs(x), self.lang) if kind == "count" else fmt_num(abs(x), 2, self.lang)

    def change_clause(self, kind: str, x) -> str:
        pre = "count" if kind == "count" else "rate"
        if x > 0:
            return self.text(f"{pre}_up", delta=self.delta(kind, x))
        if x < 0:
            return self.text(f"{pre}_down", delta=self.delta(kind, x))
        return self.text(f"{pre}_same")

    def changes(self, kind: str, prev, ly) -> str:
        if prev is not None and ly is not None:
            return (self.text("changes_lead") + self.change_clause(kind, prev) + self.text("changes_join")
                    + self.change_clause(kind, ly))
        if prev is not None:
            return self.text("changes_lead") + self.change_clause(kind, prev)
        if ly is not None:
            return self.text("changes_lead_ly_only") + self.change_clause(kind, ly)
        return ""


def indicator_sentence(row: dict, kind: str, name: str, lang: str, tpl: Templates, ly_value=None,
                       no_apology=None) -> Sentence:
    """One sentence for one indicator of one unit. ``row``: the cube's indicator row (indicator, value, target,
    status, gap, change); ``kind``: rate | count; ``ly_value``: the value in the same period last year."""
    w = _Writer(tpl, lang)
    ind = row["indicator"]
    st = status_key(row.get("status"))
    value, target = _num(row.get("value")), _num(row.get("target"))
    prev = _num(row.get("change"))
    ly = yoy_change(value, ly_value, kind) if st != "nodata" else None
    if st == "nodata":
        key = f"{kind}_nodata"
        return Sentence("results", key, w.text(key, name=name), ind)
    figs = {"value": value, "target": target}
    kw = dict(name=name, name_lc=name[:1].lower() + name[1:], value=w.num(kind, value),
              target=fmt_target_text(kind, target, lang, tpl), changes=w.changes(kind, prev, ly), apology="")
    if prev is not None:
        figs["change"] = abs(prev)
    if ly is not None:
        figs["change_ly"] = abs(ly)
    if st == "dat":
        key, part = f"{kind}_met", "results"
    else:
        key, part = f"{kind}_missed", "shortcomings"
        gap = _num(row.get("gap"))
        if kind == "rate":
            kw["gap"] = fmt_int(gap, lang)
            figs["gap"] = gap
        nap = _num(no_apology)
        if kind == "count" and ind == "D5" and nap:
            kw["apology"] = w.text("apology", count=fmt_int(nap, lang))
            figs["no_apology"] = nap
    text = w.text(key, ind, **kw)
    # a template that does not show a figure must not claim it (e.g. D5 "met" omits value and target)
    tmpl = tpl.get(lang, key, ind)
    used = _fields(tmpl)
    if "value" not in used:
        figs.pop("value", None)
    if "target" not in used:
        figs.pop("target", None)
    if "changes" not in used:
        figs.pop("change", None)
        figs.pop("change_ly", None)
    return Sentence(part, key, text, ind, figures=figs)


def volume_sentence(total: dict | None, unit_name: str, lang: str, tpl: Templates) -> Sentence:
    """The period's volume from the Biểu 06 total row (col3 … col13)."""
    w = _Writer(tpl, lang)
    if not total or not int(total.get("col3", 0) or 0):
        return Sentence("results", "volume_empty", w.text("volume_empty", unit_name=unit_name))
    figs = {"new": int(total["col4"]) + int(total["col5"]), "online": int(total["col4"]),
            "carried": int(total["col6"]), "resolved": int(total["col7"]),
            "on_time": int(total["col8"]) + int(total["col9"]), "late": int(total["col10"]),
            "pending": int(total["col11"])}
    text = w.text("volume", unit_name=unit_name, **{k: fmt_int(v, lang) for k, v in figs.items()})
    return Sentence("results", "volume", text, figures=figs)


def unit_narrative(rows: list[dict], kinds: dict, names: dict, lang: str, unit_name: str,
                   ly_values: dict | None = None, bieu06_total: dict | None = None, no_apology=None,
                   tpl: Templates | None = None) -> list[Sentence]:
    """Results, shortcomings and proposals of one unit. ``rows``: indicator rows with a target (engine order);
    ``kinds``/``names``: per indicator; ``ly_values``: indicator → value in the same period last year."""
    tpl = tpl or load_templates()
    w = _Writer(tpl, lang)
    ly_values = ly_values or {}
    out = [volume_sentence(bieu06_total, unit_name, lang, tpl)]
    ind_sent = [indicator_sentence(r, kinds.get(r["indicator"], "rate"), names[r["indicator"]], lang, tpl,
                                   ly_values.get(r["indicator"]), no_apology if r["indicator"] == "D5" else None)
                for r in rows]
    met = [s for s in ind_sent if s.part == "results" and not s.key.endswith("nodata")]
    nodata = [s for s in ind_sent if s.key.endswith("nodata")]
    missed = [s for s in ind_sent if s.part == "shortcomings"]
    out += met
    if not missed and met:
        out.append(Sentence("results", "all_met", w.text("all_met")))
    out += nodata
    if missed and not met:
        out.append(Sentence("shortcomings", "none_met", w.text("none_met")))
    out += missed or [Sentence("shortcomings", "no_shortcomings", w.text("no_shortcomings"))]
    for s in missed:
        nm = names[s.indicator]
        out.append(Sentence("proposals", "proposal", w.text("proposal", s.indicator, name=nm,
                                                             name_lc=nm[:1].lower() + nm[1:]), s.indicator))
    if not missed:
        out.append(Sentence("proposals", "proposal_none", w.text("proposal_none")))
    return out


def overview_narrative(rows: list[dict], kinds: dict, names: dict, lang: str, unit_name: str,
                       met_counts: list[tuple[str, int, int]], behind: list[dict],
                       ly_values: dict | None = None, bieu06_total: dict | None = None, no_apology=None,
                       tpl: Templates | None = None) -> list[Sentence]:
    """The parent's own narrative (its aggregated figures), how many units meet each target, and the units furthest
    behind with their gaps. ``met_counts``: (indicator, units Đạt, units with data); ``behind``: dicts with unit,
    unit_name, missed, gap, gaps (indicator → gap), most behind first."""
    tpl = tpl or load_templates()
    w = _Writer(tpl, lang)
    base = unit_narrative(rows, kinds, names, lang, unit_name, ly_values, bieu06_total, no_apology, tpl)
    res = [s for s in base if s.part == "results"]
    sho = [s for s in base if s.part == "shortcomings"]
    pro = [s for s in base if s.part == "proposals"]
    short = tpl.lang[lang]["short"]
    items, figs = [], {}
    for ind, met, total in met_counts:
        if total:
            items.append(w.text("units_met_item", name_short=short.get(ind, names[ind]), count=fmt_int(met, lang),
                                units=fmt_int(total, lang)))
            figs[f"met_{ind}"], figs[f"units_{ind}"] = met, total
    if items:
        res.append(Sentence("results", "units_met", w.text("units_met", detail="; ".join(items)), figures=figs))
    if behind:
        sho = [s for s in sho if s.key != "no_shortcomings"]
        sho.append(Sentence("shortcomings", "behind_lead", w.text("behind_lead")))
        for b in behind:
            parts, figs = [], {"count": int(b["missed"]), "gap": int(b["gap"])}
            for ind, g in b["gaps"].items():
                parts.append(w.text("behind_detail", name_short=short.get(ind, names.get(ind, ind)),
                                    gap=fmt_int(g, lang)))
                figs[f"gap_{ind}"] = int(g)
            sho.append(Sentence("shortcomings", "behind_unit", w.text(
                "behind_unit", unit_name=b["unit_name"], count=fmt_int(b["missed"], lang), gap=fmt_int(b["gap"], lang),
                detail="; ".join(parts)), unit=b["unit"], figures=figs))
        pro.append(Sentence("proposals", "proposal_behind", w.text("proposal_behind")))
    return res + sho + pro


def narrative_html(sentences: list[Sentence], lang: str, tpl: Templates | None = None) -> str:
    """Three numbered parts, one paragraph per sentence (a Vietnamese report's "1. … 2. … 3. …")."""
    from .tables import esc

    tpl = tpl or load_templates()
    html = []
    for i, part in enumerate(PARTS, 1):
        ss = [s for s in sentences if s.part == part]
        if not ss:
            continue
        html.append(f'<h3 class="narrative-part">{i}. {esc(tpl.get(lang, "title_" + part))}</h3>')
        html.append('<ul class="narrative">' + "".join(f"<li>{esc(s.text)}</li>" for s in ss) + "</ul>")
    return '<div class="tthc-narrative">' + "".join(html) + "</div>"
