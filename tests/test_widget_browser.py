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
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from .accessibility import axe_violations, describe
from .conftest import REPO, write
from .ports import free_port

pytestmark = pytest.mark.model  # the real embedding model answers the questions

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu", "--no-first-run"]
QUESTION = "How did Helsinki offer pre-primary places without an application?"
FOLLOW_UP = "how did they measure it?"
# Screenshots of the main states, for a person to look at; written by every run, never committed.
SHOTS = Path(os.environ.get("UCC_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "ucc-widget-screens")
SCREENSHOT = SHOTS / "answer-1024.png"
DOCS_SHOT = REPO / "docs" / "widget.png"  # the README's picture, refreshed with UCC_DOCS_SCREENSHOTS=1
ROUTED = "How does Ghent score on the dashboard?"
ANSWER_TIMEOUT_MS = 60_000
FIELD = "ucc-assistant-widget #ucc-question"  # the question field (a 👎 comment is a textarea too)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


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


def _app(data_dir: Path, searcher, catalog, **overrides):
    from app.assistant import Assistant
    from app.web import create_app
    from indexer.settings import load_settings

    settings = load_settings({}, UCC_DATA_DIR=str(data_dir), UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"), **overrides)
    return create_app(settings, assistant=Assistant(settings, searcher=searcher, catalog=catalog))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, knowledge_searcher, catalog):
    app = _app(tmp_path_factory.mktemp("widget-app"), knowledge_searcher, catalog)
    if not any(rule.rule == "/api/v1/ask" for rule in app.url_map.iter_rules()):
        pytest.fail("the app has no POST /api/v1/ask (app/web/api/): the widget has nothing to talk to")
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
        self.heads: list[str] = []  # HEAD requests (the widget's probe after a failure)
        self.dialogs: list[str] = []
        self.outside: list[str] = []  # requests for other hosts, answered here, never sent
        self.console: list[str] = []  # the page's console messages, "type: text"
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), self._outside)
        self.page = self.context.new_page()
        self.page.on("request", self._request)
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.set_default_timeout(15_000)

    def _request(self, request):
        self.requests.append(request.url)
        if request.method == "POST" and request.url.endswith("/api/v1/ask"):
            self.asks.append(json.loads(request.post_data or "{}"))
        if request.method == "POST" and request.url.endswith("/api/v1/feedback"):
            self.feedback.append(json.loads(request.post_data or "{}"))
        if request.method == "HEAD":
            self.heads.append(request.url)

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

    def field(self):
        return self.page.locator(FIELD)

    def stored(self):
        """What the widget keeps in the tab's sessionStorage (None: nothing)."""
        return self.page.evaluate("(() => { const keys = Object.keys(sessionStorage); "
                                  "return keys.length ? {keys, value: JSON.parse(sessionStorage.getItem(keys[0]))} "
                                  ": null; })()")

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
    assert launcher.inner_text().strip() == "Close chat"  # the launcher is now the close control
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
    session.field().focus()
    second = session.ask(FOLLOW_UP, count=2)
    assert session.asks[1]["conversation_id"] == first["conversation_id"]
    assert second.get("conversation_id") == first["conversation_id"]
    assert second["status"] == "answered"
    assert session.answers().nth(1).locator(".answer").inner_text().strip()

    # Esc closes the panel and gives focus back to the launcher.
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert launcher.inner_text().strip() == "Ask UserCentriCities"
    assert session.focused() == "launcher"

    # The widget made no request but to the app, touched no page styles and raised no dialog; it
    # keeps the conversation in this tab's sessionStorage under one key, and nothing else.
    assert all(url.startswith(session.base + "/") for url in session.requests), session.requests
    assert any(url.endswith("/api/v1/feedback") for url in session.requests)
    assert page.evaluate("document.styleSheets.length") == sheets_before
    assert page.evaluate("document.cookie") == "" and page.evaluate("localStorage.length") == 0
    stored = session.stored()
    assert stored["keys"] == [f"ucc-assistant:{session.base}"]
    assert stored["value"]["conversationId"] == first["conversation_id"] and stored["value"]["open"] is False
    assert [m["t"] for m in stored["value"]["messages"]] == ["q", "a", "q", "a"]
    assert stored["value"]["messages"][1]["fb"] == "up"
    assert session.dialogs == []


