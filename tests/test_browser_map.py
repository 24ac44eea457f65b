"""The offline HTML map renders in Debian chromium with every non-file request blocked."""

from __future__ import annotations

import os

import pytest

from nansei import maps
from nansei.catalog import default_catalog
from nansei.geo import compute_coverage

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_html_map_draws_offline(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make browser)")
    playwright_api = pytest.importorskip("playwright.sync_api")

    catalog = default_catalog()
    path = tmp_path / "coverage-2026.html"
    maps.write_html(compute_coverage(catalog, 2026), catalog, path)

    problems: list[str] = []
    blocked: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_files)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(path.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            page.wait_for_selector("g.geo g.trace.scattergeo", state="attached", timeout=30_000)
            traces = page.locator("g.geo g.trace.scattergeo").count()
            filled = page.evaluate(
                "() => Array.from(document.querySelectorAll('g.geo g.trace.scattergeo path'))"
                ".filter(p => !['none', ''].includes(getComputedStyle(p).fill)).length"
            )
            types = page.evaluate(
                "() => document.getElementById('nansei-coverage-map')._fullData.map(t => t.type)"
            )
            drawn = page.evaluate(
                "() => { const p = document.querySelector('g.geo path.js-line');"
                " return p ? p.getBBox().width : 0; }"
            )
        finally:
            browser.close()
    assert problems == []
    assert blocked == []  # nothing even tried to leave the machine
    assert set(types) == {"scattergeo"}
    assert traces == len(types) >= 10
    assert filled >= 10  # land and every range disc are filled areas
    assert drawn > 100  # the land outline spans the map (px)
