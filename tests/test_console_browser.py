"""The moderator console in a real headless Chromium (Playwright): sign in, the city page's
dashboard table and chart render, the ranking page renders and sorts, no CSP violation.

Needs /usr/bin/chromium: skipped without it, except under CI (env CI set), where it fails.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token-0123456789abcdef"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: the console's browser tests must run in CI",
                    pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); the console's browser tests need it",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory, knowledge_searcher_fake, catalog):
    """The app on a free local port, in a thread (the fast fake embedder: no model to load)."""
    from werkzeug.serving import make_server

    from app.assistant import Assistant
    from app.web import create_app
    from indexer.settings import load_settings
    from tests.conftest import REPO

    data = tmp_path_factory.mktemp("console-browser")
    settings = load_settings({}, UCC_ADMIN_TOKEN=TOKEN, UCC_DATA_DIR=str(data),
                             UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"))
    app = create_app(settings, assistant=Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def page(server):
    """One signed-in page; console messages that report a CSP violation or a script error are kept."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1100, "height": 900})
            pg.set_default_timeout(20000)
            pg.problems = []
            pg.on("console", lambda m: pg.problems.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: pg.problems.append(str(e)))
            pg.goto(f"{server}/console/cities/ghent")
            assert "/console/sign-in" in pg.url
            pg.get_by_label("Admin token").fill(TOKEN)
            pg.get_by_role("button", name="Sign in").click()
            pg.wait_for_url(f"{server}/console/cities/ghent")
            yield pg
        finally:
            browser.close()


def test_city_page_table_and_chart_render(page):
    assert page.get_by_role("heading", level=1).inner_text() == "Ghent"
    rows = page.locator("#dashboard-table tbody tr")
    assert rows.count() == 12
    colours = {"green": "rgb(30, 123, 52)", "orange": "rgb(179, 89, 0)", "red": "rgb(180, 35, 24)"}
    seen = set()
    for i in range(12):
        cell = rows.nth(i).locator("td.score")
        colour = cell.get_attribute("data-colour")
        seen.add(colour)
        assert cell.evaluate("c => getComputedStyle(c).backgroundColor") == colours[colour]
        text = cell.inner_text()
        assert "/" in text and colour in text.lower()  # the colour is also said in words
    assert seen == {"green", "orange", "red"}  # Ghent 2023 has all three

    chart = page.locator("svg#peer-chart")
    assert chart.is_visible()
    assert chart.get_attribute("role") == "img"
    assert "Ghent against the peers" in chart.locator("title#chart-title").text_content()
    bars = chart.locator("rect.bar-city")
    assert bars.count() == 12
    widths = bars.evaluate_all("rs => rs.map(r => r.getBBox().width)")
    assert all(w > 0 for w in widths) and max(widths) > 300  # Ghent has full marks somewhere
    assert chart.locator("rect.bar-median").count() == 12
    assert sorted(bars.evaluate_all("rs => rs.map(r => r.dataset.sub)")) == \
        sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.sub)"))
    assert "Above the peers' median" in page.locator("#chart-caption").inner_text()
    assert page.problems == []


def test_ranking_page_renders_and_sorts(page, server):
    page.goto(f"{server}/console/ranking")
    table = page.locator("#ranking-table")
    assert "revision 2023" in table.locator("caption").inner_text()
    assert "Self-assessment" in page.locator(".label").inner_text()
    ranks = table.locator("tbody tr td:first-child").all_inner_texts()
    assert len(ranks) == 11 and ranks[0] == "1" and len(set(ranks)) < len(ranks)  # ties share a rank
    table.get_by_role("button", name="Member").click()  # added by console.js
    names = table.locator("tbody th").all_inner_texts()
    assert names == sorted(names)
    assert table.locator("th", has_text="Member").get_attribute("aria-sort") == "ascending"
    page.keyboard.press("Enter")  # the header button keeps focus: sort the other way from the keyboard
    assert table.locator("tbody th").all_inner_texts() == sorted(names, reverse=True)
    assert page.problems == []