def test_fits_a_320px_wide_screen(browser, base_url):
    s = Session(browser, base_url, viewport={"width": 320, "height": 568})
    try:
        page = s.open_demo()
        page.locator("ucc-assistant-widget .launcher").click()
        page.locator(FIELD).focus()
        s.ask(QUESTION, count=1)
        for selector in ("[role=dialog]", FIELD.split()[-1], ".send", ".close", ".newchat", ".log"):
            box = page.locator(f"ucc-assistant-widget {selector}").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, (selector, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 568, (selector, box)
        # Full screen: the panel is the whole window, and the launcher is not left under it.
        assert page.locator("ucc-assistant-widget [role=dialog]").bounding_box() == \
            {"x": 0, "y": 0, "width": 320, "height": 568}
        assert page.locator("ucc-assistant-widget .launcher").is_hidden()
        # Nothing in the conversation scrolls sideways, long source titles and URLs included.
        assert s.shadow("root.querySelector('.log').scrollWidth <= root.querySelector('.log').clientWidth")
        # The header's "New chat" keeps its name for screen readers when its word is hidden.
        assert page.locator("ucc-assistant-widget .newchat").get_attribute("title") == "New chat"
        assert page.get_by_role("button", name="New chat").count() == 1
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
    field = page.locator(FIELD)
    replies = [
        lambda route: route.fulfill(status=500, json={"error": {"code": "internal_error", "message": "x"}}),
        lambda route: route.fulfill(status=400, json={"error": {"code": "invalid_request",
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
CITIES = [{"slug": f"city-{i}", "name": f"City {i}", "why": f"reason {i}", "url": f"/api/v1/cities/city-{i}"}
          for i in range(8)]
CANNED_PARTS = {
    **CANNED, "intent": "compare", "citations": [], "follow_ups": [], "notes": [], "related": [],
    "answer": "On the dashboard: A 60%, B 40%. Source: https://dashboard.example/scores.",
    "parts": [
        {"type": "score_table", "title": "Dashboard, revision 2023 (self-assessment)",
         "columns": ["Sub-indicator", "A", "B"],
         "rows": [["1.1 Skills", "4/4", "1/4"], ["1.2 Strategies", "3/6", "0/6"]],
         "colours": [["green", "red"], ["orange", "red"]], "totals": [60, 40], "note": "Not audited."},
        {"type": "cities", "title": "Members most like A", "items": CITIES},
        {"type": "examples", "title": "Examples: apps", "items": [
            {"title": "An app", "city_name": "Ghent", "year": 2020, "summary": "What it does.",
             "url": "https://apps.example/one"}]},
    ],
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
                      ".thanks", ".newchat", ".card h3", "thead th", "tbody th", "tfoot th", "tfoot td", ".band",
                      ".legend", ".items .name", ".items .why", ".items .summary", ".more", ".comment label",
                      ".comment button"]
STARTER_SELECTORS = [".starters h3", ".starters .chip"]


def _html(body: str):
    def handler(route):
        route.fulfill(status=200, content_type="text/html", body=body)
    return handler


def test_text_keeps_aa_contrast_whatever_the_accent(plain_session):
    """WCAG 2.1 AA: 4.5:1 for all text, 3:1 for the focus outline, valid or invalid data-accent."""
    from html import escape

    s = plain_session
    answers = iter([CANNED, CANNED_PARTS] * len(CONTRAST_SELECTORS))
    s.context.route("**/api/v1/ask", lambda route: route.fulfill(status=200, json=next(answers)))
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
        shadow = page.evaluate_handle("document.querySelector('ucc-assistant-widget').shadowRoot")
        starters = page.evaluate(CONTRAST_JS.replace("SELECTORS", json.dumps(STARTER_SELECTORS)), shadow)
        field = page.locator(FIELD)
        for n in (1, 2):  # a cited answer, then one with a score table and lists
            field.fill("a question")
            field.press("Enter")
            page.locator("ucc-assistant-widget .msg.bot:not(.intro)").nth(n - 1).wait_for()
        page.locator("ucc-assistant-widget .feedback button", has_text="Yes").first.click()
        page.locator("ucc-assistant-widget .thanks", has_text="Thank you").wait_for()
        page.locator("ucc-assistant-widget .feedback button", has_text="No").last.click()
        page.locator("ucc-assistant-widget .comment:not([hidden]) label").wait_for()
        field.focus()
        found = page.evaluate(CONTRAST_JS.replace("SELECTORS", json.dumps(CONTRAST_SELECTORS)), shadow)
        found.update({k: v for k, v in starters.items() if k not in ("focus outline", "launcher background")})
        background = found.pop("launcher background")
        if expected_background:
            assert background == expected_background, (accent, background)
        assert found.pop("focus outline") >= 3, accent
        low = {k: v for k, v in found.items() if v < 4.5}
        assert not low, (accent, low)
        assert {k.rsplit(" ", 1)[0] for k in found} == set(CONTRAST_SELECTORS + STARTER_SELECTORS), accent
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
        page.locator(FIELD).focus()
        first = s.ask("How do residents apply for a parking permit online?", count=1)
        assert first["status"] == "answered" and "<img src=x onerror=alert(1)>" in first["answer"], first
        shown = s.answers().nth(0).inner_text()
        assert "<img src=x onerror=alert(1)>" in shown
        assert "Online parking permits for residents <img src=x onerror=alert(3)>" in shown  # the source's title

        page.locator(FIELD).focus()
        second = s.ask("How do residents renew a parking permit?", count=2)
        assert any(c["url"] == "javascript:alert(4)" for c in second["citations"]), second
        shown = s.answers().nth(1).inner_text()
        assert "<img src=x onerror=alert(5)>" in shown
        page.wait_for_timeout(300)  # an onerror would have fired by now

        assert s.dialogs == []
        assert s.shadow("root.querySelectorAll('img, script, iframe, object, style, link').length") == 0
        # The only SVG is the widget's own icons: one path each, hidden from assistive technology.
        assert s.shadow("Array.from(root.querySelectorAll('svg')).every(svg => svg.classList.contains('icon') && "
                        "svg.getAttribute('aria-hidden') === 'true' && svg.children.length === 1 && "
                        "svg.firstElementChild.tagName === 'path')")
        assert s.shadow("root.querySelectorAll('svg *').length") == s.shadow("root.querySelectorAll('svg').length")
        # No link but http(s): the marker citing the javascript: URL is plain [n] text.
        hrefs = s.shadow("Array.from(root.querySelectorAll('a')).map(a => a.getAttribute('href'))")
        assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
        assert s.answers().nth(1).locator("span.cite").count() >= 1
        assert all(url.startswith(s.base + "/") for url in s.requests), s.requests
    finally:
        s.close()


# --- structured answers as cards, starters, a conversation that survives reloads -----------------

BANDS = {"green": "high", "orange": "medium", "red": "low"}


def _log_text(s: Session) -> str:
    return s.shadow("root.querySelector('.log').innerText")


def test_routed_answers_are_cards_and_the_conversation_survives_reloads(session):
    from app.web.widget import starters
    from indexer.settings import load_settings

    s = session
    page = s.open_demo()
    page.locator("ucc-assistant-widget .launcher").click()

    # An empty panel offers the starter questions of the settings; one click asks one.
    chips = page.locator("ucc-assistant-widget .starters .chip")
    expected = starters(load_settings({}).widget_starters)
    assert [chips.nth(i).inner_text() for i in range(chips.count())] == expected
    assert page.locator("ucc-assistant-widget .newchat").is_hidden()  # nothing to start over from yet
    shot(page, "empty-1024")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/ask"), timeout=ANSWER_TIMEOUT_MS) as info:
        chips.first.click()
    s.answers().nth(0).wait_for(timeout=ANSWER_TIMEOUT_MS)
    cited = info.value.json()
    assert s.asks[0]["question"] == expected[0] and cited["intent"] == "answer" and cited["citations"], cited
    assert page.locator("ucc-assistant-widget .starters").count() == 0

    # Citations: a numbered list of links, numbered as the answer's markers.
    items = s.answers().nth(0).locator(".sources ol li")
    assert items.count() == len(cited["citations"])
    for i, c in enumerate(cited["citations"]):
        assert items.nth(i).get_attribute("value") == str(c["n"])
        if c["url"] and c["url"].startswith("http"):
            assert items.nth(i).locator("a").get_attribute("href") == c["url"]

    # A comparison: one score table, each cell with its colour AND its band in words.
    s.field().focus()
    compare = s.ask("Compare Helsinki and Espoo on the dashboard", count=2)
    table_part = next(p for p in compare["parts"] if p["type"] == "score_table")
    card = s.answers().nth(1).locator(".card", has=page.locator("table"))
    assert card.locator("h3").inner_text() == table_part["title"]
    assert card.locator("thead th").all_inner_texts() == table_part["columns"]
    rows = card.locator("tbody tr")
    assert rows.count() == len(table_part["rows"])
    for i, (row, colours) in enumerate(zip(table_part["rows"], table_part["colours"])):
        cells = rows.nth(i).locator("td .band")
        assert rows.nth(i).locator("th").inner_text() == row[0]
        for j, colour in enumerate(colours):
            band = cells.nth(j)
            assert band.inner_text() == f"{row[j + 1]} {BANDS[colour]}"  # never colour alone
            assert f"b-{colour}" in band.get_attribute("class")
    assert card.locator("tfoot td").all_inner_texts() == [f"{t}%" for t in table_part["totals"]]
    backgrounds = set(s.shadow("Array.from(root.querySelectorAll('.band')).map(b => getComputedStyle(b)"
                               ".backgroundColor)"))
    assert len(backgrounds) == len({c for row in table_part["colours"] for c in row})  # one colour per band
    assert "high" in card.locator(".legend").inner_text()
    # The sentence's bare source URL is a link too.
    assert s.answers().nth(1).locator(".answer a[href^='https://']").count() >= 1
    shot(page, "scores-1024")

    # Similar cities: a list of cities with their reasons; relative URLs are not links.
    s.field().focus()
    similar = s.ask("Which cities are similar to Espoo?", count=3)
    cities = next(p for p in similar["parts"] if p["type"] == "cities")["items"]
    lis = s.answers().nth(2).locator(".card .items li")
    assert lis.count() == len(cities)
    for i, city in enumerate(cities[:6]):
        assert lis.nth(i).locator(".name").inner_text() == city["name"]
        assert lis.nth(i).locator(".why").inner_text() == city["why"]
    # The text keeps its lead-in; the list is in the card, not said twice.
    lead = s.answers().nth(2).locator(".answer").inner_text()
    assert similar["answer"].startswith(lead.rstrip(":")) and len(lead) < len(similar["answer"]) / 2

    # Examples: each with its link.
    s.field().focus()
    examples = s.ask("Examples of apps for reporting problems in public space", count=4)
    found = next(p for p in examples["parts"] if p["type"] == "examples")["items"]
    links = s.answers().nth(3).locator(".card .items li a.name")
    assert links.count() == sum(1 for e in found if (e.get("url") or "").startswith("http"))
    assert links.first.get_attribute("href") == found[0]["url"]
    hrefs = s.shadow("Array.from(root.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), hrefs

    # A reload keeps the conversation (open, every message) without asking again; the next
    # question continues it.
    before = _log_text(s)
    asked = len(s.asks)
    page.reload()
    page.locator("ucc-assistant-widget .launcher").wait_for()
    assert page.locator("ucc-assistant-widget [role=dialog]").is_visible()
    assert _log_text(s) == before and len(s.asks) == asked
    assert s.stored()["value"]["conversationId"] == examples["conversation_id"]
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_timeout(100)
    shot(page, "restored-360")
    s.field().focus()
    s.ask("Which members are in Finland?", count=5)
    assert s.asks[-1]["conversation_id"] == examples["conversation_id"]
    shot(page, "members-360")

    # Another page of the same site, in the same tab: the same conversation.
    page.goto(s.base + "/widget/demo?page=2")
    page.locator("ucc-assistant-widget .launcher").wait_for(state="attached")  # under the full-screen panel
    assert s.answers().count() == 5

    # New chat: an empty panel with the starters again, and a new conversation.
    page.get_by_role("button", name="New chat").click()
    assert s.answers().count() == 0 and page.locator("ucc-assistant-widget .starters .chip").count() == len(expected)
    assert s.focused() == "TEXTAREA"
    assert s.stored() is None or not s.stored()["value"]["messages"]
    s.ask("Which members are in Finland?", count=1)
    assert "conversation_id" not in s.asks[-1]
    assert s.requests and all(url.startswith(s.base + "/") for url in s.requests)
    assert s.dialogs == []


def test_launcher_closes_and_the_panel_fits_desktop_phone_and_200_percent_zoom(browser, plain_url):
    for name, options in {
        "desktop-1280": {"viewport": {"width": 1280, "height": 720}},
        "phone-360": {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True,
                      "has_touch": True},
        # 200% zoom of a 1280 x 720 window: 640 x 360 CSS pixels at two device pixels each.
        "zoom-200": {"viewport": {"width": 640, "height": 360}, "device_scale_factor": 2},
    }.items():
        s = Session(browser, plain_url, **options)
        try:
            s.context.route("**/api/v1/ask", lambda route: route.fulfill(status=200, json=CANNED_PARTS))
            page = s.open_demo()
            launcher = page.locator("ucc-assistant-widget .launcher")
            launcher.click()
            s.field().fill("a question")
            s.field().press("Enter")
            s.answers().nth(0).wait_for()
            width, height = options["viewport"]["width"], options["viewport"]["height"]
            panel = page.locator("ucc-assistant-widget [role=dialog]").bounding_box()
            shot(page, f"layout-{name}")
            if name == "desktop-1280":
                # A floating panel above the launcher, which now reads "Close chat" and closes it.
                assert panel["width"] == 400 and panel["y"] > 0
                box = launcher.bounding_box()
                assert panel["y"] + panel["height"] <= box["y"], (panel, box)
                assert launcher.inner_text().strip() == "Close chat"
                assert launcher.locator("svg.icon").count() == 1
                # A long list shows its first six, the rest behind "Show all 8".
                items = page.locator("ucc-assistant-widget .card:has(.more) .items li")
                assert [items.nth(i).is_visible() for i in range(8)] == [True] * 6 + [False] * 2
                more = page.locator("ucc-assistant-widget .more")
                assert more.inner_text() == "Show all 8" and more.get_attribute("aria-expanded") == "false"
                more.click()
                assert all(items.nth(i).is_visible() for i in range(8))
                assert more.get_attribute("aria-expanded") == "true" and more.inner_text() == "Show fewer"
                assert items.locator("a").count() == 0  # /api/v1/cities/... is not a link for the public
                launcher.click()
                assert page.locator("ucc-assistant-widget [role=dialog]").is_hidden()
                assert launcher.inner_text().strip() == "Ask UserCentriCities"
                continue
            # Full screen, the launcher hidden under it; the header's close control closes.
            assert panel == {"x": 0, "y": 0, "width": width, "height": height}, (name, panel)
            assert launcher.is_hidden()
            log = page.locator("ucc-assistant-widget .log").bounding_box()
            assert log["height"] >= height * 0.45, (name, log)  # room for the conversation, not two lines
            for selector in (FIELD, "ucc-assistant-widget .send", "ucc-assistant-widget .close"):
                box = page.locator(selector).bounding_box()
                assert box["y"] >= 0 and box["y"] + box["height"] <= height and box["x"] + box["width"] <= width
            assert s.shadow("root.querySelector('.log').scrollWidth <= root.querySelector('.log').clientWidth")
            # The score table fits the narrow card or scrolls inside its own box, never the page.
            assert s.shadow("(() => { const w = root.querySelector('.tw'); "
                            "return w.getBoundingClientRect().right <= innerWidth; })()")
            page.locator("ucc-assistant-widget .close").click()
            assert launcher.is_visible() and s.focused() == "launcher"
        finally:
            s.close()


def test_thumbs_down_takes_an_optional_comment_and_icons_are_svg(plain_session):
    s = plain_session
    s.context.route("**/api/v1/ask", lambda route: route.fulfill(status=200, json=CANNED))
    s.context.route("**/api/v1/feedback", lambda route: route.fulfill(status=201, json={"ok": True}))
    page = s.open_demo()
    page.locator("ucc-assistant-widget .launcher").click()
    for n in (1, 2):
        s.field().focus()
        s.ask(f"question {n}", count=n)

    first = s.answers().nth(0)
    no = first.locator(".feedback button", has_text="No")
    yes = first.locator(".feedback button", has_text="Yes")
    assert yes.locator("svg.icon path").count() == 1 and no.locator("svg.icon path").count() == 1
    # By keyboard alone: Enter on No opens the comment with the focus in it; Tab, Enter sends.
    no.focus()
    page.keyboard.press("Enter")
    comment = first.get_by_label("What was wrong or missing? (optional)")
    assert comment.is_visible() and no.get_attribute("aria-expanded") == "true"
    assert s.focused() == "TEXTAREA"  # the comment field, so one can type at once
    assert s.feedback == []  # nothing sent until the reader sends (or skips) the comment
    page.keyboard.type("  It does not say   when the service started. ")
    shot(page, "comment-1024")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    first.locator(".thanks", has_text="Thank you").wait_for()
    assert s.feedback == [{"answer_id": "answer-1", "rating": "down", "comment": "It does not say when the service started."}]
    assert comment.is_hidden()
    assert no.get_attribute("aria-pressed") == "true" and no.get_attribute("aria-disabled") == "true"
    assert yes.get_attribute("aria-disabled") == "true"

    # The comment is optional: sending an empty one sends the rating alone.
    second = s.answers().nth(1)
    second.locator(".feedback button", has_text="No").click()
    second.get_by_role("button", name="Send feedback").click()
    second.locator(".thanks", has_text="Thank you").wait_for()
    assert s.feedback[1] == {"answer_id": "answer-1", "rating": "down"}

    # No emoji anywhere (they render as empty boxes without an emoji font); ratings survive a reload.
    assert not s.shadow("/[\\u{1F300}-\\u{1FAFF}\\u2600-\\u27BF]/u.test(root.querySelector('.root').innerText)")
    page.reload()
    page.locator("ucc-assistant-widget .launcher").wait_for()
    again = s.answers().nth(0).locator(".feedback button", has_text="No")
    assert again.get_attribute("aria-pressed") == "true" and again.get_attribute("aria-disabled") == "true"
    assert len(s.feedback) == 2


def _community_site(environ, start_response):
    """The community website, on its own origin (another port): one page that embeds the widget of
    the service named by ?endpoint=. Both are on loopback, so Chromium's private-network rules
    leave the cross-origin requests to CORS alone."""
    from html import escape
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", ""))
    endpoint = escape(query.get("endpoint", [""])[0])
    src = escape(query.get("src", [endpoint])[0])  # where the script comes from, if not the endpoint
    body = (f'<!doctype html><html lang="en"><title>community site</title><p>Our site.</p>'
            f'<script src="{src}/widget.js" data-endpoint="{endpoint}" async></script>').encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(scope="module")
def site_url():
    with serve(_community_site) as url:
        yield url


def test_a_refused_origin_is_named_in_the_panel_and_the_setting_in_the_console(browser, plain_url, site_url):
    s = Session(browser, plain_url, viewport={"width": 1024, "height": 768})
    try:
        s.page.goto(f"{site_url}/?endpoint={plain_url}")
        page = s.page
        page.locator("ucc-assistant-widget .launcher").click()
        s.field().fill("How do residents report problems?")
        s.field().press("Enter")
        error = page.locator("ucc-assistant-widget .msg.error")
        error.wait_for()
        shown = error.inner_text()
        assert f"does not accept questions from this site ({site_url})" in shown, shown
        assert "site's operator" in shown and "console" in shown
        assert "check your connection" not in shown
        page.wait_for_timeout(100)
        mine = [m for m in s.console if "UCC_ALLOWED_ORIGINS" in m]
        assert len(mine) == 1 and mine[0].startswith("error: ") and site_url in mine[0], s.console
        shot(page, "refused-origin-1024")
        # The probe that told a refusal from a network failure: a HEAD of the (public) script.
        assert s.heads == [plain_url + "/widget.js"], s.heads
    finally:
        s.close()

    # A service that does not answer at all, from another origin: a network failure, not a refusal.
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    s = Session(browser, plain_url, viewport={"width": 1024, "height": 768})
    try:
        s.page.goto(f"{site_url}/?endpoint={down}&src={plain_url}")
        s.page.locator("ucc-assistant-widget .launcher").click()
        s.field().fill("How do residents report problems?")
        s.field().press("Enter")
        error = s.page.locator("ucc-assistant-widget .msg.error")
        error.wait_for()
        assert "could not be reached" in error.inner_text() and "does not accept" not in error.inner_text()
        assert s.heads == [down + "/widget.js"]
        assert not [m for m in s.console if "UCC_ALLOWED_ORIGINS" in m]
    finally:
        s.close()


@pytest.fixture(scope="module")
def allowed_url(tmp_path_factory, knowledge_searcher, catalog, site_url):
    app = _app(tmp_path_factory.mktemp("widget-allowed"), knowledge_searcher, catalog, UCC_ALLOWED_ORIGINS=site_url)
    with serve(app) as url:
        yield url


def test_an_allowed_origin_gets_answers(browser, allowed_url, site_url):
    s = Session(browser, allowed_url, viewport={"width": 1024, "height": 768})
    try:
        s.page.goto(f"{site_url}/?endpoint={allowed_url}")
        s.page.locator("ucc-assistant-widget .launcher").click()
        s.field().focus()
        answer = s.ask("How do residents report problems in Rotterdam?", count=1)
        assert answer["status"] == "answered"
        assert s.page.locator("ucc-assistant-widget .msg.error").count() == 0
        assert not [m for m in s.console if "UCC_ALLOWED_ORIGINS" in m]
    finally:
        s.close()


def test_a_question_cut_off_by_a_reload_goes_back_into_the_field(plain_session):
    s = plain_session
    held = []
    s.context.route("**/api/v1/ask", lambda route: held.append(route))  # never answered
    page = s.open_demo()
    page.locator("ucc-assistant-widget .launcher").click()
    s.field().fill("A question asked just before leaving the page")
    s.field().press("Enter")
    page.wait_for_function("() => document.querySelector('ucc-assistant-widget').shadowRoot"
                           ".querySelectorAll('.msg.user').length === 1")
    assert [m["t"] for m in s.stored()["value"]["messages"]] == ["q"]
    page.reload()
    page.locator("ucc-assistant-widget [role=dialog]").wait_for()
    assert s.field().input_value() == "A question asked just before leaving the page"
    assert page.locator("ucc-assistant-widget .msg.user").count() == 0
    assert page.locator("ucc-assistant-widget .starters .chip").count() > 0  # still an empty conversation


# --- axe-core: zero violations, inside the widget's (open) shadow root ----------------------------

def _axe_clean(page, state: str) -> None:
    """axe-core over the whole demo page, which takes in the widget: axe walks open shadow roots
    (the widget attaches its root with mode "open"), so every node of the panel is checked. No rule
    is switched off."""
    found = axe_violations(page)
    assert found == [], f"{state}:\n{describe(found)}"


def test_axe_finds_no_violation_in_the_widget_empty_or_with_answers_on_desktop_and_phone(session):
    s = session
    page = s.open_demo()
    assert s.shadow("root.mode") == "open"  # axe only sees into open shadow roots
    _axe_clean(page, "closed, 1024 px")
    page.locator("ucc-assistant-widget .launcher").click()
    page.locator("ucc-assistant-widget .starters .chip").first.wait_for()
    _axe_clean(page, "open and empty (starter questions), 1024 px")
    page.set_viewport_size({"width": 360, "height": 640})
    page.wait_for_timeout(100)
    _axe_clean(page, "open and empty (starter questions), 360 px")
    page.set_viewport_size({"width": 1024, "height": 800})

    # A cited answer, then a routed one with its score card.
    s.field().focus()
    cited = s.ask(QUESTION, count=1)
    assert cited["status"] == "answered" and cited["citations"], cited
    s.field().focus()
    routed = s.ask(ROUTED, count=2)
    assert any(p["type"] == "score_table" for p in routed.get("parts") or []), routed
    card = s.answers().nth(1).locator(".card", has=page.locator("table"))
    card.wait_for()
    _axe_clean(page, "two answers (cited, routed card), 1024 px")
    if os.environ.get("UCC_DOCS_SCREENSHOTS"):  # the README's picture: the open panel at the routed card
        s.shadow("(() => { const log = root.querySelector('.log'); "
                 "const asked = root.querySelectorAll('.msg.user')[1]; "
                 "log.scrollTop = asked.offsetTop - 12; return true; })()")
        panel = page.locator("ucc-assistant-widget [role=dialog]").bounding_box()
        launcher = page.locator("ucc-assistant-widget .launcher").bounding_box()
        left = min(panel["x"], launcher["x"]) - 12
        top = panel["y"] - 12
        right = max(panel["x"] + panel["width"], launcher["x"] + launcher["width"]) + 12
        bottom = launcher["y"] + launcher["height"] + 12
        page.screenshot(path=str(DOCS_SHOT), clip={"x": left, "y": top, "width": right - left,
                                                   "height": bottom - top})
    page.set_viewport_size({"width": 360, "height": 640})
    page.wait_for_timeout(100)
    _axe_clean(page, "two answers (cited, routed card), 360 px")
    shot(page, "answers-360")

    # The optional comment after a thumbs-down, on the phone.
    s.answers().nth(1).locator(".feedback button", has_text="No").click()
    s.answers().nth(1).locator(".comment:not([hidden]) textarea").wait_for()
    _axe_clean(page, "the thumbs-down comment open, 360 px")
    assert s.dialogs == []
