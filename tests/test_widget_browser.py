"""The chat widget in a real headless Chromium against the real app.

Debian's ``chromium`` driven by Playwright's Python package (``executable_path``; Playwright's own
browser download is not used). The app is ``create_app`` with the real Assistant over the repo's
knowledge base, served by werkzeug on 127.0.0.1 in a thread. Without chromium these tests skip
with a reason, except in CI (the ``CI`` environment variable is set), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import REPO, write

pytestmark = pytest.mark.model  # the real embedding model answers the questions

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu", "--no-first-run"]
QUESTION = "How did Helsinki offer pre-primary places without an application?"
FOLLOW_UP = "how did they measure it?"
SCREENSHOT = Path("/tmp/ucc-widget-answer.png")  # for a person to look at; not part of the repo
ANSWER_TIMEOUT_MS = 60_000


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the widget's browser tests may not skip (.ci/setup installs chromium)")
    pytest.skip(f"{reason}: the widget's browser tests need Debian's chromium and Playwright's Python package")


def _chromium_path() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    found = shutil.which("chromium")
    if found is None:
        _missing(f"chromium is not installed ({CHROMIUM} is missing and no chromium on PATH)")
    return found


@pytest.fixture(scope="module")
def browser():
    executable = _chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="widget-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def _app(data_dir: Path, searcher, catalog):
    from app.assistant import Assistant
    from app.web import create_app
    from indexer.settings import load_settings

    settings = load_settings({}, UCC_DATA_DIR=str(data_dir), UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"))
    return create_app(settings, assistant=Assistant(settings, searcher=searcher, catalog=catalog))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, knowledge_searcher, catalog):
    app = _app(tmp_path_factory.mktemp("widget-app"), knowledge_searcher, catalog)
    if not any(rule.rule == "/api/v1/ask" for rule in app.url_map.iter_rules()):
        pytest.fail("the app has no POST /api/v1/ask (app/web/api.py): the widget has nothing to talk to")
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def plain_url(tmp_path_factory):
    """The app with an assistant that is never asked (these tests answer /api/v1/ask themselves)."""
    from app.web import create_app
    from indexer.settings import load_settings

    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path_factory.mktemp("widget-plain")))
    with serve(create_app(settings)) as url:
        yield url


class Session:
    """A browser context and page on the demo page that records what the page does."""

    def __init__(self, browser, base_url: str, **context_options):
        self.base = base_url
        self.context = browser.new_context(**context_options)
        self.requests: list[str] = []  # every URL the widget's page asked for
        self.asks: list[dict] = []  # bodies POSTed to /api/v1/ask
        self.feedback: list[dict] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []  # requests for other hosts, answered here, never sent
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), self._outside)
        self.page = self.context.new_page()
        self.page.on("request", self._request)
        self.page.on("dialog", self._dialog)
        self.page.set_default_timeout(15_000)

    def _request(self, request):
        self.requests.append(request.url)
        if request.method == "POST" and request.url.endswith("/api/v1/ask"):
            self.asks.append(json.loads(request.post_data or "{}"))
        if request.method == "POST" and request.url.endswith("/api/v1/feedback"):
            self.feedback.append(json.loads(request.post_data or "{}"))

    def _outside(self, route):
        self.outside.append(route.request.url)
        if route.request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>cited page</title>")
        else:
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open_demo(self):
        self.page.goto(self.base + "/widget/demo")
        self.page.locator("ucc-assistant-widget .launcher").wait_for()
        return self.page

    def shadow(self, expression: str):
        """Evaluate ``expression`` with ``root`` bound to the widget's shadow root."""
        return self.page.evaluate(f"() => {{ const root = document.querySelector('ucc-assistant-widget').shadowRoot; "
                                  f"return {expression}; }}")

    def focused(self) -> str:
        return self.shadow("root.activeElement ? root.activeElement.className || root.activeElement.tagName : ''")

    def answers(self):
        return self.page.locator("ucc-assistant-widget .log .msg.bot:not(.intro)")

    def ask(self, question: str, *, count: int):
        """Type a question into the focused field, send it with Enter, wait for answer number ``count``."""
        with self.page.expect_response(lambda r: r.url.endswith("/api/v1/ask"), timeout=ANSWER_TIMEOUT_MS) as info:
            self.page.keyboard.type(question)
            self.page.keyboard.press("Enter")
        self.answers().nth(count - 1).wait_for(timeout=ANSWER_TIMEOUT_MS)
        return info.value.json()

    def close(self):
        self.context.close()


@pytest.fixture
def session(browser, base_url):
    s = Session(browser, base_url, viewport={"width": 1024, "height": 768})
    yield s
    s.close()


