"""The drafted "Nhận xét, đánh giá" (spec §10): hand-made cases for the wording, and the number check over every
unit of the sample, every period type and both languages — each number in the text is the computed figure."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from tthc.errors import ConfigError
from tthc.report import narrative as N

KINDS = {"D1": "rate", "D2": "rate", "D3": "rate", "D4": "rate", "D5": "count", "D6": "rate", "D7": "rate"}
NAMES = {"D1": "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "D3": "Tỷ lệ hồ sơ được số hóa", "D5": "Số hồ sơ quá hạn"}

NUM = {"vi": re.compile(r"\d{1,3}(?:\.\d{3})*(?:,\d+)?"), "en": re.compile(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?")}


def numbers(text: str, lang: str) -> list[float]:
    out = []
    for tok in NUM[lang].findall(text):
        if lang == "vi":
            tok = tok.replace(".", "").replace(",", ".")
        else:
            tok = tok.replace(",", "")
        out.append(float(tok))
    return out


def r2(x) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def row(ind, value, target, status, gap, change):
    return dict(indicator=ind, value=value, target=target, status=status, gap=gap, change=change)


# -- hand-made sentences -------------------------------------------------------------------------------------
def test_rate_missed_sentence_vi():
    # D1 30/91 = 32,97%; gap ceil(0.6·91 − 30) = 25; change −1,5 pp; last year 40,00% → −7,03 pp
    s = N.indicator_sentence(row("D1", 32.97, 60.0, "Chưa đạt", 25, -1.5), "rate", NAMES["D1"], "vi",
                             N.load_templates(), ly_value=40.0)
    assert s.part == "shortcomings"
    assert s.text == ("Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 32,97%, chưa đạt chỉ tiêu (từ 60% trở lên), còn thiếu 25 "
                      "hồ sơ so với chỉ tiêu; so với kỳ trước giảm 1,50 điểm phần trăm, so với cùng kỳ năm trước "
                      "giảm 7,03 điểm phần trăm.")
    assert s.figures == {"value": 32.97, "target": 60.0, "gap": 25, "change": 1.5, "change_ly": 7.03}


def test_rate_met_sentence_en_without_previous():
    s = N.indicator_sentence(row("D3", 100.0, 100.0, "Đạt", 0, np.nan), "rate", "Dossiers digitised", "en",
                             N.load_templates(), ly_value=98.755)
    assert s.part == "results"
    # yoy: 100 − 98.755 = 1.245 → 1.25 (half-up)
    assert s.text == ("Dossiers digitised: 100.00%, target met (100%); against the same period last year up 1.25 "
                      "percentage points.")


def test_d5_sentences():
    tpl = N.load_templates()
    met = N.indicator_sentence(row("D5", 0.0, 0.0, "Đạt", 0, -3.0), "count", NAMES["D5"], "vi", tpl, ly_value=0.0)
    assert met.text == ("Không có hồ sơ quá hạn, hoàn thành chỉ tiêu không để xảy ra tình trạng hồ sơ quá hạn; so với kỳ "
                        "trước giảm 3 hồ sơ, so với cùng kỳ năm trước không thay đổi.")
    missed = N.indicator_sentence(row("D5", 1234.0, 0.0, "Chưa đạt", 1234, 2.0), "count", NAMES["D5"], "vi", tpl,
                                  no_apology=1000)
    assert missed.text == ("Còn 1.234 hồ sơ quá hạn (chỉ tiêu: không để hồ sơ quá hạn), trong đó 1.000 hồ sơ chưa "
                           "có phiếu xin lỗi và hẹn lại ngày trả kết quả; so với kỳ trước tăng 2 hồ sơ.")


def test_nodata_sentence_has_no_figures():
    s = N.indicator_sentence(row("D1", np.nan, 60.0, "Không có dữ liệu", np.nan, np.nan), "rate", NAMES["D1"], "vi",
                             N.load_templates())
    assert s.key == "rate_nodata" and not numbers(s.text, "vi")


def test_unit_narrative_order_and_proposals():
    rows = [row("D1", 70.0, 60.0, "Đạt", 0, 1.0), row("D3", 90.0, 100.0, "Chưa đạt", 3, 0.0)]
    total = dict(col3=40, col4=20, col5=10, col6=10, col7=30, col8=20, col9=5, col10=5, col11=10)
    ss = N.unit_narrative(rows, KINDS, NAMES, "vi", "UBND xã Thanh An", {}, total)
    assert [s.part for s in ss] == ["results", "results", "shortcomings", "proposals"]
    assert ss[0].text == ("Trong kỳ, UBND xã Thanh An tiếp nhận mới 30 hồ sơ (trong đó trực tuyến 20 hồ sơ), kỳ trước "
                          "chuyển sang 10 hồ sơ; đã giải quyết 30 hồ sơ (trước hạn và đúng hạn 25 hồ sơ, quá hạn 5 hồ "
                          "sơ); đang giải quyết 10 hồ sơ.")
    assert "không thay đổi" in ss[2].text
    assert ss[3].indicator == "D3" and "số hóa" in ss[3].text


def test_overview_behind_sentence():
    behind = [dict(unit="X002", unit_name="UBND xã Thanh Hồng", missed=2, gap=1040, gaps={"D1": 1000, "D5": 40})]
    ss = N.overview_narrative([], KINDS, NAMES, "vi", "UBND huyện Thanh Hà", [("D1", 3, 4)], behind)
    texts = [s.text for s in ss]
    assert ("UBND xã Thanh Hồng chưa đạt 2 chỉ tiêu, còn thiếu tổng cộng 1.040 hồ sơ (tiếp nhận trực tuyến: 1.000 hồ "
            "sơ; hồ sơ quá hạn: 40 hồ sơ).") in texts
    assert "Số đơn vị trực thuộc đạt chỉ tiêu: tiếp nhận trực tuyến 3/4 đơn vị." in texts


def test_templates_reject_unknown_template_field(tmp_path):
    import yaml

    doc = yaml.safe_load(N.narrative_file().read_text(encoding="utf-8"))
    doc["vi"]["rate_met"] = "{name} đạt {valeur}"
    p = tmp_path / "narrative.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"vi\.rate_met: unknown template field \{valeur\}"):
        N.load_templates(p)
    del doc["vi"]["rate_met"]
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"vi\.rate_met: missing template"):
        N.load_templates(p)


def test_bundled_templates_have_no_fixed_figures():
    """Every number in a sentence must come from a template field: the fixed text carries no digits."""
    tpl = N.load_templates()
    for lang, d in tpl.lang.items():
        for k, v in d.items():
            for text in (v.values() if isinstance(v, dict) else [v]):
                assert not re.search(r"\d", text), f"{lang}.{k}: {text}"


# -- every sample report --------------------------------------------------------------------------------------
PERIODS = [("2025-03", "calendar"), ("2025-Q1", "calendar"), ("2025-Q2", "calendar"), ("2025-H1", "calendar"),
           ("2024-9M", "calendar"), ("2024", "calendar"), ("2025", "calendar"), ("2025-Q1", "report"),
           ("2025-H1", "report")]


def expected_numbers(s, own: pd.DataFrame, ly: dict, total, children: pd.DataFrame | None) -> list[float]:
    """The numbers sentence ``s`` must show, in order, recomputed from the cube rows (not from ``s.figures``)."""
    if s.key == "volume":
        t = total
        return [t["col4"] + t["col5"], t["col4"], t["col6"], t["col7"], t["col8"] + t["col9"], t["col10"],
                t["col11"]]
    if s.key == "units_met":  # per indicator of the unit, in engine order: units Đạt, units with data
        out = []
        for code in own[own["target"].notna()]["indicator"]:
            st = list(children[children["indicator"] == code]["status"])
            with_data = sum(x != "Không có dữ liệu" for x in st)
            if with_data:
                out += [sum(x == "Đạt" for x in st), with_data]
        return out
    if s.key == "behind_unit":
        g = children[(children["unit"] == s.unit) & (children["status"] == "Chưa đạt")]
        gaps = [float(v) for v in g["gap"]]
        return [len(g), sum(gaps), *gaps]
    if s.indicator is None or s.key.endswith("nodata") or s.part == "proposals":
        return []
    r = own[own["indicator"] == s.indicator].iloc[0]
    value, target = float(r["value"]), float(r["target"])
    ch = [] if pd.isna(r["change"]) else [abs(float(r["change"]))]
    if s.indicator in ly and not pd.isna(ly[s.indicator]):
        yo = value - float(ly[s.indicator])
        ch.append(abs(round(yo)) if s.key.startswith("count") else abs(r2(yo)))
    ch = [x for x in ch if r2(x) != 0]  # no change is written in words ("không thay đổi")
    if s.key == "rate_met":
        return [value, target, *ch]
    if s.key == "rate_missed":
        return [value, target, float(r["gap"]), *ch]
    if s.key == "count_met":
        return ch
    if s.key == "count_missed":
        # the overdue dossiers without an apology letter belong to D5 (overdue) only, not to other counts (D8)
        noap = own[own["indicator"] == "OVERDUE_NO_APOLOGY"]["value"] if s.indicator == "D5" else []
        extra = [float(noap.iloc[0])] if len(noap) and float(noap.iloc[0]) > 0 else []
        return [value, *extra, *ch]
    raise AssertionError(f"unexpected sentence {s.key}")


def test_every_number_of_every_sample_narrative(on_sample):
    from tthc.engine import query as q
    from tthc.report.assess import overview_sentences, same_period_last_year, unit_sentences
    from tthc.units import load_registry

    reg = load_registry()
    checked = sentences = 0
    have = set(q.meta()["periods"])
    for period, window in PERIODS:
        if period not in have:  # the sample does not reach this period: nothing to draft
            continue
        ind = q.indicators(period, window)
        ly = same_period_last_year(period)
        ly_ind = q.indicators(ly, window) if ly in have else None
        b06 = q.bieu06(period, window)
        units = list(dict.fromkeys(ind["unit"]))
        for unit in units:
            own = ind[ind["unit"] == unit]
            ly = {} if ly_ind is None else dict(zip(*ly_ind[ly_ind["unit"] == unit][["indicator", "value"]].T.values))
            tot = b06[(b06["unit"] == unit) & (b06["ma_linh_vuc"] == "TONG")]
            total = tot.iloc[0].to_dict() if len(tot) else None
            kids = [k for k in reg.children(unit) if k in units]
            for lang in ("vi", "en"):
                name = reg.get(unit).name
                if kids:
                    ss = overview_sentences(unit, name, period, window, lang, ind[ind["unit"].isin([unit, *kids])],
                                            kids, b06)
                    children = ind[ind["unit"].isin(kids) & ind["target"].notna()]
                else:
                    ss = unit_sentences(unit, name, period, window, lang, own, b06)
                    children = None
                assert [s.part for s in ss] == sorted((s.part for s in ss), key=N.PARTS.index)
                for s in ss:
                    text = s.text
                    for nm in {name, *(reg.get(k).name for k in kids)}:
                        text = text.replace(nm, "")
                    got = numbers(text, lang)
                    want = expected_numbers(s, own, ly, total, children)
                    assert [r2(x) for x in got] == [r2(x) for x in want], (unit, period, window, lang, s.text)
                    checked += len(got)
                    sentences += 1
    assert checked > 2000 and sentences > 800  # (on the current sample: > 5 000 numbers in > 2 000 sentences)


def test_report_sections_display(on_sample, monkeypatch):
    """r.narrative() and r.plan() display one numbered section each, in unit and overview reports, vi and en."""
    import tthc.report
    from tthc.report import context as C

    shown = []
    monkeypatch.setattr(C, "_display", shown.append)
    r = tthc.report.load("X001", "2025-Q1", "calendar", "vi")
    r.narrative()
    r.plan()
    html = "".join(b["text/html"] for b in shown)
    assert "<h2>1. Nhận xét, đánh giá</h2>" in html and "<h2>2. Kế hoạch đạt chỉ tiêu năm</h2>" in html
    assert html.index("1. Kết quả đạt được") < html.index("2. Tồn tại, hạn chế") < html.index("3. Đề xuất, kiến nghị")
    # every rate target X001 misses year to date has one plan line, with its dossiers per month
    plans = r.plans()
    assert plans and html.count("<li>") >= len(plans)
    from tthc.report.fmt import fmt_int

    for p in plans:
        want = (f"bình quân {fmt_int(p.per_month)} hồ sơ đạt yêu cầu ({fmt_int(p.needed)} hồ sơ" if p.feasible
                else f"cần thêm {fmt_int(p.needed)} hồ sơ đạt yêu cầu trong {p.months_left} tháng")
        assert want in html, want
    shown.clear()
    o = tthc.report.load("H001", "2025-Q1", "calendar", "en", kind="overview")
    o.narrative()
    o.plan()
    html = "".join(b["text/html"] for b in shown)
    assert "Units furthest behind their targets:" in html and "Units meeting each target:" in html
    assert "Units below a rate target year to date:" in html and '<th' in html


def test_every_number_of_every_sample_plan(on_sample):
    """The plan's sentences of every unit, 2025 periods of each type, both languages: the numbers in the text are,
    in order, the year-to-date rate, the target and the plan's counts recomputed here from the cube's months."""
    import math

    from tthc.engine import query as q
    from tthc.report.assess import kinds_and_names, plan_sentences, unit_plans
    from tthc.report.narrative import load_templates

    tpl = load_templates()
    n_sent = 0
    have = set(q.meta()["periods"])
    monthly = {f"{y}-{m:02d}": q.indicators(f"{y}-{m:02d}", "calendar") for y in (2024, 2025) for m in range(1, 13)
               if f"{y}-{m:02d}" in have}
    empty = monthly["2025-01"].iloc[0:0]
    for period, last_month in (("2025-03", 3), ("2025-Q1", 3), ("2025-Q2", 6), ("2025-H1", 6)):
        ind = q.indicators(period, "calendar")
        for unit in dict.fromkeys(ind["unit"]):
            plans = unit_plans(unit, period, ind)
            # independent sums over the cube's monthly rows
            ytd, rest = {}, {}
            for m in range(1, 13):
                code = f"2025-{m:02d}" if m <= last_month else f"2024-{m:02d}"
                d = monthly[code][monthly[code]["unit"] == unit] if code in monthly else empty
                for r in d.itertuples():
                    if pd.isna(r.numerator) or pd.isna(r.denominator):
                        continue
                    tgt = ytd if m <= last_month else rest
                    n0, d0 = tgt.get(r.indicator, (0, 0))
                    tgt[r.indicator] = (n0 + int(r.numerator), d0 + int(r.denominator))
            for p in plans:
                n, d = ytd[p.indicator]
                vol = rest.get(p.indicator, (0, 0))[1] or math.ceil(d * (12 - last_month) / last_month)
                need = max(0, math.ceil(round(p.target * 100) * (d + vol) / 10000 - n - 1e-12))
                assert (p.numerator, p.denominator, p.volume, p.needed) == (n, d, vol, need), (unit, period, p)
            for lang in ("vi", "en"):
                _, names = kinds_and_names([p.indicator for p in plans], lang)
                for p, s in zip(plans, plan_sentences(plans, lang, names, tpl)):
                    per = math.ceil(p.needed / p.months_left) if p.months_left else 0
                    want = {"plan_feasible": [100 * p.numerator / p.denominator, p.target, per, p.needed,
                                              12 - last_month, 100 * p.needed / p.volume, p.volume],
                            "plan_infeasible": [100 * p.numerator / p.denominator, p.target, p.needed,
                                                12 - last_month, p.volume]}[s.key]
                    got = numbers(s.text, lang)
                    assert [r2(x) for x in got] == [r2(x) for x in want], (unit, period, lang, s.text)
                    n_sent += 1
    assert n_sent > 500
