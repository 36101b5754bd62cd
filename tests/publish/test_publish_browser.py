"""The public site in a real browser: Debian's Chromium driven by Playwright renders the index and a unit page at
desktop width and at 390 px (a phone), with screenshots in ``test-artifacts/publish/``; axe-core (bundled by the
pinned PyPI package axe-playwright-python, no CDN) finds no serious or critical violation; nothing overflows the
phone's width except inside the scrollable table regions."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "publish"


@pytest.fixture(scope="module")
def site(sample_root_module, tmp_path_factory):
    return sample_root_module


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run tools/system-deps.sh --full")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page)
    bad = [v for v in res.response["violations"] if v.get("impact") in ("serious", "critical")]
    return [f"{v['id']} ({v['impact']}): {v['help']} × {len(v['nodes'])}" for v in bad]


@pytest.mark.parametrize("width,height,tag", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_site_renders_and_is_accessible(site, browser, width, height, tag):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=True)
    requests = []
    page = ctx.new_page()
    page.on("request", lambda r: requests.append(r.url))
    try:
        for name in ("index.html", "X001.html", "H001.html"):
            page.goto((site / name).as_uri())
            assert page.evaluate("document.documentElement.lang") == "vi"
            assert page.locator("th[scope]").count() > 3
            problems = _axe(page)
            assert problems == [], (name, tag, problems)
            # nothing wider than the viewport outside the scrollable table regions
            overflow = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
                if (e.closest('.scroll')) return false;
                const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1; }).length""")
            assert overflow == 0, (name, tag, overflow)
            page.screenshot(path=str(ARTIFACTS / f"{name[:-5]}-{tag}.png"), full_page=True)
        # the link from the index reaches a unit page, the charts are inline SVG
        page.goto((site / "index.html").as_uri())
        page.get_by_role("link", name="UBND xã Thanh An", exact=True).click()
        assert page.locator("h1").inner_text() == "UBND xã Thanh An"
        assert page.locator("svg[role=img]").count() >= 7
    finally:
        ctx.close()
    assert all(u.startswith("file://") for u in requests), requests  # self-contained: no network
