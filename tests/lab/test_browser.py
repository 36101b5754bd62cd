"""Real-browser test: Debian's Chromium, driven by Playwright, against a live JupyterLab with the project kernel.

Opens ``unit_report.ipynb``, runs all cells, checks there is no error output and that the scorecard's D1 value is
the one ``tthc indicators --format csv`` prints; checks the export menu lists the project's exporters; then runs
``explore.ipynb``, switches the unit drop-down and checks the scorecard follows. Screenshots go to
``test-artifacts/lab/``. Everything runs in a temp project root (see conftest): nothing is saved into the repo.
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest

from tthc.report.fmt import fmt_pct

from labkit import ARTIFACTS, run_tthc

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PERIOD = "2025-Q1"
RUN_ALL_TIMEOUT = 150  # s; a run takes ~10–20 s on an idle 2-core machine
UI_TIMEOUT_MS = 60_000

# The notebook panel in front, its kernel connected and idle.
_READY_JS = """(path) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.sessionContext) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle' && w.content.widgets.length > 0;
}"""
# Every code cell has an execution count and the kernel is idle: "Run All" finished.
_DONE_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget; const cells = w.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code' && (c.executionCount === null || c.executionCount === undefined)) return false;
  }
  return w.sessionContext.session.kernel.status === 'idle';
}"""
# Error outputs in the notebook model (what a saved notebook would hold as output_type "error").
_ERRORS_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells; const errs = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i); if (c.type !== 'code') continue;
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errs.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  }
  return errs;
}"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (Debian package 'chromium'; tools/system-deps.sh --full installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=UI_TIMEOUT_MS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def indicators_csv(lab_env, sample_data) -> dict[tuple[str, str], dict]:
    """``tthc indicators --period 2025-Q1 --format csv`` on the test warehouse, keyed by (unit, indicator)."""
    out = run_tthc(["indicators", "--period", PERIOD, "--format", "csv"], lab_env).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0]) == ["unit", "indicator", "numerator", "denominator", "value", "target", "status",
                                      "gap"]
    return {(r["unit"], r["indicator"]): r for r in rows}


def expected_d1(table: dict, unit: str) -> str:
    return fmt_pct(float(table[(unit, "D1")]["value"]), 2, "vi")


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield pg
    finally:
        ctx.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_notebook(page, server, path: str) -> None:
    page.goto(server.url(f"lab/tree/{path}?reset"))  # ?reset: a fresh workspace, only this notebook open
    page.wait_for_function(_READY_JS, arg=path, timeout=UI_TIMEOUT_MS, polling=250)


def run_all(page, server, name: str) -> None:
    """Run → Run All Cells, wait until every cell ran and the kernel is idle; fail on any error output."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }")
    t0 = time.monotonic()
    try:
        page.wait_for_function(_DONE_JS, timeout=RUN_ALL_TIMEOUT * 1000, polling=500)
    except Exception:
        shot(page, f"{name}-timeout")
        raise
    # the server agrees: no kernel busy any more
    assert all(k["execution_state"] == "idle" for k in server.api("api/kernels")), server.api("api/kernels")
    errors = page.evaluate(_ERRORS_JS)
    tracebacks = [t for t in page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
        if "Traceback" in t or "Error" in t]
    if errors or tracebacks:
        shot(page, f"{name}-error")
    assert not errors, errors
    assert not tracebacks, tracebacks[0][-2000:]
    print(f"{name}: run all in {time.monotonic() - t0:.1f} s")


def scorecard_value(page, code: str = "D1") -> str:
    """First line of the value cell of ``code`` in the visible scorecard."""
    row = page.locator("table.scorecard:visible tbody tr").filter(
        has=page.locator("td:first-child", has_text=re.compile(rf"^\s*{code}(\.|\s|$)"))).first
    row.scroll_into_view_if_needed()
    return row.locator("td.num").first.inner_text().strip().splitlines()[0].strip()


def test_unit_report_run_all_matches_cli(page, lab_server, indicators_csv):
    open_notebook(page, lab_server, "notebooks/unit_report.ipynb")
    kernel = page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.name")
    assert kernel == "tthc"
    run_all(page, lab_server, "unit_report")
    assert scorecard_value(page, "D1") == expected_d1(indicators_csv, "X001")
    shot(page, "unit_report")

    # File → Save and Export Notebook As… lists the project's exporters (from /api/nbconvert)
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="Save and Export Notebook As").hover()
    sub = page.locator(".lm-Menu:visible .lm-Menu-itemLabel")
    sub.filter(has_text="Tthc_pdf").wait_for()
    labels = sub.all_inner_texts()
    assert "Tthc_html" in labels and "Tthc_pdf" in labels, labels
    shot(page, "export_menu")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")


def league_value(page, unit: str, code: str = "D1") -> str:
    """First line of the ``code`` column (found by its header, "D1 …") in ``unit``'s row of the league table."""
    page.locator("table.league:visible").first.scroll_into_view_if_needed()
    value = page.evaluate("""([unit, code]) => {
        const t = document.querySelector('table.league'); if (!t) return null;
        const heads = Array.from(t.querySelectorAll('thead th')).map(h => h.textContent.trim());
        const col = heads.findIndex(h => h === code || h.startsWith(code + ' ') || h.startsWith(code + '.'));
        if (col < 0) return null;
        for (const r of t.querySelectorAll('tbody tr')) {
            const c = r.querySelectorAll('td');
            if (c.length > col && c[0].textContent.trim() === unit) return c[col].innerText.split('\\n')[0].trim();
        }
        return null; }""", [unit, code])
    assert value is not None, f"no {code} column or no {unit} row in the league table"
    return value


