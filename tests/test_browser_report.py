"""The report opens in Debian chromium with every non-file request blocked: every section is
present and visible, the charts and maps draw, no console error, no request attempted."""

from __future__ import annotations

import os
import shutil

import pytest
from typer.testing import CliRunner

from nansei.cli import app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECTIONS = (
    "answer",
    "posture",
    "reach",
    "campaign",
    "sensitivity",
    "parameters",
    "reproducibility",
)


@pytest.mark.browser
def test_report_opens_offline(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make browser)")
    playwright_api = pytest.importorskip("playwright.sync_api")

    out = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["report", "--years", "2022,2026", "--reps", "40", "--dpi", "60", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    path = out / "report.html"

    problems: list[str] = []
    attempted: list[str] = []

    def only_files(route):
        if route.request.url.startswith(("file://", "data:")):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_files)
            page.on(
                "request",
                lambda r: None if r.url.startswith(("file:", "data:")) else attempted.append(r.url),
            )
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(path.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            plots = page.locator(".js-plotly-plot").count()
            drawn = page.evaluate(
                "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".filter(p => p.querySelector('.main-svg')"
                " && p.getBoundingClientRect().height > 200)"
                ".length"
            )
            visible = {}
            heights = {}
            for section in SECTIONS:
                locator = page.locator(f"section#{section}")
                locator.scroll_into_view_if_needed()
                visible[section] = locator.is_visible()
                heights[section] = locator.bounding_box()["height"]
            image = page.evaluate(
                "() => { const i = document.querySelector('#reach figure img');"
                " return i ? [i.complete, i.naturalWidth] : [false, 0]; }"
            )
            page.evaluate("() => window.scrollTo(0, 0)")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert problems == []
    assert attempted == []  # nothing even tried to leave the machine
    assert all(visible.values()), visible
    assert all(h > 60 for h in heights.values()), heights
    # Two maps (first and last year) and one chart per campaign metric.
    assert plots >= 2 + 5 and drawn == plots
    assert image[0] and image[1] > 500
    assert shot.stat().st_size > 20_000
    target = os.environ.get("NANSEI_REPORT_SCREENSHOT")
    if target:  # refresh docs/img/report.png on purpose, never as a side effect
        shutil.copyfile(shot, target)
