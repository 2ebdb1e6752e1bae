"""The moderator console in a real headless Chromium (Playwright): sign in, the city page's
dashboard table and chart render, the ranking page renders and sorts, the questions view shows
answers, routes, rewritten follow-ups and topic groups, no page overflows a 360 px phone, axe-core
finds no violation on any console page, no CSP violation.

Needs /usr/bin/chromium: skipped without it, except under CI (env CI set), where it fails.

Screenshots of the main states are written to ``UCC_SCREENSHOT_DIR`` (default: a
``ucc-console-screens`` folder in the temp directory) for a person to look at; never committed.
With ``UCC_DOCS_SCREENSHOTS=1`` the run also refreshes ``docs/console.png``, the README's picture.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest

from .accessibility import axe_violations, describe

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token-0123456789abcdef"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
SHOTS = Path(os.environ.get("UCC_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "ucc-console-screens")
DOCS_SHOT = Path(__file__).resolve().parent.parent / "docs" / "console.png"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1100, "height": 900}


def shot(page, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: the console's browser tests must run in CI",
                    pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); the console's browser tests need it",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.model  # topics are grouped with the real embedding model


@pytest.fixture(scope="module")
def server(tmp_path_factory, knowledge_searcher, catalog):
    """The app on a free local port, in a thread, over the knowledge base indexed with the real model
    (the questions view groups topics with it)."""
    from werkzeug.serving import make_server

    from app.assistant import Assistant
    from app.web import create_app
    from indexer.settings import load_settings
    from tests.conftest import REPO

    data = tmp_path_factory.mktemp("console-browser")
    settings = load_settings({}, UCC_ADMIN_TOKEN=TOKEN, UCC_DATA_DIR=str(data),
                             UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"))
    app = create_app(settings, assistant=Assistant(settings, searcher=knowledge_searcher, catalog=catalog))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{srv.server_port}"
        _ask_and_log(url, app.extensions["ucc.questionlog"])
        yield url
    finally:
        srv.shutdown()
        thread.join(timeout=5)


def _ask_and_log(url: str, qlog) -> None:
    """Questions through the real API (a routed answer, a follow-up it rewrites, a route that falls
    back), then a few logged directly: outcomes the fake index cannot produce, and a rating."""
    import json
    import urllib.request

    def ask(question, conversation=None):
        body = {"question": question, **({"conversation_id": conversation} if conversation else {})}
        req = urllib.request.Request(f"{url}/api/v1/ask", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)

    first = ask("What are Ghent's scores?")
    ask("what about Porto?", first["conversation_id"])
    ask("How does Arezzo score on the dashboard?")  # no published row: the scores route says so from the data
    for q in ("How do cities run participatory budgeting?", "How do cities run participatory budgeting?",
              "How do cities run participatory budgeting?", "participatory budgeting examples in cities",
              "Who lets residents vote on how to spend part of the budget?"):
        qlog.record_ask(q, "answered", intent="answer", route="answer",
                        answer="Paris lets residents propose and vote on projects for 5% of its budget [1].")
    qlog.record_ask("How can residents report potholes?", "answered", intent="answer", route="answer",
                    answer="Ghent's app sends each report to the team that fixes it [1].")
    qlog.record_ask("report potholes and broken streetlights app", "need_more_detail", intent="answer",
                    route="answer", answer="Could you say a little more? For example: reporting apps in Ghent.")
    qlog.record_ask("What is the weather tomorrow?", "cannot_answer", reason="outside_scope", intent="answer",
                    route="answer", answer="That is outside what the UserCentriCities network covers.")
    qlog.record_ask("What is the parking permit fee in Riga?", "cannot_answer", reason="no_content",
                    intent="answer", route="answer", answer="Nothing in the knowledge base answers this.")
    qlog.record_ask("How does Espoo compare with Tampere?", "error")
    rated = qlog.record_ask("Which cities score best on co-creation?", "answered", intent="ranking",
                            route="ranking", answer="Highest overall scores: 1. Espoo 83%, 2. Ghent 75%.")
    qlog.record_feedback(rated, "down", comment="Missing Rotterdam")


@pytest.fixture(scope="module")
def page(server):
    """One signed-in page; console messages that report a CSP violation or a script error are kept."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            pg = browser.new_page(viewport=DESKTOP)
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