def test_keyboard_ask_cite_rate_follow_up_and_close(session):
    page = session.open_demo()
    sheets_before = page.evaluate("document.styleSheets.length")

    # Tab reaches the launcher (after the page's own link); Enter opens the panel with focus in the field.
    for _ in range(10):
        page.keyboard.press("Tab")
        if session.focused() == "launcher":
            break
    assert session.focused() == "launcher"
    launcher = page.locator("ucc-assistant-widget .launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert session.shadow("getComputedStyle(root.activeElement).outlineStyle") == "solid"  # visible focus
    page.keyboard.press("Enter")
    panel = page.locator("ucc-assistant-widget [role=dialog]")
    assert panel.is_visible() and panel.get_attribute("aria-label")
    assert launcher.get_attribute("aria-expanded") == "true"
    assert launcher.get_attribute("aria-controls") == panel.get_attribute("id")
    assert session.focused() == "TEXTAREA"
    page.keyboard.press("Tab")  # not trapped: Tab moves on through the panel as usual
    assert session.focused() == "send"
    page.keyboard.press("Shift+Tab")
    assert session.focused() == "TEXTAREA"
    assert page.locator("ucc-assistant-widget [role=log]").get_attribute("aria-live") == "polite"

    # The host page's hostile CSS (30px Comic Sans, dark red, buttons and dialogs hidden) stays outside.
    style = session.shadow("(() => { const s = getComputedStyle(root.querySelector('.send')); "
                           "return {display: s.display, size: s.fontSize, family: s.fontFamily, color: s.color}; })()")
    assert style["display"] != "none" and style["size"] == "15px"
    assert "comic" not in style["family"].lower() and style["color"] != "rgb(160, 0, 0)"

    # Ask with Enter: a cited answer whose [n] markers link to the citations' URLs.
    first = session.ask(QUESTION, count=1)
    assert first["status"] == "answered" and first["citations"], first
    assert session.asks[0]["question"] == QUESTION and session.asks[0]["channel"] == "widget"
    assert "conversation_id" not in session.asks[0]
    answer = session.answers().nth(0)
    cite = answer.locator("a.cite").first
    cite.wait_for()
    n = int(cite.inner_text().strip("[]"))
    cited = next(c for c in first["citations"] if c["n"] == n)
    assert cite.get_attribute("href") == cited["url"] and cited["url"].startswith("https://")
    assert cite.get_attribute("target") == "_blank"
    assert set(cite.get_attribute("rel").split()) >= {"noopener", "noreferrer"}
    sources = answer.locator(".sources li")
    assert sources.count() == len(first["citations"])
    assert cited["title"] in answer.inner_text()
    page.screenshot(path=str(SCREENSHOT))

    # Following the citation opens the cited page in a new tab (answered by the test, not the network).
    with session.context.expect_page() as opened:
        cite.click()
    cited_page = opened.value
    cited_page.wait_for_load_state()
    assert cited_page.url == cited["url"]
    cited_page.close()
    assert session.outside[0] == cited["url"]

    # Was this helpful? -> Yes: the feedback is posted with the answer's id and thanked (live region).
    yes = answer.locator(".feedback button", has_text="Yes")
    yes.click()
    thanks = answer.locator(".feedback [role=status]")
    thanks.filter(has_text="Thank you").wait_for()
    assert yes.get_attribute("aria-pressed") == "true"
    assert session.feedback == [{"answer_id": first["answer_id"], "rating": "up"}]

    # A follow-up keeps the conversation: the second request carries the first answer's conversation_id.
    page.locator("ucc-assistant-widget textarea").focus()
    second = session.ask(FOLLOW_UP, count=2)
    assert session.asks[1]["conversation_id"] == first["conversation_id"]
    assert second.get("conversation_id") == first["conversation_id"]
    assert second["status"] == "answered"
    assert session.answers().nth(1).locator(".answer").inner_text().strip()

    # Esc closes the panel and gives focus back to the launcher.
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert session.focused() == "launcher"

    # The widget made no request but to the app, touched no page styles and raised no dialog.
    assert all(url.startswith(session.base + "/") for url in session.requests), session.requests
    assert any(url.endswith("/api/v1/feedback") for url in session.requests)
    assert page.evaluate("document.styleSheets.length") == sheets_before
    assert page.evaluate("document.cookie") == "" and page.evaluate("localStorage.length") == 0
    assert session.dialogs == []


def test_fits_a_320px_wide_screen(browser, base_url):
    s = Session(browser, base_url, viewport={"width": 320, "height": 568})
    try:
        page = s.open_demo()
        page.locator("ucc-assistant-widget .launcher").click()
        page.locator("ucc-assistant-widget textarea").focus()
        s.ask(QUESTION, count=1)
        for selector in ("[role=dialog]", "textarea", ".send", ".close", ".log"):
            box = page.locator(f"ucc-assistant-widget {selector}").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, (selector, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 568, (selector, box)
        # Nothing in the conversation scrolls sideways, long source titles and URLs included.
        assert s.shadow("root.querySelector('.log').scrollWidth <= root.querySelector('.log').clientWidth")
    finally:
        s.close()


@pytest.fixture
def plain_session(browser, plain_url):
    s = Session(browser, plain_url, viewport={"width": 1024, "height": 768})
    yield s
    s.close()


def test_errors_are_polite_messages_in_the_panel(plain_session):
    session = plain_session
    page = session.open_demo()
    page.locator("ucc-assistant-widget .launcher").click()
    field = page.locator("ucc-assistant-widget textarea")
    replies = [
        lambda route: route.fulfill(status=500, json={"error": {"code": "internal_error", "message": "x"}}),
        lambda route: route.fulfill(status=400, json={"error": {"code": "InvalidRequest",
                                                                "message": "<b>The question is too long.</b>"}}),
        lambda route: route.abort("connectionrefused"),
    ]
    expected = ["something went wrong on our side", "<b>The question is too long.</b>", "could not be reached"]
    for i, (reply, text) in enumerate(zip(replies, expected), start=1):
        page.route("**/api/v1/ask", reply)
        field.fill(f"question {i}")
        field.press("Enter")
        error = page.locator("ucc-assistant-widget .msg.error").nth(i - 1)
        error.wait_for()
        assert text in error.inner_text() and error.inner_text().startswith("Sorry")
        page.unroute("**/api/v1/ask")
    assert session.shadow("root.querySelectorAll('b').length") == 0
    assert session.dialogs == []


CANNED = {
    "status": "answered", "reason": None, "intent": "answer",
    "answer": "A sentence from a case. [1] A sentence from a page without a web address. [2]",
    "citations": [
        {"n": 1, "title": "A case", "source": "cases/a.md", "url": "https://cases.example/a", "city": "helsinki",
         "city_name": "Helsinki", "kind": "case", "snippet": "", "page": None},
        {"n": 2, "title": "A report", "source": "reports/b.pdf", "url": None, "city": None, "city_name": None,
         "kind": "report", "snippet": "", "page": 4},
    ],
    "related": [{"title": "A related service", "city_name": "Ghent", "url": "https://cases.example/r"}],
    "follow_ups": ["Who else does this?"], "notes": ["A note under the answer."],
    "clarifying_options": [], "nearest": [], "conversation_id": "conversation-1", "answer_id": "answer-1",
}
CONTRAST_JS = """root => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                     return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];  // the panel's own white
  };
  const out = {};
  for (const sel of SELECTORS) root.querySelectorAll(sel).forEach((el, i) => {
    out[sel + " " + i] = Math.round(ratio(rgb(getComputedStyle(el).color), background(el)) * 100) / 100;
  });
  const field = root.querySelector("textarea");
  out["focus outline"] = Math.round(ratio(rgb(getComputedStyle(field).outlineColor), [255, 255, 255]) * 100) / 100;
  out["launcher background"] = getComputedStyle(root.querySelector(".launcher")).backgroundColor;
  return out;
}"""
CONTRAST_SELECTORS = [".launcher", ".header h2", ".close", ".send", ".form label", "textarea", ".intro p", ".user",
                      ".answer", ".cite", ".bot a", ".bot h3", ".notes", ".meta", ".chip", ".feedback .label",
                      ".thanks"]


def _html(body: str):
    def handler(route):
        route.fulfill(status=200, content_type="text/html", body=body)
    return handler


def test_text_keeps_aa_contrast_whatever_the_accent(plain_session):
    """WCAG 2.1 AA: 4.5:1 for all text, 3:1 for the focus outline, valid or invalid data-accent."""
    from html import escape

    s = plain_session
    s.context.route("**/api/v1/ask", lambda route: route.fulfill(status=200, json=CANNED))
    s.context.route("**/api/v1/feedback", lambda route: route.fulfill(status=201, json={"ok": True}))
    cases = {"#ffee00": None, "#0b5fa5": "rgb(11, 95, 165)", "#777": "rgb(119, 119, 119)", "#ff0000": None,
             "#fff": "rgb(255, 255, 255)", "#000000": "rgb(0, 0, 0)",
             'red;}*{display:none}': "rgb(11, 95, 165)", "": "rgb(11, 95, 165)"}
    for i, (accent, expected_background) in enumerate(cases.items()):
        host = f"{s.base}/contrast-host-{i}.html"
        page_html = (f'<!doctype html><html lang="en"><title>host</title><p>A host page.</p>'
                     f'<script src="{s.base}/widget.js" data-endpoint="{s.base}" data-lang="xx" '
                     f'data-accent="{escape(accent)}" async></script>')
        s.context.route(host, _html(page_html))
        page = s.context.new_page()
        page.goto(host)
        page.locator("ucc-assistant-widget .launcher").click()
        field = page.locator("ucc-assistant-widget textarea")
        field.fill("a question")
        field.press("Enter")
        page.locator("ucc-assistant-widget .msg.bot:not(.intro)").wait_for()
        page.locator("ucc-assistant-widget .feedback button", has_text="Yes").click()
        page.locator("ucc-assistant-widget .thanks", has_text="Thank you").wait_for()
        field.focus()
        shadow = page.evaluate_handle("document.querySelector('ucc-assistant-widget').shadowRoot")
        found = page.evaluate(CONTRAST_JS.replace("SELECTORS", json.dumps(CONTRAST_SELECTORS)), shadow)
        background = found.pop("launcher background")
        if expected_background:
            assert background == expected_background, (accent, background)
        assert found.pop("focus outline") >= 3, accent
        low = {k: v for k, v in found.items() if v < 4.5}
        assert not low, (accent, low)
        assert {k.rsplit(" ", 1)[0] for k in found} == set(CONTRAST_SELECTORS), accent
        page.close()
    assert s.dialogs == []


# --- retrieved text is text --------------------------------------------------------------------

EVIL_TXT = """Online parking permits for residents <img src=x onerror=alert(3)>

Residents apply for a parking permit online <img src=x onerror=alert(1)> and the city decides within one working day, so nobody has to visit the service desk.

The parking permit service was redesigned with residents. <script>alert(2)</script> Renewal is automatic for residents whose car and address have not changed.
"""
# The Markdown loader strips HTML tags from prose but keeps code spans as written; its URL is a trap.
EVIL_MD = """---
title: "Parking permits guide"
kind: guide
url: "javascript:alert(4)"
---

Residents renew a parking permit online with `<img src=x onerror=alert(5)>` in one step.
"""


@pytest.fixture(scope="module")
def evil_url(tmp_path_factory, real_embedder, catalog):
    from indexer.build import build_index
    from indexer.search import Searcher
    from indexer.settings import load_settings

    root = tmp_path_factory.mktemp("widget-xss")
    kb = root / "kb"
    write(kb / "parking-permits.txt", EVIL_TXT)
    write(kb / "parking-guide.md", EVIL_MD)
    settings = load_settings({}, UCC_DATA_DIR=str(root / "var"), UCC_KNOWLEDGE_DIR=str(kb))
    build_index([kb], settings, embedder=real_embedder)
    app = _app(root / "app", Searcher(settings, embedder=real_embedder), catalog)
    with serve(app) as url:
        yield url


def test_retrieved_markup_is_shown_as_text_and_runs_nothing(browser, evil_url):
    s = Session(browser, evil_url, viewport={"width": 1024, "height": 768})
    try:
        page = s.open_demo()
        page.locator("ucc-assistant-widget .launcher").click()
        page.locator("ucc-assistant-widget textarea").focus()
        first = s.ask("How do residents apply for a parking permit online?", count=1)
        assert first["status"] == "answered" and "<img src=x onerror=alert(1)>" in first["answer"], first
        shown = s.answers().nth(0).inner_text()
        assert "<img src=x onerror=alert(1)>" in shown
        assert "Online parking permits for residents <img src=x onerror=alert(3)>" in shown  # the source's title

        page.locator("ucc-assistant-widget textarea").focus()
        second = s.ask("How do residents renew a parking permit?", count=2)
        assert any(c["url"] == "javascript:alert(4)" for c in second["citations"]), second
        shown = s.answers().nth(1).inner_text()
        assert "<img src=x onerror=alert(5)>" in shown
        page.wait_for_timeout(300)  # an onerror would have fired by now

        assert s.dialogs == []
        assert s.shadow("root.querySelectorAll('img, script, iframe, object, svg').length") == 0
        # No link but http(s): the marker citing the javascript: URL is plain [n] text.
        hrefs = s.shadow("Array.from(root.querySelectorAll('a')).map(a => a.getAttribute('href'))")
        assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
        assert s.answers().nth(1).locator("span.cite").count() >= 1
        assert all(url.startswith(s.base + "/") for url in s.requests), s.requests
    finally:
        s.close()