def test_overview_run_all_matches_cli(page, lab_server, indicators_csv):
    open_notebook(page, lab_server, "notebooks/overview.ipynb")
    run_all(page, lab_server, "overview")
    assert league_value(page, "H001") == expected_d1(indicators_csv, "H001")
    assert league_value(page, "X002") == expected_d1(indicators_csv, "X002")
    shot(page, "overview")


def test_explorer_follows_the_unit_dropdown(page, lab_server, indicators_csv):
    assert expected_d1(indicators_csv, "X001") != expected_d1(indicators_csv, "X002")
    open_notebook(page, lab_server, "notebooks/explore.ipynb")
    run_all(page, lab_server, "explore")
    page.locator(".tthc-explore-unit select").wait_for()
    assert scorecard_value(page, "D1") == expected_d1(indicators_csv, "X001")

    page.locator(".tthc-explore-unit select").select_option(label="X002 – UBND xã Thanh Lang")
    want = expected_d1(indicators_csv, "X002")
    try:
        page.wait_for_function(
            """(want) => { const rows = document.querySelectorAll('table.scorecard tbody tr');
                 for (const r of rows) { const c = r.querySelectorAll('td');
                   if (c.length && /^\\s*D1(\\.|\\s|$)/.test(c[0].textContent))
                     return r.querySelector('td.num').innerText.split('\\n')[0].trim() === want; }
                 return false; }""", arg=want, timeout=UI_TIMEOUT_MS, polling=250)
        page.wait_for_function(_DONE_JS, timeout=UI_TIMEOUT_MS, polling=250)  # trends and Biểu 06 drawn too
    finally:
        shot(page, "explore")
    assert scorecard_value(page, "D1") == want
    assert page.evaluate(_ERRORS_JS) == []

    # "Xuất báo cáo (HTML/PDF)" renders the selection through run_report (same path as make report)
    page.locator("button.tthc-explore-export").click()
    links = page.locator("ul.tthc-export-links a")
    try:
        links.first.wait_for(timeout=RUN_ALL_TIMEOUT * 1000)
    finally:
        page.locator(".tthc-explore-unit").scroll_into_view_if_needed()
        shot(page, "explore_export")
    texts = links.all_inner_texts()
    assert texts == [f"outputs/{PERIOD}/X002/report.html", f"outputs/{PERIOD}/X002/report.pdf",
                     f"outputs/{PERIOD}/X002/bieu06.xlsx"], texts
    out = lab_server.root / "outputs" / PERIOD / "X002"
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert want in (out / "report.html").read_text(encoding="utf-8")
    # JupyterLab resolved the notebook-relative links to the server's file URLs
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert all(f"/files/outputs/{PERIOD}/X002/" in h for h in hrefs), hrefs