def test_the_questions_view_shows_answers_routes_rewrites_and_topics(page, server):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/console/questions")
    recent = page.locator("#recent-table")
    rows = recent.locator("tbody tr")
    assert rows.count() == 14  # three asked through the API, eleven logged
    texts = rows.all_inner_texts()
    porto = next(t for t in texts if "what about Porto?" in t)
    assert "rewritten as: How does Porto score on the dashboard?" in porto  # the follow-up, as the assistant read it
    assert "dashboard scores" in porto and "Porto scores" in porto  # its route and the answer given
    arezzo = next(t for t in texts if "Arezzo" in t)
    assert "no published dashboard scores" in arezzo and "found nothing" not in arezzo
    outcomes = set(recent.locator("td.outcome").all_inner_texts())
    assert {"answered", "asked for more detail", "could not answer: outside the network's scope",
            "could not answer: nothing in the knowledge base", "failed: an error on our side"} <= outcomes
    assert "outside_scope" not in page.content() and "no_content" not in page.content()

    gaps = page.locator("#gaps-table tbody tr").all_inner_texts()
    assert any("parking permit fee in Riga" in t for t in gaps) and any("weather" in t for t in gaps)
    assert not any("Arezzo" in t or "Espoo compare" in t for t in gaps)  # failed routes are not content gaps
    failed = page.locator("#failed-table tbody tr").all_inner_texts()
    assert not any("Arezzo" in t for t in failed) and any("Espoo compare" in t for t in failed)

    topics = page.locator("#topics-table tbody tr.topic")
    first = topics.first.inner_text()
    assert "participatory budgeting" in first and "\t5\t" in first  # a group of five asks, most asked first
    assert "vote on how to spend part of the budget" in first  # by meaning: no shared word needed
    assert topics.first.locator(".examples li").count() == 2  # the other wordings of the same topic
    assert "grouped by meaning" in page.locator("#topics-method").inner_text()
    assert "Missing Rotterdam" in page.locator("#down-rated-table").inner_text()
    shot(page, "questions-1100")
    page.screenshot(path=str(SHOTS / "console-questions-top.png"))
    if os.environ.get("UCC_DOCS_SCREENSHOTS"):  # the README's picture: the top of the questions view
        page.set_viewport_size({"width": 1000, "height": 860})
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS_SHOT))
        page.set_viewport_size(DESKTOP)
    assert page.problems == []


CONSOLE_PAGES = {
    "examples": "/console",
    "examples-results": "/console?topic=proactive+services",
    "cities": "/console/cities",
    "city": "/console/cities/ghent",
    "city-without-scores": "/console/cities/arezzo",
    "ranking": "/console/ranking",
    "questions": "/console/questions",
    "not-found": "/console/cities/atlantis",
}


def _visit(page, url: str) -> None:
    page.goto(url)
    if url.endswith("/atlantis"):  # the 404 page: its own status is the one expected load error
        page.problems[:] = [m for m in page.problems if "status of 404" not in m]


def test_no_console_page_overflows_a_phone(page, server):
    page.set_viewport_size(PHONE)
    try:
        for name, path in CONSOLE_PAGES.items():
            _visit(page, f"{server}{path}")
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], f"{path} is {width[0]} px wide on a {width[1]} px screen"
            boxes = page.locator(".table-scroll")
            for i in range(boxes.count()):  # wide tables scroll inside their box
                box = boxes.nth(i).bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (path, box)
            if name in ("city", "questions", "cities"):
                shot(page, f"{name}-360")
            if name == "questions":
                page.locator("#recent-heading").scroll_into_view_if_needed()
                page.evaluate("() => window.scrollBy(0, document.querySelector('#recent-heading')"
                              ".getBoundingClientRect().top - 8)")
                shot(page, "questions-360-recent", full_page=False)
        page.goto(f"{server}/console/cities/ghent")
        scroller = page.locator(".table-scroll:has(#dashboard-table)")
        widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] > widths[1]  # the dashboard table is wider than a phone: it scrolls, the page does not
        scroller.focus()  # the box takes keyboard focus, so it scrolls from the keyboard too
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('.table-scroll').scrollLeft > 0")
    finally:
        page.set_viewport_size(DESKTOP)
    assert page.problems == []


def test_axe_finds_no_violation_on_any_console_page(page, server):
    for name, path in CONSOLE_PAGES.items():
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            _visit(page, f"{server}{path}")
            found = axe_violations(page)
            assert found == [], f"{path} at {viewport['width']} px:\n{describe(found)}"
        if name in ("examples-results", "ranking", "city"):
            page.set_viewport_size(DESKTOP)
            shot(page, name + "-1100")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/console/ranking")
    page.locator("#ranking-table").get_by_role("button", name="Member").click()  # the sorted state too
    assert axe_violations(page) == []
    assert page.problems == []


def test_axe_finds_no_violation_on_the_sign_in_page(page, server):
    context = page.context.browser.new_context(viewport=DESKTOP)  # signed out: a fresh cookie jar
    try:
        pg = context.new_page()
        pg.goto(f"{server}/console/questions")
        assert "/console/sign-in" in pg.url
        found = axe_violations(pg)
        assert found == [], describe(found)
        pg.get_by_label("Admin token").fill("not the token")
        pg.get_by_role("button", name="Sign in").click()
        assert "not the console's admin token" in pg.locator("main").inner_text()
        found = axe_violations(pg)
        assert found == [], describe(found)
        shot(pg, "sign-in-error")
    finally:
        context.close()


def test_the_scan_reports_a_violation_when_there_is_one(page, server):
    """The scan is live: an image without a text alternative on a console page is reported."""
    page.goto(f"{server}/console/cities")
    page.evaluate("() => document.querySelector('main').append(Object.assign(document.createElement('img'), "
                  "{src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=', width: 10, height: 10}))")
    found = axe_violations(page)
    assert [v["id"] for v in found] == ["image-alt"], describe(found)
