"""The explorer behind notebooks/explore.ipynb, without a browser: options, selection logic, rendering, export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tthc import explore
from tthc.explore import Explorer, links_html, output_files, period_label, period_options, pick, relative_link
from tthc.units import load_registry

REPO = Path(__file__).resolve().parents[2]
REGISTRY = load_registry(REPO / "params" / "units.yaml")

def scorecard_value(html: str, code: str) -> str:
    """The displayed value of indicator ``code`` in the scorecard table: the first numeric cell of the row whose
    first cell is the code ("D1" or "D1. name")."""
    table = re.search(r'<table class="[^"]*\bscorecard\b[^"]*">(.*?)</table>', html, re.S)
    assert table, "no scorecard table in the output"
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        first = re.match(r"\s*<td[^>]*>([^<]*)</td>", row)
        if first and re.match(rf"{code}(\.|$)", first.group(1).strip()):
            value = re.search(r'<td class="num[^"]*"[^>]*>([^<]*)', row)
            assert value, f"no value cell in the {code} row"
            return value.group(1).strip()
    raise AssertionError(f"no {code} row in the scorecard")


def html_outputs(cap) -> str:
    return "\n".join(o.data.get("text/html", "") for o in cap.outputs)


# --- options -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code,lang,label", [
    # the code, then the period's name as the reports write it (tthc.report.i18n.period_label, its one home)
    ("2025-Q1", "vi", "2025-Q1 · Quý I năm 2025"),
    ("2025-Q1", "en", "2025-Q1 · Q1 2025"),
    ("2025-03", "vi", "2025-03 · Tháng 3 năm 2025"),
    ("2025-03", "en", "2025-03 · March 2025"),
    ("2025-H2", "vi", "2025-H2 · 6 tháng cuối năm 2025"),
    ("2025-9M", "vi", "2025-9M · 9 tháng năm 2025"),
    ("2025-9M", "en", "2025-9M · First nine months of 2025"),
    ("2024", "vi", "2024 · Năm 2024"),
])
def test_period_label(code, lang, label):
    assert period_label(code, lang) == label


def test_period_options_quarters_first_latest_first():
    opts = period_options(["2025-03", "2024-Q4", "2025-Q1", "2025", "2025-H1", "2024-12", "2025-Q1"])
    assert [v for _, v in opts] == ["2025-Q1", "2024-Q4", "2025-03", "2024-12", "2025-H1", "2025"]


def test_unit_options_follow_the_registry_validity():
    q1 = unit_values("2025-Q1", "calendar")
    assert len(q1) == 34  # H001 + P001–P012 + X001–X021
    assert q1[:3] == ["H001", "P001", "P002"] and q1[-1] == "X021"
    assert "X101" not in q1
    # after the 01/07/2025 reform only the city, its departments and its communes exist in calendar Q3 ...
    after = ["T001", *(f"S{i:03d}" for i in range(1, 6)), *(f"X{i}" for i in range(101, 113))]
    assert unit_values("2025-Q3", "calendar") == after
    # ... but the report window 15/06–14/09 straddles the reform: old and new units are both valid
    assert len(unit_values("2025-Q3", "report")) == 34 + len(after)
    label = dict((v, lab) for lab, v in explore.unit_options("2025-Q1", registry=REGISTRY))["X002"]
    assert label == "X002 – UBND xã Thanh Lang"


def unit_values(period, window):
    return [v for _, v in explore.unit_options(period, window, REGISTRY)]


def test_window_options():
    assert [v for _, v in explore.window_options("vi")] == ["calendar", "report"]


def test_pick_keeps_a_valid_choice_else_first():
    opts = [("a", "X001"), ("b", "X002")]
    assert pick(opts, "X002") == "X002"
    assert pick(opts, "X999") == "X001"
    assert pick([], "X001") is None


# --- links to rendered files ---------------------------------------------------------------------------------
def test_links_are_relative_to_the_notebook_folder(tmp_path, monkeypatch):
    from tthc import config

    monkeypatch.setattr(config, "project_root", lambda: tmp_path)
    nbdir, out = tmp_path / "notebooks", tmp_path / "outputs" / "2025-Q1" / "X001"
    nbdir.mkdir()
    out.mkdir(parents=True)
    rec = {"status": "ok", "out_dir": str(out), "parameters": {"unit": "X001"},
           "outputs": ["report.ipynb", "report.html", "report.pdf", "bieu06.xlsx"]}
    files = output_files(rec)
    assert files == [out / "report.ipynb", out / "report.html", out / "report.pdf", out / "bieu06.xlsx"]
    assert relative_link(out / "report.pdf", nbdir) == "../outputs/2025-Q1/X001/report.pdf"
    h = links_html(files[1:3], nbdir)
    assert ('<a href="../outputs/2025-Q1/X001/report.html" target="_blank" data-export="html">'
            'outputs/2025-Q1/X001/report.html</a>') in h
    assert 'href="../outputs/2025-Q1/X001/report.pdf"' in h


# --- the explorer on the sample ------------------------------------------------------------------------------


@pytest.mark.xdist_group("browser")
def test_explorer_choices_come_from_cube_and_registry(in_lab_root):
    from tthc.engine import query

    ex = Explorer(unit="X001", period="2025-Q1", loader=lambda *a: None)
    assert ex.period == "2025-Q1" and ex.unit == "X001" and ex.window == "calendar"
    assert sorted(v for _, v in ex.period_choices) == sorted(query.meta()["periods"])
    assert [v for _, v in ex.w_unit.options] == unit_values("2025-Q1", "calendar")
    assert ex.w_unit.value == "X001"


@pytest.mark.xdist_group("browser")
def test_explorer_shows_the_selected_units_scorecard(in_lab_root, ipython_capture):
    from tthc.engine import query
    from tthc.report.fmt import fmt_pct

    ind = query.indicators("2025-Q1", "calendar")
    d1 = ind[ind["indicator"] == "D1"].set_index("unit")["value"]
    assert d1["X001"] != d1["X002"]  # otherwise the test could not see the switch
    ex = Explorer(unit="X001", period="2025-Q1", lang="vi")
    with ipython_capture() as cap:
        ex.refresh()
    assert ex.last_error is None
    assert scorecard_value(html_outputs(cap), "D1") == fmt_pct(d1["X001"], 2, "vi")
    assert "Biểu" in html_outputs(cap) or "bieu06" in html_outputs(cap)
    assert "DỮ LIỆU MẪU – mô phỏng" in html_outputs(cap)  # the warehouse holds the synthetic sample
    n = ex.renders
    with ipython_capture() as cap:
        ex.w_unit.value = "X002"  # what the drop-down does
    assert ex.unit == "X002" and ex.renders == n + 1
    assert scorecard_value(html_outputs(cap), "D1") == fmt_pct(d1["X002"], 2, "vi")


@pytest.mark.xdist_group("browser")
def test_explorer_period_change_reloads_units_and_renders_once(in_lab_root):
    seen = []
    ex = Explorer(unit="X003", period="2025-Q1", loader=lambda *a: seen.append(a))
    ex.w_period.value = "2024-Q4"
    assert seen == [("X003", "2024-Q4", "calendar", "vi")]  # unit kept, one render
    ex.w_window.value = "report"
    assert seen[-1] == ("X003", "2024-Q4", "report", "vi") and len(seen) == 2
    ex.select(period="2025-Q1", window="calendar", unit="P004")
    assert seen[-1] == ("P004", "2025-Q1", "calendar", "vi") and len(seen) == 3


@pytest.mark.xdist_group("browser")
def test_explorer_switch_to_a_period_where_the_unit_no_longer_exists(in_lab_root):
    seen = []
    ex = Explorer(unit="X003", period="2025-Q1", periods=["2025-Q1", "2025-Q3"],
                  loader=lambda *a: seen.append(a))
    ex.w_period.value = "2025-Q3"
    assert ex.unit == "X101"  # X003 was merged into X101 on 01/07/2025: its successor instead
    assert [v for _, v in ex.w_unit.options][:7] == ["T001", "S001", "S002", "S003", "S004", "S005", "X101"]
    assert seen == [("X101", "2025-Q3", "calendar", "vi")]


@pytest.mark.xdist_group("browser")
def test_explorer_shows_a_bad_selection_as_an_error_line(in_lab_root, ipython_capture):
    def failing(*a):
        raise ValueError("kỳ 2031-Q1 chưa có dữ liệu")

    ex = Explorer(unit="X001", period="2025-Q1", loader=failing)
    with ipython_capture() as cap:
        ex.refresh()
    assert isinstance(ex.last_error, ValueError)
    assert "kỳ 2031-Q1 chưa có dữ liệu" in html_outputs(cap)
