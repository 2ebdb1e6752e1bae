"""The chat widget's HTTP face: /widget.js and the demo host page (Flask test client, no browser)."""

from __future__ import annotations

import re

import pytest

from app.web import create_app
from app.web.widget import SCRIPT


@pytest.fixture
def client(settings):
    return create_app(settings).test_client()


def test_widget_js_is_served_as_javascript_with_an_etag(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in r.headers["Cache-Control"] and "public" in r.headers["Cache-Control"]
    assert r.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    etag = r.headers["ETag"]
    assert etag and r.get_data() == SCRIPT.read_bytes()

    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/widget.js", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.head("/widget.js").status_code == 200


def test_widget_js_has_no_html_sinks_and_no_third_party_urls():
    source = SCRIPT.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "localStorage", "sessionStorage", "document.cookie", "setAttribute(\"on"):
        assert sink not in source, sink
    # No request goes anywhere but data-endpoint: no absolute URLs in the code (comments aside).
    code = re.sub(r"/\*.*?\*/|^\s*//[^\n]*", "", source, flags=re.S | re.M)
    assert "function ask(" in code
    assert not re.search(r"https?://", code)
    assert "attachShadow" in source and 'mode: "open"' in source
    assert "credentials: \"omit\"" in source and 'channel: "widget"' in source


def test_widget_js_parses_as_a_script():
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the syntax check needs it (the browser tests run the script anyway)")
    done = subprocess.run([node, "--check", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_demo_page_embeds_the_one_tag_and_no_inline_script(client):
    r = client.get("/widget/demo", base_url="http://assistant.example")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    tags = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    assert len(tags) == 1
    attrs, body = tags[0]
    assert body.strip() == ""  # no inline script: the CSP (script-src 'self') would block it anyway
    assert 'src="http://assistant.example/widget.js"' in attrs
    assert 'data-endpoint="http://assistant.example"' in attrs
    for attr in ("data-title=", 'data-lang="en"', "data-accent=", " async"):
        assert attr in attrs
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I)  # no inline event handlers either
    assert "button" in html and "!important" in html  # the hostile global CSS that proves isolation
    assert r.headers["Cache-Control"] == "no-store"


def test_demo_page_escapes_the_host_header(client):
    r = client.get("/widget/demo", headers={"Host": 'evil.example"><script>alert(1)</script>'})
    html = r.get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_security_headers_on_widget_responses(client):
    for path in ("/widget.js", "/widget/demo"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
        assert "object-src 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
